"""Arithmetic and products on compressed sparse tensors (CSR, CSC, BSR, BSC).

Value-wise ops (scaling, negation, the zero-preserving unary ops) keep the pattern and act
on ``values()``; the rest go through the COO kernels over the block grid and back, so
results keep PyTorch's layouts (sparse * dense stays sparse, sparse + dense is dense).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad as _no_grad
from ..autograd.grad_mode import state as _gstate
from . import sparse_compressed as _c
from . import sparse_math as _m
from ._dispatch import record
from .sparse_coo import SparseTensor
from .sparse_unary import _NONLINEAR

__all__ = ["mm", "addmm", "add", "sub", "mul", "div", "neg", "transpose", "t", "sum",
           "matmul", "sampled_addmm"]

_C = _c.SparseCompressedTensor


def _grad_on() -> bool:
    return _gstate.enabled


def _blocksize(s: _C) -> tuple | None:
    return tuple(s._val.shape[1:3]) if _c._blocked(s._lay) else None


def _back(coo: SparseTensor, like: _C, name: str) -> _C:
    """A COO result over ``like``'s block grid, in ``like``'s layout."""
    return _c._compress(_m.coalesce(coo), like._lay, _blocksize(like), tuple(coo.shape)
                        if not _c._blocked(like._lay) else tuple(like.shape), name)


def _operand(x: Any) -> Any:
    """A compressed operand as its (differentiable) dense or COO equivalent."""
    return _c._to_dense(x) if isinstance(x, _C) else x


# ---------------------------------------------------------------- products
def mm(input: Any, mat2: Any, sparse_grad: bool = False) -> Tensor:
    """compressed @ dense -> dense. The compressed operand's gradient is dense
    (``MmBackward0``) or, with ``sparse_grad`` (``ember.sparse.mm``), on its pattern."""
    if not isinstance(input, _C):
        return _operand(input).matmul(_operand(mat2))
    b = _operand(mat2)
    if isinstance(b, SparseTensor):
        b = b.to_dense()
    _check_mm(input, b)
    vec = b.ndim == 1
    b2 = b.unsqueeze(1) if vec else b
    a = _c._dense_of(input)
    with _no_grad():
        res = a.matmul(b2.detach())
        if vec:
            res = res.squeeze(1)
    if _grad_on() and (input._rg or b._rg):
        sp = input

        def vjp(g: Tensor) -> tuple:
            g = g.unsqueeze(1) if vec else g
            ga = g.matmul(b2.detach().mT) if sp._rg else None
            if ga is not None and sparse_grad:
                ga = _c._like(sp, _c._gather_dense(ga, sp)._data)
            gb = a.mT.matmul(g) if b._rg else None
            return ga, (gb.squeeze(1) if vec and gb is not None else gb)

        name = "SparseAddmmBackward0" if sparse_grad else "MvBackward0" if vec else "MmBackward0"
        record(name, res, (input, b), vjp)
    return res


matmul = mm


_MM_REDUCE = {"sum": "sum", "mean": "mean", "amax": "amax", "max": "amax", "amin": "amin",
              "min": "amin"}


def mm_reduce(input: Any, mat2: Tensor, reduce: str) -> Tensor:
    """``ember.sparse.mm(csr, dense, reduce)``: row i of the result reduces (sum, mean, amax,
    amin) the products of row i's stored entries with the matching rows of ``mat2``; a row
    without entries gives 0. Differentiable in both operands."""
    from .._tensor import make
    from ._dispatch import renamed

    if isinstance(input, SparseTensor):
        from .sparse_coo import _unsupported

        raise _unsupported("aten::_sparse_mm_reduce_impl", input._device)
    if not isinstance(input, _C) or input._lay.name != "sparse_csr":
        got = input._key() if isinstance(input, _C) else "Strided"
        raise RuntimeError(f"sparse_mm_reduce: expect self to be SparseCsr, got {got}")
    red = _MM_REDUCE.get(reduce)
    if red is None:
        raise RuntimeError(f"sparse_mm_reduce: reduce type of {reduce} has not been enabled.")
    if mat2.dtype != input.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'other' to have scalar type "
                           f"{_dt._c10_name(input.dtype)}; but got "
                           f"torch.{_dt._c10_name(mat2.dtype)}Tensor instead (while checking "
                           "arguments for sparse_mm_reduce)")
    _check_mm(input, mat2)
    xp = input._device._backend.xp
    rows = make(_c._rows_of(input).astype(xp.int64), input._device)
    cols = make(input._pidx.astype(xp.int64), input._device)
    prod = input.values().unsqueeze(1) * mat2.index_select(0, cols)
    out = mat2.new_zeros((input.shape[0], mat2.shape[1])).scatter_reduce(
        0, rows.unsqueeze(1).expand(tuple(prod.shape)), prod, red, include_self=False)
    return renamed(out, "SparseMmReduceImplBackward0")


def _check_mm(a: _C, b: Tensor) -> None:
    """PyTorch's refusals: half, bfloat16 and integer products; mixed dtypes; sizes."""
    name = _dt._c10_name(a.dtype)
    if a._lay.name == "sparse_bsc" and a._nnz():
        raise RuntimeError("addmm: computation on CPU is not implemented for Strided + "
                           "SparseBsc @ Strided")
    if a._nnz() and (a.dtype.category < _dt._FLOAT or name in ("Half", "BFloat16")):
        raise NotImplementedError(f'"addmm_out_sparse_csr_impl_mkl" not implemented for '
                                  f"'{name}'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {name} but found {_dt._c10_name(b.dtype)}")
    if a._lay.name == "sparse_bsr" and a._nnz() and a._val.shape[1] != a._val.shape[2]:
        raise RuntimeError("MKL Sparse doesn't support matrices with non-square blocks.")
    if a.ndim != 2 or b.ndim not in (1, 2) or a.shape[1] != b.shape[0]:
        bs = "x".join(str(n) for n in (tuple(b.shape) if b.ndim == 2 else (b.shape[0], 1)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {bs})")


def addmm(input: Tensor, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    p = mm(mat1, mat2)
    input = _operand(input)
    return (input * beta if beta != 1 else input) + (p * alpha if alpha != 1 else p)


# ---------------------------------------------------------------- arithmetic
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """compressed + compressed (same layout) -> compressed; with a dense operand, dense."""
    if isinstance(input, _C) and isinstance(other, _C) and input._lay is other._lay:
        if tuple(input.shape) != tuple(other.shape):
            _m._check_same(input, other, "add")
        r = _m.add(_c._block_coo(input), _c._block_coo(other), alpha=alpha)
        return _back(r, input, "AddBackward0")
    a, b = _operand(input), _operand(other)
    return a.add(b, alpha=alpha) if isinstance(a, Tensor) else b.mul(alpha).add(a)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """PyTorch has no subtraction kernel for the compressed layouts."""
    s = input if isinstance(input, _C) else other
    raise RuntimeError(f"unsupported tensor layout: {s._key()}")


_rsub = sub


def mul(input: Any, other: Any) -> Tensor:
    """compressed * number or 0-d -> compressed; * a dense or compressed tensor -> compressed
    at the common pattern."""
    if not isinstance(input, _C):
        input, other = other, input
    if not isinstance(other, Tensor) or (other.ndim == 0 and not isinstance(other, _C)):
        return _c._with_values(input, input.values() * other, "MulBackward0")
    b = _c._block_coo(other) if isinstance(other, _C) else other
    if _c._blocked(input._lay):
        r = _c._to_dense(input) * _operand(other)
        return _c.to_compressed(r, input._lay, _blocksize(input))
    return _back(_m.mul(_c._block_coo(input), b), input, "MulBackward0")


def div(input: _C, other: Any, *, rounding_mode: str | None = None) -> _C:
    """PyTorch has no division kernel for the compressed layouts."""
    raise RuntimeError(f"unsupported tensor layout: {input._key()}")


def neg(s: _C) -> _C:
    return _c._with_values(s, -s.values(), "NegBackward0")


def transpose(s: _C, dim0: int, dim1: int) -> _C:
    """Swapping the two sparse dims turns CSR into CSC (BSR into BSC) on the same arrays."""
    d0, d1 = sorted((s._wrap_dim(dim0, "transpose"), s._wrap_dim(dim1, "transpose")))
    if d0 == d1:
        return s
    if (d0, d1) != (0, 1):
        raise RuntimeError("transpose(): Ember transposes only the two sparse dims of a "
                           f"compressed tensor, got ({dim0}, {dim1})")
    swap = {"sparse_csr": _c.sparse_csc, "sparse_csc": _c.sparse_csr,
            "sparse_bsr": _c.sparse_bsc, "sparse_bsc": _c.sparse_bsr}[s._lay.name]
    vt = s.values()
    if _c._blocked(s._lay):
        vt = vt.transpose(1, 2)
    shape = (s.shape[1], s.shape[0]) + tuple(s.shape[2:])
    return _c._with_values(s, vt, "TransposeBackward0", shape=shape, lay=swap)


def t(s: _C) -> _C:
    if s.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {s.ndim}D")
    return transpose(s, 0, 1)


def sum(s: _C, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The sum of every element (a dense 0-d tensor); along ``dim``, the dense sum."""
    if dim is None:
        vt = s.values()
        return vt.sum(dtype=_dt.to_dtype(dtype)) if dtype is not None else vt.sum()
    if not keepdim:
        raise RuntimeError(f"reduction operations on {s._key()[6:].upper()} tensors with "
                           "keepdim=False is unsupported")
    from .sparse_math import dense_to_sparse

    d = _c._to_dense(s).sum(dim, keepdim=True, dtype=dtype)
    if _c._blocked(s._lay):
        return d
    return _c._compress(dense_to_sparse(d, 2), s._lay, None, name="SumBackward1")


def sampled_addmm(input: Any, mat1: Tensor, mat2: Tensor, *, beta: Any = 1,
                  alpha: Any = 1) -> _C:
    """``beta * input + alpha * (mat1 @ mat2)`` at ``input``'s pattern (a CSR tensor)."""
    if not isinstance(input, _C) or input._lay.name != "sparse_csr":
        from .sparse_coo import _unsupported

        err = _unsupported("aten::sparse_sampled_addmm", input._device)
        if not isinstance(input, (_C, SparseTensor)):
            err = NotImplementedError(str(err).replace("'SparseCPU'", "'CPU'"))
        raise err
    if input.dense_dim():
        raise RuntimeError("sampled_addmm: Expected non-hybrid self tensor")
    if input.dtype.category < _dt._FLOAT or input.dtype in (_dt.float16, _dt.bfloat16):
        raise RuntimeError("sparse_sampled_addmm: Expected self to be a floating-point or "
                           f"complex tensor, but got {_dt._c10_name(input.dtype)}")
    if mat1.shape[-1] != mat2.shape[0]:
        raise RuntimeError(f"sampled_addmm: mat1 and mat2 shapes cannot be multiplied "
                           f"({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    from .._tensor import make

    rows, cols = _c._rows_of(input), input._pidx
    prod = mat1.matmul(mat2)[make(rows, input._device), make(cols, input._device)]
    vals = prod * alpha if alpha != 1 else prod
    if beta != 0:
        v = input.values()
        vals = (v * beta if beta != 1 else v) + vals
    return _c._with_values(input, vals, "SparseSampledAddmmBackward0")


def _unary(name: str, node: str) -> Callable:
    def op(self: _C) -> _C:
        return _c._with_values(self, getattr(self.values(), name)(), node)

    op.__name__ = name
    op.__doc__ = f"``{name}`` of the stored values (zero stays zero): a compressed result."
    return op


def _pow(self: _C, exponent: Any) -> _C:
    if exponent == 0:
        raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would make "
                           "the result tensor dense")
    return _c._with_values(self, self.values() ** exponent, "PowBackward0")


UNARY = {name: _unary(name, node) for name, node in _NONLINEAR.items()}

_METHODS: dict[str, Callable] = {
    "__add__": add, "__radd__": lambda s, o: add(o, s), "add": add,
    "__sub__": sub, "__rsub__": _rsub, "sub": sub,
    "__mul__": mul, "__rmul__": mul, "mul": mul,
    "__truediv__": div, "div": div, "__neg__": neg, "neg": neg,
    "__matmul__": mm, "__rmatmul__": lambda s, o: mm(o, s), "mm": mm, "matmul": mm, "mv": mm,
    "t": t, "transpose": transpose, "sum": sum, "pow": _pow, "__pow__": _pow,
    "double": lambda s: s.to(_dt.float64), "float": lambda s: s.to(_dt.float32),
    "half": lambda s: s.to(_dt.float16), "bfloat16": lambda s: s.to(_dt.bfloat16),
    "long": lambda s: s.to(_dt.int64), "int": lambda s: s.to(_dt.int32),
    "bool": lambda s: s.to(_dt.bool),
    **UNARY,
}
for _name, _fn in _METHODS.items():
    setattr(_C, _name, _fn)
del _name, _fn
