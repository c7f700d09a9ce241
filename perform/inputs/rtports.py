"""Opening rtmidi ports, and the thread that reads them.

Inputs are read from rtmidi's own queue by one polling thread, not through a Python
callback: with JACK, rtmidi calls a callback *inside JACK's process cycle*, which then
waits for the GIL; every cycle it misses loses the MIDI of that cycle (measured: 22%
of a 1000 msg/s stream lost while another thread held the GIL) and, on a realtime
JACK server, makes the whole audio graph xrun. Reading the queue costs at most
:data:`POLL_ACTIVE` seconds of latency while a control moves (:data:`POLL_IDLE` for the
first message of a gesture) and keeps the audio thread free of Python.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from perform.inputs.ports import BACKENDS

log = logging.getLogger(__name__)

CLIENT = "perform"
"""Client name the app's MIDI ports appear under (JACK/ALSA graphs)."""
QUEUE = 8192
"""rtmidi's input queue: messages held between two reads at most."""
POLL_ACTIVE = 0.0002
"""Seconds the reader sleeps between empty reads while a control is being moved."""
POLL_IDLE = 0.001
"""... and once nothing arrived for :data:`ACTIVE_WINDOW` seconds. Measured on the 2-core
test box: polling costs ~2% of a core at 1 ms and several times that at 0.2 ms; so the
first message of a gesture may wait up to 1 ms, the rest of it flows at 0.2 ms."""
ACTIVE_WINDOW = 0.5


def api(key: str) -> int:
    import rtmidi

    return int(getattr(rtmidi, f"API_{BACKENDS[key]}"))


def open_input(key: str, port: str) -> Any:
    """Open the input called ``port`` (exact name from a scan); OSError if it is gone."""
    import rtmidi

    rt = rtmidi.MidiIn(api(key), name=CLIENT, queue_size_limit=QUEUE)
    return _open(rt, port, "input", "in", lambda: rt.ignore_types(sysex=False, timing=False))


def open_output(key: str, port: str) -> Any:
    import rtmidi

    return _open(rtmidi.MidiOut(api(key), name=CLIENT), port, "output", "out", lambda: None)


def _open(rt: Any, port: str, direction: str, name: str, setup: Callable[[], None]) -> Any:
    """Open ``port`` on ``rt`` after ``setup``; closes ``rt`` again when either fails."""
    try:
        names = rt.get_ports()
        if port not in names:
            raise OSError(f"MIDI {direction} {port!r} is gone")
        setup()
        rt.open_port(names.index(port), name=name)
    except BaseException:
        close(rt)
        raise
    return rt


def close(rt: Any) -> None:
    with contextlib.suppress(Exception):
        rt.close_port()
    with contextlib.suppress(Exception):
        rt.delete()


Deliver = Callable[[str, list[int], float], None]


class Reader(threading.Thread):
    """Drains every open input's queue; hands ``(key, bytes, perf_counter)`` on."""

    def __init__(
        self, deliver: Deliver, active: float = POLL_ACTIVE, idle: float = POLL_IDLE
    ) -> None:
        super().__init__(name="perform-midi-in", daemon=True)
        self.deliver = deliver
        self.active = active
        self.idle = idle
        self._ports: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self.errors = 0

    def add(self, key: str, rt: Any) -> None:
        with self._lock:
            self._ports[key] = rt

    def remove(self, key: str) -> Any:
        """Stop reading ``key``; returns its port (safe to close once this returns)."""
        with self._lock:
            return self._ports.pop(key, None)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(2.0)

    def run(self) -> None:
        clock = time.perf_counter
        last = 0.0
        while not self._halt.is_set():
            got = False
            with self._lock:
                for key, rt in self._ports.items():
                    try:
                        while (item := rt.get_message()) is not None:
                            self.deliver(key, item[0], clock())
                            got = True
                    except Exception:
                        self.errors += 1
                        if self.errors == 1:
                            log.exception("reading MIDI from %s failed", key)
            if got:
                last = clock()
            else:
                time.sleep(self.active if clock() - last < ACTIVE_WINDOW else self.idle)
