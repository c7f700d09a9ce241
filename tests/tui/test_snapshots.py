"""Snapshots of each screen at a fixed size, previews frozen, no clock or beat ticking."""

from __future__ import annotations

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
