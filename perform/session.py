"""The composition root: one Session builds everything a show needs on one event loop.

The TUI and the headless runner use the same Session unchanged. It owns the
:class:`~perform.params.ParamStore`, the :class:`~perform.render.host.EngineHost` and
any number of *components* (MIDI and OSC inputs, feedback outputs, the Scope link,
the setlist runner), each started in order on the running loop and stopped in
reverse. A component is any object with ``name`` and ``async start(session)`` /
``async stop()``.

Components find each other by class, not by name: ``session.component(ScopeLink)`` is a
``ScopeLink | None`` and ``session.require(TempoComponent)`` a ``TempoComponent``, so mypy
checks every use (a misspelt class is an undefined name, a misspelt attribute an error);
``name`` only labels logs.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Protocol, TypeVar

from engines import (
    Backend,
    PresetError,
    all_params,
    get_preset,
    presets,
    select_backend,
)
from perform.config import AppConfig
from perform.errors import ConfigError, PerformError
from perform.events import ENGINE_STATS, NOTICE, EventBus, Notice, Severity
from perform.params import ParamStore
from perform.registry import build_store
from perform.render.host import EngineHost, EngineStats

log = logging.getLogger(__name__)

#: How often the interpreter may switch threads. The default 5 ms lets the engine
#: thread hold the GIL long enough to delay MIDI/OSC handling on the loop; 1 ms
#: keeps input latency low at a negligible cost.
SWITCH_INTERVAL = 0.001


C = TypeVar("C")


class Component(Protocol):
    name: str

    async def start(self, session: Session) -> None: ...

    async def stop(self) -> None: ...


class Session:
    """Everything one show needs, on one asyncio loop."""

    def __init__(self, config: AppConfig, *, backend: Backend | None = None) -> None:
        self.config = config
        try:
            get_preset(config.engine.preset)
        except PresetError as exc:
            where = f"{config.source}: " if config.source else ""
            raise ConfigError(f"{where}engine.preset: {exc}") from None
        self.backend = backend or select_backend(config.engine.backend)
        self.store: ParamStore = build_store(presets(), config.engine.preset, all_params())
        self.store.apply("engine.preset", config.engine.preset, "default")
        self.store.actions.on_error = self._action_failed
        self.events = EventBus()
        self.engine_stats: EngineStats | None = None
        self.host = EngineHost.for_store(
            self.store,
            self.backend,
            world=config.engine.world,
            width=config.stream.width,
            height=config.stream.height,
            fps=config.stream.fps,
            steps_per_second=config.engine.steps_per_second,
            seed=config.engine.seed,
            on_stats=self._engine_stats,
            warmup_steps=round(config.engine.warmup * config.engine.steps_per_second),
        )
        self.components: list[Component] = []
        self._started: list[Component] = []
        self._running = False
        self._old_switch_interval: float | None = None

    @property
    def running(self) -> bool:
        return self._running

    def add(self, component: Component) -> Component:
        """Add a component before :meth:`start`; it starts and stops with the session."""
        if self._running:
            raise RuntimeError("add components before the session starts")
        self.components.append(component)
        return component

    def component(self, kind: type[C]) -> C | None:
        """The first component that is a ``kind`` (None if this run has none)."""
        return next((c for c in self.components if isinstance(c, kind)), None)

    def require(self, kind: type[C]) -> C:
        """The first component that is a ``kind``, for callers that cannot run without it."""
        found = self.component(kind)
        if found is None:
            raise LookupError(f"this session has no {kind.__name__} component")
        return found

    def notify(self, message: str, *, title: str = "", severity: Severity = "information") -> None:
        """Tell the performer something (TUI toast, headless stderr line)."""
        log.log(logging.ERROR if severity == "error" else logging.INFO, "%s: %s", title, message)
        self.events.publish(NOTICE, Notice(severity, title, message))

    async def start(self, *, engine: bool = True) -> None:
        """Start the store's loop hooks, the engine thread and every component."""
        if self._running:
            return
        loop = asyncio.get_running_loop()
        self._old_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.store.attach(loop)
        if engine:
            self.host.start(loop)
        self._running = True
        for component in self.components:
            try:
                await component.start(self)
            except PerformError as exc:
                # One missing device or server must not stop the show: report, carry on.
                self.notify(exc.message, title=exc.title, severity="error")
                continue
            self._started.append(component)

    async def stop(self) -> None:
        """Stop components in reverse order, then the engine thread."""
        if not self._running:
            return
        self._running = False
        for component in reversed(self._started):
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        self._started.clear()
        await asyncio.get_running_loop().run_in_executor(None, self.host.stop)
        self.store.detach()
        if self._old_switch_interval is not None:
            sys.setswitchinterval(self._old_switch_interval)

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _engine_stats(self, stats: EngineStats) -> None:
        self.engine_stats = stats
        self.events.publish(ENGINE_STATS, stats)

    def _action_failed(self, name: str, exc: BaseException) -> None:
        if isinstance(exc, PerformError):
            self.notify(exc.message, title=exc.title, severity="error")
        else:
            self.notify(
                f"{type(exc).__name__}: {exc}", title=f"Action {name} failed", severity="error"
            )
