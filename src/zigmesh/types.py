"""Small address types (DESIGN.md section 2): hashable ints with a hex repr.

They subclass ``int`` so they cost nothing on hot paths and compare with plain ints.
"""

from __future__ import annotations

__all__ = [
    "EUI64",
    "ShortAddr",
    "PanId",
    "ExtPanId",
    "BROADCAST_ALL",
    "BROADCAST_RX_ON_WHEN_IDLE",
    "BROADCAST_ROUTERS",
    "BROADCAST_LOW_POWER_ROUTERS",
    "MAC_BROADCAST",
]


class EUI64(int):
    """IEEE 64-bit extended address. ``str`` gives ``00:12:4b:...`` (MSB first, as Wireshark)."""

    __slots__ = ()

    def __new__(cls, value: int | str | bytes) -> EUI64:
        if isinstance(value, bytes):
            if len(value) != 8:
                raise ValueError("EUI64 needs 8 bytes")
            return super().__new__(cls, int.from_bytes(value, "little"))
        if isinstance(value, str):
            value = int(value.replace(":", "").replace("-", ""), 16)
        if not 0 <= value <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError(f"EUI64 out of range: {value:#x}")
        return super().__new__(cls, value)

    def to_bytes_le(self) -> bytes:
        """Over-the-air order (little-endian)."""
        return int(self).to_bytes(8, "little")

    def __str__(self) -> str:
        h = f"{int(self):016x}"
        return ":".join(h[i : i + 2] for i in range(0, 16, 2))

    def __repr__(self) -> str:
        return f"EUI64({str(self)!r})"


class _Addr16(int):
    __slots__ = ()

    def __new__(cls, value: int) -> _Addr16:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"{cls.__name__} out of range: {value:#x}")
        return super().__new__(cls, value)

    def __str__(self) -> str:
        return f"0x{int(self):04x}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(0x{int(self):04x})"


class ShortAddr(_Addr16):
    """16-bit network (short) address."""

    __slots__ = ()


class PanId(_Addr16):
    """16-bit PAN identifier."""

    __slots__ = ()


class ExtPanId(EUI64):
    """64-bit extended PAN identifier."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ExtPanId({str(self)!r})"


#: NWK broadcast addresses (Zigbee spec 3.6.5, Table 3-69)
BROADCAST_ALL = 0xFFFF
BROADCAST_RX_ON_WHEN_IDLE = 0xFFFD
BROADCAST_ROUTERS = 0xFFFC
BROADCAST_LOW_POWER_ROUTERS = 0xFFFB
#: MAC broadcast short address / PAN ID
MAC_BROADCAST = 0xFFFF
