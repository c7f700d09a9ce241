"""Small helpers every test package uses: waiting on a condition, running the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


async def eventually(
    condition: Callable[[], Any],
    timeout: float = 5.0,
    what: str | Callable[[], Any] = "",
    every: float = 0.005,
) -> Any:
    """Wait until ``condition()`` is truthy (polling the loop); return its value.

    Fails with ``what`` (or the result of calling it) so a timeout says what was missing.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = what() if callable(what) else what
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {detail or condition}"
            )
        await asyncio.sleep(every)


def run_perform(
    *args: str,
    timeout: float = 90,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m perform ARGS`` in a subprocess, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "perform", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
