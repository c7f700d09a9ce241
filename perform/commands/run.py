"""``perform run``: run the show, in the TUI or ``--headless``."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from perform.config import SINK_KINDS, AppConfig, load_config
from perform.setlist import BPM_MIN

REHEARSAL_MAX = 1000.0
"""``--bpm`` may go beyond a show file's 300 bpm: run a show fast to rehearse its cues."""


def bpm_value(text: str) -> float:
    """``--bpm``: a finite, positive tempo (NaN, 0 and negatives are refused)."""
    try:
        bpm = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a tempo (e.g. --bpm 128)") from None
    if not math.isfinite(bpm) or not BPM_MIN <= bpm <= REHEARSAL_MAX:
        raise argparse.ArgumentTypeError(
            f"{text} is not a tempo a show can run at: give {BPM_MIN:g} to {REHEARSAL_MAX:g} bpm"
        )
    return bpm


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the show (add --headless for no UI)")
    parser.add_argument(
        "setlist",
        nargs="?",
        metavar="SHOW",
        help="show to run: a name (demo; yours in ~/.config/perform/setlists first) or a file",
    )
    parser.add_argument("--headless", action="store_true", help="no UI: print status lines instead")
    parser.add_argument(
        "--dry-run", action="store_true", help="validate the show and print its timeline, then exit"
    )
    parser.add_argument(
        "--bpm", type=bpm_value, default=None, help="run the show at this tempo (20 to 1000)"
    )
    parser.add_argument(
        "--seconds", type=float, default=None, metavar="N", help="stop after N seconds (headless)"
    )
    parser.add_argument(
        "--scope", metavar="URL", help="stream to this Scope server (overrides [scope] url)"
    )
    parser.add_argument("--no-scope", action="store_true", help="do not connect to Scope")
    parser.add_argument(
        "--record", metavar="PATH", help="record the program (what the audience sees) to an MP4"
    )
    parser.add_argument(
        "--output",
        action="append",
        default=[],
        choices=SINK_KINDS,
        metavar="KIND",
        help=f"send the program to {', '.join(SINK_KINDS)}; repeatable, adds to [output] sinks",
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
    if args.dry_run:
        return dry_run(args, config)
    if not args.headless:
        from perform.commands import tui

        return tui.main(args)
    import asyncio

    from perform.build import build_session
    from perform.headless import run_headless
    from perform.logs import setup_logging

    setup_logging(to_stderr=True, verbose=args.verbose)
    session = build_session(config, run_options(args, config))
    return asyncio.run(run_headless(session, seconds=args.seconds))


def find_show(name: str, config: AppConfig) -> Path:
    """``demo`` -> the user's or the shipped ``demo.toml``; a path stays a path. A missing
    show is a clear error saying where it was looked for."""
    from perform import library
    from perform.errors import SetlistError

    found = library.find("setlists", name, config.paths.setlists)
    if not found.exists:
        raise SetlistError(library.not_found("setlists", name, config.paths.setlists))
    return found.path


def run_options(
    args: argparse.Namespace, config: AppConfig | None = None
):  # -> perform.build.RunOptions
    """The RunOptions this command line asks for (shared by the TUI and headless paths)."""
    from perform.build import RunOptions

    scope = getattr(args, "scope", None)
    if scope is not None and not scope.startswith(("http://", "https://")):
        from perform.errors import ConfigError

        raise ConfigError(f"--scope {scope}: the URL must start with http:// or https://")
    config = config or load_config(args.config)
    record = getattr(args, "record", None)
    no_scope = bool(getattr(args, "no_scope", False))
    if record and (no_scope or (not config.scope.enabled and scope is None)):
        from perform.errors import ConfigError

        why = "--no-scope" if no_scope else "[scope] enabled = false"
        raise ConfigError(
            f"--record {record}: nothing could be recorded: it records Scope's output and "
            f"Scope is off ({why}); give --scope URL or drop --record"
        )
    setlist = getattr(args, "setlist", None)
    return RunOptions(
        headless=bool(getattr(args, "headless", False)),
        seconds=getattr(args, "seconds", None),
        setlist=find_show(setlist, config) if setlist else None,
        bpm=getattr(args, "bpm", None),
        scope=scope,
        no_scope=no_scope,
        record=record,
        mappings=list(getattr(args, "mapping", None) or []),
        osc_out=list(getattr(args, "osc_out", None) or []),
        outputs=list(getattr(args, "output", None) or []),
    )


def dry_run(args: argparse.Namespace, config: AppConfig) -> int:
    from perform.errors import SetlistError
    from perform.setlist import load_setlist
    from perform.timeline import timeline

    if not args.setlist:
        raise SetlistError("--dry-run needs a show: perform run demo --dry-run")
    for line in timeline(load_setlist(find_show(args.setlist, config)), args.bpm):
        print(line)
    return 0
