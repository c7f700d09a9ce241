"""Engine code goes through ``xp``: NumPy appears only where host data is built on
purpose (seeds, index tables, palette defaults, kernel scalar types, the backend itself)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import engines
from engines import gpu

ENGINE_DIR = Path(engines.__file__).parent

#: Modules allowed to import NumPy, and why.
HOST_SIDE = {
    "xp.py": "the backend itself (NumPy is one of the two backends)",
    "seeds.py": "seeds are drawn on the host so both backends start from the same world",
    "frame.py": "resampling tables are computed once on the host, then uploaded",
    "palette.py": "NumPy is the default xp of the table builder; CuPy builds on the device",
    "gpu.py": "numpy.float32/int32 give CuPy kernels their scalar argument types",
    "cpu.py": "the Numba kernels run on NumPy arrays; numpy.float32 types their scalars",
    "_cpu_kernels.py": "the Numba kernels themselves (float32 constants)",
}


def numpy_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "numpy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
            found.append(node.module or "")
    return found


def test_engine_modules_never_import_numpy_where_xp_is_meant():
    offenders = {}
    for path in sorted(ENGINE_DIR.glob("*.py")):
        if path.name in HOST_SIDE:
            continue
        imports = numpy_imports(path)
        if imports:
            offenders[path.name] = imports
    assert offenders == {}, f"use backend.xp instead of NumPy in {offenders}"


def test_the_allowlist_is_still_needed():
    for name in HOST_SIDE:
        assert numpy_imports(ENGINE_DIR / name), f"{name} no longer imports NumPy: drop it"


def test_engines_never_import_the_app_or_io_libraries():
    banned = {"perform", "textual", "aiortc", "mido", "rtmidi", "av", "aiohttp"}
    for path in sorted(ENGINE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"


def test_gpu_wrappers_pass_every_kernel_argument(monkeypatch):
    """Without a GPU the kernels cannot run, but every wrapper must call its kernel with
    exactly the declared inputs and outputs (a miscount fails only on the device)."""
    calls: dict[str, int] = {}

    class Recorder:
        def __init__(self, name):
            self.name = name

        def __call__(self, *args):
            calls[self.name] = len(args)

    monkeypatch.setattr(gpu, "kernel", Recorder)
    import numpy as np

    a = np.zeros((4, 4), np.float32)
    gpu.lenia_update(a, 0.1, -1.0, 0.1, a)
    gpu.smoothlife_update(a, a, 0.2, 0.3, 0.2, 0.4, 0.03, 0.1, 0.1, a)
    gpu.mnca_update(np.zeros((2, 4, 4), np.float32), [(0.1, 0.3)], 0.04, a)
    gpu.gray_scott_substep(a, a, a, 0.03, 0.06, 0.2, 0.1, 1.0, a, a)
    gpu.perturb(a, a, a, a, a, a, a, a, 0.1, 0.1, 0.01, 0.01)
    gpu.colour_signals(a, a, a, a)
    gpu.colour_coordinates(a, a, a, a, np.zeros(3, np.float32), (0.3, 0.3, 0.4), 1.0, a, a)
    gpu.advect(a, a, a, a)
    for name, count in calls.items():
        inputs, outputs, _, _ = gpu._SOURCES[name]
        declared = len(inputs.split(",")) + len(outputs.split(","))
        assert count == declared, f"{name}: called with {count} arguments, declares {declared}"
    assert {"lenia", "smoothlife", "mnca", "gray_scott", "perturb", "signals"} <= set(calls)
    assert {"coordinates", "advect", "sharpen"} <= set(calls)


def test_compose_kernels_declare_what_compose_passes():
    source = inspect.getsource(gpu.compose)
    assert source.count('kernel("compose_rgb_y")') == 1 and source.count('kernel("compose_uv")')
    for name, passed in (("compose_rgb_y", 10), ("compose_uv", 11)):
        inputs, outputs, _, _ = gpu._SOURCES[name]
        assert len(inputs.split(",")) + len(outputs.split(",")) == passed
