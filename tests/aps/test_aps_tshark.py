"""Every APS frame variant and APS command, unsecured and APS-secured, through tshark.

Frames are wrapped in hand-rolled NWK + MAC data headers (tests/framing.py). The secured frames
use keys derived from the well-known trust center link key "ZigBeeAlliance09", which tshark is
given as a link key: it must decrypt them (key-transport key, key-load key and the link key
itself) and show the fields we encoded. Zigbee spec R22 2.2.5 (frames), 4.4.10 (commands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.framing import mac_data, nwk_data
from tests.tshark import assert_no_malformed, require_tshark, tshark_fields
from zigmesh.aps.commands import (
    ApsCommand,
    ApsCommandId,
    ApsStatus,
    ConfirmKey,
    EaChallenge,
    EaKeyType,
    EaMacData,
    KeyType,
    RemoveDevice,
    RequestKey,
    RequestKeyType,
    Skke,
    SwitchKey,
    TransportApplicationLinkKey,
    TransportNetworkKey,
    TransportTrustCenterLinkKey,
    Tunnel,
    UnknownApsCommand,
    UpdateDevice,
    UpdateDeviceStatus,
    VerifyKey,
)
from zigmesh.aps.frames import (
    ApsFrame,
    ApsFrameType,
    DeliveryMode,
    ExtendedHeader,
    Fragmentation,
    secure_aps,
)
from zigmesh.capture.pcap import write_pcap
from zigmesh.security.aux import AuxHeader, KeyId
from zigmesh.types import EUI64

LINK_KEY = b"ZigBeeAlliance09"
LINK_KEY_HEX = LINK_KEY.hex().upper()
assert LINK_KEY_HEX == "5A6967426565416C6C69616E63653039"
TC = 0x00124B0001020304
DEV = 0x8877665544332211
PARTNER = 0x0102030405060708
NWK_KEY = bytes(range(0x10, 0x20))
APP_KEY = bytes(range(0xA0, 0xB0))
ZCL_ON = b"\x01\x05\x01"  # cluster-specific, seq 5, On/Off "On"

FIELDS = [
    "zbee_aps.type",
    "zbee_aps.delivery",
    "zbee_aps.ack_format",
    "zbee_aps.security",
    "zbee_aps.ack_req",
    "zbee_aps.ext_header",
    "zbee_aps.dst",
    "zbee_aps.group",
    "zbee_aps.cluster",
    "zbee_aps.zdp_cluster",
    "zbee_aps.profile",
    "zbee_aps.src",
    "zbee_aps.counter",
    "zbee_aps.fragmentation",
    "zbee_aps.block",
    "zbee_aps.block_acks",
    "zbee_aps.cmd.id",
    "zbee_aps.cmd.key_type",
    "zbee_aps.cmd.key",
    "zbee_aps.cmd.seqno",
    "zbee_aps.cmd.dst",
    "zbee_aps.cmd.src",
    "zbee_aps.cmd.partner",
    "zbee_aps.cmd.init_flag",
    "zbee_aps.cmd.device",
    "zbee_aps.cmd.addr",
    "zbee_aps.cmd.update_status",
    "zbee_aps.cmd.status",
    "zbee_aps.cmd.key_hash",
    "zbee_aps.cmd.initiator",
    "zbee_aps.cmd.responder",
    "zbee_aps.cmd.challenge",
    "zbee_aps.cmd.mac",
    "zbee_aps.cmd.ea.key_type",
    "zbee_aps.cmd.ea.data",
    "zbee.sec.key_id",
    "zbee.sec.ext_nonce",
    "zbee.sec.counter",
    "zbee.sec.src64",
    "zbee.sec.decryption_key",
    "zbee_zcl.cmd.tsn",
    "zbee_aps.reassembled.length",
]


def _h8(v: int) -> str:
    return f"0x{v:02x}"


def _h16(v: int) -> str:
    return f"0x{v:04x}"


def _eui(v: int) -> str:
    return str(EUI64(v))


def _flag(v: bool) -> str:
    return "1" if v else "0"


@dataclass
class Case:
    name: str
    aps: bytes  # APS frame as on the air
    expect: dict[str, str] = field(default_factory=dict)


def _frame_fields(f: ApsFrame) -> dict[str, str]:
    """What tshark should show for the APS header of ``f``."""
    e = {
        "zbee_aps.type": _h8(f.frame_type),
        "zbee_aps.delivery": _h8(f.delivery_mode),
        "zbee_aps.security": _flag(f.security),
        "zbee_aps.ack_req": _flag(f.ack_request),
        "zbee_aps.ext_header": _flag(f.extended_header is not None),
    }
    if f.frame_type == ApsFrameType.ACK:
        e["zbee_aps.ack_format"] = _flag(f.ack_format)
    if f.dst_endpoint is not None:
        e["zbee_aps.dst"] = str(f.dst_endpoint)
    if f.group_address is not None:
        e["zbee_aps.group"] = _h16(f.group_address)
    if f.cluster_id is not None:
        key = "zbee_aps.zdp_cluster" if f.profile_id == 0 else "zbee_aps.cluster"
        e[key] = _h16(f.cluster_id)
        e["zbee_aps.profile"] = _h16(f.profile_id or 0)
    if f.src_endpoint is not None:
        e["zbee_aps.src"] = str(f.src_endpoint)
    if f.counter is not None:
        e["zbee_aps.counter"] = str(f.counter)
    ext = f.extended_header
    if ext is not None:
        e["zbee_aps.fragmentation"] = _h8(ext.fragmentation)
        if ext.block_number is not None:
            e["zbee_aps.block"] = str(ext.block_number)
        if ext.ack_bitfield is not None:
            e["zbee_aps.block_acks"] = _h8(ext.ack_bitfield)
    if f.aux is not None:
        e["zbee.sec.key_id"] = _h8(f.aux.key_id)
        e["zbee.sec.ext_nonce"] = _flag(f.aux.extended_nonce)
        e["zbee.sec.counter"] = str(f.aux.frame_counter)
        if f.aux.source is not None:
            e["zbee.sec.src64"] = _eui(f.aux.source)
    return e


def _command_fields(c: ApsCommand) -> dict[str, str]:
    """What tshark should show for the command payload ``c``."""
    e = {"zbee_aps.cmd.id": _h8(c.command_id)}
    match c:
        case TransportTrustCenterLinkKey():
            e |= {"zbee_aps.cmd.key_type": _h8(c.key_type), "zbee_aps.cmd.key": c.key.hex()}
            e |= {"zbee_aps.cmd.dst": _eui(c.dest), "zbee_aps.cmd.src": _eui(c.source)}
        case TransportNetworkKey():
            e |= {"zbee_aps.cmd.key_type": _h8(c.key_type), "zbee_aps.cmd.key": c.key.hex()}
            e |= {"zbee_aps.cmd.seqno": str(c.key_seq)}
            e |= {"zbee_aps.cmd.dst": _eui(c.dest), "zbee_aps.cmd.src": _eui(c.source)}
        case TransportApplicationLinkKey():
            e |= {"zbee_aps.cmd.key_type": _h8(c.key_type), "zbee_aps.cmd.key": c.key.hex()}
            e |= {
                "zbee_aps.cmd.partner": _eui(c.partner),
                "zbee_aps.cmd.init_flag": _flag(c.initiator),
            }
        case UpdateDevice():
            e |= {"zbee_aps.cmd.device": _eui(c.device), "zbee_aps.cmd.addr": _h16(c.short_address)}
            e |= {"zbee_aps.cmd.update_status": _h8(c.status)}
        case RemoveDevice():
            e |= {"zbee_aps.cmd.device": _eui(c.target)}
        case RequestKey():
            e |= {"zbee_aps.cmd.key_type": _h8(c.key_type)}
            if c.partner is not None:
                e |= {"zbee_aps.cmd.partner": _eui(c.partner)}
        case Tunnel():
            e |= {"zbee_aps.cmd.dst": _eui(c.dest)}
        case SwitchKey():
            e |= {"zbee_aps.cmd.seqno": str(c.key_seq)}
        case VerifyKey():
            e |= {"zbee_aps.cmd.key_type": _h8(c.key_type), "zbee_aps.cmd.src": _eui(c.source)}
            e |= {"zbee_aps.cmd.key_hash": c.key_hash.hex()}
        case ConfirmKey():
            e |= {"zbee_aps.cmd.status": _h8(c.status), "zbee_aps.cmd.key_type": _h8(c.key_type)}
            e |= {"zbee_aps.cmd.dst": _eui(c.dest)}
        case Skke():
            e |= {
                "zbee_aps.cmd.initiator": _eui(c.initiator),
                "zbee_aps.cmd.responder": _eui(c.responder),
            }
            key = (
                "zbee_aps.cmd.challenge"
                if c.command_id <= ApsCommandId.SKKE_2
                else "zbee_aps.cmd.mac"
            )
            e |= {key: c.data.hex()}
        case EaChallenge():
            e |= {"zbee_aps.cmd.ea.key_type": _h8(c.key_type)}
            if c.key_seq is not None:
                e |= {"zbee_aps.cmd.seqno": str(c.key_seq)}
            e |= {
                "zbee_aps.cmd.initiator": _eui(c.initiator),
                "zbee_aps.cmd.responder": _eui(c.responder),
            }
            e |= {"zbee_aps.cmd.challenge": c.challenge.hex()}
        case EaMacData():
            e |= {"zbee_aps.cmd.mac": c.mac.hex(), "zbee_aps.cmd.ea.key_type": _h8(c.data_type)}
            e |= {"zbee_aps.cmd.ea.data": c.data.hex()}
        case _:
            pass
    return e


def _merge(*parts: dict[str, str]) -> dict[str, str]:
    """Merge field expectations; repeated fields (tunnelled frames) aggregate with commas."""
    out: dict[str, str] = {}
    for p in parts:
        for k, v in p.items():
            out[k] = f"{out[k]},{v}" if k in out else v
    return out


def _data(**kw: object) -> ApsFrame:
    base: dict[str, object] = {
        "frame_type": ApsFrameType.DATA,
        "cluster_id": 0x0006,
        "profile_id": 0x0104,
        "src_endpoint": 1,
        "payload": ZCL_ON,
    }
    base.update(kw)
    return ApsFrame(**base)  # type: ignore[arg-type]


def _plain(name: str, f: ApsFrame, extra: dict[str, str] | None = None) -> Case:
    return Case(name, f.encode(), _merge(_frame_fields(f), extra or {}))


def _command(counter: int, cmd: ApsCommand, ack_request: bool = False) -> Case:
    f = ApsFrame(
        ApsFrameType.COMMAND, ack_request=ack_request, counter=counter, payload=cmd.encode()
    )
    return Case(
        f"cmd {type(cmd).__name__} {cmd.command_id:#04x}",
        f.encode(),
        _merge(_frame_fields(f), _command_fields(cmd)),
    )


def _secured(name: str, f: ApsFrame, cmd: ApsCommand | None, label: str = "link0") -> Case:
    e = _merge(_frame_fields(f), _command_fields(cmd) if cmd is not None else {})
    e["zbee.sec.decryption_key"] = label
    return Case(name, secure_aps(f, LINK_KEY), e)


def build_cases() -> list[Case]:
    cases: list[Case] = []
    # data frames, one per delivery mode (indirect is reserved since 2007: tshark rejects it)
    cases.append(
        _plain(
            "unicast data",
            _data(dst_endpoint=1, counter=0x10, ack_request=True),
            {"zbee_zcl.cmd.tsn": "5"},
        )
    )
    cases.append(
        _plain(
            "broadcast data",
            _data(
                delivery_mode=DeliveryMode.BROADCAST,
                dst_endpoint=0xFF,
                counter=0x11,
                src_endpoint=2,
            ),
        )
    )
    cases.append(
        _plain(
            "group data",
            _data(
                delivery_mode=DeliveryMode.GROUP, group_address=0x1234, counter=0x12, src_endpoint=3
            ),
        )
    )
    cases.append(
        _plain(
            "zdp data",
            _data(
                dst_endpoint=0,
                src_endpoint=0,
                cluster_id=0x0005,
                profile_id=0x0000,
                counter=0x13,
                payload=b"\x07\x34\x12",
            ),
        )
    )
    cases.append(
        _plain(
            "unicast data ack",
            ApsFrame(
                ApsFrameType.ACK,
                dst_endpoint=1,
                cluster_id=0x0006,
                profile_id=0x0104,
                src_endpoint=1,
                counter=0x10,
            ),
        )
    )
    cases.append(_plain("command ack", ApsFrame(ApsFrameType.ACK, counter=0x40)))
    # a fragmented message: the first block (2 blocks in all) and the second, then the ack
    cases.append(
        _plain(
            "first fragment",
            _data(
                dst_endpoint=1,
                counter=0x30,
                ack_request=True,
                extended_header=ExtendedHeader(Fragmentation.FIRST, 2),
                payload=ZCL_ON[:2],
            ),
        )
    )
    cases.append(
        _plain(
            "subsequent fragment",
            _data(
                dst_endpoint=1,
                counter=0x30,
                ack_request=True,
                extended_header=ExtendedHeader(Fragmentation.SUBSEQUENT, 1),
                payload=ZCL_ON[2:],
            ),
            # tshark reassembles the two blocks into the ZCL frame
            {"zbee_aps.reassembled.length": "3", "zbee_zcl.cmd.tsn": "5"},
        )
    )
    cases.append(
        _plain(
            "fragment ack",
            ApsFrame(
                ApsFrameType.ACK,
                dst_endpoint=1,
                cluster_id=0x0006,
                profile_id=0x0104,
                src_endpoint=1,
                counter=0x30,
                extended_header=ExtendedHeader(Fragmentation.FIRST, 0, 0x03),
            ),
        )
    )
    cases.append(
        _plain(
            "unfragmented extended header",
            _data(dst_endpoint=1, counter=0x14, extended_header=ExtendedHeader()),
        )
    )
    cases.append(
        _plain(
            "inter-pan",
            ApsFrame(ApsFrameType.INTER_PAN, cluster_id=6, profile_id=0x0104, payload=ZCL_ON),
        )
    )
    cases.append(
        _plain(
            "inter-pan group",
            ApsFrame(
                ApsFrameType.INTER_PAN,
                DeliveryMode.GROUP,
                group_address=0xBEEF,
                cluster_id=6,
                profile_id=0x0104,
                payload=ZCL_ON,
            ),
        )
    )
    # every command, unsecured
    key_hash = bytes(range(0x30, 0x40))
    inner_cmd = TransportNetworkKey(NWK_KEY, 7, DEV, TC)
    inner = ApsFrame(
        ApsFrameType.COMMAND,
        counter=0x51,
        aux=AuxHeader(KeyId.KEY_TRANSPORT_KEY, 0x2000, source=TC),
        payload=inner_cmd.encode(),
    )
    commands: list[ApsCommand] = [
        TransportTrustCenterLinkKey(APP_KEY, DEV, TC),
        TransportNetworkKey(NWK_KEY, 1, DEV, TC),
        TransportNetworkKey(NWK_KEY, 2, 0, TC),
        TransportApplicationLinkKey(APP_KEY, PARTNER, True),
        TransportApplicationLinkKey(APP_KEY, PARTNER, False),
        UpdateDevice(DEV, 0x4321, UpdateDeviceStatus.STANDARD_DEVICE_UNSECURED_JOIN),
        UpdateDevice(DEV, 0x4321, UpdateDeviceStatus.DEVICE_LEFT),
        RemoveDevice(DEV),
        RequestKey(RequestKeyType.TRUST_CENTER_LINK_KEY),
        RequestKey(RequestKeyType.APPLICATION_LINK_KEY, PARTNER),
        SwitchKey(3),
        VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, DEV, key_hash),
        ConfirmKey(ApsStatus.SUCCESS, KeyType.TRUST_CENTER_LINK_KEY, DEV),
        ConfirmKey(ApsStatus.SECURITY_FAIL, KeyType.TRUST_CENTER_LINK_KEY, DEV),
        Skke(ApsCommandId.SKKE_1, DEV, TC, key_hash),
        Skke(ApsCommandId.SKKE_2, TC, DEV, key_hash),
        Skke(ApsCommandId.SKKE_3, DEV, TC, key_hash),
        Skke(ApsCommandId.SKKE_4, TC, DEV, key_hash),
        EaChallenge(
            ApsCommandId.EA_INITIATOR_CHALLENGE, EaKeyType.NETWORK_KEY, 4, DEV, TC, key_hash
        ),
        EaChallenge(
            ApsCommandId.EA_RESPONDER_CHALLENGE, EaKeyType.LINK_KEY, None, TC, DEV, key_hash
        ),
        EaMacData(
            ApsCommandId.EA_INITIATOR_MAC_DATA, key_hash, EaKeyType.NETWORK_KEY, b"\x01\x02\x03\x04"
        ),
        EaMacData(
            ApsCommandId.EA_RESPONDER_MAC_DATA, key_hash, EaKeyType.LINK_KEY, b"\x05\x06\x07\x08"
        ),
        UnknownApsCommand(0x3F),
    ]
    for i, cmd in enumerate(commands):
        cases.append(_command(0x60 + i, cmd, ack_request=i % 2 == 0))
    # tunnel: the tunnelled frame is a secured transport key tshark decrypts in place
    tunnel = Tunnel(DEV, ApsFrame.decode(secure_aps(inner, LINK_KEY)))
    c = _command(0x50, tunnel)
    c.expect = _merge(c.expect, _frame_fields(inner), _command_fields(inner_cmd))
    c.expect["zbee.sec.decryption_key"] = "link0"
    cases.append(c)
    # APS-secured frames
    tk = TransportNetworkKey(NWK_KEY, 0, DEV, TC)
    cases.append(
        _secured(
            "secured transport network key (key-transport key)",
            ApsFrame(
                ApsFrameType.COMMAND,
                counter=0x70,
                aux=AuxHeader(KeyId.KEY_TRANSPORT_KEY, 1000, source=TC),
                payload=tk.encode(),
            ),
            tk,
        )
    )
    tclk = TransportTrustCenterLinkKey(APP_KEY, DEV, TC)
    cases.append(
        _secured(
            "secured transport tc link key (key-load key)",
            ApsFrame(
                ApsFrameType.COMMAND,
                counter=0x71,
                aux=AuxHeader(KeyId.KEY_LOAD_KEY, 1001, source=TC),
                payload=tclk.encode(),
            ),
            tclk,
        )
    )
    vk = VerifyKey(KeyType.TRUST_CENTER_LINK_KEY, DEV, key_hash)
    cases.append(
        _secured(
            "secured verify key (link key)",
            ApsFrame(
                ApsFrameType.COMMAND,
                ack_request=True,
                counter=0x72,
                aux=AuxHeader(KeyId.DATA_KEY, 1002, source=DEV),
                payload=vk.encode(),
            ),
            vk,
        )
    )
    cases.append(
        _secured(
            "secured unicast data (link key)",
            _data(dst_endpoint=1, counter=0x73, aux=AuxHeader(KeyId.DATA_KEY, 1003, source=DEV)),
            None,
        )
    )
    return cases


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    require_tshark()
    cases = build_cases()
    records = [
        (1_000 * i, mac_data(nwk_data(c.aps, seq=i & 0xFF), seq=i & 0xFF))
        for i, c in enumerate(cases)
    ]
    path = tmp_path_factory.mktemp("aps") / "aps.pcap"
    write_pcap(path, records)
    return path, cases


def test_no_malformed(capture: tuple[Path, list[Case]]) -> None:
    path, _ = capture
    assert_no_malformed(path, link_keys=(LINK_KEY_HEX,))


def test_fields_match(capture: tuple[Path, list[Case]]) -> None:
    path, cases = capture
    rows = tshark_fields(path, FIELDS, link_keys=(LINK_KEY_HEX,))
    assert len(rows) == len(cases)
    for case, row in zip(cases, rows, strict=True):
        got = dict(zip(FIELDS, row, strict=True))
        for name, want in case.expect.items():
            assert got[name] == want, f"{case.name}: {name} = {got[name]!r}, expected {want!r}"
        for name in (
            "zbee_aps.dst",
            "zbee_aps.group",
            "zbee_aps.src",
            "zbee_aps.counter",
            "zbee_aps.block",
        ):
            if name not in case.expect:
                assert got[name] == "", f"{case.name}: {name} should be absent, got {got[name]!r}"


def test_transport_key_decrypted(capture: tuple[Path, list[Case]]) -> None:
    """The network key sent under the key-transport key of ZigBeeAlliance09 is readable."""
    path, _ = capture
    rows = tshark_fields(
        path,
        ["zbee_aps.cmd.key", "zbee.sec.key_id", "zbee.sec.decryption_key"],
        display_filter="zbee_aps.cmd.id == 0x05 && zbee_aps.security == 1",
        link_keys=(LINK_KEY_HEX,),
    )
    assert [NWK_KEY.hex(), "0x02", "link0"] in rows
