"""Closures: Door Lock (0x0101, ZCL rev 7/8 7.3).

Ids and types follow the ZCL specification and Wireshark's ``packet-zbee-zcl-closures.c``.

Lock / Unlock / Toggle / Unlock With Timeout, each answered with its response (status 0x00
success, 0x01 failure). With RequirePINforRFOperation set, the PIN in the command must be the
PIN of an enabled user: a wrong or missing PIN fails, counts toward WrongCodeEntryLimit and is
reported. PIN users: Set / Get / Clear PIN Code, Clear All PIN Codes. Every operation (and
every failed attempt) sends an Operation Event Notification to the lock's bindings; PIN
changes send Programming Event Notifications. Unlock With Timeout (and AutoRelockTime) relock
in virtual time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zigmesh.clock import TimerHandle
from zigmesh.zcl.cluster import Handler, HandlerResult, Reply, Request, ServerCluster
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
from zigmesh.zcl.types import DataType, ZclValue

__all__ = ["DOOR_LOCK", "DoorLock", "LockState", "PinUser"]

T = DataType
A = Access
S = 1_000_000


class LockState:
    NOT_FULLY_LOCKED = 0
    LOCKED = 1
    UNLOCKED = 2


# Operation event codes (ZCL Table 7-57), sources (Table 7-56)
_SRC_RF = 0x01
_OP_LOCK, _OP_UNLOCK = 0x01, 0x02
_OP_LOCK_BAD_PIN, _OP_UNLOCK_BAD_PIN = 0x03, 0x05
_OP_AUTO_LOCK = 0x0A
_PROG_PIN_ADDED, _PROG_PIN_DELETED = 0x02, 0x03

_PIN = Field("pin_code", T.OCTSTR, True)
_STATUS = Field("status", T.ENUM8)
_USER = Field("user_id", T.UINT16)

DOOR_LOCK = ClusterDef(
    0x0101,
    "door_lock",
    (
        AttributeDef(0x0000, "lock_state", T.ENUM8, A.RPS, 0x02),
        AttributeDef(0x0001, "lock_type", T.ENUM8),
        AttributeDef(0x0002, "actuator_enabled", T.BOOL, default=True),
        AttributeDef(0x0003, "door_state", T.ENUM8, A.RP),
        AttributeDef(0x0004, "door_open_events", T.UINT32, A.RW),
        AttributeDef(0x0005, "door_closed_events", T.UINT32, A.RW),
        AttributeDef(0x0006, "open_period", T.UINT16, A.RW),
        AttributeDef(0x0011, "number_of_total_users_supported", T.UINT16, default=8),
        AttributeDef(0x0012, "number_of_pin_users_supported", T.UINT16, default=8),
        AttributeDef(0x0017, "max_pin_code_length", T.UINT8, default=8),
        AttributeDef(0x0018, "min_pin_code_length", T.UINT8, default=4),
        AttributeDef(0x0023, "auto_relock_time", T.UINT32, A.RW | A.REPORT),
        AttributeDef(0x0025, "operating_mode", T.ENUM8, A.RW | A.REPORT),
        AttributeDef(0x0030, "wrong_code_entry_limit", T.UINT8, A.RW | A.REPORT, 5, 1, 0xFF),
        AttributeDef(
            0x0031, "user_code_temporary_disable_time", T.UINT8, A.RW | A.REPORT, 10, 1, 0xFF
        ),
        AttributeDef(0x0033, "require_pin_for_rf_operation", T.BOOL, A.RW | A.REPORT, True),
    ),
    (
        CommandDef(0x00, "lock_door", CLIENT_TO_SERVER, (_PIN,)),
        CommandDef(0x01, "unlock_door", CLIENT_TO_SERVER, (_PIN,)),
        CommandDef(0x02, "toggle", CLIENT_TO_SERVER, (_PIN,)),
        CommandDef(
            0x03, "unlock_with_timeout", CLIENT_TO_SERVER, (Field("timeout", T.UINT16), _PIN)
        ),
        CommandDef(
            0x05,
            "set_pin_code",
            CLIENT_TO_SERVER,
            (
                _USER,
                Field("user_status", T.UINT8),
                Field("user_type", T.ENUM8),
                Field("pin_code", T.OCTSTR),
            ),
        ),
        CommandDef(0x06, "get_pin_code", CLIENT_TO_SERVER, (_USER,)),
        CommandDef(0x07, "clear_pin_code", CLIENT_TO_SERVER, (_USER,)),
        CommandDef(0x08, "clear_all_pin_codes", CLIENT_TO_SERVER),
        CommandDef(0x00, "lock_door_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(0x01, "unlock_door_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(0x02, "toggle_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(0x03, "unlock_with_timeout_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(0x05, "set_pin_code_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(
            0x06,
            "get_pin_code_response",
            SERVER_TO_CLIENT,
            (
                _USER,
                Field("user_status", T.UINT8),
                Field("user_type", T.ENUM8),
                Field("pin_code", T.OCTSTR),
            ),
        ),
        CommandDef(0x07, "clear_pin_code_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(0x08, "clear_all_pin_codes_response", SERVER_TO_CLIENT, (_STATUS,)),
        CommandDef(
            0x20,
            "operation_event_notification",
            SERVER_TO_CLIENT,
            (
                Field("operation_event_source", T.UINT8),
                Field("operation_event_code", T.UINT8),
                _USER,
                Field("pin", T.OCTSTR),
                Field("local_time", T.UINT32),
                Field("data", T.STRING),
            ),
        ),
        CommandDef(
            0x21,
            "programming_event_notification",
            SERVER_TO_CLIENT,
            (
                Field("program_event_source", T.UINT8),
                Field("program_event_code", T.UINT8),
                _USER,
                Field("pin", T.OCTSTR),
                Field("user_type", T.ENUM8),
                Field("user_status", T.UINT8),
                Field("local_time", T.UINT32),
                Field("data", T.STRING),
            ),
        ),
    ),
)


@dataclass(slots=True)
class PinUser:
    #: 1 occupied / enabled, 3 occupied / disabled
    status: int
    user_type: int
    pin: bytes


class DoorLock(ServerCluster):
    """Door Lock server (module docstring)."""

    DEFINITION = DOOR_LOCK

    def __init__(self, values: Mapping[str, ZclValue] | None = None) -> None:
        super().__init__(None, values)
        self.users: dict[int, PinUser] = {}
        self.wrong_codes = 0
        self._relock: TimerHandle | None = None

    def handlers(self) -> Mapping[int, Handler]:
        return {
            0x00: self.lock_door,
            0x01: self.unlock_door,
            0x02: self.toggle,
            0x03: self.unlock_with_timeout,
            0x05: self.set_pin_code,
            0x06: self.get_pin_code,
            0x07: self.clear_pin_code,
            0x08: self.clear_all_pin_codes,
        }

    @property
    def locked(self) -> bool:
        return self.get("lock_state") == LockState.LOCKED

    # -- operating -----------------------------------------------------------------------------

    def _pin_user(self, args: Args) -> int | None:
        """The user whose PIN came with the command: 0xFFFF when no PIN is required, None
        when the PIN is wrong or missing."""
        pin = args.get("pin_code")
        if not self.get("require_pin_for_rf_operation"):
            return 0xFFFF
        for uid, u in self.users.items():
            if u.status == 1 and pin == u.pin:
                return uid
        return None

    def _operate(self, args: Args, lock: bool, response: str, timeout_s: int = 0) -> HandlerResult:
        user = self._pin_user(args)
        pin = args.get("pin_code") or b""
        if user is None:
            self.wrong_codes += 1
            self._notify(_OP_LOCK_BAD_PIN if lock else _OP_UNLOCK_BAD_PIN, 0xFFFF, pin)
            return Reply(response, {"status": 0x01})
        self.wrong_codes = 0
        self._cancel_relock()
        self.set("lock_state", LockState.LOCKED if lock else LockState.UNLOCKED)
        self._notify(_OP_LOCK if lock else _OP_UNLOCK, user, pin)
        relock = timeout_s or (0 if lock else self.int_value("auto_relock_time"))
        if not lock and relock:
            self._relock = self.endpoint.clock.call_later(relock * S, self._auto_lock)
        return Reply(response, {"status": 0x00})

    def _cancel_relock(self) -> None:
        if self._relock is not None:
            self._relock.cancel()
            self._relock = None

    def _auto_lock(self) -> None:
        self._relock = None
        self.set("lock_state", LockState.LOCKED)
        self._notify(_OP_AUTO_LOCK, 0xFFFF, b"")

    def lock_door(self, args: Args, req: Request) -> HandlerResult:
        return self._operate(args, True, "lock_door_response")

    def unlock_door(self, args: Args, req: Request) -> HandlerResult:
        return self._operate(args, False, "unlock_door_response")

    def toggle(self, args: Args, req: Request) -> HandlerResult:
        return self._operate(args, not self.locked, "toggle_response")

    def unlock_with_timeout(self, args: Args, req: Request) -> HandlerResult:
        return self._operate(args, False, "unlock_with_timeout_response", args["timeout"])

    def _notify(self, code: int, user: int, pin: bytes) -> None:
        self._send("operation_event_notification", {
            "operation_event_source": _SRC_RF,
            "operation_event_code": code,
            "user_id": user,
            "pin": b"",  # SendPINOverTheAir is not supported: the PIN never goes back out
            "local_time": 0,
            "data": "",
        })  # fmt: skip

    def _send(self, command: str, args: Mapping[str, object]) -> None:
        ep = self.endpoint
        if ep.aps.binding_table.lookup(ep.node.eui64, ep.endpoint_id, DOOR_LOCK.id):
            ep.send_command(Destination.bound(), DOOR_LOCK, command, args)

    # -- PIN users -----------------------------------------------------------------------------

    def set_pin_code(self, args: Args, req: Request) -> HandlerResult:
        uid, pin = args["user_id"], args["pin_code"]
        lo, hi = self.int_value("min_pin_code_length"), self.int_value("max_pin_code_length")
        if uid >= self.int_value("number_of_pin_users_supported") or pin is None:
            return Reply("set_pin_code_response", {"status": 0x01})
        if not lo <= len(pin) <= hi or args["user_status"] not in (1, 3):
            return Reply("set_pin_code_response", {"status": 0x01})
        if any(u.pin == pin for i, u in self.users.items() if i != uid):
            return Reply("set_pin_code_response", {"status": 0x03})  # duplicate code
        self.users[uid] = PinUser(args["user_status"], args["user_type"], pin)
        self._program(_PROG_PIN_ADDED, uid, pin, args["user_type"], args["user_status"])
        return Reply("set_pin_code_response", {"status": 0x00})

    def get_pin_code(self, args: Args, req: Request) -> HandlerResult:
        uid = args["user_id"]
        u = self.users.get(uid)
        reply = {"user_id": uid, "user_status": 0, "user_type": 0xFF, "pin_code": b""}
        if u is not None:
            reply.update(user_status=u.status, user_type=u.user_type, pin_code=u.pin)
        return Reply("get_pin_code_response", reply)

    def clear_pin_code(self, args: Args, req: Request) -> HandlerResult:
        uid = args["user_id"]
        if self.users.pop(uid, None) is None:
            return Reply("clear_pin_code_response", {"status": 0x01})
        self._program(_PROG_PIN_DELETED, uid, b"", 0xFF, 0)
        return Reply("clear_pin_code_response", {"status": 0x00})

    def clear_all_pin_codes(self, args: Args, req: Request) -> HandlerResult:
        self.users.clear()
        self._program(_PROG_PIN_DELETED, 0xFFFF, b"", 0xFF, 0)
        return Reply("clear_all_pin_codes_response", {"status": 0x00})

    def _program(self, code: int, user: int, pin: bytes, user_type: int, status: int) -> None:
        self._send("programming_event_notification", {
            "program_event_source": _SRC_RF,
            "program_event_code": code,
            "user_id": user,
            "pin": b"",
            "user_type": user_type,
            "user_status": status,
            "local_time": 0,
            "data": "",
        })  # fmt: skip
