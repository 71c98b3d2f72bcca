"""``make_tensor``: ``torch.testing.make_tensor``'s random test tensors, drawn from the same
generator calls (``randint`` for integers and bools, ``uniform_`` for floating and complex
types, over the real view) so that seeded programs get the same values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["make_tensor"]


def _bounds(low: Any, high: Any, lo_incl: float, hi_excl: float, d_low: float, d_high: float,
            dtype: Any, floating: bool) -> tuple:
    low = d_low if low is None else low
    high = d_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and floating:
        import warnings

        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    if high < lo_incl or low >= hi_excl:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lo_incl}, {hi_excl})")
    low, high = min(max(low, lo_incl), hi_excl), min(max(high, lo_incl), hi_excl)
    if not floating:  # integer bounds: both rounded up (high is exclusive)
        low, high = math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape: Any, dtype: Any, device: Any = None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Any:
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)`` (defaults
    -9..9 for floating types, -9..10 for integers clamped to the dtype, 0..2 for bool)."""
    import ember

    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dtype = ember.dtypes.to_dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    floating = dtype.is_floating_point or dtype.is_complex
    if requires_grad and not floating:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice the last dim, every other column kept below
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is ember.bool:
        low, high = _bounds(low, high, 0, 2, 0, 2, dtype, False)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif not floating:
        info = ember.iinfo(dtype)
        low, high = _bounds(low, high, info.min, info.max + (dtype is not ember.int64), -9, 10,
                            dtype, False)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    else:
        info = ember.finfo(dtype)
        low, high = _bounds(low, high, info.min, info.max, -9, 9, dtype, True)
        result = ember.empty(shape, device=device, dtype=dtype)
        target = ember.view_as_real(result) if dtype.is_complex else result
        if high - low >= ember.finfo(target.dtype).max:  # the range would overflow: halve it
            target.uniform_(low / 2, high / 2).mul_(2)
        else:
            target.uniform_(low, high)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = ember.finfo(dtype).tiny if floating else 1
    if floating:
        result.requires_grad_(requires_grad)
    return result
