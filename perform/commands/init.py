"""``perform init``: a commented starter config and a starter show in the user's folder.

Nothing is ever overwritten: a file that is already there is kept and said so, so running
``init`` twice is harmless. Both files are checked by the same loaders a run uses before
this command says they are ready, and it ends with what to do next.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from perform import library
from perform.config import DEFAULT_OSC_PORT
from perform.fileio import atomic_write

STARTER_SHOW = "my-show"

CONFIG_TEXT = f"""\
# perform's config (written by `perform init`; every key is optional, these are the defaults
# or a starting point). `perform check` and every run refuse a typo with its line and key.

[scope]
# The Daydream Scope server: a local one, or a cloud pod's URL, e.g.
# "https://<pod-id>-8000.proxy.runpod.net". Tokens never go here (use the environment).
url = "http://127.0.0.1:8000"
pipeline = "longlive"
prompt = "a bioluminescent deep-sea organism, macro photography, glowing tendrils"

[stream]
width = 512                 # multiples of 16 (Scope's pipelines need it)
height = 512
fps = 30

[engine]
backend = "auto"            # auto | numpy | cupy (auto: the GPU when it really works)
preset = "medusa"
world = 512

[osc]
port = {DEFAULT_OSC_PORT}                 # TouchDesigner / TouchOSC send here
targets = []                # OSC state feedback, e.g. ["127.0.0.1:9011"]

[midi]
# Mapping files loaded at start: a name (nanokontrol2, midimix, apc_mini, beatstep,
# launch_control_xl, xtouch_mini; `perform map NAME` shows what each control does) or a
# path. A plugged-in controller that matches a shipped profile loads it by itself.
mappings = []
auto_profiles = true

[tempo]
source = "auto"             # auto | internal | midi | link
bpm = 120

# Your own mappings and shows live next to this file, in mappings/ and setlists/; a file
# there with a shipped name (e.g. mappings/nanokontrol2.toml) is used instead of it.
"""

SHOW_TEXT = """\
# A starter show (written by `perform init`). Run it by name:
#
#     perform run my-show --dry-run     # its timeline, with absolute times
#     perform run my-show               # the performance screen: space is GO
#
# Durations are in beats and bars, so the whole show follows the tempo (--bpm 90).

[show]
name = "My show"
bpm = 120
time_signature = "4/4"
run_order = "loop"                              # after the last scene, back to the first
transition = { beats = 4, curve = "s-curve" }   # default for scenes that give none
hold = "8 beats"                                # then the next scene follows on its own

[[scenes]]
name = "Open"
notes = "The organism grows out of the dark."
preset = "medusa"
params = { "master.fade" = 1.0, "color.hue" = 0.0 }
prompt = "bioluminescent jellyfish drifting in a black ocean"

[[scenes]]
name = "Build"
notes = "Warmer and faster; waits for GO (space) instead of following on its own."
preset = "labyrinth"
params = { "color.hue" = 0.3, "engine.speed" = 1.5 }
prompt = "a glowing coral labyrinth, macro photography"
hold = "manual"
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init", help="write a starter config and a starter show into your folder (never over)"
    )
    parser.set_defaults(func=main)


def write_starters(home: Path | None = None) -> list[tuple[Path, bool]]:
    """Write the starter files under ``home`` (the user's folder); (path, written) each."""
    home = home or library.config_home()
    files = [
        (home / "config.toml", CONFIG_TEXT),
        (home / "setlists" / f"{STARTER_SHOW}.toml", SHOW_TEXT),
    ]
    (home / "mappings").mkdir(parents=True, exist_ok=True)
    done = []
    for path, text in files:
        if path.exists():
            done.append((path, False))
            continue
        atomic_write(path, text, keep_backup=False)
        done.append((path, True))
    return done


def main(args: argparse.Namespace) -> int:
    from perform.config import load_config
    from perform.setlist import load_setlist

    done = write_starters()
    for path, written in done:
        print(f"{'wrote' if written else 'kept (already there)'} {path}")
    config_path, show_path = (path for path, _ in done)
    load_config(config_path)  # both are checked as a run would: a broken kept file is said
    load_setlist(show_path)
    print(f"your mappings folder: {library.user_dir('mappings')}")
    print(
        "next:\n"
        f"  perform run {STARTER_SHOW} --dry-run   see the show's timeline\n"
        f"  perform run {STARTER_SHOW}             play it (space is GO, q quits)\n"
        "  perform map nanokontrol2             what each control of a nanoKONTROL2 does\n"
        "  perform scope status                 is Scope there ([scope] url in config.toml)"
    )
    return 0
