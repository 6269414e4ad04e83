"""Regenerate examples/join.pcap (the capture README's first command decodes).

Run: python3 examples/make_sample_capture.py
"""

from pathlib import Path

from zigmesh.capture.pcap import write_pcap
from zigmesh.capture.sample import sample_join_frames

if __name__ == "__main__":
    out = Path(__file__).with_name("join.pcap")
    write_pcap(out, sample_join_frames())
    print(f"wrote {out}")
