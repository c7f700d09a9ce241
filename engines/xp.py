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


@dataclass
class Backend:
    """The array module engines use, and why it was chosen."""

    xp: ModuleType
    name: Literal["numpy", "cupy"]
    reason: str
    _pinned: dict[tuple[tuple[int, ...], str], Any] = field(default_factory=dict, repr=False)

    @property
    def is_gpu(self) -> bool:
        return self.name == "cupy"

    def to_host(self, array: Any) -> numpy.ndarray:
        """Copy a device array to host memory (a no-op view for NumPy).

        On CuPy the copy lands in a reused pinned buffer of the right shape, then is
        copied once more into a fresh array so consumers may keep it while the next
        frame is produced.
        """
        if self.name == "numpy":
            return array
        key = (tuple(array.shape), str(array.dtype))
        pinned = self._pinned.get(key)
        if pinned is None:
            import cupy

            mem = cupy.cuda.alloc_pinned_memory(array.nbytes)
            pinned = numpy.frombuffer(mem, array.dtype, array.size).reshape(array.shape)
            self._pinned[key] = pinned
        array.get(out=pinned)
        return pinned.copy()

    def synchronize(self) -> None:
        if self.name == "cupy":
            import cupy

            cupy.cuda.get_current_stream().synchronize()


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
