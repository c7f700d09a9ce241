"""VACE reference images: checked locally, uploaded to Scope's assets once, by content.

Why content names: Scope's ``POST /api/v1/assets`` overwrites an existing file silently
and the pipeline opens the *server-side* path it returns (contract §1.11). Naming each
upload after its SHA-256 (``perform/<hash>.png``) makes the name mean the bytes: a rerun
lists the assets first and uploads nothing it already has, two shows never overwrite
each other's ``ref1.png``, and an edited image gets a new name instead of changing the
picture under a running show.

:func:`check_image` is what ``perform check`` and the show loader run before anything is
sent: the file exists, has a type Scope accepts, and PyAV can decode it as an image.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from perform.stream.scope_api import AssetFile, ScopeAPI

log = logging.getLogger(__name__)

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
"""What Scope's assets endpoint takes as an image (``src/scope/server/file_utils.py``)."""
FOLDER = "perform"
"""Sub-folder of Scope's assets dir that perform's uploads go to."""


def check_image(path: Path) -> str | None:
    """Why ``path`` cannot be a VACE reference image (None if it can)."""
    if path.suffix.lower() not in IMAGE_TYPES:
        return f"'{path.name}' is not an image type Scope accepts ({', '.join(IMAGE_TYPES)})"
    if not path.is_file():
        return f"image '{path}' not found"
    try:
        import av

        with av.open(str(path)) as container:
            if not container.streams.video:
                return f"'{path.name}' holds no image"
            frame = next(container.decode(video=0), None)
    except (av.FFmpegError, OSError, StopIteration) as exc:
        return f"'{path.name}' cannot be read as an image ({exc})"
    if frame is None or frame.width < 1 or frame.height < 1:
        return f"'{path.name}' holds no image"
    return None


def asset_name(path: Path, data: bytes) -> str:
    """``perform/<sha256[:20]><ext>``: the upload's name says what it holds."""
    return f"{FOLDER}/{hashlib.sha256(data).hexdigest()[:20]}{path.suffix.lower()}"


@dataclass
class _Known:
    stamp: tuple[int, int]
    """(mtime_ns, size) of the local file when it was hashed."""
    server_path: str


class AssetUploader:
    """Local image paths -> Scope's server-side paths, uploading only what is missing."""

    def __init__(self, api: ScopeAPI) -> None:
        self.api = api
        self.uploads = 0
        self._known: dict[str, _Known] = {}
        self._lock = asyncio.Lock()

    def resolved(self, paths: Iterable[str]) -> list[str] | None:
        """The server paths if every file is already known (and unchanged); else None."""
        out = []
        for local in paths:
            known = self._known.get(local)
            if known is None or known.stamp != _stamp(Path(local)):
                return None
            out.append(known.server_path)
        return out

    def forget(self) -> None:
        """Scope restarted (its assets dir may be another one now): look again."""
        self._known.clear()

    async def ensure(self, paths: Iterable[str]) -> list[str]:
        """Upload what Scope lacks; return the server paths, in order."""
        wanted = list(dict.fromkeys(paths))
        async with self._lock:
            if self.resolved(wanted) is None:
                await self._sync([p for p in wanted if self.resolved([p]) is None])
        result = self.resolved(wanted)
        assert result is not None
        return result

    async def _sync(self, paths: list[str]) -> None:
        loop = asyncio.get_running_loop()
        have: dict[str, AssetFile] | None = None
        for local in paths:
            path = Path(local)
            stamp = _stamp(path)
            data = await loop.run_in_executor(None, path.read_bytes)
            name = asset_name(path, data)
            if have is None:
                have = {_relative(a): a for a in await self.api.assets("image")}
            found = have.get(name)
            if found is None:
                found = await self.api.upload_asset(name, data)
                have[name] = found
                self.uploads += 1
                log.info("uploaded %s to Scope as %s", path, found.path)
            self._known[local] = _Known(stamp, found.path)


def _relative(asset: AssetFile) -> str:
    suffix = PurePosixPath(asset.path).suffix.lower()
    return f"{asset.folder}/{asset.name}{suffix}" if asset.folder else f"{asset.name}{suffix}"


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)
