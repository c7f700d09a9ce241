"""Show files with VACE scenes: images checked locally, errors with file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perform.errors import SetlistError
from perform.setlist import load_setlist
from tests.test_show_vace import IMAGES

SHOW = """[show]
name = "VACE checks"

[[scenes]]
name = "One"
vace_images = ["refs/glow.png", {second}]
vace_scale = {scale}
"""


def write(tmp_path: Path, second: str = '"refs/glow.png"', scale: str = "0.5") -> Path:
    (tmp_path / "refs").mkdir(exist_ok=True)
    shutil.copy(IMAGES / "glow.png", tmp_path / "refs" / "glow.png")
    path = tmp_path / "show.toml"
    path.write_text(SHOW.format(second=second, scale=scale))
    return path


def error(path: Path) -> str:
    with pytest.raises(SetlistError) as caught:
        load_setlist(path)
    return caught.value.message


def test_images_resolve_next_to_the_show_and_each_is_listed_once(tmp_path):
    setlist = load_setlist(write(tmp_path))
    image = str((tmp_path / "refs" / "glow.png").resolve())
    assert setlist.vace_assets() == (image,)
    assert setlist.vace_paths(setlist.scenes[0]) == [Path(image), Path(image)]


def test_a_missing_image_names_file_line_and_key(tmp_path):
    path = write(tmp_path, second='"refs/gone.png"')
    assert error(path) == (
        f"{path}:6: scenes[0].vace_images[1]: image '{tmp_path}/refs/gone.png' not found"
    )


def test_a_type_scope_refuses_is_caught_before_the_upload(tmp_path):
    path = write(tmp_path, second='"refs/clip.gif"')
    (tmp_path / "refs" / "clip.gif").write_bytes(b"GIF89a")
    assert "scenes[0].vace_images[1]: 'clip.gif' is not an image type Scope accepts" in error(path)


def test_a_file_that_is_not_an_image_is_caught_by_decoding_it(tmp_path):
    path = write(tmp_path, second='"refs/broken.png"')
    (tmp_path / "refs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    message = error(path)
    assert message.startswith(f"{path}:6: scenes[0].vace_images[1]: 'broken.png' ")
    assert "cannot be read as an image" in message or "holds no image" in message


def test_the_scale_range_is_scopes(tmp_path):
    message = error(write(tmp_path, scale="2.5"))
    assert "scenes[0].vace_scale" in message and "2" in message
