"""``torch.gradient``: derivatives of sampled functions by finite differences.

Interior points use second-order central differences (with unevenly spaced samples when
coordinates are given), the edges first- or second-order one-sided differences. Written with
Ember ops in PyTorch's order of operations, so dtypes, values and autograd follow PyTorch.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from ._dispatch import Tensor, wrap_dim, wrap_dims

__all__ = ["gradient"]

_isinstance = isinstance


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None,
             edge_order: int = 1) -> tuple[Tensor, ...]:
    """The gradient of ``input`` along each dim in ``dim`` (every dim when None).

    ``spacing`` is a number (the sample distance in every dim), a list of numbers (one per
    dim), or a list of 1-D tensors (the sample coordinates along each dim).
    """
    coords = None
    if _isinstance(spacing, Tensor):
        raise TypeError("gradient(): argument 'spacing' must be a Number or a tuple of Numbers "
                        "or Tensors, not Tensor")
    if _isinstance(spacing, (list, tuple)):
        if all(_isinstance(s, Tensor) for s in spacing):
            coords = list(spacing)
        elif not all(_isinstance(s, Number) for s in spacing):
            raise TypeError("gradient(): argument 'spacing' must be a Number or a tuple of "
                            "Numbers or Tensors")
        dims = _check(input, len(spacing), dim, edge_order)
        steps = list(spacing)
    else:
        if not _isinstance(spacing, Number):
            raise TypeError(f"gradient(): argument 'spacing' must be a Number, not "
                            f"{type(spacing).__name__}")
        dims = _check(input, None, dim, edge_order)
        steps = [spacing] * len(dims)
    if coords is not None:
        for c in coords:
            if c._data.ndim != 1:
                raise RuntimeError(f"torch.gradient expected each element of spacing to have one "
                                   f"dimension, but got an element with {c._data.ndim} "
                                   "dimensions!")
        return tuple(_along_coordinates(input, c, d, edge_order) for c, d in zip(coords, dims))
    return tuple(_along_uniform(input, h, d, edge_order) for h, d in zip(steps, dims))


def _check(input: Tensor, n_spacing: int | None, dim: Any, edge_order: int) -> list[int]:
    """PyTorch's refusals, in its order; the dims to differentiate along."""
    x = input._data
    if input.dtype.name == "uint8":
        raise RuntimeError("torch.gradient does not support uint8 input.")
    n_dim = None if dim is None else (1 if _isinstance(dim, int) else len(dim))
    if n_spacing is not None and n_dim is None and n_spacing != x.ndim:
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to 'self.dim() = {x.ndim}', since dim argument was not given, but got a list "
            f"of length {n_spacing}")
    if n_spacing is not None and n_dim is not None and n_spacing != n_dim:
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
            f"arguments to have the same length, but got a spacing argument of length "
            f"{n_spacing} and a dim argument of length {n_dim}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    given = [] if dim is None else [dim] if _isinstance(dim, int) else list(dim)
    if dim is None:
        dims = list(range(x.ndim))
    elif _isinstance(dim, int):
        dims = [wrap_dim(dim, x.ndim, "gradient")]
    else:
        dims = list(wrap_dims(dim, x.ndim, "gradient"))  # refuses repeated dims
    for i, d in enumerate(dims):
        if not x.ndim:
            raise IndexError(f"Dimension specified as {given[i]} but tensor has no dimensions")
        if x.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1")
    return dims


def _part(t: Tensor, d: int, start: int, stop: int | None) -> Tensor:
    """``t[start:stop]`` along dim ``d`` (negative bounds count from the end)."""
    n = t._data.shape[d]
    lo = start % n if start < 0 else start
    hi = n if stop is None else (stop % n if stop < 0 else stop)
    return t.narrow(d, lo, max(hi - lo, 0))


def _join(prepend: Tensor, center: Tensor, append: Tensor, d: int) -> Tensor:
    from .shape_join import cat

    return cat([prepend, center, append], d)


def _along_uniform(f: Tensor, h: Any, d: int, edge_order: int) -> Tensor:
    center = (_part(f, d, 2, None) - _part(f, d, 0, -2)) / h
    if edge_order == 1:
        prepend = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / h
        append = (_part(f, d, -1, None) - _part(f, d, -2, -1)) / h
    else:
        prepend = (_part(f, d, 0, 1) * -1.5 + _part(f, d, 1, 2) * 2
                   - _part(f, d, 2, 3) * 0.5) / h
        append = (_part(f, d, -3, -2) * 0.5 + _part(f, d, -2, -1) * -2
                  + _part(f, d, -1, None) * 1.5) / h
    return _join(prepend, center / 2, append, d)


def _along_coordinates(f: Tensor, coords: Tensor, d: int, edge_order: int) -> Tensor:
    shape = [1] * f._data.ndim
    shape[d] = -1
    dx = coords.diff(1, 0)
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _part(f, d, 0, -2) + b * _part(f, d, 1, -1) + c * _part(f, d, 2, None)
    h0, h1, hm1, hm2 = dx[0], dx[1] if dx.shape[0] > 1 else None, dx[-1], dx[-2] if \
        dx.shape[0] > 1 else None
    if edge_order == 1:
        prepend = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / h0
        append = (_part(f, d, -1, None) - _part(f, d, -2, -1)) / hm1
    else:
        a = -(2.0 * h0 + h1) / (h0 * (h0 + h1))
        b = (h0 + h1) / (h0 * h1)
        c = -h0 / (h1 * (h0 + h1))
        prepend = a * _part(f, d, 0, 1) + b * _part(f, d, 1, 2) + c * _part(f, d, 2, 3)
        a = hm1 / (hm2 * (hm1 + hm2))
        b = -(hm1 + hm2) / (hm1 * hm2)
        c = (2 * hm1 + hm2) / (hm1 * (hm1 + hm2))
        append = a * _part(f, d, -3, -2) + b * _part(f, d, -2, -1) + c * _part(f, d, -1, None)
    return _join(prepend, center, append, d)
