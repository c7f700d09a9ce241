"""Drills: hostile files and numbers (issue 11, item 8).

Non-finite durations, impossible tempos, huge files, a learned file's mode and a writer
killed (SIGKILL) in the middle of writing: each refused with a clear message naming the
file, line and key, or survived with the previous version kept.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from perform.config import PROJECT_ROOT
from perform.errors import MappingError, SetlistError
from perform.fileio import atomic_write, backup_path
from perform.mapping.load import read_mapping
from perform.setlist import load_setlist
from tests.helpers import run_perform

SHOW = (
    '[show]\nname = "t"\n\n[[scenes]]\nname = "a"\npreset = "medusa"\nhold = {{ seconds = {} }}\n'
)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_a_non_finite_hold_is_refused_with_file_line_and_key(tmp_path, value):
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(value), encoding="utf-8")
    with pytest.raises(SetlistError, match=r"show\.toml:7: scenes\[0\]\.hold"):
        load_setlist(show)
    result = run_perform("check", str(show), cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert "show.toml:7: scenes[0].hold" in result.stdout + result.stderr
    dry = run_perform("run", str(show), "--dry-run", cwd=PROJECT_ROOT)
    assert dry.returncode == 2 and "Traceback" not in dry.stderr, dry.stderr


@pytest.mark.parametrize("bpm", ["nan", "inf", "-5", "0", "fast", "1e6"])
def test_an_impossible_bpm_is_refused_with_a_clear_message(bpm):
    result = run_perform("run", "setlists/demo.toml", "--dry-run", f"--bpm={bpm}", cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert "--bpm" in result.stderr and "tempo" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_good_bpm_still_times_the_show():
    result = run_perform("run", "setlists/demo.toml", "--dry-run", "--bpm", "60", cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert "60 bpm" in result.stdout


def _huge(path, megabytes: int, line: str) -> None:
    block = (line * ((1 << 20) // len(line) + 1))[: 1 << 20]
    with path.open("w", encoding="utf-8") as handle:
        handle.write('[device]\nname = "x"\nkind = "osc"\n')
        for _ in range(megabytes):
            handle.write(block)


def test_a_50_mb_mapping_or_show_is_refused_before_parsing(tmp_path):
    mapping = tmp_path / "huge.toml"
    _huge(mapping, 50, '[[bind]]\nosc = "/a"\nparam = "color.hue"\n')
    with pytest.raises(MappingError, match=r"huge\.toml: 5\d\.\d MB is too big"):
        read_mapping(mapping)
    result = run_perform("check", str(mapping), cwd=PROJECT_ROOT)
    assert result.returncode == 2 and "too big" in result.stdout + result.stderr
    show = tmp_path / "huge-show.toml"
    _huge(show, 50, '[[scenes]]\nname = "a"\n')
    with pytest.raises(SetlistError, match="too big"):
        load_setlist(show)


def test_too_many_bindings_is_refused_with_the_key(tmp_path):
    mapping = tmp_path / "many.toml"
    body = "".join(f'[[bind]]\nosc = "/a{i}"\nparam = "color.hue"\n' for i in range(2001))
    mapping.write_text('[device]\nname = "x"\nkind = "osc"\n' + body, encoding="utf-8")
    with pytest.raises(MappingError, match=r"many\.toml(:\d+)?: bind: .*at most 2000"):
        read_mapping(mapping)


def test_a_rewrite_keeps_the_files_mode(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("a = 1\n")
    path.chmod(0o644)
    atomic_write(path, "a = 2\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(backup_path(path).stat().st_mode) == 0o644
    path.chmod(0o664)
    atomic_write(path, "a = 3\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    fresh = tmp_path / "fresh.toml"
    atomic_write(fresh, "a = 1\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


WRITER = """
import sys
from perform.fileio import atomic_write
path = sys.argv[1]
n = 0
print("ready", flush=True)
while True:
    n += 1
    atomic_write(path, f"version = {n}\\n" + "# padding\\n" * 20000)
"""


def test_a_writer_killed_mid_write_leaves_a_valid_file_and_a_backup(tmp_path):
    path = tmp_path / "learned.toml"
    atomic_write(path, "version = 0\n")
    atomic_write(path, "version = 0\n")  # now a .bak exists too
    for round_ in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
            time.sleep(0.01 + 0.013 * round_)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(30)
            writer.stdout.close()
        assert path.read_text().startswith("version = "), f"round {round_}"
        assert backup_path(path).read_text().startswith("version = "), f"round {round_}"
        atomic_write(path, "version = -1\n")  # the next write sweeps what the kill left
        strays = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert strays == [], (
            f"round {round_}: {strays} {sorted(p.name for p in tmp_path.iterdir())}"
        )
