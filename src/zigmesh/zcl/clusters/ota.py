"""OTA Upgrade (0x0019, ZCL rev 7/8 chapter 11).

Ids and types follow the ZCL OTA specification and Wireshark's
``packet-zbee-zcl-general.c``. The *server* (a hub) holds images; the *client* (the device
being upgraded) asks for them:

1. Image Notify (server, optional) -> the client queries after a random jitter;
2. Query Next Image Request / Response: the server offers a newer image for the client's
   manufacturer code and image type (NO_IMAGE_AVAILABLE otherwise);
3. Image Block Request / Response, one block at a time from the client's file offset (the
   block size is the smaller of the client's Max Data Size and what fits one frame);
4. Upgrade End Request (SUCCESS once the whole file arrived and its OTA header checks out,
   INVALID_IMAGE otherwise) / Upgrade End Response: the client switches to the new version at
   the upgrade time (0: now).

OTA files (11.4): :func:`ota_image` builds one (56-octet header, one Upgrade Image
sub-element); :func:`parse_ota_header` checks it. A sleepy client polls for each response
(the APS turbo-polls while it awaits them), so a transfer exercises polling end to end.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.pending import Pending
from zigmesh.zcl.cluster import (
    ClientCluster,
    Handler,
    HandlerResult,
    Reply,
    Request,
    ServerCluster,
)
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
)
from zigmesh.zcl.destination import Destination
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.result import ZclResult
from zigmesh.zcl.types import DataType

__all__ = [
    "OTA_UPGRADE",
    "OTA_UPGRADE_SERVER",
    "OtaServer",
    "OtaClient",
    "OtaImage",
    "ota_image",
    "parse_ota_header",
    "OTA_MAGIC",
]

T = DataType
A = Access
S = 1_000_000
OTA_MAGIC = 0x0BEEF11E
_HEADER = struct.Struct("<IHHHHHIH32sI")  # 56 octets
_BLOCK_OVERHEAD = 14  # status, manufacturer, type, version, offset, data length

_MFR = Field("manufacturer_code", T.UINT16)
_TYPE = Field("image_type", T.UINT16)
_VER = Field("file_version", T.UINT32)

OTA_UPGRADE = ClusterDef(
    0x0019,
    "ota_upgrade",
    # the client's attributes (ZCL 11.10.2); the server has none
    (
        AttributeDef(0x0000, "upgrade_server_id", T.EUI64),
        AttributeDef(0x0001, "file_offset", T.UINT32),
        AttributeDef(0x0002, "current_file_version", T.UINT32),
        AttributeDef(0x0003, "current_zigbee_stack_version", T.UINT16, default=0x0002),
        AttributeDef(0x0004, "downloaded_file_version", T.UINT32, default=0xFFFF_FFFF),
        AttributeDef(0x0005, "downloaded_zigbee_stack_version", T.UINT16, default=0xFFFF),
        AttributeDef(0x0006, "image_upgrade_status", T.ENUM8),
        AttributeDef(0x0007, "manufacturer_id", T.UINT16),
        AttributeDef(0x0008, "image_type_id", T.UINT16),
        AttributeDef(0x0009, "minimum_block_period", T.UINT16),
    ),
    (
        CommandDef(
            0x00,
            "image_notify",
            SERVER_TO_CLIENT,
            (
                Field("payload_type", T.ENUM8),
                Field("query_jitter", T.UINT8),
                Field("manufacturer_code", T.UINT16, True),
                Field("image_type", T.UINT16, True),
                Field("file_version", T.UINT32, True),
            ),
        ),
        CommandDef(
            0x01,
            "query_next_image_request",
            CLIENT_TO_SERVER,
            (
                Field("field_control", T.MAP8),
                _MFR,
                _TYPE,
                _VER,
                Field("hardware_version", T.UINT16, True),
            ),
        ),
        CommandDef(
            0x02,
            "query_next_image_response",
            SERVER_TO_CLIENT,
            (
                Field("status", T.ENUM8),
                Field("manufacturer_code", T.UINT16, True),
                Field("image_type", T.UINT16, True),
                Field("file_version", T.UINT32, True),
                Field("image_size", T.UINT32, True),
            ),
        ),
        CommandDef(
            0x03,
            "image_block_request",
            CLIENT_TO_SERVER,
            (
                Field("field_control", T.MAP8),
                _MFR,
                _TYPE,
                _VER,
                Field("file_offset", T.UINT32),
                Field("maximum_data_size", T.UINT8),
                Field("request_node_address", T.EUI64, True),
                Field("minimum_block_period", T.UINT16, True),
            ),
        ),
        CommandDef(
            0x05,
            "image_block_response",
            SERVER_TO_CLIENT,
            (
                Field("status", T.ENUM8),
                Field("manufacturer_code", T.UINT16, True),
                Field("image_type", T.UINT16, True),
                Field("file_version", T.UINT32, True),
                Field("file_offset", T.UINT32, True),
                Field("image_data", T.OCTSTR, True),
            ),
        ),
        CommandDef(
            0x06,
            "upgrade_end_request",
            CLIENT_TO_SERVER,
            (Field("status", T.ENUM8), _MFR, _TYPE, _VER),
        ),
        CommandDef(
            0x07,
            "upgrade_end_response",
            SERVER_TO_CLIENT,
            (_MFR, _TYPE, _VER, Field("current_time", T.UINT32), Field("upgrade_time", T.UINT32)),
        ),
    ),
)


#: the server side holds no attributes
OTA_UPGRADE_SERVER = ClusterDef(0x0019, "ota_upgrade", (), OTA_UPGRADE.commands)


def ota_image(
    manufacturer_code: int, image_type: int, file_version: int, payload: bytes, text: str = ""
) -> bytes:
    """An OTA upgrade file (ZCL 11.4): header, then one Upgrade Image sub-element (tag 0)."""
    element = struct.pack("<HI", 0x0000, len(payload)) + payload
    header = _HEADER.pack(
        OTA_MAGIC,
        0x0100,
        _HEADER.size,
        0x0000,
        manufacturer_code,
        image_type,
        file_version,
        0x0002,
        text.encode()[:32].ljust(32, b"\0"),
        _HEADER.size + len(element),
    )
    return header + element


def parse_ota_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(manufacturer code, image type, file version, total size) of a valid OTA file."""
    if len(data) < _HEADER.size:
        return None
    magic, _ver, hlen, _fc, mfr, itype, fver, _stack, _text, total = _HEADER.unpack_from(data)
    if magic != OTA_MAGIC or hlen < _HEADER.size or total != len(data):
        return None
    return mfr, itype, fver, total


@dataclass(frozen=True, slots=True)
class OtaImage:
    manufacturer_code: int
    image_type: int
    file_version: int
    data: bytes


class OtaServer(ServerCluster):
    """OTA Upgrade server: serves the images it was given."""

    DEFINITION = OTA_UPGRADE_SERVER

    def __init__(self) -> None:
        super().__init__()
        self.images: dict[tuple[int, int], OtaImage] = {}
        self.blocks_served = 0
        #: (client address, status) of every Upgrade End Request
        self.upgrade_ends: list[tuple[int, int]] = []

    def add_image(self, data: bytes) -> OtaImage:
        h = parse_ota_header(data)
        if h is None:
            raise ValueError("not a valid OTA upgrade file")
        img = OtaImage(h[0], h[1], h[2], data)
        self.images[(img.manufacturer_code, img.image_type)] = img
        return img

    def handlers(self) -> Mapping[int, Handler]:
        return {0x01: self.query_next_image, 0x03: self.image_block, 0x06: self.upgrade_end}

    def notify(self, dst: Destination, img: OtaImage, jitter: int = 100) -> Pending[ZclResult]:
        """Image Notify (payload type 3: with manufacturer, type and version)."""
        args = {
            "payload_type": 3,
            "query_jitter": jitter,
            "manufacturer_code": img.manufacturer_code,
            "image_type": img.image_type,
            "file_version": img.file_version,
        }
        return self.endpoint.send_command(
            dst, OTA_UPGRADE, "image_notify", args, disable_default_response=True,
            expect_response=False,
        )  # fmt: skip

    def query_next_image(self, args: Args, req: Request) -> HandlerResult:
        img = self.images.get((args["manufacturer_code"], args["image_type"]))
        if img is None or img.file_version == args["file_version"]:
            return Reply("query_next_image_response", {"status": ZclStatus.NO_IMAGE_AVAILABLE})
        return Reply(
            "query_next_image_response",
            {
                "status": ZclStatus.SUCCESS,
                "manufacturer_code": img.manufacturer_code,
                "image_type": img.image_type,
                "file_version": img.file_version,
                "image_size": len(img.data),
            },
        )

    def image_block(self, args: Args, req: Request) -> HandlerResult:
        img = self.images.get((args["manufacturer_code"], args["image_type"]))
        if img is None or img.file_version != args["file_version"]:
            return Reply("image_block_response", {"status": ZclStatus.NO_IMAGE_AVAILABLE})
        offset = args["file_offset"]
        if offset >= len(img.data):
            return Reply("image_block_response", {"status": ZclStatus.MALFORMED_COMMAND})
        room = self.endpoint.max_payload() - _BLOCK_OVERHEAD
        n = max(1, min(args["maximum_data_size"], room))
        self.blocks_served += 1
        return Reply(
            "image_block_response",
            {
                "status": ZclStatus.SUCCESS,
                "manufacturer_code": img.manufacturer_code,
                "image_type": img.image_type,
                "file_version": img.file_version,
                "file_offset": offset,
                "image_data": img.data[offset : offset + n],
            },
        )

    def upgrade_end(self, args: Args, req: Request) -> HandlerResult:
        self.upgrade_ends.append((req.src_address, args["status"]))
        if args["status"] != ZclStatus.SUCCESS:
            return None  # the client gave up: Default Response SUCCESS
        return Reply(
            "upgrade_end_response",
            {
                "manufacturer_code": args["manufacturer_code"],
                "image_type": args["image_type"],
                "file_version": args["file_version"],
                "current_time": 0,
                "upgrade_time": 0,  # now
            },
        )


class OtaClient(ClientCluster):
    """OTA Upgrade client: queries a server, downloads block by block, upgrades.

    ``current_file_version`` is what the device runs; after a complete download it becomes the
    new version (at the server's upgrade time). ``started_us`` / ``finished_us`` time the
    transfer; ``status`` is "idle", "downloading", "waiting" (to switch), "done" or "failed".
    """

    DEFINITION = OTA_UPGRADE

    def __init__(
        self,
        manufacturer_code: int,
        image_type: int,
        current_file_version: int,
        max_data_size: int = 64,
        retries: int = 3,
    ) -> None:
        super().__init__()
        self.manufacturer_code = manufacturer_code
        self.image_type = image_type
        self.current_file_version = current_file_version
        self.max_data_size = max_data_size
        self.retries = retries
        self.server: Destination | None = None
        self.status = "idle"
        self.new_version: int | None = None
        self.size = 0
        self.data = bytearray()
        self.blocks = 0
        self.block_retries = 0
        self.started_us: int | None = None
        self.finished_us: int | None = None
        self._tries = 0

    def handlers(self) -> Mapping[int, Handler]:
        return {0x00: self.image_notify}

    def image_notify(self, args: Args, req: Request) -> HandlerResult:
        if args.get("manufacturer_code", self.manufacturer_code) != self.manufacturer_code:
            return None
        if args.get("file_version") == self.current_file_version or self.status == "downloading":
            return None
        ep = self.endpoint
        jitter = args["query_jitter"]
        if jitter < 100 and ep.node.rng.randrange(100) >= jitter:
            return None  # not this time (11.13.3.2)
        dst = Destination.short(req.src_address, req.indication.src_endpoint)
        ep.clock.call_later(ep.node.rng.randrange(1, 1_000_000), self.query, dst)
        return None

    def query(self, server: Destination) -> Pending[ZclResult]:
        """Ask ``server`` for a newer image (and download it when there is one)."""
        self.server = server
        args = {
            "field_control": 0,
            "manufacturer_code": self.manufacturer_code,
            "image_type": self.image_type,
            "file_version": self.current_file_version,
        }
        p = self.command(server, "query_next_image_request", args)
        p.add_done_callback(self._offered)
        return p

    def _offered(self, p: Pending[ZclResult]) -> None:
        r = p.result().response
        if not isinstance(r, dict) or r.get("status") != ZclStatus.SUCCESS:
            return
        self.new_version = r["file_version"]
        self.size = r["image_size"]
        self.data = bytearray()
        self.blocks = 0
        self.status = "downloading"
        self.started_us = self.endpoint.clock.now()
        self.finished_us = None
        self._request()

    def _request(self) -> None:
        assert self.server is not None and self.new_version is not None
        args = {
            "field_control": 0,
            "manufacturer_code": self.manufacturer_code,
            "image_type": self.image_type,
            "file_version": self.new_version,
            "file_offset": len(self.data),
            "maximum_data_size": self.max_data_size,
        }
        self.command(self.server, "image_block_request", args).add_done_callback(self._block)

    def _block(self, p: Pending[ZclResult]) -> None:
        r = p.result().response
        ok = (
            isinstance(r, dict)
            and r.get("status") == ZclStatus.SUCCESS
            and r.get("file_offset") == len(self.data)
            and isinstance(r.get("image_data"), bytes)
            and r["image_data"]
        )
        if not ok:
            self._tries += 1
            self.block_retries += 1
            if self._tries > self.retries:
                self.status = "failed"
                self._end(ZclStatus.ABORT)
                return
            self.endpoint.clock.call_later(S, self._request)
            return
        assert isinstance(r, dict)
        self._tries = 0
        self.blocks += 1
        self.data += r["image_data"][: self.size - len(self.data)]
        if len(self.data) < self.size:
            self._request()
            return
        h = parse_ota_header(bytes(self.data))
        good = h is not None and h[:3] == (
            self.manufacturer_code,
            self.image_type,
            self.new_version,
        )
        self.status = "waiting" if good else "failed"
        self._end(ZclStatus.SUCCESS if good else ZclStatus.INVALID_IMAGE)

    def _end(self, status: ZclStatus) -> None:
        assert self.server is not None
        args = {
            "status": status,
            "manufacturer_code": self.manufacturer_code,
            "image_type": self.image_type,
            "file_version": self.new_version if self.new_version is not None else 0,
        }
        p = self.command(self.server, "upgrade_end_request", args)
        if status == ZclStatus.SUCCESS:
            p.add_done_callback(self._upgrade)

    def _upgrade(self, p: Pending[ZclResult]) -> None:
        r = p.result().response
        if not isinstance(r, dict) or "upgrade_time" not in r:
            self.status = "failed"
            return
        delay = max(0, r["upgrade_time"] - r["current_time"]) if r["upgrade_time"] else 0
        if r["upgrade_time"] == 0xFFFF_FFFF:
            return  # wait for the server's go
        self.endpoint.clock.call_later(delay * S, self._switch)

    def _switch(self) -> None:
        assert self.new_version is not None
        self.current_file_version = self.new_version
        self.status = "done"
        self.finished_us = self.endpoint.clock.now()
