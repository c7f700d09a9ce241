"""App config: defaults, search order, strict validation with file/line/key messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from perform.config import DEFAULT_OSC_PORT, AppConfig, load_config
from perform.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "perform.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    cfg = AppConfig()
    assert cfg.scope.url == "http://127.0.0.1:8000"
    assert (cfg.stream.width, cfg.stream.height, cfg.stream.fps) == (512, 512, 30)
    assert cfg.osc.host == "127.0.0.1" and cfg.osc.port == DEFAULT_OSC_PORT
    assert DEFAULT_OSC_PORT not in (7000, 8000, 9000)
    assert cfg.source is None


def test_unknown_key_names_file_line_key_and_suggestion(tmp_path):
    path = write(
        tmp_path, '[scope]\nurl = "http://gpu-box:8000"\n\n[stream]\nwidth = 832\nfsp = 25\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}:6" in message
    assert "stream.fsp" in message
    assert "unknown key 'fsp' in [stream] (did you mean 'fps'?)" in message


def test_unknown_section_suggests_a_section(tmp_path):
    path = write(tmp_path, "[strem]\nfps = 25\n")
    with pytest.raises(
        ConfigError, match=r"perform.toml:1: strem: unknown key 'strem' \(did you mean 'stream'\?\)"
    ):
        load_config(path)


def test_bad_values_are_explained(tmp_path):
    path = write(tmp_path, "[stream]\nwidth = 500\n")
    with pytest.raises(
        ConfigError,
        match=r"perform.toml:2: stream.width: must be a multiple of 16 .*try 496.*\(got 500\)",
    ):
        load_config(path)
    path = write(tmp_path, '[scope]\nurl = "ftp://x"\n')
    with pytest.raises(ConfigError, match="scope.url: must start with http"):
        load_config(path)


def test_toml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "[stream]\nfps = 30\nwidth = = 3\n")
    with pytest.raises(ConfigError, match=r"perform.toml:3: not valid TOML"):
        load_config(path)


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_search_order_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERFORM_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_config().source is None
    write(tmp_path, '[paths]\nmappings = "my-maps"\n')
    cfg = load_config()
    assert cfg.source == tmp_path / "perform.toml"
    assert cfg.paths.mappings == tmp_path / "my-maps"
    other = write(tmp_path, "[stream]\nfps = 24\n", "other.toml")
    monkeypatch.setenv("PERFORM_CONFIG", str(other))
    assert load_config().stream.fps == 24


def test_output_section_defaults_and_errors(tmp_path):
    output = AppConfig().output
    assert (output.stall_ms, output.width, output.height, output.sinks) == (400, 0, 0, [])
    assert output.window.fullscreen and output.window.vsync and output.window.display == 1
    assert (output.name, output.organism_stream, output.organism_name) == (
        "perform",
        False,
        "perform organism",
    )
    assert output.size(AppConfig().stream) == (512, 512)
    path = tmp_path / "perform.toml"
    path.write_text('[output]\nsinks = ["window", "ndi"]\nwidth = 1920\nheight = 1080\n')
    loaded = load_config(path)
    assert loaded.output.sinks == ["window", "ndi"]
    assert loaded.output.size(loaded.stream) == (1920, 1080)
    path.write_text('[output]\nsinks = ["projector"]\n')
    with pytest.raises(
        ConfigError, match=r"perform.toml:2: output.sinks\[0\]: .*'window'.*got 'projector'"
    ):
        load_config(path)
    path.write_text("[output]\nwidth = 1921\n")
    with pytest.raises(ConfigError, match=r"output.width: must be even .*try 1922"):
        load_config(path)
    path.write_text("[output.window]\nfulscreen = false\n")
    with pytest.raises(ConfigError, match=r"did you mean 'fullscreen'"):
        load_config(path)
