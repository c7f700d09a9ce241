"""OSC state out over real UDP: initial state, change-only, rate cap, scene and tempo."""

from __future__ import annotations

import asyncio

import pytest

from engines import all_params, presets
from perform.config import OscConfig
from perform.events import SHOW_STATE, TEMPO_STATE, ShowState, TempoState
from perform.outputs.osc_out import OscFeedback, parse_target
from perform.registry import build_store
from tests.inputs.helpers import OscReceiver
from tests.jack import eventually
from tests.outputs.test_feedback import FakeSession


@pytest.fixture
async def wired():
    receiver, transport, port = await OscReceiver.open()
    made = []

    async def make(**config) -> tuple[OscFeedback, FakeSession]:
        store = build_store(presets(), "medusa", all_params())
        session = FakeSession(store)
        feedback = OscFeedback(store, OscConfig(**config), [("127.0.0.1", port)])
        await feedback.start(session)
        made.append(feedback)
        return feedback, session

    yield make, receiver
    for feedback in made:
        await feedback.stop()
    transport.close()


def values(receiver: OscReceiver, address: str) -> list:
    return [params[0] for found, params in receiver.messages if found == address]


async def test_everything_once_at_start_then_only_changes(wired):
    make, receiver = wired
    feedback, session = await make()
    store = session.store
    state = [n for n in store.names() if store.spec(n).kind != "trigger"]
    # the whole state goes out once (in the store's order, over several sends)
    await eventually(
        lambda: all(receiver.last(f"/vj/{n.replace('.', '/')}") is not None for n in state)
    )
    assert receiver.last("/vj/engine/speed") == 1.0
    assert receiver.last("/vj/norm/engine/speed") == 0.25
    assert receiver.last("/vj/engine/preset") == "medusa"  # strings on their own address
    medusa = session.store.spec("engine.preset").normalized("medusa")
    assert receiver.last("/vj/norm/engine/preset") == pytest.approx(medusa)
    assert receiver.last("/vj/prompt/a") == ""
    assert values(receiver, "/vj/engine/reseed") == []  # triggers are events, not state
    receiver.messages.clear()
    session.store.apply("engine.speed", 1.0, "midi")  # same value: nothing to send
    session.store.apply("color.hue", 0.5, "midi")
    await eventually(lambda: receiver.last("/vj/color/hue") == 0.5)
    await asyncio.sleep(0.1)
    assert {a for a, _ in receiver.messages} == {"/vj/color/hue", "/vj/norm/color/hue"}


async def test_rate_cap_keeps_the_latest_value(wired):
    make, receiver = wired
    feedback, session = await make(feedback_hz=10)
    await eventually(lambda: receiver.last("/vj/color/hue") == 0.0)
    receiver.messages.clear()
    for i in range(50):  # 50 moves in ~0.25 s
        session.store.apply("color.hue", i / 100, "midi")
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)
    sent = values(receiver, "/vj/color/hue")
    assert 2 <= len(sent) <= 5
    assert sent[-1] == pytest.approx(0.49)


async def test_scene_and_tempo_state(wired):
    make, receiver = wired
    feedback, session = await make()
    session.events.publish(
        SHOW_STATE,
        ShowState("Demo", 1, "Bloom", 2, "Finale", "slow fade", "hold", 12.5),
    )
    session.events.publish(TEMPO_STATE, TempoState(128.0, 9.5, 4, True, "midi"))
    await eventually(lambda: receiver.last("/vj/tempo/source") == "midi")
    assert receiver.last("/vj/scene/index") == 2.0  # 1-based for humans and TD
    assert receiver.last("/vj/scene/name") == "Bloom"
    assert (
        receiver.last("/vj/scene/next") == "Finale" and receiver.last("/vj/scene/next_index") == 3.0
    )
    assert receiver.last("/vj/scene/phase") == "hold"
    assert receiver.last("/vj/scene/hold_remaining") == 12.5
    assert receiver.last("/vj/show/name") == "Demo"
    assert receiver.last("/vj/tempo/bpm") == 128.0
    assert receiver.last("/vj/tempo/bar") == 2.0 and receiver.last("/vj/tempo/beat_in_bar") == 1.0
    assert receiver.last("/vj/tempo/phase") == 0.5 and receiver.last("/vj/tempo/playing") == 1.0
    session.events.publish(SHOW_STATE, ShowState("Demo", None, None, 0, "Intro", "", "idle", None))
    await eventually(lambda: receiver.last("/vj/scene/phase") == "idle")
    assert (
        receiver.last("/vj/scene/index") == 0.0
        and receiver.last("/vj/scene/hold_remaining") == -1.0
    )


async def test_echo_off_and_feedback_modes(wired):
    make, receiver = wired
    feedback, session = await make(echo=False, feedback="norm")
    await eventually(lambda: receiver.last("/vj/norm/color/hue") == 0.0)
    assert receiver.last("/vj/color/hue") is None  # norm only
    session.store.apply("color.hue", 0.5, "osc")  # came from OSC: not echoed
    session.store.apply("master.fade", 0.5, "midi")
    await eventually(lambda: receiver.last("/vj/norm/master/fade") == 0.5)
    await asyncio.sleep(0.1)
    assert receiver.last("/vj/norm/color/hue") == 0.0


def test_targets_are_host_port():
    assert parse_target("10.0.0.5:7001") == ("10.0.0.5", 7001)
    assert parse_target("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError, match="is not host:port"):
        parse_target("10.0.0.5")
