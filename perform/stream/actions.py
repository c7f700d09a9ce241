"""The Scope link's own actions (``scope.cut``, ``scope.reconnect``): what mappings, keys
and cues invoke. ``scope.pause`` and ``scope.mode`` only write ``scope.paused`` and
``scope.input_mode``: they are bound with the store (:func:`perform.actions.bind_param_actions`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perform.params import ParamStore
    from perform.stream.link import ScopeLink


def bind_actions(link: ScopeLink, store: ParamStore) -> list[Callable[[], None]]:
    def cut(arg: Any, source: str) -> None:
        if link.planner is not None and link.pump is not None:
            link.planner.cut(time.monotonic())
            link.pump.wake()

    def reconnect(arg: Any, source: str) -> None:
        link.restart("reconnect requested")

    return [
        store.actions.bind("scope.cut", cut),
        store.actions.bind("scope.reconnect", reconnect),
    ]
