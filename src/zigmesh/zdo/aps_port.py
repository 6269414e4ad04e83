"""What the ZDO needs from the APS layer, as a structural type (no import of ``aps.aps``).

The ZDO is coded against this :class:`ApsPort` protocol so that it can be tested with a fake
APS and so that it does not depend on the APS module's internals; the real
:class:`zigmesh.aps.aps.Aps` satisfies it. Methods with positional parameters are declared
positional-only: the ZDO always calls them positionally, so only the order matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeAlias

from zigmesh.aps.commands import ApsStatus
from zigmesh.aps.primitives import ApsAddrMode, EndpointHandler, TxOptions

__all__ = ["AddressResolver", "ApsPort", "BindingEntry", "ResolvedCallback"]

#: what an address resolution reports: the network address, or None when none was found
ResolvedCallback: TypeAlias = Callable[[int | None], None]
#: ``resolver(ieee, callback)``: find the network address of an IEEE address
AddressResolver: TypeAlias = Callable[[int, ResolvedCallback], None]


class BindingEntry(Protocol):
    """One binding table entry as the ZDO reads it (Zigbee spec R22 2.2.8.2.1).

    ``dst_addr_mode`` is GROUP (``dst_addr`` a 16-bit group, no endpoint) or IEEE
    (``dst_addr`` an EUI-64 and ``dst_endpoint``).
    """

    @property
    def src_addr(self) -> int: ...

    @property
    def src_endpoint(self) -> int: ...

    @property
    def cluster_id(self) -> int: ...

    @property
    def dst_addr_mode(self) -> int: ...

    @property
    def dst_addr(self) -> int: ...

    @property
    def dst_endpoint(self) -> int | None: ...


class ApsPort(Protocol):
    """The APSDE / APSME services the ZDO uses."""

    def register_endpoint(self, endpoint: int, handler: EndpointHandler, /) -> None: ...

    def apsde_data_request(
        self,
        dst_addr_mode: ApsAddrMode,
        dst_address: int,
        dst_endpoint: int,
        profile_id: int,
        cluster_id: int,
        src_endpoint: int,
        asdu: bytes,
        /,
        *,
        tx_options: TxOptions = ...,
        radius: int = ...,
    ) -> int: ...

    def set_address_resolver(self, resolver: AddressResolver, /) -> None: ...

    def note_device(self, short: int, ieee: int, rx_on_when_idle: bool, /) -> None: ...

    def apsme_bind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
        /,
    ) -> ApsStatus: ...

    def apsme_unbind_request(
        self,
        src_addr: int,
        src_endpoint: int,
        cluster_id: int,
        dst_addr_mode: ApsAddrMode,
        dst_addr: int,
        dst_endpoint: int | None = None,
        /,
    ) -> ApsStatus: ...

    @property
    def binding_table(self) -> Iterable[BindingEntry]: ...
