"""A small publish/subscribe bus for status the UI and the outputs show.

Topics are plain strings (``"engine.stats"``, ``"notice"``). Everything runs on the
loop thread; a failing subscriber is logged and counted, never raised to the publisher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the performer should see (a toast in the TUI, a line headless)."""

    severity: Severity
    title: str
    message: str


@dataclass
class EventBus:
    _subscribers: dict[str, list[Callable[[Any], None]]] = field(default_factory=dict)
    errors: int = 0

    def subscribe(self, topic: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        self._subscribers.setdefault(topic, []).append(callback)

        def unsubscribe() -> None:
            callbacks = self._subscribers.get(topic, [])
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    def publish(self, topic: str, payload: Any = None) -> None:
        for callback in list(self._subscribers.get(topic, ())):
            try:
                callback(payload)
            except Exception:
                self.errors += 1
                log.exception("subscriber of %s failed", topic)
