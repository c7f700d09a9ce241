"""Mappings and shows by short name: the user's folder, then [paths], then the shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest

from perform import library
from perform.config import PROJECT_ROOT, load_config

SHIPPED_MAPPINGS = PROJECT_ROOT / "mappings"
SHIPPED_SHOWS = PROJECT_ROOT / "setlists"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "perform"


def test_a_short_name_finds_the_shipped_file(home):
    found = library.find("mappings", "nanokontrol2")
    assert found.path == SHIPPED_MAPPINGS / "nanokontrol2.toml"
    assert found.origin == "shipped" and found.exists
    assert library.find("setlists", "demo").path == SHIPPED_SHOWS / "demo.toml"
    assert "shipped with perform" in found.describe()


def test_the_users_file_shadows_a_shipped_name(home):
    mine = home / "mappings" / "nanokontrol2.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text("# mine\n")
    found = library.find("mappings", "nanokontrol2")
    assert found.path == mine and found.origin == "user"
    everything = library.catalogue("mappings")
    assert everything["nanokontrol2"].path == mine
    assert everything["midimix"].origin == "shipped"  # the others are still there


def test_a_configured_folder_comes_between_the_user_and_the_shipped(home, tmp_path):
    folder = tmp_path / "show-maps"
    folder.mkdir()
    (folder / "midimix.toml").write_text("# venue copy\n")
    found = library.find("mappings", "midimix", folder)
    assert found.origin == "config" and found.path == folder / "midimix.toml"
    assert library.find("mappings", "beatstep", folder).origin == "shipped"


def test_paths_stay_paths(home, tmp_path):
    assert library.find("mappings", "x/y.toml", None, tmp_path).path == tmp_path / "x" / "y.toml"
    assert library.find("setlists", "demo.toml").path == Path("demo.toml")
    assert not library.is_short_name("demo.toml") and library.is_short_name("demo")


def test_not_found_says_where_it_looked_and_suggests(home):
    message = library.not_found("mappings", "nanokontrl2")
    assert str(home / "mappings") in message and str(SHIPPED_MAPPINGS) in message
    assert "did you mean 'nanokontrol2'" in message


def test_the_config_default_paths_are_the_shipped_folders(home):
    config = load_config()
    assert config.paths.mappings == SHIPPED_MAPPINGS
    assert config.paths.setlists == SHIPPED_SHOWS
    # The default folder is the shipped one: a name found there is said to be shipped.
    assert library.find("mappings", "midimix", config.paths.mappings).origin == "shipped"


def test_the_user_config_file_is_in_the_user_folder(home):
    home.mkdir(parents=True)
    (home / "config.toml").write_text("[engine]\nworld = 96\n")
    assert load_config().engine.world == 96


def test_learned_files_never_go_into_an_installed_package(home, tmp_path, monkeypatch):
    wheel_data = tmp_path / "site-packages" / "perform" / "_data"
    monkeypatch.setattr(library, "_WHEEL_DATA", wheel_data)
    assert library.writable_dir("mappings", wheel_data / "mappings") == home / "mappings"
    assert library.writable_dir("mappings", tmp_path / "maps") == tmp_path / "maps"
