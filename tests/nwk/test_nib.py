"""NWK information base (Zigbee spec R22 Table 3-58) and NWK constants (Table 3-57)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zigmesh.errors import LocalProtocolError
from zigmesh.nwk import constants as c
from zigmesh.nwk.beacon import NWKC_PROTOCOL_VERSION as BEACON_PROTOCOL_VERSION
from zigmesh.nwk.frames import NWK_PROTOCOL_VERSION
from zigmesh.nwk.nib import _RANGES, AddrAlloc, Nib, NibAttributeId

PROPS = settings(max_examples=250, deadline=None)


# -- constants -----------------------------------------------------------------------------------


def test_table_3_57_conversions() -> None:
    assert c.OCTET_DURATION_US == 32
    assert c.NWKC_ROUTE_DISCOVERY_TIME_US == 10_000_000
    assert c.NWKC_MAX_BROADCAST_JITTER_US == 64_000
    assert c.NWKC_WAIT_BEFORE_VALIDATION_US == 1_280_000
    assert c.NWKC_RREQ_RETRY_INTERVAL_US == 254_016
    assert c.NWKC_MIN_RREQ_JITTER_US == 2_000
    assert c.NWKC_MAX_RREQ_JITTER_US == 128_000
    assert c.NWKC_INITIAL_RREQ_RETRIES == 3
    assert c.NWKC_RREQ_RETRIES == 2
    assert c.NWKC_MAC_FRAME_OVERHEAD == 11
    assert c.NWKC_MIN_HEADER_OVERHEAD == 8
    assert c.NWKC_DEFAULT_SECURITY_LEVEL == 5
    assert c.NWKC_PROTOCOL_VERSION == NWK_PROTOCOL_VERSION == BEACON_PROTOCOL_VERSION == 2
    assert c.NWKC_COORDINATOR_CAPABLE is True


def test_deployed_defaults() -> None:
    assert c.NWK_PASSIVE_ACK_TIMEOUT_US == 500_000
    assert c.NWK_MAX_BROADCAST_RETRIES == 2
    assert c.NWK_NETWORK_BROADCAST_DELIVERY_TIME_US == 9_000_000
    assert c.NWK_UNICAST_RETRIES == 3 and c.NWK_UNICAST_RETRY_DELAY_US == 50_000
    assert c.NWK_LINK_STATUS_PERIOD_US == 15_000_000
    assert c.NWK_ROUTER_AGE_LIMIT == 3
    assert c.NWK_MAX_SOURCE_ROUTE == 12
    assert c.BTT_MIN_ENTRIES == 9 and c.BTT_DEFAULT_ENTRIES == 15
    assert c.NWK_MAX_PAYLOAD == 108
    assert c.NWK_DEFAULT_RADIUS == 30
    # 500 superframe periods = 7.68 s
    assert c.NWK_TRANSACTION_PERSISTENCE_TIME * c.SUPERFRAME_PERIOD_US == 7_680_000


def test_end_device_timeout_table_3_54() -> None:
    assert c.end_device_timeout_us(0) == 10_000_000
    assert c.end_device_timeout_us(1) == 120_000_000
    assert c.end_device_timeout_us(8) == 256 * 60_000_000
    assert c.end_device_timeout_us(14) == 16384 * 60_000_000
    for bad in (-1, 15, 255):
        with pytest.raises(LocalProtocolError):
            c.end_device_timeout_us(bad)


# -- defaults ------------------------------------------------------------------------------------


def test_zigbee_pro_defaults() -> None:
    n = Nib()
    assert n.nwk_pan_id == 0xFFFF
    assert n.nwk_network_address == 0xFFFF
    assert n.nwk_stack_profile == 2
    assert n.nwk_addr_alloc == AddrAlloc.STOCHASTIC and int(AddrAlloc.STOCHASTIC) == 2
    assert n.nwk_use_tree_routing is False
    assert n.nwk_sym_link is True
    assert n.nwk_max_depth == 15
    assert n.nwk_max_source_route == 12
    assert n.nwk_passive_ack_timeout == 500 and n.nwk_passive_ack_timeout_us == 500_000
    assert n.nwk_max_broadcast_retries == 2
    assert n.nwk_network_broadcast_delivery_time_us == 9_000_000
    assert n.nwk_link_status_period_us == 15_000_000
    assert n.nwk_router_age_limit == 3
    assert n.nwk_security_level == 5
    assert n.nwk_end_device_timeout_default == 8
    assert n.nwk_end_device_timeout_default_us == 256 * 60 * 1_000_000
    assert n.nwk_transaction_persistence_time_us == 7_680_000
    assert n.nwk_leave_request_allowed and n.nwk_leave_request_without_rejoin_allowed
    assert n.nwk_report_constant_cost is False
    assert n.nwk_unique_addr is False
    assert n.nwk_manager_addr == 0x0000
    assert n.nwk_concentrator_discovery_time_us == 0


def test_slots() -> None:
    n = Nib()
    with pytest.raises(AttributeError):
        n.nwk_no_such_thing = 1  # type: ignore[attr-defined]


def test_every_field_has_a_range() -> None:
    assert set(Nib.attribute_names()) == set(_RANGES)


# -- get / set -----------------------------------------------------------------------------------


def test_get_by_name_camel_case_and_identifier() -> None:
    n = Nib(nwk_max_depth=7, nwk_pan_id=0x1A62, nwk_extended_pan_id=0xDDDDDDDDDDDDDDDD)
    assert n.get("nwk_max_depth") == n.get("nwkMaxDepth") == n.get(0x85) == 7
    assert n.get("nwkPANId") == n.get(NibAttributeId.NWK_PAN_ID) == 0x1A62
    assert n.get("nwkExtendedPANID") == 0xDDDDDDDDDDDDDDDD
    assert n.get("nwkUpdateId") == n.get(0x94) == 0
    assert n.get("nwk_depth") == 0  # extension, by name only


def test_every_identifier_resolves() -> None:
    n = Nib()
    for attr in NibAttributeId:
        assert n.get(attr) == getattr(n, attr.name.lower())
        n.set(attr, n.get(attr))


@pytest.mark.parametrize("bad", ["nwkNoSuch", "max_depth", 0x87, 0x00, 0x1FF, True, 1.5, None])
def test_unknown_attribute(bad: object) -> None:
    n = Nib()
    with pytest.raises(LocalProtocolError):
        n.get(bad)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        n.set(bad, 0)  # type: ignore[arg-type]


def test_set_validates() -> None:
    n = Nib()
    n.set("nwkMaxBroadcastRetries", 5)
    assert n.nwk_max_broadcast_retries == 5
    with pytest.raises(LocalProtocolError):
        n.set("nwkMaxBroadcastRetries", 6)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_sequence_number", 256)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_pan_id", -1)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_max_routers", 0)  # 1-255
    with pytest.raises(LocalProtocolError):
        n.set("nwk_security_level", 8)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_end_device_timeout_default", 15)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_max_depth", True)  # a bool is not an integer here
    with pytest.raises(LocalProtocolError):
        n.set("nwk_max_depth", "7")  # type: ignore[arg-type]
    assert n.nwk_max_broadcast_retries == 5  # failed sets change nothing


def test_set_booleans() -> None:
    n = Nib()
    n.set("nwkSymLink", 0)
    assert n.nwk_sym_link is False
    n.set("nwk_is_concentrator", True)
    assert n.nwk_is_concentrator is True
    with pytest.raises(LocalProtocolError):
        n.set("nwk_is_concentrator", 2)


def test_network_address_range() -> None:
    n = Nib()
    n.set("nwkNetworkAddress", 0xFFF7)
    n.set("nwkNetworkAddress", 0xFFFF)  # unassigned
    for bcast in (0xFFF8, 0xFFFB, 0xFFFD, 0xFFFE):
        with pytest.raises(LocalProtocolError):
            n.set("nwkNetworkAddress", bcast)
    with pytest.raises(LocalProtocolError):
        n.set("nwk_manager_addr", 0xFFFC)


def test_addr_alloc_reserved() -> None:
    n = Nib()
    n.set("nwkAddrAlloc", AddrAlloc.DISTRIBUTED)
    with pytest.raises(LocalProtocolError):
        n.set("nwkAddrAlloc", 1)
    with pytest.raises(LocalProtocolError):
        n.set("nwkAddrAlloc", 3)


def test_constructor_validates() -> None:
    with pytest.raises(LocalProtocolError):
        Nib(nwk_max_broadcast_retries=9)
    with pytest.raises(LocalProtocolError):
        Nib(nwk_extended_pan_id=0xFFFF_FFFF_FFFF_FFFF)  # spec range ends at ...fffe


def test_next_sequence_number_wraps() -> None:
    n = Nib(nwk_sequence_number=0xFE)
    assert [n.next_sequence_number() for _ in range(4)] == [0xFE, 0xFF, 0x00, 0x01]
    assert n.nwk_sequence_number == 0x02


_INT_ATTRS = sorted(k for k, v in _RANGES.items() if v[0] == "i")


@PROPS
@given(st.sampled_from(_INT_ATTRS), st.integers(min_value=-(2**65), max_value=2**65))
def test_set_get_property(name: str, value: int) -> None:
    n = Nib()
    _, lo, hi = _RANGES[name]
    ok = lo <= value <= hi
    if name == "nwk_network_address" and 0xFFF7 < value < 0xFFFF:
        ok = False
    if name == "nwk_addr_alloc" and value == 1:
        ok = False
    if ok:
        n.set(name, value)
        assert n.get(name) == value
    else:
        before = n.get(name)
        with pytest.raises(LocalProtocolError):
            n.set(name, value)
        assert n.get(name) == before
