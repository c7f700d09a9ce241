"""`perform bench gpu` says why when there is no GPU, and measures every phase it names
(figures are not asserted; the bench reports them)."""

from __future__ import annotations

import argparse

import pytest

from engines.xp import _cupy_problem
from perform.bench import gpu

_CUPY, _PROBLEM = _cupy_problem()


@pytest.mark.skipif(_CUPY is not None, reason="a GPU works here: the suite measures instead")
def test_without_a_gpu_the_suite_prints_one_row_with_the_reason():
    (row,) = gpu.run(argparse.Namespace(quick=True))
    assert row.name == "no GPU" and row.note == _PROBLEM and not row.metrics


def test_a_case_measures_the_rule_the_frame_and_each_phase():
    result = gpu.measure("coral", 64, seconds=0.05, graph=False)
    for key in ("steps_per_s", "frames_per_s", "step_ms", "regulate_ms", "render_ms"):
        assert result.metrics[key] > 0, key
    assert result.params == {"engine": "lenia", "world": 64}
