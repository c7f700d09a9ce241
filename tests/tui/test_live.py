"""Pilot tests of the Live screen: it shows live values and the keys change them."""

from __future__ import annotations

import asyncio

from perform.session import Session
from perform.tui.app import PerformApp
from perform.tui.screens.live import LiveScreen
from perform.tui.widgets.param_table import ParamTable, meter
from perform.tui.widgets.preview import Preview


async def test_live_screen_shows_values_and_arrows_change_them(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, LiveScreen)
        table = app.screen.query_one(ParamTable)
        row = table.names.index("gray_scott.feed")
        assert str(table.get_cell("gray_scott.feed", "value")) == "0.03"
        table.move_cursor(row=row)
        await pilot.press("right", "right", "right")
        store = still_session.store
        assert abs(store.get("gray_scott.feed") - (0.03 + 3 * 0.0007)) < 1e-9
        assert store.last_source("gray_scott.feed") == "tui"
        await pilot.pause()
        assert str(table.get_cell("gray_scott.feed", "value")) == "0.0321"
        assert table.get_cell("gray_scott.feed", "source") == "tui"
        await pilot.press("left")
        assert abs(store.get("gray_scott.feed") - (0.03 + 2 * 0.0007)) < 1e-9


async def test_changes_from_other_sources_show_up(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        still_session.store.apply("color.hue", 0.5, "midi")
        await pilot.pause()
        table = app.screen.query_one(ParamTable)
        assert str(table.get_cell("color.hue", "value")) == "0.5"
        assert table.get_cell("color.hue", "source") == "midi"


async def test_enum_steps_through_choices_and_q_quits(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ParamTable)
        table.move_cursor(row=table.names.index("engine.preset"))
        await pilot.press("right")
        assert still_session.store.get("engine.preset") == "labyrinth"
        await pilot.press("q")
    assert not still_session.running


async def test_preview_draws_the_frame_in_half_blocks(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(120, 36)):
        preview = app.screen.query_one(Preview)
        strip = preview.render_line(preview.size.height // 2)
        assert "▀" in strip.text


async def test_live_engine_feeds_the_preview_at_10_fps_or_more(still_session: Session):
    app = PerformApp(still_session, live=True)
    async with app.run_test(size=(120, 36)):
        await asyncio.sleep(2.5)
        preview = app.screen.query_one(Preview)
        assert preview.shown_fps >= 10
        assert (
            still_session.engine_stats is not None
            and still_session.engine_stats.steps_per_second > 0
        )


def test_meter():
    assert meter(0.0) == " " * 12 and meter(1.0) == "█" * 12
    assert meter(0.5).rstrip() == "█" * 6


async def test_space_is_go_for_a_loaded_show(tmp_path):
    from perform.build import RunOptions, build_session
    from tests.conftest import small_config
    from tests.tui.conftest import frozen_frame

    show = tmp_path / "show.toml"
    show.write_text('[show]\nname = "s"\n[[scenes]]\nname = "One"\n[[scenes]]\nname = "Two"\n')
    from engines import numpy_backend

    session = build_session(small_config(), RunOptions(setlist=show), backend=numpy_backend())
    session.host.mailbox.put(frozen_frame(128, 128))
    app = PerformApp(session, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        runner = session.component("setlist")
        assert runner.sequencer.index is None  # in the TUI the show waits for the first GO
        await pilot.press("space")
        assert runner.sequencer.index == 0
        await pilot.pause()
        assert "▶ 1 One → Two on GO" in str(app.screen.query_one("#status").render())
        await asyncio.sleep(0.6)  # GO protection: 0.5 s by default
        await pilot.press("space")
        assert runner.sequencer.index == 1


async def test_go_without_a_show_says_so(still_session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert any("no show is loaded" in n.message for n in app._notifications)
