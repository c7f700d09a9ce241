"""Is Scope's video fit to be on air? The failover rules, as a pure clock-driven machine.

Scope's output can fail three ways, none of which Scope reports: it **stalls** (no new
frame), it **freezes** (new frames, the same picture: a hung pipeline behind a track that
repeats its last frame), or the **link drops**. :class:`ScopeHealth` watches the frames the
bus sees and says, at each tick, whether Scope may be on air:

* a fault is declared after ``stall_s`` without a new frame, or ``stall_s`` of the same
  picture (a :func:`~perform.program.compose.signature` that does not change), or at once
  when the link is down; the bus then crossfades to the live organism in
  :data:`FAILOVER_FADE` seconds, so the audience never sees a held picture for longer than
  the threshold plus that fade;
* Scope comes back on air after :data:`STEADY_S` of fresh, changing frames with the link
  up (and the first time, too: a stream that just connected must prove itself), with a
  gentler :data:`FAILBACK_FADE`;
* a picture the performer froze on purpose (``scope.paused``) is not a fault.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy

from perform.program.compose import changed

FAILOVER_FADE = 0.25
"""Seconds the crossfade to the organism takes once a fault is declared."""
FAILBACK_FADE = 0.5
"""Seconds the crossfade back to Scope takes."""
STEADY_S = 1.0
"""Seconds of healthy frames before Scope goes back on air."""

Health = Literal["off", "waiting", "ok", "steadying", "stalled", "frozen", "down"]
"""``off``: no Scope link in this session; ``waiting``: no frame yet; ``ok``: on air or fit
to be; ``steadying``: healthy again but not for long enough; the rest are faults."""

FAULTS: frozenset[str] = frozenset({"stalled", "frozen", "down"})


@dataclass
class ScopeHealth:
    stall_s: float = 0.4
    steady_s: float = STEADY_S
    health: Health = "waiting"
    fit: bool = False
    """Scope may be on air."""
    faults: int = 0
    """Faults declared so far (each stall, freeze or drop counts once)."""
    last_new_at: float | None = None
    """When the last new Scope frame was seen."""
    last_change_at: float | None = None
    """When the picture last changed."""
    history: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=64))
    """(time, health) at each change, newest last (diagnostics)."""
    _seq: int = 0
    _sig: numpy.ndarray | None = None
    _good_since: float | None = None

    def observe(
        self,
        now: float,
        *,
        seq: int,
        picture: numpy.ndarray | None,
        link_up: bool,
        hold_ok: bool = False,
    ) -> bool:
        """One tick: ``seq`` is the newest Scope frame's sequence number (0: none yet),
        ``picture`` its signature (only looked at when ``seq`` is new). Returns :attr:`fit`."""
        if seq and seq != self._seq:
            self._seq = seq
            self.last_new_at = now
            if picture is not None and changed(self._sig, picture):
                self.last_change_at = now
            if picture is not None:
                self._sig = picture
        fault: Health | None = None
        if not link_up:
            fault = "down" if self.last_new_at is not None else "waiting"
        elif self.last_new_at is None:
            fault = "waiting"
        elif now - self.last_new_at > self.stall_s:
            fault = "stalled"
        elif (
            not hold_ok
            and self.last_change_at is not None
            and now - self.last_change_at > self.stall_s
        ):
            fault = "frozen"
        if fault is not None:
            if fault in FAULTS and self.health not in FAULTS:
                self.faults += 1
            self._set(now, fault)
            self._good_since = None
            self.fit = False
            return False
        if self._good_since is None:
            self._good_since = now
        if self.fit or now - self._good_since >= self.steady_s:
            self.fit = True
            self._set(now, "ok")
        else:
            self._set(now, "steadying")
        return self.fit

    def _set(self, now: float, health: Health) -> None:
        if health != self.health:
            self.history.append((now, health))
            self.health = health

    def suspect(self, now: float) -> bool:
        """The picture has not changed for half the threshold (the TUI says FROZEN)."""
        return self.last_change_at is not None and now - self.last_change_at > self.stall_s / 2


def approach(value: float, target: float, dt: float, seconds: float) -> float:
    """Move ``value`` towards ``target`` at full range per ``seconds`` (a linear fade)."""
    if seconds <= 0:
        return target
    step = dt / seconds
    if value < target:
        return min(target, value + step)
    return max(target, value - step)
