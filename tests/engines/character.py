"""Cheap, honest measures of a preset's character on its RGB frames (issue 15).

* :func:`coherence`: how much of the picture's structure is *oriented* (stripes, tubes)
  rather than round (dots, beads): the structure tensor's coherence
  ``sqrt((Jxx - Jyy)^2 + 4 Jxy^2) / (Jxx + Jyy)``, energy-weighted over the frame, with
  the tensor averaged over a window a few pattern wavelengths wide. A field of dots
  averages to a low value (every direction at once), parallel stripes to nearly 1.
* :func:`ring_fill`: the lit share of the annulus that the lit pixels occupy: a maze ring
  is about half lit (stripes and gaps), a solid band nearly all.
* :func:`cell_share`: how much of the dark is closed *cells*: the share of the unlit
  pixels that lie in dark regions of a cell's size not touching the frame's edge. A
  honeycomb's walls close every dark cell (most of the dark), a lattice of dots or
  beads leaves one dark sea between them (almost none).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from perform.bench.liveness import LIT_Y, luminance


def coherence(rgb: np.ndarray, window: float, blur: float = 0.0) -> float:
    """Energy-weighted structure-tensor coherence of the frame's luminance (0 to 1);
    ``window`` is the Gaussian sigma of the tensor average, ``blur`` a Gaussian taken
    first (to see the pattern, not its colour rims), both in pixels."""
    y = luminance(rgb).astype(np.float64)
    if blur > 0:
        y = ndimage.gaussian_filter(y, blur)
    gy, gx = np.gradient(y)
    jxx = ndimage.gaussian_filter(gx * gx, window)
    jyy = ndimage.gaussian_filter(gy * gy, window)
    jxy = ndimage.gaussian_filter(gx * gy, window)
    oriented = np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy)
    energy = jxx + jyy
    return float(oriented.sum() / max(energy.sum(), 1e-9))


def ring_fill(rgb: np.ndarray) -> float:
    """Bright share of the annulus between the 10th and 90th percentile radius of the lit
    pixels (radius from the frame's centre): pixels at least half as bright as the
    band's 90th percentile. The glow lights a maze's gaps a little, so *lit* (Y > 16)
    would not tell a maze from a solid band; half the band's brightness does, measured
    as the brightest channel (a rainbow's hues differ in luminance, not in that)."""
    lit = luminance(rgb) > LIT_Y
    y = rgb[..., :3].max(axis=-1).astype(np.float32)
    h, w = lit.shape
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2)
    if not lit.any():
        return 0.0
    lo, hi = np.percentile(r[lit], [10, 90])
    band = y[(r >= lo) & (r <= hi)]
    return float((band >= 0.5 * np.percentile(band, 90)).mean())


def cell_share(rgb: np.ndarray, smallest: float, largest: float) -> float:
    """Share of the unlit pixels (Y <= 16) in 4-connected dark regions of ``smallest`` to
    ``largest`` pixels that do not touch the frame's edge."""
    dark = luminance(rgb) <= LIT_Y
    total = int(dark.sum())
    if total == 0:
        return 0.0
    labels, count = ndimage.label(dark)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    cells = (sizes >= smallest) & (sizes <= largest)
    cells[0] = False  # the lit pixels
    cells[edge] = False
    return float(sizes[cells].sum() / total)
