"""Decode captured 802.15.4 frames through every layer, as ``zigmesh decode`` shows them.

MAC -> (beacon: Zigbee beacon payload | MAC command | data) -> NWK (decrypted with the network
keys given) -> NWK command | APS (decrypted with link keys, key-transport / key-load keys derived
from them) -> APS command | ZDP (profile 0x0000) | ZCL header + foundation command.

Like Wireshark, the dissector learns: network keys from APS Transport-Key commands it can
decrypt, and NWK short -> IEEE addresses from headers that carry both (needed for the APS nonce
when the APS aux header has no extended nonce). The well-known trust center link key
"ZigBeeAlliance09" is always tried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zigmesh.aps.commands import TransportNetworkKey
from zigmesh.aps.commands import decode_command as decode_aps_command
from zigmesh.aps.frames import ApsFrame, ApsFrameType, Fragmentation, unsecure_aps
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.mac.commands import decode_command as decode_mac_command
from zigmesh.mac.frames import AddrMode, Beacon, FrameType, MacFrame
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.commands import decode_command as decode_nwk_command
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, unsecure_nwk
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY
from zigmesh.zcl.foundation import decode_foundation
from zigmesh.zcl.frame import FrameType as ZclFrameType
from zigmesh.zcl.frame import ZclFrame
from zigmesh.zdo.zdp import decode_zdp

__all__ = ["DecodedFrame", "Dissector"]

ZDP_PROFILE = 0x0000


@dataclass(slots=True)
class DecodedFrame:
    """One frame as far as it decoded: ``layers`` in order (name -> decoded value)."""

    index: int
    time_us: int
    length: int
    layers: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class Dissector:
    """Stateful multi-layer decoder (keys and address map learned across frames)."""

    def __init__(
        self,
        network_keys: list[bytes] | tuple[bytes, ...] = (),
        link_keys: list[bytes] | tuple[bytes, ...] = (),
    ) -> None:
        for k in (*network_keys, *link_keys):
            if len(k) != 16:
                raise ValueError(f"keys are 16 bytes, got {len(k)}: {k.hex()}")
        self.network_keys: list[bytes] = list(dict.fromkeys(network_keys))
        self.link_keys: list[bytes] = list(dict.fromkeys([*link_keys, DEFAULT_TC_LINK_KEY]))
        #: NWK short address -> IEEE address, learned from frames carrying both
        self.address_map: dict[int, int] = {}
        #: APS fragments being reassembled: (NWK source, APS counter) -> (block count, blocks)
        self._fragments: dict[tuple[int, int], tuple[int, dict[int, bytes]]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _learn_network_key(self, key: bytes, out: DecodedFrame) -> None:
        if key not in self.network_keys:
            self.network_keys.append(key)
            out.notes.append(f"learned network key {key.hex()}")

    def _try_nwk(self, data: bytes) -> tuple[NwkFrame, bytes] | None:
        for key in self.network_keys:
            try:
                return unsecure_nwk(data, key), key
            except SecurityError:
                continue
        return None

    def _try_aps(
        self, data: bytes, frame: ApsFrame, source: int | None
    ) -> tuple[ApsFrame, bytes] | None:
        for key in self.link_keys:
            try:
                return unsecure_aps(data, key, source), key
            except SecurityError:
                continue
        return None

    # -- the pipeline ----------------------------------------------------------------------

    def dissect(self, index: int, time_us: int, psdu: bytes) -> DecodedFrame:
        """Decode one PSDU (FCS included). Errors are recorded, never raised."""
        out = DecodedFrame(index, time_us, len(psdu))
        try:
            self._mac(psdu, out)
        except (DecodeError, SecurityError) as exc:
            out.error = f"{type(exc).__name__}: {exc}"
        return out

    def _mac(self, psdu: bytes, out: DecodedFrame) -> None:
        mac = MacFrame.decode(psdu)
        out.layers["mac"] = mac
        if mac.security is not None:
            out.notes.append("MAC-secured payload (802.15.4 security is not used by Zigbee)")
            return
        ft = mac.frame_type
        if ft == FrameType.BEACON:
            beacon = Beacon.decode(mac.payload)
            out.layers["beacon"] = beacon
            if beacon.payload:
                out.layers["zigbee_beacon"] = ZigbeeBeaconPayload.decode(beacon.payload)
        elif ft == FrameType.MAC_COMMAND:
            out.layers["mac_command"] = decode_mac_command(mac.payload)
        elif ft == FrameType.DATA and mac.payload:
            mac_src_ieee = mac.src_addr if mac.src_mode == AddrMode.EXTENDED else None
            self._nwk(mac.payload, out, mac_src_ieee)

    def _nwk(self, data: bytes, out: DecodedFrame, mac_src_ieee: int | None) -> None:
        nwk = NwkFrame.decode(data)
        if nwk.src_ieee is not None:
            self.address_map[nwk.src] = nwk.src_ieee
        if nwk.dst_ieee is not None:
            self.address_map[nwk.dst] = nwk.dst_ieee
        if nwk.aux is not None:
            found = self._try_nwk(data)
            if found is None:
                out.layers["nwk"] = nwk
                out.notes.append("NWK payload encrypted: no network key verified its MIC")
                return
            nwk, key = found
            out.notes.append(f"NWK decrypted with network key {key.hex()}")
        out.layers["nwk"] = nwk
        if nwk.frame_type == NwkFrameType.COMMAND:
            out.layers["nwk_command"] = decode_nwk_command(nwk.payload)
        elif nwk.frame_type == NwkFrameType.DATA and nwk.payload:
            source = nwk.src_ieee if nwk.src_ieee is not None else self.address_map.get(nwk.src)
            self._aps(nwk.payload, out, source, nwk.src)

    def _reassemble(self, aps: ApsFrame, nwk_src: int, out: DecodedFrame) -> bytes | None:
        """Collect APS fragments (Zigbee spec 2.2.8.4.5); the whole ASDU once complete."""
        ext = aps.extended_header
        assert ext is not None and ext.block_number is not None
        key = (nwk_src, aps.counter or 0)
        if ext.fragmentation == Fragmentation.FIRST:
            self._fragments[key] = (ext.block_number, {0: aps.payload})
        elif key in self._fragments:
            self._fragments[key][1][ext.block_number] = aps.payload
        else:
            out.notes.append(f"APS fragment {ext.block_number} without its first block")
            return None
        total, blocks = self._fragments[key]
        if len(blocks) < total:
            out.notes.append(f"APS fragment: {len(blocks)} of {total} block(s)")
            return None
        del self._fragments[key]
        out.notes.append(f"APS message reassembled from {total} block(s)")
        return b"".join(blocks[i] for i in range(total) if i in blocks)

    def _aps(self, data: bytes, out: DecodedFrame, source: int | None, nwk_src: int) -> None:
        aps = ApsFrame.decode(data)
        if aps.aux is not None:
            found = self._try_aps(data, aps, source)
            if found is None:
                out.layers["aps"] = aps
                out.notes.append("APS payload encrypted: no link key verified its MIC")
                return
            aps, key = found
            kind = {
                KeyId.KEY_TRANSPORT_KEY: "key-transport key of",
                KeyId.KEY_LOAD_KEY: "key-load key of",
            }.get(KeyId(aps.aux.key_id) if aps.aux is not None else KeyId.DATA_KEY, "")
            out.notes.append(f"APS decrypted with {kind + ' ' if kind else ''}link key {key.hex()}")
        out.layers["aps"] = aps
        if aps.frame_type == ApsFrameType.COMMAND:
            cmd = decode_aps_command(aps.payload)
            out.layers["aps_command"] = cmd
            if isinstance(cmd, TransportNetworkKey):
                self._learn_network_key(cmd.key, out)
        elif (
            aps.frame_type in (ApsFrameType.DATA, ApsFrameType.INTER_PAN)
            and aps.cluster_id is not None
        ):
            payload = aps.payload
            ext = aps.extended_header
            if ext is not None and ext.fragmentation != Fragmentation.NONE:
                whole = self._reassemble(aps, nwk_src, out)
                if whole is None:
                    return
                payload = whole
            if aps.profile_id == ZDP_PROFILE:
                out.layers["zdp"] = decode_zdp(aps.cluster_id, payload)
            else:
                zcl = ZclFrame.decode(payload)
                out.layers["zcl"] = zcl
                if zcl.header.frame_type == ZclFrameType.GLOBAL:
                    out.layers["zcl_command"] = decode_foundation(
                        zcl.header.command_id, zcl.payload
                    )
