"""``perform bench [SUITE...]``: measure, print a table and a JSON record."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

#: Suite modules under ``perform.bench`` (each issue adds its own).
SUITES = ("core", "engines", "control", "setlist", "stream", "tui", "soak", "drills")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="measure speed; prints a table and a JSON record")
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help=f"which suites (default: all of {', '.join(SUITES)})",
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
        help="how long the soak suite runs (default 3; the DESIGN budget is for 60)",
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

    names = args.suites or list(SUITES)
    for name in names:
        if name not in SUITES:
            raise PerformError(
                f"no bench suite '{name}'{did_you_mean(name, SUITES)}; suites: {', '.join(SUITES)}"
            )
    results = []
    for name in names:
        module = importlib.import_module(f"perform.bench.{name}")
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
