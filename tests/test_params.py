"""ParamStore semantics: clamp, coercion, sources, ramps, coalescing, snapshots, actions."""

from __future__ import annotations

import asyncio
import threading

import pytest

from perform.errors import ParamError
from perform.params import Expansion, ParamSpec, ParamStore
from perform.registry import build_store


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def make_store(clock: FakeClock | None = None) -> ParamStore:
    return ParamStore(
        [
            ParamSpec("lenia.mu", min=0.05, max=0.35, default=0.15),
            ParamSpec("lenia.sigma", min=0.005, max=0.06, default=0.02),
            ParamSpec("color.palette", "enum", default="a", choices=("a", "b", "c")),
            ParamSpec("engine.reseed", "trigger"),
            ParamSpec("prompt.a", "text", default=""),
            ParamSpec("lenia.radius", min=5, max=40, default=13, integer=True),
        ],
        clock=clock,
    )


def test_defaults_and_clamping():
    store = make_store()
    assert store.get("lenia.mu") == 0.15
    assert store.apply("lenia.mu", 9.0, "midi") == 0.35
    assert store.apply("lenia.mu", -1, "osc") == 0.05
    assert store.apply("lenia.radius", 12.6, "tui") == 13.0
    assert store.apply("lenia.mu", "0.2", "osc") == pytest.approx(0.2)
    assert store.apply("lenia.mu", True, "osc") == 1.0 * 0 + 0.35  # True -> 1.0, clamped


def test_bad_values_are_refused_with_the_name():
    store = make_store()
    with pytest.raises(ParamError, match="lenia.mu: expected a number"):
        store.apply("lenia.mu", "loud", "osc")
    with pytest.raises(ParamError, match="NaN"):
        store.apply("lenia.mu", float("nan"), "osc")
    with pytest.raises(ParamError, match="did you mean 'b'"):
        store.apply("color.palette", "bb", "osc")
    assert store.get("lenia.mu") == 0.15


def test_enum_text_and_trigger_kinds():
    store = make_store()
    assert store.apply("color.palette", 2, "midi") == "c"
    assert store.apply("color.palette", 7.4, "midi") == "c"
    assert store.apply("prompt.a", 42, "api") == "42"
    assert store.apply("engine.reseed", 1, "tui") == 1
    assert store.apply("engine.reseed", 0, "tui") == 2  # every write is a new pulse
    spec = store.spec("color.palette")
    assert spec.normalized("b") == 0.5 and spec.denormalize(1.0) == "c"


def test_unknown_name_suggests_the_closest():
    store = make_store()
    with pytest.raises(
        ParamError, match="unknown parameter 'lenia.sigam' \\(did you mean 'lenia.sigma'\\?\\)"
    ):
        store.apply("lenia.sigam", 0.1, "osc")
    with pytest.raises(ParamError, match="did you mean 'lenia.mu'"):
        store.get("lenia.muu")


def test_sources_are_recorded_and_checked():
    store = make_store()
    assert store.last_source("lenia.mu") == "default"
    store.apply("lenia.mu", 0.2, "midi")
    assert store.last_source("lenia.mu") == "midi"
    with pytest.raises(ValueError):
        store.apply("lenia.mu", 0.2, "keyboard")


def test_apply_many_is_atomic():
    store = make_store()
    with pytest.raises(ParamError):
        store.apply_many({"lenia.mu": 0.3, "nope": 1}, "setlist")
    assert store.get("lenia.mu") == 0.15
    version = store.version
    store.apply_many({"lenia.mu": 0.3, "lenia.sigma": 0.01}, "setlist")
    assert store.version == version + 1
    assert store.snapshot["lenia.mu"] == 0.3 and store.snapshot["lenia.sigma"] == 0.01


@pytest.mark.parametrize(
    ("curve", "halfway"),
    [("linear", 0.5), ("s-curve", 0.5), ("exponential", 0.1192), ("logarithmic", 0.83125)],
)
def test_ramp_follows_its_curve(curve, halfway):
    clock = FakeClock()
    store = make_store(clock)
    store.apply("lenia.mu", 0.1, "setlist")
    store.transition({"lenia.mu": 0.3}, 4.0, curve, "setlist")
    clock.t = 1.0
    store.advance()
    quarter = store.get("lenia.mu")
    clock.t = 2.0
    store.advance()
    assert store.get("lenia.mu") == pytest.approx(0.1 + 0.2 * halfway, abs=1e-4)
    if curve == "s-curve":
        assert quarter == pytest.approx(0.1 + 0.2 * 0.15625)
    clock.t = 4.5
    store.advance()
    assert store.get("lenia.mu") == pytest.approx(0.3)
    assert not store.ramping("lenia.mu")
    assert store.last_source("lenia.mu") == "setlist"


def test_manual_write_cancels_only_that_ramp():
    clock = FakeClock()
    store = make_store(clock)
    store.transition({"lenia.mu": 0.35}, 10.0, source="setlist")
    store.transition({"lenia.sigma": 0.06}, 10.0, source="setlist")
    clock.t = 5.0
    store.advance()
    store.apply("lenia.mu", 0.1, "midi")  # a performer grabs the fader
    clock.t = 10.0
    store.advance()
    assert store.get("lenia.mu") == 0.1
    assert store.last_source("lenia.mu") == "midi"
    assert store.get("lenia.sigma") == pytest.approx(0.06)


def test_ramp_on_an_enum_snaps():
    store = make_store()
    store.transition({"color.palette": "b"}, 3.0, source="setlist")
    assert store.get("color.palette") == "b" and not store.ramping("color.palette")


async def test_ramps_run_on_the_loop_clock():
    store = make_store()
    store.attach(asyncio.get_running_loop())
    store.transition({"lenia.mu": 0.3}, 0.1, source="setlist")
    await asyncio.sleep(0.2)
    assert store.get("lenia.mu") == pytest.approx(0.3)
    store.detach()


async def test_subscribers_get_coalesced_change_sets():
    store = make_store()
    store.attach(asyncio.get_running_loop())
    received = []
    store.subscribe(received.append)
    for i in range(100):
        store.apply("lenia.mu", 0.1 + i * 0.001, "midi")
    store.apply("lenia.sigma", 0.03, "osc")
    assert received == []  # nothing until the loop turns
    await asyncio.sleep(0)
    assert len(received) == 1
    changes = received[0]
    assert (
        changes["lenia.mu"].value == pytest.approx(0.199) and changes["lenia.mu"].source == "midi"
    )
    assert changes["lenia.sigma"].source == "osc"
    store.detach()


def test_a_failing_subscriber_does_not_stop_the_writer():
    store = make_store()
    seen = []

    def broken(changes):
        raise RuntimeError("boom")

    store.subscribe(broken)
    store.subscribe(seen.append)
    store.apply("lenia.mu", 0.2, "midi")
    assert store.subscriber_errors == 1 and len(seen) == 1


def test_snapshot_is_immutable_and_isolated_across_threads():
    store = make_store()
    snap = store.snapshot
    with pytest.raises(TypeError):
        snap.data["lenia.mu"] = 1  # type: ignore[index]
    store.apply("lenia.mu", 0.3, "midi")
    assert snap["lenia.mu"] == 0.15 and store.snapshot["lenia.mu"] == 0.3

    # A reader thread must never see mu and sigma from two different bundles.
    stop = threading.Event()
    torn = []

    def reader():
        while not stop.is_set():
            s = store.snapshot
            if round(s["lenia.mu"] * 1000) != round(s["lenia.sigma"] * 10000):
                torn.append(s.version)

    store.apply_many({"lenia.mu": 0.1, "lenia.sigma": 0.01}, "setlist")
    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(2000):
        k = 100 + (i % 200)
        store.apply_many({"lenia.mu": k / 1000, "lenia.sigma": k / 10000}, "setlist")
    stop.set()
    thread.join()
    assert torn == []


def test_expander_fills_in_unless_given():
    store = make_store()
    table = {"a": 0.1, "b": 0.2, "c": 0.3}
    store.set_expander("color.palette", lambda v, old: Expansion({"lenia.mu": table[v]}))
    store.apply("color.palette", "b", "setlist")
    assert store.get("lenia.mu") == 0.2
    store.apply_many({"color.palette": "c", "lenia.mu": 0.06}, "setlist")
    assert store.get("lenia.mu") == 0.06
    store.transition({"color.palette": "a"}, 2.0, source="setlist")  # the same meaning
    assert store.ramp_target("lenia.mu") == 0.1


def test_actions_are_declared_bound_and_never_raise():
    store = build_store(["medusa"], "medusa", [])
    actions = store.actions
    assert "cue.go" in actions and "panic" in actions
    assert actions.invoke("cue.go") is False and actions.unbound_calls == 1
    calls = []
    actions.bind("cue.go", lambda arg, source: calls.append((arg, source)))
    assert actions.invoke("cue.go", None, "midi") is True
    assert calls == [(None, "midi")]
    errors = []
    actions.on_error = lambda name, exc: errors.append(name)
    actions.bind("panic", lambda arg, source: 1 / 0)
    assert actions.invoke("panic") is False and errors == ["panic"] and actions.failures == 1
    with pytest.raises(ParamError, match="did you mean 'cue.back'"):
        actions.spec("cue.bakc")
