"""A fake MAC for NWK unit tests: records every request, delivers nothing by itself.

Tests drive the NWK with :func:`rx` (an MCPS-DATA.indication carrying a NWK frame) and
:func:`confirm_all` (MCPS-DATA.confirm for every outstanding request), on a
:class:`~zigmesh.sim.kernel.Kernel` used as a clock with literal times.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from zigmesh.mac.frames import AddrMode
from zigmesh.mac.pib import MacPib
from zigmesh.mac.primitives import MacStatus, McpsDataConfirm, McpsDataIndication
from zigmesh.nwk.commands import NwkCommand, decode_command
from zigmesh.nwk.frames import NwkFrame, NwkFrameType
from zigmesh.nwk.nwk import Nwk, NwkConfig
from zigmesh.nwk.tables import DeviceType
from zigmesh.sim.kernel import Kernel
from zigmesh.types import EUI64

PAN = 0x1A2B
EXT_PAN = 0xDDDDDDDDDDDDDDDD


@dataclass
class Sent:
    dst: int
    msdu: bytes
    handle: int
    ack: bool
    indirect: bool
    extended: bool
    time: int

    @property
    def frame(self) -> NwkFrame:
        return NwkFrame.decode(self.msdu)

    @property
    def command(self) -> NwkCommand:
        return decode_command(self.frame.payload)


@dataclass
class FakeMac:
    ieee: int
    clock: Kernel
    sent: list[Sent] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)
    polls: int = 0
    upper: Any = None

    def __post_init__(self) -> None:
        self.pib = MacPib(mac_extended_address=self.ieee)

    @property
    def extended_address(self) -> EUI64:
        return EUI64(self.ieee)

    @property
    def busy(self) -> bool:
        return False

    def set_upper(self, upper: Any, data: Any = None) -> None:
        # (data indications reach the NWK through ``upper`` here: tests inject them there)
        self.upper = upper

    def mcps_data_request(
        self,
        dst_addr: int,
        msdu: bytes,
        *,
        msdu_handle: int = 0,
        dst_addr_mode: AddrMode | None = None,
        ack_request: bool = True,
        indirect: bool = False,
        **_: Any,
    ) -> None:
        self.sent.append(
            Sent(
                dst_addr,
                bytes(msdu),
                msdu_handle,
                ack_request and dst_addr != 0xFFFF,
                indirect,
                dst_addr_mode == AddrMode.EXTENDED,
                self.clock.now(),
            )
        )

    def mcps_purge_request(self, msdu_handle: int) -> MacStatus:
        self.purged.append(msdu_handle)
        return MacStatus.SUCCESS

    def mlme_set(self, attribute: str, value: object) -> None:
        if attribute != "phy_current_channel":
            self.pib.set(attribute, value)

    def mlme_reset(self, set_default_pib: bool = True) -> MacStatus:
        self.pib = MacPib(mac_extended_address=self.ieee)
        return MacStatus.SUCCESS

    def mlme_poll_request(self, *args: Any, **kw: Any) -> None:
        self.polls += 1

    def mlme_scan_request(self, *args: Any, **kw: Any) -> None:
        pass

    def mlme_start_request(self, *args: Any, **kw: Any) -> None:
        pass

    def mlme_associate_request(self, *args: Any, **kw: Any) -> None:
        pass

    def mlme_associate_response(self, *args: Any, **kw: Any) -> None:
        pass

    # -- test helpers ----------------------------------------------------------------------

    def take(self) -> list[Sent]:
        out = self.sent
        self.sent = []
        return out

    def confirm(self, s: Sent, status: MacStatus = MacStatus.SUCCESS) -> None:
        self.upper(McpsDataConfirm(s.handle, status, self.clock.now()))


def make_nwk(
    address: int,
    ieee: int | None = None,
    *,
    kernel: Kernel | None = None,
    device_type: DeviceType = DeviceType.ROUTER,
    config: NwkConfig | None = None,
    seed: int = 1,
) -> tuple[Nwk, FakeMac, Kernel, list[object]]:
    """A NWK on a fake MAC, already in a network as ``device_type`` with ``address``; returns
    the NWK, its MAC, the clock and the list its events go to."""
    k = kernel if kernel is not None else Kernel()
    mac = FakeMac(ieee if ieee is not None else 0x00AA000000000000 | address, k)
    nwk = Nwk(mac, k, random.Random(seed), config=config)  # type: ignore[arg-type]
    events: list[object] = []
    nwk.set_upper(events.append)
    nwk.device_type = device_type
    nwk.router_started = device_type != DeviceType.END_DEVICE
    nwk.set_network_address(address)
    nwk.nib.nwk_pan_id = PAN
    nwk.nib.nwk_extended_pan_id = EXT_PAN
    mac.pib.mac_pan_id = PAN
    mac.pib.mac_rx_on_when_idle = device_type != DeviceType.END_DEVICE
    return nwk, mac, k, events


def rx(
    nwk: Nwk,
    frame: NwkFrame | bytes,
    prev_hop: int,
    *,
    lqi: int = 255,
    mac_dst: int | None = None,
    frame_pending: bool = False,
) -> None:
    """Hand the NWK a frame as if its MAC had received it from ``prev_hop``."""
    data = frame if isinstance(frame, bytes) else frame.encode()
    nf = NwkFrame.decode(data)
    dst = mac_dst if mac_dst is not None else (0xFFFF if nf.dst >= 0xFFF8 else nwk.address)
    mac: FakeMac = nwk.mac  # type: ignore[assignment]
    nwk._on_mac(
        McpsDataIndication(
            AddrMode.SHORT,
            PAN,
            prev_hop,
            AddrMode.SHORT,
            PAN,
            dst,
            data,
            lqi,
            0,
            mac.clock.now(),
            -40,
            frame_pending,
        )
    )


def command_frame(
    cmd: NwkCommand,
    src: int,
    dst: int,
    *,
    radius: int = 30,
    seq: int = 1,
    src_ieee: int | None = None,
    dst_ieee: int | None = None,
) -> NwkFrame:
    return NwkFrame(
        NwkFrameType.COMMAND,
        dst,
        src,
        radius,
        seq,
        cmd.encode(),
        src_ieee=src_ieee,
        dst_ieee=dst_ieee,
    )


def data_frame(src: int, dst: int, payload: bytes, *, radius: int = 30, seq: int = 1) -> NwkFrame:
    return NwkFrame(NwkFrameType.DATA, dst, src, radius, seq, payload)


def nwk_state(nwk: Nwk) -> object:
    """What a received frame can change at a NWK on a :class:`FakeMac`: its counters, neighbour
    table, address map, own address and the frames it sent (taken)."""
    return (
        asdict(nwk.stats),
        [asdict(e) for e in nwk.neighbors],
        list(nwk.address_map),
        nwk.nib.nwk_network_address,
        [(s.dst, s.msdu) for s in nwk.mac.take()],  # type: ignore[attr-defined]
    )
