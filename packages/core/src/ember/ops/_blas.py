"""Matrix products with the BLAS thread count fitted to their size.

OpenBLAS hands every product above a tiny size to all its threads. For the small and
middle-sized products of neural-network layers the hand-off costs more than it saves,
and on a busy machine waiting threads make it many times slower. Products below
``SMALL_WORK`` multiply-adds run on one thread; larger ones on all the threads that
``ember.set_num_threads`` allows. The count is changed (through threadpoolctl, where
installed) only when a product crosses the threshold, so runs of similar products
pay nothing. ``ember.set_num_threads`` sets the count large products use.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable
from typing import Any

from .._runtime import _threads
from . import _mkl_order
from ._dispatch import quiet

__all__ = ["matmul", "fit_threads", "SMALL_WORK", "cblas", "gemm"]

SMALL_WORK = 1 << 25  # multiply-adds
_state: dict[str, Any] = {"lib": None, "ready": False, "current": None, "pinned": 0}


def _controller() -> Any:
    if not _state["ready"]:
        _state["ready"] = True
        try:
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            # NumPy's own BLAS (another library, e.g. PyTorch's, may be loaded too)
            libs = sorted(libs, key=lambda lib: "numpy" not in str(lib.filepath))
            if libs:
                _state["lib"] = libs[0]
                _state["current"] = libs[0].num_threads
        except Exception:  # threadpoolctl absent or unable to see the BLAS: leave it alone
            _state["lib"] = None
    return _state["lib"]


def fit_threads(work: int) -> None:
    """Before a product of ``work`` multiply-adds: one thread if small, all if large (one
    while independent calls share the op threads: ``pinned``)."""
    lib = _state["lib"] if _state["ready"] else _controller()
    if lib is None or _state["pinned"]:
        return
    want = 1 if work < SMALL_WORK else _threads[0]
    if want != _state["current"]:
        lib.set_num_threads(want)
        _state["current"] = want


def matmul(xp: Any, a: Any, b: Any) -> Any:
    """``xp.matmul(a, b)``, on NumPy with the thread count fitted to the product."""
    if xp.__name__ == "numpy" and a.ndim and b.ndim:
        m = a.shape[-2] if a.ndim > 1 else 1
        n = b.shape[-1] if b.ndim > 1 else 1
        k = a.shape[-1]
        batch = max(a.size // max(m * k, 1), b.size // max(k * n, 1))
        if a.dtype.char == "f" and batch * m * k * n <= _mkl_order.SMALL:  # (float32)
            r = _mkl_order.product(a, b)
            if r is not None:
                return r
        fit_threads(batch * m * k * n)
        return quiet(xp.matmul, a, b)  # inf/NaN products warn in NumPy, never in PyTorch
    return xp.matmul(a, b)


def cblas(name: str, argtypes: Callable[[Any], list]) -> Any:
    """CBLAS function ``name`` (``"saxpy"``) of the OpenBLAS that NumPy bundles, with
    ``argtypes(int_type)`` (its integer width depends on the build), or None.

    Only NumPy's own copy is used: its products then share one thread setting with
    ``xp.matmul``, and no other library is loaded.
    """
    import numpy as np

    root = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(root, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol, itype in ((f"scipy_cblas_{name}64_", ctypes.c_int64),
                              (f"cblas_{name}64_", ctypes.c_int64),
                              (f"scipy_cblas_{name}", ctypes.c_int),
                              (f"cblas_{name}", ctypes.c_int)):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = argtypes(itype)
                return fn
    return None


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_gemms: dict = {}


def gemm(dtype: Any) -> Callable | None:
    """``gemm(trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc)``: ``c = a @ op(b) + beta * c``
    on row-major matrices given by address and leading dimension, for float32/float64;
    None for other dtypes or without a loadable BLAS.

    Products over strided views need no copy this way (``xp.matmul`` copies a view whose
    rows are not adjacent), and ``beta = 1`` sums a series of products in place.
    """
    key = getattr(dtype, "name", None) or str(dtype)
    if key not in _gemms:
        _gemms[key] = None
        if key in ("float32", "float64"):
            real = ctypes.c_float if key == "float32" else ctypes.c_double
            vp = ctypes.c_void_p
            try:
                fn = cblas("sgemm" if key == "float32" else "dgemm", lambda i: [
                    ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, real, vp, i, vp, i,
                    real, vp, i])
            except Exception:  # no usable BLAS: callers take xp.matmul
                fn = None
            if fn is not None:
                def call(trans_b: bool, m: int, n: int, k: int, a: int, lda: int, b: int,
                         ldb: int, beta: float, c: int, ldc: int, _fn: Any = fn) -> None:
                    _fn(_ROW_MAJOR, _NO_TRANS, _TRANS if trans_b else _NO_TRANS, m, n, k, 1.0,
                        a, lda, b, ldb, beta, c, ldc)

                _gemms[key] = call
    return _gemms[key]
