"""Drill (issue 11, 5e): after ``kill -9`` of Scope, the first word is "unreachable".

The double dies like ``kill -9``: HTTP refuses connections, media and the data channel go
silent with no goodbye. The watchdog sees silence first; before, it blamed the pipeline
("out of GPU memory") and only the next attempt said the connection was refused.
"""

from __future__ import annotations

from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)
from tests.stream.conftest import running_link, wait_until


async def test_killed_scope_is_reported_unreachable_before_anything_else(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    async with running_link(scope_double, watchdog_seconds=1.5) as run:
        await run.streaming()
        mark_notices, mark_states = len(run.notices), len(run.statuses)
        await scope_double.kill()

        def failures() -> list[str]:
            return [n.message for n in run.notices[mark_notices:] if n.severity != "information"]

        await wait_until(failures, "a notice about the dead server")
        first = failures()[0]
        assert "unreachable" in first and "refused" in first.lower(), first
        assert "GPU" not in first and "pipeline" not in first, first
        states = [s.state for s in run.statuses[mark_states:]]
        assert "stalled" not in states, states
        assert run.link.status.state == "offline"
        await scope_double.restart()
        await wait_until(lambda: run.link.status.state == "streaming", "back after the restart")
