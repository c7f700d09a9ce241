"""Configs and small waiting helpers shared by the input tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pythonosc.osc_message import OscMessage

from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.events import DEVICE_STATE, DeviceState
from perform.session import Session


def control_config(
    *,
    midi: dict[str, Any] | None = None,
    osc: dict[str, Any] | None = None,
    mappings_dir: Path | None = None,
) -> AppConfig:
    data: dict[str, Any] = {
        "stream": {"width": 128, "height": 128, "fps": 30},
        "engine": {"world": 128},
        "midi": {"backend": "jack", "auto_profiles": False, **(midi or {})},
        "osc": {"enabled": False, "port": 0, "http": False, **(osc or {})},
    }
    if mappings_dir is not None:
        data["paths"] = {"mappings": str(mappings_dir)}
    return AppConfig.model_validate(data)


def make_session(
    config: AppConfig, mappings: Sequence[str] = (), osc_out: Sequence[str] = ()
) -> Session:
    return build_session(
        config, RunOptions(headless=True, mappings=list(mappings), osc_out=list(osc_out))
    )


class DeviceLog:
    """Records DEVICE_STATE events of a session."""

    def __init__(self, session: Session) -> None:
        self.states: list[DeviceState] = []
        session.events.subscribe(DEVICE_STATE, self.states.append)

    def count(self, direction: str, state: str) -> int:
        return sum(1 for s in self.states if s.direction == direction and s.state == state)


class OscReceiver(asyncio.DatagramProtocol):
    """A UDP socket on loopback that collects OSC messages (address -> values)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[Any]]] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        message = OscMessage(data)
        self.messages.append((message.address, list(message.params)))

    def last(self, address: str) -> Any:
        for found, params in reversed(self.messages):
            if found == address:
                return params[0] if params else None
        return None

    @classmethod
    async def open(cls) -> tuple[OscReceiver, asyncio.DatagramTransport, int]:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        return protocol, transport, port  # type: ignore[return-value]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
