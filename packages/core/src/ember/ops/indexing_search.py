"""Finding positions and counting: nonzero, argwhere, searchsorted, bucketize, bincount,
histc (none of them differentiable)."""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from .._memory_format import restride
from ._dispatch import Tensor, astype, kind, make, methods, refuse_shell_uint, result_type
from ._inplace import _type_name, write_out_exact

__all__ = ["nonzero", "argwhere", "searchsorted", "bucketize", "bincount", "histc"]

_isinstance = isinstance


_META_NONZERO = (
    "The register_meta function for torch.nonzero() raises unimplemented by default, as a "
    "correct data-independent implementation does not exist. This implementation returns a fake "
    "value, assuming all elements of the tensor are non-zero. To enable this registration, please "
    "set 'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero' to True.")


def nonzero(input: Tensor, *, out: Tensor | None = None, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with ``as_tuple``
    one 1-D tensor per dim."""
    x = input._data
    xp = input._device._backend.xp
    dev = input._device
    if out is not None and out._data.dtype != "int64":
        raise RuntimeError("nonzero: Expected out tensor to have scalar type Long but got scalar "
                           f"type{_type_name(out._data.dtype)}")
    refuse_shell_uint("nonzero_count_cpu", x)
    if dev.type == "meta":  # the count depends on the (absent) values
        raise NotImplementedError(_META_NONZERO)
    if x.ndim == 0:  # a 0-d tensor acts as a 1-element vector
        hit = bool(x)
        if as_tuple:
            return (make(xp.zeros(1 if hit else 0, dtype=xp.int64), dev),)
        return make(_rows(xp, xp.zeros((0, 1 if hit else 0), dtype=xp.int64)), dev)
    idx = xp.nonzero(x)
    if as_tuple:
        return tuple(make(astype(xp, i, xp.int64), dev) for i in idx)
    # PyTorch's CPU kernel fills a (ndim, n) buffer and returns its transpose: strides (1, n)
    res = make(_rows(xp, astype(xp, xp.stack(idx), xp.int64)), dev)
    if out is not None:
        from ._inplace import write_out

        return write_out(res, out)
    return res


def _rows(xp: Any, cols: Any) -> Any:
    """The ``(n, ndim)`` transpose of a C-ordered ``(ndim, n)`` index array, with PyTorch's
    strides ``(1, n)`` (NumPy normalises an empty array's)."""
    return restride(xp, cols.T, (1, cols.shape[1]))


def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements, one row per element (``nonzero``)."""
    return nonzero(input)


def _search(xp: Any, seq: Any, vals: Any, right: bool) -> Any:
    """Binary search along the last dim of ``seq`` for each value, with PyTorch's
    comparisons (``!(v >= val)`` / ``!(v > val)``: NaN goes right), all values at once."""
    n = seq.shape[-1]
    lo = xp.zeros(vals.shape, dtype=xp.int64)
    hi = xp.full(vals.shape, n, dtype=xp.int64)
    if n == 0 or vals.size == 0:
        return lo
    for _ in range(int(n).bit_length() + 1):
        active = lo < hi
        mid = xp.minimum((lo + hi) // 2, n - 1)
        v = seq[mid] if seq.ndim == 1 else xp.take_along_axis(seq, mid, axis=-1)
        go = ~(v > vals) if right else ~(v >= vals)
        lo = xp.where(active & go, mid + 1, lo)
        hi = xp.where(active & ~go, mid, hi)
    return lo


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, out: Tensor | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Positions where ``input`` would be inserted into the innermost dim of
    ``sorted_sequence`` to keep it sorted (the first such position, or the last with
    ``right=True`` / ``side='right'``)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    xp = sorted_sequence._device._backend.xp
    scalar = not _isinstance(input, Tensor)
    # a number is a wrapped scalar: cast (wrapping) to the boundaries' result type
    vals = xp.asarray(input).astype(result_type(sorted_sequence, input).np) if scalar else \
        input._data
    common = seq.dtype if seq.dtype == vals.dtype else _dt.promote_types(
        _dt.from_numpy_dtype(seq.dtype), _dt.from_numpy_dtype(vals.dtype)).np
    if common.kind in "bc":  # PyTorch's kernel runs in the common dtype: no bool, no complex
        raise NotImplementedError(
            f"\"searchsorted_out_cpu\" not implemented for '{_type_name(common)}'")
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value tensor "
                           "must match, but we got boundaries tensor [] and input value tensor "
                           f"{list(vals.shape)}")
    if sorter is not None:
        so = sorter._data
        if so.shape != seq.shape:
            raise RuntimeError(
                f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)}and got sorter tensor {list(so.shape)}")
        if so.dtype != "int64":
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_type_name(so.dtype)}")
        try:
            seq = xp.take_along_axis(seq, so, axis=-1)
        except IndexError:
            raise RuntimeError("torch.searchsorted(): sorter index out of range") from None
        if so.size and so.min() < 0:  # a negative position would count from the end
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    if seq.dtype != vals.dtype:
        dt = _dt.promote_types(_dt.from_numpy_dtype(seq.dtype), _dt.from_numpy_dtype(vals.dtype))
        seq, vals = seq.astype(dt.np), vals.astype(dt.np)
    if seq.ndim == 1:
        # NumPy's own search is NaN-blind for bfloat16 (kind "V"): only integers use it
        r = xp.searchsorted(seq, vals, side="right" if right else "left") \
            if kind(seq) in "iu" else _search(xp, seq, vals, right)
    else:
        if vals.ndim == 0:
            raise RuntimeError(
                "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
                "dim(0) numel(1)")
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(vals.shape)}")
        r = _search(xp, seq, vals, right)
    r = xp.asarray(r).astype(xp.int32 if out_int32 else xp.int64)
    return write_out_exact(make(r, sorted_sequence._device), out, error=_search_out_error)


def _search_out_error(expected: Any, got: Any, i: int) -> RuntimeError:
    """searchsorted's refusal of an ``out=`` of another dtype than out_int32 asks for."""
    return RuntimeError(
        "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
        "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
        f"dtype {_type_name(got)} and out_int32 flag is {expected == 'int32'}")


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False,
              out: Tensor | None = None) -> Tensor:
    """The bucket of each element of ``input`` among the sorted 1-D ``boundaries``:
    ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right=True``)."""
    if not _isinstance(boundaries, Tensor):
        from .pointwise_unary import invalid_combination

        raise invalid_combination("bucketize", input, boundaries)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """The number of occurrences of each value in a 1-D non-negative integer tensor (summed
    ``weights`` instead of counts when given)."""
    x = input._data
    xp = input._device._backend.xp
    if kind(x) not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_type_name(x.dtype)}'")
    refuse_shell_uint("bincount_cpu", x)
    if x.ndim != 1 or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None or (x.size == 0 and weights._data.shape == x.shape):
        # an empty input counts in int64 even with weights, as in PyTorch
        r = xp.bincount(x.astype(xp.int64), minlength=minlength).astype(xp.int64)
    else:
        w = weights._data
        if w.shape != x.shape:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        ix = x.astype(xp.int64)
        if w.dtype == xp.float32:  # PyTorch adds float weights in float, one by one
            n = max(int(ix.max()) + 1 if ix.size else 0, minlength)
            r = xp.zeros(n, dtype=xp.float32)
            xp.add.at(r, ix, w)
        else:
            r = xp.bincount(ix, weights=w.astype(xp.float64), minlength=minlength)
    return make(r, input._device)


def _check_bins(bins: Any) -> None:
    """histc's argument parser: ``bins`` an int (bools and floats refused)."""
    if isinstance(bins, (bool, float)) or not hasattr(bins, "__index__"):
        raise TypeError(f"histc(): argument 'bins' must be int, not {type(bins).__name__}")


_C_INTS = {"uint8": ("uint8_t", 0, 255), "int8": ("int8_t", -128, 127),
           "int16": ("int16_t", -2 ** 15, 2 ** 15 - 1), "int32": ("int", -2 ** 31, 2 ** 31 - 1),
           "int64": ("int64_t", -2 ** 63, 2 ** 63 - 1)}


def _c_g(v: float) -> str:
    """``v`` as C's ``%g`` prints it (a NaN with its sign bit set as ``-nan``)."""
    return "-nan" if v != v and math.copysign(1.0, v) < 0 else f"{v:g}"


def _histc_range_checks(x: Any, bins: Any, lo: float, hi: float) -> None:
    """histc's checks on its range, in PyTorch's order, for the integer and bool inputs that it
    then refuses: bins, a finite and increasing range, bounds that fit the input dtype (the
    data's range, widened by 1 each way when flat, is checked too)."""
    dt = x.dtype
    if lo == hi and dt.kind != "b":
        if x.size:
            lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
    if bins.__class__ is not int:
        _check_bins(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:  # (a flat range past 2**53 stays flat after widening)
        raise RuntimeError("torch.histc: max must be larger than min")
    name, least, most = _C_INTS.get(dt.name, ("", -math.inf, math.inf))
    if not (least <= lo <= most and least <= hi <= most):
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def histc(input: Tensor, bins: int = 100, min: Any = 0, max: Any = 0, *,  # noqa: A002
          out: Tensor | None = None) -> Tensor:
    """A histogram of ``bins`` equal-width bins between ``min`` and ``max`` (the data's range
    when both are 0); elements outside are ignored."""
    x = input._data
    xp = input._device._backend.xp
    if kind(x) in "iu" or kind(x) == "b" and float(min) != float(max):
        _histc_range_checks(x, bins, float(min), float(max))  # before the dtype, as PyTorch
    if kind(x) == "b" or kind(x) == "c" and x.size:  # the kernels that find the range fail first
        raise NotImplementedError(
            f"\"{'linspace_cpu' if kind(x) == 'b' else 'aminmax_cpu'}\" not implemented for "
            f"'{_type_name(x.dtype)}'")
    refuse_shell_uint("aminmax_cpu", x)  # the range is found first
    if kind(x) not in "fV":
        raise NotImplementedError(
            f"\"histogram_cpu\" not implemented for '{_type_name(x.dtype)}'")
    out_dt = x.dtype
    if bins.__class__ is not int:
        _check_bins(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
        if x.size > 1 and (lo != lo or hi != hi):  # PyTorch's vectorized aminmax: -nan, both
            lo = hi = -math.nan
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_c_g(lo)}, {_c_g(hi)}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    flat = x.reshape(-1)
    keep = flat[(flat >= lo) & (flat <= hi)]
    if kind(x) == "V":  # bfloat16 mixes with 0-d arrays only: positions in its own precision
        lo_a, hi_a, n_a = (xp.asarray(v, dtype=x.dtype) for v in (lo, hi, bins))
        pos = ((keep - lo_a) * n_a / (hi_a - lo_a)).astype(xp.int64)
    else:
        pos = ((keep - lo) * bins / (hi - lo)).astype(xp.int64)
    pos = xp.minimum(pos, bins - 1)
    r = xp.bincount(pos, minlength=bins).astype(out_dt)
    res = make(r, input._device)
    if out is not None:
        out._data = res._data
        out._vc[0] += 1
        return out
    return res


def _nonzero_method(self: Tensor, *, as_tuple: bool = False) -> Any:
    return nonzero(self, as_tuple=as_tuple)


methods(nonzero=_nonzero_method, argwhere=argwhere, bincount=bincount, histc=histc)
