"""The OSC server over real UDP on loopback: types, bundles, timetags, wildcards, garbage."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import time

import aiohttp
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from perform.errors import DeviceError
from perform.events import CONTROL_MESSAGE
from perform.inputs.osc import OscServer
from tests.inputs.helpers import control_config, make_session
from tests.jack import eventually


def build(address: str, *args: tuple[object, str] | object) -> OscMessage:
    builder = OscMessageBuilder(address)
    for arg in args:
        if isinstance(arg, tuple):
            builder.add_arg(arg[0], arg[1])
        else:
            builder.add_arg(arg)
    return builder.build()


def message(address: str, *args: tuple[object, str] | object) -> bytes:
    return build(address, *args).dgram


def bundle(*messages: OscMessage, timetag: float | None = None) -> bytes:
    """A bundle; ``timetag`` in Unix seconds (None: immediately)."""
    builder = OscBundleBuilder(IMMEDIATELY if timetag is None else timetag)
    for content in messages:
        builder.add_content(content)
    return builder.build().dgram


@pytest.fixture
async def osc_session(tmp_path):
    mapping = tmp_path / "td.toml"
    mapping.write_text(
        '[device]\nname = "TD"\nkind = "osc"\n\n'
        '[[bind]]\nosc = "/td/energy"\ntargets = [{ param = "engine.speed", range = [1, 3] }, '
        '{ param = "color.brightness", range = [0.5, 1.5] }]\n'
    )
    session = make_session(
        control_config(osc={"enabled": True, "http": True}), mappings=[str(mapping)]
    )
    await session.start(engine=False)
    server = session.component(OscServer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", server.port))
    yield session, server, sock
    sock.close()
    await session.stop()


async def settle(server, packets: int, timeout: float = 10.0) -> None:
    """Wait until the server has seen ``packets`` datagrams and applied them (the server
    applies at most once per tick, the latest value per address)."""
    deadline = time.monotonic() + timeout
    while server.stats["packets"] < packets or server.pending:
        if time.monotonic() > deadline:
            raise AssertionError(f"server saw {server.stats['packets']} of {packets} packets")
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # let the store deliver its coalesced change set


async def test_params_by_native_and_normalised_address_and_every_type_tag(osc_session):
    session, server, sock = osc_session
    store = session.store
    sends = [
        # First: a preset is a whole look (it resets speed, flows and colour it does not name).
        message("/vj/engine/preset", ("labyrinth", "s")),
        message("/vj/engine/speed", (2.5, "f")),
        message("/vj/color/hue", (0.25, "d")),
        message("/vj/norm/master/fade", (0, "i")),
        message("/vj/organism/stir", (3, "h")),
        message("/vj/color/palette", (2, "i")),
        message("/vj/engine/freeze", (True, "T")),
        message("/vj/scope/noise_scale", (False, "F")),
        message("/vj/prompt/a", ("a neon jellyfish", "s")),
        message("/vj/engine/reseed", (None, "N")),
    ]
    for dgram in sends:
        sock.send(dgram)
    await settle(server, len(sends))
    assert store.get("engine.speed") == 2.5 and store.last_source("engine.speed") == "osc"
    assert store.get("color.hue") == 0.25
    assert store.get("master.fade") == 0.0
    assert store.get("organism.stir") == 3.0
    assert store.get("engine.preset") == "labyrinth"
    assert store.get("color.palette") == "bioluminescent"
    assert store.get("engine.freeze") == "on"  # T -> index 1 of off/on
    assert store.get("scope.noise_scale") == 0.0  # F -> the bottom of the range
    assert store.get("prompt.a") == "a neon jellyfish"
    assert store.get("engine.reseed") == 1
    assert server.stats["bad_value"] == 0 and server.stats["unknown_address"] == 0


async def test_actions_fire_on_press_not_on_release(osc_session):
    session, server, sock = osc_session
    calls = []
    session.store.actions.bind("cue.goto", lambda arg, source: calls.append((arg, source)))
    session.store.actions.bind("cue.go", lambda arg, source: calls.append(("go", source)))
    for dgram in (
        message("/vj/cue/goto", 3),
        message("/vj/scene/goto", "finale"),
        message("/vj/cue/go", 1.0),
        message("/vj/cue/go", 0.0),  # a TouchOSC button's release
        message("/vj/scene/go"),
    ):
        sock.send(dgram)
    await settle(server, 5)
    assert calls == [(3, "osc"), ("finale", "osc"), ("go", "osc"), ("go", "osc")]


async def test_wrong_types_are_counted_and_never_wedge_the_server(osc_session):
    session, server, sock = osc_session
    for dgram in (
        message("/vj/engine/speed", ("fast", "s")),
        message("/vj/engine/speed", (b"\x00\x01", "b")),
        message("/vj/engine/speed"),
        message("/vj/engine/preset", ("nope", "s")),
        message("/vj/prompt/a", (3, "i")),
        message("/vj/no/such/thing", 1.0),
        message("/vj/engine/speed", (float("nan"), "f")),
    ):
        sock.send(dgram)
    await settle(server, 7)
    assert server.stats["bad_value"] == 6 and server.stats["unknown_address"] == 1
    sock.send(message("/vj/engine/speed", 3.0))
    await eventually(lambda: session.store.get("engine.speed") == 3.0)


async def test_a_bundle_is_one_atomic_update_including_mapped_addresses(osc_session):
    session, server, sock = osc_session
    store = session.store
    snapshots = []
    store.subscribe(lambda changes: snapshots.append(set(changes)))
    version = store.version
    sock.send(
        bundle(
            build("/vj/color/hue", 0.5),
            build("/vj/master/fade", 0.25),
            build("/td/energy", 1.0),
        )
    )
    await settle(server, 1)
    assert store.version == version + 1  # one snapshot holds all of it
    assert snapshots == [{"color.hue", "master.fade", "engine.speed", "color.brightness"}]
    assert (store.get("engine.speed"), store.get("color.brightness")) == (3.0, 1.5)
    assert server.stats["bundles"] == 1


async def test_a_bundle_an_hour_ahead_applies_at_once_and_never_blocks(osc_session):
    session, server, sock = osc_session
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            t0 = loop.time()
            await asyncio.sleep(0.005)
            lags.append(loop.time() - t0 - 0.005)

    task = asyncio.create_task(probe())
    sock.send(bundle(build("/vj/color/hue", 0.75), timetag=time.time() + 3600))
    # Applied now, not in an hour (python-osc's strict timing would sleep the loop until
    # then: this wait, and the probe, would never finish).
    await eventually(lambda: session.store.get("color.hue") == 0.75, timeout=30)
    probes = len(lags)
    await eventually(lambda: len(lags) > probes + 3, timeout=30, what="the loop to keep running")
    done.set()
    await task


async def test_address_patterns_follow_the_osc_spec(osc_session):
    session, server, sock = osc_session
    store = session.store
    sock.send(message("/vj/color/{hue,brightness}", 0.5))
    await settle(server, 1)
    assert (store.get("color.hue"), store.get("color.brightness")) == (0.5, 0.5)
    sock.send(message("/vj/norm/gray_scott/d?", 1.0))  # du and dv, nothing else
    sock.send(message("/vj/*/speed", 2.0))  # * never crosses a /
    sock.send(message("/vj/norm/scope/noise_scal[a-f]", 0.0))
    sock.send(message("/td/ener*", 0.0))  # patterns reach mapped addresses too
    await settle(server, 5)
    assert store.get("gray_scott.du") == store.spec("gray_scott.du").max
    assert store.get("gray_scott.dv") == store.spec("gray_scott.dv").max
    assert store.get("gray_scott.feed") != store.spec("gray_scott.feed").max
    assert store.get("engine.speed") == 1.0  # /td/ener* came last: the energy fader at 0
    assert store.get("scope.noise_scale") == 0.0


async def test_monitor_sees_every_message_with_its_target(osc_session):
    session, server, sock = osc_session
    seen = []
    session.events.subscribe(CONTROL_MESSAGE, seen.append)
    sock.send(message("/vj/color/hue", 0.5))
    sock.send(message("/td/energy", 0.5))
    sock.send(message("/unmapped/thing", 1))
    await settle(server, 3)
    assert [(m.source, m.text, m.target) for m in seen] == [
        ("osc", "/vj/color/hue 0.5", "color.hue"),
        ("osc", "/td/energy 0.5", "engine.speed, color.brightness"),
        ("osc", "/unmapped/thing 1", None),
    ]
    assert seen[0].device.startswith("127.0.0.1:")


async def test_10000_garbage_packets_are_counted_and_the_server_still_answers(osc_session):
    session, server, sock = osc_session
    rng = random.Random(1234)
    valid = message("/vj/color/hue", 0.5)

    def garbage(i: int) -> bytes:
        kind = i % 6
        if kind == 0:
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
        if kind == 1:
            return valid[: rng.randint(1, len(valid) - 1)]  # truncated
        if kind == 2:  # a valid header with a lying type tag string
            return b"/vj/color/hue\x00\x00\x00,fffs\x00\x00\x00" + b"\x01" * rng.randint(0, 7)
        if kind == 3:  # huge (every 10th of these), or just long
            size = 60000 if i % 60 == 3 else rng.randint(100, 20000)
            return b"/vj/x\x00\x00\x00,s\x00\x00" + b"A" * size
        if kind == 4:  # a bundle whose element sizes lie
            return b"#bundle\x00" + struct.pack(">Q", 1) + struct.pack(">i", 10_000) + b"abc"
        return message("/vj/engine/speed", (rng.choice(["x", "", "nan"]), "s"))

    sent = 0
    for start in range(0, 10_000, 12):  # paced: two 60 kB packets fill a small UDP buffer
        for i in range(start, min(10_000, start + 12)):
            sock.send(garbage(i))
            sent += 1
        await settle(server, sent)  # pace so the kernel buffer never drops any
    stats = server.stats
    assert stats["packets"] == 10_000 and stats["internal_errors"] == 0
    # Every packet is counted once: malformed whole, or parsed and its message refused.
    assert stats["malformed"] + stats["oversize"] + stats["empty"] + stats["messages"] == 10_000
    assert stats["oversize"] > 300
    outcomes = ("accepted", "mapped", "bad_value", "unknown_address")
    assert sum(stats[k] for k in outcomes) == stats["messages"]
    assert stats["malformed"] > 6000 and stats["bad_value"] > 1600
    sock.send(valid)
    await eventually(lambda: session.store.get("color.hue") == 0.5)


async def test_only_allowlisted_senders_when_bound_beyond_loopback(osc_session, tmp_path):
    session, server, sock = osc_session
    server._open_to_all = False
    import ipaddress

    server._allow = [ipaddress.ip_network("10.1.0.0/16")]
    server.datagram(message("/vj/color/hue", 0.9), ("192.168.1.20", 9000))
    assert server.stats["not_allowed"] == 1 and session.store.get("color.hue") == 0.0
    server.datagram(message("/vj/color/hue", 0.9), ("10.1.2.3", 9000))
    assert session.store.get("color.hue") == pytest.approx(0.9)
    server.datagram(message("/vj/color/hue", 0.75), ("127.0.0.1", 9000))  # loopback always
    server.flush()  # within one tick: applied at the tick (the latest value wins)
    assert session.store.get("color.hue") == 0.75


async def test_port_in_use_is_a_clear_device_error():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    session = make_session(control_config(osc={"enabled": True, "port": port}))
    try:
        server = session.component(OscServer)
        await server.hub.start(session)
        with pytest.raises(DeviceError, match=f"port {port} on 127.0.0.1 is in use"):
            await server.start(session)
    finally:
        taken.close()


async def test_the_address_space_over_http_is_oscquery_shaped(osc_session):
    session, server, sock = osc_session
    base = f"http://127.0.0.1:{server.http_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/?HOST_INFO") as response:
            info = await response.json()
        assert info["OSC_PORT"] == server.port and info["OSC_TRANSPORT"] == "UDP"
        async with http.get(f"{base}/") as response:
            root = await response.json()
        speed = root["CONTENTS"]["vj"]["CONTENTS"]["engine"]["CONTENTS"]["speed"]
        assert speed["FULL_PATH"] == "/vj/engine/speed" and speed["TYPE"] == "f"
        assert speed["RANGE"] == [{"MIN": 0.0, "MAX": 4.0}] and speed["ACCESS"] == 3
        async with http.get(f"{base}/vj/color/palette") as response:
            palette = await response.json()
        assert palette["RANGE"][0]["VALS"][0] == "oil_slick"
        async with http.get(f"{base}/vj/engine/speed?VALUE") as response:
            assert await response.json() == {"VALUE": [1.0]}
        async with http.get(f"{base}/vj/nothing") as response:
            assert response.status == 404
        async with http.get(f"{base}/api/osc-map") as response:
            flat = json.loads(await response.text())
        rows = {row["address"]: row for row in flat["addresses"]}
        assert (
            rows["/vj/norm/engine/speed"]["max"] == 1.0 and rows["/vj/cue/go"]["kind"] == "action"
        )


async def test_td_style_osc_drives_parameters_and_gets_the_state_back(tmp_path):
    from tests.inputs.helpers import OscReceiver

    receiver, transport, port = await OscReceiver.open()
    session = make_session(
        control_config(osc={"enabled": True, "feedback_hz": 100}), osc_out=[f"127.0.0.1:{port}"]
    )
    await session.start(engine=False)
    feed_before = session.store.get("gray_scott.feed")  # the start-up preset's
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("127.0.0.1", session.component(OscServer).port))
        # An OSC Out CHOP: one bundle per cook, one float per channel, stamped by TD's clock.
        sock.send(
            bundle(
                build("/vj/engine/speed", (9.0, "f")),  # out of range: clamped to 4
                build("/vj/norm/color/hue", (0.5, "f")),
                build("/vj/engine/preset", ("labyrinth", "s")),
                timetag=time.time() + 5,
            )
        )
        await eventually(
            lambda: receiver.last("/vj/engine/speed") == 4.0, what="clamped value back"
        )
        # The feedback comes in several datagrams, the preset's own parameters after its
        # name (they are its expansion): wait for everything expected, not for one of them.
        feed = session.store.get("gray_scott.feed")
        assert session.store.get("engine.preset") == "labyrinth" and feed != feed_before
        expected = {
            "/vj/engine/preset": "labyrinth",
            "/vj/norm/engine/speed": 1.0,
            "/vj/color/hue": 0.5,
            # The preset brought its own parameters with it, and TD hears about those too.
            "/vj/gray_scott/feed": pytest.approx(feed),
        }
        await eventually(
            lambda: all(receiver.last(a) == v for a, v in expected.items()),
            what=lambda: {a: receiver.last(a) for a in expected},
        )
    finally:
        sock.close()
        await session.stop()
        transport.close()
