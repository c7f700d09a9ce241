"""Pilot tests of the Live screen: values shown, keys change them, show and status appear."""

from __future__ import annotations

from perform.events import (
    CONTROL_MESSAGE,
    DEVICE_STATE,
    SCOPE_STATUS,
    DeviceState,
    InputMessage,
    ScopeStatus,
)
from perform.session import Session
from perform.tui.app import PerformApp
from perform.tui.screens.live import LiveScreen
from perform.tui.widgets.param_table import ParamTable, meter
from perform.tui.widgets.param_tabs import ParamTabs, names_for
from perform.tui.widgets.preview import Preview
from tests.helpers import eventually


def table(app: PerformApp, tab: str = "engine") -> ParamTable:
    return app.screen.query_one(f"#params-{tab}", ParamTable)


async def test_live_screen_shows_values_and_arrows_change_them(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.screen, LiveScreen)
        engine = table(app)
        row = engine.names.index("gray_scott.feed")
        assert str(engine.get_cell("gray_scott.feed", "value")) == "0.03"
        engine.move_cursor(row=row)
        await pilot.press("right", "right", "right")
        store = still_session.store
        assert abs(store.get("gray_scott.feed") - (0.03 + 3 * 0.0007)) < 1e-9
        assert store.last_source("gray_scott.feed") == "tui"
        await pilot.pause()
        assert str(engine.get_cell("gray_scott.feed", "value")) == "0.0321"
        assert engine.get_cell("gray_scott.feed", "source") == "tui"
        await pilot.press("left")
        assert abs(store.get("gray_scott.feed") - (0.03 + 2 * 0.0007)) < 1e-9


async def test_tabs_group_the_parameters(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        store = still_session.store
        assert names_for(store, "colour")[:3] == ["color.palette", "color.hue", "color.drift"]
        assert all(n.startswith("color.") for n in names_for(store, "colour"))
        assert "gray_scott.feed" in names_for(store, "engine")  # the running engine's rules
        assert all(n.startswith("prompt.") for n in names_for(store, "prompts"))
        await pilot.press("right_square_bracket", "right_square_bracket")
        tabs = app.screen.query_one(ParamTabs)
        assert tabs.active == "tab-colour" and app.focused is table(app, "colour")
        await pilot.press("right")  # palette: next choice
        assert store.get("color.palette") == "cuttlefish"


async def test_changes_from_other_sources_show_up(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        still_session.store.apply("color.hue", 0.5, "midi")
        await pilot.pause()
        colour = table(app, "colour")
        assert str(colour.get_cell("color.hue", "value")) == "0.5"
        assert colour.get_cell("color.hue", "source") == "midi"


async def test_new_parameters_appear_in_their_tab(still_session: Session):
    from perform.registry import lora_spec

    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        still_session.store.register(lora_spec("lora.arcane.scale", default=0.7))
        still_session.store.apply("lora.arcane.scale", 0.7, "scope")  # what the link does next
        await pilot.pause()
        assert table(app, "lora").names == ["lora.arcane.scale"]


async def test_enum_steps_through_choices_and_q_quits_without_a_show(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        engine = table(app)
        engine.move_cursor(row=engine.names.index("engine.preset"))
        await pilot.press("right")
        assert still_session.store.get("engine.preset") == "labyrinth"
        await pilot.press("q")
    assert not still_session.running


async def test_status_bar_shows_scope_lost_devices_and_the_monitor(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(160, 40)) as pilot:
        events = still_session.events
        events.publish(DEVICE_STATE, DeviceState("nanoKONTROL2", "in", "connected"))
        events.publish(DEVICE_STATE, DeviceState("APC mini", "in", "lost"))
        events.publish(
            SCOPE_STATUS,
            ScopeStatus("http://gpu:8000", "stalled", "no frames for 5 s", "0.2.4", "longlive"),
        )
        for i in range(3):
            events.publish(
                CONTROL_MESSAGE,
                InputMessage("midi", "nanoKONTROL2", f"cc ch1 #{i} = 64", 0.0, "color.hue"),
            )
        events.publish(
            CONTROL_MESSAGE, InputMessage("osc", "127.0.0.1:5000", "/vj/nope 1.0", 0.0, None)
        )
        await pilot.pause()
        status = str(app.screen.query_one("#status").render())
        assert "nanoKONTROL2 ✓" in status and "APC mini LOST" in status
        assert "● stalled" in status and "longlive" in status and "no frames for 5 s" in status
        monitor = str(app.screen.query_one("#monitor").render())
        assert "cc ch1 #2 = 64 → color.hue" in monitor and "/vj/nope 1.0  (unbound)" in monitor


async def test_preview_draws_the_frame_in_half_blocks(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)):
        preview = app.screen.query_one("#preview", Preview)
        strip = preview.render_line(preview.size.height // 2)
        assert "▀" in strip.text


async def test_live_engine_feeds_the_preview(still_session: Session):
    app = PerformApp(still_session, live=True)
    async with app.run_test(size=(140, 40)):
        preview = app.screen.query_one("#preview", Preview)
        # frames reach the preview (its rate is a budget: `perform bench tui`)
        await eventually(lambda: preview.shown_fps > 0, timeout=30)
        # (black frames flow while the organism grows; then it steps)
        await eventually(
            lambda: (
                still_session.engine_stats is not None
                and still_session.engine_stats.steps_per_second > 0
            ),
            timeout=30,
        )


def test_meter():
    assert meter(0.0) == " " * 12 and meter(1.0) == "█" * 12
    assert meter(0.5).rstrip() == "█" * 6
