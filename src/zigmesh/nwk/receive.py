"""The NWK receive path (Zigbee spec 3.6.2 frame dispatch, 4.3.1.2 incoming security).

:func:`receive` takes every MCPS-DATA.indication of a :class:`~zigmesh.nwk.nwk.Nwk`: it decodes
the frame, opens it with the installed NWK security (dropping and counting failures by reason),
drops unsecured frames while security is active, copies of unicasts already seen and MAC
broadcasts an rx-off end device should get from its parent, then hands data frames to
broadcast / routing / delivery and commands to :func:`receive_command`. Nothing here raises on
input from the air.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zigmesh.codec import memo_bytes_decoder
from zigmesh.errors import DecodeError
from zigmesh.mac.frames import AddrMode
from zigmesh.mac.primitives import McpsDataIndication
from zigmesh.nwk.address import CHECK_DROP, CHECK_OK
from zigmesh.nwk.commands import (
    EndDeviceTimeoutRequest,
    EndDeviceTimeoutResponse,
    Leave,
    LinkStatus,
    NetworkReport,
    NetworkStatus,
    NetworkUpdate,
    NwkStatusCode,
    RejoinRequest,
    RejoinResponse,
    RouteRecord,
    RouteReply,
    RouteRequest,
    decode_command,
)
from zigmesh.nwk.constants import (
    BROADCAST_ADDRESS_MIN,
    MAX_UNICAST_ADDRESS,
    NWKC_PROTOCOL_VERSION,
    UNASSIGNED_ADDRESS,
    S,
)
from zigmesh.nwk.frames import NWK_DECODED, NwkFrame, NwkFrameType
from zigmesh.nwk.security import NwkSecurityDrop
from zigmesh.nwk.tables import DeviceType, NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = ["receive", "receive_command"]

_BROADCAST_MIN = BROADCAST_ADDRESS_MIN
_MAC_BROADCAST = 0xFFFF
_DATA = NwkFrameType.DATA
_COMMAND = NwkFrameType.COMMAND
_UNAUTH_CHILD = Relationship.UNAUTHENTICATED_CHILD
_END_DEVICE = DeviceType.END_DEVICE
_SHORT = AddrMode.SHORT
#: a unicast data frame with the same source and sequence number within this long is a copy
#: (NWK retries are 50 ms apart, at most 3 of them; sequence numbers wrap after 256 frames)
_UNICAST_DUP_WINDOW_US = 2 * S
#: ``Nwk._unicast_seen`` sizes: above the first, old entries leave from the front at each
#: unicast heard; above the second, all of them (a relay near a concentrator of 10,000 nodes
#: hears hundreds a minute: kept to 512, the tables were 3 KB a node)
_UNICAST_SEEN_QUIET = 16
_UNICAST_SEEN_MAX = 512
#: the decoders memoised: every receiver of a broadcast gets the same (frozen) frame and command
_decode_frame = NWK_DECODED.bytes_decoder()
_decode_command = memo_bytes_decoder(decode_command)


def receive(nwk: Nwk, ind: McpsDataIndication) -> None:
    """MCPS-DATA.indication: :func:`receive_data` with the primitive's fields."""
    receive_data(
        (nwk,),
        (ind.mpdu_link_quality,),
        ind.msdu,
        ind.src_addr_mode,
        ind.src_addr,
        ind.dst_addr,
        ind.timestamp,
        ind.frame_pending,
    )


def receive_data(
    nwks: Sequence[Nwk],
    lqis: Sequence[int],
    data: bytes,
    src_addr_mode: AddrMode,
    src_addr: int | None,
    dst_addr: int | None,
    now: int,
    frame_pending: bool,
) -> None:
    """The fields of an MCPS-DATA.indication the NWK layer reads (the MAC's data sink,
    :data:`zigmesh.mac.defs.DataSink`: no primitive built per frame heard), for the NWK
    layers ``nwks`` that heard it, each with its LQI (one, or every receiver of a broadcast):
    decode, open (NWK security), drop by reason or dispatch a frame from the air (Zigbee spec
    3.6.2, 4.3.1.2), receiver by receiver in their order. The frame is decoded, and an
    unsecured link status read, once for all of them. Never raises: bad frames are counted."""
    secured = len(data) > 1 and data[1] & 0x02
    decoded: NwkFrame | None
    try:
        decoded = _decode_frame(data)
    except DecodeError:
        decoded = None
    prev_hop = UNASSIGNED_ADDRESS
    if src_addr is not None and src_addr_mode == _SHORT:
        prev_hop = src_addr
    mac_broadcast = dst_addr == _MAC_BROADCAST
    # what every receiver reads of the frame's header (NWK security opens the payload only)
    version_ok = False
    aux0 = None
    addressed_ieee = False
    ft: NwkFrameType | int = _DATA
    if decoded is not None:
        version_ok = decoded.protocol_version == NWKC_PROTOCOL_VERSION
        aux0 = decoded.aux
        addressed_ieee = decoded.src_ieee is not None or decoded.dst_ieee is not None
        ft = decoded.frame_type
    # an unsecured link status (most of what a router in a dense network hears): its command
    # read once, handed to each router as receive_command would
    link_status: LinkStatus | None = None
    if decoded is not None and aux0 is None and ft == _COMMAND:
        try:
            cmd = _decode_command(decoded.payload)
        except DecodeError:
            cmd = None
        if type(cmd) is LinkStatus:
            link_status = cmd
    # a link status sent by its MAC sender itself, naming it by IEEE address (every link
    # status a router sends): a router keeping no entry for the sender may refuse it at once
    # (most link statuses in a dense network: 59 % of the 10,000-node bench's receptions)
    ls_src = -1
    ls_ieee = 0
    if link_status is not None:
        assert decoded is not None
        s = decoded.src
        s_ieee = decoded.src_ieee
        if (
            s == prev_hop
            and s <= MAX_UNICAST_ADDRESS
            and s_ieee is not None
            and decoded.dst_ieee is None
        ):
            ls_src = s
            ls_ieee = s_ieee
    for nwk, lqi in zip(nwks, lqis, strict=True):
        stats = nwk.stats
        sec = nwk.security
        if secured and sec is not None and not sec.active:
            # a secured frame before we hold the network key (a joining device hears plenty):
            # dropped before it costs a decode
            stats.rx_security_dropped += 1
            stats.rx_sec_no_key += 1
            continue
        if decoded is None:
            stats.rx_decode_error += 1
            continue
        frame = decoded
        if not version_ok:
            stats.rx_bad_version += 1
            continue
        dt = nwk.device_type  # read again below once anything has been called
        if mac_broadcast and dt == _END_DEVICE and not nwk.mac.pib.mac_rx_on_when_idle:
            # an rx-off end device gets broadcasts from its parent's queue (3.6.5), never
            # from the air while it happens to be awake: a frame heard so would move the
            # parent's frame counter past the frames still waiting for it there
            stats.rx_broadcast_ignored += 1
            continue
        # the MAC sender's neighbour entry, looked up once (security check and LQI below)
        nbr: NeighborEntry | None = None
        looked_up = False
        if aux0 is not None:
            if sec is None:
                stats.rx_security_dropped += 1
                continue
            source = aux0.source
            if source is not None:
                if src_addr_mode == _SHORT:
                    # == _secured_by_sender, inline for the usual short MAC source
                    sa = src_addr
                    if sa is not None:
                        nbr = nwk.neighbors.get(sa)
                        looked_up = sa != UNASSIGNED_ADDRESS
                        if nbr is not None:
                            known = nbr.extended_address
                            if known is not None and known != source:
                                stats.rx_security_dropped += 1
                                stats.rx_sec_source += 1
                                continue
                elif not _secured_by_sender(src_addr_mode, src_addr, source, nbr):
                    stats.rx_security_dropped += 1
                    stats.rx_sec_source += 1
                    continue
            try:
                frame = sec.unsecure(data, frame)
            except NwkSecurityDrop as e:
                stats.rx_security_dropped += 1
                reason = "rx_sec_" + e.reason
                if hasattr(stats, reason):
                    setattr(stats, reason, getattr(stats, reason) + 1)
                continue
            except Exception:  # noqa: BLE001 - any failure of the hook drops the frame
                stats.rx_security_dropped += 1
                continue
        elif sec is not None and sec.active:
            # NWK security is on: unsecured frames are not accepted (4.3.1.2)
            stats.rx_unsecured += 1
            continue
        stats.rx_frames += 1
        dt = nwk.device_type  # (security hooks above may have run)
        if dt is None:
            # only a rejoin response can matter before we are in a network
            if nwk.join.in_rejoin and frame.frame_type == _COMMAND:
                receive_command(nwk, frame, prev_hop, lqi, now, data)
            else:
                stats.rx_not_joined += 1
            continue
        if frame_pending and dt == _END_DEVICE:
            nwk.child.frame_pending()
        if not looked_up:
            nbr = nwk.neighbors.get(prev_hop) if prev_hop != UNASSIGNED_ADDRESS else None
        if (
            nbr is None
            and ls_src >= 0
            and dt != _END_DEVICE
            and nwk.neighbors.refuses_stranger(ls_ieee, lqi)
            and ls_src != nwk.nib.nwk_network_address
        ):
            known = nwk.address_map.ieee_of(ls_src)
            if known is None or known == ls_ieee:
                # what check_frame (no conflict, nothing learnt) and on_link_status (refused:
                # a full table of better links) do with it: nothing
                continue
        if nbr is not None:
            if nbr.relationship == _UNAUTH_CHILD and frame.aux is not None:
                # its first NWK-secured frame: the child holds the network key
                nwk.neighbors.set_relationship(nbr, Relationship.CHILD)
                nwk.update_beacon()  # a pending join is through: capacity again
                nwk.pan_conflict.child_ready(prev_hop)
            # exponentially smoothed LQI (weight 1/4 to the new frame)
            nwk.neighbors.set_lqi(nbr, (3 * nbr.lqi + lqi + 2) >> 2 if nbr.lqi else lqi)
            nbr.last_heard_us = now
            if nbr.device_type == _END_DEVICE and nbr.is_child:
                nwk.neighbors.keepalive(prev_hop, now)
        if addressed_ieee:
            # (one neighbour lookup for the frame: the MAC sender's entry is the NWK source's
            # when they are the same device, as for every link status)
            src = frame.src
            found = nwk.addressing.check_frame(
                frame, nbr if src == prev_hop else nwk.neighbors.get(src)
            )
            if found != CHECK_OK:
                if found == CHECK_DROP:
                    continue
                # the conflict's resolution may have changed the neighbour table
                nbr = nwk.neighbors.get(prev_hop) if prev_hop != UNASSIGNED_ADDRESS else None
        if ft == _COMMAND:
            if link_status is not None:
                # == receive_command's link status branch
                dt = nwk.device_type
                if dt is not None and dt != _END_DEVICE:
                    nwk.link_status.on_link_status(frame, link_status, prev_hop, lqi, now, nbr)
            else:
                receive_command(nwk, frame, prev_hop, lqi, now, data, nbr)
        elif ft != _DATA:
            stats.drop_other += 1
        elif frame.dst >= _BROADCAST_MIN:
            nwk.broadcaster.on_receive(frame, prev_hop, lqi, now, data)
        else:
            _receive_unicast(nwk, frame, prev_hop, nbr, lqi, now)


def _receive_unicast(
    nwk: Nwk, frame: NwkFrame, prev_hop: int, nbr: NeighborEntry | None, lqi: int, now: int
) -> None:
    """A unicast NWK data frame that passed :func:`receive_data`'s checks at ``nwk``: unless
    a copy seen already, delivered, source-routed or relayed (3.6.3.3)."""
    stats = nwk.stats
    dst = frame.dst
    # a unicast seen already (a previous hop's NWK retry after a lost MAC ACK): relaying or
    # delivering it again would multiply the copies at every hop
    # (each entry: time << 16 | the neighbour it came from)
    key = frame.src << 8 | frame.seq
    seen = nwk._unicast_seen
    v = seen.get(key)
    me = nwk.nib.nwk_network_address
    dup = v is not None and now - (v >> 16) < _UNICAST_DUP_WINDOW_US
    if dup or (frame.src == me and dst != me and frame.source_route is None):
        # a copy, or back round a loop: from another neighbour than the first time, or our
        # own frame come back (the route loops)
        stats.rx_duplicate_unicast += 1
        if (
            dst != me
            and frame.source_route is None
            and (not dup or (v is not None and prev_hop != v & 0xFFFF))
            and nwk.routing.on_loop(frame, prev_hop)
        ):
            seen[key] = now << 16 | prev_hop
        return
    seen[key] = now << 16 | prev_hop
    if len(seen) > _UNICAST_SEEN_QUIET:
        _forget_unicasts(seen, now)
    if prev_hop != frame.src:
        if nbr is not None:
            child = nwk.neighbors.get(frame.src)
            if child is not None and child.is_child and child.device_type == DeviceType.END_DEVICE:
                nwk.parent.child_moved(frame.src, frame.seq)
    elif nbr is not None and nbr.is_child and nbr.device_type == DeviceType.END_DEVICE:
        nwk.parent.child_frame(prev_hop, frame.seq)
    if frame.source_route is not None:
        nwk.routing.on_source_routed(frame, prev_hop, lqi, now)
        return
    if dst == nwk.nib.nwk_network_address:
        if nwk.nib.nwk_is_concentrator and frame.source_route is None:
            nwk.mto.learn_from(frame.src, prev_hop, now)
        nwk.deliver(frame, lqi, now, prev_hop, nwk.hops_of(frame))
        return
    if not nwk.is_router:
        stats.drop_other += 1
        return
    nwk.routing.relay(frame, prev_hop)


def _forget_unicasts(seen: dict[int, int], now: int) -> None:
    """Drop the entries of ``Nwk._unicast_seen`` older than the duplicate window: from the
    front (insertion order, oldest first) up to the first live one, and every old one when
    the table passed :data:`_UNICAST_SEEN_MAX` (an entry refreshed in place keeps its place)."""
    old = now - _UNICAST_DUP_WINDOW_US
    if len(seen) > _UNICAST_SEEN_MAX:
        dead = [k for k, v in seen.items() if v >> 16 <= old]
    else:
        dead = []
        for k, v in seen.items():
            if v >> 16 > old:
                break
            dead.append(k)
    for k in dead:
        del seen[k]


def _secured_by_sender(
    src_addr_mode: AddrMode, src_addr: int | None, source: int, sender: NeighborEntry | None
) -> bool:
    """NWK security is hop by hop (4.3.1.1): every hop secures the frame it sends under its
    own extended address, the auxiliary header's source. When we know the IEEE address of the
    MAC sender (a neighbour whose own frames told us, or an extended MAC source), a frame
    secured by another device did not come from it: a network key holder's forgery sent under
    a neighbour's address (issue 9's hostile campaign: such frames dropped sleepy children,
    forged announcements and Network Updates). Checked before the frame counter is touched.
    ``sender``: our neighbour entry of a short MAC source (None if unknown or none)."""
    if src_addr_mode == AddrMode.SHORT:
        known = sender.extended_address if sender is not None else None
        return known is None or known == source
    if src_addr_mode == AddrMode.EXTENDED and src_addr is not None:
        return int(src_addr) == source
    return True


def receive_command(
    nwk: Nwk,
    frame: NwkFrame,
    prev_hop: int,
    lqi: int,
    now: int,
    data: bytes,
    sender: NeighborEntry | None = None,
) -> None:
    """A NWK command frame from the air (3.4), after :func:`receive_data`'s checks (``data``:
    its MSDU). ``sender``: our neighbour table entry of ``prev_hop`` (None: none), as
    :func:`receive_data` looked it up once the device is in a network (link status
    processing, which needs one, uses it)."""
    try:
        cmd = _decode_command(frame.payload)
    except DecodeError:
        nwk.stats.rx_decode_error += 1
        return
    t = type(cmd)
    # commands every hop processes (a router: a device type, not an end device's)
    if t is LinkStatus:
        assert isinstance(cmd, LinkStatus)
        dt = nwk.device_type
        if dt is not None and dt != _END_DEVICE:
            nwk.link_status.on_link_status(frame, cmd, prev_hop, lqi, now, sender)
        return
    if t is RouteRequest:
        assert isinstance(cmd, RouteRequest)
        dt = nwk.device_type
        if dt is not None and dt != _END_DEVICE and nwk.router_started:
            nwk.routing.on_route_request(frame, cmd, prev_hop, lqi, now)
        return
    dst = frame.dst
    me = nwk.nib.nwk_network_address
    if t is RejoinResponse:
        assert isinstance(cmd, RejoinResponse)
        if frame.dst_ieee == nwk.ieee or (frame.dst_ieee is None and dst == me):
            nwk.join.on_rejoin_response(frame, cmd, prev_hop, lqi)
            return
    if nwk.device_type is None:
        return
    if t is RouteReply and nwk.is_router:
        assert isinstance(cmd, RouteReply)
        nwk.routing.on_route_reply(frame, cmd, prev_hop, lqi, now)
        return
    if t is RouteRecord and nwk.is_router:
        assert isinstance(cmd, RouteRecord)
        nwk.mto.on_route_record(frame, cmd, prev_hop, now)
        return
    if t is NetworkStatus and dst != me and dst < _BROADCAST_MIN and nwk.is_router:
        assert isinstance(cmd, NetworkStatus)
        if cmd.status == NwkStatusCode.ADDRESS_CONFLICT and nwk.addressing.on_directed_report(
            frame, cmd.dst
        ):
            return  # a concentrator's report for our end device child: resolved here
    if dst >= _BROADCAST_MIN:
        if not nwk.broadcaster.accept_command(frame, prev_hop, now, data):
            return
    elif frame.source_route is not None and dst != me:
        nwk.routing.on_source_routed(frame, prev_hop, lqi, now)
        return
    elif dst != me:
        if t is RejoinRequest and nwk.is_router:
            assert isinstance(cmd, RejoinRequest)
            nwk.join_parent.on_rejoin_request(frame, cmd, prev_hop, lqi)
            return
        if nwk.is_router:
            nwk.routing.relay(frame, prev_hop)
        else:
            nwk.stats.drop_other += 1
        return
    # commands for this device (or a broadcast it accepted)
    if t is NetworkStatus:
        assert isinstance(cmd, NetworkStatus)
        nwk.routing.on_network_status(frame, cmd, prev_hop)
    elif t is Leave:
        assert isinstance(cmd, Leave)
        nwk.leave.on_leave(frame, cmd, prev_hop)
    elif t is RejoinRequest:
        assert isinstance(cmd, RejoinRequest)
        if nwk.is_router:
            nwk.join_parent.on_rejoin_request(frame, cmd, prev_hop, lqi)
    elif t is EndDeviceTimeoutRequest:
        assert isinstance(cmd, EndDeviceTimeoutRequest)
        if nwk.is_router:
            nwk.parent.on_timeout_request(frame, cmd, prev_hop, now)
    elif t is EndDeviceTimeoutResponse:
        assert isinstance(cmd, EndDeviceTimeoutResponse)
        nwk.child.on_timeout_response(cmd)
    elif t is NetworkReport:
        assert isinstance(cmd, NetworkReport)
        nwk.pan_conflict.on_network_report(frame, cmd)  # 3.6.1.13.2
    elif t is NetworkUpdate:
        assert isinstance(cmd, NetworkUpdate)
        nwk.pan_conflict.on_network_update(frame, cmd)
    # link power delta: not used by this stack (accepted, ignored)
