"""One transition model: a preset means the same from every door, and a scene's engine
parameters, Scope prompt and LoRA ride land together (issue 12)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from engines import all_params, numpy_backend, preset_values, presets
from perform.build import RunOptions, build_session
from perform.errors import ConfigError, ParamError
from perform.inputs.osc import OscServer
from perform.mapping import Mapper, load_mapping
from perform.params import ParamStore
from perform.registry import LORA_MAX, LORA_MIN, build_store, lora_param_name, register_lora
from perform.render.host import Slew
from perform.session import Session
from perform.stream.channel import Planner, Settings
from perform.stream.lora import LoraTable
from perform.stream.scope_api import LoraAdapter
from tests.conftest import small_config
from tests.helpers import run_perform
from tests.inputs.helpers import control_config
from tests.inputs.test_osc import message, settle
from tests.mapping.helpers import cc
from tests.scope_double.processor import Processor, normalize_prompts
from tests.show_harness import ShowHarness

T0 = 100.0
PRESETS = sorted(presets())
DIRTY = {"flow.radial": -0.15, "color.hue": 0.3, "lenia.mu": 0.2, "organism.stir": 2.5}
"""Where every door starts from: a hand-played state that a preset must overwrite."""


def dirty(store: ParamStore) -> None:
    defaults = {n: store.spec(n).default for n in state(store)}
    store.apply_many(defaults, "default")
    store.apply("engine.preset", "medusa", "default")
    store.apply_many(DIRTY, "tui")


def state(store: ParamStore) -> dict[str, Any]:
    """Every value a preset may decide (not triggers, LoRAs, or the tempo clock's bpm)."""
    return {
        name: store.get(name)
        for name in store.names()
        if store.spec(name).kind != "trigger" and name != "tempo.bpm"
        if not name.startswith("lora.")
    }


def osc_session() -> Session:
    """OSC in over real UDP, no Scope link (nothing to connect to here), no MIDI."""
    config = control_config(osc={"enabled": True, "http": False})
    return build_session(config, RunOptions(headless=True, no_scope=True))


def via_scene(tmp_path: Path, key: str) -> dict[str, Any]:
    path = tmp_path / f"{key}.toml"
    path.write_text(
        f'[show]\nname = "t"\n[[scenes]]\nname = "s"\npreset = "{key}"\n'
        'transition = { seconds = 2, curve = "s-curve" }\n',
        encoding="utf-8",
    )
    h = ShowHarness(path)
    dirty(h.store)
    h.seq.go(T0)
    h.at(T0 + 2.5)
    return state(h.store)


def via_fader(tmp_path: Path, key: str) -> dict[str, Any]:
    store = build_store(presets(), "medusa", all_params())
    dirty(store)
    path = tmp_path / "fader.toml"
    path.write_text(
        '[device]\nname = "Test"\nmatch = "testbox"\n\n'
        '[[bind]]\ncc = 1\nparam = "engine.preset"\ntakeover = "jump"\n',
        encoding="utf-8",
    )
    device = load_mapping(path, store, mappings_dir=tmp_path)
    choices = store.spec("engine.preset").choices
    value = round(choices.index(key) * 127 / (len(choices) - 1))
    Mapper(store, {device.id: device}).handle([cc(1, value)])
    assert store.get("engine.preset") == key
    return state(store)


async def test_a_preset_means_the_same_from_a_scene_a_fader_and_osc(tmp_path):
    """For every preset: the scene (after its transition), a fader and an OSC message over
    real UDP leave the same store, with the real expander (what a preset does not name
    returns to its default: the setlist no longer leaves flow.radial at -0.15)."""
    session = osc_session()
    await session.start(engine=False)
    server = session.component(OscServer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", server.port))
    try:
        for n, key in enumerate(PRESETS, start=1):
            scene = via_scene(tmp_path, key)
            assert scene["flow.radial"] == preset_values(key).get("flow.radial", 0.0), key
            # another engine's rules are left alone, by every door
            assert scene["lenia.mu"] == preset_values(key).get("lenia.mu", 0.2), key
            assert via_fader(tmp_path, key) == scene, key
            dirty(session.store)
            sock.send(message("/vj/engine/preset", (key, "s")))
            await settle(server, n)
            assert session.store.get("engine.preset") == key
            assert state(session.store) == scene, key
    finally:
        sock.close()
        await session.stop()


async def test_a_preset_from_the_tui_means_the_same(tmp_path):
    from perform.tui.app import PerformApp
    from perform.tui.widgets.param_table import ParamTable

    session = build_session(small_config(), RunOptions(), backend=numpy_backend())
    store = session.store
    app = PerformApp(session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        dirty(store)
        await pilot.pause()
        table = app.screen.query_one("#params-engine", ParamTable)
        table.move_cursor(row=table.names.index("engine.preset"))
        await pilot.press("right")  # the next preset
        await pilot.pause()
        key = str(store.get("engine.preset"))
        assert key != "medusa" and store.last_source("engine.preset") == "tui"
        assert state(store) == via_scene(tmp_path, key)


# --- one transition, three consumers ---------------------------------------------------

CHUNK = 1 / 15
TICK = 1 / 120
LORA_PATH = "/root/.daydream-scope/models/lora/arcane.safetensors"
SYNC_SHOW = """
[show]
name = "sync"
bpm = {bpm}
[scope]
pipeline = "longlive"
[[scope.loras]]
name = "arcane"
path = "{path}"
scale = 0.2
[[scenes]]
name = "a"
preset = "medusa"
prompt = "a glowing jellyfish"
loras = {{ arcane = 0.2 }}
transition = {{ seconds = 0 }}
[[scenes]]
name = "b"
preset = "labyrinth"
prompt = "a coral labyrinth"
loras = {{ arcane = 0.9 }}
transition = {{ {span}, curve = "s-curve" }}
"""


class Stage:
    """A show on a fake clock with the real consumers of its changes: the engine host's
    Slew (what the engine thread feeds the organism), the Scope link's Planner paced like
    its pump (at most one send per chunk), and the Scope double's parameter processor
    (one merged update and one transition step per chunk)."""

    def __init__(self, path: Path) -> None:
        self.h = ShowHarness(path)
        store = self.h.store
        self.loras = LoraTable()
        self.loras.update([LoraAdapter(LORA_PATH, 0.2, "runtime_peft", "arcane")])
        self.planner = Planner(store, Settings("default", chunk_period=CHUNK), self.loras)
        self.adapters = {LORA_PATH: {"scale": 0.2, "merge_mode": "runtime_peft"}}
        self.h.seq.go(T0)
        self.h.at(T0 + 0.5)
        initial = self.planner.initial(["longlive"], "video", {})
        self.scope = Processor(initial, input_mode="video", adapter=self.adapters.get)
        store.subscribe(lambda changes: self.planner.changes(changes, self.h.t))
        self.slew = Slew({n: s.smoothing for n, s in store.specs.items()})
        self.engine: dict[str, Any] = self.slew.update(store.snapshot, 0.0)
        self.last_send: float | None = None
        self.next_chunk = self.h.t

    def run(self, until: float) -> None:
        """Advance to ``until``: ramp ticks at 120 Hz, the pump woken exactly when the
        planner asks (``loop.call_at``), Scope's chunks on their own grid."""
        tick = self.h.t + TICK
        while self.h.t < until - 1e-9:
            wake = self.planner.next_wake()
            earliest = -1.0 if self.last_send is None else self.last_send + CHUNK
            send_at = max(wake, earliest, self.h.t) if wake is not None else float("inf")
            t = min(tick, send_at, self.next_chunk, until)
            dt = t - self.h.t
            self.h.at(t)
            if t >= tick - 1e-9:
                tick += TICK
            snap = self.h.store.snapshot
            self.engine = self.slew.update(snap, dt, snap.timed)
            wake = self.planner.next_wake()
            if wake is not None and t >= max(wake, earliest) - 1e-9:
                messages = self.planner.due(t)
                for msg in messages:
                    self.scope.offer(msg)
                if messages:
                    self.last_send = t
            if t >= self.next_chunk - 1e-9:  # Scope starts a chunk: merge, then one step
                self.scope.iterate()
                self.scope.chunk_done()
                self.next_chunk += CHUNK
            self.observe(t)

    def observe(self, t: float) -> None:
        """Called after every tick; the sync test overrides what it records."""


@pytest.mark.parametrize(
    ("bpm", "span", "seconds"),
    [(120, "seconds = 4", 4.0), (93, "bars = 2", 2 * 4 * 60 / 93)],
    ids=["4s", "2bars@93"],
)
def test_engine_prompt_and_lora_reach_their_targets_within_one_chunk(tmp_path, bpm, span, seconds):
    path = tmp_path / "sync.toml"
    path.write_text(SYNC_SHOW.format(bpm=bpm, path=LORA_PATH, span=span), encoding="utf-8")
    stage = Stage(path)
    targets = {n: v for n, v in preset_values("labyrinth").items() if n.startswith("gray_scott.")}
    moving = [n for n, v in targets.items() if v != stage.engine[n]]
    assert moving, "labyrinth must move some of medusa's rules"
    prompt = normalize_prompts([{"text": "a coral labyrinth", "weight": 1.0}])
    reached: dict[str, float] = {}

    def observe(t: float) -> None:
        # Scope's side: the chunk that just ran (merge, one step) shows at its end.
        shown = stage.next_chunk
        if "engine" not in reached and all(
            abs(stage.engine[n] - targets[n]) <= 1e-9 for n in moving
        ):
            reached["engine"] = t
        if "prompt" not in reached and stage.scope.prompts == prompt and not running():
            reached["prompt"] = shown
        if "lora" not in reached and stage.adapters[LORA_PATH]["scale"] == pytest.approx(0.9):
            reached["lora"] = shown

    def running() -> bool:
        return stage.scope.transition_running

    stage.observe = observe  # type: ignore[method-assign]
    go = stage.h.t
    stage.h.seq.go(go)
    stage.run(go + seconds + 2.0)
    assert set(reached) == {"engine", "prompt", "lora"}, reached
    at = {k: v - go for k, v in reached.items()}
    # The organism follows the store's ramp: it lands when the transition ends (it used to
    # be smoothed again, tau 2 s: 57% of the way at 4 s).
    assert at["engine"] == pytest.approx(seconds, abs=TICK + 1e-6)
    assert max(at.values()) - min(at.values()) <= CHUNK + 1e-6, at
    assert stage.scope.cache_resets <= 1 + seconds * 2  # LoRA cuts stay rate-limited


def test_a_touch_during_the_transition_wins_only_for_that_parameter(tmp_path):
    path = tmp_path / "sync.toml"
    path.write_text(SYNC_SHOW.format(bpm=120, path=LORA_PATH, span="seconds = 4"), encoding="utf-8")
    stage = Stage(path)
    store = stage.h.store
    go = stage.h.t
    stage.h.seq.go(go)
    stage.run(go + 2.0)
    store.apply("gray_scott.feed", 0.05, "midi")  # a performer grabs the feed fader
    stage.run(go + 6.0)
    labyrinth = preset_values("labyrinth")
    assert store.get("gray_scott.feed") == 0.05 and store.last_source("gray_scott.feed") == "midi"
    assert store.get("gray_scott.kill") == labyrinth["gray_scott.kill"]
    assert stage.adapters[LORA_PATH]["scale"] == pytest.approx(0.9)
    assert stage.scope.prompts == normalize_prompts(["a coral labyrinth"])
    # the touched rule was a raw jump: the engine's safety glide still smooths it
    assert stage.engine["gray_scott.feed"] < 0.05


# --- one LoRA range --------------------------------------------------------------------


def test_a_lora_scale_outside_the_range_is_refused_by_perform_check(tmp_path):
    show = tmp_path / "show.toml"
    show.write_text(
        SYNC_SHOW.format(bpm=120, path=LORA_PATH, span="seconds = 4").replace(
            "arcane = 0.9", "arcane = 5.0"
        ),
        encoding="utf-8",
    )
    config = tmp_path / "perform.toml"
    config.write_text('[scope]\nloras = [{ file = "arcane", scale = 5.0 }]\n', encoding="utf-8")
    result = run_perform("check", str(show))
    assert result.returncode == 2
    assert "scenes[1].loras.arcane: LoRA scale 5 is outside -2..2" in result.stdout + result.stderr
    with pytest.raises(ConfigError, match=r"LoRA scale 5 is outside -2\.\.2"):
        from perform.config import load_config

        load_config(config)


async def test_a_live_lora_write_outside_the_range_is_refused_with_the_range(tmp_path, caplog):
    store = build_store(presets(), "medusa", all_params())
    register_lora(store, "lora.arcane.scale", 0.5)
    with pytest.raises(ParamError, match=rf"lora.arcane.scale: 5 is outside {LORA_MIN:g}..2"):
        store.apply("lora.arcane.scale", 5.0, "midi")
    assert store.get("lora.arcane.scale") == 0.5  # refused, not clamped to 2.0
    session = osc_session()
    register_lora(session.store, "lora.arcane.scale", 0.5)
    await session.start(engine=False)
    server = session.component(OscServer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", server.port))
    try:
        sock.send(message("/vj/lora/arcane/scale", (5.0, "f")))
        await settle(server, 1)
        await asyncio.sleep(0)
        assert session.store.get("lora.arcane.scale") == 0.5
        assert server.stats["bad_value"] == 1
        assert f"lora.arcane.scale: 5 is outside {LORA_MIN:g}..{LORA_MAX:g}" in caplog.text
    finally:
        sock.close()
        await session.stop()


def test_a_reconnect_resends_exactly_what_scope_last_applied():
    store = build_store(presets(), "medusa", all_params())
    loras = LoraTable()
    adapters = [
        LoraAdapter(LORA_PATH, 0.8, "runtime_peft", "arcane"),
        LoraAdapter("/l/burnt.safetensors", 5.0, "runtime_peft", "burnt"),  # loaded by others
    ]
    loras.update(adapters)
    for param, adapter in loras.by_param.items():
        register_lora(store, param, adapter.scale)
    planner = Planner(store, Settings("default", chunk_period=CHUNK), loras)
    initial = planner.initial(["longlive"], "video", {})
    assert "lora_scales" not in initial  # 5.0 is never "corrected" to 2.0 behind your back
    applied = {LORA_PATH: {"scale": 0.8, "merge_mode": "runtime_peft"}}
    scope = Processor(initial, input_mode="video", adapter=applied.get)
    store.subscribe(lambda changes: planner.changes(changes, 1.0))
    store.apply(lora_param_name("arcane"), 0.7, "midi")
    for msg in planner.due(1.0):
        scope.offer(msg)
    scope.iterate()
    assert applied[LORA_PATH]["scale"] == 0.7
    refusal = loras.refusal(lora_param_name("burnt"))
    assert refusal is not None and "outside -2..2" in refusal
    # Scope restarts: its status reports the load scale again; the reconnect re-sends 0.7.
    loras.update(adapters)
    again = planner.initial(["longlive"], "video", {})
    assert again["lora_scales"] == [{"path": LORA_PATH, "scale": 0.7}]


# --- actions that only set a parameter -------------------------------------------------


def test_param_actions_are_names_for_one_parameter_write_bound_once(tmp_path):
    """``freeze``, ``reseed``, ``scope.pause`` and ``scope.mode`` are the parameter write,
    bound by the store itself: they work with no show and no Scope link (``freeze`` used to
    be bound only by a running show), and nothing else implements them a second time."""
    session = build_session(
        small_config(), RunOptions(headless=True, no_scope=True), backend=numpy_backend()
    )
    store, actions = session.store, session.store.actions
    assert actions.invoke("freeze", None, "midi") and store.get("engine.freeze") == "on"
    assert actions.invoke("freeze", "off", "osc") and store.get("engine.freeze") == "off"
    assert actions.invoke("reseed", None, "midi") and store.get("engine.reseed") == 1
    assert actions.invoke("scope.mode", "text", "tui") and store.get("scope.input_mode") == "text"
    assert actions.invoke("scope.pause", None, "tui") and store.get("scope.paused") == "on"
    assert store.last_source("scope.paused") == "tui"
    for name in ("freeze", "reseed", "scope.pause", "scope.mode"):
        assert len(actions._handlers[name]) == 1, name
