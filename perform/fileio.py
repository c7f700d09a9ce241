"""Writing files a performer cannot afford to lose (learned mappings, edited setlists)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``name.toml.bak``."""
    return path.with_name(path.name + ".bak")


def atomic_write(path: str | Path, text: str, *, keep_backup: bool = True) -> Path:
    """Write ``text`` to ``path`` so that a crash at any moment leaves a valid file.

    The new content goes to a temporary file in the same directory, is flushed and
    fsynced, and then replaces the target with ``os.replace`` (atomic on POSIX and
    Windows). The previous version, if any, is kept as ``<name>.bak`` (hard-linked
    before the swap where possible, so there is never a moment without it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_backup and path.exists():
            backup = backup_path(path)
            with contextlib.suppress(FileNotFoundError):
                backup.unlink()
            try:
                os.link(path, backup)
            except OSError:
                backup.write_bytes(path.read_bytes())
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
