"""The sample capture shipped in ``examples/join.pcap``, built with zigmesh's own encoders.

A router joins a Zigbee PRO network: active scan (beacon request / beacon), MAC association
(request, data request, indirect association response), the trust center's APS Transport-Key of
the network key (APS-secured with the key-transport key of "ZigBeeAlliance09"), then NWK-secured
traffic: Device_annce, a ZDO Node_Desc exchange and a ZCL Read Attributes exchange on the On/Off
cluster with an APS acknowledgement. Every unicast MAC frame is followed by its ACK.
"""

from __future__ import annotations

from zigmesh.aps.commands import TransportNetworkKey
from zigmesh.aps.frames import ApsFrame, ApsFrameType, DeliveryMode, secure_aps
from zigmesh.mac.commands import (
    AssociationRequest,
    AssociationResponse,
    BeaconRequest,
    CapabilityInformation,
    DataRequest,
)
from zigmesh.mac.frames import Beacon, MacFrame, SuperframeSpec
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame, NwkFrameType, secure_nwk
from zigmesh.phy import TURNAROUND_US, airtime_us
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY
from zigmesh.types import BROADCAST_RX_ON_WHEN_IDLE, MAC_BROADCAST
from zigmesh.zcl.foundation import ReadAttributes, ReadAttributesResponse, ReadAttributeStatusRecord
from zigmesh.zcl.frame import Direction, ZclFrame, ZclHeader
from zigmesh.zcl.types import DataType
from zigmesh.zdo.descriptors import LogicalType, MacCapability, NodeDescriptor
from zigmesh.zdo.zdp import DeviceAnnce, NodeDescReq, NodeDescRsp, ZdoStatus

__all__ = ["NETWORK_KEY", "PAN_ID", "EXTENDED_PAN_ID", "sample_join_frames"]

NETWORK_KEY = bytes.fromhex("01030507090b0d0f00020406080a0c0d")
PAN_ID = 0x1A62
EXTENDED_PAN_ID = 0xDDDDDDDDDDDDDDDD
TC_IEEE = 0x00124B0000000001
JOINER_IEEE = 0x00124B0000000042
JOINER_SHORT = 0x3E7A
PROFILE_HA = 0x0104
CLUSTER_ON_OFF = 0x0006


class _Air:
    """Lays frames out in time: each frame after the previous one plus a gap."""

    def __init__(self) -> None:
        self.t = 1_000_000
        self.frames: list[tuple[int, bytes]] = []
        self.mac_seq = {TC_IEEE: 0x40, JOINER_IEEE: 0x90}
        self.nwk_seq = {TC_IEEE: 0x10, JOINER_IEEE: 0x01}
        self.nwk_fc = {TC_IEEE: 0x100, JOINER_IEEE: 0x0}

    def send(self, psdu: bytes, gap_us: int = 2_000) -> None:
        self.frames.append((self.t, psdu))
        self.t += airtime_us(len(psdu)) + gap_us

    def ack(self, seq: int, pending: bool = False) -> None:
        self.t -= 2_000 - TURNAROUND_US
        self.send(MacFrame.ack(seq, pending).encode())

    def next_mac(self, who: int) -> int:
        s = self.mac_seq[who]
        self.mac_seq[who] = (s + 1) & 0xFF
        return s

    def nwk_secured(self, who: int, src: int, dst: int, payload: bytes, radius: int = 30) -> bytes:
        seq = self.nwk_seq[who]
        self.nwk_seq[who] = (seq + 1) & 0xFF
        fc = self.nwk_fc[who]
        self.nwk_fc[who] = fc + 1
        frame = NwkFrame(
            NwkFrameType.DATA,
            dst,
            src,
            radius,
            seq,
            payload,
            discover_route=DiscoverRoute.ENABLE if dst < 0xFFF8 else DiscoverRoute.SUPPRESS,
            aux=AuxHeader(KeyId.NETWORK_KEY, fc, source=who, key_seq=0),
        )
        return secure_nwk(frame, NETWORK_KEY)


def sample_join_frames() -> list[tuple[int, bytes]]:
    """The frames of the sample capture as ``(time_us, psdu)``; deterministic."""
    air = _Air()
    # -- active scan ------------------------------------------------------------------------
    air.send(
        MacFrame.command(
            BeaconRequest(),
            seq=air.next_mac(JOINER_IEEE),
            dst_pan=MAC_BROADCAST,
            dst_addr=MAC_BROADCAST,
        ).encode(),
        gap_us=1_500,
    )
    zb = ZigbeeBeaconPayload(
        nwk_extended_pan_id=EXTENDED_PAN_ID,
        router_capacity=True,
        end_device_capacity=True,
        device_depth=0,
    )
    sf = SuperframeSpec(pan_coordinator=True, association_permit=True)
    air.send(
        MacFrame.beacon(
            PAN_ID, 0x0000, Beacon(superframe=sf, payload=zb.encode()), seq=air.next_mac(TC_IEEE)
        ).encode(),
        gap_us=200_000,
    )
    # -- association ------------------------------------------------------------------------
    cap = CapabilityInformation(
        device_type_ffd=True,
        power_source_mains=True,
        receiver_on_when_idle=True,
        allocate_address=True,
    )
    s = air.next_mac(JOINER_IEEE)
    air.send(
        MacFrame.command(
            AssociationRequest(cap),
            seq=s,
            dst_pan=PAN_ID,
            dst_addr=0x0000,
            src_pan=MAC_BROADCAST,
            src_addr=JOINER_IEEE,
        ).encode()
    )
    air.ack(s)
    air.t += 490_000
    s = air.next_mac(JOINER_IEEE)
    air.send(
        MacFrame.command(
            DataRequest(), seq=s, dst_pan=PAN_ID, dst_addr=0x0000, src_addr=JOINER_IEEE
        ).encode()
    )
    air.ack(s, pending=True)
    s = air.next_mac(TC_IEEE)
    air.send(
        MacFrame.command(
            AssociationResponse(JOINER_SHORT),
            seq=s,
            dst_pan=PAN_ID,
            dst_addr=JOINER_IEEE,
            src_addr=TC_IEEE,
        ).encode()
    )
    air.ack(s)
    # -- Transport-Key (network key), APS-secured with the key-transport key -----------------
    tk = TransportNetworkKey(NETWORK_KEY, 0, JOINER_IEEE, TC_IEEE)
    aps = ApsFrame(
        ApsFrameType.COMMAND,
        counter=0x21,
        payload=tk.encode(),
        aux=AuxHeader(KeyId.KEY_TRANSPORT_KEY, 0x0, source=TC_IEEE),
    )
    nwk = NwkFrame(
        NwkFrameType.DATA,
        JOINER_SHORT,
        0x0000,
        1,
        air.nwk_seq[TC_IEEE],
        secure_aps(aps, DEFAULT_TC_LINK_KEY),
    )
    air.nwk_seq[TC_IEEE] += 1
    s = air.next_mac(TC_IEEE)
    air.send(MacFrame.data(PAN_ID, JOINER_SHORT, 0x0000, nwk.encode(), seq=s).encode())
    air.ack(s)
    air.t += 50_000
    # -- Device_annce (broadcast to rx-on-when-idle devices) --------------------------------
    caps = (
        MacCapability.DEVICE_TYPE_FFD
        | MacCapability.MAINS_POWERED
        | MacCapability.RX_ON_WHEN_IDLE
        | MacCapability.ALLOCATE_ADDRESS
    )
    annce = ApsFrame(
        ApsFrameType.DATA,
        DeliveryMode.BROADCAST,
        dst_endpoint=0,
        cluster_id=0x0013,
        profile_id=0x0000,
        src_endpoint=0,
        counter=0x01,
        payload=DeviceAnnce(0x01, JOINER_SHORT, JOINER_IEEE, caps).encode(),
    )
    nwk_b = air.nwk_secured(JOINER_IEEE, JOINER_SHORT, BROADCAST_RX_ON_WHEN_IDLE, annce.encode())
    air.send(
        MacFrame.data(
            PAN_ID, MAC_BROADCAST, JOINER_SHORT, nwk_b, seq=air.next_mac(JOINER_IEEE)
        ).encode(),
        gap_us=100_000,
    )

    def unicast(who: int, src: int, dst: int, aps_frame: ApsFrame, gap_us: int = 5_000) -> None:
        payload = air.nwk_secured(who, src, dst, aps_frame.encode())
        seq = air.next_mac(who)
        air.send(MacFrame.data(PAN_ID, dst, src, payload, seq=seq).encode())
        air.ack(seq)
        air.t += gap_us

    # -- ZDO Node_Desc exchange ---------------------------------------------------------------
    unicast(
        TC_IEEE,
        0x0000,
        JOINER_SHORT,
        ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=0,
            cluster_id=0x0002,
            profile_id=0x0000,
            src_endpoint=0,
            counter=0x22,
            payload=NodeDescReq(0x05, JOINER_SHORT).encode(),
        ),
    )
    nd = NodeDescriptor(
        LogicalType.ROUTER,
        mac_capability_flags=caps,
        manufacturer_code=0x1234,
        maximum_buffer_size=82,
        maximum_incoming_transfer_size=82,
        maximum_outgoing_transfer_size=82,
    )
    unicast(
        JOINER_IEEE,
        JOINER_SHORT,
        0x0000,
        ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=0,
            cluster_id=0x8002,
            profile_id=0x0000,
            src_endpoint=0,
            counter=0x02,
            payload=NodeDescRsp(0x05, ZdoStatus.SUCCESS, JOINER_SHORT, nd).encode(),
        ),
        gap_us=300_000,
    )
    # -- ZCL Read Attributes (On/Off) with an APS ACK on the response --------------------------
    req = ZclFrame(
        ZclHeader(tsn=0x31, command_id=ReadAttributes.COMMAND_ID),
        ReadAttributes((0x0000, 0x4003)).encode(),
    )
    unicast(
        TC_IEEE,
        0x0000,
        JOINER_SHORT,
        ApsFrame(
            ApsFrameType.DATA,
            dst_endpoint=1,
            cluster_id=CLUSTER_ON_OFF,
            profile_id=PROFILE_HA,
            src_endpoint=1,
            counter=0x23,
            payload=req.encode(),
        ),
    )
    rsp = ZclFrame(
        ZclHeader(
            direction=Direction.SERVER_TO_CLIENT,
            disable_default_response=True,
            tsn=0x31,
            command_id=ReadAttributesResponse.COMMAND_ID,
        ),
        ReadAttributesResponse(
            (
                ReadAttributeStatusRecord(0x0000, data_type=DataType.BOOL, value=True),
                ReadAttributeStatusRecord(0x4003, data_type=DataType.ENUM8, value=0xFF),
            )
        ).encode(),
    )
    unicast(
        JOINER_IEEE,
        JOINER_SHORT,
        0x0000,
        ApsFrame(
            ApsFrameType.DATA,
            ack_request=True,
            dst_endpoint=1,
            cluster_id=CLUSTER_ON_OFF,
            profile_id=PROFILE_HA,
            src_endpoint=1,
            counter=0x03,
            payload=rsp.encode(),
        ),
    )
    unicast(
        TC_IEEE,
        0x0000,
        JOINER_SHORT,
        ApsFrame(
            ApsFrameType.ACK,
            dst_endpoint=1,
            cluster_id=CLUSTER_ON_OFF,
            profile_id=PROFILE_HA,
            src_endpoint=1,
            counter=0x03,
        ),
    )
    return air.frames
