"""Loading mapping files: every problem names the file, the line, the key, and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from perform.config import PROJECT_ROOT
from perform.errors import MappingError
from perform.mapping import load_mapping, merge
from perform.mapping.load import resolve_path

SHIPPED = sorted((PROJECT_ROOT / "mappings").glob("*.toml"))


def problem(load, text: str, header: str | None = None) -> str:
    with pytest.raises(MappingError) as info:
        load(text) if header is None else load(text, header)
    return info.value.message


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_profile_loads(path, store):
    device = load_mapping(path, store, mappings_dir=path.parent)
    assert device.bindings
    assert device.kind == ("osc" if path.stem == "touchdesigner" else "midi")


def test_all_profiles_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert names >= {
        "nanokontrol2",
        "midimix",
        "apc_mini",
        "apc_mini_mk2",
        "launch_control_xl",
        "beatstep",
        "xtouch_mini",
        "touchdesigner",
    }


def test_unknown_parameter_names_file_line_key_and_suggests(load, tmp_path):
    message = problem(load, '[[bind]]\ncc = 1\nparam = "gray_scott.fed"\n')
    assert (
        f"{tmp_path / 'test.toml'}:7: bind[0].param: unknown parameter 'gray_scott.fed'" in message
    )
    assert "did you mean 'gray_scott.feed'?" in message


def test_unknown_key_action_control_page_and_curve(load):
    assert "unknown key 'prarm'" in problem(load, '[[bind]]\ncc = 1\nprarm = "x"\n')
    assert "did you mean 'cue.go'" in problem(load, '[[bind]]\ncc = 1\naction = "cue.og"\n')
    text = (
        '[controls]\nfader = { cc = [0, 1] }\n\n[[bind]]\ncontrol = "fadr1"\nparam = "color.hue"\n'
    )
    assert "no control 'fadr1' in this profile (did you mean 'fader1'?)" in problem(load, text)
    assert "no page 'main'" in problem(
        load, '[[bind]]\ncc = 1\npage = "main"\nparam = "color.hue"\n'
    )
    assert "curve" in problem(load, '[[bind]]\ncc = 1\ncurve = "expo"\nparam = "color.hue"\n')


def test_bad_values_are_explained(load):
    assert "outside gray_scott.feed's range" in problem(
        load, '[[bind]]\ncc = 1\nparam = "gray_scott.feed"\nrange = [0, 1]\n'
    )
    assert "is text (a prompt); only an OSC string" in problem(
        load, '[[bind]]\ncc = 1\nparam = "prompt.a"\n'
    )
    assert "'neon' is not a choice of color.palette" in problem(
        load, '[[bind]]\ncc = 1\nparam = "color.palette"\nrange = ["oil_slick", "neon"]\n'
    )
    assert "a radio button needs value" in problem(
        load, '[[bind]]\nnote = 1\nparam = "color.hue"\nbutton = "radio"\n'
    )
    assert "takes no argument" in problem(load, '[[bind]]\nnote = 1\naction = "cue.go"\narg = 2\n')
    assert "exactly one source" in problem(
        load, '[[bind]]\ncc = 1\nnote = 2\nparam = "color.hue"\n'
    )
    assert "exactly one of param, action or targets" in problem(load, "[[bind]]\ncc = 1\n")
    assert "encoders send plain CCs" in problem(
        load, '[[bind]]\nnote = 1\nparam = "color.hue"\nencoder = "binary-offset"\n'
    )


def test_a_control_bound_twice_is_a_conflict_with_both_lines(load):
    message = problem(
        load, '[[bind]]\ncc = 1\nparam = "color.hue"\n\n[[bind]]\ncc = 1\nparam = "master.fade"\n'
    )
    assert "test.toml:9: cc ch1 #1 is bound twice (also at line 5: color.hue)" in message
    assert "use targets = [...]" in message


def test_same_control_on_different_pages_and_layers_is_fine(load):
    device = load(
        "[controls]\nnext = { cc = 20 }\nshift = { cc = 21 }\n\n"
        '[layout]\npages = ["a", "b"]\nnext_page = "next"\nshift = "shift"\n\n'
        '[[bind]]\ncc = 1\npage = "a"\nparam = "color.hue"\n\n'
        '[[bind]]\ncc = 1\npage = "b"\nparam = "master.fade"\n\n'
        '[[bind]]\ncc = 1\nshift = true\nparam = "engine.speed"\n'
    )
    assert len(device.bindings) == 3
    message = problem(
        load,
        '[controls]\nnext = { cc = 20 }\n[layout]\nnext_page = "next"\n\n'
        '[[bind]]\ncc = 20\naction = "tap"\n',
    )
    assert "page/shift control; it cannot also be bound" in message


def test_toml_syntax_error_names_the_line(load, tmp_path):
    message = problem(load, "[[bind]]\ncc = = 1\n")
    assert f"{tmp_path / 'test.toml'}:6: not valid TOML" in message


def test_profile_reuses_controls_but_not_bindings(tmp_path, store):
    (tmp_path / "base.toml").write_text(
        '[device]\nname = "Base"\nmatch = "basebox"\n\n[controls]\nfader = { cc = [0, 1] }\n\n'
        '[[bind]]\ncontrol = "fader1"\nparam = "color.hue"\n'
    )
    mine = tmp_path / "mine.toml"
    mine.write_text('profile = "base"\n\n[[bind]]\ncontrol = "fader2"\nparam = "master.fade"\n')
    device = load_mapping(mine, store, mappings_dir=tmp_path)
    assert device.id == "basebox" and [b.control for b in device.bindings] == ["fader2"]
    mine.write_text('profile = "bsae"\n')
    with pytest.raises(MappingError, match="did you mean 'base'"):
        load_mapping(mine, store, mappings_dir=tmp_path)


def test_files_for_one_device_merge_and_cross_file_conflicts_are_refused(tmp_path, store):
    header = '[device]\nname = "Box"\nmatch = "box"\n\n'
    a, b, c = (tmp_path / f"{n}.toml" for n in "abc")
    a.write_text(header + '[[bind]]\ncc = 1\nparam = "color.hue"\n')
    b.write_text(header + '[[bind]]\ncc = 2\nparam = "master.fade"\n')
    c.write_text(header + '[[bind]]\ncc = 1\nparam = "engine.speed"\n')
    (device,) = merge(load_mapping(p, store) for p in (a, b))
    assert len(device.bindings) == 2 and device.files == [a, b]
    with pytest.raises(MappingError, match="also bound in"):
        merge(load_mapping(p, store) for p in (a, c))


def test_resolve_path(tmp_path):
    mine = tmp_path / "nanokontrol2.toml"
    mine.write_text('[device]\nname = "mine"\nmatch = "x"\n')
    assert resolve_path("nanokontrol2", tmp_path) == mine
    # Not in that folder: the shipped profile of that name.
    assert (
        resolve_path("nanokontrol2", Path("/m")) == PROJECT_ROOT / "mappings" / "nanokontrol2.toml"
    )
    assert resolve_path("my/show.toml", Path("/m"), Path("/base")) == Path("/base/my/show.toml")
