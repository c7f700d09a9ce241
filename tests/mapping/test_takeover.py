"""Soft takeover after someone else (a setlist scene, the TUI, another fader) moved a value."""

from __future__ import annotations

import pytest

from tests.mapping.helpers import cc

# engine.speed: 0..4, default 1.0 -> a fader at 32/127 (0.252) is close to it.


def test_pickup_waits_for_the_fader_to_reach_the_value_after_a_setlist_write(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\n')  # pickup is the default
    m.handle([cc(1, 0)])
    assert store.get("engine.speed") == 1.0  # fader at 0, value at 1.0: nothing written
    m.handle([cc(1, 32)])
    assert store.get("engine.speed") == pytest.approx(4 * 32 / 127)  # picked up (within tolerance)
    m.handle([cc(1, 64)])
    assert store.get("engine.speed") == pytest.approx(4 * 64 / 127)
    store.apply("engine.speed", 3.0, "setlist")  # a scene change
    m.handle([cc(1, 70)])
    assert store.get("engine.speed") == 3.0 and store.last_source("engine.speed") == "setlist"
    (info,) = m.takeover_status()
    assert not info.synced and info.offset == pytest.approx(70 / 127 - 0.75)
    m.handle([cc(1, 90)])
    assert store.get("engine.speed") == 3.0
    m.handle([cc(1, 100)])  # crossed 3.0 (95.25): picked up
    assert store.get("engine.speed") == pytest.approx(4 * 100 / 127)
    assert store.last_source("engine.speed") == "midi" and m.takeover_status()[0].synced


def test_pickup_from_above_and_in_one_jump_across_the_value(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\n')
    store.apply("engine.speed", 2.0, "tui")
    m.handle([cc(1, 127)])
    m.handle([cc(1, 100)])
    assert store.get("engine.speed") == 2.0
    m.handle([cc(1, 10)])  # one big move straight across 2.0
    assert store.get("engine.speed") == pytest.approx(4 * 10 / 127)


def test_value_scaling_converges_at_the_end_of_travel(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\ntakeover = "value-scaling"\n')
    m.handle([cc(1, 32)])  # near 1.0: synced
    m.handle([cc(1, 64)])
    store.apply("engine.speed", 3.0, "setlist")  # now the value is above the fader
    m.handle([cc(1, 80)])
    y_prev, y_new, y_param = 64 / 127, 80 / 127, 0.75
    expected = y_param + (1 - y_param) * (y_new - y_prev) / (1 - y_prev)
    assert store.get("engine.speed") == pytest.approx(4 * expected)
    assert not m.takeover_status()[0].synced
    m.handle([cc(1, 127)])
    assert store.get("engine.speed") == 4.0  # they meet at the top
    assert m.takeover_status()[0].synced
    m.handle([cc(1, 64)])
    assert store.get("engine.speed") == pytest.approx(4 * 64 / 127)  # plain following again


def test_value_scaling_downwards(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\ntakeover = "value-scaling"\n')
    m.handle([cc(1, 32)])
    m.handle([cc(1, 64)])
    store.apply("engine.speed", 3.0, "osc")
    m.handle([cc(1, 32)])
    expected = 0.75 - 0.75 * (64 / 127 - 32 / 127) / (64 / 127)
    assert store.get("engine.speed") == pytest.approx(4 * expected)


def test_jump_takes_over_at_once(mapper, store):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\ntakeover = "jump"\n')
    store.apply("engine.speed", 3.0, "setlist")
    m.handle([cc(1, 0)])
    assert store.get("engine.speed") == 0.0


def test_a_setlist_ramp_keeps_running_until_the_fader_picks_it_up(mapper, store, clock):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\n')
    m.handle([cc(1, 32)])
    store.transition({"engine.speed": 3.0}, 10.0, "linear", "setlist")
    clock.t += 5.0
    store.advance()
    assert store.get("engine.speed") == pytest.approx((4 * 32 / 127 + 3.0) / 2)
    m.handle([cc(1, 40)])  # below the ramp's value: ignored, the ramp goes on
    assert store.ramping("engine.speed")
    m.handle([cc(1, 70)])  # crossed 2.0: the touch wins, the ramp stops
    assert not store.ramping("engine.speed")
    assert store.get("engine.speed") == pytest.approx(4 * 70 / 127)


def test_own_smoothing_ramps_stay_owned(mapper, store, clock):
    m = mapper('[[bind]]\ncc = 1\nparam = "engine.speed"\nsmoothing = 1.0\n')
    m.handle([cc(1, 32)])
    assert store.ramping("engine.speed") and store.ramp_target("engine.speed") == pytest.approx(
        4 * 32 / 127
    )
    clock.t += 0.5
    store.advance()
    m.handle([cc(1, 64)])  # still ours mid-ramp: follows, no pickup
    assert store.ramp_target("engine.speed") == pytest.approx(4 * 64 / 127)
    clock.t += 2.0
    store.advance()
    assert store.get("engine.speed") == pytest.approx(4 * 64 / 127)
    m.handle([cc(1, 66)])
    assert store.ramp_target("engine.speed") == pytest.approx(4 * 66 / 127)


def test_two_faders_on_one_parameter_take_turns(mapper, store):
    m = mapper(
        '[[bind]]\ncc = 1\nparam = "engine.speed"\n\n[[bind]]\ncc = 2\nparam = "engine.speed"\n'
    )
    m.handle([cc(1, 32), cc(2, 32)])
    m.handle([cc(1, 100)])
    assert store.get("engine.speed") == pytest.approx(4 * 100 / 127)
    m.handle([cc(2, 40)])  # fader 2 is far from the value fader 1 set: waits
    assert store.get("engine.speed") == pytest.approx(4 * 100 / 127)
    m.handle([cc(2, 101)])
    m.handle([cc(1, 60)])  # and now fader 1 must pick up again
    assert store.get("engine.speed") == pytest.approx(4 * 101 / 127)
