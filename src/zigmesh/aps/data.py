"""APSDE-DATA.request by destination address mode (Zigbee spec R22 2.2.4.1.1, 2.2.8.4).

* SHORT: unicast (acknowledged or not, APS-secured with the destination's link key or the
  network key, fragmented when too long and allowed); 0xFFF8-0xFFFF: broadcast delivery,
  never acknowledged, APS security only with the network key.
* IEEE: the network address from the address map / neighbour table, else the resolver ZDO
  installed (NWK_addr_req), else NO_SHORT_ADDRESS; our own IEEE address loops back.
* GROUP: group delivery over an NWK multicast (sent as a 0xFFFD broadcast), never acknowledged;
  our own member endpoints get it too, as deployed stacks do.
* INDIRECT: one transmission per binding of (our IEEE, source endpoint, cluster): IEEE
  bindings as unicasts, group bindings as groupcasts; no binding: NO_BOUND_DEVICE; one confirm
  for all, SUCCESS if every one succeeded else the first failure in binding order.

A request to our own address is delivered without the radio (from the clock) and confirmed
SUCCESS. Every path ends in exactly one call of the request's ``done`` from the clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.fragments import FragmentSender
from zigmesh.aps.frames import ApsFrame, ApsFrameType, DeliveryMode
from zigmesh.aps.primitives import ApsAddrMode, ApsConfirmStatus, SecurityStatus, TxOptions
from zigmesh.aps.transmit import SecSpec, Transmission, TxDone
from zigmesh.nwk.primitives import NwkAddrMode, NwkStatus
from zigmesh.security.aux import KeyId

if TYPE_CHECKING:
    from zigmesh.aps.aps import Aps

__all__ = ["DataRequest", "Fanout", "DataSender", "status_name"]

_BROADCAST_MIN = 0xFFF8
_FRAG_EXT_HEADER = 2  # extended frame control + block number
_MAX_BLOCKS = 0xFF
_DATA = ApsFrameType.DATA
_UNICAST = DeliveryMode.UNICAST
_BROADCAST = DeliveryMode.BROADCAST
_GROUP = DeliveryMode.GROUP
_NETWORK_KEY = KeyId.NETWORK_KEY
_SHORT = ApsAddrMode.SHORT
_SEC_LINK = SecurityStatus.SECURED_LINK_KEY
_SEC_NWK = SecurityStatus.SECURED_NWK_KEY
_UNSECURED = SecurityStatus.UNSECURED
_A_SUCCESS = ApsStatus.SUCCESS
# TxOptions bits as plain ints (IntFlag arithmetic is slow on the hot path)
_OPT_SECURITY = int(TxOptions.SECURITY)
_OPT_NWK_KEY = int(TxOptions.USE_NWK_KEY)
_OPT_ACK = int(TxOptions.ACK)
_OPT_FRAGMENTATION = int(TxOptions.FRAGMENTATION)
_OPT_EXT_NONCE = int(TxOptions.INCLUDE_EXTENDED_NONCE)


class DataRequest:
    """An APSDE-DATA.request being served."""

    __slots__ = (
        "handle",
        "dst_addr_mode",
        "dst_address",
        "dst_endpoint",
        "profile_id",
        "cluster_id",
        "src_endpoint",
        "asdu",
        "tx_options",
        "radius",
    )

    def __init__(
        self,
        handle: int,
        dst_addr_mode: ApsAddrMode,
        dst_address: int | None,
        dst_endpoint: int | None,
        profile_id: int,
        cluster_id: int,
        src_endpoint: int,
        asdu: bytes,
        tx_options: int,
        radius: int,
    ) -> None:
        self.handle = handle
        self.dst_addr_mode = dst_addr_mode
        self.dst_address = dst_address
        self.dst_endpoint = dst_endpoint
        self.profile_id = profile_id
        self.cluster_id = cluster_id
        self.src_endpoint = src_endpoint
        self.asdu = asdu
        self.tx_options = tx_options
        self.radius = radius


class Fanout:
    """Indirect transmission: one confirm for all the bindings' transmissions."""

    __slots__ = ("statuses", "remaining", "retries", "done")

    def __init__(self, n: int, done: TxDone) -> None:
        self.statuses: list[ApsConfirmStatus | None] = [None] * n
        self.remaining = n
        self.retries = 0
        self.done = done

    def sub(self, i: int) -> TxDone:
        def finished(status: ApsConfirmStatus, retries: int) -> None:
            self.statuses[i] = status
            self.retries = max(self.retries, retries)
            self.remaining -= 1
            if self.remaining == 0:
                first = next(
                    (s for s in self.statuses if s is not None and s != _A_SUCCESS), _A_SUCCESS
                )
                self.done(first, self.retries)

        return finished


def status_name(status: ApsConfirmStatus) -> str:
    """Stats key of a confirm status (NWK statuses prefixed: both have e.g. NO_ACK)."""
    if isinstance(status, NwkStatus):
        return "NWK_" + status.name
    return status.name


class DataSender:
    """The transmit side of APSDE-DATA for one :class:`~zigmesh.aps.aps.Aps` (module
    docstring). ``done(status, retries)`` is called exactly once per call, from the clock."""

    __slots__ = ("_aps",)

    def __init__(self, aps: Aps) -> None:
        self._aps = aps

    def send_indirect(self, req: DataRequest, done: TxDone) -> None:
        aps = self._aps
        bindings = aps.binding_table.lookup(aps.nwk.ieee, req.src_endpoint, req.cluster_id)
        if not bindings:
            aps.confirm_later(done, ApsStatus.NO_BOUND_DEVICE)
            return
        fan = Fanout(len(bindings), done)
        for i, b in enumerate(bindings):
            if b.is_group:
                self.send_group(req, b.dst_addr, fan.sub(i))
            else:
                assert b.dst_endpoint is not None
                self.send_ieee(req, b.dst_addr, b.dst_endpoint, fan.sub(i))

    def send_ieee(self, req: DataRequest, ieee: int, dst_endpoint: int, done: TxDone) -> None:
        aps = self._aps
        if ieee == aps.nwk.ieee:
            self._loopback(req, dst_endpoint, done)
            return
        short = aps.short_of(ieee)
        if short is not None:
            self.send_unicast(req, short, dst_endpoint, done, ieee)
            return
        resolver = aps.resolver
        if resolver is None:
            aps.confirm_later(done, ApsStatus.NO_SHORT_ADDRESS)
            return

        def resolved(addr: int | None) -> None:
            if addr is None or not 0 <= addr < _BROADCAST_MIN:
                aps.confirm_later(done, ApsStatus.NO_SHORT_ADDRESS)
                return
            aps.nwk.address_map.update(addr, ieee)
            self.send_unicast(req, addr, dst_endpoint, done, ieee)

        resolver(ieee, resolved)

    @staticmethod
    def unicast_sec(opts: int, partner: int | None) -> SecSpec | None | bool:
        """SecSpec of a unicast, None when unsecured, False when the partner is unknown."""
        if not opts & _OPT_SECURITY:
            return None
        ext = bool(opts & _OPT_EXT_NONCE)
        if opts & _OPT_NWK_KEY:
            return SecSpec(_NETWORK_KEY, None, ext)
        if partner is None:
            return False
        return SecSpec(KeyId.DATA_KEY, partner, ext)

    @staticmethod
    def group_sec(opts: int) -> SecSpec | None:
        """Broadcast and group frames can be APS-secured with the network key only."""
        if not opts & _OPT_SECURITY:
            return None
        return SecSpec(_NETWORK_KEY, None, bool(opts & _OPT_EXT_NONCE))

    def send_unicast(
        self, req: DataRequest, short: int, dst_endpoint: int, done: TxDone, ieee: int | None
    ) -> None:
        aps = self._aps
        if short == aps.nwk.address:
            self._loopback(req, dst_endpoint, done)
            return
        opts = req.tx_options
        sec = self.unicast_sec(opts, ieee if ieee is not None else aps.ieee_of(short))
        if sec is False or sec is True:
            aps.confirm_later(done, ApsStatus.SECURITY_FAIL)
            return
        ack = bool(opts & _OPT_ACK)
        room = aps.asdu_room(False, sec)
        asdu = req.asdu
        ack_wait = aps.ack_wait_for(short)
        if len(asdu) > room:
            block = room - _FRAG_EXT_HEADER
            if (
                ack
                and opts & _OPT_FRAGMENTATION
                and block > 0
                and -(-len(asdu) // block) <= _MAX_BLOCKS
            ):
                FragmentSender(
                    aps,
                    dst=short,
                    dst_endpoint=dst_endpoint,
                    cluster_id=req.cluster_id,
                    profile_id=req.profile_id,
                    src_endpoint=req.src_endpoint,
                    counter=aps.next_counter(),
                    asdu=asdu,
                    block_size=block,
                    on_done=done,
                    sec=sec,
                    radius=req.radius,
                    ack_wait=ack_wait,
                ).start()
                return
            aps.confirm_later(done, ApsStatus.ASDU_TOO_LONG)
            return
        frame = ApsFrame(
            _DATA,
            _UNICAST,
            ack,
            dst_endpoint,
            None,
            req.cluster_id,
            req.profile_id,
            req.src_endpoint,
            aps.next_counter(),
            None,
            None,
            asdu,
        )
        Transmission(aps, frame, short, done, radius=req.radius, sec=sec, ack_wait=ack_wait).start()

    def send_broadcast(self, req: DataRequest, dst: int, dst_endpoint: int, done: TxDone) -> None:
        aps = self._aps
        sec = self.group_sec(req.tx_options)
        if len(req.asdu) > aps.asdu_room(False, sec):
            aps.confirm_later(done, ApsStatus.ASDU_TOO_LONG)
            return
        frame = ApsFrame(
            _DATA,
            _BROADCAST,
            False,
            dst_endpoint,
            None,
            req.cluster_id,
            req.profile_id,
            req.src_endpoint,
            aps.next_counter(),
            None,
            None,
            req.asdu,
        )
        Transmission(aps, frame, dst, done, radius=req.radius, sec=sec).start()

    def send_group(self, req: DataRequest, group: int, done: TxDone) -> None:
        aps = self._aps
        sec = self.group_sec(req.tx_options)
        if len(req.asdu) > aps.asdu_room(True, sec):
            aps.confirm_later(done, ApsStatus.ASDU_TOO_LONG)
            return
        counter = aps.next_counter()
        frame = ApsFrame(
            _DATA,
            _GROUP,
            False,
            None,
            group,
            req.cluster_id,
            req.profile_id,
            req.src_endpoint,
            counter,
            None,
            None,
            req.asdu,
        )
        Transmission(
            aps, frame, group, done, nwk_mode=NwkAddrMode.MULTICAST, radius=req.radius, sec=sec
        ).start()
        handlers = aps.handlers
        eps = tuple(e for e in aps.group_table.endpoints(group) if e in handlers)
        if eps:
            sec_status = _UNSECURED if sec is None else _SEC_NWK
            aps.clock.call_later(
                0, self._indicate_local, req, ApsAddrMode.GROUP, group, eps, counter, sec_status
            )

    def _loopback(self, req: DataRequest, dst_endpoint: int, done: TxDone) -> None:
        """A request for ourselves: delivered without the radio, then confirmed SUCCESS."""
        aps = self._aps
        aps.stats.loopback += 1
        eps = aps.rx.targets(dst_endpoint)
        sec_status = _SEC_LINK if req.tx_options & _OPT_SECURITY else _UNSECURED
        counter = aps.next_counter()

        def deliver() -> None:
            if eps:
                self._indicate_local(req, _SHORT, aps.nwk.address, eps, counter, sec_status)
            else:
                aps.stats.drop("unknown_endpoint")
            done(_A_SUCCESS, 0)

        aps.clock.call_later(0, deliver)

    def _indicate_local(
        self,
        req: DataRequest,
        dst_mode: ApsAddrMode,
        dst_address: int,
        eps: tuple[int, ...],
        counter: int,
        sec_status: SecurityStatus,
    ) -> None:
        aps = self._aps
        nwk = aps.nwk
        aps.rx.indicate(
            eps,
            dst_mode,
            dst_address,
            nwk.address,
            req.src_endpoint,
            req.profile_id,
            req.cluster_id,
            req.asdu,
            sec_status,
            255,
            aps.clock.now(),
            nwk.ieee,
            0,
            counter,
        )
