"""No fader value kills or flashes the organism (issue 15, "faders that kill or flash").

The drills run real presets as in a show (``perform.bench.alive.watch``: the same
warm-up, flows, breathing, regulation and colour as ``perform.render.offline``) on a
128^2 world with one parameter at an end of its range, and judge the RGB frames by the
liveness definition: never black (lit >= 1 %), no flash above 10, no still stretch over
1 s. Each case is a parameter end that blacked out or froze its preset on the code
before homeostasis (``engines/homeostasis.py``), found by sweeping every parameter to both
ends on one preset per engine family (``perform bench alive --sweep --world 128``, 10 s
judged after 3 s of growth). Ends are
set from the start (the organism grows under them, harsher than a glide on stage) or, for
a rule choice, switched mid-show as an enum snaps on stage.
"""

from __future__ import annotations

from typing import Any

import pytest

from engines import ENGINES, PresetError, all_params, presets
from engines.catalog import load_preset_file
from engines.flow import FLOW_PARAMS
from engines.homeostasis import DANGER, FALL_SECONDS, RISE_SECONDS, Homeostasis
from engines.life import RULES
from perform.bench.alive import watch
from perform.bench.liveness import MAX_FLASH, MAX_STILL_SECONDS, MIN_LIT
from perform.registry import build_store
from tests.engines.helpers import ONE_PER_ENGINE, organism_for, params

SHOW_SECONDS = 30.0
GROWTH = 5.0

#: (preset, parameter, value): each blacked out or froze its preset on the organism before
#: homeostasis (lit 0.0-1.0 %, or still for 3 s, within 10 s at 128^2; see the module
#: docstring); the Lenia and flow cases stand for their neighbours (lenia.t 3,
#: lenia.peak1 1, flow.ring and flow.bubble +-1 died the same way and are held the same way).
FROM_THE_START = [
    ("coral", "lenia.mu", 0.40),
    ("coral", "lenia.sigma", 0.003),
    ("coral", "flow.radial", 1.0),
    ("coral", "flow.vertical", -1.0),
    ("sl_gliders", "smoothlife.b1", 0.45),
    ("sl_gliders", "smoothlife.ra", 9.0),
    ("sl_gliders", "flow.radial", 1.0),
    ("medusa", "gray_scott.kill", 0.07),
    ("mnca_soliton", "mnca.ring2_low", 1.0),
    ("classic_life", "life.rule", "B368/S245"),
    ("whirlpool", "cyclic.threshold", 20),
]  # fmt: skip
MID_SHOW = [
    ("classic_life", "life.rule", "B35678/S5678"),
]


def _judge(report: Any) -> None:
    assert not report.nan, report
    assert report.lit_min >= MIN_LIT, report
    assert report.flash <= MAX_FLASH, report
    assert report.longest_still_s <= MAX_STILL_SECONDS, report


@pytest.mark.slow
@pytest.mark.timeout(900)  # simulated show time; a busy shared machine is slow
@pytest.mark.parametrize(("preset", "name", "value"), FROM_THE_START)
def test_a_killing_fader_end_leaves_a_living_organism(preset, name, value):
    report = watch(preset, SHOW_SECONDS, world=128, growth=GROWTH, overrides={name: value})
    _judge(report)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(("preset", "name", "value"), MID_SHOW)
def test_a_rule_switched_mid_show_leaves_a_living_organism(preset, name, value):
    report = watch(
        preset, SHOW_SECONDS, world=128, growth=GROWTH, changes=[(GROWTH + 2.0, {name: value})]
    )
    _judge(report)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(("name", "value"), [("gray_scott.feed", 0.08), ("gray_scott.kill", 0.04)])
def test_a_fader_end_that_freezes_medusa_is_caught_as_the_audience_sees_it(name, value):
    """At 512^2 medusa at these ends kept changing by 2e-4 of its living cells a frame,
    enough for homeostasis (which took 1e-4 for frozen) but invisible on stage (motion
    0.16 per lit pixel): still for 12 s and more of 30 in this drill (17 s and 8 s in the sweep). (At 128^2 medusa itself moves that
    little, so this drill runs at the size the issue judges.)"""
    report = watch("medusa", SHOW_SECONDS, world=512, growth=GROWTH, overrides={name: value})
    _judge(report)


def test_the_strobing_parity_rule_is_not_offered():
    """B1357/S1357 turns every cell over every step: the frame strobed (flash 19 and a
    period-2 flicker of 3 at 128^2, 23 -> 130 at 512^2) whatever the preset, so no
    regulation could keep it from flashing; it is no longer a choice."""
    assert "B1357/S1357" not in RULES
    assert all(p.params.get("life.rule") in RULES for p in presets().values() if p.engine == "life")


def test_every_rule_structural_and_flow_parameter_is_held_by_homeostasis():
    for engine, preset in ONE_PER_ENGINE.items():
        organism = organism_for(preset, world=64)
        held = {d.name for d in organism.homeostasis.decls}
        assert {d.name for d in ENGINES[engine].params} <= held
        assert {d.name for d in FLOW_PARAMS} <= held


def _homeostasis() -> Homeostasis:
    decls = tuple(d for d in all_params() if d.name in ("lenia.mu", "life.rule", "mnca.rings"))
    return Homeostasis(decls)


def test_a_collapse_strains_within_half_a_second_and_holds_until_the_fader_moves():
    h = _homeostasis()
    faders = {"lenia.mu": 0.40, "life.rule": "B2/S", "mnca.rings": 3.0}
    home = {"lenia.mu": 0.15, "life.rule": "B3/S23", "mnca.rings": 1.0}
    for _ in range(30):
        h.update(0.10, 1 / 30, faders)  # healthy: the norm settles at 0.10
    assert h.strain == 0.0 and h.apply(faders, home) is faders
    for _ in range(9):
        h.update(0.10 * DANGER * 0.9, 1 / 30, faders)  # the living fraction collapses
    assert h.crises == 1 and h.strain == pytest.approx(9 / 30 / RISE_SECONDS, abs=0.01)
    for _ in range(7):
        h.update(0.10 * DANGER * 0.9, 1 / 30, faders)
    assert h.crises == 1 and h.strain == 1.0
    for _ in range(300):  # recovered (at the preset's values) for ten seconds
        h.update(0.10, 1 / 30, faders)
    assert h.strain == 1.0, "the same killing values stay held"
    assert h.apply(faders, home) == home
    moved = {**faders, "lenia.mu": 0.30}
    for _ in range(int(FALL_SECONDS * 30 / 2)):
        h.update(0.10, 1 / 30, moved)
    half = h.apply(moved, home)
    assert half["lenia.mu"] == pytest.approx(0.225, abs=0.01)  # halfway back to the fader
    assert half["mnca.rings"] == 2.0  # whole numbers stay whole
    assert half["life.rule"] in ("B3/S23", "B2/S")
    for _ in range(int(FALL_SECONDS * 30)):
        h.update(0.10, 1 / 30, moved)
    assert h.strain == 0.0 and h.apply(moved, home) is moved


def test_a_slow_thinning_becomes_the_new_norm_not_a_crisis():
    h = _homeostasis()
    fader = {"lenia.mu": 0.2}
    level = 0.2
    for _ in range(30 * 120):  # halves over two minutes: a look played slowly
        level *= 0.5 ** (1 / (30 * 120))
        h.update(level, 1 / 30, fader)
    assert h.crises == 0 and h.strain == 0.0


def test_the_store_keeps_the_coverage_floor_under_its_ceiling(caplog):
    store = build_store(list(presets()), "coral", all_params())
    kept = store.apply("organism.coverage_min", 0.9, "midi")
    assert kept == pytest.approx(0.85 - 0.05)
    assert store.get("organism.coverage_min") == pytest.approx(0.80)
    assert "organism.coverage_min: 0.9 held at 0.8" in caplog.text
    assert "organism.coverage_max" in caplog.text
    # lowering the ceiling onto the floor takes the floor down with it
    store.apply("organism.coverage_max", 0.3, "osc")
    assert store.get("organism.coverage_min") == pytest.approx(0.25)
    # both at once (a show file): the ceiling wins
    store.apply_many({"organism.coverage_min": 0.6, "organism.coverage_max": 0.2}, "api")
    assert store.get("organism.coverage_max") == pytest.approx(0.2)
    assert store.get("organism.coverage_min") == pytest.approx(0.15)
    # a glide to a floor above the ceiling ends under it
    store.transition({"organism.coverage_min": 0.9}, 2.0)
    assert store.ramp_target("organism.coverage_min") == pytest.approx(0.15)
    # a preset brings its own band back whole
    store.apply("engine.preset", "reef", "api")
    values = params("reef")
    assert store.get("organism.coverage_min") == values["organism.coverage_min"]
    assert store.get("organism.coverage_max") == values["organism.coverage_max"]


def test_a_preset_with_its_floor_over_its_ceiling_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[bad]\nengine = "lenia"\n[bad.params]\n'
        '"organism.coverage_min" = 0.6\n"organism.coverage_max" = 0.5\n'
    )
    with pytest.raises(PresetError) as info:
        load_preset_file(path)
    message = str(info.value)
    assert str(path) in message and "[bad]" in message
    assert "organism.coverage_min 0.6" in message and "organism.coverage_max 0.5" in message


def test_the_sweep_puts_every_parameter_of_a_preset_at_both_ends():
    from engines.catalog import HOST_PARAMS, organism_params
    from perform.bench.alive import SWEEP_PRESETS, sweep_cases

    assert {ONE_PER_ENGINE[e] for e in ENGINES} == set(SWEEP_PRESETS)
    cases = sweep_cases(["classic_life"])
    by_name: dict[str, list[Any]] = {}
    for label, preset, over in cases:
        assert preset == "classic_life" and len(over) == 1
        ((name, value),) = over.items()
        assert label.startswith(f"classic_life {name}=")
        by_name.setdefault(name, []).append(value)
    decls = (*ENGINES["life"].params, *organism_params(), *HOST_PARAMS)
    assert set(by_name) == {d.name for d in decls}
    for d in decls:
        assert by_name[d.name] == (list(d.choices) if d.kind == "enum" else [d.min, d.max])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_alive_sweep_runs_each_end_as_a_row(monkeypatch, capsys):
    import argparse

    from perform.bench import alive

    real = alive.sweep_cases
    picked = [c for c in real(["whirlpool"]) if c[2].keys() == {"cyclic.threshold"}]
    monkeypatch.setattr(alive, "sweep_cases", lambda keys: picked)
    options = argparse.Namespace(
        sweep=True, presets=None, minutes=0.02, world=64, jobs=1, backend="numpy"
    )
    results = alive.run(options)
    assert [r.name for r in results] == [
        "whirlpool cyclic.threshold=1",
        "whirlpool cyclic.threshold=20",
    ]
    assert all(r.params["engine"] == "cyclic" for r in results)
    out = capsys.readouterr()
    assert "whirlpool cyclic.threshold=20" in out.out
    assert "2 parameter ends of 7 presets" in out.err


def test_a_crisis_grows_a_rescue_nucleus_only_when_a_fader_is_to_blame():
    """At the preset's own values regulation is what the preset was tuned with; a crisis
    under a performer's value also grows a nucleus, whatever the coverage floor."""
    for fader, nuclei in (({}, 0), ({"lenia.mu": 0.3}, 1)):
        organism = organism_for("coral", world=64)
        p = params("coral", **{"engine.preset": "coral", "organism.coverage_min": 0.0}, **fader)
        organism.engine.a[...] = 0.0
        organism.engine.a[16:48, 16:48] = 0.8
        for _ in range(3):
            organism.regulate(p)
        assert organism.vitals.nuclei == 0 and not organism.homeostasis.in_crisis
        organism.engine.a[...] = 0.0  # collapsed
        organism.regulate(p)
        assert organism.homeostasis.in_crisis
        assert organism.vitals.nuclei == nuclei
