"""A custom manufacturer-specific cluster and a custom device type, used in a secured World.

Run: python3 examples/custom_cluster.py [capture.pcap]

"Acme" (manufacturer code 0x1234) makes a gadget with a counter cluster 0xFC01: a ``count``
attribute the hub can have reported, a writable ``step`` (1-10) and a ``bump`` command that
adds ``times x step`` and answers with ``bumped``. The hub (the coordinator) writes the step,
bumps the counter, reads it back, and receives its reports through a binding.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from zigmesh.app import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    Access,
    Args,
    AttributeDef,
    Basic,
    ClientCluster,
    CommandDef,
    DataType,
    Destination,
    DeviceType,
    Field,
    Handler,
    HandlerResult,
    Identify,
    Reply,
    Request,
    ServerCluster,
    ZclEndpoint,
    manufacturer_cluster,
)
from zigmesh.sim.world import World

ACME = 0x1234

# 1. the cluster: plain data
ACME_COUNTER = manufacturer_cluster(
    0xFC01,
    "acme_counter",
    ACME,
    attributes=(
        AttributeDef(0x0000, "count", DataType.UINT16, Access.RP),
        AttributeDef(0x0001, "step", DataType.UINT8, Access.RW, 1, minimum=1, maximum=10),
    ),
    commands=(
        CommandDef(0x00, "bump", CLIENT_TO_SERVER, (Field("times", DataType.UINT8),)),
        CommandDef(0x00, "bumped", SERVER_TO_CLIENT, (Field("count", DataType.UINT16),)),
    ),
)


# 2. its server behaviour
class Counter(ServerCluster):
    DEFINITION = ACME_COUNTER

    def manufacturer_handlers(self) -> Mapping[tuple[int, int], Handler]:
        return {(ACME, 0x00): self.bump}

    def bump(self, args: Args, req: Request) -> HandlerResult:
        self["count"] = (self["count"] + args["times"] * self["step"]) & 0xFFFF
        return Reply("bumped", {"count": self["count"]})


# 3. the device type: Basic + Identify + the counter
ACME_GADGET = DeviceType("acme_gadget", 0xFFF0, (Basic, Identify, Counter))


def main(capture: str | None = None) -> dict[str, object]:
    world = World(seed=3, capture=capture)
    world.add_node("hub", "coordinator", (0, 0))
    world.add_node("gadget", "router", (15, 0))
    assert world.run_until(lambda: world["gadget"].has_unique_link_key, 60_000_000)

    gadget = ACME_GADGET.create(world["gadget"], 1, {"basic": {"model_identifier": "gadget-1"}})
    hub = ZclEndpoint(world["hub"], 1, [], [ClientCluster(ACME_COUNTER)])
    counter = hub.clients[0xFC01]
    at = Destination.short(world["gadget"].network_address, 1)

    def done(p):  # type: ignore[no-untyped-def]
        assert world.run_until(p, 10_000_000)
        return p.result()

    wrote = done(counter.write(at, {"step": 3}))
    refused = done(counter.write(at, {"step": 11}))  # out of range: INVALID_VALUE
    bumped = done(counter.command(at, "bump", {"times": 2}))
    read = done(counter.read(at, ["count", "step"]))
    # the gadget reports its count to the hub through a binding
    g = world["gadget"]
    g.aps.apsme_bind_request(g.eui64, 1, 0xFC01, 3, world["hub"].eui64, 1)
    done(counter.configure_reporting(at, "count", 1, 30))
    gadget.servers[0xFC01]["count"] = 100
    world.run_for(5_000_000)
    world.close()
    out = {
        "write": wrote.ok,
        "write_out_of_range": [r.status.name for r in refused.response.records],
        "bumped": bumped.response,
        "read": read.attributes(),
        "reported": [(r.attribute_id, r.value) for r in hub.reporting.log],
    }
    for k, v in out.items():
        print(f"{k}: {v}")
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
