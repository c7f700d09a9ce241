"""Periodic convolution by FFT: one forward transform of the state, k inverse ones.

A kernel spectrum stack ``(k, N, N//2+1)`` (complex64) is multiplied by the state's
spectrum and transformed back to ``k`` potential fields. On CuPy the product and the
inverse transform are batched (one multiply kernel, one batched cuFFT C2R; cuFFT plans
are cached by CuPy per shape). On the CPU ``scipy.fft`` with worker threads runs the
transforms (3-5x faster than ``numpy.fft`` here, see pyproject.toml); the inverse
transforms run one kernel at a time, which measured faster than SciPy's batched call.

Everything stays float32/complex64: SciPy and CuPy keep single precision for
single-precision input, and the stacks are built as complex64.

On the GPU the per-step transforms run through cuFFT plans made once per shape
(:class:`_CufftPlans`) and executed directly, into buffers that live as long as the world:
``cupy.fft`` spends most of a 1024² Lenia step in Python (plan-cache look-ups, shape
checks, allocations), not on the device. The plans check themselves against ``cupy.fft``
on random data when made; if anything disagrees or fails, ``cupy.fft`` stays in use and
:attr:`Spectral.gpu_path` says why.
"""

from __future__ import annotations

import os
from typing import Any

from engines.xp import Backend


def cpu_workers() -> int:
    """Worker threads for CPU transforms: the cores we have, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


class Spectral:
    """FFT helpers for one ``n x n`` periodic world."""

    def __init__(self, backend: Backend, n: int, workers: int | None = None) -> None:
        self.backend = backend
        self.xp = backend.xp
        self.n = int(n)
        self.workers = cpu_workers() if workers is None else max(1, int(workers))
        self.gpu_path = ""
        """On CuPy: ``cufft plans`` when the direct plans run, else why ``cupy.fft`` does."""
        self._plans: _CufftPlans | None = None
        if backend.is_gpu:
            import cupy.fft

            self._fft: Any = cupy.fft
            self._plans, self.gpu_path = _CufftPlans.make(self.n)
        else:
            import scipy.fft

            self._fft = scipy.fft

    @property
    def half(self) -> int:
        """Columns of a half spectrum (real-input transforms)."""
        return self.n // 2 + 1

    def forward(self, a: Any) -> Any:
        """``rfft2`` of a real ``(..., n, n)`` float32 array -> complex64."""
        if self._plans is not None and a.ndim == 2 and a.flags.c_contiguous:
            return self._plans.forward(a)
        if self.backend.is_gpu:
            return self._fft.rfft2(a)
        return self._fft.rfft2(a, workers=self.workers)

    def inverse(self, spectrum: Any) -> Any:
        """``irfft2`` of ``(..., n, n//2+1)`` complex64 -> float32 ``(..., n, n)``.

        The input may be overwritten (cuFFT's C2R transforms do that).
        """
        shape = (self.n, self.n)
        if self.backend.is_gpu:
            return self._fft.irfft2(spectrum, s=shape)
        return self._fft.irfft2(spectrum, s=shape, workers=self.workers, overwrite_x=True)

    def buffer(self, k: int) -> Any:
        """Room for :meth:`convolve`'s results with up to ``k`` kernels, for the caller to
        keep: a ``(k, n, n)`` float32 array on the GPU (the direct plans write into it),
        None on the CPU (SciPy returns arrays of its own)."""
        if not self.backend.is_gpu:
            return None
        return self.xp.empty((k, self.n, self.n), dtype=self.xp.float32)

    def convolve(self, spectrum: Any, kernels: Any, out: Any = None) -> Any:
        """``irfft2(spectrum * kernels[i])`` for every kernel: ``result[i]`` is the i-th.

        On the GPU a ``(k, n, n)`` array: the first ``k`` of ``out`` (a :meth:`buffer`)
        through the direct plans, else the batched inverse transform's own result (from
        CuPy's memory pool). On the CPU a list of the transforms' own arrays: SciPy cannot
        write into a buffer, and copying each result into one cost 0.7 ms per kernel at
        1024.
        """
        xp = self.xp
        plans = self._plans
        k = kernels.shape[0]
        if plans is not None and out is not None and out.shape[0] >= k:
            return plans.convolve(spectrum, kernels, out[:k])  # a buffer's rows are contiguous
        if self.backend.is_gpu:
            product = spectrum[None] * kernels  # one multiply for the whole stack
            return self.inverse(product)  # one batched C2R transform
        scratch = xp.empty_like(spectrum)
        results = []
        for i in range(k):
            xp.multiply(spectrum, kernels[i], out=scratch)
            results.append(self.inverse(scratch))  # overwrites scratch, which is free
        return results

    def spectra(self, fields: Any) -> Any:
        """Kernel spectra of real ``(k, n, n)`` kernels, as one complex64 stack."""
        return self.forward(fields).astype(self.xp.complex64, copy=False)

    def frequencies(self) -> tuple[Any, Any]:
        """Angular frequencies (rows ``(n, 1)``, columns ``(1, n//2+1)``) of a half spectrum."""
        xp = self.xp
        two_pi = 2.0 * 3.141592653589793
        rows = xp.fft.fftfreq(self.n).astype(xp.float32)[:, None] * two_pi
        cols = xp.fft.rfftfreq(self.n).astype(xp.float32)[None, :] * two_pi
        return rows, cols

    def gaussian(self, sigma_cells: float) -> Any:
        """The half spectrum of a unit-mass Gaussian blur of ``sigma_cells`` (no FFT needed)."""
        xp = self.xp
        ky, kx = self.frequencies()
        g = xp.exp(-0.5 * float(sigma_cells) ** 2 * (ky * ky + kx * kx))
        return g.astype(xp.complex64)


_SCALED_PRODUCT = None


class _CufftPlans:
    """Direct cuFFT plans for one ``n x n`` world (R2C forward, batched C2R inverse)."""

    def __init__(self, n: int) -> None:
        from cupy.cuda import cufft

        self.n = n
        self.half = n // 2 + 1
        self._cufft = cufft
        self._forward = self._plan(cufft.CUFFT_R2C, 1)
        self._inverse: dict[int, Any] = {}
        self._products: dict[int, Any] = {}

    def _plan(self, fft_type: int, batch: int) -> Any:
        n, half = self.n, self.half
        return self._cufft.PlanNd(
            [n, n], None, 1, n * n, None, 1, n * half, fft_type, batch, "C", 1, half
        )

    @classmethod
    def make(cls, n: int) -> tuple[_CufftPlans | None, str]:
        """Plans that agree with ``cupy.fft`` on random data, or (None, why not)."""
        try:
            import cupy

            plans = cls(n)
            rng = cupy.random.default_rng(12345)
            a = rng.random((n, n), dtype=cupy.float32)
            ref = cupy.fft.rfft2(a)
            got = plans.forward(a)
            kernels = (rng.random((2, n, plans.half), dtype=cupy.float32) + 0j).astype(
                cupy.complex64
            )
            back = cupy.fft.irfft2(ref[None] * kernels, s=(n, n))
            out = cupy.empty((2, n, n), dtype=cupy.float32)
            plans.convolve(got, kernels, out)
            errors = [
                float(cupy.linalg.norm(x - y) / cupy.linalg.norm(y))
                for x, y in ((got, ref), (out, back))
            ]
        except Exception as exc:  # an older CuPy, a cuFFT refusal: cupy.fft still works
            return None, f"cupy.fft (direct cuFFT plans failed: {type(exc).__name__}: {exc})"
        if max(errors) > 1e-4:
            return None, f"cupy.fft (direct cuFFT plans disagree: relative error {max(errors):.2g})"
        return plans, "cufft plans"

    def forward(self, a: Any) -> Any:
        """``rfft2`` of one C-contiguous ``(n, n)`` float32 field (a fresh array)."""
        import cupy

        out = cupy.empty((self.n, self.half), dtype=cupy.complex64)
        self._forward.fft(a, out, self._cufft.CUFFT_FORWARD)
        return out

    def convolve(self, spectrum: Any, kernels: Any, out: Any) -> Any:
        """``irfft2(spectrum * kernels[i])`` into ``out`` (one fused multiply-and-normalise
        kernel, one batched C2R transform; no allocation once warm)."""
        import cupy

        global _SCALED_PRODUCT
        if _SCALED_PRODUCT is None:
            _SCALED_PRODUCT = cupy.ElementwiseKernel(
                "complex64 s, complex64 k, float32 scale",
                "complex64 p",
                "p = s * k * scale",
                "perform_scaled_product",
            )
        batch = int(kernels.shape[0])
        product = self._products.get(batch)
        if product is None:
            product = self._products[batch] = cupy.empty(
                (batch, self.n, self.half), dtype=cupy.complex64
            )
            self._inverse[batch] = self._plan(self._cufft.CUFFT_C2R, batch)
        _SCALED_PRODUCT(spectrum, kernels, cupy.float32(1.0 / (self.n * self.n)), product)
        self._inverse[batch].fft(product, out, self._cufft.CUFFT_INVERSE)  # overwrites product
        return out
