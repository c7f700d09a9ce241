"""Line numbers for key paths, including arrays of tables and dotted keys."""

from __future__ import annotations

from perform.tomlfile import TomlSource, format_loc

TEXT = """\
name = "show"   # line 1

[tempo]
bpm = 120

[[scenes]]
name = "intro"
hold = { beats = 8 }

[[scenes]]
name = "drop"
params."lenia.mu" = 0.2
notes = '''
[not a table]
'''
after = 1

[scenes.extra]
"lenia.sigma" = 0.02

[[scenes]]
name = "outro"
"""


def test_lines_of_key_paths():
    src = TomlSource(path=__import__("pathlib").Path("x.toml"), text=TEXT, data={})
    assert src.line_of(("name",)) == 1
    assert src.line_of(("tempo", "bpm")) == 4
    assert src.line_of(("scenes", 0, "hold")) == 8
    assert src.line_of(("scenes", 1)) == 10
    assert src.line_of(("scenes", 1, "params", "lenia.mu")) == 12
    assert src.line_of(("scenes", 1, "after")) == 16  # the multi-line string was skipped
    assert src.line_of(("scenes", 0, "hold", "beats")) == 8  # falls back to the enclosing key
    assert src.where(("tempo", "nope")) == "x.toml:3"
    assert src.line_of(("scenes", 1, "extra", "lenia.sigma")) == 19
    assert src.line_of(("scenes", 2, "name")) == 22


def test_format_loc():
    assert format_loc(("scenes", 2, "hold")) == "scenes[2].hold"
