"""Statistics and integration: cov, corrcoef, trapezoid (trapz), cumulative_trapezoid.

Each is written with Ember ops as PyTorch composes them, so dtypes follow PyTorch's
promotion and gradients (of any order) come from the ops they use.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ._dispatch import Tensor, make, methods, renamed, wrap_dim
from .math_misc import _dtype_name

__all__ = ["cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid"]

_isinstance = isinstance


# ------------------------------------------------------------------ cov, corrcoef
def _check_weights(w: Tensor, name: str, n: int, integral: bool) -> None:
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w._data.ndim} dimensions")
    if integral and w.dtype.category != _dt._INT:
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{_dtype_name(w.dtype)} dtype")
    if not integral and w.dtype.category != _dt._FLOAT:
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} "
                           f"with {_dtype_name(w.dtype)} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")
    if n and bool((w._data < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with frequency and observation weights; ``correction=1`` is Bessel's."""
    if _isinstance(correction, bool) or not _isinstance(correction, int):
        if not (hasattr(correction, "__index__") and not _isinstance(correction, float)):
            raise TypeError(f"cov(): argument 'correction' must be int, not "
                            f"{type(correction).__name__}")
        correction = int(correction)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {nd} dimensions")
    if input.dtype is _dt.bool:
        raise NotImplementedError("cov(): bool dtype is not supported for input")
    x = input if nd == 2 else input.reshape(1, -1)
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", n, True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", n, False)
        w = aweights if w is None else w * aweights
    if w is None:
        xp = input._device._backend.xp
        w_sum = make(xp.asarray(n, dtype=xp.int64), input._device)
    else:
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0 + 0  # +0 as PyTorch (-0 would give -inf)
    xc = x - avg.unsqueeze(1)
    other = xc * w if w is not None else xc
    c = xc.mm(other.t().conj())
    return (c / norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the variables in the rows of ``input``,
    clipped to ``[-1, 1]``."""
    from .creation import complex as make_complex

    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {nd} dimensions")
    c = cov(input)
    if c._data.ndim == 0:  # one variable: nan for a zero, inf or nan variance, else 1
        return c / c
    d = c.diagonal()
    stddev = (d.real if d.is_complex() else d).sqrt()
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    if c.is_complex():
        return make_complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)


# ------------------------------------------------------------------ trapezoid
def _slice(t: Tensor, d: int, start: int | None, stop: int | None) -> Tensor:
    """``t[..., start:stop]`` along dim ``d`` (a view; empty when out of range)."""
    return t[(slice(None),) * d + (slice(start, stop),)]


def _dx_number(dx: Any) -> float:
    if _isinstance(dx, Tensor):
        dx = dx.item()
    if _isinstance(dx, (bool, complex)):
        raise RuntimeError("trapezoid: Currently, we only support dx as a real number.")
    return float(dx)


def _sample_dim(y: Tensor, dim: int, op: str) -> int:
    if y._data.ndim == 0:
        if op == "cumulative_trapezoid" and dim in (-1, 0):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, y._data.ndim, op)


def _x_spacing(y: Tensor, x: Tensor, d: int, op: str) -> Tensor:
    """The spacings ``x[1:] - x[:-1]`` along ``d``, shaped to broadcast against ``y``."""
    nd = y._data.ndim
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[d] = x._data.shape[0]
        xv = x.reshape(shape)
    elif x._data.ndim < nd:
        xv = x.reshape((1,) * (nd - x._data.ndim) + tuple(x._data.shape))
    else:
        xv = x
    return _slice(xv, d, 1, None) - _slice(xv, d, None, -1)


def _check_args(op: str, y: Tensor, x: Any, dx: Any) -> None:
    if x is not None and not _isinstance(x, Tensor):
        raise TypeError(f"{op}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(x).__name__}), but expected one of: (Tensor y, Tensor x, *, int "
                        f"dim = -1) or (Tensor y, *, Number dx = 1, int dim = -1)")
    if x is not None and dx is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments: x and dx cannot "
                        f"both be given")
    if y.dtype is _dt.bool or (x is not None and x.dtype is _dt.bool):
        which = "y" if y.dtype is _dt.bool else "x"
        raise NotImplementedError(f"{op}: received a bool input for `{which}`, but bool is not "
                                  f"supported")


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: sample spacing ``dx`` (default 1) or sample
    points ``x``."""
    d = _sample_dim(y, dim, "trapezoid")
    _check_args("trapezoid", y, x, dx)
    n = y._data.shape[d]
    if n == 0:  # no samples: zeros, as NumPy gives
        shape = tuple(s for i, s in enumerate(y._data.shape) if i != d)
        xp = y._device._backend.xp
        return make(xp.zeros(shape, dtype=y._data.dtype), y._device)
    if x is None:
        step = _dx_number(1 if dx is None else dx)
        # PyTorch's last steps multiply and divide by numbers: its Scalar overloads' nodes
        return renamed((y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * step,
                       "MulBackward1")
    spacing = _x_spacing(y, x, d, "trapezoid")
    return renamed(((_slice(y, d, 1, None) + _slice(y, d, None, -1)) * spacing).sum(d) / 2.0,
                   "DivBackward1")


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """``trapezoid`` under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None,
                         dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim`` (one fewer element than ``y``)."""
    _check_args("cumulative_trapezoid", y, x, dx)
    d = _sample_dim(y, dim, "cumulative_trapezoid")
    left, right = _slice(y, d, None, -1), _slice(y, d, 1, None)
    if x is None:
        step = _dx_number(1 if dx is None else dx)
        return ((left + right) * (step / 2.0)).cumsum(d)
    spacing = _x_spacing(y, x, d, "cumulative_trapezoid")
    return ((left + right) * spacing).cumsum(d) / 2.0


methods(cov=cov, corrcoef=corrcoef)
