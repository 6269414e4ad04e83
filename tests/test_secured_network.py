"""Secured networks in operation (issue 7): trust center, NWK security, unique TC link keys,
install codes, hostile frames, persistence. Fixed seeds; tshark checks the capture."""

from __future__ import annotations

from pathlib import Path

from tests.tshark import assert_no_malformed, tshark_fields
from zigmesh.capture.pcap import read_pcap
from zigmesh.mac.frames import MacFrame
from zigmesh.nwk.constants import S
from zigmesh.nwk.frames import NwkFrame
from zigmesh.persist.store import MemoryStore, SqliteStore
from zigmesh.phy import RadioState
from zigmesh.security.hashing import install_code_with_crc
from zigmesh.sim.world import World

IC_GOOD = install_code_with_crc(bytes.fromhex("83FED3407A939723A5C639B26916D505"))
IC_OTHER = install_code_with_crc(bytes.fromhex("11223344556677881122334455667788"))


def _line(seed: int, capture: Path | None = None, **kw: object) -> World:
    w = World(seed=seed, capture=capture, **kw)  # type: ignore[arg-type]
    w.add_node("hub", "coordinator", (0, 0))
    for i in range(4):
        w.add_node(f"r{i}", "router", (15.0 * (i + 1), 0))
    w.add_node("ed", "end_device", (70, 5), poll_interval_us=2 * S)
    return w


def _nwk_frames(pcap: Path) -> list[tuple[int, NwkFrame]]:
    """(MAC source, NWK frame) of every NWK data/command frame in the capture."""
    return [x for rec in read_pcap(pcap) if (x := _nwk_of(rec.data)) is not None]


def _nwk_of(psdu: bytes) -> tuple[int, NwkFrame] | None:
    try:
        mac = MacFrame.decode(psdu)
        if int(mac.frame_type) != 1 or not mac.payload:
            return None
        return (int(mac.src_addr or 0), NwkFrame.decode(mac.payload))
    except Exception:  # noqa: BLE001 - beacons, acks, MAC commands
        return None


def _attacker(w: World) -> object:
    """A bare radio beside the network (no stack): transmits whatever PSDU it is given."""
    return w.medium.add_radio(0xBAD0BAD0BAD0BAD0, (40.0, 3.0), 0.0, w.channel, RadioState.IDLE)


def test_secured_line_joins_with_unique_link_keys(tmp_path: Path) -> None:
    pcap = tmp_path / "line.pcap"
    w = _line(1, pcap)
    w.run(60 * S)
    w.close()
    assert w.all_joined()
    for n in w:
        assert n.authenticated, n.name
        if n.name != "hub":
            assert n.has_unique_link_key, n.name
    tc = w.coordinator.trust_center
    assert tc is not None and tc.unique_key_count() == 5
    # every NWK frame after the joins is secured: unsecured ones are only Transport-Keys
    frames = _nwk_frames(pcap)
    assert frames and all(f.aux is not None for _, f in frames if int(f.frame_type) == 1)
    # Wireshark, given only ZigBeeAlliance09, learns the network key and decrypts every frame
    assert_no_malformed(pcap, link_keys=("5a6967426565416c6c69616e63653039",))
    rows = tshark_fields(
        pcap,
        ["frame.number"],
        "zbee_nwk && zbee_nwk.security == 1 && !zbee_aps && !zbee_nwk.cmd.id",
        link_keys=("5a6967426565416c6c69616e63653039",),
    )
    assert rows == [], f"frames tshark could not decrypt: {rows[:10]}"
    for cmd in ("zbee_aps.cmd.id == 0x08", "zbee_aps.cmd.id == 0x0f", "zbee_aps.cmd.id == 0x10"):
        assert tshark_fields(
            pcap, ["frame.number"], cmd, link_keys=("5a6967426565416c6c69616e63653039",)
        ), cmd


def test_install_codes_right_joins_wrong_never_gets_the_key(tmp_path: Path) -> None:
    pcap = tmp_path / "ic.pcap"
    w = World(seed=2, capture=pcap, require_install_codes=True)
    w.add_node("hub", "coordinator", (0, 0))
    good = w.add_node("good", "router", (10, 0), install_code=IC_GOOD)
    bad = w.add_node(
        "bad", "router", (0, 10), install_code=IC_GOOD, registered_install_code=IC_OTHER
    )
    none = w.add_node("none", "end_device", (10, 10), poll_interval_us=2 * S)
    w.run(60 * S)
    w.close()
    assert good.joined and good.authenticated and good.has_unique_link_key
    for n in (bad, none):
        assert not n.authenticated and not n.joined
        assert n.stats.authentication_failures >= 2
    assert w.coordinator.trust_center is not None
    assert w.coordinator.trust_center.stats.joins_refused >= 1
    # the capture proves it: no NWK-secured frame ever carries the bad devices' addresses
    secured_sources = {f.aux.source for _, f in _nwk_frames(pcap) if f.aux is not None}
    assert good.eui64 in secured_sources
    assert bad.eui64 not in secured_sources and none.eui64 not in secured_sources
    # the parent removed them when they stayed unauthenticated
    assert w.coordinator.nwk.stats.unauthenticated_children_removed >= 2


def test_replayed_and_bit_flipped_frames_are_dropped_and_move_no_counter(tmp_path: Path) -> None:
    w = _line(3, tmp_path / "replay.pcap")
    w.run(40 * S)
    w.close()
    w.medium.capture = None
    assert w.all_joined()
    hub = w.coordinator
    # the last secured NWK frame r0 (the hub's neighbour) sent to the hub
    r0 = w["r0"]
    victim = b""
    src = seq = 0
    for rec in read_pcap(tmp_path / "replay.pcap"):
        got = _nwk_of(rec.data)
        if got is None:
            continue
        mac_src, f = got
        if f.aux is not None and mac_src == r0.network_address and f.aux.source == r0.eui64:
            mac = MacFrame.decode(rec.data)
            if mac.dst_addr == 0x0000:
                victim = rec.data
                src, seq = f.aux.source, int(f.aux.key_seq or 0)
    assert victim
    before = hub.keys.incoming_counter(src, seq)
    st = hub.nwk.stats
    dup0, ctr0, mic0 = st.rx_sec_duplicate, st.rx_sec_counter, st.rx_sec_mic
    radio = _attacker(w)
    radio.transmit(victim)  # type: ignore[attr-defined]  # replay, as captured
    w.run(w.now_us + S)
    assert st.rx_sec_duplicate + st.rx_sec_counter == dup0 + ctr0 + 1
    # one flipped bit in the encrypted payload, a fresh counter so only the MIC can catch it
    mac = MacFrame.decode(victim)
    f = NwkFrame.decode(mac.payload)
    raw = bytearray(mac.payload)
    off = f.header_length + 1  # frame counter inside the aux header
    raw[off : off + 4] = (f.aux.frame_counter + 1000).to_bytes(4, "little")  # type: ignore[union-attr]
    raw[-3] ^= 0x10
    forged = MacFrame.data(mac.dst_pan, mac.dst_addr, mac.src_addr, bytes(raw), seq=201)
    radio.transmit(forged.encode())  # type: ignore[attr-defined]
    w.run(w.now_us + S)
    assert st.rx_sec_mic == mic0 + 1
    assert hub.keys.incoming_counter(src, seq) == before


def test_forged_unsecured_leave_has_no_effect() -> None:
    from zigmesh.nwk.commands import Leave

    w = _line(4)
    w.run(40 * S)
    ed = w["ed"]
    assert ed.joined
    parent = w.parent_of("ed")
    assert parent is not None
    # an outsider forges a NWK Leave (request, no rejoin) as if from the parent, unsecured
    forged = NwkFrame(
        1, ed.network_address, parent.network_address, 1, 77, Leave(request=True).encode()
    )
    mac = MacFrame.data(
        ed.mac.pib.mac_pan_id, ed.network_address, parent.network_address, forged.encode(), seq=9
    )
    before = ed.nwk.stats.rx_unsecured + parent.nwk.stats.rx_unsecured
    radio = _attacker(w)
    radio.transmit(mac.encode())  # type: ignore[attr-defined]
    forged_to_parent = NwkFrame(
        1, parent.network_address, 0x0000, 1, 78, Leave(request=True).encode()
    )
    mac2 = MacFrame.data(
        ed.mac.pib.mac_pan_id, parent.network_address, 0x0000, forged_to_parent.encode(), seq=10
    )
    w.run(w.now_us + S)
    radio.transmit(mac2.encode())  # type: ignore[attr-defined]
    w.run(w.now_us + 10 * S)
    assert ed.joined and parent.joined
    assert ed.nwk.stats.leaves == 0 and parent.nwk.stats.leaves == 0
    assert ed.nwk.stats.rx_unsecured + parent.nwk.stats.rx_unsecured >= before + 1


def test_router_reboot_from_sqlite_store_rejoins_secured(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    w = _line(5, store=store)
    w.run(40 * S)
    r = w["r1"]
    assert r.joined and r.authenticated
    counter = r.keys.network_outgoing_counter(r.keys.active_network_key.seq)  # type: ignore[union-attr]
    w.power_off("r1")
    w.run(w.now_us + 5 * S)
    w.power_on("r1")
    w.run(w.now_us + 20 * S)
    assert r.joined and r.authenticated and r.stats.restores == 1
    after = r.keys.network_outgoing_counter(r.keys.active_network_key.seq)  # type: ignore[union-attr]
    # resumed at (last saved value + N): above anything it sent before, never backwards
    assert after > counter and after >= r.config.counter_persist_interval
    # neighbours accept its frames: no counter drops of r1 at the hub
    assert w.coordinator.keys.incoming_counter(r.eui64, 0) is not None
    store.close()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    outs = []
    for i in range(2):
        pcap = tmp_path / f"run{i}.pcap"
        w = _line(6, pcap)
        w.run(30 * S)
        w.close()
        outs.append(pcap.read_bytes())
    assert outs[0] == outs[1]


def test_network_key_update_switches_every_device_and_traffic_flows() -> None:
    from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataConfirm, ApsdeEvent, TxOptions
    from zigmesh.zdo.descriptors import SimpleDescriptor

    w = _line(7)
    w.run(40 * S)
    confirms: list[ApsdeDataConfirm] = []
    got: list[bytes] = []

    def on_hub(ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataConfirm):
            confirms.append(ev)

    def on_ed(ev: ApsdeEvent) -> None:
        if not isinstance(ev, ApsdeDataConfirm):
            got.append(ev.asdu)

    w["hub"].add_endpoint(SimpleDescriptor(1, 0x0104, 0x0005, 0, (), (0xFC00,)), on_hub)
    w["ed"].add_endpoint(SimpleDescriptor(1, 0x0104, 0x0302, 0, (0xFC00,), ()), on_ed)
    tc = w.coordinator.trust_center
    assert tc is not None
    sent = 0
    for i in range(30):
        if i == 5:
            assert tc.update_network_key() == 1
        w["hub"].aps.apsde_data_request(
            ApsAddrMode.SHORT,
            w["ed"].network_address,
            1,
            0x0104,
            0xFC00,
            1,
            bytes([0x01, i, 0x00]),
            tx_options=TxOptions.ACK,
        )
        sent += 1
        w.run(w.now_us + 3 * S)
    w.run(w.now_us + 20 * S)
    assert all(n.keys.active_network_key.seq == 1 for n in w)  # type: ignore[union-attr]
    assert len(confirms) == sent
    ok = [c for c in confirms if c.status == 0]
    # every acknowledged message is delivered or reported failed; none lost silently
    assert len(set(got)) == len(ok) and len(got) == len(set(got))
    assert len(ok) >= sent - 1


def test_sixty_node_secured_network_every_device_gets_a_unique_link_key(tmp_path: Path) -> None:
    """1 coordinator, 40 routers, 19 sleepy end devices over 160 x 40 m (routers up to 5-6
    hops from the trust center): everyone joins, authenticates and ends with a unique TC link
    key; Wireshark given only ZigBeeAlliance09 decrypts every NWK frame of the capture."""
    import random

    pcap = tmp_path / "n60.pcap"
    w = World(seed=3, capture=pcap)
    w.add_node("hub", "coordinator", (0, 0))
    rng = random.Random(5)
    for i in range(40):
        w.add_node(f"r{i}", "router", (rng.uniform(0, 160), rng.uniform(0, 40)))
    for i in range(19):
        w.add_node(
            f"e{i}", "end_device", (rng.uniform(0, 160), rng.uniform(0, 40)), poll_interval_us=3 * S
        )
    w.run(300 * S)
    w.close()
    assert w.all_joined()
    assert max(w.depth(n) for n in w if n.role.value == "router") >= 4
    assert all(n.authenticated for n in w)
    assert all(n.has_unique_link_key for n in w if n.name != "hub")
    tc = w.coordinator.trust_center
    assert tc is not None and tc.unique_key_count() == 59
    tclk = ("5a6967426565416c6c69616e63653039",)
    assert_no_malformed(pcap, link_keys=tclk)
    undecrypted = tshark_fields(
        pcap,
        ["frame.number"],
        "zbee_nwk && zbee_nwk.security == 1 && !zbee_aps && !zbee_nwk.cmd.id",
        link_keys=tclk,
    )
    assert undecrypted == [], f"{len(undecrypted)} NWK frames tshark could not decrypt"
    # the exchange is in the capture: Request-Key, Transport-Key, Verify-Key, Confirm-Key
    rows = tshark_fields(pcap, ["zbee_aps.cmd.id"], "zbee_aps.cmd.id", link_keys=tclk)
    ids = [int(v, 16) for r in rows for v in r[0].split(",") if v]
    for cmd_id in (0x05, 0x08, 0x0F, 0x10):
        assert ids.count(cmd_id) >= 59, (hex(cmd_id), ids.count(cmd_id))


def test_router_reboot_without_persistence_is_rejected_by_its_neighbours() -> None:
    """The failure persistence prevents: with a volatile store (RAM, lost with the power)
    the rebooted router joins afresh and restarts its frame counter at 0, below what its
    neighbours last accepted from it, so they drop its frames."""
    w = _line(5, store=MemoryStore())  # a volatile store: RAM, lost with the power
    w.run(40 * S)
    r = w["r1"]
    hub = w.coordinator
    seq = hub.keys.active_network_key.seq  # type: ignore[union-attr]
    # long enough for r1's counter to stay ahead of everything it sends in the 30 s after
    # its reboot (link statuses, relays, its rejoin and key exchange)
    w.run(w.now_us + 200 * S)
    # r1 is the hub's neighbour (second in the line): the hub holds its counter
    last = [n for n in w if n.name != "r1" and n.keys.incoming_counter(r.eui64, seq)]
    assert last, "nobody holds r1's counter"
    held = {n.name: n.keys.incoming_counter(r.eui64, seq) for n in last}
    drops0 = sum(n.nwk.stats.rx_sec_counter + n.nwk.stats.rx_sec_duplicate for n in last)
    w.power_off("r1")
    w.run(w.now_us + 5 * S)
    w.power_on("r1")
    w.run(w.now_us + 30 * S)
    assert r.stats.restores == 0  # nothing was kept
    assert r.keys.network_outgoing_counter(seq) <= min(held.values())  # it restarted below
    drops = sum(n.nwk.stats.rx_sec_counter + n.nwk.stats.rx_sec_duplicate for n in last)
    assert drops > drops0  # its fresh frames (counter from 0) are refused
    # and no neighbour's stored counter for r1 went backwards or moved on
    assert {n.name: n.keys.incoming_counter(r.eui64, seq) for n in last} == held


def test_trust_center_removes_a_device_through_its_parent() -> None:
    w = _line(8)
    w.run(40 * S)
    ed = w["ed"]
    parent = w.parent_of("ed")
    assert ed.joined and parent is not None and parent is not w.coordinator
    tc = w.coordinator.trust_center
    assert tc is not None and tc.remove_device(ed.eui64)
    w.run(w.now_us + 20 * S)
    # Remove-Device (APS-secured with the parent's link key) -> the parent's NWK Leave
    assert parent.security_manager is not None
    assert parent.security_manager.stats.remove_devices_received == 1
    assert not ed.joined and ed.keys.active_network_key is None
    assert parent.nwk.neighbors.get_by_ieee(ed.eui64) is None
    assert ed.eui64 not in tc.devices
    assert not tc.remove_device(ed.eui64)  # unknown now


def test_outgoing_counter_at_the_limit_refuses_to_send() -> None:
    from zigmesh.aps.primitives import ApsAddrMode, ApsdeDataConfirm, ApsdeEvent, TxOptions
    from zigmesh.nwk.primitives import NwkStatus
    from zigmesh.security.keys import MAX_FRAME_COUNTER
    from zigmesh.zdo.descriptors import SimpleDescriptor

    w = _line(9)
    w.run(40 * S)
    r = w["r0"]
    got: list[ApsdeDataConfirm] = []

    def on_ep(ev: ApsdeEvent) -> None:
        if isinstance(ev, ApsdeDataConfirm):
            got.append(ev)

    r.add_endpoint(SimpleDescriptor(1, 0x0104, 0x0005, 0, (), (0xFC00,)), on_ep)
    active = r.keys.active_network_key
    assert active is not None
    r.keys._out[active.key] = MAX_FRAME_COUNTER  # the key is spent
    sent0 = r.mac.stats.tx_frames
    r.aps.apsde_data_request(
        ApsAddrMode.SHORT, 0x0000, 1, 0x0104, 0xFC00, 1, b"\x01\x00\x00", tx_options=TxOptions.NONE
    )
    w.run(w.now_us + S)
    assert [c.status for c in got] == [NwkStatus.MAX_FRM_COUNTER]
    assert r.keys.outgoing_counter(active.key) == MAX_FRAME_COUNTER
    # nothing NWK-secured left the node (MAC frames since are only polls / ACK-free beacons)
    assert r.nwk.stats.tx_security_failures >= 1
    assert r.mac.stats.tx_frames - sent0 <= 1



def test_joins_draw_at_most_one_many_to_one_refresh_per_half_period() -> None:
    """A device joining a secured network reaches the trust center up its join tree (a
    provisional many-to-one route, its route record first). The trust center refreshes the
    many-to-one routes after a join only once its last request is half a discovery period old
    (ManyToOne.after_join): devices joining soon after a request flood none (there was one
    every 10 s while devices joined, before), a device joining later draws one at once;
    nobody discovers a route and every newcomer gets its unique link key."""
    w = _line(3)
    w.add_node("late1", "router", (75.0, 0), join_at_us=15 * S)
    w.add_node("late2", "router", (90.0, 0), join_at_us=22 * S)
    w.add_node("late3", "router", (105.0, 0), join_at_us=100 * S)
    w.run(10 * S)
    hub = w.coordinator
    assert hub.nwk.nib.nwk_concentrator_discovery_time == 60
    sent = hub.nwk.stats.mtorr_sent
    assert sent >= 1  # the first request (and its retries)
    w.run(55 * S)  # the next periodic one is due at 62 s
    assert hub.nwk.stats.mtorr_sent == sent
    for name in ("late1", "late2"):
        assert w[name].joined and w[name].has_unique_link_key
    w.run(95 * S)
    periodic = hub.nwk.stats.mtorr_sent  # with the one at 62 s
    assert periodic > sent
    w.run(118 * S)  # late3 joined ~38 s after that request; the next periodic one is at 122 s
    assert hub.nwk.stats.mtorr_sent > periodic
    assert w["late3"].joined and w["late3"].has_unique_link_key
    assert all(n.nwk.stats.rreq_sent == 0 for n in w)
