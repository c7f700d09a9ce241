"""``perform run``: run the show, in the TUI or ``--headless``."""

from __future__ import annotations

import argparse

from perform.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the show (add --headless for no UI)")
    parser.add_argument("--headless", action="store_true", help="no UI: print status lines instead")
    parser.add_argument(
        "--seconds", type=float, default=None, metavar="N", help="stop after N seconds (headless)"
    )
    parser.add_argument(
        "--mapping",
        action="append",
        default=[],
        metavar="FILE",
        help="load a mapping file (a shipped name like nanokontrol2, or a path); repeatable",
    )
    parser.add_argument(
        "--osc-out",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="send OSC state feedback there (e.g. TouchDesigner's OSC In); repeatable",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if not args.headless:
        from perform.commands import tui

        return tui.main(args)
    import asyncio

    from perform.build import build_session
    from perform.headless import run_headless
    from perform.logs import setup_logging

    setup_logging(to_stderr=True, verbose=args.verbose)
    session = build_session(config, run_options(args))
    return asyncio.run(run_headless(session, seconds=args.seconds))


def run_options(args: argparse.Namespace):  # -> perform.build.RunOptions
    """The RunOptions this command line asks for (shared by the TUI and headless paths)."""
    from perform.build import RunOptions

    return RunOptions(
        headless=bool(getattr(args, "headless", False)),
        seconds=getattr(args, "seconds", None),
        mappings=list(getattr(args, "mapping", None) or []),
        osc_out=list(getattr(args, "osc_out", None) or []),
    )
