"""What the program is doing, as the TUI, the status line and OSC feedback show it."""

from __future__ import annotations

from dataclasses import dataclass, field

from perform.program.frame import Source
from perform.program.sink import SinkStatus


@dataclass(frozen=True, slots=True)
class ProgramState:
    """Published by the bus (``program.state`` on the session's events) when anything in
    it changes, and twice a second while frames flow."""

    source: Source
    """On air now: organism, scope, mix or black."""
    wanted: str
    """``program.source``: what the performer asked for (organism, scope, mix)."""
    health: str
    """Scope's video: off, waiting, ok, steadying, stalled, frozen, down
    (see :mod:`perform.program.failover`)."""
    failover: bool = False
    """Scope is wanted but its video is unfit: the organism stands in."""
    frozen: bool = False
    """The picture on air is not moving (Scope paused or suspect, organism frozen)."""
    black: str = ""
    """Why the program is black (fade, blackout, panic, scene), or ""."""
    level: float = 1.0
    """``master.fade`` as the bus applied it."""
    scope_weight: float = 0.0
    """How much of the picture is Scope's (0..1, before the fade)."""
    index: int = 0
    """Program frames made so far."""
    faults: int = 0
    """Scope faults (stalls, freezes, drops) since the start."""
    size: tuple[int, int] = (0, 0)
    sinks: tuple[SinkStatus, ...] = field(default=())

    @property
    def state(self) -> str:
        """One word: black, failover, frozen or live (OSC ``/vj/program/state``)."""
        if self.source == "black":
            return "black"
        if self.failover:
            return "failover"
        if self.frozen:
            return "frozen"
        return "live"

    def badge(self) -> str:
        """The on-air badge, e.g. ``ON AIR scope``, ``BLACK (blackout)``,
        ``FAILOVER organism (Scope stalled)``, ``FROZEN scope``."""
        if self.source == "black":
            return f"BLACK ({self.black or 'fade'})"
        if self.failover:
            return f"FAILOVER {self.source} (Scope {self.health})"
        if self.frozen:
            return f"FROZEN {self.source}"
        return f"ON AIR {self.source}"

    def same_as(self, other: ProgramState | None) -> bool:
        """Equal in everything a viewer shows (counters aside)."""
        return other is not None and self._shown() == other._shown()

    def _shown(self) -> tuple[object, ...]:
        return (
            self.source,
            self.wanted,
            self.health,
            self.failover,
            self.frozen,
            self.black,
            round(self.level, 2),
            round(self.scope_weight, 2),
            self.sinks,
        )
