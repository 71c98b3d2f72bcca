"""Per-dimension taps for ``interpolate`` and the separable apply / adjoint that use them.

Along each spatial dimension an output position reads a few input positions ("taps") with
fixed weights: ``(idx, w)`` with ``idx`` an ``(out, T)`` integer array and ``w`` the matching
weights (``None`` for a plain gather); ``None`` in place of a pair means "this dimension is
copied unchanged". The forward gathers the taps; the adjoint sums the weighted gradient back
per tap with a segmented sum (tap positions never decrease with the output position), so
no dense matrix and no scatter is needed.

The index arithmetic follows PyTorch's CPU kernels to the bit where it decides which input
an output reads: the scale is computed in the kernel's "opmath" precision (float64 for
float64 inputs, float32 otherwise), nearest source positions are rounded to float32 before
the floor, and the legacy nearest rule (output == input copies, output == 2 * input halves
the index) applies where PyTorch's kernel uses it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["opmath", "taps_nearest", "taps_linear", "taps_cubic", "taps_aa", "separable",
           "separable_adj"]

_F32 = np.float32


def opmath(dtype_name: str) -> type:
    """The precision PyTorch's upsampling kernels compute weights and scales in."""
    return np.float64 if dtype_name == "float64" else _F32


def _scale(n_in: int, n_out: int, align_corners: bool, sf: float | None, op: type) -> Any:
    """``area_pixel_compute_scale``: input pixels per output pixel."""
    if align_corners:
        return op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)
    if sf is not None and sf > 0:
        return op(1.0 / sf)
    return op(n_in) / op(n_out)


# ------------------------------------------------------------------ nearest
def taps_nearest(n_in: int, n_out: int, sf: float | None, exact: bool, op: type,
                 legacy: bool) -> tuple:
    """Nearest source index per output position, as a one-tap gather.

    ``legacy`` selects PyTorch's ``nearest_idx`` (used by the 2-D channels-last forward and
    every nearest backward): equal sizes copy, doubled sizes halve the index, and the scale
    is float32 whatever the dtype. Otherwise the generic kernel's rule: the scale in
    ``op`` precision, no special cases.
    """
    if legacy and not exact:
        if n_out == n_in:
            return np.arange(n_out)[:, None], None
        if n_out == 2 * n_in:
            return (np.arange(n_out) >> 1)[:, None], None
    s = float(_scale(n_in, n_out, False, sf, _F32 if legacy else op))
    dst = np.arange(n_out, dtype=np.float64)
    src = ((dst + 0.5) if exact else dst) * s
    idx = np.minimum(np.floor(src.astype(_F32)).astype(np.int64), n_in - 1)
    return idx[:, None], None


# ------------------------------------------------------------------ linear / cubic
def _source(n_out: int, scale: Any, align_corners: bool, cubic: bool, op: type) -> np.ndarray:
    """``area_pixel_compute_source_index`` for every output position, in ``op``."""
    dst = np.arange(n_out, dtype=op)
    if align_corners:
        return dst * scale
    src = (dst + op(0.5)) * scale - op(0.5)
    return src if cubic else np.maximum(src, op(0))


def taps_linear(n_in: int, n_out: int, align_corners: bool, sf: float | None,
                op: type) -> tuple | None:
    """Two taps with weights ``1 - lambda, lambda``; ``None`` where sizes match (a copy)."""
    if n_out == n_in and not align_corners:
        return None
    src = _source(n_out, _scale(n_in, n_out, align_corners, sf, op), align_corners, False, op)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(op), op(0), op(1))
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([op(1) - lam, lam], 1)


def _cubic_weights(t: np.ndarray, op: type) -> np.ndarray:
    A = op(-0.75)

    def c1(x: np.ndarray) -> np.ndarray:
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x: np.ndarray) -> np.ndarray:
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return np.stack([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)], 1).astype(op)


def taps_cubic(n_in: int, n_out: int, align_corners: bool, sf: float | None, op: type
               ) -> tuple:
    """Four taps with Keys' cubic convolution weights (A = -0.75), borders clamped."""
    src = _source(n_out, _scale(n_in, n_out, align_corners, sf, op), align_corners, True, op)
    fl = np.floor(src)
    idx = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, _cubic_weights(src - fl, op)


# ------------------------------------------------------------------ antialiased
def _filter(kind: str, x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    if kind == "bicubic":
        a = -0.5
        return np.where(ax < 1, ((a + 2) * ax - (a + 3)) * ax * ax + 1,
                        np.where(ax < 2, (((ax - 5) * ax + 8) * ax - 4) * a, 0.0))
    if kind == "lanczos":
        with np.errstate(invalid="ignore", divide="ignore"):
            px = np.pi * x
            v = np.where(x == 0, 1.0, 3.0 * np.sin(px) * np.sin(px / 3.0) / (px * px))
        return np.where(ax < 3, v, 0.0)
    return np.maximum(1.0 - ax, 0.0)


_SUPPORT = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def taps_aa(n_in: int, n_out: int, align_corners: bool, sf: float | None, kind: str,
            op: type) -> tuple:
    """Antialiased taps (PIL-style): the filter stretched by the downsampling factor."""
    scale = float(_scale(n_in, n_out, align_corners, sf, op))
    interp = _SUPPORT[kind]
    support = interp * 0.5 * scale if scale >= 1.0 else interp * 0.5
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out, dtype=np.float64) + 0.5)
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xsize = np.minimum((center + support + 0.5).astype(np.int64), n_in) - xmin
    T = max(int(xsize.max()), 1)
    j = np.arange(T)
    w = _filter(kind, (j[None, :] + xmin[:, None] - center[:, None] + 0.5) * inv)
    w = np.where(j[None, :] < xsize[:, None], w, 0.0)
    tot = w.sum(1, keepdims=True)
    w = np.where(tot != 0, w / np.where(tot != 0, tot, 1), 0.0)
    idx = np.minimum(xmin[:, None] + j[None, :], n_in - 1)
    return idx, w.astype(op)


# ------------------------------------------------------------------ separable apply / adjoint
def _along(xp: Any, x: Any, idx: np.ndarray, w: Any, axis: int) -> Any:
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
    if g.size == 0:
        return gx
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


def _layout(x: Any, d: int, cl: bool) -> tuple:
    """Spatial axes first-after-batch when ``cl`` (channels-last), so results keep it."""
    if not cl:
        return x, tuple(range(x.ndim - d, x.ndim))
    return x.transpose((0,) + tuple(range(2, x.ndim)) + (1,)), tuple(range(1, d + 1))


def _restore(y: Any, cl: bool) -> Any:
    if not cl:
        return y
    n = y.ndim
    return y.transpose((0, n - 1) + tuple(range(1, n - 1)))


def _compute(xp: Any, x: Any, weighted: bool) -> tuple:
    """The working dtype: half types and uint8 are weighted in float32, then cast back."""
    dt = x.dtype
    if not weighted or dt.name in ("float32", "float64"):
        return x, None
    return x.astype("float32"), dt


def _finish(xp: Any, y: Any, dt: Any) -> Any:
    if dt is None:
        return y
    if dt.name == "uint8":
        return xp.clip(xp.floor(y + 0.5), 0, 255).astype(dt)
    return y.astype(dt)


def _separable_u8(xp: Any, x: Any, taps: list, axes: tuple) -> Any:
    """uint8 images as PyTorch's CPU kernel (after PIL) resamples them: width first, in
    fixed point (int16 weights with as many fraction bits as the largest weight allows),
    rounded and clamped to uint8 after each pass."""
    y = x.astype("int64")
    for ax, tap in reversed(list(zip(axes, taps))):
        if tap is None or tap[1] is None:
            if tap is not None:
                y = _along(xp, y, tap[0], None, ax)
            continue
        w = np.asarray(tap[1], dtype=np.float64)
        wmax, prec = float(w.max()), 0
        while prec < 22 and int(0.5 + wmax * (1 << (prec + 1))) < (1 << 15):
            prec += 1
        v = w * (1 << prec)
        wi = np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int64)
        y = _along(xp, y, tap[0], wi, ax)
        y = xp.clip((y + (1 << (prec - 1))) >> prec, 0, 255)
    return y.astype("uint8")


def separable(xp: Any, x: Any, taps: list, d: int, cl: bool = False) -> Any:
    """Apply per-dimension taps to the trailing ``d`` spatial dims (``None``: unchanged)."""
    weighted = any(t is not None and t[1] is not None for t in taps)
    y, back = _compute(xp, x, weighted)
    y, axes = _layout(y, d, cl)
    moved = False
    if back is not None and back.name == "uint8":
        return _restore(_separable_u8(xp, y, taps, axes), cl)
    for ax, tap in zip(axes, taps):
        if tap is not None:
            y = _along(xp, y, tap[0], tap[1], ax)
            moved = True
    if not moved:
        y = y.copy()
    return _finish(xp, _restore(y, cl), back)


def separable_adj(xp: Any, g: Any, taps: list, d: int, sizes: tuple, cl: bool = False) -> Any:
    """The adjoint of ``separable`` (the gradient of an upsampling)."""
    dt = g.dtype
    y = g.astype("float32") if dt.name in ("float16", "bfloat16") else g
    y, axes = _layout(y, d, cl)
    moved = False
    for ax, tap, n in zip(axes, taps, sizes):
        if tap is not None:
            y = _along_adj(xp, y, tap[0], tap[1], ax, n)
            moved = True
    if not moved:
        y = y.copy()
    y = _restore(y, cl)
    return y.astype(dt) if y.dtype != dt else y


def out_size(n: int, sf: float) -> int:
    """PyTorch's C++ output size from a scale factor: truncation, overflow-checked."""
    v = n * sf
    if math.isnan(v) or math.isinf(v) or abs(v) >= 2.0 ** 63:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return int(v)
