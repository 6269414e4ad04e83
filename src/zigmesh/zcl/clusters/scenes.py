"""Scenes (0x0005, ZCL rev 7/8 3.7).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-general.c``.

A scene is a (group, scene id) with a transition time and, per cluster of the endpoint, the
values of its attributes with scene access (On/Off OnOff, Level Control CurrentLevel...): an
extension field set ``cluster id (uint16), length (uint8), values`` (3.7.2.4.2). Store Scene
captures the endpoint's current values; Add Scene takes them from the command; Recall Scene
applies them through each cluster's :meth:`~zigmesh.zcl.cluster.ServerCluster.apply_scene`
(Level Control moves over the transition time in virtual time). A non-zero group must be one
the endpoint belongs to (else INVALID_FIELD); the table holds ``capacity`` scenes
(INSUFFICIENT_SPACE beyond). Scene names are not supported (NameSupport 0, stored empty).
Responses go only to unicast requests (3.7.2.4). Removing a group (Groups cluster) removes its
scenes.

The global scene (group 0, scene 0, 3.7.2.3.1 / 3.8.2.3.4) is an entry of the same table:
On/Off's Off With Effect stores it (:meth:`Scenes.store_global`) and On With Recall Global
Scene recalls it (:meth:`Scenes.recall_global`); a client can view or recall it as any scene.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.codec import Reader
from zigmesh.errors import DecodeError
from zigmesh.types import EUI64
from zigmesh.zcl.cluster import NO_RESPONSE, Handler, HandlerResult, Reply, Request, ServerCluster
from zigmesh.zcl.definitions import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    ClusterDef,
    CommandDef,
    Field,
    FieldKind,
)
from zigmesh.zcl.foundation import ZclStatus
from zigmesh.zcl.types import DataType, ZclValue, encode_value, read_value

__all__ = ["SCENES", "Scenes", "Scene", "encode_extension_sets", "GLOBAL_SCENE"]

T = DataType
TENTH = 100_000
S = 1_000_000

#: (group, scene) of the global scene
GLOBAL_SCENE: tuple[int, int] = (0x0000, 0x00)

_G = Field("group_id", T.UINT16)
_S = Field("scene_id", T.UINT8)
_ST = Field("status", T.ENUM8)
_TT = Field("transition_time", T.UINT16)
_NAME = Field("scene_name", T.STRING)
_EXT = Field("extension_field_sets", T.DATA8, kind=FieldKind.REST)

SCENES = ClusterDef(
    0x0005,
    "scenes",
    (
        AttributeDef(0x0000, "scene_count", T.UINT8),
        AttributeDef(0x0001, "current_scene", T.UINT8),
        AttributeDef(0x0002, "current_group", T.UINT16),
        AttributeDef(0x0003, "scene_valid", T.BOOL),
        AttributeDef(0x0004, "name_support", T.MAP8),
        AttributeDef(0x0005, "last_configured_by", T.EUI64, default=EUI64(0xFFFF_FFFF_FFFF_FFFF)),
    ),
    (
        CommandDef(0x00, "add_scene", CLIENT_TO_SERVER, (_G, _S, _TT, _NAME, _EXT)),
        CommandDef(0x01, "view_scene", CLIENT_TO_SERVER, (_G, _S)),
        CommandDef(0x02, "remove_scene", CLIENT_TO_SERVER, (_G, _S)),
        CommandDef(0x03, "remove_all_scenes", CLIENT_TO_SERVER, (_G,)),
        CommandDef(0x04, "store_scene", CLIENT_TO_SERVER, (_G, _S)),
        CommandDef(
            0x05,
            "recall_scene",
            CLIENT_TO_SERVER,
            (_G, _S, Field("transition_time", T.UINT16, True)),
        ),
        CommandDef(0x06, "get_scene_membership", CLIENT_TO_SERVER, (_G,)),
        CommandDef(0x00, "add_scene_response", SERVER_TO_CLIENT, (_ST, _G, _S)),
        CommandDef(
            0x01,
            "view_scene_response",
            SERVER_TO_CLIENT,
            (
                _ST,
                _G,
                _S,
                Field("transition_time", T.UINT16, True),
                Field("scene_name", T.STRING, True),
                Field("extension_field_sets", T.DATA8, True, FieldKind.REST),
            ),
        ),
        CommandDef(0x02, "remove_scene_response", SERVER_TO_CLIENT, (_ST, _G, _S)),
        CommandDef(0x03, "remove_all_scenes_response", SERVER_TO_CLIENT, (_ST, _G)),
        CommandDef(0x04, "store_scene_response", SERVER_TO_CLIENT, (_ST, _G, _S)),
        CommandDef(
            0x06,
            "get_scene_membership_response",
            SERVER_TO_CLIENT,
            (
                _ST,
                Field("capacity", T.UINT8),
                _G,
                Field("scene_list", T.UINT8, True, FieldKind.COUNTED),
            ),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Scene:
    group_id: int
    scene_id: int
    transition_time_s: int
    #: cluster id -> the encoded values of its scene attributes, in attribute id order
    extensions: Mapping[int, bytes]


def encode_extension_sets(extensions: Mapping[int, bytes]) -> tuple[int, ...]:
    """Extension field sets as the octets of the Add Scene / View Scene Response field."""
    out = bytearray()
    for cid, data in extensions.items():
        out += cid.to_bytes(2, "little") + bytes((len(data),)) + data
    return tuple(out)


def _parse_extension_sets(octets: tuple[int, ...]) -> dict[int, bytes]:
    raw = bytes(octets)
    out: dict[int, bytes] = {}
    pos = 0
    while pos + 3 <= len(raw):
        cid = int.from_bytes(raw[pos : pos + 2], "little")
        n = raw[pos + 2]
        out[cid] = raw[pos + 3 : pos + 3 + n]  # a short last set keeps what is there
        pos += 3 + n
    return out


def _scene_attributes(cluster: ServerCluster) -> list[AttributeDef]:
    return [a for a in cluster.definition.attributes_of(None) if a.access & Access.SCENE]


class Scenes(ServerCluster):
    """Scenes server (module docstring)."""

    DEFINITION = SCENES

    def __init__(self, values: Mapping[str, ZclValue] | None = None, capacity: int = 16) -> None:
        super().__init__(None, values)
        self.capacity = capacity
        self.table: dict[tuple[int, int], Scene] = {}

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.add_scene,
            0x01: self.view_scene,
            0x02: self.remove_scene,
            0x03: self.remove_all_scenes,
            0x04: self.store_scene,
            0x05: self.recall_scene,
            0x06: self.get_scene_membership,
        }

    # -- the table -----------------------------------------------------------------------------

    def _group_ok(self, group: int) -> bool:
        ep = self.endpoint
        return group == 0 or ep.aps.group_table.is_member(group, ep.endpoint_id)

    def _count(self) -> None:
        self.set("scene_count", len(self.table))

    def _put(self, scene: Scene, req: Request | None) -> ZclStatus:
        key = (scene.group_id, scene.scene_id)
        if key not in self.table and len(self.table) >= self.capacity:
            return ZclStatus.INSUFFICIENT_SPACE
        self.table[key] = scene
        self._count()
        if req is not None and req.indication.src_ieee is not None:
            self.set("last_configured_by", EUI64(req.indication.src_ieee))
        return ZclStatus.SUCCESS

    def remove_group(self, group: int) -> None:
        """Drop every scene of ``group`` (the Groups cluster removed it)."""
        for key in [k for k in self.table if k[0] == group]:
            del self.table[key]
        if self.get("current_group") == group:
            self.set("scene_valid", False)
        self._count()

    def capture(self) -> dict[int, bytes]:
        """The endpoint's scene attributes now, per cluster."""
        out: dict[int, bytes] = {}
        for cid, cluster in sorted(self.endpoint.servers.items()):
            attrs = cluster.scene_attributes()
            if attrs:
                out[cid] = b"".join(encode_value(a.type, cluster.value_of(a)) for a in attrs)
        return out

    def apply(self, scene: Scene, transition_us: int) -> None:
        for cid, data in scene.extensions.items():
            cluster = self.endpoint.servers.get(cid)
            if cluster is None or cluster is self:
                continue  # a cluster this endpoint does not have: ignored
            r = Reader(data)
            values: dict[AttributeDef, ZclValue] = {}
            for a in cluster.scene_attributes():
                if r.at_end():
                    break
                try:
                    values[a] = read_value(a.type, r)
                except DecodeError:
                    break
            cluster.apply_scene(values, transition_us)
        self.set("current_scene", scene.scene_id)
        self.set("current_group", scene.group_id)
        self.set("scene_valid", True)

    def store_global(self) -> bool:
        """Store the endpoint's current state as the global scene (Off With Effect); False if
        the table has no room for it."""
        g, s = GLOBAL_SCENE
        old = self.table.get(GLOBAL_SCENE)
        tt = 0 if old is None else old.transition_time_s
        return self._put(Scene(g, s, tt, self.capture()), None) == ZclStatus.SUCCESS

    def recall_global(self) -> bool:
        """Recall the global scene at once (On With Recall Global Scene); False without one."""
        scene = self.table.get(GLOBAL_SCENE)
        if scene is None:
            return False
        self.apply(scene, 0)
        return True

    # -- commands ------------------------------------------------------------------------------

    @staticmethod
    def _answer(req: Request, name: str, args: Mapping[str, object]) -> HandlerResult:
        return Reply(name, args) if req.unicast else NO_RESPONSE

    def add_scene(self, args: Args, req: Request) -> HandlerResult:
        g, s = args["group_id"], args["scene_id"]
        if not self._group_ok(g):
            st = ZclStatus.INVALID_FIELD
        else:
            scene = Scene(
                g, s, args["transition_time"], _parse_extension_sets(args["extension_field_sets"])
            )
            st = self._put(scene, req)
        return self._answer(req, "add_scene_response", {"status": st, "group_id": g, "scene_id": s})

    def view_scene(self, args: Args, req: Request) -> HandlerResult:
        g, s = args["group_id"], args["scene_id"]
        scene = self.table.get((g, s))
        reply: dict[str, object] = {"group_id": g, "scene_id": s}
        if not self._group_ok(g):
            reply["status"] = ZclStatus.INVALID_FIELD
        elif scene is None:
            reply["status"] = ZclStatus.NOT_FOUND
        else:
            reply.update(
                status=ZclStatus.SUCCESS,
                transition_time=scene.transition_time_s,
                scene_name="",
                extension_field_sets=encode_extension_sets(scene.extensions),
            )
        return self._answer(req, "view_scene_response", {"status": reply.pop("status"), **reply})

    def remove_scene(self, args: Args, req: Request) -> HandlerResult:
        g, s = args["group_id"], args["scene_id"]
        if not self._group_ok(g):
            st = ZclStatus.INVALID_FIELD
        elif self.table.pop((g, s), None) is None:
            st = ZclStatus.NOT_FOUND
        else:
            st = ZclStatus.SUCCESS
            self._count()
        return self._answer(
            req, "remove_scene_response", {"status": st, "group_id": g, "scene_id": s}
        )

    def remove_all_scenes(self, args: Args, req: Request) -> HandlerResult:
        g = args["group_id"]
        st = ZclStatus.SUCCESS
        if not self._group_ok(g):
            st = ZclStatus.INVALID_FIELD
        else:
            self.remove_group(g)
        return self._answer(req, "remove_all_scenes_response", {"status": st, "group_id": g})

    def store_scene(self, args: Args, req: Request) -> HandlerResult:
        g, s = args["group_id"], args["scene_id"]
        if not self._group_ok(g):
            st = ZclStatus.INVALID_FIELD
        else:
            old = self.table.get((g, s))
            tt = 0 if old is None else old.transition_time_s
            st = self._put(Scene(g, s, tt, self.capture()), req)
            if st == ZclStatus.SUCCESS:
                self.set("current_scene", s)
                self.set("current_group", g)
                self.set("scene_valid", True)
        return self._answer(
            req, "store_scene_response", {"status": st, "group_id": g, "scene_id": s}
        )

    def recall_scene(self, args: Args, req: Request) -> HandlerResult:
        g, s = args["group_id"], args["scene_id"]
        if not self._group_ok(g):
            return ZclStatus.INVALID_FIELD
        scene = self.table.get((g, s))
        if scene is None:
            return ZclStatus.NOT_FOUND
        tt = args.get("transition_time", 0xFFFF)
        transition_us = scene.transition_time_s * S if tt == 0xFFFF else tt * TENTH
        self.apply(scene, transition_us)
        return None

    def get_scene_membership(self, args: Args, req: Request) -> HandlerResult:
        g = args["group_id"]
        free = max(0, min(0xFE, self.capacity - len(self.table)))
        if not self._group_ok(g):
            if not req.unicast:
                return NO_RESPONSE
            reply = {"status": ZclStatus.INVALID_FIELD, "capacity": free, "group_id": g}
            return Reply("get_scene_membership_response", reply)
        scenes = tuple(sorted(s for (grp, s) in self.table if grp == g))
        if not req.unicast and not scenes:
            return NO_RESPONSE
        return Reply(
            "get_scene_membership_response",
            {"status": ZclStatus.SUCCESS, "capacity": free, "group_id": g, "scene_list": scenes},
        )
