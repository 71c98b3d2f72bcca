"""Batch norm's float32 gradients in the order of PyTorch's CPU kernels
(``batch_norm_cpu_backward_contiguous_impl`` and its channels-last variant), so that they match
PyTorch's to the bit where its forward is followed (``normalization._exact32``: small
C-contiguous float32 inputs). Instance norm's are batch norm's over ``(1, N*C, *S)``.

Contiguous kernel (planes of ``L > 1`` positions), per channel: ``sum(dy)`` and
``sum((x - mean) * dy)`` of each sample's plane as vector sums of ``_LANES`` floats (the
plane's last partial vector fused into the lanes by a multiply-add for the products, the lanes
then halved pairwise: ``_layer_norm_order._row_sum``), the planes' sums added in float64. Then,
in float32, ``k = dotp * invstd * invstd / n``, ``grad_mean = sum / n`` (in float64, rounded),
``dx = (dy - grad_mean - (x - mean) * k) * invstd * w`` with the product ``(x - mean) * k``
fused into the subtraction; ``dweight = dotp * invstd`` and ``dbias = sum``. Evaluation mode:
``dx = dy * invstd * w``, invstd ``1 / sqrt(running_var + eps)`` in float64.

``(N, C)`` inputs (PyTorch's channels-last kernel: per-thread row blocks) keep Ember's float32
path: an emulation of that kernel matched it alone but not inside a training program. Which
steps fuse was read off PyTorch's results (its AVX2 kernels, also run on AVX512 processors);
the float32 FMA is emulated in float64.

Also group norm's float32 forward of a small channels-last input (``group_norm_cl32``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._cascade_sum import cascade_sum
from ._layer_norm_order import _row_sum
from ._rowwise_moments import _fma

__all__ = ["batch_norm_grads32", "instance_norm_grads32", "eval_invstd32", "group_norm_cl32",
           "GN_PLANE_MAX"]

_LANES = 8
_f32 = np.float32
_f64 = np.float64


def eval_invstd32(running_var: Any, eps: float) -> Any:
    """The backward kernel's float32 ``1 / sqrt(running_var + eps)``, the root in float64
    (its forward adds a float32 eps)."""
    return (1.0 / np.sqrt(running_var.astype(_f64) + eps)).astype(_f32)


def _sums_planes(g: Any, xm: Any) -> tuple:
    """``(sum, dotp)`` float64 per channel of ``g, xm (N, C, L)``, ``L > 1``."""
    N, C, L = g.shape
    s = _row_sum(g.reshape(N * C, L), np.ones((N * C, L), _f32), False).reshape(N, C)
    d = _row_sum(xm.reshape(N * C, L), g.reshape(N * C, L), True).reshape(N, C)
    # the samples' sums added in order (running sums: a reduce of one channel's would pair up)
    return np.cumsum(s.astype(_f64), axis=0)[-1], np.cumsum(d.astype(_f64), axis=0)[-1]


def batch_norm_grads32(g: Any, x: Any, mean: Any, invstd: Any, w: Any, needs: tuple,
                       train: bool) -> tuple:
    """``(dx, dweight, dbias)`` (float32, ``dx`` shaped as ``x``) of a float32 batch norm of
    C-contiguous ``(N, C, *S)`` arrays ``g`` and ``x`` with per-channel float32 statistics
    ``mean`` and ``invstd`` (the saved batch ones, or the running mean and ``eval_invstd32``)
    and weight ``w`` (``(C,)`` or None)."""
    N, C = x.shape[:2]
    L = x.size // (N * C)
    n = N * L
    g3 = np.ascontiguousarray(g, dtype=_f32).reshape(N, C, L)
    x3 = x.reshape(N, C, L)
    m = mean.reshape(1, C, 1).astype(_f32, copy=False)
    inv = invstd.reshape(C).astype(_f32, copy=False)
    with np.errstate(all="ignore"):
        xm = x3 - m
        s64, d64 = _sums_planes(g3, xm)
        sum32, dot32 = s64.astype(_f32), d64.astype(_f32)
        gmean = (s64 / n).astype(_f32)
        gx = gw = gb = None
        if needs[0]:
            if train:
                k = (dot32 * inv * inv / _f32(n)).reshape(1, C, 1)
                gm = gmean.reshape(1, C, 1)
                gx = _fma(-xm, k, g3 - gm)
                gx *= inv.reshape(1, C, 1)
            else:
                gx = g3 * inv.reshape(1, C, 1)
            if w is not None:
                gx *= w.reshape(1, C, 1).astype(_f32, copy=False)
            gx = gx.reshape(x.shape)
        if needs[1]:
            gw = (d64 * inv).astype(_f32)
        if needs[2]:
            gb = sum32
    return gx, gw, gb


def instance_norm_grads32(g: Any, x: Any, mean: Any, invstd: Any, w: Any, needs: tuple) -> tuple:
    """Instance norm's float32 gradients as PyTorch's: batch norm's kernel on the
    ``(1, N*C, *S)`` view with the weight repeated per sample, the samples' shares of the
    parameters' gradients then added as PyTorch's sum adds them."""
    n, c = x.shape[:2]
    view = (1, n * c) + x.shape[2:]
    wt = None if w is None else np.tile(w.reshape(c), n)
    gx, gw, gb = batch_norm_grads32(g.reshape(view), x.reshape(view), mean.reshape(n * c),
                                    invstd.reshape(n * c), wt, needs, True)
    # the repeat's backward: a sum over the samples, in PyTorch's sum order
    gw, gb = (None if a is None else cascade_sum(a.reshape(n, c), (0,), False)
              for a in (gw, gb))
    return None if gx is None else gx.reshape(x.shape), gw, gb



GN_PLANE_MAX = 1024  # PyTorch's channels-last group norm sums in per-thread buffers from here


def group_norm_cl32(x: Any, groups: int, w: Any, b: Any, eps: float) -> tuple:
    """Group norm's float32 forward of a channels-last ``(N, C, *S)`` input as PyTorch's
    ``GroupNormKernelImplChannelsLastInternal`` (planes under ``GN_PLANE_MAX``): per sample
    and group, vectors of ``_LANES`` of the group's channels (the last partial one padded with
    zeros) added position by position into a sum and an unfused sum of squares, the lanes
    halved pairwise; ``mean = sum * s``, ``var = max(fma(sumsq, s, -mean * mean), 0)``
    (``s = 1 / (D * HxW)`` in float32), ``rstd`` with a float64 root; per channel
    ``scale = rstd * gamma``, ``shift = fma(-scale, mean, beta)`` (unfused past the last
    multiple of 4 channels of the group, and in groups of under 8 channels: the build's
    scalar loop) and
    ``y = fma(x, scale, shift)``. Returns ``(y, mean, var, rstd)``, the statistics
    ``(N, G, 1)``."""
    N, C = x.shape[:2]
    hw = x.size // (N * C)
    G, D = groups, C // groups
    nv = -(-D // _LANES)
    xr = x.reshape(N, C, hw)
    pad = np.zeros((N, G, hw, nv * _LANES), _f32)
    pad[..., :D] = xr.reshape(N, G, D, hw).transpose(0, 1, 3, 2)
    vec = pad.reshape(N, G, hw * nv, _LANES)
    with np.errstate(all="ignore"):
        a0 = np.cumsum(vec, axis=2)[:, :, -1]  # running sums: in order
        a1 = np.cumsum(vec * vec, axis=2)[:, :, -1]
        h = _LANES
        while h > 1:
            h //= 2
            a0 = a0[..., :h] + a0[..., h:2 * h]
            a1 = a1[..., :h] + a1[..., h:2 * h]
        s = _f32(1) / _f32(D * hw)
        mean = a0[..., 0] * s
        var = np.maximum(_fma(a1[..., 0], s, -(mean * mean)), _f32(0))
        rstd = (1.0 / np.sqrt(var.astype(_f64) + eps)).astype(_f32)
        gam = np.ones((G, D), _f32) if w is None else w.reshape(G, D)
        bet = np.zeros((G, D), _f32) if b is None else b.reshape(G, D)
        scale = rstd[..., None] * gam  # (N, G, D)
        shift = _fma(-scale, mean[..., None], bet)
        q = D // 4 * 4 if D >= _LANES else 0
        if q < D:
            shift[..., q:] = -scale[..., q:] * mean[..., None] + bet[:, q:]
        y = _fma(xr, scale.reshape(N, C, 1), shift.reshape(N, C, 1))
    return y.reshape(x.shape), mean[..., None], var[..., None], rstd[..., None]
