"""ZDP server: device and service discovery (Zigbee spec R22 2.4.3.1, 2.4.4.2), answered from
the node's real state (NWK neighbour table, endpoints, configuration)."""

from __future__ import annotations

import pytest

from tests.zdo.test_zdo_support import (
    HA,
    LEVEL,
    LIGHT_EP,
    ON_OFF,
    SWITCH_EP,
    add_child,
    add_neighbor,
    make_zdo,
)
from zigmesh.aps.primitives import TxOptions
from zigmesh.nwk.tables import DeviceType
from zigmesh.zdo.config import ZdoConfig
from zigmesh.zdo.descriptors import (
    LogicalType,
    MacCapability,
    PowerDescriptor,
    PowerLevel,
    PowerMode,
    PowerSource,
    ServerMask,
)
from zigmesh.zdo.zdp import (
    ActiveEpReq,
    ActiveEpRsp,
    IeeeAddrReq,
    IeeeAddrRsp,
    MatchDescReq,
    MatchDescRsp,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    PowerDescReq,
    PowerDescRsp,
    RequestType,
    SimpleDescReq,
    SimpleDescRsp,
    UnknownZdp,
    ZdoStatus,
    ZdpCluster,
)

ME = 0x1234
IEEE = 0x00AA000000001234
REQUESTER = 0x0000


def test_nwk_addr_req_single_for_us_answers_unicast_to_the_requester_with_its_tsn() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.indicate(REQUESTER, NwkAddrReq(0x42, IEEE), dst=0xFFFD)
    s = r.aps.one()
    assert (s.dst, s.dst_endpoint, s.src_endpoint, s.profile_id) == (REQUESTER, 0, 0, 0)
    assert s.cluster_id == ZdpCluster.NWK_ADDR_RSP
    # answer to a broadcast request: not APS acknowledged
    assert s.tx_options == TxOptions.NONE
    assert s.msg == NwkAddrRsp(0x42, ZdoStatus.SUCCESS, IEEE, ME)
    assert r.zdo.stats.answered["NWK_ADDR_REQ"] == 1


def test_nwk_addr_req_extended_pages_the_associated_device_list() -> None:
    r = make_zdo(ME, ieee=IEEE, config=ZdoConfig.router(max_zdp_payload=30))
    kids = [0x2000 + i for i in range(12)]
    for i, a in enumerate(kids):
        dt = DeviceType.ROUTER if i % 3 else DeviceType.END_DEVICE
        add_child(r.nwk, a, 0xC0 + i, device_type=dt)
    room = (30 - 14) // 2  # 8 addresses after the 14 bytes of TSN .. StartIndex
    r.aps.indicate(REQUESTER, NwkAddrReq(1, IEEE, RequestType.EXTENDED, 0))
    s = r.aps.one()
    assert s.acked
    assert s.msg == NwkAddrRsp(1, ZdoStatus.SUCCESS, IEEE, ME, 0, tuple(kids[:room]))
    r.aps.indicate(REQUESTER, NwkAddrReq(2, IEEE, RequestType.EXTENDED, room))
    assert r.aps.one().msg == NwkAddrRsp(2, ZdoStatus.SUCCESS, IEEE, ME, room, tuple(kids[room:]))
    # past the end: an empty list (NumAssocDev 0, no StartIndex on the air)
    r.aps.indicate(REQUESTER, NwkAddrReq(3, IEEE, RequestType.EXTENDED, 12))
    assert r.aps.one().msg == NwkAddrRsp(3, ZdoStatus.SUCCESS, IEEE, ME, 0, ())


def test_nwk_addr_req_for_an_end_device_child_is_answered_by_the_parent() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, 0x5555, 0xED01)
    r.aps.indicate(REQUESTER, NwkAddrReq(9, 0xED01), dst=0xFFFD)
    assert r.aps.one().msg == NwkAddrRsp(9, ZdoStatus.SUCCESS, 0xED01, 0x5555)
    r.aps.indicate(REQUESTER, NwkAddrReq(10, 0xED01, RequestType.EXTENDED), dst=0xFFFD)
    assert r.aps.one().msg == NwkAddrRsp(10, ZdoStatus.SUCCESS, 0xED01, 0x5555, 0, ())


def test_nwk_addr_req_for_a_router_child_is_left_to_the_router() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, 0x5555, 0xED01, device_type=DeviceType.ROUTER)
    r.aps.indicate(REQUESTER, NwkAddrReq(9, 0xED01), dst=0xFFFD)
    assert r.aps.take() == []
    assert r.zdo.stats.broadcasts_ignored == 1


def test_nwk_addr_req_unknown_device_broadcast_ignored_unicast_device_not_found() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.indicate(REQUESTER, NwkAddrReq(5, 0xDEAD), dst=0xFFFD)
    assert r.aps.take() == []
    r.aps.indicate(REQUESTER, NwkAddrReq(6, 0xDEAD))
    s = r.aps.one()
    assert s.acked
    assert s.msg == NwkAddrRsp(6, ZdoStatus.DEVICE_NOT_FOUND, 0xDEAD, 0xFFFF)


def test_nwk_addr_req_bad_request_type() -> None:
    r = make_zdo(ME, ieee=IEEE)
    r.aps.indicate(REQUESTER, NwkAddrReq(5, IEEE, 7))
    assert r.aps.one().msg == NwkAddrRsp(5, ZdoStatus.INV_REQUESTTYPE, IEEE, ME)


def test_ieee_addr_req_for_us_single_and_extended() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, 0x7001, 0xAB)
    add_neighbor(r.nwk, 0x0000, 0x01)  # a sibling: not associated
    r.aps.indicate(REQUESTER, IeeeAddrReq(1, ME))
    assert r.aps.one().msg == IeeeAddrRsp(1, ZdoStatus.SUCCESS, IEEE, ME)
    r.aps.indicate(REQUESTER, IeeeAddrReq(2, ME, RequestType.EXTENDED))
    assert r.aps.one().msg == IeeeAddrRsp(2, ZdoStatus.SUCCESS, IEEE, ME, 0, (0x7001,))


def test_ieee_addr_req_for_a_child_and_for_a_stranger() -> None:
    r = make_zdo(ME, ieee=IEEE)
    add_child(r.nwk, 0x7001, 0xAB)
    r.aps.indicate(REQUESTER, IeeeAddrReq(1, 0x7001))
    assert r.aps.one().msg == IeeeAddrRsp(1, ZdoStatus.SUCCESS, 0xAB, 0x7001)
    r.aps.indicate(REQUESTER, IeeeAddrReq(2, 0x7777))
    assert r.aps.one().msg == IeeeAddrRsp(
        2, ZdoStatus.DEVICE_NOT_FOUND, 0xFFFF_FFFF_FFFF_FFFF, 0x7777
    )
    r.aps.indicate(REQUESTER, IeeeAddrReq(3, 0x7777), dst=0xFFFD)
    assert r.aps.take() == []


def test_node_desc_req_describes_the_configuration() -> None:
    cfg = ZdoConfig.coordinator(
        manufacturer_code=0x1037,
        server_mask=ServerMask.PRIMARY_TRUST_CENTER | ServerMask.NETWORK_MANAGER,
    )
    r = make_zdo(0x0000, ieee=IEEE, device_type=DeviceType.COORDINATOR, config=cfg)
    r.aps.indicate(0x4321, NodeDescReq(7, 0x0000))
    msg = r.aps.one().msg
    assert isinstance(msg, NodeDescRsp)
    assert (msg.tsn, msg.status, msg.nwk_addr_of_interest) == (7, ZdoStatus.SUCCESS, 0)
    d = msg.node_descriptor
    assert d is not None
    assert d.logical_type == LogicalType.COORDINATOR
    assert d.manufacturer_code == 0x1037
    assert d.server_mask == ServerMask.PRIMARY_TRUST_CENTER | ServerMask.NETWORK_MANAGER
    assert d.stack_compliance_revision == 22
    assert d.mac_capability_flags == (
        MacCapability.DEVICE_TYPE_FFD
        | MacCapability.MAINS_POWERED
        | MacCapability.RX_ON_WHEN_IDLE
        | MacCapability.ALLOCATE_ADDRESS
    )


def test_end_device_descriptors() -> None:
    r = make_zdo(0x6000, device_type=DeviceType.END_DEVICE)
    r.aps.indicate(0x0000, NodeDescReq(1, 0x6000))
    d = r.aps.one().msg.node_descriptor
    assert d.logical_type == LogicalType.END_DEVICE
    assert d.mac_capability_flags == MacCapability.ALLOCATE_ADDRESS
    r.aps.indicate(0x0000, PowerDescReq(2, 0x6000))
    assert r.aps.one().msg == PowerDescRsp(
        2,
        ZdoStatus.SUCCESS,
        0x6000,
        PowerDescriptor(
            PowerMode.RX_PERIODIC,
            PowerSource.DISPOSABLE_BATTERY,
            PowerSource.DISPOSABLE_BATTERY,
            PowerLevel.PERCENT_100,
        ),
    )


@pytest.mark.parametrize(
    ("req", "rsp"),
    [
        (NodeDescReq, NodeDescRsp),
        (PowerDescReq, PowerDescRsp),
        (ActiveEpReq, ActiveEpRsp),
    ],
)
def test_descriptor_requests_about_other_devices(req: type, rsp: type) -> None:
    r = make_zdo(ME)
    add_child(r.nwk, 0x5001, 0xE1)  # end-device child: we do not cache its descriptors
    add_child(r.nwk, 0x5002, 0xE2, device_type=DeviceType.ROUTER)
    r.aps.indicate(REQUESTER, req(1, 0x5001))
    assert r.aps.one().msg == rsp(1, ZdoStatus.NO_DESCRIPTOR, 0x5001)
    r.aps.indicate(REQUESTER, req(2, 0x5002))
    assert r.aps.one().msg == rsp(2, ZdoStatus.DEVICE_NOT_FOUND, 0x5002)
    r.aps.indicate(REQUESTER, req(3, 0x9999))
    assert r.aps.one().msg == rsp(3, ZdoStatus.DEVICE_NOT_FOUND, 0x9999)
    r.aps.indicate(REQUESTER, req(4, 0x9999), dst=0xFFFF)
    assert r.aps.take() == []
    ed = make_zdo(0x6000, device_type=DeviceType.END_DEVICE)
    ed.aps.indicate(REQUESTER, req(5, 0x9999))
    assert ed.aps.one().msg == rsp(5, ZdoStatus.INV_REQUESTTYPE, 0x9999)


def test_active_ep_and_simple_desc_from_the_endpoint_map() -> None:
    r = make_zdo(ME)
    r.aps.indicate(REQUESTER, ActiveEpReq(1, ME))
    assert r.aps.one().msg == ActiveEpRsp(1, ZdoStatus.SUCCESS, ME, (11, 12))
    r.aps.indicate(REQUESTER, SimpleDescReq(2, ME, 12))
    assert r.aps.one().msg == SimpleDescRsp(2, ZdoStatus.SUCCESS, ME, SWITCH_EP)
    r.aps.indicate(REQUESTER, SimpleDescReq(3, ME, 13))
    assert r.aps.one().msg == SimpleDescRsp(3, ZdoStatus.NOT_ACTIVE, ME)
    for tsn, ep in ((4, 0x00), (5, 0xFF)):
        r.aps.indicate(REQUESTER, SimpleDescReq(tsn, ME, ep))
        assert r.aps.one().msg == SimpleDescRsp(tsn, ZdoStatus.INVALID_EP, ME)
    # endpoints are read at each request
    del r.endpoints[12]
    r.aps.indicate(REQUESTER, ActiveEpReq(6, ME))
    assert r.aps.one().msg == ActiveEpRsp(6, ZdoStatus.SUCCESS, ME, (11,))


def test_match_desc_unicast_lists_matches_or_none() -> None:
    r = make_zdo(ME)
    # a switch (on/off client) looks for on/off servers: our light endpoint 11
    r.aps.indicate(REQUESTER, MatchDescReq(1, ME, HA, (ON_OFF,), ()))
    assert r.aps.one().msg == MatchDescRsp(1, ZdoStatus.SUCCESS, ME, (11,))
    # a light looks for on/off clients: our switch endpoint 12
    r.aps.indicate(REQUESTER, MatchDescReq(2, ME, HA, (), (ON_OFF, 0x0300)))
    assert r.aps.one().msg == MatchDescRsp(2, ZdoStatus.SUCCESS, ME, (12,))
    # both, and the profile wildcard
    r.aps.indicate(REQUESTER, MatchDescReq(3, ME, 0xFFFF, (LEVEL,), (LEVEL,)))
    assert r.aps.one().msg == MatchDescRsp(3, ZdoStatus.SUCCESS, ME, (11, 12))
    # another profile: SUCCESS and an empty list
    r.aps.indicate(REQUESTER, MatchDescReq(4, ME, 0xC05E, (ON_OFF,), ()))
    assert r.aps.one().msg == MatchDescRsp(4, ZdoStatus.SUCCESS, ME, ())
    r.aps.indicate(REQUESTER, MatchDescReq(5, 0x4444, HA, (ON_OFF,), ()))
    assert r.aps.one().msg == MatchDescRsp(5, ZdoStatus.DEVICE_NOT_FOUND, 0x4444)


def test_match_desc_broadcast_answered_only_on_a_match() -> None:
    r = make_zdo(ME)
    r.aps.indicate(REQUESTER, MatchDescReq(1, 0xFFFD, HA, (0x0702,), ()), dst=0xFFFD)
    assert r.aps.take() == []
    r.aps.indicate(REQUESTER, MatchDescReq(2, 0xFFFD, HA, (ON_OFF,), ()), dst=0xFFFD)
    s = r.aps.one()
    assert s.dst == REQUESTER and not s.acked
    # NWKAddrOfInterest of the answer: our own address
    assert s.msg == MatchDescRsp(2, ZdoStatus.SUCCESS, ME, (11,))
    # unicast request with a broadcast NWKAddrOfInterest: same rule, acknowledged answer
    r.aps.indicate(REQUESTER, MatchDescReq(3, 0xFFFF, HA, (0x0702,), ()))
    assert r.aps.take() == []
    r.aps.indicate(REQUESTER, MatchDescReq(4, 0xFFFF, HA, (ON_OFF,), ()))
    s = r.aps.one()
    assert s.acked and s.msg == MatchDescRsp(4, ZdoStatus.SUCCESS, ME, (11,))


def test_unsupported_request_unicast_not_supported_broadcast_ignored() -> None:
    r = make_zdo(ME)
    # Complex_Desc_req (0x0010): not served
    r.aps.indicate(REQUESTER, cluster=0x0010, asdu=bytes((0x33,)) + ME.to_bytes(2, "little"))
    s = r.aps.one()
    assert s.cluster_id == 0x8010 and s.acked
    assert s.asdu == bytes((0x33, ZdoStatus.NOT_SUPPORTED))
    assert r.zdo.stats.not_supported == 1
    r.aps.indicate(REQUESTER, cluster=0x0030, asdu=b"\x34\x00\x08\x00\x00\x03\x00", dst=0xFFFC)
    assert r.aps.take() == []
    assert r.zdo.stats.broadcasts_ignored == 1


def test_system_server_discovery() -> None:
    cfg = ZdoConfig.coordinator(server_mask=ServerMask.PRIMARY_TRUST_CENTER)
    r = make_zdo(0x0000, device_type=DeviceType.COORDINATOR, config=cfg)
    r.aps.indicate(0x4000, cluster=0x0015, asdu=b"\x05\x41\x00", dst=0xFFFD)
    s = r.aps.one()
    assert s.cluster_id == 0x8015 and s.dst == 0x4000
    assert s.msg == UnknownZdp(0x8015, 5, b"\x00\x01\x00")
    # asking for a binding table cache: nobody here
    r.aps.indicate(0x4000, cluster=0x0015, asdu=b"\x06\x04\x00", dst=0xFFFD)
    assert r.aps.take() == []


def test_descriptors_with_light_endpoint_round_trip() -> None:
    """The simple descriptor we answer is the one registered, byte for byte."""
    r = make_zdo(ME, endpoints={11: LIGHT_EP})
    r.aps.indicate(REQUESTER, SimpleDescReq(9, ME, 11))
    s = r.aps.one()
    assert s.asdu[5:] == LIGHT_EP.encode()
    assert s.asdu[4] == len(LIGHT_EP.encode())
