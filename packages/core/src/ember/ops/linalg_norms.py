"""Norms behind ``ember.linalg``: vector_norm, matrix_norm, norm, cond, matrix_rank.

``vector_norm`` has its own derivative (zero where the norm is zero, shared among
ties for the inf-norms, as in PyTorch); the matrix norms are built from it, from
reductions and from singular values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, quietly, record, wrap_dims
from ._inplace import writes_out
from ._norm_order import two_norm
from ._torch_cpu import GRAIN_SIZE as _GRAIN
from .linalg import _T_NAMES
from .linalg_decomp import _check, inv_ex, svdvals
from .linalg_lapack import lapack

__all__ = ["vector_norm", "matrix_norm", "norm", "cond", "matrix_rank"]


def _float_input(x: Tensor, op: str, dtype: Any) -> Tensor:
    """``x`` checked (and cast to ``dtype``) with PyTorch's rules: a floating or complex input,
    and a ``dtype`` of the same kind that it converts to without narrowing."""
    name = _T_NAMES.get(x.dtype.name, x.dtype.name)
    if x._data.dtype.kind not in "fc" and x.dtype is not _dt.bfloat16:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{name}")
    if dtype is None:
        return x
    dt = _dt.to_dtype(dtype)
    want = _T_NAMES.get(dt.name, dt.name)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{op}: dtype should be floating point or complex, but got {want}")
    if x.is_complex() != dt.is_complex:
        kind = "complex for complex" if x.is_complex() else "real for real"
        raise RuntimeError(f"{op}: dtype should be {kind} inputs, but got {want}")
    if _dt.promote_types(x.dtype, dt) is not dt:
        raise RuntimeError(f"{op}: the dtype of the input ({name}) should be convertible without "
                           f"narrowing to the specified dtype ({want})")
    return x.to(dt)


@writes_out("vector_norm", exact=True)
@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all dims when None), treated as a vector."""
    if isinstance(ord, (str, bytes)):  # (float('inf') is fine; 'fro' is matrix_norm's)
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    x = _float_input(x, "linalg.vector_norm", dtype)
    p = float(ord)
    a = x._data
    dims = wrap_dims(dim, a.ndim, "linalg.vector_norm") \
        if dim is not None and dim != () and dim != [] else tuple(range(a.ndim))
    if not a.ndim:  # a 0-dim tensor takes dim 0 / -1, and has no axis to reduce
        dims = ()
    if a.size == 0 and (p < 0 or p == math.inf):
        _empty_norm_check(a.shape, dim, p)
    xp = x._device._backend.xp
    work = a.astype("float32") if a.dtype.name in ("float16", "bfloat16") else a
    m = xp.abs(work)
    if p == math.inf:
        r = xp.max(m, axis=dims, keepdims=keepdim)
    elif p == -math.inf:
        r = xp.min(m, axis=dims, keepdims=keepdim)
    elif p == 0:
        r = xp.sum(m != 0, axis=dims, keepdims=keepdim).astype(m.dtype)
    elif p == 1:
        r = _serial_norm(m, dims, keepdim, 1.0) if work is a else None
        if r is None:
            r = xp.sum(m, axis=dims, keepdims=keepdim)
    elif p == 2:
        # PyTorch's order (its half-precision kernel differs: NumPy's there)
        r = two_norm(m, dims, keepdim) if work is a and a.dtype.kind == "f" else None
        if r is None:
            r = xp.sqrt(xp.sum(m * m, axis=dims, keepdims=keepdim))
    else:
        r = _serial_norm(m, dims, keepdim, p) if work is a else None
        if r is None:
            r = xp.sum(m ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    real = _dt.from_numpy_dtype(a.dtype).to_real() if a.dtype.kind == "c" else x.dtype
    res = make(xp.asarray(r).astype(real.np, order="C"), x._device)  # C order, as PyTorch's
    if grad_state.enabled and x._rg:
        shape = a.shape

        def vjp(g: Tensor, x: Tensor, n: Tensor) -> tuple:
            if not keepdim and dims:
                kshape = tuple(1 if i in dims else s for i, s in enumerate(shape))
                g, n = g.reshape(kshape), n.reshape(kshape)
            return (_norm_grad(x, g, n, p, dims),)

        record("LinalgVectorNormBackward0", res, (x,), vjp, (x, res))
    return res


def _serial_norm(m: Any, dims: tuple, keepdims: bool, p: float) -> Any:
    """The ``p``-norm (p not 0, 2, inf) of ``m = |x|`` as PyTorch's CPU kernel adds it: each
    output's ``|x| ** p`` summed one by one, in the dtype, then ``** (1 / p)`` (the powers
    rounded from float64, as C's ``powf``); None where Ember does not follow it (another
    dtype or layout, dims other than the last ones, or a sum PyTorch splits among threads)."""
    if (m.__class__ is not np.ndarray or m.dtype.kind != "f" or m.itemsize < 4
            or not m.flags.c_contiguous or m.size == 0 or not dims):
        return None
    nd = m.ndim
    if sorted(dims) != list(range(nd - len(dims), nd)):
        return None
    kept = m.shape[:nd - len(dims)]
    rows = m.reshape(math.prod(kept), -1)
    if rows.shape[1] >= _GRAIN and rows.shape[0] == 1:  # split among PyTorch's threads
        return None
    dt = m.dtype
    if p != 1.0:
        rows = np.power(rows.astype(np.float64), p).astype(dt)
    acc = np.cumsum(rows, axis=1, dtype=dt)[:, -1]
    if p != 1.0:
        acc = np.power(acc.astype(np.float64), float(dt.type(1.0) / dt.type(p))).astype(dt)
    return acc.reshape(kept + (1,) * len(dims) if keepdims else kept)


def _empty_norm_check(shape: tuple, dim: Any, p: float) -> None:
    """Norms without an identity (max, negative powers) refuse empty reduced dims."""
    ord = f"{p:g}"  # noqa: A001 (as PyTorch prints the number: -1, -1.5, -inf)
    if dim is None or dim == ():
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           "because the operation does not have an identity")
    given = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in given:  # in the order given (``dims`` may be sorted)
        if shape[d % len(shape)] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                               f"dimension {d}because this dimension is empty and the operation "
                               "does not have an identity")


def _norm_grad(x: Tensor, g: Tensor, n: Tensor, p: float, dims: tuple) -> Tensor | None:
    if p == 0:  # PyTorch leaves this gradient undefined
        return None
    zero = n == 0
    if p == 1:
        return x.sgn() * g
    if p in (math.inf, -math.inf):
        mask = (x.abs() == n).to(x.real.dtype if x.is_complex() else x.dtype)
        count = mask.sum(dims, keepdim=True)
        return x.sgn() * (mask * g / count)
    if p == 2:
        scale = g / n.masked_fill(zero, 1)
        return x * scale.masked_fill(zero, 0)
    scale = g / n.pow(p - 1).masked_fill(zero, 1)
    # zero where the norm or the element is zero (PyTorch's; x * 0 keeps the sign of -0.0)
    return (x.sgn() * x.abs().pow(p - 1) * scale).where(~(zero | (x == 0)), x * 0)


def _two_dims(dim: Any, ndim: int, op: str) -> tuple[int, int]:
    # each dim alone: a repeated dim is this op's error, not wrap_dims'
    d = tuple(wrap_dims((x,), ndim, op)[0] for x in dim) if not isinstance(dim, int) else None
    if d is None or len(d) != 2:  # PyTorch prints the dims space-separated
        shown = dim if isinstance(dim, int) else " ".join(str(x) for x in dim)
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {shown}")
    if d[0] == d[1]:  # (the wrapped dims, as PyTorch)
        raise RuntimeError(f"{op}: dims must be different. Got ({d[0]}, {d[1]})")
    return d


def _norm_out_error(op: str) -> Any:
    """PyTorch's refusal of an ``out=`` of another dtype than ``op``'s result."""
    return lambda want, got, i: RuntimeError(
        f"{op} expected out tensor dtype {_T_NAMES[want.name]} but got: {_T_NAMES[got.name]}")


@writes_out("matrix_norm", exact=_norm_out_error("linalg.matrix_norm"))
def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """A matrix norm: 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2, over the two dims ``dim``."""
    given = A.dtype
    A = _float_input(A, "linalg.matrix_norm", dtype)
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if given in (_dt.float16, _dt.bfloat16) and isinstance(ord, (str, int)) and \
            ord in ("nuc", 2, -2):  # PyTorch's svd-based norms refuse the input's dtype
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got "
                           f"{_T_NAMES[given.name]}")
    d0, d1 = _two_dims(dim, A._data.ndim, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.sum(-1, keepdim=keepdim) if ord == "nuc" else (
            _amax0(s, -1, keepdim) if ord == 2 else s.amin(-1, keepdim=keepdim))
        # keepdim: PyTorch's last step permutes the two kept dims back into place
        return r.unsqueeze(-1).movedim((-2, -1), (d0, d1)) if keepdim else r
    if ord in (1, -1, math.inf, -math.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = A.abs().sum(inner, keepdim=keepdim)
        if not keepdim and inner < outer:
            outer -= 1
        return _amax0(s, outer, keepdim) if ord > 0 else s.amin(outer, keepdim=keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _amax0(s: Tensor, dim: int, keepdim: bool = False) -> Tensor:
    """``amax`` of non-negative values, 0 over an empty dim (PyTorch's norms take 0 there)."""
    if s._data.shape[dim]:
        return s.amax(dim, keepdim=keepdim)
    return s.sum(dim, keepdim=keepdim)


@writes_out("norm", exact=_norm_out_error("linalg.norm"))
def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None, out: Tensor | None = None) -> Tensor:
    """A vector or matrix norm, chosen by ``ord`` and ``dim`` as ``torch.linalg.norm`` does."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim)}")
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None and A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A._data.ndim}D.")
    # a string order is always a matrix norm, as in PyTorch (so a 1-D input is an error)
    if isinstance(ord, str) or (len(dim) == 2 if dim is not None else A._data.ndim == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def _check_square(A: Tensor, op: str) -> None:
    x = A._data
    if x.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")


@autocast_op("linalg_cond")
@writes_out("cond", castable=("linalg.cond",))
def cond(A: Tensor, p: Any = None, *, out: Tensor | None = None) -> Tensor:
    """The condition number of ``A`` in the ``p``-norm (the 2-norm when None)."""
    if isinstance(p, str):  # PyTorch's string overload checks squareness first
        _check_square(A, f"linalg.cond(ord={p})")
    elif A._data.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if not isinstance(p, str) and p not in (None, 1, -1, 2, -2, math.inf, -math.inf):
        raise ValueError(f"linalg.cond got an invalid norm type: {p}")
    if p is None or p in (2, -2):
        s = svdvals(A)
        if not s._data.shape[-1]:  # empty matrices: 0, as PyTorch
            return s.sum(-1)
        # as PyTorch: the first and last of the sorted values, divided, then squeezed
        big, small = s.narrow(-1, 0, 1), s.narrow(-1, s._data.shape[-1] - 1, 1)
        return (small / big if p == -2 else big / small).squeeze(-1)
    _check_square(A, f"linalg.cond(ord={p})")  # (integer inputs: inv's or svd's error)
    if p not in ("fro", "nuc") and isinstance(p, str):
        raise ValueError(f"linalg.cond got an invalid norm type: {p}")
    if not A._data.shape[-1]:  # empty matrices: 0 in every norm, as PyTorch
        return matrix_norm(A, "fro")
    if p == "nuc":  # from the singular values, as PyTorch: sum(s) * sum(1 / s)
        s = svdvals(A)
        return s.sum(-1) * s.reciprocal().sum(-1)
    # singular matrices give inf, not an error: PyTorch fills their inverse with inf
    inverse, info = inv_ex(A)
    inverse = inverse.masked_fill((info > 0)[..., None, None], math.inf)
    # 0 * inf (a zero matrix) and NaN inputs: inf, as PyTorch's nan_to_num gives
    return (matrix_norm(A, p) * matrix_norm(inverse, p)).nan_to_num(math.inf, math.inf)


@autocast_op("linalg_matrix_rank")
@writes_out("matrix_rank")
def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None,
                rtol: Any = None, out: Tensor | None = None) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)``, as int64."""
    if A._data.ndim < 2:
        raise RuntimeError("ember.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    _check(A, "linalg.matrix_rank", square=False)
    if hermitian:
        _check(A, "linalg.eigh")  # PyTorch's hermitian path runs eigvalsh
    if tol is not None:
        atol = tol
    x = A.detach()._host()
    if x.dtype.name in ("float16", "bfloat16"):
        x = x.astype(np.float32)
    s = (np.abs(lapack("eigh", np.linalg.eigvalsh, x)) if hermitian
         else lapack("svd", np.linalg.svd, x, compute_uv=False))
    m, n = x.shape[-2:]
    eps = np.finfo(np.abs(x.flat[0] if x.size else x.dtype.type(0)).dtype).eps
    atol_v = 0.0 if atol is None else (atol.detach()._host() if isinstance(atol, Tensor) else atol)
    rtol_v = (eps * max(m, n) if atol is None or np.all(np.asarray(atol_v) == 0) else 0.0) \
        if rtol is None else (rtol.detach()._host() if isinstance(rtol, Tensor) else rtol)
    smax = s.max(axis=-1, initial=0.0)
    thr = np.maximum(np.asarray(atol_v, dtype=np.float64), np.asarray(rtol_v) * smax)
    rank = (s > thr[..., None]).sum(axis=-1).astype(np.int64)
    xp = A._device._backend.xp
    return make(xp.asarray(rank), A._device)
