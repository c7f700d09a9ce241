"""The control commands: ports, check, osc-map, and run's --mapping / --osc-out."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from perform.cli import main
from perform.commands import check
from perform.config import PROJECT_ROOT, load_config
from tests.helpers import run_perform
from tests.jack import VirtualController


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "perform.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_perform(*args, timeout=timeout, cwd=PROJECT_ROOT)


def test_ports_lists_jack_ports_and_the_profile_that_opens_them(controllers, tmp_path, capsys):
    nano = VirtualController("nanoKONTROL2")
    controllers.append(nano)
    config = write_config(tmp_path, '[midi]\nbackend = "jack"\n[osc]\nport = 0\n')
    assert main(["--config", str(config), "ports"]) == 0
    out = capsys.readouterr().out
    assert "MIDI backend: jack" in out
    shipped = PROJECT_ROOT / "mappings" / "nanokontrol2.toml"
    assert (
        f"{nano.client}:capture  -> Korg nanoKONTROL2 (profile {shipped}, shipped with perform)"
        in out
    )
    assert f"{nano.client} leds:playback  -> LEDs of Korg nanoKONTROL2" in out
    assert "LED Mode = External" in out  # the profile's setup hint
    assert "OSC in: udp://127.0.0.1:0" in out


def test_ports_explains_a_missing_backend(tmp_path):
    # In its own process, as a user runs it: here libjack would open a client to a server
    # that does not exist while this process holds clients on the test server (libjack keeps
    # process-wide state), and one CI run died of a segfault in a C thread at this test.
    env = dict(os.environ, JACK_DEFAULT_SERVER="perform-no-such-server", JACK_NO_START_SERVER="1")
    config = write_config(tmp_path, '[midi]\nbackend = "jack"\n')
    done = run_perform("--config", str(config), "ports", env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "JACK MIDI is not available" in done.stdout and "Start a JACK server" in done.stdout


def test_check_good_bad_and_unknown_files(tmp_path, capsys):
    good = PROJECT_ROOT / "mappings" / "xtouch_mini.toml"
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "xtouch_mini.toml: ok" in out and "16 bindings" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[device]\nname = "X"\nmatch = "x"\n\n[[bind]]\ncc = 1\nparam = "colour.hue"\n')
    other = tmp_path / "notes.toml"
    other.write_text('title = "not a mapping"\n')
    assert main(["check", str(bad), str(other), str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err
    assert (
        f"{bad}:7: bind[0].param: unknown parameter 'colour.hue' (did you mean 'color.hue'?)" in err
    )
    assert f"{other}: not a file perform knows how to check" in err
    assert "missing.toml: file not found" in err


def test_check_dispatches_through_the_checker_registry(tmp_path, monkeypatch):
    show = tmp_path / "show.toml"
    show.write_text('[[scene]]\nname = "intro"\n')

    def setlists(path: Path, config) -> str | None:
        return "a show with 1 scene" if "scene" in path.read_text() else None

    monkeypatch.setattr(check, "CHECKERS", [*check.CHECKERS, setlists])
    assert check.check_file(show, load_config(None)) == "a show with 1 scene"


def test_osc_map_json_lists_every_address_with_type_range_default(capsys):
    assert main(["osc-map", "--json", "--mapping", "touchdesigner"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {row["address"]: row for row in doc["addresses"]}
    speed = rows["/vj/engine/speed"]
    assert (speed["type"], speed["min"], speed["max"], speed["default"]) == ("f", 0.0, 4.0, 1.0)
    assert rows["/vj/norm/engine/speed"]["default"] == 0.25
    assert rows["/vj/color/palette"]["choices"][0] == "oil_slick"
    assert rows["/vj/cue/goto"]["kind"] == "action"
    assert rows["/vj/tempo/bpm"]["access"] == "rw"  # tempo.bpm is a parameter: TD can set it
    assert rows["/vj/tempo/beat"]["access"] == "r"
    mapped = {row["address"]: row for row in doc["mapped"]}
    assert mapped["/td/energy"]["targets"] == ["engine.speed", "color.brightness"]
    assert doc["osc"]["port"] == 9010


def test_osc_map_text(capsys):
    assert main(["osc-map"]) == 0
    out = capsys.readouterr().out
    assert "/vj/engine/speed" in out and "0 .. 4 x" in out and "(action)" in out


def test_run_refuses_a_bad_mapping_with_one_clean_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[device]\nname = "X"\nmatch = "x"\n\n[[bind]]\ncc = 1\nparam = "master.fad"\n')
    result = run_cli("run", "--headless", "--seconds", "1", "--mapping", str(bad))
    assert result.returncode == 2
    assert "Mapping error" in result.stderr and f"{bad}:7" in result.stderr
    assert "did you mean 'master.fade'" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("run", "--headless", "--seconds", "1", "--mapping", "nanokontrol3")
    assert missing.returncode == 2 and "no mapping called 'nanokontrol3'" in missing.stderr
    assert "did you mean 'nanokontrol2'" in missing.stderr


def test_run_headless_with_mapping_and_osc_out_sends_state(tmp_path):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    port = receiver.getsockname()[1]
    config = write_config(
        tmp_path,
        "[engine]\nworld = 64\n[stream]\nwidth = 64\nheight = 64\n"
        '[osc]\nport = 0\n[midi]\nbackend = "jack"\n',
    )
    result = run_cli(
        "--config", str(config), "run", "--headless", "--seconds", "1.5",
        "--mapping", "touchdesigner", "--osc-out", f"127.0.0.1:{port}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    addresses = set()
    receiver.settimeout(0.5)
    try:
        while True:
            data = receiver.recv(65536)
            addresses.add(data.split(b"\x00", 1)[0].decode())
    except TimeoutError:
        pass
    receiver.close()
    assert {"/vj/engine/speed", "/vj/norm/engine/speed", "/vj/engine/preset"} <= addresses


@pytest.mark.parametrize("bad", ["nohost", "host:notaport", "host:70000"])
def test_osc_out_must_be_host_port(bad, tmp_path):
    result = run_cli("run", "--headless", "--seconds", "1", "--osc-out", bad)
    assert result.returncode == 2 and "is not host:port" in result.stderr
