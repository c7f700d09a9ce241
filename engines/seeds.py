"""Initial worlds and nuclei, drawn on the host from a seeded generator.

Seeds are made with NumPy's ``Generator`` on the host and uploaded once, so the same
seed gives the same world on NumPy and on CuPy (that is what lets a test compare the
two backends statistically). Every size and position is a fraction of the frame, so a
seed looks the same at 256, 512 and 1024 cells.

This module and ``engines/rng.py``-style helpers are the only engine code that uses
NumPy directly: what they build is host data, copied to the device by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

SEED_KINDS = ("blobs", "random", "ring", "dense", "sparse", "center", "soup")


@dataclass(frozen=True, slots=True)
class SeedSpec:
    """How a preset's world starts: a kind, a density (0..1) and a size (fraction of frame)."""

    kind: str = "blobs"
    density: float = 0.5
    size: float = 0.0
    """0 means the kind's own default size."""


def numpy_rng(seed: int) -> numpy.random.Generator:
    """The host generator every seed is drawn from."""
    return numpy.random.default_rng(seed)


def _grid(n: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Cell-centre coordinates in frame units (0..1), as ``(rows, cols)`` broadcastable."""
    c = (numpy.arange(n, dtype=numpy.float32) + 0.5) / n
    return c[:, None], c[None, :]


def _centred_radius(n: int) -> numpy.ndarray:
    y, x = _grid(n)
    return numpy.sqrt((y - 0.5) ** 2 + (x - 0.5) ** 2).astype(numpy.float32)


def soft_disc(n: int, inner: float, outer: float) -> numpy.ndarray:
    """1 inside ``inner``, 0 beyond ``outer`` (fractions of the patch), smooth between."""
    y, x = _grid(n)
    r = numpy.sqrt((y - 0.5) ** 2 + (x - 0.5) ** 2)
    s = numpy.clip((outer - r) / max(outer - inner, 1e-3), 0.0, 1.0)
    return (s * s * (3 - 2 * s)).astype(numpy.float32)


def gaussian_blob(n: int, cy: float, cx: float, radius: float) -> numpy.ndarray:
    """A unit-height Gaussian (sigma = radius / 2.2) at (cy, cx), frame units, wrapped."""
    y, x = _grid(n)
    dy = (y - cy + 0.5) % 1.0 - 0.5
    dx = (x - cx + 0.5) % 1.0 - 0.5
    sigma = max(radius / 2.2, 0.5 / n)
    return numpy.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma)).astype(numpy.float32)


def blobs(
    rng: numpy.random.Generator,
    n: int,
    *,
    count: int = 8,
    radius: float = 0.10,
    scatter: float = 0.20,
    density: float = 0.5,
) -> numpy.ndarray:
    """Soft blobs around the centre with multiplicative noise inside (Lenia, MNCA)."""
    world = numpy.zeros((n, n), numpy.float32)
    for _ in range(count):
        r = radius * rng.uniform(0.4, 2.0)
        cy, cx = 0.5 + rng.normal(0, scatter, 2).clip(-0.35, 0.35)
        numpy.maximum(world, gaussian_blob(n, cy, cx, r) * (0.5 + 0.5 * density), out=world)
    world *= rng.uniform(0.6, 1.0, (n, n)).astype(numpy.float32)
    return world


def discs(
    rng: numpy.random.Generator,
    n: int,
    *,
    count: int = 10,
    radius: float = 0.12,
    scatter: float = 0.12,
) -> numpy.ndarray:
    """Near-binary filled discs with a soft rim, combined by max (SmoothLife).

    Radii are log-uniform between 25% and 250% of ``radius`` (the prototype used
    2.5 x the outer neighbourhood radius), so some discs are big enough to live.
    """
    world = numpy.zeros((n, n), numpy.float32)
    y, x = _grid(n)
    rim = 4.0 / 512
    for _ in range(count):
        r = radius * float(numpy.exp(rng.uniform(numpy.log(0.25), numpy.log(2.5))))
        cy, cx = 0.5 + rng.normal(0, scatter, 2).clip(-0.3, 0.3)
        d = numpy.sqrt((y - cy) ** 2 + (x - cx) ** 2)
        disc = numpy.clip((r - d) / rim + 0.5, 0.0, 1.0) * rng.uniform(0.75, 0.95)
        numpy.maximum(world, disc.astype(numpy.float32), out=world)
    return world


def filled_disc(n: int, radius: float) -> numpy.ndarray:
    """A filled disc of ``radius`` (fraction of the ``n``-cell patch) with a soft rim."""
    y, x = _grid(n)
    d = numpy.sqrt((y - 0.5) ** 2 + (x - 0.5) ** 2)
    return numpy.clip((radius - d) * n / 2.0 + 0.5, 0.0, 1.0).astype(numpy.float32)


def noise_disc(
    rng: numpy.random.Generator,
    n: int,
    *,
    radius: float = 0.25,
    density: float = 0.5,
    binary: bool = False,
    edge_power: int = 2,
) -> numpy.ndarray:
    """Random cells inside a soft disc (the prototype's ``random`` and ``dense`` seeds)."""
    r = _centred_radius(n)
    envelope = numpy.exp(-((r / max(radius, 1e-3)) ** edge_power)).astype(numpy.float32)
    values = rng.random((n, n), dtype=numpy.float32)
    if binary:
        alive = values < density
        world = numpy.where(alive, rng.uniform(0.7, 1.0, (n, n)), 0.0).astype(numpy.float32)
    else:
        world = numpy.where(values < density, values / max(density, 1e-3), 0.0)
        world = world.astype(numpy.float32)
    return (world * envelope).astype(numpy.float32)


def sparse_disc(
    rng: numpy.random.Generator,
    n: int,
    *,
    radius: float = 0.15,
    keep: float = 0.45,
    grain: int = 1,
) -> numpy.ndarray:
    """The prototype's Gray-Scott ``dense`` seed: the top ``keep`` of uniform noise (values
    kept as they are) inside a super-Gaussian disc of ``radius`` (fraction of the frame).

    ``grain`` cells share one noise value (squares of ``grain`` x ``grain``): a world whose
    pattern is ``grain`` times its reference size in cells gets the same noise relative to
    the pattern, instead of one so fine that the scaled diffusion smooths it away."""
    grain = max(1, int(grain))
    coarse = -(-n // grain)
    values = rng.random((coarse, coarse), dtype=numpy.float32)
    if grain > 1:
        values = numpy.repeat(numpy.repeat(values, grain, 0), grain, 1)[:n, :n]
    kept = numpy.where(values > 1.0 - keep, values, 0.0)
    edge = numpy.exp(-((_centred_radius(n) / max(radius, 1e-3)) ** 6))
    return (kept * edge).astype(numpy.float32)


def ring(rng: numpy.random.Generator, n: int, *, radius: float = 0.2) -> numpy.ndarray:
    """A Gaussian ring with noise on it."""
    r = _centred_radius(n)
    width = 0.04
    base = numpy.exp(-0.5 * ((r - radius) / width) ** 2).astype(numpy.float32)
    return (base * rng.uniform(0.5, 1.0, (n, n))).astype(numpy.float32)


def sparse(rng: numpy.random.Generator, n: int, *, count: int = 12) -> numpy.ndarray:
    world = numpy.zeros((n, n), numpy.float32)
    for _ in range(count):
        cy, cx = 0.5 + rng.uniform(-0.3, 0.3, 2)
        numpy.maximum(world, gaussian_blob(n, cy, cx, 0.03), out=world)
    return world


def soup(
    rng: numpy.random.Generator, n: int, *, density: float = 0.3, radius: float = 0.0
) -> numpy.ndarray:
    """Binary random cells (discrete engines), over the whole world or inside a disc."""
    alive = rng.random((n, n), dtype=numpy.float32) < density
    if radius > 0:
        alive &= _centred_radius(n) < radius
    return alive.astype(numpy.float32)


def center(n: int, *, radius: float = 0.02) -> numpy.ndarray:
    """A small filled square at the centre (discrete engines)."""
    world = numpy.zeros((n, n), numpy.float32)
    half = max(1, int(radius * n))
    world[n // 2 - half : n // 2 + half, n // 2 - half : n // 2 + half] = 1.0
    return world


def pinwheel(
    rng: numpy.random.Generator, shape: tuple[int, int], low: int, high: int
) -> numpy.ndarray:
    """States ``low..high-1`` wound once around the patch's centre (a random turn and
    sense): the phase singularity a discrete wave medium turns into a spiral."""
    h, w = shape
    y, x = numpy.mgrid[0:h, 0:w].astype(numpy.float64)
    turn = numpy.arctan2(y - (h - 1) / 2, x - (w - 1) / 2) / (2 * numpy.pi)
    sense = 1.0 if rng.random() < 0.5 else -1.0
    turn = (sense * turn + rng.random()) % 1.0
    return (low + numpy.floor(turn * (high - low))).astype(numpy.float32)
