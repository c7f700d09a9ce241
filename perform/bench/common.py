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


TABLE_WIDTH = 100
"""The printed table fits a 100-column terminal; every figure and note is in the JSON."""


def format_table(results: Sequence[Result], width: int = TABLE_WIDTH) -> str:
    """One row per case: suite, case with its params, figures wrapped to ``width``."""
    rows = []
    for r in results:
        params = " ".join(f"{k}={v}" for k, v in r.params.items())
        pieces = [f"{k} {_fmt(v)}" for k, v in r.metrics.items()]
        if r.note:
            pieces.append(f"({r.note})")
        rows.append((r.suite, f"{r.name} [{params}]" if params else r.name, pieces))
    suite_w = min(10, max([5, *(len(row[0]) for row in rows)]))
    case_w = min(36, max([4, *(len(row[1]) for row in rows)]))
    fig_w = max(20, width - suite_w - case_w - 4)
    lines = [
        f"{'suite':<{suite_w}}  {'case':<{case_w}}  figures",
        f"{'-' * suite_w}  {'-' * case_w}  {'-' * fig_w}",
    ]
    for suite, case, pieces in rows:
        case_lines = _pack(case.split(" "), case_w, " ")
        fig_lines = _pack(pieces, fig_w, ", ")
        for i in range(max(len(case_lines), len(fig_lines))):
            left = _cut(suite, suite_w) if i == 0 else ""
            mid = case_lines[i] if i < len(case_lines) else ""
            right = fig_lines[i] if i < len(fig_lines) else ""
            lines.append(f"{left:<{suite_w}}  {mid:<{case_w}}  {right}".rstrip())
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _pack(pieces: Sequence[str], width: int, sep: str) -> list[str]:
    """Greedy line filling; a piece longer than a line is cut (the JSON has it whole)."""
    lines: list[str] = []
    for piece in pieces:
        piece = _cut(piece, width)
        if lines and len(lines[-1]) + len(sep) + len(piece) <= width:
            lines[-1] += sep + piece
        else:
            if lines:
                lines[-1] += sep.rstrip()
            lines.append(piece)
    return lines or [""]


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


def input_config(**sections: dict[str, Any]) -> Any:
    """The app config of the input benches: a 256² organism, MIDI on JACK without the
    shipped profiles, OSC on a free port without HTTP; ``sections`` add to those tables."""
    from perform.config import AppConfig

    data: dict[str, dict[str, Any]] = {
        "engine": {"world": 256},
        "stream": {"width": 256, "height": 256},
        "midi": {"backend": "jack", "auto_profiles": False},
        "osc": {"port": 0, "http": False},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return AppConfig.model_validate(data)


def fader_mapping(path: Path, device: str) -> Path:
    """A mapping file: the port named ``device`` (lower case) drives color.hue with CC 7."""
    path.write_text(
        f'[device]\nname = "{device}"\nmatch = "{device.lower()}"\n\n'
        '[[bind]]\ncc = 7\nparam = "color.hue"\ntakeover = "jump"\n'
    )
    return path
