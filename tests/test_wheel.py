"""perform installed like a tool: the wheel, in a fresh venv outside the checkout, run from
another folder, finds its controller profiles and its demo show by short name.

The wheel is built with ``uv build`` and installed with ``uv pip install`` pinned to the
lock file's versions (so the packages come from uv's cache, as in the project's own venv).
Nothing from the checkout is importable in that venv: the test checks that ``perform``
really is the installed copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from perform.config import PROJECT_ROOT
from tests.jack import VirtualController

# Each test runs the installed perform two or three times (each run bounded at 120 s): the
# hang guard covers all of them, since a busy machine makes every cold start slow.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SMALL = (
    "[engine]\nworld = 64\n[stream]\nwidth = 64\nheight = 64\n"
    "[osc]\nenabled = false\n[scope]\nenabled = false\n"
    '[midi]\nbackend = "jack"\npoll = 0.2\n'
)


@dataclass
class Installed:
    venv: Path
    home: Path
    """An empty folder to run from and to be the user's config home."""

    @property
    def perform(self) -> Path:
        return self.venv / "bin" / "perform"

    @property
    def site(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["XDG_CONFIG_HOME"] = str(self.home / "xdg")
        env["HOME"] = str(self.home)
        return subprocess.run(
            [str(self.perform), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
            env=env,
        )


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        if os.environ.get("PERFORM_CI") == "1":
            pytest.fail("uv is not on PATH (.ci/run installs it)")
        pytest.skip("uv is not on PATH")
    return uv


def _run(*args: str | Path, cwd: Path = PROJECT_ROOT) -> None:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, cwd=cwd
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    uv = _uv()
    root = tmp_path_factory.mktemp("wheel")
    _run(uv, "build", "--wheel", "--out-dir", root / "dist")
    (wheel,) = (root / "dist").glob("perform-*.whl")
    pins = root / "pins.txt"
    _run(
        uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
        "--output-file", pins,
    )  # fmt: skip
    venv = root / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    _run(uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "-c", pins, wheel)
    home = root / "home"
    home.mkdir()
    (home / "small.toml").write_text(SMALL)
    yield Installed(venv, home)


def test_the_installed_package_is_not_the_checkout(installed):
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import perform; print(perform.__file__)"],
        capture_output=True,
        text=True,
        cwd=installed.home,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.site)
    shipped = installed.site / "perform" / "_data"
    assert (shipped / "mappings" / "nanokontrol2.toml").is_file()
    assert (shipped / "setlists" / "demo.toml").is_file()


def test_check_and_map_find_a_shipped_profile_by_name(installed):
    shipped = installed.site / "perform" / "_data" / "mappings" / "nanokontrol2.toml"
    result = installed.run("check", "nanokontrol2")
    assert result.returncode == 0, result.stderr
    assert f"nanokontrol2: ok ({shipped} (shipped with perform))" in result.stdout
    result = installed.run("map", "nanokontrol2")
    assert result.returncode == 0, result.stderr
    assert "Korg nanoKONTROL2" in result.stdout and "takeover pickup" in result.stdout


def test_the_demo_show_by_name(installed):
    result = installed.run("run", "demo", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Demo: bioluminescence: 4 scenes" in result.stdout
    played = installed.run("run", "demo", "--headless", "--seconds", "3", "--config", "small.toml")
    assert played.returncode == 0, played.stderr
    assert "scene 1: Emergence" in played.stdout


def test_init_into_an_empty_home_then_run_the_starter_show(installed):
    result = installed.run("init")
    assert result.returncode == 0, result.stderr
    config = installed.home / "xdg" / "perform" / "config.toml"
    assert f"wrote {config}" in result.stdout and "perform run my-show" in result.stdout
    shown = installed.run("run", "my-show", "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert "My show: 2 scenes" in shown.stdout
    again = installed.run("init")
    assert f"kept (already there) {config}" in again.stdout


def test_midi_starts_with_a_shipped_profile(installed, controllers):
    """A controller named like the profile: --mapping by name opens it, and with no
    --mapping the shipped profile loads by itself when the port appears."""
    controllers.append(VirtualController("nanoKONTROL2"))
    shipped = installed.site / "perform" / "_data" / "mappings" / "nanokontrol2.toml"
    ports = installed.run("ports", "--mapping", "nanokontrol2", "--config", "small.toml")
    assert ports.returncode == 0, ports.stderr
    assert f"-> Korg nanoKONTROL2 (mapping {shipped}, shipped with perform)" in ports.stdout
    named = installed.run(
        "run", "--headless", "--seconds", "3", "--config", "small.toml",
        "--mapping", "nanokontrol2",
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert "MIDI: Korg nanoKONTROL2 connected" in named.stderr
    auto = installed.run("run", "--headless", "--seconds", "3", "--config", "small.toml")
    assert auto.returncode == 0, auto.stderr
    assert "Korg nanoKONTROL2: profile nanokontrol2.toml loaded" in auto.stderr


def test_a_mapped_controller_that_is_not_there_is_said(installed, jack):
    result = installed.run(
        "run", "--headless", "--seconds", "3", "--config", "small.toml",
        "--mapping", "midimix",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "MIDI device not found: Akai MIDImix: no MIDI input matches" in result.stderr
