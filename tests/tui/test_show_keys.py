"""The show from the keyboard: GO, back, panic, jump, tap, the setlist screen, prompts."""

from __future__ import annotations

import asyncio

from perform.session import Session
from perform.show import SetlistRunner
from perform.tempo import TempoComponent
from perform.tui.app import PerformApp
from perform.tui.screens.prompt import PromptScreen
from perform.tui.screens.setlist import SetlistScreen
from perform.tui.widgets.fader import Fader


async def test_space_is_go_and_b_is_back(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        runner = show_session.component(SetlistRunner)
        assert runner.sequencer.index is None  # in the TUI the show waits for the first GO
        await pilot.press("space")
        assert runner.sequencer.index == 0
        await pilot.pause()
        panel = str(app.screen.query_one("#show").render())
        assert "▶ 1 Emergence" in panel and "NEXT  2 Labyrinth" in panel and "Ride the hue" in panel
        await pilot.press("space")
        assert runner.sequencer.index == 1
        await pilot.press("b")
        assert runner.sequencer.index == 0


async def test_number_keys_jump_and_p_panics(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        runner = show_session.component(SetlistRunner)
        await pilot.press("3")
        assert runner.sequencer.index == 2
        await pilot.press("9")
        await pilot.pause()
        assert any("no scene 9" in n.message for n in app._notifications)
        await pilot.press("p")
        assert runner.sequencer.phase == "panic"
        await pilot.pause()
        assert "PANIC" in str(app.screen.query_one("#show").render())


async def test_go_without_a_show_says_so(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert any("no show is loaded" in n.message for n in app._notifications)


async def test_tap_sets_the_tempo(still_session: Session):
    app = PerformApp(still_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        tempo = still_session.component(TempoComponent)
        clock = {"t": 0.0}
        tempo.now = lambda: clock["t"]
        for t in (1.0, 1.5, 2.0, 2.5):
            clock["t"] = t
            await pilot.press("t")
        assert tempo.clock.bpm == 120.0 and tempo.clock.source == "tap"


async def test_setlist_screen_arms_jumps_and_survives_a_bad_reload(
    show_session: Session, show_path
):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        runner = show_session.component(SetlistRunner)
        await pilot.press("s")
        assert isinstance(app.screen, SetlistScreen)
        await pilot.press("down", "down", "a")  # arm scene 3
        assert runner.sequencer.standby == 2
        await pilot.press("space")
        assert runner.sequencer.index == 2
        await pilot.press("up", "enter")  # jump to scene 2
        assert runner.sequencer.index == 1
        # A broken edit: refused, shown, and the show carries on untouched.
        show_path.write_text(
            show_path.read_text().replace('preset = "labyrinth"', 'preset = "labyrinthh"')
        )
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = str(app.screen.query_one("#setlist-errors").render())
        assert "running show is unchanged" in errors and "did you mean 'labyrinth'" in errors
        assert runner.setlist.scenes[1].preset == "labyrinth" and runner.sequencer.index == 1
        # A good edit is picked up by the file watcher on its own.
        show_path.write_text(
            show_path.read_text()
            .replace('preset = "labyrinthh"', 'preset = "medusa"')
            .replace("Fade out", "Blackout")
        )
        for _ in range(40):
            await asyncio.sleep(0.1)
            if runner.setlist.scenes[2].name == "Blackout":
                break
        assert runner.setlist.scenes[2].name == "Blackout" and runner.sequencer.index == 1
        await pilot.pause()
        assert "Blackout" in str(app.screen.query_one("#scenes").get_row("2"))


async def test_prompt_editor_sends_one_transition(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        store = show_session.store
        seen = []
        store.subscribe(lambda changes: seen.append(dict(changes)))
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, PromptScreen)
        screen.query_one("#prompt-a").value = "a storm over the sea"
        screen.query_one("#prompt-b").value = "neon city :: 0.5"
        screen.query_one("#transition").value = "6"
        screen.query_one(Fader).value = 0.25
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        assert (
            store.get("prompt.a") == "a storm over the sea"
            and store.get("prompt.b") == "neon city :: 0.5"
        )
        assert store.ramp_target("prompt.mix") == 0.25
        together = [c for c in seen if "prompt.a" in c]
        assert together and {"prompt.a", "prompt.b"} <= set(together[0])
        timing = together[0]["prompt.a"].transition  # one transition carries the 6 s
        assert timing is not None and timing.seconds == 6.0
        assert timing == together[0]["prompt.b"].transition


async def test_prompt_editor_refuses_bad_input(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("e")
        screen = app.screen
        screen.query_one("#prompt-a").value = "storm :: loud"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert "not a number" in str(screen.query_one("#prompt-error").render())
        assert (
            show_session.store.get("prompt.a") == "bioluminescent jellyfish"
            or show_session.store.get("prompt.a") == ""
        )
        await pilot.press("escape")
        assert not isinstance(app.screen, PromptScreen)


async def test_q_asks_first_while_a_show_is_loaded(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("n")
        assert show_session.running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
    assert not show_session.running


async def test_help_and_palette_list_every_action(show_session: Session):
    app = PerformApp(show_session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "GO" in help_text and "Panic" in help_text and "jump to scene N" in help_text
        await pilot.press("escape")
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"cue.go", "panic", "tap", "reseed", "freeze", "blackout"} <= commands
        await pilot.press("colon")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
