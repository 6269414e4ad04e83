"""Declarative cluster definitions (DESIGN.md convention 9): plain, frozen data.

A :class:`ClusterDef` names a cluster and lists its attributes (:class:`AttributeDef`: id,
type, access, default, range) and its cluster-specific commands (:class:`CommandDef`: id,
direction, payload schema as a tuple of :class:`Field`). Behaviour lives elsewhere, in
:class:`zigmesh.zcl.cluster.ServerCluster` subclasses; a definition alone already gives typed
attribute storage, Read / Write / Discover / reporting and command payload decoding.

Manufacturer-specific attributes and commands carry their ``manufacturer_code``; a frame
reaches them only with that code in its ZCL header (ZCL 2.4.1.1.2), and a frame without a code
reaches only the standard ones. :func:`manufacturer_cluster` builds a wholly
manufacturer-specific cluster (ids 0xFC00-0xFFFF) from the same pieces.

Payload schemas: each :class:`Field` is one ZCL value without a type octet (ZCL 2.6.2 types), a
list prefixed by a uint8 count (``FieldKind.COUNTED``), or the rest of the payload as a list
(``FieldKind.REST``). Trailing fields may be ``optional`` (absent on older senders, e.g. the
Options fields of Level Control). :func:`decode_args` raises :class:`DecodeError` on a short
payload (the engine answers MALFORMED_COMMAND) and ignores octets after the last field, as ZCL
2.3.x asks for forward compatibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, IntFlag
from typing import Any, TypeAlias

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.zcl.foundation import AttributeAccess
from zigmesh.zcl.frame import Direction
from zigmesh.zcl.types import (
    ANALOG_TYPES,
    DataType,
    ZclValue,
    encode_value,
    read_value,
)

__all__ = [
    "Access",
    "AttributeDef",
    "FieldKind",
    "Field",
    "CommandDef",
    "ClusterDef",
    "Args",
    "manufacturer_cluster",
    "decode_args",
    "encode_args",
    "type_bounds",
    "zero_value",
    "CLIENT_TO_SERVER",
    "SERVER_TO_CLIENT",
]

#: decoded command arguments by field name (lists are tuples)
Args: TypeAlias = dict[str, Any]

CLIENT_TO_SERVER = Direction.CLIENT_TO_SERVER
SERVER_TO_CLIENT = Direction.SERVER_TO_CLIENT


class Access(IntFlag):
    """Attribute access (ZCL 2.3.4.5 "Access" column): read, write, reportable, scene."""

    READ = 0x01
    WRITE = 0x02
    REPORT = 0x04
    SCENE = 0x08
    RW = READ | WRITE
    RP = READ | REPORT
    RPS = READ | REPORT | SCENE

    def wire(self) -> AttributeAccess:
        """The access control field of Discover Attributes Extended (ZCL 2.5.23)."""
        return AttributeAccess(int(self) & 0x07)


def type_bounds(dtype: DataType) -> tuple[int, int] | None:
    """Inclusive integer range of an integer-like type (uint/int/enum/map/data), else None."""
    t = int(dtype)
    if 0x08 <= t <= 0x0F or 0x18 <= t <= 0x1F or 0x20 <= t <= 0x27:
        n = (t & 0x07) + 1
        return 0, (1 << (8 * n)) - 1
    if 0x28 <= t <= 0x2F:
        n = (t & 0x07) + 1
        return -(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1
    if dtype == DataType.ENUM8:
        return 0, 0xFF
    if dtype == DataType.ENUM16:
        return 0, 0xFFFF
    if dtype in (DataType.UTC, DataType.BAC_OID):
        return 0, 0xFFFF_FFFF
    if dtype in (DataType.CLUSTER_ID, DataType.ATTRIB_ID):
        return 0, 0xFFFF
    return None


def zero_value(dtype: DataType) -> ZclValue:
    """A neutral default for ``dtype``: 0, False, 0.0, an empty string."""
    if dtype == DataType.BOOL:
        return False
    if dtype in (DataType.STRING, DataType.STRING16):
        return ""
    if dtype in (DataType.OCTSTR, DataType.OCTSTR16):
        return b""
    if dtype in (DataType.SEMI, DataType.SINGLE, DataType.DOUBLE):
        return 0.0
    if dtype == DataType.KEY128:
        return bytes(16)
    if type_bounds(dtype) is not None:
        return 0
    if dtype == DataType.EUI64:
        from zigmesh.types import EUI64

        return EUI64(0)
    return None


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """One attribute (ZCL 2.3.4.5): id, name, type, access, default and allowed range.

    ``minimum`` / ``maximum`` bound integer and float values written over the air
    (INVALID_VALUE outside); ``max_length`` bounds strings; ``values`` restricts an enum to
    the listed values. ``default`` None means :func:`zero_value` of the type.
    """

    id: int
    name: str
    type: DataType
    access: Access = Access.READ
    default: ZclValue = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    max_length: int | None = None
    values: frozenset[int] | None = None
    manufacturer_code: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.id <= 0xFFFF:
            raise LocalProtocolError(f"attribute id {self.id:#x} out of range")
        if self.default is None and self.type not in (DataType.NODATA, DataType.UNKNOWN):
            object.__setattr__(self, "default", zero_value(self.type))
        if self.default is not None:
            encode_value(self.type, self.default)  # a bad default is a definition bug

    @property
    def key(self) -> tuple[int | None, int]:
        return (self.manufacturer_code, self.id)

    @property
    def readable(self) -> bool:
        return bool(self.access & Access.READ)

    @property
    def writable(self) -> bool:
        return bool(self.access & Access.WRITE)

    @property
    def reportable(self) -> bool:
        return bool(self.access & Access.REPORT)

    @property
    def analog(self) -> bool:
        return self.type in ANALOG_TYPES


class FieldKind(Enum):
    SCALAR = 0
    #: uint8 count, then that many values
    COUNTED = 1
    #: every remaining value up to the end of the payload
    REST = 2


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a command payload schema."""

    name: str
    type: DataType
    optional: bool = False
    kind: FieldKind = FieldKind.SCALAR


@dataclass(frozen=True, slots=True)
class CommandDef:
    """A cluster-specific command. ``direction`` CLIENT_TO_SERVER: received by the server
    (generated by the client); SERVER_TO_CLIENT: generated by the server."""

    id: int
    name: str
    direction: Direction = Direction.CLIENT_TO_SERVER
    fields: tuple[Field, ...] = ()
    manufacturer_code: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.id <= 0xFF:
            raise LocalProtocolError(f"command id {self.id:#x} out of range")
        seen_optional = False
        for i, f in enumerate(self.fields):
            if f.kind is FieldKind.REST and i != len(self.fields) - 1:
                raise LocalProtocolError(f"{self.name}: a REST field must come last")
            if seen_optional and not f.optional:
                raise LocalProtocolError(f"{self.name}: optional fields must be trailing")
            seen_optional |= f.optional

    @property
    def key(self) -> tuple[int | None, Direction, int]:
        return (self.manufacturer_code, self.direction, self.id)


@dataclass(frozen=True, slots=True)
class ClusterDef:
    """A cluster: id, name, attributes (server side) and commands (both directions)."""

    id: int
    name: str
    attributes: tuple[AttributeDef, ...] = ()
    commands: tuple[CommandDef, ...] = ()
    #: the code of a manufacturer-specific cluster (informative: each attribute / command
    #: carries its own code, see :func:`manufacturer_cluster`)
    manufacturer_code: int | None = None
    _attrs: Mapping[tuple[int | None, int], AttributeDef] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _names: Mapping[str, AttributeDef] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _cmds: Mapping[tuple[int | None, Direction, int], CommandDef] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _cmd_names: Mapping[str, CommandDef] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not 0 <= self.id <= 0xFFFF:
            raise LocalProtocolError(f"cluster id {self.id:#x} out of range")
        attrs = {a.key: a for a in self.attributes}
        names = {a.name: a for a in self.attributes}
        cmds = {c.key: c for c in self.commands}
        cnames = {c.name: c for c in self.commands}
        if len(attrs) != len(self.attributes) or len(names) != len(self.attributes):
            raise LocalProtocolError(f"{self.name}: duplicate attribute id or name")
        if len(cmds) != len(self.commands) or len(cnames) != len(self.commands):
            raise LocalProtocolError(f"{self.name}: duplicate command id or name")
        object.__setattr__(self, "_attrs", attrs)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_cmds", cmds)
        object.__setattr__(self, "_cmd_names", cnames)

    def attribute(self, attr_id: int, manufacturer_code: int | None = None) -> AttributeDef | None:
        return self._attrs.get((manufacturer_code, attr_id))

    def attribute_named(self, name: str) -> AttributeDef:
        a = self._names.get(name)
        if a is None:
            raise LocalProtocolError(f"{self.name} has no attribute {name!r}")
        return a

    def resolve(self, attr: str | int | AttributeDef) -> AttributeDef:
        """An attribute by name, standard id or definition (misuse raises)."""
        if isinstance(attr, AttributeDef):
            return attr
        if isinstance(attr, str):
            return self.attribute_named(attr)
        a = self._attrs.get((None, attr))
        if a is None:
            raise LocalProtocolError(f"{self.name} has no standard attribute {attr:#06x}")
        return a

    def command(
        self, command_id: int, direction: Direction, manufacturer_code: int | None = None
    ) -> CommandDef | None:
        return self._cmds.get((manufacturer_code, direction, command_id))

    def command_named(self, name: str) -> CommandDef:
        c = self._cmd_names.get(name)
        if c is None:
            raise LocalProtocolError(f"{self.name} has no command {name!r}")
        return c

    def commands_in(
        self, direction: Direction, manufacturer_code: int | None = None
    ) -> list[CommandDef]:
        """Commands of one direction and manufacturer code, by id."""
        return sorted(
            (
                c
                for c in self.commands
                if c.direction == direction and c.manufacturer_code == manufacturer_code
            ),
            key=lambda c: c.id,
        )

    def attributes_of(self, manufacturer_code: int | None) -> list[AttributeDef]:
        return sorted(
            (a for a in self.attributes if a.manufacturer_code == manufacturer_code),
            key=lambda a: a.id,
        )

    def has_manufacturer(self, manufacturer_code: int) -> bool:
        return any(a.manufacturer_code == manufacturer_code for a in self.attributes) or any(
            c.manufacturer_code == manufacturer_code for c in self.commands
        )


def manufacturer_cluster(
    cluster_id: int,
    name: str,
    manufacturer_code: int,
    attributes: tuple[AttributeDef, ...] = (),
    commands: tuple[CommandDef, ...] = (),
) -> ClusterDef:
    """A manufacturer-specific cluster: every attribute and command gets ``manufacturer_code``
    (frames to it carry that code)."""
    if not 0xFC00 <= cluster_id <= 0xFFFF:
        raise LocalProtocolError(f"manufacturer-specific cluster id {cluster_id:#x} not FC00-FFFF")
    return ClusterDef(
        cluster_id,
        name,
        tuple(replace(a, manufacturer_code=manufacturer_code) for a in attributes),
        tuple(replace(c, manufacturer_code=manufacturer_code) for c in commands),
        manufacturer_code,
    )


# --------------------------------------------------------------------------------------------
# payloads
# --------------------------------------------------------------------------------------------


def decode_args(command: CommandDef, payload: bytes) -> Args:
    """The command's arguments by field name; DecodeError on a short or bad payload.
    Absent optional fields are missing from the result; trailing octets are ignored."""
    r = Reader(payload)
    out: Args = {}
    for f in command.fields:
        if r.at_end() and f.optional:
            break
        if f.kind is FieldKind.SCALAR:
            out[f.name] = read_value(f.type, r)
        elif f.kind is FieldKind.COUNTED:
            n = r.u8(f"{command.name}.{f.name}.count")
            out[f.name] = tuple(read_value(f.type, r) for _ in range(n))
        else:
            items = []
            while not r.at_end():
                items.append(read_value(f.type, r))
            out[f.name] = tuple(items)
    return out


def encode_args(command: CommandDef, args: Mapping[str, Any]) -> bytes:
    """Encode ``args`` by the schema; a missing mandatory field raises LocalProtocolError
    (optional ones stop the payload where the first is missing)."""
    unknown = set(args) - {f.name for f in command.fields}
    if unknown:
        raise LocalProtocolError(f"{command.name}: unknown field(s) {sorted(unknown)}")
    out = bytearray()
    for f in command.fields:
        if f.name not in args:
            if f.optional:
                break
            raise LocalProtocolError(f"{command.name}: field {f.name!r} missing")
        v = args[f.name]
        if f.kind is FieldKind.SCALAR:
            out += encode_value(f.type, v)
            continue
        items = tuple(v)
        if f.kind is FieldKind.COUNTED:
            if len(items) > 0xFF:
                raise LocalProtocolError(f"{command.name}.{f.name}: more than 255 items")
            out.append(len(items))
        for x in items:
            out += encode_value(f.type, x)
    return bytes(out)


def check_args(command: CommandDef, payload: bytes) -> Args | DecodeError:
    """:func:`decode_args` returning the error instead of raising (receive path)."""
    try:
        return decode_args(command, payload)
    except DecodeError as e:
        return e
