"""Where mappings and shows are found: the user's folder first, then ``[paths]``, then shipped.

A short name (``nanokontrol2``, ``demo``) is looked up in, in order:

1. the user's folder, ``<config home>/perform/{mappings,setlists}`` (``$XDG_CONFIG_HOME``
   or ``~/.config`` on Linux, ``~/Library/Application Support`` on macOS, ``%APPDATA%`` on
   Windows), so a performer's own copy shadows a shipped file of the same name;
2. the folder ``[paths] mappings`` / ``[paths] setlists`` names, when the config sets one;
3. the files shipped with perform: the repository's top-level ``mappings/`` and ``setlists/``
   in a checkout, the same files copied into ``perform/_data/`` in a wheel (hatch
   ``force-include``), so ``uv tool install`` and ``uvx`` find them too.

Everything that takes a name (``--mapping``, ``check``, ``run``, ``map``, auto profiles, the
TUI's show picker) asks this module, so they agree on which file a name means.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["mappings", "setlists"]
Origin = Literal["user", "config", "shipped", "path"]

_PACKAGE = Path(__file__).resolve().parent
#: In a wheel the shipped files live here; in a checkout they are the top-level folders.
_WHEEL_DATA = _PACKAGE / "_data"
_CHECKOUT = _PACKAGE.parent


@dataclass(frozen=True)
class Found:
    """A file a name resolved to, and where it came from (said by ``ports`` and ``check``)."""

    name: str
    path: Path
    origin: Origin

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def whose(self) -> str:
        return {
            "user": "your file",
            "config": "[paths] folder",
            "shipped": "shipped with perform",
            "path": "given as a path",
        }[self.origin]

    def describe(self) -> str:
        return f"{self.path} ({self.whose})"


def config_home() -> Path:
    """The user's perform folder (config.toml, mappings/, setlists/)."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "perform"
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "perform"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "perform"
    return Path.home() / ".config" / "perform"


def user_dir(kind: Kind) -> Path:
    return config_home() / kind


def shipped_dir(kind: Kind) -> Path:
    """The shipped folder: inside the wheel when installed, else the checkout's."""
    packaged = _WHEEL_DATA / kind
    return packaged if packaged.is_dir() else _CHECKOUT / kind


def search_dirs(kind: Kind, configured: Path | None = None) -> list[tuple[Origin, Path]]:
    """The folders a short name is looked up in, first wins (duplicates dropped)."""
    shipped = shipped_dir(kind)
    dirs: list[tuple[Origin, Path]] = [("user", user_dir(kind))]
    if configured is not None and configured.resolve() != shipped.resolve():
        dirs.append(("config", configured))
    dirs.append(("shipped", shipped))
    seen: set[Path] = set()
    out: list[tuple[Origin, Path]] = []
    for origin, folder in dirs:
        key = folder.resolve()
        if key not in seen:
            seen.add(key)
            out.append((origin, folder))
    return out


def is_short_name(name: str | Path) -> bool:
    """``nanokontrol2`` is a name; ``nanokontrol2.toml`` and ``maps/x`` are paths."""
    path = Path(name)
    return path.suffix == "" and len(path.parts) == 1 and str(name) not in (".", "..")


def find(
    kind: Kind, name: str | Path, configured: Path | None = None, base: Path | None = None
) -> Found:
    """What ``name`` means: a short name is searched (see the module docstring); a path is
    taken as it is (relative to ``base`` when given). The result may not exist: callers say
    so with :func:`not_found`."""
    if is_short_name(name):
        dirs = search_dirs(kind, configured)
        for origin, folder in dirs:
            candidate = folder / f"{name}.toml"
            if candidate.is_file():
                return Found(str(name), candidate, origin)
        origin, folder = dirs[-1]
        return Found(str(name), folder / f"{name}.toml", origin)
    path = Path(name)
    if not path.is_absolute() and base is not None:
        path = base / path
    return Found(path.stem, path, "path")


def catalogue(kind: Kind, configured: Path | None = None) -> dict[str, Found]:
    """Every file of ``kind`` by short name; a user's file shadows a shipped one."""
    found: dict[str, Found] = {}
    for origin, folder in search_dirs(kind, configured):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            found.setdefault(path.stem, Found(path.stem, path, origin))
    return dict(sorted(found.items()))


def not_found(kind: Kind, name: str | Path, configured: Path | None = None) -> str:
    """A message for a name that is not there: where it was looked for, what there is."""
    from perform.errors import did_you_mean

    what = "mapping" if kind == "mappings" else "show"
    if not is_short_name(name):
        return f"{name}: {what} file not found"
    looked = ", ".join(str(folder) for _, folder in search_dirs(kind, configured))
    names = list(catalogue(kind, configured))
    hint = did_you_mean(str(name), names) or (
        f"; there are: {', '.join(names)}" if names else f"; no {what} files at all"
    )
    return f"no {what} called '{name}' (looked in {looked}){hint}"


def is_installed(path: Path) -> bool:
    """True for a file inside the installed package's copy (never written to)."""
    return path.resolve().is_relative_to(_WHEEL_DATA.resolve())


def user_copy(path: Path) -> Path:
    """Where the user's own copy of an installed file goes: their folder, same name, so it
    replaces the shipped one by name from then on."""
    return user_dir("mappings" if path.parent.name == "mappings" else "setlists") / path.name


def writable_dir(kind: Kind, configured: Path | None = None) -> Path:
    """Where new files of ``kind`` are written (MIDI learn): the configured folder, unless
    that is the copy inside an installed package, which is never written to; then the
    user's folder."""
    if configured is None or configured.resolve().is_relative_to(_WHEEL_DATA.resolve()):
        return user_dir(kind)
    return configured
