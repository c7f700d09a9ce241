"""From the square world to the stream's frame: crop to the target aspect, never squash."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy


@lru_cache(maxsize=16)
def _fit_indices(world: int, width: int, height: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Row and column indices that cover ``width x height`` from a centred world crop."""
    scale = max(width, height) / world  # cover: the world fills the frame, edges cropped
    rows = (numpy.arange(height) + 0.5) / scale + (world - height / scale) / 2
    cols = (numpy.arange(width) + 0.5) / scale + (world - width / scale) / 2
    r = numpy.clip(rows.astype(numpy.intp), 0, world - 1)
    c = numpy.clip(cols.astype(numpy.intp), 0, world - 1)
    return r, c


def fit(xp: Any, image: Any, width: int, height: int) -> Any:
    """Sample a square ``(N, N, ...)`` image to ``(height, width, ...)`` keeping its aspect."""
    world = image.shape[0]
    if image.shape[0] == height and image.shape[1] == width:
        return image
    r, c = _fit_indices(world, width, height)
    return image[xp.asarray(r)[:, None], xp.asarray(c)[None, :]]
