"""ZDP (Zigbee Device Profile, profile 0x0000) message codecs (Zigbee spec R22 2.4.3, 2.4.4).

Every message is the APS payload of a frame to or from endpoint 0: a 1-byte transaction
sequence number then the command fields of its cluster. Responses use the request's cluster id
with bit 15 set. Counts and lengths are derived from the lists on encode; on decode a count
that disagrees with the bytes left is a :class:`DecodeError` naming the count field.
Additional octets after the last known field are ignored, as later revisions append fields
(e.g. R23 TLVs) to existing commands.

The commands live by spec section: :mod:`~zigmesh.zdo.zdp_discovery` (2.4.3.1, 2.4.4.2),
:mod:`~zigmesh.zdo.zdp_binding` (2.4.3.2, 2.4.4.3) and :mod:`~zigmesh.zdo.zdp_mgmt` (2.4.3.3,
2.4.4.4), with cluster ids, statuses and shared codecs in :mod:`~zigmesh.zdo.zdp_common`. This
module re-exports them all and decodes a ZDP payload by cluster id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Self, TypeAlias

from zigmesh.codec import Reader, memo_decoder
from zigmesh.zdo.zdp_binding import (
    BindAddrMode,
    BindReq,
    BindRsp,
    EndDeviceBindReq,
    EndDeviceBindRsp,
    UnbindReq,
    UnbindRsp,
)
from zigmesh.zdo.zdp_common import ZDP_PROFILE_ID, ZdoStatus, ZdpCluster, response_cluster
from zigmesh.zdo.zdp_discovery import (
    ActiveEpReq,
    ActiveEpRsp,
    DeviceAnnce,
    IeeeAddrReq,
    IeeeAddrRsp,
    MatchDescReq,
    MatchDescRsp,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    ParentAnnce,
    ParentAnnceRsp,
    PowerDescReq,
    PowerDescRsp,
    RequestType,
    SimpleDescReq,
    SimpleDescRsp,
)
from zigmesh.zdo.zdp_mgmt import (
    MAX_SCAN_DURATION,
    SCAN_DURATION_CHANGE_CHANNEL,
    SCAN_DURATION_CHANGE_PARAMETERS,
    BindingTableRecord,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtNwkUpdateNotify,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    NeighborDeviceType,
    NeighborTableRecord,
    PermitJoining,
    Relationship,
    RouteStatus,
    RoutingTableRecord,
    RxOnWhenIdle,
)

__all__ = [
    "ActiveEpReq",
    "ActiveEpRsp",
    "BindAddrMode",
    "BindReq",
    "BindRsp",
    "BindingTableRecord",
    "DeviceAnnce",
    "EndDeviceBindReq",
    "EndDeviceBindRsp",
    "IeeeAddrReq",
    "IeeeAddrRsp",
    "MAX_SCAN_DURATION",
    "MatchDescReq",
    "MatchDescRsp",
    "MgmtBindReq",
    "MgmtBindRsp",
    "MgmtLeaveReq",
    "MgmtLeaveRsp",
    "MgmtLqiReq",
    "MgmtLqiRsp",
    "MgmtNwkUpdateNotify",
    "MgmtNwkUpdateReq",
    "MgmtPermitJoiningReq",
    "MgmtPermitJoiningRsp",
    "MgmtRtgReq",
    "MgmtRtgRsp",
    "NeighborDeviceType",
    "NeighborTableRecord",
    "NodeDescReq",
    "NodeDescRsp",
    "NwkAddrReq",
    "NwkAddrRsp",
    "ParentAnnce",
    "ParentAnnceRsp",
    "PermitJoining",
    "PowerDescReq",
    "PowerDescRsp",
    "Relationship",
    "RequestType",
    "RouteStatus",
    "RoutingTableRecord",
    "RxOnWhenIdle",
    "SCAN_DURATION_CHANGE_CHANNEL",
    "SCAN_DURATION_CHANGE_PARAMETERS",
    "SimpleDescReq",
    "SimpleDescRsp",
    "UnbindReq",
    "UnbindRsp",
    "UnknownZdp",
    "ZDP_PROFILE_ID",
    "ZdoStatus",
    "ZdpCluster",
    "ZdpMessage",
    "ZDP_MESSAGE_TYPES",
    "decode_zdp",
    "response_cluster",
]


@dataclass(frozen=True, slots=True)
class UnknownZdp:
    """A ZDP message of a cluster this module does not decode: TSN and the raw rest."""

    cluster_id: int
    tsn: int
    payload: bytes = b""

    @property
    def zdp_cluster(self) -> int:
        return self.cluster_id

    def encode(self) -> bytes:
        return bytes((self.tsn,)) + self.payload

    @classmethod
    def decode(cls, data: bytes, cluster_id: int) -> Self:
        r = Reader(data)
        tsn = r.u8("ZDP.tsn")
        return cls(cluster_id, tsn, r.rest())


ZdpMessage: TypeAlias = (
    NwkAddrReq
    | NwkAddrRsp
    | IeeeAddrReq
    | IeeeAddrRsp
    | NodeDescReq
    | NodeDescRsp
    | PowerDescReq
    | PowerDescRsp
    | SimpleDescReq
    | SimpleDescRsp
    | ActiveEpReq
    | ActiveEpRsp
    | MatchDescReq
    | MatchDescRsp
    | DeviceAnnce
    | ParentAnnce
    | ParentAnnceRsp
    | EndDeviceBindReq
    | EndDeviceBindRsp
    | BindReq
    | BindRsp
    | UnbindReq
    | UnbindRsp
    | MgmtLqiReq
    | MgmtLqiRsp
    | MgmtRtgReq
    | MgmtRtgRsp
    | MgmtBindReq
    | MgmtBindRsp
    | MgmtLeaveReq
    | MgmtLeaveRsp
    | MgmtPermitJoiningReq
    | MgmtPermitJoiningRsp
    | MgmtNwkUpdateReq
    | MgmtNwkUpdateNotify
    | UnknownZdp
)

#: Every message class this module decodes, in cluster id order of appearance above.
ZDP_MESSAGE_TYPES: Final = (
    NwkAddrReq,
    NwkAddrRsp,
    IeeeAddrReq,
    IeeeAddrRsp,
    NodeDescReq,
    NodeDescRsp,
    PowerDescReq,
    PowerDescRsp,
    SimpleDescReq,
    SimpleDescRsp,
    ActiveEpReq,
    ActiveEpRsp,
    MatchDescReq,
    MatchDescRsp,
    DeviceAnnce,
    ParentAnnce,
    ParentAnnceRsp,
    EndDeviceBindReq,
    EndDeviceBindRsp,
    BindReq,
    BindRsp,
    UnbindReq,
    UnbindRsp,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtRtgReq,
    MgmtRtgRsp,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLeaveRsp,
    MgmtPermitJoiningReq,
    MgmtPermitJoiningRsp,
    MgmtNwkUpdateReq,
    MgmtNwkUpdateNotify,
)

_DECODERS: Final[dict[int, Callable[[bytes], ZdpMessage]]] = {
    int(t.zdp_cluster): t.decode for t in ZDP_MESSAGE_TYPES
}
# every router delivers each device announcement it hears (a mass join's floods): one frozen
# message per payload
_DECODERS[int(ZdpCluster.DEVICE_ANNCE)] = memo_decoder(DeviceAnnce.decode)


def decode_zdp(cluster_id: int, payload: bytes) -> ZdpMessage:
    """Decode the APS payload of a ZDP frame for ``cluster_id``.

    Unknown clusters give :class:`UnknownZdp`; bad bytes raise :class:`DecodeError`.
    """
    dec = _DECODERS.get(cluster_id)
    if dec is None:
        return UnknownZdp.decode(payload, cluster_id)
    return dec(payload)
