"""The ZCL engine of an endpoint on the fake APS network: profile-wide requests answered from
the definitions (Read / Write / Undivided / No Response / Discover), the Default Response rules
(ZCL 2.5.12.2) and their statuses, manufacturer-specific attributes and commands."""

from __future__ import annotations

import pytest

from tests.zcl.zclfakes import CONTROLLER, LIGHT, MS, Raw, S, pair
from zigmesh.aps.primitives import ApsAddrMode
from zigmesh.errors import LocalProtocolError
from zigmesh.zcl.cluster import ClientCluster, ServerCluster
from zigmesh.zcl.clusters.control import LEVEL_CONTROL, ON_OFF
from zigmesh.zcl.clusters.general import BASIC
from zigmesh.zcl.definitions import Access, AttributeDef, ClusterDef, CommandDef, Field
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.devices import DIMMABLE_LIGHT, DIMMER_SWITCH
from zigmesh.zcl.engine import ZclEndpoint
from zigmesh.zcl.foundation import (
    AttributeAccess,
    AttributeRecord,
    DefaultResponse,
    DiscoverAttributesExtendedResponse,
    DiscoverAttributesResponse,
    DiscoverCommandsGeneratedResponse,
    DiscoverCommandsReceivedResponse,
    ReadAttributesResponse,
    WriteAttributes,
    WriteAttributesResponse,
    WriteAttributeStatusRecord,
    ZclStatus,
    foundation_frame,
)
from zigmesh.zcl.frame import Direction, FrameType, ZclFrame, ZclHeader
from zigmesh.zcl.types import DataType

DST = Destination.short(LIGHT, 1)
MFR = 0x117C


def _setup() -> tuple[object, ZclEndpoint, ZclEndpoint, Raw]:
    net, ln, cn = pair()
    light = DIMMABLE_LIGHT.create(ln, 1)
    sw = DIMMER_SWITCH.create(cn, 1)
    return net, light, sw, Raw(cn)


def _run(net: object, us: int = 1 * S) -> None:
    net.run(net.clock.now() + us)  # type: ignore[attr-defined]


def test_endpoint_declares_its_simple_descriptor() -> None:
    net, light, sw, _ = _setup()
    d = light.node.endpoints[1]  # type: ignore[attr-defined]
    assert (d.endpoint, d.profile_id, d.device_id) == (1, 0x0104, 0x0101)
    assert d.input_cluster_list == (0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008)
    assert d.output_cluster_list == ()
    assert sw.descriptor.output_cluster_list == (0x0003, 0x0004, 0x0005, 0x0006, 0x0008)


def test_read_attributes_values_and_unsupported() -> None:
    net, light, sw, _ = _setup()
    p = sw.read_attributes(DST, BASIC, ["zcl_version", "manufacturer_name", 0x7777, "power_source"])
    _run(net)
    r = p.result()
    assert r.ok and isinstance(r.response, ReadAttributesResponse)
    recs = r.response.records
    assert [(x.attribute_id, x.status) for x in recs] == [
        (0x0000, ZclStatus.SUCCESS),
        (0x0004, ZclStatus.SUCCESS),
        (0x7777, ZclStatus.UNSUPPORTED_ATTRIBUTE),
        (0x0007, ZclStatus.SUCCESS),
    ]
    assert recs[1].data_type == DataType.STRING and recs[1].value == "zigmesh"
    assert r.attributes() == {0x0000: 8, 0x0004: "zigmesh", 0x0007: 1}
    # the response echoes the sequence number and flips the direction
    assert r.header is not None and r.header.direction == Direction.SERVER_TO_CLIENT


def test_read_response_cut_to_one_frame() -> None:
    net, light, sw, _ = _setup()
    p = sw.read_attributes(DST, BASIC, [0x0004] * 40)  # 40 x 11-octet records
    _run(net)
    r = p.result().response
    assert isinstance(r, ReadAttributesResponse)
    assert 0 < len(r.records) < 40
    assert 3 + sum(4 + 1 + 7 for _ in r.records) <= light.aps.max_asdu_length()


def test_write_attributes_statuses_and_only_valid_ones_written() -> None:
    net, light, sw, _ = _setup()
    oo, lvl, basic = light.servers[6], light.servers[8], light.servers[0]
    recs = (
        AttributeRecord(0x4001, DataType.UINT16, 300),  # on_time: written
        AttributeRecord(0x0000, DataType.BOOL, True),  # on_off: read only
        AttributeRecord(0x4002, DataType.UINT8, 5),  # off_wait_time is uint16
        AttributeRecord(0x4003, DataType.ENUM8, 7),  # start_up_on_off: 0, 1, 2, 0xff only
        AttributeRecord(0x9999, DataType.UINT8, 1),
    )
    p = sw.request(DST, 0x0006, WriteAttributes(recs))
    _run(net)
    r = p.result().response
    assert isinstance(r, WriteAttributesResponse)
    assert r.records == (
        WriteAttributeStatusRecord(ZclStatus.READ_ONLY, 0x0000),
        WriteAttributeStatusRecord(ZclStatus.INVALID_DATA_TYPE, 0x4002),
        WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x4003),
        WriteAttributeStatusRecord(ZclStatus.UNSUPPORTED_ATTRIBUTE, 0x9999),
    )
    assert (oo["on_time"], oo["on_off"], oo["off_wait_time"], oo["start_up_on_off"]) == (
        300,
        False,
        0,
        0xFF,
    )
    # all good: the single SUCCESS octet
    p = sw.write_attributes(DST, LEVEL_CONTROL, {"on_level": 77, "options": 1})
    _run(net)
    assert p.result().response == WriteAttributesResponse(())
    assert (lvl["on_level"], lvl["options"]) == (77, 1)
    # a string too long for the attribute
    p = sw.write_attributes(DST, BASIC, {"location_description": "x" * 17})
    _run(net)
    resp = p.result().response
    assert isinstance(resp, WriteAttributesResponse)
    assert resp.records == (WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x0010),)
    assert basic["location_description"] == ""


def test_write_undivided_writes_none_if_one_fails() -> None:
    net, light, sw, _ = _setup()
    lvl = light.servers[8]
    p = sw.write_attributes(DST, LEVEL_CONTROL, {"on_level": 9, "options": 9}, undivided=True)
    _run(net)
    resp = p.result().response
    assert isinstance(resp, WriteAttributesResponse)
    assert resp.records == (WriteAttributeStatusRecord(ZclStatus.INVALID_VALUE, 0x000F),)
    assert (lvl["on_level"], lvl["options"]) == (0xFF, 0)
    p = sw.write_attributes(DST, LEVEL_CONTROL, {"on_level": 9, "options": 2}, undivided=True)
    _run(net)
    assert p.result().ok and (lvl["on_level"], lvl["options"]) == (9, 2)


def test_write_no_response_writes_silently() -> None:
    net, light, sw, raw = _setup()
    p = sw.write_attributes(DST, LEVEL_CONTROL, {"on_level": 33}, no_response=True)
    _run(net)
    assert p.result().ok and p.result().response is None
    assert light.servers[8]["on_level"] == 33
    assert light.stats.responses_sent == 0 and light.stats.default_responses_sent == 0
    # a bad record: still nothing sent back, nothing changed
    raw.send(foundation_frame(_wnr(0x0011, DataType.UINT16, 1), 5).encode(), 0x0008)
    _run(net)
    assert raw.frames == [] and light.servers[8]["on_level"] == 33


def _wnr(aid: int, dt: DataType, v: int) -> object:
    from zigmesh.zcl.foundation import WriteAttributesNoResponse

    return WriteAttributesNoResponse((AttributeRecord(aid, dt, v),))


def _frame(
    cmd: int,
    payload: bytes = b"",
    *,
    frame_type: FrameType = FrameType.CLUSTER_SPECIFIC,
    ddr: bool = False,
    mfr: int | None = None,
    direction: Direction = Direction.CLIENT_TO_SERVER,
    tsn: int = 0x42,
) -> bytes:
    return ZclFrame(ZclHeader(frame_type, direction, ddr, mfr, tsn, cmd), payload).encode()


@pytest.mark.parametrize(
    ("asdu", "cluster", "status"),
    [
        (_frame(0x01), 0x0006, ZclStatus.SUCCESS),  # On, DDR clear: SUCCESS
        (_frame(0x17), 0x0006, ZclStatus.UNSUP_CLUSTER_COMMAND),
        (_frame(0x17, ddr=True), 0x0006, ZclStatus.UNSUP_CLUSTER_COMMAND),  # errors always
        (_frame(0x01, mfr=MFR), 0x0006, ZclStatus.UNSUP_MANUF_CLUSTER_COMMAND),
        (_frame(0x30, frame_type=FrameType.GLOBAL), 0x0006, ZclStatus.UNSUP_GENERAL_COMMAND),
        (
            _frame(0x30, frame_type=FrameType.GLOBAL, mfr=MFR),
            0x0006,
            ZclStatus.UNSUP_MANUF_GENERAL_COMMAND,
        ),
        (
            _frame(0x00, b"\x10\x00", frame_type=FrameType.GLOBAL, mfr=MFR),
            0x0006,
            ZclStatus.UNSUP_MANUF_GENERAL_COMMAND,
        ),
        # Read Attributes Structured is answered (tests/zcl/test_remaining_structured.py)
        (_frame(0x00, b"\x01"), 0x0008, ZclStatus.MALFORMED_COMMAND),  # level only
        (_frame(0x00, b"\x01", frame_type=FrameType.GLOBAL), 0x0006, ZclStatus.MALFORMED_COMMAND),
        (
            _frame(0x02, b"\x00\x00\x21\x01", frame_type=FrameType.GLOBAL),
            0x0008,
            ZclStatus.MALFORMED_COMMAND,
        ),
        (_frame(0x01), 0x0300, ZclStatus.UNSUPPORTED_CLUSTER),
        (_frame(0x40, b"\x05\x00"), 0x0006, ZclStatus.INVALID_FIELD),  # unknown effect
        (_frame(0x01, b"\x00\x00"), 0x0008, ZclStatus.INVALID_FIELD),  # move at rate 0
        (_frame(0x01, b"\x07\x10"), 0x0008, ZclStatus.INVALID_FIELD),  # unknown move mode
        (_frame(0x02, b"\x05\x10\x00\x00"), 0x0008, ZclStatus.INVALID_FIELD),
    ],
)
def test_default_response_statuses(asdu: bytes, cluster: int, status: ZclStatus) -> None:
    net, light, sw, raw = _setup()
    raw.send(asdu, cluster)
    _run(net)
    h0 = ZclFrame.decode(asdu).header
    assert raw.default_responses() == [DefaultResponse(h0.command_id, status)]
    (f,) = raw.frames
    assert f.header.tsn == h0.tsn and f.header.direction == Direction.SERVER_TO_CLIENT
    assert f.header.manufacturer_code == h0.manufacturer_code and f.header.disable_default_response


def test_no_default_response_when_disabled_broadcast_groupcast_or_to_a_default_response() -> None:
    net, light, sw, raw = _setup()
    raw.send(_frame(0x01, ddr=True), 0x0006)  # success with DDR set: nothing
    _run(net)
    assert raw.frames == [] and light.servers[6]["on_off"] is True
    raw.send(_frame(0x00), 0x0006, dst=0xFFFF, dst_ep=0xFF)  # broadcast: acted on, no answer
    _run(net)
    assert raw.frames == [] and light.servers[6]["on_off"] is False
    raw.send(_frame(0x17), 0x0006, dst=0xFFFD, dst_ep=1)  # broadcast error: still silent
    _run(net)
    assert raw.frames == []
    light.aps.apsme_add_group_request(0x0777, 1)
    raw.send(_frame(0x01), 0x0006, dst=0x0777, mode=ApsAddrMode.GROUP)
    _run(net)
    assert raw.frames == [] and light.servers[6]["on_off"] is True
    dr = DefaultResponse(0x01, ZclStatus.SUCCESS).encode()
    raw.send(_frame(0x0B, dr, frame_type=FrameType.GLOBAL), 0x0006)  # never answered
    raw.send(_frame(0x0B, b"\x01", frame_type=FrameType.GLOBAL), 0x0006)  # even malformed
    _run(net)
    assert raw.frames == []


def test_undecodable_and_reserved_frames_are_dropped_and_counted() -> None:
    net, light, sw, raw = _setup()
    raw.send(b"\x01\x02", 0x0006)  # header too short
    raw.send(b"\x05\x34", 0x0006)  # manufacturer header truncated
    raw.send(b"\x02\x01\x01", 0x0006)  # reserved frame type
    raw.send(b"\x01\x01\x01", 0x0006, dst_ep=1)
    _run(net)
    assert light.stats.malformed == 2 and light.stats.dropped == 1
    assert len(raw.default_responses()) == 1


def test_discover_attributes_and_extended_from_the_definition() -> None:
    net, light, sw, _ = _setup()
    p = sw.discover_attributes(DST, 0x0006)
    _run(net)
    r = p.result().response
    assert isinstance(r, DiscoverAttributesResponse) and r.discovery_complete
    assert [(a.attribute_id, a.data_type) for a in r.records] == [
        (0x0000, DataType.BOOL),
        (0x4000, DataType.BOOL),
        (0x4001, DataType.UINT16),
        (0x4002, DataType.UINT16),
        (0x4003, DataType.ENUM8),
    ]
    p = sw.discover_attributes(DST, 0x0006, 0x4001, 2, extended=True)
    _run(net)
    r2 = p.result().response
    assert isinstance(r2, DiscoverAttributesExtendedResponse) and not r2.discovery_complete
    assert [(a.attribute_id, a.access_control) for a in r2.records] == [
        (0x4001, AttributeAccess.READABLE | AttributeAccess.WRITEABLE),
        (0x4002, AttributeAccess.READABLE | AttributeAccess.WRITEABLE),
    ]
    p = sw.discover_attributes(DST, 0x0006, 0x0000, 1, extended=True)
    _run(net)
    r3 = p.result().response
    assert isinstance(r3, DiscoverAttributesExtendedResponse)
    assert r3.records[0].access_control == AttributeAccess.READABLE | AttributeAccess.REPORTABLE


def test_discover_commands_received_and_generated() -> None:
    net, light, sw, _ = _setup()
    p = sw.discover_commands(DST, 0x0008)
    _run(net)
    r = p.result().response
    assert isinstance(r, DiscoverCommandsReceivedResponse) and r.discovery_complete
    assert r.command_ids == tuple(range(8))
    p = sw.discover_commands(DST, 0x0004, generated=True)
    _run(net)
    g = p.result().response
    assert isinstance(g, DiscoverCommandsGeneratedResponse) and g.command_ids == (0, 1, 2, 3)
    p = sw.discover_commands(DST, 0x0006, 0x02, 2)
    _run(net)
    r2 = p.result().response
    assert isinstance(r2, DiscoverCommandsReceivedResponse)
    assert r2.command_ids == (0x02, 0x40) and not r2.discovery_complete


# -- manufacturer-specific extensions -------------------------------------------------------

ACME = 0x1234
ON_OFF_PLUS = ClusterDef(
    0x0006,
    "on_off",
    (
        *ON_OFF.attributes,
        AttributeDef(0x0000, "acme_mode", DataType.UINT8, Access.RW, 3, manufacturer_code=ACME),
        AttributeDef(0x4444, "acme_flag", DataType.BOOL, Access.RP, manufacturer_code=ACME),
    ),
    (
        *ON_OFF.commands,
        CommandDef(
            0x01, "acme_blink", Direction.CLIENT_TO_SERVER, (Field("times", DataType.UINT8),), ACME
        ),
    ),
)


class AcmeOnOff(ServerCluster):
    DEFINITION = ON_OFF_PLUS

    def __init__(self) -> None:
        super().__init__()
        self.blinks: list[int] = []

    def handlers(self):  # type: ignore[no-untyped-def]
        return {0x01: lambda args, req: self.set("on_off", True) and None}

    def manufacturer_handlers(self):  # type: ignore[no-untyped-def]
        return {(ACME, 0x01): lambda args, req: self.blinks.append(args["times"])}


def test_manufacturer_specific_attributes_and_commands_are_seen_only_with_the_code() -> None:
    net, ln, cn = pair()
    server = AcmeOnOff()
    ZclEndpoint(ln, 1, [server])
    sw = ZclEndpoint(cn, 1, [], [ClientCluster(ON_OFF_PLUS)])
    # same id 0x0000, two attributes: the standard on_off and Acme's mode
    p1 = sw.read_attributes(DST, ON_OFF_PLUS, ["on_off"])
    p2 = sw.read_attributes(DST, ON_OFF_PLUS, ["acme_mode"])
    _run(net)
    assert p1.result().attributes() == {0: False}
    assert p2.result().attributes() == {0: 3}
    assert p2.result().header is not None and p2.result().header.manufacturer_code == ACME
    # the Acme command 0x01 is not the standard On
    p = sw.send_command(DST, ON_OFF_PLUS, "acme_blink", {"times": 4})
    _run(net)
    assert p.result().ok and server.blinks == [4] and server["on_off"] is False
    # discovery with the code lists only Acme's attributes
    p = sw.discover_attributes(DST, 0x0006, manufacturer_code=ACME)
    _run(net)
    r = p.result().response
    assert isinstance(r, DiscoverAttributesResponse)
    assert [a.attribute_id for a in r.records] == [0x0000, 0x4444]
    p = sw.discover_commands(DST, 0x0006, manufacturer_code=ACME)
    _run(net)
    rc = p.result().response
    assert isinstance(rc, DiscoverCommandsReceivedResponse) and rc.command_ids == (0x01,)
    # writes with the code reach only Acme's attribute
    p = sw.write_attributes(DST, ON_OFF_PLUS, {"acme_mode": 9})
    _run(net)
    assert p.result().ok and server["acme_mode"] == 9 and server["on_off"] is False


def test_local_set_is_type_checked() -> None:
    net, light, sw, _ = _setup()
    with pytest.raises(LocalProtocolError):
        light.servers[8]["current_level"] = 300
    with pytest.raises(LocalProtocolError):
        light.servers[8]["no_such"] = 1


def test_request_to_a_silent_device_times_out_and_aps_failure_is_reported() -> None:
    net, light, sw, _ = _setup()
    p = sw.clients[6].command(Destination.short(0x0999, 1), "on", timeout_us=3 * S)
    _run(net, 10 * S)
    r = p.result()
    assert not r.ok and (r.timed_out or r.aps_status is not None)
    # group sends resolve on the APS confirm
    p = sw.clients[6].command(Destination.group(0x0101), "toggle")
    _run(net, 100 * MS)
    assert p.result().ok and p.result().response is None
    assert CONTROLLER != LIGHT
