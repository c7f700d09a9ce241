"""Backend choice: numpy when asked or when CuPy cannot run, with a one-line reason."""

from __future__ import annotations

import numpy
import pytest

from engines.xp import _cupy_problem, select_backend


def test_numpy_when_asked():
    backend = select_backend("numpy")
    assert backend.xp is numpy and backend.name == "numpy" and "asked" in backend.reason


def test_auto_explains_itself():
    backend = select_backend("auto")
    assert backend.reason and "\n" not in backend.reason
    if backend.name == "numpy":
        assert backend.reason.startswith("numpy: ")


def test_cupy_asked_without_a_gpu_falls_back_with_the_reason():
    module, problem = _cupy_problem()
    if module is not None:
        pytest.skip("a working CUDA device is present")
    backend = select_backend("cupy")
    assert (
        backend.name == "numpy"
        and "cupy was asked for" in backend.reason
        and problem in backend.reason
    )


def test_to_host_is_a_no_op_on_numpy():
    backend = select_backend("numpy")
    array = numpy.zeros((4, 4, 3), numpy.uint8)
    assert backend.to_host(array) is array
