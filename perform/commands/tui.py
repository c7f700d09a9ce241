"""``perform`` / ``perform tui``: the performance screen.

With no show named, it opens the demo show (the user's ``demo`` if they made one), so the
first screen already plays scenes with ``space``. Opening another show from the screen
(``o``, the command palette) ends the app with the chosen file; the loop here builds the
next session around it, as ``perform run NAME`` would.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from perform.config import AppConfig, load_config

if TYPE_CHECKING:
    from perform.build import RunOptions


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tui", help="open the performance screen (the default)")
    parser.set_defaults(func=main)


FIRST_SHOW = "demo"


def first_options(args: argparse.Namespace, config: AppConfig) -> RunOptions:
    """The command line's options; with no show named, the demo show."""
    from perform import library
    from perform.commands.run import run_options

    options = run_options(args, config)
    if options.setlist is None:
        demo = library.find("setlists", FIRST_SHOW, config.paths.setlists)
        if demo.exists:
            options = replace(options, setlist=demo.path)
    return options


def main(args: argparse.Namespace) -> int:
    from perform.logs import setup_logging

    setup_logging(to_stderr=False, verbose=args.verbose)
    config = load_config(args.config)
    from perform.build import build_session
    from perform.tui.app import PerformApp

    options = first_options(args, config)
    while True:
        app = PerformApp(build_session(config, options))
        app.run()
        if app.next_show is None:
            return app.return_code or 0
        options = replace(options, setlist=app.next_show, show=None)
