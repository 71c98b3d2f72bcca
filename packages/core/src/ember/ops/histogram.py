"""Histograms with bin edges: histogram (one dimension) and histogramdd (the innermost
dimension's D coordinates per sample). Not differentiable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import return_types as _rt
from ._dispatch import Tensor, astype, make, methods
from .indexing_search import _C_INTS, _search
from .math_misc import _dtype_name, fmt, not_differentiable, write_out

__all__ = ["histogram", "histogramdd"]

_isinstance = isinstance
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}


def _check_bins(count: int, d: int) -> None:
    if count <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {count} for "
                           f"dimension {d}")


def _outer_edges(xs: Any, D: int, rng: Sequence[float] | None,
                 half_name: str = "") -> list[tuple[float, float]]:
    """The leftmost and rightmost edge per dimension: ``range`` or the data's extent."""
    if rng is not None:
        pairs = [(float(rng[2 * i]), float(rng[2 * i + 1])) for i in range(D)]
    elif xs.shape[0]:
        if xs.dtype.itemsize < 4:  # PyTorch's min/max of the data has no half kernel
            raise NotImplementedError(f"\"histogramdd\" not implemented for '{half_name}'")
        lo, hi = xs.min(axis=0), xs.max(axis=0)
        pairs = [(float(lo[i]), float(hi[i])) for i in range(D)]
    else:
        pairs = [(0.0, 1.0)] * D
    out = []
    for i, (lo, hi) in enumerate(pairs):
        if not (abs(lo) < float("inf") and abs(hi) < float("inf")):
            raise RuntimeError(f"torch.histogramdd: dimension {i}'s range [{fmt(lo)}, {fmt(hi)}] "
                               f"is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{fmt(lo)} max {fmt(hi)} for dimension {i}")
        if lo == hi:  # an empty range is widened, as NumPy does
            lo, hi = lo - 0.5, hi + 0.5
        out.append((lo, hi))
    return out


def _histogramdd(input: Tensor, bins: Any, rng: Any, weight: Tensor | None, density: bool,
                 op: str) -> tuple[Tensor, list[Tensor]]:
    """``input`` of shape (N, D); ``bins`` a list of D counts or D edge tensors."""
    from .creation import linspace

    x = input._data
    dev = input._device
    xp = dev._backend.xp
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"histogramdd\" not implemented for '{_dtype_name(input.dtype)}'")
    D = x.shape[-1]
    if weight is not None:
        if tuple(weight._data.shape) != tuple(x.shape[:-1]):
            raise RuntimeError(
                f"torch.histogramdd: if weight tensor is provided it should have the same shape "
                f"as the input tensor excluding its innermost dimension, but got input with "
                f"shape {list(x.shape)} and weight with shape {list(weight._data.shape)}")
        if weight.dtype is not input.dtype:
            raise RuntimeError(
                f"torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                f"should have the same dtype, but got input({_C_NAMES[input.dtype.name]}), and "
                f"weight({_C_NAMES.get(weight.dtype.name, weight.dtype.name)})")
    xs = x.reshape(-1, D)
    edges: list[Tensor] = []
    if all(_isinstance(b, Tensor) for b in bins):
        if len(bins) != D:
            raise RuntimeError(f"torch.histogramdd: expected {D} sequences of bin edges for a "
                               f"{D}-dimensional histogram but got {len(bins)}")
        for i, b in enumerate(bins):
            if b._data.ndim != 1:
                raise RuntimeError(
                    f"torch.histogramdd: bins tensor should have one dimension, but got "
                    f"{b._data.ndim} dimensions in the bins tensor for dimension {i}")
            if b._data.shape[0] == 0:
                raise RuntimeError(
                    f"torch.histogramdd: bins tensor should have at least 1 element, but got 0 "
                    f"elements in the bins tensor for dimension {i}")
            if b.dtype is not input.dtype:
                raise RuntimeError(
                    f"torch.histogramdd: input tensor and bins tensors should have the same "
                    f"dtype, but got input with dtype {_C_NAMES[input.dtype.name]} and bins for "
                    f"dimension {i} with dtype {_C_NAMES.get(b.dtype.name, b.dtype.name)}")
            _check_bins(b._data.shape[0] - 1, i)
            edges.append(make(xp.array(b._data, copy=True), dev))
    else:
        counts = [int(b) for b in bins]
        for i, c in enumerate(counts):
            _check_bins(c, i)
        if rng is not None and len(rng) != 2 * D:
            raise RuntimeError(f"torch.histogramdd: for a {D}-dimensional histogram range should "
                               f"have {2 * D} elements, but got {len(rng)}")
        for c, (lo, hi) in zip(counts, _outer_edges(xs, D, rng, _dtype_name(input.dtype))):
            edges.append(linspace(lo, hi, c + 1, dtype=input.dtype, device=dev))
    # the bin of each coordinate: the last edge <= it (the rightmost bin is closed);
    # samples outside any dimension's outer edges are dropped
    shape = tuple(e._data.shape[0] - 1 for e in edges)
    keep = xp.ones(xs.shape[0], dtype=bool)
    flat = xp.zeros(xs.shape[0], dtype=xp.int64)
    for i, e in enumerate(edges):
        ed, col = e._data, xs[:, i]
        keep &= (col >= ed[0]) & (col <= ed[-1])
        pos = _search(xp, ed, col, True) - 1  # NaN-safe for bfloat16 too
        pos = xp.clip(pos, 0, max(shape[i] - 1, 0))
        flat = flat * shape[i] + pos
    n_bins = 1
    for s in shape:
        n_bins *= s
    w = None if weight is None else weight._data.reshape(-1)[keep]
    if w is not None and x.dtype.itemsize < 4 and x.__class__ is np.ndarray:
        # PyTorch adds each half-precision weight into a half-precision bin in turn
        hist = np.zeros(n_bins, dtype=x.dtype)
        np.add.at(hist, flat[keep], w)
        hist = hist.reshape(shape)
    else:
        counts_arr = xp.bincount(flat[keep], weights=w, minlength=n_bins)[:n_bins]
        hist = astype(xp, counts_arr, x.dtype).reshape(shape)
    if density:  # a half histogram's total is summed in float32, then rounded (PyTorch's)
        total = hist.sum() if x.dtype.itemsize >= 4 else \
            astype(xp, astype(xp, hist, "float32").sum(), x.dtype)
        hist = hist / total
        for i, e in enumerate(edges):
            lengths = xp.diff(e._data)
            view = [1] * len(shape)
            view[i] = lengths.shape[0]
            hist = hist / lengths.reshape(view)
        hist = astype(xp, hist, x.dtype)
    res = not_differentiable(op, make(xp.asarray(hist), dev), (input, weight))
    edges = [not_differentiable(op, e, (input, weight)) for e in edges]
    return res, edges


def _as_range(range: Any) -> Any:  # noqa: A002
    if range is None:
        return None
    return [float(v) for v in range]


def _refuse_histogram_kernel(input: Tensor, rng: Any) -> None:
    """PyTorch's refusal of a non-floating input once no min/max of the data is needed: the
    range is first cast to the input's dtype (overflow and Bool errors), then its histogram
    kernel names the dtype."""
    name = _dtype_name(input.dtype)
    if rng is not None:
        if not all(abs(v) < float("inf") for v in rng):
            _outer_edges(None, 1, rng)  # raises: the range is not finite
        if name == "Bool":
            raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
        c_name, least, most = _C_INTS.get(input.dtype.name, ("", -float("inf"), float("inf")))
        if not all(least <= v <= most for v in rng):
            raise RuntimeError(f"value cannot be converted to type {c_name} without overflow")
    raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{name}'")


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Tensor | None = None, density: bool = False, out: Any = None) -> Any:
    """A histogram of ``input``'s values: ``bins`` equal-width bins over ``range`` (the data's
    extent by default) or the given edges; returns ``(hist, bin_edges)``."""
    x = input.reshape(-1, 1)
    w = weight.reshape(-1) if weight is not None else None
    rng = _as_range(range)
    if rng is not None and len(rng) != 2:
        raise RuntimeError(f"torch.histogramdd: for a 1-dimensional histogram range should have "
                           f"2 elements, but got {len(rng)}")
    if not input.dtype.is_floating_point and (rng is not None or _isinstance(bins, Tensor)):
        _refuse_histogram_kernel(input, rng)
    hist, edges = _histogramdd(x, [bins], rng, w, density, "histogram")
    if out is not None:
        write_out(hist, out[0])
        write_out(edges[0], out[1])
        return _rt.histogram_out((out[0], out[1]))
    return _rt.histogram((hist, edges[0]))


def histogramdd(input: Tensor, bins: Any, *, range: Any = None,  # noqa: A002
                weight: Tensor | None = None, density: bool = False) -> Any:
    """A D-dimensional histogram of the points in ``input``'s innermost dimension: ``bins``
    an int, D ints, or D edge tensors; returns ``(hist, bin_edges)``."""
    if _isinstance(bins, int):
        D = input.size(-1)
        bins = [bins] * D
    if input._data.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    D = input._data.shape[-1]
    if _isinstance(bins, Tensor):
        raise TypeError("histogramdd() received an invalid combination of arguments - got "
                        "(Tensor, Tensor): bins must be an int, a sequence of ints or a "
                        "sequence of Tensors")
    bins = list(bins)
    tensors = [_isinstance(b, Tensor) for b in bins]
    if any(tensors) and not all(tensors):
        bad = tensors.index(False)
        raise TypeError(f"expected Tensor as element {bad} in argument 1, but got "
                        f"{type(bins[bad]).__name__}")
    if not any(tensors):
        for i, b in enumerate(bins):
            if not _isinstance(b, int):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{type(b).__name__}")
        if len(bins) != D:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                               "dimension of the input.")
    hist, edges = _histogramdd(input, bins, _as_range(range), weight, density, "histogramdd")
    return _rt.histogramdd((hist, tuple(edges)))


def _histogram_method(self: Tensor, bins: Any = 100, *, range: Any = None,  # noqa: A002
                      weight: Tensor | None = None, density: bool = False) -> Any:
    return histogram(self, bins, range=range, weight=weight, density=density)


methods(histogram=_histogram_method)
