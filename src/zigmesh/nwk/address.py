"""Stochastic address assignment and address conflict handling (Zigbee spec R22 3.6.1.7,
3.6.1.9.3).

Zigbee PRO (nwkAddrAlloc = 2) gives a joining device a random network address in
0x0001-0xfff7 that the parent does not know to be in use. Addresses may therefore collide;
nwkUniqueAddr is FALSE and every device watches for conflicts:

* detection: a frame whose NWK header carries a source IEEE address that the address map (or
  the neighbour table) knows under the same network address with another IEEE address, or a
  frame for our address carrying another device's IEEE address as destination; a broadcast
  data frame from our own address that is none of ours (``Broadcaster``: the Device_annce of
  a device that joined with our address); a Device_annce giving our end device child's
  address to another IEEE address (``Zdo``). The last two find a conflict when the second
  device joins, as far as its announcement's flood reaches (during a mass join the
  broadcast tables are full and floods stop short: issue 11);
* a broadcast data frame that revealed a conflict is discarded, not delivered or relayed
  (3.6.1.9): an announcement by a device in conflict does not flood past the devices that
  know the address belongs to another;
* report: the detecting device broadcasts a network status ADDRESS_CONFLICT (0x0d) to 0xfffd,
  after a random wait of up to :data:`REPORT_JITTER_US`, and not at all when a report on the
  same address arrives meanwhile or came within :data:`REPORT_HOLDOFF_US`: every neighbour of a
  device in conflict (and every router whose address map knows it) detects the conflict from
  the same flooded frame, and one network-wide report is enough (without this, a 1,000-node
  grid at 8.5 m sent 321 reports, each a network-wide flood, for 6 conflicting addresses);
* directed report: a concentrator that finds the conflict in a route record for itself
  knows the path to the device that sent it (the record) and to the device that held the
  address before (its previous record): it sends the report as a source-routed unicast to
  the address with the sender's IEEE address as NWK destination IEEE address, so that only
  that device (a router; an end device's parent, the last relay, for its child) takes a new
  address, and keeps the other's route and map entry. Relays of the report forget the pair
  it names. A router that finds a conflict in a route record it relays to the coordinator
  leaves it to the coordinator (a concentrator whose address map holds every device that
  reports, ``node_config``). In a large network most conflicts are found so, as reports
  flow, and each broadcast report is a network-wide flood (about 9,000 transmissions at
  10,000 devices): those floods brought congestion collapses around the coordinator
  (issue 11);
* resolution, on a report or a local detection: a router or coordinator whose own address is
  in conflict picks a new one and sends a link status at once (no Device_annce follows yet:
  announcing every change added a network-wide flood per change and cost delivery in the
  large-network bench, issue 11); the parent of an end device in conflict gives it a new
  address with an unsolicited rejoin response. The coordinator keeps 0x0000.

:class:`ConflictState` is the per-address state kept to rate-limit reports.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from zigmesh.clock import TimerHandle
from zigmesh.errors import DecodeError
from zigmesh.nwk.commands import (
    NetworkStatus,
    NwkCommandId,
    NwkStatusCode,
    RejoinResponse,
    RejoinStatus,
    RouteRecord,
)
from zigmesh.nwk.constants import (
    COORDINATOR_ADDRESS,
    MAX_UNICAST_ADDRESS,
    NWK_NETWORK_BROADCAST_DELIVERY_TIME_US,
    S,
)
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, SourceRoute
from zigmesh.nwk.primitives import NlmeNetworkAddressChangeIndication, NlmeNwkStatusIndication
from zigmesh.nwk.tables import AddressMapStatus, DeviceType, NeighborEntry

if TYPE_CHECKING:
    from zigmesh.nwk.nwk import Nwk

__all__ = [
    "CHECK_CONFLICT",
    "CHECK_DROP",
    "CHECK_OK",
    "AddressManager",
    "ConflictState",
    "allocate_stochastic",
    "REPORT_HOLDOFF_US",
    "REPORT_JITTER_US",
]

#: a conflict on the same address is reported (by us, or heard from another device) at most
#: once in this interval: a report's flood, and the copies of the frames that revealed the
#: conflict, last up to nwkNetworkBroadcastDeliveryTime
REPORT_HOLDOFF_US = NWK_NETWORK_BROADCAST_DELIVERY_TIME_US
#: a detected conflict is reported after a random wait of up to this; a report on the same
#: address heard meanwhile replaces ours
REPORT_JITTER_US = 1 * S
_MAX_TRIES = 1000
_REPORTS_MAX = 64
_COMMAND = NwkFrameType.COMMAND
_LINK_STATUS = bytes((NwkCommandId.LINK_STATUS,))
#: :meth:`AddressManager.check_frame` results: nothing found; a conflict found (the frame is
#: processed on); a conflict found and the frame must be dropped
CHECK_OK = 0
CHECK_CONFLICT = 1
CHECK_DROP = 2


class ConflictState(Enum):
    """Where this device stands with a conflicting address."""

    REPORTED = 1  # network status ADDRESS_CONFLICT broadcast (ours pending, sent, or heard)
    RESOLVED = 2  # our own / our child's address was changed


def allocate_stochastic(
    rng_randrange: Callable[[int, int], int], in_use: Callable[[int], bool]
) -> int:
    """A random unicast address 0x0001-0xfff7 for which ``in_use(address)`` is False
    (Zigbee spec 3.6.1.7). ``rng_randrange`` is ``random.Random.randrange``."""
    for _ in range(_MAX_TRIES):
        a = rng_randrange(1, MAX_UNICAST_ADDRESS + 1)
        if not in_use(a):
            return a
    raise RuntimeError("no free network address found")  # pragma: no cover - 65k space


def _is_route_record(frame: NwkFrame) -> bool:
    """``frame`` is a route record command (3.4.5)."""
    p = frame.payload
    return (
        frame.frame_type == NwkFrameType.COMMAND
        and len(p) > 0
        and p[0] == NwkCommandId.ROUTE_RECORD
    )


class AddressManager:
    """Address assignment for joining children and conflict detection / resolution."""

    __slots__ = ("_nwk", "_reports", "_pending", "_directed", "reserved")

    def __init__(self, nwk: Nwk) -> None:
        self._nwk = nwk
        #: conflicting address -> (state, time)
        self._reports: dict[int, tuple[ConflictState, int]] = {}
        #: conflicting address -> our report waiting for its jitter
        self._pending: dict[int, TimerHandle] = {}
        #: conflicting address -> (sender's IEEE address, its record's relays, the IEEE
        #: address that held the address, its record's relays or None): a concentrator's
        #: pending report goes to the sender alone
        self._directed: dict[int, tuple[int, tuple[int, ...], int, tuple[int, ...] | None]] = {}
        #: addresses promised to devices whose join is not confirmed yet
        self.reserved: set[int] = set()

    def stop(self) -> None:
        for t in self._pending.values():
            t.cancel()
        self._pending.clear()
        self._directed.clear()
        self._reports.clear()
        self.reserved.clear()

    # -- assignment ------------------------------------------------------------------------

    def in_use(self, address: int, ieee: int | None = None) -> bool:
        """``address`` is known to belong to a device other than ``ieee``."""
        nwk = self._nwk
        if address == nwk.nib.nwk_network_address or address in self.reserved:
            return True
        if address == COORDINATOR_ADDRESS or address > MAX_UNICAST_ADDRESS:
            return True
        e = nwk.neighbors.get(address)
        if e is not None and (ieee is None or e.extended_address != ieee):
            return True
        known = nwk.address_map.ieee_of(address)
        return known is not None and known != ieee

    def allocate(self) -> int:
        """A fresh stochastic address (Zigbee spec 3.6.1.7)."""
        return allocate_stochastic(self._nwk.rng.randrange, self.in_use)

    # -- detection -------------------------------------------------------------------------

    def check_frame(self, frame: NwkFrame, src_entry: NeighborEntry | None) -> int:
        """Learn the IEEE / network address pairs a received frame carries and look for
        conflicts. Returns :data:`CHECK_DROP` when the frame must be dropped: a broadcast data
        frame that revealed a conflict is discarded instead of relayed (3.6.1.9: the flood of
        an announcement by a device in conflict stops where the conflict is known); any other
        frame is still processed: :data:`CHECK_CONFLICT` when a conflict was found (its
        resolution may have changed the tables), else :data:`CHECK_OK`. ``src_entry``: our
        neighbour table entry of ``frame.src`` (None: none), which the caller holds."""
        nwk = self._nwk
        me = nwk.nib.nwk_network_address
        my_ieee = nwk.ieee
        src_ieee = frame.src_ieee
        found = False
        if src_ieee is not None and src_ieee != my_ieee:
            src = frame.src
            if src == me:
                self.conflict(src)
                found = True
            elif src <= MAX_UNICAST_ADDRESS:
                other: int | None = None
                e = src_entry
                if e is not None and e.extended_address is not None:
                    # a neighbour: its own frames told us its IEEE address first-hand
                    if e.extended_address != src_ieee:
                        other = e.extended_address
                    else:
                        # the pair confirmed: another address map entry is hearsay (a
                        # forged announcement), no conflict of this neighbour's
                        nwk.address_map.update(src, src_ieee, overwrite=True)
                elif frame.payload[:1] == _LINK_STATUS and frame.frame_type == _COMMAND:
                    # a router in range we keep no entry for (in a dense network most link
                    # statuses a router hears: 130 senders at the 10,000-node bench's
                    # density): checked against the map, not learnt. Learnt, they churned
                    # the 64-entry map (each pair gone seconds later, with the announced
                    # pairs conflicts are found against) and cost a tenth of the run
                    known = nwk.address_map.ieee_of(src)
                    if known is not None and known != src_ieee:
                        other = known
                elif nwk.address_map.update(src, src_ieee) == AddressMapStatus.CONFLICT:
                    other = nwk.address_map.ieee_of(src)
                if other is not None:
                    if frame.dst == COORDINATOR_ADDRESS != me and _is_route_record(frame):
                        # on its way to the coordinator, a concentrator that maps every
                        # device that reports (node_config): it reports the conflict to
                        # this record's sender alone
                        nwk.stats.address_conflicts_left += 1
                    else:
                        self._direct(frame, src, src_ieee, other)
                        self.conflict(src)
                        found = True
        dst_ieee = frame.dst_ieee
        if dst_ieee is not None and frame.dst == me and dst_ieee != my_ieee:
            self.conflict(me)
        if not found:
            return CHECK_OK
        if frame.frame_type == NwkFrameType.DATA and frame.dst > MAX_UNICAST_ADDRESS:
            nwk.stats.drop_address_conflict += 1
            return CHECK_DROP
        return CHECK_CONFLICT

    def _direct(self, frame: NwkFrame, src: int, src_ieee: int, keeper: int | None) -> None:
        """A concentrator found the conflict in ``src``'s route record for it (``keeper``:
        the IEEE address it knew at ``src``): note both devices' paths, for a report to the
        sender alone (:meth:`_report`)."""
        nwk = self._nwk
        if (
            keeper is None
            or not nwk.nib.nwk_is_concentrator
            or frame.dst != nwk.nib.nwk_network_address
            or not _is_route_record(frame)
            or src in self._pending
        ):
            return
        try:
            relays = RouteRecord.decode(frame.payload).relays
        except DecodeError:
            return
        if len(relays) > nwk.route_records.max_relays or (
            not relays and nwk.neighbors.get(src) is not None
        ):
            # (both are our neighbours: a report sent to the address reaches both)
            return
        # the table still holds the other device's record: this one is stored after us
        self._directed[src] = (
            src_ieee,
            relays,
            keeper,
            nwk.route_records.relays(src, nwk.clock.now()),
        )

    def conflict(self, address: int) -> None:
        """A conflict on ``address`` was detected here (3.6.1.9.3)."""
        nwk = self._nwk
        now = nwk.clock.now()
        last = self._reports.get(address)
        if last is not None and now - last[1] < REPORT_HOLDOFF_US:
            self._directed.pop(address, None)
            return
        nwk.stats.address_conflicts += 1
        self._note(address, ConflictState.REPORTED, now)
        nwk.address_map.remove_short(address)
        if nwk.is_router and address not in self._pending:
            self._pending[address] = nwk.clock.call_later(
                nwk.rng.randrange(REPORT_JITTER_US + 1), self._report, address
            )
        self.resolve(address)

    def _note(self, address: int, state: ConflictState, now: int) -> None:
        """Remember where ``address`` stands (bounded: entries past the hold-off go first)."""
        reports = self._reports
        if len(reports) >= _REPORTS_MAX and address not in reports:
            for a in [a for a, (_, t) in reports.items() if now - t >= REPORT_HOLDOFF_US]:
                del reports[a]
            if len(reports) >= _REPORTS_MAX:
                del reports[next(iter(reports))]
        reports[address] = (state, now)

    def _report(self, address: int) -> None:
        """Our report's wait is over and nobody reported ``address`` meanwhile: to the device
        that revealed the conflict when we know its path, else to every router."""
        del self._pending[address]
        nwk = self._nwk
        status = NetworkStatus(NwkStatusCode.ADDRESS_CONFLICT, address)
        directed = self._directed.pop(address, None)
        last = self._reports.get(address)
        if directed is not None and (last is None or last[0] != ConflictState.RESOLVED):
            ieee, relays, keeper, kept = directed
            nwk.stats.address_conflict_directed += 1
            frame = NwkFrame(
                NwkFrameType.COMMAND,
                address,
                nwk.nib.nwk_network_address,
                nwk.default_radius(),
                nwk.next_seq(),
                status.encode(),
                dst_ieee=ieee,
                src_ieee=nwk.ieee,
                source_route=SourceRoute(len(relays) - 1, relays) if relays else None,
            )
            # along the sender's own record (our neighbour table or routes may lead to
            # the other device)
            nwk.transmit(frame, relays[-1] if relays else address)
            # the device that keeps the address keeps its route and its map entry
            records = nwk.route_records
            if kept is None:
                records.remove(address)
            else:
                records.update(address, kept, nwk.clock.now())
            nwk.address_map.update(address, keeper, overwrite=True)
            return
        nwk.stats.address_conflict_reports += 1
        nwk.send_command(status, 0xFFFD, radius=None)

    def on_conflict_status(self, address: int) -> None:
        """A network status ADDRESS_CONFLICT about ``address`` was received."""
        nwk = self._nwk
        nwk.address_map.remove_short(address)
        pending = self._pending.pop(address, None)
        if pending is not None:
            pending.cancel()  # reported by another device: ours would repeat it
            self._directed.pop(address, None)
        now = nwk.clock.now()
        last = self._reports.get(address)
        if (
            last is not None
            and last[0] == ConflictState.RESOLVED
            and now - last[1] < REPORT_HOLDOFF_US
        ):
            return
        self._note(address, ConflictState.REPORTED, now)
        self.resolve(address)

    def on_directed_report(self, frame: NwkFrame, address: int) -> bool:
        """A unicast ADDRESS_CONFLICT report about ``address`` passes through us (a relay of a
        concentrator's directed report): forget the pair it names; if it is for our end device
        child, give the child a new address here (it cannot pick one itself) and return True
        (the report stops here)."""
        nwk = self._nwk
        ieee = frame.dst_ieee
        if ieee is not None and nwk.address_map.ieee_of(address) == ieee:
            nwk.address_map.remove_short(address)
        if frame.dst != address or self._end_device_child(address) is None:
            return False
        self.on_conflict_status(address)
        return True

    def _end_device_child(self, address: int) -> int | None:
        """The IEEE address of our end device child at ``address`` (None: no such child, or
        its IEEE address unknown)."""
        e = self._nwk.neighbors.get(address)
        if e is None or not e.is_child or e.device_type != DeviceType.END_DEVICE:
            return None
        return e.extended_address

    def resolve(self, address: int) -> None:
        """Change our address, or our end device child's, when it is ``address``."""
        nwk = self._nwk
        now = nwk.clock.now()
        if address == nwk.nib.nwk_network_address:
            if nwk.is_router and address != COORDINATOR_ADDRESS:
                self._note(address, ConflictState.RESOLVED, now)
                self.change_own_address()
            return
        child = self._end_device_child(address)
        if child is not None:
            self._note(address, ConflictState.RESOLVED, now)
            self.reassign_child(child)

    # -- resolution ------------------------------------------------------------------------

    def change_own_address(self) -> None:
        """Pick a new stochastic address (router / coordinator in conflict)."""
        nwk = self._nwk
        old = nwk.nib.nwk_network_address
        new = self.allocate()
        nwk.set_network_address(new)
        nwk.stats.address_changes += 1
        nwk.routes.remove(new)
        nwk.emit(NlmeNwkStatusIndication(NwkStatusCode.ADDRESS_CONFLICT, old))
        nwk.emit(NlmeNetworkAddressChangeIndication(new, old))
        # neighbours learn the new address (with our IEEE) from a link status at once
        nwk.link_status.send_now()

    def reassign_child(self, ieee: int) -> None:
        """Give an end device child a new address with an unsolicited rejoin response."""
        nwk = self._nwk
        e = nwk.neighbors.get_by_ieee(ieee)
        if e is None:
            return
        old = e.network_address
        new = self.allocate()
        nwk.neighbors.change_address(ieee, new)
        nwk.address_map.update(new, ieee, overwrite=True)
        nwk.stats.address_changes += 1
        nwk.purge_indirect(old)
        # the child still answers to (and polls from) its old short address
        nwk.send_command(
            RejoinResponse(new, RejoinStatus.SUCCESS),
            old,
            old,
            radius=1,
            dst_ieee=ieee,
            indirect=not e.rx_on_when_idle,
        )
