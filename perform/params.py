"""The one writable parameter state: specs, the store, ramps, snapshots.

Every controllable value lives in :class:`ParamStore` under a dotted name
(``gray_scott.feed``, ``color.hue``, ``prompt.mix``, ``lora.<name>.scale``) with a
:class:`ParamSpec` that says how to clamp and coerce it. All writers (MIDI, OSC, the
setlist runner, the TUI, the API) go through :meth:`ParamStore.apply` with their
``source``; the store owns the arbitration policy:

* values are coerced and clamped to the spec, never rejected for being out of range;
* a transition (:meth:`ParamStore.transition`) is the one way anything moves the show
  over time: targets, a duration, a curve and a source. A scene, a preset from a fader,
  an OSC message or the TUI all go through it (or through :meth:`ParamStore.apply`, a
  transition of no duration and no timing), and a write to a parameter with an expander
  (``engine.preset``) is expanded here, once, with one meaning, whoever makes it;
* every :class:`Change` carries the :class:`Transition` it belongs to, so each consumer
  (the engine host's crossfade, the Scope channel's prompt ``transition``, the LoRA
  rider) times itself from the change instead of from side-channel parameters;
* a manual write to a ramping parameter cancels that ramp only (a touch wins);
* subscribers receive *coalesced* change sets: many writes in one loop iteration
  become one notification holding the latest value and source per name;
* the engine thread reads :attr:`ParamStore.snapshot`, an immutable mapping swapped by
  reference on every write, so it never sees a half-applied bundle.

The store is mutated only on the event loop's thread. Which parameters exist is
:mod:`perform.registry`; the actions next to them are :mod:`perform.actions`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from perform import curves
from perform.actions import ActionRegistry
from perform.errors import ParamError, did_you_mean
from perform.events import listen
from perform.logs import throttled

log = logging.getLogger(__name__)

Kind = Literal["continuous", "enum", "trigger", "text"]
TRIGGER_WORDS = frozenset({"", "0", "1", "on", "off", "true", "false", "yes", "no"})
"""Words a trigger (and a button-like action) understands besides numbers."""
SOURCES = frozenset(
    {"midi", "osc", "setlist", "tui", "api", "default", "ramp", "engine", "scope", "clock"}
)


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """What a parameter is: its kind, range, default, unit, slew and documentation."""

    name: str
    kind: Kind = "continuous"
    min: float = 0.0
    max: float = 1.0
    default: Any = 0.0
    unit: str = ""
    smoothing: float = 0.0
    """Slew time in seconds the engine host applies (0 = jump)."""
    doc: str = ""
    choices: tuple[str, ...] = ()
    integer: bool = False
    strict: bool = False
    """Refuse values outside min..max (ParamError naming the range) instead of clamping:
    for parameters where a clamp would silently change the look (LoRA scales)."""

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` to this parameter's type and range; ParamError if impossible.

        Out-of-range numbers are clamped, but a value that is no number at all (NaN,
        ±Inf, a word, nothing, bytes) is *refused* with a :class:`ParamError` for every
        kind: a peer sending garbage must never move a parameter (to the bottom of its
        range, say) nor raise anything else into the writer.
        """
        if self.kind == "continuous":
            return self._number(value)
        if self.kind == "enum":
            if isinstance(value, str):
                if value in self.choices:
                    return value
                raise ParamError(
                    f"{self.name}: '{value}' is not one of: {', '.join(self.choices)}"
                    + did_you_mean(value, self.choices)
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and self.choices:
                index = int(min(len(self.choices) - 1, max(0, round(self._finite(value)))))
                return self.choices[index]
            raise ParamError(
                f"{self.name}: expected one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.kind == "text":
            if value is None:
                return ""
            if isinstance(value, bytes):
                raise ParamError(f"{self.name}: expected text, got bytes")
            if isinstance(value, float):
                self._finite(value)
            return str(value)
        # trigger: the store turns any write into a new pulse; garbage is still refused.
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return self._finite(value)
        if isinstance(value, str) and value.strip().lower() in TRIGGER_WORDS:
            return value
        raise ParamError(f"{self.name}: expected a trigger (a number or on/off), got {value!r}")

    def _number(self, value: Any) -> float:
        if isinstance(value, bytes) or value is None:
            raise ParamError(f"{self.name}: expected a number, got {_shown(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParamError(f"{self.name}: expected a number, got {value!r}") from None
        number = self._finite(number)
        if self.strict and not self.min <= number <= self.max:
            raise ParamError(f"{self.name}: {number:g} is outside {self.min:g}..{self.max:g}")
        number = min(self.max, max(self.min, number))
        return float(round(number)) if self.integer else number

    def _finite(self, value: float) -> float:
        number = float(value)
        if math.isnan(number):
            raise ParamError(f"{self.name}: NaN is not a value")
        if math.isinf(number):
            raise ParamError(f"{self.name}: {number} is not a value (infinite)")
        return number

    def normalized(self, value: Any) -> float:
        """The value as 0..1 (for faders, LEDs, meters, OSC feedback)."""
        if self.kind == "continuous":
            span = self.max - self.min
            return 0.0 if span == 0 else (float(value) - self.min) / span
        if self.kind == "enum" and len(self.choices) > 1:
            return self.choices.index(value) / (len(self.choices) - 1)
        return 0.0

    def _number_like(self, x: Any) -> float:
        if isinstance(x, bytes | str) or x is None:
            raise ParamError(f"{self.name}: expected a number 0..1, got {_shown(x)}")
        try:
            return self._finite(x)
        except (TypeError, ValueError):
            raise ParamError(f"{self.name}: expected a number 0..1, got {x!r}") from None

    def denormalize(self, x: float) -> Any:
        """The value at 0..1 position ``x`` (inverse of :meth:`normalized`)."""
        x = min(1.0, max(0.0, self._number_like(x)))
        if self.kind == "continuous":
            return self.coerce(self.min + x * (self.max - self.min))
        if self.kind == "enum" and self.choices:
            return self.choices[round(x * (len(self.choices) - 1))]
        return self.default


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (nil)"
    if isinstance(value, bytes):
        return f"{len(value)} bytes (a blob)"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Transition:
    """The timing of one store transition, carried by every change it makes.

    ``start`` is on the store's clock. A plain :meth:`ParamStore.apply` carries none:
    consumers then use their own default (e.g. the engine's crossfade).
    """

    seconds: float
    curve: str = "linear"
    start: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True, slots=True)
class Change:
    """The latest write to one parameter within a coalesced change set."""

    name: str
    value: Any
    source: str
    transition: Transition | None = None
    """The transition this write belongs to (None: a plain write)."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """What a write to an expanded parameter also writes (see :meth:`ParamStore.set_expander`)."""

    values: Mapping[str, Any]
    snap: frozenset[str] = frozenset()
    """Names that are set at once even inside a transition (e.g. a new engine's rules)."""


Expander = Callable[[Any, Any], Expansion]
"""``(new value, current value) -> Expansion``."""

Limit = Callable[[Any, Mapping[str, Any]], tuple[Any, str]]
"""``(value written, every value once the write is done) -> (value kept, why)``: a bound
one parameter's range cannot say because it depends on another (a floor under its
ceiling). ``why`` names the other parameter when the value was changed."""


@dataclass(frozen=True, slots=True)
class Snapshot(Mapping[str, Any]):
    """An immutable view of every value at one version (what the engine thread reads)."""

    version: int
    data: Mapping[str, Any]
    timed: frozenset[str] = frozenset()
    """Names whose latest write belongs to a transition with a duration: the store
    glides them (or set them at their moment), so the engine does not smooth them again."""
    transitions: Mapping[str, Transition] = field(default_factory=dict)
    """The transition of each name's latest write, when it had one."""

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class Ramp:
    name: str
    start: float
    end: float
    t0: float
    seconds: float
    curve: str
    source: str
    transition: Transition

    def value_at(self, now: float) -> tuple[float, bool]:
        if self.seconds <= 0:
            return self.end, True
        p = (now - self.t0) / self.seconds
        if p >= 1.0:
            return self.end, True
        return self.start + (self.end - self.start) * curves.shape(self.curve, p), False


ChangeSet = Mapping[str, Change]
Subscriber = Callable[[ChangeSet], None]


@dataclass
class _Meta:
    source: str = "default"
    at: float = 0.0


class ParamStore:
    """Holds every parameter value; the single point where writes are arbitrated."""

    def __init__(
        self,
        specs: Iterable[ParamSpec] = (),
        *,
        clock: Callable[[], float] | None = None,
        ramp_interval: float = 1 / 120,
    ) -> None:
        self._specs: dict[str, ParamSpec] = {}
        self._values: dict[str, Any] = {}
        self._meta: dict[str, _Meta] = {}
        self._ramps: dict[str, Ramp] = {}
        self._pending: dict[str, Change] = {}
        self._subscribers: list[Subscriber] = []
        self._expanders: dict[str, Expander] = {}
        self._limits: dict[str, Limit] = {}
        self._transitions: dict[str, Transition] = {}
        self._clock = clock
        self._ramp_interval = ramp_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_scheduled = False
        self._ramp_handle: asyncio.TimerHandle | None = None
        self._version = 0
        self.subscriber_errors = 0
        self.actions = ActionRegistry()
        self.register_many(specs)
        self._snapshot = Snapshot(0, MappingProxyType(dict(self._values)))

    # --- registry -------------------------------------------------------------------
    def register(self, spec: ParamSpec, *, replace: bool = False) -> None:
        """Add a parameter (at start-up, or when e.g. Scope reports a new LoRA)."""
        if spec.name in self._specs and not replace:
            raise ValueError(f"parameter {spec.name} is already registered")
        self._specs[spec.name] = spec
        self._values[spec.name] = 0 if spec.kind == "trigger" else spec.coerce(spec.default)
        self._meta[spec.name] = _Meta("default", self.now())
        self._publish()  # not a write: subscribers see the new name with its first change

    def register_many(self, specs: Iterable[ParamSpec]) -> None:
        for spec in specs:
            self.register(spec)

    @property
    def specs(self) -> Mapping[str, ParamSpec]:
        return MappingProxyType(self._specs)

    def spec(self, name: str) -> ParamSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ParamError(
                f"unknown parameter '{name}'{did_you_mean(name, self._specs)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def names(self, group: str | None = None) -> list[str]:
        return [n for n, s in self._specs.items() if group is None or s.group == group]

    # --- reading ----------------------------------------------------------------------
    def get(self, name: str) -> Any:
        if name not in self._values:
            self.spec(name)  # raises with a suggestion
        return self._values[name]

    def last_source(self, name: str) -> str:
        self.spec(name)
        return self._meta[name].source

    @property
    def snapshot(self) -> Snapshot:
        """Immutable, replaced (never mutated) on every write: safe to read from any thread."""
        return self._snapshot

    @property
    def version(self) -> int:
        return self._version

    def now(self) -> float:
        if self._clock is not None:
            return self._clock()
        if self._loop is not None:
            return self._loop.time()
        return time.monotonic()

    # --- writing ----------------------------------------------------------------------
    def apply(self, name: str, value: Any, source: str) -> Any:
        """Write one value (coerced and clamped); cancels a ramp on that parameter."""
        return self.apply_many({name: value}, source)[name]

    def apply_many(self, values: Mapping[str, Any], source: str) -> dict[str, Any]:
        """Write several values atomically, at once: a transition with no timing.

        All are validated before any is applied, and expanded like any transition (a
        preset written here means what it means in a scene).
        """
        coerced, _ = self._prepare(values, source, "linear")
        return self._write(coerced, frozenset(), source, None)

    def transition(
        self,
        targets: Mapping[str, Any],
        seconds: float,
        curve: str = "linear",
        source: str = "api",
        *,
        snap: Iterable[str] = (),
    ) -> Transition:
        """Move ``targets`` over ``seconds`` with ``curve``: the one way the show moves.

        Continuous parameters glide on the store's clock; enums, text, triggers and the
        ``snap`` names are set at once. Writes to expanded parameters (``engine.preset``)
        are expanded first; names given in ``targets`` win over the expansion. Every
        change made (now and by the ramps) carries the returned :class:`Transition`. A
        duration in beats or bars is the caller's to resolve, once, with the tempo clock
        (:func:`perform.setlist.seconds`). A later :meth:`apply` to one of the names
        cancels that name's glide only.
        """
        coerced, snaps = self._prepare(targets, source, curve)
        timing = Transition(max(0.0, float(seconds)), curve, self.now())
        self._write(coerced, snaps | frozenset(snap), source, timing)
        return timing

    def _prepare(
        self, values: Mapping[str, Any], source: str, curve: str
    ) -> tuple[dict[str, Any], frozenset[str]]:
        """Validate and expand: (coerced values, names an expansion says must snap)."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        if curve not in curves.CURVES:
            raise ParamError(f"unknown curve '{curve}'{did_you_mean(curve, curves.CURVES)}")
        coerced = {name: self.spec(name).coerce(value) for name, value in values.items()}
        snaps: set[str] = set()
        for name in [n for n in coerced if n in self._expanders]:
            expansion = self._expanders[name](coerced[name], self._values[name])
            for extra, value in expansion.values.items():
                if extra not in values and extra in self._specs:
                    coerced[extra] = self._specs[extra].coerce(value)
            snaps |= expansion.snap
        self._limit(coerced)
        return coerced, frozenset(snaps)

    def _limit(self, coerced: dict[str, Any]) -> None:
        """Hold written values inside the limits other parameters set (logged, never
        silent: the value kept is what the writer gets back)."""
        limited = [n for n in coerced if n in self._limits]
        if not limited:
            return
        after = {**self._values, **{n: r.end for n, r in self._ramps.items()}, **coerced}
        for name in limited:
            kept, why = self._limits[name](coerced[name], after)
            if kept != coerced[name]:
                throttled(
                    log, f"limit:{name}", "%s: %g held at %g (%s)", name, coerced[name], kept, why
                )
                coerced[name] = after[name] = kept

    def _write(
        self,
        coerced: dict[str, Any],
        snaps: frozenset[str],
        source: str,
        timing: Transition | None,
    ) -> dict[str, Any]:
        now = self.now()
        glide = timing is not None and timing.seconds > 0
        for name, value in coerced.items():
            self._ramps.pop(name, None)
            if glide and self._specs[name].kind == "continuous" and name not in snaps:
                assert timing is not None
                self._ramps[name] = Ramp(
                    name, float(self._values[name]), value, now, timing.seconds,
                    timing.curve, source, timing,
                )  # fmt: skip
                self._transitions[name] = timing
                continue
            coerced[name] = self._set(name, value, source, now, timing)
        self._publish()
        self._schedule_ramps()
        return coerced

    def _set(
        self, name: str, value: Any, source: str, now: float, timing: Transition | None = None
    ) -> Any:
        if self._specs[name].kind == "trigger":
            value = self._values[name] + 1
        self._values[name] = value
        meta = self._meta[name]
        meta.source, meta.at = source, now
        if timing is None:
            self._transitions.pop(name, None)
        else:
            self._transitions[name] = timing
        self._pending[name] = Change(name, value, source, timing)
        return value

    def set_expander(self, name: str, expander: Expander) -> None:
        """Make every write to ``name`` also write what ``expander`` returns (see
        :meth:`transition`); there is one expander per name, so one meaning."""
        self.spec(name)
        self._expanders[name] = expander

    def set_limit(self, name: str, limit: Limit) -> None:
        """Keep every write to ``name`` inside what ``limit`` allows given the other values
        (see :data:`Limit`); applied after expansions, before anything is written."""
        self.spec(name)
        self._limits[name] = limit

    def ramping(self, name: str) -> bool:
        return name in self._ramps

    def ramp_target(self, name: str) -> Any:
        ramp = self._ramps.get(name)
        return None if ramp is None else ramp.end

    def advance(self, now: float | None = None) -> None:
        """Move every running ramp to time ``now`` (the loop's clock by default)."""
        if not self._ramps:
            return
        now = self.now() if now is None else now
        for name, ramp in list(self._ramps.items()):
            value, done = ramp.value_at(now)
            self._set(name, self._specs[name].coerce(value), ramp.source, now, ramp.transition)
            if done:
                del self._ramps[name]
        self._publish()

    # --- change notification ------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive coalesced change sets; returns a function that unsubscribes."""
        return listen(self._subscribers, callback)

    def flush(self) -> None:
        """Deliver pending changes now (the loop does this once per iteration)."""
        self._flush_scheduled = False
        if not self._pending:
            return
        changes = MappingProxyType(self._pending)
        self._pending = {}
        for callback in list(self._subscribers):
            try:
                callback(changes)
            except Exception:
                # A broken listener must never stop the writer (a fader, a cue).
                self.subscriber_errors += 1
                throttled(
                    log,
                    "subscriber_failed",
                    "parameter subscriber %r failed",
                    callback,
                    exc_info=True,
                )

    def _publish(self) -> None:
        self._version += 1
        self._snapshot = Snapshot(
            self._version,
            MappingProxyType(dict(self._values)),
            frozenset(n for n, t in self._transitions.items() if t.seconds > 0),
            MappingProxyType(dict(self._transitions)),
        )
        if not self._pending:
            return
        if self._loop is None:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)

    # --- the loop -----------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Coalesce notifications per loop iteration and run ramps on this loop."""
        self._loop = loop
        self._schedule_ramps()

    def detach(self) -> None:
        if self._ramp_handle is not None:
            self._ramp_handle.cancel()
            self._ramp_handle = None
        self.flush()
        self._loop = None

    def _schedule_ramps(self) -> None:
        if self._loop is None or self._ramp_handle is not None or not self._ramps:
            return
        self._ramp_handle = self._loop.call_later(self._ramp_interval, self._ramp_tick)

    def _ramp_tick(self) -> None:
        self._ramp_handle = None
        self.advance()
        self._schedule_ramps()
