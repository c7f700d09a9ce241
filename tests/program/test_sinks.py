"""The sinks into VJ software: NDI for real (sender -> receiver on loopback through the NDI
runtime cyndilib ships), the virtual camera's failure and retry with the real pyvirtualcam,
Syphon and Spout refused off their platforms, and the registry that lists them all."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy
import pytest

from perform.program.frame import ProgramFrame
from perform.program.sink import ProgramSink, SinkState
from perform.program.sinks import FACTORIES, availability
from perform.program.sinks.ndi import NdiSink
from tests.helpers import eventually
from tests.program.pictures import frame

pytestmark = pytest.mark.timeout(180)


# -- NDI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ndi_loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point NDI discovery at 127.0.0.1 (NDI's own config file): mDNS multicast doesn't
    reach between processes in a container, a direct IP does."""
    pytest.importorskip("cyndilib", reason="cyndilib not installed (uv sync --extra ndi)")
    folder = tmp_path_factory.mktemp("ndi")
    config = {"ndi": {"networks": {"ips": "127.0.0.1", "discovery": ""}}}
    (folder / "ndi-config.v1.json").write_text(json.dumps(config))
    saved = os.environ.get("NDI_CONFIG_DIR")
    os.environ["NDI_CONFIG_DIR"] = str(folder)
    yield
    if saved is None:
        os.environ.pop("NDI_CONFIG_DIR", None)
    else:
        os.environ["NDI_CONFIG_DIR"] = saved


class Feeder:
    """Submits a picture every 20 ms on its own thread, as the bus does."""

    def __init__(self, sink: ProgramSink, *pictures: ProgramFrame) -> None:
        self.sink, self.pictures = sink, pictures
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            for picture in self.pictures:
                self.sink.submit(picture)
            time.sleep(0.02)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 100000}"


async def receive(name: str, width: int | None = None, timeout: float = 60.0) -> numpy.ndarray:
    """The first frame (of ``width``, if given) a real NDI receiver in another process gets
    from ``name`` (:mod:`tests.program.ndi_receiver` says why another process)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "frame.npy"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.program.ndi_receiver",
            name,
            str(out),
            "--timeout",
            str(timeout),
            *(["--width", str(width)] if width is not None else []),
            stderr=asyncio.subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return numpy.load(out)


def similar(received: numpy.ndarray, picture: ProgramFrame) -> None:
    assert received.shape[:2] == (picture.height, picture.width)
    diff = numpy.abs(received[..., :3].astype(int) - picture.to_rgb().astype(int))
    # NDI's codec is lossy; the picture must still be the one we sent.
    assert diff.mean() < 8, f"mean abs diff {diff.mean():.1f}"


async def test_ndi_program_and_organism_reach_a_real_receiver(ndi_loopback: None) -> None:
    name = unique("perform-test")
    sink = NdiSink(name=name, organism=True, organism_name=f"{name} organism")
    program = frame(512, 512, seed=1)
    organism = frame(256, 256, seed=2, stream="organism")
    sink.start()
    feeder = Feeder(sink, program, organism)
    try:
        similar(await receive(name), program)
        similar(await receive(f"{name} organism"), organism)
        status = sink.status()
        assert status.state is SinkState.ON and status.kind == "ndi" and status.name == name
        assert sink.sent["program"] > 0 and sink.sent["organism"] > 0
    finally:
        feeder.close()
        sink.close()
    assert sink.status().state is SinkState.OFF


async def test_ndi_follows_a_change_of_frame_size(ndi_loopback: None) -> None:
    name = unique("perform-size")
    sink = NdiSink(name=name)
    sink.start()
    feeder = Feeder(sink, frame(832, 480, seed=3))
    try:
        similar(await receive(name), frame(832, 480, seed=3))
        feeder.close()
        feeder = Feeder(sink, frame(512, 512, seed=4))
        similar(await receive(name, width=512), frame(512, 512, seed=4))
    finally:
        feeder.close()
        sink.close()


class FlakyNdi(NdiSink):
    """The real NDI sink whose runtime refuses the first two opens (a fault injected at the
    adapter seam; everything after is the real library)."""

    refusals = 2

    def open_output(self, stream: str, name: str, picture: ProgramFrame) -> Any:
        if self.refusals:
            self.refusals -= 1
            raise RuntimeError("NDI runtime refused to create the sender")
        return super().open_output(stream, name, picture)


async def test_ndi_retries_after_a_failure_and_recovers(ndi_loopback: None) -> None:
    name = unique("perform-retry")
    sink = FlakyNdi(name=name, retry_s=0.1)
    sink.start()
    feeder = Feeder(sink, frame(512, 512, seed=5))
    try:
        await eventually(lambda: sink.status().state is SinkState.RETRYING, 30)
        assert "refused to create the sender" in sink.status().detail
        await eventually(lambda: sink.status().state is SinkState.ON, 30)
        assert sink.status().failures == 2
        similar(await receive(name), frame(512, 512, seed=5))
    finally:
        feeder.close()
        sink.close()


async def test_a_bad_frame_never_raises_into_the_bus(ndi_loopback: None) -> None:
    sink = NdiSink(name=unique("perform-bad"), retry_s=0.1)
    sink.start()
    broken = ProgramFrame(numpy.zeros((5, 7), numpy.uint8), 1, 0.0, "black")
    sink.submit(broken)  # odd sizes: NDI can't take it
    await eventually(lambda: sink.status().failures >= 1, 30, lambda: f"{sink.status()}")
    assert sink.status().state is SinkState.RETRYING
    sink.close()
    sink.submit(frame(64, 64))  # after close: ignored, no exception


# -- the virtual camera ----------------------------------------------------------------


async def test_virtual_camera_without_a_device_says_how_and_keeps_retrying() -> None:
    pytest.importorskip("pyvirtualcam", reason="pyvirtualcam not installed (uv sync --extra vcam)")
    if any(Path("/sys/devices/virtual/video4linux").glob("video*")):
        pytest.skip("a v4l2loopback device exists here: the no-device path can't be tested")
    sink = FACTORIES["vcam"](retry_s=0.05, max_retry_s=0.1)
    sink.start()
    feeder = Feeder(sink, frame(512, 512))
    try:
        await eventually(lambda: sink.status().failures >= 3, 30, lambda: f"{sink.status()}")
        status = sink.status()
        assert status.state is SinkState.RETRYING
        assert "no virtual camera" in status.detail and "modprobe v4l2loopback" in status.detail
        assert status.name == "perform"
    finally:
        feeder.close()
        sink.close()


# -- platform refusals -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "platform", "expected"),
    [
        ("syphon", "linux", "Syphon is macOS-only"),
        ("syphon", "win32", "Syphon is macOS-only"),
        ("spout", "linux", "Spout is Windows-only"),
        ("spout", "darwin", "Spout is Windows-only"),
    ],
)
def test_syphon_and_spout_refuse_other_platforms(
    kind: str, platform: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    sink = FACTORIES[kind](name="perform")
    sink.start()
    status = sink.status()
    assert status.state is SinkState.UNAVAILABLE
    assert status.detail.startswith(expected) and "uv sync --extra ndi" in status.detail
    sink.submit(frame(64, 64))
    sink.close()
    assert sink.status().state is SinkState.UNAVAILABLE


@pytest.mark.parametrize(("kind", "platform"), [("syphon", "darwin"), ("spout", "win32")])
def test_on_their_platform_a_missing_extra_names_the_fix(
    kind: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    sink = FACTORIES[kind]()
    sink.start()
    assert sink.status().state is SinkState.UNAVAILABLE
    assert f"uv sync --extra {kind}" in sink.status().detail


# -- the registry ----------------------------------------------------------------------


def test_factories_make_sinks_with_the_default_names() -> None:
    for kind, factory in FACTORIES.items():
        sink = factory(name="perform", organism_name="perform organism", display=0)
        assert isinstance(sink, ProgramSink)
        assert (sink.kind, sink.name) == (kind, "perform")
        assert sink.status().state is SinkState.OFF
        sink.close()


def test_availability_lists_every_kind_with_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    rows = {row.kind: row for row in availability()}
    assert set(rows) == {"window", "ndi", "syphon", "spout", "vcam"}
    assert not rows["window"].available and rows["window"].why.startswith("no display")
    assert not rows["syphon"].available and "macOS-only" in rows["syphon"].why
    assert not rows["spout"].available and "Windows-only" in rows["spout"].why
    assert rows["ndi"].available, rows["ndi"].why  # the dev group installs cyndilib
    assert rows["vcam"].available  # pyvirtualcam is there; a device may not be
    if not any(Path("/sys/devices/virtual/video4linux").glob("video*")):
        assert rows["vcam"].note is not None and "modprobe v4l2loopback" in rows["vcam"].note
