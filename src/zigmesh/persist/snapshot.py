"""What a node remembers across a reboot, and its JSON form (DESIGN.md section 6).

A :class:`NodeSnapshot` holds everything a Zigbee device keeps in non-volatile memory: its
identity and role, the network parameters it joined with (channel, PAN ID, extended PAN ID,
addresses, depth, device type, ``nwkUpdateId``), its security material and frame counters
(:class:`~zigmesh.security.keys.KeyStoreSnapshot`), the APS binding and group tables and the APS
and NWK sequence counters, and (routers and the coordinator) the children it had: real stacks keep
the child table in non-volatile memory (Z-Stack's NV, EmberZNet's child table tokens) so that a
parent that reboots still knows the end devices polling it.

JSON format (``format_version`` 1)
----------------------------------
``to_json`` is deterministic: object keys sorted, no whitespace, ASCII only, so equal snapshots
give byte-identical text. Values are typed as follows:

- addresses and keys are fixed-width lowercase hex strings, most significant digit first:
  64-bit addresses (``eui64``, ``extended_pan_id``, IEEE addresses in bindings, link-key
  partners, incoming-counter sources) 16 digits, 16-bit addresses (``pan_id``,
  ``network_address``, ``parent_address``, group addresses) 4 digits, keys 32 digits (key bytes
  in storage order, as ``bytes.hex()``);
- everything else (channel, depth, device type, counters, endpoints, cluster IDs, key sequence
  numbers, ``saved_at_us``) is a JSON integer; absent optional values are ``null``;
- ``children`` is optional (written only when not empty): an array of objects ``ieee`` (16
  digits), ``network_address`` (4 digits), ``device_type`` (1 router, 2 end device) and
  ``rx_on_when_idle`` (a JSON boolean);
- tables are JSON arrays of objects and keep their order (the incoming frame-counter table is
  in least-recently-updated order, which :meth:`KeyStore.restore` relies on).

Ranges follow the tables that will be rebuilt from the snapshot: channel 0-26, device type a
NWK ``DeviceType`` (0-2), 8-bit depth / update id / APS counter / NWK sequence number, 32-bit
frame counters, ``saved_at_us`` a non-negative signed 64-bit integer; binding source and group
member endpoints 1-254 and binding destination endpoints 1-255 (``aps.binding.BindingEntry``,
``aps.groups.GroupTable``); a binding is to a group (``dst_addr_mode`` 1, 16-bit address, no
endpoint) or to a device (mode 3, IEEE address and endpoint). Link-key partners, outgoing keys
and (source, key sequence) pairs of the incoming table are unique.

``from_json`` accepts exactly this form: any missing, unexpected, duplicated, ill-typed or
out-of-range value, or an unknown ``format_version``, raises :class:`~zigmesh.errors.DecodeError`
whose ``field`` is the dotted path of the culprit (``"keys.outgoing[2].counter"``); JSON syntax
errors name ``"json"`` with the character offset. Nothing else escapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final, Self

from zigmesh.errors import DecodeError
from zigmesh.security.keys import MAX_FRAME_COUNTER, KeyStoreSnapshot, NetworkKeyEntry

__all__ = [
    "FORMAT_VERSION",
    "ROLES",
    "BINDING_GROUP",
    "BINDING_IEEE",
    "Binding",
    "Child",
    "NodeSnapshot",
]

#: Version of the JSON layout written by :meth:`NodeSnapshot.to_json`
FORMAT_VERSION: Final = 1
#: Allowed ``role`` values (the values of :class:`zigmesh.node.Role`)
ROLES: Final = ("coordinator", "router", "end_device")
#: Binding destination address modes (Zigbee spec 2.2.4.3.1 / ZDP Bind_req DstAddrMode)
BINDING_GROUP: Final = 0x01  # 16-bit group address, no destination endpoint
BINDING_IEEE: Final = 0x03  # 64-bit IEEE address and destination endpoint

#: (src IEEE, src endpoint, cluster, dst addr mode, dst address, dst endpoint)
Binding = tuple[int, int, int, int, int, int | None]
#: a child of a router or coordinator: (IEEE address, network address, device type 1 router /
#: 2 end device, receiver on when idle)
Child = tuple[int, int, int, bool]

_U8: Final = 0xFF
_U16: Final = 0xFFFF
_U64: Final = 0xFFFF_FFFF_FFFF_FFFF
_I64: Final = 0x7FFF_FFFF_FFFF_FFFF  # saved_at_us must fit a SQLite INTEGER
_MAX_CHANNEL: Final = 26  # 802.15.4 channel page 0: 0 (868 MHz), 1-10 (915 MHz), 11-26 (2.4 GHz)
#: application endpoints 0x01-0xFE (0 is ZDO, 0xFF broadcast: a binding may target it)
_MAX_APP_ENDPOINT: Final = 0xFE
#: NWK DeviceType values (zigmesh.nwk.tables.neighbor.DeviceType, Zigbee spec Table 3-63);
#: spelled out so that persist/ depends on nothing above security/ (tests check they agree)
_DEVICE_TYPES: Final = frozenset({0, 1, 2})
_MAX_UNICAST: Final = 0xFFF7
_CHILD_FIELDS: Final = frozenset({"ieee", "network_address", "device_type", "rx_on_when_idle"})
_HEX = {n: re.compile(f"[0-9a-f]{{{n}}}") for n in (4, 16, 32)}

_TOP_FIELDS: Final = frozenset(
    {
        "format_version",
        "eui64",
        "role",
        "channel",
        "pan_id",
        "extended_pan_id",
        "network_address",
        "parent_address",
        "depth",
        "device_type",
        "nwk_update_id",
        "keys",
        "bindings",
        "groups",
        "aps_counter",
        "nwk_sequence_number",
        "saved_at_us",
    }
)


def _fail(path: str, reason: str) -> DecodeError:
    return DecodeError(path, 0, reason)


# -- value checks shared by __post_init__ and from_json (raise DecodeError) ---------------------


def _show(v: object) -> str:
    """A short rendering of a bad value for an error message."""
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 128:
        return f"a {v.bit_length()}-bit integer"
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _int(path: str, v: object, hi: int, lo: int = 0) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise _fail(path, f"expected an integer, got {type(v).__name__}")
    if not lo <= v <= hi:
        raise _fail(path, f"{_show(v)} out of range {lo}..{hi}")
    return int(v)


def _tuple(path: str, v: object, n: int) -> tuple[Any, ...]:
    if not isinstance(v, tuple) or len(v) != n:
        raise _fail(path, f"expected a {n}-tuple")
    return v


def _opt_int(path: str, v: object, hi: int) -> int | None:
    return None if v is None else _int(path, v, hi)


def _key(path: str, v: object) -> bytes:
    if not isinstance(v, bytes) or len(v) != 16:
        raise _fail(path, "expected 16 bytes of key material")
    return v


def _check_keys(path: str, ks: object) -> None:
    if not isinstance(ks, KeyStoreSnapshot):
        raise _fail(path, f"expected a KeyStoreSnapshot, got {type(ks).__name__}")
    for name in ("active", "alternate"):
        e = getattr(ks, name)
        if e is not None:
            if not isinstance(e, NetworkKeyEntry):
                raise _fail(f"{path}.{name}", "expected a NetworkKeyEntry or None")
            _key(f"{path}.{name}.key", e.key)
            _int(f"{path}.{name}.seq", e.seq, _U8)
    if ks.tc_link_key is not None:
        _key(f"{path}.tc_link_key", ks.tc_link_key)
    for name in ("link_keys", "outgoing", "incoming"):
        if not isinstance(getattr(ks, name), tuple):
            raise _fail(f"{path}.{name}", "expected a tuple")
    # a node saves its own state often (the trust center's holds a counter per device): each
    # entry is checked at once, and only a bad one pays for the field paths of its error
    entry: object
    for i, entry in enumerate(ks.link_keys):
        if not (_is_pair(entry) and _is_u64(entry[0]) and _is_key(entry[1])):
            partner, k = _tuple(f"{path}.link_keys[{i}]", entry, 2)
            _int(f"{path}.link_keys[{i}].partner", partner, _U64)
            _key(f"{path}.link_keys[{i}].key", k)
    _unique(f"{path}.link_keys", [p for p, _ in ks.link_keys], "partner")
    for i, entry in enumerate(ks.outgoing):
        if not (_is_pair(entry) and _is_key(entry[0]) and _is_counter(entry[1])):
            k, c = _tuple(f"{path}.outgoing[{i}]", entry, 2)
            _key(f"{path}.outgoing[{i}].key", k)
            _int(f"{path}.outgoing[{i}].counter", c, MAX_FRAME_COUNTER)
    _unique(f"{path}.outgoing", [k for k, _ in ks.outgoing], "key")
    for i, entry in enumerate(ks.incoming):
        if not (
            type(entry) is tuple
            and len(entry) == 3
            and _is_u64(entry[0])
            and (entry[1] is None or (type(entry[1]) is int and 0 <= entry[1] <= _U8))
            and _is_counter(entry[2])
        ):
            src, q, c = _tuple(f"{path}.incoming[{i}]", entry, 3)
            _int(f"{path}.incoming[{i}].source", src, _U64)
            _opt_int(f"{path}.incoming[{i}].key_seq", q, _U8)
            _int(f"{path}.incoming[{i}].counter", c, MAX_FRAME_COUNTER)
    _unique(f"{path}.incoming", [(s, q) for s, q, _ in ks.incoming], "(source, key_seq)")


# fast accepts of what _tuple / _int / _key accept (plain ints and tuples only; anything else
# goes to the full checks, which accept int subclasses and name the field of an error)


def _is_pair(v: object) -> bool:
    return type(v) is tuple and len(v) == 2


def _is_u64(v: object) -> bool:
    return type(v) is int and 0 <= v <= _U64


def _is_counter(v: object) -> bool:
    return type(v) is int and 0 <= v <= MAX_FRAME_COUNTER


def _is_key(v: object) -> bool:
    return type(v) is bytes and len(v) == 16


def _unique(path: str, items: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, item in enumerate(items):
        if item in seen:
            raise _fail(f"{path}[{i}]", f"duplicate {what}")
        seen.add(item)


def _check_binding(path: str, b: object) -> None:
    src, src_ep, cluster, mode, dst, dst_ep = _tuple(path, b, 6)
    _int(f"{path}.src_ieee", src, _U64)
    _int(f"{path}.src_endpoint", src_ep, _MAX_APP_ENDPOINT, 1)
    _int(f"{path}.cluster", cluster, _U16)
    _int(f"{path}.dst_addr_mode", mode, _U8)
    if mode == BINDING_GROUP:
        _int(f"{path}.dst_address", dst, _U16)
        if dst_ep is not None:
            raise _fail(f"{path}.dst_endpoint", "must be null for a group binding")
    elif mode == BINDING_IEEE:
        _int(f"{path}.dst_address", dst, _U64)
        if dst_ep is None:
            raise _fail(f"{path}.dst_endpoint", "required for an IEEE binding")
        _int(f"{path}.dst_endpoint", dst_ep, _U8, 1)
    else:
        raise _fail(f"{path}.dst_addr_mode", f"{mode} is not 1 (group) or 3 (IEEE)")


def _check_child(path: str, c: object) -> None:
    ieee, addr, dtype, rx_on = _tuple(path, c, 4)
    _int(f"{path}.ieee", ieee, _U64)
    _int(f"{path}.network_address", addr, _MAX_UNICAST)
    _int(f"{path}.device_type", dtype, 2, 1)
    if not isinstance(rx_on, bool):
        raise _fail(f"{path}.rx_on_when_idle", f"expected a boolean, got {type(rx_on).__name__}")


def _check_group(path: str, g: object) -> None:
    group, endpoint = _tuple(path, g, 2)
    _int(f"{path}.group", group, _U16)
    _int(f"{path}.endpoint", endpoint, _MAX_APP_ENDPOINT, 1)


# -- the snapshot --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Non-volatile state of one node (module docstring). Values are range-checked on
    construction (``ValueError`` naming the field); see :meth:`to_json` / :meth:`from_json`.
    """

    eui64: int
    role: str
    channel: int
    pan_id: int
    extended_pan_id: int
    network_address: int
    parent_address: int | None
    depth: int
    device_type: int  # zigmesh.nwk.tables.neighbor.DeviceType value
    nwk_update_id: int
    keys: KeyStoreSnapshot
    bindings: tuple[Binding, ...]
    groups: tuple[tuple[int, int], ...]  # (group address, endpoint)
    aps_counter: int  # APS counter (8 bits)
    nwk_sequence_number: int  # NWK sequence number (8 bits)
    saved_at_us: int  # simulated time of the snapshot
    children: tuple[Child, ...] = ()

    def __post_init__(self) -> None:
        try:
            self._validate()
        except DecodeError as e:
            raise ValueError(f"invalid NodeSnapshot: {e}") from e

    def _validate(self) -> None:
        _int("eui64", self.eui64, _U64)
        if not isinstance(self.role, str) or self.role not in ROLES:
            raise _fail("role", f"{_show(self.role)} is not one of {', '.join(ROLES)}")
        _int("channel", self.channel, _MAX_CHANNEL)
        _int("pan_id", self.pan_id, _U16)
        _int("extended_pan_id", self.extended_pan_id, _U64)
        _int("network_address", self.network_address, _U16)
        _opt_int("parent_address", self.parent_address, _U16)
        _int("depth", self.depth, _U8)
        if _int("device_type", self.device_type, _U8) not in _DEVICE_TYPES:
            raise _fail("device_type", f"{self.device_type} is not a NWK DeviceType")
        _int("nwk_update_id", self.nwk_update_id, _U8)
        _check_keys("keys", self.keys)
        if not isinstance(self.bindings, tuple):
            raise _fail("bindings", "expected a tuple")
        for i, b in enumerate(self.bindings):
            _check_binding(f"bindings[{i}]", b)
        if not isinstance(self.groups, tuple):
            raise _fail("groups", "expected a tuple")
        for i, g in enumerate(self.groups):
            _check_group(f"groups[{i}]", g)
        _int("aps_counter", self.aps_counter, _U8)
        _int("nwk_sequence_number", self.nwk_sequence_number, _U8)
        _int("saved_at_us", self.saved_at_us, _I64)
        if not isinstance(self.children, tuple):
            raise _fail("children", "expected a tuple")
        for i, c in enumerate(self.children):
            _check_child(f"children[{i}]", c)
        _unique("children", [c[0] for c in self.children], "ieee")
        _unique("children", [c[1] for c in self.children], "network_address")

    # -- JSON ------------------------------------------------------------------------------------

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, no whitespace, ASCII): equal snapshots give equal
        strings, and ``from_json(s.to_json()) == s``."""
        return json.dumps(_to_obj(self), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, s: str | bytes) -> Self:
        """Parse :meth:`to_json` output. Raises :class:`DecodeError` naming the field on any
        invalid input (never ``KeyError``/``TypeError``/``ValueError``)."""
        if not isinstance(s, str | bytes):
            raise _fail("json", f"expected str or bytes, got {type(s).__name__}")
        try:
            obj = json.loads(s, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            raise DecodeError("json", e.pos, e.msg) from None
        except _DuplicateKey as e:
            raise _fail("json", f"duplicate object key {e.args[0]!r}") from None
        except (ValueError, RecursionError) as e:  # huge numbers, bad UTF-8, deep nesting
            raise _fail("json", str(e) or type(e).__name__) from None
        return cls._from_obj(obj)

    @classmethod
    def _from_obj(cls, obj: object) -> Self:
        d = _obj("snapshot", obj)
        if "format_version" not in d:
            raise _fail("format_version", "missing")
        version = d["format_version"]
        if type(version) is not int or version != FORMAT_VERSION:
            raise _fail(
                "format_version",
                f"unsupported snapshot format version {_show(version)}"
                f" (this zigmesh reads version {FORMAT_VERSION})",
            )
        _exact_fields("", d, _TOP_FIELDS | {"children"} if "children" in d else _TOP_FIELDS)
        role = d["role"]
        if not isinstance(role, str):
            raise _fail("role", f"expected a string, got {type(role).__name__}")
        parent = d["parent_address"]
        values: dict[str, Any] = {
            "eui64": _hex_int("eui64", d["eui64"], 16),
            "role": role,
            "channel": _int("channel", d["channel"], _MAX_CHANNEL),
            "pan_id": _hex_int("pan_id", d["pan_id"], 4),
            "extended_pan_id": _hex_int("extended_pan_id", d["extended_pan_id"], 16),
            "network_address": _hex_int("network_address", d["network_address"], 4),
            "parent_address": None if parent is None else _hex_int("parent_address", parent, 4),
            "depth": _int("depth", d["depth"], _U8),
            "device_type": _int("device_type", d["device_type"], _U8),
            "nwk_update_id": _int("nwk_update_id", d["nwk_update_id"], _U8),
            "keys": _keys_from_obj("keys", d["keys"]),
            "bindings": tuple(
                _binding_from_obj(f"bindings[{i}]", b)
                for i, b in enumerate(_list("bindings", d["bindings"]))
            ),
            "groups": tuple(
                _group_from_obj(f"groups[{i}]", g)
                for i, g in enumerate(_list("groups", d["groups"]))
            ),
            "aps_counter": _int("aps_counter", d["aps_counter"], _U8),
            "nwk_sequence_number": _int("nwk_sequence_number", d["nwk_sequence_number"], _U8),
            "saved_at_us": _int("saved_at_us", d["saved_at_us"], _I64),
            "children": tuple(
                _child_from_obj(f"children[{i}]", c)
                for i, c in enumerate(_list("children", d.get("children", [])))
            ),
        }
        try:
            return cls(**values)
        except ValueError as e:  # from __post_init__: cross-field and table checks
            if isinstance(e.__cause__, DecodeError):
                raise e.__cause__ from None
            raise _fail("snapshot", str(e)) from None


# -- to JSON -------------------------------------------------------------------------------------


def _h(v: int, digits: int) -> str:
    return f"{v:0{digits}x}"


def _entry_obj(e: NetworkKeyEntry | None) -> dict[str, Any] | None:
    return None if e is None else {"key": e.key.hex(), "seq": e.seq}


def _to_obj(s: NodeSnapshot) -> dict[str, Any]:
    ks = s.keys
    obj: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "eui64": _h(s.eui64, 16),
        "role": s.role,
        "channel": s.channel,
        "pan_id": _h(s.pan_id, 4),
        "extended_pan_id": _h(s.extended_pan_id, 16),
        "network_address": _h(s.network_address, 4),
        "parent_address": None if s.parent_address is None else _h(s.parent_address, 4),
        "depth": s.depth,
        "device_type": s.device_type,
        "nwk_update_id": s.nwk_update_id,
        "keys": {
            "active": _entry_obj(ks.active),
            "alternate": _entry_obj(ks.alternate),
            "tc_link_key": None if ks.tc_link_key is None else ks.tc_link_key.hex(),
            "link_keys": [{"partner": _h(p, 16), "key": k.hex()} for p, k in ks.link_keys],
            "outgoing": [{"key": k.hex(), "counter": c} for k, c in ks.outgoing],
            "incoming": [
                {"source": _h(src, 16), "key_seq": q, "counter": c} for src, q, c in ks.incoming
            ],
        },
        "bindings": [
            {
                "src_ieee": _h(src, 16),
                "src_endpoint": src_ep,
                "cluster": cluster,
                "dst_addr_mode": mode,
                "dst_address": _h(dst, 4 if mode == BINDING_GROUP else 16),
                "dst_endpoint": dst_ep,
            }
            for src, src_ep, cluster, mode, dst, dst_ep in s.bindings
        ],
        "groups": [{"group": _h(g, 4), "endpoint": ep} for g, ep in s.groups],
        "aps_counter": s.aps_counter,
        "nwk_sequence_number": s.nwk_sequence_number,
        "saved_at_us": s.saved_at_us,
    }
    if s.children:
        obj["children"] = [
            {
                "ieee": _h(ieee, 16),
                "network_address": _h(addr, 4),
                "device_type": dtype,
                "rx_on_when_idle": rx_on,
            }
            for ieee, addr, dtype, rx_on in s.children
        ]
    return obj


# -- from JSON -----------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise _DuplicateKey(k)
        d[k] = v
    return d


def _obj(path: str, v: object) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(path, f"expected a JSON object, got {_json_type(v)}")
    return v


def _list(path: str, v: object) -> list[Any]:
    if not isinstance(v, list):
        raise _fail(path, f"expected a JSON array, got {_json_type(v)}")
    return v


def _json_type(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object" if isinstance(v, dict) else type(v).__name__


def _exact_fields(path: str, d: dict[str, Any], names: frozenset[str]) -> None:
    prefix = f"{path}." if path else ""
    for name in sorted(names):
        if name not in d:
            raise _fail(prefix + name, "missing")
    for name in sorted(d):
        if name not in names:
            raise _fail(prefix + name, "unexpected field")


def _hex(path: str, v: object, digits: int) -> str:
    if not isinstance(v, str):
        raise _fail(path, f"expected a hex string, got {_json_type(v)}")
    if _HEX[digits].fullmatch(v) is None:
        raise _fail(path, f"expected {digits} lowercase hex digits, got {v[:40]!r}")
    return v


def _hex_int(path: str, v: object, digits: int) -> int:
    return int(_hex(path, v, digits), 16)


def _hex_key(path: str, v: object) -> bytes:
    return bytes.fromhex(_hex(path, v, 32))


def _entry_from_obj(path: str, v: object) -> NetworkKeyEntry | None:
    if v is None:
        return None
    d = _obj(path, v)
    _exact_fields(path, d, frozenset({"key", "seq"}))
    return NetworkKeyEntry(_hex_key(f"{path}.key", d["key"]), _int(f"{path}.seq", d["seq"], _U8))


def _keys_from_obj(path: str, v: object) -> KeyStoreSnapshot:
    d = _obj(path, v)
    _exact_fields(
        path,
        d,
        frozenset({"active", "alternate", "tc_link_key", "link_keys", "outgoing", "incoming"}),
    )
    link_keys: list[tuple[int, bytes]] = []
    for i, item in enumerate(_list(f"{path}.link_keys", d["link_keys"])):
        p = f"{path}.link_keys[{i}]"
        e = _obj(p, item)
        _exact_fields(p, e, frozenset({"partner", "key"}))
        link_keys.append(
            (_hex_int(f"{p}.partner", e["partner"], 16), _hex_key(f"{p}.key", e["key"]))
        )
    outgoing: list[tuple[bytes, int]] = []
    for i, item in enumerate(_list(f"{path}.outgoing", d["outgoing"])):
        p = f"{path}.outgoing[{i}]"
        e = _obj(p, item)
        _exact_fields(p, e, frozenset({"key", "counter"}))
        outgoing.append(
            (_hex_key(f"{p}.key", e["key"]), _int(f"{p}.counter", e["counter"], MAX_FRAME_COUNTER))
        )
    incoming: list[tuple[int, int | None, int]] = []
    for i, item in enumerate(_list(f"{path}.incoming", d["incoming"])):
        p = f"{path}.incoming[{i}]"
        e = _obj(p, item)
        _exact_fields(p, e, frozenset({"source", "key_seq", "counter"}))
        incoming.append(
            (
                _hex_int(f"{p}.source", e["source"], 16),
                _opt_int(f"{p}.key_seq", e["key_seq"], _U8),
                _int(f"{p}.counter", e["counter"], MAX_FRAME_COUNTER),
            )
        )
    tc = d["tc_link_key"]
    return KeyStoreSnapshot(
        active=_entry_from_obj(f"{path}.active", d["active"]),
        alternate=_entry_from_obj(f"{path}.alternate", d["alternate"]),
        tc_link_key=None if tc is None else _hex_key(f"{path}.tc_link_key", tc),
        link_keys=tuple(link_keys),
        outgoing=tuple(outgoing),
        incoming=tuple(incoming),
    )


_BINDING_FIELDS: Final = frozenset(
    {"src_ieee", "src_endpoint", "cluster", "dst_addr_mode", "dst_address", "dst_endpoint"}
)


def _binding_from_obj(path: str, v: object) -> Binding:
    d = _obj(path, v)
    _exact_fields(path, d, _BINDING_FIELDS)
    mode = _int(f"{path}.dst_addr_mode", d["dst_addr_mode"], _U8)
    if mode not in (BINDING_GROUP, BINDING_IEEE):
        raise _fail(f"{path}.dst_addr_mode", f"{mode} is not 1 (group) or 3 (IEEE)")
    dst_ep = d["dst_endpoint"]
    return (
        _hex_int(f"{path}.src_ieee", d["src_ieee"], 16),
        _int(f"{path}.src_endpoint", d["src_endpoint"], _MAX_APP_ENDPOINT, 1),
        _int(f"{path}.cluster", d["cluster"], _U16),
        mode,
        _hex_int(f"{path}.dst_address", d["dst_address"], 4 if mode == BINDING_GROUP else 16),
        None if dst_ep is None else _int(f"{path}.dst_endpoint", dst_ep, _U8, 1),
    )


def _group_from_obj(path: str, v: object) -> tuple[int, int]:
    d = _obj(path, v)
    _exact_fields(path, d, frozenset({"group", "endpoint"}))
    return (
        _hex_int(f"{path}.group", d["group"], 4),
        _int(f"{path}.endpoint", d["endpoint"], _MAX_APP_ENDPOINT, 1),
    )


def _child_from_obj(path: str, v: object) -> Child:
    d = _obj(path, v)
    _exact_fields(path, d, _CHILD_FIELDS)
    rx_on = d["rx_on_when_idle"]
    if not isinstance(rx_on, bool):
        raise _fail(f"{path}.rx_on_when_idle", f"expected a boolean, got {_json_type(rx_on)}")
    return (
        _hex_int(f"{path}.ieee", d["ieee"], 16),
        _hex_int(f"{path}.network_address", d["network_address"], 4),
        _int(f"{path}.device_type", d["device_type"], 2, 1),
        rx_on,
    )
