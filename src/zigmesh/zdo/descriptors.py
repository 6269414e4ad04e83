"""Node, power and simple descriptors (Zigbee spec R22 2.3.2.3-2.3.2.5).

They travel inside ZDP responses (Node_Desc_rsp, Power_Desc_rsp, Simple_Desc_rsp) and describe a
node to the rest of the network. Each is a frozen dataclass with ``encode()`` and ``read(r)``
(plus ``decode(data)`` for a standalone buffer); counts are derived from the lists on encode.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Self

from zigmesh.codec import Reader, Writer, enum_or_int, read_whole
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.mac.commands import CapabilityFlags

__all__ = [
    "DescriptorCapability",
    "FrequencyBand",
    "LogicalType",
    "MacCapability",
    "NodeDescriptor",
    "NODE_DESCRIPTOR_SIZE",
    "PowerDescriptor",
    "POWER_DESCRIPTOR_SIZE",
    "PowerLevel",
    "PowerMode",
    "PowerSource",
    "ServerMask",
    "SimpleDescriptor",
    "read_cluster_list",
    "write_cluster_list",
]


class LogicalType(IntEnum):
    """Node descriptor logical type, bits 0-2 (2.3.2.3.1)."""

    COORDINATOR = 0b000
    ROUTER = 0b001
    END_DEVICE = 0b010


class FrequencyBand(IntFlag):
    """Node descriptor frequency band field, bits 11-15 shifted down (2.3.2.3.5)."""

    BAND_868_MHZ = 0x01  # 868-868.6 MHz
    BAND_902_MHZ = 0x04  # 902-928 MHz
    BAND_2400_MHZ = 0x08  # 2400-2483.5 MHz
    EU_SUB_GHZ = 0x10  # European FSK sub-GHz bands (863-876 and 915-921 MHz)


#: MAC capability flags (2.3.2.3.6; IEEE 802.15.4-2006 7.3.1.2 capability information): the
#: MAC's flags for the byte, with the ZDO names ``MAINS_POWERED`` and ``SECURITY_CAPABLE``.
MacCapability = CapabilityFlags


class ServerMask(IntFlag):
    """Server mask bits 0-6 (2.3.2.3.10). Bits 9-15 are the stack compliance revision."""

    PRIMARY_TRUST_CENTER = 0x0001
    BACKUP_TRUST_CENTER = 0x0002
    PRIMARY_BINDING_TABLE_CACHE = 0x0004
    BACKUP_BINDING_TABLE_CACHE = 0x0008
    PRIMARY_DISCOVERY_CACHE = 0x0010
    BACKUP_DISCOVERY_CACHE = 0x0020
    NETWORK_MANAGER = 0x0040


class DescriptorCapability(IntFlag):
    """Descriptor capability field (2.3.2.3.12)."""

    EXTENDED_ACTIVE_ENDPOINT_LIST_AVAILABLE = 0x01
    EXTENDED_SIMPLE_DESCRIPTOR_LIST_AVAILABLE = 0x02


class PowerMode(IntEnum):
    """Power descriptor current power mode, bits 0-3 (2.3.2.4.1)."""

    RX_ON_WHEN_IDLE = 0b0000  # receiver synchronized with receiver-on-when-idle
    RX_PERIODIC = 0b0001  # receiver comes on periodically (macBeaconOrder / polling)
    RX_ON_STIMULUS = 0b0010  # receiver comes on when stimulated (e.g. a button)


class PowerSource(IntFlag):
    """Power source bits, for available and current power source (2.3.2.4.2, 2.3.2.4.3)."""

    MAINS = 0x1  # constant (mains) power
    RECHARGEABLE_BATTERY = 0x2
    DISPOSABLE_BATTERY = 0x4


class PowerLevel(IntEnum):
    """Current power source level, bits 12-15 (2.3.2.4.4)."""

    CRITICAL = 0b0000
    PERCENT_33 = 0b0100
    PERCENT_66 = 0b1000
    PERCENT_100 = 0b1100


# Node descriptor bit layout (Figure 2-20)
_LOGICAL_TYPE_MASK = 0x07
_COMPLEX_DESC_AVAILABLE = 0x08
_USER_DESC_AVAILABLE = 0x10
_FREQ_BAND_SHIFT = 3
_SERVER_MASK_BITS = 0x01FF
_STACK_REVISION_SHIFT = 9

NODE_DESCRIPTOR_SIZE = 13
POWER_DESCRIPTOR_SIZE = 2


def _check(value: int, limit: int, name: str) -> None:
    if not 0 <= value <= limit:
        raise LocalProtocolError(f"{name} out of range 0..{limit}: {value}")


def read_cluster_list(r: Reader, count_field: str, list_field: str) -> tuple[int, ...]:
    """A 1-byte count followed by that many 16-bit cluster ids.

    A count larger than the bytes left is a :class:`DecodeError` naming ``count_field``.
    """
    at = r.offset()
    n = r.u8(count_field)
    if 2 * n > r.remaining():
        raise DecodeError(count_field, at, f"count {n} needs {2 * n} bytes, {r.remaining()} left")
    return tuple(r.u16(list_field) for _ in range(n))


def write_cluster_list(w: Writer, clusters: tuple[int, ...], name: str) -> None:
    """Write the 1-byte count then the 16-bit ids (count derived from ``clusters``)."""
    _check(len(clusters), 0xFF, f"{name} count")
    w.u8(len(clusters))
    for c in clusters:
        w.u16(c)


@dataclass(frozen=True, slots=True)
class NodeDescriptor:
    """Node descriptor, 13 bytes (2.3.2.3, Figure 2-20). APS flags are not supported (sent 0)."""

    logical_type: LogicalType | int
    complex_descriptor_available: bool = False
    user_descriptor_available: bool = False
    frequency_band: FrequencyBand = FrequencyBand.BAND_2400_MHZ
    mac_capability_flags: MacCapability = MacCapability(0)
    manufacturer_code: int = 0x0000
    maximum_buffer_size: int = 82
    maximum_incoming_transfer_size: int = 82
    server_mask: ServerMask = ServerMask(0)
    stack_compliance_revision: int = 22
    maximum_outgoing_transfer_size: int = 82
    descriptor_capability_field: DescriptorCapability = DescriptorCapability(0)

    @property
    def server_mask_field(self) -> int:
        """The 16-bit server mask as sent: flags in bits 0-8, compliance revision in 9-15."""
        return int(self.server_mask) | (self.stack_compliance_revision << _STACK_REVISION_SHIFT)

    def encode(self) -> bytes:
        _check(int(self.logical_type), _LOGICAL_TYPE_MASK, "logical_type")
        _check(int(self.frequency_band), 0x1F, "frequency_band")
        _check(int(self.server_mask), _SERVER_MASK_BITS, "server_mask")
        _check(self.stack_compliance_revision, 0x7F, "stack_compliance_revision")
        b0 = int(self.logical_type)
        if self.complex_descriptor_available:
            b0 |= _COMPLEX_DESC_AVAILABLE
        if self.user_descriptor_available:
            b0 |= _USER_DESC_AVAILABLE
        w = Writer()
        w.u8(b0).u8(int(self.frequency_band) << _FREQ_BAND_SHIFT).u8(int(self.mac_capability_flags))
        w.u16(self.manufacturer_code).u8(self.maximum_buffer_size)
        w.u16(self.maximum_incoming_transfer_size).u16(self.server_mask_field)
        w.u16(self.maximum_outgoing_transfer_size).u8(int(self.descriptor_capability_field))
        return w.getvalue()

    @classmethod
    def read(cls, r: Reader) -> Self:
        b0 = r.u8("NodeDescriptor.logical_type")
        b1 = r.u8("NodeDescriptor.frequency_band")
        mac = r.u8("NodeDescriptor.mac_capability_flags")
        manuf = r.u16("NodeDescriptor.manufacturer_code")
        buf = r.u8("NodeDescriptor.maximum_buffer_size")
        max_in = r.u16("NodeDescriptor.maximum_incoming_transfer_size")
        server = r.u16("NodeDescriptor.server_mask")
        max_out = r.u16("NodeDescriptor.maximum_outgoing_transfer_size")
        dcf = r.u8("NodeDescriptor.descriptor_capability_field")
        lt = b0 & _LOGICAL_TYPE_MASK
        return cls(
            enum_or_int(LogicalType, lt),
            bool(b0 & _COMPLEX_DESC_AVAILABLE),
            bool(b0 & _USER_DESC_AVAILABLE),
            FrequencyBand(b1 >> _FREQ_BAND_SHIFT),
            MacCapability(mac),
            manuf,
            buf,
            max_in,
            ServerMask(server & _SERVER_MASK_BITS),
            server >> _STACK_REVISION_SHIFT,
            max_out,
            DescriptorCapability(dcf),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "NodeDescriptor")


@dataclass(frozen=True, slots=True)
class PowerDescriptor:
    """Power descriptor, 2 bytes (2.3.2.4, Figure 2-21): four 4-bit fields, LSB first."""

    current_power_mode: PowerMode | int = PowerMode.RX_ON_WHEN_IDLE
    available_power_sources: PowerSource = PowerSource.MAINS
    current_power_source: PowerSource = PowerSource.MAINS
    current_power_source_level: PowerLevel | int = PowerLevel.PERCENT_100

    def encode(self) -> bytes:
        for name, v in (
            ("current_power_mode", int(self.current_power_mode)),
            ("available_power_sources", int(self.available_power_sources)),
            ("current_power_source", int(self.current_power_source)),
            ("current_power_source_level", int(self.current_power_source_level)),
        ):
            _check(v, 0x0F, name)
        return bytes(
            (
                int(self.current_power_mode) | (int(self.available_power_sources) << 4),
                int(self.current_power_source) | (int(self.current_power_source_level) << 4),
            )
        )

    @classmethod
    def read(cls, r: Reader) -> Self:
        b0 = r.u8("PowerDescriptor.current_power_mode")
        b1 = r.u8("PowerDescriptor.current_power_source")
        mode = b0 & 0x0F
        level = b1 >> 4
        return cls(
            enum_or_int(PowerMode, mode),
            PowerSource(b0 >> 4),
            PowerSource(b1 & 0x0F),
            enum_or_int(PowerLevel, level),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "PowerDescriptor")


@dataclass(frozen=True, slots=True)
class SimpleDescriptor:
    """Simple descriptor (2.3.2.5, Figure 2-22); cluster counts derived from the lists."""

    endpoint: int
    profile_id: int
    device_id: int
    device_version: int = 0
    input_cluster_list: tuple[int, ...] = ()
    output_cluster_list: tuple[int, ...] = ()

    def encode(self) -> bytes:
        _check(self.device_version, 0x0F, "device_version")
        w = Writer()
        w.u8(self.endpoint).u16(self.profile_id).u16(self.device_id).u8(self.device_version)
        write_cluster_list(w, self.input_cluster_list, "input_cluster_list")
        write_cluster_list(w, self.output_cluster_list, "output_cluster_list")
        return w.getvalue()

    def __len__(self) -> int:
        return 8 + 2 * (len(self.input_cluster_list) + len(self.output_cluster_list))

    @classmethod
    def read(cls, r: Reader) -> Self:
        ep = r.u8("SimpleDescriptor.endpoint")
        profile = r.u16("SimpleDescriptor.profile_id")
        device = r.u16("SimpleDescriptor.device_id")
        version = r.u8("SimpleDescriptor.device_version") & 0x0F
        ins = read_cluster_list(
            r, "SimpleDescriptor.input_cluster_count", "SimpleDescriptor.input_cluster_list"
        )
        outs = read_cluster_list(
            r, "SimpleDescriptor.output_cluster_count", "SimpleDescriptor.output_cluster_list"
        )
        return cls(ep, profile, device, version, ins, outs)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return read_whole(data, cls.read, "SimpleDescriptor")
