"""The program preview's on-air badge through Textual's Pilot, against the Scope double:
ON AIR scope, FAILOVER when Scope stalls, back, BLACK (blackout) from the keyboard's
command and the program preview itself going dark."""

from __future__ import annotations

from perform.build import RunOptions, build_session
from perform.program.component import ProgramComponent
from perform.program.compose import is_black
from perform.tui.app import PerformApp
from perform.tui.widgets.preview import Preview
from perform.tui.widgets.program import ProgramBadge
from tests.stream.conftest import stream_config, wait_until
from tests.tui.conftest import SHOW


async def test_the_badge_says_failover_when_scope_stalls_and_black_on_blackout(
    scope_double, tmp_path
):
    show = tmp_path / "show.toml"
    show.write_text(SHOW, encoding="utf-8")
    config = stream_config(scope_double.url)
    # Above the jitter of a busy test machine (see tests/program/test_failover_scope.py).
    output = config.output.model_copy(update={"stall_ms": 1000})
    config = config.model_copy(update={"output": output})
    session = build_session(config, RunOptions(setlist=show))
    app = PerformApp(session, live=True)
    async with app.run_test(size=(150, 42)) as pilot:
        badge = app.screen.query_one(ProgramBadge)
        program = app.screen.query_one("#program-preview", Preview)
        bus = session.component(ProgramComponent).bus
        assert program.mailbox is bus.monitor

        await wait_until(lambda: badge.text == "PROGRAM ON AIR scope", "Scope on air")
        assert badge.has_class("live")
        double = scope_double.session
        double.output_held = True
        await wait_until(lambda: badge.text.startswith("PROGRAM FAILOVER organism"), "FAILOVER")
        assert badge.has_class("alarm") and "(Scope stalled)" in badge.text
        double.output_held = False
        await wait_until(lambda: badge.text == "PROGRAM ON AIR scope", "Scope back on air")

        session.store.actions.invoke("blackout", None, "tui")
        await wait_until(lambda: badge.text == "PROGRAM BLACK (blackout)", "BLACK (blackout)")
        assert badge.has_class("alarm")
        await wait_until(lambda: is_black(bus.latest.yuv), "the program itself is black")
        await wait_until(lambda: program.frames_drawn > 0, "the program preview drew")
        await pilot.pause()
