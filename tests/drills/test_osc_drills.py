"""Drills: hostile OSC over real UDP on loopback (issue 11, items 1, 2 and 9).

Non-finite and wrong-typed values to every kind of parameter, alone, in bundles, in a
flood and through a mapping; a flood from four senders while the organism runs. Each
drill asserts behaviour — the store stays sane, the good values of a bundle apply,
nothing is lost, the log stays bounded, the engine keeps stepping — never a rate.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import threading

import pytest

from perform.faults import FaultWatch
from perform.inputs.osc import OscServer
from tests.helpers import eventually
from tests.inputs.helpers import control_config, make_session
from tests.inputs.test_osc import build, bundle, message, settle

NOT_VALUES: tuple[tuple[object, str], ...] = (
    (float("nan"), "f"),
    (float("inf"), "f"),
    (float("-inf"), "f"),
    (float("nan"), "d"),
    ("loud", "s"),
    ("inf", "s"),
    (None, "N"),
    (b"\x00\x01\x02\x03", "b"),
)
TARGETS = (
    "/vj/color/palette",
    "/vj/engine/preset",
    "/vj/engine/freeze",
    "/vj/scope/input_mode",
    "/vj/engine/speed",
    "/vj/norm/color/hue",
    "/vj/engine/reseed",
    "/vj/panic",
)


async def resend_until(sock, dgram: bytes, condition, timeout: float = 60) -> None:
    """UDP may drop part of a local blast (a full receive buffer), the sentinel after it
    too: send it until it lands."""

    def sent_and_applied() -> bool:
        if condition():
            return True
        sock.send(dgram)
        return False

    await eventually(sent_and_applied, timeout=timeout, every=0.05)


PRESSES = ("/vj/engine/reseed", "/vj/panic")


@pytest.fixture
async def osc(tmp_path):
    session = make_session(control_config(osc={"enabled": True}), mappings=["touchdesigner"])
    await session.start(engine=False)
    server = session.component(OscServer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", server.port))
    yield session, server, sock
    sock.close()
    await session.stop()


def test_the_store_refuses_non_finite_and_wrong_types_for_every_kind():
    """The class, at its root: coercion refuses garbage with a ParamError, nothing else."""
    from perform.errors import ParamError

    store = make_session(control_config()).store
    refused = 0
    for name, spec in store.specs.items():
        if spec.kind == "text":
            continue
        for bad in (float("nan"), float("inf"), -math.inf, b"\x01", "not a value"):
            before = store.get(name)
            with pytest.raises(ParamError, match=name.replace(".", r"\.")):
                store.apply(name, bad, "osc")
            assert store.get(name) == before
            refused += 1
    assert refused > 50


async def test_non_finite_values_never_raise_and_the_bundle_still_applies(osc, caplog):
    session, server, sock = osc
    store = session.store
    before = {n: store.get(n) for n in store.specs}
    sent = 0
    for address in TARGETS:
        for bad in NOT_VALUES:
            if bad[1] == "N" and address in PRESSES:
                continue  # nil to a trigger or action is a press without argument (documented)
            sock.send(message(address, bad))
            sent += 1
    # A bundle [hue 0.9, palette NaN] still applies the hue.
    sock.send(bundle(build("/vj/color/hue", 0.9), build("/vj/color/palette", (float("nan"), "f"))))
    sock.send(message("/vj/color/*", (float("inf"), "f")))
    sent += 2
    await settle(server, sent)
    assert store.get("color.hue") == pytest.approx(0.9)
    assert server.stats["internal_errors"] == 0
    assert server.stats["bad_value"] >= len(TARGETS) * len(NOT_VALUES) - 8
    for name, value in before.items():
        if name in ("color.hue",):
            continue
        now = store.get(name)
        if isinstance(value, float):
            assert math.isfinite(now), name
        assert now == value or store.spec(name).kind == "trigger", name
    assert not any(r.exc_info for r in caplog.records), "no traceback for a bad packet"


async def test_a_flood_of_garbage_logs_a_bounded_number_of_lines(osc, caplog):
    session, server, sock = osc
    caplog.set_level(logging.WARNING)
    for i in range(3000):
        sock.send(message(TARGETS[i % 4], NOT_VALUES[i % len(NOT_VALUES)]))
        if i % 200 == 0:
            await asyncio.sleep(0)
    store = session.store
    choice = store.spec("color.palette").choices[1]
    await resend_until(
        sock, message("/vj/color/palette", (1, "i")), lambda: store.get("color.palette") == choice
    )
    assert server.stats["bad_value"] > 1000
    assert server.stats["internal_errors"] == 0
    # one line per kind per second at most; the drill runs for a few seconds at most
    lines = [r for r in caplog.records if r.name.startswith("perform")]
    assert len(lines) < 40, [r.getMessage() for r in lines[:5]]
    assert any("more [osc_bad_value]" in r.getMessage() for r in lines) or len(lines) <= 2


async def test_through_a_mapping_garbage_is_refused_not_the_bottom_of_the_range(osc):
    session, server, sock = osc
    store = session.store
    sock.send(message("/td/energy", 0.5))
    await settle(server, 1)
    speed = store.get("engine.speed")
    assert speed > store.spec("engine.speed").min
    refused = server.stats["bad_value"]
    for bad in ((float("nan"), "f"), ("loud", "s"), (None, "N"), (float("-inf"), "f")):
        sock.send(message("/td/energy", bad))
    await settle(server, 5)
    assert store.get("engine.speed") == speed
    assert server.stats["bad_value"] == refused + 4


async def test_four_senders_flooding_do_not_stop_the_organism_and_the_last_value_lands():
    session = make_session(control_config(osc={"enabled": True}))
    await session.start()
    try:
        server = session.component(OscServer)
        host = session.host
        await eventually(lambda: host.total_steps > 0, timeout=60, what="the organism to step")
        stop = threading.Event()
        counts = [0, 0, 0, 0]

        def flood(i: int) -> None:
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            out.connect(("127.0.0.1", server.port))
            dgram = message("/vj/color/hue", 0.25 + i / 10)
            try:
                while not stop.is_set():
                    out.send(dgram)
                    counts[i] += 1
            finally:
                out.close()

        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(4)]
        for thread in threads:
            thread.start()
        try:
            await eventually(lambda: server.stats["packets"] > 2000, timeout=60)
            steps = host.total_steps
            await eventually(
                lambda: host.total_steps > steps + 5,
                timeout=60,
                what="the organism to keep stepping under the flood",
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join(5)
        assert sum(counts) > 2000
        last = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        last.connect(("127.0.0.1", server.port))
        try:
            # the first real message after the flood is applied (the socket may still hold
            # the flood's tail: the value must win once that is read)
            await resend_until(
                last,
                message("/vj/color/hue", 0.875),
                lambda: session.store.get("color.hue") == 0.875,
            )
        finally:
            last.close()
        assert server.stats["internal_errors"] == 0
    finally:
        await session.stop()


async def test_refused_values_are_shown_in_the_status_line_and_logged_once_a_second(caplog):
    from perform.faults import fault_counts
    from perform.tui.app import PerformApp
    from perform.tui.widgets.status import StatusBar

    session = make_session(control_config(osc={"enabled": True}), mappings=["touchdesigner"])
    caplog.set_level(logging.WARNING)
    app = PerformApp(session, live=False)
    async with app.run_test(size=(160, 40)) as pilot:
        server = session.component(OscServer)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", server.port))
        try:
            for _ in range(50):
                sock.send(message("/vj/color/palette", (float("nan"), "f")))
                sock.send(message("/td/energy", ("loud", "s")))
            await eventually(lambda: server.stats["bad_value"] >= 20, timeout=30)
            await pilot.pause()
            status = app.screen.query_one(StatusBar)
            await eventually(lambda: "OSC refused" in str(status.render()), timeout=30)
            watch = session.component(FaultWatch)
            await eventually(
                lambda: any("faults in the last" in r.getMessage() for r in caplog.records),
                timeout=30,
            )
            # every refusal is counted (the watch's last report may predate the last few)
            await eventually(lambda: fault_counts(session).get("osc_refused", 0) >= 20, timeout=30)
            assert watch.last.get("osc_refused", 0) > 0
        finally:
            sock.close()
    lines = [r for r in caplog.records if r.name == "perform.faults"]
    assert 1 <= len(lines) <= 10  # one line a second at most, whatever the flood


async def test_a_flood_is_parsed_per_tick_and_no_press_between_its_values_is_lost(osc):
    """Blasts of fader values (a /vj/ parameter and a mapped fader) with presses between
    them (a /vj/ action, a mapped pulse button): every press fires, after the values sent
    before it; the last value wins; every datagram is counted; and the flooded addresses
    are parsed (and shown on the monitor) about once per tick, not once per datagram."""
    from perform.events import CONTROL_MESSAGE

    session, server, sock = osc
    store = session.store
    presses: list[float] = []  # the hue the store held when each press fired
    store.actions.bind("cue.go", lambda arg, source: presses.append(store.get("color.hue")))
    shown = {"/vj/color/hue": 0, "/td/energy": 0}

    def monitor(m) -> None:
        address = m.text.split(" ", 1)[0]
        if address in shown:
            shown[address] += 1

    unsubscribe = session.events.subscribe(CONTROL_MESSAGE, monitor)
    rounds, per_round, sent = 20, 60, 0
    wanted: list[float] = []
    try:
        for r in range(rounds):
            # sent while the loop cannot run: the socket holds the whole blast
            for i in range(per_round):
                sock.send(message("/vj/color/hue", (r * per_round + i) / 2000))
                sock.send(message("/td/energy", i / per_round))
            hue = (r * per_round + per_round - 1) / 2000
            wanted.append(hue)
            if r % 2:
                sock.send(message("/td/go", 1.0))  # a TouchDesigner pulse: press...
                sock.send(message("/td/go", 0.0))  # ... and release
            else:
                sock.send(message("/vj/cue/go", 1.0))
            sent += 2 * per_round + 1 + r % 2
            await settle(server, sent)
    finally:
        unsubscribe()
    assert presses == pytest.approx(wanted)  # every press, each after the values before it
    assert store.get("color.hue") == pytest.approx(wanted[-1])
    assert store.get("color.brightness") == pytest.approx(0.8 + 0.8 * (per_round - 1) / per_round)
    assert server.stats["packets"] == sent
    assert server.stats["messages"] == sent
    assert server.stats["accepted"] + server.stats["mapped"] == sent
    # coalesced: a blast of 60 values costs a few parses, not 60
    assert shown["/vj/color/hue"] <= rounds * 4, shown
    assert shown["/td/energy"] <= rounds * 4, shown
