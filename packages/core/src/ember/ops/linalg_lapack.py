"""LAPACK-facing helpers of ``ember.linalg`` for the error paths: PyTorch's non-convergence
errors around NumPy/CuPy's ``linalg`` calls, and LAPACK's partial Cholesky factor (what
``cholesky_ex`` returns for a matrix that is not positive-definite)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []


def lapack(op: str, fn: Any, x: Any, *args: Any, **kw: Any) -> Any:
    """``fn(x, ...)`` (a NumPy/CuPy ``linalg`` routine); its non-convergence error becomes
    PyTorch's ``LinAlgError`` for ``op`` ('svd', 'eigh' or 'eig')."""
    try:
        return fn(x, *args, **kw)
    except Exception as e:
        if type(e).__name__ != "LinAlgError" or isinstance(e, RuntimeError):
            raise
        from .linalg_decomp import LinAlgError, _batch_prefix

        h = np.asarray(x.get() if hasattr(x, "get") else x)
        bad = ~np.isfinite(h.reshape((-1,) + h.shape[-2:])).all(axis=(-2, -1))
        k = int(np.argmax(bad)) if bad.any() else 0
        pre = _batch_prefix(k, h.ndim > 2)
        if op == "eig":
            raise RuntimeError("ember.linalg.eig: input tensor should not contain infs or "
                               "NaNs.") from None
        if op == "eigh":
            raise LinAlgError(
                f"linalg.eigh: {pre}The algorithm failed to converge because the input matrix is "
                f"ill-conditioned or has too many repeated eigenvalues (error code: "
                f"{max(h.shape[-1] - 1, 1)}).") from None
        raise LinAlgError(f"linalg.svd: {pre}The algorithm failed to converge because the input "
                          "matrix contained non-finite values.") from None


def _cholesky_partial(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's unblocked lower Cholesky (potf2), batched: ``(L, info)``. Where a leading minor
    is not positive-definite (info = its order), the output holds the columns done so far, the
    failing reduced pivot, and the input's untouched lower triangle, as PyTorch returns."""
    flat = np.tril(x.reshape((-1,) + x.shape[-2:])).copy()
    n = flat.shape[-1]
    info = np.zeros(flat.shape[0], dtype=np.int64)
    for j in range(n):  # error path only: one column of the factorization per step
        active = info == 0
        row = flat[:, j, :j]
        ajj = flat[:, j, j].real - (row * row.conj()).real.sum(-1)
        fail = active & ~(ajj > 0)
        info[fail] = j + 1
        flat[fail, j, j] = ajj[fail]
        ok = np.flatnonzero(active & ~fail)
        if not ok.size:
            continue
        ljj = np.sqrt(ajj[ok])
        flat[ok, j, j] = ljj
        below = flat[ok, j + 1:, j] - np.einsum("bik,bk->bi", flat[ok, j + 1:, :j],
                                                 flat[ok, j, :j].conj())
        flat[ok, j + 1:, j] = below / ljj[:, None]
    return flat.reshape(x.shape), info.reshape(x.shape[:-2])
