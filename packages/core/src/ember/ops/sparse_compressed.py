"""The compressed sparse layouts (CSR, CSC, BSR, BSC): ``SparseCompressedTensor``.

A compressed tensor holds ``compressed_indices`` (one offset per compressed row or column,
plus one), ``plain_indices`` (the column or row of each stored element or block) and
``values`` (nnz x [block] x dense dims). Conversions go through a COO tensor over the block
grid, so the products and arithmetic of the COO layout serve these layouts too, and the
gradients of a values tensor in the graph flow through the same ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._tensor import Tensor, layout, make
from ..autograd.grad_mode import state as grad_state
from ..backends.registry import CPU, canonical_device
from ._dispatch import record
from .creation import _warn_once, _warned
from .sparse_coo import (
    SparseLayoutTensor,
    SparseTensor,
    _new_sparse,
    _SparsePayload,
    _values_tensor,
    warn_implicit_invariants,
)

__all__ = ["sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "SparseCompressedTensor",
           "sparse_compressed_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
           "sparse_bsr_tensor", "sparse_bsc_tensor", "to_compressed"]

sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
_LAYOUTS = {"sparse_csr": sparse_csr, "sparse_csc": sparse_csc, "sparse_bsr": sparse_bsr,
            "sparse_bsc": sparse_bsc}
_KEY = {"sparse_csr": "SparseCsr", "sparse_csc": "SparseCsc", "sparse_bsr": "SparseBsr",
        "sparse_bsc": "SparseBsc", "sparse_coo": "Sparse", "strided": "Strided"}


def _by_rows(lay: Any) -> bool:
    return lay.name in ("sparse_csr", "sparse_bsr")


def _blocked(lay: Any) -> bool:
    return lay.name in ("sparse_bsr", "sparse_bsc")


def _as_layout(lay: Any) -> Any:
    """Ember's layout object for ``lay`` (an Ember or PyTorch-named layout), or None."""
    return _LAYOUTS.get(str(lay).rpartition(".")[2]) if lay is not None else None


class SparseCompressedTensor(SparseLayoutTensor):
    """A 2-D (plus dense dims) tensor in a compressed layout; see the module docstring."""

    __slots__ = ("_cidx", "_pidx", "_lay")
    is_sparse = False
    _plain_repr = True

    # ------------------------------------------------------------ metadata
    @property
    def layout(self) -> Any:
        return self._lay

    @property
    def is_sparse_csr(self) -> bool:
        return self._lay is sparse_csr

    def sparse_dim(self) -> int:
        return 2

    def dense_dim(self) -> int:
        return self._val.ndim - (3 if _blocked(self._lay) else 1)

    def _nnz(self) -> int:
        return int(self._pidx.shape[0])

    def _key(self) -> str:
        return _KEY[self._lay.name]

    def _index(self, name: str, rows: bool) -> Tensor:
        if _by_rows(self._lay) != rows:
            kind = "row" if rows else "column"
            raise RuntimeError(f"{name} expected sparse {kind} compressed tensor layout but got "
                               f"{self._key()}")
        return make(self._cidx if name.startswith(("crow", "ccol")) else self._pidx,
                    self._device)

    def crow_indices(self) -> Tensor:
        return self._index("crow_indices", True)

    def col_indices(self) -> Tensor:
        return self._index("col_indices", True)

    def ccol_indices(self) -> Tensor:
        return self._index("ccol_indices", False)

    def row_indices(self) -> Tensor:
        return self._index("row_indices", False)

    def values(self) -> Tensor:
        v = make(self._val, self._device)
        v._vc = self._vc
        if grad_state.enabled and self._rg:  # the gradient reaches self on its pattern
            record("ValuesBackward0", v, (self,), lambda g: (_like(self, g._data),))
        return v

    def _not_coo(self, op: str) -> RuntimeError:
        return RuntimeError(f"{op} expected sparse coordinate tensor layout but got "
                            f"{self._key()}")

    def is_coalesced(self) -> bool:
        raise self._not_coo("is_coalesced")

    def coalesce(self) -> Tensor:
        raise self._not_coo("coalesce")

    def indices(self) -> Tensor:
        raise self._not_coo("indices")

    def is_contiguous(self, memory_format: Any = None) -> bool:
        raise RuntimeError(f"Sparse {self._lay.name[7:].upper()} tensors do not have "
                           "is_contiguous")

    def stride(self, dim: int | None = None) -> Any:
        raise RuntimeError(f"Sparse {self._lay.name[7:].upper()} tensors do not have strides")

    def numpy(self, *, force: bool = False) -> np.ndarray:
        raise TypeError(f"can't convert {self._key()} layout tensor to numpy. Use "
                        "Tensor.to_dense() first.")

    def __bool__(self) -> bool:
        raise RuntimeError(f"Boolean value of a {self._key()} tensor is ambiguous")

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return _repr(self)

    # ------------------------------------------------------------ copies and conversions
    def detach(self) -> SparseCompressedTensor:
        t = _new(self._cidx, self._pidx, self._val, self._data.shape, self._lay, self._device)
        t._vc = self._vc
        return t

    def _clone_data(self) -> SparseCompressedTensor:
        be = self._device._backend
        return _new(be.copy(self._cidx), be.copy(self._pidx), be.copy(self._val),
                    self._data.shape, self._lay, self._device)

    def _add_inplace_grad(self, g: Tensor) -> None:
        """Accumulate a gradient into this ``.grad`` (compressed + compressed stays so)."""
        r = self.detach() + g.detach()
        if not isinstance(r, SparseCompressedTensor):
            raise RuntimeError("a dense gradient cannot be added in place to a sparse .grad")
        self._cidx, self._pidx, self._val = r._cidx, r._pidx, r._val
        self._vc[0] += 1

    def __reduce_ex__(self, protocol: int) -> tuple:
        host = self._device._backend.to_numpy if self._device is not CPU else np.asarray
        return (_rebuild, (*(np.array(host(a)) for a in (self._cidx, self._pidx, self._val)),
                           tuple(self._data.shape), self._lay.name, str(self._device),
                           self._rg))

    def __deepcopy__(self, memo: dict) -> SparseCompressedTensor:
        t = self._clone_data()
        t._rg = self._rg
        memo[id(self)] = t
        return t

    def clone(self, *, memory_format: Any = None) -> SparseCompressedTensor:
        be = self._device._backend
        return _with_values(self, self.values().clone(), "CloneBackward0",
                            cidx=be.copy(self._cidx), pidx=be.copy(self._pidx))

    def to_dense(self, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
        d = _to_dense(self)
        return d if dtype is None else d.to(dtype)

    def to_sparse(self, *args: Any, layout: Any = None, blocksize: Any = None,
                  dense_dim: Any = None) -> Tensor:
        if layout is None or str(layout).endswith("sparse_coo"):
            return _block_coo(self, False) if not _blocked(self._lay) else \
                _element_coo(self)
        return to_compressed(self, _as_layout(layout), blocksize, dense_dim)

    def to_sparse_coo(self) -> Tensor:
        return self.to_sparse()

    def to_sparse_csr(self, dense_dim: Any = None) -> SparseCompressedTensor:
        return to_compressed(self, sparse_csr, None, dense_dim)

    def to_sparse_csc(self, dense_dim: Any = None) -> SparseCompressedTensor:
        return to_compressed(self, sparse_csc, None, dense_dim)

    def to_sparse_bsr(self, blocksize: Any, dense_dim: Any = None) -> SparseCompressedTensor:
        return to_compressed(self, sparse_bsr, blocksize, dense_dim)

    def to_sparse_bsc(self, blocksize: Any, dense_dim: Any = None) -> SparseCompressedTensor:
        return to_compressed(self, sparse_bsc, blocksize, dense_dim)

    def to(self, *args: Any, **kwargs: Any) -> SparseCompressedTensor:
        vt = self.values().to(*args, **kwargs)
        if vt._data is self._val and vt._device is self._device:
            return self
        cidx, pidx = self._cidx, self._pidx
        if vt._device is not self._device:
            cidx = make(cidx, self._device).to(vt._device)._data
            pidx = make(pidx, self._device).to(vt._device)._data
        return _with_values(self, vt, "ToCopyBackward0", cidx=cidx, pidx=pidx,
                            device=vt._device)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        if dtype is None:
            raise RuntimeError(f"Unimplemented backend {self._key()}CPU")
        return Tensor.type(self, dtype)

    def tolist(self) -> list:
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")


def _new(cidx: Any, pidx: Any, val: Any, shape: tuple, lay: Any, device: Any,
         requires_grad: bool = False) -> SparseCompressedTensor:
    """Wrap the three arrays (no copies, no checks)."""
    if "sparse_beta" not in _warned:  # PyTorch's TORCH_WARN_ONCE of every compressed tensor
        from .._stacklevel import user_stacklevel

        _warn_once("sparse_beta", f"Sparse {lay.name[7:].upper()} tensor support is in beta "
                   "state. If you miss a functionality in the sparse tensor support, please "
                   "submit a feature request to https://github.com/pytorch/pytorch/issues. "
                   "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/"
                   "SparseCsrTensorImpl.cpp:49.)", user_stacklevel() + 1)
    t = make(_SparsePayload(shape, val.dtype, device), device, requires_grad)
    s = object.__new__(SparseCompressedTensor)
    for name in Tensor.__slots__:
        if name != "__weakref__":
            setattr(s, name, getattr(t, name))
    s._cidx, s._pidx, s._val, s._lay = cidx, pidx, val, lay
    return s


def _rebuild(cidx: np.ndarray, pidx: np.ndarray, val: np.ndarray, shape: tuple, lay: str,
             device: str, requires_grad: bool) -> SparseCompressedTensor:
    dev = canonical_device(device)
    if dev is not CPU:
        cidx, pidx, val = (dev._backend.asarray(a, index=dev.index) for a in (cidx, pidx, val))
    return _new(cidx, pidx, val, shape, _LAYOUTS[lay], dev, requires_grad)


def _with_values(s: SparseCompressedTensor, vt: Tensor, name: str, *, cidx: Any = None,
                 pidx: Any = None, shape: tuple | None = None, lay: Any = None,
                 device: Any = None) -> SparseCompressedTensor:
    """A compressed tensor on ``s``'s pattern (or the given one) holding values ``vt``."""
    out = _new(s._cidx if cidx is None else cidx, s._pidx if pidx is None else pidx,
               vt._data, s._data.shape if shape is None else shape,
               s._lay if lay is None else lay, s._device if device is None else device)
    if grad_state.enabled and vt._rg:
        _record(out, vt, name)
    return out


def _record(out: SparseCompressedTensor, vt: Tensor, name: str) -> None:
    """``out`` in the graph: consumers read ``out.values()`` (``vt``) and reach its graph;
    a gradient given to ``out`` itself goes to ``vt`` at ``out``'s pattern."""
    def vjp(g: Tensor) -> tuple:
        if isinstance(g, SparseCompressedTensor):
            return (make(g._val, g._device),)
        return (_gather_dense(g, out),)

    record(name, out, (vt,), vjp)


def _like(s: SparseCompressedTensor, val: Any) -> SparseCompressedTensor:
    """A compressed tensor on ``s``'s pattern holding ``val`` (a gradient)."""
    return _new(s._cidx, s._pidx, val, s._data.shape, s._lay, s._device)


def _rows_of(s: SparseCompressedTensor) -> Any:
    """The compressed index (row for CSR/BSR, column for CSC/BSC) of every stored entry."""
    xp = s._device._backend.xp
    counts = xp.diff(s._cidx)
    return xp.repeat(xp.arange(counts.shape[0], dtype=s._pidx.dtype), counts)


def _grid(s: SparseCompressedTensor) -> tuple:
    """The (rows, cols) of the block grid (of the elements for CSR/CSC)."""
    r, c = s._data.shape[:2]
    if _blocked(s._lay):
        bh, bw = s._val.shape[1:3]
        return r // bh, c // bw
    return r, c


def _block_coo(s: SparseCompressedTensor, sort: bool = True) -> SparseTensor:
    """A COO tensor over the block grid with ``s``'s values (differentiable): coalesced, or
    with ``sort=False`` in ``s``'s order (column-major for CSC, as PyTorch's ``to_sparse``)."""
    from . import sparse_math as _m

    xp = s._device._backend.xp
    comp = _rows_of(s)
    ind = xp.stack([comp, s._pidx]) if _by_rows(s._lay) else xp.stack([s._pidx, comp])
    vt = s.values()
    shape = _grid(s) + tuple(s._val.shape[1:])
    coo = _new_sparse(ind.astype(np.int64), vt._data, shape, s._device, False)
    if grad_state.enabled and vt._rg:
        _m.record_construct(coo, vt)
    if s._pidx.shape[0] <= 1 or (not sort and not _by_rows(s._lay)):
        return coo
    return _m.coalesce(coo)


def _element_coo(s: SparseCompressedTensor) -> SparseTensor:
    """A blocked tensor as COO over its elements (explicit zeros of a block kept), in block
    order, as PyTorch's ``to_sparse``."""
    xp = s._device._backend.xp
    bh, bw = s._val.shape[1:3]
    comp = _rows_of(s)
    br, bc = (comp, s._pidx) if _by_rows(s._lay) else (s._pidx, comp)
    i, j = xp.meshgrid(xp.arange(bh), xp.arange(bw), indexing="ij")
    rows = (br[:, None] * bh + i.reshape(1, -1)).reshape(-1)
    cols = (bc[:, None] * bw + j.reshape(1, -1)).reshape(-1)
    ind = xp.stack([rows, cols]).astype(np.int64)
    vt = s.values()
    dense = tuple(s._val.shape[3:])
    vt = vt.reshape((-1,) + dense)
    lin = rows * s._data.shape[1] + cols
    coal = bool((xp.diff(lin) > 0).all())
    coo = _new_sparse(ind, vt._data, tuple(s._data.shape), s._device, coal)
    if grad_state.enabled and vt._rg:
        from .sparse_math import record_construct

        record_construct(coo, vt, "ToSparseBackward0")
    return coo


def _dense_of(s: SparseCompressedTensor) -> Tensor:
    """The dense tensor of ``s`` (outside the graph)."""
    d = _block_coo(s.detach()).to_dense()
    if not _blocked(s._lay):
        return d
    nbr, nbc, bh, bw = d.shape[:4]
    perm = (0, 2, 1, 3) + tuple(range(4, d.ndim))
    return d.permute(perm).reshape((nbr * bh, nbc * bw) + tuple(d.shape[4:]))


def _to_dense(s: SparseCompressedTensor) -> Tensor:
    """``to_dense``: its gradient is the incoming one at ``s``'s pattern, as PyTorch's."""
    d = _dense_of(s)
    if grad_state.enabled and s._rg:
        record("ToDenseBackward0", d, (s,), lambda g: (_like(s, _gather_dense(g, s)._data),))
    return d


def _gather_dense(g: Tensor, s: SparseCompressedTensor) -> Tensor:
    """A dense gradient's entries at ``s``'s pattern, in ``s``'s value order."""
    if isinstance(g, (SparseTensor, SparseCompressedTensor)):
        g = g.to_dense()
    a = g._data
    if _blocked(s._lay):
        bh, bw = s._val.shape[1:3]
        r, c = a.shape[:2]
        a = a.reshape((r // bh, bh, c // bw, bw) + a.shape[2:]).swapaxes(1, 2)
    comp = _rows_of(s)
    rows, cols = (comp, s._pidx) if _by_rows(s._lay) else (s._pidx, comp)
    return make(a[rows, cols], g._device)


def _blocks_of(t: Tensor, blocksize: tuple) -> Tensor:
    """A dense (R, C, *d) tensor as its block grid (R/bh, C/bw, bh, bw, *d)."""
    bh, bw = blocksize
    r, c = t.shape[:2]
    rest = tuple(t.shape[2:])
    return t.reshape((r // bh, bh, c // bw, bw) + rest).permute(
        (0, 2, 1, 3) + tuple(range(4, 4 + len(rest))))


def _compress(coo: SparseTensor, lay: Any, blocksize: tuple | None,
              shape: tuple | None = None, name: str = "") -> SparseCompressedTensor:
    """A coalesced 2-sparse-dim COO tensor (over the block grid) in layout ``lay``."""
    xp = coo._device._backend.xp
    ind = coo._ind
    vt = coo._values()
    rows = _by_rows(lay)
    n = coo._data.shape[0 if rows else 1]
    if rows:
        comp, plain = ind[0], ind[1]
    else:
        order = xp.lexsort((ind[0], ind[1]))
        comp, plain = ind[1][order], ind[0][order]
        vt = vt[make(order, coo._device)]
    cidx = xp.zeros(n + 1, dtype=np.int64)
    cidx[1:] = xp.cumsum(xp.bincount(comp, minlength=n)[:n])
    if shape is None:
        shape = tuple(coo._data.shape)
        if blocksize is not None:
            shape = (shape[0] * blocksize[0], shape[1] * blocksize[1]) + shape[4:]
    out = _new(cidx, xp.ascontiguousarray(plain).astype(np.int64), vt._data, shape, lay,
               coo._device)
    if grad_state.enabled and vt._rg:
        _record(out, vt, name or f"ToSparse{_KEY[lay.name][6:]}Backward0")
    return out


def _check_blocksize(t: Tensor, lay: Any, blocksize: Any, src: str) -> tuple | None:
    if not _blocked(lay):
        return None
    if blocksize is None:
        op = "dense_to_sparse" if src == "Strided" else "to_sparse"
        raise RuntimeError(f"{op}: conversion from {src} to {_KEY[lay.name]} without "
                           "blocksize argument given is not supported")
    bs = (int(blocksize), int(blocksize)) if isinstance(blocksize, int) else \
        tuple(int(b) for b in blocksize)
    r, c = t.shape[:2]
    if len(bs) != 2 or r % bs[0] or c % bs[1]:
        raise RuntimeError(f"dense_to_sparse_{lay.name[7:]}: tensor sparse size ({r},{c}) "
                           f"must be divisible by given blocksize ({bs[0]},{bs[1]})")
    return bs


def to_compressed(t: Tensor, lay: Any, blocksize: Any = None,
                  dense_dim: Any = None) -> SparseCompressedTensor:
    """``Tensor.to_sparse_csr`` & co. from a dense, COO or compressed tensor."""
    src = _KEY[t.layout.name]
    if dense_dim is None and isinstance(t, (SparseTensor, SparseCompressedTensor)):
        dense_dim = t.dense_dim()  # a sparse source keeps its dense dims
    if isinstance(t, SparseCompressedTensor):
        if t._lay is lay and (blocksize is None or not _blocked(lay) or list(
                _check_blocksize(t, lay, blocksize, t._key())) == list(t._val.shape[1:3])):
            return t
        if t._lay is lay:
            raise RuntimeError(f"to_sparse_{lay.name[7:]}: conversion from {t._key()} to "
                               f"{t._key()} with blocksize changed from "
                               f"{list(t._val.shape[1:3])} to "
                               f"{list(_check_blocksize(t, lay, blocksize, t._key()))} is "
                               "not supported")
        if _blocked(t._lay) and _blocked(lay) and blocksize is not None:
            new = list(_check_blocksize(t, lay, blocksize, t._key()))
            if new != list(t._val.shape[1:3]):
                raise RuntimeError(
                    f"sparse_compressed_to_sparse_{lay.name[7:]}: conversion from {t._key()} "
                    f"to {_KEY[lay.name]} with blocksize changed from "
                    f"{list(t._val.shape[1:3])} to {new} is not supported")
        if _blocked(t._lay) and not _blocked(lay):
            raise RuntimeError(f"sparse_compressed_to_sparse_{lay.name[7:]}: expected SparseCsr "
                               f"or SparseCsc layout but got {t._key()}")
        if _blocked(t._lay) == _blocked(lay) and (
                not _blocked(lay) or blocksize is None
                or tuple(_check_blocksize(t, lay, blocksize, src)) == t._val.shape[1:3]):
            bs = tuple(t._val.shape[1:3]) if _blocked(lay) else None
            return _compress(_block_coo(t), lay, bs, tuple(t.shape))
        t = _to_dense(t)
    elif isinstance(t, SparseTensor):
        if t.sparse_dim() != 2:
            raise RuntimeError(f"coo_to_sparse_{lay.name[7:]}: conversion from Sparse to "
                               f"{_KEY[lay.name]} for input tensors with sparse_dim()!=2 is "
                               "not supported")
        if not _blocked(lay):  # explicit zeros stay, as PyTorch's conversion keeps them
            from .sparse_math import coalesce

            return _compress(coalesce(t), lay, None)
        t = t.to_dense()
    dd = int(dense_dim) if dense_dim is not None else 0
    if t.ndim - dd != 2:
        raise RuntimeError(f"to_sparse_{lay.name[7:]}: expected the input to have 2 sparse "
                           f"dimensions and {dd} dense dimensions, but got {t.ndim} "
                           "dimensions (batched compressed tensors are not supported in "
                           "Ember)")
    bs = _check_blocksize(t, lay, blocksize, src)
    src_t = t
    t = t.detach()
    grid = _blocks_of(t, bs) if bs else t
    from .sparse_math import dense_to_sparse

    out = _compress(dense_to_sparse(grid, 2), lay, bs, tuple(t.shape))
    if grad_state.enabled and src_t._rg:  # the gradient goes to the dense source as it is
        record(f"ToSparse{_KEY[lay.name][6:]}Backward0", out, (src_t,),
               lambda g: (g.to_dense() if isinstance(g, SparseCompressedTensor) else g,))
    return out


# ---------------------------------------------------------------- constructors
def _index_array(x: Any, dev: Any) -> Any:
    if isinstance(x, Tensor):
        a = x._data if x._device is dev else x.to(dev)._data
    else:
        a = np.asarray(x)
        if dev is not CPU:
            a = dev._backend.asarray(a, index=dev.index)
    return a


def sparse_compressed_tensor(compressed_indices: Any, plain_indices: Any, values: Any,
                             size: Any = None, *, dtype: Any = None, layout: Any = None,
                             device: Any = None, pin_memory: bool = False,
                             requires_grad: bool = False,
                             check_invariants: bool | None = None) -> SparseCompressedTensor:
    """A compressed sparse tensor of ``layout`` from its three parts; without ``size`` the
    smallest that holds every index."""
    lay = _as_layout(layout)
    if lay is None:
        raise RuntimeError("sparse_compressed_tensor expected sparse compressed tensor layout "
                           f"but got {'none' if layout is None else layout}")
    return _construct(compressed_indices, plain_indices, values, size, lay, dtype, device,
                      requires_grad, check_invariants)


def _construct(cidx: Any, pidx: Any, values: Any, size: Any, lay: Any, dtype: Any,
               device: Any, requires_grad: bool, check: bool | None) -> SparseCompressedTensor:
    dev = canonical_device(device) if device is not None else (
        values._device if isinstance(values, Tensor) else CPU)
    vt = _values_tensor(values, dtype, dev)
    ci, pi = _index_array(cidx, dev), _index_array(pidx, dev)
    name = f"sparse_{lay.name[7:]}_tensor"
    if ci.ndim != 1 or pi.ndim != 1:
        raise RuntimeError(f"{name}: compressed_indices and plain_indices must be 1-D in Ember "
                           f"(batched compressed tensors are not supported), got "
                           f"{list(ci.shape)} and {list(pi.shape)}")
    if ci.dtype.kind not in "iu" or pi.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: compressed_indices and plain_indices must be integer "
                           f"tensors, got {_dt.from_numpy_dtype(ci.dtype)} and "
                           f"{_dt.from_numpy_dtype(pi.dtype)}")
    blocked = _blocked(lay)
    val = vt._data
    if val.ndim < (3 if blocked else 1):
        raise RuntimeError(f"{name}: values must have at least {3 if blocked else 1} "
                           f"dimensions, got {val.ndim}")
    bs = tuple(val.shape[1:3]) if blocked else (1, 1)
    dense = tuple(val.shape[3 if blocked else 1:])
    if size is None:
        nc = int(ci.shape[0]) - 1
        npl = int(pi.max()) + 1 if pi.shape[0] else 0
        grid = (nc, npl) if _by_rows(lay) else (npl, nc)
        shape = (grid[0] * bs[0], grid[1] * bs[1]) + dense
    else:
        shape = tuple(int(s) for s in (size if not isinstance(size, int) else (size,)))
    warn_implicit_invariants(check)
    if check or (check is None and _invariants_on()):
        _check_invariants(ci, pi, val, shape, lay, name)
    if requires_grad and vt.dtype.category < _dt._FLOAT:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    out = _new(ci, pi, val, shape, lay, dev, bool(requires_grad))
    if grad_state.enabled and vt._rg and not requires_grad:
        _record(out, vt, "SparseCompressedTensorBackward0")
    return out


def _invariants_on() -> bool:
    import sys

    mod = sys.modules.get("ember.sparse")
    chk = getattr(mod, "check_sparse_tensor_invariants", None)
    return bool(chk is not None and chk._enabled)


def _check_invariants(ci: Any, pi: Any, val: Any, shape: tuple, lay: Any, name: str) -> None:
    """PyTorch's ``check_invariants=True`` checks, with its messages."""
    c, p = ("crow", "col") if _by_rows(lay) else ("ccol", "row")
    blocked = _blocked(lay)
    bs = tuple(val.shape[1:3]) if blocked else (1, 1)
    if len(shape) < 2:
        raise RuntimeError(f"{name}: size must have at least 2 dimensions, got {len(shape)}")
    ncomp = shape[0 if _by_rows(lay) else 1] // bs[0 if _by_rows(lay) else 1]
    nplain = shape[1 if _by_rows(lay) else 0] // bs[1 if _by_rows(lay) else 0]
    if ci.shape[0] != ncomp + 1:
        raise RuntimeError(f"{c}_indices.shape[-1] must be equal to the number of "
                           f"{'rows' if c == 'crow' else 'columns'} + 1 (={ncomp + 1}), but "
                           f"got {ci.shape[0]}")
    nnz = pi.shape[0]
    if val.shape[0] != nnz:
        raise RuntimeError(f"{p}_indices.shape[-1] must be equal to nnz (={val.shape[0]}) as "
                           f"defined by values.shape[0], but got {nnz}")
    lst = ci.tolist()
    if lst[0] != 0:
        raise RuntimeError(f"`{c}_indices[..., 0] == 0` is not satisfied.")
    if lst[-1] != nnz:
        raise RuntimeError(f"`{c}_indices[..., -1] == nnz` is not satisfied.")
    d = np.diff(np.asarray(lst))
    if (d < 0).any() or (d > nplain).any():
        raise RuntimeError(f"`0 <= {c}_indices[..., 1:] - {c}_indices[..., :-1] <= "
                           f"{'ncols' if c == 'crow' else 'nrows'}` is not satisfied.")
    pl = np.asarray(pi.tolist(), dtype=np.int64)
    if nnz and (pl.min() < 0 or pl.max() >= nplain):
        raise RuntimeError(f"`0 <= {p}_indices < {'ncols' if c == 'crow' else 'nrows'}` is "
                           "not satisfied.")


def _fixed(lay: Any) -> Any:
    def ctor(compressed_indices: Any, plain_indices: Any, values: Any, size: Any = None, *,
             dtype: Any = None, device: Any = None, pin_memory: bool = False,
             requires_grad: bool = False,
             check_invariants: bool | None = None) -> SparseCompressedTensor:
        return _construct(compressed_indices, plain_indices, values, size, lay, dtype, device,
                          requires_grad, check_invariants)

    ctor.__name__ = f"sparse_{lay.name[7:]}_tensor"
    ctor.__doc__ = f"A sparse tensor in the {lay.name[7:].upper()} layout from its parts."
    return ctor


sparse_csr_tensor = _fixed(sparse_csr)
sparse_csc_tensor = _fixed(sparse_csc)
sparse_bsr_tensor = _fixed(sparse_bsr)
sparse_bsc_tensor = _fixed(sparse_bsc)


# ---------------------------------------------------------------- repr
def _repr(s: SparseCompressedTensor) -> str:
    """PyTorch's format: the two index tensors and the values, each on its own line, then
    ``size``, ``nnz``, ``dtype``, ``layout`` and the autograd suffix."""
    from .. import _formatting as f

    indent = len("tensor(")
    rows = _by_rows(s._lay)
    names = ("crow_indices", "col_indices") if rows else ("ccol_indices", "row_indices")
    parts = []
    for name, arr in ((names[0], s._cidx), (names[1], s._pidx), ("values", s._val)):
        head = f"{name}=tensor("
        part = make(arr, s._device)
        host = f._host_array(part)
        text = head + f._body(host, indent + len(head))
        if host.size == 0:
            text += f", size={tuple(host.shape)}"
        parts.append(text + ")")
    suffix = f._device_suffix(s) + [f"size={tuple(s.shape)}", f"nnz={s._nnz()}"]
    suffix += f._dtype_suffix(s.dtype.name, f._default_dtype_name())
    suffix.append(f"layout=ember.{s._lay.name}")
    body = "tensor(" + (",\n" + " " * indent).join(parts)
    return f._add_suffixes(body, suffix + f._grad_suffix(s), indent)


from . import sparse_compressed_math as _math  # noqa: E402,F401  (attaches the arithmetic)
