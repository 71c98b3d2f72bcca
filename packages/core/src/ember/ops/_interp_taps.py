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
the index) applies where PyTorch's kernel uses it. The linear and cubic source index is
floored through float32 (PyTorch's ``floorf``) for float64 too, and float32 / float64 taps
are summed with the fused multiply-adds of PyTorch's compiled kernels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["opmath", "taps_nearest", "taps_linear", "taps_cubic", "taps_cubic_plain", "taps_aa",
           "separable", "separable_adj", "aa_adjoint_2d", "fma", "bilinear_cl", "raster_adjoint",
           "EXACT_MAX", "EXACT_GRAD_MAX"]

_F32 = np.float32
# passes of more elements than this sum their taps plainly (the fused sums emulated in float64
# cost ~3x), and backwards of larger output gradients take the separable adjoint instead of
# PyTorch's raster order (``raster_adjoint``: 2-7x slower than the separable one)
EXACT_MAX = 1 << 20
EXACT_GRAD_MAX = 1 << 17


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
    src = fma(np, np.full(n_out, scale, dtype=op), dst + op(0.5), op(-0.5))  # one rounding
    return src if cubic else np.maximum(src, op(0))


def taps_linear(n_in: int, n_out: int, align_corners: bool, sf: float | None,
                op: type) -> tuple | None:
    """Two taps with weights ``1 - lambda, lambda``; ``None`` where sizes match (a copy)."""
    if n_out == n_in and not align_corners:
        return None
    src = _source(n_out, _scale(n_in, n_out, align_corners, sf, op), align_corners, False, op)
    # the index is floored through float32 whatever ``op`` (PyTorch's ``floorf``)
    i0 = np.minimum(np.floor(src.astype(_F32)).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(op), op(0), op(1))
    i1 = i0 + (i0 < n_in - 1)
    return np.stack([i0, i1], 1), np.stack([op(1) - lam, lam], 1)


def _cubic_weights(t: np.ndarray, op: type) -> np.ndarray:
    """Keys' cubic weights (A = -0.75) of the four taps around fraction ``t``, rounded as
    PyTorch's compiled kernel rounds them (found by experiment): the first two Horner
    steps fused multiply-adds, the last a product then an add; the far taps' arguments
    ``t + 1`` and ``(1 - t) + 1``."""
    A = op(-0.75)
    t = t.astype(op)

    def c1(x: np.ndarray) -> np.ndarray:  # ((A + 2) x - (A + 3)) x x + 1
        r = fma(np, np.full_like(x, A + 2), x, -(A + 3)) * x
        return r * x + op(1)

    def c2(x: np.ndarray) -> np.ndarray:  # ((A x - 5 A) x + 8 A) x - 4 A
        r = fma(np, fma(np, np.full_like(x, A), x, op(-5) * A), x, op(8) * A)
        return r * x - op(4) * A

    one = op(1)
    return np.stack([c2(t + one), c1(t), c1(one - t), c2((one - t) + one)], 1).astype(op)


def taps_cubic(n_in: int, n_out: int, align_corners: bool, sf: float | None, op: type
               ) -> tuple:
    """Four taps with Keys' cubic convolution weights (A = -0.75), borders clamped."""
    src = _source(n_out, _scale(n_in, n_out, align_corners, sf, op), align_corners, True, op)
    fl = np.minimum(np.floor(src.astype(_F32)), n_in - 1).astype(op)  # ``floorf``, as linear
    idx = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, _cubic_weights(np.clip(src - fl, op(0), op(1)), op)


def taps_cubic_plain(n_in: int, n_out: int, align_corners: bool, sf: float | None, op: type
                     ) -> tuple:
    """``taps_cubic`` as PyTorch's bicubic backward computes them: a file compiled without
    fused multiply-adds, each step rounded (the far tap's argument ``2 - t``)."""
    scale = _scale(n_in, n_out, align_corners, sf, op)
    dst = np.arange(n_out, dtype=op)
    src = dst * scale if align_corners else scale * (dst + op(0.5)) - op(0.5)
    fl = np.floor(src.astype(_F32)).astype(op)
    t = (src - fl).astype(op)
    A, one = op(-0.75), op(1)

    def c1(x: np.ndarray) -> np.ndarray:
        return ((A + op(2)) * x - (A + op(3))) * x * x + one

    def c2(x: np.ndarray) -> np.ndarray:
        return ((A * x - op(5) * A) * x + op(8) * A) * x - op(4) * A

    w = np.stack([c2(t + one), c1(t), c1(one - t), c2(op(2) - t)], 1).astype(op)
    idx = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, w


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


def fma(xp: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once, as the fused multiply-adds of PyTorch's compiled CPU
    kernels: float32 exactly through float64; float64 by an error-free product (Dekker's
    split) and sum, which rounds as the fused operation does but in rare ties."""
    dt = np.result_type(*(getattr(v, "dtype", v) for v in (a, b, c)))
    if dt != np.float64:
        p = xp.multiply(a, b, dtype=np.float64)
        if getattr(p, "ndim", 0) and p.shape == np.shape(c):
            p += c
        else:
            p = p + xp.asarray(c, dtype=np.float64)
        return p.astype(dt)
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ta, tb = split * a, split * b
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + e == a * b exactly
    s = p + c
    v = s - p
    err = (p - (s - v)) + (c - v)  # s + err == p + c exactly
    return s + (e + err)


def _aa_filter(kind: str, x: np.ndarray, op: type) -> np.ndarray:
    """PyTorch's antialiasing filters, evaluated in the kernel's precision ``op`` with its
    fused multiply-adds (the cubic's constants folded: -5a = 2.5, 8a = -4, -4a = 2)."""
    if kind == "lanczos":  # Ember's own mode: float64 maths, then rounded
        return _filter(kind, x.astype(np.float64)).astype(op)
    ax = np.abs(x).astype(op)
    one = op(1)
    if kind == "bicubic":
        a = np.full_like(ax, -0.5)
        near = fma(np, fma(np, np.full_like(ax, 1.5), ax, op(-2.5)) * ax, ax, one)
        far = fma(np, fma(np, fma(np, a, ax, op(2.5)), ax, op(-4.0)), ax, op(2.0))
        return np.where(ax < one, near, np.where(ax < op(2), far, op(0))).astype(op)
    return np.where(ax < one, one - ax, op(0)).astype(op)


def taps_aa(n_in: int, n_out: int, align_corners: bool, sf: float | None, kind: str,
            op: type) -> tuple:
    """Antialiased taps (PIL-style): the filter stretched by the downsampling factor;
    ``(indices, weights, taps used per output)``.

    The arithmetic is that of PyTorch's separable kernel: the centre, support, inverse scale
    and filter in ``op`` (float32 for float32 inputs), the ``+ 0.5`` steps in float64, the
    normalizing total summed tap by tap."""
    scale = op(_scale(n_in, n_out, align_corners, sf, op))
    f64 = np.float64
    half = f64(_SUPPORT[kind] * 0.5)
    support = op(half * f64(scale)) if scale >= 1.0 else op(half)
    inv = op(1.0 / f64(scale)) if scale >= 1.0 else op(1.0)
    center = (f64(scale) * (np.arange(n_out, dtype=f64) + 0.5)).astype(op)
    max_taps = int(math.ceil(support)) * 2 + 1
    xmin = np.maximum(np.trunc((center - support).astype(f64) + 0.5).astype(np.int64), 0)
    xsize = np.minimum(np.trunc((center + support).astype(f64) + 0.5).astype(np.int64),
                       n_in) - xmin
    xsize = np.clip(xsize, 0, max_taps)
    T = max(int(xsize.max()), 1)
    j = np.arange(T)
    pos = (j[None, :] + xmin[:, None]).astype(op)  # an integer meets a float centre
    arg = (((pos - center[:, None]).astype(f64) + 0.5) * f64(inv)).astype(op)
    w = np.where(j[None, :] < xsize[:, None], _aa_filter(kind, arg, op), op(0))
    tot = np.cumsum(w, axis=1, dtype=op)[:, -1:]
    w = np.where(tot != 0, w / np.where(tot != 0, tot, op(1)), w)
    idx = np.minimum(xmin[:, None] + j[None, :], n_in - 1)
    return idx, w.astype(op), np.maximum(xsize, 1)


# ------------------------------------------------------------------ separable apply / adjoint
def _along(xp: Any, x: Any, idx: np.ndarray, w: Any, axis: int) -> Any:
    """Gather the taps of every output position along ``axis`` and weight them."""
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    taps = [xp.take(x, xp.asarray(idx[:, t]), axis=axis) for t in range(idx.shape[1])]
    if w is None:
        out = taps[0]
        for v in taps[1:]:
            out = out + v
        return out
    ws = [xp.asarray(w[:, t].reshape(shape), dtype=x.dtype) for t in range(idx.shape[1])]
    if x.dtype.name not in ("float32", "float64") or taps[0].size >= EXACT_MAX:
        out = taps[0] * ws[0]
        for v, wt in zip(taps[1:], ws[1:]):
            out = out + v * wt
        return out
    # as PyTorch's compiled kernel rounds: ``fma(t0, w0, t1 * w1)``, then the further taps
    # fused multiply-adds one by one
    out = fma(xp, taps[0], ws[0], taps[1] * ws[1])
    for v, wt in zip(taps[2:], ws[2:]):
        out = fma(xp, v, wt, out)
    return out


def _along_aa(xp: Any, x: Any, idx: np.ndarray, w: Any, used: np.ndarray, axis: int) -> Any:
    """``_along`` summed as PyTorch's compiled separable AA CPU kernel sums: the first tap a
    product; of the ``used - 1`` further ones, those in the loop's unrolled blocks (four
    float32 taps, two float64 ones) a multiply then an add, the remaining ones fused
    multiply-adds; taps past ``used`` untouched (so an infinite pixel there adds no NaN)."""
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    block = 2 if x.dtype == np.float64 else 4
    blocked = (block * ((used - 1) // block)).reshape(shape)
    used = used.reshape(shape)
    out = None
    for t in range(idx.shape[1]):
        v = xp.take(x, xp.asarray(idx[:, t]), axis=axis)
        wt = xp.asarray(w[:, t].reshape(shape), dtype=x.dtype)
        if out is None:
            out = v * wt
            continue
        plain = t - 1 < blocked
        fused = (t - 1 >= blocked) & (t < used)
        with np.errstate(invalid="ignore"):  # inf * 0 in taps that ``where`` drops
            if plain.all():
                out = out + v * wt
            elif fused.all():
                out = fma(xp, v, wt, out)
            elif not fused.any():
                out = xp.where(xp.asarray(plain), out + v * wt, out)
            else:
                out = xp.where(xp.asarray(plain), out + v * wt,
                               xp.where(xp.asarray(fused), fma(xp, v, wt, out), out))
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


def _covering(tap: tuple, n_in: int) -> tuple:
    """Per input position, the outputs whose taps read it, in increasing output order:
    ``(outputs, weights, valid)``, each ``(n_in, most outputs per input)``."""
    idx, w, used = tap
    o, t = np.nonzero(np.arange(idx.shape[1])[None, :] < used[:, None])
    pos = idx[o, 0] + t
    order = np.argsort(pos, kind="stable")  # keeps the outputs ascending per input
    o, pos, wt = o[order], pos[order], w[o[order], t[order]]
    counts = np.bincount(pos, minlength=n_in)
    k = np.arange(len(pos)) - (np.cumsum(counts) - counts)[pos]
    K = max(int(counts.max()), 1)
    outs = np.zeros((n_in, K), np.int64)
    weights = np.zeros((n_in, K), w.dtype)
    valid = np.zeros((n_in, K), bool)
    outs[pos, k], weights[pos, k], valid[pos, k] = o, wt, True
    return outs, weights, valid


def aa_adjoint_2d(xp: Any, g: Any, taps: list, sizes: tuple, cl: bool = False) -> Any:
    """The gradient of a 2-d antialiased resampling as PyTorch's CPU kernel sums it: every
    output pixel in raster order adds ``(wx * wy) * grad`` to the input pixels it read, as a
    fused multiply-add (not separable: the rounding differs from two 1-d passes)."""
    dt = g.dtype
    y = g.astype("float32") if dt.name in ("float16", "bfloat16") else g
    (oh, wh, vh), (ow, ww, vw) = (_covering(t, n) for t, n in zip(taps, sizes))
    gi = xp.zeros(y.shape[:-2] + tuple(sizes), dtype=y.dtype)
    for a in range(oh.shape[1]):
        for b in range(ow.shape[1]):
            gv = y[..., xp.asarray(oh[:, a])[:, None], xp.asarray(ow[:, b])[None, :]]
            coef = xp.asarray((ww[:, b][None, :] * wh[:, a][:, None]).astype(y.dtype))
            valid = xp.asarray(vh[:, a][:, None] & vw[:, b][None, :])
            gi = xp.where(valid, fma(xp, coef, gv, gi), gi)
    if cl:  # the input's channels-last layout
        gi = xp.ascontiguousarray(gi.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return gi.astype(dt) if gi.dtype != dt else gi


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


def separable(xp: Any, x: Any, taps: list, d: int, cl: bool = False,
              last_first: bool = False) -> Any:
    """Apply per-dimension taps to the trailing ``d`` spatial dims (``None``: unchanged);
    ``last_first``: the last (contiguous) dim first, as PyTorch's separable AA kernel."""
    weighted = any(t is not None and t[1] is not None for t in taps)
    y, back = _compute(xp, x, weighted)
    y, axes = _layout(y, d, cl)
    moved = False
    if back is not None and back.name == "uint8":
        return _restore(_separable_u8(xp, y, taps, axes), cl)
    passes = list(zip(axes, taps))
    for ax, tap in (reversed(passes) if last_first else passes):
        if tap is not None:
            if len(tap) > 2 and tap[1] is not None:
                y = _along_aa(xp, y, tap[0], tap[1], tap[2], ax)
            else:
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


# ------------------------------------------------------------------ PyTorch's raster orders
def bilinear_cl(xp: Any, x: Any, taps: list, lanes: int) -> Any:
    """2-d bilinear as PyTorch's channels-last CPU kernel computes it (its choice for small
    outputs and channels-last inputs): per output pixel the four corner weights ``hl * wl``,
    then the four products summed with fused multiply-adds, in one order over the channels
    its vectors cover (``lanes`` a vector) and in another over the leftover channels."""
    (ih, wh), (iw, ww) = (_identity(n) if t is None else t for n, t in zip(x.shape[-2:], taps))
    dt = x.dtype
    corners = []
    for a in (0, 1):
        for b in (0, 1):
            v = x[..., xp.asarray(ih[:, a])[:, None], xp.asarray(iw[:, b])[None, :]]
            corners.append((v, xp.asarray((wh[:, a][:, None] * ww[:, b][None, :]).astype(dt))))
    (x00, w00), (x01, w01), (x10, w10), (x11, w11) = corners
    c = x.shape[1]
    body = c - c % lanes
    tail = fma(xp, x11, w11, fma(xp, x10, w10, fma(xp, x00, w00, x01 * w01)))
    if body == 0:
        return tail
    vec = fma(xp, x00, w00, fma(xp, x01, w01, fma(xp, x11, w11, x10 * w10)))
    if body == c:
        return vec
    return xp.concatenate([vec[:, :body], tail[:, body:]], axis=1)


def _identity(n: int) -> tuple:
    return np.stack([np.arange(n)] * 2, 1), np.array([[1.0, 0.0]] * n)


def _cover_full(idx: np.ndarray, w: Any, n_in: int) -> tuple:
    """Per input position the ``(output, tap)`` pairs that read it, sorted by output then
    tap: ``(outputs, taps, weights, valid)``, each ``(n_in, K)``."""
    n_out, n_taps = idx.shape
    o = np.repeat(np.arange(n_out), n_taps)
    t = np.tile(np.arange(n_taps), n_out)
    pos = idx.reshape(-1)
    order = np.lexsort((t, o, pos))
    o, t, pos = o[order], t[order], pos[order]
    counts = np.bincount(pos, minlength=n_in)
    k = np.arange(len(pos)) - (np.cumsum(counts) - counts)[pos]
    K = max(int(counts.max()), 1)
    outs, tt = np.zeros((n_in, K), np.int64), np.zeros((n_in, K), np.int64)
    ws = np.zeros((n_in, K), np.float64 if w is None else w.dtype)
    valid = np.zeros((n_in, K), bool)
    outs[pos, k], tt[pos, k], valid[pos, k] = o, t, True
    ws[pos, k] = 1.0 if w is None else w[o, t]
    return outs, tt, ws, valid


def raster_adjoint(xp: Any, g: Any, taps: list, sizes: tuple, kind: str, cl: bool = False
                   ) -> Any:
    """The gradient of an upsampling summed as PyTorch's CPU backward kernels sum it: output
    pixels in raster order, each adding to the input pixels its taps read. ``kind``:
    ``"sum"`` (nearest: plain adds), ``"linear"`` (``fma(wd * wh * ww, grad, acc)``, the taps
    in order) or ``"cubic"`` (2-d: ``acc + grad * wy * wx`` unfused, the x tap outermost)."""
    dt = g.dtype
    y = g.astype("float32") if dt.name in ("float16", "bfloat16") else g
    d = len(sizes)
    covers = []
    for n, t, m in zip(sizes, taps, g.shape[-d:]):
        if t is None:
            t = (np.arange(m)[:, None], None)
        covers.append(_cover_full(t[0], t[1], n))
    Ks = [c[0].shape[1] for c in covers]
    grids = np.meshgrid(*[np.arange(k) for k in Ks], indexing="ij")
    slots = [s.reshape(-1) for s in grids]  # (combos,) per dim
    # per input pixel, the combos ranked by (outputs, taps) in PyTorch's loop order
    bshape = tuple(sizes) + (len(slots[0]),)

    def field(arr: np.ndarray, k: int) -> np.ndarray:
        sh = [1] * (d + 1)
        sh[k], sh[-1] = sizes[k], len(slots[0])
        return np.broadcast_to(arr[:, slots[k]].reshape(sh), bshape)

    outs = [field(c[0], k) for k, c in enumerate(covers)]
    tps = [field(c[1], k) for k, c in enumerate(covers)]
    valid = np.logical_and.reduce([field(c[3], k) for k, c in enumerate(covers)])
    tkeys = tps[::-1] if kind == "cubic" else tps
    keys = (tkeys[::-1] + outs[::-1] + [~valid])  # lexsort: last key primary
    rank = np.lexsort(keys, axis=-1)
    ok_all = np.take_along_axis(valid, rank, -1)
    n_rank = int(ok_all.reshape(-1, rank.shape[-1]).any(0).sum())  # invalid ranks sort last
    sel = [np.take_along_axis(np.broadcast_to(sl.reshape((1,) * d + (-1,)), bshape),
                              rank[..., :n_rank], -1) for sl in slots]
    # per rank: the flat output position read and the weights, on the input grid
    flat = np.zeros(tuple(sizes) + (n_rank,), np.int64)
    wk = []
    for k in range(d):
        pos = _expand(k, sizes[k], d)[..., None]
        flat = flat * g.shape[y.ndim - d + k] + covers[k][0][pos, sel[k]]
        wk.append(covers[k][2][pos, sel[k]].astype(y.dtype))
    lead = y.shape[:-d]
    y2 = y.reshape((-1, int(np.prod(g.shape[-d:]))))
    gi = xp.zeros((y2.shape[0], int(np.prod(sizes))), dtype=y.dtype)
    for r in range(n_rank):
        ok = ok_all[..., r].reshape(-1)
        gv = xp.take(y2, xp.asarray(flat[..., r].reshape(-1)), axis=1)
        if kind == "sum":
            new = gi + gv
        elif kind == "cubic":
            new = gi + gv * xp.asarray(wk[0][..., r].reshape(-1)) * \
                xp.asarray(wk[1][..., r].reshape(-1))
        else:
            coef = wk[0][..., r]
            for w in wk[1:]:
                coef = coef * w[..., r]
            new = fma(xp, xp.asarray(coef.reshape(-1)), gv, gi)
        gi = new if ok.all() else xp.where(xp.asarray(ok), new, gi)
    gi = gi.reshape(lead + tuple(sizes))
    if cl:
        gi = xp.ascontiguousarray(gi.transpose((0,) + tuple(range(2, gi.ndim)) + (1,)))
        gi = gi.transpose((0, gi.ndim - 1) + tuple(range(1, gi.ndim - 1)))
    return gi.astype(dt) if gi.dtype != dt else gi


def _expand(k: int, n: int, d: int) -> np.ndarray:
    """The input positions of dim ``k`` (of ``n``), shaped to broadcast over ``d`` dims."""
    sh = [1] * d
    sh[k] = n
    return np.arange(n).reshape(sh)
