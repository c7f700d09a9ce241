"""Logging: always to a file under the XDG state folder; to stderr when headless.

The TUI owns the terminal, so it never logs to stderr; warnings reach the performer
as notifications instead. Nothing here logs the environment (tokens live there).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "perform"


def setup_logging(*, to_stderr: bool, verbose: bool = False) -> Path | None:
    """Configure the root logger; returns the log file (None if it cannot be written)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = log_dir() / "perform.log"
    written: Path | None = path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3)
        file_handler.setFormatter(fmt)
        root.addHandler(file_handler)
    except OSError:
        written = None
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    return written


@dataclass
class _Window:
    started: float
    suppressed: int = 0


class Throttle:
    """Repeated errors, logged at most once per kind per ``interval`` seconds, with a count.

    A flood of bad packets (NaN to a choice, a broken binding, a dead peer) used to log a
    line — or a traceback — per packet, and rotated a show's whole log history away in
    seconds. Every repeated error in the app goes through here instead: the first of a
    kind is logged (with its traceback when ``exc_info`` is given, only that first
    time ever), later ones within the window are counted, and the next line after the
    window says how many were left out. Thread-safe: the MIDI reader logs from its thread.
    """

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()

    def log(
        self,
        logger: logging.Logger,
        kind: str,
        message: str,
        *args: object,
        level: int = logging.WARNING,
        exc_info: bool = False,
    ) -> bool:
        """Log ``message % args`` unless ``kind`` was logged less than a window ago.

        Returns True when a line was written.
        """
        now = self._clock()
        key = (logger.name, kind)
        with self._lock:
            window = self._windows.get(key)
            first_ever = window is None
            if window is not None and now - window.started < self.interval:
                window.suppressed += 1
                return False
            suppressed = window.suppressed if window is not None else 0
            span = now - window.started if window is not None else 0.0
            self._windows[key] = _Window(now)
        if suppressed:
            message = f"{message} (+{suppressed} more [{kind}] in the last {span:.1f} s)"
        logger.log(level, message, *args, exc_info=exc_info and first_ever)
        return True

    def flush(self) -> None:
        """Write the counts still held back (at shutdown, or from a periodic status)."""
        now = self._clock()
        with self._lock:
            pending = [(k, w) for k, w in self._windows.items() if w.suppressed]
            for key, _ in pending:
                self._windows[key] = _Window(now)
        for (name, kind), window in pending:
            logging.getLogger(name).warning(
                "%d more [%s] in the last %.1f s", window.suppressed, kind, now - window.started
            )


THROTTLE = Throttle()
"""The one rate limiter every component's repeated errors go through."""


throttled = THROTTLE.log
"""Log through :data:`THROTTLE` (one line per kind per second, with a count)."""
