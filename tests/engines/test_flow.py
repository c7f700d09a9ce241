"""Flows: combined once, relative to the frame, truly periodic, barely diffusive."""

from __future__ import annotations

import numpy as np
import pytest

from engines import numpy_backend
from engines.flow import FLOWS, Flow, strengths, velocity


def blob(n: int, cy: float, cx: float, r: float = 0.06) -> np.ndarray:
    y, x = (np.indices((n, n)) + 0.5) / n
    return np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r)).astype(np.float32) * 0.8


def centroid(field: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(field.shape)
    return float((ys * field).sum() / field.sum()), float((xs * field).sum() / field.sum())


def flow(n: int, **strengths: float) -> Flow:
    f = Flow(numpy_backend(), n)
    f.set({f"flow.{k}": v for k, v in strengths.items()})
    return f


def test_no_flow_is_a_no_op_and_rebuilds_only_on_change():
    f = flow(64)
    field = blob(64, 0.5, 0.5)
    before = field.copy()
    f.advect([field])
    assert np.array_equal(field, before) and not f.active
    f.set({"flow.swirl": 0.5})
    f.set({"flow.swirl": 0.5})
    assert f.rebuilds == 1 and f.active


@pytest.mark.parametrize("n", [64, 128])
def test_vertical_drift_moves_the_same_fraction_of_the_frame_at_any_size(n):
    f = flow(n, vertical=1.0)
    field = blob(n, 0.4, 0.5)
    y0, x0 = centroid(field)
    for _ in range(20):
        f.advect([field])
    y1, x1 = centroid(field)
    # 0.8 cells of a 512 world per step: 20 steps = 16/512 of the frame, downwards
    assert (y1 - y0) / n == pytest.approx(16 / 512, rel=0.05)
    assert abs(x1 - x0) < 0.01 * n


def test_advection_wraps_periodically():
    n = 64
    f = flow(n, vertical=1.0)
    field = blob(n, 0.96, 0.5)
    mass = field.sum()
    for _ in range(40):
        f.advect([field])
    assert field[:10].sum() > 0.3 * mass  # came back in at the top
    assert field.sum() == pytest.approx(mass, rel=0.01)


def test_advection_barely_blurs():
    """Half a cell per step for 60 steps: bilinear alone would spread the blob a lot."""
    n = 128
    f = flow(n, vertical=0.5 / (0.8 * n / 512))  # half a cell per step
    field = blob(n, 0.3, 0.5, r=0.02)
    peak = field.max()
    for _ in range(60):
        f.advect([field])
    assert field.max() > 0.9 * peak


def test_rotation_is_clockwise_on_screen():
    vy, vx = velocity(np, 64, (0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    # right of the centre moves down, left moves up (rows grow downwards)
    assert vy[32, 60] > 0 and vy[32, 4] < 0 and abs(vx[32, 60]) < 0.02 * vy[32, 60]


@pytest.mark.parametrize("name", FLOWS)
def test_every_field_is_finite_and_bounded(name):
    strengths = tuple(1.0 if k == name else 0.0 for k in FLOWS)
    vy, vx = velocity(np, 64, strengths)
    speed = np.sqrt(vy**2 + vx**2)
    assert np.isfinite(speed).all() and speed.max() <= 0.8 * 64 / 512 * 1.5 + 1e-6
    assert speed.max() > 0


def test_a_changed_strength_rebuilds_the_field_in_the_same_buffers():
    """Regulation and breathing move the strengths a little every step: each change sums
    the unit fields again into the field's own arrays (no allocation per step), and the
    result is the freshly built field."""
    n = 64
    f = Flow(numpy_backend(), n, 0.5)
    first = {f"flow.{k}": 0.1 * (i + 1) for i, k in enumerate(FLOWS)}
    f.set(first)
    vy, vx, out = f._vy, f._vx, f._out
    second = {**first, "flow.rotate": -0.4, "flow.radial": 0.25}
    f.set(second)
    assert f.rebuilds == 2 and f._vy is vy and f._vx is vx and f._out is out
    want_vy, want_vx = velocity(np, n, strengths(second))
    np.testing.assert_array_equal(f._vy, want_vy)
    np.testing.assert_array_equal(f._vx, want_vx)
