"""Embedding lookups: ``embedding``, ``embedding_bag``, ``embedding_renorm_`` and ``one_hot``.

Two private ops carry every gradient here: ``take_rows`` (gather rows by index) and
``add_rows`` (scatter-add rows by index into zeros); each is the other's derivative, so
gradients of any order work without Python loops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dispatch import Tensor, grad_state, make, record, renamed
from ._nn_math import const

__all__ = ["embedding", "embedding_bag", "embedding_renorm_", "one_hot"]


def _index_array(indices: Any, op: str) -> Any:
    a = indices._data if isinstance(indices, Tensor) else indices
    if a.dtype.kind not in "iu" or str(a.dtype) not in ("int64", "int32"):
        if isinstance(indices, Tensor):
            # PyTorch names the eight legacy types as torch.ByteTensor, the others CPUBoolType
            from ._inplace import _type_name

            tn = _type_name(indices.dtype.name)
            dev = "CUDA" if indices._device.type == "cuda" else "CPU"
            name = indices.type() if tn in ("Byte", "Char", "Short", "Int", "Long", "Half",
                                            "Float", "Double") else f"{dev}{tn}Type"
        else:
            name = str(a.dtype)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {name} instead (while checking arguments for {op})")
    return a


def _scatter_add(xp: Any, out: Any, idx: Any, src: Any) -> Any:
    """``out[idx[i]] += src[i]`` for every ``i`` (repeated indices accumulate)."""
    if idx.size == 0:
        return out
    if out.ndim == 2 and out.shape[1] <= 64 and out.dtype.itemsize >= 4 and hasattr(
            xp, "bincount"):
        # one weighted bincount per column beats ufunc.at on narrow rows; half precision
        # adds row by row, rounding after each addition as PyTorch's kernel does
        n = out.shape[0]
        cols = xp.arange(out.shape[1])
        flat = (idx[:, None] * out.shape[1] + cols[None, :]).reshape(-1)
        out += xp.bincount(flat, weights=src.reshape(-1), minlength=n * out.shape[1]).reshape(
            out.shape).astype(out.dtype, copy=False)
        return out
    xp.add.at(out, idx, src)
    return out


def take_rows(src: Tensor, idx: Any) -> Tensor:
    """``src[idx]`` along dim 0 for an index array ``idx`` (any shape)."""
    res = make(src._data[idx], src._device)
    if grad_state.enabled and src._rg:
        n = src._data.shape[0]
        record("IndexBackward0", res, (src,), lambda g, i: (add_rows(g, i._data, n),),
               (const(idx, src),))
    return res


def add_rows(src: Tensor, idx: Any, n: int) -> Tensor:
    """Zeros of ``(n, *row_shape)`` with ``src[i]`` added at row ``idx[i]`` (``idx`` any shape)."""
    x = src._data
    xp = src._device._backend.xp
    rshape = x.shape[idx.ndim:]
    out = xp.zeros((n,) + tuple(rshape), dtype=x.dtype)
    flat = idx.reshape(-1)
    if flat.size:  # (no rows to add: ``reshape(0, -1)`` is ambiguous)
        _scatter_add(xp, out.reshape(n, -1), flat, x.reshape(flat.size, -1))
    res = make(out, src._device)
    if grad_state.enabled and src._rg:
        record("IndexAddBackward0", res, (src,), lambda g, i: (take_rows(g, i._data),),
               (const(idx, src),))
    return res


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at ``indices``; the row ``padding_idx`` gets no gradient."""
    idx = _index_array(indices, "embedding")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    xp = weight._device._backend.xp
    v = w.shape[0]
    if idx.size and bool(xp.any((idx < 0) | (idx >= v))):
        if not v:  # PyTorch's index_select refuses an empty table before the range check
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        raise IndexError("index out of range in self")
    res = make(xp.take(w, idx, axis=0), weight._device)
    if grad_state.enabled and weight._rg:
        scale = None
        if padding_idx is not None and padding_idx >= 0 or scale_grad_by_freq:
            scale = xp.ones(idx.shape, dtype=w.dtype)
            if scale_grad_by_freq:
                counts = xp.bincount(idx.reshape(-1), minlength=v)
                scale = scale / counts[idx]
            if padding_idx is not None and padding_idx >= 0:
                scale = scale * (idx != padding_idx)
            scale = const(scale.astype(w.dtype)[..., None], weight)

        if sparse:
            return _record_sparse(res, weight, idx, padding_idx, scale, scale_grad_by_freq)

        def vjp(g: Tensor, i: Tensor, s: Tensor | None) -> tuple:
            return (add_rows(g * s if s is not None else g, i._data, v),)

        record("EmbeddingBackward0", res, (weight,), vjp, (const(idx, weight), scale))
    return res


def _record_sparse(res: Tensor, weight: Tensor, idx: Any, padding_idx: int | None,
                   scale: Tensor | None, by_freq: bool) -> Tensor:
    """``sparse=True``: the weight's gradient is a sparse COO tensor with one (uncoalesced)
    row per looked-up index, the padding index left out, as PyTorch gives it."""
    from .sparse_coo import _new_sparse

    flat = idx.reshape(-1)
    keep = None
    if padding_idx is not None and padding_idx >= 0:
        keep = flat != padding_idx
        flat = flat[keep]
    shape, dev = weight._data.shape, weight._device
    ind = flat.astype("int64")[None]

    def vjp(g: Tensor, s: Tensor | None = None) -> tuple:
        if by_freq:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with "
                               "sparse gradients")
        rows = (g * s if s is not None else g)._data.reshape(-1, shape[1])
        if keep is not None:
            rows = rows[keep]
        return (_new_sparse(ind, rows, shape, dev, ind.shape[1] <= 1),)

    record("EmbeddingBackward0", res, (weight,), vjp, (scale,) if scale is not None else ())
    return res


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float,
                      norm_type: float) -> Tensor:
    """Rescale the rows of ``input`` named in ``indices`` to norm at most ``max_norm``, in place."""
    from . import _inplace

    idx = _index_array(indices, "embedding_renorm_")
    xp = input._device._backend.xp
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return input
    sel = input._data[rows]
    # PyTorch's row norm accumulates in float (float64 for double) and rounds to the row's
    # dtype; its scale is a double, rounded to the row's dtype as a wrapped scalar
    reduced = sel.dtype.name in ("float16", "bfloat16")
    a = xp.abs(sel.astype("float32") if reduced else sel)
    if norm_type == float("inf"):
        norms = xp.max(a, axis=1)
    elif norm_type == 0:
        norms = xp.sum(a != 0, axis=1).astype(a.dtype)
    else:
        norms = xp.sum(a ** norm_type, axis=1) ** (1.0 / norm_type)
    norms = (norms.astype(sel.dtype) if reduced else norms).astype("float64")
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(sel.dtype)
    new = input._data.copy()
    new[rows] = sel * scale[:, None]
    _inplace.write(input, new)
    return input


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``int64`` one-hot encoding with a new last dimension of size ``num_classes``."""
    if not isinstance(tensor, Tensor):
        from .pointwise_unary import not_tensor

        raise not_tensor("one_hot", tensor)
    if isinstance(num_classes, bool) or not hasattr(num_classes, "__index__"):
        raise TypeError(f"one_hot(): argument 'num_classes' must be int, not "
                        f"{type(num_classes).__name__}")
    num_classes = int(num_classes)
    x = tensor._data
    if str(x.dtype) != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = tensor._device._backend.xp
    if x.size == 0 and num_classes <= 0:  # (PyTorch's words for any class count below 1)
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(xp.max(x)) + 1
    if x.size:
        if bool(xp.any(x < 0)):
            raise RuntimeError("Class values must be non-negative.")
        if bool(xp.any(x >= num_classes)):
            raise RuntimeError("Class values must be smaller than num_classes.")
    hot = (x[..., None] == xp.arange(num_classes)).astype("int64", order="C")  # as PyTorch's
    return make(hot, tensor._device)


_MODES = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor | None,
                  scale_grad_by_freq: bool = False, mode: Any = 0, sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sums, means or maxima of bags of embedding rows.

    Returns ``(output, offset2bag, bag_size, max_indices)`` as ``torch.embedding_bag`` does;
    bags are given by ``offsets`` into a 1-D ``indices`` (or by the rows of a 2-D one).
    """
    mode = _MODES[mode] if isinstance(mode, str) else int(mode)
    if sparse and mode == 2:
        raise ValueError("max mode does not support sparse weights")
    idx = _index_array(indices, "embedding_bag")
    xp = weight._device._backend.xp
    w = weight._data
    v, d = w.shape
    if idx.ndim == 2:
        b, length = idx.shape
        offs = xp.arange(0, b * length, length, dtype="int64") if length else xp.zeros(
            b, dtype="int64")
        idx = idx.reshape(-1)
        end = idx.size  # 2-D bags are whole rows: include_last_offset leaves none out
    else:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got null")
        offs = offsets._data.astype("int64")
        if include_last_offset:
            end, offs = (int(offs[-1]) if offs.size else 0), offs[:-1]
        b = offs.shape[0]
    if per_sample_weights is not None and mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    if per_sample_weights is not None and per_sample_weights._data.dtype != w.dtype:
        from ..autograd.graph import _legacy_type

        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type {_legacy_type(weight)} does not equal "
            f"{_legacy_type(per_sample_weights)} (while checking arguments for embedding_bag)")
    n = idx.size
    # PyTorch's fast float kernel (no padding_idx) leaves indices past offsets[-1] out of the
    # sums; its generic one (float64, or with a padding_idx) puts them in the last bag
    tail = (idx.ndim == 1 and include_last_offset and b > 0 and end < n and mode != 2
            and (padding_idx is None or padding_idx < 0)
            and str(w.dtype) in ("float32", "float16", "bfloat16"))
    if n and bool(xp.any((idx < 0) | (idx >= v))):
        raise _bag_index_error(xp, idx, v, mode, w.dtype, padding_idx)
    if b and offs.size and (int(offs[0]) != 0 or bool(xp.any(offs[1:] < offs[:-1]))):
        if int(offs[0]) == 0:  # PyTorch reads out of range here; the bags must not overlap
            raise RuntimeError("embedding_bag: offsets must be non-decreasing, but got "
                               f"{offs.tolist()}")
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           "has to start from position 0. However, got " + str(int(offs[0]))
                           + "\n[ torch.LongTensor{} ]")  # (PyTorch's message ends so)
    if b == 0:  # no bags: PyTorch's empty result, still a node of the weight
        return _no_bags(weight, n, xp)
    bag = (xp.searchsorted(offs, xp.arange(n), side="right") - 1).astype("int64")
    keep = (idx != padding_idx) if padding_idx is not None and padding_idx >= 0 else \
        xp.ones(n, dtype=bool)
    counts = xp.bincount(bag[keep], minlength=b)[:b] if n else xp.zeros(b, dtype="int64")
    sparse_grad = sparse and weight._rg and grad_state.enabled
    # a sparse weight gradient leaves the padding rows out (and, as PyTorch's, refuses
    # scale_grad_by_freq when it is computed)
    rows = embedding(weight, make(idx, weight._device), -1 if padding_idx is None else
                     padding_idx, scale_grad_by_freq, sparse=True) if sparse_grad else \
        take_rows(weight, idx)
    dev = weight._device
    if mode == 2:
        out, maxi = _bag_max(rows, bag, keep, b, xp, idx)
    elif str(w.dtype) == "float16" and not (tail and mode == 1):
        if scale_grad_by_freq and n and not sparse_grad:
            rows = _freq_scaled(rows, idx, v, xp)
        out = _half_bags(rows, per_sample_weights, keep, tail and end, bag, b, counts, mode, xp)
        maxi = xp.zeros(0, dtype="int64")
    else:
        scale = keep.astype(w.dtype)
        if scale_grad_by_freq and n and not sparse_grad:
            rows = _freq_scaled(rows, idx, v, xp)
        if tail and mode == 0:  # PyTorch's sum leaves indices past offsets[-1] out
            scale = scale * (xp.arange(n) < end)
        r = rows * make(scale[:, None], dev)
        if per_sample_weights is not None:
            r = r * per_sample_weights.reshape(-1, 1)
        out = add_rows(r, bag, b)
        if tail and mode == 1:
            out._data = out._data - _tail_sum(r._data, end, b, xp)
        if mode == 1:  # PyTorch sums each bag, then divides it by its size
            out = out / make(xp.maximum(counts, 1).astype(w.dtype)[:, None], dev)
        maxi = xp.zeros(b if mode == 2 else 0, dtype="int64")
    if not out._rg and grad_state.enabled and weight._rg:  # max over no rows: still a node
        out = _zero_grad_node(out, weight)
    out = renamed(out, "EmbeddingBagBackward0")  # PyTorch's one node for the whole op
    # the auxiliary outputs as PyTorch's CPU kernels leave them: sum fills no bag sizes (and
    # its fast float kernel no offset2bag); mean's max_indices repeat the bag sizes
    if mode == 0:
        fast = (padding_idx is None or padding_idx < 0) and str(w.dtype) in (
            "float32", "float16", "bfloat16")
        nb = b + 1 if include_last_offset and indices.ndim == 1 else b  # one per offset
        return (out, make(xp.zeros(0, dtype="int64") if fast else bag, dev),
                make(xp.zeros(nb, dtype="int64"), dev), make(xp.zeros(nb, dtype="int64"), dev))
    sizes = counts.astype("int64")
    return (out, make(bag, dev), make(sizes, dev), make(maxi if mode == 2 else sizes.copy(), dev))


def _half_bags(rows: Tensor, psw: Tensor | None, keep: Any, end: Any, bag: Any, b: int,
               counts: Any, mode: int, xp: Any) -> Tensor:
    """Float16 sums and means as PyTorch's CPU kernel: each bag summed in float32 and rounded
    once, a mean then divided by its size (and rounded again); ``end``: where PyTorch's sum
    stops (``include_last_offset`` with indices past ``offsets[-1]``), else False."""
    scale = keep.astype("float32")
    if end is not False:  # PyTorch's sum leaves indices past offsets[-1] out
        scale = scale * (xp.arange(scale.shape[0]) < end)
    r = rows.float() * make(scale[:, None], rows._device)
    if psw is not None:
        r = r * psw.float().reshape(-1, 1)
    out = add_rows(r, bag, b).to(rows.dtype)
    if mode == 1:
        size = make(xp.maximum(counts, 1).astype("float32")[:, None], rows._device)
        out = (out.float() / size).to(rows.dtype)
    return out


def _tail_sum(r: Any, end: int, b: int, xp: Any) -> Any:
    """The last bag's share of rows past ``offsets[-1]``: PyTorch's fast mean with
    ``include_last_offset`` leaves them out of the value but not of the count or gradient."""
    res = xp.zeros((b,) + r.shape[1:], dtype=r.dtype)
    res[-1] = r[end:].sum(0)
    return res


def _no_bags(weight: Tensor, n: int, xp: Any) -> tuple:
    """``embedding_bag``'s four results for empty offsets: a ``(0, dim)`` output."""
    dev = weight._device
    out = make(xp.zeros((0, weight._data.shape[1]), dtype=weight._data.dtype), dev)
    if grad_state.enabled and weight._rg:
        out = _zero_grad_node(out, weight)
    empty = make(xp.zeros(0, dtype="int64"), dev)
    return out, make(xp.zeros(n, dtype="int64"), dev), empty, empty


def _zero_grad_node(out: Tensor, weight: Tensor) -> Tensor:
    """``out`` recorded as a function of ``weight`` with a zero gradient (PyTorch's output of
    an empty max bag stays in the graph)."""
    res = make(out._data, out._device)
    w = weight._data
    xp = weight._device._backend.xp
    record("EmbeddingBagBackward0", res, (weight,),
           lambda g: (make(xp.zeros(w.shape, dtype=w.dtype), weight._device),))
    return res


def _bag_index_error(xp: Any, idx: Any, v: int, mode: int, dtype: Any,
                     padding_idx: int | None) -> RuntimeError:
    """PyTorch's words for an index outside the table: its float32 sum/mean kernel names the
    first bad position, the generic one only the value."""
    bad = int(xp.flatnonzero((idx < 0) | (idx >= v))[0])
    val = int(idx[bad])
    if mode != 2 and str(dtype) == "float32" and padding_idx is None:
        return RuntimeError(f"Index {bad} of input takes value {val} which is not in the valid "
                            f"range [0, {v})")
    return RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx "
                        f"to be {val}")


def _freq_scaled(rows: Tensor, idx: Any, v: int, xp: Any) -> Tensor:
    """Rows whose gradient is divided by the frequency of their index (values unchanged)."""
    counts = xp.bincount(idx, minlength=v)[idx].astype(rows._data.dtype)[:, None]
    res = make(rows._data, rows._device)
    if grad_state.enabled and rows._rg:
        record("EmbeddingBagBackward0", res, (rows,), lambda g, c: (g / c,),
               (make(counts, rows._device),))
    return res


def _bag_max(rows: Tensor, bag: Any, keep: Any, b: int, xp: Any, idx: Any) -> tuple:
    """Per-bag, per-column maxima of ``rows`` and the winning indices (empty bags give 0s)."""
    r = rows._data
    n, d = r.shape
    best = xp.full((b, d), -xp.inf, dtype=r.dtype)
    if n and isinstance(r, np.ndarray):
        np.maximum.at(best, bag[keep], r[keep])
        empty = xp.isneginf(best)
    elif n:
        # CuPy's atomic float maximum mishandles negative values: take the maximum over
        # integer ranks instead (within each column), then look the values up
        rank = xp.argsort(xp.argsort(r, axis=0), axis=0)
        top = xp.full((b, d), -1, dtype=rank.dtype)
        xp.maximum.at(top, bag, xp.where(keep[:, None], rank, -1))
        empty = top < 0
        best = xp.where(empty, best, xp.take_along_axis(xp.sort(r, axis=0),
                                                        xp.maximum(top, 0), axis=0))
    else:
        empty = xp.ones((b, d), dtype=bool)
    # the first row of each bag that attains the maximum, per column
    hit = (r == best[bag]) & keep[:, None]
    # int32 positions: CuPy's atomic minimum has no signed 64-bit kernel
    pos = xp.where(hit, xp.arange(n, dtype="int32")[:, None], n)
    first = xp.full((b, d), n, dtype="int32")
    if n:
        xp.minimum.at(first, bag, pos)
    first = xp.where(empty, 0, first)
    flat = (first.astype("int64") * d + xp.arange(d)[None, :]).reshape(-1)
    vals = take_rows(rows.reshape(n * d, 1), flat).reshape(b, d) if n else make(
        xp.zeros((b, d), dtype=r.dtype), rows._device)
    if bool(xp.any(empty)):
        vals = vals.masked_fill(make(empty, rows._device), 0.0)  # +0, as PyTorch's
    maxi = xp.where(empty, 0, idx[xp.minimum(first, max(n - 1, 0))] if n else 0)
    return vals, maxi.astype("int64")

