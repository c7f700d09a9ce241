"""What every sink into other software shares: one output per stream, opened, sent to and
reopened, and a status that says why when it can't.

The bus already gives each sink its own thread and a latest-wins slot per stream
(:class:`~perform.program.feeder.Feeder`), so a sink stuck in a driver call never holds
the bus up; :meth:`RetryingSink.submit` therefore does the work where it is called: it
opens the output for the frame's stream if needed (the program as ``name``, the organism as
``organism_name`` when ``organism`` is on) and sends it. A failure to open or send closes
the outputs, shows RETRYING with the reason, and frames are skipped (counted as dropped)
until ``retry_s`` later (doubling up to ``max_retry_s``); nothing is raised into the bus.
Subclasses say whether they can run here at all (:meth:`unavailable`) and how to open,
send and close one output.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from typing import Any

from perform.program.frame import ProgramFrame
from perform.program.sink import SinkState, SinkStatus

log = logging.getLogger(__name__)

DEFAULT_NAME = "perform"
DEFAULT_ORGANISM_NAME = "perform organism"


def missing(module: str, extra: str) -> str | None:
    """None if ``module`` can be imported, else the reason with the install command."""
    if importlib.util.find_spec(module) is None:
        return f"{module} is not installed: uv sync --extra {extra}"
    return None


class RetryingSink:
    """Base for NDI, Syphon, Spout and the virtual camera."""

    kind = "sink"

    def __init__(
        self,
        name: str = DEFAULT_NAME,
        organism: bool = False,
        organism_name: str = DEFAULT_ORGANISM_NAME,
        fps: float = 30.0,
        retry_s: float = 1.0,
        max_retry_s: float = 10.0,
        **_: Any,
    ) -> None:
        self.name = name
        self.organism = organism
        self.organism_name = organism_name
        self.fps = fps
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._delay = retry_s
        self._retry_at = 0.0
        self._outputs: dict[str, Any] = {}
        self._state = SinkState.OFF
        self._detail = ""
        self._frames = 0
        self._dropped = 0
        self._failures = 0
        self.sent: dict[str, int] = {"program": 0, "organism": 0}

    # -- what subclasses provide ---------------------------------------------------------

    def unavailable(self) -> str | None:
        """Why this sink can't run here at all (platform, missing extra), with how to get
        it; None if it may."""
        return None

    def hint(self) -> str | None:
        """Something to set up before it can send (it will keep retrying until then)."""
        return None

    def open_output(self, stream: str, name: str, frame: ProgramFrame) -> Any:
        """Open one named output sized for ``frame`` (on the feeder thread)."""
        raise NotImplementedError

    def send(self, output: Any, frame: ProgramFrame) -> None:
        """Send one frame (raise on failure)."""
        raise NotImplementedError

    def close_output(self, output: Any) -> None:
        """Release one output (never raise)."""

    def output_size(self, output: Any) -> tuple[int, int] | None:
        """The size an output was opened at, if it can't change size on the fly."""
        return None

    def describe(self) -> str:
        names = [self.name] + ([self.organism_name] if self.organism else [])
        return "sending " + " and ".join(f"'{n}'" for n in names)

    # -- ProgramSink ---------------------------------------------------------------------

    def start(self) -> None:
        why = self.unavailable()
        if why is not None:
            self._set(SinkState.UNAVAILABLE, why)
        else:
            self._set(SinkState.STARTING, "waiting for the first frame")

    def submit(self, frame: ProgramFrame) -> None:
        if self._state in (SinkState.OFF, SinkState.UNAVAILABLE):
            return  # not started, closed, or can't run here
        if frame.stream == "organism" and not self.organism:
            return
        if time.monotonic() < self._retry_at:
            self._dropped += 1
            return
        try:
            self._deliver(frame.stream, frame)
        except Exception as exc:  # never into the bus
            self._failures += 1
            self._close_outputs()
            why = str(exc) or type(exc).__name__
            self._set(SinkState.RETRYING, f"{why}; retrying in {self._delay:.0f} s")
            log.warning("%s sink: %s", self.kind, why)
            self._retry_at = time.monotonic() + self._delay
            self._delay = min(self._delay * 2, self.max_retry_s)
            return
        self._delay = self.retry_s
        if self._state is not SinkState.ON:
            self._set(SinkState.ON, self.describe())

    def status(self) -> SinkStatus:
        return SinkStatus(
            kind=self.kind,
            name=self.name,
            state=self._state,
            detail=self._detail,
            frames=self._frames,
            dropped=self._dropped,
            failures=self._failures,
        )

    def close(self) -> None:
        self._close_outputs()
        if self._state is not SinkState.UNAVAILABLE:
            self._set(SinkState.OFF, "")

    # -- outputs -------------------------------------------------------------------------

    def _set(self, state: SinkState, detail: str) -> None:
        self._state, self._detail = state, detail

    def _close_quietly(self, output: Any) -> None:
        try:
            self.close_output(output)
        except Exception as exc:
            log.debug("%s close failed: %s", self.kind, exc)

    def _close_outputs(self) -> None:
        for output in list(self._outputs.values()):
            self._close_quietly(output)
        self._outputs.clear()

    def _deliver(self, stream: str, frame: ProgramFrame) -> None:
        output = self._outputs.get(stream)
        if output is not None:
            size = self.output_size(output)
            if size is not None and size != (frame.width, frame.height):
                self._close_quietly(output)
                del self._outputs[stream]
                output = None
        if output is None:
            name = self.organism_name if stream == "organism" else self.name
            output = self.open_output(stream, name, frame)
            self._outputs[stream] = output
        self.send(output, frame)
        self._frames += 1
        self.sent[stream] = self.sent.get(stream, 0) + 1
