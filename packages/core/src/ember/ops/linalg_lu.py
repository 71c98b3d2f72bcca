"""The LU family and the Cholesky solvers: ``linalg.lu_factor(_ex)``, ``linalg.lu``,
``lu_unpack``, ``linalg.lu_solve``, ``cholesky_solve``, ``cholesky_inverse``,
``linalg.householder_product`` (``orgqr``) and the deprecated ``lu``/``lu_solve``.

Forwards run the batched kernels of ``_lu_kernels`` (LAPACK's pivot choices, 1-based
int32 pivots); derivatives are written with Ember ops (triangular solves, products,
``tril``/``triu``) so they batch and differentiate again.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import return_types as _rt
from .._stacklevel import user_stacklevel
from . import _lu_kernels as K
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, methods, record, record_multi, renamed, sum_to
from ._inplace import writes_out
from .linalg import _T_NAMES, matmul
from .linalg_decomp import LinAlgError, _batch_prefix, _set_meta_undefined, solve_triangular
from .pointwise_unary import not_implemented

__all__ = ["lu", "lu_unpack", "lu_solve", "cholesky_solve", "cholesky_inverse", "orgqr",
           "triangular_solve"]

_lu_with_info = _rt._define("_lu_with_info", "LU", "pivots", "info")


# ------------------------------------------------------------------ helpers
def _xp(t: Tensor) -> Any:
    return t._device._backend.xp


def _host(arr: Any) -> np.ndarray:
    """A backend array on the host (error paths only)."""
    get = getattr(arr, "get", None)
    return np.asarray(get() if get is not None else arr)


def _tname(t: Tensor) -> str:
    return _T_NAMES.get(t.dtype.name, t.dtype.name)


def _need_tensor(x: Any, op: str, arg: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def _float_kernel(t: Tensor, kernel: str) -> None:
    """LAPACK kernels take float32/64 and complex64/128 only (PyTorch's NotImplementedError)."""
    if t._data.dtype.kind not in "fc" or t._data.dtype.itemsize < 4:
        raise not_implemented(kernel, t.dtype.np)


def _eye(like: Tensor, m: int, n: int) -> Tensor:
    xp = _xp(like)
    return make(xp.eye(m, n, dtype=like._data.dtype), like._device)


def _sizes(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _unpack_LU(LU: Tensor) -> tuple[Tensor, Tensor]:
    """``L`` (unit lower, m x k) and ``U`` (upper, k x n) of a packed LU, with Ember ops."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = LU.narrow(-1, 0, k).tril(-1) + _eye(LU, m, k)
    U = LU.narrow(-2, 0, k).triu()
    return L, U


def _P(LU: Tensor, pivots: Tensor) -> Tensor:
    xp = _xp(LU)
    perm = K.permutation(xp, pivots._data, LU.shape[-2])
    return make(K.permutation_matrix(xp, perm, LU._data.dtype), LU._device)


# ------------------------------------------------------------------ factorization
def _factor(A: Tensor, pivot: bool, op: str) -> tuple[Tensor, Tensor, Any]:
    if A._data.ndim < 2:
        raise RuntimeError(f"ember.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {_sizes(A.shape)} instead")
    _float_kernel(A, "lu_cpu" if A._device.type == "cpu" else "lu_cuda")
    if not pivot and A._device.type == "cpu":
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    xp = _xp(A)
    x = A._data
    lead, (m, n) = x.shape[:-2], x.shape[-2:]
    work = xp.array(x.reshape((int(np.prod(lead)), m, n)), copy=True)
    lu_arr, piv, info = K.getrf(xp, work, pivot)
    k = min(m, n)
    LU = make(lu_arr.reshape(x.shape), A._device)
    pivots = make(piv.reshape(lead + (k,)), A._device)
    return LU, pivots, info.reshape(lead)


def _record_factor(A: Tensor, LU: Tensor, pivots: Tensor, pivot: bool) -> None:
    if grad_state.enabled and A._rg:
        def vjp(g: Tensor, LU: Tensor, pivots: Tensor) -> tuple:
            m, n = LU.shape[-2:]
            k = min(m, n)
            L, U = _unpack_LU(LU)
            P = _P(LU, pivots) if pivot else None
            return (_lu_backward(g.narrow(-1, 0, k), g.narrow(-2, 0, k), P, L, U),)

        record("LinalgLuFactorExBackward0", LU, (A,), vjp, (LU, pivots))


def _singular_message(op: str, info: Any) -> str:
    flat = np.asarray(info).ravel()
    idx = int(np.flatnonzero(flat)[0])
    d = int(flat[idx])
    return (f"{op}: {_batch_prefix(idx, np.ndim(info) > 0)}U[{d},{d}] is zero and using it on "
            f"lu_solve would result in a division by zero. If you still want to perform the "
            f"factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, "
            f"pivot)")


@writes_out("linalg_lu_factor_ex", exact=True)
def linalg_lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False,
                        out: Any = None) -> Any:
    """``(LU, pivots, info)``: the packed LU decomposition with partial pivoting; ``info`` is
    the index of the first zero pivot (1-based) instead of an error."""
    _need_tensor(A, "linalg_lu_factor_ex", "A", 1)
    LU, pivots, info = _factor(A, pivot, "linalg.lu_factor_ex")
    if check_errors and bool(_xp(A).any(info != 0)):
        raise RuntimeError(_singular_message("ember.linalg.lu_factor_ex", _host(info)))
    _record_factor(A, LU, pivots, pivot)
    return _rt.linalg_lu_factor_ex((LU, pivots, make(info, A._device)))


@writes_out("linalg_lu_factor", exact=True)
def linalg_lu_factor(A: Tensor, *, pivot: bool = True, out: Any = None) -> Any:
    """``(LU, pivots)``: the packed LU decomposition; raises when a pivot is exactly zero."""
    _need_tensor(A, "linalg_lu_factor", "A", 1)
    LU, pivots, info = _factor(A, pivot, "linalg.lu_factor")
    if bool(_xp(A).any(info != 0)):
        raise RuntimeError(_singular_message("ember.linalg.lu_factor", _host(info)))
    _record_factor(A, LU, pivots, pivot)
    return _rt.linalg_lu_factor((LU, pivots))


@writes_out("lu")
def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out: Any = None) -> Any:
    """Deprecated ``torch.lu``: ``(LU, pivots)`` or, with ``get_infos``, ``(LU, pivots,
    info)``; never raises for singular matrices."""
    warnings.warn("ember.lu is deprecated in favor of ember.linalg.lu_factor / "
                  "ember.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
                  "LU, pivots = ember.lu(A, compute_pivots)\nshould be replaced with\n"
                  "LU, pivots = ember.linalg.lu_factor(A, compute_pivots)\nand\n"
                  "LU, pivots, info = ember.lu(A, compute_pivots, get_infos=True)\n"
                  "should be replaced with\n"
                  "LU, pivots, info = ember.linalg.lu_factor_ex(A, compute_pivots) (Triggered "
                  "internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                  "BatchLinearAlgebra.cpp:2056.)",
                  UserWarning, stacklevel=user_stacklevel())
    _need_tensor(A, "_lu_with_info", "input", 1)
    LU, pivots, info = _factor(A, pivot, "linalg.lu_factor")
    _record_factor(A, LU, pivots, pivot)
    if get_infos:
        return _lu_with_info((LU, pivots, make(info, A._device)))
    return LU, pivots


@writes_out("linalg_lu", exact=True)
def linalg_lu(A: Tensor, *, pivot: bool = True, out: Any = None) -> Any:
    """``(P, L, U)`` with ``A = P L U``; gradients flow through ``L`` and ``U``."""
    _need_tensor(A, "linalg_lu", "A", 1)
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: "
                           f"{_sizes(A.shape)} instead")
    LU, pivots, _ = _factor(A, pivot, "linalg.lu")
    P, L, U = _unpack_arrays(LU, pivots, True, pivot)
    if grad_state.enabled and A._rg:
        def vjp(gs: Any, P: Any, L: Tensor, U: Tensor) -> tuple:
            gL, gU = gs
            if gL is None and gU is None:
                return (None,)
            return (_lu_backward(gL, gU, P if pivot else None, L, U),)

        record_multi("LinalgLuBackward0", (L, U), (A,), vjp, (P, L, U))
        _set_meta_undefined((L, U))
    return _rt.linalg_lu((P, L, U))


def _lu_backward(gL: Tensor | None, gU: Tensor | None, P: Tensor | None, L: Tensor,
                 U: Tensor) -> Tensor:
    """The gradient of ``A = P L U`` from those of ``L`` (m x k) and ``U`` (k x n)."""
    m, k = L.shape[-2:]
    n = U.shape[-1]
    if m == n:
        phi = None if gL is None else matmul(L.mH, gL).tril(-1)
        if gU is not None:
            t = matmul(gU, U.mH).triu()
            phi = t if phi is None else phi + t
        gA = solve_triangular(U.mH, phi, upper=False, left=False)
        gA = solve_triangular(L.mH, gA, upper=True, unitriangular=True)
    elif m < n:
        U1 = U.narrow(-1, 0, k)
        phi = None if gL is None else matmul(L.mH, gL)
        if gU is not None:
            t = matmul(gU.triu(), U.mH)
            phi = -t if phi is None else phi - t
        gA = solve_triangular(U1.mH, phi.tril(-1), upper=False, left=False)
        from .shape_join import cat

        if gU is not None:
            gA = cat([gA + gU.narrow(-1, 0, k).triu(), gU.narrow(-1, k, n - k)], -1)
        gA = solve_triangular(L.mH, gA, upper=True, unitriangular=True)
        if gU is None:
            gA = cat([gA, (U.narrow(-1, k, n - k) * 0)], -1)
    else:
        L1 = L.narrow(-2, 0, k)
        phi = None if gU is None else matmul(gU, U.mH)
        if gL is not None:
            t = matmul(L.mH, gL.tril(-1))
            phi = -t if phi is None else phi - t
        gA = solve_triangular(L1.mH, phi.triu(), upper=True, unitriangular=True)
        from .shape_join import cat

        if gL is not None:
            gA = cat([gA + gL.narrow(-2, 0, k).tril(-1), gL.narrow(-2, k, m - k)], -2)
        gA = solve_triangular(U.mH, gA, upper=False, left=False)
        if gL is None:
            gA = cat([gA, (L.narrow(-2, k, m - k) * 0)], -2)
    return gA if P is None else matmul(P, gA)


# ------------------------------------------------------------------ unpacking
def _check_pivots(LU: Tensor, pivots: Tensor, op: str) -> None:
    if pivots._data.dtype != np.int32:
        raise RuntimeError(f"{op}: LU_pivots is expected to be a contiguous tensor of "
                           f"ember.int32 dtype.\nNote: this function is intended to be used with "
                           f"the output produced by ember.linalg.lu_factor")
    m, n = LU.shape[-2:]
    want = tuple(LU.shape[:-2]) + (min(m, n),)
    if tuple(pivots.shape) != want:
        raise ValueError(f"Expected LU_pivots to have shape {_sizes(want)} but got "
                         f"{_sizes(pivots.shape)} instead.")


def _unpack_arrays(LU: Tensor, pivots: Tensor, data: bool, piv: bool) -> tuple:
    xp = _xp(LU)
    m, n = LU.shape[-2:]
    k = min(m, n)
    empty = make(xp.zeros((0,), dtype=LU._data.dtype), LU._device)
    if piv:
        p = pivots._data
        if p.size and bool(xp.any((p < 1) | (p > m))):
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                               "inclusive.Did you properly pass the result of lu_factor?")
        perm = K.permutation(xp, p, m)
        P = make(K.permutation_matrix(xp, perm, LU._data.dtype), LU._device)
    else:
        P = empty
    if not data:
        return P, empty, empty
    x = LU._data
    eye = xp.eye(m, k, dtype=x.dtype)
    L = make(xp.tril(x[..., :, :k], -1) + eye, LU._device)
    U = make(xp.triu(x[..., :k, :]), LU._device)
    return P, L, U


@writes_out("lu_unpack", exact=True)
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out: Any = None) -> Any:
    """``(P, L, U)`` from ``linalg.lu_factor``'s packed result; empty parts when not asked."""
    _need_tensor(LU_data, "lu_unpack", "LU_data", 1)
    _need_tensor(LU_pivots, "lu_unpack", "LU_pivots", 2)
    if LU_data._data.ndim < 2:
        raise RuntimeError(f"ember.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {_sizes(LU_data.shape)} instead")
    if unpack_pivots:
        _check_pivots(LU_data, LU_pivots, "ember.lu_unpack")
    P, L, U = _unpack_arrays(LU_data, LU_pivots, unpack_data, unpack_pivots)
    if unpack_data and grad_state.enabled and LU_data._rg:
        m, n = LU_data.shape[-2:]
        shape = tuple(LU_data.shape)

        def vjp(gs: Any) -> tuple:
            gL, gU = gs
            if gL is None and gU is None:
                return (None,)
            return (_unpack_backward(gL, gU, m, n, shape),)

        record_multi("LuUnpackBackward0", (L, U), (LU_data,), vjp)
        _set_meta_undefined((L, U))
    return _rt.lu_unpack((P, L, U))


def _unpack_backward(gL: Tensor | None, gU: Tensor | None, m: int, n: int,
                     shape: tuple) -> Tensor:
    from .shape_join import cat

    k = min(m, n)
    lower = None if gL is None else gL.tril(-1)
    upper = None if gU is None else gU.triu()
    if m == n:
        if lower is None:
            return upper
        return lower if upper is None else lower + upper
    if m < n:  # L is m x m, U is m x n
        if lower is not None:
            pad = cat([lower, lower.new_zeros(lower.shape[:-1] + (n - k,))], -1)
            return pad if upper is None else upper + pad
        return upper
    if upper is not None:  # m > n: L is m x n, U is n x n
        pad = cat([upper, upper.new_zeros(upper.shape[:-2] + (m - k, n))], -2)
        return pad if lower is None else lower + pad
    return lower


# ------------------------------------------------------------------ solving
def _lu_solve_raw(LU: Any, perm: Any, B: Any, xp: Any, left: bool, adjoint: bool) -> Any:
    """Solve with packed-LU arrays (``perm`` from ``K.permutation``)."""
    if not left:
        # X A = B  <=>  A^H X^H = B^H ;  X A^H = B  <=>  A X^H = B^H
        bh = xp.conj(xp.swapaxes(B, -1, -2))
        x = _lu_solve_raw(LU, perm, bh, xp, True, not adjoint)
        return xp.conj(xp.swapaxes(x, -1, -2))
    shape = np.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    n = LU.shape[-1]
    perm = xp.broadcast_to(perm, shape + (n,))
    if not adjoint:
        b = xp.broadcast_to(B, shape + B.shape[-2:])
        y = xp.take_along_axis(b, perm[..., :, None], axis=-2)
        y = K.trsm(xp, LU, y, lower=True, unit=True)
        return K.trsm(xp, LU, y, lower=False, unit=False)
    lh = xp.conj(xp.swapaxes(LU, -1, -2))
    z = K.trsm(xp, lh, B, lower=True, unit=False)   # U^H z = B
    w = K.trsm(xp, lh, z, lower=False, unit=True)   # L^H w = z
    inv = xp.argsort(perm, axis=-1)
    w = xp.broadcast_to(w, shape + w.shape[-2:])
    return xp.take_along_axis(w, inv[..., :, None], axis=-2)


@writes_out("linalg_lu_solve", exact=True)
def linalg_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
                    adjoint: bool = False, out: Tensor | None = None) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``; ``A^H`` for
    ``adjoint``) given ``linalg.lu_factor(A)``; batches broadcast."""
    for i, (x, name) in enumerate(((LU, "LU"), (pivots, "pivots"), (B, "B"))):
        _need_tensor(x, "linalg_lu_solve", name, i + 1)
    lx, bx = LU._data, B._data
    if lx.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor LU must have at least 2 "
                           "dimensions.")
    if bx.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    if lx.shape[-1] != lx.shape[-2]:
        raise RuntimeError(f"ember.linalg.lu_solve: A must be batches of square matrices, but "
                           f"they are {lx.shape[-2]} by {lx.shape[-1]} matrices")
    if lx.dtype.kind not in "fc":
        raise RuntimeError(f"ember.linalg.lu_solve: Expected a floating point or complex tensor "
                           f"as input. Got {_tname(LU)}")
    if lx.dtype != bx.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {_tname(LU)} and B of type {_tname(B)} instead")
    n = lx.shape[-1]
    if (bx.shape[-2] if left else bx.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({n}x{n} and {bx.shape[-2]}x{bx.shape[-1]})")
    if pivots._data.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "ember.int32")
    if tuple(pivots.shape[:-1]) != tuple(LU.shape[:-2]):
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got pivots with shape {_sizes(pivots.shape)} instead")
    if pivots.shape[-1] != n:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the "
                           "dimension of the matrix")
    try:
        np.broadcast_shapes(lx.shape[:-2], bx.shape[:-2])
    except ValueError:
        raise RuntimeError(_mismatch(bx.shape[:-2], lx.shape[:-2])) from None
    xp = _xp(LU)
    perm = K.permutation(xp, pivots._data, n)
    X = make(_lu_solve_raw(lx, perm, bx, xp, left, adjoint), LU._device)
    if grad_state.enabled and (LU._rg or B._rg):
        sl, sb = tuple(LU.shape), tuple(B.shape)
        need_lu = LU._rg

        def vjp(g: Tensor, LU: Tensor, pivots: Tensor, X: Tensor) -> tuple:
            gB = linalg_lu_solve(LU, pivots, g, left=left, adjoint=not adjoint)
            gLU = None
            if need_lu:
                if left:
                    gA = -matmul(gB, X.mH) if not adjoint else -matmul(X, gB.mH)
                else:
                    gA = -matmul(X.mH, gB) if not adjoint else -matmul(gB.mH, X)
                L, U = _unpack_LU(LU)
                PtgA = matmul(_P(LU, pivots).mT, gA)
                gLU = sum_to(matmul(PtgA, U.mH).tril(-1) + matmul(L.mH, PtgA).triu(), sl)
            return gLU, sum_to(gB, sb)

        record("LinalgLuSolveBackward0", X, (LU, B), vjp, (LU, pivots, X))
    return X


def _mismatch(a: tuple, b: tuple) -> str:
    """PyTorch's broadcasting error for the batch shapes ``a`` and ``b``."""
    ra, rb = a[::-1], b[::-1]
    for i in range(min(len(ra), len(rb))):
        if ra[i] != rb[i] and ra[i] != 1 and rb[i] != 1:
            return (f"The size of tensor a ({ra[i]}) must match the size of tensor b ({rb[i]}) "
                    f"at non-singleton dimension {max(len(a), len(b)) - 1 - i}")
    return "shape mismatch"


@autocast_op("lu_solve")
@writes_out("lu_solve")
def lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor, *,
             out: Tensor | None = None) -> Tensor:
    """Deprecated ``torch.lu_solve(b, LU_data, LU_pivots)``: ``linalg.lu_solve`` with the
    right-hand side first."""
    if not _lu_solve_warned:  # once per process, as PyTorch's TORCH_WARN_ONCE
        _lu_solve_warned.append(True)
        warnings.warn("ember.lu_solve is deprecated in favor of ember.linalg.lu_solveand will be "
                      "removed in a future PyTorch release.\nNote that ember.linalg.lu_solve has "
                      "its arguments reversed.\nX = ember.lu_solve(B, LU, pivots)\nshould be "
                      "replaced with\nX = ember.linalg.lu_solve(LU, pivots, B) (Triggered "
                      "internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                      "BatchLinearAlgebra.cpp:2213.)", UserWarning, stacklevel=user_stacklevel())
    return linalg_lu_solve(LU_data, LU_pivots, input)


_lu_solve_warned: list = []


# ------------------------------------------------------------------ Cholesky solvers
@autocast_op("cholesky_solve")
@writes_out("cholesky_solve", castable=("cholesky_solve",))
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *,
                   out: Tensor | None = None) -> Tensor:
    """The solution of ``A X = B`` given ``B`` and the Cholesky factor of ``A``
    (``A = L L^H``, or ``U^H U`` with ``upper``); batches broadcast."""
    _need_tensor(input, "cholesky_solve", "input", 1)
    _need_tensor(input2, "cholesky_solve", "input2", 2)
    b, c = input._data, input2._data
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions "
                           f"instead")
    if c.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {c.ndim} dimensions "
                           f"instead")
    if b.dtype != c.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_tname(input)} and A of type {_tname(input2)} instead.")
    _float_kernel(input2, "cholesky_solve_cpu" if input._device.type == "cpu"
                  else "cholesky_solve_cuda")
    if c.shape[-1] != c.shape[-2] or c.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{c.shape[-2]} by {c.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}")
    try:
        np.broadcast_shapes(b.shape[:-2], c.shape[:-2])
    except ValueError:
        raise RuntimeError(_mismatch(b.shape[:-2], c.shape[:-2])) from None
    xp = _xp(input)
    X = make(_chol_solve_raw(xp, c, b, upper), input._device)
    if grad_state.enabled and (input._rg or input2._rg):
        sb, sc = tuple(input.shape), tuple(input2.shape)
        need_c = input2._rg

        def vjp(g: Tensor, C: Tensor, X: Tensor) -> tuple:
            gB = cholesky_solve(g, C, upper)
            gC = None
            if need_c:
                common = matmul(gB, X.mH)
                common = common + common.mH
                gC = sum_to(-matmul(C, common) if upper else -matmul(common, C), sc)
            return sum_to(gB, sb), gC

        record("CholeskySolveBackward0", X, (input, input2), vjp, (input2, X))
    return X


def _chol_solve_raw(xp: Any, c: Any, b: Any, upper: bool) -> Any:
    ch = xp.conj(xp.swapaxes(c, -1, -2))
    if upper:  # A = U^H U
        y = K.trsm(xp, ch, b, lower=True, unit=False)
        return K.trsm(xp, c, y, lower=False, unit=False)
    y = K.trsm(xp, c, b, lower=True, unit=False)
    return K.trsm(xp, ch, y, lower=False, unit=False)


@autocast_op("cholesky_inverse")
@writes_out("cholesky_inverse", castable=("cholesky_inverse",))
def cholesky_inverse(input: Tensor, upper: bool = False, *,
                     out: Tensor | None = None) -> Tensor:
    """The inverse of ``A = L L^H`` (``U^H U`` with ``upper``) from its Cholesky factor."""
    _need_tensor(input, "cholesky_inverse", "input", 1)
    x = input._data
    if x.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 "
                           "dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they "
                           f"are {x.shape[-2]} by {x.shape[-1]} matrices")
    _float_kernel(input, "cholesky_inverse_out_cpu" if input._device.type == "cpu"
                  else "cholesky_inverse_out_cuda")
    xp = _xp(input)
    n = x.shape[-1]
    diag = xp.diagonal(x, 0, -2, -1)
    if diag.size and bool(xp.any(diag == 0)):
        zero = _host(diag == 0).reshape((-1, n))
        first = np.where(zero.any(-1), zero.argmax(-1) + 1, 0).reshape(x.shape[:-2])
        flat = first.ravel()
        i = int(np.flatnonzero(flat)[0])
        raise LinAlgError(f"cholesky_inverse: {_batch_prefix(i, x.ndim > 2)}The diagonal "
                          f"element {int(flat[i])} is zero, the inversion could not be "
                          f"completed because the input matrix is singular.")
    eye = xp.broadcast_to(xp.eye(n, dtype=x.dtype), x.shape)
    res = make(_chol_solve_raw(xp, x, eye, upper), input._device)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, C: Tensor, Inv: Tensor) -> tuple:
            common = matmul(Inv, matmul(g + g.mH, Inv))
            return (-matmul(C, common) if upper else -matmul(common, C),)

        record("CholeskyInverseBackward0", res, (input,), vjp, (input, res))
    return res


# ------------------------------------------------------------------ Householder products
@autocast_op("linalg_householder_product")
@writes_out("householder_product", castable=("torch.linalg.householder_product",))
def householder_product(A: Tensor, tau: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The first ``n`` columns of the product of the Householder reflectors stored in ``A``
    and ``tau`` (LAPACK's orgqr, as returned by ``geqrf``)."""
    op = "ember.linalg.householder_product"
    _need_tensor(A, "linalg_householder_product", "input", 1)
    _need_tensor(tau, "linalg_householder_product", "tau", 2)
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if a.shape[-2] < a.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1]")
    if t.ndim and a.shape[-1] < t.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1]")
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if tuple(t.shape[:-1]) != tuple(a.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {_sizes(t.shape[:-1])}")
    if a.dtype != t.dtype:
        raise RuntimeError(f"{op}: tau dtype {_tname(tau)} does not match input dtype "
                           f"{_tname(A)}")
    _float_kernel(A, "orgqr_cpu" if A._device.type == "cpu" else "orgqr_cuda")
    xp = _xp(A)
    res = make(K.householder(xp, a, t), A._device)
    if grad_state.enabled and (A._rg or tau._rg):
        def vjp(g: Tensor, A: Tensor, tau: Tensor) -> tuple:
            return _householder_backward(g, A, tau)

        record("LinalgHouseholderProductBackward0", res, (A, tau), vjp, (A, tau))
    return res


def _householder_backward(g: Tensor, A: Tensor, tau: Tensor) -> tuple:
    """Reverse mode through ``Q_i = Q_{i+1} - tau_i v_i (v_i^H Q_{i+1})``, ``Q = Q_0``."""
    from .shape_join import cat, stack

    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if k == 0:  # the product is the identity: PyTorch leaves both gradients undefined
        return None, None
    lead = tuple(A.shape[:-2])
    vs = []
    for i in range(k):
        zeros = A.new_zeros(lead + (i,))
        ones = A.new_ones(lead + (1,))
        vs.append(cat([zeros, ones, A[..., i + 1:, i]], -1).unsqueeze(-1))
    Qs = [None] * (k + 1)
    Qs[k] = _eye(A, m, n).expand(lead + (m, n))
    for i in range(k - 1, -1, -1):
        v = vs[i]
        t = tau[..., i, None, None]
        Qs[i] = Qs[i + 1] - t * matmul(v, matmul(v.mH, Qs[i + 1]))
    G = g
    gtaus, gcols = [], []
    for i in range(k):
        v, Qn = vs[i], Qs[i + 1]
        t = tau[..., i, None, None]
        w = matmul(v.mH, Qn)                              # 1 x n
        gtaus.append(-matmul(matmul(v.mH, G), w.mH)[..., 0, 0])
        gv = -(t.conj() * matmul(G, w.mH) + t * matmul(Qn, matmul(G.mH, v)))
        gcols.append(cat([A.new_zeros(lead + (i + 1,)), gv[..., i + 1:, 0]], -1))
        G = G - t.conj() * matmul(v, matmul(v.mH, G))
    if k < n:
        gcols += [A.new_zeros(lead + (m,))] * (n - k)
    gA = stack(gcols, -1) if gcols else A * 0
    gtau = stack(gtaus, -1) if gtaus else tau * 0
    return gA, gtau


def orgqr(input: Tensor, input2: Tensor) -> Tensor:
    """Alias of ``linalg.householder_product``."""
    return householder_product(input, input2)


_warned_triangular = False


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> Any:
    """The deprecated ``torch.triangular_solve``: ``(X, A)`` with ``op(A) X = b``, ``op``
    the transpose when ``transpose``; batch dims broadcast and ``A`` comes back broadcast."""
    global _warned_triangular
    for t, nm in ((b, "b"), (A, "A")):
        if t._data.ndim < 2:
            raise RuntimeError(f"ember.triangular_solve: Expected {nm} to have at least 2 "
                               f"dimensions, but it has {t._data.ndim} dimensions instead")
    sa, sb = A._data.shape, b._data.shape
    if sa[-1] != sa[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {sa[-2]} by "
                           f"{sa[-1]} matrices")
    if sb[-2] != sa[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is "
                           f"{sa[-2]} by {sa[-1]} but each b matrix is {sb[-2]} by {sb[-1]}")
    if A._data.dtype != b._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_T_NAMES.get(b.dtype.name)} and A of type "
                           f"{_T_NAMES.get(A.dtype.name)} instead.")
    _float_kernel(A, "triangular_solve_cpu")
    if not _warned_triangular:
        _warned_triangular = True
        warnings.warn("ember.triangular_solve is deprecated in favor of "
                      "ember.linalg.solve_triangularand will be removed in a future PyTorch "
                      "release.\nember.linalg.solve_triangular has its arguments reversed and "
                      "does not return a copy of one of the inputs.\nX = "
                      "ember.triangular_solve(B, A).solution\nshould be replaced with\nX = "
                      "ember.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    Ab = A.expand(*batch, *sa[-2:])
    bb = b.expand(*batch, *sb[-2:])
    T = Ab.mT if transpose else Ab
    X = renamed(solve_triangular(T, bb, upper=upper != transpose, unitriangular=unitriangular),
                "TriangularSolveBackward0")
    return _rt.triangular_solve((X, Ab.clone()))


def _lu_method(self: Tensor, pivot: bool = True, get_infos: bool = False) -> Any:
    return tuple(lu(self, pivot, get_infos))


def _lu_solve_method(self: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    return lu_solve(self, LU_data, LU_pivots)


methods(lu=_lu_method, lu_solve=_lu_solve_method, cholesky_solve=cholesky_solve,
        cholesky_inverse=cholesky_inverse, orgqr=orgqr, triangular_solve=triangular_solve)
