"""Preset files: loaded by key, every name and value checked with a precise message."""

from __future__ import annotations

import pytest

from engines.catalog import PresetError, get_preset, load_preset_file, presets


def test_builtin_presets_load():
    table = presets()
    assert {"medusa", "labyrinth"} <= set(table)
    assert table["medusa"].engine == "gray_scott"


def test_unknown_preset_suggests():
    with pytest.raises(PresetError, match="did you mean 'medusa'"):
        get_preset("medussa")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[x]\nengine = "gray_scot"\n',
            "unknown engine 'gray_scot' \\(did you mean 'gray_scott'\\?\\)",
        ),
        (
            '[x]\nengine = "gray_scott"\ntitel = "X"\n',
            "unknown key 'titel' \\(did you mean 'title'\\?\\)",
        ),
        (
            '[x]\nengine = "gray_scott"\n[x.params]\n"gray_scott.fed" = 0.03\n',
            "did you mean 'gray_scott.feed'",
        ),
        (
            '[x]\nengine = "gray_scott"\n[x.params]\n"gray_scott.feed" = 0.5\n',
            "0.5 is outside 0.01..0.08",
        ),
        (
            '[x]\nengine = "gray_scott"\n[x.params]\n"color.palette" = "neon"\n',
            "'neon' is not one of",
        ),
    ],
)
def test_bad_preset_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PresetError, match=message) as info:
        load_preset_file(path)
    assert str(path) in str(info.value)
