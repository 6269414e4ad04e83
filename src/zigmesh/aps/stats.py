"""APS counters (frames from the air never raise: what happened to them ends up here)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["ApsStats", "DROP_REASONS"]

#: the reasons a received frame is dropped (keys of :attr:`ApsStats.drops`)
DROP_REASONS = (
    "decode_error",  # not an APS frame, or a command payload that does not decode
    "inter_pan",  # inter-PAN frames are not handled by the APS data service
    "unsupported_delivery",  # the obsolete indirect delivery mode
    "security_no_key",  # no link key / network key for the frame's key identifier
    "security_unknown_source",  # no IEEE address for the nonce
    "security_mic",  # MIC check failed
    "security_counter",  # frame counter not fresh (replay)
    "unknown_endpoint",  # no handler on the destination endpoint
    "not_in_group",  # groupcast for a group with no member endpoint here
    "no_apsme_user",  # an APS command and nobody to hand it to
    "tunnel_not_child",  # a Tunnel for a device that is not our child
    "bad_fragment",  # impossible block number / fragment of a non-unicast or un-acked frame
    "reassembly_full",  # no free reassembly buffer
    "asdu_too_long",  # a reassembled message beyond max_asdu_length
    "ack_unmatched",  # an APS ACK matching nothing pending
    "ack_unsecured",  # an unsecured ACK for an APS-secured transmission
    "ack_not_secured",  # our ACK could not be secured (no key / counter exhausted): not sent
)


@dataclass(slots=True)
class ApsStats:
    """Per-APS counters. Dict counters are keyed by name (status, drop reason, command)."""

    #: APSDE-DATA.requests and their confirms by status name
    data_requests: int = 0
    confirms: dict[str, int] = field(default_factory=dict)
    #: APS frames handed to NLDE-DATA (every attempt and block), retransmissions, NWK failures
    frames_sent: int = 0
    retries: int = 0
    nwk_failures: int = 0
    loopback: int = 0
    #: acknowledgements sent / matched
    acks_sent: int = 0
    acks_received: int = 0
    #: receive side
    rx_frames: int = 0
    indications: int = 0
    duplicates_rejected: int = 0
    drops: dict[str, int] = field(default_factory=dict)
    #: fragmentation (2.2.8.4.5)
    fragmented_sent: int = 0
    fragments_sent: int = 0
    fragments_retransmitted: int = 0
    fragments_received: int = 0
    fragments_reassembled: int = 0
    fragment_timeouts: int = 0
    #: APS commands by name
    commands_sent: dict[str, int] = field(default_factory=dict)
    commands_received: dict[str, int] = field(default_factory=dict)
    tunnels_forwarded: int = 0

    def drop(self, reason: str) -> None:
        d = self.drops
        d[reason] = d.get(reason, 0) + 1

    @property
    def dropped(self) -> int:
        return sum(self.drops.values())

    def as_dict(self) -> dict[str, int]:
        """Flat ``name -> count``; dict counters appear as ``"<field>.<key>"``."""
        out: dict[str, int] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, dict):
                for k, n in sorted(v.items()):
                    out[f"{f.name}.{k}"] = n
            else:
                out[f.name] = v
        return out


def bump(counter: dict[str, int], key: str) -> None:
    """Increment ``counter[key]``."""
    counter[key] = counter.get(key, 0) + 1
