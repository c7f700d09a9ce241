"""App configuration: one TOML file, strictly validated, every field documented.

Where it is read from (first found wins):

1. ``--config PATH`` on the command line (must exist);
2. ``$PERFORM_CONFIG``;
3. ``./perform.toml`` in the working directory;
4. ``$XDG_CONFIG_HOME/perform/config.toml`` (``~/.config/perform/config.toml``; the
   platform's folder on macOS and Windows, see :func:`perform.library.config_home`).

With none of them, the defaults below apply: a local Scope at ``http://127.0.0.1:8000``,
a 512x512 stream at 30 fps, OSC on ``127.0.0.1:9010``. Relative paths in a file are
relative to that file. Secrets (tokens) never live here: they come from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pydantic
from pydantic import Field

from perform.errors import ConfigError
from perform.library import config_home, shipped_dir
from perform.tomlfile import Strict, load_model

#: The repository root when running from a checkout (``uv run perform``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_OSC_PORT = 9010
"""Away from Resolume (7000), Scope (8000), MadMapper (8010/8011), TouchOSC (8000/9000)."""


def _lora_scale(value: float) -> float:
    from perform.registry import lora_range_error  # the one range (registry loads the engines)

    if (why := lora_range_error(value)) is not None:
        raise ValueError(why)
    return value


LoraScale = Annotated[float, pydantic.AfterValidator(_lora_scale)]
"""A LoRA scale in the config or a show, checked against the one LoRA range."""


def _multiple_of_16(value: int | None) -> int | None:
    if value is not None and value % 16:
        raise ValueError(f"must be a multiple of 16 (Scope rejects others); try {value // 16 * 16}")
    return value


Side16 = Annotated[int, pydantic.Field(ge=64, le=4096), pydantic.AfterValidator(_multiple_of_16)]
"""A picture side Scope takes (the stream's, a pipeline load's): 64..4096, a multiple of 16."""


class LoraConfig(Strict):
    file: str
    """A LoRA file on the Scope server: its name as Scope lists it (the file stem, e.g.
    ``arcane``) or its absolute server-side path."""
    scale: LoraScale = 1.0
    """Scale at load (then ridden live with ``lora.<name>.scale`` under runtime_peft),
    within the one LoRA range (:data:`perform.registry.LORA_MIN` .. ``LORA_MAX``)."""
    merge_mode: Literal["runtime_peft", "permanent_merge"] | None = None
    """Overrides ``lora_merge_mode`` for this file."""


class SinkConfig(Strict):
    enabled: bool = True
    name: str = "perform"
    """The sender name TouchDesigner / OBS / Resolume see."""


class OutputSinksConfig(Strict):
    """Scope's own outputs on the GPU box (Spout on Windows, Syphon on macOS, NDI anywhere)."""

    spout: SinkConfig | None = None
    ndi: SinkConfig | None = None
    syphon: SinkConfig | None = None


class ScopeConfig(Strict):
    url: str = "http://127.0.0.1:8000"
    """Base URL of the Daydream Scope server (a local one, or a cloud pod's)."""
    enabled: bool = True
    """Connect to Scope when the show starts (``perform run --no-scope`` overrides)."""
    pipeline: str = "longlive"
    """The pipeline to load (``perform scope status`` lists what the server offers)."""
    height: Side16 | None = None
    """Load height; default: the stream's height (multiples of 16)."""
    width: Side16 | None = None
    """Load width; default: the stream's width (multiples of 16)."""
    vace_enabled: bool = False
    """Load VACE (Scope's default is true; off keeps plain video-to-video and saves memory)."""
    quantization: Literal["fp8_e4m3fn"] | None = None
    """fp8 weights for GPUs with <= 40 GB (krea)."""
    base_seed: int | None = None
    load: dict[str, Any] = Field(default_factory=dict)
    """Extra load params passed verbatim (e.g. ``vae_type = "lighttae"``)."""
    loras: list[LoraConfig] = Field(default_factory=list)
    """LoRAs to load with the pipeline."""
    lora_merge_mode: Literal["runtime_peft", "permanent_merge"] = "runtime_peft"
    """runtime_peft lets ``lora.<name>.scale`` ride live (~50% slower inference);
    permanent_merge is faster but its scales are fixed until the next load."""
    prompt: str = "a bioluminescent deep-sea organism, macro photography, glowing tendrils"
    """The prompt used while ``prompt.a`` is empty (prompt-set syntax: ``a | b :: 0.5``)."""
    denoising_steps: list[int] = Field(default_factory=lambda: [1000, 750])
    """Sent at stream start (a live change would hard-cut the picture)."""
    noise_controller: bool = False
    """Scope's motion-adaptive noise; it overrides ``scope.noise_scale`` and its jumps cut."""
    manage_cache: bool = True
    interpolation: Literal["linear", "slerp"] = "linear"
    """How prompt transitions blend (temporal interpolation)."""
    chunk_period: float = Field(1 / 15, gt=0, le=5)
    """Seconds per pipeline call until it is measured from the output frame rate."""
    frames_per_chunk: int | None = Field(None, ge=1, le=64)
    """Frames per pipeline call; default from the pipeline (12 for the Wan 1.3B/14B
    pipelines, 4 for streamdiffusionv2 and passthrough)."""
    lora_rate: float = Field(2.0, gt=0, le=30)
    """Most LoRA scale updates per second (each one hard-cuts; the final value is always sent)."""
    watchdog_seconds: float = Field(5.0, gt=0, le=600)
    """No output frame for this long while streaming: the stream is restarted."""
    first_frame_seconds: float = Field(45.0, gt=0, le=3600)
    """How long the first output frame of a new stream may take (warm-up)."""
    load_timeout: float = Field(900.0, gt=0)
    """Seconds a pipeline load may take."""
    reconnect_max_seconds: float = Field(10.0, ge=0.5, le=300)
    """Longest wait between reconnect attempts (the backoff starts at 0.5 s)."""
    ice: Literal["auto", "host", "server"] = "auto"
    """ICE servers: ``auto`` uses the server's STUN/TURN list only for a remote Scope (and
    drops the ones that do not answer); ``host`` never (LAN/loopback); ``server`` always."""
    output_sinks: OutputSinksConfig = OutputSinksConfig()
    tempo_sync: bool = False
    """Quantize prompt changes and cuts to the beat (needs tempo sync enabled in Scope)."""
    quantize: Literal["beat", "bar", "2_bar", "4_bar"] = "bar"
    lookahead_ms: float = Field(0.0, ge=0, le=2000)
    prompt_transition: float = Field(2.0, ge=0, le=120)
    """Seconds a plain prompt write (OSC, MIDI, an API call) blends over in Scope; scenes
    and the TUI's prompt editor carry their own transition."""
    latency_stamp: bool = False
    """Stamp a frame counter in a corner to measure input->output latency (it survives
    passthrough-like pipelines only; it shows in the output)."""

    @pydantic.field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @pydantic.field_validator("denoising_steps")
    @classmethod
    def _descending(cls, value: list[int]) -> list[int]:
        if not value or any(not 0 <= v <= 1000 for v in value):
            raise ValueError("needs one or more steps between 0 and 1000")
        if any(a <= b for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("must be strictly descending, e.g. [1000, 750]")
        return value


class StreamConfig(Strict):
    width: Side16 = 512
    """Width of the video sent to Scope (Scope's Wan pipelines need multiples of 16)."""
    height: Side16 = 512
    """Height of the video sent to Scope."""
    fps: int = Field(30, ge=1, le=120)
    """Frames per second delivered to the WebRTC track."""
    codec: Literal["vp8", "h264"] = "vp8"
    """Video codec to Scope (``perform bench stream`` measures both)."""
    bitrate_kbps: int = Field(0, ge=0, le=50_000)
    """Encoder target; 0 picks one for organism-like texture from the size and fps."""
    keyframe_seconds: float = Field(4.0, gt=0, le=60)
    """A keyframe at least this often (plus whenever Scope reports a lost picture)."""


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
    enabled: bool = True
    """Run the OSC server (and its HTTP address-space document)."""
    host: str = "127.0.0.1"
    """Address the OSC server binds to; use 0.0.0.0 to accept the LAN (see ``allow``)."""
    port: int = Field(DEFAULT_OSC_PORT, ge=0, le=65535)
    """UDP port the OSC server listens on (0: any free port, for tests)."""
    allow: list[str] = Field(default_factory=list)
    """Sender addresses accepted when bound to a non-loopback address."""
    http: bool = True
    """Serve the address space as JSON (OSCQuery-style) over HTTP on the same port (TCP)."""
    targets: list[str] = Field(default_factory=list)
    """``host:port`` of OSC state feedback receivers (TouchDesigner's OSC In CHOP/DAT)."""
    feedback: Literal["both", "native", "norm"] = "both"
    """Feedback values in native units (``/vj/...``), 0-1 (``/vj/norm/...``) or both."""
    feedback_hz: float = Field(30.0, gt=0, le=1000)
    """Most feedback sends per second per address (change-only below that)."""
    echo: bool = True
    """Also send back values that came in over OSC (TD gets the clamped, confirmed value)."""

    @pydantic.field_validator("targets")
    @classmethod
    def _host_port(cls, value: list[str]) -> list[str]:
        for target in value:
            host, _, port = target.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"'{target}' is not host:port (e.g. 127.0.0.1:9011)")
        return value


class MidiConfig(Strict):
    backend: Literal["auto", "alsa", "jack", "coremidi", "winmm"] = "auto"
    """MIDI API: ``auto`` is ALSA on Linux, CoreMIDI on macOS, Windows MM on Windows."""
    mappings: list[str] = Field(default_factory=list)
    """Mapping files loaded at start: a shipped name (``nanokontrol2``) or a path
    (relative to this file). ``perform run --mapping FILE`` adds more."""
    auto_profiles: bool = True
    """A port that matches a shipped profile (and no loaded mapping) loads that profile."""
    inputs: list[str] = Field(default_factory=list)
    """More port patterns to open with no mapping (for MIDI learn and the monitor)."""
    poll: float = Field(1.0, ge=0.05, le=30.0)
    """Seconds between port scans: a lost device is reopened by name, never a restart."""
    feedback_hz: float = Field(25.0, gt=0, le=1000)
    """Most LED updates per second per device (diff-based below that)."""


class TempoConfig(Strict):
    source: Literal["auto", "internal", "midi", "link"] = "auto"
    """Who leads the tempo: ``auto`` follows MIDI clock when it arrives, else the show's bpm;
    ``link`` joins an Ableton Link session (``uv sync --extra link``)."""
    bpm: float = Field(120.0, ge=20, le=300)
    """Tempo before a show sets its own."""
    beats_per_bar: int = Field(4, ge=1, le=16)


class PathsConfig(Strict):
    mappings: Path = Field(default_factory=lambda: shipped_dir("mappings"))
    """Folder of controller mapping files, searched after the user's own folder
    (default: the profiles shipped with perform; see :mod:`perform.library`)."""
    setlists: Path = Field(default_factory=lambda: shipped_dir("setlists"))
    """Folder of show files, searched after the user's own folder (default: the shipped
    shows)."""

    @pydantic.field_validator("mappings", "setlists")
    @classmethod
    def _relative_to_file(cls, value: Path, info: pydantic.ValidationInfo) -> Path:
        source = (info.context or {}).get("source")
        if source is not None and not value.is_absolute():
            return source.path.parent / value
        return value


SinkKind = Literal["window", "ndi", "syphon", "spout", "vcam"]
SINK_KINDS: tuple[str, ...] = get_args(SinkKind)
"""The program sinks ``[output] sinks`` and ``--output`` may name."""


class WindowConfig(Strict):
    display: int = Field(1, ge=1, le=16)
    """Which display the stage window opens on (1 = the first, as ``perform outputs``
    numbers them)."""
    fullscreen: bool = True
    vsync: bool = True


class OutputConfig(Strict):
    """The program: what the audience sees (the bus, its failover and its sinks)."""

    stall_ms: int = Field(400, ge=50, le=10_000)
    """Scope's video counts as stalled (no new frame) or frozen (the same picture) after
    this long; the program then crossfades to the live organism."""
    width: int = Field(0, ge=0, le=7680)
    """Program width in pixels (0 = the stream's width; the stage window scales on the GPU)."""
    height: int = Field(0, ge=0, le=4320)
    """Program height in pixels (0 = the stream's height)."""
    sinks: list[SinkKind] = Field(default_factory=list)
    """Where the program goes besides the TUI monitor (``--output KIND`` adds to these)."""
    window: WindowConfig = WindowConfig()
    name: str = Field("perform", min_length=1, max_length=64)
    """The name other software sees (NDI source, Syphon/Spout sender, camera label)."""
    organism_stream: bool = False
    """Also send the raw organism as a second named stream (TouchDesigner composites both)."""
    organism_name: str = Field("perform organism", min_length=1, max_length=64)

    @pydantic.field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (I420 pictures); try {value + 1}")
        return value

    def size(self, stream: StreamConfig) -> tuple[int, int]:
        """(width, height) of the program: ``width``/``height``, 0 taken from the stream."""
        return (self.width or stream.width, self.height or stream.height)


class AppConfig(Strict):
    scope: ScopeConfig = ScopeConfig()
    stream: StreamConfig = StreamConfig()
    engine: EngineConfig = EngineConfig()
    osc: OscConfig = OscConfig()
    tempo: TempoConfig = TempoConfig()
    midi: MidiConfig = MidiConfig()
    paths: PathsConfig = PathsConfig()
    output: OutputConfig = OutputConfig()

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
    found.append(config_home() / "config.toml")
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
