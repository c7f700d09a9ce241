"""The OSC server: a UDP socket read on the session loop, parsed with python-osc.

* ``strict_timing`` is off and timetags are ignored: TouchDesigner stamps bundles with
  its own clock, and python-osc's default would *sleep the loop* until then
  (attwad/python-osc#110). A bundle an hour ahead applies at once.
* A bundle is one atomic update: every parameter write in it (``/vj/...`` addresses and
  mapped addresses alike) goes to the store in one ``apply_many``, actions after.
* Types f, i, d, h, T, F, N, s (and b, which is refused politely) are coerced to each
  target's kind; address patterns follow the OSC 1.0 spec.
* Bound to 127.0.0.1 by default; bound elsewhere, only loopback and ``[osc] allow``
  senders are heard.
* Nothing a sender does can raise into the loop: every bad packet is counted by kind
  and logged once per kind, and the server keeps answering.
* A flood costs O(ticks), not O(messages), beyond reading the socket: each readable
  event drains up to :data:`READ_BATCH` datagrams (asyncio's datagram transport reads
  one per loop turn), and a plain one-number message to a continuous parameter (or to
  a mapped fader) is kept *raw*, the latest per address, and parsed once per tick.
  Buttons, actions, triggers, enums, bundles and anything unusual take the full path
  per datagram, so no press is ever coalesced away.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pythonosc import osc_packet

from perform.config import OscConfig
from perform.errors import DeviceError, PerformError
from perform.events import CONTROL_MESSAGE, InputMessage
from perform.inputs.oscspace import AddressSpace, has_wildcard, pattern_regex
from perform.logs import throttled
from perform.mapping.binding import Writes
from perform.mapping.controls import ControlEvent

if TYPE_CHECKING:
    from perform.inputs.hub import ControlHub
    from perform.session import Session

log = logging.getLogger(__name__)

MAX_PACKET = 16 * 1024
"""Bigger packets are refused unparsed: python-osc's string parsing costs ~50 us per kB,
so a stream of 60 kB packets could otherwise stall the loop."""
TICK = 0.01
"""Seconds between two applies under a flood: within a tick the latest value per address
wins (a lone message is applied at once)."""
RECEIVE_BUFFER = 1 << 20
"""SO_RCVBUF: localhost UDP drops packets when the buffer fills (supercollider#5870)."""
READ_BATCH = 256
"""Datagrams read per readable event at most (bounds one loop turn to ~1 ms)."""
DATAGRAM_MAX = 65536
"""recvfrom size: a whole UDP datagram, so an oversize one is seen (and refused) whole."""
_ONE_NUMBER = (b",f\x00\x00", b",i\x00\x00")
"""Type tags of the messages that may be coalesced raw: one float or one int."""
_WILDCARD = frozenset(b"*?[]{}")


@dataclass
class _Pending:
    """What arrived since the last tick: the latest value per parameter, in order."""

    writes: Writes = field(default_factory=Writes)

    def merge(self, later: Writes) -> None:
        mine = self.writes
        for name, value in later.values.items():
            mine.ramps.pop(name, None)
            mine.values[name] = value
        for name, ramp in later.ramps.items():
            mine.values.pop(name, None)
            mine.ramps[name] = ramp
        mine.owners.update(later.owners)
        mine.actions.extend(later.actions)

    def __bool__(self) -> bool:
        return bool(self.writes)


class _Protocol(asyncio.DatagramProtocol):
    """Fallback reader for loops without ``add_reader`` (Windows' proactor loop)."""

    def __init__(self, server: OscServer) -> None:
        self._server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._server.datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        self._server.stats["socket_errors"] += 1


@dataclass
class OscServer:
    hub: ControlHub
    config: OscConfig
    name: str = "osc"
    stats: Counter = field(default_factory=Counter)
    space: AddressSpace | None = None
    port: int | None = None
    """The UDP port actually bound (``[osc] port = 0`` picks a free one)."""
    http_port: int | None = None
    _transport: asyncio.BaseTransport | None = None
    _sock: socket.socket | None = None
    _reading: bool = False
    """True while the socket is read with ``add_reader`` (False: a datagram transport)."""
    _pending: _Pending = field(default_factory=lambda: _Pending())
    _buffer: bytearray = field(default_factory=lambda: bytearray(DATAGRAM_MAX))
    """Reused by every read (a fresh 64 kB buffer per datagram costs more than the read)."""
    _view: memoryview = field(init=False)
    _raw: dict[bytes, tuple[bytes, tuple[str, int], int]] = field(default_factory=dict)
    """Coalesced this tick: address -> (latest datagram, its sender, datagrams seen)."""
    _raw_kind: dict[bytes, str] = field(default_factory=dict)
    """address -> "param", "mapped" or "" (not coalescable); cleared every tick."""
    _flush_handle: asyncio.TimerHandle | None = None
    _last_flush: float = float("-inf")
    _allow: list[Any] = field(default_factory=list)
    _open_to_all: bool = False
    _session: Session | None = None
    _http: Any = None

    def __post_init__(self) -> None:
        self._view = memoryview(self._buffer)

    async def start(self, session: Session) -> None:
        self._session = session
        self.space = AddressSpace(self.hub.store)
        self._open_to_all = _is_loopback(self.config.host)
        self._allow = await _resolve_allow(self.config.allow)
        if not self._open_to_all and not self._allow:
            self.hub.notify(
                f"OSC listens on {self.config.host} but [osc] allow is empty: only this "
                "machine can send. Add the senders' addresses to [osc] allow.",
                title="OSC",
                severity="warning",
            )
        loop = asyncio.get_running_loop()
        try:
            sock = await _bind(loop, self.config.host, self.config.port)
        except OSError as exc:
            raise DeviceError(
                _bind_error(self.config.host, self.config.port, exc), title="OSC unavailable"
            ) from None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError:
            log.debug("could not raise the OSC receive buffer", exc_info=True)
        self._sock = sock
        try:
            loop.add_reader(sock.fileno(), self._readable)
            self._reading = True
        except NotImplementedError:
            self._transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self), sock=sock
            )
        self.port = sock.getsockname()[1]
        if self.config.http:
            from perform.inputs.oscquery import OscQueryServer

            self._http = OscQueryServer(self)
            try:
                self.http_port = await self._http.start(self.config.host, self.port)
            except OSError as exc:
                self._http = None
                self.hub.notify(
                    "no HTTP address-space document: "
                    + _bind_error(self.config.host, self.port, exc),
                    title="OSC",
                    severity="warning",
                )
        where = f"udp://{self.config.host}:{self.port}"
        if self.http_port is not None:
            where += f", address space at http://{self.config.host}:{self.http_port}/"
        self.hub.notify(f"listening on {where}", title="OSC")

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.stop()
            self._http = None
        if self._reading and self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._reading = False
        if self._transport is not None:
            self._transport.close()  # closes the socket too
            self._transport = None
        elif self._sock is not None:
            self._sock.close()
        self._sock = None
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    # --- receiving ----------------------------------------------------------------------
    def _readable(self) -> None:
        """The socket has data: read what is there (at most a batch), one loop turn."""
        sock = self._sock
        if sock is None:
            return
        buffer, view = self._buffer, self._view
        for _ in range(READ_BATCH):
            try:
                size, sender = sock.recvfrom_into(buffer)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. an ICMP error reported on the socket
                self.stats["socket_errors"] += 1
                throttled(log, "osc_socket", "OSC socket: %s", exc)
                return
            self.datagram(bytes(view[:size]), sender)

    def datagram(self, data: bytes, sender: tuple[str, int]) -> None:
        """One UDP datagram (loop thread). Never raises."""
        self.stats["packets"] += 1
        try:
            if not self._allowed(sender[0]):
                self._bad("not_allowed", f"OSC from {sender[0]} ignored (not in [osc] allow)")
                return
            address = self._coalescable(data)
            if address is not None:
                seen = self._raw.get(address)
                self._raw[address] = (data, sender, seen[2] + 1 if seen is not None else 1)
                self._schedule()
                return
            self._absorb()  # values coalesced earlier go first (a button after them sees them)
            if len(data) > MAX_PACKET:
                self._bad(
                    "oversize",
                    f"OSC packet of {len(data)} bytes from {sender[0]} ignored (over {MAX_PACKET})",
                )
                return
            if len(data) % 4:
                self._bad(
                    "malformed",
                    f"OSC packet from {sender[0]}: size {len(data)} is not a multiple of 4",
                )
                return
            try:
                packet = osc_packet.OscPacket(data)
            except osc_packet.ParseError as exc:
                self._bad("malformed", f"malformed OSC packet from {sender[0]}: {exc}")
                return
            except Exception as exc:  # python-osc raises others on some garbage
                self._bad(
                    "malformed",
                    f"malformed OSC packet from {sender[0]}: {type(exc).__name__}: {exc}",
                )
                return
            if not packet.messages:
                self._bad("empty", f"an OSC bundle from {sender[0]} held no message")
                return
            if len(packet.messages) > 1:
                self.stats["bundles"] += 1
            self._apply([m.message for m in packet.messages], sender)
        except Exception:
            self.stats["internal_errors"] += 1
            throttled(log, "osc_internal", "OSC packet handling failed", exc_info=True)

    def _apply(
        self, messages: list[Any], sender: tuple[str, int], *, schedule: bool = True
    ) -> None:
        assert self.space is not None
        values: dict[str, Any] = {}
        actions: list[tuple[str, Any]] = []
        events: list[ControlEvent] = []
        now = time.perf_counter()
        who = f"{sender[0]}:{sender[1]}"
        publish = self._session.events.publish if self._session is not None else None
        for message in messages:
            self.stats["messages"] += 1
            address, args = str(message.address), tuple(message.params)
            if not address.startswith("/vj/"):
                found = self._control_events(address, args, who, now)
                if found:
                    self.stats["mapped"] += 1
                events.extend(found)
                continue
            entries = self.space.match(address)
            accepted = failed = 0
            for entry in entries:
                try:
                    value = entry.coerce(args)
                except PerformError as exc:
                    failed += 1
                    problem = exc.message
                    continue
                accepted += 1
                if value is None:
                    continue  # a release (0) to an action or trigger
                if entry.kind == "action":
                    arg = value if entry.level else args[0] if entry.takes_arg and args else None
                    actions.append((entry.name, arg))
                else:
                    values[entry.name] = value
            if not entries:
                self._bad(
                    "unknown_address", f"no OSC address {address} (`perform osc-map` lists them)"
                )
            elif accepted:
                self.stats["accepted"] += 1
            else:
                self._bad("bad_value", f"OSC {problem}")
            if publish is not None:
                target = ", ".join(e.name for e in entries) or None
                publish(
                    CONTROL_MESSAGE, InputMessage("osc", who, _text(address, args), now, target)
                )
        writes = self.hub.mapper.handle(events, "osc", apply=False) if events else Writes()
        for name, value in values.items():
            writes.values[name] = value
            writes.ramps.pop(name, None)
        writes.actions[:0] = actions
        if not schedule:  # absorbing coalesced values at a flush: never an action here
            self._pending.merge(writes)
            return
        if writes.actions:
            self.flush()  # buttons keep their order against the values before them
        self._pending.merge(writes)
        if writes.actions:
            self.flush()
        else:
            self._schedule()

    # --- raw coalescing --------------------------------------------------------------------
    def _coalescable(self, data: bytes) -> bytes | None:
        """The address of a datagram that may wait raw for the tick, else None.

        Only a single message (not a bundle) with one finite float or int, to an address
        without wildcards that names continuous parameters only (``/vj/...``) or mapped
        faders only (absolute bindings with no action): a later value of the same address
        replaces it with nothing lost. Costs a few byte comparisons, no parsing.
        """
        end = data.find(b"\x00")
        if end <= 0 or data[0] != 0x2F:  # "/" (a bundle starts with "#")
            return None
        tag = (end + 4) & ~3
        if len(data) != tag + 8 or data[tag : tag + 4] not in _ONE_NUMBER:
            return None
        if data[tag + 1] == 0x66 and not math.isfinite(struct.unpack_from(">f", data, tag + 4)[0]):
            return None  # NaN/Inf: refused (and counted) on the full path
        address = data[:end]
        kind = self._raw_kind.get(address)
        if kind is None:
            kind = self._raw_kind[address] = self._classify(address)
        return address if kind else None

    def _classify(self, raw: bytes) -> str:
        if _WILDCARD.intersection(raw):
            return ""
        try:
            address = raw.decode("ascii")
        except UnicodeDecodeError:
            return ""
        if address.startswith("/vj/"):
            assert self.space is not None
            entries = self.space.match(address)
            continuous = all(
                e.kind in ("param", "norm") and e.spec is not None and e.spec.kind == "continuous"
                for e in entries
            )
            return "param" if entries and continuous else ""
        mapper = self.hub.mapper
        key = ("osc", address)
        bindings = mapper.bindings_for("", key)
        faders = all(
            b.mode == "absolute" and not any(t.action for t in b.targets) for b in bindings
        )
        layout = any(key in (d.next_page, d.prev_page, d.shift) for d in mapper.devices.values())
        return "mapped" if bindings and faders and not layout else ""

    def _absorb(self) -> None:
        """Parse the coalesced datagrams (the latest of each address) into the pending
        writes; the ones they replaced are counted as the full path would have."""
        if not self._raw:
            return
        raw, self._raw = self._raw, {}
        for address, (data, sender, seen) in raw.items():
            try:
                message = osc_packet.OscPacket(data).messages[0].message
            except Exception as exc:  # checked cheaply before: should not happen
                self._bad("malformed", f"malformed OSC packet from {sender[0]}: {exc}")
                continue
            self._apply([message], sender, schedule=False)
            if seen > 1:
                self.stats["messages"] += seen - 1
                self.stats["mapped" if self._raw_kind.get(address) == "mapped" else "accepted"] += (
                    seen - 1
                )

    # --- coalescing ------------------------------------------------------------------------
    def _schedule(self) -> None:
        """Apply now if the last apply was a tick ago; otherwise once, at the next tick.

        asyncio reads one datagram per loop iteration, so applying per datagram made a
        flood cost one store write, snapshot and change set per packet (4 senders at
        2 500 msg/s starved the engine). Within a tick only the latest value per address
        counts, and a lone message still applies at once.
        """
        if self._flush_handle is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_flush + TICK - loop.time()
        if wait <= 0:
            self.flush()
        else:
            self._flush_handle = loop.call_later(wait, self.flush)

    @property
    def pending(self) -> bool:
        """True while received writes wait for the next tick."""
        return bool(self._pending) or bool(self._raw)

    def flush(self) -> None:
        """Apply everything received since the last tick in one atomic store write."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        with contextlib.suppress(RuntimeError):
            self._last_flush = asyncio.get_running_loop().time()
        self._absorb()
        self._raw_kind.clear()  # the address space and the mappings may have changed
        pending, self._pending = self._pending, _Pending()
        if not pending:
            return
        writes = pending.writes
        self.stats["applied"] += len(writes.values) + len(writes.ramps) + len(writes.actions)
        try:
            self.hub.mapper.apply(writes, "osc")
        except Exception:
            self.stats["internal_errors"] += 1
            throttled(log, "osc_internal", "OSC apply failed", exc_info=True)

    def _control_events(
        self, address: str, args: tuple[Any, ...], who: str, now: float
    ) -> list[ControlEvent]:
        if has_wildcard(address):
            regex = pattern_regex(address)
            bound = [
                a for a in self.hub.mapper.osc_addresses() if regex is not None and regex.match(a)
            ]
            if not bound:
                self._bad("unknown_address", f"OSC pattern {address} matches no mapped address")
        else:
            bound = [address]
        if not bound:
            return []
        value = _number(args)
        if value is None:
            self._bad(
                "bad_value",
                f"OSC {address}: {_text(address, args)} is not a number (mapped address)",
            )
            return []
        return [ControlEvent(who, ("osc", a), value, 0, None, now, args) for a in bound]

    def _allowed(self, host: str) -> bool:
        if self._open_to_all:
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or any(ip in net for net in self._allow)

    @property
    def errors(self) -> int:
        """Packets and messages refused so far (malformed, unknown, not allowed...)."""
        good = ("packets", "bundles", "messages", "mapped", "accepted", "applied")
        return sum(count for kind, count in self.stats.items() if kind not in good)

    def _bad(self, kind: str, message: str) -> None:
        self.stats[kind] += 1
        throttled(log, f"osc_{kind}", "%s", message)


def _number(args: tuple[Any, ...]) -> float | None:
    """A mapped address's control value; None for NaN, ±Inf, a word, nil or a blob
    (refused and counted: it used to move the target to the bottom of its range)."""
    if not args:
        return 1.0
    first = args[0]
    if isinstance(first, bool):
        return 1.0 if first else 0.0
    if isinstance(first, int | float | str):
        try:
            value = float(first)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    return None


def _text(address: str, args: tuple[Any, ...]) -> str:
    shown = " ".join(repr(a) if isinstance(a, str | bytes) else str(a) for a in args[:4])
    return f"{address} {shown}".strip()


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _resolve_allow(entries: list[str]) -> list[Any]:
    nets: list[Any] = []
    loop = asyncio.get_running_loop()
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        try:
            infos = await loop.getaddrinfo(entry, None, type=socket.SOCK_DGRAM)
        except OSError:
            log.warning("[osc] allow: cannot resolve %s", entry)
            continue
        for info in infos:
            nets.append(ipaddress.ip_network(info[4][0]))
    return nets


async def _bind(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket bound to ``host:port`` (the first address that binds)."""
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.bind(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if getattr(exc, "errno", None) in (98, 48, 10048):
        return (
            f"port {port} on {host} is in use (another perform, TouchOSC or a DAW?). "
            "Pick another with [osc] port, or stop the other program."
        )
    return f"cannot listen on {host}:{port}: {exc}. Check [osc] host (and the firewall on Windows)."
