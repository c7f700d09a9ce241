"""``perform check FILE...``: validate mapping and show files without opening any hardware.

Each checker recognises one kind of file and validates it; the first that recognises
a file wins. A checker returns a summary (``str``), None for "not my kind of file", or
raises a :class:`~perform.errors.PerformError` whose message names the file, the line
and the key and suggests a fix. To check a new kind of file, add one function to
:data:`CHECKERS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from perform import library
from perform.config import AppConfig, load_config
from perform.errors import PerformError


def _mapping(path: Path, config: AppConfig) -> str | None:
    from perform.mapping.check import check_mapping

    return check_mapping(path, config)


def _show(path: Path, config: AppConfig) -> str | None:
    from perform.loras.server import check_show_on_scope
    from perform.setlist import check_file as check_show

    summary = check_show(path)
    if summary is None:
        return None
    on_scope = check_show_on_scope(path, config)  # LoRA files, VACE support (when reachable)
    return summary if on_scope is None else f"{summary}\n{on_scope}"


Checker = Callable[[Path, AppConfig], str | None]

CHECKERS: list[Checker] = [
    _mapping,  # mappings/*.toml: [device] / profile = ... and [[bind]] tables
    _show,  # setlists/*.toml: [show] and [[scenes]]
]


def check_file(path: Path, config: AppConfig) -> str:
    """The summary of the first checker that knows ``path``; PerformError otherwise."""
    if not path.exists():
        raise PerformError(f"{path}: file not found", title="Check failed")
    for checker in CHECKERS:
        summary = checker(path, config)
        if summary is not None:
            return summary
    raise PerformError(
        f"{path}: not a file perform knows how to check (a mapping file has a [device] "
        'table or profile = "name"; a show file has [show] and [[scenes]])',
        title="Check failed",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="validate mapping (and show) files without opening any hardware"
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="files to check: paths, or names (nanokontrol2, demo) of mappings or shows",
    )
    parser.set_defaults(func=main)


def locate(name: str, config: AppConfig) -> library.Found:
    """A path as it is; a short name as a mapping, else as a show (the user's first)."""
    if not library.is_short_name(name):
        return library.Found(Path(name).stem, Path(name), "path")
    mapping = library.find("mappings", name, config.paths.mappings)
    if mapping.exists:
        return mapping
    show = library.find("setlists", name, config.paths.setlists)
    if show.exists:
        return show
    mappings = library.not_found("mappings", name, config.paths.mappings)
    shows = library.not_found("setlists", name, config.paths.setlists)
    raise PerformError(f"{mappings}\n{shows}", title="Check failed")


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    failed = 0
    for name in args.files:
        try:
            found = locate(name, config)
            path = found.path
            summary = check_file(path, config)
        except PerformError as exc:
            failed += 1
            print(f"{name}: {exc.title}\n{exc.message}", file=sys.stderr)
            continue
        if found.origin == "path":
            print(f"{path}: ok")
        else:
            print(f"{name}: ok ({found.describe()})")
        for line in summary.splitlines():
            print(f"  {line.strip()}")
    return 2 if failed else 0
