"""A latest-wins frame ring in shared memory: the bus's side writes, the window process reads.

Why shared memory rather than a pipe: a 1080p I420 frame is 3 MB; pickling it through a
pipe would copy it twice and block the writer while the reader is busy. Here the writer
copies once into the next slot and bumps a counter; it never waits for the reader, and the
reader always takes the newest complete frame (a slow window skips frames, it never queues
them).

Consistency without locks (a seqlock per slot): the writer stamps a slot's ``begin`` with
the new sequence number, copies the pixels, stamps ``end`` with the same number, then
publishes the number in the header. The reader copies a slot out and keeps it only if
``begin == end == seq`` both before and after the copy; otherwise the writer lapped it and
the reader tries the newer one. With three slots that needs the writer to lap the reader
twice during one copy, so in practice it never happens.

The header also carries the child's heartbeat (so the parent can tell a hung window from a
busy one) and how many frames it has presented.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy

SLOTS = 3

# Header: int64/float64 words.
_H_SEQ = 0  # newest published sequence number (0: none yet)
_H_HEARTBEAT = 1  # child's perf_counter at its last loop turn (float64 bits)
_H_PRESENTED = 2  # frames the child has presented
_H_WORDS = 8
# Per slot: begin, end, width, height, index, submit_t (float64), pts (float64), source code
_S_WORDS = 8
_SOURCES = ("organism", "scope", "mix", "black")


@dataclass(frozen=True, slots=True)
class RingFrame:
    """One frame as the reader took it out of the ring."""

    seq: int
    yuv: numpy.ndarray
    index: int
    submit_t: float
    """``perf_counter()`` when the writer put it in (the sink's ``submit``)."""
    pts: float
    source: str


class FrameRing:
    """The shared block: create it in the writer, :meth:`attach` to it in the reader."""

    def __init__(self, shm: shared_memory.SharedMemory, capacity: int, owner: bool) -> None:
        self.shm = shm
        self.capacity = capacity
        """Bytes per slot: the largest I420 frame (``w * h * 3 // 2``) it can carry."""
        self._owner = owner
        header_bytes = 8 * (_H_WORDS + SLOTS * _S_WORDS)
        buf = shm.buf
        self._ints = numpy.ndarray((_H_WORDS + SLOTS * _S_WORDS,), numpy.int64, buf, 0)
        self._floats = numpy.ndarray((_H_WORDS + SLOTS * _S_WORDS,), numpy.float64, buf, 0)
        self._data = numpy.ndarray((SLOTS, capacity), numpy.uint8, buf, header_bytes)

    @classmethod
    def create(cls, max_width: int, max_height: int) -> FrameRing:
        capacity = max_width * max_height * 3 // 2
        size = 8 * (_H_WORDS + SLOTS * _S_WORDS) + SLOTS * capacity
        shm = shared_memory.SharedMemory(create=True, size=size)
        ring = cls(shm, capacity, owner=True)
        ring._ints[:] = 0
        return ring

    @classmethod
    def attach(cls, name: str, capacity: int) -> FrameRing:
        # The child is started with the "spawn" method and shares the writer's resource
        # tracker, which keeps names in a set: attaching re-registers the same name (no-op)
        # and the writer's unlink unregisters it once. Don't unregister here.
        shm = shared_memory.SharedMemory(name=name)
        return cls(shm, capacity, owner=False)

    @property
    def name(self) -> str:
        return self.shm.name

    # -- writer --------------------------------------------------------------------------

    def fits(self, width: int, height: int) -> bool:
        return width * height * 3 // 2 <= self.capacity

    def write(self, yuv: numpy.ndarray, index: int, pts: float, source: str) -> int:
        """Copy one I420 frame into the next slot and publish it; returns its sequence."""
        seq = int(self._ints[_H_SEQ]) + 1
        slot = seq % SLOTS
        base = _H_WORDS + slot * _S_WORDS
        height, width = yuv.shape
        n = height * width
        self._ints[base] = seq  # begin
        self._data[slot, :n] = yuv.reshape(-1)
        self._ints[base + 2] = width
        self._ints[base + 3] = height
        self._ints[base + 4] = index
        self._floats[base + 5] = time.perf_counter()
        self._floats[base + 6] = pts
        self._ints[base + 7] = _SOURCES.index(source) if source in _SOURCES else 0
        self._ints[base + 1] = seq  # end
        self._ints[_H_SEQ] = seq
        return seq

    # -- reader --------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        return int(self._ints[_H_SEQ])

    def read_latest(self, after: int = 0) -> RingFrame | None:
        """The newest complete frame with a sequence above ``after``, copied out; None if
        there is none."""
        for _ in range(SLOTS + 1):
            seq = int(self._ints[_H_SEQ])
            if seq <= after:
                return None
            slot = seq % SLOTS
            base = _H_WORDS + slot * _S_WORDS
            if int(self._ints[base + 1]) != seq:
                continue
            width = int(self._ints[base + 2])
            height = int(self._ints[base + 3])
            index = int(self._ints[base + 4])
            submit_t = float(self._floats[base + 5])
            pts = float(self._floats[base + 6])
            source = _SOURCES[int(self._ints[base + 7]) % len(_SOURCES)]
            yuv = self._data[slot, : width * height].copy().reshape(height, width)
            if int(self._ints[base]) == seq and int(self._ints[base + 1]) == seq:
                return RingFrame(seq, yuv, index, submit_t, pts, source)
        return None

    # -- the child's state, for the parent -----------------------------------------------

    def beat(self) -> None:
        self._floats[_H_HEARTBEAT] = time.perf_counter()

    @property
    def heartbeat(self) -> float:
        return float(self._floats[_H_HEARTBEAT])

    def presented(self) -> None:
        self._ints[_H_PRESENTED] += 1

    @property
    def presented_count(self) -> int:
        return int(self._ints[_H_PRESENTED])

    def reset_child_state(self) -> None:
        self._floats[_H_HEARTBEAT] = 0.0

    def close(self) -> None:
        """Drop this process's mapping (and the block itself, in the writer)."""
        del self._ints, self._floats, self._data
        self.shm.close()
        if self._owner:
            with contextlib.suppress(FileNotFoundError):
                self.shm.unlink()
