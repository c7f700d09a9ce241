"""``perform`` / ``perform tui``: the performance screen."""

from __future__ import annotations

import argparse

from perform.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tui", help="open the performance screen (the default)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from perform.logs import setup_logging

    setup_logging(to_stderr=False, verbose=args.verbose)
    config = load_config(args.config)
    from perform.build import build_session
    from perform.commands.run import run_options
    from perform.tui.app import PerformApp

    app = PerformApp(build_session(config, run_options(args)))
    app.run()
    return app.return_code or 0
