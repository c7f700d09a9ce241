"""MIDI learn: arm, move, bind, conflicts, atomic saves that survive being killed."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from perform.config import AppConfig
from perform.errors import MappingError, ParamError
from perform.events import EventBus
from perform.fileio import atomic_write, backup_path
from perform.inputs.hub import ControlHub
from perform.mapping import ControlEvent, load_mapping
from tests.mapping.helpers import cc, note, osc

FILE = """# My show's nanoKONTROL-ish box. This comment must survive learn.
[device]
name = "Test box"
match = "testbox"

[controls]
fader = { cc = [0, 1, 2] }

[[bind]]
control = "fader1"
param = "color.hue"
"""


def make_hub(store, tmp_path: Path, text: str = FILE, **midi) -> tuple[ControlHub, Path]:
    path = tmp_path / "show.toml"
    path.write_text(text, encoding="utf-8")
    config = AppConfig.model_validate(
        {"paths": {"mappings": str(tmp_path)}, "midi": {"auto_profiles": False, **midi}}
    )
    hub = ControlHub(store, EventBus(), config, [str(path)])
    hub.learner.capture_window = 0  # tests without a loop: capture at once
    return hub, path


def test_the_next_moved_control_is_bound_and_saved(store, tmp_path):
    hub, path = make_hub(store, tmp_path)
    statuses = []
    hub.learner.subscribe(statuses.append)
    hub.learner.arm("master.fade")
    assert hub.learner.status.state == "armed"
    hub.mapper.handle([cc(1, 0)])  # fader2: unbound so far
    assert [s.state for s in statuses] == ["armed", "armed", "saved"]
    assert store.get("master.fade") == 1.0  # the learning move itself writes nothing
    text = path.read_text()
    assert text.startswith(FILE)  # comments and layout kept, the binding appended
    assert text.endswith('# learned\n[[bind]]\ncontrol = "fader2"\nparam = "master.fade"\n')
    assert load_mapping(path, store).bindings[-1].control == "fader2"
    hub.mapper.handle([cc(1, 127)])  # live at once (pickup from 1.0 at the top)
    assert store.get("master.fade") == 1.0 and store.last_source("master.fade") == "midi"
    hub.mapper.handle([cc(1, 64)])
    assert store.get("master.fade") == pytest.approx(64 / 127)
    # A second save keeps the previous version as a backup.
    hub.learner.arm("tap")
    hub.mapper.handle([cc(2, 127)])
    assert path.with_name("show.toml.bak").read_text() == text
    hub.mapper.handle([cc(2, 0), cc(2, 127)])
    assert store.calls == [("tap", None, "midi")]


def test_a_conflict_is_reported_and_replace_rebinds(store, tmp_path):
    hub, path = make_hub(store, tmp_path)
    hub.learner.arm("engine.speed")
    hub.mapper.handle([cc(0, 10)])  # fader1 is bound to color.hue
    status = hub.learner.status
    assert status.state == "conflict" and "fader1 is already bound to color.hue" in status.message
    assert [b.describe_targets() for b in status.proposal.conflicts] == ["color.hue"]
    with pytest.raises(MappingError, match="replace=True"):
        hub.learner.confirm()
    assert path.read_text() == FILE  # nothing written
    hub.learner.confirm(replace=True)
    device = load_mapping(path, store)
    assert [(b.control, b.describe_targets()) for b in device.bindings] == [
        ("fader1", "engine.speed")
    ]
    assert "# My show's" in path.read_text()


def test_cancel_and_unknown_targets(store, tmp_path):
    hub, path = make_hub(store, tmp_path)
    with pytest.raises(ParamError, match="did you mean 'master.fade'"):
        hub.learner.arm("master.fde")
    hub.learner.arm("master.fade")
    hub.learner.cancel()
    assert hub.learner.status.state == "cancelled" and hub.mapper.learner is None
    hub.mapper.handle([cc(1, 5)])
    assert path.read_text() == FILE


def test_releases_are_not_learned_and_confirm_can_be_required(store, tmp_path):
    hub, path = make_hub(store, tmp_path)
    hub.learner.arm("cue.go", auto_confirm=False, options={"button": "press"})
    hub.mapper.handle([note(36, 0)])  # a note-off arriving first is ignored
    assert hub.learner.status.state == "armed"
    hub.mapper.handle([note(36, 100)])
    assert hub.learner.status.state == "captured"
    assert path.read_text() == FILE
    hub.learner.confirm()
    assert path.read_text().endswith('note = 36\naction = "cue.go"\nbutton = "press"\n')


async def test_a_cc_with_its_lsb_right_behind_is_learned_as_14bit(store, tmp_path):
    hub, path = make_hub(store, tmp_path)
    hub.learner.capture_window = 0.05
    hub.learner.arm("engine.speed")
    hub.mapper.handle([cc(20, 64), cc(52, 3)])
    await asyncio.sleep(0.1)
    assert hub.learner.status.state == "saved"
    assert path.read_text().endswith('cc14 = 20\nparam = "engine.speed"\n')
    hub.learner.arm("color.brightness")
    hub.mapper.handle([cc(21, 64)])  # no LSB follows: a plain CC after the window
    await asyncio.sleep(0.1)
    assert path.read_text().endswith('cc = 21\nparam = "color.brightness"\n')


def test_osc_learn_and_a_device_without_a_file(store, tmp_path):
    hub, _ = make_hub(store, tmp_path, inputs=["padbox"])
    hub.learner.arm("prompt.mix")
    hub.mapper.handle([osc("/vj/prompt/mix", 0.5)], "osc")  # built-in addresses are not learned
    assert hub.learner.status.state == "armed"
    hub.mapper.handle([osc("/touchosc/fader3", 0.2)], "osc")
    learned = tmp_path / "learned-osc.toml"
    assert (
        'kind = "osc"' in learned.read_text() and 'osc = "/touchosc/fader3"' in learned.read_text()
    )
    hub.mapper.handle([osc("/touchosc/fader3", 0.75)], "osc")
    assert store.get("prompt.mix") == 0.75
    hub.learner.arm("color.hue")
    hub.mapper.handle([ControlEvent("padbox", ("cc", 3, 7), 0.0, 0)])
    text = (tmp_path / "learned-padbox.toml").read_text()
    assert 'match = "padbox"' in text and "cc = 7\nchannel = 4\n" in text


def test_the_learn_action_arms_and_cancels(store, tmp_path):
    hub, _ = make_hub(store, tmp_path)
    asyncio.run(hub.start(None))  # binds the "learn" action
    assert store.actions.invoke("learn", "color.brightness", "osc")
    assert hub.learner.status.target == "color.brightness"
    store.actions.invoke("learn", None, "osc")
    assert hub.learner.status.state == "cancelled"


# --- killed mid-write --------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from engines import all_params, presets
    from perform.registry import build_store
    from perform.config import AppConfig
    from perform.events import EventBus
    from perform.inputs.hub import ControlHub
    from perform.mapping import ControlEvent
    import perform.fileio

    path, mode = Path(sys.argv[1]), sys.argv[2]
    store = build_store(presets(), "medusa", all_params())
    paths = {"mappings": str(path.parent)}
    config = AppConfig.model_validate({"paths": paths, "midi": {"auto_profiles": False}})
    hub = ControlHub(store, EventBus(), config, [str(path)])
    hub.learner.capture_window = 0
    if mode == "kill-before-rename":
        def die(*args):
            os.kill(os.getpid(), signal.SIGKILL)
        perform.fileio.os.replace = die
    targets = ["color.hue", "master.fade", "engine.speed", "scope.noise_scale"]
    saved = 0
    for i in range(3, 128):
        if hub.mapper.active("testbox", ("cc", 0, i)) is not None:
            continue  # learned by an earlier (killed) run
        hub.learner.arm(targets[i % 4])
        hub.mapper.handle([ControlEvent("testbox", ("cc", 0, i), 0.0, 0)])
        assert hub.learner.status.state == "saved", hub.learner.status
        saved += 1
        if saved == 1:
            print("saved once", flush=True)
    print("done", flush=True)
    """
)


def run_child(path: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_killed_between_temp_write_and_rename_leaves_the_old_file(store, tmp_path):
    path = tmp_path / "show.toml"
    path.write_text(FILE, encoding="utf-8")
    child = run_child(path, "kill-before-rename")
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    assert "saved once" not in out  # it died inside the very first save
    assert path.read_text() == FILE
    assert len(load_mapping(path, store).bindings) == 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # the half-done temp file (and the staged backup link), never the mapping itself
    assert 1 <= len(leftovers) <= 2
    atomic_write(path, FILE)  # the next write sweeps what the kill left behind
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert backup_path(path).read_text() == FILE


def test_killed_at_random_moments_while_learning_the_file_is_always_whole(store, tmp_path):
    rng = random.Random(4)
    path = tmp_path / "show.toml"
    path.write_text(FILE, encoding="utf-8")
    counts = []
    for _ in range(4):
        child = run_child(path, "normal")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved once"
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
        device = load_mapping(path, store)  # always a complete, valid mapping
        counts.append(len(device.bindings))
        assert path.read_text().startswith(FILE)
    print("bindings after each kill:", counts)
    assert counts == sorted(counts) and counts[0] >= 2 and counts[-1] < 126


def test_learning_on_an_installed_profile_writes_the_users_copy(store, tmp_path, monkeypatch):
    """perform installed as a package: learn never writes into site-packages; the first save
    copies the shipped profile into the user's folder (where it replaces the shipped one by
    name) and appends there; replace edits the copy's own binding."""
    from perform import library
    from perform.config import PROJECT_ROOT

    wheel_data = tmp_path / "site-packages" / "perform" / "_data"
    (wheel_data / "mappings").mkdir(parents=True)
    shipped = wheel_data / "mappings" / "nanokontrol2.toml"
    original = (PROJECT_ROOT / "mappings" / "nanokontrol2.toml").read_text()
    shipped.write_text(original)
    monkeypatch.setattr(library, "_WHEEL_DATA", wheel_data)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = AppConfig.model_validate({"midi": {"auto_profiles": False}, "paths": {}})
    assert config.paths.mappings == wheel_data / "mappings"  # the default: the shipped folder
    hub = ControlHub(store, EventBus(), config, ["nanokontrol2"])
    hub.learner.capture_window = 0
    assert hub.files == [shipped]
    device = hub.devices[0]
    mine = tmp_path / "xdg" / "perform" / "mappings" / "nanokontrol2.toml"
    assert hub.learn_file(device) == mine

    def nano(number: int, value: int) -> ControlEvent:
        return ControlEvent(device.id, ("cc", 0, number), value / 127, value, None, 0.0)

    hub.learner.arm("color.bloom")
    hub.mapper.handle([nano(20, 10)])  # knob5: unbound on every page
    assert hub.learner.status.state == "saved", hub.learner.status.message
    assert shipped.read_text() == original  # the installed copy is untouched
    text = mine.read_text()
    assert text.startswith(original) and 'control = "knob5"\nparam = "color.bloom"' in text
    assert hub.devices[0].files == [mine]  # the copy replaced the shipped file
    assert library.find("mappings", "nanokontrol2", config.paths.mappings).path == mine

    hub.learner.arm("engine.speed")
    hub.mapper.handle([nano(3, 10)])  # fader4 is bound to scope.noise_scale in the profile
    assert hub.learner.status.state == "conflict"
    hub.learner.confirm(replace=True)
    rebound = load_mapping(mine, store)
    assert [b.describe_targets() for b in rebound.bindings if b.control == "fader4"] == [
        "engine.speed"
    ]
    assert shipped.read_text() == original


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("cc = 0", ("cc", 0, 0)),
        ("note = 0", ("note", 0, 0)),
        ("nrpn = 0", ("nrpn", 0, 0)),
        ("cc14 = 0", ("cc14", 0, 0)),
    ],
)
def test_number_zero_is_a_real_source(store, tmp_path, source, key):
    """``cc = 0`` used to be refused as "no source" (0 == False in a membership test)."""
    path = tmp_path / "zero.toml"
    path.write_text(
        f'[device]\nname = "Zero"\nmatch = "testbox"\n\n[[bind]]\n{source}\nparam = "color.hue"\n',
        encoding="utf-8",
    )
    device = load_mapping(path, store)
    assert [b.key for b in device.bindings] == [key]


def test_cc_0_can_be_learned_and_then_drives_its_target(store, tmp_path):
    bare = '[device]\nname = "Test box"\nmatch = "testbox"\n'
    hub, path = make_hub(store, tmp_path, text=bare)
    hub.learner.arm("master.fade")
    hub.mapper.handle([cc(0, 0)])
    assert hub.learner.status.state == "saved", hub.learner.status
    assert "cc = 0" in path.read_text()
    assert [b.key for b in load_mapping(path, store).bindings] == [("cc", 0, 0)]
    hub.mapper.handle([cc(0, 127)])  # pick up from the top, then follow
    hub.mapper.handle([cc(0, 64)])
    assert store.get("master.fade") == pytest.approx(64 / 127)
