"""Layer norm's float32 gradients in the order of PyTorch's CPU kernel
(``LayerNormBackwardKernelImplInternal``), so that they match PyTorch's to the bit where its
forward statistics are followed (``_rowwise_moments.followed``: Intel, small inputs).

Per row: ``ds = sum(dy * x * gamma)`` and ``db = sum(dy * gamma)`` over vectors of ``_LANES``
floats (the row's last partial vector fused into the lanes by a multiply-add, the lanes then
halved pairwise), ``b = (db * mean - ds) * rstd**3 / N``, ``c = -b * mean - db * rstd / N`` and
``dx = rstd * dy * gamma + b * x + c``. The parameters' gradients accumulate row by row in one
buffer per thread (``dgamma += dy * (rstd * x - rstd * mean)``, both steps fused), the buffers
then added in order. Which steps fuse was read off PyTorch's results on an Intel processor;
the float32 FMA is emulated in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._runtime import get_num_threads
from ._rowwise_moments import _fma

__all__ = ["layer_norm_grads32", "group_norm_grads32"]

_LANES = 8  # floats in the vectors of the row sums (as PyTorch's results show)
_f32 = np.float32


def _row_sum(p: Any, q: Any, fused: bool = True) -> Any:
    """``sum(p * q)`` over the rows of ``(M, N)`` float32 arrays in PyTorch's vector order;
    ``fused``: the last partial vector's products added by a multiply-add (layer norm's)."""
    M, N = p.shape
    if N < _LANES:  # one partial vector, its lanes added in turn
        t = p * q
        acc = t[:, 0].copy()
        for i in range(1, N):
            acc += t[:, i]
        return acc
    nv = N // _LANES
    body = nv * _LANES
    # the full vectors: lane-wise sums in order (an axis-1 reduce of a strided view is sequential)
    acc = np.add.reduce((p[:, :body] * q[:, :body]).reshape(M, nv, _LANES), axis=1)
    r = N - body
    if r and fused:
        acc[:, :r] = _fma(p[:, body:], q[:, body:], acc[:, :r])
    elif r:
        acc[:, :r] += p[:, body:] * q[:, body:]
    h = _LANES
    while h > 1:
        h //= 2
        acc = acc[:, :h] + acc[:, h:2 * h]
    return acc[:, 0]


def layer_norm_grads32(g: Any, x: Any, mean: Any, rstd: Any, w: Any, needs: tuple) -> tuple:
    """``(dx, dweight, dbias)`` of a float32 layer norm over the rows of ``(M, N)`` arrays
    ``g`` and ``x``, with its float32 statistics ``mean`` and ``rstd`` (``(M, 1)``)."""
    M, N = x.shape
    g = np.ascontiguousarray(g)
    gx = gw = gb = None
    if needs[0]:
        gw_ = np.broadcast_to(_f32(1) if w is None else w, (M, N))
        ds = _row_sum(g * x, gw_) if w is not None else _row_sum(g, x)
        db = _row_sum(g, gw_)
        scale = _f32(1) / _f32(N)
        m, a = mean.reshape(M), rstd.reshape(M)
        b = _fma(db, m, -ds) * a * a * a * scale
        c = _fma(-b, m, -(db * a * scale))
        ady = a[:, None] * g
        if w is not None:
            ady *= w
        gx = _fma(b[:, None], x, ady)
        gx += c[:, None]
    if needs[1] or needs[2]:
        T = max(1, min(get_num_threads(), M))
        chunk = -(-M // T)
        T = -(-M // chunk)  # the threads that get rows
        bounds = [(t * chunk, min(M, (t + 1) * chunk)) for t in range(T)]
        if needs[1]:
            a = rstd.reshape(M, 1)
            t_ = _fma(a, x, -a * mean.reshape(M, 1))
            buf = np.zeros((T, N), _f32)
            starts = np.arange(T) * chunk
            for j in range(chunk):  # each thread's rows in turn, the threads side by side
                rows = starts + j
                live = rows < M
                if live.all():
                    buf = _fma(g[rows], t_[rows], buf)
                else:
                    buf[live] = _fma(g[rows[live]], t_[rows[live]], buf[live])
            gw = buf[0].copy()
            for r in buf[1:]:
                gw += r
        if needs[2]:
            gb = np.zeros(N, _f32)
            for lo, hi in bounds:  # (an accumulate adds in order; a reduce may pair up)
                gb += np.add.accumulate(g[lo:hi], axis=0)[-1]
    return gx, gw, gb


def group_norm_grads32(g: Any, x: Any, mean: Any, rstd: Any, w: Any, groups: int,
                       needs: tuple) -> tuple:
    """``(dx, dweight, dbias)`` of a float32 group norm of ``(N, C, HxW)`` arrays ``g`` and
    ``x`` with its float32 statistics ``mean`` and ``rstd`` (``N * groups`` values), in the
    order of PyTorch's ``GroupNormBackwardKernelImplInternal``: per channel ``ds = sum(dy * x)``
    and ``db = sum(dy)`` (vector sums as layer norm's, none fused); per group their sums
    weighted by gamma, over lanes of ``_LANES`` channels (fused), the lanes added in order,
    then the other channels one by one (the build multiplies them four at a time, unfused,
    and fuses the last ones); ``c2 = (db * mean - ds) * rstd**3 * s``,
    ``c3 = -c2 * mean - db * rstd * s`` and ``dx = rstd * gamma * dy + c2 * x + c3``; the
    parameters' gradients add the samples' terms in order."""
    N, C, S = x.shape
    D = C // groups
    g2 = np.ascontiguousarray(g).reshape(N * C, S)
    ds = _row_sum(g2, x.reshape(N * C, S), False).reshape(N, C)
    db = _row_sum(g2, np.ones_like(g2), False).reshape(N, C)
    m = mean.reshape(N, groups)
    r = rstd.reshape(N, groups)
    gx = gw = gb = None
    if needs[0]:
        gg = (np.ones(C, _f32) if w is None else w).reshape(groups, D)
        dsg = ds.reshape(N, groups, D)
        dbg = db.reshape(N, groups, D)
        d = D // _LANES * _LANES
        ds_v = np.zeros((N, groups), _f32)
        db_v = np.zeros((N, groups), _f32)
        if d:
            ds_l = np.zeros((N, groups, _LANES), _f32)
            db_l = np.zeros((N, groups, _LANES), _f32)
            for j in range(0, d, _LANES):
                sl = slice(j, j + _LANES)
                ds_l = _fma(dsg[..., sl], gg[:, sl], ds_l)
                db_l = _fma(dbg[..., sl], gg[:, sl], db_l)
            for i in range(_LANES):
                ds_v += ds_l[..., i]
                db_v += db_l[..., i]
        quads = d + (D - d) // 4 * 4
        for j in range(d, D):
            if j >= quads:
                ds_v = _fma(dsg[..., j], gg[:, j], ds_v)
                db_v = _fma(dbg[..., j], gg[:, j], db_v)
            else:
                ds_v += dsg[..., j] * gg[:, j]
                db_v += dbg[..., j] * gg[:, j]
        s = _f32(1) / _f32(D * S)
        c2 = _fma(db_v, m, -ds_v) * r * r * r * s
        c3 = _fma(-(db_v * r), s, -c2 * m)
        c1 = (r[..., None] * gg).reshape(N, C, 1)
        gx = _fma(c1, g2.reshape(N, C, S), np.repeat(c2, D, axis=1)[..., None] * x)
        gx += np.repeat(c3, D, axis=1)[..., None]
    if needs[1]:
        mc = np.repeat(m, D, axis=1)
        rc = np.repeat(r, D, axis=1)
        gw = np.zeros(C, _f32)
        for n in range(N):
            gw = _fma(_fma(-db[n], mc[n], ds[n]), rc[n], gw)
    if needs[2]:
        gb = np.zeros(C, _f32)
        for n in range(N):
            gb += db[n]
    return gx, gw, gb
