"""Drill (issue 11, 5f): a pipeline slower than the input does not make latency grow.

The double's pipeline runs at a quarter of the input rate (7.5 fps out for 30 in) and takes
only its own chunk per call, oldest first, so whatever it cannot eat waits in its input
queue (30 deep, newest dropped): every waiting frame is latency. Before, the track sent 30
fps regardless, the queue sat full and dropped frames for ever (latency at its maximum and
climbing to it). Paced to what the pipeline consumes, the queue drains and stays short.

Scope's output pacing (timestamps against an anchor that only moves later) kept the first
seconds' backlog as latency even after the input queue drained: its output queue (2
chunks) sat full, overflowed, and the pacer read the lost frames as a slower pipeline and
cut again, down to 2 fps. Paced, the track's timestamps run slightly fast, so that queue
empties (before, it never did) and the pipeline is fed what it eats.
"""

from __future__ import annotations

import asyncio

from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)
from tests.stream.conftest import running_link, wait_until

INPUT_FPS = 30
CHUNK = 4  # passthrough's frames per call


async def test_track_is_paced_to_a_slow_pipeline_and_its_queue_stays_short(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    scope_double.consume_all = False
    scope_double.chunk_time = CHUNK / (INPUT_FPS / 4)  # a quarter of the input rate
    async with running_link(scope_double, watchdog_seconds=10.0) as run:
        await run.streaming()
        session = await scope_double.wait_session()
        await wait_until(
            lambda: run.link.track is not None and run.link.track.period > 2 / INPUT_FPS,
            "the track paced down",
            60.0,
        )
        # Let the backlog of the first seconds (sent at full rate) drain.
        await wait_until(lambda: len(session.inputs) < 2 * CHUNK, "the input queue drained", 90.0)
        # and Scope's output queue, which held the backlog's latency, empties too
        await wait_until(lambda: len(session.output) < CHUNK, "the output queue drained", 90.0)
        dropped, received = session.inputs_dropped, session.frames_received
        depths: list[int] = []
        while session.frames_received < received + 120:  # ~16 s of the pipeline's input
            depths.append(len(session.inputs))
            await asyncio.sleep(0.1)
            assert not session.closed
        assert session.inputs_dropped == dropped, "the pipeline's queue overflowed again"
        # and the pipeline is fed what it eats, not starved (it ran at 2 fps for 7.5)
        assert run.link.track.period < 2 / (INPUT_FPS / 4), 1 / run.link.track.period
        assert max(depths) < 20, depths
        assert run.link.status.state == "streaming"
        assert run.link.streams == 1
