"""The ``perform`` command line.

    perform                      the performance screen (TUI)
    perform run --headless       the same session with no UI (status lines on stdout)
    perform bench [SUITE...]     measure speed; prints a table and a JSON record

Errors a performer can fix (a bad config, a missing file) are printed as one clean
message and exit with status 2; nothing else prints a traceback unless it is a bug.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from perform import __version__
from perform.errors import PerformError


def build_parser() -> argparse.ArgumentParser:
    from perform.commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="perform",
        description="A live-performance instrument for VJs: a cellular-automata organism, "
        "streamed to Daydream Scope, played from MIDI, OSC and setlists.",
    )
    parser.add_argument("--version", action="version", version=f"perform {__version__}")
    parser.add_argument("--config", metavar="PATH", help="app config file (TOML)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "tui"])
    try:
        return int(args.func(args) or 0)
    except PerformError as exc:
        print(f"perform: {exc.title}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    sys.exit(main())
