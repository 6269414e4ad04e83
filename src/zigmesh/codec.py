"""Byte cursors for frame codecs (DESIGN.md section 3.1).

``Reader`` walks an immutable buffer and raises :class:`DecodeError` naming the field and offset
when the input is short; ``Writer`` accumulates little-endian fields. Both are deliberately tiny:
they sit on every hot path.
"""

from __future__ import annotations

import builtins
import dataclasses
import struct
from collections.abc import Callable
from enum import IntEnum
from typing import Any, Generic, TypeVar

from zigmesh.errors import DecodeError

__all__ = [
    "Reader",
    "Writer",
    "enum_or_int",
    "enum_table",
    "fast_init",
    "DecodeMemo",
    "interned",
    "memo_bytes_decoder",
    "memo_decoder",
    "read_whole",
]

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class Reader:
    """Little-endian cursor over ``data``; every read names its field for error messages."""

    __slots__ = ("data", "pos", "end", "base")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None, base: int = 0) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        #: offset of ``data[0]`` within the enclosing frame, added to error offsets
        self.base = base

    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def _need(self, n: int, field: str) -> int:
        p = self.pos
        if p + n > self.end:
            raise DecodeError(field, self.base + p, f"needs {n} byte(s), {self.end - p} left")
        self.pos = p + n
        return p

    def u8(self, field: str) -> int:
        p = self._need(1, field)
        return self.data[p]

    def u16(self, field: str) -> int:
        p = self._need(2, field)
        return int(_U16.unpack_from(self.data, p)[0])

    def u24(self, field: str) -> int:
        p = self._need(3, field)
        return int.from_bytes(self.data[p : p + 3], "little")

    def u32(self, field: str) -> int:
        p = self._need(4, field)
        return int(_U32.unpack_from(self.data, p)[0])

    def u64(self, field: str) -> int:
        p = self._need(8, field)
        return int(_U64.unpack_from(self.data, p)[0])

    def uint(self, n: int, field: str) -> int:
        p = self._need(n, field)
        return int.from_bytes(self.data[p : p + n], "little")

    def sint(self, n: int, field: str) -> int:
        p = self._need(n, field)
        return int.from_bytes(self.data[p : p + n], "little", signed=True)

    def bytes(self, n: int, field: str) -> builtins.bytes:
        if n < 0:
            raise DecodeError(field, self.base + self.pos, f"negative length {n}")
        p = self._need(n, field)
        return bytes(self.data[p : p + n])

    def rest(self) -> builtins.bytes:
        p = self.pos
        self.pos = self.end
        return bytes(self.data[p : self.end])

    def offset(self) -> int:
        """Offset of the cursor within the enclosing frame (for error messages)."""
        return self.base + self.pos

    def expect_end(self, field: str) -> None:
        if self.pos != self.end:
            raise DecodeError(
                field, self.base + self.pos, f"{self.end - self.pos} trailing byte(s)"
            )


_R = TypeVar("_R")


def read_whole(data: bytes, read: Callable[[Reader], _R], field: str) -> _R:
    """``read(Reader(data))``: the ``decode`` of a structure that must fill ``data`` exactly.

    Bytes left over raise :class:`DecodeError` naming ``field``.
    """
    r = Reader(data)
    v = read(r)
    r.expect_end(field)
    return v


class Writer:
    """Accumulates little-endian fields into a ``bytearray``."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def u8(self, v: int) -> Writer:
        self.buf.append(v)
        return self

    def u16(self, v: int) -> Writer:
        self.buf += _U16.pack(v)
        return self

    def u24(self, v: int) -> Writer:
        self.buf += v.to_bytes(3, "little")
        return self

    def u32(self, v: int) -> Writer:
        self.buf += _U32.pack(v)
        return self

    def u64(self, v: int) -> Writer:
        self.buf += _U64.pack(v)
        return self

    def uint(self, v: int, n: int) -> Writer:
        self.buf += v.to_bytes(n, "little")
        return self

    def sint(self, v: int, n: int) -> Writer:
        self.buf += v.to_bytes(n, "little", signed=True)
        return self

    def raw(self, b: bytes) -> Writer:
        self.buf += b
        return self

    def getvalue(self) -> bytes:
        return bytes(self.buf)


_T = TypeVar("_T")
_I = TypeVar("_I", bound=int)


def fast_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass a faster ``__init__`` (hot-path frames only).

    The generated ``__init__`` of a frozen dataclass calls ``object.__setattr__`` per field;
    this one calls each slot descriptor's ``__set__`` directly, about twice as fast, with the
    same signature, defaults and ``__post_init__`` call. Apply it *above* ``@dataclass``.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    env: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields):
        if f.kw_only or f.default_factory is not dataclasses.MISSING or not f.init:
            raise TypeError(f"fast_init does not support field {f.name!r} of {cls.__name__}")
        env[f"_set{i}"] = getattr(cls, f.name).__set__
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            env[f"_dflt{i}"] = f.default
            params.append(f"{f.name}=_dflt{i}")
        body.append(f"    _set{i}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    src = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    ns: dict[str, Any] = {}
    exec(src, env, ns)  # noqa: S102 - generated from the class's own field list, as dataclasses does
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


_E = TypeVar("_E", bound=IntEnum)

#: enum class -> ``get`` of its value -> member dict, built on first use. A cache of values
#: derived from the (immutable) class alone, so no state in the DESIGN.md sense.
_ENUM_GET: dict[type[IntEnum], Callable[[int, int], int]] = {}


def enum_or_int(enum_cls: type[_E], value: int) -> _E | int:
    """The member of ``enum_cls`` whose value is ``value``, else ``value`` itself.

    How every decoder turns a spec enum field into ``MyEnum | int``: an unassigned or
    reserved value decodes to the plain int, never an exception (DESIGN.md section 3.1).
    A dict lookup per call; for a dense bit field on a hot path index an :func:`enum_table`.
    """
    try:
        return _ENUM_GET[enum_cls](value, value)
    except KeyError:
        get = _ENUM_GET[enum_cls] = {int(m): m for m in enum_cls}.get
        return get(value, value)


def enum_table(enum_cls: type[_E], size: int) -> tuple[_E | int, ...]:
    """``enum_or_int(enum_cls, v)`` for every ``v`` in ``range(size)``, as a tuple.

    For hot paths decoding a bit field of ``size`` possible values: indexing the tuple with
    the masked field is cheaper than a call.
    """
    return tuple(enum_or_int(enum_cls, v) for v in range(size))


#: :func:`interned`'s tables, one per type, and their bound (entries; a table is emptied when
#: it is reached: hostile frames can carry any value)
_INTERNED: dict[type, dict[int, int]] = {}
_INTERN_MAX = 1 << 16


def interned(value: _I) -> _I:
    """One object for equal decoded integers of one type (network and IEEE addresses): the
    value itself, or the equal one of the same type decoded before. The tables of every node of
    a network hold the addresses of the same devices (address map, neighbours): decoded from
    each frame, every entry was an object of its own (32 bytes; some 80 IEEE addresses per
    router at 10,000 nodes). Identity never decides anything: equal values compare equal."""
    table = _INTERNED.get(type(value))
    if table is None:
        table = _INTERNED[type(value)] = {}
    got = table.get(value)
    if got is not None:
        return got  # type: ignore[return-value]  # (same type: the table's)
    if len(table) >= _INTERN_MAX:
        table.clear()
    table[value] = value
    return value


#: default bound of a :func:`memo_decoder` (entries; the memo is emptied when it is reached)
MEMO_SIZE = 256


class _Memo(dict[bytes, Any]):
    """The memo's table: a miss decodes (:meth:`__missing__`), so a hit is a dict subscript
    and no Python frame (:meth:`DecodeMemo.bytes_decoder`)."""

    __slots__ = ("decode", "size")

    def __init__(self, decode: Callable[[bytes], Any], size: int) -> None:
        super().__init__()
        self.decode = decode
        self.size = size

    def __missing__(self, data: bytes) -> Any:
        v = self.decode(data)
        if len(self) >= self.size:
            self.clear()
        self[data] = v
        return v


class DecodeMemo(Generic[_T]):
    """A decoder of immutable frames memoised by the input's content, which encoders may seed.

    Every receiver of a broadcast decodes the same bytes object: the first one decodes it,
    the others get the same (frozen) frame object back. The memo maps content to the result
    of a pure function, so it holds no state in the DESIGN.md sense: same input, same output,
    with or without it. A ``bytes`` object caches its hash, so a hit costs one dict lookup.
    Failures (``DecodeError``) are not memoised; unhashable inputs (``bytearray``) are decoded
    every time by :meth:`decoder` (:meth:`bytes_decoder` takes ``bytes`` alone). ``size``
    bounds it: reaching it empties the memo (the copies of one frame arrive together, so only
    the last few frames matter).

    :meth:`remember` lets the code that just built ``data`` from a frame (a sender) enter the
    value ``decode(data)`` returns without decoding: only for a value equal to it, field types
    included (the seeding encoder's tests check that against the decoder).
    """

    __slots__ = ("_memo",)

    def __init__(self, decode: Callable[[bytes], _T], size: int = MEMO_SIZE) -> None:
        self._memo = _Memo(decode, size)

    def decoder(self) -> Callable[[bytes], _T]:
        """The memoised decode function (a closure), for any buffer."""
        lookup = self._memo.__getitem__
        decode = self._memo.decode

        def decoded(data: bytes) -> _T:
            try:
                return lookup(data)  # type: ignore[no-any-return]
            except TypeError:  # unhashable: a bytearray or memoryview
                return decode(data)  # type: ignore[no-any-return]

        decoded.__doc__ = decode.__doc__
        return decoded

    def bytes_decoder(self) -> Callable[[bytes], _T]:
        """The memoised decode function for ``bytes`` alone: the memo's own subscript, so a hit
        runs no Python code (the receive paths, once per receiver of every frame: their input
        is the PSDU the medium carries and the payloads decoded from it, always ``bytes``).
        Another buffer raises ``TypeError`` (unhashable)."""
        return self._memo.__getitem__

    def remember(self, data: bytes, value: _T) -> None:
        """Enter ``value``, which must equal ``decode(data)``, as the decoding of ``data``."""
        memo = self._memo
        if len(memo) >= memo.size:
            memo.clear()
        memo[data] = value


def memo_decoder(decode: Callable[[bytes], _T], size: int = MEMO_SIZE) -> Callable[[bytes], _T]:
    """``decode`` memoised by the input's content (:class:`DecodeMemo`, nobody seeding it)."""
    return DecodeMemo(decode, size).decoder()


def memo_bytes_decoder(
    decode: Callable[[bytes], _T], size: int = MEMO_SIZE
) -> Callable[[bytes], _T]:
    """``decode`` memoised by the content of ``bytes`` alone (:meth:`DecodeMemo.bytes_decoder`:
    no Python frame on a hit)."""
    return DecodeMemo(decode, size).bytes_decoder()
