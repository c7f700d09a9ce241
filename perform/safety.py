"""Panic, blackout and freeze when no show is loaded.

With a show, the setlist runner owns these actions (a panic also stops the show's
automatic continues). Without one they used to do nothing — a performer jamming on a
controller had no way to take the picture down. This component gives them the same
meaning on the parameters alone: panic fades the master and every LoRA out (a second
panic cuts at once), blackout toggles the master to black and back, freeze toggles the
organism (a name for ``engine.freeze``, bound by the store itself, so it works with or
without a show). Only built when there is no show (see :mod:`perform.build`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from perform.events import undo_all
from perform.params import SOURCES

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

PANIC_FADE = 2.0
"""Seconds a first panic takes to fade to black (a show's ``panic_fade`` default)."""


class SafetyActions:
    name = "safety"

    def __init__(self, panic_fade: float = PANIC_FADE) -> None:
        self.panic_fade = panic_fade
        self.session: Session | None = None
        self._unbind: list[Any] = []
        self._panicked = False
        self._blackout_level: float | None = None

    async def start(self, session: Session) -> None:
        self.session = session
        actions = session.store.actions
        self._unbind = [
            actions.bind("panic", self.panic),
            actions.bind("blackout", self.blackout),
        ]  # freeze is a name for toggling engine.freeze, bound by the store itself

    async def stop(self) -> None:
        undo_all(self._unbind)

    def panic(self, arg: object, source: str) -> None:
        session = self.session
        assert session is not None, "bound only while started"
        store = session.store
        who = _source(source)
        loras = store.names("lora")
        if self._panicked and (
            store.ramping("master.fade") or float(store.get("master.fade")) == 0.0
        ):
            store.apply_many({"master.fade": 0.0, **dict.fromkeys(loras, 0.0)}, who)
            log.warning("second panic: hard cut to black")
            return
        self._panicked = True
        store.transition({"master.fade": 0.0}, self.panic_fade, "s-curve", who)
        if loras:
            store.transition(dict.fromkeys(loras, 0.0), self.panic_fade, "linear", who)
        log.warning("panic: fading to black over %.1f s", self.panic_fade)
        session.notify("panic: fading to black (again: cut)", title="Panic")

    def blackout(self, arg: object, source: str) -> None:
        assert self.session is not None, "bound only while started"
        store = self.session.store
        if self._blackout_level is None:
            self._blackout_level = float(store.get("master.fade"))
            store.apply("master.fade", 0.0, _source(source))
        else:
            store.apply("master.fade", self._blackout_level or 1.0, _source(source))
            self._blackout_level = None
        self._panicked = False


def _source(source: str) -> str:
    return source if source in SOURCES else "api"
