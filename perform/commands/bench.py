"""``perform bench [SUITE...]``: measure, print a table and a JSON record."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

#: Suite modules under ``perform.bench`` (each issue adds its own).
SUITES = (
    "core",
    "engines",
    "alive",
    "control",
    "setlist",
    "stream",
    "tui",
    "output",
    "soak",
    "gpu",
    "window",
    "drills",
)


#: Suites another suite already runs (``output`` runs ``window``): by name only, so that
#: ``perform bench`` alone measures nothing twice.
PARTS = ("window",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="measure speed; prints a table and a JSON record")
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help=f"which suites (default: all of {', '.join(SUITES)}); after 'alive', preset keys "
        "pick the presets it runs",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the JSON record to PATH ('-' for stdout)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs (smoke test, noisier figures)"
    )
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="how long the soak suite runs (default 3; the DESIGN budget is for 60), and the "
        "show time per preset of the alive suite (default 10)",
    )
    parser.add_argument(
        "--preset",
        dest="presets",
        action="append",
        metavar="KEY",
        help="alive: run this preset (repeatable; default: all 36); stream: encode this "
        "preset's frames at t = 60 s instead of the default content",
    )
    parser.add_argument("--world", type=int, help="alive: world size in cells (default 512)")
    parser.add_argument(
        "--jobs", type=int, help="alive: presets run side by side in processes (default 2)"
    )
    parser.add_argument(
        "--backend",
        choices=("numpy", "cupy", "auto"),
        default="numpy",
        help="alive: array backend (default numpy, what CI runs; 'auto' is what a show picks)",
    )
    parser.add_argument(
        "--against",
        metavar="PATH",
        help="engines: side by side against another checkout at PATH (today's main in a "
        "worktree), interleaved in one run",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="alive: every parameter of each preset at both ends of its range, one at a time "
        "(default presets: one per engine family); each end is one row",
    )
    parser.add_argument(
        "--case",
        dest="cases",
        action="append",
        metavar="NAME",
        help="drills: run only this case (repeatable): osc_flood, midi_flood, replugs, "
        "slow_pipeline, recovery, starved_cpu",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="every case a suite knows, not just its representative set (engines: all 36 presets)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from perform.bench.common import format_table, to_json
    from perform.errors import PerformError, did_you_mean

    names = [name for name in args.suites if name in SUITES or not _is_preset(name)]
    args.presets = [*(args.presets or []), *(n for n in args.suites if n not in names)]
    if args.presets and "alive" not in names and "stream" not in names:
        raise PerformError(
            f"preset keys ({', '.join(args.presets)}) only pick what the 'alive' and "
            "'stream' suites run"
        )
    names = names or [s for s in SUITES if s not in PARTS]
    for name in names:
        if name not in SUITES:
            raise PerformError(
                f"no bench suite '{name}'{did_you_mean(name, SUITES)}; suites: {', '.join(SUITES)}"
            )
    results = []
    for name in names:
        module = importlib.import_module(f"perform.bench.{name.replace('-', '_')}")
        print(f"# {name}: {module.HELP}", file=sys.stderr)
        results.extend(module.run(args))
    print(format_table(results))
    record = to_json(results)
    if args.json == "-":
        print(record)
    elif args.json:
        Path(args.json).write_text(record + "\n", encoding="utf-8")
        print(f"JSON record written to {args.json}", file=sys.stderr)
    return 0


def _is_preset(name: str) -> bool:
    from engines import presets

    return name in presets()
