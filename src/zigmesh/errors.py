"""Exception hierarchy (DESIGN.md section 3.3).

Statuses are values; exceptions are for bugs (``LocalProtocolError``) and bad input
(``DecodeError``, ``SecurityError``).
"""

from __future__ import annotations


class ZigmeshError(Exception):
    """Base class of every error zigmesh raises on purpose."""


class DecodeError(ZigmeshError):
    """Bytes that cannot be decoded: names the field and the byte offset where it failed."""

    def __init__(self, field: str, offset: int, reason: str = "truncated") -> None:
        self.field = field
        self.offset = offset
        self.reason = reason
        super().__init__(f"{field} at offset {offset}: {reason}")


class SecurityError(ZigmeshError):
    """A frame that fails security processing (bad MIC, missing key, stale counter)."""


class LocalProtocolError(ZigmeshError):
    """Misuse of the API by the caller (a bug in the code above, not bad input from the air)."""
