"""What every ZDP command shares (Zigbee spec R22 2.4.1-2.4.5): the ZDP profile id, the cluster
ids with the response bit, the status values and the field codecs of the command modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Final, Self

from zigmesh.codec import Reader, Writer, enum_or_int
from zigmesh.errors import DecodeError, LocalProtocolError
from zigmesh.types import ShortAddr

__all__ = [
    "response_cluster",
    "ZdoStatus",
    "ZDP_PROFILE_ID",
    "ZdpCluster",
]


#: ZDP application profile identifier (2.4.1)
ZDP_PROFILE_ID: Final = 0x0000
_RESPONSE_BIT = 0x8000


class ZdpCluster(IntEnum):
    """ZDP command cluster ids (2.4.3 requests, 2.4.4 responses)."""

    NWK_ADDR_REQ = 0x0000
    IEEE_ADDR_REQ = 0x0001
    NODE_DESC_REQ = 0x0002
    POWER_DESC_REQ = 0x0003
    SIMPLE_DESC_REQ = 0x0004
    ACTIVE_EP_REQ = 0x0005
    MATCH_DESC_REQ = 0x0006
    COMPLEX_DESC_REQ = 0x0010
    USER_DESC_REQ = 0x0011
    DISCOVERY_CACHE_REQ = 0x0012
    DEVICE_ANNCE = 0x0013
    USER_DESC_SET = 0x0014
    SYSTEM_SERVER_DISCOVERY_REQ = 0x0015
    DISCOVERY_STORE_REQ = 0x0016
    NODE_DESC_STORE_REQ = 0x0017
    POWER_DESC_STORE_REQ = 0x0018
    ACTIVE_EP_STORE_REQ = 0x0019
    SIMPLE_DESC_STORE_REQ = 0x001A
    REMOVE_NODE_CACHE_REQ = 0x001B
    FIND_NODE_CACHE_REQ = 0x001C
    EXTENDED_SIMPLE_DESC_REQ = 0x001D
    EXTENDED_ACTIVE_EP_REQ = 0x001E
    PARENT_ANNCE = 0x001F
    END_DEVICE_BIND_REQ = 0x0020
    BIND_REQ = 0x0021
    UNBIND_REQ = 0x0022
    BIND_REGISTER_REQ = 0x0023
    REPLACE_DEVICE_REQ = 0x0024
    STORE_BKUP_BIND_ENTRY_REQ = 0x0025
    REMOVE_BKUP_BIND_ENTRY_REQ = 0x0026
    BACKUP_BIND_TABLE_REQ = 0x0027
    RECOVER_BIND_TABLE_REQ = 0x0028
    BACKUP_SOURCE_BIND_REQ = 0x0029
    RECOVER_SOURCE_BIND_REQ = 0x002A
    MGMT_NWK_DISC_REQ = 0x0030
    MGMT_LQI_REQ = 0x0031
    MGMT_RTG_REQ = 0x0032
    MGMT_BIND_REQ = 0x0033
    MGMT_LEAVE_REQ = 0x0034
    MGMT_DIRECT_JOIN_REQ = 0x0035
    MGMT_PERMIT_JOINING_REQ = 0x0036
    MGMT_CACHE_REQ = 0x0037
    MGMT_NWK_UPDATE_REQ = 0x0038
    MGMT_NWK_ENHANCED_UPDATE_REQ = 0x0039
    MGMT_NWK_IEEE_JOINING_LIST_REQ = 0x003A

    NWK_ADDR_RSP = 0x8000
    IEEE_ADDR_RSP = 0x8001
    NODE_DESC_RSP = 0x8002
    POWER_DESC_RSP = 0x8003
    SIMPLE_DESC_RSP = 0x8004
    ACTIVE_EP_RSP = 0x8005
    MATCH_DESC_RSP = 0x8006
    COMPLEX_DESC_RSP = 0x8010
    USER_DESC_RSP = 0x8011
    DISCOVERY_CACHE_RSP = 0x8012
    USER_DESC_CONF = 0x8014
    SYSTEM_SERVER_DISCOVERY_RSP = 0x8015
    DISCOVERY_STORE_RSP = 0x8016
    NODE_DESC_STORE_RSP = 0x8017
    POWER_DESC_STORE_RSP = 0x8018
    ACTIVE_EP_STORE_RSP = 0x8019
    SIMPLE_DESC_STORE_RSP = 0x801A
    REMOVE_NODE_CACHE_RSP = 0x801B
    FIND_NODE_CACHE_RSP = 0x801C
    EXTENDED_SIMPLE_DESC_RSP = 0x801D
    EXTENDED_ACTIVE_EP_RSP = 0x801E
    PARENT_ANNCE_RSP = 0x801F
    END_DEVICE_BIND_RSP = 0x8020
    BIND_RSP = 0x8021
    UNBIND_RSP = 0x8022
    BIND_REGISTER_RSP = 0x8023
    REPLACE_DEVICE_RSP = 0x8024
    STORE_BKUP_BIND_ENTRY_RSP = 0x8025
    REMOVE_BKUP_BIND_ENTRY_RSP = 0x8026
    BACKUP_BIND_TABLE_RSP = 0x8027
    RECOVER_BIND_TABLE_RSP = 0x8028
    BACKUP_SOURCE_BIND_RSP = 0x8029
    RECOVER_SOURCE_BIND_RSP = 0x802A
    MGMT_NWK_DISC_RSP = 0x8030
    MGMT_LQI_RSP = 0x8031
    MGMT_RTG_RSP = 0x8032
    MGMT_BIND_RSP = 0x8033
    MGMT_LEAVE_RSP = 0x8034
    MGMT_DIRECT_JOIN_RSP = 0x8035
    MGMT_PERMIT_JOINING_RSP = 0x8036
    MGMT_CACHE_RSP = 0x8037
    MGMT_NWK_UPDATE_NOTIFY = 0x8038
    MGMT_NWK_ENHANCED_UPDATE_NOTIFY = 0x8039
    MGMT_NWK_IEEE_JOINING_LIST_RSP = 0x803A
    MGMT_NWK_UNSOLICITED_ENHANCED_UPDATE_NOTIFY = 0x803B


def response_cluster(request_cluster: int) -> int:
    """The response cluster id of a request cluster id (request | 0x8000)."""
    return request_cluster | _RESPONSE_BIT


class ZdoStatus(IntEnum):
    """ZDP enumerated status values (2.4.5)."""

    SUCCESS = 0x00
    INV_REQUESTTYPE = 0x80
    DEVICE_NOT_FOUND = 0x81
    INVALID_EP = 0x82
    NOT_ACTIVE = 0x83
    NOT_SUPPORTED = 0x84
    TIMEOUT = 0x85
    NO_MATCH = 0x86
    NO_ENTRY = 0x88
    NO_DESCRIPTOR = 0x89
    INSUFFICIENT_SPACE = 0x8A
    NOT_PERMITTED = 0x8B
    TABLE_FULL = 0x8C
    NOT_AUTHORIZED = 0x8D
    DEVICE_BINDING_TABLE_FULL = 0x8E
    INVALID_INDEX = 0x8F


def _check(value: int, limit: int, name: str) -> None:
    if not 0 <= value <= limit:
        raise LocalProtocolError(f"{name} out of range 0..{limit}: {value}")


def _status(r: Reader, field: str) -> ZdoStatus | int:
    return enum_or_int(ZdoStatus, r.u8(field))


def _count(r: Reader, field: str, size: int) -> int:
    """A 1-byte count of ``size``-byte items; DecodeError on the count if they cannot fit."""
    at = r.offset()
    n = r.u8(field)
    if n * size > r.remaining():
        raise DecodeError(field, at, f"count {n} needs {n * size} bytes, {r.remaining()} left")
    return n


def _write_count(w: Writer, items: tuple[object, ...], name: str) -> None:
    _check(len(items), 0xFF, f"{name} count")
    w.u8(len(items))


def _read_byte_list(r: Reader, count_field: str, list_field: str) -> tuple[int, ...]:
    """A 1-byte count then that many 1-byte items."""
    n = _count(r, count_field, 1)
    return tuple(r.bytes(n, list_field))


def _write_byte_list(w: Writer, items: tuple[int, ...], name: str) -> None:
    _write_count(w, items, name)
    w.raw(bytes(items))


def _rsp_writer(tsn: int, status: int, nwk_addr_of_interest: int) -> Writer:
    """A writer holding the TSN, Status and NWKAddrOfInterest that start many responses."""
    return Writer().u8(tsn).u8(int(status)).u16(nwk_addr_of_interest)


def _read_rsp_head(r: Reader, name: str) -> tuple[int, ZdoStatus | int, ShortAddr]:
    """TSN, Status and NWKAddrOfInterest of response ``name``."""
    tsn = r.u8(f"{name}.tsn")
    status = _status(r, f"{name}.Status")
    return tsn, status, ShortAddr(r.u16(f"{name}.NWKAddrOfInterest"))


@dataclass(frozen=True, slots=True)
class _StatusRsp:
    """A response carrying only Status."""

    _name: ClassVar[str] = ""
    tsn: int
    status: ZdoStatus | int = ZdoStatus.SUCCESS

    def encode(self) -> bytes:
        return bytes((self.tsn, int(self.status)))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        r = Reader(data)
        tsn = r.u8(f"{cls._name}.tsn")
        return cls(tsn, _status(r, f"{cls._name}.Status"))
