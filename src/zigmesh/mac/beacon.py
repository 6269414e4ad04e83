"""The IEEE 802.15.4 beacon payload (802.15.4-2006 7.2.2.1): Superframe Specification, GTS
fields, pending address fields and the beacon payload that follows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from zigmesh.codec import Reader, read_whole
from zigmesh.errors import LocalProtocolError
from zigmesh.mac.header import _U16, _eui64

__all__ = [
    "Beacon",
    "GtsDescriptor",
    "SuperframeSpec",
]


_SF_BEACON_ORDER = 0x000F
_SF_SUPERFRAME_ORDER_SHIFT = 4
_SF_FINAL_CAP_SLOT_SHIFT = 8
_SF_NIBBLE = 0xF
_SF_BATTERY_LIFE_EXTENSION = 0x1000
_SF_PAN_COORDINATOR = 0x4000
_SF_ASSOCIATION_PERMIT = 0x8000
_GTS_DESCRIPTOR_COUNT_MASK = 0x07
_GTS_PERMIT = 0x80
_GTS_DIRECTIONS_MASK = 0x7F
_GTS_STARTING_SLOT_MASK = 0x0F
_GTS_LENGTH_SHIFT = 4
_PENDING_SHORT_MASK = 0x07
_PENDING_EXTENDED_SHIFT = 4
_PENDING_EXTENDED_MASK = 0x07


@dataclass(frozen=True, slots=True)
class SuperframeSpec:
    """Superframe Specification field (802.15.4-2006 7.2.2.1.2, Figure 47). Bit 13 reserved.

    A non-beacon network (Zigbee PRO) uses beacon order = superframe order = 15.
    """

    beacon_order: int = 15
    superframe_order: int = 15
    final_cap_slot: int = 15
    battery_life_extension: bool = False
    pan_coordinator: bool = False
    association_permit: bool = False

    def to_int(self) -> int:
        for name, v in (
            ("beacon_order", self.beacon_order),
            ("superframe_order", self.superframe_order),
            ("final_cap_slot", self.final_cap_slot),
        ):
            if not 0 <= v <= _SF_NIBBLE:
                raise LocalProtocolError(f"{name} {v} out of range 0-15")
        v = (
            self.beacon_order
            | (self.superframe_order << _SF_SUPERFRAME_ORDER_SHIFT)
            | (self.final_cap_slot << _SF_FINAL_CAP_SLOT_SHIFT)
        )
        if self.battery_life_extension:
            v |= _SF_BATTERY_LIFE_EXTENSION
        if self.pan_coordinator:
            v |= _SF_PAN_COORDINATOR
        if self.association_permit:
            v |= _SF_ASSOCIATION_PERMIT
        return v

    @classmethod
    def from_int(cls, v: int) -> Self:
        return cls(
            v & _SF_BEACON_ORDER,
            (v >> _SF_SUPERFRAME_ORDER_SHIFT) & _SF_NIBBLE,
            (v >> _SF_FINAL_CAP_SLOT_SHIFT) & _SF_NIBBLE,
            bool(v & _SF_BATTERY_LIFE_EXTENSION),
            bool(v & _SF_PAN_COORDINATOR),
            bool(v & _SF_ASSOCIATION_PERMIT),
        )

    def encode(self) -> bytes:
        return _U16.pack(self.to_int())

    @classmethod
    def read(cls, r: Reader) -> Self:
        return cls.from_int(r.u16("superframe_spec"))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "superframe_spec")


@dataclass(frozen=True, slots=True)
class GtsDescriptor:
    """GTS descriptor (802.15.4-2006 7.2.2.1.5, Figure 50) and its direction bit (Figure 49).

    ``receive_only``: direction mask bit (1 = receive-only GTS, 0 = transmit-only).
    """

    short_addr: int
    starting_slot: int
    length: int
    receive_only: bool = False


@dataclass(frozen=True, slots=True)
class Beacon:
    """MAC payload of a 2003/2006 beacon frame (802.15.4-2006 7.2.2.1, Figure 46).

    Superframe Specification, GTS fields (GTS Specification: descriptor count bits 0-2, permit
    bit 7; GTS Directions mask and GTS list present only with descriptors), Pending Address
    fields (specification: short count bits 0-2, extended count bits 4-6; then the short
    addresses, then the extended ones) and the beacon payload (Zigbee: the NWK beacon
    payload, :class:`zigmesh.nwk.beacon.ZigbeeBeaconPayload`). Counts and the direction mask
    are derived from the tuples. In a secured beacon ``payload`` ends with the MIC.
    """

    superframe: SuperframeSpec = SuperframeSpec()
    gts_permit: bool = False
    gts: tuple[GtsDescriptor, ...] = ()
    pending_short: tuple[int, ...] = ()
    pending_extended: tuple[int, ...] = ()
    payload: bytes = b""

    def encode(self) -> bytes:
        n = len(self.gts)
        if n > _GTS_DESCRIPTOR_COUNT_MASK:
            raise LocalProtocolError(f"{n} GTS descriptors (at most 7)")
        if len(self.pending_short) > 7 or len(self.pending_extended) > 7:
            raise LocalProtocolError("at most 7 short and 7 extended pending addresses")
        out = bytearray(_U16.pack(self.superframe.to_int()))
        out.append(n | (_GTS_PERMIT if self.gts_permit else 0))
        if n:
            mask = 0
            for i, g in enumerate(self.gts):
                if g.receive_only:
                    mask |= 1 << i
            out.append(mask)
            for g in self.gts:
                if not (0 <= g.starting_slot <= 15 and 0 <= g.length <= 15):
                    raise LocalProtocolError("GTS starting slot and length are 4-bit fields")
                out += _U16.pack(g.short_addr)
                out.append(g.starting_slot | (g.length << _GTS_LENGTH_SHIFT))
        out.append(
            len(self.pending_short) | (len(self.pending_extended) << _PENDING_EXTENDED_SHIFT)
        )
        for a in self.pending_short:
            out += _U16.pack(a)
        for a in self.pending_extended:
            out += a.to_bytes(8, "little")
        out += self.payload
        return bytes(out)

    @classmethod
    def read(cls, r: Reader) -> Self:
        """Read up to the end of the cursor (the beacon payload takes the rest)."""
        sf = SuperframeSpec.from_int(r.u16("superframe_spec"))
        gspec = r.u8("gts_spec")
        n = gspec & _GTS_DESCRIPTOR_COUNT_MASK
        gts: tuple[GtsDescriptor, ...] = ()
        if n:
            mask = r.u8("gts_directions") & _GTS_DIRECTIONS_MASK
            lst = []
            for i in range(n):
                addr = r.u16("gts_list.device_short_address")
                b = r.u8("gts_list.slot")
                lst.append(
                    GtsDescriptor(
                        addr,
                        b & _GTS_STARTING_SLOT_MASK,
                        b >> _GTS_LENGTH_SHIFT,
                        bool(mask & (1 << i)),
                    )
                )
            gts = tuple(lst)
        pspec = r.u8("pending_address_spec")
        ns = pspec & _PENDING_SHORT_MASK
        ne = (pspec >> _PENDING_EXTENDED_SHIFT) & _PENDING_EXTENDED_MASK
        shorts = tuple(r.u16("pending_address_list.short") for _ in range(ns))
        exts = tuple(_eui64(r.u64("pending_address_list.extended")) for _ in range(ne))
        return cls(sf, bool(gspec & _GTS_PERMIT), gts, shorts, exts, r.rest())

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls.read(Reader(data))
