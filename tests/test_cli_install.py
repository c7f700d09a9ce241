"""The command line as a new user meets it: global options anywhere, short names in every
command, JSON that stays JSON, ``perform init`` and ``perform map``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from perform.cli import build_parser, main
from perform.config import PROJECT_ROOT, load_config
from perform.setlist import load_setlist
from tests.helpers import run_perform

SMALL = (
    '[engine]\nworld = 64\npreset = "labyrinth"\n[stream]\nwidth = 64\nheight = 64\n'
    "[osc]\nenabled = false\n[scope]\nenabled = false\n[midi]\nauto_profiles = false\n"
)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A user with an empty config folder (XDG) and an empty home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "xdg" / "perform"


def test_global_options_parse_the_same_before_and_after_the_subcommand():
    parser = build_parser()
    after = parser.parse_args(["run", "--headless", "-v", "--config", "X"])
    before = parser.parse_args(["-v", "run", "--headless", "--config", "X"])
    first = parser.parse_args(["-v", "--config", "X", "run", "--headless"])
    assert vars(after) == vars(before) == vars(first)
    assert after.config == "X" and after.verbose is True
    # Given before, not overwritten by the subcommand's defaults.
    assert parser.parse_args(["--config", "X", "ports"]).config == "X"
    assert parser.parse_args(["scope", "status", "--config", "X", "-v"]).config == "X"
    assert parser.parse_args(["ports"]).config is None


def test_headless_run_with_global_options_after_or_before_behaves_the_same(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text(SMALL)
    runs = [
        run_perform("run", "--headless", "-v", "--config", str(config), "--seconds", "1.5"),
        run_perform("-v", "run", "--headless", "--config", str(config), "--seconds", "1.5"),
    ]
    for result in runs:
        assert result.returncode == 0, result.stderr
        # The config was read (its preset and size) and -v turned debug logging on.
        assert "preset labyrinth; world 64²" in result.stdout
        assert "DEBUG" in result.stderr
        assert "steps/s" in result.stdout


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_scope_status_json_against_nothing_is_a_json_error_and_exit_2():
    url = f"http://127.0.0.1:{_closed_port()}"
    result = run_perform("scope", "status", "--scope", url, "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)
    assert error["error"] == "Scope offline"
    assert url in error["message"]
    # Without --json the same failure is one line of prose on stderr.
    prose = run_perform("scope", "status", "--scope", url)
    assert prose.returncode == 2 and prose.stdout == ""
    assert prose.stderr.startswith("perform: Scope offline:")


def test_a_usage_error_with_json_is_json_too(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["osc-map", "--json", "--bogus"])
    assert exit_.value.code == 2
    error = json.loads(capsys.readouterr().out)
    assert error["error"] == "Usage error" and "--bogus" in error["message"]


def test_check_and_run_take_short_names(home, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nowhere near the checkout's folders
    assert main(["check", "nanokontrol2", "demo"]) == 0
    out = capsys.readouterr().out
    assert f"nanokontrol2: ok ({PROJECT_ROOT / 'mappings' / 'nanokontrol2.toml'} (shipped" in out
    assert f"demo: ok ({PROJECT_ROOT / 'setlists' / 'demo.toml'} (shipped" in out
    assert main(["run", "demo", "--dry-run"]) == 0
    assert "Demo: bioluminescence: 4 scenes" in capsys.readouterr().out
    assert main(["check", "nanokontrl2"]) == 2
    err = capsys.readouterr().err
    assert "no mapping called 'nanokontrl2'" in err and "did you mean 'nanokontrol2'" in err


def test_check_says_when_the_users_file_shadows_a_shipped_one(home, capsys):
    mine = home / "mappings" / "nanokontrol2.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('profile = "midimix"\n')  # a user file that builds on another profile
    assert main(["check", "nanokontrol2"]) == 0
    assert f"nanokontrol2: ok ({mine} (your file))" in capsys.readouterr().out


def test_run_finds_the_users_show_by_name_and_the_setlists_path(home, tmp_path, capsys):
    shows = tmp_path / "venue-shows"
    shows.mkdir()
    (shows / "tonight.toml").write_text((PROJECT_ROOT / "setlists" / "demo.toml").read_text())
    config = tmp_path / "perform.toml"
    config.write_text(f'[paths]\nsetlists = "{shows.name}"\n')
    assert main(["run", "tonight", "--dry-run", "--config", str(config)]) == 0
    assert "Demo: bioluminescence" in capsys.readouterr().out
    assert main(["run", "tonight", "--dry-run"]) == 2  # not without [paths] setlists
    assert "no show called 'tonight'" in capsys.readouterr().err


def test_init_writes_a_starter_config_and_show_and_never_overwrites(home, capsys):
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    config, show = home / "config.toml", home / "setlists" / "my-show.toml"
    assert f"wrote {config}" in out and f"wrote {show}" in out
    assert "perform run my-show" in out  # what to do next
    assert (home / "mappings").is_dir()
    # Both load as a run would load them; the starter config is what perform now reads.
    assert load_config().source == config
    assert len(load_setlist(show).scenes) == 2
    assert main(["run", "my-show", "--dry-run"]) == 0
    capsys.readouterr()
    config.write_text("# my own edits\n")
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert f"kept (already there) {config}" in out
    assert config.read_text() == "# my own edits\n"


def test_init_reports_a_broken_kept_file(home, capsys):
    home.mkdir(parents=True)
    (home / "config.toml").write_text("[stream]\nfsp = 30\n")
    assert main(["init"]) == 2
    assert "fsp" in capsys.readouterr().err


def test_map_prints_what_each_control_does(home, capsys):
    assert main(["map", "nanokontrol2"]) == 0
    out = capsys.readouterr().out
    assert "Korg nanoKONTROL2" in out and "(shipped with perform)" in out
    assert "pages: main, tune (track_prev / track_next switch)" in out
    assert "takeover pickup:" in out
    assert 'page "tune"' in out and "knob1  gray_scott.feed" in out
    assert "shift (hold marker_set)" in out and "rew  cue.goto 1" in out
    assert "r1  lit while fader1 is in control" in out
    assert main(["map", "nanokontrol3"]) == 2
    assert "did you mean 'nanokontrol2'" in capsys.readouterr().err


def test_record_with_scope_off_is_refused_with_the_reason(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text(SMALL)  # [scope] enabled = false
    out = tmp_path / "out.mp4"
    for extra in ([], ["--no-scope"]):
        result = run_perform(
            "run", "--headless", "--seconds", "1", "--config", str(config),
            "--record", str(out), *extra,
        )  # fmt: skip
        assert result.returncode == 2
        assert "nothing could be recorded" in result.stderr and "Scope is off" in result.stderr
    assert not out.exists()


def test_record_with_scope_unreachable_records_the_program_on_the_organism(tmp_path):
    """--record records the program: with Scope unreachable that is the live organism
    (failover), never an empty file or nothing at all."""
    config = tmp_path / "perform.toml"
    config.write_text(SMALL)
    out = tmp_path / "out.mp4"
    url = f"http://127.0.0.1:{_closed_port()}"
    result = run_perform(
        "run", "--headless", "--seconds", "2", "--config", str(config),
        "--scope", url, "--record", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Scope offline" in result.stderr or "not answering" in result.stderr
    assert out.exists() and out.stat().st_size > 0
