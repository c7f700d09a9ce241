"""A small publish/subscribe bus for status the UI and the outputs show.

A topic is a typed object, :class:`Topic` ``[payload]``, one module-level constant per
topic below (``ENGINE_STATS``, ``NOTICE``...): :meth:`EventBus.publish` and
:meth:`EventBus.subscribe` take the constant, so mypy rejects a misspelt topic, a payload
of the wrong type and a subscriber that expects another one. Topics compare by identity:
two topics with the same name are two topics. Everything runs on the loop thread; a
failing subscriber is logged and counted, never raised to the publisher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from perform.program.state import ProgramState
    from perform.render.host import EngineStats

log = logging.getLogger(__name__)

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the performer should see (a toast in the TUI, a line headless)."""

    severity: Severity
    title: str
    message: str


T = TypeVar("T")
L = TypeVar("L")


@dataclass(frozen=True, slots=True, eq=False)
class Topic(Generic[T]):
    """One stream of events whose payloads are ``T`` (the name is for logs only)."""

    name: str

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"


@dataclass
class EventBus:
    _subscribers: dict[Topic[Any], list[Callable[[Any], None]]] = field(default_factory=dict)
    errors: int = 0

    def subscribe(self, topic: Topic[T], callback: Callable[[T], None]) -> Callable[[], None]:
        return listen(self._subscribers.setdefault(topic, []), callback)

    def publish(self, topic: Topic[T], payload: T) -> None:
        for callback in list(self._subscribers.get(topic, ())):
            try:
                callback(payload)
            except Exception:
                self.errors += 1
                log.exception("subscriber of %s failed", topic.name)


def listen(listeners: list[L], listener: L) -> Callable[[], None]:
    """Add ``listener`` to ``listeners``; returns the function that takes it out again
    (calling that twice is harmless). Every subscribe and bind in the app goes through it."""
    listeners.append(listener)
    return lambda: listeners.remove(listener) if listener in listeners else None


def undo_all(undos: list[Callable[[], None]]) -> None:
    """Call each unsubscribe (or unbind) a component collected and forget them all, so
    that stopping twice does nothing the second time."""
    for undo in undos:
        undo()
    undos.clear()


# --- topics shared between parts of the app -------------------------------------------
# Producers publish these on ``session.events``; consumers subscribe. The payloads are
# defined here so the parts can be built (and tested) independently of each other.

ENGINE_STATS: Topic[EngineStats] = Topic("engine.stats")
"""Engine thread -> UI, headless."""
NOTICE: Topic[Notice] = Topic("notice")
"""Anything -> the performer."""
MIDI_CLOCK: Topic[MidiClock] = Topic("midi.clock")
"""MIDI input -> the tempo clock."""
TEMPO_STATE: Topic[TempoState] = Topic("tempo.state")
"""Clock -> feedback, Scope link, UI, on change and on every beat."""
SHOW_STATE: Topic[ShowState] = Topic("show.state")
"""Setlist runner -> feedback, UI, headless."""
CONTROL_MESSAGE: Topic[InputMessage] = Topic("control.message")
"""MIDI/OSC inputs -> monitor, learn."""
DEVICE_STATE: Topic[DeviceState] = Topic("device.state")
"""MIDI input/output -> UI, feedback."""
SCOPE_STATUS: Topic[ScopeStatus] = Topic("scope.status")
"""Scope link -> UI, headless."""
PROGRAM_STATE: Topic[ProgramState] = Topic("program.state")
"""Program bus thread -> UI, OSC, headless."""
SCOPE_LOAD: Topic[PipelineRequest] = Topic("scope.load")
"""Setlist -> Scope link: load this pipeline before streaming."""


@dataclass(frozen=True, slots=True)
class MidiClock:
    kind: Literal["tick", "start", "stop", "continue", "position"]
    at: float
    """``time.perf_counter()`` when the message arrived (taken on the rtmidi thread)."""
    position: int | None = None
    """Song position in MIDI beats (sixteenths) for ``position``."""


@dataclass(frozen=True, slots=True)
class TempoState:
    bpm: float
    beat: float
    """Beats since the clock started (fractional)."""
    beats_per_bar: int
    playing: bool
    source: str
    """``internal``, ``tap``, ``midi`` or ``link``."""

    @property
    def bar(self) -> int:
        return int(self.beat // self.beats_per_bar)

    @property
    def beat_in_bar(self) -> int:
        return int(self.beat % self.beats_per_bar)

    @property
    def phase(self) -> float:
        return self.beat % 1.0


@dataclass(frozen=True, slots=True)
class ShowState:
    show: str
    index: int | None
    """Current scene (0-based), None before the first GO."""
    scene: str | None
    next_index: int | None
    next_scene: str | None
    next_notes: str
    phase: Literal["idle", "transition", "hold", "waiting", "done", "panic"]
    hold_remaining: float | None
    """Seconds until an automatic continue, None when manual."""
    go_at: float | None = None
    """Loop time at which a quantized GO will fire (None: no GO pending)."""


@dataclass(frozen=True, slots=True)
class InputMessage:
    source: Literal["midi", "osc"]
    device: str
    """Port name (MIDI) or sender address (OSC)."""
    text: str
    """Human-readable message, e.g. ``cc ch1 #7 = 64`` or ``/vj/engine/speed 1.5``."""
    at: float
    target: str | None = None
    """What it moved (a parameter or action name), None when nothing is bound."""


@dataclass(frozen=True, slots=True)
class DeviceState:
    name: str
    direction: Literal["in", "out"]
    state: Literal["connected", "lost", "absent"]
    port: str | None = None
    """The real port name it matched (``nanoKONTROL2:nanoKONTROL2 _ CTRL 20:0``)."""


@dataclass(frozen=True, slots=True)
class ScopeStatus:
    url: str
    state: Literal["offline", "checking", "loading", "connecting", "streaming", "stalled", "error"]
    message: str = ""
    version: str | None = None
    pipeline: str | None = None
    fps_in: float = 0.0
    fps_out: float = 0.0
    latency_ms: float | None = None
    rtt_ms: float | None = None
    reconnects: int = 0
    warnings: tuple[str, ...] = ()
    """Standing refusals the performer should see (e.g. a LoRA whose scale cannot ride)."""


@dataclass(frozen=True, slots=True)
class PipelineRequest:
    pipeline_ids: tuple[str, ...]
    load_params: dict[str, Any] = field(default_factory=dict)
    """Passed to ``POST /api/v1/pipeline/load`` (height, width, loras, lora_merge_mode...)."""
    lora_names: dict[str, str] = field(default_factory=dict)
    """``lora.<name>.scale`` parameter name -> the LoRA's absolute path on the server."""
    assets: tuple[str, ...] = ()
    """Local VACE reference images the show uses: uploaded before its stream opens."""
