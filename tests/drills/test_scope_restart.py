"""Drill (issue 11, 5b): after a deliberate restart the status follows the new stream.

Before: the old stream's frames (still flowing during the switch) announced "streaming"
before the new stream existed, and the new stream then stayed "connecting — waiting for the
first frame" while its frames flowed.
"""

from __future__ import annotations

from perform.events import SCOPE_STATUS, ScopeStatus
from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)
from tests.stream.conftest import running_link, wait_until


async def test_status_after_planned_restarts_says_streaming_once_the_new_stream_flows(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    async with running_link(scope_double) as run:
        await run.streaming()
        seen: list[tuple[str, str, int, int]] = []

        def record(status: ScopeStatus) -> None:
            newest = scope_double.sessions[-1] if scope_double.sessions else None
            frames = newest.frames_sent if newest is not None else 0
            seen.append((status.state, status.message, len(scope_double.sessions), frames))

        run.session.events.subscribe(SCOPE_STATUS, record)
        for restart in range(1, 4):
            count = len(scope_double.sessions)
            mark = len(seen)
            assert run.store.actions.invoke("scope.reconnect", None, "osc")
            new = await scope_double.wait_session(after=count)
            await scope_double.wait_for(
                lambda new=new: new.frames_sent > 30, "the new stream's frames"
            )
            await wait_until(
                lambda: run.link.status.state == "streaming",
                lambda restart=restart: (
                    f"restart {restart}: status {run.link.status} while frames flow"
                ),
            )
            after = seen[mark:]
            states = [s for s, *_ in after]
            assert "connecting" in states, after
            first = states.index("streaming", states.index("connecting"))
            # "streaming" came only once the new session existed and had sent frames...
            assert after[first][2] == count + 1 and after[first][3] > 0, after
            # ...and never between the restart request and the new stream.
            assert "streaming" not in states[: states.index("connecting")], after
        assert run.link.streams == 4
