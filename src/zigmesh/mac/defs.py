"""Definitions shared by :mod:`zigmesh.mac.mac` and the procedure mixins of its :class:`Mac`
(scan.py, association.py, polling.py, rx.py): configuration, counters, states, the transmission
job, the constants of the hot paths (802.15.4-2006 7.2, 7.5) and small request helpers."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from zigmesh.clock import TimerHandle
from zigmesh.codec import memo_bytes_decoder
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.commands import MacCommandId
from zigmesh.mac.fcs import append_fcs
from zigmesh.mac.frames import AddrMode, FrameType, MacFrame
from zigmesh.mac.indirect import Transaction
from zigmesh.mac.pib import max_retransmission_time
from zigmesh.mac.primitives import MacEvent, MacStatus, PanDescriptor, ScanType
from zigmesh.phy import CHANNELS, SYMBOL_US, RadioState
from zigmesh.types import EUI64

UpperCallback = Callable[[MacEvent], None]
#: the fields of an MCPS-DATA.indication a NWK layer reads, in a call instead of a primitive
#: built per frame heard (:meth:`Mac.set_upper`), for one frame heard by several receivers at
#: once: the receivers' contexts (what each registered with its sink), their mpduLinkQuality,
#: then the frame's msdu, SrcAddrMode, SrcAddr, DstAddr, Timestamp (us) and Frame Pending bit
DataSink = Callable[
    [Sequence[Any], Sequence[int], bytes, AddrMode, int | None, int | None, int, bool], None
]

_RX = RadioState.RX
_TX = RadioState.TX
_IDLE = RadioState.IDLE
_SLEEP = RadioState.SLEEP
_SHORT = AddrMode.SHORT
_EXT = AddrMode.EXTENDED
_NONE = AddrMode.NONE
_FT_BEACON = FrameType.BEACON
_FT_DATA = FrameType.DATA
_FT_CMD = FrameType.MAC_COMMAND
_CMD_DATA_REQUEST = int(MacCommandId.DATA_REQUEST)
_BROADCAST = 0xFFFF
#: MacFrame.decode memoised: the receivers of one frame share the decoded (frozen) frame
_decode_psdu = memo_bytes_decoder(MacFrame.decode)

#: precomputed ACK PSDUs (802.15.4-2006 7.2.2.3), index ``seq | pending << 8``
_ACK_FRAMES: tuple[bytes, ...] = tuple(
    MacFrame.ack(s, p).encode() for p in (False, True) for s in range(256)
)

#: 2003 data frame, short destination and source, PAN ID compression (intra-PAN)
_FCF_DATA_SHORT_SHORT = 0x0001 | 0x0040 | (2 << 10) | (2 << 14)
_FCF_ACK_REQUEST = 0x0020
_FCF_FRAME_PENDING = 0x10
_HDR_SHORT_SHORT = struct.Struct("<HBHHH")

# what a transmission job is (ints: compared on hot paths)
_K_DATA = 0
_K_INDIRECT = 1
_K_ASSOC_REQ = 2
_K_ASSOC_POLL = 3
_K_POLL = 4
_K_BEACON_REQ = 5
_K_BEACON = 6
_K_DISASSOC = 7
_K_ORPHAN = 8
_K_REALIGN = 9
_K_ASSOC_RESP = 10  # only as a Transaction kind (always indirect)
_SCAN_KINDS = (_K_BEACON_REQ, _K_ORPHAN)

# what the radio is sending
_TXK_NONE = 0
_TXK_ACK = 1
_TXK_FRAME = 2

# what the receiver waits for after a Data Request whose ACK had Frame Pending set
_RXW_NONE = 0
_RXW_POLL = 1
_RXW_ASSOC = 2

_ASSOC_STATUS = {0: MacStatus.SUCCESS, 1: MacStatus.PAN_AT_CAPACITY, 2: MacStatus.PAN_ACCESS_DENIED}

#: default duplicate window: the retransmissions of one frame with the default PIB
#: (macMaxFrameRetries 3, macMinBE 3, macMaxBE 5, macMaxCSMABackoffs 4): 171,008 us
DUPLICATE_WINDOW_US = max_retransmission_time(3, 3, 5, 4) * SYMBOL_US


class AssocState(Enum):
    """Device side of association (802.15.4-2006 7.5.3.1, Figure 74)."""

    IDLE = 0
    #: Association Request being sent (CSMA-CA / ACK wait)
    REQUESTING = 1
    #: ACK received: waiting macResponseWaitTime before polling
    WAITING = 2
    #: Data Request being sent
    POLLING = 3
    #: ACK had Frame Pending: receiver on, waiting for the Association Response
    RECEIVING = 4


class PollState(Enum):
    """MLME-POLL (802.15.4-2006 7.5.6.3)."""

    IDLE = 0
    REQUESTING = 1
    RECEIVING = 2


@dataclass(frozen=True, slots=True)
class MacConfig:
    """Implementation choices the spec leaves open (not PIB attributes)."""

    #: transaction queue capacity (frames for all sleeping children together)
    indirect_capacity: int = 16
    #: a beacon answers a Beacon Request after a random delay in [0, this] us, then CSMA-CA
    beacon_jitter_us: int = 5_000
    #: set Frame Pending in the ACK of any frame from a device we hold data for (802.15.4
    #: allows it), not only of its Data Requests
    ack_pending_for_any_frame: bool = False
    #: duplicate rejection: last DSN remembered for this many source addresses (least
    #: recently heard forgotten first)
    duplicate_table_size: int = 64
    #: duplicate rejection window, us. A retransmission repeats the frame with its DSN
    #: (802.15.4-2006 7.5.6.4.3), so an acknowledged frame whose source, DSN and payload equal
    #: those of the last one from that source is dropped (after being ACKed again) only if
    #: the earlier one came less than this long ago: the span of one frame's first
    #: transmission and macMaxFrameRetries retries with worst-case CSMA-CA and ACK waits
    #: (:func:`~zigmesh.mac.pib.max_retransmission_time`, 171,008 us with the default PIB).
    #: Later, the sender's 8-bit DSN may simply have wrapped. (A frame extracted by our
    #: Data Request is remembered for macTransactionPersistenceTime instead: a coordinator
    #: re-sends an unacknowledged indirect frame, same DSN, at the next poll.) 0 disables it.
    duplicate_window_us: int = DUPLICATE_WINDOW_US
    #: ED scan: the energy is sampled this often over each channel's scan duration
    ed_sample_interval_us: int = 320

    def __post_init__(self) -> None:
        if self.duplicate_table_size < 1:
            raise LocalProtocolError("duplicate_table_size must be >= 1")
        if self.duplicate_window_us < 0:
            raise LocalProtocolError("duplicate_window_us must be >= 0")


@dataclass(slots=True)
class MacStats:
    """Per-MAC counters (frames from the air never raise: they end up here)."""

    #: frames put on air (ACKs excluded), their PSDU bytes, and ACKs sent
    tx_frames: int = 0
    tx_bytes: int = 0
    tx_acks: int = 0
    #: transmissions confirmed (ACK received, or no ACK requested)
    tx_success: int = 0
    #: retransmissions after a missing ACK
    tx_retries: int = 0
    tx_no_ack: int = 0
    tx_channel_access_failures: int = 0
    #: ACKs that could not be sent (our radio was transmitting when they were due)
    tx_acks_skipped: int = 0
    #: frames accepted (for us, FCS good, decoded)
    rx_frames: int = 0
    #: ACKs matching our pending DSN
    rx_acks: int = 0
    rx_bad_fcs: int = 0
    rx_decode_error: int = 0
    #: frames for another address (or an ACK not awaited) that reached the MAC: a filtering
    #: radio drops most before (``zigmesh.phy.FrameFilter``; the simulator's ``rx_filtered``)
    rx_not_for_us: int = 0
    rx_duplicate: int = 0
    #: valid frames for us that nothing was expecting (beacons outside a scan, frames during
    #: a scan, responses to no request, association requests while not permitted)
    rx_ignored: int = 0
    indirect_queued: int = 0
    indirect_expired: int = 0
    indirect_overflow: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class _TxJob:
    """One frame to send with CSMA-CA (and ACK/retries when ``ack``)."""

    __slots__ = ("psdu", "seq", "ack", "kind", "handle", "retries", "trans", "ctx")

    def __init__(self, psdu: bytes, seq: int, ack: bool, kind: int, handle: int = 0) -> None:
        self.psdu = psdu
        self.seq = seq
        self.ack = ack
        self.kind = kind
        self.handle = handle
        self.retries = 0
        self.trans: Transaction | None = None
        self.ctx: tuple[Any, ...] = ()


class _Seen:
    """Duplicate table entry: the last acknowledged frame heard from one source."""

    __slots__ = ("dsn", "until", "payload")

    def __init__(self) -> None:
        self.dsn = -1
        #: a repeat received before this time is a retransmission
        self.until = 0
        self.payload = b""


class _Scan:
    """State of one MLME-SCAN."""

    __slots__ = (
        "scan_type",
        "channels",
        "index",
        "duration_us",
        "channel_page",
        "ed",
        "ed_max",
        "ed_end",
        "pans",
        "seen",
        "beacons",
        "unscanned",
        "scanned",
        "saved_pan",
        "saved_channel",
        "timer",
        "started",
        "realigned",
    )

    def __init__(
        self, scan_type: ScanType, channels: list[int], duration_us: int, channel_page: int
    ) -> None:
        self.scan_type = scan_type
        self.channels = channels
        self.index = 0
        self.duration_us = duration_us
        self.channel_page = channel_page
        self.ed: list[int] = []
        self.ed_max = 0
        self.ed_end = 0
        self.pans: list[PanDescriptor] = []
        self.seen: set[tuple[int, int, int]] = set()
        self.beacons = 0
        self.unscanned: list[int] = []
        self.scanned: list[int] = []
        self.saved_pan = 0xFFFF
        self.saved_channel = 11
        self.timer: TimerHandle | None = None
        self.started = False
        self.realigned = False


def _addr_mode(addr: int, mode: AddrMode | None) -> AddrMode:
    """Mode of an address given to a request: explicit, else EUI64 / > 0xFFFF is extended."""
    if mode is not None:
        if mode == _NONE:
            raise LocalProtocolError("an address needs a SHORT or EXTENDED mode")
        return mode
    return _EXT if isinstance(addr, EUI64) or addr > 0xFFFF else _SHORT


def _check_addr(addr: int, mode: AddrMode, what: str) -> None:
    hi = 0xFFFF if mode == _SHORT else 0xFFFF_FFFF_FFFF_FFFF
    if not isinstance(addr, int) or not 0 <= addr <= hi:
        raise LocalProtocolError(f"{what} {addr!r} out of range for {mode.name} addressing")


def _with_pending(psdu: bytes) -> bytes:
    """The same frame with Frame Pending set (FCS recomputed)."""
    return append_fcs(bytes((psdu[0] | _FCF_FRAME_PENDING,)) + psdu[1:-2])


def _with_dst_pan(psdu: bytes, pan: int) -> bytes:
    """The same frame with Destination PAN Identifier ``pan`` (802.15.4-2006 7.2.1.3, the
    field right after the sequence number when a destination address is present; FCS
    recomputed); unchanged without one, with the broadcast PAN ID, or with ``pan`` already."""
    if len(psdu) < 7 or not psdu[1] & 0x0C:
        return psdu
    cur = psdu[3] | psdu[4] << 8
    if cur == pan or cur == 0xFFFF:
        return psdu
    return append_fcs(psdu[:3] + bytes((pan & 0xFF, pan >> 8)) + psdu[5:-2])


def _channel_list(channels: Iterable[int] | int) -> list[int]:
    if isinstance(channels, int):
        if not 0 <= channels < 1 << 27:
            raise LocalProtocolError(f"channel mask {channels:#x} out of range")
        return [c for c in CHANNELS if channels >> c & 1]
    out = list(channels)
    for c in out:
        if c not in CHANNELS:
            raise LocalProtocolError(f"channel {c} not in 11-26")
    return out
