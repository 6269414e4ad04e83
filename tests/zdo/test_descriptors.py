"""Node, power and simple descriptors (Zigbee spec R22 2.3.2.3-2.3.2.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zdo.descriptors import (
    NODE_DESCRIPTOR_SIZE,
    POWER_DESCRIPTOR_SIZE,
    DescriptorCapability,
    FrequencyBand,
    LogicalType,
    MacCapability,
    NodeDescriptor,
    PowerDescriptor,
    PowerLevel,
    PowerMode,
    PowerSource,
    ServerMask,
    SimpleDescriptor,
)

# --- vectors (hand-assembled from the figures cited) -------------------------------------------

#: Figure 2-20: a coordinator on 2.4 GHz, capability 0x8F, buffer 80, transfers 160,
#: server mask primary trust center and stack compliance revision 22 (0x2C01).
COORDINATOR_HEX = "00408f000050a000012ca00000"
COORDINATOR = NodeDescriptor(
    LogicalType.COORDINATOR,
    frequency_band=FrequencyBand.BAND_2400_MHZ,
    mac_capability_flags=MacCapability(0x8F),
    manufacturer_code=0x0000,
    maximum_buffer_size=80,
    maximum_incoming_transfer_size=160,
    server_mask=ServerMask.PRIMARY_TRUST_CENTER,
    stack_compliance_revision=22,
    maximum_outgoing_transfer_size=160,
)

#: Figure 2-20: sleepy end device with a user descriptor, manufacturer 0x117C, R21, with the
#: extended active endpoint list available.
END_DEVICE_HEX = "1240807c11525200002a520001"
END_DEVICE = NodeDescriptor(
    LogicalType.END_DEVICE,
    user_descriptor_available=True,
    mac_capability_flags=MacCapability.ALLOCATE_ADDRESS,
    manufacturer_code=0x117C,
    stack_compliance_revision=21,
    descriptor_capability_field=DescriptorCapability.EXTENDED_ACTIVE_ENDPOINT_LIST_AVAILABLE,
)

#: Figure 2-21: mains powered, receiver always on, source level 100 %.
MAINS_HEX = "10c1"
MAINS = PowerDescriptor(
    PowerMode.RX_ON_WHEN_IDLE, PowerSource.MAINS, PowerSource.MAINS, PowerLevel.PERCENT_100
)

#: Figure 2-21: polling device, rechargeable or disposable battery, on disposable at 33 %.
BATTERY_HEX = "6144"
BATTERY = PowerDescriptor(
    PowerMode.RX_PERIODIC,
    PowerSource.RECHARGEABLE_BATTERY | PowerSource.DISPOSABLE_BATTERY,
    PowerSource.DISPOSABLE_BATTERY,
    PowerLevel.PERCENT_33,
)

#: Figure 2-22: HA on/off light on endpoint 1, version 1, in Basic/Identify/On-Off, out OTA.
LIGHT_HEX = "01040100010103000003000600011900"
LIGHT = SimpleDescriptor(1, 0x0104, 0x0100, 1, (0x0000, 0x0003, 0x0006), (0x0019,))


@pytest.mark.parametrize(
    ("cls", "value", "hexstr"),
    [
        (NodeDescriptor, COORDINATOR, COORDINATOR_HEX),
        (NodeDescriptor, END_DEVICE, END_DEVICE_HEX),
        (PowerDescriptor, MAINS, MAINS_HEX),
        (PowerDescriptor, BATTERY, BATTERY_HEX),
        (SimpleDescriptor, LIGHT, LIGHT_HEX),
        (SimpleDescriptor, SimpleDescriptor(242, 0xA1E0, 0x0061), "f2e0a16100000000"),
    ],
)
def test_vectors(cls: type, value: object, hexstr: str) -> None:
    data = bytes.fromhex(hexstr)
    assert value.encode() == data  # type: ignore[attr-defined]
    assert cls.decode(data) == value


def test_sizes() -> None:
    assert len(COORDINATOR.encode()) == NODE_DESCRIPTOR_SIZE == 13
    assert len(MAINS.encode()) == POWER_DESCRIPTOR_SIZE == 2
    assert len(LIGHT) == len(LIGHT.encode()) == 16


def test_server_mask_field() -> None:
    nd = NodeDescriptor(
        LogicalType.ROUTER,
        server_mask=ServerMask.NETWORK_MANAGER | ServerMask.BACKUP_TRUST_CENTER,
        stack_compliance_revision=22,
    )
    assert nd.server_mask_field == 0x0042 | (22 << 9)
    assert NodeDescriptor.decode(nd.encode()).stack_compliance_revision == 22


def test_unknown_enum_values_decode_to_int() -> None:
    nd = NodeDescriptor.decode(bytes.fromhex("07" + COORDINATOR_HEX[2:]))
    assert nd.logical_type == 7 and not isinstance(nd.logical_type, LogicalType)
    pd = PowerDescriptor.decode(bytes.fromhex("0f3f"))
    assert pd.current_power_mode == 0xF and not isinstance(pd.current_power_mode, PowerMode)
    assert pd.current_power_source_level == 0x3
    assert not isinstance(pd.current_power_source_level, PowerLevel)
    assert pd.encode() == bytes.fromhex("0f3f")


def test_reserved_bits_are_dropped() -> None:
    # Node descriptor byte 0 bits 5-7 and byte 1 APS flags (bits 0-2) are reserved / unused.
    nd = NodeDescriptor.decode(bytes.fromhex("e147" + COORDINATOR_HEX[4:]))
    assert nd.logical_type == LogicalType.ROUTER
    assert nd.frequency_band == FrequencyBand.BAND_2400_MHZ
    sd = SimpleDescriptor.decode(bytes.fromhex("0104010001f10000"))
    assert sd.device_version == 1


def test_truncated_and_bad_counts_name_the_field() -> None:
    with pytest.raises(DecodeError) as e:
        NodeDescriptor.decode(bytes.fromhex(COORDINATOR_HEX)[:12])
    assert e.value.field == "NodeDescriptor.descriptor_capability_field"
    assert e.value.offset == 12
    with pytest.raises(DecodeError) as e:
        PowerDescriptor.decode(b"\x10")
    assert e.value.field == "PowerDescriptor.current_power_source"
    # input cluster count 3 but only two clusters follow
    with pytest.raises(DecodeError) as e:
        SimpleDescriptor.decode(bytes.fromhex("0104010001010300000300"))
    assert e.value.field == "SimpleDescriptor.input_cluster_count"
    assert e.value.offset == 6
    with pytest.raises(DecodeError) as e:
        SimpleDescriptor.decode(bytes.fromhex(LIGHT_HEX)[:-1])
    assert e.value.field == "SimpleDescriptor.output_cluster_count"
    with pytest.raises(DecodeError) as e:
        SimpleDescriptor.decode(bytes.fromhex(LIGHT_HEX) + b"\x00")
    assert e.value.field == "SimpleDescriptor"


def test_read_advances_the_cursor() -> None:
    data = bytes.fromhex(LIGHT_HEX + MAINS_HEX)
    r = Reader(data)
    assert SimpleDescriptor.read(r) == LIGHT
    assert PowerDescriptor.read(r) == MAINS
    assert r.at_end()


@pytest.mark.parametrize(
    "bad",
    [
        lambda: NodeDescriptor(8).encode(),
        lambda: NodeDescriptor(LogicalType.ROUTER, frequency_band=FrequencyBand(0x20)).encode(),
        lambda: NodeDescriptor(LogicalType.ROUTER, stack_compliance_revision=128).encode(),
        lambda: NodeDescriptor(LogicalType.ROUTER, server_mask=ServerMask(0x200)).encode(),
        lambda: PowerDescriptor(current_power_mode=16).encode(),
        lambda: PowerDescriptor(current_power_source_level=16).encode(),
        lambda: SimpleDescriptor(1, 0x0104, 0, device_version=16).encode(),
        lambda: SimpleDescriptor(1, 0x0104, 0, input_cluster_list=(0,) * 256).encode(),
    ],
)
def test_encode_rejects_out_of_range(bad: object) -> None:
    with pytest.raises(LocalProtocolError):
        bad()  # type: ignore[operator]


# --- properties ---------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
clusters = st.lists(u16, max_size=12).map(tuple)

node_descriptors = st.builds(
    NodeDescriptor,
    st.integers(0, 7),
    st.booleans(),
    st.booleans(),
    st.integers(0, 0x1F).map(FrequencyBand),
    u8.map(MacCapability),
    u16,
    u8,
    u16,
    st.integers(0, 0x1FF).map(ServerMask),
    st.integers(0, 0x7F),
    u16,
    u8.map(DescriptorCapability),
)
nibble = st.integers(0, 0xF)
power_descriptors = st.builds(
    PowerDescriptor, nibble, nibble.map(PowerSource), nibble.map(PowerSource), nibble
)
simple_descriptors = st.builds(SimpleDescriptor, u8, u16, u16, nibble, clusters, clusters)


@settings(max_examples=200)
@given(node_descriptors)
def test_node_descriptor_round_trip(nd: NodeDescriptor) -> None:
    assert NodeDescriptor.decode(nd.encode()) == nd


@settings(max_examples=200)
@given(power_descriptors)
def test_power_descriptor_round_trip(pd: PowerDescriptor) -> None:
    assert PowerDescriptor.decode(pd.encode()) == pd


@settings(max_examples=200)
@given(simple_descriptors)
def test_simple_descriptor_round_trip(sd: SimpleDescriptor) -> None:
    data = sd.encode()
    assert len(data) == len(sd)
    assert SimpleDescriptor.decode(data) == sd


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_any_bytes_decode_or_decode_error(data: bytes) -> None:
    for cls in (NodeDescriptor, PowerDescriptor, SimpleDescriptor):
        try:
            value = cls.decode(data)
        except DecodeError:
            continue
        # whatever decodes re-encodes to a value that decodes the same
        assert cls.decode(value.encode()) == value
