"""Snapshot of the Live screen at a fixed size, with the preview frozen."""

from __future__ import annotations

from perform.tui.app import PerformApp


def test_live_screen(snap_compare, still_session):
    assert snap_compare(PerformApp(still_session, live=False), terminal_size=(110, 34))
