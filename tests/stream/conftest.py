"""Fixtures for the Scope link: the test double, small stream configs, waiting helpers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from engines import numpy_backend
from perform.config import AppConfig
from perform.events import NOTICE, SCOPE_STATUS, ScopeStatus
from perform.session import Session
from perform.stream.link import ScopeLink
from tests.helpers import eventually
from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)

#: Generous: these tests run real WebRTC on a shared, loaded 2-core machine.
TIMEOUT = 40.0


def stream_config(url: str, **scope: Any) -> AppConfig:
    return AppConfig.model_validate(
        {
            "stream": {"width": 128, "height": 128, "fps": 30},
            "engine": {"world": 128},
            "scope": {
                "url": url,
                "pipeline": "passthrough",
                "watchdog_seconds": 3.0,
                "first_frame_seconds": 20.0,
                "reconnect_max_seconds": 2.0,
                **scope,
            },
        }
    )


async def wait_until(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll ``predicate`` (every 50 ms) until it is truthy; fail with ``what`` otherwise."""
    return await eventually(predicate, timeout, what, every=0.05)


class Running:
    """A started session with a Scope link, and what it published."""

    def __init__(self, session: Session, link: ScopeLink) -> None:
        self.session = session
        self.link = link
        self.statuses: list[ScopeStatus] = []
        self.notices: list[Any] = []
        session.events.subscribe(SCOPE_STATUS, self.statuses.append)
        session.events.subscribe(NOTICE, self.notices.append)

    @property
    def store(self):
        return self.session.store

    def states(self) -> list[str]:
        return [s.state for s in self.statuses]

    async def streaming(self, timeout: float = TIMEOUT) -> None:
        await wait_until(lambda: self.link.status.state == "streaming", "streaming", timeout)


@contextlib.asynccontextmanager
async def running_link(double: ScopeDouble, **scope: Any) -> AsyncIterator[Running]:
    config = stream_config(double.url, **scope)
    session = Session(config, backend=numpy_backend())
    link = ScopeLink(config)
    session.add(link)
    running = Running(session, link)
    await session.start()
    try:
        yield running
    finally:
        await session.stop()
