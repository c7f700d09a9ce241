"""Writing files a performer cannot afford to lose (learned mappings, edited setlists)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import stat
import tempfile
from pathlib import Path


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``name.toml.bak``."""
    return path.with_name(path.name + ".bak")


def atomic_write(path: str | Path, text: str, *, keep_backup: bool = True) -> Path:
    """Write ``text`` to ``path`` so that a crash at any moment leaves a valid file.

    The new content goes to a temporary file in the same directory, is flushed and
    fsynced, and then replaces the target with ``os.replace`` (atomic on POSIX and
    Windows). The previous version, if any, is kept as ``<name>.bak``: hard-linked under
    a temporary name and renamed over the old backup, so a kill at any moment leaves a
    ``.bak`` (never a moment without one). The file keeps its permission bits (a
    temporary file is created 0600). A kill -9 cannot clean up after itself: temporary
    files it left are swept by the next write of the same file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), _mode_for(path))
            os.fsync(handle.fileno())
        if keep_backup and path.exists():
            _keep_backup(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def sweep_temporaries(path: Path) -> list[Path]:
    """Remove temporary files an interrupted write of ``path`` left behind."""
    removed = []
    for stray in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stray.unlink()
            removed.append(stray)
    return removed


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _keep_backup(path: Path) -> None:
    backup = backup_path(path)
    fd, staged_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    staged = Path(staged_name)
    try:
        staged.unlink()
        try:
            os.link(path, staged)
        except OSError:
            shutil.copy2(path, staged)
        os.replace(staged, backup)
        # rename() does nothing when both names are links to one file (a write killed
        # between its backup and its swap): the staged name would stay behind.
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        raise
