"""Snapshots of each screen at a fixed size, previews frozen, no clock or beat ticking."""

from __future__ import annotations

from textual.widgets import Input

from perform.tui.app import PerformApp

SIZE = (140, 40)


def test_live_screen(snap_compare, still_session, quiet_tempo):
    assert snap_compare(PerformApp(still_session, live=False), terminal_size=SIZE)


def test_live_screen_with_a_show(snap_compare, show_session, quiet_tempo):
    async def go(pilot):
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(PerformApp(show_session, live=False), terminal_size=SIZE, run_before=go)


def test_setlist_screen(snap_compare, show_session, quiet_tempo):
    async def open_setlist(pilot):
        await pilot.press("space", "s")
        await pilot.pause()

    assert snap_compare(
        PerformApp(show_session, live=False), terminal_size=SIZE, run_before=open_setlist
    )


def test_prompt_screen(snap_compare, show_session, quiet_tempo):
    async def open_prompt(pilot):
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        # The focused field's cursor blinks every 0.5 s: on a busy machine the picture
        # was taken in either phase. Held steady, it is always drawn.
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(
        PerformApp(show_session, live=False), terminal_size=SIZE, run_before=open_prompt
    )


def test_help_screen(snap_compare, still_session, quiet_tempo):
    async def open_help(pilot):
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(
        PerformApp(still_session, live=False), terminal_size=SIZE, run_before=open_help
    )


def test_mapping_screen(snap_compare, quiet_tempo):
    from engines import numpy_backend
    from perform.build import RunOptions, build_session
    from tests.conftest import small_config

    session = build_session(
        small_config(), RunOptions(mappings=["touchdesigner"]), backend=numpy_backend()
    )

    async def open_mapping(pilot):
        await pilot.press("m")
        await pilot.pause()

    assert snap_compare(
        PerformApp(session, live=False), terminal_size=SIZE, run_before=open_mapping
    )
