"""ICE server choice without internet, the output meter."""

from __future__ import annotations

import time

import pytest

from perform.errors import StreamError
from perform.rates import RateMeter
from perform.stream.ice import check_host_addresses, is_local_url, select_ice_servers

PUBLIC_STUN = [{"urls": ["stun:stun.l.google.com:19302"], "username": None, "credential": None}]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://192.168.1.20:8000", True),
        ("http://gpu-box.local:8000", True),
        ("https://abc123-8000.proxy.runpod.net", False),
        ("http://34.120.1.2:8000", False),
    ],
)
def test_local_urls(url, local):
    assert is_local_url(url) is local


async def test_auto_mode_skips_ice_servers_for_a_local_scope():
    assert await select_ice_servers("http://127.0.0.1:8000", PUBLIC_STUN, "auto") == []


async def test_unreachable_stun_servers_are_dropped_quickly():
    """No internet: a name that does not resolve and an address nobody answers at."""
    servers = [
        *PUBLIC_STUN,
        {"urls": "stun:198.51.100.1:3478"},  # TEST-NET-2: never answers
        {"urls": "turns:turn.example.net:5349", "username": "u", "credential": "p"},
    ]
    t0 = time.perf_counter()
    chosen = await select_ice_servers("https://pod.example.net", servers, "server", 0.6)
    assert time.perf_counter() - t0 < 5
    assert [s.urls for s in chosen] == ["turns:turn.example.net:5349"]  # TCP/TLS: not probed


def test_this_machine_offers_non_loopback_addresses():
    try:
        addresses = check_host_addresses()
    except StreamError as exc:
        pytest.skip(f"no network here: {exc}")
    assert "127.0.0.1" not in addresses


def test_rate_meter():
    meter = RateMeter(window=2.0)
    for i in range(31):
        meter.add(10.0 + i / 30)
    assert meter.rate(11.0) == pytest.approx(30.0)
    assert meter.rate(20.0) == 0.0
