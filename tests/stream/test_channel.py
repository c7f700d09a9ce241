"""The data-channel planner: coalescing, prompt transitions, LoRA throttling, quantization."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from engines import all_params, presets
from perform.events import TempoState
from perform.registry import build_store, lora_param_name, register_lora
from perform.stream.channel import Planner, Settings, num_steps
from perform.stream.lora import LoraTable
from perform.stream.pump import Pump
from perform.stream.scope_api import LoraAdapter

PEFT = "/models/lora/arcane.safetensors"
MERGED = "/models/lora/pixel_art.safetensors"


class Clock:
    """The store's clock in these tests: transitions start at ``t``."""

    t = 0.0


def make(**settings):
    Clock.t = 0.0
    store = build_store(presets(), "medusa", all_params(), clock=lambda: Clock.t)
    loras = LoraTable()
    loras.update(
        [
            LoraAdapter(PEFT, 0.8, "runtime_peft", "arcane"),
            LoraAdapter(MERGED, 0.5, "permanent_merge"),
        ]
    )
    for param, adapter in loras.by_param.items():
        register_lora(store, param, adapter.scale)
    refused: list[tuple[str, str]] = []
    planner = Planner(
        store,
        Settings(default_prompt="a default organism", chunk_period=0.1, **settings),
        loras,
        refuse=lambda param, message: refused.append((param, message)),
    )
    planner.initial(["longlive"], "video", {})
    changes: list = []
    store.subscribe(lambda c: planner.changes(c, changes.append(1) or 0.0))
    return store, planner, refused


def test_num_steps_never_below_two():
    assert num_steps(2.0, 0.1) == 20
    assert num_steps(0.0, 0.1) == 2
    assert num_steps(0.05, 0.8) == 2


def test_many_writes_become_one_message_with_the_last_value():
    store, planner, _ = make()
    for i in range(50):
        store.apply("scope.noise_scale", i / 100, "midi")
    assert planner.due(1.0) == [{"noise_scale": 0.49}]
    assert planner.due(1.1) == []


def test_the_last_plain_values_are_repeated_once_after_a_quiet_spell():
    store, planner, _ = make()
    store.apply_many({"prompt.a": "a", "prompt.b": "b"}, "setlist")
    planner.due(0.0)
    store.apply_many({"scope.noise_scale": 0.3, "prompt.mix": 0.5}, "midi")
    (sent,) = planner.due(1.0)
    assert planner.next_wake() == pytest.approx(1.0 + 8 * 0.1 + 0.5)
    assert planner.due(1.5) == []
    (repeat,) = planner.due(2.3)
    assert repeat == sent  # noise and the 2-step fader blend, once
    assert planner.due(5.0) == [] and planner.next_wake() is None
    Clock.t = 6.0
    store.transition({"prompt.a": "c"}, 4.0, source="setlist")
    planner.due(6.0)
    assert planner.due(9.0) == []  # a long transition is never repeated


def test_initial_parameters_carry_the_whole_state():
    store, planner, _ = make()
    store.apply_many(
        {"prompt.a": "jellyfish", "scope.noise_scale": 0.4, "scope.paused": "on"}, "tui"
    )
    store.apply(lora_param_name("arcane"), 1.2, "midi")
    initial = planner.initial(["longlive"], "video", {"denoising_step_list": [1000, 750]})
    assert initial["pipeline_ids"] == ["longlive"] and initial["input_mode"] == "video"
    assert initial["prompts"] == [{"text": "jellyfish", "weight": 1.0}]
    assert initial["noise_scale"] == 0.4 and initial["noise_controller"] is False
    assert initial["lora_scales"] == [{"path": PEFT, "scale": 1.2}]
    assert initial["denoising_step_list"] == [1000, 750]
    assert "paused" not in initial  # a pause is held on our side (Scope 0.2.4 breaks)
    assert planner.on_open() == []
    assert planner.due(5.0) == []  # everything pending went into the initial parameters


def test_empty_prompts_fall_back_to_the_default():
    _, planner, _ = make()
    initial = planner.initial(["longlive"], "text", {})
    assert initial["prompts"] == [{"text": "a default organism", "weight": 1.0}]
    assert "noise_scale" not in initial  # text mode: Scope forces it to null anyway


def test_a_prompt_change_is_a_transition_with_steps_from_seconds():
    store, planner, _ = make()
    Clock.t = 1.0
    store.transition({"prompt.a": "a storm over the sea"}, 3.0, source="setlist")
    (message,) = planner.due(1.0)
    target = [{"text": "a storm over the sea", "weight": 1.0}]
    assert message == {
        "prompts": target,
        "transition": {
            "target_prompts": target,
            "num_steps": 30,
            "temporal_interpolation_method": "linear",
        },
    }


def test_a_prompt_sent_late_blends_over_what_its_transition_has_left():
    store, planner, _ = make(tempo_sync=True)
    planner.tempo(TempoState(90.0, 0.0, 4, True, "tap"), 0.0)
    planner.due(0.0)
    Clock.t = 4.0
    store.transition({"prompt.a": "x"}, 3.0, source="setlist")
    messages = planner.due(5.0)  # e.g. held back by the chunk pacing: 2 s are left
    quantized = next(m for m in messages if m.get("_quantized"))
    assert quantized["transition"]["num_steps"] == 20


def test_a_plain_prompt_write_blends_over_the_configured_time():
    store, planner, _ = make(prompt_transition=1.5)
    store.apply("prompt.a", "x", "osc")
    (message,) = planner.due(1.0)
    assert message["transition"]["num_steps"] == 15


def test_the_crossfader_glides_with_short_transitions_and_never_cuts():
    store, planner, _ = make()
    store.apply_many({"prompt.a": "fire", "prompt.b": "ice"}, "setlist")
    planner.due(0.0)
    weights = []
    for step in range(1, 11):
        store.apply("prompt.mix", step / 10, "midi")
        (message,) = planner.due(step * 0.1)
        assert message["transition"]["num_steps"] == 2
        assert message["prompts"] == message["transition"]["target_prompts"]
        weights.append({p["text"]: p["weight"] for p in message["prompts"]})
    assert weights[4] == {"fire": 0.5, "ice": 0.5} and weights[-1] == {"ice": 1.0}


def test_unchanged_blend_sends_nothing():
    store, planner, _ = make()
    store.transition({"prompt.a": ""}, 5.0, source="tui")  # the same prompt: nothing to send
    assert planner.due(1.0) == []


def test_bad_prompt_weight_is_refused_once_and_keeps_the_last_prompt():
    store, planner, refused = make()
    store.apply("prompt.a", "x :: heavy", "osc")
    assert planner.due(1.0) == []
    store.apply("prompt.a", "x :: heavy", "osc")
    planner.due(2.0)
    assert len(refused) == 1 and "not a number" in refused[0][1]


def test_lora_ride_is_throttled_and_ends_on_the_final_value():
    store, planner, _ = make(lora_rate=2.0)
    param = lora_param_name("arcane")
    sent = []
    t = 0.0
    while t < 5.0:  # a 5 s ride at 100 updates/s
        store.apply(param, 0.5 + 0.5 * (t / 5.0), "midi")
        for message in planner.due(t):
            sent += message.get("lora_scales", [])
        t += 0.01
    for tail in (5.0, 5.5, 6.0):  # the trailing edge
        for message in planner.due(tail):
            sent += message.get("lora_scales", [])
    assert len(sent) <= 11
    assert sent[-1] == {"path": PEFT, "scale": pytest.approx(store.get(param), abs=1e-5)}
    assert all(s["path"] == PEFT for s in sent)


def test_a_lora_value_equal_to_the_last_sent_sends_nothing():
    store, planner, _ = make()
    param = lora_param_name("arcane")
    store.apply(param, 1.0, "midi")
    store.apply(param, 0.8, "midi")  # back to what Scope has
    assert planner.due(1.0) == []


def test_permanent_merge_and_unknown_loras_are_refused():
    store, planner, refused = make()
    store.apply(lora_param_name("pixel_art"), 1.0, "midi")
    register_lora(store, "lora.ghost.scale")
    store.apply("lora.ghost.scale", 0.3, "midi")
    assert planner.due(1.0) == []
    assert "permanent_merge" in refused[0][1] and "runtime_peft" in refused[0][1]
    assert "no LoRA called 'ghost'" in refused[1][1]


def test_cut_and_tempo_sync_quantize_prompt_changes_only():
    store, planner, _ = make(tempo_sync=True, quantize="bar", lookahead_ms=40)
    assert planner.on_open() == [{"quantize_mode": "bar", "lookahead_ms": 40}]
    store.apply_many({"prompt.a": "rain", "scope.noise_scale": 0.2}, "setlist")
    planner.cut(0.0)
    live, quantized = planner.due(1.0)
    assert live == {"noise_scale": 0.2}
    assert quantized["_quantized"] is True and quantized["reset_cache"] is True
    assert quantized["prompts"] == [{"text": "rain", "weight": 1.0}]


def test_beat_state_is_forwarded_at_most_once_a_second():
    _, planner, _ = make(tempo_sync=True)
    planner.tempo(TempoState(128.0, 16.5, 4, True, "midi"), 0.0)
    (beat,) = planner.due(0.0)
    assert beat == {
        "bpm": 128.0,
        "beat_phase": 0.5,
        "bar_position": pytest.approx(0.125),
        "beat_count": 16,
        "is_playing": True,
    }
    planner.tempo(TempoState(128.0, 17.0, 4, True, "midi"), 0.3)
    assert planner.due(0.3) == []
    assert planner.next_wake() == pytest.approx(1.0)
    assert len(planner.due(1.0)) == 1


def test_tempo_messages_are_ignored_without_tempo_sync():
    _, planner, _ = make()
    planner.tempo(TempoState(128.0, 1.0, 4, True, "midi"), 0.0)
    assert planner.due(0.0) == [] and planner.next_wake() is None


async def test_pump_sends_at_most_one_message_per_chunk_and_the_final_value():
    store = build_store(presets(), "medusa", all_params())
    store.attach(asyncio.get_running_loop())
    planner = Planner(store, Settings(default_prompt="x", chunk_period=0.2), LoraTable())
    planner.initial(["p"], "video", {})
    sent: list[tuple[float, dict]] = []
    pump = Pump(planner, lambda text: sent.append((time.monotonic(), json.loads(text))))
    store.subscribe(lambda changes: planner.changes(changes, time.monotonic()) and pump.wake())
    task = asyncio.ensure_future(pump.run())
    try:
        t0 = time.monotonic()
        for i in range(1, 201):  # 200 steps in ~2 s
            store.apply("scope.noise_scale", i / 200, "midi")
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - t0
        while not sent or sent[-1][1].get("noise_scale") != 1.0:
            await asyncio.sleep(0.05)
            assert time.monotonic() - t0 < 30, "the final value never went out"
    finally:
        task.cancel()
        store.detach()
    gaps = [b[0] - a[0] for a, b in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= 0.2 - 0.02
    assert len(sent) <= elapsed / 0.2 + 2
    # Each send records how long its oldest change waited (the figure `perform bench stream`
    # reports); how long that is depends on the machine, so only its presence is asserted.
    assert pump.latencies_ms and min(pump.latencies_ms) >= 0
