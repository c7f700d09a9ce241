"""Runs the data-channel :class:`~perform.stream.channel.Planner` on the loop: it wakes on
store changes and keeps at least one chunk period between two sends (a quiet channel sends
at once), and it records store-change -> send latency for the status and the bench."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from perform.stream.channel import Planner

log = logging.getLogger(__name__)


class Pump:
    """Runs a :class:`Planner` on the loop: wakes on changes, keeps one chunk between sends."""

    def __init__(
        self,
        planner: Planner,
        send: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.planner = planner
        self.send = send
        self.clock = clock
        self.last_send: float | None = None
        self.latencies_ms: deque[float] = deque(maxlen=2000)
        """Store change -> send, per message (for the bench and the status)."""
        self.sent: deque[dict[str, Any]] = deque(maxlen=200)
        self.errors = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            wake_at = self.planner.next_wake()
            if wake_at is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = self.clock()
            earliest = max(
                wake_at,
                self.last_send + self.planner.chunk_period if self.last_send is not None else 0.0,
            )
            if earliest > now:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), earliest - now)
                continue
            self.flush(now)

    def flush(self, now: float) -> None:
        since = self.planner.pending_since
        messages = self.planner.due(now)
        for message in messages:
            try:
                self.send(json.dumps(message))
            except Exception as exc:  # a closing channel: the reconnect re-sends everything
                self.errors += 1
                log.debug("data channel send failed: %s", exc)
                continue
            self.sent.append(message)
            if since is not None:
                self.latencies_ms.append((now - since) * 1e3)
        if messages:
            self.last_send = now
