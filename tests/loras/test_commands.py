"""``perform loras``, ``perform loras check|install`` and ``perform check`` on a show's
LoRAs and VACE images: real subprocesses against the double on its own thread."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tests.helpers import run_perform
from tests.loras.files import WAN_1_3B, WAN_14B, write_lora
from tests.scope_double.pipelines import LORA_DIR, lora_file
from tests.scope_double.threaded import ThreadedScopeDouble

IMAGES = Path(__file__).resolve().parents[2] / "setlists" / "vace"

SHOW = """[show]
name = "LoRA show"

[scope]
pipeline = "{pipeline}"

[[scope.loras]]
name = "arcane"
path = "{lora_dir}/arcane.safetensors"

[[scope.loras]]
name = "inkwash"
path = "{lora_dir}/inkwash.safetensors"

[[scope.loras]]
name = "pixel"
path = "{lora_dir}/pixel_art.safetensors"

[[scenes]]
name = "One"
vace_images = ["glow.png"]
"""


def show_file(tmp_path: Path, pipeline: str = "longlive") -> Path:
    shutil.copy(IMAGES / "glow.png", tmp_path / "glow.png")
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(pipeline=pipeline, lora_dir=LORA_DIR))
    return show


def config_file(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "perform.toml"
    config.write_text(f'[scope]\nurl = "{url}"\n\n[[scope.loras]]\nfile = "pixel_arts"\n')
    return config


def moved_pixel_art(double) -> None:
    """``pixel_art`` copied into a sub-folder: the show's path no longer matches."""
    double.lora_files[:] = [lora_file("arcane"), lora_file("pixel_art", "styles")]
    double.loader.lora_paths = {f["path"] for f in double.lora_files}


def test_perform_loras_lists_the_server_beside_what_is_asked_and_flags_each_mismatch(tmp_path):
    show = show_file(tmp_path)
    with ThreadedScopeDouble() as td:
        td.call(moved_pixel_art)
        config = config_file(tmp_path, td.url)
        result = run_perform("--config", str(config), "loras", "--show", str(show))
    out = result.stdout
    print(out)
    assert result.returncode == 2, result.stderr
    assert f"Scope at {td.url}: 2 LoRA files" in out
    assert f"{show}:9: scope.loras[0].path" in out.split("\n")[2]  # arcane: used by the show
    assert "Missing on the server (3):" in out
    assert f"MISSING  {show}:13: scope.loras[1].path: 'inkwash' is not on the Scope server" in out
    assert (
        f"MISSING  {show}:17: scope.loras[2].path: Scope has 'pixel_art' at "
        f"{LORA_DIR}/styles/pixel_art.safetensors, not at {LORA_DIR}/pixel_art.safetensors"
    ) in out
    assert (
        f"MISSING  {config}: [scope] loras[0]: 'pixel_arts' is not on the Scope server "
        "(did you mean 'pixel_art'?)"
    ) in out


def test_perform_check_runs_the_lora_and_vace_checks_when_scope_answers(tmp_path):
    show = show_file(tmp_path, pipeline="passthrough")
    with ThreadedScopeDouble() as td:
        config = config_file(tmp_path, td.url)
        result = run_perform("--config", str(config), "check", str(show))
    assert result.returncode == 2
    err = result.stderr
    assert "Not ready on Scope" in err
    assert f"{show}:13: scope.loras[1].path: 'inkwash' is not on the Scope server" in err
    assert f"{show}:21: scenes[0].vace_images: passthrough has no VACE support" in err

    offline = config_file(tmp_path, "http://127.0.0.1:9")
    result = run_perform("--config", str(offline), "check", str(show))
    assert result.returncode == 0, result.stderr
    assert "not reachable: LoRA files and VACE support not checked" in result.stdout


def test_loras_check_names_truncation_corruption_and_the_wrong_base_model(tmp_path):
    good = write_lora(tmp_path / "good_14b.safetensors", WAN_14B)
    small = write_lora(tmp_path / "anime_1_3b.safetensors", WAN_1_3B)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-4096])
    corrupted = tmp_path / "corrupted.safetensors"
    data = bytearray(good.read_bytes())
    data[9:13] = b"\xff\xfe]]"
    corrupted.write_bytes(bytes(data))
    files = [str(p) for p in (good, truncated, corrupted, small)]
    result = run_perform("loras", "check", *files, "--pipeline", "krea-realtime-video")
    print(result.stdout)
    assert result.returncode == 2, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "checking against pipeline krea-realtime-video"
    assert lines[1].startswith(f"ok    {good}: 8 tensors") and lines[1].endswith("Wan2.1 14B")
    assert lines[2].startswith(f"BAD   {truncated}: truncated: the header describes")
    assert lines[3].startswith(f"BAD   {corrupted}: corrupted header: not valid JSON")
    assert lines[4].startswith(
        f"BAD   {small}: a Wan2.1 1.3B LoRA (hidden size 1536) cannot load into "
        "krea-realtime-video, which is Wan2.1 14B"
    )
    assert run_perform("loras", "check", str(small), "--pipeline", "longlive").returncode == 0


def test_loras_install_goes_through_scope_and_checks_the_hash(tmp_path):
    url = "https://huggingface.co/someone/loras/resolve/main/inkwash.safetensors"
    weights = write_lora(tmp_path / "inkwash.safetensors", WAN_1_3B).read_bytes()
    digest = hashlib.sha256(weights).hexdigest()
    with ThreadedScopeDouble() as td:
        td.call(lambda d: d.files.remote.files.update({url: weights}))
        wrong = run_perform("loras", "install", url, "--sha256", "ab" * 32, "--scope", td.url)
        right = run_perform("loras", "install", url, "--sha256", digest, "--scope", td.url)
        again = run_perform("loras", "install", url, "--scope", td.url)
        installed = td.call(lambda d: [f["name"] for f in d.lora_files])
    assert wrong.returncode == 2 and "SHA256 mismatch" in wrong.stderr
    assert right.returncode == 0, right.stderr
    assert f"fetches {url} (checking sha256 {digest[:12]}..)" in right.stdout
    assert f"installed {LORA_DIR}/inkwash.safetensors" in right.stdout
    assert f"sha256 {digest})" in right.stdout
    assert again.returncode == 2 and "already exists" in again.stderr
    assert installed.count("inkwash") == 1
