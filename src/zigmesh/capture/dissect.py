"""Decode captured 802.15.4 frames through every layer, as ``zigmesh decode`` shows them.

MAC -> (beacon: Zigbee beacon payload | MAC command | data) -> NWK (decrypted with the network
keys given) -> NWK command | APS (decrypted with link keys, key-transport / key-load keys derived
from them) -> APS command | ZDP (profile 0x0000) | ZCL header + foundation command.

Like Wireshark, the dissector learns, so that a capture of a whole secured run decodes from the
default keys alone:

- network keys from every network-key Transport-Key it can decrypt, remembered by key sequence
  number (a key update's Transport-Key, then frames under either key);
- link keys from Transport-Key commands carrying a trust center link key (the pair trust center
  <-> the command's destination device) or an application link key (the pair destination device
  <-> partner), e.g. the unique TC link key a Zigbee 3.0 trust center sends after Request-Key;
- NWK short -> IEEE addresses from NWK headers carrying both, NWK auxiliary headers (the
  securing hop's IEEE address beside its MAC short source), Device_annce, Update-Device and
  association responses (needed for the APS nonce when the APS aux header has no extended nonce,
  and to find the pair of devices an APS frame travels between).

For an APS-secured frame the candidate link keys are, in order: the keys learned for the pair
(source IEEE, destination IEEE), newest first; keys learned for other pairs involving either
device; every other known link key (given with ``--link-key``, e.g. install-code derived, or
learned); and last the well-known trust center link key "ZigBeeAlliance09", which is always
tried. A frame no key verifies is reported in the frame's notes, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zigmesh.aps.commands import (
    TransportApplicationLinkKey,
    TransportNetworkKey,
    TransportTrustCenterLinkKey,
    UpdateDevice,
)
from zigmesh.aps.commands import decode_command as decode_aps_command
from zigmesh.aps.frames import ApsFrame, ApsFrameType, Fragmentation, unsecure_aps
from zigmesh.errors import DecodeError, SecurityError
from zigmesh.mac.commands import AssociationResponse, AssociationStatus
from zigmesh.mac.commands import decode_command as decode_mac_command
from zigmesh.mac.frames import AddrMode, Beacon, FrameType, MacFrame
from zigmesh.nwk.beacon import ZigbeeBeaconPayload
from zigmesh.nwk.commands import decode_command as decode_nwk_command
from zigmesh.nwk.frames import NwkFrame, NwkFrameType, unsecure_nwk
from zigmesh.security.aux import KeyId
from zigmesh.security.hashing import DEFAULT_TC_LINK_KEY
from zigmesh.types import EUI64
from zigmesh.zcl.foundation import decode_foundation
from zigmesh.zcl.frame import FrameType as ZclFrameType
from zigmesh.zcl.frame import ZclFrame
from zigmesh.zdo.zdp import DeviceAnnce, decode_zdp

__all__ = ["DecodedFrame", "Dissector"]

ZDP_PROFILE = 0x0000
#: NWK destinations from 0xFFF8 up are broadcast addresses (Zigbee spec 3.6.5)
_FIRST_BROADCAST = 0xFFF8

_KEY_ID_KIND = {
    KeyId.KEY_TRANSPORT_KEY: "key-transport key of ",
    KeyId.KEY_LOAD_KEY: "key-load key of ",
}


def _ieee(v: int) -> str:
    return str(EUI64(v))


def _missing(total: int, blocks: dict[int, bytes]) -> str:
    """The block indexes below ``total`` not in ``blocks``, as "1, 3-5"."""
    gaps = [i for i in range(total) if i not in blocks]
    parts: list[str] = []
    i = 0
    while i < len(gaps):
        j = i
        while j + 1 < len(gaps) and gaps[j + 1] == gaps[j] + 1:
            j += 1
        parts.append(str(gaps[i]) if i == j else f"{gaps[i]}-{gaps[j]}")
        i = j + 1
    return ", ".join(parts) if parts else "none"


@dataclass(slots=True)
class DecodedFrame:
    """One frame as far as it decoded: ``layers`` in order (name -> decoded value).

    ``encrypted`` names the layer ("nwk" or "aps") whose payload stayed encrypted because no
    known key verified its MIC (the reason is in ``notes``); None when nothing did.
    """

    index: int
    time_us: int
    length: int
    layers: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    encrypted: str | None = None


class Dissector:
    """Stateful multi-layer decoder (keys and address map learned across frames).

    ``network_keys`` and ``link_keys`` are the keys given (``--network-key`` / ``--link-key``;
    an install code's derived link key is given as a link key). ZigBeeAlliance09 is always a
    link key candidate, tried last.
    """

    def __init__(
        self,
        network_keys: list[bytes] | tuple[bytes, ...] = (),
        link_keys: list[bytes] | tuple[bytes, ...] = (),
    ) -> None:
        for k in (*network_keys, *link_keys):
            if len(k) != 16:
                raise ValueError(f"keys are 16 bytes, got {len(k)}: {k.hex()}")
        #: every network key known (given, then learned), in the order they became known
        self.network_keys: list[bytes] = list(dict.fromkeys(network_keys))
        #: network key sequence number -> key, from Transport-Key commands and from the frames
        #: a key verified (the NWK aux header carries the sequence number)
        self.network_key_seqs: dict[int, bytes] = {}
        #: every link key known (given, then learned); ZigBeeAlliance09 stays the last entry
        self.link_keys: list[bytes] = list(dict.fromkeys([*link_keys, DEFAULT_TC_LINK_KEY]))
        #: link keys learned for a pair of devices (their two IEEE addresses), newest first
        self.pair_keys: dict[frozenset[int], list[bytes]] = {}
        #: NWK short address -> IEEE address, learned from frames carrying both
        self.address_map: dict[int, int] = {}
        #: APS fragments being reassembled: (NWK source, APS counter) -> (block count, blocks)
        self._fragments: dict[tuple[int, int], tuple[int, dict[int, bytes]]] = {}

    # -- key learning ------------------------------------------------------------------------

    def _learn_network_key(self, key: bytes, seq: int, out: DecodedFrame) -> None:
        if key not in self.network_keys:
            self.network_keys.append(key)
            out.notes.append(f"learned network key {key.hex()}")
        if self.network_key_seqs.get(seq) != key:
            self.network_key_seqs[seq] = key
            out.notes.append(f"network key sequence number {seq} is {key.hex()}")

    def _learn_link_key(
        self, key: bytes, a: int | None, b: int | None, what: str, out: DecodedFrame
    ) -> None:
        """Remember ``key`` as a link key, and as the key of the pair ``a`` <-> ``b`` if known."""
        if key not in self.link_keys:
            # learned keys go before ZigBeeAlliance09, which stays the last resort
            self.link_keys.insert(len(self.link_keys) - 1, key)
        if a is None or b is None or a == b:
            out.notes.append(f"learned {what} {key.hex()} (pair of devices unknown)")
            return
        pair = frozenset((a, b))
        keys = self.pair_keys.setdefault(pair, [])
        if keys[:1] != [key]:
            if key in keys:
                keys.remove(key)
            keys.insert(0, key)
            out.notes.append(f"learned {what} {key.hex()} for {_ieee(a)} <-> {_ieee(b)}")

    def _learn_address(self, short: int, ieee: int) -> None:
        if short < _FIRST_BROADCAST:
            self.address_map[short] = ieee

    # -- key candidates ----------------------------------------------------------------------

    def _nwk_candidates(self, key_seq: int | None) -> list[bytes]:
        """The key of the frame's sequence number first, then every other network key."""
        first = self.network_key_seqs.get(key_seq) if key_seq is not None else None
        if first is None:
            return self.network_keys
        return list(dict.fromkeys([first, *self.network_keys]))

    def link_key_candidates(self, source: int | None, dest: int | None) -> list[bytes]:
        """Link keys to try on an APS frame from IEEE ``source`` to IEEE ``dest``, in order.

        The pair's own keys (newest first), keys of other pairs either device is in, every
        other known link key, and ZigBeeAlliance09 last.
        """
        ordered: list[bytes] = []
        if source is not None and dest is not None:
            ordered += self.pair_keys.get(frozenset((source, dest)), [])
        ends = {a for a in (source, dest) if a is not None}
        if ends:
            for pair, keys in self.pair_keys.items():
                if pair & ends:
                    ordered += keys
        ordered += self.link_keys  # ends with ZigBeeAlliance09
        ordered = list(dict.fromkeys(ordered))
        ordered.remove(DEFAULT_TC_LINK_KEY)
        ordered.append(DEFAULT_TC_LINK_KEY)
        return ordered

    def _try_nwk(self, data: bytes, key_seq: int | None) -> tuple[NwkFrame, bytes] | None:
        for key in self._nwk_candidates(key_seq):
            try:
                return unsecure_nwk(data, key), key
            except SecurityError:
                continue
        return None

    def _try_aps(
        self, data: bytes, frame: ApsFrame, source: int | None, dest: int | None
    ) -> tuple[ApsFrame, bytes] | None:
        aux = frame.aux
        assert aux is not None
        if aux.key_id == KeyId.NETWORK_KEY:
            keys = self._nwk_candidates(aux.key_seq)
        else:
            keys = self.link_key_candidates(source, dest)
        for key in keys:
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
            cmd = decode_mac_command(mac.payload)
            out.layers["mac_command"] = cmd
            if (
                isinstance(cmd, AssociationResponse)
                and cmd.status == AssociationStatus.SUCCESS
                and mac.dst_mode == AddrMode.EXTENDED
                and mac.dst_addr is not None
            ):
                self._learn_address(cmd.short_address, mac.dst_addr)
        elif ft == FrameType.DATA and mac.payload:
            mac_src_short = mac.src_addr if mac.src_mode == AddrMode.SHORT else None
            self._nwk(mac.payload, out, mac_src_short)

    def _nwk(self, data: bytes, out: DecodedFrame, mac_src_short: int | None) -> None:
        nwk = NwkFrame.decode(data)
        if nwk.src_ieee is not None:
            self._learn_address(nwk.src, nwk.src_ieee)
        if nwk.dst_ieee is not None:
            self._learn_address(nwk.dst, nwk.dst_ieee)
        if nwk.aux is not None:
            # NWK security is hop by hop: the extended nonce is the IEEE address of the device
            # that secured this hop, the MAC source
            if nwk.aux.source is not None and mac_src_short is not None:
                self._learn_address(mac_src_short, nwk.aux.source)
            key_seq = nwk.aux.key_seq
            found = self._try_nwk(data, key_seq)
            if found is None:
                out.layers["nwk"] = nwk
                out.encrypted = "nwk"
                out.notes.append(
                    "NWK payload encrypted: no network key verified its MIC"
                    f" (key sequence number {key_seq}, {len(self.network_keys)} key(s) known)"
                )
                return
            nwk, key = found
            if key_seq is not None:
                self.network_key_seqs.setdefault(key_seq, key)
            out.notes.append(f"NWK decrypted with network key {key.hex()} (sequence {key_seq})")
        out.layers["nwk"] = nwk
        if nwk.frame_type == NwkFrameType.COMMAND:
            out.layers["nwk_command"] = decode_nwk_command(nwk.payload)
        elif nwk.frame_type == NwkFrameType.DATA and nwk.payload:
            source = nwk.src_ieee if nwk.src_ieee is not None else self.address_map.get(nwk.src)
            if nwk.dst_ieee is not None:
                dest: int | None = nwk.dst_ieee
            else:
                dest = self.address_map.get(nwk.dst) if nwk.dst < _FIRST_BROADCAST else None
            self._aps(nwk.payload, out, source, dest, nwk.src)

    def _reassemble(self, aps: ApsFrame, nwk_src: int, out: DecodedFrame) -> bytes | None:
        """Collect APS fragments (Zigbee spec 2.2.8.4.5); the whole ASDU once every block of
        the message is in. The first block (index 0) gives the number of blocks; a block index
        outside 1..count-1 is reported and set aside, as is a block without its first one; a
        message abandoned by a new first block is reported with the blocks it missed."""
        ext = aps.extended_header
        assert ext is not None and ext.block_number is not None
        key = (nwk_src, aps.counter or 0)
        block = ext.block_number
        if ext.fragmentation == Fragmentation.FIRST:
            if block < 1:
                out.notes.append("APS first fragment announces 0 blocks: not reassembled")
                return None
            old = self._fragments.get(key)
            if old is not None:
                out.notes.append(
                    f"APS message of {old[0]} block(s) left incomplete, missing"
                    f" {_missing(old[0], old[1])}"
                )
            self._fragments[key] = (block, {0: aps.payload})
        elif key in self._fragments:
            total, blocks = self._fragments[key]
            if not 1 <= block < total:
                out.notes.append(
                    f"APS fragment {block} out of range: the message has {total} block(s)"
                    f" (0 to {total - 1}); ignored"
                )
                return None
            if block in blocks:
                out.notes.append(f"APS fragment {block} again (a retransmission)")
            blocks[block] = aps.payload
        else:
            out.notes.append(f"APS fragment {block} without its first block")
            return None
        total, blocks = self._fragments[key]
        if len(blocks) < total:
            out.notes.append(
                f"APS fragment: {len(blocks)} of {total} block(s), missing {_missing(total, blocks)}"
            )
            return None
        del self._fragments[key]
        out.notes.append(f"APS message reassembled from {total} block(s)")
        return b"".join(blocks[i] for i in range(total))

    def _aps(
        self, data: bytes, out: DecodedFrame, source: int | None, dest: int | None, nwk_src: int
    ) -> None:
        """``source`` / ``dest``: the IEEE addresses of the NWK source and destination, if known."""
        aps = ApsFrame.decode(data)
        if aps.aux is not None:
            if aps.aux.source is not None:
                source = aps.aux.source  # the extended nonce names the securing device
            found = self._try_aps(data, aps, source, dest)
            if found is None:
                out.layers["aps"] = aps
                out.encrypted = "aps"
                what = "network key" if aps.aux.key_id == KeyId.NETWORK_KEY else "link key"
                src = _ieee(source) if source is not None else "unknown"
                dst = _ieee(dest) if dest is not None else "unknown"
                out.notes.append(
                    f"APS payload encrypted: no {what} verified its MIC"
                    f" ({KeyId(aps.aux.key_id).name}, source {src}, destination {dst})"
                )
                return
            key_id = KeyId(aps.aux.key_id)
            aps, key = found
            what = "network key" if key_id == KeyId.NETWORK_KEY else "link key"
            out.notes.append(f"APS decrypted with {_KEY_ID_KIND.get(key_id, '')}{what} {key.hex()}")
        out.layers["aps"] = aps
        if aps.frame_type == ApsFrameType.COMMAND:
            cmd = decode_aps_command(aps.payload)
            out.layers["aps_command"] = cmd
            if isinstance(cmd, TransportNetworkKey):
                self._learn_network_key(cmd.key, cmd.key_seq, out)
            elif isinstance(cmd, TransportTrustCenterLinkKey):
                tc = cmd.source or source
                self._learn_link_key(cmd.key, tc, cmd.dest or dest, "trust center link key", out)
            elif isinstance(cmd, TransportApplicationLinkKey):
                self._learn_link_key(cmd.key, dest, cmd.partner, "application link key", out)
            elif isinstance(cmd, UpdateDevice):
                self._learn_address(cmd.short_address, cmd.device)
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
                zdp = decode_zdp(aps.cluster_id, payload)
                out.layers["zdp"] = zdp
                if isinstance(zdp, DeviceAnnce):
                    self._learn_address(zdp.nwk_addr, zdp.ieee_addr)
            else:
                zcl = ZclFrame.decode(payload)
                out.layers["zcl"] = zcl
                if zcl.header.frame_type == ZclFrameType.GLOBAL:
                    out.layers["zcl_command"] = decode_foundation(
                        zcl.header.command_id, zcl.payload
                    )
