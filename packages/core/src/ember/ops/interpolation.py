"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area, antialiased downsampling), and (from interpolation_grid) ``grid_sample`` and
``affine_grid``.

Every interpolation mode is separable: along each spatial dimension an output position
reads a few input positions ("taps") with fixed weights. The forward gathers the taps;
the adjoint sums the weighted gradient back per tap with a segmented sum (tap positions
grow with the output position), so no dense matrix and no scatter is needed.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ._dispatch import Tensor
from ._linear import linear_op
from ._nn_math import int_dtype_name

__all__: list[str] = []

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


# ------------------------------------------------------------------ taps per dimension
def _scale(n_in: int, n_out: int, align_corners: bool, sf: float | None, cubic: bool = False
           ) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / sf if sf is not None and sf > 0 else n_in / n_out


def _source(n_in: int, n_out: int, align_corners: bool, sf: float | None, cubic: bool
            ) -> np.ndarray:
    scale = _scale(n_in, n_out, align_corners, sf)
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return dst * scale
    src = (dst + 0.5) * scale - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _taps_nearest(n_in: int, n_out: int, sf: float | None, exact: bool) -> tuple:
    if n_out == n_in:
        idx = np.arange(n_out)
    else:
        scale = np.float32(1.0 / sf if sf is not None and sf > 0 else n_in / n_out)
        dst = np.arange(n_out, dtype=np.float32)
        src = np.floor(((dst + np.float32(0.5)) if exact else dst) * scale)
        idx = np.minimum(src.astype(np.int64), n_in - 1)
    return idx[:, None], None


def _taps_linear(n_in: int, n_out: int, align_corners: bool, sf: float | None) -> tuple:
    src = _source(n_in, n_out, align_corners, sf, False)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([1.0 - lam, lam], 1)


def _cubic_weights(t: np.ndarray, A: float) -> np.ndarray:
    def c1(x: np.ndarray) -> np.ndarray:
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x: np.ndarray) -> np.ndarray:
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return np.stack([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)], 1)


def _taps_cubic(n_in: int, n_out: int, align_corners: bool, sf: float | None) -> tuple:
    src = _source(n_in, n_out, align_corners, sf, True)
    fl = np.floor(src)
    idx = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, _cubic_weights(src - fl, -0.75)


def _taps_aa(n_in: int, n_out: int, align_corners: bool, sf: float | None, cubic: bool
             ) -> tuple:
    """Antialiased taps (PIL-style): the filter stretched by the downsampling factor."""
    scale = _scale(n_in, n_out, align_corners, sf)
    interp = 4 if cubic else 2
    support = interp * 0.5 * scale if scale >= 1.0 else interp * 0.5
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out, dtype=np.float64) + 0.5)
    xmin = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - xmin
    T = max(int(xsize.max()), 1)
    j = np.arange(T)
    x = (j[None, :] + xmin[:, None] - center[:, None] + 0.5) * inv
    ax = np.abs(x)
    if cubic:
        a = -0.5
        w = np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                     np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0.0))
    else:
        w = np.maximum(1.0 - ax, 0.0)
    w = np.where(j[None, :] < xsize[:, None], w, 0.0)
    tot = w.sum(1, keepdims=True)
    w = np.where(tot != 0, w / np.where(tot != 0, tot, 1), 0.0)
    idx = np.minimum(xmin[:, None] + j[None, :], n_in - 1)
    return idx, w


# ------------------------------------------------------------------ separable apply / adjoint
def _along(xp: Any, x: Any, idx: Any, w: Any, axis: int) -> Any:
    """Gather the taps of every output position along ``axis`` and weight them."""
    out = None
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    for t in range(idx.shape[1]):
        v = xp.take(x, xp.asarray(idx[:, t]), axis=axis)
        if w is not None:
            v = v * xp.asarray(w[:, t].reshape(shape), dtype=x.dtype)
        out = v if out is None else out + v
    return out


def _along_adj(xp: Any, g: Any, idx: np.ndarray, w: Any, axis: int, n_in: int) -> Any:
    """The adjoint of ``_along``: weighted gradients summed per input position."""
    shape = list(g.shape)
    shape[axis] = n_in
    gx = xp.zeros(tuple(shape), dtype=g.dtype)
    wshape = [1] * g.ndim
    wshape[axis] = idx.shape[0]
    lead = (slice(None),) * axis
    for t in range(idx.shape[1]):
        v = g if w is None else g * xp.asarray(w[:, t].reshape(wshape), dtype=g.dtype)
        col = idx[:, t]
        starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
        pos = col[starts]
        if len(starts) == len(col):  # one output per input position: no sum needed
            gx[lead + (xp.asarray(pos),)] += v
        elif hasattr(xp.add, "reduceat"):
            gx[lead + (xp.asarray(pos),)] += xp.add.reduceat(v, xp.asarray(starts), axis=axis)
        else:
            xp.add.at(gx, lead + (xp.asarray(col),), v)
    return gx


def _separable(xp: Any, x: Any, taps: list, d: int) -> Any:
    dt = x.dtype
    ct = "float32" if dt.name in ("float16", "bfloat16") else dt
    y = x.astype(ct) if ct != dt else x
    for t, (idx, w) in enumerate(taps):
        y = _along(xp, y, idx, w, y.ndim - d + t)
    return y.astype(dt) if ct != dt else y


def _separable_adj(xp: Any, g: Any, taps: list, d: int, sizes: tuple) -> Any:
    dt = g.dtype
    ct = "float32" if dt.name in ("float16", "bfloat16") else dt
    y = g.astype(ct) if ct != dt else g
    for t, (idx, w) in enumerate(taps):
        y = _along_adj(xp, y, idx, w, y.ndim - d + t, sizes[t])
    return y.astype(dt) if ct != dt else y


def resample(input: Tensor, taps: list, name: str) -> Tensor:
    """Apply per-dimension taps ``[(idx, weights or None), ...]`` to the trailing dims."""
    d = len(taps)
    sizes = tuple(input._data.shape[-d:])
    return linear_op(input, functools.partial(_separable, taps=taps, d=d),
                     functools.partial(_separable_adj, taps=taps, d=d, sizes=sizes), name)


# ------------------------------------------------------------------ interpolate
def _out_sizes(input: Tensor, size: Any, scale_factor: Any, d: int) -> tuple:
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != d:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                    f"{list(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            out = tuple(int(s) for s in size)
        else:
            out = (int(size),) * d
        return out, (None,) * d
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != d:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(input.shape[2:])} and scale_factor "
                f"of shape {list(scale_factor)}. Please provide input tensor in (N, C, d1, d2, "
                "...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        sfs = tuple(float(s) for s in scale_factor)
    else:
        sfs = (float(scale_factor),) * d
    out = tuple(int(math.floor(n * s)) for n, s in zip(input.shape[2:], sfs))
    return out, sfs


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``(N, C, *spatial)`` by ``size`` or ``scale_factor``."""
    modes = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
    if mode not in modes:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    d = input.ndim - 2
    if d not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})")
    if mode in _LINEAR and _LINEAR[mode] != d:
        need = {"linear": "3D", "bilinear": "4D", "bicubic": "4D", "trilinear": "5D"}[mode]
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need} input")
    out, sfs = _out_sizes(input, size, scale_factor, d)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        sfs = (None,) * d
    S = tuple(input.shape[2:])
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(map(str, S))}) and output ({', '.join(map(str, out))})")
    if mode == "area":
        from . import pooling

        return getattr(pooling, f"adaptive_avg_pool{d}d")(input, out)
    if input._data.dtype.kind not in "f" and input._data.dtype.name != "bfloat16" and \
            mode not in ("nearest", "nearest-exact"):
        raise NotImplementedError(f"\"upsample_{mode}{d}d_out_frame\" not implemented for "
                                  f"'{int_dtype_name(input._data.dtype)}'")
    taps = []
    for n, o, sf in zip(S, out, sfs):
        if mode in ("nearest", "nearest-exact"):
            taps.append(_taps_nearest(n, o, sf, mode == "nearest-exact"))
        elif antialias:
            taps.append(_taps_aa(n, o, align_corners, sf, mode == "bicubic"))
        elif mode == "bicubic":
            taps.append(_taps_cubic(n, o, align_corners, sf))
        else:
            taps.append(_taps_linear(n, o, align_corners, sf))
    base = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact",
            "linear": "UpsampleLinear", "bilinear": "UpsampleBilinear",
            "bicubic": "UpsampleBicubic", "trilinear": "UpsampleTrilinear"}[mode]
    name = f"{'_' if antialias else ''}{base}{d}D{'Aa' if antialias else ''}Backward0"
    return resample(input, taps, name)


from . import interpolation_grid as _grid  # noqa: E402
from .interpolation_grid import *  # noqa: E402,F403

__all__ += _grid.__all__
