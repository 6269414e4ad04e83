"""Codec throughput: encode, decode and round trip of a full MAC/NWK/APS/ZCL frame.

The frame: a ZCL Read Attributes Response with 3 records (uint8, int16, char string) on the
Temperature Measurement cluster, in an APS data frame, in a NWK data frame, in an 802.15.4 data
frame with FCS. Measured unsecured and NWK-secured (AES-CCM* MIC-32 via ``cryptography``).
A round trip = encode every layer down to the PSDU, then decode every layer back up to the typed
ZCL records. If scapy is installed, its figure for the same unsecured frame is printed too.

Run: python3 bench/codec.py [--seconds S]      (issue #2 target: >= 50,000 round trips/s)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from zigmesh.aps.frames import ApsFrame, ApsFrameType
from zigmesh.mac.frames import MacFrame
from zigmesh.nwk.frames import DiscoverRoute, NwkFrame, NwkFrameType, secure_nwk, unsecure_nwk
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.zcl.foundation import ReadAttributesResponse, ReadAttributeStatusRecord
from zigmesh.zcl.frame import Direction, ZclFrame, ZclHeader
from zigmesh.zcl.types import DataType

KEY = bytes(range(16))
PAN, SRC, DST = 0x1A62, 0x3E7A, 0x0000
SRC_IEEE = 0x00124B0000000042
RECORDS = (
    ReadAttributeStatusRecord(0x0000, data_type=DataType.UINT8, value=42),
    ReadAttributeStatusRecord(0x0001, data_type=DataType.INT16, value=-1234),
    ReadAttributeStatusRecord(0x0002, data_type=DataType.STRING, value="zigmesh"),
)
HEADER = ZclHeader(direction=Direction.SERVER_TO_CLIENT, tsn=7, command_id=0x01)


def encode(secured: bool, fc: int = 1) -> bytes:
    zcl = ZclFrame(HEADER, ReadAttributesResponse(RECORDS).encode()).encode()
    aps = ApsFrame(
        ApsFrameType.DATA,
        dst_endpoint=1,
        cluster_id=0x0402,
        profile_id=0x0104,
        src_endpoint=1,
        counter=9,
        payload=zcl,
    ).encode()
    if secured:
        nwk = secure_nwk(
            NwkFrame(
                NwkFrameType.DATA,
                DST,
                SRC,
                30,
                5,
                aps,
                discover_route=DiscoverRoute.ENABLE,
                aux=AuxHeader(KeyId.NETWORK_KEY, fc, source=SRC_IEEE, key_seq=0),
            ),
            KEY,
        )
    else:
        nwk = NwkFrame(
            NwkFrameType.DATA, DST, SRC, 30, 5, aps, discover_route=DiscoverRoute.ENABLE
        ).encode()
    return MacFrame.data(PAN, DST, SRC, nwk, seq=11).encode()


def decode(psdu: bytes, secured: bool) -> ReadAttributesResponse:
    mac = MacFrame.decode(psdu)
    nwk = unsecure_nwk(mac.payload, KEY) if secured else NwkFrame.decode(mac.payload)
    aps = ApsFrame.decode(nwk.payload)
    zcl = ZclFrame.decode(aps.payload)
    return ReadAttributesResponse.decode(zcl.payload)


def rate(fn: Callable[[], object], seconds: float, repeat: int = 5) -> float:
    """Calls per second: the best of ``repeat`` windows of ``seconds / repeat`` each (as
    ``timeit`` takes the minimum: on a shared machine the slower windows measure the neighbours,
    not the code)."""
    best = 0.0
    window = seconds / repeat
    for _ in range(repeat):
        n, batch = 0, 200
        t0 = time.perf_counter()
        while True:
            for _ in range(batch):
                fn()
            n += batch
            dt = time.perf_counter() - t0
            if dt >= window:
                break
        best = max(best, n / dt)
    return best


def scapy_rate(seconds: float) -> float | None:
    try:
        from scapy.config import conf

        conf.dot15d4_protocol = "zigbee"
        from scapy.layers.dot15d4 import Dot15d4Data, Dot15d4FCS
        from scapy.layers.zigbee import (
            ZCLGeneralReadAttributesResponse,
            ZCLReadAttributeStatusRecord,
            ZigbeeAppDataPayload,
            ZigbeeClusterLibrary,
            ZigbeeNWK,
        )
    except ImportError:
        return None

    def rt() -> None:
        pkt = (
            Dot15d4FCS(
                fcf_frametype=1,
                fcf_ackreq=1,
                fcf_panidcompress=1,
                fcf_destaddrmode=2,
                fcf_srcaddrmode=2,
                seqnum=11,
            )
            / Dot15d4Data(dest_panid=PAN, dest_addr=DST, src_addr=SRC)
            / ZigbeeNWK(
                frametype=0,
                proto_version=2,
                discover_route=1,
                destination=DST,
                source=SRC,
                radius=30,
                seqnum=5,
            )
            / ZigbeeAppDataPayload(
                frame_control=0,
                delivery_mode=0,
                dst_endpoint=1,
                cluster=0x0402,
                profile=0x0104,
                src_endpoint=1,
                counter=9,
            )
            / ZigbeeClusterLibrary(
                zcl_frametype=0, direction=1, transaction_sequence=7, command_identifier=0x01
            )
            / ZCLGeneralReadAttributesResponse(
                read_attribute_status_record=[
                    ZCLReadAttributeStatusRecord(
                        attribute_identifier=0,
                        status=0,
                        attribute_data_type=0x20,
                        attribute_value=b"\x2a",
                    ),
                    ZCLReadAttributeStatusRecord(
                        attribute_identifier=1,
                        status=0,
                        attribute_data_type=0x29,
                        attribute_value=(-1234).to_bytes(2, "little", signed=True),
                    ),
                    ZCLReadAttributeStatusRecord(
                        attribute_identifier=2,
                        status=0,
                        attribute_data_type=0x42,
                        attribute_value=b"\x07zigmesh",
                    ),
                ]
            )
        )
        Dot15d4FCS(bytes(pkt)).getlayer(ZCLGeneralReadAttributesResponse)

    return rate(rt, seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--seconds", type=float, default=2.5, help="time per measurement (best of 5 windows)"
    )
    args = ap.parse_args()
    s = args.seconds
    assert decode(encode(False), False).records == RECORDS
    assert decode(encode(True), True).records == RECORDS
    plain, sec = encode(False), encode(True)
    print(f"frame: {len(plain)}-byte PSDU unsecured, {len(sec)}-byte NWK-secured")
    print(f"{'':24}{'encode/s':>12}{'decode/s':>12}{'round trip/s':>14}")
    for name, secured, psdu in (("unsecured", False, plain), ("NWK-secured", True, sec)):
        e = rate(lambda secured=secured: encode(secured), s)
        d = rate(lambda psdu=psdu, secured=secured: decode(psdu, secured), s)
        r = rate(lambda secured=secured: decode(encode(secured), secured), s)
        print(f"zigmesh {name:16}{e:12,.0f}{d:12,.0f}{r:14,.0f}")
    sc = scapy_rate(s)
    if sc is None:
        print("scapy: not installed (pip install scapy) - skipped")
    else:
        print(f"scapy   {'unsecured':16}{'':12}{'':12}{sc:14,.0f}")


if __name__ == "__main__":
    main()
