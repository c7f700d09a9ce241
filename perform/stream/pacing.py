"""Pace the outgoing track to what Scope's pipeline consumes (issue 11, 5f).

A pipeline slower than the input (6–8 fps out for 25 in) must not be fed faster than it
eats: frames it cannot take wait in its input queue (30 deep) and every waiting frame is
latency, so latency grows until the queue is full. We cannot see Scope's queue, but we can
count: frames sent on our track and frames back from Scope, over a window of a few
seconds. When fewer come back than go out, the pipeline is the bottleneck: send a little
*less* than it produces, so a backlog drains instead of building; while more come back
than go out, a backlog is draining: wait. When everything comes back, probe upwards now
and then (the pipeline may have sped up: a lighter prompt, another
session gone), up to the stream's fps. Rates come from counts over the window, not from
instantaneous intervals, because a pipeline returns its frames in chunks of 4 or 12.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

SLOWER = 0.95
"""Output below this fraction of the input: the pipeline is the bottleneck."""
DRAINING = 1.05
"""Output above this multiple of the input: a backlog is draining; wait for it."""
DRAIN = 0.9
"""Then send this fraction of what it produces (below it, so a backlog drains)..."""
DRAIN_FAST = 0.75
"""...or this much when it was grossly overfed (under half came back): a full queue."""
PROBE = 1.05
"""Everything comes back: try this much more, at most every ``probe_every`` seconds."""
WINDOW_CHUNKS = 6.0
"""A window spans at least this many chunks' worth of frames at the current rate."""
NOISE_CHUNKS = 1.0
"""Sent and returned counts differing by up to this many chunks over a window is noise."""


@dataclass
class Pacer:
    """The track's frame rate from counts of frames sent and received (see the module)."""

    max_fps: float
    chunk: int = 4
    """Frames per pipeline call: frames come back in lumps of this many, so a difference
    of up to about one chunk between sent and returned is noise, not a trend."""
    min_fps: float = 2.0
    window: float = 8.0
    """Seconds of counts behind each decision (and the least time between two)."""
    probe_every: float = 16.0
    settle: float = 4.0
    """Seconds after a change that are not judged: the backlog from before the change
    drains (Scope drops what its queues cannot hold), which would read as a slow pipeline."""
    rate: float = field(init=False)
    changes: int = field(init=False, default=0)
    _samples: deque[tuple[float, int, int]] = field(init=False, default_factory=deque)
    _changed_at: float | None = field(init=False, default=None)
    _quiet_until: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.rate = self.max_fps

    def reset(self) -> None:
        """A new stream: start again at the full rate."""
        self.rate = self.max_fps
        self._samples.clear()
        self._changed_at = None
        self._quiet_until = 0.0

    def update(self, now: float, sent: int, received: int) -> float | None:
        """Running counts of frames sent and received; the new rate when it changes."""
        samples = self._samples
        if samples and (sent < samples[-1][1] or received < samples[-1][2]):
            samples.clear()  # counters started again (a new track)
        if now < self._quiet_until:
            samples.clear()  # after a change: what was queued before it drains (or drops)
        samples.append((now, sent, received))
        # Long enough to see a few chunks come back, however slow the rate.
        window = max(self.window, WINDOW_CHUNKS * self.chunk / max(self.rate, 1e-3))
        while len(samples) > 2 and now - samples[1][0] >= window:
            samples.popleft()
        t0, sent0, received0 = samples[0]
        span = now - t0
        if span < window:
            return None
        if self._changed_at is not None and now - self._changed_at < window:
            return None
        went, came = sent - sent0, received - received0
        if went <= 0:
            return None
        noise = NOISE_CHUNKS * self.chunk
        rate_out = came / span
        if came < SLOWER * went and went - came > noise:
            drain = DRAIN_FAST if came < 0.5 * went else DRAIN
            new = max(self.min_fps, min(self.max_fps, rate_out * drain))
        elif came > DRAINING * went and came - went > noise:
            return None
        elif self.rate < self.max_fps and (
            self._changed_at is None or now - self._changed_at >= self.probe_every
        ):
            new = min(self.max_fps, self.rate * PROBE)
        else:
            return None
        if abs(new - self.rate) < 0.05:
            return None
        self.rate = new
        self.changes += 1
        self._changed_at = now
        self._quiet_until = now + self.settle
        samples.clear()
        samples.append((now, sent, received))
        return new
