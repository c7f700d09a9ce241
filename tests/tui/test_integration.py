"""The TUI with the real parts: MIDI through JACK, the Scope test double over WebRTC."""

from __future__ import annotations

import asyncio
import math
import time

from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.inputs.hub import ControlHub
from perform.stream.link import ScopeLink
from perform.tui.app import PerformApp
from perform.tui.screens.mapping import MappingScreen
from perform.tui.screens.prompt import PromptScreen
from perform.tui.widgets.param_table import ParamTable
from tests.inputs.helpers import control_config
from tests.jack import VirtualController, eventually
from tests.stream.conftest import stream_config, wait_until
from tests.tui.conftest import frozen_frame

DEVICE = """\
# A test controller with two knobs and nothing bound yet.
[device]
name = "Stage Knobs"
match = "{match}"
channel = 1

[controls]
knob = {{ cc = [16, 17] }}
"""


def focus_param(app: PerformApp, tab: str, name: str) -> ParamTable:
    table = app.screen.query_one(f"#params-{tab}", ParamTable)
    app.screen.query_one("#tabs").query_one("TabbedContent").active = f"tab-{tab}"
    table.focus()
    table.move_cursor(row=table.names.index(name))
    return table


async def test_learn_binds_the_next_control_and_writes_the_file(controllers, tmp_path):
    knobs = VirtualController("StageKnobs")
    controllers.append(knobs)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    device_file = mappings / "stage-knobs.toml"
    device_file.write_text(DEVICE.format(match=knobs.client))
    session = build_session(
        control_config(mappings_dir=mappings), RunOptions(mappings=[str(device_file)])
    )
    session.host.mailbox.put(frozen_frame(128, 128))
    app = PerformApp(session, live=False)
    async with app.run_test(size=(150, 42)) as pilot:
        await eventually(lambda: any(d.state == "connected" for d in app.bridge.devices.values()))
        focus_param(app, "colour", "color.hue")
        await pilot.press("l")  # learn the focused parameter
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MappingScreen)
        hub = session.component(ControlHub)
        assert hub.learner.status.state == "armed" and hub.learner.status.target == "color.hue"
        knobs.cc(17, 70)  # the performer wiggles knob 2
        await eventually(lambda: hub.learner.status.state == "captured")
        await pilot.pause()
        assert "Stage Knobs knob2 -> color.hue" in str(screen.query_one("#learn-state").render())
        assert not device_file.with_name("stage-knobs.toml.bak").exists()  # nothing written yet
        await pilot.press("enter")
        await eventually(
            lambda: hub.learner.status.state == "saved",
            what=lambda: (hub.learner.status, app.focused, [n.message for n in app._notifications]),
        )
        text = device_file.read_text()
        assert 'control = "knob2"' in text and 'param = "color.hue"' in text
        assert device_file.with_name("stage-knobs.toml.bak").read_text() == DEVICE.format(
            match=knobs.client
        )
        await pilot.pause()
        rows = [
            screen.query_one("#bindings").get_row_at(i)
            for i in range(screen.query_one("#bindings").row_count)
        ]
        assert any("knob2" in row and "color.hue" in row for row in rows)
        # The new binding plays at once, without a restart: the knob is turned through the
        # value (it picks up) until hue follows it, as a performer turns it. One sweep is
        # not enough on a busy machine: a burst that lands in one input tick reaches the
        # mapper as its last position only, and a pickup with no earlier position cannot
        # see that the knob crossed the value on the way.
        deadline = time.monotonic() + 30.0
        while session.store.last_source("color.hue") != "midi":
            assert time.monotonic() < deadline, "the learned knob never moved color.hue"
            for value in (0, 64, 127, 64):
                knobs.cc(17, value)
                await asyncio.sleep(0.02)
        # Learning the same knob again proposes a conflict; r replaces, d deletes.
        screen.arm("color.brightness")
        knobs.cc(17, 10)
        await eventually(lambda: hub.learner.status.state == "conflict")
        await pilot.pause()
        assert "replaces knob2 → color.hue" in str(screen.query_one("#learn-state").render())
        await pilot.press("r")
        await eventually(lambda: hub.learner.status.state == "saved")
        assert (
            'param = "color.brightness"' in device_file.read_text()
            and "color.hue" not in device_file.read_text()
        )
        screen.fill()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await eventually(lambda: "color.brightness" not in device_file.read_text())
        await pilot.press("escape")
        assert not isinstance(app.screen, MappingScreen)


async def test_an_unplugged_controller_shows_lost_then_comes_back(controllers, tmp_path):
    knobs = VirtualController("LostKnobs")
    controllers.append(knobs)
    device_file = tmp_path / "lost.toml"
    device_file.write_text(DEVICE.format(match=knobs.client))
    session = build_session(
        control_config(midi={"poll": 0.2}), RunOptions(mappings=[str(device_file)])
    )
    app = PerformApp(session, live=False)
    async with app.run_test(size=(150, 42)) as pilot:
        status = app.screen.query_one("#status")
        await eventually(lambda: any(d.state == "connected" for d in app.bridge.devices.values()))
        app.screen.update_status()
        await pilot.pause()
        assert "Stage Knobs ✓" in str(status.render())
        knobs.unplug()
        await eventually(
            lambda: any(d.state == "lost" for d in app.bridge.devices.values()), timeout=30.0
        )
        app.screen.update_status()
        await pilot.pause()
        assert "Stage Knobs LOST" in str(status.render())
        knobs.plug()
        await eventually(  # a rescan every 0.2 s, but a starved machine runs it late
            lambda: all(
                d.state == "connected" for d in app.bridge.devices.values() if d.direction == "in"
            ),
            timeout=30.0,
        )
        app.screen.update_status()
        await pilot.pause()
        assert "Stage Knobs ✓" in str(status.render())


async def test_the_prompt_editor_sends_one_transition_to_scope(scope_double):
    config = stream_config(scope_double.url)
    session = build_session(config, RunOptions())
    app = PerformApp(session, live=True)
    async with app.run_test(size=(150, 42)) as pilot:
        link = session.component(ScopeLink)
        await wait_until(lambda: link.status.state == "streaming", "streaming")
        double_session = await scope_double.wait_session()
        resets = double_session.cache_resets
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, PromptScreen)
        screen.query_one("#prompt-a").value = "a storm over a neon sea"
        screen.query_one("#transition").value = "3"
        await pilot.press("ctrl+s")
        await wait_until(
            lambda: any(
                p.get("text") == "a storm over a neon sea"
                for p in double_session.parameters.get("prompts", [])
            ),
            "the new prompt at Scope",
        )
        assert double_session.processor.transitions >= 1
        assert double_session.cache_resets == resets  # a transition, not a hard cut
        await wait_until(
            lambda: "Scope ● streaming" in str(app.screen.query_one("#status").render()), "status"
        )
        assert app.screen.query_one("#scope-preview").mailbox is link.output


async def test_the_lora_panel_greys_what_scope_merged_permanently(scope_double):
    config = stream_config(
        scope_double.url,
        pipeline="longlive",
        loras=[
            {"file": "arcane", "scale": 0.8},
            {"file": "pixel_art", "scale": 0.5, "merge_mode": "permanent_merge"},
        ],
    )
    session = build_session(config, RunOptions())
    app = PerformApp(session, live=True)
    async with app.run_test(size=(150, 42)) as pilot:
        link = session.component(ScopeLink)
        await wait_until(lambda: link.status.state == "streaming", "streaming")
        table = app.screen.query_one("#params-lora", ParamTable)
        await wait_until(lambda: len(table.names) == 2, "the two LoRA rows")
        table.refresh_names(table.names)
        await pilot.pause()
        assert str(table.get_cell("lora.pixel_art.scale", "source")) == "fixed"
        assert str(table.get_cell("lora.arcane.scale", "source")) != "fixed"
        await wait_until(
            lambda: "runtime_peft" in str(app.screen.query_one("#lora-info").render()), "LoRA info"
        )
        info = str(app.screen.query_one("#lora-info").render())
        assert "arcane runtime_peft" in info and "pixel_art permanent_merge (fixed at 0.5)" in info
        assert "cannot change live" in info


def test_config_used_here_keeps_scope_off_by_default():
    assert AppConfig.model_validate({"scope": {"enabled": False}}).scope.enabled is False


async def test_a_midi_flood_keeps_the_ui_responsive_and_the_engine_at_speed(jack, tmp_path):
    from perform.bench.common import fader_mapping
    from perform.bench.tui import measure

    mapping = fader_mapping(tmp_path / "flood.toml", "Flood controller")
    quiet = await measure(mapping, flood=False, seconds=2.0)
    flood = await measure(mapping, flood=True, seconds=2.0)
    # Behaviour only; the budgets (key p95, preview fps, steps kept) are `perform bench tui`.
    assert flood["midi_per_s"] > 0  # the flood really ran
    assert not math.isnan(flood["key_p95_ms"])  # keys were answered during it
    assert flood["preview_fps"] > 0  # the organism keeps moving on screen
    assert flood["ui_updates_per_s"] < 40  # meters are capped, not one redraw per message
    assert flood["steps_per_s"] > 0 and quiet["steps_per_s"] > 0  # the engine keeps stepping
