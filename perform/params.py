"""The one writable parameter state: specs, the store, ramps, snapshots, actions.

Every controllable value lives in :class:`ParamStore` under a dotted name
(``gray_scott.feed``, ``color.hue``, ``prompt.mix``, ``lora.<name>.scale``) with a
:class:`ParamSpec` that says how to clamp and coerce it. All writers (MIDI, OSC, the
setlist runner, the TUI, the API) go through :meth:`ParamStore.apply` with their
``source``; the store owns the arbitration policy:

* values are coerced and clamped to the spec, never rejected for being out of range;
* a manual write to a ramping parameter cancels that ramp only (a touch wins);
* subscribers receive *coalesced* change sets: many writes in one loop iteration
  become one notification holding the latest value and source per name;
* the engine thread reads :attr:`ParamStore.snapshot`, an immutable mapping swapped by
  reference on every write, so it never sees a half-applied bundle.

The store is mutated only on the event loop's thread.
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
from perform.errors import ParamError, did_you_mean

log = logging.getLogger(__name__)

Kind = Literal["continuous", "enum", "trigger", "text"]
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
    structural: bool = False
    """Changing it rebuilds engine structures (between steps, never mid-frame)."""
    doc: str = ""
    choices: tuple[str, ...] = ()
    integer: bool = False

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def coerce(self, value: Any) -> Any:
        """Convert ``value`` to this parameter's type and range; ParamError if impossible."""
        if self.kind == "continuous":
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ParamError(f"{self.name}: expected a number, got {value!r}") from None
            if value is None:
                raise ParamError(f"{self.name}: expected a number, got nothing")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ParamError(f"{self.name}: expected a number, got {value!r}") from None
            if math.isnan(number):
                raise ParamError(f"{self.name}: NaN is not a value")
            number = min(self.max, max(self.min, number))
            return float(round(number)) if self.integer else number
        if self.kind == "enum":
            if isinstance(value, str):
                if value in self.choices:
                    return value
                raise ParamError(
                    f"{self.name}: '{value}' is not one of: {', '.join(self.choices)}"
                    + did_you_mean(value, self.choices)
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and self.choices:
                index = int(min(len(self.choices) - 1, max(0, round(float(value)))))
                return self.choices[index]
            raise ParamError(
                f"{self.name}: expected one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.kind == "text":
            if value is None:
                return ""
            return str(value)
        return value  # trigger: the store turns any write into a new pulse

    def normalized(self, value: Any) -> float:
        """The value as 0..1 (for faders, LEDs, meters, OSC feedback)."""
        if self.kind == "continuous":
            span = self.max - self.min
            return 0.0 if span == 0 else (float(value) - self.min) / span
        if self.kind == "enum" and len(self.choices) > 1:
            return self.choices.index(value) / (len(self.choices) - 1)
        return 0.0

    def denormalize(self, x: float) -> Any:
        """The value at 0..1 position ``x`` (inverse of :meth:`normalized`)."""
        x = min(1.0, max(0.0, float(x)))
        if self.kind == "continuous":
            return self.coerce(self.min + x * (self.max - self.min))
        if self.kind == "enum" and self.choices:
            return self.choices[round(x * (len(self.choices) - 1))]
        return self.default


@dataclass(frozen=True, slots=True)
class Change:
    """The latest write to one parameter within a coalesced change set."""

    name: str
    value: Any
    source: str


@dataclass(frozen=True, slots=True)
class Snapshot(Mapping[str, Any]):
    """An immutable view of every value at one version (what the engine thread reads)."""

    version: int
    data: Mapping[str, Any]

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
        self._expanders: dict[str, Callable[[Any], Mapping[str, Any]]] = {}
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

    def unregister(self, name: str) -> None:
        self._specs.pop(name, None)
        self._values.pop(name, None)
        self._meta.pop(name, None)
        self._ramps.pop(name, None)
        self._publish()

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

    def changed_at(self, name: str) -> float:
        self.spec(name)
        return self._meta[name].at

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

    def apply_many(
        self, values: Mapping[str, Any], source: str, *, expand: bool = True
    ) -> dict[str, Any]:
        """Write several values atomically: all are validated before any is applied.

        With ``expand`` (the default), a write to a parameter that has an expander (such
        as ``engine.preset``) also writes what the expander returns for the new value,
        except names given explicitly in ``values``, which win.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        coerced: dict[str, Any] = {}
        for name, value in values.items():
            coerced[name] = self.spec(name).coerce(value)
        if expand:
            for name in [n for n in coerced if n in self._expanders]:
                for extra, value in self._expanders[name](coerced[name]).items():
                    if extra not in values and extra in self._specs:
                        coerced[extra] = self._specs[extra].coerce(value)
        now = self.now()
        for name, value in coerced.items():
            self._ramps.pop(name, None)
            coerced[name] = self._set(name, value, source, now)
        self._publish()
        return coerced

    def _set(self, name: str, value: Any, source: str, now: float) -> Any:
        if self._specs[name].kind == "trigger":
            value = self._values[name] + 1
        self._values[name] = value
        meta = self._meta[name]
        meta.source, meta.at = source, now
        self._pending[name] = Change(name, value, source)
        return value

    def set_expander(self, name: str, expander: Callable[[Any], Mapping[str, Any]]) -> None:
        """Make writes to ``name`` also write ``expander(value)`` (see :meth:`apply_many`)."""
        self.spec(name)
        self._expanders[name] = expander

    def ramp_to(
        self, name: str, value: Any, seconds: float, curve: str = "linear", source: str = "setlist"
    ) -> None:
        """Glide a continuous parameter to ``value`` over ``seconds`` on the loop's clock.

        Non-continuous parameters (enums, text, triggers) snap at once. A later
        :meth:`apply` to the same name cancels the ramp; other ramps carry on.
        """
        spec = self.spec(name)
        if curve not in curves.CURVES:
            raise ParamError(f"unknown curve '{curve}'{did_you_mean(curve, curves.CURVES)}")
        target = spec.coerce(value)
        if spec.kind != "continuous" or seconds <= 0:
            self.apply(name, target, source)
            return
        self._ramps[name] = Ramp(
            name, float(self._values[name]), target, self.now(), seconds, curve, source
        )
        self._schedule_ramps()

    def ramping(self, name: str) -> bool:
        return name in self._ramps

    def ramp_target(self, name: str) -> Any:
        ramp = self._ramps.get(name)
        return None if ramp is None else ramp.end

    def cancel_ramp(self, name: str) -> None:
        self._ramps.pop(name, None)

    def advance(self, now: float | None = None) -> None:
        """Move every running ramp to time ``now`` (the loop's clock by default)."""
        if not self._ramps:
            return
        now = self.now() if now is None else now
        for name, ramp in list(self._ramps.items()):
            value, done = ramp.value_at(now)
            self._set(name, self._specs[name].coerce(value), ramp.source, now)
            if done:
                del self._ramps[name]
        self._publish()

    # --- change notification ------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive coalesced change sets; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

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
                log.exception("parameter subscriber %r failed", callback)

    def _publish(self) -> None:
        self._version += 1
        self._snapshot = Snapshot(self._version, MappingProxyType(dict(self._values)))
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


# --- actions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    doc: str
    takes_arg: bool = False


ActionHandler = Callable[[Any, str], Any]


@dataclass
class ActionRegistry:
    """Named actions (``cue.go``, ``panic``, ``reseed``...) that mappings and keys invoke.

    Actions are *declared* up front so mapping files can be validated against them, and
    *bound* by whichever part implements them. Invoking an unbound action, or one whose
    handler fails, is counted and logged, never raised into the input path.
    """

    _specs: dict[str, ActionSpec] = field(default_factory=dict)
    _handlers: dict[str, list[ActionHandler]] = field(default_factory=dict)
    unbound_calls: int = 0
    failures: int = 0
    on_error: Callable[[str, BaseException], None] | None = None

    def define(self, name: str, doc: str, takes_arg: bool = False) -> None:
        self._specs.setdefault(name, ActionSpec(name, doc, takes_arg))

    def spec(self, name: str) -> ActionSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ParamError(
                f"unknown action '{name}'{did_you_mean(name, self._specs)}", title="Unknown action"
            ) from None

    def names(self) -> list[str]:
        return list(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def bind(self, name: str, handler: ActionHandler) -> Callable[[], None]:
        self.spec(name)
        self._handlers.setdefault(name, []).append(handler)

        def unbind() -> None:
            handlers = self._handlers.get(name, [])
            if handler in handlers:
                handlers.remove(handler)

        return unbind

    def bound(self, name: str) -> bool:
        return bool(self._handlers.get(name))

    def invoke(self, name: str, arg: Any = None, source: str = "api") -> bool:
        """Run an action's handlers; False if it is unknown, unbound or failed."""
        handlers = self._handlers.get(name)
        if name not in self._specs or not handlers:
            self.unbound_calls += 1
            log.warning("action %s is not available (nothing is bound to it)", name)
            return False
        ok = True
        for handler in list(handlers):
            try:
                handler(arg, source)
            except Exception as exc:
                ok = False
                self.failures += 1
                log.exception("action %s failed", name)
                if self.on_error is not None:
                    self.on_error(name, exc)
        return ok


CORE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("cue.go", "Take the next scene (GO)."),
    ActionSpec("cue.back", "Go back to the previous scene."),
    ActionSpec("cue.goto", "Jump to a scene by number or name.", takes_arg=True),
    ActionSpec(
        "cue.arm", "Put a scene (number or name) on standby for the next GO.", takes_arg=True
    ),
    ActionSpec("panic", "Fade to a safe state; a second panic cuts at once."),
    ActionSpec("freeze", "Freeze the organism (toggle)."),
    ActionSpec("blackout", "Cut the output to black (toggle)."),
    ActionSpec("tap", "Tap tempo."),
    ActionSpec("reseed", "Re-seed the organism."),
    ActionSpec(
        "learn", "MIDI learn: the next moved control binds to the armed target.", takes_arg=True
    ),
    ActionSpec("scope.pause", "Freeze Scope's output (toggle; arg on/off)."),
    ActionSpec("scope.cut", "Hard cut: Scope resets its cache (a fresh picture)."),
    ActionSpec(
        "scope.mode",
        "Switch Scope between video and text input (toggle; arg text/video).",
        takes_arg=True,
    ),
    ActionSpec("scope.reconnect", "Restart the stream to Scope now."),
)


def core_params(presets: Iterable[str], default_preset: str) -> list[ParamSpec]:
    """Parameters that belong to the app rather than to one engine."""
    keys = tuple(presets)
    return [
        ParamSpec(
            "engine.preset", "enum", default=default_preset, choices=keys, doc="Organism preset."
        ),
        ParamSpec(
            "engine.speed",
            min=0.0,
            max=4.0,
            default=1.0,
            unit="x",
            smoothing=0.3,
            doc="Simulation speed (steps per second times this).",
        ),
        ParamSpec("engine.reseed", "trigger", doc="Re-seed the organism."),
        ParamSpec(
            "engine.freeze",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Hold the simulation (the last frame keeps streaming).",
        ),
        ParamSpec(
            "master.fade",
            min=0.0,
            max=1.0,
            default=1.0,
            smoothing=0.05,
            doc="Output level: 0 is black (blackout, panic fade).",
        ),
        ParamSpec("prompt.a", "text", default="", doc="Prompt set A (sent to Scope)."),
        ParamSpec(
            "prompt.b", "text", default="", doc="Prompt set B (crossfaded with A by prompt.mix)."
        ),
        ParamSpec(
            "prompt.mix", min=0.0, max=1.0, default=0.0, doc="Crossfade from prompt A (0) to B (1)."
        ),
        ParamSpec(
            "prompt.transition",
            min=0.0,
            max=120.0,
            default=2.0,
            unit="s",
            doc="How long Scope takes to blend into a new prompt.",
        ),
        ParamSpec(
            "tempo.bpm",
            min=20.0,
            max=300.0,
            default=120.0,
            unit=" bpm",
            doc="Tempo of the show clock (followed by tap, MIDI clock or Link when they lead).",
        ),
        ParamSpec(
            "engine.crossfade",
            min=0.0,
            max=60.0,
            default=2.0,
            unit="s",
            doc="How long a switch to another engine's preset crossfades the two organisms.",
        ),
        ParamSpec(
            "scope.input_mode",
            "enum",
            default="video",
            choices=("video", "text"),
            doc="Scope input: the organism as video, or prompts only (text).",
        ),
        ParamSpec(
            "scope.noise_scale",
            min=0.0,
            max=1.0,
            default=0.7,
            doc="How much Scope re-imagines the input video (video mode).",
        ),
        ParamSpec(
            "scope.noise_controller",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Scope's motion-adaptive noise (overrides scope.noise_scale; its jumps cut).",
        ),
        ParamSpec(
            "scope.paused",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Freeze Scope's output (the last picture holds; generation stops).",
        ),
    ]


def lora_param_name(stem: str) -> str:
    """``lora.<name>.scale`` for a LoRA file stem: lower case, non-alphanumerics -> ``_``."""
    name = "".join(c if c.isalnum() else "_" for c in stem.lower()).strip("_") or "lora"
    return f"lora.{name}.scale"


def lora_spec(param_name: str, default: float = 1.0, doc: str = "") -> ParamSpec:
    """The spec every part uses for a LoRA scale (register it once, if absent)."""
    return ParamSpec(
        param_name,
        min=-2.0,
        max=2.0,
        default=default,
        doc=doc or "LoRA scale (only for adapters Scope loaded with runtime_peft).",
    )


def engine_specs(decls: Iterable[Any]) -> list[ParamSpec]:
    """Turn the engines' plain-data declarations into ParamSpecs."""
    specs: list[ParamSpec] = []
    for d in decls:
        specs.append(
            ParamSpec(
                name=d.name,
                kind=d.kind,
                min=float(d.min),
                max=float(d.max),
                default=d.default,
                unit=d.unit,
                smoothing=float(d.slew),
                structural=d.role == "structural",
                doc=d.doc,
                choices=tuple(d.choices),
                integer=bool(getattr(d, "integer", False)),
            )
        )
    return specs


def build_store(
    presets: Iterable[str],
    default_preset: str,
    engine_decls: Iterable[Any],
    *,
    clock: Callable[[], float] | None = None,
) -> ParamStore:
    """A store with the core parameters, every engine parameter and the core actions."""
    store = ParamStore(
        [*core_params(presets, default_preset), *engine_specs(engine_decls)], clock=clock
    )
    for action in CORE_ACTIONS:
        store.actions.define(action.name, action.doc, action.takes_arg)
    return store
