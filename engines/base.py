"""The Engine contract and the plain-data parameter declarations engines offer.

An engine owns its state arrays (allocated once through ``backend.xp``, stable shapes,
float32) and exposes three operations:

* ``reset(seed)`` seeds the world reproducibly;
* ``step(params, dt)`` advances the simulation by one step, reading its parameters from
  a flat mapping of dotted names (``"gray_scott.feed"``, ``"color.hue"``);
* ``render(params, width, height)`` returns an ``(height, width, 3)`` uint8 array on the
  engine's device, already at the stream size.

Engines never import the app (``perform``), a UI, or an I/O library. They declare their
parameters as :class:`ParamDecl` data; the app turns those into its own ``ParamSpec``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from engines.xp import Backend

Kind = Literal["continuous", "enum", "trigger", "text"]
Role = Literal["safe", "rule", "structural"]

#: Default slew (seconds) per role: safe params follow a fader almost at once, rule
#: parameters glide so the organism survives, structural ones rebuild between steps.
ROLE_SMOOTHING: dict[Role, float] = {"safe": 0.08, "rule": 2.0, "structural": 0.0}


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

    @property
    def slew(self) -> float:
        return ROLE_SMOOTHING[self.role] if self.smoothing is None else self.smoothing


class Engine(ABC):
    """Base class of every CA engine."""

    name: ClassVar[str]
    """Registry key and parameter prefix (``gray_scott``)."""
    title: ClassVar[str]
    params: ClassVar[tuple[ParamDecl, ...]] = ()

    def __init__(self, backend: Backend, world: int, seed: int = 0) -> None:
        self.backend = backend
        self.xp = backend.xp
        self.world = int(world)
        self.seed = int(seed)
        self.generation = 0

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    @abstractmethod
    def reset(self, seed: int | None = None) -> None:
        """Seed the world (same seed, same world)."""

    @abstractmethod
    def step(self, params: Mapping[str, Any], dt: float) -> None:
        """Advance one simulation step."""

    @abstractmethod
    def render(self, params: Mapping[str, Any], width: int, height: int) -> Any:
        """An ``(height, width, 3)`` uint8 frame on the engine's device."""

    def coverage(self) -> float:
        """Fraction of the world that is alive (cheap diagnostics; may sync the device)."""
        return 0.0
