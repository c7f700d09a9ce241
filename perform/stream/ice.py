"""Which ICE servers the peer uses, so gathering finishes fast even with no internet.

aiortc gathers every candidate before it produces the offer, and a STUN server that does not
answer holds that up for 5 s per attempt. Scope's ICE-servers endpoint returns a public STUN
server (plus TURN when the server has credentials). For a Scope on this machine or the LAN,
host candidates are all it takes (Scope's media uses the machine's non-loopback addresses,
never 127.0.0.1), so ``auto`` skips the list there; for a remote Scope it keeps the list but
first drops STUN/TURN servers whose host name does not resolve or whose UDP port does not
answer a STUN binding request within ``probe_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from aioice import stun
from aioice.ice import get_host_addresses
from aiortc import RTCIceServer

from perform.errors import StreamError

log = logging.getLogger(__name__)


def is_local_url(url: str) -> bool:
    """True for loopback, private (LAN), link-local and ``.local`` hosts."""
    host = urlsplit(url).hostname or ""
    if host in ("localhost",) or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def check_host_addresses() -> list[str]:
    """The addresses aiortc will offer; an error when only loopback exists."""
    addresses = get_host_addresses(use_ipv4=True, use_ipv6=True)
    if not addresses:
        raise StreamError(
            "This machine has no network address other than loopback, and WebRTC (aiortc) "
            "never uses 127.0.0.1: connect to a network (any LAN, even without internet).",
            title="No network for WebRTC",
        )
    return addresses


def _urls(server: dict[str, Any]) -> list[str]:
    urls = server.get("urls") or server.get("url") or []
    return [urls] if isinstance(urls, str) else [str(u) for u in urls]


def _endpoint(url: str) -> tuple[str, str, int, str] | None:
    """``stun:host:port`` / ``turn:host:port?transport=udp`` -> (scheme, host, port, transport)."""
    scheme, _, rest = url.partition(":")
    rest, _, query = rest.partition("?")
    host, _, port = rest.rpartition(":")
    if not host:
        host, port = rest, ""
    host = host.strip("[]")
    default = 5349 if scheme == "turns" else 3478
    transport = "tcp" if "transport=tcp" in query or scheme == "turns" else "udp"
    try:
        return scheme, host, int(port) if port else default, transport
    except ValueError:
        return None


async def _answers(host: str, port: int, timeout: float) -> bool:
    """Does ``host:port`` answer a STUN binding request over UDP within ``timeout``?"""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM), timeout
        )
    except (OSError, TimeoutError):
        return False
    if not infos:
        return False
    address = (str(infos[0][4][0]), int(infos[0][4][1]))
    answered = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            if not answered.done():
                answered.set_result(True)

        def error_received(self, exc: Exception) -> None:
            if not answered.done():
                answered.set_result(False)

    try:
        transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=address)
    except OSError:
        return False
    try:
        request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
        for _ in range(3):
            transport.sendto(bytes(request))
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(answered), timeout / 3)
        return False
    finally:
        transport.close()


async def select_ice_servers(
    scope_url: str, servers: list[dict[str, Any]], mode: str = "auto", probe_timeout: float = 1.0
) -> list[RTCIceServer]:
    """The servers to hand aiortc (see the module docstring)."""
    if mode == "host" or (mode == "auto" and is_local_url(scope_url)):
        return []
    chosen: list[RTCIceServer] = []
    for server in servers:
        for url in _urls(server):
            endpoint = _endpoint(url)
            if endpoint is None:
                continue
            scheme, host, port, transport = endpoint
            if transport == "udp" and not await _answers(host, port, probe_timeout):
                log.info("ICE server %s does not answer; skipped", url)
                continue
            chosen.append(
                RTCIceServer(
                    urls=url,
                    username=server.get("username"),
                    credential=server.get("credential"),
                )
            )
    return chosen
