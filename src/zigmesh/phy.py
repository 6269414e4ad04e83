"""The PHY interface the MAC drives (IEEE 802.15.4-2015 clause 8 / 10, 2.4 GHz O-QPSK).

``sim/`` implements :class:`Phy` (``zigmesh.sim.medium.Radio``); a real radio driver would too.
The MAC implements :class:`PhyUser` and never imports ``sim``. This module imports nothing from
the simulator.

Timing is integer microseconds. The PHY does no MAC timing itself: turnaround (aTurnaroundTime),
the CCA period, backoffs and interframe spacing are the MAC's job (it schedules them on its
clock); ``transmit`` starts the PPDU at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, Protocol

__all__ = [
    "BYTE_US",
    "CCA_US",
    "CHANNELS",
    "ED_RANGE_DB",
    "FrameFilter",
    "MAX_PSDU",
    "PhyUser",
    "PhyUserMany",
    "Phy",
    "RadioState",
    "SHR_PHR_BYTES",
    "SYMBOL_US",
    "TURNAROUND_US",
    "airtime_us",
    "ed_level",
]

#: One O-QPSK symbol at 62.5 ksymbol/s (802.15.4-2015 Table 12-1 / 10.2.6).
SYMBOL_US = 16
#: One octet at 250 kbit/s = 2 symbols.
BYTE_US = 32
#: SHR (4-byte preamble + SFD) + PHR (frame length) = 6 bytes (clause 12.1).
SHR_PHR_BYTES = 6
#: aMaxPHYPacketSize (Table 11-1): largest PSDU in bytes.
MAX_PSDU = 127
#: aTurnaroundTime = 12 symbols (Table 11-1).
TURNAROUND_US = 12 * SYMBOL_US
#: CCA detection period = 8 symbols (10.2.8 / 8.2.7).
CCA_US = 8 * SYMBOL_US
#: 2.4 GHz O-QPSK channel page 0 channels 11-26 (10.1.3.1).
CHANNELS = range(11, 27)
#: ED (10.2.5): values 0x00-0xff span at least 40 dB, linear in dB.
ED_RANGE_DB = 40.0


def airtime_us(psdu_len: int) -> int:
    """Time on air of a PPDU carrying ``psdu_len`` bytes: (6 + PSDU) x 32 us (127 -> 4256)."""
    return (SHR_PHR_BYTES + psdu_len) * BYTE_US


def ed_level(power_dbm: float, sensitivity_dbm: float, range_db: float = ED_RANGE_DB) -> int:
    """802.15.4 ED value 0-255 (10.2.5): 0 below sensitivity + 10 dB, linear over ``range_db``."""
    level = round((power_dbm - (sensitivity_dbm + 10.0)) * 255.0 / range_db)
    return 0 if level < 0 else 255 if level > 255 else level


class RadioState(IntEnum):
    """Transceiver state (PLME-SET-TRX-STATE, 8.2.8), plus SLEEP for the energy model.

    SLEEP: radio and crystal off (cheapest); IDLE: TRX_OFF, receiver off but ready; RX: RX_ON
    (listening or receiving); TX: a PPDU on air (entered only through ``Phy.transmit``).
    """

    SLEEP = 0
    IDLE = 1
    RX = 2
    TX = 3


class FilterAddresses(Protocol):
    """The MAC PIB attributes a frame filter compares (macPANId, macShortAddress)."""

    mac_pan_id: int
    mac_short_address: int


class FrameFilter(Protocol):
    """The MAC's first-level filter, evaluated by a PHY that can (radios filter addresses and
    match ACKs in hardware: CC2420 ``MDMCTRL0.ADR_DECODE``, AT86RF2xx frame filtering).

    Optional: a PHY offering ``set_frame_filter(mac)`` gets the MAC (which is also its user)
    and, while that MAC is its user, drops what ``pd_data_indication`` of the MAC would reject
    at once, counting it itself (the MAC never sees it, as behind a radio's hardware filter;
    the MAC's ``rx_not_for_us`` counts only what reached it): a 5-byte immediate ACK
    whose DSN (byte 2) is not ``ack_dsn``; a 2003/2006 frame with a short destination whose
    destination address (byte 5) is neither ``pib.mac_short_address`` nor 0xffff, or whose
    destination PAN ID (byte 3) is neither ``pib.mac_pan_id`` nor 0xffff. The same rule on
    the same values at the same moment, without the indication.

    A PHY that keeps copies of those three values (the simulated medium holds them in arrays,
    to filter every receiver of a frame at once) also offers ``frame_filter_changed()``: the
    MAC calls it after every change of ``ack_dsn``, ``pib.mac_short_address`` or
    ``pib.mac_pan_id``.
    """

    @property
    def pib(self) -> FilterAddresses: ...

    @property
    def ack_dsn(self) -> int:
        """DSN of the ACK the MAC waits for (-1: none)."""
        ...


class PhyUser(Protocol):
    """What the PHY calls upwards (implemented by the MAC)."""

    def pd_data_indication(
        self, psdu: bytes, rssi_dbm: int, lqi: int, timestamp: int | None = None
    ) -> None:
        """PD-DATA.indication (8.3.3): a PSDU (FCS included, not checked) was received;
        ``timestamp``: the virtual time (us) the radio stamped it with, its end (a radio's
        receive timestamp, as the MAC's MCPS-DATA.indication Timestamp reports it; None: the
        user reads its clock)."""
        ...

    def pd_tx_done(self) -> None:
        """End of this radio's own transmission (PD-DATA.confirm, 8.3.2); the radio is in RX."""
        ...


#: PD-DATA.indication of one PSDU at several users of one class at once: (users, their
#: (RSSI, LQI) each, PSDU, timestamp). A :class:`PhyUser` class may offer one as its static
#: method ``pd_data_indication_many``; a medium then hands it the run of receivers of a frame
#: that are its instances, in their order, instead of calling ``pd_data_indication`` on each.
#: Its outcome must be that of those calls in turn (``zigmesh.mac.rx``: a broadcast's MAC and
#: NWK receive work done once per frame, not once per receiver).
PhyUserMany = Callable[[Sequence[Any], Sequence[tuple[int, int]], bytes, int], None]


class Phy(Protocol):
    """What the MAC calls downwards (one radio)."""

    @property
    def channel(self) -> int:
        """Current channel (11-26; phyCurrentChannel)."""
        ...

    @channel.setter
    def channel(self, value: int) -> None: ...

    @property
    def tx_power_dbm(self) -> float:
        """Transmit power in dBm (phyTXPower)."""
        ...

    @tx_power_dbm.setter
    def tx_power_dbm(self, value: float) -> None: ...

    @property
    def state(self) -> RadioState:
        """Current transceiver state."""
        ...

    def set_user(self, user: PhyUser | None) -> None:
        """Register the upper layer that receives indications and tx-done events."""
        ...

    def set_state(self, state: RadioState) -> None:
        """Switch to SLEEP, IDLE or RX (not TX; not while transmitting).

        Leaving RX (or changing channel) abandons a frame being received.
        """
        ...

    def transmit(self, psdu: bytes) -> int:
        """Start sending ``psdu`` (FCS included) now; return the time its last bit leaves.

        Allowed from IDLE or RX (abandons a frame being received). The radio is TX for
        ``airtime_us(len(psdu))``, then goes to RX and calls ``PhyUser.pd_tx_done`` at the end
        time, before the receivers get ``pd_data_indication`` for the same frame. Callbacks may
        call ``transmit``/``set_state`` again at once (e.g. after scheduling the turnaround).
        """
        ...

    def cca(self) -> bool:
        """CCA mode 1, energy above threshold (10.2.8): True when the channel is clear.

        Busy when the power on the channel reached the ED threshold at any time during the
        last ``CCA_US``. Needs the receiver on (RX).
        """
        ...

    def energy_detect(self) -> int:
        """PLME-ED (8.2.5): the energy on the current channel now as an ED value 0-255."""
        ...
