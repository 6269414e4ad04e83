"""Frames the APS layer sends, through tshark: acknowledged unicast and its ACK, APS-secured
data and ACK (decrypted with the default trust center link key), a fragmented message with its
fragment ACKs (reassembled by Wireshark), group and broadcast data, a Transport-Key secured
with the key-transport key, and a Tunnel with its relayed frame.

The NLDE-DATA payloads recorded on the fake network are wrapped in hand-rolled unsecured NWK
and MAC data headers (tests/framing.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.aps.aps_fakes import FakeNet
from tests.framing import mac_data, nwk_data
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from zigmesh.aps.commands import TransportNetworkKey
from zigmesh.aps.primitives import ApsAddrMode, TxOptions
from zigmesh.capture.pcap import write_pcap
from zigmesh.nwk.primitives import NwkAddrMode
from zigmesh.nwk.tables.neighbor import DeviceType, NeighborEntry, Relationship
from zigmesh.security.aux import KeyId

LINK_KEY_HEX = b"ZigBeeAlliance09".hex().upper()
A, A_IEEE = 0x0000, 0x00124B0001020304
B, B_IEEE = 0x1001, 0x8877665544332211
C, C_IEEE = 0x2002, 0x0102030405060708
HA = 0x0104
FIELDS = [
    "zbee_aps.type",
    "zbee_aps.delivery",
    "zbee_aps.ack_req",
    "zbee_aps.fragmentation",
    "zbee_aps.block",
    "zbee_aps.block_acks",
    "zbee.sec.key_id",
    "zbee.sec.decryption_key",
    "zbee_aps.cmd.id",
    "zbee_aps.reassembled.length",
    "zbee_aps.cluster",
]


def _traffic() -> FakeNet:
    net = FakeNet(max_nsdu=90)
    a = net.add(A, A_IEEE)
    b = net.add(B, B_IEEE, endpoints=(1, 2))
    net.add(C, C_IEEE)
    b.nwk.neighbors.add(
        NeighborEntry(
            network_address=C,
            extended_address=C_IEEE,
            device_type=DeviceType.END_DEVICE,
            relationship=Relationship.CHILD,
        ),
        0,
    )
    b.aps.apsme_add_group_request(0x0042, 2)
    send = a.aps.apsde_data_request
    send(ApsAddrMode.SHORT, B, 1, HA, 0x0006, 1, b"\x01\x05\x01")
    net.run(net.clock.now() + 5_000_000)
    opts = TxOptions.ACK | TxOptions.SECURITY | TxOptions.INCLUDE_EXTENDED_NONCE
    send(ApsAddrMode.SHORT, B, 1, HA, 0x0006, 1, b"\x01\x06\x00", tx_options=opts)
    net.run(net.clock.now() + 5_000_000)
    frag = TxOptions.ACK | TxOptions.FRAGMENTATION
    # ZCL Read Attributes of 99 attributes (Basic cluster): 201 bytes, three blocks
    read = b"\x00\x01\x00" + b"".join(i.to_bytes(2, "little") for i in range(99))
    send(ApsAddrMode.SHORT, B, 1, HA, 0x0000, 1, read, tx_options=frag)
    net.run(net.clock.now() + 5_000_000)
    send(ApsAddrMode.GROUP, 0x0042, None, HA, 0x0006, 1, b"\x01\x07\x02")
    send(ApsAddrMode.SHORT, 0xFFFF, 0xFF, HA, 0x0006, 1, b"\x01\x08\x02")
    net.run(net.clock.now() + 5_000_000)
    key = TransportNetworkKey(bytes(range(16)), 1, B_IEEE, A_IEEE)
    a.aps.send_command(
        key, B, key_id=KeyId.KEY_TRANSPORT_KEY, partner_ieee=B_IEEE, extended_nonce=True
    )
    net.run(net.clock.now() + 5_000_000)
    inner = a.aps.build_secured_command(
        TransportNetworkKey(bytes(range(16)), 1, C_IEEE, A_IEEE),
        key_id=KeyId.KEY_TRANSPORT_KEY,
        partner_ieee=C_IEEE,
    )
    a.aps.send_tunnel(B, C_IEEE, inner)
    net.run(net.clock.now() + 5_000_000)
    return net


def test_aps_layer_frames_through_tshark(tmp_path: Path) -> None:
    require_tshark()
    net = _traffic()
    records = []
    for i, (t, src, call) in enumerate(net.log):
        nwk_dst = 0xFFFD if call.mode == NwkAddrMode.MULTICAST else call.dst
        mac_dst = 0xFFFF if nwk_dst >= 0xFFF8 else nwk_dst
        nwk = nwk_data(call.nsdu, dst=nwk_dst, src=src, seq=i & 0xFF)
        records.append((t, mac_data(nwk, seq=i & 0xFF, dst=mac_dst, src=src)))
    pcap = tmp_path / "aps_layer.pcap"
    write_pcap(pcap, records)
    keys = (LINK_KEY_HEX,)
    assert_no_malformed(pcap, link_keys=keys)
    rows = [dict(zip(FIELDS, r, strict=False)) for r in tshark_fields(pcap, FIELDS, link_keys=keys)]
    assert len(rows) == len(net.log)
    types = [r["zbee_aps.type"] for r in rows]
    # data + ack, secured data + ack, 3 blocks + 1 fragment ack, group, broadcast, Transport-Key,
    # Tunnel (tshark dissects the tunnelled command inside it too) and the parent's command
    # ACK, the relayed Transport-Key
    assert types == ["0x00", "0x02", "0x00", "0x02"] + ["0x00"] * 3 + ["0x02"] + [
        "0x00",
        "0x00",
        "0x01",
        "0x01,0x01",
        "0x02",
        "0x01",
    ]
    assert rows[0]["zbee_aps.ack_req"] == "1" and rows[1]["zbee_aps.ack_req"] == "0"
    assert rows[11]["zbee_aps.ack_req"] == "1,0"  # the parent acknowledges the tunnel
    # APS security opened with the link key (data) and its key-transport key (commands); the
    # secured ACK (MIC over an empty payload) shows its aux header only
    for i in (2, 10, 11, 13):
        assert rows[i]["zbee.sec.decryption_key"] == "link0", rows[i]
    assert rows[2]["zbee_aps.cluster"] == "0x0006"
    assert [rows[i]["zbee.sec.key_id"] for i in (2, 3, 10, 11, 13)] == ["0x00"] * 2 + ["0x02"] * 3
    assert [rows[i]["zbee_aps.cmd.id"] for i in (10, 11, 13)] == ["0x05", "0x0e,0x05", "0x05"]
    # fragments: FIRST carries the block count, SUBSEQUENT the index; one window ack
    frags = [(rows[i]["zbee_aps.fragmentation"], rows[i]["zbee_aps.block"]) for i in (4, 5, 6)]
    assert frags == [("0x01", "3"), ("0x02", "1"), ("0x02", "2")]
    assert (rows[7]["zbee_aps.block"], rows[7]["zbee_aps.block_acks"]) == ("0", "0xff")
    assert rows[6]["zbee_aps.reassembled.length"] == "201"
    assert [rows[i]["zbee_aps.delivery"] for i in (8, 9)] == ["0x03", "0x02"]
