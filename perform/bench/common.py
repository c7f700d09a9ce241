"""Results, the machine they were measured on, and how they are printed."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One measured figure (or a few closely related ones)."""

    suite: str
    name: str
    metrics: dict[str, float]
    """Figure name -> value (units in the name: ``steps_per_s``, ``p99_ms``)."""
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def machine() -> dict[str, Any]:
    import numpy

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "load_avg_1m": round(load[0], 2),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def percentiles(samples: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": .., "p95": .., "p99": ..}`` of ``samples`` (inclusive method)."""
    if len(samples) < 2:
        value = samples[0] if samples else float("nan")
        return {f"p{p}": value for p in points}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {f"p{p}": cuts[p - 1] for p in points}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")


def best_of(repeats: int, fn, *args: Any) -> float:
    """The best (highest) of ``repeats`` rates from ``fn(*args) -> rate``: noise only slows."""
    return max(fn(*args) for _ in range(repeats))


def format_table(results: Sequence[Result]) -> str:
    rows = []
    for r in results:
        figures = ", ".join(f"{k} {_fmt(v)}" for k, v in r.metrics.items())
        params = " ".join(f"{k}={v}" for k, v in r.params.items())
        rows.append((r.suite, r.name, params, figures + (f"  ({r.note})" if r.note else "")))
    widths = [
        max([len(h), *(len(row[i]) for row in rows)])
        for i, h in enumerate(("suite", "case", "params", ""))
    ]
    lines = [
        "  ".join(
            h.ljust(w) for h, w in zip(("suite", "case", "params", "figures"), widths, strict=True)
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def to_json(results: Sequence[Result]) -> str:
    return json.dumps({"machine": machine(), "results": [asdict(r) for r in results]}, indent=2)


class LoopLagProbe:
    """Records how late the loop wakes from a 2 ms sleep (its lag)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            t0 = loop.time()
            await asyncio.sleep(0.002)
            self.lags.append(loop.time() - t0 - 0.002)

    async def stop(self) -> float:
        self._stop.set()
        if self._task is not None:
            await self._task
        lags = sorted(self.lags)
        return lags[int(len(lags) * 0.99)] * 1e3 if lags else float("nan")


def standalone_host(
    world: int, fps: float, steps_per_second: float, **kwargs: Any
) -> tuple[Any, Any]:
    """A started engine host (numpy) on a fresh store, without a session: ``(host, store)``."""
    from engines import all_params, numpy_backend, presets
    from perform.registry import build_store
    from perform.render.host import EngineHost

    store = build_store(presets(), "medusa", all_params())
    host = EngineHost.for_store(
        store,
        numpy_backend(),
        world=world,
        width=world,
        height=world,
        fps=fps,
        steps_per_second=steps_per_second,
        **kwargs,
    )
    host.start()
    return host, store


def fader_mapping(path: Path, device: str) -> Path:
    """A mapping file: the port named ``device`` (lower case) drives color.hue with CC 7."""
    path.write_text(
        f'[device]\nname = "{device}"\nmatch = "{device.lower()}"\n\n'
        '[[bind]]\ncc = 7\nparam = "color.hue"\ntakeover = "jump"\n'
    )
    return path
