"""Which program sinks exist: a kind (``window``, ``ndi``...) -> a factory.

Each sink module registers itself with :func:`register_sink`; the session builds the sinks
that ``[output] sinks`` and ``--output`` name with :func:`build_sink`. A kind nobody
registered, or a factory that raises (a missing extra, no display), becomes an
:class:`UnavailableSink` whose status says why: the show goes on without it.
"""

from __future__ import annotations

from collections.abc import Callable

from perform.config import OutputConfig
from perform.program.frame import ProgramFrame
from perform.program.sink import ProgramSink, SinkState, SinkStatus

SinkFactory = Callable[[OutputConfig], ProgramSink]

SINKS: dict[str, SinkFactory] = {}
"""Registered sink kinds (filled by the sink modules when they are imported)."""


def register_sink(kind: str, factory: SinkFactory) -> None:
    """Make ``kind`` buildable (a later registration replaces an earlier one)."""
    SINKS[kind] = factory


class UnavailableSink:
    """A sink that could not be built here: it takes frames and drops them, and its status
    says why (shown in the TUI, the status line and OSC)."""

    def __init__(self, kind: str, name: str, detail: str) -> None:
        self.kind = kind
        self.name = name
        self.detail = detail

    def start(self) -> None:
        pass

    def submit(self, frame: ProgramFrame) -> None:
        pass

    def status(self) -> SinkStatus:
        return SinkStatus(self.kind, self.name, SinkState.UNAVAILABLE, self.detail)

    def close(self) -> None:
        pass


def build_sink(kind: str, config: OutputConfig) -> ProgramSink:
    """The sink ``kind`` built from ``config``; an :class:`UnavailableSink` when it can't be."""
    import perform.program.sinks  # noqa: F401  (the shipped sinks register themselves)

    factory = SINKS.get(kind)
    if factory is None:
        known = ", ".join(sorted(SINKS)) or "none"
        return UnavailableSink(
            kind, config.name, f"no '{kind}' output in this installation (available: {known})"
        )
    try:
        return factory(config)
    except Exception as exc:  # a broken extra must not stop the show
        return UnavailableSink(kind, config.name, f"could not start: {type(exc).__name__}: {exc}")
