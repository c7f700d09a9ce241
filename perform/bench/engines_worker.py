"""One side of ``perform bench engines --against PATH``: times the organism of one tree.

Run as a script (``python engines_worker.py``) with that tree first on ``PYTHONPATH``, so
``import engines`` and ``perform.bench.engines.full_frame`` are *that tree's* code while the
interpreter, libraries and process settings are the same for both sides. It imports nothing
else from this tree, so it works against an older checkout (today's main) too.

Protocol: one JSON command per stdin line, one JSON answer per stdout line:

* ``{"op": "rate", "preset", "world", "what": "frames"|"steps", "seconds"}`` -> ``{"rate"}``
  (calls per second over one window; the organism is built and warmed on first use and
  kept, so later windows continue the same show);
* ``{"op": "frame", "preset", "world", "frames", "path"}`` -> ``{"path"}``: a *fresh*
  organism (same seed), warmed, then ``frames`` full frames; the last RGB frame is saved
  as ``.npy`` at ``path`` for the look comparison;
* ``{"op": "kernels"}`` -> ``{"loaded", "reason"}``: waits until the tree's fused CPU
  kernels are loaded (``engines.cpu.wait``; compiled on the first run after an install),
  so no timing window pays for them; ``loaded`` is None for a tree without them;
* ``{"op": "quit"}``.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any


def _organism(preset: str, world: int) -> tuple[Any, dict[str, Any]]:
    from engines import Organism, get_preset, preset_values, select_backend

    backend = select_backend("numpy")
    spec = get_preset(preset)
    params = {"master.fade": 1.0, **preset_values(preset)}
    organism = Organism(backend, spec.engine, world, 1, spec.seed, params=params, background=False)
    organism.warm(params, 60)
    return organism, params


def _kernels() -> dict[str, Any]:
    try:
        from engines import cpu
    except ImportError:  # a tree from before the fused kernels
        return {"loaded": None, "reason": "no engines/cpu.py in this tree"}
    if not hasattr(cpu, "wait"):
        return {"loaded": None, "reason": "engines/cpu.py without a loader"}
    loaded = bool(cpu.wait(KERNELS_S))
    return {"loaded": loaded, "reason": cpu.reason()}


KERNELS_S = 900.0
"""How long a worker waits for its tree's first compile (half a minute on a busy machine)."""


def main() -> int:
    # This script's folder (perform/bench) holds an ``engines.py`` of its own: never let
    # it shadow the tree's ``engines`` package (the parent also runs us with ``-P``).
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    from perform.bench.engines import full_frame

    cache: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "quit":
            break
        if op == "kernels":
            sys.stdout.write(json.dumps(_kernels()) + "\n")
            sys.stdout.flush()
            continue
        preset, world = str(command["preset"]), int(command["world"])
        if op == "frame":
            organism, params = _organism(preset, world)
            for _ in range(int(command["frames"])):
                full_frame(organism, params, world)
            import numpy

            picture = organism.render(params, world, world)
            numpy.save(command["path"], numpy.asarray(picture.rgb))
            answer: dict[str, Any] = {"path": command["path"]}
        else:
            key = (preset, world)
            if key not in cache:
                cache[key] = _organism(preset, world)
                for _ in range(5):
                    full_frame(*cache[key], world)
            organism, params = cache[key]
            if command["what"] == "steps":
                call = functools.partial(organism.engine.advance, params)
            else:
                call = functools.partial(full_frame, organism, params, world)
            seconds, count = float(command["seconds"]), 0
            t0 = time.perf_counter()
            while True:
                call()
                count += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= seconds and count >= 3:
                    break
            answer = {"rate": count / elapsed}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
