"""MIDI in and out (python-rtmidi ports, mido messages): devices found by name, lost and
found again.

* **Threads.** One reader thread (:class:`perform.inputs.rtports.Reader`) takes raw
  messages from rtmidi's queues, timestamps them, appends them to a bounded inbox and,
  if no drain is pending, schedules one with ``call_soon_threadsafe``. Everything else
  (decoding, controls, the mapper, the store, the event bus) runs on the loop.
* **Floods cost O(ticks).** A drain keeps, of the plain CCs bound to an absolute
  control (a fader, a knob), only the latest per (device, channel, number) and decodes
  nothing else of them: a 2 000 msg/s fader costs the reader a queue read per message
  and the loop one decode per tick. Notes, buttons, encoders, 14-bit pairs and NRPN
  keep every message.
* **Hot-plug.** Python MIDI has no hot-plug events, so the port list is polled (every
  ``[midi] poll`` seconds, in a worker thread so a slow backend never blocks the loop).
  A device whose port vanished is shown as LOST (``DEVICE_STATE``) and reopened by
  name when it comes back; a port that matches a shipped profile loads it.
* **Closing.** python-rtmidi segfaults on any call to a port once it is closed, and a
  scan lists through the ports the app has open (see :class:`~perform.inputs.ports.
  PortScanner`). Listing and closing take one lock, so quitting while a scan is still
  running in its worker thread (cancelled, but threads cannot be) waits for it.
* **Clock.** Clock, start, stop, continue and song position go to ``MIDI_CLOCK`` with
  the time they arrived (taken on the rtmidi thread), not to the mapper.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import mido

from perform.config import MidiConfig
from perform.events import (
    CONTROL_MESSAGE,
    DEVICE_STATE,
    MIDI_CLOCK,
    DeviceState,
    InputMessage,
    MidiClock,
)
from perform.inputs import ports, rtports
from perform.inputs.jackid import JackIdentity
from perform.logs import throttled
from perform.mapping.controls import ControlEvent
from perform.mapping.decode import MidiDecoder
from perform.mapping.device import DeviceMapping

if TYPE_CHECKING:
    from perform.inputs.hub import ControlHub
    from perform.session import Session

log = logging.getLogger(__name__)

INBOX_LIMIT = 20_000
"""Messages held between two drains at most (a stuck loop drops the oldest, counted)."""
TICK = 0.01
"""Seconds between two drains under a flood (a lone message is drained at once)."""
LOST_POLL_MIN = 0.1
"""While a device is LOST the ports are scanned four times as often (not below this)."""
_NOT_PLAIN = frozenset({6, 38, 96, 97, 98, 99, 100, 101})
"""NRPN/RPN selection and data entry CCs: stateful, never coalesced raw."""
_CLOCK = {
    "clock": "tick",
    "start": "start",
    "stop": "stop",
    "continue": "continue",
    "songpos": "position",
}


def _replugged(
    port: str | None,
    name: str | None,
    owner: str | None,
    linked: dict[str, bool],
    owners: dict[str, str],
) -> bool:
    """Is ``port``, listed under the name the app opened, a new port by that name?

    Either JACK no longer shows it connected to the app, or its client's UUID is not
    the one recorded at opening (a port or client JACK cannot find counts as neither:
    the listing decides then).
    """
    if port is None or port != name:
        return False
    if not linked.get(port, True):
        return True
    now = owners.get(port)
    return owner is not None and now is not None and now != owner


@dataclass
class Link:
    """One device's ports and state."""

    pattern: str
    device: DeviceMapping | None
    decoder: MidiDecoder
    in_port: Any = None
    in_name: str | None = None
    out_port: Any = None
    out_name: str | None = None
    in_owner: str | None = None
    """JACK only: the UUID of the device's client when its input was opened."""
    out_owner: str | None = None
    state: str = "absent"
    announced: bool = False
    sent: int = 0
    send_errors: int = 0

    @property
    def name(self) -> str:
        return self.device.name if self.device is not None else self.pattern


@dataclass
class MidiStats:
    received: int = 0
    dropped: int = 0
    malformed: int = 0
    errors: int = 0
    clock: int = 0
    reconnects: int = 0
    replugs: int = 0
    """Devices found replugged between two scans (same name, connection gone)."""


@dataclass
class MidiInput:
    hub: ControlHub
    config: MidiConfig
    name: str = "midi"
    backend_key: str = ""
    stats: MidiStats = field(default_factory=MidiStats)
    links: dict[str, Link] = field(default_factory=dict)
    backend_error: str | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _scanner: Any = None
    _identity: JackIdentity | None = None
    _reader: Any = None
    _inbox: collections.deque = field(default_factory=lambda: collections.deque(maxlen=INBOX_LIMIT))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ports_lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while rtmidi ports are listed through or closed (worker threads)."""
    _scheduled: bool = False
    _last_drain: float = float("-inf")
    _mapper_version: int = -1
    _task: asyncio.Task | None = None
    _rescan: asyncio.Event | None = None
    _session: Session | None = None
    _on_output: list[Callable[[str], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.backend_key = ports.backend_key(self.config.backend)

    # --- component ----------------------------------------------------------------------
    async def start(self, session: Session) -> None:
        self._session = session
        self._loop = asyncio.get_running_loop()
        self._scanner = ports.PortScanner(self.backend_key)
        if self.backend_key == "jack":
            self._identity = JackIdentity()
        self._reader = rtports.Reader(self._received)
        self._reader.start()
        self._rescan = asyncio.Event()
        await self.scan()
        self._task = self._loop.create_task(self._poll_forever(), name="perform-midi-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        links, self.links = list(self.links.values()), {}
        if self._reader is not None:
            for link in links:
                self._reader.remove(link.pattern)
            self._reader.stop()
        if self._loop is not None:
            await self._loop.run_in_executor(None, self._close_all, links)
            if self._identity is not None:
                await self._loop.run_in_executor(None, self._identity.close)
                self._identity = None

    def on_output(self, callback: Callable[[str], None]) -> None:
        """``callback(device_id)`` when a device's LED port (re)connects (full refresh)."""
        self._on_output.append(callback)

    # --- polling ------------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        assert self._rescan is not None
        while True:
            delay = self.config.poll
            if self.backend_error:
                delay *= 5  # a missing backend: retry, but quietly and rarely
            elif any(link.state == "lost" for link in self.links.values()):
                delay = max(LOST_POLL_MIN, delay / 4)  # a lost device is expected back soon
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rescan.wait(), delay)
            self._rescan.clear()
            try:
                await self.scan()
            except Exception:
                log.exception("MIDI port scan failed")

    async def scan(self) -> None:
        """List the ports once and open, close or reopen whatever changed."""
        assert self._loop is not None
        try:
            inputs, outputs, linked, owners = await self._loop.run_in_executor(
                None, self._list_ports
            )
        except Exception as exc:
            if self.backend_error is None:
                self.backend_error = ports.backend_hint(self.backend_key, exc)
                self.hub.notify(self.backend_error, title="MIDI unavailable", severity="warning")
            return
        if self.backend_error is not None:
            self.backend_error = None
            self.hub.notify(f"MIDI backend {self.backend_key} is available", title="MIDI")
        patterns = self.hub.midi_patterns()
        for pattern, device in patterns:
            if pattern not in self.links:
                decoder = MidiDecoder(
                    device.id if device else pattern, device.cc14 if device else set()
                )
                self.links[pattern] = Link(pattern, device, decoder)
        in_ports = ports.assign(inputs, [p for p, _ in patterns])
        out_patterns = {p: (d.output_match if d is not None else None) for p, d in patterns}
        out_ports = ports.assign(outputs, [o for o in out_patterns.values() if o])
        for pattern, link in list(self.links.items()):
            port = in_ports.get(pattern)
            stale = link.in_port is not None and _replugged(
                port, link.in_name, link.in_owner, linked, owners
            )
            await self._update_input(link, port, stale=stale)
            out = out_patterns.get(pattern)
            port = out_ports.get(out) if out else None
            stale = link.out_port is not None and _replugged(
                port, link.out_name, link.out_owner, linked, owners
            )
            await self._update_output(link, port, stale=stale)

    def _list_ports(self) -> tuple[list[str], list[str], dict[str, bool], dict[str, str]]:
        """Scan (worker thread). ALSA and JACK print their own errors straight to fd 2,
        which would scribble over the TUI: the scan runs with fd 2 silenced, and what went
        wrong reaches the performer as one notice with a fix.

        Also returns, on JACK, whether each device port the app has open is still
        connected to it, and the UUID of its client: a device replugged between two
        scans comes back under the same name but unconnected, in a client with a new
        UUID (see :mod:`perform.inputs.jackid`). ALSA gives a replugged device a new
        client number, so its name changes and the name check suffices.
        """
        with self._ports_lock:
            return self._list_ports_locked()

    def _list_ports_locked(
        self,
    ) -> tuple[list[str], list[str], dict[str, bool], dict[str, str]]:
        links = list(self.links.values())
        borrow_in = next((k.in_port for k in links if k.in_port is not None), None)
        borrow_out = next((k.out_port for k in links if k.out_port is not None), None)
        with ports.quiet_stderr():
            inputs, outputs = self._scanner.list(borrow_in, borrow_out)
            linked: dict[str, bool] = {}
            owners: dict[str, str] = {}
            if self._identity is not None:
                open_names = [k.in_name for k in links if k.in_port is not None and k.in_name]
                open_names += [k.out_name for k in links if k.out_port is not None and k.out_name]
                if open_names:
                    linked = self._identity.connected_to_us(open_names, rtports.CLIENT)
                    owners = self._identity.owners(open_names)
        return inputs, outputs, linked, owners

    def _owner(self, port: str) -> str | None:
        """(worker thread) The UUID of ``port``'s JACK client now; None off JACK. Under
        the ports lock, as the scan: quitting closes the lookup client only after it."""
        if self._identity is None:
            return None
        with self._ports_lock, ports.quiet_stderr():
            return self._identity.owners([port]).get(port)

    async def _update_input(self, link: Link, port: str | None, *, stale: bool = False) -> None:
        assert self._loop is not None
        if stale:
            self.stats.replugs += 1
            log.info("%s was replugged (%s is a new port): reopening", link.name, port)
        if link.in_port is not None and (port != link.in_name or stale):
            self._reader.remove(link.pattern)
            old, link.in_port = link.in_port, None
            # Said before the close: closing waits for the JACK server, which a starved
            # machine kept for up to 12 s (the performer saw nothing that long).
            if port is None or stale:
                link.state = "lost"
                self._device_state(link, "in", "lost", link.in_name)
            if port is None:
                self.hub.notify(
                    f"{link.name} is gone; waiting for it to come back",
                    title="MIDI device LOST",
                    severity="warning",
                )
            await self._loop.run_in_executor(None, self._close, old)
            if port is None:
                return
        if port is None or link.in_port is not None:
            if port is None and not link.announced:
                link.announced = True
                self._device_state(link, "in", "absent", None)
                if link.device is not None and not link.device.auto:
                    # A mapping the performer asked for: its device missing is said, once.
                    self.hub.notify(
                        f"{link.name}: no MIDI input matches '{link.pattern}' yet; plug it in "
                        "(perform ports lists what there is); it opens when it appears",
                        title="MIDI device not found",
                        severity="warning",
                    )
            return
        try:
            link.in_port = await self._loop.run_in_executor(
                None, rtports.open_input, self.backend_key, port
            )
        except Exception as exc:
            log.warning("cannot open MIDI input %s: %s", port, exc)
            return
        self._reader.add(link.pattern, link.in_port)
        was_lost = link.state == "lost"
        link.in_name, link.state, link.announced = port, "connected", True
        link.in_owner = await self._loop.run_in_executor(None, self._owner, port)
        link.decoder = MidiDecoder(link.decoder.device, link.decoder.cc14)
        if link.device is not None and link.device.auto:
            self.hub.activate(link.device)
        if was_lost:
            self.stats.reconnects += 1
            self.hub.notify(f"{link.name} is back ({port})", title="MIDI")
        else:
            self.hub.notify(f"{link.name} connected ({port})", title="MIDI")
        self._device_state(link, "in", "connected", port)

    async def _update_output(self, link: Link, port: str | None, *, stale: bool = False) -> None:
        assert self._loop is not None
        if link.out_port is not None and (port != link.out_name or stale):
            old, link.out_port = link.out_port, None
            self._device_state(link, "out", "lost", link.out_name)  # before the close, as above
            await self._loop.run_in_executor(None, self._close, old)
        if port is None or link.out_port is not None:
            return
        try:
            link.out_port = await self._loop.run_in_executor(
                None, rtports.open_output, self.backend_key, port
            )
        except Exception as exc:
            log.warning("cannot open MIDI output %s: %s", port, exc)
            return
        link.out_name = port
        link.out_owner = await self._loop.run_in_executor(None, self._owner, port)
        self._device_state(link, "out", "connected", port)
        device_id = link.device.id if link.device is not None else link.pattern
        for callback in list(self._on_output):
            try:
                callback(device_id)
            except Exception:
                log.exception("MIDI output listener failed")

    def _device_state(
        self,
        link: Link,
        direction: Literal["in", "out"],
        state: Literal["connected", "lost", "absent"],
        port: str | None,
    ) -> None:
        if self._session is not None:
            self._session.events.publish(
                DEVICE_STATE, DeviceState(link.name, direction, state, port)
            )

    # --- receiving (rtmidi thread -> loop) ----------------------------------------------
    def _received(self, pattern: str, data: list[int], at: float) -> None:
        """Reader thread: queue the raw bytes, wake the loop once per batch (no decoding
        here: a fader flood's messages are mostly dropped unread at the drain)."""
        inbox = self._inbox
        if len(inbox) >= INBOX_LIMIT:
            self.stats.dropped += 1
        inbox.append((pattern, data, at))
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        loop = self._loop
        try:
            if loop is not None:
                loop.call_soon_threadsafe(self._drain_at_tick)
        except RuntimeError:
            pass  # the loop is closing: the show is over

    def _drain_at_tick(self) -> None:
        """Drain now if the last drain was a tick ago, else at the next tick.

        A drain per message made a 2 000 msg/s fader flood cost a store write, snapshot
        and change set each (the engine fell from ~35 to ~14 steps/s); within a tick the
        mapper keeps only the latest position per absolute control. Timestamps are taken
        on arrival, so the MIDI clock is not delayed by the tick.
        """
        assert self._loop is not None
        wait = self._last_drain + TICK - self._loop.time()
        if wait <= 0:
            self._drain()
        else:
            self._loop.call_later(wait, self._drain)

    def _sync_devices(self) -> None:
        """After a mapping reload (learn), links follow the new device and 14-bit pairs."""
        self._mapper_version = self.hub.mapper.version
        for link in self.links.values():
            device = self.hub.mapper.devices.get(link.decoder.device)
            if device is not None:
                link.device = device
                link.decoder.cc14 = device.cc14

    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
        if self._loop is not None:
            self._last_drain = self._loop.time()
        if self.hub.mapper.version != self._mapper_version:
            self._sync_devices()
        inbox = self._inbox
        batch = [inbox.popleft() for _ in range(len(inbox))]
        self.stats.received += len(batch)
        skip = self._superseded(batch)
        events: list[ControlEvent] = []
        session = self._session
        publish = session.events.publish if session is not None else None
        for i, (pattern, data, at) in enumerate(batch):
            if i in skip:
                continue
            try:
                msg = mido.Message.from_bytes(data)
            except (ValueError, TypeError):
                self.stats.malformed += 1
                continue
            kind = _CLOCK.get(msg.type)
            if kind is not None:
                self.stats.clock += 1
                if publish is not None:
                    position = msg.pos if kind == "position" else None
                    publish(MIDI_CLOCK, MidiClock(kind, at, position))  # type: ignore[arg-type]
                continue
            link = self.links.get(pattern)
            if link is None:
                continue
            decoded = link.decoder.decode(msg, at)
            if decoded:
                events.extend(decoded)
            elif publish is not None:
                publish(CONTROL_MESSAGE, InputMessage("midi", link.name, str(msg), at, None))
        if events:
            try:
                self.hub.mapper.handle(events, "midi")
            except Exception:  # a bug must cost one batch, never the input
                self.stats.errors += 1
                throttled(
                    log, "midi_batch", "MIDI batch of %d events failed", len(events), exc_info=True
                )

    def _superseded(self, batch: list[tuple[str, list[int], float]]) -> set[int]:
        """Indexes of plain CCs to absolute controls that a later message of the same
        control in this batch replaces (counted as collapsed by the mapper's stats)."""
        last: dict[tuple[str, int, int], int] = {}
        verdict: dict[tuple[str, int, int], bool] = {}
        skip: set[int] = set()
        for i, (pattern, data, _) in enumerate(batch):
            if len(data) != 3 or data[0] & 0xF0 != 0xB0:
                continue
            key = (pattern, data[0] & 0x0F, data[1])
            ok = verdict.get(key)
            if ok is None:
                ok = verdict[key] = self._absolute_cc(*key)
            if not ok:
                continue
            before = last.get(key)
            if before is not None:
                skip.add(before)
            last[key] = i
        if skip:
            self.hub.mapper.stats.events += len(skip)
            self.hub.mapper.stats.collapsed += len(skip)
        return skip

    def _absolute_cc(self, pattern: str, channel: int, number: int) -> bool:
        """A CC whose every message but the latest may go unread: plain (no 14-bit half,
        no NRPN/RPN selection or data entry), bound to an absolute control, not learning."""
        link = self.links.get(pattern)
        mapper = self.hub.mapper
        if link is None or mapper.learner is not None or number in _NOT_PLAIN:
            return False
        cc14 = link.decoder.cc14
        if (channel, number) in cc14 or (channel, number - 32) in cc14:
            return False
        binding = mapper.active(link.decoder.device, ("cc", channel, number))
        return (
            binding is not None
            and binding.mode == "absolute"
            and not any(t.action for t in binding.targets)
        )

    # --- sending ------------------------------------------------------------------------
    def send(self, device_id: str, message: Any) -> bool:
        """Send to a device's LED port (loop thread); False if it is not connected."""
        link = self._link_for(device_id)
        if link is None or link.out_port is None:
            return False
        try:
            link.out_port.send_message(message.bytes())
        except Exception as exc:
            link.send_errors += 1
            throttled(log, "midi_send", "MIDI send to %s failed: %s", link.out_name, exc)
            return False
        link.sent += 1
        return True

    def connected_outputs(self) -> list[str]:
        return [
            (k.device.id if k.device else k.pattern)
            for k in self.links.values()
            if k.out_port is not None
        ]

    def _link_for(self, device_id: str) -> Link | None:
        link = self.links.get(device_id)
        if link is not None:
            return link
        for link in self.links.values():
            if link.device is not None and link.device.id == device_id:
                return link
        return None

    # --- closing (worker thread) --------------------------------------------------------
    def _close(self, port: Any) -> None:
        with self._ports_lock:
            rtports.close(port)

    def _close_all(self, links: list[Link]) -> None:
        with self._ports_lock:
            for link in links:
                for port in (link.in_port, link.out_port):
                    if port is not None:
                        rtports.close(port)
            self._scanner.close()
