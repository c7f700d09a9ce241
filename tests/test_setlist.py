"""Show files: the examples load; every kind of mistake is refused with file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from perform.config import PROJECT_ROOT
from perform.errors import SetlistError
from perform.setlist import check_file, load_setlist
from perform.timeline import timeline

HEADER = '[show]\nname = "t"\n'


def write(tmp_path: Path, text: str, name: str = "show.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(SetlistError) as info:
        load_setlist(write(tmp_path, text))
    return str(info.value)


@pytest.mark.parametrize("name", sorted(p.name for p in (PROJECT_ROOT / "setlists").glob("*.toml")))
def test_shipped_shows_load(name):
    setlist = load_setlist(PROJECT_ROOT / "setlists" / name)
    assert setlist.scenes and timeline(setlist)


def test_demo_show_needs_no_hardware_and_no_scope():
    demo = load_setlist(PROJECT_ROOT / "setlists" / "demo.toml")
    assert demo.scope is None and demo.show.mappings == []
    assert demo.continue_mode(demo.scenes[-1]) == "auto-follow"  # it ends by itself


def test_spans_in_all_their_forms(tmp_path):
    setlist = load_setlist(
        write(
            tmp_path,
            HEADER
            + '[[scenes]]\nname = "a"\nhold = "2 bars"\ntransition = { beats = 4, curve = "linear" }\n'
            + '[[scenes]]\nname = "b"\nhold = { seconds = 1.5 }\ntransition = "3 s"\n'
            + '[[scenes]]\nname = "c"\nhold = "manual"\n',
        )
    )
    a, b, c = setlist.scenes
    assert (a.hold.unit, a.hold.amount) == ("bars", 2) and a.transition.curve == "linear"
    assert (b.hold.unit, b.transition.amount) == ("seconds", 3)
    assert setlist.continue_mode(c) == "manual" and setlist.continue_mode(a) == "auto-follow"
    assert setlist.transition(c).amount == 2.0  # the show's default


@pytest.mark.parametrize(
    ("scene", "line", "message"),
    [
        (
            'name = "x"\nhodl = "8 beats"',
            5,
            "scenes[0].hodl: unknown key 'hodl' in [scenes[0]] (did you mean 'hold'?)",
        ),
        (
            'name = "x"\npreset = "medusaa"',
            5,
            "scenes[0].preset: unknown preset 'medusaa' (did you mean 'medusa'?)",
        ),
        (
            'name = "x"\nparams = { "gray_scott.fed" = 0.03 }',
            5,
            "unknown parameter 'gray_scott.fed' (did you mean 'gray_scott.feed'?)",
        ),
        (
            'name = "x"\nparams = { "gray_scott.feed" = 0.9 }',
            5,
            "scenes[0].params.gray_scott.feed: 0.9 is outside 0.01..0.08",
        ),
        ('name = "x"\nparams = { "color.palette" = "neon" }', 5, "'neon' is not one of"),
        (
            'name = "x"\nparams = { "engine.preset" = "medusa" }',
            5,
            "set the preset with the scene's 'preset' key",
        ),
        (
            'name = "x"\nloras = { arcane = 0.5 }',
            5,
            "unknown LoRA 'arcane' (declare it under [[scope.loras]])",
        ),
        (
            'name = "x"\nhold = { seconds = -2 }',
            5,
            "scenes[0].hold: seconds: Input should be greater than or equal to 0",
        ),
        (
            'name = "x"\ntransition = { beats = -1 }',
            5,
            "scenes[0].transition.beats: Input should be greater than or equal to 0",
        ),
        ('name = "x"\nhold = 8', 5, "give a unit"),
        ('name = "x"\nhold = "8 beets"', 5, "is not a duration"),
        (
            'name = "x"\nhold = { beats = 8, bars = 2 }',
            5,
            "give exactly one of seconds, beats or bars",
        ),
        ('name = "x"\ncontinue = "auto-follow"', 5, "auto-follow needs a timed hold"),
        (
            'name = "x"\nhold = "1 bar"\ncontinue = "auto-continue"',
            6,
            "auto-continue needs a post_wait",
        ),
        ('name = "x"\npost_wait = "2 beats"', 5, "post_wait only applies"),
        (
            'name = "x"\nprompt = "a"\nprompts = [{ text = "b" }]',
            3,
            "give either prompt or prompts",
        ),
        ('name = "x"\nprompts = [{ text = "b", weight = -1 }]', 5, "greater than or equal to 0"),
        (
            'name = "x"\nquantize = "bars"',
            5,
            "scenes[0].quantize: Input should be 'none', 'beat' or 'bar'",
        ),
        (
            'name = "x"\ntransition = { seconds = 2, curve = "smooth" }',
            5,
            "Input should be 'linear', 's-curve', 'exponential' or 'logarithmic'",
        ),
        (
            'name = "x"\ntransition = { seconds = 2, snap = ["color.hew"] }',
            5,
            "unknown parameter 'color.hew' (did you mean 'color.hue'?)",
        ),
    ],
)
def test_scene_mistakes(tmp_path, scene, line, message):
    text = HEADER + "[[scenes]]\n" + scene + "\n"
    error = error_of(tmp_path, text)
    assert message in error
    assert f"show.toml:{line}:" in error, error


def test_show_and_scope_mistakes(tmp_path):
    assert "unknown key 'bmp' in [show] (did you mean 'bpm'?)" in error_of(
        tmp_path, HEADER + "bmp = 120\n[[scenes]]\nname = 'x'\n"
    )
    assert "show.bpm: Input should be greater than or equal to 20" in error_of(
        tmp_path, HEADER + "bpm = 5\n[[scenes]]\nname = 'x'\n"
    )
    assert 'write it like "4/4"' in error_of(
        tmp_path, HEADER + 'time_signature = "four"\n[[scenes]]\nname = "x"\n'
    )
    assert "scenes: List should have at least 1 item" in error_of(
        tmp_path, "scenes = []\n" + HEADER
    )
    assert "show: required key is missing" in error_of(tmp_path, '[[scenes]]\nname = "x"\n')
    twice = error_of(tmp_path, HEADER + '[[scenes]]\nname = "x"\n[[scenes]]\nname = "x"\n')
    assert "show.toml:6: scenes[1].name: scene name 'x' is also used by scene 1" in twice
    scope = '[scope]\npipeline = "longlive"\nheight = 500\n'
    assert "scope.height: Input should be a multiple of 16" in error_of(
        tmp_path, HEADER + scope + '[[scenes]]\nname = "x"\n'
    )
    lora = '[scope]\npipeline = "longlive"\n[[scope.loras]]\nname = "Arcane Style"\npath = "rel/a.safetensors"\n'
    message = error_of(tmp_path, HEADER + lora + '[[scenes]]\nname = "x"\n')
    assert "scope.loras[0].name: use lower-case letters" in message and "'arcane_style'" in message
    assert "scope.loras[0].path: must be the absolute path" in message
    missing = error_of(tmp_path, HEADER + 'mappings = ["nope.toml"]\n[[scenes]]\nname = "x"\n')
    assert "show.mappings[0]: mapping file 'nope.toml' not found" in missing


def test_lora_names_are_checked_against_the_show(tmp_path):
    text = (
        HEADER
        + '[scope]\npipeline = "krea-realtime-video"\n'
        + '[[scope.loras]]\nname = "arcane"\npath = "/loras/arcane.safetensors"\n'
        + '[[scenes]]\nname = "x"\nloras = { arcan = 0.5 }\n'
    )
    assert "unknown LoRA 'arcan' (did you mean 'arcane'?)" in error_of(tmp_path, text)


def test_syntax_errors_and_missing_files(tmp_path):
    assert "show.toml:3: not valid TOML" in error_of(tmp_path, HEADER + "bpm = = 3\n")
    with pytest.raises(SetlistError, match="file not found"):
        load_setlist(tmp_path / "nope.toml")


def test_scene_lookup(tmp_path):
    setlist = load_setlist(
        write(tmp_path, HEADER + '[[scenes]]\nname = "Intro"\n[[scenes]]\nname = "Drop"\n')
    )
    assert setlist.index_of(2) == 1 and setlist.index_of("2") == 1 and setlist.index_of("drop") == 1
    with pytest.raises(SetlistError, match="did you mean 'Drop'"):
        setlist.index_of("Dorp")
    with pytest.raises(SetlistError, match="no scene 3"):
        setlist.index_of(3)


def test_check_file_summarises_or_declines(tmp_path):
    summary = check_file(PROJECT_ROOT / "setlists" / "demo.toml")
    assert "4 scenes" in summary and "120 bpm" in summary
    assert check_file(write(tmp_path, "[device]\nname = 'x'\n", "mapping.toml")) is None


def test_perform_check_validates_show_files(tmp_path):
    import subprocess
    import sys

    good = subprocess.run(
        [
            sys.executable,
            "-m",
            "perform",
            "check",
            "setlists/demo.toml",
            "setlists/krea-loras.toml",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert "show 'Demo: bioluminescence', 4 scenes" in good.stdout
    bad = write(tmp_path, HEADER + '[[scenes]]\nname = "x"\nprset = "medusa"\n')
    result = subprocess.run(
        [sys.executable, "-m", "perform", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        "show.toml:5: scenes[0].prset: unknown key 'prset' in [scenes[0]] (did you mean 'preset'?)"
        in result.stdout + result.stderr
    )


def test_a_lora_scale_the_parameter_cannot_hold_is_refused(tmp_path):
    text = (
        HEADER
        + '[scope]\npipeline = "longlive"\n'
        + '[[scope.loras]]\nname = "arcane"\npath = "/loras/arcane.safetensors"\n'
        + '[[scenes]]\nname = "x"\nloras = { arcane = 3.0 }\n'
    )
    assert "scenes[0].loras.arcane: LoRA scale 3 is outside -2..2" in error_of(tmp_path, text)
