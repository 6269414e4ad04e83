"""Command-line interface: ``zigmesh decode`` (and, with the NWK layer, ``zigmesh run``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zigmesh import __version__

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["main"]


def _key(text: str) -> bytes:
    h = text.replace(":", "").replace(" ", "").replace("-", "")
    try:
        key = bytes.fromhex(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a hex key: {text!r}") from None
    if len(key) != 16:
        raise argparse.ArgumentTypeError(
            f"a key is 16 bytes (32 hex digits), got {len(key)}: {text!r}"
        )
    return key


def _seed(text: str) -> int:
    try:
        seed = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {seed}")
    return seed


def _os_error(exc: OSError, path: str) -> str:
    """``path: reason`` for an OSError, without the raw ``[Errno N]`` form."""
    where = exc.filename if exc.filename is not None else path
    if isinstance(exc, FileNotFoundError):
        return f"{where}: no such file or directory"
    return f"{where}: {exc.strerror or exc}"


def _out_dir_problem(out: str) -> str | None:
    """Why ``--out`` cannot be the output directory (None: it can be; the run creates it)."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        return f"--out {out}: exists and is not a directory"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: {parent} is a file, not a directory"
            if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
                return f"--out {out}: cannot create a directory in {parent}"
            break
    return None


def _quiet_broken_pipe() -> int:
    """The reader of our standard output went away (``| head``): stop quietly, as Unix tools
    do. Later writes (and the interpreter's final flush) go to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return 0


def _dissector(args: argparse.Namespace, dissector: Any, read_pcap: Any) -> Any:
    """The Dissector with the keys given; with ``--two-pass``, also every key a first pass
    over the whole capture learned (so frames sent before their key went over the air, such as
    a trust center's first Link Status, decrypt too)."""
    dis = dissector(args.network_key, args.link_key)
    if not args.two_pass:
        return dis
    for i, rec in enumerate(read_pcap(args.capture), 1):
        dis.dissect(i, rec.time_us, rec.data)
    return dissector(dis.network_keys, dis.link_keys)


def _cmd_decode(args: argparse.Namespace) -> int:
    from zigmesh.capture.dissect import Dissector
    from zigmesh.capture.pcap import read_pcap
    from zigmesh.capture.render import jsonable, tree_lines
    from zigmesh.capture.summary import summary_line
    from zigmesh.errors import DecodeError

    out = sys.stdout
    try:
        dis = _dissector(args, Dissector, read_pcap)
    except DecodeError as exc:
        print(f"zigmesh decode: {args.capture}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"zigmesh decode: {_os_error(exc, args.capture)}", file=sys.stderr)
        return 2
    # decoded ZCL strings may hold surrogate escapes of non-UTF-8 octets: print them escaped
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    n = errors = 0
    try:
        for i, rec in enumerate(read_pcap(args.capture), 1):
            f = dis.dissect(i, rec.time_us, rec.data)
            n += 1
            errors += f.error is not None
            if args.json:
                obj = {
                    "index": f.index,
                    "time_us": f.time_us,
                    "length": f.length,
                    "layers": {k: jsonable(v) for k, v in f.layers.items()},
                    "notes": f.notes,
                    "error": f.error,
                    "encrypted": f.encrypted,
                }
                out.write(json.dumps(obj) + "\n")
                continue
            out.write(summary_line(f) + "\n")
            if args.verbose:
                for name, layer in f.layers.items():
                    for line in tree_lines(name, jsonable(layer), 1):
                        out.write(line + "\n")
                for note in f.notes:
                    out.write(f"    * {note}\n")
        if not args.json:
            out.write(f"-- {n} frame(s), {errors} with decode errors\n")
        out.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except DecodeError as exc:
        out.flush()
        print(f"zigmesh decode: {args.capture}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"zigmesh decode: {_os_error(exc, args.capture)}", file=sys.stderr)
        return 2
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from zigmesh.scenario.config import default_scenario, load_scenario
    from zigmesh.scenario.durations import ScenarioError
    from zigmesh.scenario.runner import print_run, run_scenario

    err = Console(stderr=True)
    try:
        if args.scenario is None:
            scenario = default_scenario(seed=args.seed)
        else:
            scenario = load_scenario(args.scenario, seed=args.seed)
    except ScenarioError as exc:
        print(f"zigmesh run: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"zigmesh run: {_os_error(exc, args.scenario or '')}", file=sys.stderr)
        return 2
    problem = _out_dir_problem(args.out)
    if problem is not None:
        print(f"zigmesh run: {problem}", file=sys.stderr)
        return 2
    if not args.quiet:
        err.print(
            f"[bold]zigmesh run[/bold] {scenario.name or scenario.source}: {len(scenario.nodes)} nodes, "
            f"{len(scenario.traffic)} flows, seed {scenario.seed}"
            + (
                f", {sum(n.device is not None for n in scenario.nodes)} devices and"
                f" {len(scenario.actions)} actions (the coordinator runs the hub)"
                if scenario.has_devices
                else ""
            )
        )
    from zigmesh.persist.store import StoreError

    try:
        result = run_scenario(
            scenario, args.out, console=err, progress=not args.quiet, state=args.state
        )
    except StoreError as exc:
        print(f"zigmesh run: state store: {exc}", file=sys.stderr)
        return 2
    print_run(result, _table_console())
    return 0


#: width of the tables when stdout is not a terminal (CI logs, pipes, files)
PIPE_WIDTH = 160


def _table_console() -> Console:
    """The console the summary tables go to: the terminal's own width on a terminal;
    otherwise (CI logs, pipes, files, where rich would fall back to 80 columns and squeeze
    the tables) ``COLUMNS`` when it is at least 100, else :data:`PIPE_WIDTH`."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    cols = os.environ.get("COLUMNS", "")
    width = int(cols) if cols.isdigit() and int(cols) >= 100 else PIPE_WIDTH
    return Console(width=width)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zigmesh", description="A complete Zigbee PRO stack on a simulated radio."
    )
    p.add_argument("--version", action="version", version=f"zigmesh {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "decode",
        help="decode an IEEE 802.15.4 capture (pcap or pcapng, link type 195 or 230) through"
        " every layer",
    )
    d.add_argument(
        "capture",
        help="pcap or pcapng file of IEEE 802.15.4 frames, with FCS (link type 195) or"
        " without (230)",
    )
    d.add_argument(
        "--network-key",
        action="append",
        type=_key,
        default=[],
        metavar="HEX",
        help="NWK key (repeatable)",
    )
    d.add_argument(
        "--link-key",
        action="append",
        type=_key,
        default=[],
        metavar="HEX",
        help="APS link key (repeatable)",
    )
    d.add_argument(
        "-2",
        "--two-pass",
        action="store_true",
        help="read the capture twice: learn every key first, then decode (frames sent before"
        " their key was transported decrypt too)",
    )
    d.add_argument("--json", action="store_true", help="JSON Lines output, one object per frame")
    d.add_argument("-v", "--verbose", action="store_true", help="layer-by-layer tree per frame")
    d.set_defaults(func=_cmd_decode)
    r = sub.add_parser("run", help="simulate a Zigbee network (default: a built-in house)")
    r.add_argument("scenario", nargs="?", help="scenario TOML (default: the built-in house)")
    r.add_argument(
        "--out",
        default="zigmesh-out",
        metavar="DIR",
        help="output directory (default ./zigmesh-out)",
    )
    r.add_argument(
        "--seed", type=_seed, default=None, help="override the scenario's seed (an integer >= 0)"
    )
    r.add_argument(
        "--state",
        default=None,
        metavar="FILE",
        help="SQLite state store (keys, frame counters, network parameters), relative to the"
        " working directory; overrides the scenario's state. Nodes saved there rejoin the saved"
        " network",
    )
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc: int = args.func(args)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    return rc


if __name__ == "__main__":
    sys.exit(main())
