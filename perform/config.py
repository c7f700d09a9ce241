"""App configuration: one TOML file, strictly validated, every field documented.

Where it is read from (first found wins):

1. ``--config PATH`` on the command line (must exist);
2. ``$PERFORM_CONFIG``;
3. ``./perform.toml`` in the working directory;
4. ``$XDG_CONFIG_HOME/perform/config.toml`` (``~/.config/perform/config.toml``).

With none of them, the defaults below apply: a local Scope at ``http://127.0.0.1:8000``,
a 512x512 stream at 30 fps, OSC on ``127.0.0.1:9010``. Relative paths in a file are
relative to that file. Secrets (tokens) never live here: they come from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import Field

from perform.errors import ConfigError
from perform.tomlfile import Strict, load_model

#: The repository root when running from a checkout (``uv run perform``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_OSC_PORT = 9010
"""Away from Resolume (7000), Scope (8000), MadMapper (8010/8011), TouchOSC (8000/9000)."""


class ScopeConfig(Strict):
    url: str = "http://127.0.0.1:8000"
    """Base URL of the Daydream Scope server (a local one, or a cloud pod's)."""

    @pydantic.field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class StreamConfig(Strict):
    width: int = Field(512, ge=64, le=4096)
    """Width of the video sent to Scope (Scope's Wan pipelines need multiples of 16)."""
    height: int = Field(512, ge=64, le=4096)
    """Height of the video sent to Scope."""
    fps: int = Field(30, ge=1, le=120)
    """Frames per second delivered to the WebRTC track."""

    @pydantic.field_validator("width", "height")
    @classmethod
    def _mult16(cls, value: int) -> int:
        if value % 16:
            raise ValueError(
                f"must be a multiple of 16 (Scope rejects others); try {value // 16 * 16}"
            )
        return value


class EngineConfig(Strict):
    backend: Literal["auto", "numpy", "cupy"] = "auto"
    """Array backend: ``auto`` uses CuPy when a CUDA device really works, else NumPy."""
    preset: str = "medusa"
    """Preset the organism starts with."""
    world: int = Field(512, ge=64, le=4096)
    """Side of the square simulation world, in cells."""
    steps_per_second: float = Field(60.0, gt=0, le=2000)
    """Simulation clock (steps per second at speed 1), independent of the stream fps."""
    seed: int = 1
    """Seed of the organism's random generator (same seed, same organism)."""
    warmup: float = Field(3.0, ge=0, le=60)
    """Simulated seconds a new organism grows (on a worker thread, off the frame path)
    before it is crossfaded in after a switch to another engine or a reseed."""


class OscConfig(Strict):
    host: str = "127.0.0.1"
    """Address the OSC server binds to; use 0.0.0.0 to accept the LAN (see ``allow``)."""
    port: int = Field(DEFAULT_OSC_PORT, ge=1, le=65535)
    """UDP port the OSC server listens on."""
    allow: list[str] = Field(default_factory=list)
    """Sender addresses accepted when bound to a non-loopback address."""


class PathsConfig(Strict):
    mappings: Path = PROJECT_ROOT / "mappings"
    """Folder of controller mapping files."""
    setlists: Path = PROJECT_ROOT / "setlists"
    """Folder of show files."""

    @pydantic.field_validator("mappings", "setlists")
    @classmethod
    def _relative_to_file(cls, value: Path, info: pydantic.ValidationInfo) -> Path:
        source = (info.context or {}).get("source")
        if source is not None and not value.is_absolute():
            return source.path.parent / value
        return value


class AppConfig(Strict):
    scope: ScopeConfig = ScopeConfig()
    stream: StreamConfig = StreamConfig()
    engine: EngineConfig = EngineConfig()
    osc: OscConfig = OscConfig()
    paths: PathsConfig = PathsConfig()

    _source: Path | None = pydantic.PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this config came from (None for the built-in defaults)."""
        return self._source


def config_candidates() -> list[Path]:
    """Where :func:`load_config` looks, in order."""
    found: list[Path] = []
    env = os.environ.get("PERFORM_CONFIG")
    if env:
        found.append(Path(env))
    found.append(Path.cwd() / "perform.toml")
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    found.append(Path(xdg) / "perform" / "config.toml")
    return found


def load_config(path: str | Path | None = None) -> AppConfig:
    """Load the app config (see the module docstring for the search order)."""
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        return _load(path)
    for candidate in config_candidates():
        if candidate.is_file():
            return _load(candidate)
    return AppConfig()


def _load(path: Path) -> AppConfig:
    cfg = load_model(path, AppConfig, ConfigError)
    cfg._source = path
    return cfg
