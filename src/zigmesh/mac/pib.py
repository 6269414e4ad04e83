"""MAC PIB (802.15.4-2006 7.4.2, Table 86) and the MAC/PHY constants it is measured in.

Times in the PIB keep the spec's units (symbols, unit backoff periods, base superframe
durations); the ``*_us`` helpers convert with the 2.4 GHz O-QPSK symbol (16 us).

``MacPib`` is a plain slots dataclass: reading a field is cheap (the MAC's hot path does it).
Writes from the upper layer go through :meth:`MacPib.set` (or ``Mac.mlme_set``), which
validates the name, the type and the range (802.15.4-2006 Table 86) and raises
:class:`~zigmesh.errors.LocalProtocolError` on misuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from zigmesh.errors import LocalProtocolError
from zigmesh.phy import MAX_PSDU, SYMBOL_US

__all__ = [
    "A_BASE_SLOT_DURATION",
    "A_BASE_SUPERFRAME_DURATION",
    "A_BASE_SUPERFRAME_DURATION_US",
    "A_NUM_SUPERFRAME_SLOTS",
    "A_TURNAROUND_TIME",
    "A_TURNAROUND_TIME_US",
    "A_UNIT_BACKOFF_PERIOD",
    "A_UNIT_BACKOFF_PERIOD_US",
    "CCA_DURATION",
    "CCA_DURATION_US",
    "MAC_ACK_WAIT_DURATION",
    "MAC_ACK_WAIT_DURATION_US",
    "MacPib",
    "WatchedPib",
    "PHY_MAX_FRAME_DURATION",
    "PHY_SHR_DURATION",
    "max_frame_total_wait_time",
    "max_retransmission_time",
]

#: aBaseSlotDuration (Table 85): symbols in one superframe slot at order 0
A_BASE_SLOT_DURATION = 60
#: aNumSuperframeSlots (Table 85)
A_NUM_SUPERFRAME_SLOTS = 16
#: aBaseSuperframeDuration = aBaseSlotDuration x aNumSuperframeSlots = 960 symbols
A_BASE_SUPERFRAME_DURATION = A_BASE_SLOT_DURATION * A_NUM_SUPERFRAME_SLOTS
#: 960 symbols x 16 us = 15,360 us (the "unit period" of macTransactionPersistenceTime and
#: macResponseWaitTime in a non-beacon PAN)
A_BASE_SUPERFRAME_DURATION_US = A_BASE_SUPERFRAME_DURATION * SYMBOL_US
#: aUnitBackoffPeriod (Table 85): 20 symbols = 320 us
A_UNIT_BACKOFF_PERIOD = 20
A_UNIT_BACKOFF_PERIOD_US = A_UNIT_BACKOFF_PERIOD * SYMBOL_US
#: aTurnaroundTime (Table 22): 12 symbols = 192 us, RX-to-TX or TX-to-RX
A_TURNAROUND_TIME = 12
A_TURNAROUND_TIME_US = A_TURNAROUND_TIME * SYMBOL_US
#: CCA detection time (6.9.9): 8 symbols = 128 us
CCA_DURATION = 8
CCA_DURATION_US = CCA_DURATION * SYMBOL_US
#: phySHRDuration for O-QPSK 2.4 GHz: 5 octets x 2 symbols = 10 symbols (Table 23)
PHY_SHR_DURATION = 10
#: phyMaxFrameDuration = phySHRDuration + ceil((aMaxPHYPacketSize + 1) x phySymbolsPerOctet)
#: = 10 + 128 x 2 = 266 symbols (Table 23)
PHY_MAX_FRAME_DURATION = PHY_SHR_DURATION + (MAX_PSDU + 1) * 2
#: macAckWaitDuration = aUnitBackoffPeriod + aTurnaroundTime + phySHRDuration
#: + ceil(6 x phySymbolsPerOctet) = 20 + 12 + 10 + 12 = 54 symbols = 864 us (Table 86)
MAC_ACK_WAIT_DURATION = A_UNIT_BACKOFF_PERIOD + A_TURNAROUND_TIME + PHY_SHR_DURATION + 6 * 2
MAC_ACK_WAIT_DURATION_US = MAC_ACK_WAIT_DURATION * SYMBOL_US


def max_frame_total_wait_time(min_be: int, max_be: int, max_csma_backoffs: int) -> int:
    """macMaxFrameTotalWaitTime in symbols (802.15.4-2006 7.4.2, equation 14).

    ``(sum_{k=0}^{m-1} 2^(minBE+k) + (2^maxBE - 1)(maxCSMABackoffs - m)) x aUnitBackoffPeriod
    + phyMaxFrameDuration`` with ``m = min(maxBE - minBE, maxCSMABackoffs)``; 1,986 symbols
    (31,776 us) with the defaults 3 / 5 / 4.
    """
    m = min(max_be - min_be, max_csma_backoffs)
    backoffs = sum(1 << (min_be + k) for k in range(m))
    backoffs += ((1 << max_be) - 1) * (max_csma_backoffs - m)
    return backoffs * A_UNIT_BACKOFF_PERIOD + PHY_MAX_FRAME_DURATION


def max_retransmission_time(
    max_frame_retries: int, min_be: int, max_be: int, max_csma_backoffs: int
) -> int:
    """Longest span, in symbols, of the transmissions of one acknowledged frame: the first
    attempt and ``max_frame_retries`` retransmissions (802.15.4-2006 7.5.6.4.3), each with the
    worst case of unslotted CSMA-CA (7.5.1.4: ``macMaxCSMABackoffs + 1`` backoffs of
    ``2^BE - 1`` unit periods, BE = min(macMinBE + NB, macMaxBE), each followed by an 8-symbol
    CCA), aTurnaroundTime, phyMaxFrameDuration and macAckWaitDuration.

    2,672 symbols (42,752 us) per attempt, 10,688 symbols (171,008 us) in all with the
    defaults 3 / 3 / 5 / 4. A receiver that saw a frame's DSN more than this long ago is not
    looking at a retransmission of it (the duplicate window of ``MacConfig``).
    """
    backoffs = sum((1 << min(min_be + nb, max_be)) - 1 for nb in range(max_csma_backoffs + 1))
    attempt = (
        backoffs * A_UNIT_BACKOFF_PERIOD
        + (max_csma_backoffs + 1) * CCA_DURATION
        + A_TURNAROUND_TIME
        + PHY_MAX_FRAME_DURATION
        + MAC_ACK_WAIT_DURATION
    )
    return (max_frame_retries + 1) * attempt


@dataclass(slots=True)
class MacPib:
    """MAC PIB attributes (802.15.4-2006 Table 86) that a non-beacon Zigbee MAC uses.

    Defaults are the spec's; ``mac_dsn`` / ``mac_bsn`` start at random values the MAC draws
    from its injected rng. ``mac_extended_address`` and ``mac_ack_wait_duration`` are
    read-only through :meth:`set`.
    """

    mac_extended_address: int = 0
    #: symbols (read-only): 54 = 864 us
    mac_ack_wait_duration: int = MAC_ACK_WAIT_DURATION
    mac_associated_pan_coord: bool = False
    mac_association_permit: bool = False
    mac_auto_request: bool = True
    mac_beacon_payload: bytes = b""
    mac_beacon_order: int = 15
    mac_bsn: int = 0
    mac_coord_extended_address: int = 0
    mac_coord_short_address: int = 0xFFFF
    mac_dsn: int = 0
    mac_max_be: int = 5
    mac_max_csma_backoffs: int = 4
    mac_max_frame_retries: int = 3
    #: symbols: 1,986 = 31,776 us with the default CSMA parameters
    mac_max_frame_total_wait_time: int = max_frame_total_wait_time(3, 5, 4)
    mac_min_be: int = 3
    mac_pan_id: int = 0xFFFF
    #: units of aBaseSuperframeDuration: 32 x 15,360 us = 491,520 us
    mac_response_wait_time: int = 32
    mac_rx_on_when_idle: bool = False
    mac_short_address: int = 0xFFFF
    mac_superframe_order: int = 15
    #: unit periods (aBaseSuperframeDuration in a non-beacon PAN): 500 = 7,680,000 us
    mac_transaction_persistence_time: int = 0x01F4

    # -- conversions ----------------------------------------------------------------------

    @property
    def response_wait_us(self) -> int:
        """macResponseWaitTime in microseconds."""
        return self.mac_response_wait_time * A_BASE_SUPERFRAME_DURATION_US

    @property
    def transaction_persistence_us(self) -> int:
        """macTransactionPersistenceTime in microseconds (non-beacon PAN)."""
        return self.mac_transaction_persistence_time * A_BASE_SUPERFRAME_DURATION_US

    @property
    def max_frame_total_wait_us(self) -> int:
        """macMaxFrameTotalWaitTime in microseconds."""
        return self.mac_max_frame_total_wait_time * SYMBOL_US

    # -- MLME-GET / MLME-SET ----------------------------------------------------------------

    @staticmethod
    def attribute_names() -> tuple[str, ...]:
        return _NAMES

    def get(self, name: str) -> object:
        """MLME-GET: the value of attribute ``name`` (LocalProtocolError if unknown)."""
        if name not in _NAMES:
            raise LocalProtocolError(f"unsupported MAC PIB attribute {name!r}")
        return getattr(self, name)

    def set(self, name: str, value: object) -> None:
        """MLME-SET with validation (802.15.4-2006 Table 86 ranges).

        Raises LocalProtocolError for an unknown or read-only attribute (the spec's
        UNSUPPORTED_ATTRIBUTE / READ_ONLY) or a value of the wrong type or out of range
        (INVALID_PARAMETER).
        """
        rule = _RULES.get(name)
        if rule is None:
            if name in _NAMES:
                raise LocalProtocolError(f"MAC PIB attribute {name!r} is read-only")
            raise LocalProtocolError(f"unsupported MAC PIB attribute {name!r}")
        kind, lo, hi = rule
        if kind is bool:
            if not isinstance(value, bool):
                raise LocalProtocolError(f"{name} must be a bool, got {value!r}")
        elif kind is bytes:
            if not isinstance(value, bytes | bytearray):
                raise LocalProtocolError(f"{name} must be bytes, got {value!r}")
            if len(value) > hi:
                raise LocalProtocolError(f"{name}: {len(value)} bytes, at most {hi}")
            value = bytes(value)
        else:
            if not isinstance(value, int) or isinstance(value, bool):
                raise LocalProtocolError(f"{name} must be an int, got {value!r}")
            if not lo <= value <= hi:
                raise LocalProtocolError(f"{name} = {value} out of range {lo}-{hi}")
            if name == "mac_min_be" and value > self.mac_max_be:
                raise LocalProtocolError(f"mac_min_be {value} > mac_max_be {self.mac_max_be}")
            if name == "mac_max_be" and value < self.mac_min_be:
                raise LocalProtocolError(f"mac_max_be {value} < mac_min_be {self.mac_min_be}")
        setattr(self, name, value)


#: the attributes a filtering PHY compares (:class:`zigmesh.phy.FrameFilter`)
_FILTER_ATTRIBUTES = frozenset({"mac_short_address", "mac_pan_id"})


class WatchedPib(MacPib):
    """A :class:`MacPib` that calls ``watch()`` after every write of macShortAddress or
    macPANId, however it is written (MLME-SET, the MAC's own association and scan code, the
    NWK layer): a filtering PHY keeps copies of them (``frame_filter_changed``)."""

    __slots__ = ("watch",)

    def __init__(self, watch: Callable[[], None] | None = None, **attributes: Any) -> None:
        object.__setattr__(self, "watch", None)
        super().__init__(**attributes)
        self.watch = watch

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _FILTER_ATTRIBUTES:
            watch = self.watch
            if watch is not None:
                watch()


#: largest beacon payload: aMaxBeaconPayloadLength = aMaxPHYPacketSize - aMaxBeaconOverhead (75)
A_MAX_BEACON_PAYLOAD_LENGTH = MAX_PSDU - 75

_NAMES: tuple[str, ...] = tuple(f.name for f in fields(MacPib))

#: writable attributes: (type, min, max) (802.15.4-2006 Table 86)
_RULES: dict[str, tuple[type, int, int]] = {
    "mac_associated_pan_coord": (bool, 0, 1),
    "mac_association_permit": (bool, 0, 1),
    "mac_auto_request": (bool, 0, 1),
    "mac_beacon_payload": (bytes, 0, A_MAX_BEACON_PAYLOAD_LENGTH),
    "mac_beacon_order": (int, 15, 15),  # non-beacon PAN only
    "mac_bsn": (int, 0, 0xFF),
    "mac_coord_extended_address": (int, 0, 0xFFFF_FFFF_FFFF_FFFF),
    "mac_coord_short_address": (int, 0, 0xFFFF),
    "mac_dsn": (int, 0, 0xFF),
    "mac_max_be": (int, 3, 8),
    "mac_max_csma_backoffs": (int, 0, 5),
    "mac_max_frame_retries": (int, 0, 7),
    "mac_max_frame_total_wait_time": (int, 0, 0xFFFFF),
    "mac_min_be": (int, 0, 8),
    "mac_pan_id": (int, 0, 0xFFFF),
    "mac_response_wait_time": (int, 2, 64),
    "mac_rx_on_when_idle": (bool, 0, 1),
    "mac_short_address": (int, 0, 0xFFFF),
    "mac_superframe_order": (int, 15, 15),
    "mac_transaction_persistence_time": (int, 0, 0xFFFF),
}
