"""Preset files: loaded by key, every name and value checked with a precise message;
applying a preset sets a complete scene."""

from __future__ import annotations

import pytest

from engines import ENGINES, all_params
from engines.catalog import PresetError, get_preset, load_preset_file, preset_values, presets

PROTOTYPE_KEYS = {
    # Lenia, SmoothLife, MNCA, Gray-Scott (the prototype's simulator)
    "amoeba", "coral", "heartbeat", "jellyfish", "lava_lamp", "nebula", "tide_pool", "mycelium",
    "sl_gliders", "sl_worms", "sl_elastic", "sl_pulse", "sl_chaos",
    "mnca_soliton", "mnca_mitosis", "mnca_worm", "mnca_hunt", "mnca_coral",
    "reef", "deep_sea", "medusa", "labyrinth", "tentacles",
    # its three discrete engines it never wired in
    "classic_life", "highlife", "day_night", "diamoeba", "seeds",
    "spiral", "turbulent", "target",
    "whirlpool", "magma", "aurora", "vortex", "storm",
}  # fmt: skip


def test_all_36_of_the_prototypes_presets_load():
    assert set(presets()) == PROTOTYPE_KEYS
    assert {p.engine for p in presets().values()} == set(ENGINES)
    assert get_preset("medusa").engine == "gray_scott"
    assert get_preset("coral").params["lenia.mu"] == pytest.approx(0.12)


def test_parameter_names_are_prefixed_and_unique():
    names = [d.name for d in all_params()]
    assert len(names) == len(set(names))
    prefixes = {n.split(".")[0] for n in names}
    assert prefixes == {*ENGINES, "color", "flow", "organism", "engine"}  # engine.speed: the host


def test_a_preset_is_a_complete_scene():
    values = preset_values("labyrinth")
    assert values["gray_scott.feed"] == pytest.approx(0.029)
    assert values["flow.swirl"] == pytest.approx(0.6)
    assert values["flow.radial"] == 0.0  # not named: back to the default
    assert values["engine.speed"] == 1.0 and values["color.palette"] == "oil_slick"
    assert not any(name.startswith("lenia.") for name in values)
    assert preset_values("amoeba")["engine.speed"] == pytest.approx(1.56)


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
        (
            '[x]\nengine = "gray_scott"\n[x.params]\n"lenia.mu" = 0.1\n',
            "'lenia.mu' \\(it belongs to another engine\\)",
        ),
        ('[x]\nengine = "lenia"\nseed = { kind = "blob" }\n', "'blob' is not one of"),
        ('[x]\nengine = "lenia"\nseed = { kind = "blobs", densty = 1 }\n', "did you mean"),
        ('[x]\nengine = "lenia"\nseed = { density = 2 }\n', "expected a number in 0..1"),
    ],
)
def test_bad_preset_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PresetError, match=message) as info:
        load_preset_file(path)
    assert str(path) in str(info.value)


def test_seed_tables_default_to_the_engines_seed(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text('[a]\nengine = "lenia"\n[b]\nengine = "mnca"\nseed = { density = 0.3 }\n')
    loaded = load_preset_file(path)
    assert loaded["a"].seed == ENGINES["lenia"].default_seed
    assert loaded["b"].seed.kind == ENGINES["mnca"].default_seed.kind
    assert loaded["b"].seed.density == pytest.approx(0.3)
