"""OSC state out: parameters, scene and tempo to TouchDesigner (or any OSC receiver).

What TouchDesigner's OSC In CHOP wants (controllers.md section c): one float per
address, so each value is one clean channel; strings (enum choices, prompts, scene
names) on their own addresses for an OSC In DAT. Addresses are the same as the input
ones (``/vj/engine/speed`` native, ``/vj/norm/engine/speed`` 0..1), plus the read-only
``/vj/scene/...``, ``/vj/tempo/...`` and ``/vj/program/...`` state (what is on air). Only
changed values are sent, at most ``[osc] feedback_hz`` times a second; everything is sent
once at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pythonosc.osc_message_builder import OscMessageBuilder

from perform.config import OscConfig
from perform.events import PROGRAM_STATE, SHOW_STATE, TEMPO_STATE, ShowState, TempoState, undo_all
from perform.inputs.oscspace import param_address
from perform.params import ChangeSet, ParamStore
from perform.program.state import ProgramState

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)


def parse_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{text}' is not host:port (e.g. 127.0.0.1:9011)")
    return host.strip("[]"), int(port)


def param_values(store: ParamStore, name: str, mode: str) -> dict[str, Any]:
    """Feedback addresses and values for one parameter."""
    spec = store.spec(name)
    value = store.get(name)
    out: dict[str, Any] = {}
    if spec.kind == "trigger":
        return out
    if mode in ("both", "native"):
        out[param_address(name)] = float(value) if spec.kind == "continuous" else str(value)
    if mode in ("both", "norm") and spec.kind in ("continuous", "enum"):
        out[param_address(name, True)] = float(spec.normalized(value))
    return out


def show_values(state: ShowState) -> dict[str, Any]:
    return {
        "/vj/show/name": state.show,
        "/vj/scene/index": float(state.index + 1) if state.index is not None else 0.0,
        "/vj/scene/name": state.scene or "",
        "/vj/scene/next": state.next_scene or "",
        "/vj/scene/next_index": float(state.next_index + 1)
        if state.next_index is not None
        else 0.0,
        "/vj/scene/notes": state.next_notes,
        "/vj/scene/phase": state.phase,
        "/vj/scene/hold_remaining": float(state.hold_remaining)
        if state.hold_remaining is not None
        else -1.0,
    }


def tempo_values(state: TempoState) -> dict[str, Any]:
    return {
        "/vj/tempo/bpm": float(state.bpm),
        "/vj/tempo/beat": float(state.beat),
        "/vj/tempo/bar": float(state.bar),
        "/vj/tempo/beat_in_bar": float(state.beat_in_bar),
        "/vj/tempo/phase": float(state.phase),
        "/vj/tempo/playing": 1.0 if state.playing else 0.0,
        "/vj/tempo/source": state.source,
    }


def program_values(state: ProgramState) -> dict[str, Any]:
    """The program's state (``/vj/program/source`` is the parameter: what was asked for;
    ``/vj/program/on_air`` is what the audience sees)."""
    return {
        "/vj/program/on_air": state.source,
        "/vj/program/state": state.state,
        "/vj/program/black": state.black,
        "/vj/program/failover": 1.0 if state.failover else 0.0,
        "/vj/program/scope": state.health,
    }


def datagram(address: str, value: Any) -> bytes:
    builder = OscMessageBuilder(address)
    if isinstance(value, str):
        builder.add_arg(value, OscMessageBuilder.ARG_TYPE_STRING)
    else:
        builder.add_arg(float(value), OscMessageBuilder.ARG_TYPE_FLOAT)
    return builder.build().dgram


@dataclass
class OscFeedback:
    store: ParamStore
    config: OscConfig
    targets: list[tuple[str, int]]
    name: str = "osc-out"
    sent: int = 0
    errors: int = 0
    last: dict[str, Any] = field(default_factory=dict)
    _pending: dict[str, Any] = field(default_factory=dict)
    _transports: list[asyncio.DatagramTransport] = field(default_factory=list)
    _handle: asyncio.Handle | None = None
    _stamp: float = 0.0
    _loop: asyncio.AbstractEventLoop | None = None
    _unsubscribe: list[Any] = field(default_factory=list)

    async def start(self, session: Session) -> None:
        self._loop = asyncio.get_running_loop()
        for host, port in self.targets:
            try:
                transport, _ = await self._loop.create_datagram_endpoint(
                    asyncio.DatagramProtocol, remote_addr=(host, port)
                )
            except OSError as exc:
                session.notify(
                    f"cannot send OSC feedback to {host}:{port}: {exc}",
                    title="OSC out",
                    severity="warning",
                )
                continue
            self._transports.append(transport)  # type: ignore[arg-type]
        self._unsubscribe = [
            self.store.subscribe(self._on_changes),
            session.events.subscribe(SHOW_STATE, lambda s: self.queue(show_values(s))),
            session.events.subscribe(TEMPO_STATE, lambda s: self.queue(tempo_values(s))),
            session.events.subscribe(PROGRAM_STATE, lambda s: self.queue(program_values(s))),
        ]
        self.resend_all()

    async def stop(self) -> None:
        undo_all(self._unsubscribe)
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.flush()
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        self._loop = None

    def resend_all(self) -> None:
        """Queue every parameter's value, sent even if unchanged (start, a new receiver)."""
        self.last.clear()
        for name in self.store.names():
            self.queue(param_values(self.store, name, self.config.feedback))

    def _on_changes(self, changes: ChangeSet) -> None:
        values: dict[str, Any] = {}
        for name, change in changes.items():
            if change.source == "osc" and not self.config.echo:
                continue
            if name in self.store:
                values.update(param_values(self.store, name, self.config.feedback))
        self.queue(values)

    def queue(self, values: dict[str, Any]) -> None:
        self._pending.update(values)
        if self._loop is None or self._handle is not None or not self._pending:
            return
        wait = self._stamp + 1.0 / self.config.feedback_hz - time.monotonic()
        self._handle = (
            self._loop.call_soon(self.flush)
            if wait <= 0
            else self._loop.call_later(wait, self.flush)
        )

    def flush(self) -> None:
        self._handle = None
        self._stamp = time.monotonic()
        pending, self._pending = self._pending, {}
        for address, value in pending.items():
            if self.last.get(address, _UNSET) == value:
                continue
            self.last[address] = value
            packet = datagram(address, value)
            for transport in self._transports:
                try:
                    transport.sendto(packet)
                    self.sent += 1
                except OSError:
                    self.errors += 1


_UNSET = object()
