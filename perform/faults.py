"""Hidden counters made visible: what every input and output refused, dropped or failed.

The inputs count everything that goes wrong without raising (a show must go on): MIDI
messages dropped or malformed, bindings that failed, values the store refused (NaN, a
word, nil), OSC packets refused, actions that failed, Scope data-channel sends that
failed. :func:`fault_counts` gathers them from the session's components for the status
line; :class:`FaultWatch` logs their growth once a second at most — one line with every
kind that grew — and flushes what :data:`perform.logs.THROTTLE` held back, so a flood
shows as a count, never as a line (or a traceback) per packet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from perform.inputs.hub import ControlHub
from perform.inputs.midi import MidiInput
from perform.inputs.osc import OscServer
from perform.logs import THROTTLE
from perform.stream import scope_link

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

LABELS = {
    "midi_dropped": "MIDI dropped",
    "midi_malformed": "MIDI malformed",
    "midi_errors": "MIDI errors",
    "midi_send_errors": "LED sends failed",
    "mapper_errors": "binding errors",
    "refused": "values refused",
    "osc_refused": "OSC refused",
    "actions_failed": "actions failed",
    "pump_send_errors": "Scope sends failed",
}


def fault_counts(session: Session) -> dict[str, int]:
    """Every fault counter of the session's components (missing ones are left out)."""
    counts: dict[str, int] = {}
    midi = session.component(MidiInput)
    if midi is not None:
        counts["midi_dropped"] = midi.stats.dropped
        counts["midi_malformed"] = midi.stats.malformed
        reader = getattr(midi, "_reader", None)
        counts["midi_errors"] = midi.stats.errors + int(getattr(reader, "errors", 0))
        counts["midi_send_errors"] = sum(link.send_errors for link in midi.links.values())
    control = session.component(ControlHub)
    if control is not None:
        counts["mapper_errors"] = control.mapper.stats.errors
        counts["refused"] = control.mapper.stats.refused
    osc = session.component(OscServer)
    if osc is not None:
        counts["osc_refused"] = int(osc.errors)
    counts["actions_failed"] = session.store.actions.failures + session.store.subscriber_errors
    link = scope_link(session)
    if link is not None and link.pump is not None:
        counts["pump_send_errors"] = link.pump.errors
    return counts


def faults_line(counts: dict[str, int]) -> str:
    """``"OSC refused 120 · MIDI dropped 3"``: the non-zero ones, for the status line."""
    return " · ".join(f"{LABELS.get(k, k)} {v}" for k, v in counts.items() if v)


class FaultWatch:
    """Logs the growth of every fault counter, once a second at most (a component)."""

    name = "faults"

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.session: Session | None = None
        self.last: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, session: Session) -> None:
        self.session = session
        self.last = fault_counts(session)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="perform-faults")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.session is not None:
            self.check()
        THROTTLE.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                self.check()
                THROTTLE.flush()
            except Exception:
                log.exception("fault counters could not be read")

    def check(self) -> str | None:
        """Log what grew since the last check (one line); returns it."""
        assert self.session is not None, "checked only while started"
        now = fault_counts(self.session)
        grew = {k: v - self.last.get(k, 0) for k, v in now.items() if v > self.last.get(k, 0)}
        self.last = now
        if not grew:
            return None
        line = ", ".join(f"{LABELS.get(k, k)} +{d} ({now[k]} in all)" for k, d in grew.items())
        log.warning("faults in the last %.0f s: %s", self.every, line)
        return line
