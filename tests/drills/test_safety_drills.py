"""Drills: panic, blackout and freeze from every screen and every input (issue 11, item 7).

Through Textual's Pilot on each screen a performer can be on (live, setlist, mapping,
help, the prompt editor, a confirm dialog), with and without a show loaded; and over
real OSC (UDP) and real MIDI (a JACK controller) without a show.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.inputs.osc import OscServer
from perform.session import Session
from perform.tui.app import PerformApp
from perform.tui.screens.prompt import PromptScreen
from tests.conftest import small_config
from tests.helpers import eventually
from tests.inputs.helpers import DeviceLog, control_config, make_session
from tests.inputs.test_osc import message
from tests.jack import VirtualController
from tests.tui.conftest import SHOW, frozen_frame

SCREENS = ("live", "setlist", "mapping", "help", "prompt", "confirm")


def _session(tmp_path: Path, with_show: bool) -> Session:
    options = RunOptions()
    if with_show:
        path = tmp_path / "show.toml"
        path.write_text(SHOW, encoding="utf-8")
        options = RunOptions(setlist=path)
    session = build_session(small_config(), options, backend=numpy_backend())
    session.host.mailbox.put(frozen_frame(128, 128))
    return session


async def _open(app: PerformApp, pilot, screen: str) -> None:
    if screen == "setlist":
        await pilot.press("s")
    elif screen == "mapping":
        await pilot.press("m")
    elif screen == "help":
        await pilot.press("question_mark")
    elif screen == "prompt":
        app.push_screen(PromptScreen(app.session.store))
    elif screen == "confirm":
        from perform.tui.screens.confirm import Confirm

        app.push_screen(Confirm("really?", yes="Yes"))
    await pilot.pause()
    if screen != "live":
        assert app.screen.__class__.__name__ != "LiveScreen", screen


@pytest.mark.parametrize("with_show", [True, False], ids=["show", "no-show"])
@pytest.mark.parametrize("screen", SCREENS)
async def test_panic_blackout_and_freeze_from_every_screen(tmp_path, screen, with_show):
    session = _session(tmp_path, with_show)
    store = session.store
    app = PerformApp(session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await _open(app, pilot, screen)
        # freeze toggles
        await pilot.press("f7")
        assert store.get("engine.freeze") == "on", screen
        await pilot.press("f7")
        assert store.get("engine.freeze") == "off", screen
        # blackout cuts to black and back
        level = store.get("master.fade")
        await pilot.press("f6")
        assert store.get("master.fade") == 0.0, screen
        await pilot.press("f6")
        assert store.get("master.fade") == level, screen
        # panic fades to black; a second one cuts at once
        await pilot.press("f5")
        assert store.ramping("master.fade") or store.get("master.fade") == 0.0, screen
        await pilot.press("f5")
        assert store.get("master.fade") == 0.0, screen
        if screen in ("setlist", "mapping", "help"):
            # where the screen does not use the letter, `p` panics too
            store.apply("master.fade", 1.0, "tui")
            if with_show:
                store.actions.invoke("cue.go", None, "tui")
            await pilot.press("p")
            assert store.ramping("master.fade") or store.get("master.fade") < 1.0, screen
        if screen == "prompt":
            # in a text field the letters type: no panic from typing a prompt
            assert isinstance(app.screen, PromptScreen)


async def test_osc_panic_blackout_and_freeze_without_a_show():
    session = make_session(control_config(osc={"enabled": True}))
    await session.start(engine=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        store = session.store
        sock.connect(("127.0.0.1", session.component(OscServer).port))
        sock.send(message("/vj/freeze"))
        await eventually(lambda: store.get("engine.freeze") == "on", timeout=30)
        sock.send(message("/vj/blackout"))
        await eventually(lambda: store.get("master.fade") == 0.0, timeout=30)
        sock.send(message("/vj/blackout"))
        await eventually(lambda: store.get("master.fade") == 1.0, timeout=30)
        sock.send(message("/vj/panic"))
        await eventually(lambda: store.ramping("master.fade"), timeout=30)
        sock.send(message("/vj/panic"))
        await eventually(lambda: store.get("master.fade") == 0.0, timeout=30)
        assert store.actions.failures == 0 and store.actions.unbound_calls == 0
    finally:
        sock.close()
        await session.stop()


async def test_a_midi_panic_button_without_a_show(controllers, tmp_path):
    mapping = tmp_path / "panic.toml"
    mapping.write_text(
        '[device]\nname = "Panic box"\nmatch = "panicbox"\n\n'
        '[[bind]]\ncc = 0\naction = "panic"\nbutton = "momentary"\n\n'
        '[[bind]]\ncc = 1\naction = "freeze"\nbutton = "momentary"\n'
    )
    box = VirtualController("panicbox")
    controllers.append(box)
    session = make_session(control_config(), mappings=[str(mapping)])
    devices = DeviceLog(session)
    await session.start(engine=False)
    try:
        store = session.store
        await eventually(lambda: devices.count("in", "connected"), timeout=30)
        box.cc(1, 127)
        box.cc(1, 0)
        await eventually(lambda: store.get("engine.freeze") == "on", timeout=30)
        box.cc(0, 127)
        box.cc(0, 0)
        await eventually(lambda: store.ramping("master.fade"), timeout=30)
        box.cc(0, 127)
        box.cc(0, 0)
        await eventually(lambda: store.get("master.fade") == 0.0, timeout=30)
    finally:
        await session.stop()
