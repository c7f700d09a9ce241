"""`uv run perform` in a real terminal (tmux): the Live screen appears, keys work, q quits."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("tmux_smoke.sh")


@pytest.mark.slow
def test_perform_starts_in_a_real_terminal(tmp_path):
    if shutil.which("tmux") is None or shutil.which("uv") is None:
        if os.environ.get("PERFORM_CI"):  # in CI (.ci/run installs tmux) this is a failure
            pytest.fail("tmux and uv are needed for the terminal smoke test")
        pytest.skip("tmux or uv is not installed")
    (tmp_path / "perform").mkdir()
    (tmp_path / "perform" / "config.toml").write_text("[engine]\nworld = 256\n")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    env.pop("PERFORM_CONFIG", None)
    result = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=150, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
