"""The setlist runner on a fake clock: timing, curves, policies, panic, GO protection."""

from __future__ import annotations

from pathlib import Path

import pytest

from perform import curves
from tests.show_harness import ShowHarness

T0 = 100.0


def show(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "show.toml"
    path.write_text('[show]\nname = "t"\nmin_go_interval = 0.5\n' + head + body, encoding="utf-8")
    return path


AUTO3 = """
[[scenes]]
name = "a"
transition = { beats = 2 }
hold = "8 beats"
[[scenes]]
name = "b"
transition = { beats = 0 }
hold = "2 bars"
[[scenes]]
name = "c"
transition = { seconds = 1 }
hold = "1 beat"
"""


@pytest.mark.parametrize("bpm", [120, 93])
def test_holds_in_beats_follow_the_tempo(tmp_path, bpm):
    h = ShowHarness(show(tmp_path, AUTO3, f"bpm = {bpm}\n"))
    spb = 60 / bpm
    h.seq.go(T0)
    done_at = (2 + 8 + 8) * spb + 1 + spb  # c: 1 s transition + 1 beat hold
    h.at(T0 + done_at - 0.01)
    assert h.seq.phase == "hold"
    h.at(T0 + done_at + 0.01)
    assert h.seq.phase == "done" and h.states[-1].phase == "done"
    expected = [(0.0, "a"), ((2 + 8) * spb, "b"), ((2 + 8 + 8) * spb, "c")]
    assert [name for _, name in h.taken()] == ["a", "b", "c"]
    for (t, _), (want, _) in zip(h.taken(), expected, strict=True):
        assert t == pytest.approx(want, abs=1e-6)
    phases = [s.phase for s in h.states]
    assert "transition" in phases and "hold" in phases


def test_auto_continue_overlaps_and_manual_waits(tmp_path):
    body = """
[[scenes]]
name = "a"
transition = { seconds = 4 }
hold = "manual"
continue = "auto-continue"
post_wait = { seconds = 1.5 }
[[scenes]]
name = "b"
transition = { seconds = 2 }
[[scenes]]
name = "c"
"""
    h = ShowHarness(show(tmp_path, body))
    h.seq.go(T0)
    h.at(T0 + 1.4)
    assert [n for _, n in h.taken()] == ["a"]
    h.at(T0 + 1.5)
    assert h.taken() == [(0.0, "a"), (1.5, "b")]  # mid-transition: cues overlap
    h.at(T0 + 30)
    assert h.seq.phase == "waiting" and h.seq.index == 1  # b has a manual hold
    assert h.states[-1].next_scene == "c" and h.states[-1].hold_remaining is None
    h.seq.go(h.t)
    assert h.seq.index == 2


def test_quantized_go_lands_on_the_bar_with_lookahead(tmp_path):
    body = '[[scenes]]\nname = "a"\n[[scenes]]\nname = "b"\nquantize = "bar"\n'
    h = ShowHarness(show(tmp_path, body, "bpm = 120\nlookahead_ms = 100\n"))
    h.seq.go(T0)  # scene a: no quantize -> at once
    assert h.seq.index == 0
    press = T0 + 3.3  # beat 6.6 at 120 bpm; the next bar is beat 8 = T0 + 4.0
    h.at(press)
    h.seq.go(press)
    assert h.seq.index == 0 and h.seq.pending is not None
    assert h.states[-1].go_at == pytest.approx(T0 + 4.0 - 0.1)
    h.at(T0 + 3.89)
    assert h.seq.index == 0
    h.at(T0 + 3.95)
    fired_at = h.seq.taken[-1][0]
    assert h.seq.index == 1 and fired_at == pytest.approx(T0 + 3.9)
    # The bar the change is meant for: lookahead later, the clock is exactly on beat 8.
    assert h.clock.beat_at(fired_at + 0.1) == pytest.approx(8.0)


@pytest.mark.parametrize("curve", ["linear", "s-curve", "exponential", "logarithmic"])
def test_a_transition_follows_its_curve(tmp_path, curve):
    body = f"""
[[scenes]]
name = "a"
params = {{ "color.hue" = 0.0 }}
transition = {{ seconds = 0 }}
[[scenes]]
name = "b"
params = {{ "color.hue" = 0.8 }}
transition = {{ seconds = 4, curve = "{curve}" }}
"""
    h = ShowHarness(show(tmp_path, body))
    h.seq.go(T0)
    h.at(T0 + 1)
    h.seq.go(h.t)
    start = h.t
    for p in (0.1, 0.25, 0.5, 0.75, 0.9):
        h.at(start + 4 * p)
        assert h.store.get("color.hue") == pytest.approx(0.8 * curves.shape(curve, p), abs=1e-6)
        assert h.store.last_source("color.hue") == "setlist"
    h.at(start + 5)
    assert h.store.get("color.hue") == pytest.approx(0.8)


def test_snap_versus_interpolate(tmp_path):
    body = """
[[scenes]]
name = "a"
params = { "color.hue" = 0.0, "color.brightness" = 1.0, "color.palette" = "oil_slick" }
transition = { seconds = 0 }
[[scenes]]
name = "b"
params = { "color.hue" = 0.5, "color.brightness" = 2.0, "color.palette" = "cuttlefish" }
prompt = "deep sea"
transition = { seconds = 4, curve = "linear", snap = ["color.brightness"] }
"""
    h = ShowHarness(show(tmp_path, body))
    h.seq.go(T0)
    h.at(T0 + 1)
    h.seq.go(h.t)
    h.wait(1.0)
    assert h.store.get("color.palette") == "cuttlefish"  # enums snap
    assert h.store.get("color.brightness") == 2.0  # listed in snap
    assert h.store.get("color.hue") == pytest.approx(0.125)  # floats glide
    assert h.store.get("prompt.a") == "deep sea"
    timing = h.store.snapshot.transitions["prompt.a"]  # Scope blends over the same 4 s
    assert timing.seconds == 4.0 and timing == h.store.snapshot.transitions["color.hue"]


def test_same_engine_preset_glides_its_parameters(tmp_path):
    body = """
[[scenes]]
name = "a"
preset = "medusa"
transition = { seconds = 0 }
[[scenes]]
name = "b"
preset = "labyrinth"
transition = { seconds = 2, curve = "linear" }
"""
    h = ShowHarness(show(tmp_path, body))
    h.seq.go(T0)
    assert h.store.get("gray_scott.feed") == pytest.approx(0.030)
    h.at(T0 + 1)
    h.seq.go(h.t)
    assert h.store.get("engine.preset") == "labyrinth"
    h.wait(1.0)
    assert h.store.get("gray_scott.feed") == pytest.approx(0.0295)
    h.wait(1.5)
    assert h.store.get("gray_scott.feed") == pytest.approx(0.029)


def test_cross_engine_switch_crossfades_and_snaps_the_new_engine(tmp_path, monkeypatch):
    from engines import preset_values, presets
    from engines.catalog import Preset
    from perform.params import ParamSpec

    fake = dict(presets())
    fake["soliton"] = Preset("soliton", "other_engine", "Other", {"color.hue": 0.6})
    monkeypatch.setattr("perform.registry.get_preset", lambda key: fake[key])
    real = preset_values
    monkeypatch.setattr(
        "perform.registry.preset_values",
        lambda key: {"color.hue": 0.6} if key == "soliton" else real(key),
    )
    body = """
[[scenes]]
name = "a"
preset = "medusa"
params = { "color.hue" = 0.0 }
transition = { seconds = 0 }
[[scenes]]
name = "b"
preset = "labyrinth"
params = { "gray_scott.feed" = 0.031, "color.hue" = 0.5 }
transition = { seconds = 3, curve = "linear" }
"""
    h = ShowHarness(show(tmp_path, body))
    spec = h.store.spec("engine.preset")
    h.store.register(
        ParamSpec("engine.preset", "enum", default="medusa", choices=(*spec.choices, "soliton")),
        replace=True,
    )
    h.store.apply("engine.preset", "soliton", "tui")  # another engine runs
    h.seq.go(T0)
    assert h.store.snapshot.transitions["engine.preset"].seconds == 0.0  # instant: no crossfade
    h.store.apply_many({"engine.preset": "soliton", "gray_scott.feed": 0.02}, "tui")
    h.at(T0 + 1)
    h.seq.go(h.t)
    # the host crossfades the organisms over the scene's own 3 s
    assert h.store.snapshot.transitions["engine.preset"].seconds == 3.0
    assert h.store.get("gray_scott.feed") == pytest.approx(0.031)  # the new engine starts on target
    h.wait(1.5)
    # shared render params still glide (from soliton's 0.6: a preset is a complete scene)
    assert h.store.get("color.hue") == pytest.approx(0.55)


def test_panic_fades_then_a_second_panic_cuts(tmp_path):
    head = "panic_fade = 2.0\n"
    body = """
[scope]
pipeline = "longlive"
[[scope.loras]]
name = "arcane"
path = "/l/arcane.safetensors"
[[scenes]]
name = "a"
loras = { arcane = 0.8 }
transition = { seconds = 0 }
hold = "4 beats"
[[scenes]]
name = "b"
"""
    h = ShowHarness(show(tmp_path, body, head))
    h.seq.go(T0)
    assert h.store.get("lora.arcane.scale") == 0.8
    h.at(T0 + 0.5)
    h.seq.panic(h.t)
    h.wait(1.0)
    assert h.seq.phase == "panic"
    assert 0.0 < h.store.get("master.fade") < 1.0 and 0 < h.store.get("lora.arcane.scale") < 0.8
    h.wait(5.0)
    assert h.seq.index == 0  # panic cancelled the automatic continue
    h2 = ShowHarness(show(tmp_path, body, head))
    h2.seq.go(T0)
    h2.at(T0 + 0.5)
    h2.seq.panic(h2.t)
    h2.wait(0.3)
    h2.seq.panic(h2.t)  # second press: hard cut
    assert h2.store.get("master.fade") == 0.0 and h2.store.get("lora.arcane.scale") == 0.0
    assert not h2.store.ramping("master.fade")
    assert h2.invoked == ["scope.cut"]
    h2.wait(1.0)
    assert h2.seq.go(h2.t) and h2.seq.index == 1  # GO after panic goes on...
    h2.wait(3.0)
    assert h2.store.get("master.fade") == pytest.approx(1.0)  # ...and brings the light back


def test_double_go_is_ignored(tmp_path):
    h = ShowHarness(
        show(tmp_path, '[[scenes]]\nname = "a"\n[[scenes]]\nname = "b"\n[[scenes]]\nname = "c"\n')
    )
    assert h.seq.go(T0)
    assert not h.seq.go(T0 + 0.2)  # bounce within min_go_interval
    assert h.seq.index == 0 and h.seq.rejected_gos == 1
    h.at(T0 + 0.6)
    assert h.seq.go(h.t) and h.seq.index == 1


def test_a_performer_touch_wins_during_a_transition(tmp_path):
    body = """
[[scenes]]
name = "a"
params = { "color.hue" = 0.0, "color.brightness" = 1.0 }
transition = { seconds = 0 }
[[scenes]]
name = "b"
params = { "color.hue" = 1.0, "color.brightness" = 3.0 }
transition = { seconds = 4, curve = "linear" }
"""
    h = ShowHarness(show(tmp_path, body))
    h.seq.go(T0)
    h.at(T0 + 1)
    h.seq.go(h.t)
    h.wait(1.0)
    h.store.apply("color.hue", 0.1, "midi")
    h.wait(5.0)
    assert h.store.get("color.hue") == 0.1 and h.store.last_source("color.hue") == "midi"
    assert h.store.get("color.brightness") == pytest.approx(3.0)


def test_back_goto_arm_and_loop(tmp_path):
    body = '[[scenes]]\nname = "a"\n[[scenes]]\nname = "b"\n[[scenes]]\nname = "c"\n'
    h = ShowHarness(show(tmp_path, body, 'run_order = "loop"\n'))
    h.seq.go(T0)
    h.seq.arm("c", T0)
    assert h.states[-1].next_scene == "c"
    h.at(T0 + 1)
    h.seq.go(h.t)
    assert h.seq.index == 2 and h.seq.standby == 0  # loop: after the last comes the first
    h.seq.back(h.t)
    assert h.seq.index == 1
    h.seq.goto("1", h.t)
    assert h.seq.index == 0


def test_tempo_change_mid_show_moves_the_holds(tmp_path):
    h = ShowHarness(show(tmp_path, AUTO3, "bpm = 120\n"))
    h.seq.go(T0)
    h.at(T0 + 0.5)  # scene a, in its 1 s transition
    h.clock.set_bpm(60, h.t)  # the DJ slows down (e.g. MIDI clock)
    # Holds are converted when a scene is taken: a keeps its schedule, b follows 60 bpm.
    h.at(T0 + 60)
    times = [t for t, _ in h.taken()]
    assert times[1] == pytest.approx(5.0)
    assert times[2] - times[1] == pytest.approx(8 * 1.0)
