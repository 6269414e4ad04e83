"""APS sub-layer (Zigbee spec R22 2.2): APSDE data service, binding and group tables,
acknowledged transmission, duplicate rejection, fragmentation, APS security and the APS
command frames the security manager / trust center uses.

Sans-IO like every layer: the constructor gets the NWK layer below, a clock, an rng and the key
store. Requests go down as method calls (``apsde_data_request``, ``apsme_bind_request``,
``send_command``...); confirms and indications go up to the endpoint handler that registered
(``register_endpoint``) and APS commands to the one APSME user (``set_apsme_user``). The node
forwards every NWK event to :meth:`Aps.on_nwk_event`.

Transmit path (2.2.8.4): SHORT (unicast; 0xFFFF/0xFFFD/0xFFFC: broadcast delivery, never
acknowledged), IEEE (resolved through the NWK address map, else the address resolver ZDO
installs, else NO_SHORT_ADDRESS), GROUP (group delivery over an NWK multicast, also delivered to
our own member endpoints as deployed stacks do) and INDIRECT (every binding of the source
endpoint and cluster, one transmission each, one confirm: SUCCESS if all succeeded, else the
first failure in binding order). Our own address is looped back without the radio. Each
request gets exactly one confirm, always from the clock, never inside the request.

Receive path: frames come from the air, so nothing raises: decode and security failures,
unknown endpoints and the like are dropped and counted by reason in :attr:`Aps.stats`.

An rx-off end device polls its parent (NLME-SYNC) every ``ack_poll_interval_us`` while it
awaits an APS ACK or fragment blocks, as Z-Stack (RESPONSE_POLL_RATE) and ZBOSS (turbo poll)
do: otherwise the ACK waits in the parent's indirect queue for a whole poll period, longer
than apscAckWaitDuration, and every retransmission is acknowledged into that queue again.

Modules: :mod:`.transmit` (one frame and its ACK/retries), :mod:`.fragments` (fragmented
transmission and reassembly), :mod:`.secure` (APS security with key store counters),
:mod:`.data` (the address modes), :mod:`.receive` (the receive path), :mod:`.config`,
:mod:`.duplicates`, :mod:`.binding`, :mod:`.groups`, :mod:`.stats`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from zigmesh.aps.binding import BindingEntry, BindingTable
from zigmesh.aps.commands import ApsCommand, ApsCommandId, ApsStatus
from zigmesh.aps.config import AddressResolver, ApsConfig, ApsNwk, NldeCallback
from zigmesh.aps.data import DataRequest, DataSender, status_name
from zigmesh.aps.duplicates import DuplicateTable
from zigmesh.aps.fragments import FragmentSender, Reassembler
from zigmesh.aps.frames import FC_SECURITY, ApsFrame, ApsFrameType, DeliveryMode
from zigmesh.aps.groups import GroupTable
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsConfirmStatus,
    ApsdeDataConfirm,
    ApsmeUser,
    EndpointHandler,
    TxOptions,
)
from zigmesh.aps.receive import Receiver, command_name
from zigmesh.aps.secure import ApsSecurity, aps_security_overhead
from zigmesh.aps.stats import ApsStats, bump
from zigmesh.aps.transmit import SecSpec, Transmission, TxDone
from zigmesh.clock import Clock, TimerHandle
from zigmesh.errors import LocalProtocolError
from zigmesh.nwk.primitives import (
    NldeDataConfirm,
    NldeDataIndication,
    NwkAddrMode,
    NwkEvent,
    NwkStatus,
)
from zigmesh.security.aux import KeyId
from zigmesh.security.keys import KeyStore

__all__ = ["Aps", "ApsConfig", "ApsNwk", "ApsStats", "AddressResolver", "status_name"]

_BROADCAST_MIN = 0xFFF8  # 0xFFF8-0xFFFF are broadcast addresses (Zigbee spec Table 3-69)
_APS_HEADER = 8  # unicast / broadcast data header: fc, ep, cluster, profile, ep, counter
_APS_GROUP_HEADER = 9  # group address instead of the destination endpoint
_MAX_SLEEPY = 4096  # rx-off devices remembered from their announcements
_COMMAND = ApsFrameType.COMMAND
_UNICAST = DeliveryMode.UNICAST
_BROADCAST = DeliveryMode.BROADCAST
_NWK = NwkAddrMode.NWK
_NETWORK_KEY = KeyId.NETWORK_KEY
_A_SUCCESS = ApsStatus.SUCCESS
_N_SUCCESS = NwkStatus.SUCCESS


class Aps:
    """The APS sub-layer of one device (module docstring)."""

    def __init__(
        self,
        nwk: ApsNwk,
        clock: Clock,
        rng: random.Random,
        keys: KeyStore,
        *,
        config: ApsConfig | None = None,
    ) -> None:
        self.nwk = nwk
        self.clock = clock
        self.rng = rng
        self._keys = keys
        self.config = cfg = config if config is not None else ApsConfig()
        self.stats = ApsStats()
        self.security = ApsSecurity(keys, nwk.ieee)
        self.binding_table = BindingTable(cfg.binding_table_size)
        self.group_table = GroupTable(cfg.group_table_size)
        self.duplicates = DuplicateTable(
            cfg.duplicate_table_size, cfg.duplicate_timeout_us, self._age_duplicates_later
        )
        #: ages ``duplicates`` while it has entries (none is left behind when frames stop)
        self._dup_timer: TimerHandle | None = None
        self.reassembler = Reassembler(self)
        self.rx = Receiver(self)
        self.data = DataSender(self)
        #: acknowledged transmissions by (NWK destination, APS counter)
        self.acks: dict[tuple[int, int], Transmission] = {}
        #: fragmented transmissions by (NWK destination, APS counter)
        self.frag_tx: dict[tuple[int, int], FragmentSender] = {}
        self.handlers: dict[int, EndpointHandler] = {}
        self.app_endpoints: tuple[int, ...] = ()
        self.apsme_user: ApsmeUser | None = None
        #: told the IEEE address of the child each Tunnel we relay is for (the security
        #: manager stops repeating that child's Update-Device)
        self.on_tunnel_forwarded: Callable[[int], None] | None = None
        self.resolver: AddressResolver | None = None
        self._sleepy: set[int] = set()
        self._counter = rng.randrange(256)  # apsCounter: one per device, random start
        self._asdu_handle = 0
        self._handles: dict[int, NldeCallback | None] = {}
        self._next_nsdu = 0
        self._poll_timer: TimerHandle | None = None
        #: answers awaited, by owner: until when (:meth:`expect_response`)
        self._expect: dict[object, int] = {}

    # ==========================================================================================
    # plumbing
    # ==========================================================================================

    def on_nwk_event(self, ev: NwkEvent) -> None:
        """Every NWK event; the APS takes NLDE-DATA indications and confirms."""
        t = type(ev)
        if t is NldeDataIndication:
            assert isinstance(ev, NldeDataIndication)
            self.rx.rx(ev)
        elif t is NldeDataConfirm:
            assert isinstance(ev, NldeDataConfirm)
            cb = self._handles.pop(ev.nsdu_handle, None)
            if cb is not None:
                cb(ev.nsdu_handle, ev.status)

    @property
    def keys(self) -> KeyStore:
        """The key store (replaceable: a node restored from storage installs a new one)."""
        return self._keys

    @keys.setter
    def keys(self, keys: KeyStore) -> None:
        self._keys = keys
        self.security.keys = keys

    @property
    def counter(self) -> int:
        """apsCounter: the APS counter value the next frame takes (persisted by the node)."""
        return self._counter

    @counter.setter
    def counter(self, value: int) -> None:
        if not 0 <= value <= 0xFF:
            raise LocalProtocolError(f"APS counter {value} not in 0-255")
        self._counter = value

    def register_endpoint(self, endpoint: int, handler: EndpointHandler) -> None:
        """Attach the handler of an endpoint: 0 = ZDO, 1-240 applications (241-254 too, e.g.
        Green Power's 242). It gets the endpoint's indications and its requests' confirms."""
        if not 0 <= endpoint <= 0xFE:
            raise LocalProtocolError(f"endpoint {endpoint} not in 0-254")
        if endpoint in self.handlers:
            raise LocalProtocolError(f"endpoint {endpoint} is registered already")
        if not callable(handler):
            raise LocalProtocolError("handler must be callable")
        self.handlers[endpoint] = handler
        self._refresh_endpoints()

    def unregister_endpoint(self, endpoint: int) -> None:
        if endpoint not in self.handlers:
            raise LocalProtocolError(f"endpoint {endpoint} is not registered")
        del self.handlers[endpoint]
        self._refresh_endpoints()

    def _refresh_endpoints(self) -> None:
        self.app_endpoints = tuple(sorted(e for e in self.handlers if 1 <= e <= 240))

    @property
    def endpoints(self) -> tuple[int, ...]:
        """Registered endpoints, ascending."""
        return tuple(sorted(self.handlers))

    def set_apsme_user(self, user: ApsmeUser | None) -> None:
        """The one receiver of APS command indications (ZDO security manager / TC)."""
        self.apsme_user = user

    def set_address_resolver(self, resolver: AddressResolver | None) -> None:
        """How to find the network address of an IEEE destination missing from the address
        map (ZDO: NWK_addr_req). It calls back with the address, or None (then the request
        confirms NO_SHORT_ADDRESS)."""
        self.resolver = resolver

    def note_device(self, short: int, ieee: int, rx_on_when_idle: bool | None = None) -> None:
        """A device announced itself (Device_annce): learn its address pair and whether it
        sleeps (APS ACKs from an rx-off device take a poll period: longer ack wait)."""
        if not 0 <= short < _BROADCAST_MIN or not 0 <= ieee <= 0xFFFF_FFFF_FFFF_FFFF:
            return  # the announcement came from the air: ignore nonsense, never raise
        self.nwk.address_map.update(short, ieee, overwrite=True)
        if rx_on_when_idle is False:
            if len(self._sleepy) >= _MAX_SLEEPY:
                self._sleepy.clear()  # a bound, not a cache policy: neighbours re-announce
            self._sleepy.add(short)
        elif rx_on_when_idle is True:
            self._sleepy.discard(short)

    def is_sleepy(self, short: int) -> bool:
        """Is ``short`` an rx-off end device (our child per the neighbour table, or noted)?"""
        if short in self._sleepy:
            return True
        n = self.nwk.neighbors.get(short)
        return n is not None and n.is_child and not n.rx_on_when_idle

    def ack_wait_for(self, short: int) -> int:
        cfg = self.config
        return cfg.ack_wait_sleepy_us if self.is_sleepy(short) else cfg.ack_wait_us

    def await_response(self) -> None:
        """Something is awaited from the air (an APS ACK, fragment blocks): an rx-off end
        device polls its parent every ``ack_poll_interval_us`` until nothing is awaited."""
        interval = self.config.ack_poll_interval_us
        if self._poll_timer is None and interval and not self.nwk.rx_on_when_idle:
            self._poll_timer = self.clock.call_later(interval, self._poll)

    def expect_response(self, duration_us: int, owner: object = None) -> None:
        """``owner`` awaits an answer for up to ``duration_us`` (a key from the trust center, a
        ZCL response): an rx-off end device polls its parent meanwhile (:meth:`await_response`),
        as for an APS ACK. 0 ends ``owner``'s wait; each owner's wait is its own."""
        waits = self._expect
        if duration_us <= 0:
            waits.pop(owner, None)
            return
        waits[owner] = self.clock.now() + duration_us
        self.await_response()

    def _age_duplicates_later(self) -> None:
        """The duplicate table got its first entry: age it when that entry expires."""
        if self._dup_timer is None:
            self._dup_timer = self.clock.call_later(
                self.duplicates.timeout_us, self._age_duplicates
            )

    def _age_duplicates(self) -> None:
        self._dup_timer = None
        dups = self.duplicates
        dups.age(self.clock.now())
        expiry = dups.expiry()
        if expiry is not None:
            self._dup_timer = self.clock.call_at(expiry, self._age_duplicates)

    def _poll(self) -> None:
        self._poll_timer = None
        if (
            self.acks
            or self.frag_tx
            or self.reassembler.receiving
            or self._expecting()
        ):
            self.nwk.nlme_sync_request()
            self.await_response()

    def _expecting(self) -> bool:
        waits = self._expect
        if not waits:
            return False
        now = self.clock.now()
        for owner in [o for o, t in waits.items() if t <= now]:
            del waits[owner]
        return bool(waits)

    def next_counter(self) -> int:
        """Take the next APS counter value (8 bits, one counter for the device)."""
        c = self._counter
        self._counter = (c + 1) & 0xFF
        return c

    def nlde(
        self,
        mode: NwkAddrMode,
        dst: int,
        nsdu: bytes,
        radius: int,
        security: bool,
        on_confirm: NldeCallback | None,
    ) -> int:
        """NLDE-DATA.request with a free nsdu handle (0-255); ``on_confirm(handle, status)``
        gets its confirm. Returns the handle (-1: none free, FRAME_NOT_BUFFERED follows)."""
        handles = self._handles
        self.stats.frames_sent += 1
        if len(handles) >= 256:
            if on_confirm is not None:
                self.clock.call_later(0, on_confirm, -1, NwkStatus.FRAME_NOT_BUFFERED)
            return -1
        h = self._next_nsdu
        while h in handles:
            h = (h + 1) & 0xFF
        self._next_nsdu = (h + 1) & 0xFF
        handles[h] = on_confirm
        self.nwk.nlde_data_request(
            mode, dst, nsdu, h, radius=radius, discover_route=True, security_enable=security
        )
        return h

    def confirm_later(self, done: TxDone, status: ApsConfirmStatus) -> None:
        self.clock.call_later(0, done, status, 0)

    def short_of(self, ieee: int) -> int | None:
        s = self.nwk.address_map.short_of(ieee)
        if s is not None:
            return s
        n = self.nwk.neighbors.get_by_ieee(ieee)
        return None if n is None else n.network_address

    def ieee_of(self, short: int) -> int | None:
        i = self.nwk.address_map.ieee_of(short)
        if i is not None:
            return i
        n = self.nwk.neighbors.get(short)
        return None if n is None else n.extended_address

    def asdu_room(self, group: bool, sec: SecSpec | None) -> int:
        """Largest unfragmented ASDU under the NWK's NSDU limit."""
        room = self.nwk.max_nsdu_length() - (_APS_GROUP_HEADER if group else _APS_HEADER)
        if sec is not None:
            room -= aps_security_overhead(sec.key_id, sec.ext_nonce)
        return room

    def max_asdu_length(
        self, tx_options: TxOptions = TxOptions.NONE, *, group: bool = False
    ) -> int:
        """Largest ASDU one frame carries now with these options (no fragmentation)."""
        sec = self.data.group_sec(tx_options) if group else self.data.unicast_sec(tx_options, 0)
        return self.asdu_room(group, sec if isinstance(sec, SecSpec) else None)

    # ==========================================================================================
    # APSDE-DATA.request (2.2.4.1.1)
    # ==========================================================================================

    def apsde_data_request(
        self,
        dst_addr_mode: ApsAddrMode,
        dst_address: int | None,
        dst_endpoint: int | None,
        profile_id: int,
        cluster_id: int,
        src_endpoint: int,
        asdu: bytes,
        *,
        tx_options: TxOptions = TxOptions.ACK,
        radius: int = 0,
    ) -> int:
        """Send ``asdu``; returns the ASDU handle. Exactly one :class:`ApsdeDataConfirm`
        follows, to ``src_endpoint``'s handler, from the clock. ACK is ignored for broadcast
        and group delivery (never acknowledged); SECURITY there uses the network key.
        Raises :class:`LocalProtocolError` for invalid arguments."""
        mode = ApsAddrMode(dst_addr_mode)
        if src_endpoint not in self.handlers:
            raise LocalProtocolError(f"source endpoint {src_endpoint} is not registered")
        if not isinstance(asdu, bytes | bytearray):
            raise LocalProtocolError("asdu must be bytes")
        if not 0 <= profile_id <= 0xFFFF or not 0 <= cluster_id <= 0xFFFF:
            raise LocalProtocolError("profile_id and cluster_id are 16-bit")
        if not 0 <= radius <= 0xFF:
            raise LocalProtocolError(f"radius {radius} not in 0-255")
        if mode == ApsAddrMode.INDIRECT:
            if dst_address is not None:
                raise LocalProtocolError("indirect transmission has no destination address")
        elif dst_address is None:
            raise LocalProtocolError(f"{mode.name} transmission needs a destination address")
        elif mode == ApsAddrMode.IEEE:
            if not 0 <= dst_address <= 0xFFFF_FFFF_FFFF_FFFF:
                raise LocalProtocolError(f"{dst_address:#x} is not an IEEE address")
        elif not 0 <= dst_address <= 0xFFFF:
            raise LocalProtocolError(f"{dst_address:#x} is not a 16-bit address")
        if mode in (ApsAddrMode.SHORT, ApsAddrMode.IEEE) and (
            dst_endpoint is None or not 0 <= dst_endpoint <= 0xFF
        ):
            raise LocalProtocolError("unicast / broadcast needs a dst_endpoint 0-255")
        h = self._asdu_handle
        self._asdu_handle = (h + 1) & 0xFF
        self.stats.data_requests += 1
        req = DataRequest(
            h,
            mode,
            dst_address,
            dst_endpoint if mode in (ApsAddrMode.SHORT, ApsAddrMode.IEEE) else None,
            profile_id,
            cluster_id,
            src_endpoint,
            bytes(asdu),
            int(tx_options),
            radius,
        )

        def done(status: ApsConfirmStatus, retries: int) -> None:
            self._confirm(req, status, retries)

        if len(asdu) > self.config.max_asdu_length:
            self.confirm_later(done, ApsStatus.ASDU_TOO_LONG)
        elif mode == ApsAddrMode.INDIRECT:
            self.data.send_indirect(req, done)
        elif mode == ApsAddrMode.GROUP:
            assert dst_address is not None
            self.data.send_group(req, dst_address, done)
        elif mode == ApsAddrMode.IEEE:
            assert dst_address is not None and dst_endpoint is not None
            self.data.send_ieee(req, dst_address, dst_endpoint, done)
        else:
            assert dst_address is not None and dst_endpoint is not None
            if dst_address >= _BROADCAST_MIN:
                self.data.send_broadcast(req, dst_address, dst_endpoint, done)
            else:
                self.data.send_unicast(req, dst_address, dst_endpoint, done, None)
        return h

    def _confirm(self, req: DataRequest, status: ApsConfirmStatus, retries: int) -> None:
        bump(self.stats.confirms, status_name(status))
        handler = self.handlers.get(req.src_endpoint)
        if handler is None:
            return  # the endpoint went away meanwhile
        handler(
            ApsdeDataConfirm(
                req.handle,
                req.dst_addr_mode,
                req.dst_address,
                req.dst_endpoint,
                req.src_endpoint,
                status,
                self.clock.now(),
                retries,
            )
        )

    # ==========================================================================================
    # APSME binding and groups (2.2.4.3, 2.2.4.5)
    # ==========================================================================================

    def _binding(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None,
    ) -> BindingEntry | ApsStatus:
        if src_addr != self.nwk.ieee:
            return ApsStatus.ILLEGAL_REQUEST
        try:
            return BindingEntry(
                src_addr,
                src_endpoint,
                cluster_id,
                ApsAddrMode(dst_addr_mode),
                dst_addr,
                dst_endpoint if dst_addr_mode == ApsAddrMode.IEEE else None,
            )
        except (LocalProtocolError, ValueError):
            return ApsStatus.ILLEGAL_REQUEST

    def apsme_bind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
    ) -> ApsStatus:
        """APSME-BIND.request: SUCCESS (also for an existing binding), TABLE_FULL, or
        ILLEGAL_REQUEST (source not this device, bad mode or out-of-range fields)."""
        e = self._binding(src_addr, src_endpoint, cluster_id, dst_addr_mode, dst_addr, dst_endpoint)
        return e if isinstance(e, ApsStatus) else self.binding_table.add(e)

    def apsme_unbind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
    ) -> ApsStatus:
        """APSME-UNBIND.request: SUCCESS, INVALID_BINDING (no such entry) or ILLEGAL_REQUEST."""
        e = self._binding(src_addr, src_endpoint, cluster_id, dst_addr_mode, dst_addr, dst_endpoint)
        return e if isinstance(e, ApsStatus) else self.binding_table.remove(e)

    def apsme_add_group_request(self, group_address: int, endpoint: int) -> ApsStatus:
        """APSME-ADD-GROUP.request: SUCCESS, INVALID_PARAMETER or TABLE_FULL."""
        return self.group_table.add(group_address, endpoint)

    def apsme_remove_group_request(self, group_address: int, endpoint: int) -> ApsStatus:
        """APSME-REMOVE-GROUP.request: SUCCESS, INVALID_GROUP or INVALID_PARAMETER."""
        return self.group_table.remove(group_address, endpoint)

    def apsme_remove_all_groups_request(self, endpoint: int) -> ApsStatus:
        """APSME-REMOVE-ALL-GROUPS.request: SUCCESS or INVALID_PARAMETER."""
        return self.group_table.remove_all(endpoint)

    # ==========================================================================================
    # APS commands for the security manager / trust center (4.4)
    # ==========================================================================================

    def _command_frame(self, command: ApsCommand, dst: int, ack: bool) -> ApsFrame:
        bump(self.stats.commands_sent, command_name(command.command_id))
        bcast = dst >= _BROADCAST_MIN
        return ApsFrame(
            _COMMAND,
            _BROADCAST if bcast else _UNICAST,
            ack and not bcast,
            counter=self.next_counter(),
            payload=command.encode(),
        )

    def send_command(
        self,
        command: ApsCommand,
        dst_address: int,
        *,
        key_id: KeyId | None,
        partner_ieee: int | None = None,
        extended_nonce: bool = False,
        nwk_security: bool = True,
        ack: bool = False,
        radius: int = 0,
        on_done: Callable[[ApsConfirmStatus], None] | None = None,
    ) -> None:
        """Send an APS command (4.4.10) to a network address (broadcasts allowed, never
        acknowledged). ``key_id`` None: no APS security; else sealed with ``partner_ieee``'s
        link key (or its key-transport / key-load derivative; the address map gives the
        partner when None) or, for NETWORK_KEY, the active network key. ``extended_nonce``
        puts our IEEE address in the aux header. ``on_done`` gets the final status, from the
        clock: SECURITY_FAIL (no key, counter exhausted: nothing sent), the NLDE status, or
        SUCCESS / NO_ACK when ``ack``."""
        if not 0 <= dst_address <= 0xFFFF or not 0 <= radius <= 0xFF:
            raise LocalProtocolError("dst_address is 16-bit, radius 0-255")
        frame = self._command_frame(command, dst_address, ack)

        def done(status: ApsConfirmStatus, retries: int) -> None:
            if on_done is not None:
                on_done(status)

        sec: SecSpec | None = None
        if key_id is not None:
            kid = int(key_id)
            partner = None
            if kid != _NETWORK_KEY:
                partner = partner_ieee if partner_ieee is not None else self.ieee_of(dst_address)
                if partner is None:
                    self.confirm_later(done, ApsStatus.SECURITY_FAIL)
                    return
            sec = SecSpec(kid, partner, extended_nonce)
        Transmission(
            self,
            frame,
            dst_address,
            done,
            radius=radius,
            nwk_security=nwk_security,
            sec=sec,
            ack_wait=self.ack_wait_for(dst_address),
        ).start()

    def build_secured_command(
        self, command: ApsCommand, *, key_id: KeyId, partner_ieee: int
    ) -> bytes:
        """A whole APS command frame (header | aux with our IEEE as extended nonce |
        ciphertext | MIC) sealed with ``partner_ieee``'s key for ``key_id``, to tunnel.
        Raises :class:`SecurityError` without a key or with the counter exhausted."""
        frame = self._command_frame(command, 0, False)
        hdr = frame.header()
        return self.security.seal(
            bytes((hdr[0] | FC_SECURITY,)) + hdr[1:],
            frame.payload,
            int(key_id),
            partner_ieee,
            True,
        )

    def send_tunnel(
        self,
        dst_address: int,
        dst_ieee: int,
        tunneled_frame: bytes,
        *,
        on_done: Callable[[ApsConfirmStatus], None] | None = None,
    ) -> None:
        """Tunnel command (4.4.10.6) to a router parent: NWK-secured, not APS-secured; the
        parent relays ``tunneled_frame`` (an APS-secured command, see
        :meth:`build_secured_command`) to its child ``dst_ieee``. The tunnelled bytes are
        carried verbatim."""
        if not 0 <= dst_address < _BROADCAST_MIN:
            raise LocalProtocolError("a tunnel goes to one router")
        bump(self.stats.commands_sent, "TUNNEL")
        frame = ApsFrame(
            _COMMAND,
            _UNICAST,
            ack_request=True,  # acknowledged by the parent: the joiner's key must not be lost
            counter=self.next_counter(),
            payload=bytes((ApsCommandId.TUNNEL,)) + dst_ieee.to_bytes(8, "little") + tunneled_frame,
        )

        def done(status: ApsConfirmStatus, retries: int) -> None:
            if on_done is not None:
                on_done(status)

        Transmission(
            self, frame, dst_address, done, ack_wait=self.ack_wait_for(dst_address)
        ).start()

    def send_raw(
        self,
        dst_address: int,
        aps_frame: bytes,
        *,
        nwk_security: bool,
        radius: int = 0,
        on_done: Callable[[ApsConfirmStatus], None] | None = None,
    ) -> None:
        """Hand ``aps_frame`` to NLDE-DATA as it is (no APS processing)."""
        if not 0 <= dst_address <= 0xFFFF or not 0 <= radius <= 0xFF:
            raise LocalProtocolError("dst_address is 16-bit, radius 0-255")
        cb: NldeCallback | None = None
        if on_done is not None:

            def cb(handle: int, status: NwkStatus) -> None:
                on_done(_A_SUCCESS if status == _N_SUCCESS else status)

        self.nlde(_NWK, dst_address, bytes(aps_frame), radius, nwk_security, cb)
