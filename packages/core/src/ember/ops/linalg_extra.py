"""``ember.linalg``'s rarer decompositions: ``matrix_sqrth`` (the principal square root of a
symmetric/Hermitian positive-definite matrix, through ``eigh``), ``polar`` (``A = U H``
through the thin SVD), and the LDL^T (LDL^H) factorization ``ldl_factor(_ex)`` with
``ldl_solve``: LAPACK's Bunch-Kaufman ``sytf2``/``hetf2`` and ``sytrs``/``hetrs`` with lower
storage, written over NumPy so that ``LD`` and ``pivots`` match PyTorch's (1-based LAPACK
pivots; a negative pair marks a 2x2 block). Neither LDL op has a derivative, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import return_types as _rt
from ._dispatch import Tensor, grad_state, make, record
from .linalg import _T_NAMES, matmul
from .linalg_decomp import _check, eigh, svd

__all__ = ["matrix_sqrth", "polar", "ldl_factor", "ldl_factor_ex", "ldl_solve"]

_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch-Kaufman's pivot threshold


def matrix_sqrth(A: Tensor) -> Tensor:
    """The symmetric (Hermitian) positive-definite ``X`` with ``X @ X == A``; only ``A``'s lower
    triangle is read, and negative eigenvalues (round-off) count as zero."""
    _check(A, "linalg.matrix_sqrth")
    w, V = eigh(A)
    root = w.clamp(min=0).sqrt().to(V.dtype)
    return matmul(V * root.unsqueeze(-2), V.mH)


def polar(A: Tensor, *, out: Any = None) -> Any:
    """``(U, H)`` with ``A = U @ H``: ``U`` has orthonormal columns (the nearest such matrix to
    ``A``) and ``H`` is positive semi-definite; ``A`` needs at least as many rows as columns."""
    _check(A, "linalg.polar", square=False)
    m, n = A._data.shape[-2:]
    if m < n:
        raise RuntimeError(f"linalg.polar: input must have at least as many rows as columns, "
                           f"but got {m} by {n} matrices")
    W, S, Vh = svd(A, full_matrices=False)
    U = matmul(W, Vh)
    H = matmul(Vh.mH * S.to(Vh.dtype).unsqueeze(-2), Vh)
    res = _rt.linalg_polar((U, H))
    if out is not None:
        for o, r in zip(out, res):
            o.resize_(r.shape).copy_(r)
        return _rt.linalg_polar(tuple(out))
    return res


# ------------------------------------------------------------------ LDL (Bunch-Kaufman)
def _cabs1(x: Any) -> Any:
    """LAPACK's cheap complex modulus |re| + |im| (plain abs for reals)."""
    return np.abs(x.real) + np.abs(x.imag) if np.iscomplexobj(x) else np.abs(x)


def _sytf2(a: np.ndarray, herm: bool) -> tuple:
    """One matrix, factored in place (lower triangle): ``(ipiv, info)``, as LAPACK's
    ``?sytf2``/``?hetf2``. The loop runs over pivot columns; each step is vectorised."""
    n = a.shape[0]
    herm = herm and np.iscomplexobj(a)
    cj = np.conj if herm else (lambda v: v)
    dabs = (lambda v: abs(v.real)) if herm else _cabs1
    ipiv = np.zeros(n, dtype=np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = dabs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(_cabs1(a[k + 1:, k])))
            colmax = _cabs1(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            if info == 0:
                info = k + 1
            kp = k
            if herm:
                a[k, k] = a[k, k].real
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                rowmax = _cabs1(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = max(rowmax, _cabs1(a[imax + 1:, imax]).max())
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif dabs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                mid = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = cj(a[kp, kk + 1:kp])
                a[kp, kk + 1:kp] = cj(mid)
                if herm:
                    a[kp, kk] = np.conj(a[kp, kk])
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if herm:
                    a[kk, kk], a[kp, kp] = a[kk, kk].real, a[kp, kp].real
                if kstep == 2:
                    if herm:
                        a[k, k] = a[k, k].real
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            elif herm:
                a[k, k] = a[k, k].real
                a[kk, kk] = a[kk, kk].real
            if kstep == 1:
                if k < n - 1:
                    d = a[k, k].real if herm else a[k, k]
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.outer(x, cj(x)) / d
                    a[k + 1:, k] = x / d
                    if herm:
                        idx = np.arange(k + 1, n)
                        a[idx, idx] = a[idx, idx].real
            elif k < n - 2:
                if herm:
                    dd = abs(a[k + 1, k])
                    d11, d22 = a[k + 1, k + 1].real / dd, a[k, k].real / dd
                    t = 1 / (d11 * d22 - 1)
                    d21 = a[k + 1, k] / dd
                    dd = t / dd
                    wk = dd * (d11 * a[k + 2:, k] - d21 * a[k + 2:, k + 1])
                    wkp1 = dd * (d22 * a[k + 2:, k + 1] - np.conj(d21) * a[k + 2:, k])
                    a[k + 2:, k + 2:] -= (np.outer(a[k + 2:, k], np.conj(wk))
                                          + np.outer(a[k + 2:, k + 1], np.conj(wkp1)))
                else:
                    d21 = a[k + 1, k]
                    d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                    t = 1 / (d11 * d22 - 1)
                    d21 = t / d21
                    wk = d21 * (d11 * a[k + 2:, k] - a[k + 2:, k + 1])
                    wkp1 = d21 * (d22 * a[k + 2:, k + 1] - a[k + 2:, k])
                    a[k + 2:, k + 2:] -= np.outer(a[k + 2:, k], wk) + np.outer(a[k + 2:, k + 1], wkp1)
                a[k + 2:, k] = wk
                a[k + 2:, k + 1] = wkp1
                if herm:
                    idx = np.arange(k + 2, n)
                    a[idx, idx] = a[idx, idx].real
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return ipiv, info


def _ldl_check(A: Tensor, op: str) -> None:
    _check(A, op)
    if A.dtype.name in ("float16", "bfloat16"):
        raise NotImplementedError(f"\"ldl_factor_kernel_cpu\" not implemented for "
                                  f"'{_T_NAMES.get(A.dtype.name, A.dtype.name)}'")


def _no_derivative(name: str, out: Tensor, *ts: Tensor) -> Tensor:
    """As PyTorch: the result requires grad, and backward through it raises."""
    if grad_state.enabled and any(t.requires_grad for t in ts):
        def vjp(g: Tensor) -> tuple:
            raise RuntimeError(f"derivative for aten::{name} is not implemented")

        record("NotImplemented", out, ts, vjp)
    return out


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False,
                  out: Any = None) -> Any:
    """``(LD, pivots, info)``: the Bunch-Kaufman LDL^T (LDL^H with ``hermitian``) factors of
    symmetric ``A`` from its lower triangle, in LAPACK's compact form; ``info`` is k > 0 where
    ``D[k-1, k-1]`` is exactly zero."""
    _ldl_check(A, "ember.linalg.ldl_factor_ex")
    x = np.array(A._host(), copy=True)
    shape = x.shape
    mats = x.reshape((-1,) + shape[-2:])
    piv = np.empty(mats.shape[:2], dtype=np.int32)
    info = np.zeros(mats.shape[0], dtype=np.int32)
    for b in range(mats.shape[0]):  # LAPACK factors one matrix at a time, too
        piv[b], info[b] = _sytf2(mats[b], hermitian)
    ld = np.tril(mats).reshape(shape)
    info = info.reshape(shape[:-2])
    if check_errors and info.any():
        raise RuntimeError(f"ember.linalg.ldl_factor_ex: Unknown error code: {int(info.max())}.")
    dev = A._device
    LD = _no_derivative("linalg_ldl_factor_ex", make(dev._backend.asarray(ld, index=dev.index),
                                                     dev), A)
    res = _rt.linalg_ldl_factor_ex((LD,
                                    make(dev._backend.asarray(piv.reshape(shape[:-1]),
                                                              index=dev.index), dev),
                                    make(dev._backend.asarray(info, index=dev.index), dev)))
    return _to_out(res, out, _rt.linalg_ldl_factor_ex)


def ldl_factor(A: Tensor, *, hermitian: bool = False, out: Any = None) -> Any:
    """``(LD, pivots)`` of ``ldl_factor_ex``; an exactly singular ``D`` raises."""
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    if bool(info._host().any()):
        raise RuntimeError(f"ember.linalg.ldl_factor: Unknown error code: "
                           f"{int(info._host().max())}.")
    return _to_out(_rt.linalg_ldl_factor((LD, piv)), out, _rt.linalg_ldl_factor)


def _to_out(res: Any, out: Any, cls: Any) -> Any:
    if out is None:
        return res
    for o, r in zip(out, res):
        o.resize_(r.shape).copy_(r)
    return cls(tuple(out))


def _sytrs(a: np.ndarray, ipiv: np.ndarray, b: np.ndarray, herm: bool) -> None:
    """Solve ``A X = B`` in place from ``_sytf2``'s factors, as LAPACK's ``?sytrs``/``?hetrs``."""
    n = a.shape[0]
    herm = herm and np.iscomplexobj(a)
    cj = np.conj if herm else (lambda v: v)
    k = 0
    while k < n:  # L D Y = P B
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(a[k + 1:, k], b[k])
            b[k] = b[k] / (a[k, k].real if herm else a[k, k])
            k += 1
        else:
            kp = -ipiv[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            if k < n - 2:
                b[k + 2:] -= np.outer(a[k + 2:, k], b[k]) + np.outer(a[k + 2:, k + 1], b[k + 1])
            akm1k = a[k + 1, k]
            akm1 = a[k, k] / cj(akm1k)
            ak = a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1 = b[k] / cj(akm1k)
            bk = b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y (L^H when Hermitian), then undo the interchanges
        if ipiv[k] > 0:
            if k < n - 1:
                b[k] -= cj(a[k + 1:, k]) @ b[k + 1:]
            kp = ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            if k < n - 1:
                b[k] -= cj(a[k + 1:, k]) @ b[k + 1:]
                b[k - 1] -= cj(a[k + 1:, k - 1]) @ b[k + 1:]
            kp = -ipiv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False,
              out: Tensor | None = None) -> Tensor:
    """The solution ``X`` of ``A X = B`` from ``ldl_factor``'s ``(LD, pivots)``, batched."""
    if B._data.ndim < 2:
        from ._dispatch import wrap_dim

        wrap_dim(-2, B._data.ndim)
    if B.dtype != LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_T_NAMES.get(B.dtype.name, B.dtype.name)} and A of type "
                           f"{_T_NAMES.get(LD.dtype.name, LD.dtype.name)} instead.")
    ld, piv, b = LD._host(), pivots._host(), B._host()
    batch = np.broadcast_shapes(ld.shape[:-2], piv.shape[:-1], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + ld.shape[-2:]).reshape((-1,) + ld.shape[-2:])
    piv = np.broadcast_to(piv, batch + piv.shape[-1:]).reshape((-1,) + piv.shape[-1:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), copy=True)
    xs = x.reshape((-1,) + b.shape[-2:])
    for i in range(xs.shape[0]):
        _sytrs(ld[i], piv[i], xs[i], hermitian)
    dev = B._device
    res = _no_derivative("linalg_ldl_solve", make(dev._backend.asarray(x, index=dev.index), dev),
                         LD, B)
    if out is not None:
        return out.resize_(res.shape).copy_(res)
    return res
