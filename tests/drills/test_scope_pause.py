"""Drill (issue 11, 5a and 5g): pausing never breaks Scope's output.

The double pauses like Scope 0.2.4: told ``paused``, it re-sends its last frame with an
older timestamp, its encoder fails and its output is gone for the session, silently. The
pause comes in the way a TouchOSC toggle sends it, over real UDP: ``1`` on, then ``0`` /
``"off"`` off (a level, not a button whose release is ignored).
"""

from __future__ import annotations

import socket

from pythonosc.osc_message_builder import OscMessageBuilder

from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.events import SCOPE_STATUS, ScopeStatus
from perform.inputs.osc import OscServer
from perform.stream.link import ScopeLink
from tests.helpers import eventually
from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)

TIMEOUT = 40.0


def config(url: str) -> AppConfig:
    return AppConfig.model_validate(
        {
            "stream": {"width": 128, "height": 128, "fps": 30},
            "engine": {"world": 128},
            "osc": {"enabled": True, "port": 0, "http": False},
            "midi": {"auto_profiles": False},
            "scope": {
                "url": url,
                "pipeline": "passthrough",
                "watchdog_seconds": 3.0,
                "first_frame_seconds": 20.0,
                "reconnect_max_seconds": 2.0,
            },
        }
    )


def osc(address: str, value: object) -> bytes:
    builder = OscMessageBuilder(address)
    builder.add_arg(value)
    return builder.build().dgram


async def test_pause_on_scope_024_keeps_its_output_and_off_releases(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    assert scope_double.pause_rewinds  # the double pauses like Scope 0.2.4
    session = build_session(config(scope_double.url), RunOptions(headless=True))
    statuses: list[ScopeStatus] = []
    session.events.subscribe(SCOPE_STATUS, statuses.append)
    await session.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        link = session.component(ScopeLink)
        port = session.component(OscServer).port
        sock.connect(("127.0.0.1", port))
        await eventually(lambda: link.status.state == "streaming", TIMEOUT, "streaming", 0.05)
        double_session = await scope_double.wait_session()
        receiver = link.receiver

        sock.send(osc("/vj/scope/pause", 1))
        await eventually(lambda: session.store.get("scope.paused") == "on", TIMEOUT, "paused")
        frozen = receiver.mailbox.latest()
        assert frozen is not None
        sent, got = double_session.frames_sent, receiver.frames
        # Longer than the watchdog (3 s at 30 fps): Scope keeps producing, we keep receiving.
        await eventually(
            lambda: double_session.frames_sent > sent + 150 and receiver.frames > got + 150,
            TIMEOUT,
            lambda: f"Scope's output while paused (failure: {double_session.output_failure})",
            0.05,
        )
        assert double_session.output_failure is None
        assert receiver.mailbox.latest() is frozen  # the picture holds
        assert link.streams == 1 and scope_double.session is double_session  # no restart
        assert "stalled" not in [s.state for s in statuses]

        sock.send(osc("/vj/scope/pause", "off"))
        await eventually(lambda: session.store.get("scope.paused") == "off", TIMEOUT, "off")
        await eventually(lambda: receiver.mailbox.latest() is not frozen, TIMEOUT, "released")

        sock.send(osc("/vj/scope/pause", 1))
        await eventually(lambda: session.store.get("scope.paused") == "on", TIMEOUT, "on again")
        sock.send(osc("/vj/scope/pause", 0))  # a toggle's 0 is "off", not a release
        await eventually(lambda: session.store.get("scope.paused") == "off", TIMEOUT, "0 = off")
        assert link.streams == 1
    finally:
        sock.close()
        await session.stop()
