"""Fused multiply-add, ``a * b + c`` rounded once, as PyTorch's CPU kernels compute it.

PyTorch's kernels for ``add``/``sub`` with ``alpha``, ``addcmul`` and ``lerp`` (and the
optimizers' steps made of them) are built with FMA instructions: one rounding where NumPy's
``c + a * b`` rounds twice, which changes the last bit of about a fifth of the elements.
NumPy has no FMA ufunc, so it is emulated:

* float32: the product of two float32 numbers is exact in float64; the float64 sum rounded to
  float32 is the correctly rounded result but in the rare double-rounding ties (about one
  element in 2**29).
* float64: Dekker's error-free product and Knuth's error-free sum; the sum of the two error
  terms is added to the rounded sum. Infinite and NaN results, and products too large to
  split, take the plain ``a * b + c``.

Other dtypes (half, integers, complex) get the plain ``a * b + c``.

The common form ``y + alpha * x`` (a number times a contiguous array) goes to the BLAS that
NumPy bundles: OpenBLAS's ``axpy`` kernels are FMA loops, several times quicker than NumPy's
two passes. It is used only after a self-test shows it rounds once on this machine.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from .._runtime import quiet
from ._blas import _state as _blas_state
from ._blas import cblas, fit_threads

__all__ = ["fma", "fma_dtype", "axpy"]

_f32 = np.dtype(np.float32)
_f64 = np.dtype(np.float64)
_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitter


def fma_dtype(dtype: Any) -> bool:
    """Whether ``fma`` emulates one rounding for arrays of ``dtype`` (float32, float64)."""
    return dtype == _f32 or dtype == _f64


_CHUNK = 8192  # OpenBLAS runs an axpy of up to 10000 elements on the calling thread
_blas: dict = {}


def _load_axpy(dtype: np.dtype) -> Any:
    """``?axpy(n, alpha, x, incx, y, incy)`` of NumPy's bundled BLAS, or None."""
    ctype = ctypes.c_float if dtype == _f32 else ctypes.c_double
    return cblas("saxpy" if dtype == _f32 else "daxpy",
                 lambda i: [i, ctype, ctypes.c_void_p, i, ctypes.c_void_p, i])


def _checked_axpy(dtype: np.dtype) -> Any:
    """The BLAS ``axpy`` for ``dtype`` if it rounds once (checked against the emulation)."""
    if dtype not in _blas:
        _blas[dtype] = None
        if dtype != _f32 and dtype != _f64:
            return None
        try:
            fn = _load_axpy(dtype)
            if fn is not None:
                rng = np.random.default_rng(12345)
                for n in (1, 7, 19, 100, 1000):  # vector bodies and scalar tails
                    x = rng.standard_normal(n).astype(dtype)
                    y = rng.standard_normal(n).astype(dtype)
                    want = _emulated(x, dtype.type(0.3), y, dtype)
                    fn(n, 0.3, x.ctypes.data, 1, y.ctypes.data, 1)
                    if not np.array_equal(y, want):
                        fn = None
                        break
            _blas[dtype] = fn
        except Exception:  # no usable BLAS: the emulation
            _blas[dtype] = None
    return _blas[dtype]


def _address(a: np.ndarray) -> int:
    """The address of ``a``'s first element (``from_buffer`` is the quicker way in)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError, BufferError):  # read-only or empty
        return a.ctypes.data


def axpy(y: Any, alpha: Any, x: Any) -> bool:
    """``y += alpha * x`` in place with one rounding through BLAS; False where it can't.

    Both NumPy arrays of one dtype (float32/float64) and shape, C-contiguous, not overlapping.
    """
    dt = y.dtype
    fn = _blas[dt] if dt in _blas else _checked_axpy(dt)
    if (fn is None or y.__class__ is not np.ndarray or x.__class__ is not np.ndarray
            or x.dtype != dt or x.shape != y.shape or not x.flags.c_contiguous
            or not y.flags.c_contiguous or not y.flags.writeable or y.size == 0):
        return False
    alpha = float(dt.type(alpha))
    if alpha == 0:  # BLAS may skip the update: 0 * inf must still give NaN
        return False
    if x is not y and np.may_share_memory(x, y):
        return False
    n, px, py = y.size, _address(x), _address(y)
    fit_threads(0)  # one BLAS thread: waking OpenBLAS's threads costs more than the loop
    if n <= _CHUNK or _blas_state["current"] == 1:
        fn(n, alpha, px, 1, py, 1)
        return True
    step = _CHUNK * dt.itemsize
    for start in range(0, n, _CHUNK):  # OpenBLAS's thread count unknown: calls it keeps to one
        fn(min(_CHUNK, n - start), alpha, px, 1, py, 1)
        px += step
        py += step
    return True


def _scalar(x: Any, dtype: np.dtype) -> Any:
    """A Python or NumPy number rounded to ``dtype`` (PyTorch casts scalars to the opmath type)."""
    if isinstance(x, (int, float, np.generic)):
        return dtype.type(x)
    return x


def fma(a: Any, b: Any, c: Any, dtype: Any, out: Any = None, xp: Any = np,
        scratch: Any = None) -> Any:
    """``a * b + c`` in ``dtype`` with one rounding; arrays broadcast, numbers allowed.

    ``out`` (of ``dtype``, may be ``c`` or ``a``) receives the result; ``scratch``, two float64
    NumPy arrays of ``out``'s shape, serve the float32 path (with ``out`` given).
    """
    dtype = np.dtype(dtype)
    if a.__class__ is not np.ndarray and b.__class__ is np.ndarray:
        a, b = b, a  # the number second: ``y + alpha * x``, BLAS's axpy
    if b.__class__ is not np.ndarray and a.__class__ is np.ndarray and xp is np \
            and fma_dtype(dtype) and np.ndim(b) == 0 and b != 0 \
            and getattr(c, "shape", None) == a.shape \
            and (out is None or (out.shape == a.shape and not np.may_share_memory(a, out))):
        if out is None:
            out = np.array(c, dtype=dtype)
        elif c is not out:
            np.copyto(out, c)
        if axpy(out, b, a):
            return out
        c = out
    return _emulated(a, b, c, dtype, out, xp, scratch)


def _emulated(a: Any, b: Any, c: Any, dtype: Any, out: Any = None, xp: Any = np,
              scratch: Any = None) -> Any:
    """``fma`` by the float64 (float32) or Dekker-Knuth (float64) emulation, silently
    (infinities and NaN make NumPy warn where PyTorch says nothing)."""
    return quiet(_emulate, a, b, c, dtype, out, xp, scratch)


def _emulate(a: Any, b: Any, c: Any, dtype: Any, out: Any, xp: Any, scratch: Any) -> Any:
    dtype = np.dtype(dtype)
    if dtype == _f32:
        a, b, c = (_scalar(v, _f32) for v in (a, b, c))
        if scratch is not None and out is not None:
            # explicit widening casts: NumPy's mixed-dtype loops (buffered casts) are slower
            t, u = scratch
            np.copyto(t, a)
            if b.__class__ is np.ndarray:
                np.copyto(u, b)
                np.multiply(t, u, out=t)
            else:
                np.multiply(t, _f64.type(b), out=t)
            np.copyto(u, c)
            np.add(t, u, out=t)
            np.copyto(out, t, casting="same_kind")
            return out
        t = xp.multiply(a, b, dtype=_f64)
        if out is None:
            return xp.asarray(xp.add(t, c, dtype=_f64).astype(_f32))
        return xp.add(t, c, out=out, dtype=_f64, casting="same_kind")
    if dtype != _f64:
        r = a * b + c
        if out is None:
            return r
        out[...] = r
        return out
    a, b, c = (_scalar(v, _f64) for v in (a, b, c))
    scalar = all(xp.ndim(v) == 0 for v in (a, b, c))
    a = xp.asarray(a).reshape(1) if scalar else xp.asarray(a)  # NumPy's 0-d results are scalars
    p = xp.multiply(a, b)
    # Dekker: a = ah + al, b = bh + bl with 26-bit halves, so p + e == a * b exactly
    ah = xp.multiply(a, _SPLIT)
    ah -= ah - a
    bh = xp.multiply(b, _SPLIT)
    bh -= bh - b
    al, bl = a - ah, b - bh
    e = ah * bh
    e -= p
    e += ah * bl
    e += al * bh
    e += al * bl
    # Knuth: s + (p - (s - bb)) + (c - bb) == p + c exactly
    s = p + c
    bb = s - p
    corr = s - bb
    xp.subtract(p, corr, out=corr)
    corr += c - bb
    corr += e
    r = s + corr
    keep = corr == 0  # s is exact: keeps its signed zero (``-0 + 0`` would give +0)
    bad = ~xp.isfinite(r)
    xp.copyto(r, s, where=keep)
    if bad.any():
        xp.copyto(r, p + c, where=bad)
    if scalar:
        r = r.reshape(())
    if out is None:
        return r
    out[...] = r
    return out
