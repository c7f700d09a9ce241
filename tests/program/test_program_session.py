"""The program in a whole session: blackout, panic and a scene's fade named on air (and
over real OSC UDP), the headless status line, ``--record`` with the program's timeline."""

from __future__ import annotations

import fractions
from pathlib import Path

import av
import numpy
import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.errors import StreamError
from perform.events import NOTICE, PROGRAM_STATE
from perform.headless import run_headless
from perform.program.component import ProgramComponent
from perform.program.compose import is_black
from perform.program.frame import ProgramFrame
from perform.program.record import RecordSink
from perform.program.sink import SinkState
from perform.program.state import ProgramState
from tests.conftest import small_config
from tests.helpers import eventually
from tests.inputs.helpers import OscReceiver
from tests.program.frames import organism_stills, pattern

SHOW = """[show]
name = "dark"
panic_fade = 0.2
min_go_interval = 0
[[scenes]]
name = "lit"
params = { "master.fade" = 1.0 }
transition = { seconds = 0 }
[[scenes]]
name = "out"
params = { "master.fade" = 0.0 }
transition = { seconds = 0 }
"""


def lit(frame) -> bool:
    return frame is not None and frame.rgb.max() > 0


async def test_black_is_named_on_air_and_over_osc(tmp_path: Path):
    show = tmp_path / "show.toml"
    show.write_text(SHOW, encoding="utf-8")
    receiver, transport, port = await OscReceiver.open()
    config = small_config()
    config = config.model_copy(update={"osc": config.osc.model_copy(update={"port": 0})})
    options = RunOptions(setlist=show, osc_out=[f"127.0.0.1:{port}"])
    session = build_session(config, options, backend=numpy_backend())
    states: list[ProgramState] = []
    session.events.subscribe(PROGRAM_STATE, states.append)
    program = session.component(ProgramComponent)
    await session.start()
    try:

        def badge() -> str:
            return states[-1].badge() if states else ""

        await eventually(lambda: badge() == "ON AIR organism", 30, badge)
        await eventually(lambda: lit(session.host.mailbox.peek()), 60, "the grown organism")
        await eventually(lambda: receiver.last("/vj/program/on_air") == "organism", 10)
        await eventually(lambda: receiver.last("/vj/program/scope") == "off", 10)
        assert receiver.last("/vj/program/state") == "live"

        actions = session.store.actions
        actions.invoke("blackout", None, "tui")
        await eventually(lambda: badge() == "BLACK (blackout)", 10, badge)
        await eventually(lambda: receiver.last("/vj/program/black") == "blackout", 10)
        await eventually(lambda: receiver.last("/vj/program/on_air") == "black", 10)
        assert is_black(program.bus.latest.yuv)
        # ...while the organism fed to Scope keeps its light (fade applies once, here).
        assert lit(session.host.mailbox.peek())
        actions.invoke("blackout", None, "tui")
        await eventually(lambda: badge() == "ON AIR organism", 10, badge)
        assert not is_black(program.bus.latest.yuv)

        actions.invoke("cue.go", None, "tui")  # scene 1: lit
        actions.invoke("cue.go", None, "tui")  # scene 2: the scene fades out
        await eventually(lambda: badge() == "BLACK (scene)", 10, badge)
        actions.invoke("cue.back", None, "tui")
        await eventually(lambda: badge() == "ON AIR organism", 10, badge)
        actions.invoke("panic", None, "tui")
        await eventually(lambda: badge() == "BLACK (panic)", 10, badge)
        await eventually(lambda: receiver.last("/vj/program/state") == "black", 10)
    finally:
        await session.stop()
        transport.close()


async def test_headless_says_what_is_on_air_and_records_the_program(tmp_path: Path):
    record = tmp_path / "show.mp4"
    config = small_config()
    session = build_session(config, RunOptions(record=str(record)), backend=numpy_backend())
    lines: list[str] = []
    assert await run_headless(session, seconds=4.0, out=lines.append) == 0
    assert "program: ON AIR organism [128x128]" in lines
    with av.open(str(record)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) > 10
    assert (frames[0].width, frames[0].height) == (128, 128)


def test_the_recording_keeps_the_programs_timeline(tmp_path: Path):
    """Frames land at their pts: a gap in the program is a gap in the file, and what the
    program showed (the organism standing in for Scope) is what the file shows."""
    path = tmp_path / "take.mp4"
    sink = RecordSink(path, fps=30)
    sink.start()
    organism = organism_stills(1)[0]
    pts = [10.0, 10.033, 10.066, 10.5, 10.533, 11.0]
    pictures = [pattern(64, 64, i) for i in range(3)] + [organism] * 3
    for i, (at, yuv) in enumerate(zip(pts, pictures, strict=True)):
        sink.submit(ProgramFrame(yuv, i + 1, at, "scope" if i < 3 else "organism"))
        sink.submit(ProgramFrame(yuv, i + 1, at, "organism", stream="organism"))  # ignored
    sink.close()
    assert sink.status().frames == 6 and sink.status().dropped == 0
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
    times = [float(f.pts * f.time_base) for f in decoded]
    assert numpy.allclose(times, [round(p - pts[0], 3) for p in pts], atol=0.002)
    last = decoded[-1].to_ndarray(format="yuv420p")[:64].astype(int)
    assert numpy.abs(last - organism[:64].astype(int)).mean() < 6  # lossy, but the organism
    assert isinstance(decoded[0].time_base, fractions.Fraction)


def test_a_recording_keeps_uneven_arrivals(tmp_path: Path):
    sink = RecordSink(tmp_path / "x.mp4")
    sink.start()
    at = 0.0
    for i in range(30):
        sink.submit(ProgramFrame(pattern(128, 96, i), i + 1, at, "organism"))
        at += 0.001 if i % 2 else 0.04  # pairs of frames 1 ms apart
    sink.close()
    assert sink.error is None and sink.status().frames == 30
    with av.open(str(tmp_path / "x.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 30


def test_a_recording_that_fails_stops_with_why_and_the_show_goes_on(tmp_path: Path):
    target = tmp_path / "gone" / "x.mp4"
    target.parent.mkdir()
    sink = RecordSink(target)
    target.parent.rmdir()  # the folder vanished (an unplugged USB disk)
    sink.start()
    for i in range(50):
        sink.submit(ProgramFrame(pattern(64, 64, i), i + 1, i / 30, "organism"))  # never raises
    sink.close()
    status = sink.status()
    assert status.state == SinkState.UNAVAILABLE and "recording stopped" in status.detail
    assert status.frames < 50  # it stopped at the failure


def test_a_recording_into_a_missing_folder_is_refused_at_once():
    with pytest.raises(StreamError, match="does not exist"):
        RecordSink("/nonexistent-folder/out.mp4")


async def test_a_sink_that_cannot_run_is_a_notice_and_the_show_goes_on():
    """Syphon on Linux: refused with why and what to use instead; the show goes on."""
    session = build_session(small_config(), RunOptions(outputs=["syphon"]), backend=numpy_backend())
    notices: list = []
    states: list[ProgramState] = []
    session.events.subscribe(NOTICE, notices.append)
    session.events.subscribe(PROGRAM_STATE, states.append)
    await session.start()
    try:
        await eventually(lambda: any(n.title == "Output syphon" for n in notices), 30)
        notice = next(n for n in notices if n.title == "Output syphon")
        assert "Syphon is macOS-only" in notice.message
        assert "the show goes on" in notice.message
        index = session.component(ProgramComponent).bus.index
        await eventually(lambda: session.component(ProgramComponent).bus.index > index + 5, 30)
        assert states[-1].sinks[0].kind == "syphon" and states[-1].sinks[0].state == "unavailable"
        assert sum(n.title == "Output syphon" for n in notices) == 1  # said once, not per frame
    finally:
        await session.stop()


def test_a_recording_into_a_missing_folder_is_refused_before_the_show(tmp_path: Path):
    import pytest

    from perform.errors import StreamError

    target = tmp_path / "nowhere" / "take.mp4"
    with pytest.raises(StreamError, match=r"--record .*take.mp4: folder .*nowhere does not exist"):
        build_session(small_config(), RunOptions(record=str(target)), backend=numpy_backend())
