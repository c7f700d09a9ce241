"""The contract every program output keeps: the stage window, Syphon, Spout, NDI, the
virtual camera and the recorder.

A sink never blocks the bus and never raises into it: the bus calls ``submit`` from the
sink's own feeder thread (:mod:`perform.program.feeder`, a latest-wins slot: a slow sink
skips frames, it never queues them), never from the event loop; a failure becomes a
visible :class:`SinkStatus` with a reason, and the sink retries on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from perform.program.frame import ProgramFrame


class SinkState(StrEnum):
    OFF = "off"
    """Not started (or closed)."""
    STARTING = "starting"
    ON = "on"
    """Sending frames."""
    RETRYING = "retrying"
    """Failed; the next attempt is scheduled (``SinkStatus.detail`` says why)."""
    UNAVAILABLE = "unavailable"
    """Can't run here at all (wrong platform, missing extra, no display): ``detail`` says
    why and how to get it. The show goes on without it."""


@dataclass(frozen=True, slots=True)
class SinkStatus:
    kind: str
    """``window``, ``ndi``, ``syphon``, ``spout``, ``vcam``, ``record``."""
    name: str
    """What other software sees (the NDI source name, the Syphon server name...)."""
    state: SinkState
    detail: str = ""
    frames: int = 0
    """Frames delivered."""
    dropped: int = 0
    """Frames replaced before the sink took them (a slow sink)."""
    failures: int = 0


@runtime_checkable
class ProgramSink(Protocol):
    kind: str
    name: str

    def start(self) -> None:
        """Begin (non-blocking; never raises: a failure shows in :meth:`status`)."""

    def submit(self, frame: ProgramFrame) -> None:
        """Take the newest frame (on the sink's feeder thread; never raises)."""

    def status(self) -> SinkStatus: ...

    def close(self) -> None:
        """Stop and release everything (idempotent)."""


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
