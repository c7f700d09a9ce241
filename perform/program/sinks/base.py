"""What every sink into other software shares: a latest-wins slot per stream, one worker
thread that opens, sends and reopens, and a status that says why when it can't.

The bus calls :meth:`ThreadedSink.submit` from its own thread; that only swaps a
reference, so a sink stuck in a driver call never holds the bus up. The worker takes the
newest frame of each stream, opens the output for that stream if needed (the program as
``name``, the organism as ``organism_name`` when ``organism`` is on) and sends it. A failure
to open or send closes that output, shows RETRYING with the reason and tries again
``retry_s`` later (doubling up to ``max_retry_s``); nothing is raised into the bus.
Subclasses say whether they can run here at all (:meth:`unavailable`) and how to open,
send and close one output.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
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


class ThreadedSink:
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
        self._pending: dict[str, ProgramFrame] = {}
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
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
        """Open one named output sized for ``frame`` (runs on the worker thread)."""
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
        try:
            if self._thread is not None and self._thread.is_alive():
                return
            why = self.unavailable()
            if why is not None:
                self._set(SinkState.UNAVAILABLE, why)
                return
            self._stop = False
            self._set(SinkState.STARTING, "waiting for the first frame")
            self._thread = threading.Thread(
                target=self._run, name=f"perform-{self.kind}", daemon=True
            )
            self._thread.start()
        except Exception as exc:
            self._failures += 1
            self._set(SinkState.RETRYING, f"could not start: {exc}")

    def submit(self, frame: ProgramFrame) -> None:
        try:
            if frame.stream == "organism" and not self.organism:
                return
            if self._thread is None:
                return
            with self._wake:
                if frame.stream in self._pending:
                    self._dropped += 1
                self._pending[frame.stream] = frame
                self._wake.notify()
        except Exception as exc:  # never into the bus
            log.debug("%s submit failed: %s", self.kind, exc)

    def status(self) -> SinkStatus:
        state, detail = self._state, self._detail
        return SinkStatus(
            kind=self.kind,
            name=self.name,
            state=state,
            detail=detail,
            frames=self._frames,
            dropped=self._dropped,
            failures=self._failures,
        )

    def close(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        for output in list(self._outputs.values()):
            self._close_quietly(output)
        self._outputs.clear()
        if self._state is not SinkState.UNAVAILABLE:
            self._set(SinkState.OFF, "")

    # -- the worker ----------------------------------------------------------------------

    def _set(self, state: SinkState, detail: str) -> None:
        self._state, self._detail = state, detail

    def _close_quietly(self, output: Any) -> None:
        try:
            self.close_output(output)
        except Exception as exc:
            log.debug("%s close failed: %s", self.kind, exc)

    def _run(self) -> None:
        delay = self.retry_s
        retry_at = 0.0
        while True:
            with self._wake:
                while not self._stop and not self._pending:
                    self._wake.wait(0.5)
                if self._stop:
                    return
                if time.monotonic() < retry_at:
                    self._wake.wait(retry_at - time.monotonic())
                    continue
                frames = dict(self._pending)
                self._pending.clear()
            try:
                for stream, frame in frames.items():
                    self._deliver(stream, frame)
                delay = self.retry_s
                if self._state is not SinkState.ON:
                    self._set(SinkState.ON, self.describe())
            except Exception as exc:
                self._failures += 1
                for output in list(self._outputs.values()):
                    self._close_quietly(output)
                self._outputs.clear()
                why = str(exc) or type(exc).__name__
                self._set(SinkState.RETRYING, f"{why}; retrying in {delay:.0f} s")
                log.warning("%s sink: %s", self.kind, why)
                retry_at = time.monotonic() + delay
                delay = min(delay * 2, self.max_retry_s)
                with self._wake:  # keep the newest frames for the retry
                    for stream, frame in frames.items():
                        self._pending.setdefault(stream, frame)

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
