"""The organism: one engine and everything around it that makes it a living picture.

Per simulation step: slow *breathing* of the rule parameters (LFOs on simulated time),
the rule itself, advection by the flow field, containment and stir (continuous engines).
Per frame: coverage regulation (stats read one frame late on the GPU, so nothing waits
for the device) and colour at the stream size.

Kernel rebuilds never block a step: when a structural parameter moves, the new kernel
is built on a worker thread (CPU) while the old one keeps running, then swapped in
between two steps. Coverage is kept in its band by growing a new nucleus at one spot
(too little life) or by a gentle erosion (too much), never by re-seeding the whole
world, so a restart is never visible.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from engines import cpu, seeds
from engines.base import ALIVE, Engine, ParamDecl, for_wrapped
from engines.color import Colourist, Picture
from engines.flow import FLOW_PARAMS, Flow
from engines.homeostasis import Homeostasis
from engines.registry import ENGINES
from engines.seeds import SeedSpec
from engines.support import LifeSupport
from engines.xp import Backend

ORGANISM_PARAMS = (
    ParamDecl(
        "organism.breath",
        1.0,
        0.0,
        3.0,
        doc="Depth of the slow breathing of the rule "
        "(3 = the prototype's full swing, which can starve some presets).",
    ),
    ParamDecl("organism.stir", 1.0, 0.0, 4.0, doc="Stir and noise that keep life moving."),
    ParamDecl("organism.contain", 1.0, 0.0, 2.0, doc="Radial containment towards the rim."),
    ParamDecl(
        "organism.coverage_min",
        0.05,
        0.0,
        0.9,
        doc="Below this living fraction, new nuclei grow in.",
    ),
    ParamDecl(
        "organism.coverage_max",
        0.85,
        0.1,
        1.0,
        doc="Above this living fraction, life is gently eroded.",
    ),
)

MIN_BAND = 0.05
"""The narrowest coverage band regulation keeps (living fraction between min and max)."""


def coverage_band(params: Mapping[str, Any]) -> tuple[float, float]:
    """The living fraction regulation keeps: ``(coverage_min, coverage_max)``, reconciled.

    Both are faders a performer can put anywhere; a floor at or above the ceiling (or
    closer to it than ``MIN_BAND``) would plant a nucleus and erode on alternate frames,
    a flashing organism. The ceiling wins (too much life is what erosion is for) and the
    floor is lowered to ``MIN_BAND`` under it.
    """
    low = float(params.get("organism.coverage_min", 0.05))
    high = float(params.get("organism.coverage_max", 0.85))
    return min(low, max(0.0, high - MIN_BAND)), high


_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _builder() -> ThreadPoolExecutor:
    """One worker thread for kernel builds, shared by every organism (created lazily)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(1, thread_name_prefix="engines-kernel")
        return _EXECUTOR


SETTLED = 0.01
"""A discrete world whose changed cells per regulation are under this share of its living
ones has settled (a Life-family pattern of still lifes and blinkers)."""
SETTLED_FRAMES = 12
"""Regulations a discrete world may stay settled before a fresh nucleus re-excites it
(a frozen picture reads as dead within a second; its total mass could not tell: a few
blinkers kept it changing while the picture stood still, issue 15's diamoeba)."""

STILL_CHANGE = 1e-3
"""A continuous world whose living cells moved less than this (mean absolute change of
the state per regulation, over the living share) stands still, as the audience sees it:
at 512 the living presets move 4e-3 (medusa, the slowest) to 0.4 (MNCA), while medusa
at the ends of its feed or kill moved 2e-4 (0.16 per lit pixel on the frame, which reads
as frozen below 0.5) and Gray-Scott at its highest feed freezes into spots (2e-5).
Standing still for a while is a crisis for homeostasis. (At 128 medusa itself moves
5e-4: a crisis at the preset's own values changes nothing.)"""

VEIL_SECONDS = 1.5
"""How long a fresh nucleus takes to show (simulated seconds)."""


@dataclass(frozen=True, slots=True)
class Veil:
    """A freshly planted nucleus the picture is still revealing."""

    y0: int
    x0: int
    size: int
    born: float


@dataclass
class Vitals:
    """What the organism measured at its last regulation."""

    coverage: float = 0.0
    mass: float = 0.0
    nuclei: int = 0
    """Nuclei grown since the start."""
    erosions: int = 0
    strain: float = 0.0
    """How far killing faders are held back towards the preset (0..1, see
    :mod:`engines.homeostasis`)."""
    crises: int = 0
    """Times the living fraction collapsed and homeostasis took hold."""


class Organism:
    """An engine with flows, containment, stir, breathing, regulation and colour."""

    def __init__(
        self,
        backend: Backend,
        engine: str,
        world: int,
        seed: int = 1,
        seed_spec: SeedSpec | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        background: bool = True,
    ) -> None:
        self.backend = backend
        self.xp = backend.xp
        self.world = int(world)
        self.seed = int(seed)
        self.engine: Engine = ENGINES[engine](
            backend, self.world, self.seed, seed_spec=seed_spec, params=params
        )
        self.engine.auto_structure = False
        self.background = background and not backend.is_gpu
        self.flow = Flow(backend, self.world, self.engine.sharpness)
        self.support = (
            LifeSupport(backend, self.engine, self.seed) if self.engine.continuous else None
        )
        self.colour = Colourist(backend, self.world, self.seed, self.engine.look)
        self.rng = seeds.numpy_rng(self.seed + 2038074743)
        self.vitals = Vitals()
        self.sim_time = 0.0
        self.steps = 0
        self.hue_phase = 0.0
        self._pending: Future[Any] | None = None
        self._pending_key: Any = None
        self._veils: list[Veil] = []
        self._masks: dict[int, Any] = {}
        self._stats: Any = None
        self._still_frames = 0
        self._last_mass = -1.0
        self._last_state: Any = None
        self.homeostasis = Homeostasis((*self.engine.params, *FLOW_PARAMS))
        self._homes: dict[Any, Mapping[str, Any]] = {}
        self._regulated_at: float | None = None

    @property
    def name(self) -> str:
        return self.engine.name

    # --- parameters -----------------------------------------------------------------------
    def breathe(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """``params`` with the engine's LFOs applied (on simulated time, from phase 0)."""
        depth = float(params.get("organism.breath", 1.0))
        if depth <= 0 or not self.engine.breathing:
            return params
        out = dict(params)
        for b in self.engine.breathing:
            base = params.get(b.name)
            if not isinstance(base, int | float):
                continue
            swing = math.sin(2 * math.pi * b.hz * self.sim_time) * b.depth * depth
            out[b.name] = float(base) * (1 + swing) if b.relative else float(base) + swing
        return out

    def held(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """``params`` with killing faders held towards the preset (homeostasis)."""
        return self.homeostasis.apply(params, self._home(params.get("engine.preset")))

    def _home(self, key: Any) -> Mapping[str, Any]:
        """The values homeostasis holds towards: the preset's own when it runs on this
        engine, else the engine's defaults and still flows."""
        home = self._homes.get(key)
        if home is None:
            from engines.catalog import get_preset, preset_values  # catalog imports this module

            try:
                same = get_preset(str(key)).engine == self.engine.name
            except ValueError:
                same = False
            if same:
                home = preset_values(str(key))
            else:
                home = {**self.engine.defaults(), **{d.name: 0.0 for d in FLOW_PARAMS}}
            self._homes[key] = home
        return home

    def _structure(self, params: Mapping[str, Any]) -> None:
        engine = self.engine
        if self._pending is not None and self._pending.done():
            future, key = self._pending, self._pending_key
            self._pending = None
            if future.exception() is None:
                engine.install_structure(key, future.result())
        key = engine.structure_for(params)
        if key == engine.structure_key or key == self._pending_key and self._pending:
            return
        if engine.structure_key is None or not self.background:
            engine.install_structure(key, engine.build_structure(key))
        elif self._pending is None:
            self._pending_key = key
            self._pending = _builder().submit(engine.build_structure, key)

    # --- the simulation -------------------------------------------------------------------
    def step(self, params: Mapping[str, Any], dt: float = 1 / 60) -> None:
        """One simulation step; ``dt`` is the simulated seconds it stands for."""
        params = self.held(params)
        p = self.breathe(params)
        self._structure(p)
        self.engine.advance(p)
        self.engine.generation += 1
        if self.engine.continuous:
            self.flow.set(params)
            self.flow.advect(self.engine.fields())
            if self.support is not None and self.engine.name != "gray_scott":
                self.support.after_step(params)
        self.sim_time += dt
        self.steps += 1
        drift = self.engine.look.hue_drift / 60.0 * float(params.get("color.drift", 1.0))
        self.hue_phase = (self.hue_phase + drift * dt) % 1.0

    def warm(self, params: Mapping[str, Any], steps: int, dt: float = 1 / 60) -> None:
        """Run ``steps`` steps with regulation, no colour (a new organism's warm-up)."""
        for i in range(steps):
            self.step(params, dt)
            if i % 4 == 3:
                self.regulate(params)

    # --- regulation -----------------------------------------------------------------------
    def _measure(self) -> Any:
        field = self.engine.measured()
        if self._last_state is None:
            self._last_state = field.copy()
        if self.engine.continuous and not self.backend.is_gpu and cpu.ready():
            return cpu.measure(field, self._last_state)  # the same three, in one pass
        xp = self.xp
        alive = (field > ALIVE).mean(dtype=xp.float32)
        mass = field.mean(dtype=xp.float32)
        if self.engine.continuous:
            # How much a living cell moved since the last regulation (a frame).
            changed = xp.abs(field - self._last_state).mean(dtype=xp.float32)
        else:
            # Discrete states: the share of cells that changed since the last regulation.
            changed = (field != self._last_state).mean(dtype=xp.float32)
        self._last_state[...] = field
        return xp.stack([alive, mass, changed])

    def regulate(self, params: Mapping[str, Any]) -> Vitals:
        """Once per frame: keep the living fraction inside the preset's band."""
        stats = self._measure()
        if self.backend.is_gpu:
            previous, self._stats = self._stats, self.backend.read_later(stats)
            if previous is None or not previous.ready():
                return self.vitals
            alive, mass, changed = (float(v) for v in previous.value())
        else:
            alive, mass, changed = (float(v) for v in stats)
        vitals = self.vitals
        vitals.coverage, vitals.mass = alive, mass
        if self.engine.continuous:
            still, patience = abs(mass - self._last_mass) < 1e-5 * max(mass, 1e-3), 240
            frozen = changed < STILL_CHANGE * max(alive, 1e-3)
        else:
            still, patience = changed < SETTLED * max(alive, 1e-3), SETTLED_FRAMES
            frozen = still
        since = 0.0 if self._regulated_at is None else self.sim_time - self._regulated_at
        self._regulated_at = self.sim_time
        self.homeostasis.update(alive, since, params, still=frozen)
        vitals.strain, vitals.crises = self.homeostasis.strain, self.homeostasis.crises
        # A crisis caused by a performer's value also grows a nucleus (at the preset's own
        # values regulation is what it always was: a preset's look is tuned with it).
        rescue = self.homeostasis.in_crisis and self.homeostasis.differs(
            params, self._home(params.get("engine.preset"))
        )
        params = self.held(params)
        low, high = coverage_band(params)
        if still:
            self._still_frames += 1
        else:
            self._still_frames = max(0, self._still_frames - 2)
        self._last_mass = mass
        self._veils = [v for v in self._veils if self.sim_time - v.born < VEIL_SECONDS]
        if (alive < low or rescue) and len(self._veils) < (3 if alive < low / 4 else 1):
            self._plant(params)
        elif self._still_frames > patience and not self._veils and alive <= high:
            # (<=: a cyclic world at coverage_max 1.0 settled into one state is full too)
            self._plant(params)
            self._still_frames = 0
        elif alive > high:
            self.engine.erode(min(0.05, 0.2 * (alive - high)), self.rng)
            self.vitals.erosions += 1
        return vitals

    def _plant(self, params: Mapping[str, Any]) -> None:
        """Plant a nucleus near the middle (within 15% of the frame's centre), veiled.

        The rule needs the whole seed at once (a seed faded in gradually is eaten by
        narrow growth functions), so the state gets it at once while the *picture*
        reveals that spot over ``VEIL_SECONDS``: the audience sees life appear, never
        a blob of noise pop in.
        """
        patch = self.engine.nucleus(self.rng, params)
        size = patch.shape[0]
        patch = patch * seeds.soft_disc(size, 0.35, 0.45)  # nothing outside the veil
        y0, x0 = self._empty_spot(size)
        self.engine.nucleate(self.xp.asarray(patch), y0, x0, 1.0)
        self._veils.append(Veil(y0, x0, size, self.sim_time))
        self.vitals.nuclei += 1

    def _empty_spot(self, size: int) -> tuple[int, int]:
        """The corner of a window near the middle with the least life in it (of a few
        random candidates), so a nucleus never lands on living structures."""
        n, field = self.world, self.engine.measured()
        best, best_mass = (0, 0), float("inf")
        for _ in range(6):
            cy, cx = (0.5 + self.rng.uniform(-0.2, 0.2, 2)) * field.shape[0]
            y0 = int(cy) - size // 2 * field.shape[0] // n
            x0 = int(cx) - size // 2 * field.shape[0] // n
            step = max(1, size * field.shape[0] // n)
            window = field[max(0, y0) : y0 + step, max(0, x0) : x0 + step]
            mass = float(window.sum())  # one small reduction per candidate (only on planting)
            if mass < best_mass:
                best, best_mass = (y0 * n // field.shape[0], x0 * n // field.shape[0]), mass
        return best

    def _veiled(self, density: Any) -> Any:
        """``density`` with fresh nuclei faded (a copy; the state is untouched)."""
        self._veils = [v for v in self._veils if self.sim_time - v.born < VEIL_SECONDS]
        if not self._veils:
            return density
        xp = self.xp
        out = density.copy()
        for veil in self._veils:
            shown = min(1.0, max(0.0, (self.sim_time - veil.born) / VEIL_SECONDS))
            mask = self._veil_mask(veil.size)
            hide = (1.0 - shown * shown * (3 - 2 * shown)) * mask

            def fade(window: Any, part: Any, hide: Any = hide) -> None:
                window *= 1.0 - part

            for_wrapped(out, hide, veil.y0, veil.x0, fade)
        return xp.clip(out, 0.0, 1.0)

    def _veil_mask(self, size: int) -> Any:
        mask = self._masks.get(size)
        if mask is None:
            mask = self.xp.asarray(seeds.soft_disc(size, 0.45, 0.5))
            self._masks[size] = mask
        return mask

    # --- the picture ----------------------------------------------------------------------
    def render(self, params: Mapping[str, Any], width: int, height: int) -> Picture:
        density = self._veiled(self.engine.density())
        return self.colour.render(density, params, width, height, self.hue_phase)

    def close(self) -> None:
        """Forget a pending kernel build (the worker finishes it and drops the result)."""
        self._pending = None
