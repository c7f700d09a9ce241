"""The ``perform`` command line.

    perform                      the performance screen (TUI)
    perform run --headless       the same session with no UI (status lines on stdout)
    perform bench [SUITE...]     measure speed; prints a table and a JSON record

Errors a performer can fix (a bad config, a missing file) are printed as one clean
message and exit with status 2; nothing else prints a traceback unless it is a bug. With
``--json`` a command prints JSON whatever happens: an error is ``{"error": ..., "message":
...}`` on stdout, still with status 2, so a script never has to parse prose.

The global options (``--config``, ``-v``) are accepted before or after the subcommand
(``perform -v run`` and ``perform run -v`` are the same): every subcommand's parser gets
them too, with defaults that never overwrite a value given before the subcommand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from perform import __version__
from perform.errors import PerformError


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are JSON when the command line asks for JSON."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if Parser.json_errors:
            print_json_error("Usage error", message)
            sys.exit(2)
        super().error(message)


def print_json_error(title: str, message: str) -> None:
    print(json.dumps({"error": title, "message": message}, indent=2))


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--config`` and ``-v``; below the top level their default is "not given" so that
    ``perform --config X run`` keeps X."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", metavar="PATH", default=default, help="app config file (TOML)")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="log debug detail",
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found.append(sub)
                found.extend(_subparsers(sub))
    return found


def build_parser() -> argparse.ArgumentParser:
    from perform.commands import COMMANDS

    parser = Parser(
        prog="perform",
        description="A live-performance instrument for VJs: a cellular-automata organism, "
        "streamed to Daydream Scope, played from MIDI, OSC and setlists.",
    )
    parser.add_argument("--version", action="version", version=f"perform {__version__}")
    _global_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(subparsers)
    for sub in _subparsers(parser):
        _global_options(sub, top=False)
    return parser


def wants_json(args: argparse.Namespace) -> bool:
    """``--json`` as a switch (``bench --json PATH`` writes a file and prints a table)."""
    return getattr(args, "json", None) is True


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    parser = build_parser()
    Parser.json_errors = "--json" in argv
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args([*argv, "tui"])
    finally:
        Parser.json_errors = False
    try:
        return int(args.func(args) or 0)
    except PerformError as exc:
        if wants_json(args):
            print_json_error(exc.title, exc.message)
        else:
            print(f"perform: {exc.title}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    sys.exit(main())
