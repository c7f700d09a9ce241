"""First run opens the demo show; another show opens from the screen and the palette; the
mapping screen's cheat sheet shows the controller in use."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.cli import build_parser, main
from perform.commands.tui import first_options
from perform.config import PROJECT_ROOT, load_config
from perform.session import Session
from perform.show import SetlistRunner
from perform.tui.app import PerformApp
from perform.tui.screens.cheatsheet import CheatSheetScreen
from perform.tui.screens.confirm import Confirm
from perform.tui.screens.live import LiveScreen
from perform.tui.screens.shows import ShowPicker
from tests.conftest import small_config
from tests.helpers import eventually

DEMO = PROJECT_ROOT / "setlists" / "demo.toml"
SMALL = (
    "[engine]\nworld = 64\n[stream]\nwidth = 64\nheight = 64\n"
    "[osc]\nenabled = false\n[scope]\nenabled = false\n"
    "[midi]\nauto_profiles = false\n"
)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "perform"


@pytest.fixture
def my_show(home) -> Path:
    path = home / "setlists" / "my-show.toml"
    path.parent.mkdir(parents=True)
    path.write_text(DEMO.read_text().replace("Demo: bioluminescence", "Mine"))
    return path


def picker_names(app: PerformApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_first_run_opens_the_demo_and_space_plays_it(home):
    config = small_config()
    options = first_options(build_parser().parse_args(["tui"]), config)
    assert options.setlist == DEMO
    session = build_session(config, options, backend=numpy_backend())
    app = PerformApp(session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        runner = session.component(SetlistRunner)
        assert app.title == "perform — Demo: bioluminescence"
        await pilot.press("space")
        assert runner.sequencer.index == 0
        assert runner.sequencer.setlist.scenes[0].name == "Emergence"


async def test_a_show_named_on_the_command_line_wins_over_the_demo(home, my_show):
    config = small_config()
    options = first_options(build_parser().parse_args(["run", "my-show"]), config)
    assert options.setlist == my_show


async def test_the_picker_lists_mine_and_the_shipped_ones_with_the_demo_preselected(
    show_session: Session, my_show: Path
):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ShowPicker)
        names = picker_names(app)
        assert any(n.startswith("demo") and "shipped with perform" in n for n in names)
        assert any(n.startswith("krea-loras") for n in names)
        assert any(n.startswith("my-show") and "your file" in n for n in names)
        options = app.screen.query_one(OptionList)
        assert names[options.highlighted or 0].startswith("demo")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen) and app.next_show is None
        # Before the first GO nothing is lost: picking a show opens it at once.
        await pilot.press("o")
        await pilot.pause()
        index = next(i for i, n in enumerate(picker_names(app)) if n.startswith("my-show"))
        app.screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
        await pilot.pause()
    assert app.next_show == my_show


async def test_a_started_show_asks_before_another_one_opens(show_session: Session, my_show):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("space")  # the show has started
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")  # the preselected show (the demo)
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause()
        assert app.next_show is None and isinstance(app.screen, LiveScreen)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.next_show == DEMO


async def test_the_command_palette_opens_the_picker(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Open show" in commands
        commands["Open show"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ShowPicker)


def test_opening_a_show_starts_a_session_around_it(home, my_show, tmp_path, monkeypatch):
    """The real ``perform`` loop: the first app opens the demo, the performer picks their
    show, the next app runs that show."""
    config = tmp_path / "perform.toml"
    config.write_text(SMALL)
    seen: list[str] = []
    original = PerformApp.run

    async def perform(pilot) -> None:
        app = pilot.app
        await eventually(lambda: isinstance(app.screen, LiveScreen), timeout=60)
        runner = app.session.component(SetlistRunner)
        seen.append(runner.setlist.show.name)
        if len(seen) == 1:
            await pilot.press("o")
            await eventually(lambda: isinstance(app.screen, ShowPicker), timeout=30)
            index = next(i for i, n in enumerate(picker_names(app)) if n.startswith("my-show"))
            app.screen.query_one(OptionList).highlighted = index
            await pilot.press("enter")
        else:
            await pilot.press("q")

    monkeypatch.setattr(
        PerformApp, "run", lambda self: original(self, headless=True, auto_pilot=perform)
    )
    assert main(["--config", str(config)]) == 0
    assert seen == ["Demo: bioluminescence", "Mine"]
    assert load_config(config).source == config


async def test_the_cheat_sheet_shows_the_controller_in_use(home):
    session = build_session(
        small_config(), RunOptions(mappings=["nanokontrol2"]), backend=numpy_backend()
    )
    app = PerformApp(session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CheatSheetScreen)
        text = str(app.screen.query_one("#cheat-sheet-text", Static).render())
        assert "Korg nanoKONTROL2" in text and 'page "tune"' in text
        assert "r1  lit while fader1 is in control" in text
        assert str(PROJECT_ROOT / "mappings" / "nanokontrol2.toml") in text


async def test_the_cheat_sheet_says_when_no_controller_is_in_use(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("m", "c")
        await pilot.pause()
        text = str(app.screen.query_one("#cheat-sheet-text", Static).render())
        assert "No controller in use" in text


async def test_a_broken_show_is_said_and_the_running_show_carries_on(
    show_session: Session, home: Path
):
    broken = home / "setlists" / "broken.toml"
    broken.parent.mkdir(parents=True)
    broken.write_text('[show]\nname = "Broken"\n[[scenes]]\nname = "x"\npreset = "medusaa"\n')
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("o")
        await pilot.pause()
        index = next(i for i, n in enumerate(picker_names(app)) if n.startswith("broken"))
        app.screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.next_show is None
        assert isinstance(app.screen, LiveScreen)
        assert any("did you mean 'medusa'" in n.message for n in app._notifications)
