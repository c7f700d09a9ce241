"""The command line: version, help, headless runs, clean errors, and no textual headless."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from perform import __version__
from perform.cli import main
from tests.helpers import run_perform


def run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return run_perform(*args, timeout=timeout, **kwargs)


def test_version_and_help(capsys):
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert __version__ in capsys.readouterr().out
    with contextlib.suppress(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "bench" in out and "tui" in out


def test_headless_run_exits_zero_and_prints_steps(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text("[engine]\nworld = 128\n[stream]\nwidth = 128\nheight = 128\n")
    result = run("--config", str(config), "run", "--headless", "--seconds", "2.5")
    assert result.returncode == 0, result.stderr
    assert "steps/s" in result.stdout
    assert "Traceback" not in result.stderr


def test_headless_never_imports_textual(tmp_path):
    code = (
        "import sys; from perform.cli import main; "
        "rc = main(['run', '--headless', '--seconds', '0.5']); "
        "assert rc == 0; "
        "assert 'textual' not in sys.modules, 'textual was imported'; "
        "print('clean')"
    )
    env_cfg = tmp_path / "perform.toml"
    env_cfg.write_text("[engine]\nworld = 64\n[stream]\nwidth = 64\nheight = 64\n")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "clean" in result.stdout


def test_bad_config_is_one_clean_message_and_exit_2(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text("[stream]\nfsp = 30\n")
    result = run("--config", str(config), "run", "--headless", "--seconds", "1")
    assert result.returncode == 2
    assert "Config error" in result.stderr and "did you mean 'fps'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bench_core_quick_prints_a_table_and_json(tmp_path):
    record = tmp_path / "bench.json"
    result = run("bench", "core", "--quick", "--json", str(record), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "gray_scott engine step" in result.stdout and "steps_per_s" in result.stdout
    import json

    data = json.loads(record.read_text())
    assert data["machine"]["cpus"] and any(r["name"] == "ParamStore.apply" for r in data["results"])


def test_the_first_status_line_says_the_organism_is_growing():
    from perform.headless import format_stats
    from perform.render.host import EngineStats

    stats = EngineStats("numpy", "", "medusa", 0.0, 30.0, 0.0, 0.0, 0, 0, None)
    assert format_stats(stats) == "engine on numpy: growing the first organism (medusa)..."
