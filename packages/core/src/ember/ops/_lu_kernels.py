"""Array kernels for the LU family: partial-pivoting LU (LAPACK getrf's choices), triangular
solves, pivot permutations and Householder products, over any NumPy-like namespace.

Every kernel is batched over the leading dims; the only Python loops run over the matrix
dimension (columns of the elimination, rows of the substitution, reflectors), never over
elements or batch members. Pivots are 1-based int32, as LAPACK and PyTorch give them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._fma import fma
from ._torch_cpu import mkl_fuses

_NB = 32  # block size of the LU panel and the substitutions


def _magnitude(xp: Any, x: Any) -> Any:
    """LAPACK's i?amax measure: ``|re| + |im|`` for complex numbers, ``|x|`` for real ones."""
    if x.dtype.kind == "c":
        return xp.abs(x.real) + xp.abs(x.imag)
    return xp.abs(x)


def getrf(xp: Any, a: Any, pivot: bool = True) -> tuple[Any, Any, Any]:
    """``(LU, pivots, info)`` of a batch ``(b, m, n)`` (``a`` is overwritten).

    Right-looking, blocked: each panel of ``_NB`` columns is eliminated column by column
    (the pivot is the first entry of largest magnitude, as LAPACK's), then the rows to
    its right are solved and the trailing matrix updated with one matrix product.
    ``info`` is the 1-based index of the first exactly zero pivot, 0 if none.
    """
    b, m, n = a.shape
    k = min(m, n)
    piv = xp.empty((b, k), dtype=np.int32)
    info = xp.zeros((b,), dtype=np.int32)
    if b == 0 or k == 0:
        return a, piv, info
    batch = xp.arange(b)
    sfmin = np.finfo(a.real.dtype if a.dtype.kind == "c" else a.dtype).tiny
    for j0 in range(0, k, _NB):
        j1 = min(j0 + _NB, k)
        for j in range(j0, j1):
            if pivot:
                p = j + xp.argmax(_magnitude(xp, a[:, j:, j]), axis=1)
                piv[:, j] = (p + 1).astype(np.int32)
                row_j = a[:, j, :].copy()
                a[:, j, :] = a[batch, p, :]
                a[batch, p, :] = row_j
            else:
                piv[:, j] = j + 1
            d = a[:, j, j]
            zero = d == 0
            info = xp.where((info == 0) & zero, np.int32(j + 1), info)
            if j + 1 < m:
                safe = xp.where(zero, xp.ones((), dtype=a.dtype), d)
                col = a[:, j + 1:, j]
                scaled = xp.where((_magnitude(xp, safe) >= sfmin)[:, None],
                                  col * (1 / safe)[:, None], col / safe[:, None])
                a[:, j + 1:, j] = xp.where(zero[:, None], col, scaled)
                if j + 1 < j1:
                    _rank_one_update(xp, a[:, j + 1:, j + 1:j1], a[:, j + 1:, j, None],
                                     a[:, j, None, j + 1:j1])
        if j1 < n:
            a[:, j0:j1, j1:] = trsm(xp, a[:, j0:j1, j0:j1], a[:, j0:j1, j1:], lower=True,
                                    unit=True)
            if j1 < m:
                a[:, j1:, j1:] -= xp.matmul(a[:, j1:, j0:j1], a[:, j0:j1, j1:])
    return a, piv, info


def _rank_one_update(xp: Any, t: Any, col: Any, row: Any) -> None:
    """``t -= col * row`` in place; for real floats each element rounded once where PyTorch's
    MKL fuses its multiply-adds (Intel's processors, ``mkl_fuses``): a nearly singular
    matrix's last pivot then keeps PyTorch's sign and size there, as the plain product and
    difference keep it elsewhere."""
    if xp is np and t.dtype.kind == "f" and t.dtype.itemsize >= 4 and mkl_fuses():
        t[...] = fma(-col, row, t, t.dtype)
    else:
        t -= col * row


def trsm(xp: Any, t: Any, bm: Any, *, lower: bool, unit: bool) -> Any:
    """The solution ``X`` of ``T X = B`` for triangular ``T`` (batched, broadcasting);
    only the ``lower``/upper triangle of ``t`` is read, and not its diagonal when ``unit``."""
    n = t.shape[-1]
    shape = np.broadcast_shapes(t.shape[:-2], bm.shape[:-2]) + bm.shape[-2:]
    dt = np.result_type(t.dtype, bm.dtype)
    x = xp.array(xp.broadcast_to(bm, shape), dtype=dt, copy=True)
    blocks = [(s, min(s + _NB, n)) for s in range(0, n, _NB)]
    if not lower:
        blocks = blocks[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):  # zero pivots: inf/nan, no warning
        _trsm_blocks(xp, t, x, blocks, lower, unit)
    return x


def _trsm_blocks(xp: Any, t: Any, x: Any, blocks: list, lower: bool, unit: bool) -> None:
    """``trsm``'s substitution in place, block by block of rows."""
    n = t.shape[-1]
    for s, e in blocks:
        if lower and s > 0:
            x[..., s:e, :] -= xp.matmul(t[..., s:e, :s], x[..., :s, :])
        elif not lower and e < n:
            x[..., s:e, :] -= xp.matmul(t[..., s:e, e:], x[..., e:, :])
        rows = range(s, e) if lower else range(e - 1, s - 1, -1)
        for i in rows:
            lo, hi = (s, i) if lower else (i + 1, e)
            if hi > lo:
                x[..., i, :] -= xp.matmul(t[..., i, None, lo:hi], x[..., lo:hi, :])[..., 0, :]
            if not unit:
                x[..., i, :] /= t[..., i, i, None]


def permutation(xp: Any, piv: Any, m: int) -> Any:
    """``perm`` with ``A[perm] = L U`` from getrf's 1-based row swaps ``(..., k)``."""
    lead = piv.shape[:-1]
    flat = piv.reshape((int(np.prod(lead)), piv.shape[-1])).astype(np.int64) - 1
    b = flat.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (b, m)).copy()
    batch = xp.arange(b)
    for i in range(flat.shape[1]):
        p = flat[:, i]
        cur = perm[:, i].copy()
        perm[:, i] = perm[batch, p]
        perm[batch, p] = cur
    return perm.reshape(lead + (m,))


def permutation_matrix(xp: Any, perm: Any, dtype: Any) -> Any:
    """``P`` with ``P[perm[i], i] = 1``, so that ``A = P L U``."""
    m = perm.shape[-1]
    flat = perm.reshape((int(np.prod(perm.shape[:-1])), m))
    out = xp.zeros((flat.shape[0], m, m), dtype=dtype)
    out[xp.arange(flat.shape[0])[:, None], flat, xp.arange(m)[None, :]] = 1
    return out.reshape(perm.shape[:-1] + (m, m))


def householder(xp: Any, a: Any, tau: Any) -> Any:
    """The first ``n`` columns of ``H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^H`` and
    ``v_i`` stored below the diagonal of column ``i`` of ``a`` (LAPACK's orgqr)."""
    m, n = a.shape[-2:]
    k = tau.shape[-1]
    q = xp.array(xp.broadcast_to(xp.eye(m, n, dtype=a.dtype), a.shape), copy=True)
    for i in range(k - 1, -1, -1):
        v = xp.concat([xp.ones(a.shape[:-2] + (1,), dtype=a.dtype), a[..., i + 1:, i]], axis=-1)
        w = xp.matmul(xp.conj(v)[..., None, :], q[..., i:, i:])
        q[..., i:, i:] -= tau[..., i, None, None] * v[..., :, None] * w
    return q
