"""MIDI port names and backends: match by pattern, never by number.

Port names are unstable (controllers.md, section d): ALSA appends ``client:port``
numbers (``nanoKONTROL2:nanoKONTROL2 _ CTRL 20:0``), Windows' RtMidi appends an index
(``nanoKONTROL2 1``), and names are prefixes of each other (``APC mini`` /
``APC mini mk2``). So a device is found by a case-insensitive pattern matched against
the name with those numbers removed, and when several patterns match one port the
longest pattern wins it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

BACKENDS = {
    "alsa": "LINUX_ALSA",
    "jack": "UNIX_JACK",
    "coremidi": "MACOSX_CORE",
    "winmm": "WINDOWS_MM",
}

_ALSA_NUMBERS = re.compile(r"\s+\d+:\d+\s*$")
_INDEX_SUFFIX = re.compile(r"\s+\d+\s*$")


def backend_key(configured: str, platform: str | None = None) -> str:
    """``auto`` -> the platform's native API; otherwise the configured one."""
    if configured != "auto":
        return configured
    platform = platform or sys.platform
    if platform == "darwin":
        return "coremidi"
    if platform.startswith("win"):
        return "winmm"
    return "alsa"


def normalize(port: str) -> str:
    """Lower case, without ALSA ``client:port`` numbers or a Windows index suffix."""
    name = _ALSA_NUMBERS.sub("", port)
    name = _INDEX_SUFFIX.sub("", name)
    return " ".join(name.lower().split())


def matches(pattern: str, port: str) -> bool:
    return " ".join(pattern.lower().split()) in normalize(port)


def assign(ports: Iterable[str], patterns: Sequence[str]) -> dict[str, str]:
    """Pattern -> the port it opens. Each port goes to its longest matching pattern;
    a pattern that wins several ports takes the first by name (``APC mini mk2 Control``
    before ``... Notes``)."""
    chosen: dict[str, str] = {}
    for port in sorted(ports):
        best = max((p for p in patterns if p and matches(p, port)), key=len, default=None)
        if best is not None and best not in chosen:
            chosen[best] = port
    return chosen


def backend_hint(key: str, error: BaseException) -> str:
    """A message that says what to do when a MIDI backend cannot start."""
    text = str(error).strip() or type(error).__name__
    if key == "alsa":
        return (
            f"ALSA MIDI is not available ({text}). Is /dev/snd/seq there (snd-seq module, "
            "user in the 'audio' group)? Or use JACK: [midi] backend = \"jack\"."
        )
    if key == "jack":
        return (
            f"JACK MIDI is not available ({text}). Start a JACK server first "
            "(e.g. `jackd -d alsa`, or QjackCtl / PipeWire's JACK), or use "
            '[midi] backend = "alsa".'
        )
    return f"MIDI backend {key} is not available ({text})."


class PortScanner:
    """Lists MIDI ports with as few extra clients in the MIDI graph as possible.

    On JACK every client is woken every period, and opening or closing one changes the
    graph, which delays or drops the MIDI flowing meanwhile (measured: a client pair
    opened twice a second lost two thirds of a 1000 msg/s stream). ALSA and JACK list
    ports live from any client, so a scan *borrows* an input/output the app already has
    open and keeps its own listing client only while it has none. CoreMIDI and Windows
    MM need fresh clients to see new devices (SpotlightKid/python-rtmidi#59), so those
    get new ones per scan.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self._in: Any = None
        self._out: Any = None

    def _api(self) -> int:
        import rtmidi

        return int(getattr(rtmidi, f"API_{BACKENDS[self.key]}"))

    def list(self, borrow_in: Any = None, borrow_out: Any = None) -> tuple[list[str], list[str]]:
        """(input names, output names); raises when the backend is not available.

        ``borrow_in`` / ``borrow_out``: an open rtmidi MidiIn / MidiOut to list with.
        """
        import rtmidi

        live = self.key in ("alsa", "jack")
        if not live:
            borrow_in = borrow_out = None
        lister_in = borrow_in or self._in or rtmidi.MidiIn(self._api(), name="perform scan")
        lister_out = borrow_out or self._out or rtmidi.MidiOut(self._api(), name="perform scan")
        try:
            inputs, outputs = list(lister_in.get_ports()), list(lister_out.get_ports())
        except Exception:
            for own in (lister_in, lister_out):
                if own is not borrow_in and own is not borrow_out:
                    _delete(own)
            self._in = self._out = None
            raise
        if live:
            self._in = self._keep(self._in, lister_in, borrow_in)
            self._out = self._keep(self._out, lister_out, borrow_out)
        else:
            _delete(lister_in)
            _delete(lister_out)
        return inputs, outputs

    @staticmethod
    def _keep(own: Any, used: Any, borrowed: Any) -> Any:
        """Keep our own listing client only while nothing can be borrowed."""
        if borrowed is not None:
            if own is not None:
                _delete(own)
            return None
        return used

    def close(self) -> None:
        for own in (self._in, self._out):
            if own is not None:
                _delete(own)
        self._in = self._out = None


def _delete(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.delete()


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence C libraries (ALSA, JACK) that print to fd 2 while a backend is probed."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
