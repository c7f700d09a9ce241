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

Two things kept latency climbing even so (the track sat at 2 fps against a 7.5 fps
pipeline with 5 s of latency):

* Scope paces frames that carry timestamps from an anchor that only ever moves later:
  the latency of the first seconds' backlog stayed locked in after the backlog drained,
  and the frames it held back overflowed Scope's output queue, which read as a slow
  pipeline, so the pacer cut again, and again. While paced, the track's timestamps run
  slightly fast (:meth:`perform.stream.track.OrganismTrack.set_rate`).
* A probe above what the pipeline eats builds a backlog slowly (5 % over) and is seen
  late. What the pipeline produced when it was last found slower is its ceiling: probes
  stay below it for :data:`CEILING_HOLD` seconds.
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
CEILING = 0.95
"""Probes stay below this fraction of what the pipeline produced when last overfed..."""
CEILING_HOLD = 60.0
"""...for this many seconds after that (then they may look above it again)."""


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
    _draining: bool = field(init=False, default=False)
    _ceiling: tuple[float, float] | None = field(init=False, default=None)
    """(time, output fps) when the pipeline was last found slower than the input."""
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
        self._draining = False
        self._ceiling = None

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
            self._ceiling = (now, rate_out)
            self._draining = True
        elif came > DRAINING * went and came - went > noise:
            return None
        elif self._draining:
            self._draining = False  # the backlog is gone: judge afresh from here
            self._restart(now, sent, received)
            return None
        elif self.rate < self.max_fps and (
            self._changed_at is None or now - self._changed_at >= self.probe_every
        ):
            new = min(self.max_fps, self.rate * PROBE)
            if self._ceiling is not None and now - self._ceiling[0] < CEILING_HOLD:
                new = min(new, max(self.rate, CEILING * self._ceiling[1]))
        else:
            return None
        if abs(new - self.rate) < 0.05:
            return None
        self.rate = new
        self.changes += 1
        self._changed_at = now
        self._restart(now, sent, received)
        return new

    def _restart(self, now: float, sent: int, received: int) -> None:
        """Judge nothing until a change has settled (what was queued before it drains)."""
        self._quiet_until = now + self.settle
        self._samples.clear()
        self._samples.append((now, sent, received))
