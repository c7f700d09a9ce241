"""A private JACK server with the dummy driver, for the bench and the tests.

``jackd --no-realtime -n <unique name> -d dummy`` needs no sound card and no
privileges; clients in this process reach it through ``JACK_DEFAULT_SERVER``. A
64-frame period at 48 kHz keeps a JACK MIDI hop near 1 ms (JACK delivers MIDI once
per period). The server is stopped (SIGTERM, then SIGKILL) and the environment
restored when the context ends, so no stray ``jackd`` is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from perform.inputs.ports import quiet_stderr

ENV_KEYS = ("JACK_DEFAULT_SERVER", "JACK_NO_AUDIO_RESERVATION", "JACK_NO_START_SERVER")


class JackUnavailable(RuntimeError):
    """jackd is missing or did not start (the message says which)."""


@dataclass
class JackServer:
    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def connectable(timeout: float) -> bool:
    """True once a JACK client can connect to the current ``JACK_DEFAULT_SERVER``."""
    import rtmidi

    deadline = time.monotonic() + timeout
    while True:
        try:
            with quiet_stderr():
                probe = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="perform-probe")
            probe.delete()
            return True
        except Exception:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


@contextlib.contextmanager
def private_jack_server(period: int = 64, rate: int = 48000) -> Iterator[JackServer]:
    jackd = shutil.which("jackd")
    if jackd is None:
        raise JackUnavailable("jackd is not installed (Debian/Ubuntu: apt-get install jackd2)")
    name = f"perform-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ.update(
        JACK_DEFAULT_SERVER=name, JACK_NO_AUDIO_RESERVATION="1", JACK_NO_START_SERVER="1"
    )
    log = Path(tempfile.gettempdir()) / f"{name}.log"
    command = [
        jackd,
        "--no-realtime",
        "--sync",  # wait for late clients instead of dropping their cycle's MIDI
        "-n",
        name,
        "-d",
        "dummy",
        "-r",
        str(rate),
        "-p",
        str(period),
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        if not connectable(15.0):
            tail = log.read_text(errors="replace")[-600:]
            raise JackUnavailable(f"jackd did not come up (exit status {process.poll()}): {tail}")
        yield JackServer(name, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with contextlib.suppress(OSError):
            log.unlink()
