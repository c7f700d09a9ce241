"""The engine thread: clean start/stop, latest-wins mailbox, clock, freeze, reseed, errors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engines import numpy_backend
from perform.params import build_store
from perform.render.host import EngineHost, Slew
from perform.render.mailbox import Frame, FrameMailbox


def frame(seq: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), seq, 0.0, time.perf_counter(), 0)


def test_mailbox_latest_wins():
    box = FrameMailbox()
    assert box.latest() is None
    for seq in range(1, 6):
        box.put(frame(seq))
    assert box.latest().seq == 5
    assert box.replaced_unread == 4 and box.posted == 5
    box.put(frame(6))
    assert box.peek().seq == 6 and box.latest().seq == 6


def make_host(store, **kwargs) -> EngineHost:
    defaults = dict(world=64, width=64, height=64, fps=50, steps_per_second=200)
    defaults.update(kwargs)
    return EngineHost(
        lambda: store.snapshot,
        numpy_backend(),
        smoothing={n: s.smoothing for n, s in store.specs.items()},
        **defaults,
    )


@pytest.fixture
def store():
    from engines import all_params, presets

    return build_store(presets(), "medusa", all_params())


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "perform-engine"]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_start_stop_leaves_no_thread(store):
    stats = []
    host = make_host(store, on_stats=stats.append, stats_interval=0.1)
    host.start()
    assert wait_for(lambda: host.mailbox.posted >= 3)
    assert wait_for(lambda: stats)
    host.stop()
    assert engine_threads() == []
    frame = host.mailbox.latest()
    assert frame.rgb.shape == (64, 64, 3) and frame.rgb.dtype == np.uint8
    assert stats[-1].engine == "gray_scott" and stats[-1].steps_per_second > 0


def test_fixed_sim_clock_is_decoupled_from_fps(store):
    host = make_host(store, steps_per_second=100, fps=10)
    host.start()
    time.sleep(1.0)
    host.stop()
    # ~100 steps and ~10 frames in a second, whatever the frame rate.
    assert 60 <= host.total_steps <= 120
    assert 6 <= host.mailbox.posted <= 13


def test_freeze_holds_the_simulation_but_keeps_frames(store):
    store.apply("engine.freeze", "on", "tui")
    host = make_host(store)
    host.start()
    assert wait_for(lambda: host.mailbox.posted >= 5)
    host.stop()
    assert host.total_steps == 0


def test_reseed_trigger_resets_the_world(store):
    host = make_host(store)
    host.start()
    assert wait_for(lambda: host.total_steps > 100)
    generation = host.engine.generation
    store.apply("engine.reseed", 1, "tui")
    assert wait_for(lambda: host.engine.generation < generation)
    host.stop()


def test_an_engine_error_is_counted_and_the_show_goes_on(store, caplog):
    host = make_host(store)
    host.start()
    assert wait_for(lambda: host.mailbox.posted >= 2)
    real_step = host.engine.step
    calls = {"n": 0}

    def flaky(params, dt):
        calls["n"] += 1
        if calls["n"] == 1:
            raise FloatingPointError("bad step")
        real_step(params, dt)

    host.engine.step = flaky
    assert wait_for(lambda: host.errors == 1 and calls["n"] > 5)
    posted = host.mailbox.posted
    assert wait_for(lambda: host.mailbox.posted > posted + 2)
    host.stop()
    assert host.last_error == "FloatingPointError: bad step"
    assert "engine step failed" in caplog.text


def test_slew_glides_towards_targets():
    slew = Slew({"a": 1.0, "b": 0.0})
    assert slew.update({"a": 0.0, "b": 0.0}, 0.1)["a"] == 0.0
    out = slew.update({"a": 1.0, "b": 1.0}, 1.0)
    assert out["b"] == 1.0  # no smoothing: jumps
    assert out["a"] == pytest.approx(1 - np.exp(-1.0))


def test_frames_keep_flowing_while_the_simulation_catches_up(store):
    # An unreachable step rate with a deep catch-up budget must not starve the frames.
    host = make_host(store, steps_per_second=100_000, fps=20, max_catchup=10_000, world=128)
    host.start()
    time.sleep(1.0)
    host.stop()
    assert host.mailbox.posted >= 12
