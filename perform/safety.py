"""Panic, blackout and freeze when no show is loaded.

With a show, the setlist runner owns these actions (a panic also stops the show's
automatic continues). Without one they used to do nothing — a performer jamming on a
controller had no way to take the picture down. This component gives them the same
meaning on the parameters alone: panic fades the master and every LoRA out (a second
panic cuts at once), blackout toggles the master to black and back, freeze toggles the
organism (a name for ``engine.freeze``, bound by the store itself, so it works with or
without a show). Only built when there is no show (see :mod:`perform.build`); the setlist
runner's sequencer takes the same moves from here (:func:`fade_out`, :func:`cut_out`,
:class:`Blackout`), so panic and blackout mean one thing with a show or without.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from perform.events import undo_all
from perform.params import SOURCES, ParamStore

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

PANIC_FADE = 2.0
"""Seconds a first panic takes to fade to black (a show's ``panic_fade`` default)."""


def fade_out(store: ParamStore, seconds: float, source: str) -> None:
    """A first panic: the master (s-curve) and every LoRA (linear) fade to 0."""
    store.transition({"master.fade": 0.0}, seconds, "s-curve", source)
    if loras := store.names("lora"):
        store.transition(dict.fromkeys(loras, 0.0), seconds, "linear", source)
    log.warning("panic: fading to black over %.1f s", seconds)


def cut_out(store: ParamStore, source: str) -> None:
    """A second panic: the master and every LoRA to 0 at once."""
    store.apply_many({"master.fade": 0.0, **dict.fromkeys(store.names("lora"), 0.0)}, source)
    log.warning("second panic: hard cut to black")


class Blackout:
    """The blackout toggle: cut the master to black, then back to the level it had."""

    def __init__(self) -> None:
        self.level: float | None = None
        """The master's level before the blackout (None: not blacked out)."""

    def toggle(self, store: ParamStore, source: str) -> None:
        if self.level is None:
            self.level = float(store.get("master.fade"))
            store.apply("master.fade", 0.0, source)
        else:
            store.apply("master.fade", self.level or 1.0, source)
            self.level = None


class SafetyActions:
    name = "safety"

    def __init__(self, panic_fade: float = PANIC_FADE) -> None:
        self.panic_fade = panic_fade
        self.session: Session | None = None
        self._unbind: list[Any] = []
        self._panicked = False
        self._blackout = Blackout()

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
        if self._panicked and (
            store.ramping("master.fade") or float(store.get("master.fade")) == 0.0
        ):
            cut_out(store, _source(source))
            return
        self._panicked = True
        fade_out(store, self.panic_fade, _source(source))
        session.notify("panic: fading to black (again: cut)", title="Panic")

    def blackout(self, arg: object, source: str) -> None:
        assert self.session is not None, "bound only while started"
        self._blackout.toggle(self.session.store, _source(source))
        self._panicked = False


def _source(source: str) -> str:
    return source if source in SOURCES else "api"
