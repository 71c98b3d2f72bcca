"""Arithmetic, reductions and products on sparse COO tensors, with their derivatives.

Elementwise ops act on the values: ``_values_of`` (ValuesBackward0) and
``record_construct`` chain so that gradients reach a sparse leaf as a sparse gradient
and reach a dense values tensor as a dense one, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as grad_state
from ._dispatch import record
from .sparse_coo import SparseTensor, _new_sparse, _values_of

__all__ = ["coalesce", "to_dense", "dense_to_sparse", "add", "sub", "mul", "div", "neg",
           "transpose", "t", "sum", "index_select", "mm", "mv", "addmm", "softmax", "log_softmax",
           "sparse_mask", "clone", "to"]


def _xp(t: Tensor) -> Any:
    return t._device._backend.xp


def _linear(ind: Any, shape: tuple, xp: Any) -> Any:
    """The row-major position of each index column among the sparse dims."""
    lin = xp.zeros(ind.shape[1], dtype=ind.dtype)
    for d, n in enumerate(shape):
        lin = lin * n + ind[d]
    return lin


# ---------------------------------------------------------------- graph helpers
def record_values(v: Tensor, s: SparseTensor) -> None:
    """``s._values()`` in the graph: the gradient reaches ``s`` as a sparse tensor."""
    ind, shape, coal = s._ind, s._data.shape, s._coal

    def vjp(g: Tensor) -> tuple:
        return (_new_sparse(ind, g._data, shape, g._device, coal),)

    record("ValuesBackward0", v, (s,), vjp)


def _gather(g: Tensor, ind: Any) -> Tensor:
    """The entries of gradient ``g`` (dense or sparse) at index columns ``ind``."""
    if isinstance(g, SparseTensor):
        if g._ind is ind:
            return make(g._val, g._device)
        g = to_dense(g)
    return make(g._data[tuple(ind)], g._device)


def record_construct(out: SparseTensor, vt: Tensor,
                     name: str = "SparseCooTensorWithDimsAndTensorsBackward0") -> None:
    """A sparse tensor built from a values tensor in the graph: values get the gradient
    at their indices."""
    ind = out._ind

    def vjp(g: Tensor) -> tuple:
        return (_gather(g, ind),)

    record(name, out, (vt,), vjp)
    out._vt = vt


def _with_values(s: SparseTensor, vt: Tensor, name: str, coal: bool | None = None,
                 ind: Any = None, shape: tuple | None = None) -> SparseTensor:
    """A sparse tensor on ``s``'s indices (or ``ind``) with values ``vt`` (differentiable)."""
    out = _new_sparse(s._ind if ind is None else ind, vt._data,
                      s._data.shape if shape is None else shape, s._device,
                      s._coal if coal is None else coal)
    if grad_state.enabled and vt._rg:
        record_construct(out, vt, name)
    return out


# ---------------------------------------------------------------- conversions
def coalesce(s: SparseTensor) -> SparseTensor:
    """Sorted, unique indices; the values of duplicates added."""
    if s._coal:
        return s
    xp = _xp(s)
    sd = s._ind.shape[0]
    shape = s._data.shape[:sd]
    lin = _linear(s._ind, shape, xp)
    uniq, inv = xp.unique(lin, return_inverse=True)
    inv = inv.reshape(-1)
    ind = xp.stack(xp.unravel_index(uniq, shape)).astype(s._ind.dtype) if sd else \
        xp.zeros((0, uniq.shape[0]), dtype=s._ind.dtype)
    val = xp.zeros((uniq.shape[0],) + s._val.shape[1:], dtype=s._val.dtype)
    if xp is np and uniq.shape[0] < lin.shape[0]:
        # duplicates add up in the order PyTorch's (unstable) sort of the indices leaves them
        from .sorting import _argsort_arr

        perm = _argsort_arr(xp, lin, 0, False, stable=False)
        xp.add.at(val, inv[perm], s._val[perm])
    else:
        xp.add.at(val, inv, s._val)
    out = _new_sparse(ind, val, s._data.shape, s._device, True)
    if grad_state.enabled and s._rg:
        def vjp(g: Tensor) -> tuple:
            if isinstance(g, SparseTensor):
                return (g,)
            return (sparse_mask(g, s),)

        record("CoalesceBackward0", out, (s,), vjp)
    return out


def to_dense(s: SparseTensor) -> Tensor:
    xp = _xp(s)
    out = xp.zeros(s._data.shape, dtype=s._val.dtype)
    xp.add.at(out, tuple(s._ind), s._val)
    res = make(out, s._device)
    if grad_state.enabled and s._rg:
        def vjp(g: Tensor) -> tuple:
            return (sparse_mask(g, s),)

        record("ToDenseBackward0", res, (s,), vjp)
    return res


def sparse_mask(input: Tensor, mask: SparseTensor) -> SparseTensor:
    """``input``'s entries at ``mask``'s indices, as a sparse tensor shaped like ``mask``."""
    if not isinstance(mask, SparseTensor):
        raise RuntimeError("sparse_mask(): expected mask to be a sparse COO tensor, but got "
                           f"{mask.layout}")
    if tuple(input.shape) != tuple(mask._data.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size "
                           f"{list(input.shape)} but mask has size {list(mask._data.shape)}")
    if isinstance(input, SparseTensor):
        input = to_dense(input)
    if not mask._coal:  # the pattern, each index once: the result is a true sparse tensor
        mask = coalesce(mask.detach())

    vt = input[tuple(make(i, mask._device) for i in mask._ind)] if mask._ind.shape[0] else \
        input.unsqueeze(0).expand((mask._nnz(),) + tuple(input.shape))
    return _with_values(mask, vt, "SparseMaskBackward0")


def dense_to_sparse(t: Tensor, sparse_dim: int | None = None) -> SparseTensor:
    """``Tensor.to_sparse``: the nonzero entries (rows of the dense part) of ``t``."""
    xp = _xp(t)
    a = t._data
    sd = a.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= sd <= a.ndim:
        raise RuntimeError(f"sparse_dim must be in [0, {a.ndim}], but got {sd}")
    if sd == 0 and a.ndim:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when "
                           "self.dim()>0")
    nz = a != 0
    if sd < a.ndim:  # a row of the dense part counts when any of it is nonzero
        nz = nz.reshape(a.shape[:sd] + (int(np.prod(a.shape[sd:])),)).any(axis=-1)
    ind = xp.stack(xp.nonzero(nz)).astype(xp.int64) if sd else xp.zeros((0, 1), xp.int64)
    val = a[tuple(ind)] if sd else a[None]
    out = _new_sparse(ind, val, a.shape, t._device, True)
    if grad_state.enabled and t._rg:
        def vjp(g: Tensor) -> tuple:
            return (to_dense(g) if isinstance(g, SparseTensor) else g,)

        # PyTorch: ``to_sparse(sparse_dim)`` is overload 0, ``to_sparse()`` / ``layout=`` 1
        record("ToSparseBackward0" if sparse_dim is not None else "ToSparseBackward1", out,
               (t,), vjp)
    return out


def clone(s: SparseTensor) -> SparseTensor:
    be = s._device._backend
    return _with_values(s, _values_of(s).clone(), "CloneBackward0", ind=be.copy(s._ind))


def to(s: SparseTensor, *args: Any, **kwargs: Any) -> SparseTensor:
    vt = _values_of(s).to(*args, **kwargs)
    ind = s._ind
    if vt._device is not s._device:
        ind = make(ind, s._device).to(vt._device)._data
    if vt._data is s._val and vt._device is s._device:
        return s
    out = _new_sparse(ind, vt._data, s._data.shape, vt._device, s._coal)
    if grad_state.enabled and vt._rg:
        record_construct(out, vt, "ToCopyBackward0")
    return out


# ---------------------------------------------------------------- arithmetic
def _check_same(a: SparseTensor, b: Tensor, op: str) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise RuntimeError(f"{op}: expected 'self' and 'other' to have same size, but self has "
                           f"size {list(a.shape)} while other has size {list(b.shape)} (FYI: "
                           "op2-sparse addition does not currently support broadcasting)")


def add(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """sparse + sparse -> sparse (indices concatenated); sparse + dense -> dense."""
    if not isinstance(input, SparseTensor):  # dense + sparse
        return input + to_dense(other) * alpha if alpha != 1 else input + to_dense(other)
    if not isinstance(other, SparseTensor):
        raise _unsupported_scalar("add")
    _check_same(input, other, "add")
    xp = _xp(input)
    vb = _values_of(other)
    if alpha != 1:
        vb = vb * alpha
    va = _values_of(input)
    from .shape import cat

    vt = cat([va, vb.to(va.dtype) if vb.dtype != va.dtype else vb], 0)
    ind = xp.concatenate([input._ind, other._ind], axis=1)
    out = _with_values(input, vt, "AddBackward0", coal=False, ind=ind)
    return coalesce(out) if input._coal and other._coal else out


def _unsupported_scalar(op: str) -> RuntimeError:
    return RuntimeError(f"{op}(sparse, dense) is not supported. Use {op}(dense, sparse) instead.")


def sub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    if isinstance(other, SparseTensor):
        return add(input, other, alpha=-alpha)
    return add(input, -other if isinstance(other, Tensor) else other, alpha=alpha)


def neg(s: SparseTensor) -> SparseTensor:
    return _with_values(s, -_values_of(s), "NegBackward0")


def mul(input: Tensor, other: Any) -> Tensor:
    if not isinstance(input, SparseTensor):
        input, other = other, input
    if isinstance(other, SparseTensor):  # sparse * sparse: the common indices
        _check_same(input, other, "mul")
        a, b = coalesce(input), coalesce(other)
        xp = _xp(a)
        sd = a._ind.shape[0]
        la = _linear(a._ind, a._data.shape[:sd], xp)
        lb = _linear(b._ind, b._data.shape[:sd], xp)
        common, ia, ib = xp.intersect1d(la, lb, assume_unique=True, return_indices=True)
        ia_t, ib_t = make(ia, a._device), make(ib, a._device)
        vt = _values_of(a)[ia_t] * _values_of(b)[ib_t]
        return _with_values(a, vt, "MulBackward0", coal=True, ind=a._ind[:, ia])
    if isinstance(other, Tensor) and other.ndim > 0:  # sparse * dense, same size
        _check_same(input, other, "mul")
        return _with_values(input, _values_of(input) * _gather(other, input._ind),
                            "MulBackward0")
    return _with_values(input, _values_of(input) * other, "MulBackward0")


def div(input: SparseTensor, other: Any, *, rounding_mode: str | None = None) -> SparseTensor:
    if isinstance(other, SparseTensor) or (isinstance(other, Tensor) and other.ndim > 0):
        raise RuntimeError("Sparse division requires a scalar or zero-dim dense tensor divisor "
                           f"(got shape {list(other.shape)} for divisor)")
    return _with_values(input, _values_of(input).div(other, rounding_mode=rounding_mode),
                        "DivBackward0")


def transpose(s: SparseTensor, dim0: int, dim1: int) -> SparseTensor:
    d0, d1 = s._wrap_dim(dim0, "transpose"), s._wrap_dim(dim1, "transpose")
    sd = s._ind.shape[0]
    if (d0 < sd) != (d1 < sd):
        raise RuntimeError(f"sparse transpose: transposed dimensions must be sparse Got "
                           f"sparse_dim: {sd}, d0: {d0}, d1: {d1}")
    shape = list(s._data.shape)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    if d0 < sd:
        order = list(range(sd))
        order[d0], order[d1] = order[d1], order[d0]
        vt = _values_of(s)
        return _with_values(s, vt, "TransposeBackward0", coal=s._coal and d0 == d1,
                            ind=s._ind[order], shape=tuple(shape))
    vt = _values_of(s).transpose(d0 - sd + 1, d1 - sd + 1)
    return _with_values(s, vt, "TransposeBackward0", shape=tuple(shape))


def t(s: SparseTensor) -> SparseTensor:
    if s.ndim > 2 or s.dense_dim():
        raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but "
                           f"got {s.sparse_dim()} sparse and {s.dense_dim()} dense dimensions")
    return transpose(s, 0, 1) if s.ndim == 2 else s


def sum(s: SparseTensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The sum over all elements (a dense 0-d tensor) or over ``dim``: sparse while a
    sparse dim remains, as ``torch.sparse.sum``. In a full sum duplicates add up first, in
    the values' dtype (a uint8 sum wraps, a bool one is an or; floats round as PyTorch's),
    as PyTorch coalesces first."""
    if dim is None and not s._coal:
        s = coalesce(s)
    vt = _values_of(s)
    if dtype is not None:
        vt = vt.to(_dt.to_dtype(dtype))
    if dim is None:
        return vt.sum()
    dims = sorted({s._wrap_dim(d, "sum") for d in ((dim,) if isinstance(dim, int) else dim)})
    sd = s._ind.shape[0]
    sparse_d = [d for d in dims if d < sd]
    dense_d = [d - sd + 1 for d in dims if d >= sd]
    if dense_d:
        vt = vt.sum(dense_d)
    keep = [d for d in range(sd) if d not in sparse_d]
    shape = tuple(n for i, n in enumerate(s._data.shape) if i not in dims)
    if not keep:
        return vt.sum(0)
    out = _with_values(s, vt, "SumBackward1", coal=False, ind=s._ind[keep], shape=shape)
    return coalesce(out)


def index_select(s: SparseTensor, dim: int, index: Tensor) -> SparseTensor:
    """The slices of ``s`` at ``index`` along ``dim``: along a sparse dim, the entries of
    each selected slice (in ``index`` order, then storage order), renumbered; along a dense
    dim, the values' slices. Uncoalesced, and (as PyTorch's) without a working backward."""
    d = s._wrap_dim(dim, "index_select")
    if (not isinstance(index, Tensor) or isinstance(index, SparseTensor) or index.ndim != 1
            or index.dtype != _dt.int64):
        raise IndexError("index_select() argument index must be 1-D strided (non-sparse) "
                         "long-tensor.")
    xp, n = _xp(s), s._data.shape[d]
    ix = xp.asarray(index._data)
    bad = (ix >= n) | (ix < -n)
    if bool(bad.any()):
        raise IndexError(f"index_select(): index contains {int(ix[bad][0])} that is out of "
                         f"range for tensor of size {list(s._data.shape)} at dimension {d}")
    ix = xp.where(ix < 0, ix + n, ix)
    sd = s._ind.shape[0]
    shape = s._data.shape[:d] + (ix.shape[0],) + s._data.shape[d + 1:]
    if d >= sd:
        ind, val = s._ind, xp.take(s._val, ix, axis=d - sd + 1)
    else:
        order = xp.argsort(s._ind[d], kind="stable")
        key = s._ind[d][order]
        lo = xp.searchsorted(key, ix, side="left")
        cnt = xp.searchsorted(key, ix, side="right") - lo
        total = int(cnt.sum())
        start = xp.repeat(xp.cumsum(cnt) - cnt, cnt)
        nz = order[xp.repeat(lo, cnt) + xp.arange(total) - start]
        ind = s._ind[:, nz].copy()
        ind[d] = xp.repeat(xp.arange(ix.shape[0], dtype=ind.dtype), cnt)
        val = s._val[nz]
    out = _new_sparse(ind, val, shape, s._device, False)
    if grad_state.enabled and s._rg:
        def vjp(g: Tensor) -> tuple:
            from .sparse_coo import _unsupported

            raise _unsupported("aten::index_add_", s._device)

        record("IndexSelectBackward0", out, (s,), vjp)
    return out


# ---------------------------------------------------------------- products
def mm(input: SparseTensor, mat2: Tensor, sparse_grad: bool = False, _vec: bool = False) -> Tensor:
    """sparse (n x m) @ dense (m x p) -> dense (n x p); gradients to both operands. The
    sparse operand's gradient is dense (``ember.mm``, ``@``) or, with ``sparse_grad``
    (``ember.sparse.mm``), ``grad @ mat2.T`` masked to its pattern, as PyTorch's."""
    if input.ndim != 2 or input.dense_dim():
        _refuse_mm(input)
    if isinstance(mat2, SparseTensor):
        mat2 = to_dense(mat2)
    vec = mat2.ndim == 1
    if vec and not _vec:  # mm (not matmul) reads the vector's dim 1
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    b = mat2.unsqueeze(1) if vec else mat2
    if input._data.shape[1] != b._data.shape[0]:  # PyTorch's addmm_sparse_dense messages
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size "
                           f"{input._data.shape[1]}, got {b._data.shape[0]}")
    if input.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dt._c10_name(input.dtype)} but found "
                           f"{_dt._c10_name(b.dtype)}")
    if input.dtype == _dt.bool:
        raise NotImplementedError('"addmm_sparse_dense" not implemented for \'Bool\'')
    xp = _xp(input)
    rows, cols = input._ind[0], input._ind[1]
    bd = b._data
    out = xp.zeros((input._data.shape[0], bd.shape[1]), dtype=bd.dtype)
    xp.add.at(out, rows, input._val[:, None] * bd[cols])
    res = make(out, input._device)
    if grad_state.enabled and (input._rg or b._rg):
        need_a, need_b = input._rg, b._rg
        sp = input

        def vjp(g: Tensor) -> tuple:
            ga = gb = None
            if need_a and sparse_grad:
                u = coalesce(sp.detach())._ind
                gv = (g._data[u[0]] * bd[u[1]]).sum(-1)
                ga = _new_sparse(u, gv, sp._data.shape, sp._device, True)
            elif need_a:
                ga = g.matmul(b.t())
            if need_b:
                gb = mm(t(sp.detach()), g)
            return ga, gb

        record("SparseAddmmBackward0" if sparse_grad else "MmBackward0", res, (input, b), vjp)
    return res.squeeze(1) if vec else res


def mv(input: SparseTensor, vec: Tensor) -> Tensor:
    """sparse (n x m) @ dense vector (m,) -> dense (n,), with PyTorch's mv errors."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: two tensor dim should be 2 and 1, but got SparseTensor Dim: "
                           f"{input.ndim}Tensor Dim: {vec.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError("mv: expected self.size(-1) == vec.size(-1)")
    if input.dtype != vec.dtype:
        raise RuntimeError(f"expected scalar type {_dt._c10_name(input.dtype)} but found "
                           f"{_dt._c10_name(vec.dtype)}")
    xp = _xp(input)
    v = vec._data
    out = xp.zeros((input._data.shape[0],), dtype=v.dtype)
    xp.add.at(out, input._ind[0], input._val * v[input._ind[1]])
    res = make(out, input._device)
    if grad_state.enabled and (input._rg or vec._rg):
        need_a, need_b, sp = input._rg, vec._rg, input

        def vjp(g: Tensor) -> tuple:  # the sparse operand's gradient is dense, as PyTorch's
            return (g.unsqueeze(1) * vec.detach() if need_a else None,
                    mv(t(sp.detach()), g) if need_b else None)

        record("MvBackward0", res, (input, vec), vjp)
    return res


def _refuse_mm(s: SparseTensor) -> None:
    """PyTorch's errors for a sparse operand that is not a 2-D matrix of scalars."""
    if s.sparse_dim() != 2:
        raise RuntimeError(f"addmm: matrices expected, got {s.sparse_dim()}D tensor")
    raise RuntimeError(f"addmm: scalar values expected, got {s.dense_dim()}D values")


def addmm(input: Tensor, mat1: SparseTensor, mat2: Tensor, *, beta: Any = 1,
          alpha: Any = 1, sparse_grad: bool = False) -> Tensor:
    p = mm(mat1, mat2, sparse_grad)
    if isinstance(input, SparseTensor):
        input = to_dense(input)
    return (input * beta if beta != 1 else input) + (p * alpha if alpha != 1 else p)


def _softmax(s: SparseTensor, dim: int, log: bool) -> SparseTensor:
    """softmax over the specified entries along ``dim`` (absent entries stay absent)."""
    if s.dtype not in (_dt.float32, _dt.float64) and s._data.size:
        op = "log_softmax" if log else "softmax"
        raise NotImplementedError(f'"{op}" not implemented for \'{_dt._c10_name(s.dtype)}\'')
    s = coalesce(s)
    d = s._wrap_dim(dim, "softmax")
    if not s._data.size:  # nothing to normalise: PyTorch returns it (any dtype)
        return s
    sd = s._ind.shape[0]
    vt = _values_of(s)
    if d >= sd:
        r = vt.log_softmax(d - sd + 1) if log else vt.softmax(d - sd + 1)
        return _with_values(s, r, "SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0")
    xp = _xp(s)
    keep = [i for i in range(sd) if i != d]
    shape = tuple(s._data.shape[i] for i in keep)
    grp = _linear(s._ind[keep], shape, xp) if keep else xp.zeros(s._ind.shape[1], xp.int64)
    _, gid = xp.unique(grp, return_inverse=True)
    g = make(gid.reshape(-1), s._device)
    n = int(gid.max()) + 1 if gid.size else 0
    tail = tuple(vt.shape[1:])
    idx = g.reshape((-1,) + (1,) * len(tail)).expand(tuple(vt.shape))
    mx = vt.new_full((n,) + tail, float("-inf")).scatter_reduce(0, idx, vt.detach(), "amax")
    z = vt - mx[g]
    e = z.exp()
    tot = vt.new_zeros((n,) + tail).index_add(0, g, e)
    r = z - tot.log()[g] if log else e / tot[g]
    return _with_values(s, r, "SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0")


def softmax(input: SparseTensor, dim: int, *, dtype: Any = None) -> SparseTensor:
    return _softmax(input if dtype is None else input.to(dtype), dim, False)


def log_softmax(input: SparseTensor, dim: int, *, dtype: Any = None) -> SparseTensor:
    return _softmax(input if dtype is None else input.to(dtype), dim, True)


# ---------------------------------------------------------------- methods and dispatch
def dense_mm(a: Tensor, s: SparseTensor) -> Tensor:
    """``dense @ sparse`` (``mm``, ``matmul``, ``@``): a dense product whose gradient to the
    sparse operand is dense, unmasked, as PyTorch's."""
    b = to_dense(s.detach())
    if grad_state.enabled and s._rg:
        b = make(b._data, b._device)
        record("ToDenseBackward0", b, (s,), lambda g: (g,))
    return b.__rmatmul__(a)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    if isinstance(a, SparseTensor):
        return mm(a, b, _vec=True)
    return dense_mm(a, b)


def _rmatmul(s: SparseTensor, other: Any) -> Tensor:
    """``dense @ sparse`` (Python asks the sparse subclass first)."""
    if not isinstance(other, Tensor):  # PyTorch's class name in Python's message
        raise TypeError(f"unsupported operand type(s) for @: '{type(other).__name__}' and "
                        "'Tensor'")
    return _matmul(other, s)


def _rsub(s: SparseTensor, other: Any) -> Tensor:
    return add(-s, other) if isinstance(other, SparseTensor) else other - to_dense(s)


def copy_(s: SparseTensor, src: Tensor, non_blocking: bool = False) -> SparseTensor:
    """Take ``src``'s indices, values and size (a sparse ``src`` only, as PyTorch)."""
    if not isinstance(src, SparseTensor):
        raise RuntimeError("copy_(sparse, dense) is not supported: the source must be sparse")
    be = s._device._backend
    ind = make(src._ind, src._device).to(s._device)._data
    val = make(src._val, src._device).to(s._device, s.dtype)._data
    s._ind, s._val, s._coal, s._vt = be.copy(ind), be.copy(val), src._coal, None
    s._data = type(s._data)(src._data.shape, val.dtype, s._device)
    s._vc[0] += 1
    return s


def _view(s: SparseTensor, *shape: Any) -> Tensor:
    """PyTorch has no sparse view kernel: its dispatcher's refusal."""
    from .sparse_coo import _unsupported

    raise _unsupported("aten::view", s._device)


def _reshape(s: SparseTensor, *shape: Any) -> Tensor:
    raise RuntimeError("reshape is not implemented for sparse tensors")


_METHODS = {
    "copy_": copy_, "view": _view, "reshape": _reshape,
    "__add__": add, "__radd__": lambda s, o: add(o, s), "add": add,
    "__sub__": sub, "__rsub__": _rsub, "sub": sub,
    "__mul__": mul, "__rmul__": mul, "mul": mul,
    "__truediv__": div, "div": div, "__neg__": neg, "neg": neg,
    "__matmul__": _matmul, "__rmatmul__": _rmatmul, "mm": mm, "matmul": _matmul, "mv": mv,
    "t": t, "transpose": transpose, "sum": sum, "softmax": softmax,
    "log_softmax": log_softmax, "sparse_mask": sparse_mask, "index_select": index_select,
    "double": lambda s: to(s, _dt.float64), "float": lambda s: to(s, _dt.float32),
    "half": lambda s: to(s, _dt.float16), "bfloat16": lambda s: to(s, _dt.bfloat16),
    "long": lambda s: to(s, _dt.int64), "int": lambda s: to(s, _dt.int32),
    "bool": lambda s: to(s, _dt.bool),
}
for _name, _fn in _METHODS.items():
    setattr(SparseTensor, _name, _fn)
del _name, _fn
