"""Leaving the network (Zigbee spec R22 3.6.1.10).

NLME-LEAVE.request for this device: with RemoveChildren, every child is first sent a leave
request (request and remove-children flags set, our rejoin flag) and removed once the MAC is
done with it (acknowledged, or expired for a sleeping child); then the device announces its
departure with a leave command (request flag clear) — a router broadcasts it to 0xfffd with
radius 1, an end device sends it to its parent — and resets its NWK state. A leave request
received from our parent (or from anyone, if nwkLeaveRequestAllowed) runs the same procedure
and ends with NLME-LEAVE.indication (device address None, the rejoin flag) for the upper
layer, which decides whether to rejoin.

NLME-LEAVE.request for a child (its IEEE address): a leave request to the child, which is
removed from the neighbour table when the MAC is done.

A leave command from a neighbour removes it and every route through it; when it is our parent
and asks its children to go (remove-children set), we leave too.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.mac.primitives import MacStatus
from zigmesh.nwk.commands import Leave
from zigmesh.nwk.frames import NwkFrame
from zigmesh.nwk.primitives import NlmeLeaveConfirm, NlmeLeaveIndication, NwkStatus
from zigmesh.nwk.tables import NeighborEntry, Relationship

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk, TxRecord

__all__ = ["LeaveProcedure", "LeaveState"]

_RX_ON_WHEN_IDLE = 0xFFFD
#: longest wait for children's leave requests (a sleeping child's frame expires in 7.68 s)
_CHILDREN_WAIT_US = 10_000_000


class LeaveState(Enum):
    """This device's own leave."""

    IDLE = 0
    REMOVING_CHILDREN = 1
    ANNOUNCING = 2


class LeaveProcedure:
    """NLME-LEAVE and leave commands."""

    __slots__ = ("_nwk", "state", "_rejoin", "_remove_children", "_waiting", "_requested", "_timer")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        self.state = LeaveState.IDLE
        self._rejoin = False
        self._remove_children = False
        self._waiting: set[int] = set()
        #: the leave was asked by another device (indication, not confirm, at the end)
        self._requested = False
        self._timer: TimerHandle | None = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.state = LeaveState.IDLE
        self._waiting.clear()

    # -- NLME-LEAVE.request ----------------------------------------------------------------

    def request(self, device_address: int | None, remove_children: bool, rejoin: bool) -> None:
        nwk = self._nwk
        if not nwk.joined or self.state != LeaveState.IDLE:
            nwk.emit_soon(NlmeLeaveConfirm(NwkStatus.INVALID_REQUEST, device_address))
            return
        if device_address is None or device_address == nwk.ieee:
            self._requested = False
            self.leave_self(remove_children, rejoin)
            return
        child = nwk.neighbors.get_by_ieee(device_address)
        if child is None or not child.is_child:
            nwk.emit_soon(NlmeLeaveConfirm(NwkStatus.UNKNOWN_DEVICE, device_address))
            return
        self._send_request(child, remove_children, rejoin, confirm=True)

    def _send_request(
        self, child: NeighborEntry, remove_children: bool, rejoin: bool, *, confirm: bool
    ) -> None:
        nwk = self._nwk
        addr = child.network_address
        ieee = child.extended_address

        def done(rec: TxRecord, status: MacStatus) -> None:
            self._child_gone(addr, ieee)
            if confirm:
                nwk.emit(
                    NlmeLeaveConfirm(
                        NwkStatus.SUCCESS if status == MacStatus.SUCCESS else NwkStatus.NO_ACK,
                        ieee,
                    )
                )
            if addr in self._waiting:
                self._waiting.discard(addr)
                if not self._waiting and self.state == LeaveState.REMOVING_CHILDREN:
                    self._announce()

        nwk.send_command(
            Leave(remove_children=remove_children, request=True, rejoin=rejoin),
            addr,
            addr,
            radius=1,
            dst_ieee=ieee,
            indirect=not child.rx_on_when_idle,
            on_done=done,
        )

    def _child_gone(self, addr: int, ieee: int | None) -> None:
        nwk = self._nwk
        e = nwk.neighbors.get(addr)
        if e is not None and e.is_child and (ieee is None or e.extended_address == ieee):
            nwk.neighbors.remove(addr)
            nwk.purge_indirect(addr)
        nwk.routes.remove(addr)
        nwk.route_records.remove(addr)
        nwk.update_beacon()

    # -- our own leave ---------------------------------------------------------------------

    def leave_self(self, remove_children: bool, rejoin: bool) -> None:
        nwk = self._nwk
        self._rejoin = rejoin
        self._remove_children = remove_children
        children = nwk.neighbors.children() if remove_children else []
        if children:
            self.state = LeaveState.REMOVING_CHILDREN
            self._waiting = {c.network_address for c in children}
            for c in children:
                self._send_request(c, True, rejoin, confirm=False)
            self._timer = nwk.clock.call_later(_CHILDREN_WAIT_US, self._announce)
            return
        self._announce()

    def _announce(self) -> None:
        nwk = self._nwk
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.state == LeaveState.ANNOUNCING:
            return
        self.state = LeaveState.ANNOUNCING
        cmd = Leave(remove_children=self._remove_children, request=False, rejoin=self._rejoin)
        parent = nwk.parent_address
        if nwk.is_end_device and parent is not None:
            nwk.send_command(cmd, parent, parent, radius=1, on_done=self._announced)
        else:
            nwk.send_command(cmd, _RX_ON_WHEN_IDLE, 0xFFFF, radius=1, on_done=self._announced)

    def _announced(self, rec: TxRecord, status: MacStatus) -> None:
        nwk = self._nwk
        if self.state != LeaveState.ANNOUNCING:
            return
        self.state = LeaveState.IDLE
        nwk.stats.leaves += 1
        rejoin = self._rejoin
        requested = self._requested
        self._requested = False
        nwk.reset(warm_start=False)
        if requested:
            nwk.emit(NlmeLeaveIndication(None, rejoin))
        else:
            nwk.emit(NlmeLeaveConfirm(NwkStatus.SUCCESS, None))

    # -- leave commands from the air -------------------------------------------------------

    def on_leave(self, frame: NwkFrame, cmd: Leave, prev_hop: int) -> None:
        nwk = self._nwk
        src = frame.src
        if cmd.request:
            if frame.dst_ieee is not None and frame.dst_ieee != nwk.ieee:
                return
            from_parent = src == nwk.parent_address
            if not from_parent and not nwk.nib.nwk_leave_request_allowed:
                return
            if not cmd.rejoin and not nwk.nib.nwk_leave_request_without_rejoin_allowed:
                return
            if self.state != LeaveState.IDLE:
                return
            self._requested = True
            self.leave_self(cmd.remove_children, cmd.rejoin)
            return
        # a neighbour leaves
        e = nwk.neighbors.get(src)
        ieee = frame.src_ieee
        if ieee is None and e is not None:
            ieee = e.extended_address
        if ieee is None:
            ieee = nwk.address_map.ieee_of(src)
        if (
            e is not None
            and e.relationship == Relationship.PARENT
            and cmd.remove_children
            and self.state == LeaveState.IDLE
        ):
            self._requested = True
            self.leave_self(True, cmd.rejoin)
            return
        if e is not None:
            nwk.neighbors.remove(src)
            nwk.purge_indirect(src)
        nwk.routing.neighbor_gone(src)
        nwk.neighbour_left(src, ieee, cmd.rejoin)
