"""Kernels: centred on the origin (the prototype's off-by-one), unit mass, periodic,
relative to the frame."""

from __future__ import annotations

import numpy as np
import pytest

from engines import kernels, numpy_backend
from engines.fft import Spectral

N = 64


def convolve(kernel: np.ndarray, field: np.ndarray) -> np.ndarray:
    fft = Spectral(numpy_backend(), field.shape[0])
    return fft.convolve(fft.forward(field), fft.spectra(kernel[None]))[0]


def centroid(field: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(field.shape)
    total = field.sum()
    return float((ys * field).sum() / total), float((xs * field).sum() / total)


KERNELS = {
    "lenia one ring": lambda: kernels.lenia(np, N, 40.0, [0.5], [0.15]),
    "lenia three rings": lambda: kernels.lenia(
        np, N, 48.0, [0.3, 0.6, 0.9], [0.15, 0.12, 0.1], [1.0, 0.5, 0.8]
    ),
    "smoothlife disc": lambda: kernels.disc(np, N, 30.0),
    "smoothlife annulus": lambda: kernels.annulus(np, N, 30.0, 90.0),
    "mnca ring": lambda: kernels.annulus(np, N, 40.0, 80.0),
}


@pytest.mark.parametrize("name", list(KERNELS))
def test_delta_response_is_centred_on_the_delta(name):
    kernel = KERNELS[name]()
    assert kernel.dtype == np.float32
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    delta = np.zeros((N, N), np.float32)
    delta[32, 32] = 1.0
    response = convolve(kernel, delta)
    cy, cx = centroid(np.clip(response, 0, None))
    # The prototype's rolled kernels came out one cell off, at (31, 31).
    assert cy == pytest.approx(32.0, abs=1e-3) and cx == pytest.approx(32.0, abs=1e-3)
    # and symmetric: mirrored about the delta
    np.testing.assert_allclose(response[32, 20:32], response[32, 33:45][::-1], atol=1e-6)


@pytest.mark.parametrize("name", list(KERNELS))
def test_convolution_wraps_around_the_torus(name):
    kernel = KERNELS[name]()
    delta = np.zeros((N, N), np.float32)
    delta[0, 0] = 1.0
    response = convolve(kernel, delta)
    # mass that leaves one edge comes back on the other: nothing is lost
    assert response.sum() == pytest.approx(1.0, abs=1e-4)
    assert response[-3:, :].sum() > 0.01 and response[:, -3:].sum() > 0.01
    np.testing.assert_allclose(response[1:8, 0], response[-7:, 0][::-1], atol=1e-6)


def test_radii_are_relative_to_the_frame():
    """The same radius in reference cells covers the same fraction of any world."""

    def reach(n: int) -> float:
        k = kernels.lenia(np, n, 20.0, [0.5], [0.15])
        r = kernels.torus_radius(np, n)
        return float((k * r).sum() / n)  # mean radius as a fraction of the frame

    assert reach(128) == pytest.approx(reach(256), rel=0.03)
    assert reach(256) == pytest.approx(reach(512), rel=0.01)


def test_gaussian_spectrum_has_unit_mass():
    fft = Spectral(numpy_backend(), N)
    g = fft.gaussian(2.0)
    assert g.dtype == np.complex64 and g[0, 0] == pytest.approx(1.0)
    blurred = fft.inverse(fft.forward(np.ones((N, N), np.float32)) * g)
    np.testing.assert_allclose(blurred, 1.0, atol=1e-5)
