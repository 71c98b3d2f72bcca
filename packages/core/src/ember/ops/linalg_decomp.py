"""Decompositions and solvers behind ``ember.linalg``: inv, det, slogdet, solve,
solve_triangular, cholesky, qr, svd, eig, eigh, pinv, matrix_power, matrix_exp.

Forwards are batched NumPy/CuPy ``linalg`` calls (LAPACK, as in PyTorch, so signs
and orderings agree); derivatives are PyTorch's formulas written with Ember ops, so
they batch over leading dims and differentiate again. Failures raise
``LinAlgError`` (a RuntimeError, like ``torch.linalg.LinAlgError``) with PyTorch's
message, built on the error path only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, record, record_multi, renamed, sum_to
from ._inplace import writes_out
from .linalg import _T_NAMES, matmul
from .linalg_lapack import _cholesky_partial, lapack

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "logdet", "solve", "solve_ex",
           "solve_triangular", "cholesky", "cholesky_ex", "qr", "svd", "svdvals", "eig",
           "eigvals", "eigh", "eigvalsh", "pinv", "matrix_power", "matrix_exp"]


class _LinAlgError(RuntimeError):
    """A linear-algebra failure (singular or non positive-definite input), as
    ``torch.linalg.LinAlgError``: a subclass of RuntimeError, whose class PyTorch names
    ``_LinAlgError``."""


LinAlgError = _LinAlgError


# ------------------------------------------------------------------ checks and helpers
def _check(A: Tensor, op: str, square: bool = True) -> None:
    x = A._data
    if x.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    if x.dtype.kind not in "fc" and A.dtype is not _dt.bfloat16:
        _refuse_integral(A, op)
    if op in _FLOAT_DOUBLE_ONLY and A.dtype.name in ("float16", "bfloat16"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype.name in ("float16", "bfloat16") and op in _HALF_REFUSALS:
        name, refusal = _T_NAMES[A.dtype.name], _HALF_REFUSALS[op]
        if refusal.endswith("_cpu"):  # a LAPACK kernel without half types
            raise NotImplementedError(f"\"{refusal}\" not implemented for '{name}'")
        raise RuntimeError(f"{refusal}: Low precision dtypes not supported. Got {name}")


# ops whose LAPACK path takes float and double (and complex) only, with PyTorch's own message
_FLOAT_DOUBLE_ONLY = {"ember.linalg.lstsq", "linalg.matrix_rank"}
# how ops refuse integer and bool inputs where PyTorch's message is not the generic one: the
# kernel's name (NotImplementedError), or a message; and the op a message names instead
_INT_REFUSALS = {"linalg.eigh": "linalg_eigh_cpu", "linalg.eigvalsh": "linalg_eigh_cpu",
                 "linalg.solve_triangular": "triangular_solve_cpu",
                 "linalg.eig": "Unknown Complex ScalarType for {}",
                 "ember.linalg.lstsq": "This function doesn't handle types other than float and "
                                       "double",
                 "linalg.matrix_rank": "This function doesn't handle types other than float and "
                                       "double"}
_NAMED_AS = {"linalg.svdvals": "linalg.svd", "linalg.cholesky_ex": "linalg.cholesky",
             "linalg.inv_ex": "linalg.inv"}


def _refuse_integral(A: Tensor, op: str) -> None:
    """The error for an integer or bool input (the error path of ``_check``)."""
    name = _T_NAMES.get(A.dtype.name, A.dtype.name)
    how = _INT_REFUSALS.get(op)
    if how is not None and how.endswith("_cpu"):
        raise NotImplementedError(f"\"{how}\" not implemented for '{name}'")
    if how is not None:
        raise RuntimeError(how.format(name))
    raise RuntimeError(f"{_NAMED_AS.get(op, op)}: Expected a floating point or complex tensor as "
                       f"input. Got {name}")


# how each op refuses float16/bfloat16 on the CPU: a message prefix, or the kernel's name
_HALF_REFUSALS = {
    "linalg.inv": "linalg.inv", "linalg.inv_ex": "linalg.inv", "linalg.slogdet": "linalg.slogdet",
    "logdet": "logdet", "linalg.det": "lu_cpu", "linalg.solve": "lu_cpu",
    "linalg.solve_triangular": "triangular_solve_cpu",
    "linalg.cholesky": "cholesky_cpu", "linalg.cholesky_ex": "cholesky_cpu",
    "linalg.qr": "geqrf_cpu", "linalg.svd": "linalg_svd_cpu", "linalg.svdvals": "linalg_svd_cpu",
    "linalg.eigh": "linalg_eigh_cpu", "linalg.eigvalsh": "linalg_eigh_cpu",
    "linalg.eig": "linalg_eig_out_cpu"}


def _xp(A: Tensor) -> Any:
    return A._device._backend.xp


def _compute_dtype(x: Any) -> tuple[Any, Any]:
    """Half precision runs in float32 (LAPACK has no half); returns (array, result dtype)."""
    if x.dtype.name in ("float16", "bfloat16"):
        return x.astype("float32"), x.dtype
    return x, x.dtype


def _wrap(A: Tensor, arr: Any, dtype: Any = None) -> Tensor:
    xp = _xp(A)
    arr = xp.asarray(arr)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return make(arr, A._device)


def _batch_prefix(idx: int, batched: bool) -> str:
    return f"(Batch element {idx}): " if batched else ""


def _lu_info(a: np.ndarray) -> np.ndarray:
    """LAPACK getrf's ``info`` per matrix: the first exactly-zero pivot (1-based), else 0."""
    a = np.array(a, dtype=np.complex128 if a.dtype.kind == "c" else np.float64)
    a = a.reshape((-1,) + a.shape[-2:])
    b, n, _ = a.shape
    info = np.zeros(b, dtype=np.int64)
    rows = np.arange(b)
    for k in range(n):  # error path only: columns of the elimination, batched
        p = k + np.argmax(np.abs(a[:, k:, k]), axis=1)
        a[rows, [k] * b], a[rows, p] = a[rows, p], a[rows, [k] * b].copy()
        piv = a[:, k, k]
        zero = piv == 0
        info = np.where((info == 0) & zero, k + 1, info)
        safe = np.where(zero, 1, piv)
        f = a[:, k + 1:, k] / safe[:, None]
        f[zero] = 0
        a[:, k + 1:, :] -= f[:, :, None] * a[:, k, None, :]
    return info


def _host(A: Tensor) -> np.ndarray:
    return A.detach()._host()


def _eye_like(A: Tensor, n: int) -> Tensor:
    from .creation import eye

    return eye(n, dtype=A.dtype, device=A._device)


def _set_meta_undefined(outs: Any) -> None:
    """Let a multi-output node see None (not zeros) for outputs without a gradient."""
    node = outs[0].grad_fn
    node._meta = [None] * len(outs)


# ------------------------------------------------------------------ inverse
def _inv_raw(A: Tensor, op: str) -> tuple[Any, np.ndarray | None]:
    xp = _xp(A)
    x, dt = _compute_dtype(A._data)
    try:
        return xp.linalg.inv(x).astype(dt, copy=False), None
    except Exception as e:  # numpy.linalg.LinAlgError or CuPy's
        if "ingular" not in str(e) and type(e).__name__ != "LinAlgError":
            raise
    # PyTorch's inverse is LU's solve on the identity: inf/nan where a pivot is exactly zero,
    # a (huge) inverse where rounding leaves every pivot nonzero
    from .linalg_lu import linalg_lu_factor_ex, linalg_lu_solve

    D = A.detach()
    with np.errstate(divide="ignore", invalid="ignore"):  # the zero pivots' inf/nan
        LU, piv, info = linalg_lu_factor_ex(D)
        r = linalg_lu_solve(LU, piv, _eye_like(D, x.shape[-1]).expand_as(D))
    return r._data.astype(dt, copy=False), info._host()


def _singular_inv_message(op: str, info: np.ndarray) -> str:
    flat = info.ravel()
    k = int(np.flatnonzero(flat)[0])
    return (f"{op}: {_batch_prefix(k, info.ndim > 0)}The diagonal element {int(flat[k])} is "
            f"zero, the inversion could not be completed because the input matrix is singular.")


@autocast_op("linalg_inv")
@writes_out("linalg_inv", exact=True)
def inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The inverse of a square matrix (batched); LinAlgError when singular."""
    _check(A, "linalg.inv")
    r, info = _inv_raw(A, "linalg.inv")
    if info is not None and info.any():
        raise LinAlgError(_singular_inv_message("linalg.inv", info))
    return _record_inv(A, make(r, A._device))


def _record_inv(A: Tensor, res: Tensor) -> Tensor:
    if grad_state.enabled and A._rg:
        def vjp(g: Tensor, X: Tensor) -> tuple:
            Xh = X.mH
            return (-matmul(matmul(Xh, g), Xh),)

        record("LinalgInvExBackward0", res, (A,), vjp, (res,))
    return res


@autocast_op("linalg_inv_ex")
@writes_out("linalg_inv_ex", exact=True)
def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """``(inverse, info)``: ``info`` is nonzero for singular matrices instead of raising."""
    _check(A, "linalg.inv_ex")
    r, info = _inv_raw(A, "linalg.inv_ex")
    if info is None:
        info = np.zeros(A._data.shape[:-2], dtype=np.int32)
    elif check_errors and info.any():
        raise LinAlgError(_singular_inv_message("linalg.inv_ex", info))
    res = _record_inv(A, make(r, A._device))
    return _rt.linalg_inv_ex((res, _wrap(A, info.astype(np.int32))))


# ------------------------------------------------------------------ determinants
@writes_out("det", exact=True)
def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The determinant of square matrices (batched)."""
    _check(A, "linalg.det")
    x, dt = _compute_dtype(A._data)
    with np.errstate(invalid="ignore"):  # NaN entries: no warning, as PyTorch
        d = _xp(A).linalg.det(x)
    if dt.kind == "f" and not d.all():
        d = _xp(A).where(d == 0, _lu_zero_det(A, x, dt, signs=False), d)
    res = _wrap(A, d, dt)
    if grad_state.enabled and A._rg:
        def vjp(g: Tensor, A: Tensor, d: Tensor) -> tuple:
            # g * conj(det) * A^{-H}. Exactly singular matrices: zero, as PyTorch's first-order
            # formula gives, but the true cofactors (from the SVD) for 1 by 1 matrices and
            # under create_graph, as PyTorch's
            gd = (g * d.conj()).unsqueeze(-1).unsqueeze(-1)
            singular = d == 0
            if not bool(singular._data.any()):
                return (gd * inv(A).mH,)
            n = A._data.shape[-1]
            sing = singular.unsqueeze(-1).unsqueeze(-1)
            regular = gd * inv(A.where(~sing, _eye_like(A, n))).mH
            cof = _det_cofactors(g, A) if n == 1 or grad_state.enabled else regular * 0
            return (regular.where(~sing, cof),)

        record("LinalgDetBackward0", res, (A,), vjp, (A, res))
    return res


def _lu_zero_det(A: Tensor, x: Any, dt: Any, signs: bool) -> Any:
    """The determinant (or with ``signs``, its sign) from the LU factors of ``A^T``, as PyTorch
    computes it: for singular matrices the sign of the zero follows the row swaps (-0.0)."""
    from .linalg_lu import linalg_lu_factor_ex

    LU, piv, _ = linalg_lu_factor_ex(make(x, A._device).mT)
    xp = _xp(A)
    diag = xp.diagonal(LU._data, axis1=-2, axis2=-1)
    swaps = (piv._data != xp.arange(1, piv._data.shape[-1] + 1, dtype=piv._data.dtype)).sum(-1)
    perm = xp.where(swaps % 2 == 1, -1.0, 1.0).astype(dt)
    return perm * xp.prod(xp.sign(diag) if signs else diag, axis=-1)


def _det_cofactors(g: Tensor, A: Tensor) -> Tensor:
    """``g`` times the conjugate cofactor matrix of ``A`` from its SVD (valid when singular):
    ``U diag(g conj(det U det Vh) prod_{k != j} S_k) Vh``."""
    U, S, Vh = svd(A.detach())
    alpha = (det(U) * det(Vh)).conj()
    n = S.shape[-1]
    others = S.unsqueeze(-2).expand(*S.shape[:-1], n, n)
    others = others.where(~_eye_like(S, n).bool(), others.new_ones(()))
    D = (g * alpha).unsqueeze(-1) * others.prod(-1).to(alpha.dtype)
    return matmul(U * D.unsqueeze(-2), Vh)


@writes_out("slogdet", exact=True)
def slogdet(A: Tensor, *, out: Any = None) -> Any:
    """``(sign, logabsdet)`` of square matrices; the gradient flows through ``logabsdet``."""
    return _slogdet(A, "linalg.slogdet")


def _slogdet(A: Tensor, op: str) -> Any:
    _check(A, op)
    x, dt = _compute_dtype(A._data)
    xp = _xp(A)
    with np.errstate(invalid="ignore"):  # NaN entries: no warning, as PyTorch
        sign, logabs = xp.linalg.slogdet(x)
    if dt.kind == "f" and not sign.all():
        sign = xp.where(sign == 0, _lu_zero_det(A, x, dt, signs=True), sign)
    if dt.kind == "f":
        sign = xp.where(xp.isnan(logabs), 0, sign)  # PyTorch's sign of a NaN matrix is 0
    s = _wrap(A, sign, dt)
    la = _wrap(A, logabs, dt.type(0).real.dtype if dt.kind == "c" else dt)
    if grad_state.enabled and A._rg:
        def vjp(gs: Any, A: Tensor, sign: Tensor) -> tuple:
            g_sign, g_log = gs
            g = g_log.real if g_log is not None and g_log.is_complex() else g_log
            if A.is_complex() and g_sign is not None:  # the phase of the sign moves too
                phase = (g_sign.conj() * sign).imag.to(A.dtype) * -1j
                g = phase if g is None else g.to(A.dtype) + phase
            if g is None:
                return (None,)
            d = g.unsqueeze(-1).unsqueeze(-1).to(A.dtype) * _eye_like(A, A._data.shape[-1])
            try:
                return (solve(A.mH, d),)
            except LinAlgError:  # singular: LU's division by zero gives inf/nan, as in PyTorch
                from .linalg_lu import linalg_lu_factor_ex, linalg_lu_solve

                LU, piv, _ = linalg_lu_factor_ex(A.detach())
                return (linalg_lu_solve(LU, piv, d, adjoint=True),)

        record_multi("LinalgSlogdetBackward0", (s, la), (A,), vjp, (A, s.detach()))
        _set_meta_undefined((s, la))  # a real sign keeps the node too (its gradient: none)
    return _rt.linalg_slogdet((s, la))


def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: nan for a negative determinant, -inf for a singular matrix."""
    sign, la = _slogdet(A, "logdet")
    if A.is_complex():
        return la + sign.log()
    # always the where (PyTorch's graph node): nan where the determinant is negative
    nan = make(_xp(A).asarray(np.nan, dtype=la._data.dtype), A._device)
    return la.where(make(sign._data >= 0, A._device), nan)


# ------------------------------------------------------------------ solve
def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    nb, na = B._data.ndim, A._data.ndim
    return nb == 1 or (nb == na - 1 and B._data.shape == A._data.shape[:-1])


def _solve_raw(A: Tensor, B: Tensor, op: str) -> tuple[Any, np.ndarray | None]:
    xp = _xp(A)
    a, dt = _compute_dtype(A._data)
    b = B._data.astype(a.dtype) if B._data.dtype != a.dtype else B._data
    try:
        return xp.linalg.solve(a, b).astype(dt, copy=False), None
    except Exception as e:
        if type(e).__name__ != "LinAlgError":  # batch dims that do not broadcast
            sa, sb = A._data.shape[:-2], B._data.shape[:-2]
            for i in range(1, max(len(sa), len(sb)) + 1):
                x, y = (sa[-i] if i <= len(sa) else 1), (sb[-i] if i <= len(sb) else 1)
                if x != y and 1 not in (x, y):
                    raise RuntimeError(f"The size of tensor a ({y}) must match the size of tensor "
                                       f"b ({x}) at non-singleton dimension "
                                       f"{max(len(sa), len(sb)) - i}") from None
            raise RuntimeError(f"{op}: {e}") from None
    info = _lu_info(_host(A))
    return None, info


@autocast_op("linalg_solve")
@writes_out("solve", exact=True)
def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``), batched; ``B`` may
    be a (batch of) vector(s)."""
    res, info = _solve(A, B, left)
    if info is not None:
        flat = info.ravel()
        k = int(np.flatnonzero(flat)[0]) if flat.any() else 0
        raise LinAlgError(f"ember.linalg.solve: {_batch_prefix(k, A._data.ndim > 2)}The solver "
                          "failed because the input matrix is singular.")
    return res


@writes_out("linalg_solve_ex", exact=True)
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """``(result, info)``: like ``solve`` but reports singular matrices through ``info``."""
    res, info = _solve(A, B, left)
    if info is not None:
        if check_errors:
            raise LinAlgError("ember.linalg.solve_ex: The solver failed because the input matrix "
                              "is singular.")
        if not left:  # PyTorch factors A itself (and solves with its adjoint)
            info = _lu_info(_host(A))
        vec = _is_vector_rhs(A, B)
        shape = np.broadcast_shapes(A._data.shape[:-2], B._data.shape[:-2]) \
            if not vec else A._data.shape[:-2]
        # LU's solve: inf/nan for the singular matrices, the solutions for the others
        from .linalg_lu import linalg_lu_factor_ex, linalg_lu_solve

        LU, piv, _ = linalg_lu_factor_ex(A)
        B2 = B.unsqueeze(-1) if vec else B
        if B2._data.shape[:-2] != tuple(shape):
            B2 = B2.expand(*shape, *B2._data.shape[-2:])
        if LU._data.shape[:-2] != tuple(shape):
            LU = LU.expand(*shape, *LU._data.shape[-2:])
            piv = piv.expand(*shape, piv._data.shape[-1])
        X = linalg_lu_solve(LU, piv, B2, left=left)
        return _rt.linalg_solve_ex((X.squeeze(-1) if vec else X, _wrap(A, np.broadcast_to(
            info.reshape(A._data.shape[:-2]), shape).astype(np.int32))))
    return _rt.linalg_solve_ex((res, _wrap(A, np.zeros(A._data.shape[:-2], dtype=np.int32))))


def _check_solve_inputs(A: Tensor, B: Tensor, left: bool, op: str) -> None:
    """PyTorch's checks of ``linalg.solve`` in its order: dtypes, the shapes of ``A`` and ``B``
    (a vector ``B`` as a column), then no vector ``B`` with ``left=False``."""
    if A._data.dtype != B._data.dtype:  # (before A's shape and half refusals; an integer A
        if A._data.dtype.kind not in "fc" and A.dtype is not _dt.bfloat16:  # is refused first)
            _refuse_integral(A, op)
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of type "
                           f"{_T_NAMES.get(A.dtype.name)} and B of type "
                           f"{_T_NAMES.get(B.dtype.name)} instead")
    _check(A, op)
    vec = _is_vector_rhs(A, B)
    bs = B._data.shape + (1,) if vec else B._data.shape
    if len(bs) < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    n = A._data.shape[-1]
    if (bs[-2] if left else bs[-1]) != n:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {bs[-2]}x{bs[-1]})")
    if vec and not left:
        raise RuntimeError(f"{op}: Vector broadcasting of the left hand side is not supported for "
                           "left=False. In this case linalg.solve is equivalent to "
                           "B / A.squeeze(-1)")


def _solve(A: Tensor, B: Tensor, left: bool, op: str = "linalg.solve",
           checked: bool = False) -> tuple[Tensor | None, Any]:
    if not checked:
        _check_solve_inputs(A, B, left, op)
    if not left:
        res, info = _solve(A.mT, B.mT, True, op, checked=True)
        return (None if res is None else renamed(res.mT, "LinalgSolveExBackward0")), info
    vec = _is_vector_rhs(A, B)
    B2 = B.unsqueeze(-1) if vec else B
    r, info = _solve_raw(A, B2, op)
    if r is None:
        return None, info
    res = make(_xp(A).asarray(r), A._device)
    if grad_state.enabled and (A._rg or B._rg):
        sa, sb2 = A._data.shape, B2._data.shape
        ga_needed = A._rg

        def vjp(g: Tensor, A: Tensor, X: Tensor) -> tuple:
            gB = solve(A.mH, g)
            gA = sum_to(-matmul(gB, X.mH), sa) if ga_needed else None
            return gA, sum_to(gB, sb2)

        record("LinalgSolveExBackward0", res, (A, B2), vjp, (A, res))
    return (renamed(res.squeeze(-1), "LinalgSolveExBackward0") if vec else res), None


@writes_out("solve_triangular", exact=lambda want, got, i: RuntimeError(
    f"expected scalar type {_T_NAMES[want.name]} but found {_T_NAMES[got.name]}"))
def solve_triangular(A: Tensor, B: Tensor = None, *, upper: bool = None, left: bool = True,
                     unitriangular: bool = False, out: Tensor | None = None) -> Tensor:
    """The solution of a triangular system; only the ``upper``/lower triangle of ``A`` is read
    (and not its diagonal when ``unitriangular``)."""
    if upper is None or B is None:  # PyTorch's argument parser's words
        missing = [f'"{n}"' for n, v in (("B", B), ("upper", upper)) if v is None]
        raise TypeError(f"linalg_solve_triangular() missing {len(missing)} required positional "
                        f"argument{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")
    _check(A, "linalg.solve_triangular")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    n, bs = A._data.shape[-1], B._data.shape
    if (bs[-2] if left else bs[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{bs[-2]}x{bs[-1]})")
    if B.dtype != A.dtype:  # PyTorch solves in A's dtype, casting B (no dtype error)
        B = B.to(A.dtype)
    T = A.triu() if upper else A.tril()
    if unitriangular:
        n = A._data.shape[-1]
        T = T - T.diagonal(0, -2, -1).diag_embed() + _eye_like(A, n)
    res = _tri_solve(T.mT, B.mT, not upper).mT if not left else _tri_solve(T, B, upper)
    return renamed(res, "LinalgSolveTriangularBackward0")


def _tri_solve(T: Tensor, B: Tensor, upper: bool) -> Tensor:
    if B._data.ndim < T._data.ndim:  # B is always a matrix here: never solve's vector rule
        batch = tuple(np.broadcast_shapes(T._data.shape[:-2], B._data.shape[:-2]))
        B = B.expand(batch + tuple(B._data.shape[-2:]))
    if T._data.shape[-1] == 1 and T._data.dtype.kind == "f":
        return _tri_solve_1x1(T, B)
    try:
        return solve(T, B)
    except LinAlgError:  # singular: PyTorch returns inf/nan rather than raising
        t = _host(T)
        b = np.broadcast_to(_host(B), np.broadcast_shapes(t.shape[:-2], B._data.shape[:-2])
                            + B._data.shape[-2:]).copy()
        n = t.shape[-1]
        x = np.zeros_like(b)
        order = range(n - 1, -1, -1) if upper else range(n)
        with np.errstate(all="ignore"):
            for i in order:  # error path: substitution row by row, batched
                acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
                x[..., i, :] = acc / t[..., i, i][..., None]
        return _wrap(T, x)


def _over_1x1(b: Any, t: Any) -> Any:
    return b / t if b.shape[-1] == 1 else b * (1 / t)


def _tri_solve_1x1(T: Tensor, B: Tensor) -> Tensor:
    """A 1x1 triangular system as PyTorch's solver takes it: ``B`` times the reciprocal of
    ``T`` (not ``B / T``, which rounds otherwise), but a 1x1 ``B`` divided."""
    t = T._data
    with np.errstate(all="ignore"):  # a zero pivot: inf/nan, as PyTorch's
        res = make(_over_1x1(B._data, t), T._device)
    if grad_state.enabled and (T._rg or B._rg):
        st, sb = t.shape, B._data.shape
        t_needed = T._rg

        def vjp(g: Tensor, T: Tensor, X: Tensor) -> tuple:
            gB = g / T if g._data.shape[-1] == 1 else g * (1 / T)  # solve with T's adjoint
            gT = sum_to(-matmul(gB, X.mH), st) if t_needed else None
            return gT, sum_to(gB, sb)

        record("LinalgSolveTriangularBackward0", res, (T, B), vjp, (T, res))
    return res


# ------------------------------------------------------------------ cholesky
def _cholesky(A: Tensor, upper: bool, op: str) -> tuple[Tensor, np.ndarray | None]:
    _check(A, op)
    xp = _xp(A)
    x, dt = _compute_dtype(A._data)
    try:
        L = xp.linalg.cholesky(x)
        info = None
        # a NaN pivot fails LAPACK's potrf (not ajj > 0), which NumPy lets through
        if bool(xp.isnan(xp.diagonal(L, axis1=-2, axis2=-1)).any()):
            raise np.linalg.LinAlgError("NaN pivot")
    except Exception as e:
        if type(e).__name__ != "LinAlgError":
            raise
        L, info = _cholesky_partial(np.asarray(_host(A), dtype=x.dtype))
        L = xp.asarray(L)
    res = make(xp.asarray(L).astype(dt, copy=False), A._device)
    if grad_state.enabled and A._rg:
        def vjp(gL: Tensor, L: Tensor) -> tuple:
            # A = L L^H: gA = L^{-H} Phi(L^H gL) L^{-1}, symmetrised; Phi halves the diagonal
            # (PyTorch's form: not symmetrised, so a complex diagonal keeps its imaginary part)
            P = matmul(L.mH, gL).tril()
            P = 0.5 * (P + P.tril(-1).mH)
            Linv = solve_triangular(L, _eye_like(L, L._data.shape[-1]), upper=False)
            return (matmul(matmul(Linv.mH, P), Linv),)

        record("LinalgCholeskyExBackward0", res, (A,), vjp, (res,))
    return (renamed(res.mH, "LinalgCholeskyExBackward0") if upper else res), info


@writes_out("cholesky", exact=True)
@autocast_op("cholesky")
def cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    """The Cholesky factor of Hermitian positive-definite matrices (lower unless ``upper``)."""
    res, info = _cholesky(A, upper, "linalg.cholesky")
    if info is not None:
        flat = info.ravel()
        k = int(np.flatnonzero(flat)[0])
        raise LinAlgError(
            f"linalg.cholesky: {_batch_prefix(k, info.ndim > 0)}The factorization could not be "
            f"completed because the input is not positive-definite (the leading minor of order "
            f"{int(flat[k])} is not positive-definite).")
    return res


@autocast_op("linalg_cholesky_ex")
@writes_out("linalg_cholesky_ex", exact=True)
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """``(L, info)``: ``info`` is the order of the failing leading minor instead of an error."""
    res, info = _cholesky(A, upper, "linalg.cholesky_ex")
    if info is not None and check_errors:
        cholesky(A, upper=upper)
    if info is None:
        info = np.zeros(A._data.shape[:-2], dtype=np.int32)
    return _rt.linalg_cholesky_ex((res, _wrap(A, info.astype(np.int32))))


# ------------------------------------------------------------------ QR
@autocast_op("linalg_qr")
@writes_out("qr", exact=True)
def qr(A: Tensor, mode: str = "reduced", *, out: Any = None) -> Any:
    """``(Q, R)`` with ``mode`` 'reduced', 'complete' or 'r' (Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    _check(A, "linalg.qr", square=False)
    xp = _xp(A)
    x, dt = _compute_dtype(A._data)
    m, n = x.shape[-2:]
    if mode == "r":
        R = _wrap(A, xp.linalg.qr(x, mode="r"), dt)
        if x.ndim > 2 and R._data.ndim == 2:
            R = _wrap(A, xp.linalg.qr(x, mode="reduced")[1], dt)
        Q = make(xp.zeros((0,), dtype=dt), A._device)
    else:
        q, r = xp.linalg.qr(x, mode=mode)
        Q, R = _wrap(A, q, dt), _wrap(A, r, dt)
    if grad_state.enabled and A._rg:
        def vjp(gs: Any, Q: Tensor, R: Tensor) -> tuple:
            if mode == "r":
                raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                                   "computed when mode='r'. Please use linalg.qr(A, "
                                   "mode='reduced') if you are going to differentiate through "
                                   "linalg.qr.")
            if mode == "complete" and m > n:
                raise RuntimeError("The QR decomposition is not differentiable when "
                                   "mode='complete' and nrows > ncols.")
            return (_qr_backward(gs[0], gs[1], Q, R),)

        record_multi("LinalgQrBackward0", (Q, R), (A,), vjp, (Q, R))
        _set_meta_undefined((Q, R))
    return _rt.linalg_qr((Q, R))


def _copyltu(M: Tensor) -> Tensor:
    low = M.tril(-1)
    return low + low.mH + M.diagonal(0, -2, -1).real.diag_embed().to(M.dtype) \
        if M.is_complex() else low + low.mH + M.diagonal(0, -2, -1).diag_embed()


def _qr_backward(gQ: Tensor | None, gR: Tensor | None, Q: Tensor, R: Tensor) -> Tensor:
    m, n = Q._data.shape[-2], R._data.shape[-1]
    if m >= n:
        if gQ is None and gR is None:
            return matmul(Q, R) * 0
        M = matmul(R, gR.mH) if gR is not None else None
        if gQ is not None:
            M = -matmul(gQ.mH, Q) if M is None else M - matmul(gQ.mH, Q)
        b = matmul(Q, _copyltu(M))
        if gQ is not None:
            b = b + gQ
        # gA = b R^{-H}: solve X R^H = b
        return solve_triangular(R.mH, b, upper=False, left=False)
    # wide: A = Q [X | Y] with X square; Y = Q R2
    X, R2 = R[..., :, :m], R[..., :, m:]
    Yfull = matmul(Q, R2)
    gR1 = gR[..., :, :m] if gR is not None else None
    gR2 = gR[..., :, m:] if gR is not None else None
    gQ2 = gQ if gQ is not None else None
    if gR2 is not None:
        extra = matmul(Yfull, gR2.mH)
        gQ2 = extra if gQ2 is None else gQ2 + extra
    gX = _qr_backward(gQ2, gR1, Q, X)
    gY = matmul(Q, gR2) if gR2 is not None else Yfull * 0
    from .shape_join import cat

    return cat([gX, gY], -1)


# ------------------------------------------------------------------ SVD
def _driver_error() -> RuntimeError:
    return RuntimeError("ember.linalg.svd: keyword argument `driver=` is only supported on CUDA "
                        "inputs with cuSOLVER backend.")


@autocast_op("linalg_svd")
@writes_out("svd", exact=True)
def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``; gradients are defined for losses that do not
    depend on the singular vectors' phases."""
    _check(A, "linalg.svd", square=False)
    if driver is not None and A._device.type == "cpu":
        raise _driver_error()
    xp = _xp(A)
    x, dt = _compute_dtype(A._data)
    u, s, vh = lapack("svd", xp.linalg.svd, x, full_matrices=full_matrices)
    real = np.dtype(dt).type(0).real.dtype
    U, S, Vh = _wrap(A, u, dt), _wrap(A, s, real), _wrap(A, vh, dt)
    if grad_state.enabled and A._rg:
        k = S._data.shape[-1]

        def vjp(gs: Any, U: Tensor, S: Tensor, Vh: Tensor) -> tuple:
            gU, gS, gVh = gs
            if full_matrices:
                U, Vh = U[..., :, :k], Vh[..., :k, :]
                gU = None if gU is None else gU[..., :, :k]
                gVh = None if gVh is None else gVh[..., :k, :]
            return (_svd_backward(gU, gS, gVh, U, S, Vh),)

        record_multi("LinalgSvdBackward0", (U, S, Vh), (A,), vjp, (U, S, Vh))
        _set_meta_undefined((U, S, Vh))
    return _rt.linalg_svd((U, S, Vh))


def _svd_backward(gU: Tensor | None, gS: Tensor | None, gVh: Tensor | None, U: Tensor,
                  S: Tensor, Vh: Tensor) -> Tensor:
    m, n = U._data.shape[-2], Vh._data.shape[-1]
    if gU is None and gVh is None:
        gS_ = gS if gS is not None else S * 0
        return matmul(U, gS_.unsqueeze(-1).to(U.dtype) * Vh) if m >= n else matmul(
            U * gS_.unsqueeze(-2).to(U.dtype), Vh)
    Sc = S.to(U.dtype)
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + _eye_like(S, S._data.shape[-1]).to(E.dtype)  # ones on the diagonal
    E = E.to(U.dtype)
    skew = (lambda X: X - X.mH)
    UhgU = skew(matmul(U.mH, gU)) if gU is not None else None
    VhgV = skew(matmul(Vh, gVh.mH)) if gVh is not None else None
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * Sc.unsqueeze(-2) + Sc.unsqueeze(-1) * VhgV) / E
    elif UhgU is not None:
        gA = UhgU * (Sc.unsqueeze(-2) / E)
    else:
        gA = Sc.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + gS.to(U.dtype).diag_embed()
    if U.is_complex() and UhgU is not None:
        imdiag = UhgU.diagonal(0, -2, -1).imag
        gA = gA + (imdiag / (2 * S)).to(U.dtype).diag_embed() * 1j
    if m > n and gU is not None:
        gA = matmul(U, gA)
        gUSinv = gU / Sc.unsqueeze(-2)
        gA = gA + gUSinv - matmul(U, matmul(U.mH, gUSinv))
        gA = matmul(gA, Vh)
    elif m < n and gVh is not None:
        gA = matmul(gA, Vh)
        SinvgVh = gVh / Sc.unsqueeze(-1)
        gA = gA + SinvgVh - matmul(matmul(SinvgVh, Vh.mH), Vh)
        gA = matmul(U, gA)
    else:
        gA = matmul(U, matmul(gA, Vh)) if m >= n else matmul(matmul(U, gA), Vh)
    return gA


@autocast_op("linalg_svdvals")
@writes_out("svdvals", exact=True)
def svdvals(A: Tensor, *, driver: Any = None, out: Tensor | None = None) -> Tensor:
    """The singular values, in descending order."""
    _check(A, "linalg.svdvals", square=False)
    if driver is not None and A._device.type == "cpu":
        raise _driver_error()
    if grad_state.enabled and A._rg:
        return svd(A, full_matrices=False)[1]
    x, dt = _compute_dtype(A._data)
    real = np.dtype(dt).type(0).real.dtype
    return _wrap(A, lapack("svd", _xp(A).linalg.svd, x, compute_uv=False), real)


# ------------------------------------------------------------------ eigen
@autocast_op("linalg_eigh")
@writes_out("eigh", exact=True)
def eigh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Any:
    """Eigenvalues (ascending) and orthonormal eigenvectors of Hermitian matrices."""
    _check(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    x, dt = _compute_dtype(A._data)
    w, v = lapack("eigh", _xp(A).linalg.eigh, x, UPLO=UPLO)
    real = np.dtype(dt).type(0).real.dtype
    L, V = _wrap(A, w, real), _wrap(A, v, dt)
    if grad_state.enabled and A._rg:
        def vjp(gs: Any, L: Tensor, V: Tensor) -> tuple:
            return (_eig_backward(gs[0], gs[1], L, V, True),)

        record_multi("LinalgEighBackward0", (L, V), (A,), vjp, (L, V))
        _set_meta_undefined((L, V))
    return _rt.linalg_eigh((L, V))


@autocast_op("linalg_eigvalsh")
@writes_out("eigvalsh", exact=True)
def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Tensor | None = None) -> Tensor:
    """Eigenvalues of Hermitian matrices, ascending."""
    if grad_state.enabled and A._rg:
        return eigh(A, UPLO)[0]
    _check(A, "linalg.eigh")  # PyTorch's eigvalsh checks as eigh
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    x, dt = _compute_dtype(A._data)
    real = np.dtype(dt).type(0).real.dtype
    return _wrap(A, lapack("eigh", _xp(A).linalg.eigvalsh, x, UPLO=UPLO), real)


@autocast_op("linalg_eig")
@writes_out("eig", castable=("torch.linalg.eig", "eigenvalues", "eigenvectors"))
def eig(A: Tensor, *, out: Any = None) -> Any:
    """Eigenvalues and eigenvectors of general square matrices (always complex)."""
    _check(A, "linalg.eig")
    x, dt = _compute_dtype(A._data)
    cdt = np.complex128 if dt in (np.float64, np.complex128) else np.complex64
    w, v = lapack("eig", np.linalg.eig, _host(A).astype(x.dtype))
    L, V = _wrap(A, w, cdt), _wrap(A, v, cdt)
    if grad_state.enabled and A._rg:
        real_in = not A.is_complex()

        def vjp(gs: Any, L: Tensor, V: Tensor) -> tuple:
            gA = _eig_backward(gs[0], gs[1], L, V, False)
            return (gA.real if real_in else gA,)

        record_multi("LinalgEigBackward0", (L, V), (A,), vjp, (L, V))
        _set_meta_undefined((L, V))
    return _rt.linalg_eig((L, V))


@autocast_op("linalg_eigvals")
@writes_out("eigvals", castable=("torch.linalg.eigvals", "eigenvalues"))
def eigvals(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Eigenvalues of general square matrices (complex)."""
    x = A._data
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        _check(A, "linalg.eigvals")  # the shape errors name eigvals (the rest: eig's)
    return eig(A)[0]


def _eig_backward(gL: Tensor | None, gV: Tensor | None, L: Tensor, V: Tensor,
                  hermitian: bool) -> Tensor:
    Vh = V.mH
    if gV is None:
        gLd = (gL if gL is not None else L * 0).to(V.dtype).diag_embed()
        return matmul(V, matmul(gLd, Vh)) if hermitian else solve(Vh, matmul(gLd, Vh))
    Lc = L.conj()
    Econj = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
    Econj = Econj + _eye_like(L, L._data.shape[-1]).to(Econj.dtype)
    VhgV = matmul(Vh, gV)
    if hermitian:
        VhgV = 0.5 * (VhgV - VhgV.mH)
    else:
        dg = VhgV.diagonal(0, -2, -1).real.to(V.dtype)
        VhgV = VhgV - matmul(Vh, V * dg.unsqueeze(-2))
    gA = VhgV / Econj.to(V.dtype)
    if gL is not None:
        gA = gA + gL.to(V.dtype).diag_embed()
    return matmul(V, matmul(gA, Vh)) if hermitian else solve(Vh, matmul(gA, Vh))


# ------------------------------------------------------------------ pinv, powers, exp
@writes_out("pinv", castable=("linalg.pinv",))
def pinv(A: Tensor, rcond: Any = None, hermitian: bool = False, *, atol: Any = None,
         rtol: Any = None, out: Tensor | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse; singular values at or below
    ``max(atol, rtol * largest)`` count as zero."""
    if A._data.ndim < 2 or A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError(
            f"linalg.pinv({_T_NAMES.get(A.dtype.name, A.dtype.name)}{{{list(A._data.shape)}}}): "
            "expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types")
    _check(A, "linalg.pinv", square=hermitian)
    if rcond is not None:
        rtol = rcond
    x, dt = _compute_dtype(_host(A))
    m, n = x.shape[-2:]
    real = np.dtype(dt).type(0).real.dtype
    eps = np.finfo(real if real != np.float16 else np.float32).eps
    if hermitian:
        w, v = lapack("eigh", np.linalg.eigh, x)
        s = np.abs(w)
    else:
        u, s, vh = lapack("svd", np.linalg.svd, x, full_matrices=False)
    atol_v = 0.0 if atol is None else (_host(atol) if isinstance(atol, Tensor) else atol)
    rtol_v = (eps * max(m, n) if atol is None or atol == 0 else 0.0) if rtol is None else (
        _host(rtol) if isinstance(rtol, Tensor) else rtol)
    smax = s.max(axis=-1, initial=0.0)
    thr = np.maximum(np.asarray(atol_v)[..., None] if np.ndim(atol_v) else atol_v,
                     (np.asarray(rtol_v) * smax)[..., None])
    keep = s > thr
    if hermitian:
        winv = np.where(keep, 1.0 / np.where(keep, w, 1), 0)
        p = (v * winv[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))
    else:
        sinv = np.where(keep, 1.0 / np.where(keep, s, 1), 0)
        p = np.conj(np.swapaxes(vh, -1, -2)) @ (sinv[..., :, None] * np.conj(
            np.swapaxes(u, -1, -2)))
    res = _wrap(A, p, dt)
    if grad_state.enabled and A._rg:
        record("LinalgPinvBackward0", res, (A,), lambda g, P, A: (_pinv_backward(g, P, A),),
               (res, A))
    return res


def _pinv_backward(g: Tensor, P: Tensor, A: Tensor) -> Tensor:
    m, n = A._data.shape[-2:]
    Ph, gh = P.mH, g.mH
    if m <= n:
        K = matmul(gh, P)
        KPh = matmul(K, Ph)
        return (-matmul(P, K).mH + KPh - matmul(matmul(A, P), KPh)
                + matmul(matmul(Ph, P), gh - matmul(K, A)))
    K = matmul(P, gh)
    PhK = matmul(Ph, K)
    return (-matmul(K, P).mH + matmul(matmul(gh - matmul(A, K), P), Ph) + PhK
            - matmul(matmul(PhK, P), A))


@writes_out("matrix_power")
def matrix_power(input: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    """``input`` to the integer power ``n`` (by squaring; negative powers invert first)."""
    A = input  # PyTorch's keyword is ``input``, also in torch.linalg
    x = A._data
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {x.shape[-2] if x.ndim > 1 else x.shape[0]} by {x.shape[-1]} "
                           f"matrices")
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    n = int(n)
    if n == 0:
        res = make(_xp(A).broadcast_to(_xp(A).eye(x.shape[-1], dtype=x.dtype), x.shape).copy(),
                   A._device)
        if grad_state.enabled and A._rg:  # the identity is a (constant) function of A
            record("CopyBackwards", res, (A,), lambda g: (g * 0,))
        return res
    a = inv(A) if n < 0 else A
    n = abs(n)
    if n == 1:  # PyTorch: the inverse itself for n = -1, a copy of A for n = 1
        return a if a is not A else a.clone()
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:  # PyTorch's order of products, for the same rounding
        bit, n = n % 2, n // 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)


def _expm(x: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring with a degree-13 Padé approximant."""
    n = x.shape[-1]
    norm = np.abs(x).sum(axis=-2).max(axis=-1) if x.size else np.zeros(x.shape[:-2])
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 5.371920351148152))).astype(int)
    a = x / (2.0 ** s)[..., None, None]
    b = _PADE13
    ident = np.broadcast_to(np.eye(n, dtype=x.dtype), x.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(s.max(initial=0))):  # squarings, batched (each matrix its own count)
        sq = r @ r
        r = np.where((k < s)[..., None, None], sq, r)
    return r


def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential of square matrices (batched)."""
    A = input  # PyTorch's keyword is ``input``, also in torch.linalg
    _check(A, "linalg.matrix_exp")
    h, dt = _compute_dtype(_host(A))
    work = np.complex128 if h.dtype.kind == "c" else np.float64
    res = _wrap(A, _expm(h.astype(work)), dt)
    if grad_state.enabled and A._rg:
        def vjp(g: Tensor, A: Tensor) -> tuple:
            # the upper-right block of exp([[A^H, G], [0, A^H]])
            from .shape_join import cat

            n = A._data.shape[-1]
            Ah = A.mH
            top = cat([Ah, g], -1)
            bottom = cat([Ah * 0, Ah], -1)
            big = matrix_exp(cat([top, bottom], -2))
            return (big[..., :n, n:],)

        record("LinalgMatrixExpBackward0", res, (A,), vjp, (A,))
    return res
