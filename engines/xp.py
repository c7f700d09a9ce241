"""Array backend: CuPy when asked for and a CUDA device really works, else NumPy.

Engines receive a :class:`Backend` and allocate every array through ``backend.xp``;
nothing in ``engines/`` imports numpy for array work where ``xp`` is meant. The one
device->host copy per frame goes through :meth:`Backend.to_host`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy

BackendName = Literal["auto", "numpy", "cupy"]

PINNED_RING = 16
"""Pinned buffers per shape for deferred reads (see :meth:`Backend._pinned_slot`)."""


@dataclass
class Backend:
    """The array module engines use, and why it was chosen."""

    xp: ModuleType
    name: Literal["numpy", "cupy"]
    reason: str
    _pinned_buffers: dict[tuple[tuple[int, ...], str], Any] = field(
        default_factory=dict, repr=False
    )
    _pinned_rings: dict[tuple[tuple[int, ...], str], list[Any]] = field(
        default_factory=dict, repr=False
    )
    _pinned_turns: dict[tuple[tuple[int, ...], str], int] = field(default_factory=dict, repr=False)

    @property
    def is_gpu(self) -> bool:
        return self.name == "cupy"

    def _pinned(self, shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
        """A reused page-locked host buffer (fast, asynchronous-capable transfers)."""
        key = (tuple(shape), str(dtype))
        pinned = self._pinned_buffers.get(key)
        if pinned is None:
            import cupyx

            pinned = cupyx.empty_pinned(shape, dtype)
            self._pinned_buffers[key] = pinned
        return pinned

    def _pinned_slot(self, shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
        """One of a ring of :data:`PINNED_RING` small pinned buffers per shape, for reads in
        flight: page-locking memory costs far more than a small copy, so it is done once
        per slot, not once per frame. A slot is reused only after the ring has gone round
        (each organism keeps one read in flight; a few organisms live at once)."""
        key = (tuple(shape), str(dtype))
        ring = self._pinned_rings.get(key)
        if ring is None:
            import cupyx

            ring = self._pinned_rings[key] = [
                cupyx.empty_pinned(shape, dtype) for _ in range(PINNED_RING)
            ]
            self._pinned_turns[key] = 0
        turn = self._pinned_turns[key]
        self._pinned_turns[key] = turn + 1
        return ring[turn % PINNED_RING]

    def to_host(self, array: Any) -> numpy.ndarray:
        """Copy a device array to host memory (a no-op view for NumPy).

        On CuPy the copy lands in a reused pinned buffer of the right shape, then is
        copied once more into a fresh array so consumers may keep it while the next
        frame is produced.
        """
        if self.name == "numpy":
            return array
        pinned = self._pinned(array.shape, array.dtype)
        array.get(out=pinned)
        return pinned.copy()

    def to_host_many(self, packed: Any, parts: list[tuple[int, tuple[int, ...]]]) -> list[Any]:
        """Copy one packed uint8 device buffer to the host in a single transfer, split it.

        ``parts`` lists ``(byte_offset, shape)``; each returned array owns its memory (a
        consumer may keep a frame while the next one is produced).
        """
        if self.name == "numpy":
            host = packed
        else:
            host = self._pinned(packed.shape, packed.dtype)
            packed.get(out=host)
        out = []
        for offset, shape in parts:
            size = int(numpy.prod(shape))
            out.append(numpy.array(host[offset : offset + size]).reshape(shape))
        return out

    def read_later(self, array: Any) -> Deferred:
        """Start copying a small device array to the host without waiting for it.

        Read it with :meth:`Deferred.value` once :meth:`Deferred.ready` says so (typically
        one frame later), so per-frame statistics never stall the device pipeline.
        """
        return Deferred(self, array)

    def synchronize(self) -> None:
        if self.name == "cupy":
            import cupy

            cupy.cuda.get_current_stream().synchronize()


class Deferred:
    """A device->host copy in flight (immediate on NumPy)."""

    def __init__(self, backend: Backend, array: Any) -> None:
        self._event: Any = None
        if backend.name == "numpy":
            self._host = numpy.asarray(array)
            return
        import cupy

        self._host = backend._pinned_slot(array.shape, array.dtype)
        try:
            array.get(out=self._host, blocking=False)
        except TypeError:  # CuPy < 13: a stream argument makes the copy asynchronous
            array.get(stream=cupy.cuda.get_current_stream(), out=self._host)
        self._event = cupy.cuda.Event(block=False, disable_timing=True)
        self._event.record()

    def ready(self) -> bool:
        return self._event is None or bool(self._event.done)

    def value(self) -> numpy.ndarray:
        if self._event is not None and not self._event.done:
            self._event.synchronize()
        return self._host


def _cupy_problem() -> tuple[ModuleType | None, str]:
    """Import CuPy and run one tiny kernel; return (module, "") or (None, why not)."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed (uv sync --extra gpu)"
    except Exception as exc:  # a broken CUDA install raises all sorts of things on import
        return None, f"CuPy failed to import: {exc}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            return None, "no CUDA device found"
        value = int((cupy.arange(4, dtype=cupy.float32) * 2).sum().item())
        if value != 12:
            return None, "the CUDA device computed a wrong result"
    except Exception as exc:
        return None, f"no working CUDA device ({type(exc).__name__}: {exc})"
    return cupy, ""


def select_backend(want: BackendName = "auto") -> Backend:
    """Choose the backend; ``reason`` is one line for the status bar."""
    if want == "numpy":
        return Backend(numpy, "numpy", "numpy (asked for in config)")
    cupy, problem = _cupy_problem()
    if cupy is not None:
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        if isinstance(name, bytes):
            name = name.decode()
        return Backend(cupy, "cupy", f"cupy on {name}")
    if want == "cupy":
        return Backend(numpy, "numpy", f"numpy: cupy was asked for, but {problem}")
    return Backend(numpy, "numpy", f"numpy: {problem}")


def numpy_backend() -> Backend:
    """The CPU backend, for tests and tools."""
    return Backend(numpy, "numpy", "numpy")
