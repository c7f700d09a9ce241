"""A private JACK server (dummy driver) and virtual controllers, for real MIDI tests.

One ``jackd --no-realtime -n <unique name> -d dummy`` per test session (starting one
costs ~0.5 s, see :mod:`perform.inputs.jackd`); every test makes its own uniquely named
virtual controller on it through python-rtmidi's JACK API, exactly as a USB controller
appears to the app.

Without ``jackd`` the tests that need it are skipped with the reason, unless
``PERFORM_REQUIRE_JACK=1`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from perform.inputs.jackd import JackServer, JackUnavailable, private_jack_server
from tests.helpers import eventually  # noqa: F401  (re-exported for the MIDI tests)

_ids = itertools.count(1)


def require_jack(reason: str) -> None:
    if os.environ.get("PERFORM_REQUIRE_JACK") == "1":
        pytest.fail(f"{reason} (PERFORM_REQUIRE_JACK=1: JACK is required here)")
    pytest.skip(reason)


@contextlib.contextmanager
def jack_server() -> Iterator[JackServer]:
    try:
        with private_jack_server() as server:
            yield server
    except JackUnavailable as exc:
        require_jack(str(exc))


@dataclass
class VirtualController:
    """A fake USB controller: an output the app reads and an input for its LEDs."""

    device: str
    """Client name prefix, e.g. ``nanoKONTROL2``: the app finds it by this pattern."""
    uid: int = field(default_factory=lambda: next(_ids))
    log: list[tuple[float, list[int]]] = field(default_factory=list)
    _out: Any = None
    _in: Any = None
    _reader: threading.Thread | None = None
    _reading: threading.Event | None = None

    def __post_init__(self) -> None:
        self.plug()

    @property
    def client(self) -> str:
        return f"{self.device} t{self.uid}"

    def plug(self) -> None:
        import rtmidi

        self._out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=self.client)
        self._out.open_virtual_port("capture")
        self._in = rtmidi.MidiIn(
            rtmidi.API_UNIX_JACK, name=f"{self.client} leds", queue_size_limit=8192
        )
        self._in.ignore_types(sysex=False, timing=False, active_sense=True)
        self._in.open_virtual_port("playback")
        # Read the queue from a thread: a Python callback would run in JACK's process
        # cycle and lose messages whenever the GIL is busy (see perform.inputs.rtports).
        self._reading = threading.Event()
        self._reading.set()
        self._reader = threading.Thread(
            target=self._read, args=(self._in, self._reading), daemon=True
        )
        self._reader.start()

    def unplug(self) -> None:
        if self._reader is not None:
            self._reading.clear()
            self._reader.join()  # never close a port it may still read: rtmidi would segfault
            self._reader = None
        for port in (self._out, self._in):
            if port is not None:
                with contextlib.suppress(Exception):
                    port.close_port()
                with contextlib.suppress(Exception):
                    port.delete()
        self._out = self._in = None

    def _read(self, port: Any, reading: threading.Event) -> None:
        while reading.is_set():
            item = port.get_message()
            if item is None:
                time.sleep(0.0005)
                continue
            self.log.append((time.perf_counter(), list(item[0])))

    def send(self, *data: int) -> None:
        self._out.send_message(list(data))

    def cc(self, number: int, value: int, channel: int = 0) -> None:
        self.send(0xB0 | channel, number, value)

    def note(self, number: int, velocity: int, channel: int = 0) -> None:
        self.send((0x90 if velocity else 0x80) | channel, number, velocity)

    async def expect(
        self, predicate: Callable[[list[int]], bool], timeout: float = 5.0, since: int = 0
    ) -> list[int]:
        """The first LED message from index ``since`` that matches (waits for it)."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            log = self.log
            for _, message in log[seen:]:
                if predicate(message):
                    return message
            seen = max(seen, len(log))
            if time.monotonic() > deadline:
                tail = [m for _, m in self.log][-20:]
                raise AssertionError(f"no matching LED message within {timeout} s; last: {tail}")
            await asyncio.sleep(0.005)

    def clear(self) -> None:
        self.log.clear()
