"""The Scope link's actions (``scope.pause``, ``scope.cut``, ``scope.mode``,
``scope.reconnect``): what mappings, keys and cues invoke. Toggles take an optional
argument (``on``/``off``, ``text``/``video``) so a cue can set a state, not only flip it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perform.params import ParamStore
    from perform.stream.link import ScopeLink

ON = (True, 1, "1", "on", "true")


def toggle(store: ParamStore, name: str, arg: Any, values: tuple[str, str]) -> str:
    """``arg`` when it names one of ``values`` (or is on/off-like), else the other value."""
    if arg in values:
        return str(arg)
    if arg is not None and values == ("off", "on"):
        return "on" if arg in ON else "off"
    return values[1] if store.get(name) == values[0] else values[0]


def bind_actions(link: ScopeLink, store: ParamStore) -> list[Callable[[], None]]:
    def pause(arg: Any, source: str) -> None:
        store.apply("scope.paused", toggle(store, "scope.paused", arg, ("off", "on")), source)

    def cut(arg: Any, source: str) -> None:
        if link.planner is not None and link.pump is not None:
            link.planner.cut(time.monotonic())
            link.pump.wake()

    def mode(arg: Any, source: str) -> None:
        value = toggle(store, "scope.input_mode", arg, ("video", "text"))
        store.apply("scope.input_mode", value, source)

    def reconnect(arg: Any, source: str) -> None:
        link.restart("reconnect requested")

    return [
        store.actions.bind("scope.pause", pause),
        store.actions.bind("scope.cut", cut),
        store.actions.bind("scope.mode", mode),
        store.actions.bind("scope.reconnect", reconnect),
    ]
