"""One exception tree for everything a performer can cause or fix.

Every error carries a one-line ``title`` and a ``message`` written for a VJ, not a
developer: it names the file, line and key when there is one, and suggests the fix.
The CLI prints these and exits 2; the TUI turns them into notifications. Anything
that is *not* a ``PerformError`` is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PerformError(Exception):
    """Base of all user-facing errors."""

    title = "Error"

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ConfigError(PerformError):
    title = "Config error"


class ParamError(PerformError):
    title = "Unknown parameter"


class MappingError(PerformError):
    title = "Mapping error"


class SetlistError(PerformError):
    title = "Setlist error"


class DeviceError(PerformError):
    title = "Device error"


class StreamError(PerformError):
    title = "Scope link error"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    pool = list(candidates)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        # Dotted names: compare the last segment too (``lenia.sigam`` -> ``lenia.sigma``).
        tail = name.rsplit(".", 1)[-1]
        by_tail = {c.rsplit(".", 1)[-1]: c for c in pool}
        close = [by_tail[t] for t in difflib.get_close_matches(tail, list(by_tail), n=1)]
    return f" (did you mean '{close[0]}'?)" if close else ""
