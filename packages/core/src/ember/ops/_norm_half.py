"""Batch, layer and group norm in float16/bfloat16, rounded where PyTorch's CPU kernels round.

PyTorch computes these norms in float32 and rounds each result once, but it also keeps the
batch statistics (mean, inverse std) in the parameters' dtype: with half-precision (or no)
weights they are rounded to half precision, and the output of batch norm and every
gradient are computed from the rounded values. Layer norm's weight and bias gradients are
summed row by row into one half-precision buffer per thread (rounded after each row), and
the buffers added in float32 at the end. Matching those roundings gives PyTorch's numbers
bit for bit instead of within a few units in the last place.
"""

from __future__ import annotations

from typing import Any

from .._runtime import get_num_threads

__all__ = ["stat_dtype", "rounds_stats", "rounded", "bn_invstd", "affine", "layer_norm_grads",
           "group_norm_grads"]


def stat_dtype(x: Any, weight: Any, bias: Any) -> Any:
    """The dtype of the statistics PyTorch saves: float32 for a half-precision input with
    float32 parameters, else the input's."""
    if x.dtype.itemsize == 2 and x.dtype.kind in "fV":
        for p in (weight, bias):
            if p is not None and p._data.dtype != x.dtype:
                return p._data.dtype
    return x.dtype


def rounds_stats(x: Any, weight: Any, bias: Any = None) -> bool:
    """Whether PyTorch keeps ``x``'s statistics in half precision: a half-precision input
    whose parameters (if any) have its dtype."""
    return x.dtype.itemsize == 2 and x.dtype.kind in "fV" and stat_dtype(
        x, weight, bias) == x.dtype


def rounded(a: Any, dt: Any) -> Any:
    """``a`` (float32) rounded to ``dt`` and back."""
    return a.astype(dt).astype("float32")


def bn_invstd(xp: Any, var: Any, n: int, eps: float, dt: Any) -> Any:
    """Batch norm's saved inverse std from the biased variance, rounded to ``dt``. For
    bfloat16 PyTorch keeps the sum of squares in bfloat16 and divides it by the count in
    bfloat16; float16 divides in float32."""
    if dt.name == "bfloat16":
        var = rounded(rounded(var * n, dt) / rounded(xp.asarray(float(n), dtype="float32"),
                                                         dt), dt)
    return rounded(1.0 / xp.sqrt(var + eps), dt)


def affine(xp: Any, x: Any, mean: Any, invstd: Any, w: Any, b: Any) -> Any:
    """Batch norm's transform ``x * alpha + beta`` (float32), ``alpha = invstd * weight``,
    ``beta = bias - mean * alpha``."""
    alpha = invstd if w is None else invstd * w
    beta = -mean * alpha if b is None else b - mean * alpha
    return x * alpha + beta


def layer_norm_grads(xp: Any, g: Any, x: Any, mean: Any, rstd: Any, w: Any, needs: tuple,
                     buf_dt: Any) -> tuple:
    """Layer norm's gradients over rows ``(M, N)`` in float32 from half-precision arrays:
    ``(dx in float32, dweight, dbias)``, the latter two summed as PyTorch's CPU kernel does
    (``buf_dt``: the dtype of its per-thread buffers)."""
    g32, x32 = g.astype("float32"), x.astype("float32")
    M, N = x32.shape
    gx = gw = gb = None
    if needs[0]:
        gw_ = g32 if w is None else g32 * w
        ds = xp.sum(gw_ * x32, axis=1, keepdims=True)
        db = xp.sum(gw_, axis=1, keepdims=True)
        scale = 1.0 / N
        b_ = (db * mean - ds) * rstd * rstd * rstd * scale
        c_ = -b_ * mean - db * rstd * scale
        gx = rstd * gw_ + b_ * x32 + c_
    if needs[1] or needs[2]:
        T = max(1, min(get_num_threads(), M))
        chunk = -(-M // T)
        starts = xp.arange(T) * chunk
        bw = xp.zeros((T, N), dtype="float32")
        bb = xp.zeros((T, N), dtype="float32")
        # each thread adds its rows in order into a buffer of buf_dt, rounding after every row
        # (a sequential rounding: no reduction computes it); the threads run side by side
        for j in range(chunk):
            rows = starts + j
            live = rows < M
            if not live.all():
                rows, bw_l, bb_l = rows[live], bw[live], bb[live]
            else:
                bw_l, bb_l = bw, bb
            gr = g32[rows]
            if needs[1]:
                bw_l = rounded(bw_l + gr * (x32[rows] * rstd[rows] - rstd[rows] * mean[rows]),
                               buf_dt)
            if needs[2]:
                bb_l = rounded(bb_l + gr, buf_dt)
            if live.all():
                bw, bb = bw_l, bb_l
            else:
                bw[live], bb[live] = bw_l, bb_l
        if needs[1]:
            gw = _sum_rows(bw)
        if needs[2]:
            gb = _sum_rows(bb)
    return gx, gw, gb


def _sum_rows(buf: Any) -> Any:
    """The threads' buffers added in order in float32."""
    out = buf[0].copy()
    for r in buf[1:]:
        out += r
    return out


def group_norm_grads(xp: Any, g: Any, x: Any, mean: Any, rstd: Any, w: Any, groups: int,
                     needs: tuple) -> tuple:
    """Group norm's gradients in float32 (PyTorch's CPU formula) for ``x, g (N, C, L)`` with
    the statistics ``mean, rstd (N, groups, 1)``: ``(dx, dweight, dbias)``."""
    g32, x32 = g.astype("float32"), x.astype("float32")
    n, c, L = x32.shape
    D = c // groups
    ds = xp.sum(g32 * x32, axis=2)  # (N, C)
    db = xp.sum(g32, axis=2)
    m_c = xp.repeat(mean.reshape(n, groups), D, axis=1)  # per channel
    r_c = xp.repeat(rstd.reshape(n, groups), D, axis=1)
    gx = gw = gb = None
    if needs[0]:
        wc = xp.ones(c, dtype="float32") if w is None else w
        dsg = (ds * wc).reshape(n, groups, D).sum(axis=2)
        dbg = (db * wc).reshape(n, groups, D).sum(axis=2)
        s = 1.0 / (D * L)
        mg, rg = mean.reshape(n, groups), rstd.reshape(n, groups)
        c2 = (dbg * mg - dsg) * rg * rg * rg * s
        c3 = -c2 * mg - dbg * rg * s
        c1 = r_c * wc
        gx = (c1[:, :, None] * g32 + xp.repeat(c2, D, axis=1)[:, :, None] * x32
              + xp.repeat(c3, D, axis=1)[:, :, None])
    if needs[1]:
        gw = xp.sum((ds - db * m_c) * r_c, axis=0)
    if needs[2]:
        gb = xp.sum(db, axis=0)
    return gx, gw, gb


def instance_param_grads(xp: Any, g: Any, x: Any, mean: Any, invstd: Any, needs: tuple) -> tuple:
    """Instance norm's weight and bias gradients (float32) for ``x, g (N, C, L)`` and the
    statistics ``(N, C, 1)``: PyTorch runs batch norm over ``N * C`` channels with the
    weight repeated, so each sample's share is rounded to half precision before the sum."""
    dt = x.dtype
    g32, x32 = g.astype("float32"), x.astype("float32")
    gw = gb = None
    if needs[1]:
        gw = xp.sum(rounded(xp.sum((x32 - mean) * g32, axis=2) * invstd[:, :, 0], dt), axis=0)
    if needs[2]:
        gb = xp.sum(rounded(xp.sum(g32, axis=2), dt), axis=0)
    return gw, gb
