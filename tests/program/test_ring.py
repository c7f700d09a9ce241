"""The shared-memory frame ring between the bus's side and the window process."""

from __future__ import annotations

import multiprocessing

import numpy

from perform.program.window.ring import SLOTS, FrameRing


def _yuv(w: int, h: int, value: int) -> numpy.ndarray:
    return numpy.full((h * 3 // 2, w), value, numpy.uint8)


def test_latest_wins_and_nothing_new_reads_none() -> None:
    ring = FrameRing.create(64, 64)
    try:
        assert ring.read_latest() is None
        for i in range(1, 6):
            ring.write(_yuv(32, 16, i), index=i, pts=float(i), source="scope")
        got = ring.read_latest()
        assert got is not None
        assert (got.seq, got.index, got.source) == (5, 5, "scope")
        assert int(got.yuv.max()) == 5 and got.yuv.shape == (24, 32)
        assert ring.read_latest(after=got.seq) is None
    finally:
        ring.close()


def test_a_slot_being_rewritten_is_never_returned() -> None:
    ring = FrameRing.create(16, 16)
    try:
        ring.write(_yuv(16, 16, 7), 1, 0.0, "organism")
        # The writer has started on the slot the newest sequence points at (begin stamped,
        # pixels half copied, end not yet): the reader must not take a torn frame.
        seq = ring.seq
        base = 8 + (seq % SLOTS) * 8
        ring._ints[base] = seq + SLOTS  # begin of a later write to the same slot
        assert ring.read_latest() is None
    finally:
        ring.close()


def test_size_limit() -> None:
    ring = FrameRing.create(64, 32)
    try:
        assert ring.fits(64, 32) and ring.fits(32, 64) and not ring.fits(128, 32)
    finally:
        ring.close()


def _child_reads(name: str, capacity: int, out: multiprocessing.queues.Queue) -> None:  # type: ignore[name-defined]
    ring = FrameRing.attach(name, capacity)
    got = ring.read_latest()
    out.put(None if got is None else (got.seq, got.index, int(got.yuv.sum())))
    ring.presented()
    ring.close()


def test_another_process_reads_the_frame_and_reports_back() -> None:
    ctx = multiprocessing.get_context("spawn")
    ring = FrameRing.create(64, 64)
    try:
        picture = numpy.arange(48 * 32, dtype=numpy.uint8).reshape(48, 32)
        ring.write(picture, index=42, pts=1.0, source="mix")
        out = ctx.Queue()
        child = ctx.Process(target=_child_reads, args=(ring.name, ring.capacity, out))
        child.start()
        assert out.get(timeout=60) == (1, 42, int(picture.sum()))
        child.join(timeout=60)
        assert child.exitcode == 0
        assert ring.presented_count == 1
    finally:
        ring.close()
