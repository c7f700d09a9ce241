"""Named actions (``cue.go``, ``panic``, ``reseed``...) that mappings, keys and OSC invoke.

Declared up front so mapping files can be checked against them, bound later by whichever
part implements them (the setlist runner binds the cues, the tempo clock ``tap``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perform.errors import ParamError, did_you_mean
from perform.events import listen
from perform.logs import throttled

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    doc: str
    takes_arg: bool = False
    level: bool = False
    """A state, not a trigger: ``off``/``0`` sets it off (it is not a button's release);
    without an argument the action toggles."""
    param: str | None = None
    """Set when the action only writes this parameter (a trigger's pulse, or a toggle of
    a two-choice enum): it is then a name for that write, bound once by the store
    (:func:`bind_param_actions`), never implemented a second time elsewhere."""


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

    def define(self, spec: ActionSpec) -> None:
        """Declare an action (the first declaration of a name stays)."""
        self._specs.setdefault(spec.name, spec)

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
        return listen(self._handlers.setdefault(name, []), handler)

    def bound(self, name: str) -> bool:
        return bool(self._handlers.get(name))

    def invoke(self, name: str, arg: Any = None, source: str = "api") -> bool:
        """Run an action's handlers; False if it is unknown, unbound or failed."""
        handlers = self._handlers.get(name)
        if name not in self._specs or not handlers:
            self.unbound_calls += 1
            throttled(
                log, f"action_unbound:{name}", "action %s is not available (nothing is bound)", name
            )
            return False
        ok = True
        for handler in list(handlers):
            try:
                handler(arg, source)
            except Exception as exc:
                ok = False
                self.failures += 1
                throttled(log, f"action_failed:{name}", "action %s failed", name, exc_info=True)
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
    ActionSpec("freeze", "Freeze the organism (toggle engine.freeze).", param="engine.freeze"),
    ActionSpec("blackout", "Cut the output to black (toggle)."),
    ActionSpec("tap", "Tap tempo."),
    ActionSpec("reseed", "Re-seed the organism (pulse engine.reseed).", param="engine.reseed"),
    ActionSpec(
        "learn", "MIDI learn: the next moved control binds to the armed target.", takes_arg=True
    ),
    ActionSpec(
        "scope.pause",
        "Freeze Scope's output (toggle scope.paused; arg on/off).",
        level=True,
        param="scope.paused",
    ),
    ActionSpec("scope.cut", "Hard cut: Scope resets its cache (a fresh picture)."),
    ActionSpec(
        "scope.mode",
        "Switch Scope between video and text input (toggle scope.input_mode; arg text/video).",
        takes_arg=True,
        param="scope.input_mode",
    ),
    ActionSpec("scope.reconnect", "Restart the stream to Scope now."),
    ActionSpec(
        "window.fullscreen", "Stage window: toggle full-screen (arg on/off).", takes_arg=True
    ),
    ActionSpec(
        "window.display",
        "Stage window: move to the next display (arg: a display number, 1 = first).",
        takes_arg=True,
    ),
)


ON = (True, 1, "1", "on", "true")


def toggle(current: Any, arg: Any, values: tuple[str, str]) -> str:
    """``arg`` when it names one of ``values`` (or is on/off-like), else the other value."""
    if arg in values:
        return str(arg)
    if arg is not None and values == ("off", "on"):
        return "on" if arg in ON else "off"
    return values[1] if current == values[0] else values[0]


def bind_param_actions(store: Any) -> None:
    """Bind every action that only writes a parameter (see :attr:`ActionSpec.param`)."""
    for spec in CORE_ACTIONS:
        if spec.param is None:
            continue
        param = spec.param

        def write(arg: Any, source: str, param: str = param) -> None:
            choices = store.spec(param).choices
            if len(choices) == 2:
                store.apply(param, toggle(store.get(param), arg, (choices[0], choices[1])), source)
            else:
                store.apply(param, 1, source)  # a trigger: one pulse

        store.actions.bind(spec.name, write)
