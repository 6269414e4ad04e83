"""zigpy's network backup (``NetworkInfo`` / ``NodeInfo``) to and from the coordinator's
persisted state (:class:`~zigmesh.persist.snapshot.NodeSnapshot`).

What maps: channel, PAN ID, extended PAN ID, ``nwkUpdateId``, the network key with its
sequence number and outgoing frame counter, the TC link key, the unique link keys (zigpy's key
table, with their outgoing and incoming counters), and, from a running coordinator, its
children and the NWK address map. zigpy's ``tx_power``, ``stack_specific`` and ``metadata``
are not stored (the radio's transmit power comes from the scenario).
"""

from __future__ import annotations

import zigpy.state
import zigpy.types as t
import zigpy.zdo.types as zdo_t

from zigmesh.node import Node
from zigmesh.nwk.tables import DeviceType
from zigmesh.persist.snapshot import NodeSnapshot
from zigmesh.security.keys import KeyStoreSnapshot, NetworkKeyEntry

__all__ = [
    "MANUFACTURER",
    "MODEL",
    "SOURCE",
    "UNKNOWN_IEEE",
    "eui64",
    "eui64_int",
    "key_bytes",
    "network_info",
    "node_info",
    "snapshot_from",
]

#: zigpy's ``NetworkInfo.source`` for networks this radio reports
SOURCE = "zigmesh"
#: Basic ManufacturerName / ModelIdentifier of the coordinator as zigpy shows it
MANUFACTURER = "zigmesh"
MODEL = "zigmesh simulated coordinator"
#: zigpy's "no address" (FF:FF:FF:FF:FF:FF:FF:FF)
UNKNOWN_IEEE = t.EUI64(b"\xff" * 8)


def eui64(value: int) -> t.EUI64:
    """An IEEE address as zigpy's EUI64 (bytes least significant first)."""
    return t.EUI64(value.to_bytes(8, "little"))


def eui64_int(value: t.EUI64) -> int:
    return int.from_bytes(bytes(value), "little")


def key_bytes(key: t.KeyData) -> bytes:
    return bytes(key)


def node_info(node: Node, version: str) -> zigpy.state.NodeInfo:
    """The coordinator as zigpy's NodeInfo."""
    return zigpy.state.NodeInfo(
        nwk=t.NWK(0x0000),
        ieee=eui64(node.eui64),
        logical_type=zdo_t.LogicalType.Coordinator,
        model=MODEL,
        manufacturer=MANUFACTURER,
        version=version,
    )


def network_info(
    snap: NodeSnapshot, node: Node, *, security: bool, tx_power: float, live: bool
) -> zigpy.state.NetworkInfo:
    """``snap`` (the coordinator's state) as zigpy's NetworkInfo; ``live``: the coordinator
    is running, its children and address map are added."""
    ks = snap.keys
    out = dict(ks.outgoing)
    incoming = {(src, seq): c for src, seq, c in ks.incoming}
    active = ks.active
    net_key = zigpy.state.Key()
    if active is not None:
        net_key = zigpy.state.Key(
            key=t.KeyData(active.key),
            tx_counter=t.uint32_t(out.get(active.key, 0)),
            rx_counter=t.uint32_t(0),
            seq=t.uint8_t(active.seq),
            partner_ieee=UNKNOWN_IEEE,
        )
    tclk = ks.tc_link_key if ks.tc_link_key is not None else b"ZigBeeAlliance09"
    key_table = [
        zigpy.state.Key(
            key=t.KeyData(key),
            tx_counter=t.uint32_t(out.get(key, 0)),
            rx_counter=t.uint32_t(incoming.get((partner, None), 0)),
            seq=t.uint8_t(0),
            partner_ieee=eui64(partner),
        )
        for partner, key in sorted(ks.link_keys)
    ]
    children: list[t.EUI64] = []
    addresses: dict[t.EUI64, t.NWK] = {}
    if live:
        nwk = node.nwk
        children = [
            eui64(e.extended_address)
            for e in nwk.neighbors.children()
            if e.extended_address is not None
        ]
        addresses = {eui64(ieee): t.NWK(short) for short, ieee in nwk.address_map}
    return zigpy.state.NetworkInfo(
        extended_pan_id=t.ExtendedPanId(snap.extended_pan_id.to_bytes(8, "little")),
        pan_id=t.PanId(snap.pan_id),
        nwk_update_id=t.uint8_t(snap.nwk_update_id),
        nwk_manager_id=t.NWK(0x0000),
        channel=t.uint8_t(snap.channel),
        channel_mask=t.Channels(1 << snap.channel),
        security_level=t.uint8_t(5 if security else 0),
        network_key=net_key,
        tc_link_key=zigpy.state.Key(
            key=t.KeyData(tclk),
            tx_counter=t.uint32_t(out.get(tclk, 0)),
            rx_counter=t.uint32_t(0),
            seq=t.uint8_t(0),
            partner_ieee=eui64(snap.eui64),
        ),
        key_table=key_table,
        children=children,
        nwk_addresses=addresses,
        tx_power=round(tx_power),
        source=SOURCE,
    )


def snapshot_from(info: zigpy.state.NetworkInfo, node: Node, saved_at_us: int) -> NodeSnapshot:
    """The coordinator state zigpy's NetworkInfo describes (for :meth:`write_network_info`)."""
    nk = info.network_key
    key = key_bytes(nk.key)
    tclk = key_bytes(info.tc_link_key.key)
    outgoing: dict[bytes, int] = {key: int(nk.tx_counter)}
    outgoing.setdefault(tclk, int(info.tc_link_key.tx_counter))
    link_keys: list[tuple[int, bytes]] = []
    incoming: list[tuple[int, int | None, int]] = []
    for k in info.key_table:
        partner = eui64_int(k.partner_ieee)
        kb = key_bytes(k.key)
        link_keys.append((partner, kb))
        outgoing[kb] = max(outgoing.get(kb, 0), int(k.tx_counter))
        if k.rx_counter:
            incoming.append((partner, None, int(k.rx_counter)))
    keys = KeyStoreSnapshot(
        active=NetworkKeyEntry(key, int(nk.seq)),
        alternate=None,
        tc_link_key=tclk,
        link_keys=tuple(link_keys),
        outgoing=tuple(outgoing.items()),
        incoming=tuple(incoming),
    )
    return NodeSnapshot(
        eui64=node.eui64,
        role="coordinator",
        channel=int(info.channel),
        pan_id=int(info.pan_id),
        extended_pan_id=eui64_int(info.extended_pan_id),
        network_address=0x0000,
        parent_address=None,
        depth=0,
        device_type=int(DeviceType.COORDINATOR),
        nwk_update_id=int(info.nwk_update_id),
        keys=keys,
        bindings=(),
        groups=(),
        aps_counter=0,
        nwk_sequence_number=0,
        saved_at_us=saved_at_us,
    )
