"""The rest of ``ember.linalg`` (lstsq, multi_dot, vander, vecdot, cross, diagonal,
tensorinv, tensorsolve) and PyTorch's older top-level API: ``det``, ``inverse``,
``svd`` (returning V, not Vh), ``cholesky``, ``qr``, ``pinverse``, ``matrix_power``,
``logdet``, ``slogdet``, ``matrix_exp``, with their Tensor methods. All are built
from the differentiable ops of ``linalg_decomp`` and ``linalg``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from ._autocast import autocast_op
from ._dispatch import Tensor, make, methods, renamed, wrap_dim
from ._inplace import writes_out
from .linalg import _C_NAMES, _T_NAMES, _cross, matmul
from .linalg_decomp import _check, inv, matrix_exp, matrix_power, pinv, solve
from .linalg_decomp import det as _det
from .linalg_decomp import logdet as _logdet
from .linalg_decomp import slogdet as _slogdet
from .linalg_decomp import svd as _svd
from .linalg_lapack import lapack
from .native import cholesky, qr  # removed from PyTorch: they raise its error

__all__ = ["lstsq", "multi_dot", "vander", "vecdot", "linalg_cross", "diagonal", "tensorinv",
           "tensorsolve", "det", "inverse", "svd", "cholesky", "qr", "pinverse", "logdet",
           "slogdet", "matrix_power", "matrix_exp"]


@autocast_op("linalg_lstsq")
@writes_out("linalg_lstsq")
def lstsq(A: Tensor, B: Tensor, rcond: Any = None, *, driver: str | None = None) -> Any:
    """Least-squares solution of ``A X = B`` (minimum norm for rank-deficient ``A``), with
    ``residuals``, ``rank`` and ``singular_values`` as the CPU default driver gives them."""
    if A._data.ndim < 2 or B._data.ndim < 1:
        raise RuntimeError("ember.linalg.lstsq: input must have at least 2 dimensions."
                           if A._data.ndim < 2 else
                           "ember.linalg.lstsq: other must have at least 1 dimension.")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError("ember.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {_T_NAMES.get(A.dtype.name)} and other's "
                           f"dtype {_T_NAMES.get(B.dtype.name)}")
    _check(A, "ember.linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("ember.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    if A._data.ndim < B._data.ndim or A._data.ndim - B._data.ndim > 1:
        raise RuntimeError("ember.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    sa, sb = A._data.shape, B._data.shape
    vec = len(sb) == 1 or sb == sa[:-1]  # PyTorch's test for a batch of vectors
    B2 = B.unsqueeze(-1) if vec else B
    if B2._data.shape[-2] != sa[-2]:
        raise RuntimeError("ember.linalg.lstsq: input.size(-2) should match "
                           f"other.size({-1 if vec else -2})")
    # PyTorch's output batch (a matrix B one dim short of A broadcasts its leading dims)
    batch = _lstsq_batch(sa[:-2], sb[:-1] if not vec and len(sb) < len(sa) else
                         B2._data.shape[:-2])
    m, n = A._data.shape[-2:]
    x = A.detach()._host()
    eps = np.finfo(np.abs(x.dtype.type(0)).dtype).eps
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    X = renamed(matmul(pinv(A, rtol=rtol), B2), "LinalgLstsqBackward0")
    s = lapack("svd", np.linalg.svd, x, compute_uv=False) if x.size else np.zeros(x.shape[:-2] + (0,))
    rank = (s > rtol * s.max(axis=-1, initial=0.0)[..., None]).sum(-1).astype(np.int64)
    xp = A._device._backend.xp
    real = np.abs(x.dtype.type(0)).dtype
    empty = make(xp.zeros((0,), dtype=real), A._device)
    drv = driver or "gelsy"
    if drv == "gels" or (m > n and bool((rank == n).all()) and drv != "gelsy"):
        r = matmul(A, X) - B2
        residuals = (r.abs() ** 2).sum(-2) if m > n else empty
    else:
        residuals = empty
    rank_t = make(xp.asarray(rank), A._device) if drv != "gels" else make(
        xp.zeros((0,), dtype=np.int64), A._device)
    sv = make(xp.asarray(s.astype(real)), A._device) if drv in ("gelsd", "gelss") else empty
    sol = renamed(X.squeeze(-1), "LinalgLstsqBackward0") if vec else X
    if not vec and len(sb) < len(sa) and sol._data.shape[:-2] != batch:
        sol = renamed(sol.expand(*batch, *sol._data.shape[-2:]), "LinalgLstsqBackward0")
    return _rt.linalg_lstsq((sol, residuals, rank_t, sv))


def _lstsq_batch(ba: tuple, bb: tuple) -> tuple:
    """The batch shape PyTorch's lstsq gives a matrix ``other`` one dim short of ``input``
    (input's batch broadcast with other's leading dims), with its broadcasting error."""
    n = max(len(ba), len(bb))
    pa, pb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                               f"({pb[i]}) at non-singleton dimension {i}")
    return tuple(max(x, y) for x, y in zip(pa, pb))


@writes_out("multi_dot", exact=lambda want, got, i: RuntimeError(
    f"multi_dot(): expected out tensor to have dtype {_C_NAMES[want.name]} but got "
    f"{_C_NAMES[got.name]}"))
@autocast_op("multi_dot")
def multi_dot(tensors: Any, *, out: Tensor | None = None) -> Tensor:
    """The product of a chain of matrices; the first and last may be vectors."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    for which, t in (("first", first), ("last", last)):
        if t._data.ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                               f"{t._data.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != first._data.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_C_NAMES.get(first.dtype.name)} and tensor {i} {_C_NAMES.get(t.dtype.name)}")
    mats = [first.unsqueeze(0) if first._data.ndim == 1 else first] + tensors[1:-1] + [
        last.unsqueeze(-1) if last._data.ndim == 1 else last]
    res = _chain(mats)
    if first._data.ndim == 1:
        res = res.squeeze(0)
    if last._data.ndim == 1:
        res = res.squeeze(-1)
    return renamed(res, "ViewBackward0")  # PyTorch's chain ends in a view


def _chain(mats: list[Tensor]) -> Tensor:
    """Multiply in the cheapest order (dynamic programming over the chain)."""
    n = len(mats)
    dims = [m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]
    for i in range(n - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(mats[i]._data.shape)} and "
                               f"{list(mats[i + 1]._data.shape)} cannot be multiplied")
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return matmul(build(i, k), build(k + 1, j))

    return build(0, n - 1)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix with increasing powers ``x**0, x**1, ..., x**(N-1)``."""
    if x.dtype in (_dt.float16, _dt.bfloat16, _dt.bool):
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {_T_NAMES[x.dtype.name]}")
    n = x._data.shape[-1] if N is None and x._data.ndim else (1 if N is None else int(N))
    if n <= 1:  # PyTorch's words (a 0-d x counts as N = 1)
        raise RuntimeError("N must be greater than 1.")
    from .scan import cumprod
    from .shape_join import cat

    powers = cumprod(x.unsqueeze(-1).expand(x._data.shape + (n - 1,)), -1)
    return cat([(x.unsqueeze(-1) * 0 + 1).to(powers.dtype), powers], -1)


@writes_out("vecdot", exact=lambda want, got, i: RuntimeError(
    f"linalg.vecdot: Expected out of dtype{_T_NAMES[want.name]} but found {_T_NAMES[got.name]}"))
@autocast_op("linalg_vecdot")
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting; floating and complex inputs only."""
    if x._data.dtype.kind not in "fcV":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as "
                           f"input. Got {_T_NAMES.get(x.dtype.name, x.dtype.name)}")
    if y.dtype is not x.dtype:  # no promotion, as PyTorch
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_T_NAMES.get(x.dtype.name, x.dtype.name)} and y of type "
                           f"{_T_NAMES.get(y.dtype.name, y.dtype.name)} instead")
    xc = x.conj() if x.is_complex() else x
    return (xc * y).sum(dim)


@writes_out("linalg_cross", exact=True)
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1,
                 out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (``torch.linalg.cross``)."""
    return _cross(input, other, dim, "linalg.cross")


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of matrices (``torch.linalg.diagonal``)."""
    return A.diagonal(offset, dim1, dim2)


@autocast_op("linalg_tensorinv")
@writes_out("tensorinv", castable=("tensorinv",))
def tensorinv(A: Tensor, ind: int = 2, *, out: Tensor | None = None) -> Tensor:
    """The inverse of ``A`` seen as a linear map from its first ``ind`` dims."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           "prod(self.shape[:ind]), but got "
                           f"{cols} != {rows}")
    # PyTorch reshapes its column-major inverse: an alias, not a view
    return renamed(inv(A.reshape(rows, cols)).reshape(shape[ind:] + shape[:ind]),
                   "ReshapeAliasBackward0")


@autocast_op("linalg_tensorsolve")
@writes_out("tensorsolve", castable=("tensorsolve",))
def tensorsolve(A: Tensor, B: Tensor, dims: Any = None, *, out: Tensor | None = None) -> Tensor:
    """The ``X`` with ``tensordot(A, X, X.ndim) == B``."""
    if dims is not None:
        nd = A._data.ndim
        dims = [wrap_dim(d, nd, "linalg.tensorsolve") for d in dims]
        A = A.movedim(dims, list(range(nd - len(dims), nd)))
    shape = A._data.shape[B._data.ndim:]
    n = math.prod(shape)
    if n != B.numel():  # PyTorch's text names the wrong side: it compares with B's size
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {n} != {B.numel()}")
    return solve(A.reshape(-1, n), B.reshape(-1)).reshape(shape)


# ------------------------------------------------------------------ PyTorch's older top-level API
def det(input: Tensor) -> Tensor:
    """``torch.det``: the determinant (``linalg.det``)."""
    return _det(input)


@writes_out("inverse", exact=True)
@autocast_op("inverse")
def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``torch.inverse``: the matrix inverse (``linalg.inv``)."""
    return inv(input)


def logdet(input: Tensor) -> Tensor:
    """``torch.logdet``: ``log(det(input))`` (nan for a negative determinant)."""
    return _logdet(input)


@writes_out("slogdet", exact=True)
def slogdet(input: Tensor) -> Any:
    """``torch.slogdet``: ``(sign, logabsdet)``."""
    sign, la = _slogdet(input)
    return _rt.slogdet((sign, la))


@autocast_op("svd")
@writes_out("svd", exact=True)
def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out: Any = None) -> Any:
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^H`` (V, not Vh); reduced
    unless ``some=False``; zero U and V when ``compute_uv=False``."""
    m, n = input._data.shape[-2:]
    if not compute_uv:
        from .linalg_decomp import svdvals

        S = svdvals(input)
        xp = input._device._backend.xp
        batch = input._data.shape[:-2]
        U = make(xp.zeros(batch + (m, m), dtype=input._data.dtype), input._device)
        V = make(xp.zeros(batch + (n, n), dtype=input._data.dtype), input._device)
        return _rt.svd((U, S, V))
    U, S, Vh = _svd(input, full_matrices=not some)
    return _rt.svd((U, S, Vh.mH))


@autocast_op("pinverse")
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: the pseudo-inverse with relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond)


methods(det=det, inverse=inverse, logdet=logdet, slogdet=slogdet, svd=svd, pinverse=pinverse,
        matrix_power=matrix_power, matrix_exp=matrix_exp)
