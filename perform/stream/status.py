"""What the performer sees of the Scope link: a ``ScopeStatus`` and a few clear notices.

The status is published on the bus whenever it changes (and about once a second while
streaming, with fresh figures). Failures become one notice per distinct message, so a
server that stays down for an hour says so once, not every retry.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from perform.errors import PerformError
from perform.events import SCOPE_STATUS, ScopeStatus

if TYPE_CHECKING:
    from perform.session import Session


class StatusBoard:
    def __init__(self, url: str) -> None:
        self.status = ScopeStatus(url, "offline", "not started")
        self.version: str | None = None
        self.pipeline: str | None = None
        self.reconnects = 0
        self.warnings: list[str] = []
        self._session: Session | None = None
        self._noticed: dict[str, str] = {}
        self._delivered: tuple[int, float] | None = None

    def attach(self, session: Session) -> None:
        self._session = session

    def state(self, state: Any, message: str) -> None:
        self.publish(replace(self.status, state=state, message=message))

    def publish(self, status: ScopeStatus | None = None, *, always: bool = False) -> None:
        status = replace(
            status or self.status,
            version=self.version,
            pipeline=self.pipeline,
            reconnects=self.reconnects,
            warnings=tuple(self.warnings),
        )
        changed = status != self.status
        self.status = status
        if (changed or always) and self._session is not None:
            self._session.events.publish(SCOPE_STATUS, status)

    def figures(
        self, *, fps_in: float, fps_out: float, latency_ms: float | None, rtt_ms: float | None
    ) -> None:
        """Fresh figures; published every time while streaming (a heartbeat for the UI)."""
        self.publish(
            replace(
                self.status,
                fps_in=round(fps_in, 1),
                fps_out=round(fps_out, 1),
                latency_ms=latency_ms,
                rtt_ms=round(rtt_ms, 1) if rtt_ms is not None else None,
            ),
            always=self.status.state == "streaming",
        )

    def input_rate(self, delivered: int | None) -> float:
        """Frames/s into the track since the last call (``delivered``: its running count)."""
        now = time.perf_counter()
        last, self._delivered = self._delivered, None if delivered is None else (delivered, now)
        if delivered is None or last is None or delivered < last[0]:
            return 0.0  # no track, the first call, or a new track
        return (delivered - last[0]) / max(now - last[1], 1e-3)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)
            self.publish()

    def fail(self, state: Any, exc: PerformError) -> None:
        """A failed attempt: the state, and a notice unless this message was just shown."""
        self.state(state, exc.message)
        self.notice(
            "error" if state == "error" else "warning", exc.title, exc.message, key="failure"
        )

    def recovered(self) -> None:
        self._noticed.pop("failure", None)

    def notice(self, severity: Any, title: str, message: str, *, key: str | None = None) -> None:
        """Tell the performer; with ``key``, only when the message differs from the last one."""
        if key is not None:
            if self._noticed.get(key) == message:
                return
            self._noticed[key] = message
        if self._session is not None:
            self._session.notify(message, title=title, severity=severity)
