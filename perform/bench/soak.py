"""Memory over a long show: does the resident size stay flat?

A headless session runs with the engine at its show clock while a fake performer writes
parameters at 100 Hz (faders) and switches presets every 10 s, across engines too (new
organisms grow in the background and crossfade). The process's resident memory is
sampled every 2 s; growth is measured after one full cycle through the presets (the
warm-up: caches, FFT plans, a first organism of every engine) to the end.

DESIGN budget: flat over a 1-hour show (growth <= 5%): ``perform bench soak --minutes 60``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from typing import Any

from perform.bench.common import Result

NAME = "soak"
HELP = "resident memory over a long headless show (faders at 100 Hz, preset switches)"

PRESETS = ("medusa", "coral", "labyrinth", "sl_gliders", "mnca_soliton", "nebula")
SWITCH_EVERY = 10.0
CYCLE = SWITCH_EVERY * len(PRESETS)
"""One pass through every preset: the warm-up before growth is measured."""


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _soak(seconds: float) -> dict[str, float]:
    from perform.build import RunOptions, build_session
    from perform.config import AppConfig

    config = AppConfig.model_validate(
        {
            "engine": {"world": 256},
            "stream": {"width": 256, "height": 256},
            "midi": {"auto_profiles": False},
            "osc": {"enabled": False},
            "scope": {"enabled": False},
        }
    )
    session = build_session(config, RunOptions(headless=True))
    store = session.store
    rng = random.Random(7)
    samples: list[tuple[float, float]] = []
    await session.start()
    try:
        t0 = time.monotonic()
        next_sample = next_switch = t0
        switches = 0
        while (now := time.monotonic()) - t0 < seconds:
            store.apply("color.hue", rng.random(), "midi")
            store.apply("flow.swirl", rng.uniform(-1, 1), "midi")
            if now >= next_switch:
                store.apply("engine.preset", PRESETS[switches % len(PRESETS)], "setlist")
                switches += 1
                next_switch = now + SWITCH_EVERY
            if now >= next_sample:
                samples.append((now - t0, rss_mb()))
                next_sample = now + 2.0
            await asyncio.sleep(0.01)
        samples.append((time.monotonic() - t0, rss_mb()))
        frames = session.host.mailbox.posted
    finally:
        await session.stop()
    warm = [mb for t, mb in samples if t >= min(CYCLE, seconds / 2)]
    start, end = warm[0], warm[-1]
    return {
        "rss_start_mb": start,
        "rss_end_mb": end,
        "rss_peak_mb": max(mb for _, mb in samples),
        "growth_pct": 100.0 * (end - start) / start if start else float("nan"),
        "preset_switches": float(switches),
        "frames": float(frames),
    }


def run(options: argparse.Namespace) -> list[Result]:
    minutes: Any = getattr(options, "minutes", None)
    seconds = 60.0 * float(minutes) if minutes else (30.0 if options.quick else 3 * CYCLE)
    figures = asyncio.run(_soak(seconds))
    return [
        Result(
            NAME,
            "resident memory, headless show",
            figures,
            {"seconds": round(seconds), "world": 256, "writes_hz": 200},
            note="goal: growth <= 5% after one preset cycle; --quick is a smoke run only",
        )
    ]
