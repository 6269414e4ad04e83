"""Every ZDP request and response through Wireshark's zbee_zdp dissector (tshark 4.0).

One pcap holds every message of ``SAMPLES`` (tests/zdo/test_zdp.py) inside minimal MAC / NWK /
APS framing; no frame may be malformed and the key fields Wireshark decodes must equal the
values encoded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.framing import over_air_zdp
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from tests.zdo.test_zdp import SAMPLES
from zigmesh.capture.pcap import write_pcap
from zigmesh.types import EUI64
from zigmesh.zdo.zdp import (
    ActiveEpReq,
    ActiveEpRsp,
    BindReq,
    DeviceAnnce,
    EndDeviceBindReq,
    IeeeAddrReq,
    IeeeAddrRsp,
    MatchDescReq,
    MatchDescRsp,
    MgmtBindReq,
    MgmtBindRsp,
    MgmtLeaveReq,
    MgmtLqiReq,
    MgmtLqiRsp,
    MgmtNwkUpdateNotify,
    MgmtNwkUpdateReq,
    MgmtPermitJoiningReq,
    MgmtRtgReq,
    MgmtRtgRsp,
    NodeDescReq,
    NodeDescRsp,
    NwkAddrReq,
    NwkAddrRsp,
    ParentAnnce,
    ParentAnnceRsp,
    PowerDescReq,
    PowerDescRsp,
    SimpleDescReq,
    SimpleDescRsp,
    UnbindReq,
    ZdpMessage,
)


def h16(v: int) -> str:
    return f"0x{v:04x}"


def eui(v: int) -> str:
    return str(EUI64(v))


def join(values: Any) -> str:
    return ",".join(str(v) for v in values)


def expected_fields(m: ZdpMessage) -> dict[str, str]:
    """The Wireshark fields (and their -T fields text) that must show what ``m`` encodes."""
    f: dict[str, str] = {"zbee_aps.zdp_cluster": h16(m.zdp_cluster), "zbee_zdp.seqno": str(m.tsn)}
    if hasattr(m, "status"):
        f["zbee_zdp.status"] = str(int(m.status))
    match m:
        case NwkAddrReq():
            f["zbee_zdp.ext_addr"] = eui(m.ieee_addr)
            f["zbee_zdp.req_type"] = str(int(m.request_type))
            f["zbee_zdp.index"] = str(m.start_index)
        case IeeeAddrReq():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            f["zbee_zdp.req_type"] = str(int(m.request_type))
            f["zbee_zdp.index"] = str(m.start_index)
        case NwkAddrRsp() | IeeeAddrRsp():
            f["zbee_zdp.ext_addr"] = eui(m.ieee_addr_remote_dev)
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_remote_dev)
            if m.nwk_addr_assoc_dev_list:
                f["zbee_zdp.assoc_device_count"] = str(len(m.nwk_addr_assoc_dev_list))
                f["zbee_zdp.index"] = str(m.start_index)
                f["zbee_zdp.assoc_device"] = join(h16(a) for a in m.nwk_addr_assoc_dev_list)
        case NodeDescReq() | PowerDescReq() | ActiveEpReq():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
        case NodeDescRsp():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            if (nd := m.node_descriptor) is not None:
                f["zbee_zdp.node.type"] = str(int(nd.logical_type))
                f["zbee_zdp.node.user"] = str(int(nd.user_descriptor_available))
                f["zbee_zdp.node.freq.2400mhz"] = "1"
                f["zbee_zdp.cinfo"] = f"0x{int(nd.mac_capability_flags):02x}"
                f["zbee_zdp.node.manufacturer"] = h16(nd.manufacturer_code)
                f["zbee_zdp.node.max_buffer"] = str(nd.maximum_buffer_size)
                f["zbee_zdp.node.max_incoming_transfer"] = str(nd.maximum_incoming_transfer_size)
                f["zbee_zdp.node.max_outgoing_transfer"] = str(nd.maximum_outgoing_transfer_size)
                f["zbee_zdp.server"] = h16(nd.server_mask_field)
                f["zbee_zdp.server.stack_compliance_revision"] = str(nd.stack_compliance_revision)
                f["zbee_zdp.dcf"] = f"0x{int(nd.descriptor_capability_field):02x}"
        case PowerDescRsp():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            if (pd := m.power_descriptor) is not None:
                f["zbee_zdp.power"] = h16(int.from_bytes(pd.encode(), "little"))
                f["zbee_zdp.power.mode"] = str(int(pd.current_power_mode))
                f["zbee_zdp.power.avail.disp"] = "1"
                f["zbee_zdp.power.source.dispose"] = "1"
                f["zbee_zdp.power.level"] = str(int(pd.current_power_source_level))
        case SimpleDescReq():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            f["zbee_zdp.endpoint"] = str(m.endpoint)
        case SimpleDescRsp():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            sd = m.simple_descriptor
            f["zbee_zdp.simple_length"] = str(0 if sd is None else len(sd))
            if sd is not None:
                f["zbee_zdp.endpoint"] = str(sd.endpoint)
                f["zbee_zdp.profile"] = h16(sd.profile_id)
                f["zbee_zdp.app.device"] = h16(sd.device_id)
                f["zbee_zdp.app.version"] = h16(sd.device_version)
                f["zbee_zdp.in_count"] = str(len(sd.input_cluster_list))
                f["zbee_zdp.in_cluster"] = join(h16(c) for c in sd.input_cluster_list)
                f["zbee_zdp.out_count"] = str(len(sd.output_cluster_list))
                f["zbee_zdp.out_cluster"] = join(h16(c) for c in sd.output_cluster_list)
        case ActiveEpRsp():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            f["zbee_zdp.ep_count"] = str(len(m.active_ep_list))
            f["zbee_zdp.endpoint"] = join(m.active_ep_list)
        case MatchDescRsp():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            f["zbee_zdp.ep_count"] = str(len(m.match_list))
            f["zbee_zdp.endpoint"] = join(m.match_list)
        case MatchDescReq() | EndDeviceBindReq():
            if isinstance(m, MatchDescReq):
                f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr_of_interest)
            else:
                f["zbee_zdp.target"] = h16(m.binding_target)
                f["zbee_zdp.ext_addr"] = eui(m.src_ieee_address)
                f["zbee_zdp.endpoint"] = str(m.src_endpoint)
            f["zbee_zdp.profile"] = h16(m.profile_id)
            f["zbee_zdp.in_count"] = str(len(m.in_cluster_list))
            f["zbee_zdp.in_cluster"] = join(h16(c) for c in m.in_cluster_list)
            f["zbee_zdp.out_count"] = str(len(m.out_cluster_list))
            f["zbee_zdp.out_cluster"] = join(h16(c) for c in m.out_cluster_list)
        case DeviceAnnce():
            f["zbee_zdp.nwk_addr"] = h16(m.nwk_addr)
            f["zbee_zdp.ext_addr"] = eui(m.ieee_addr)
            f["zbee_zdp.cinfo"] = f"0x{int(m.capability):02x}"
        case ParentAnnce() | ParentAnnceRsp():
            f["zbee_zdp.n_children"] = str(len(m.children))
            f["zbee_zdp.ext_addr"] = join(eui(c) for c in m.children)
        case BindReq() | UnbindReq():
            f["zbee_zdp.bind.src64"] = eui(m.src_address)
            f["zbee_zdp.bind.src_ep"] = str(m.src_endp)
            f["zbee_zdp.cluster"] = h16(m.cluster_id)
            f["zbee_zdp.addr_mode"] = str(int(m.dst_addr_mode))
            if m.dst_endp is None:
                f["zbee_zdp.bind.dst"] = h16(m.dst_address)
            else:
                f["zbee_zdp.bind.dst64"] = eui(m.dst_address)
                f["zbee_zdp.bind.dst_ep"] = str(m.dst_endp)
        case MgmtLqiReq() | MgmtRtgReq() | MgmtBindReq():
            f["zbee_zdp.index"] = str(m.start_index)
        case MgmtLqiRsp():
            recs = m.neighbor_table_list
            f["zbee_zdp.table_size"] = str(m.neighbor_table_entries)
            f["zbee_zdp.index"] = str(m.start_index)
            f["zbee_zdp.table_count"] = str(len(recs))
            if recs:
                f["zbee_zdp.extended_pan"] = join(eui(r.extended_pan_id) for r in recs)
                f["zbee_zdp.ext_addr"] = join(eui(r.extended_address) for r in recs)
                f["zbee_zdp.addr"] = join(h16(r.network_address) for r in recs)
                f["zbee_zdp.table_entry_type"] = join(int(r.device_type) for r in recs)
                f["zbee_zdp.idle_rx"] = join(int(r.rx_on_when_idle) for r in recs)
                f["zbee_zdp.relationship"] = join(int(r.relationship) for r in recs)
                f["zbee_zdp.permit_joining"] = join(int(r.permit_joining) for r in recs)
                f["zbee_zdp.depth"] = join(r.depth for r in recs)
                f["zbee_zdp.lqi"] = join(r.lqi for r in recs)
        case MgmtRtgRsp():
            recs_r = m.routing_table_list
            f["zbee_zdp.table_size"] = str(m.routing_table_entries)
            f["zbee_zdp.index"] = str(m.start_index)
            f["zbee_zdp.table_count"] = str(len(recs_r))
            f["zbee_zdp.routing.destination"] = join(h16(r.destination_address) for r in recs_r)
            f["zbee_zdp.routing.next_hop"] = join(h16(r.next_hop_address) for r in recs_r)
            # Wireshark 4.0 shows the whole status byte: status bits 0-2 plus the three flags
            f["zbee_zdp.routing.status"] = join(r.encode()[2] for r in recs_r)
        case MgmtBindRsp():
            recs_b = m.binding_table_list
            f["zbee_zdp.table_size"] = str(m.binding_table_entries)
            f["zbee_zdp.index"] = str(m.start_index)
            f["zbee_zdp.table_count"] = str(len(recs_b))
            f["zbee_zdp.bind.src64"] = join(eui(r.src_address) for r in recs_b)
            f["zbee_zdp.bind.src_ep"] = join(r.src_endp for r in recs_b)
            f["zbee_zdp.cluster"] = join(h16(r.cluster_id) for r in recs_b)
            f["zbee_zdp.bind.dst64"] = join(
                eui(r.dst_address) for r in recs_b if r.dst_endp is not None
            )
            f["zbee_zdp.bind.dst_ep"] = join(r.dst_endp for r in recs_b if r.dst_endp is not None)
            f["zbee_zdp.bind.dst"] = join(h16(r.dst_address) for r in recs_b if r.dst_endp is None)
        case MgmtLeaveReq():
            f["zbee_zdp.ext_addr"] = eui(m.device_address)
            f["zbee_zdp.leave.children"] = str(int(m.remove_children))
            f["zbee_zdp.leave.rejoin"] = str(int(m.rejoin))
        case MgmtPermitJoiningReq():
            f["zbee_zdp.duration"] = str(m.permit_duration)
            f["zbee_zdp.significance"] = str(m.tc_significance)
        case MgmtNwkUpdateReq():
            f["zbee_zdp.channel_mask"] = f"0x{m.scan_channels:08x}"
            f["zbee_zdp.duration"] = str(m.scan_duration)
            if m.scan_count is not None:
                f["zbee_zdp.scan_count"] = str(m.scan_count)
            if m.nwk_update_id is not None:
                f["zbee_zdp.update_id"] = str(m.nwk_update_id)
            if m.nwk_manager_addr is not None:
                f["zbee_zdp.manager"] = h16(m.nwk_manager_addr)
        case MgmtNwkUpdateNotify():
            f["zbee_zdp.channel_mask"] = f"0x{m.scanned_channels:08x}"
            f["zbee_zdp.tx_total"] = str(m.total_transmissions)
            f["zbee_zdp.tx_fail"] = str(m.transmission_failures)
            f["zbee_zdp.channel_count"] = str(len(m.energy_values))
            f["zbee_zdp.channel_energy"] = join(m.energy_values)
    return f


@pytest.fixture(scope="module")
def pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tshark()
    path = tmp_path_factory.mktemp("zdp") / "zdp.pcap"
    records = [
        (i * 10_000, over_air_zdp(m.encode(), int(m.zdp_cluster), seq=i & 0xFF))
        for i, m in enumerate(SAMPLES)
    ]
    write_pcap(path, records)
    return path


def test_no_malformed(pcap: Path) -> None:
    assert_no_malformed(pcap)


def test_every_frame_is_zdp(pcap: Path) -> None:
    rows = tshark_fields(pcap, ["frame.number", "zbee_aps.profile", "zbee_zdp.seqno"])
    assert len(rows) == len(SAMPLES)
    assert [r[1:] for r in rows] == [["0x0000", str(m.tsn)] for m in SAMPLES]


def test_wireshark_decodes_the_encoded_fields(pcap: Path) -> None:
    expected = [expected_fields(m) for m in SAMPLES]
    names = sorted({k for e in expected for k in e})
    rows = tshark_fields(pcap, names)
    assert len(rows) == len(SAMPLES)
    mismatches = []
    for m, want, row in zip(SAMPLES, expected, rows, strict=True):
        got = dict(zip(names, row, strict=True))
        for k, v in want.items():
            if got[k] != v:
                mismatches.append(f"{type(m).__name__} tsn={m.tsn}: {k} = {got[k]!r}, want {v!r}")
    assert not mismatches, "\n".join(mismatches)
    # sanity: the comparison covered the fields the brief names
    covered = set(names)
    for k in (
        "zbee_zdp.ext_addr",
        "zbee_zdp.nwk_addr",
        "zbee_zdp.endpoint",
        "zbee_zdp.profile",
        "zbee_zdp.in_cluster",
        "zbee_zdp.status",
        "zbee_zdp.seqno",
        "zbee_zdp.lqi",
        "zbee_zdp.relationship",
    ):
        assert k in covered
