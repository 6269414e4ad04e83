"""``zigmesh run``: the default house end to end, determinism, outputs, bad scenarios (#4);
security, install codes, the state store and APSDE traffic.

The end-to-end tests run the whole stack (NWK security, APS, ZDO, trust center): they hold
only once the stack's secured join works."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.tshark import assert_no_malformed, tshark, tshark_fields
from zigmesh.aps.commands import ApsStatus
from zigmesh.capture.dissect import DecodedFrame, Dissector
from zigmesh.capture.pcap import read_pcap
from zigmesh.cli import main
from zigmesh.nwk.primitives import NwkStatus
from zigmesh.persist.store import SqliteStore
from zigmesh.scenario.config import default_scenario, load_scenario, parse_scenario
from zigmesh.scenario.runner import (
    FLOW_CLUSTER_BASE,
    TRAFFIC_PROFILE,
    message_sequence,
    run_scenario,
    status_name,
    trace_route,
    traffic_payload,
)
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY, install_code_to_link_key
from zigmesh.zdo.descriptors import SimpleDescriptor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: the only key Wireshark is given: ZigBeeAlliance09
TC_LINK_KEY_HEX = DEFAULT_TC_LINK_KEY.hex()
Summary = dict[str, Any]


def dissect(pcap: Path, dis: Dissector | None = None) -> list[DecodedFrame]:
    dis = dis if dis is not None else Dissector()
    return [dis.dissect(i, r.time_us, r.data) for i, r in enumerate(read_pcap(pcap), 1)]


def first_transport_key(frames: list[DecodedFrame]) -> int:
    """Index of the first frame carrying a network key in a Transport-Key."""
    for f in frames:
        cmd = f.layers.get("aps_command")
        if cmd is not None and type(cmd).__name__ == "TransportNetworkKey":
            return f.index
    raise AssertionError("no network key Transport-Key in the capture")


def small_spec(**top: Any) -> dict[str, Any]:
    """Coordinator, three routers in a row, a sleepy end device; two flows (one unacked)."""
    return {
        "seed": 5,
        "duration": "40s",
        "nodes": [
            {"role": "coordinator", "name": "c", "position": [0, 0]},
            {
                "role": "router",
                "name": "r",
                "count": 3,
                "grid": {"rows": 1, "cols": 3, "spacing": 15},
            },
            {"role": "end_device", "name": "e", "position": [20, 5], "poll_interval": "2s"},
        ],
        "traffic": [
            {"from": "e", "to": "coordinator", "every": "5s", "size": 10},
            {"from": "c", "to": "r-3", "every": "4s", "size": 3, "ack": False},
        ],
        **top,
    }


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("house")
    result = run_scenario(default_scenario(), out, progress=False)
    return out, result.summary


def test_default_house_joins_and_delivers(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, s = house
    assert s["nodes"] == 31 and s["joined"] == 31
    assert s["security"] == {
        "enabled": True,
        "require_install_codes": False,
        "authenticated": 31,
        "unique_tclk": 30,  # every node but the trust center itself
    }
    assert 0 < s["formation_time_s"] < 30
    roles = {n["role"] for n in s["per_node"]}
    assert roles == {"coordinator", "router", "end_device"}
    for n in s["per_node"]:
        assert n["short_address"] is not None and n["joined_at_s"] is not None
        assert (n["parent"] is None) == (n["role"] == "coordinator")
    assert len(s["flows"]) == 6
    for f in s["flows"]:
        assert f["sent"] > 0 and f["ack"] is True
        assert f["delivery_ratio"] >= 0.95, f
        assert f["duplicates"] == 0, f  # APS rejects duplicates before the application
        assert f["latency_ms"]["p50"] > 0 and f["hops"]["max"] >= 1
        confirms = f["aps_confirms"]
        assert sum(confirms.values()) == f["sent"], f  # one confirm per message
        assert confirms.get("SUCCESS", 0) >= 0.95 * f["sent"], f
    assert s["delivery"]["duplicates"] == 0
    assert s["totals"]["mac_frames_sent"] > 0 and s["totals"]["link_status_sent"] > 0
    assert s["totals"]["aps_acks_sent"] > 0 and s["totals"]["app_unmatched"] == 0
    for n in s["per_node"]:
        sec = n["security"]
        assert sec["network_key"] is True and sec["key_seq"] == 0, n
        assert sec["nwk_frame_counter"] > 0, n
        assert sec["unique_tclk"] is (n["role"] != "coordinator"), n
        for key in ("drops", "aps_confirms", "zdo_answered"):
            assert all(v > 0 for v in n[key].values()) and list(n[key]) == sorted(n[key])
    hub = next(n for n in s["per_node"] if n["name"] == "hub")
    assert hub["aps_confirms"].get("SUCCESS", 0) > 0  # light-6 traffic, Transport-Keys...
    assert len(s["energy"]) == 20  # every sleepy end device has energy figures
    assert json.loads((out / "summary.json").read_text()) == s


def test_house_has_no_security_failures(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    """One network key, keys handed out in order: no frame may fail its MIC or header check
    (frames heard before a device has the key count as nwk_rx_sec_no_key, which is fine)."""
    _, s = house
    for key in ("nwk_rx_sec_mic", "nwk_rx_sec_header", "aps_security_mic"):
        bad = {n["name"]: n["drops"][key] for n in s["per_node"] if key in n["drops"]}
        assert bad == {}, (key, bad)


def test_outputs_exist_and_wireshark_reads_the_capture(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = house
    png = (out / "network.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    pcap = out / "capture.pcap"
    assert_no_malformed(pcap)
    rows = tshark_fields(
        pcap,
        ["wpan.cmd", "zbee_nwk.cmd.id", "zbee_aps.cluster", "zbee_aps.profile"],
        link_keys=(TC_LINK_KEY_HEX,),
    )
    assert any(r[0] == "0x01" for r in rows)  # association requests
    assert any(r[1] == "0x08" for r in rows)  # link status
    traffic = [r for r in rows if r[2].startswith("0xfc")]
    assert len(traffic) > 100  # the traffic, decrypted
    assert {r[3] for r in traffic} == {"0x0104"}


def test_wireshark_decrypts_the_house_with_only_the_tc_link_key(
    house: tuple[Path, dict],  # type: ignore[type-arg]
) -> None:
    """Given ZigBeeAlliance09 alone, Wireshark opens the Transport-Keys, learns the network
    key and decrypts every NWK frame (the coordinator sends nothing NWK-secured before its
    first neighbour holds the key)."""
    out, _ = house
    pcap = out / "capture.pcap"
    keys = {"link_keys": (TC_LINK_KEY_HEX,)}
    assert_no_malformed(pcap, **keys)
    rows = tshark_fields(pcap, ["frame.number"], "zbee_aps.cmd.id == 0x05", **keys)
    first_tk = min(int(r[0]) for r in rows)
    secured = tshark_fields(pcap, ["frame.number"], "zbee_nwk.security == 1", **keys)
    assert len(secured) > 1000
    opaque = tshark_fields(
        pcap, ["frame.number", "zbee_nwk.src"], "zbee_sec.encrypted_payload", **keys
    )
    assert first_tk > 0
    assert opaque == [], opaque[:5]
    # the traffic is decrypted down to ZCL (cluster-specific frames of the flows' clusters)
    zcl = tshark(pcap, "-Y", "zbee_zcl && zbee_aps.cluster >= 0xfc00", **keys)
    assert len(zcl.splitlines()) > 100


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    """A secured run is deterministic: same seed, byte-identical capture and summary."""
    spec = small_spec(security=True)
    a = run_scenario(parse_scenario(spec, "t"), tmp_path / "a", progress=False, plot=False)
    b = run_scenario(parse_scenario(spec, "t"), tmp_path / "b", progress=False, plot=False)
    c = run_scenario(
        parse_scenario({**spec, "seed": 6}, "t"), tmp_path / "c", progress=False, plot=False
    )
    pa, pb, pc = (
        (p / "capture.pcap").read_bytes() for p in (tmp_path / "a", tmp_path / "b", tmp_path / "c")
    )
    assert pa == pb and pa != pc
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "b" / "summary.json"
    ).read_bytes()
    assert a.summary["flows"][0]["delivered"] > 0
    assert a.summary["security"]["authenticated"] == 5
    assert any(
        "NWK decrypted" in n for f in dissect(tmp_path / "a" / "capture.pcap") for n in f.notes
    )
    route = trace_route(a.world, "e", "c")
    assert route[0] == "e" and route[-1] == "c"
    del b, c


def test_state_store_does_not_change_the_run(tmp_path: Path) -> None:
    """A fresh SQLite state store only records: the run is the same bytes as in memory."""
    spec = small_spec()
    a = run_scenario(parse_scenario(spec, "t"), tmp_path / "a", progress=False, plot=False)
    b = run_scenario(
        parse_scenario({**spec, "state": str(tmp_path / "s.db")}, "t"),
        tmp_path / "b",
        progress=False,
        plot=False,
    )
    assert (tmp_path / "a" / "capture.pcap").read_bytes() == (
        tmp_path / "b" / "capture.pcap"
    ).read_bytes()
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "b" / "summary.json"
    ).read_bytes()
    with SqliteStore(tmp_path / "s.db") as store:
        assert sorted(store.nodes()) == sorted(a.world.nodes)
    del a, b


def test_second_run_on_a_state_file_continues_the_network(tmp_path: Path) -> None:
    """Nodes reload keys and counters: same network key, frame counters only move forward."""
    db = tmp_path / "net.db"
    sc = parse_scenario(small_spec(), "t")
    first = run_scenario(sc, tmp_path / "one", progress=False, plot=False, state=db)
    second = run_scenario(sc, tmp_path / "two", progress=False, plot=False, state=db)
    assert second.summary["joined"] == 5
    assert all(n.stats.restores >= 1 for n in second.world)
    key1 = first.world.coordinator.keys.active_network_key
    key2 = second.world.coordinator.keys.active_network_key
    assert key1 is not None and key1 == key2
    one = {n["name"]: n["security"] for n in first.summary["per_node"]}
    for n in second.summary["per_node"]:
        assert n["security"]["nwk_frame_counter"] > one[n["name"]]["nwk_frame_counter"], n
    assert second.summary["flows"][0]["delivery_ratio"] >= 0.9


def test_concentrator_period_sets_the_many_to_one_request_period(tmp_path: Path) -> None:
    """``concentrator_period``: the coordinator's nwkConcentratorDiscoveryTime; its requests
    come that often (the first 2 s after it starts; transmissions counted, retries included)."""
    fast = run_scenario(
        parse_scenario(small_spec(concentrator_period="5s"), "t"),
        tmp_path / "fast",
        progress=False,
        plot=False,
    )
    slow = run_scenario(
        parse_scenario(small_spec(), "t"), tmp_path / "slow", progress=False, plot=False
    )
    f, s = (r.world.nodes["c"].nwk for r in (fast, slow))
    assert (f.nib.nwk_concentrator_discovery_time, s.nib.nwk_concentrator_discovery_time) == (5, 60)
    assert f.stats.mtorr_sent >= 3 * s.stats.mtorr_sent > 0  # 29 and 4 (with retries)


def test_unsecured_run(tmp_path: Path) -> None:
    """security = false: no NWK auxiliary header anywhere, no Transport-Key, traffic flows."""
    r = run_scenario(
        parse_scenario(small_spec(security=False), "t"), tmp_path, progress=False, plot=False
    )
    s = r.summary
    assert s["joined"] == 5
    assert s["security"] == {
        "enabled": False,
        "require_install_codes": False,
        "authenticated": 5,
        "unique_tclk": 0,
    }
    for n in s["per_node"]:
        assert n["security"] == {
            "network_key": False,
            "key_seq": None,
            "unique_tclk": False,
            "nwk_frame_counter": None,
        }
    assert all(f["delivery_ratio"] >= 0.9 for f in s["flows"]), s["flows"]
    frames = dissect(tmp_path / "capture.pcap")
    nwk = [f for f in frames if "nwk" in f.layers]
    assert len(nwk) > 20
    assert all(f.layers["nwk"].aux is None and f.encrypted is None for f in nwk)
    assert not any("aps_command" in f.layers for f in frames)
    pcap = tmp_path / "capture.pcap"
    assert tshark(pcap, "-Y", "zbee_nwk.security == 1 || zbee.sec.field").strip() == ""
    assert_no_malformed(pcap)


def test_traffic_goes_through_endpoint_1(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    """Endpoint 1 (HA) on every node taking part in a flow: output clusters where it sends,
    input clusters where it receives; the others have no application endpoint."""
    out, s = house
    pcap = out / "capture.pcap"
    frames = dissect(pcap)
    data = [f.layers["aps"] for f in frames if "aps" in f.layers and "zcl" in f.layers]
    ours = [a for a in data if a.cluster_id is not None and a.cluster_id >= FLOW_CLUSTER_BASE]
    assert len(ours) > 100
    assert {(a.src_endpoint, a.dst_endpoint, a.profile_id) for a in ours} == {(1, 1, 0x0104)}


def test_endpoint_descriptors(tmp_path: Path) -> None:
    r = run_scenario(parse_scenario(small_spec(), "t"), tmp_path, progress=False, plot=False)
    nodes = r.world.nodes
    assert nodes["c"].endpoints == {
        1: SimpleDescriptor(1, TRAFFIC_PROFILE, 0x0007, 0, (0xFC00,), (0xFC01,))
    }
    assert nodes["e"].endpoints == {
        1: SimpleDescriptor(1, TRAFFIC_PROFILE, 0x000C, 0, (), (0xFC00,))
    }
    assert nodes["r-3"].endpoints == {
        1: SimpleDescriptor(1, TRAFFIC_PROFILE, 0x0009, 0, (0xFC01,), ())
    }
    assert nodes["r-1"].endpoints == {}
    unacked = r.summary["flows"][1]
    assert unacked["ack"] is False and unacked["delivered"] > 0
    assert sum(unacked["aps_confirms"].values()) == unacked["sent"]


def test_install_codes_example(tmp_path: Path) -> None:
    """Devices with a registered install code join; one without and one mistyped do not."""
    sc = load_scenario(EXAMPLES / "install_codes.toml")
    r = run_scenario(sc, tmp_path, progress=False, plot=False)
    s = r.summary
    nodes = {n["name"]: n for n in s["per_node"]}
    admitted = ["hub", "plug-1", "plug-2", "sensor-1", "sensor-2", "sensor-3"]
    for name in admitted:
        assert nodes[name]["joined_at_s"] is not None, name
        assert nodes[name]["security"]["network_key"] is True, name
    for name in ("stranger", "typo"):
        assert nodes[name]["joined_at_s"] is None, name
        assert nodes[name]["security"]["network_key"] is False, name
    assert s["security"]["require_install_codes"] is True
    assert s["security"]["authenticated"] == len(admitted)
    flows = {f["name"]: f for f in s["flows"]}
    assert flows["readings"]["delivery_ratio"] >= 0.95
    assert flows["outsiders"]["sent"] == 0 and flows["outsiders"]["skipped"] > 0
    # the capture decrypts with the install-code keys (ZigBeeAlliance09 opens nothing here)
    codes = [n.install_code for n in sc.nodes if n.install_code is not None]
    codes += [n.registered_install_code for n in sc.nodes if n.registered_install_code]
    keys = [install_code_to_link_key(c) for c in codes if c is not None]
    first = Dissector(link_keys=keys)
    dissect(tmp_path / "capture.pcap", first)
    frames = dissect(tmp_path / "capture.pcap", Dissector(first.network_keys, keys))
    assert [f.index for f in frames if f.encrypted] == []
    assert sum("zcl" in f.layers for f in frames) > 10


def test_confirm_status_names() -> None:
    assert status_name(ApsStatus.SUCCESS) == "SUCCESS"
    assert status_name(ApsStatus.NO_ACK) == "NO_ACK"
    assert status_name(NwkStatus.ROUTE_ERROR) == "NWK_ROUTE_ERROR"
    assert status_name(0x77) == "0x77"


def test_traffic_payload_carries_the_sequence_number() -> None:
    for size in (3, 4, 5, 6, 12, 82):
        for seq in (0, 1, 255, 256, 70_000, 2**31 + 5):
            p = traffic_payload(seq, size)
            assert len(p) == size and p[0] == 0x01 and p[1] == seq & 0xFF and p[2] == 0x00
            assert message_sequence(p, seq) == seq
            # later messages sent meanwhile: still found while the low bits tell them apart
            bits = 8 * (1 + min(size - 3, 3))
            if bits < 32:
                assert message_sequence(p, seq + (1 << bits) - 1) == seq
                assert message_sequence(p, seq + (1 << bits)) == seq + (1 << bits)
            else:
                assert message_sequence(p, seq + 1_000_000) == seq
    assert traffic_payload(0x0102_0304, 8) == bytes.fromhex("01 04 00 03 02 01 00 00")
    assert message_sequence(traffic_payload(5, 8), 4) is None  # never sent
    assert message_sequence(b"\x00\x05\x00", 10) is None  # a profile-wide (foundation) frame
    assert message_sequence(b"\x01\x05", 10) is None  # shorter than a ZCL header


def test_cli_run_with_seed_and_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scn = tmp_path / "s.toml"
    scn.write_text(
        'seed = 1\nduration = "30s"\n'
        '[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\n'
        '[[nodes]]\nrole = "router"\nname = "r"\nposition = [10, 0]\n'
        '[[traffic]]\nfrom = "r"\nto = "coordinator"\nevery = "5s"\nsize = 8\n'
    )
    assert main(["run", str(scn), "--out", str(tmp_path / "o"), "--seed", "3", "-q"]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["scenario"]["seed"] == 3 and s["joined"] == 2
    assert "Traffic" in capsys.readouterr().out


def test_cli_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``state`` is relative to the scenario file; ``--state`` (relative to the working
    directory) overrides it."""
    scn_dir = tmp_path / "scn"
    scn_dir.mkdir()
    scn = scn_dir / "s.toml"
    scn.write_text(
        'seed = 1\nduration = "20s"\nstate = "db/state.db"\n'
        '[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\n'
        '[[nodes]]\nrole = "router"\nname = "r"\nposition = [10, 0]\n'
    )
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(scn), "--out", "o1", "-q"]) == 0
    assert (scn_dir / "db" / "state.db").is_file()
    assert main(["run", str(scn), "--out", "o2", "-q", "--state", "mine.db"]) == 0
    assert (work / "mine.db").is_file()
    with SqliteStore(work / "mine.db") as store:
        assert sorted(store.nodes()) == ["coordinator", "r"]


def test_cli_rejects_a_file_that_is_not_a_state_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = tmp_path / "s.toml"
    scn.write_text(
        'seed = 1\nduration = "20s"\n[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\n'
    )
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    out = tmp_path / "o"
    assert main(["run", str(scn), "--out", str(out), "--state", str(foreign), "-q"]) == 2
    assert "state store" in capsys.readouterr().err
    assert not out.exists()


def test_cli_rejects_bad_scenarios_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scn = tmp_path / "bad.toml"
    scn.write_text(
        'seed = 1\nduration = "1m"\n[[nodes]]\nrole = "coordinator"\nposition = [0, 0]\ncolour = "red"\n'
    )
    assert main(["run", str(scn), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "nodes[0].colour" in err
    assert not (tmp_path / "o").exists()
    assert main(["run", str(tmp_path / "missing.toml")]) == 2


def test_zigmesh_decode_reads_the_run_capture(house: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    out, _ = house
    frames = dissect(out / "capture.pcap")
    assert len(frames) > 1000
    assert [f.error for f in frames if f.error] == []
    assert sum("nwk_command" in f.layers for f in frames) > 100
    assert sum("zcl" in f.layers for f in frames) > 100
    # no key given: the network key is learned from the first Transport-Key, the unique link
    # keys from theirs; nothing stays encrypted, in one pass
    assert first_transport_key(frames) > 0
    assert [f.index for f in frames if f.encrypted] == []


def test_zigmesh_decode_two_pass_decrypts_everything_without_a_key(
    house: tuple[Path, dict],  # type: ignore[type-arg]
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, _ = house
    assert main(["decode", "-2", "--json", str(out / "capture.pcap")]) == 0
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(objs) > 1000
    assert [o["index"] for o in objs if o["encrypted"] or o["error"]] == []
    secured = [o for o in objs if "nwk" in o["layers"] and o["layers"]["nwk"].get("aux")]
    assert len(secured) > 1000
