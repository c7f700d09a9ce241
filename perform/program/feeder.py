"""One thread per sink, so that a slow or stuck sink can never hold up the bus.

The protocol asks sinks not to block, but the stage window waits for vsync, an NDI sender
for the network, a recorder for the disk: the bus hands each frame to a :class:`Feeder`
(a latest-wins slot per named stream) and goes on; the feeder's thread calls ``submit``.
A frame replaced before the sink took it is counted as dropped; an exception from the
sink is counted and shown in its status, never raised into the bus.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from perform.program.frame import ProgramFrame
from perform.program.sink import ProgramSink, SinkState, SinkStatus

log = logging.getLogger(__name__)


class Feeder:
    def __init__(self, sink: ProgramSink) -> None:
        self.sink = sink
        self.dropped = 0
        self.errors = 0
        self.last_error = ""
        self._slots: dict[str, ProgramFrame] = {}
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"perform-sink-{self.sink.kind}", daemon=True
        )
        self._thread.start()

    def put(self, frame: ProgramFrame) -> None:
        """Hand over the newest frame of its stream (any thread; never blocks)."""
        with self._cv:
            if frame.stream in self._slots:
                self.dropped += 1
            self._slots[frame.stream] = frame
            self._cv.notify()

    def status(self) -> SinkStatus:
        try:
            status = self.sink.status()
        except Exception as exc:  # a broken sink still gets a status line
            status = SinkStatus(
                self.sink.kind, self.sink.name, SinkState.RETRYING, f"status failed: {exc}"
            )
        if self.errors:
            detail = status.detail or f"submit failed: {self.last_error}"
            status = dataclasses.replace(status, detail=detail)
        return dataclasses.replace(
            status,
            dropped=status.dropped + self.dropped,
            failures=status.failures + self.errors,
        )

    def close(self, timeout: float = 2.0) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("sink %s did not stop in %.0f s; left behind", self.sink.kind, timeout)
        try:
            self.sink.close()
        except Exception:
            log.exception("closing sink %s failed", self.sink.kind)

    def _run(self) -> None:
        try:
            self.sink.start()
        except Exception as exc:
            self._failed(exc)
        while True:
            with self._cv:
                while not self._slots and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                frames = list(self._slots.values())
                self._slots.clear()
            for frame in frames:
                try:
                    self.sink.submit(frame)
                except Exception as exc:
                    self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self.errors == 1 or self.errors % 100 == 0:
            log.error("sink %s failed (%d): %s", self.sink.kind, self.errors, self.last_error)
