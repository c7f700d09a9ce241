"""Alive: does every preset stay alive for a whole show, judged on the frames an audience sees?

Each preset runs as in a show (the same warm-up, 60 steps per simulated second x its
speed, regulation once per frame, flows, breathing and colour: :func:`perform.render.
offline.frames`) in simulated time, and every frame at 30 fps is judged on its RGB
picture by :class:`perform.bench.liveness.Meter` (issue 15's definition: lit fraction,
still stretches, flashes, flicker). Presets run in a pool of processes (two by default);
progress goes to stderr. ``--sweep`` runs every parameter of a preset at both ends of its
range instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from perform.bench.common import Result
from perform.bench.liveness import FPS, Liveness, Meter

if TYPE_CHECKING:
    from engines.xp import BackendName

NAME = "alive"
HELP = "every preset for N minutes of show time: lit fraction, stillness, flashes, flicker"

GROWTH_SECONDS = 10.0
"""Show time after the warm-up that is not judged yet (the organism is still growing)."""


def watch(
    preset: str,
    seconds: float,
    *,
    world: int = 512,
    size: tuple[int, int] | None = None,
    seed: int = 1,
    warmup: float = 3.0,
    growth: float = GROWTH_SECONDS,
    overrides: Mapping[str, Any] | None = None,
    changes: Sequence[tuple[float, Mapping[str, Any]]] = (),
    progress: Any = None,
    backend: BackendName = "numpy",
) -> Liveness:
    """Run ``preset`` as in a show for ``growth + seconds`` of show time and judge the last
    ``seconds`` of it (frames at 30 fps, world ``world``, frames ``size`` (default the
    world's)), with ``overrides`` from the start and ``changes`` (``(second, values)``,
    counted from the end of the warm-up) made mid-show. ``progress(done_s, total_s, lit)`` is
    called about every 10 simulated seconds, ``lit`` the least lit share of the judged frames
    in those seconds (None during growth), so a failure's lead-up shows in the log.
    ``backend`` is ``numpy`` (the default: what tests and CI run), ``cupy`` or ``auto``
    (what a show picks); a CuPy frame is judged on the device (five numbers a frame reach
    the host)."""
    from engines import get_preset, select_backend
    from perform.render import offline

    width, height = size or (world, world)
    chosen = select_backend(backend)
    meter = Meter(FPS, chosen.xp)
    skip = int(round(growth * FPS))
    total = growth + seconds
    frames = offline.pictures(
        preset, chosen, world=world, width=width, height=height, fps=FPS,
        seconds=total, warmup=warmup, seed=seed, overrides=dict(overrides or {}),
        changes=changes,
    )  # fmt: skip
    for i, (_, picture) in enumerate(frames):
        if i >= skip:
            meter.add(picture.rgb)
        if progress is not None and i % int(10 * FPS) == 0 and i:
            recent = meter.lit[-int(10 * FPS) :] if i > skip else None
            progress(i / FPS, total, min(recent) if recent else None)
    return meter.judge(preset, get_preset(preset).engine)


def _watch_job(
    preset: str,
    seconds: float,
    world: int,
    seed: int,
    warmup: float,
    size: tuple[int, int] | None = None,
    backend: BackendName = "numpy",
    overrides: Mapping[str, Any] | None = None,
    label: str | None = None,
) -> Liveness:
    started = time.perf_counter()

    def progress(done: float, total: float, lit: float | None) -> None:
        least = "" if lit is None else f", lit >= {100 * lit:.1f} %"
        print(
            f"  alive: {preset} {done:.0f}/{total:.0f} s of show time{least} "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    report = watch(
        preset, seconds, world=world, size=size, seed=seed, warmup=warmup, progress=progress,
        backend=backend, overrides=overrides,
    )  # fmt: skip
    if label is not None:
        report.preset = label
    return report


SWEEP_PRESETS = (
    "coral", "sl_gliders", "mnca_soliton", "medusa", "classic_life", "spiral", "whirlpool",
)  # fmt: skip
"""One preset per engine family: what ``--sweep`` runs when no preset is named."""


def sweep_cases(keys: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, preset, overrides)``: every parameter a preset's organism reads (its
    engine's, the flows, colour, organism and ``engine.speed``) at both ends of its range,
    every choice of an enum, one at a time (issue 15: no fader value may kill or flash)."""
    from engines import ENGINES, get_preset
    from engines.catalog import HOST_PARAMS, organism_params

    cases = []
    for key in keys:
        engine = get_preset(key).engine
        for d in (*ENGINES[engine].params, *organism_params(), *HOST_PARAMS):
            ends: tuple[Any, ...] = d.choices if d.kind == "enum" else (d.min, d.max)
            for value in ends:
                cases.append((f"{key} {d.name}={value:g}" if not isinstance(value, str)
                              else f"{key} {d.name}={value}", key, {d.name: value}))  # fmt: skip
    return cases


def _result(report: Liveness, world: int, backend: str = "numpy") -> Result:
    metrics = {
        "lit_min_pct": 100 * report.lit_min,
        "lit_max_pct": 100 * report.lit_max,
        "motion_median": report.motion_median,
        "still_max_s": report.longest_still_s,
        "flash_max": report.flash,
        "flicker_pp": report.flicker,
        "alive": 1.0 if report.alive else 0.0,
    }
    return Result(
        NAME,
        report.preset,
        metrics,
        {
            "engine": report.engine,
            "world": world,
            "seconds": round(report.seconds, 1),
            **({"backend": backend} if backend != "numpy" else {}),
        },
        note=report.verdict(),
    )


def table(reports: Iterable[Liveness]) -> str:
    """The verdict table: preset, engine, lit min-max, longest still, flash, flicker."""
    head = ("preset", "engine", "lit %", "still s", "flash", "flicker", "verdict")
    rows = [
        (
            r.preset,
            r.engine,
            f"{100 * r.lit_min:.1f}-{100 * r.lit_max:.1f}",
            f"{r.longest_still_s:.2f}",
            f"{r.flash:.1f}",
            f"{r.flicker:.2f}",
            r.verdict(),
        )
        for r in reports
    ]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def run(options: argparse.Namespace) -> list[Result]:
    from engines import get_preset, presets
    from perform.config import load_config

    sweep = bool(getattr(options, "sweep", False))
    named = getattr(options, "presets", None)
    chosen = list(named or (SWEEP_PRESETS if sweep else presets()))
    for key in chosen:
        get_preset(key)  # unknown keys fail before anything runs
    cases = sweep_cases(chosen) if sweep else [(key, key, {}) for key in chosen]
    minutes = getattr(options, "minutes", None)
    seconds = 60.0 * (10.0 if minutes is None else float(minutes))
    if getattr(options, "quick", False) and minutes is None:
        seconds = 20.0
    world = int(getattr(options, "world", None) or 512)
    config = load_config(getattr(options, "config", None))
    seed, warmup = config.engine.seed, config.engine.warmup
    # Judged on the frame an audience sees: the stream's size, whatever the world's.
    size = (config.stream.width, config.stream.height)
    backend: BackendName = getattr(options, "backend", None) or "numpy"
    from engines import select_backend

    chosen_backend = select_backend(backend)  # what "cupy"/"auto" really gives here
    label = chosen_backend.name
    jobs = max(1, min(int(getattr(options, "jobs", None) or 2), len(cases), os.cpu_count() or 1))
    what = f"{len(cases)} parameter ends of {len(chosen)}" if sweep else f"{len(chosen)}"
    print(
        f"# alive: {what} presets x {seconds / 60:g} min of show time at {world}^2 "
        f"(+{GROWTH_SECONDS:g} s growth each, not judged), frames {size[0]}x{size[1]}, "
        f"{chosen_backend.reason}, {jobs} processes",
        file=sys.stderr,
    )
    started = time.perf_counter()
    reports: dict[str, Liveness] = {}
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        futures = {
            pool.submit(
                _watch_job, key, seconds, world, seed, warmup, size, backend, over, name
            ): name
            for name, key, over in cases
        }
        for future in as_completed(futures):
            report = future.result()
            reports[report.preset] = report
            print(
                f"  alive: [{len(reports)}/{len(cases)}] {report.preset}: {report.verdict()} "
                f"(lit {100 * report.lit_min:.1f}-{100 * report.lit_max:.1f} %, still "
                f"{report.longest_still_s:.2f} s, flash {report.flash:.1f}, flicker "
                f"{report.flicker:.2f}) "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    ordered = [reports[name] for name, _, _ in cases]
    living = sum(r.alive for r in ordered)
    print(table(ordered))
    print(f"# alive: {living}/{len(ordered)} alive at {world}^2 ({label})\n")
    return [_result(r, world, label) for r in ordered]


def main() -> None:
    """``python -m perform.bench.alive [PRESET...] [--minutes N] [--world N] [--jobs N]
    [--backend B] [--json PATH]``: the suite without the CLI's imports (for a GPU machine)."""
    from perform.bench.common import format_table, to_json

    parser = argparse.ArgumentParser(prog="python -m perform.bench.alive")
    parser.add_argument("presets", nargs="*", metavar="PRESET")
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--world", type=int)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    results = run(args)
    print(format_table(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(to_json(results) + "\n")


if __name__ == "__main__":
    main()
