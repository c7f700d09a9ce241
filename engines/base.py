"""The Engine contract and the plain-data declarations engines offer.

An engine is the *rule* of an organism: it owns its state arrays (allocated once
through ``backend.xp``, stable shapes, float32) and offers

* ``reset(seed, spec)``: seed the world reproducibly (same seed, same world, on NumPy
  and CuPy alike: seeds are drawn on the host, see ``engines/seeds.py``);
* ``step(params)``: advance one simulation step, reading its parameters from a flat
  mapping of dotted names (``"lenia.mu"``);
* ``density()``: the ``(N, N)`` float32 field in [0, 1] that is coloured and measured;
* ``fields()``: the state arrays the organism's flows advect (continuous engines);
* structure: kernels that depend on *structural* parameters (radii, ring shapes) are
  built by ``build_structure(key)``, a pure function the organism runs in the
  background, and swapped in between steps by ``install_structure``; stand-alone use
  (tests, tools) builds them in place.

Everything around the rule (flows, containment, perturbation, coverage regulation,
breathing, colour) lives in :mod:`engines.organism`. ``render()`` here is a
convenience for tools and tests that want a picture of a bare engine.

Engines never import the app (``perform``), a UI, or an I/O library. They declare their
parameters as :class:`ParamDecl` data; the app turns those into its own ``ParamSpec``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from engines import seeds
from engines.seeds import SeedSpec
from engines.xp import Backend

Kind = Literal["continuous", "enum", "trigger", "text"]
Role = Literal["safe", "rule", "structural"]

ALIVE = 0.05
"""A cell counts as alive above this (coverage, regulation)."""

#: Default slew (seconds) per role: safe params follow a fader almost at once, rule
#: parameters glide so the organism survives, structural ones morph the kernel shape
#: (rebuilt in the background as they glide).
ROLE_SMOOTHING: dict[Role, float] = {"safe": 0.08, "rule": 2.0, "structural": 2.0}


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """One parameter an engine (or the organism around it) offers to performers."""

    name: str
    """Dotted name, unique across engines: ``gray_scott.feed``, ``color.hue``."""
    default: float | str
    min: float = 0.0
    max: float = 1.0
    kind: Kind = "continuous"
    role: Role = "safe"
    choices: tuple[str, ...] = ()
    unit: str = ""
    doc: str = ""
    smoothing: float | None = None
    """Slew time in seconds; None means the role's default."""
    integer: bool = False
    """Whole numbers only (state counts, ranges)."""

    @property
    def slew(self) -> float:
        return ROLE_SMOOTHING[self.role] if self.smoothing is None else self.smoothing


@dataclass(frozen=True, slots=True)
class Breath:
    """A slow LFO on one rule parameter (the organism's "breathing")."""

    name: str
    depth: float
    """Amplitude: a fraction of the value when ``relative``, else in the parameter's units."""
    hz: float
    """Frequency in cycles per second of simulated time."""
    relative: bool = True


@dataclass(frozen=True, slots=True)
class Look:
    """How an engine's density becomes colour (the prototype's per-engine settings)."""

    weights: tuple[float, float, float] = (0.30, 0.25, 0.45)
    """Colour coordinate = density, velocity and edge signals mixed with these weights."""
    bloom: float = 0.20
    """Glow intensity (0 = none)."""
    hue_drift: float = 1 / 28
    """Automatic palette drift in turns per minute at ``color.drift`` 1."""
    zones: float = 1.0
    """Weight of the spatial colour zones at ``color.zones`` 1 (discrete engines colour by
    state, so zones would drown their structure)."""
    steady: bool = False
    """A steady picture (the round discrete engines): the density is already on a fixed
    0..1 scale, so it is not divided by its running maximum (a brighter crest dimmed the
    whole frame at once, then let it creep back: storm's flash of 13.5 and a sawtooth read
    as flicker, issue 15), and the frame's luma is held to its running mean over about a
    second (:meth:`engines.color.Colourist._hold`)."""


class Engine(ABC):
    """Base class of every CA engine."""

    name: ClassVar[str]
    """Registry key and parameter prefix (``gray_scott``)."""
    title: ClassVar[str]
    params: ClassVar[tuple[ParamDecl, ...]] = ()
    continuous: ClassVar[bool] = True
    """Continuous states can be advected and perturbed; discrete ones cannot."""
    look: ClassVar[Look] = Look()
    breathing: ClassVar[tuple[Breath, ...]] = ()
    default_seed: ClassVar[SeedSpec] = SeedSpec()
    sharpness: ClassVar[float] = 1.0
    """Share of the advection's bilinear blur that is undone (see ``engines/flow.py``)."""

    def __init__(
        self,
        backend: Backend,
        world: int,
        seed: int = 0,
        *,
        seed_spec: SeedSpec | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.backend = backend
        self.start_params: dict[str, Any] = {**self.defaults(), **(params or {})}
        """The parameters the world is seeded for (e.g. how many states a cycle has)."""
        self.xp = backend.xp
        self.world = int(world)
        self.seed = int(seed)
        self.seed_spec = seed_spec or self.default_seed
        self.generation = 0
        self.auto_structure = True
        """Build kernels in place when structural parameters change (off under an organism,
        which builds them in the background)."""
        self.structure_key: Hashable | None = None
        self.structure: Any = None
        """What :meth:`build_structure` made for ``structure_key`` (kernels, spectra)."""
        self._picture: Any = None
        self.allocate()
        self.reset(seed)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    # --- structure (kernels) ----------------------------------------------------------
    def structure_for(self, params: Mapping[str, Any]) -> Hashable:
        """The key of the structure ``params`` need (``()`` when there is none)."""
        return ()

    def build_structure(self, key: Hashable) -> Any:
        """Build what ``key`` describes (pure; safe to run on another thread)."""
        return None

    def install_structure(self, key: Hashable, built: Any) -> None:
        """Swap in a built structure (between steps, never mid-frame)."""
        self.structure, self.structure_key = built, key

    def sync_structure(self, params: Mapping[str, Any]) -> None:
        """Build and install the structure ``params`` need, here and now, if it changed."""
        key = self.structure_for(params)
        if key != self.structure_key:
            self.install_structure(key, self.build_structure(key))

    # --- the rule -------------------------------------------------------------------------
    @abstractmethod
    def allocate(self) -> None:
        """Allocate the state arrays (called once, before the first reset)."""

    def reset(self, seed: int | None = None, spec: SeedSpec | None = None) -> None:
        """Seed the world (same seed and spec, same world, on either backend)."""
        if seed is not None:
            self.seed = int(seed)
        self.seed_spec = spec or self.seed_spec
        self.load(self.initial(self.seed_spec, seeds.numpy_rng(self.seed)))
        self.generation = 0

    @abstractmethod
    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        """The starting state for ``spec`` as a host (NumPy) array, drawn from ``rng``."""

    def load(self, host: Any) -> None:
        """Put a host starting state into the world (the first field by default)."""
        self.fields()[0][...] = self.xp.asarray(host)

    @abstractmethod
    def advance(self, params: Mapping[str, Any]) -> None:
        """One step of the rule with the structure already installed."""

    def step(self, params: Mapping[str, Any], dt: float = 1.0) -> None:
        """Advance one simulation step (``dt`` is unused: the rule has its own time step)."""
        if self.auto_structure or self.structure_key is None:
            self.sync_structure(params)
        self.advance(params)
        self.generation += 1

    @abstractmethod
    def density(self) -> Any:
        """The ``(N, N)`` float32 field in [0, 1] that is coloured and measured."""

    def fields(self) -> list[Any]:
        """State arrays advected by flows (empty for discrete engines)."""
        return []

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A host (NumPy) patch in [0, 1] that grows into new life for this rule."""
        return seeds.gaussian_blob(25, 0.5, 0.5, 0.25) * 0.9

    def nucleate(self, blob: Any, y0: int, x0: int, amount: float) -> None:
        """Add ``amount * blob`` (a small device array) at rows/cols starting at y0, x0.

        The window wraps around the torus. Used to grow a new nucleus gradually where
        the organism thinned out, instead of re-seeding the whole world.
        """
        fields = self.fields()
        if not fields:
            return
        target = fields[-1] if self.name == "gray_scott" else fields[0]
        add_wrapped(self.xp, target, blob, y0, x0, amount)

    def erode(self, amount: float, rng: Any) -> None:
        """Too much life: thin the state out a little everywhere."""
        for field in self.fields()[-1:]:
            field *= 1.0 - amount

    def measured(self) -> Any:
        """The field coverage is measured on (alive above ``ALIVE``): the state, not the picture."""
        return self.density()

    def coverage(self) -> float:
        """Fraction of the world that is alive (synchronises the device; diagnostics)."""
        return float((self.measured() > ALIVE).mean())

    # --- a picture of the bare engine (tools, tests) --------------------------------------
    def render(self, params: Mapping[str, Any], width: int, height: int) -> Any:
        """An ``(height, width, 3)`` uint8 frame on the engine's device."""
        from engines.color import Colourist

        if self._picture is None:
            self._picture = Colourist(self.backend, self.world, self.seed, self.look)
        return self._picture.render(self.density(), params, width, height).rgb


class FieldEngine(Engine):
    """An engine whose whole state is one float32 field ``a`` in [0, 1]."""

    def allocate(self) -> None:
        self.a = self.xp.zeros((self.world, self.world), dtype=self.xp.float32)

    def density(self) -> Any:
        return self.a

    def fields(self) -> list[Any]:
        return [self.a]

    def measured(self) -> Any:
        return self.a


def param(params: Mapping[str, Any], name: str, default: float) -> float:
    """``params[name]`` as a float (``default`` when ``params`` lacks it)."""
    return float(params.get(name, default))


def add_wrapped(xp: Any, target: Any, blob: Any, y0: int, x0: int, amount: float) -> None:
    """``target[y0:y0+h, x0:x0+w] += amount * blob`` with periodic wrap, clipped to [0, 1]."""

    def add(window: Any, part: Any) -> None:
        window += amount * part
        xp.clip(window, 0.0, 1.0, out=window)

    for_wrapped(target, blob, y0, x0, add)


def for_wrapped(target: Any, patch: Any, y0: int, x0: int, fn: Any) -> None:
    """Call ``fn(window, patch_part)`` for the (up to four) pieces of a wrapped window."""
    n = target.shape[0]
    h, w = patch.shape
    y0, x0 = y0 % n, x0 % n
    ys = [(y0, min(n, y0 + h), 0)] + ([(0, y0 + h - n, n - y0)] if y0 + h > n else [])
    xs = [(x0, min(n, x0 + w), 0)] + ([(0, x0 + w - n, n - x0)] if x0 + w > n else [])
    for ya, yb, by in ys:
        for xa, xb, bx in xs:
            fn(target[ya:yb, xa:xb], patch[by : by + (yb - ya), bx : bx + (xb - xa)])
