"""The double on its own thread and loop, for clients that run their own ``asyncio.run``
(``perform scope status``, ``perform run --headless --scope URL`` in a subprocess)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from tests.scope_double import ScopeDouble

T = TypeVar("T")


class ThreadedScopeDouble:
    """``with ThreadedScopeDouble() as td: td.url; td.call(lambda d: d.preload(...))``."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.double: ScopeDouble | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedScopeDouble:
        self._thread.start()
        self.double = self.run(self._make())
        return self

    async def _make(self) -> ScopeDouble:
        double = ScopeDouble(**self.options)
        await double.start()
        return double

    @property
    def url(self) -> str:
        assert self.double is not None
        return self.double.url

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on the double's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[ScopeDouble], T]) -> T:
        """Run ``fn(double)`` on the double's loop (its state is not thread-safe)."""

        async def wrapper() -> T:
            assert self.double is not None
            return fn(self.double)

        return self.run(wrapper())

    def __exit__(self, *exc: object) -> None:
        if self.double is not None:
            self.run(self.double.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
