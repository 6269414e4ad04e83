"""APS receive path (Zigbee spec R22 2.2.8.4.2 - 2.2.8.4.5): every NLDE-DATA.indication.

Frames come from the air, so nothing here raises: a frame that does not decode, fails APS
security (no key, bad MIC, replayed counter), is for an endpoint or group we do not have, or
matches nothing is dropped and counted by reason in ``ApsStats.drops``. A dropped frame moves
no counter and is not acknowledged.

* APS security is removed first (:mod:`zigmesh.aps.secure`); the sender's IEEE address comes
  from the aux header's extended nonce, the NWK header or the address map.
* Data: the destination endpoints are found (0xFF: every application endpoint 1-240; group
  delivery: the group's member endpoints), then duplicates are rejected on (source, APS
  counter) (an acknowledged duplicate is acknowledged again, not delivered), then the ACK goes
  and the indication(s). Fragmented frames go to the reassembler (:mod:`zigmesh.aps.fragments`).
* ACKs complete the matching transmission (or fragment window). A secured ACK we send always
  carries our IEEE address (extended nonce), as ZBOSS does for every APS-secured frame: its
  receiver may know us by network address only.
* Commands: Tunnel is relayed verbatim, NWK-unsecured, to our child (the trust center's
  Transport-Key for a device that joined through us); every other command goes to the APSME
  user with the key used. A command nobody here can act on (no APSME user, a Tunnel for a
  device that is not our child) is dropped unacknowledged, so its sender learns it failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zigmesh.aps.commands import ApsCommandId, ApsStatus, Tunnel, decode_command
from zigmesh.aps.fragments import AckTo
from zigmesh.aps.frames import FC_SECURITY, ApsFrame, ApsFrameType, DeliveryMode, ExtendedHeader
from zigmesh.aps.primitives import (
    ApsAddrMode,
    ApsdeDataIndication,
    ApsmeCommandIndication,
    SecurityStatus,
)
from zigmesh.aps.secure import RxDrop
from zigmesh.aps.stats import bump
from zigmesh.errors import DecodeError, LocalProtocolError, SecurityError
from zigmesh.nwk.primitives import NldeDataIndication, NwkAddrMode
from zigmesh.security.aux import KeyId

if TYPE_CHECKING:
    from zigmesh.aps.aps import Aps

__all__ = ["Receiver", "command_name"]

_BROADCAST_MIN = 0xFFF8
_BROADCAST_ENDPOINT = 0xFF
_ACK = ApsFrameType.ACK
_UNICAST = DeliveryMode.UNICAST
_BROADCAST = DeliveryMode.BROADCAST
_GROUP = DeliveryMode.GROUP
_NWK = NwkAddrMode.NWK
_NETWORK_KEY = KeyId.NETWORK_KEY
_KEY_IDS = tuple(KeyId)
_SHORT = ApsAddrMode.SHORT
_SEC_LINK = SecurityStatus.SECURED_LINK_KEY
_SEC_NWK = SecurityStatus.SECURED_NWK_KEY
_UNSECURED = SecurityStatus.UNSECURED
_A_SUCCESS = ApsStatus.SUCCESS


def command_name(cid: int) -> str:
    """Stats key of an APS command identifier."""
    try:
        return ApsCommandId(cid).name
    except ValueError:
        return f"0x{cid:02x}"


#: recent fingerprints, each its own key: every router that keeps a broadcast in its duplicate
#: table (a formation's device announcements fill all of them) holds the same object, not one
#: of its own (1.8 KB a router at the peak of a dense formation); emptied at the bound
_FINGERPRINTS: dict[bytes, bytes] = {}
_FINGERPRINTS_MAX = 1024


def _fingerprint(frame: ApsFrame, payload: bytes) -> bytes:
    """What makes a frame the same frame again (duplicate rejection): its addressing and
    plaintext payload. A retransmission has them all; another frame under the same source and
    counter (a recycled counter, a forgery) does not. One object for equal fingerprints made
    in a row (:data:`_FINGERPRINTS`)."""
    fp = (
        bytes(
            (
                frame.dst_endpoint or 0,
                frame.src_endpoint or 0,
                (frame.cluster_id or 0) & 0xFF,
                (frame.cluster_id or 0) >> 8,
                (frame.profile_id or 0) & 0xFF,
                (frame.profile_id or 0) >> 8,
                (frame.group_address or 0) & 0xFF,
                (frame.group_address or 0) >> 8,
            )
        )
        + payload
    )
    if len(_FINGERPRINTS) >= _FINGERPRINTS_MAX:
        _FINGERPRINTS.clear()
    return _FINGERPRINTS.setdefault(fp, fp)


class Receiver:
    """The receive path of one :class:`~zigmesh.aps.aps.Aps` (module docstring)."""

    __slots__ = ("_aps",)

    def __init__(self, aps: Aps) -> None:
        self._aps = aps

    def targets(self, endpoint: int | None) -> tuple[int, ...]:
        """Local endpoints a frame for ``endpoint`` goes to (0xFF: every application one)."""
        aps = self._aps
        if endpoint == _BROADCAST_ENDPOINT:
            return aps.app_endpoints
        if endpoint is not None and endpoint in aps.handlers:
            return (endpoint,)
        return ()

    def indicate(
        self,
        eps: tuple[int, ...],
        dst_mode: ApsAddrMode,
        dst_address: int,
        src: int,
        src_endpoint: int,
        profile_id: int,
        cluster_id: int,
        asdu: bytes,
        sec_status: SecurityStatus,
        lqi: int,
        rx_time: int,
        src_ieee: int | None,
        hops: int,
        counter: int,
    ) -> None:
        """APSDE-DATA.indication to each of ``eps`` that is (still) registered."""
        aps = self._aps
        endpoints = aps.handlers
        stats = aps.stats
        for ep in eps:
            handler = endpoints.get(ep)
            if handler is None:
                continue
            stats.indications += 1
            handler(
                ApsdeDataIndication(
                    dst_mode,
                    dst_address,
                    ep,
                    _SHORT,
                    src,
                    src_endpoint,
                    profile_id,
                    cluster_id,
                    asdu,
                    _A_SUCCESS,
                    sec_status,
                    lqi,
                    rx_time,
                    src_ieee,
                    hops,
                    counter,
                )
            )

    def indicate_unicast(
        self,
        eps: tuple[int, ...],
        src: int,
        src_endpoint: int,
        profile_id: int,
        cluster_id: int,
        asdu: bytes,
        sec_status: SecurityStatus,
        lqi: int,
        rx_time: int,
        src_ieee: int | None,
        hops: int,
        counter: int,
    ) -> None:
        """Indicate a unicast ASDU for this device (the reassembler's entry point)."""
        self.indicate(
            eps,
            _SHORT,
            self._aps.nwk.address,
            src,
            src_endpoint,
            profile_id,
            cluster_id,
            asdu,
            sec_status,
            lqi,
            rx_time,
            src_ieee,
            hops,
            counter,
        )

    def send_ack(self, to: AckTo, ext: ExtendedHeader | None = None) -> None:
        """APS ACK (2.2.8.4.2): a data ack echoes the frame's endpoints swapped, cluster,
        profile and counter; a command ack (``to.dst_endpoint`` None) only the counter. It is
        APS-secured the way the acknowledged frame was, and NWK-secured if it was."""
        aps = self._aps
        if to.dst_endpoint is None:
            frame = ApsFrame(_ACK, _UNICAST, False, counter=to.counter, extended_header=ext)
        else:
            frame = ApsFrame(
                _ACK,
                _UNICAST,
                False,
                to.dst_endpoint,
                None,
                to.cluster_id,
                to.profile_id,
                to.src_endpoint,
                to.counter,
                ext,
            )
        if to.key_id is None:
            nsdu = frame.encode()
        else:
            hdr = frame.header()
            try:
                nsdu = aps.security.seal(
                    bytes((hdr[0] | FC_SECURITY,)) + hdr[1:],
                    b"",
                    to.key_id,
                    to.partner,
                    to.ext_nonce,
                )
            except SecurityError:
                aps.stats.drop("ack_not_secured")
                return
        aps.stats.acks_sent += 1
        aps.nlde(_NWK, to.dst, nsdu, 0, to.nwk_security, None)

    # -- NLDE-DATA.indication ---------------------------------------------------------------

    def rx(self, ind: NldeDataIndication) -> None:
        aps = self._aps
        stats = aps.stats
        stats.rx_frames += 1
        data = ind.nsdu
        try:
            frame, aux_offset = ApsFrame._decode(data)
        except DecodeError:
            stats.drop("decode_error")
            return
        ft = data[0] & 0x03  # branch on plain ints
        if ft == 3:
            stats.drop("inter_pan")
            return
        src_ieee = ind.src_ieee
        if src_ieee is None:
            src_ieee = aps.nwk.address_map.ieee_of(ind.src_addr)
        aux = frame.aux
        if src_ieee is None and ft == 2 and aux is not None:
            # an ACK from a device we address by IEEE only: the pending transmission knows it
            tx = aps.acks.get((ind.src_addr, frame.counter or 0))
            if tx is not None and tx.sec is not None:
                src_ieee = tx.sec.partner
        if aux is None:
            payload = frame.payload
            key_id: int | None = None
            sec_status = _SEC_NWK if ind.security_use else _UNSECURED
        else:
            try:
                payload = aps.security.open(data, aux, aux_offset, src_ieee)
            except RxDrop as e:
                stats.drop(e.reason)
                return
            if aux.source is not None:
                src_ieee = aux.source
            key_id = int(aux.key_id)
            sec_status = _SEC_NWK if key_id == _NETWORK_KEY else _SEC_LINK
        counter = frame.counter
        assert counter is not None  # data, ack and command frames all carry one
        if ft == 0:
            self._data(ind, frame, payload, counter, key_id, src_ieee, sec_status)
        elif ft == 2:
            self._ack(ind, frame, counter, key_id)
        else:
            self._command(ind, frame, payload, counter, key_id, src_ieee)

    @staticmethod
    def _ack_to(
        ind: NldeDataIndication,
        frame: ApsFrame,
        counter: int,
        key_id: int | None,
        src_ieee: int | None,
    ) -> AckTo:
        return AckTo(
            ind.src_addr,
            frame.src_endpoint,
            frame.cluster_id,
            frame.profile_id,
            frame.dst_endpoint,
            counter,
            key_id,
            src_ieee,
            # a secured ACK always carries our IEEE address: its receiver may not have us in
            # its address map (ZBOSS puts the extended nonce in every APS-secured frame)
            True,
            ind.security_use,
        )

    def _data(
        self,
        ind: NldeDataIndication,
        frame: ApsFrame,
        payload: bytes,
        counter: int,
        key_id: int | None,
        src_ieee: int | None,
        sec_status: SecurityStatus,
    ) -> None:
        aps = self._aps
        stats = aps.stats
        dm = frame.delivery_mode
        if dm == _GROUP:
            group = frame.group_address
            assert group is not None
            registered = aps.handlers
            eps = tuple(e for e in aps.group_table.endpoints(group) if e in registered)
            if not eps:
                stats.drop("not_in_group")
                return
            dst_mode = ApsAddrMode.GROUP
            dst_address = group
        elif dm in (_UNICAST, _BROADCAST):
            eps = self.targets(frame.dst_endpoint)
            if not eps:
                stats.drop("unknown_endpoint")
                return
            dst_mode = _SHORT
            dst_address = ind.dst_addr
        else:
            stats.drop("unsupported_delivery")
            return
        src = ind.src_addr
        ack = frame.ack_request and dm == _UNICAST and ind.dst_addr < _BROADCAST_MIN
        ext = frame.extended_header
        if ext is not None and ext.fragmentation != 0:
            if not ack:
                stats.drop("bad_fragment")
                return
            aps.reassembler.block(
                ind,
                frame,
                payload,
                self._ack_to(ind, frame, counter, key_id, src_ieee),
                eps,
                sec_status,
                src_ieee,
            )
            return
        if aps.duplicates.check_and_add(
            src, counter, aps.clock.now(), _fingerprint(frame, payload)
        ):
            stats.duplicates_rejected += 1
            if ack:
                self.send_ack(self._ack_to(ind, frame, counter, key_id, src_ieee))
            return
        if ack:
            self.send_ack(self._ack_to(ind, frame, counter, key_id, src_ieee))
        src_ep = frame.src_endpoint
        profile = frame.profile_id
        cluster = frame.cluster_id
        assert src_ep is not None and profile is not None and cluster is not None
        self.indicate(
            eps,
            dst_mode,
            dst_address,
            src,
            src_ep,
            profile,
            cluster,
            payload,
            sec_status,
            ind.link_quality,
            ind.rx_time,
            src_ieee,
            ind.hops,
            counter,
        )

    def _ack(
        self, ind: NldeDataIndication, frame: ApsFrame, counter: int, key_id: int | None
    ) -> None:
        aps = self._aps
        key = (ind.src_addr, counter)
        ext = frame.extended_header
        if ext is not None and ext.block_number is not None:
            fs = aps.frag_tx.get(key)
            if fs is None or ext.ack_bitfield is None:
                aps.stats.drop("ack_unmatched")
                return
            if fs.secured and key_id is None:
                aps.stats.drop("ack_unsecured")
                return
            fs.on_ack(ext.block_number, ext.ack_bitfield)
            return
        tx = aps.acks.get(key)
        if tx is None:
            aps.stats.drop("ack_unmatched")
            return
        if tx.sec is not None and key_id is None:
            aps.stats.drop("ack_unsecured")
            return
        tx.acked()

    def _command(
        self,
        ind: NldeDataIndication,
        frame: ApsFrame,
        payload: bytes,
        counter: int,
        key_id: int | None,
        src_ieee: int | None,
    ) -> None:
        aps = self._aps
        stats = aps.stats
        try:
            command = decode_command(payload)
        except (DecodeError, ValueError, LocalProtocolError):
            stats.drop("decode_error")
            return
        src = ind.src_addr
        # a command nobody here can act on is dropped unacknowledged (its sender learns it)
        user = aps.apsme_user
        child = None
        tunnel_dest = 0
        if isinstance(command, Tunnel):
            tunnel_dest = command.dest
            child = aps.nwk.neighbors.get_by_ieee(tunnel_dest)
            if child is None or not child.is_child:
                stats.drop("tunnel_not_child")
                return
        elif user is None:
            stats.drop("no_apsme_user")
            return
        ack = (
            frame.ack_request and frame.delivery_mode == _UNICAST and ind.dst_addr < _BROADCAST_MIN
        )
        # a command that came NWK-unsecured is a parent relaying the trust center's
        # Transport-Key to us while we join: its APS counter is the trust center's, not the
        # parent's, so remembering it under the parent's address would reject the parent's own
        # frame with that counter later as a duplicate (acknowledged, never delivered). A
        # repeated Transport-Key is harmless; it is not remembered.
        if ind.security_use and aps.duplicates.check_and_add(
            src, counter, aps.clock.now(), _fingerprint(frame, payload)
        ):
            stats.duplicates_rejected += 1
            if ack:
                self.send_ack(self._ack_to(ind, frame, counter, key_id, src_ieee))
            return
        if ack:
            self.send_ack(self._ack_to(ind, frame, counter, key_id, src_ieee))
        bump(stats.commands_received, command_name(command.command_id))
        if child is not None:
            stats.tunnels_forwarded += 1
            if aps.on_tunnel_forwarded is not None:
                aps.on_tunnel_forwarded(tunnel_dest)
            # relay the tunnelled bytes verbatim (a re-encode could change reserved bits)
            aps.send_raw(child.network_address, payload[9:], nwk_security=False)
            return
        assert user is not None
        user(
            ApsmeCommandIndication(
                command,
                src,
                src_ieee,
                None if key_id is None else _KEY_IDS[key_id],
                ind.security_use,
                ind.link_quality,
                ind.rx_time,
            )
        )
