"""Normalization kernels: batch, layer, group, instance and RMS norm, local response norm.

Batch, layer, group and instance norm share one kernel: normalise ``input`` (seen with a
shape ``rshape``) over dims ``red``, then scale and shift with per-feature ``weight`` and
``bias`` (seen with shape ``ashape``). Its derivative is written once over ``_nn_math``'s
namespace: fused array expressions in a plain backward, Ember ops under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

from .._runtime import _threads
from .._tensor import contiguous_format
from . import _inplace
from . import _norm_half as H
from ._along_dim import mean_array
from ._autocast import autocast_op
from ._batch_norm_order import (
    GN_PLANE_MAX,
    batch_norm_grads32,
    eval_invstd32,
    group_norm_cl32,
    instance_norm_grads32,
)
from ._cascade_sum import cascade_sum
from ._channels_last import c_order, cl_format, laid_as, relaid
from ._dispatch import Tensor, grad_state, make, quiet, record, renamed
from ._fma import fma
from ._layer_norm_order import group_norm_grads32, layer_norm_grads32
from ._nn_math import _ones_column, arrays, const, float_input, grad_of, row_sum
from ._parallel import split
from ._rowwise_moments import followed as rowwise_followed
from ._rowwise_moments import rowwise_moments
from ._tied_grads import tied

__all__ = ["batch_norm", "native_batch_norm", "layer_norm", "native_layer_norm", "group_norm",
           "instance_norm", "rms_norm", "batch_norm_update_stats"]


def _compute_dtype(x: Any) -> Any:
    return "float32" if x.dtype.itemsize < 4 else x.dtype


def _tied_grads(name: str, gs: tuple, g: Tensor, x: Tensor, w: Tensor | None,
                needs: tuple, fused: bool = True) -> tuple:
    """Gradients computed under create_graph, tied as PyTorch ties them: batch and layer norm
    compute all three with one double-differentiable node (whose inputs include the bias for
    layer norm only); group norm's composite makes the weight's depend on the weight.
    ``fused``: show each gradient's last step as that node (not for instance norm, which
    PyTorch computes on a reshaped view)."""
    if name == "NativeGroupNormBackward0":
        if needs[1]:
            gs = (gs[0], *tied(gs[1:2], "NativeGroupNormBackward0", (g, x, w)), gs[2])
        return gs
    if needs[0] or needs[1] or (needs[2] and name == "NativeLayerNormBackward0"):
        double = name[:-1] + "Backward0"
        # each gradient's own last step shown as PyTorch's one fused node
        if fused:
            gs = tuple(r if r is None or r is g else renamed(r, double) for r in gs)
        return tied(gs, double, (g, x, w))
    return gs


def _normalize(name: str, input: Tensor, weight: Tensor | None, bias: Tensor | None,
               rshape: tuple, red: tuple, ashape: tuple, adims: tuple, eps: float,
               stats: tuple | None = None, fmt: Any = None) -> tuple[Tensor, Any, Any]:
    """``(input - mean) * invstd * weight + bias``; returns the output, mean and biased var.

    With ``stats=(mean, invstd)`` (arrays broadcastable to ``rshape``) those are used as
    constants (evaluation mode; a third entry: the invstd the gradients use); otherwise they come from ``input`` over ``red``. The output
    and the input's gradient are laid out in ``fmt``: a channels-last format,
    ``contiguous_format`` (C order), or None (as computed).
    """
    x = input._data
    xp = input._device._backend.xp
    cdt = _compute_dtype(x)
    xr = x.astype(cdt, copy=False).reshape(rshape)
    var = None
    gn_ordered = False  # group norm's float32 statistics in PyTorch's order: its gradients too
    per_channel = name == "NativeBatchNormBackward0"  # weight and statistics per channel
    if stats is None and per_channel and tuple(red) == (0,) + tuple(range(2, xr.ndim)):
        exact = _exact32(xp, x, weight, bias)
        y, mean, var = (_batch_norm_forward32 if exact else _batch_norm_forward)(
            xp, xr, _param(weight, ashape, cdt), _param(bias, ashape, cdt), red, eps)
        invstd = _invstd32(xp, var, eps) if exact else 1.0 / xp.sqrt(var + eps)
    elif stats is None and per_channel and xr.ndim > 2 and tuple(red) == tuple(range(2, xr.ndim)) \
            and fmt is contiguous_format and _exact32(xp, x, weight, bias) \
            and rowwise_followed(xr, 1):
        # instance norm, as PyTorch computes it: batch norm of the (1, N*C, *S) view
        y, mean, var = _instance_norm32(xp, xr, weight, bias, eps)
        invstd = _invstd32(xp, var, eps)
    elif stats is None and name == "NativeGroupNormBackward0" and fmt is not None \
            and fmt is not contiguous_format and _gn_cl32(xp, x, weight, bias):
        y, mean, var, invstd = group_norm_cl32(x, rshape[1], _param(weight, (-1,), cdt),
                                               _param(bias, (-1,), cdt), eps)
    elif stats is None and name == "NativeGroupNormBackward0" and fmt is contiguous_format \
            and rowwise_followed(xr, rshape[-1]) and _exact32(xp, x, weight, bias):
        y, mean, var, invstd = _group_norm32(xp, xr, weight, bias, ashape, eps)
        y = y.reshape(x.shape)
        gn_ordered = True
    elif stats is None:
        mean = xp.mean(xr, axis=red, keepdims=True)
        d = xr - mean
        var = xp.mean(d * d, axis=red, keepdims=True)
        invstd = 1.0 / xp.sqrt(var + eps)
        y = (d * invstd).reshape(x.shape)
        if weight is not None:
            y = y * weight._data.reshape(ashape)
        if bias is not None:
            y += bias._data.reshape(ashape).astype(y.dtype, copy=False)
    elif per_channel:
        # PyTorch's transform: x * alpha + beta, alpha = invstd * weight, beta = bias - mean * alpha
        mean, invstd = stats[:2]
        alpha = invstd if weight is None else \
            invstd * weight._data.reshape(ashape).astype(cdt, copy=False)
        shift = mean * alpha if bias is None else \
            bias._data.reshape(ashape).astype(cdt, copy=False) - mean * alpha
        fused = _exact32(xp, x, weight, bias) and alpha.dtype == x.dtype
        if fused:  # PyTorch's kernel: beta = fma(-mean, alpha, bias), y = fma(x, alpha, beta)
            shift = fma(-mean, alpha, 0.0 if bias is None else bias._data.reshape(ashape),
                        "float32", xp=xp)
        y = xp.empty(xr.shape, dtype=xp.result_type(xr, alpha))
        N = y.shape[0] if y.ndim > 1 else 1
        L = y.size // (N * y.shape[1]) if y.ndim > 1 and y.size else 1

        def channels(cs: slice) -> None:  # independent channels, split over the op threads
            ys = y[:, cs]
            yr = ys.reshape(N, ys.shape[1] * L)
            if fused:
                fma(xr[:, cs].reshape(yr.shape), _spread(xp, alpha[cs], L),
                    _spread(xp, shift[cs], L), "float32", out=yr, xp=xp)
                return
            xp.multiply(xr[:, cs].reshape(yr.shape), _spread(xp, alpha[cs], L), out=yr)
            if bias is None:
                yr -= _spread(xp, shift[cs], L)
            else:
                yr += _spread(xp, shift[cs], L)

        split(xp, y.shape[1] if y.ndim > 1 else 1, y.size, channels)
    else:
        mean, invstd = stats[:2]
        y = ((xr - mean) * invstd).reshape(x.shape)
        if weight is not None:
            y = y * weight._data.reshape(ashape)
        if bias is not None:
            y = y + bias._data.reshape(ashape)
    smean = mean  # the statistics the gradients use
    if stats is not None and len(stats) > 2:  # the backward kernel's own invstd
        invstd = stats[2]
    half = stats is None and H.rounds_stats(x, weight, bias)
    if half:  # PyTorch keeps them in half precision (see _norm_half)
        smean = H.rounded(mean, x.dtype)
        if per_channel:  # batch and instance norm: the output from the rounded statistics
            n = xr.size // (xr.shape[0] * xr.shape[1] or 1) * (1 if red[0] else xr.shape[0])
            invstd = H.bn_invstd(xp, var, n, eps, x.dtype)
            y = H.affine(xp, xr, smean, invstd, _param(weight, ashape, cdt),
                         _param(bias, ashape, cdt))
        else:
            invstd = H.rounded(invstd, x.dtype)
    res = make(_lay(xp, y.astype(x.dtype, copy=False), fmt), input._device)
    if grad_state.enabled and (input._rg or (weight is not None and weight._rg)
                               or (bias is not None and bias._rg)):
        train = stats is None
        needs = (input._rg, weight is not None and weight._rg, bias is not None and bias._rg)

        # layer, group and instance norm: PyTorch's half-precision formulas (layer norm's also
        # for a half-precision input with float32 parameters, as under autocast)
        exact = (half or _mixed_layer_norm(name, x, weight, bias, stats)) and (
            not per_channel or red[0] != 0)

        def vjp(g: Tensor, x: Tensor, w: Tensor | None, mean: Tensor, invstd: Tensor) -> tuple:
            if gn_ordered and not grad_state.enabled:
                N, C = x.shape[:2]
                flat = (N, C, x._data.size // (N * C))
                gs = tuple(None if a is None else make(a.reshape(sh), x._device) for a, sh in zip(
                    group_norm_grads32(g._data.reshape(flat), x._data.reshape(flat), mean._data,
                                       invstd._data, None if w is None else w._data,
                                       rshape[1], needs), (x.shape, (C,), (C,))))
            elif exact and not grad_state.enabled and not per_channel:
                gs = _half_grads(name, g, x, w, mean, invstd, rshape, needs)
            elif exact and not grad_state.enabled:
                gs = grad_of(_norm_grads, g, g, x, w, mean, invstd, rshape, red, ashape, adims,
                             eps, train, (needs[0], False, False))[:1]
                N, C = x.shape[:2]
                S = math.prod(x.shape[2:])  # (not -1: an empty batch has no size to infer)
                gw, gb = H.instance_param_grads(xp, g._data.reshape(N, C, S),
                                                x._data.reshape(N, C, S),
                                                mean._data.reshape(N, C, 1),
                                                invstd._data.reshape(N, C, 1), needs)
                dt = x._data.dtype
                gs += tuple(None if a is None else make(a.astype(dt), x._device) for a in (gw, gb))
            else:
                gs = grad_of(_norm_grads, g, g, x, w, mean, invstd, rshape, red, ashape, adims,
                             eps, train, needs)
                if grad_state.enabled:
                    gs = _tied_grads(name, gs, g, x, w, needs, not per_channel or red[0] == 0)
            gx = gs[0]
            if fmt is None or gx is None or (fmt is contiguous_format and getattr(
                    gx._data, "flags", None) is not None and gx._data.flags.c_contiguous):
                return gs
            return (gx.contiguous(memory_format=fmt),) + gs[1:]

        record(name, res, (input, weight, bias), vjp,
               (input, weight, const(smean, input), const(invstd, input)))
    return res, mean, var


def _instance_norm32(xp: Any, xr: Any, weight: Tensor | None, bias: Tensor | None,
                     eps: float) -> tuple:
    """Instance norm of a C-contiguous float32 ``(N, C, *S)`` array by PyTorch's route, batch
    norm's exact kernel on ``(1, N*C, *S)`` with the parameters repeated per sample:
    ``(y, mean, var)``, the statistics float32 ``(N, C, 1...)``."""
    n, c = xr.shape[:2]
    ones = (1,) * (xr.ndim - 2)

    def tiled(t: Tensor | None) -> Any:
        return None if t is None else xp.tile(t._data.reshape(c), n).reshape((n * c,) + ones)

    y, mean, var = _batch_norm_forward32(xp, xr.reshape((1, n * c) + xr.shape[2:]),
                                         tiled(weight), tiled(bias), tuple(range(2, xr.ndim)),
                                         eps)
    s = xr.size // (n * c)
    var = (var * s).astype(xr.dtype) / xr.dtype.type(s)  # the float32 variance it divides
    return y.reshape(xr.shape), mean.reshape((n, c) + ones), var.reshape((n, c) + ones)


def _group_norm32(xp: Any, xr: Any, weight: Tensor | None, bias: Tensor | None, ashape: tuple,
                  eps: float) -> tuple:
    """Group norm of float32 ``xr`` (N, G, n) in PyTorch's order on this processor (see
    ``_rowwise_moments``): ``(y, mean, var, invstd)``, y shaped as the input."""
    n, g, m = xr.shape
    mean, var = rowwise_moments(xr.reshape(n * g, m))
    mean = mean.reshape(n, g, 1)
    var = var.reshape(n, g, 1)
    # rstd in double: PyTorch adds its double eps to the float variance
    invstd = (1.0 / xp.sqrt(xp.maximum(var, 0).astype(xp.float64) + eps)).astype(xp.float32)
    if weight is None and bias is None:
        return (xr - mean) * invstd, mean, var, invstd
    # per channel: scale = invstd * gamma, shift = fma(-scale, mean, beta), y = fma(scale, x, shift)
    c = ashape[0]
    xc = xr.reshape(n, g, c // g, -1)
    gam = xp.ones(c, xp.float32) if weight is None else weight._data.reshape(c)
    bet = xp.zeros(c, xp.float32) if bias is None else bias._data.reshape(c)
    scale = invstd * gam.reshape(1, g, c // g)
    shift = fma(-scale, mean, bet.reshape(1, g, c // g), "float32")
    y = fma(scale[..., None], xc, shift[..., None], "float32")
    return y.reshape(xr.shape), mean, var, invstd


def _mixed_layer_norm(name: str, x: Any, weight: Tensor | None, bias: Tensor | None,
                      stats: tuple | None) -> bool:
    """Whether a training-mode layer norm has a half-precision input and float32 weight (and
    bias): PyTorch's kernel then sums the parameters' gradients in buffers of the input's
    dtype, as for an all-half layer norm."""
    return (name == "NativeLayerNormBackward0" and stats is None and weight is not None
            and H.stat_dtype(x, weight, bias) != x.dtype
            and (bias is None or bias._data.dtype == weight._data.dtype))


def _half_grads(name: str, g: Tensor, x: Tensor, w: Tensor | None, mean: Tensor,
                invstd: Tensor, rshape: tuple, needs: tuple) -> tuple:
    """Layer or group norm's gradients in half precision, as PyTorch's CPU kernels give them."""
    xp = x._device._backend.xp
    xa, ga, dt = x._data, g._data, x._data.dtype
    wa = None if w is None else w._data.reshape(-1).astype("float32")
    if name == "NativeLayerNormBackward0":
        n = rshape[-1]
        gx, gw, gb = H.layer_norm_grads(xp, ga.reshape(-1, n), xa.reshape(-1, n),
                                        mean._data.reshape(-1, 1), invstd._data.reshape(-1, 1),
                                        wa, needs, dt)
    else:
        N, groups = rshape[:2]
        flat = (N, xa.shape[1], math.prod(xa.shape[2:]))  # named, not -1: N may be 0
        gx, gw, gb = H.group_norm_grads(xp, ga.reshape(flat), xa.reshape(flat), mean._data,
                                        invstd._data, wa, groups, needs)
    # the parameters' shape: the normalized dims (layer norm) or the channels (group norm)
    pshape = xa.shape[len(rshape) - 1:] if name == "NativeLayerNormBackward0" else (-1,)
    dev = x._device
    pdt = dt if w is None else w._data.dtype  # float32 parameters of a half input: their dtype
    return (None if gx is None else make(gx.astype(dt).reshape(xa.shape), dev),
            None if gw is None else make(gw.astype(pdt).reshape(pshape), dev),
            None if gb is None else make(gb.astype(pdt).reshape(pshape), dev))


# inputs of up to this many elements take the exact path: its float64 passes cost ~3x the
# float32 kernel (ResNet-18's batch norms ~10 ms a training step), and the large inputs are
# feature maps from convolutions, whose products already differ from PyTorch's in the last bits
_EXACT_MAX = 1 << 15


def _small32(xp: Any, x: Any, *others: Any) -> bool:
    """The exact paths' common gate: NumPy, float32 ``x`` of ``_EXACT_MAX`` elements at most,
    ``others`` (arrays, or None) float32."""
    return (xp.__name__ == "numpy" and x.dtype.name == "float32" and 0 < x.size < _EXACT_MAX
            and all(a is None or a.dtype.name == "float32" for a in others))


def _exact32(xp: Any, x: Any, weight: Tensor | None, bias: Tensor | None) -> bool:
    """Whether batch norm takes PyTorch's exact float32 contiguous-kernel path (``_small32``
    with float32 parameters, a C-contiguous input of at least two dims)."""
    return (x.ndim > 1 and x.flags.c_contiguous
            and _small32(xp, x, *(t._data for t in (weight, bias) if t is not None)))


def _gn_cl32(xp: Any, x: Any, weight: Tensor | None, bias: Tensor | None) -> bool:
    """Whether a channels-last group norm takes PyTorch's float32 per-group kernel order
    (``_batch_norm_order.group_norm_cl32``): as ``_exact32`` but for the layout, planes under
    ``GN_PLANE_MAX`` positions."""
    return (_small32(xp, x, *(t._data for t in (weight, bias) if t is not None))
            and x.size // (x.shape[0] * x.shape[1]) < GN_PLANE_MAX)


def _lay(xp: Any, a: Any, fmt: Any) -> Any:
    """``a`` laid out in ``fmt`` (see ``_normalize``)."""
    if fmt is None:
        return a
    return c_order(xp, a) if fmt is contiguous_format else laid_as(xp, a, fmt)


def _param(t: Tensor | None, ashape: tuple, dtype: Any) -> Any:
    return None if t is None else t._data.reshape(ashape).astype(dtype, copy=False)


def _channel_sum(xp: Any, a: Any, red: tuple) -> Any:
    """The sum of ``a (N, C, *S)`` over every dim but the channels, kept as ``(1, C, 1...)``.

    On NumPy a matrix-vector product sums the batch (short runs in order) and a pairwise sum
    the positions: several times quicker than a reduction over dims (0, 2, ...), and as exact.
    """
    if (xp.__name__ != "numpy" or a.dtype.kind != "f" or a.dtype.itemsize < 4 or a.ndim < 2
            or a.size == 0):
        return xp.sum(a, axis=red, keepdims=True)
    N, C = a.shape[:2]
    L = a.size // (N * C)
    s = _ones_column(xp, N, a.dtype)[:, 0] @ a.reshape(N, C * L)
    return s.reshape(C, L).sum(axis=1).reshape((1, C) + (1,) * (a.ndim - 2))


_DOT_RUN = 64  # positions per channel from which a per-row dot beats a product and a sum


def _channel_dot(xp: Any, a: Any, b: Any, red: tuple) -> Any:
    """The sum of ``a * b`` over every dim but the channels, as ``(1, C, 1...)``: on NumPy,
    for planes of at least ``_DOT_RUN`` positions, one dot per sample and channel with no
    product array in between (3-4x quicker)."""
    if (xp.__name__ == "numpy" and a.ndim > 2 and a.dtype.kind == "f" and a.dtype.itemsize >= 4
            and a.size and a.size // (a.shape[0] * a.shape[1]) >= _DOT_RUN):
        N, C = a.shape[:2]
        d = xp.vecdot(a.reshape(N, C, -1), b.reshape(N, C, -1))
        return d.sum(axis=0).reshape((1, C) + (1,) * (a.ndim - 2))
    return _channel_sum(xp, a * b, red)


def _spread(xp: Any, v: Any, L: int) -> Any:
    """Per-channel values ``v (1, C', 1...)`` repeated over each channel's ``L`` positions, to
    act on a block of channels seen as ``(N, C' * L)`` rows: one long run per sample instead of
    one short broadcast run per channel and sample (1.5-2x quicker on NumPy for small planes)."""
    v = v.reshape(-1)
    return v if L == 1 else xp.repeat(v, L)


def _batch_norm_rows(xp: Any, x: Any, w: Any, b: Any, eps: float) -> tuple:
    """Batch norm's training forward on ``(N, C)`` float32 rows, the statistics in float64."""
    x64 = x.astype("float64")
    m64 = xp.mean(x64, axis=0, keepdims=True)
    d64 = x64 - m64
    mean = m64.astype(x.dtype)
    var = xp.mean(d64 * d64, axis=0, keepdims=True).astype(x.dtype)
    scale = 1.0 / xp.sqrt(var + eps)
    y = (x - mean) * (scale if w is None else scale * w.reshape(scale.shape))
    if b is not None:
        y += b.reshape(scale.shape)
    return y, mean, var


def _batch_norm_forward32(xp: Any, x: Any, w: Any, b: Any, red: tuple, eps: float) -> tuple:
    """Batch norm's training forward on a C-contiguous float32 ``(N, C, *S)`` array, bit for bit
    as PyTorch's CPU kernel: the mean from a float64 sum, rounded; the variance from a float64
    sum of the float32 ``(x - mean)^2``, rounded and divided by n in float32; then
    ``alpha = invstd * weight``, ``beta = fma(-mean, alpha, bias)`` and
    ``y = fma(x, alpha, beta)``. Returns the output, the mean and the biased variance."""
    N, C = x.shape[:2]
    L = x.size // (N * C)
    n = N * L
    stat = (1, C) + (1,) * (x.ndim - 2)
    y = xp.empty(x.shape, dtype=x.dtype)
    mean, var = xp.empty(stat, dtype=x.dtype), xp.empty(stat, dtype="float64")

    rows = L == 1 and N > _threads[0]  # (N, C[, 1...]): the kernel's per-thread row buffers

    def channels(cs: slice) -> None:
        x64 = x[:, cs].astype("float64")
        ys = y[:, cs]
        yr = ys.reshape(N, ys.shape[1] * L)
        if rows:
            m, vsum = _thread_row_stats(xp, x[:, cs].reshape(yr.shape), yr)
            m, vsum = (a.reshape(stat[:1] + (-1,) + stat[2:]) for a in (m, vsum))
        else:
            m = (_channel_sum(xp, x64, red) / n).astype(x.dtype)
            xp.subtract(x[:, cs].reshape(yr.shape), _spread(xp, m, L), out=yr)
            vsum = _channel_sum(xp, (ys * ys).astype("float64"), red).astype(x.dtype)
        v = vsum / x.dtype.type(n)
        alpha = (1.0 / xp.sqrt(v.astype("float64") + eps)).astype(x.dtype)
        v = vsum.astype("float64") / n  # carries the float32 sum (running variance: sum / (n-1))
        if w is not None:
            alpha = alpha * w[cs]
        beta = fma(-m, alpha, 0.0 if b is None else b[cs], "float32", xp=xp)
        fma(x64.reshape(yr.shape), _spread(xp, alpha, L), _spread(xp, beta, L), "float32",
            out=yr, xp=xp)
        mean[:, cs], var[:, cs] = m, v

    quiet(split, xp, C, x.size, channels)
    return y, mean, var


def _thread_row_stats(xp: Any, x: Any, d: Any) -> tuple:
    """The mean and sum of squared deviations of float32 rows ``x (N, C)`` as PyTorch's
    channels-last statistics kernel (which also takes ``(N, C, 1...)`` inputs) forms them once
    there are more rows than threads: each of its T threads sums a block of ceil(N / T) rows
    in float32 (the squares by FMA), and the blocks are added in float64. Writes the
    deviations ``x - mean`` into ``d``."""
    N, C = x.shape
    T = _threads[0]
    k = -(-N // T)
    pad = xp.zeros((T * k, C), dtype=x.dtype)
    pad[:N] = x
    # running sums (not a reduce: one channel's would pair up, NumPy's pairwise sum)
    m = (xp.cumsum(xp.cumsum(pad.reshape(T, k, C), axis=1)[:, -1].astype("float64"),
                   axis=0)[-1] / N).astype(x.dtype)
    xp.subtract(x, m, out=d)
    pad[:N] = d
    blocks = pad.reshape(T, k, C)
    acc = xp.zeros((T, C), dtype=x.dtype)
    for j in range(k):  # sequential FMA accumulation, all the threads' blocks at once
        r = blocks[:, j].astype("float64")
        acc = (r * r + acc).astype(x.dtype)
    return m, xp.cumsum(acc.astype("float64"), axis=0)[-1].astype(x.dtype)


def _batch_norm_forward(xp: Any, x: Any, w: Any, b: Any, red: tuple, eps: float) -> tuple:
    """Batch norm's training forward on arrays: the output, batch mean and biased variance.

    Each channel is independent, so the channels are split over the op threads; within one
    it computes ``(x - mean) * (invstd * weight) + bias``.
    """
    N, C = x.shape[:2]
    if x.ndim == 2 and x.dtype.name == "float32" and x.size:
        # (N, C): PyTorch accumulates the statistics in double; nearly constant features
        # (x - mean small against mean) need it for gradients as accurate as its
        return quiet(_batch_norm_rows, xp, x, w, b, eps)
    L = x.size // (N * C) if N * C else 0
    stat = (1, C) + (1,) * (x.ndim - 2)
    y = xp.empty(x.shape, dtype=x.dtype)
    mean, var = xp.empty(stat, dtype=x.dtype), xp.empty(stat, dtype=x.dtype)

    n = x.size // C if C else 0

    def channels(cs: slice) -> None:
        xs, ys = x[:, cs], y[:, cs]
        m = _channel_sum(xp, xs, red) / n if n else xp.mean(xs, axis=red, keepdims=True)
        yr = ys.reshape(N, ys.shape[1] * L)
        xp.subtract(xs.reshape(yr.shape), _spread(xp, m, L), out=yr)
        v = _channel_dot(xp, ys, ys, red) / n if n else xp.mean(ys * ys, axis=red,
                                                                keepdims=True)
        scale = 1.0 / xp.sqrt(v + eps)
        yr *= _spread(xp, scale if w is None else scale * w[cs], L)
        if b is not None:
            yr += _spread(xp, b[cs], L)
        mean[:, cs], var[:, cs] = m, v

    quiet(split, xp, C, x.size, channels)  # inf - inf: NaN, with no warning (the workers too)
    return y, mean, var


def _norm_grads(m: Any, g: Any, x: Any, w: Any, mean: Any, invstd: Any, rshape: tuple,
                red: tuple, ashape: tuple, adims: tuple, eps: float, train: bool,
                needs: tuple) -> tuple:
    xshape = tuple(x.shape)
    dx, dw = x.dtype, (w.dtype if w is not None else None)
    if not m.tensor and tuple(rshape) == xshape and _ordered32(m.xp, g, x, w) \
            and x.size > x.shape[0] * x.shape[1]:  # (planes: rows measured off in a program)
        if tuple(red) == tuple(adims):  # batch norm: PyTorch's kernel order
            return batch_norm_grads32(g, x, mean, invstd, w, needs, train)
        if train and tuple(red) == tuple(range(2, x.ndim)) and rowwise_followed(x, 1):
            return instance_norm_grads32(g, x, mean, invstd, w, needs)
    if not m.tensor and x.dtype.itemsize < 4:
        x, g = x.astype("float32"), g.astype("float32")
        w = w.astype("float32") if w is not None else None
    xr = x.reshape(rshape)
    if train and not m.tensor and tuple(rshape) == xshape and tuple(red) == tuple(adims):
        return _batch_norm_grads(m, g, xr, w, mean, invstd, red, ashape, needs, dx, dw)
    if train and m.tensor:  # recompute the statistics so that they carry their own graph
        mean = m.mean(xr, red, True)
        d = xr - mean
        invstd = m.rsqrt(m.mean(d * d, red, True) + eps)
    xhat = (xr - mean) * invstd
    gx = gw = gb = None
    if needs[0]:
        gy = g if w is None else g * w.reshape(ashape)
        gr = gy.reshape(rshape)
        if train:
            gr = gr - m.mean(gr, red, True) - xhat * m.mean(gr * xhat, red, True)
        gx = m.cast((gr * invstd).reshape(xshape), _Like(dx))
    if needs[1]:
        gxh = g * xhat.reshape(xshape)
        gw = m.cast((m.sum(gxh, adims) if adims else gxh).reshape(w.shape), _Like(dw))
    if needs[2]:
        gb = m.sum(g, adims) if adims else g
        # the bias's dtype (float32 parameters of a half input keep the float32 sum)
        gb = m.cast(gb.reshape(tuple(n for i, n in enumerate(xshape) if i not in adims)),
                    _Like(dx if dw is None else dw))
    return gx, gw, gb


def _ordered32(xp: Any, g: Any, x: Any, w: Any) -> bool:
    """Whether batch and instance norm's gradients follow PyTorch's float32 kernel order
    (``_batch_norm_order``): under the forward's gate (``_exact32``), a float32 gradient."""
    return x.ndim > 1 and x.flags.c_contiguous and _small32(xp, x, g, w)


def _batch_norm_grads(m: Any, g: Any, x: Any, w: Any, mean: Any, invstd: Any, red: tuple,
                      ashape: tuple, needs: tuple, dx: Any, dw: Any) -> tuple:
    """Batch norm's first-order gradients on arrays, in PyTorch's CPU order of operations:
    ``dx = (g - mean(g) - (x - mean) * dot(x - mean, g) * invstd^2 / n) * invstd * w``.
    The channels are independent and split over the op threads."""
    xp = m.xp
    n = x.size // x.shape[1] if x.ndim > 1 and x.shape[1] else 1
    N, c = x.shape[:2]
    L = n // N if N else 0
    stat = (1, c) + (1,) * (x.ndim - 2)
    dt = xp.result_type(x, g)
    sum_g, dotp = xp.empty(stat, dtype=dt), xp.empty(stat, dtype=dt)
    gr = xp.empty(x.shape, dtype=dt) if needs[0] else None
    wa = None if w is None else w.reshape(ashape)

    def channels(cs: slice) -> None:
        gs = g[:, cs]
        rows = (N, gs.shape[1] * L)
        xm = xp.subtract(x[:, cs].reshape(rows), _spread(xp, mean[:, cs], L))
        sg = _channel_sum(xp, gs, red)
        dp = _channel_dot(xp, xm.reshape(gs.shape), gs, red)
        sum_g[:, cs], dotp[:, cs] = sg, dp
        if needs[0]:
            inv = invstd[:, cs]
            k = dp * inv * inv / n
            xm *= _spread(xp, k, L)  # xm is ours: reuse it for (x - mean) * k
            out = gr[:, cs].reshape(rows)
            xp.subtract(gs.reshape(rows), _spread(xp, sg / n, L), out=out)
            out -= xm
            out *= _spread(xp, inv if wa is None else inv * wa[cs], L)

    split(xp, c, x.size, channels)
    gx = gw = gb = None
    if needs[0]:
        gx = m.cast(gr, _Like(dx))
    if needs[1]:
        gw = m.cast((dotp * invstd).reshape(c), _Like(dw))
    if needs[2]:
        gb = m.cast(sum_g.reshape(c), _Like(dx if dw is None else dw))  # the bias's dtype
    return gx, gw, gb


class _Like:
    """Stands in for an array of dtype ``dtype`` in ``m.cast``."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype


def _channel_checks(x: Any, c: int, **tensors: Tensor | None) -> None:
    for name, t in tensors.items():
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool = True) -> Tensor:
    """Batch normalization over all dims but 1, with running statistics updated in place."""
    if input.numel() == 0:  # as PyTorch: no statistics, and still a graph through the affine
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        if bias is not None:
            out = out + bias[0]
        return out
    return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                             eps)[0]


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``batch_norm`` also returning the batch mean and inverse std (empty in evaluation)."""
    x = float_input(input, "batch_norm")
    c = x.shape[1] if x.ndim > 1 else 0
    _channel_checks(x, c, running_mean=running_mean, running_var=running_var, weight=weight,
                    bias=bias)
    nd = x.ndim
    red = (0,) + tuple(range(2, nd))
    ashape = (c,) + (1,) * (nd - 2)
    xp = input._device._backend.xp
    if training:
        res, mean, var = _normalize("NativeBatchNormBackward0", input, weight, bias, x.shape,
                                    red, ashape, red, eps, fmt=cl_format(x) or contiguous_format)
        n = x.size // c if c else 0
        exact = var.dtype.name == "float64" and x.dtype.name == "float32"  # see _exact32
        if running_mean is not None or running_var is not None:
            _update_running(running_mean, running_var, mean.reshape(c),
                            _unbiased32(var.reshape(c), n) if exact else
                            _unbiased(var.reshape(c), n), momentum, exact)
        sdt = H.stat_dtype(x, weight, bias)
        invstd = H.bn_invstd(xp, var.reshape(c), n, eps, x.dtype) if sdt == x.dtype and \
            x.dtype.itemsize == 2 else _invstd32(xp, var.reshape(c), eps) if exact else \
            1.0 / xp.sqrt(var.reshape(c) + eps)
        return res, make(mean.reshape(c).astype(sdt), input._device), \
            make(invstd.astype(sdt), input._device)
    if running_mean is None or running_var is None:
        raise RuntimeError(
            f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation "
            "mode")
    cdt = _compute_dtype(x)
    rm = running_mean._data.astype(cdt, copy=False).reshape(ashape)
    rv = running_var._data.astype(cdt, copy=False).reshape(ashape)
    rinv = 1.0 / xp.sqrt(rv + eps)
    res = _normalize("NativeBatchNormBackward0", input, weight, bias, x.shape, red, ashape, red,
                     eps, _eval_stats(xp, x, rm, rinv, rv, eps, weight, bias),
                     cl_format(x) or contiguous_format)[0]
    empty = make(xp.zeros((0,), dtype=x.dtype), input._device)
    return res, empty, make(empty._data.copy(), input._device)


def _eval_stats(xp: Any, x: Any, rm: Any, rinv: Any, rv: Any, eps: float,
                weight: Tensor | None, bias: Tensor | None) -> tuple:
    """Evaluation mode's ``stats`` for ``_normalize``: under the exact gate, with the float32
    invstd PyTorch's backward kernel computes (its root in float64, the forward's in float32)."""
    if rv.dtype.name == "float32" and _exact32(xp, x, weight, bias):
        return rm, rinv, eval_invstd32(rv, eps)
    return rm, rinv


def _invstd32(xp: Any, var: Any, eps: float) -> Any:
    """PyTorch's float32 ``1 / sqrt(var + eps)``: the float32 variance, the root in float64."""
    return (1.0 / xp.sqrt(var.astype("float32").astype("float64") + eps)).astype("float32")


def _unbiased32(var: Any, n: int) -> Any:
    """The float32 ``var_sum / (n - 1)`` of ``_batch_norm_forward32``'s float64 ``var``."""
    vsum = (var * n).astype("float32")
    return vsum / vsum.dtype.type(n - 1) if n > 1 else vsum * math.inf


def _unbiased(var: Any, n: int) -> Any:
    return var * (n / (n - 1)) if n > 1 else var * math.inf


def _update_running(running_mean: Tensor | None, running_var: Tensor | None, mean: Any,
                    var: Any, momentum: float, exact: bool = False) -> None:
    """``running = (1 - momentum) * running + momentum * batch``, in place (half-precision
    buffers: in float32, rounded once, as PyTorch does; a bfloat16 running mean in bfloat16
    steps, momentum included)."""
    for t, v in ((running_mean, mean), (running_var, var)):
        if t is None:
            continue
        r = t._data
        if t is running_mean and r.dtype.name == "bfloat16":
            dt, xp = r.dtype, t._device._backend.xp
            a, b = (H.rounded(xp.asarray(m, dtype="float32"), dt) for m in (momentum,
                                                                          1 - momentum))
            _inplace.write(t, (H.rounded(a * H.rounded(v.astype("float32"), dt), dt)
                               + H.rounded(b * r.astype("float32"), dt)).astype(dt))
        elif exact and t is running_var and r.dtype.name == "float32":
            # PyTorch: momentum * var + (1 - momentum) * running, the sum in float64
            m32 = r.dtype.type(momentum)
            _inplace.write(t, (float(m32) * var.astype("float64")
                               + (r.dtype.type(1) - m32) * r).astype(r.dtype))
        elif r.dtype.itemsize == 2:
            r32 = r.astype("float32")
            _inplace.write(t, (momentum * v.astype("float32") + (1 - momentum) * r32).astype(
                r.dtype))
        else:
            _inplace.write(t, r * (1 - momentum) + v.astype(r.dtype) * momentum)


def _check_normalized_shape(x: Any, normalized_shape: Any, weight: Tensor | None,
                            bias: Tensor | None, op: str = "layer_norm") -> tuple:
    ns = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(
        int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t._data.shape)} and normalized_shape = {list(ns)}")
    if x.ndim < k and op == "rms_norm":  # PyTorch's rms_norm checks the rank first
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got {x.ndim}")
    if x.ndim < k or tuple(x.shape[x.ndim - k:]) != ns:
        star = "[*" if op == "rms_norm" else "[*, "
        raise RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape "
            f"{star}{', '.join(str(s) for s in ns)}], but got input of size{list(x.shape)}")
    return ns


@autocast_op("layer_norm")
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    """Normalization over the trailing ``normalized_shape`` dims, with elementwise affine."""
    return native_layer_norm(input, normalized_shape, weight, bias, eps)[0]


def native_layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None,
                      bias: Tensor | None, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``layer_norm`` also returning the mean and inverse std (shape ``[*, 1, ..., 1]``)."""
    x = float_input(input, "layer_norm")
    ns = _check_normalized_shape(x, normalized_shape, weight, bias)
    lead = x.ndim - len(ns)
    n = 1
    for s in ns:
        n *= s
    rshape = tuple(x.shape[:lead]) + (n,)
    xp = input._device._backend.xp
    sshape = tuple(x.shape[:lead]) + (1,) * len(ns)
    if _fast_rows(xp, x, weight, bias) and n:
        return _layer_norm_rows(input, weight, bias, rshape, ns, sshape, eps)
    res, mean, var = _normalize("NativeLayerNormBackward0", input, weight, bias, rshape, (lead,),
                                ns, tuple(range(lead)), eps)
    sdt = H.stat_dtype(x, weight, bias)
    return (res, make(mean.reshape(sshape).astype(sdt), input._device),
            make((1.0 / xp.sqrt(var + eps)).reshape(sshape).astype(sdt), input._device))


def _fast_rows(xp: Any, x: Any, weight: Tensor | None, bias: Tensor | None) -> bool:
    """Whether layer norm may take the row kernel (NumPy BLAS floats, one dtype)."""
    dt = x.dtype
    return (xp.__name__ == "numpy" and dt.name in ("float32", "float64") and x.size > 0
            and (weight is None or weight._data.dtype == dt)
            and (bias is None or bias._data.dtype == dt))


def _layer_norm_rows(input: Tensor, weight: Tensor | None, bias: Tensor | None, rshape: tuple,
                     ns: tuple, sshape: tuple, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """Layer norm of the rows of a (rows, n) view in a few in-place passes; row sums are
    matrix-vector products (NumPy reduces short last axes slowly)."""
    x = input._data
    xp = input._device._backend.xp
    n = rshape[-1]
    x2 = xp.ascontiguousarray(x.reshape(-1, n))  # a transposed 2-D view stays one: C as PyTorch
    ordered = rowwise_followed(x2, n)
    if ordered:  # float32 on Intel: PyTorch's statistics to the bit
        mean, var = rowwise_moments(x2)
        mean = mean.reshape(-1, 1)
        var = var.reshape(-1, 1)
        xhat = x2 - mean
    else:
        mean = row_sum(xp, x2)
        mean *= 1.0 / n
        xhat = x2 - mean
        var = xp.einsum("ij,ij->i", xhat, xhat).reshape(-1, 1)
        var *= 1.0 / n
    var += eps
    rstd = xp.sqrt(var, out=var)
    xp.reciprocal(rstd, out=rstd)
    w = weight._data.reshape(n) if weight is not None else None
    b = bias._data.reshape(n) if bias is not None else None
    y = None
    if ordered and w is None and b is not None:  # PyTorch: fma(x - mean, rstd, bias)
        y = fma(xhat, rstd, b, x.dtype)
    xhat *= rstd
    if y is not None:
        pass
    elif w is not None:
        if b is not None and ordered:  # PyTorch's kernel fuses the affine step
            y = fma(xhat, w, b, x.dtype)
        else:
            y = xhat * w
            if b is not None:
                y += b
    else:
        y = xhat + b if b is not None else xhat
    dev = input._device
    res = make(y.reshape(x.shape), dev)
    if grad_state.enabled and (input._rg or (weight is not None and weight._rg)
                               or (bias is not None and bias._rg)):
        needs = (input._rg, weight is not None and weight._rg, bias is not None and bias._rg)
        lead = len(rshape) - 1
        mshape = rshape[:-1] + (1,)
        keep = y is not xhat  # xhat is private unless it is the output itself

        def vjp(g: Tensor, x: Tensor, w: Tensor | None, mean: Tensor, rstd: Tensor,
                xh: Tensor | None) -> tuple:
            if grad_state.enabled:  # create_graph: Ember ops, statistics recomputed
                gs = grad_of(_norm_grads, g, g, x, w, mean.reshape(mshape),
                             rstd.reshape(mshape), rshape, (lead,), ns,
                             tuple(range(lead)), eps, True, needs)
                return _tied_grads("NativeLayerNormBackward0", gs, g, x, w, needs)
            if ordered:  # PyTorch's kernel order (its statistics followed, float32)
                gs = layer_norm_grads32(g._data.reshape(-1, n), x._data.reshape(-1, n),
                                        mean._data, rstd._data,
                                        None if w is None else w._data.reshape(n), needs)
            else:
                xh_ = xh._data if xh is not None else (x._data.reshape(-1, n) - mean._data) \
                    * rstd._data
                gs = _layer_norm_grads(xp, g._data.reshape(-1, n), xh_, rstd._data,
                                       None if w is None else w._data.reshape(n), needs)
            shapes = (tuple(x.shape), ns, ns)
            return tuple(None if a is None else make(a.reshape(shapes[i]), dev)
                         for i, a in enumerate(gs))

        record("NativeLayerNormBackward0", res, (input, weight, bias), vjp,
               (input, weight, const(mean, input), const(rstd, input),
                const(xhat, input) if keep else None))
    return (res, make(mean.reshape(sshape).astype(x.dtype, copy=False), dev),
            make(rstd.reshape(sshape).astype(x.dtype, copy=False), dev))


def _layer_norm_grads(xp: Any, g: Any, xhat: Any, rstd: Any, w: Any, needs: tuple) -> tuple:
    """Array gradients of layer norm over rows: (input, weight, bias)."""
    gx = gw = gb = None
    if needs[0]:
        n = g.shape[1]
        gy = g * w if w is not None else g.copy()
        dot = xp.einsum("ij,ij->i", gy, xhat).reshape(-1, 1)
        dot *= 1.0 / n
        tot = row_sum(xp, gy)
        tot *= 1.0 / n
        gy -= tot
        gy -= xhat * dot
        gy *= rstd
        gx = gy
    if needs[1]:
        gw = xp.einsum("ij,ij->j", g, xhat)
    if needs[2]:
        gb = xp.matmul(xp.ones(g.shape[0], dtype=g.dtype), g)
    return gx, gw, gb


@autocast_op("group_norm")
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    """Normalization over groups of channels (and all spatial dims) per sample."""
    x = float_input(input, "group_norm")
    n, c = x.shape[0], x.shape[1]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(x.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t._data.shape)} and input of shape "
                f"{list(x.shape)}")
    ashape = (c,) + (1,) * (x.ndim - 2)
    adims = (0,) + tuple(range(2, x.ndim))
    return _normalize("NativeGroupNormBackward0", input, weight, bias,
                      (n, num_groups, math.prod(x.shape[1:]) // num_groups), (2,), ashape,
                      adims, eps, fmt=cl_format(x) or contiguous_format)[0]  # (as PyTorch's)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool = True) -> Tensor:
    """Normalization over the spatial dims of each sample and channel."""
    x = float_input(input, "instance_norm")
    c = x.shape[1]
    _channel_checks(x, c, weight=weight, bias=bias)
    nd = x.ndim
    ashape = (c,) + (1,) * (nd - 2)
    adims = (0,) + tuple(range(2, nd))
    if use_input_stats:
        red = tuple(range(2, nd))
        # PyTorch normalises a (1, N*C, ...) view of a C-ordered copy: C order out and back
        res, mean, var = _normalize("NativeBatchNormBackward0", input, weight, bias, x.shape, red,
                                    ashape, adims, eps, fmt=contiguous_format)
        if running_mean is not None or running_var is not None:
            _channel_checks(x, c, running_mean=running_mean, running_var=running_var)
            n = x.size // (x.shape[0] * c) if x.size else 0
            if not x.shape[0]:  # an empty batch: NaN statistics as PyTorch's, no NumPy warning
                mean = var = mean.reshape(-1, c).sum(0) + float("nan")
                _update_running(running_mean, running_var, mean, var, momentum)
            else:
                _update_running(running_mean, running_var, mean.reshape(-1, c).mean(0),
                                _unbiased(var, n).reshape(-1, c).mean(0), momentum)
        return _viewed_back(res)
    if running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    xp = input._device._backend.xp
    cdt = _compute_dtype(x)
    rm = running_mean._data.astype(cdt, copy=False).reshape(ashape)
    rv = running_var._data.astype(cdt, copy=False).reshape(ashape)
    rinv = 1.0 / xp.sqrt(rv + eps)
    return _viewed_back(_normalize("NativeBatchNormBackward0", input, weight, bias, x.shape,
                                   adims, ashape, adims, eps,
                                   _eval_stats(xp, x, rm, rinv, rv, eps, weight, bias),
                                   contiguous_format)[0])


def _viewed_back(res: Tensor) -> Tensor:
    """PyTorch batch-norms a ``(1, N*C, ...)`` view of the input and views the result back:
    the output is a view (``_base`` set, ``ViewBackward0`` over the batch norm's node), so an
    in-place op after it (``ReLU(inplace=True)``) rebases through ``CopySlices``."""
    from .shape import view_out

    shape = res._data.shape
    return view_out(res, res._data.reshape(shape), lambda t: t.view(shape), "ViewBackward0",
                    lambda g: (g,))


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``input * rsqrt(mean(input**2) + eps) * weight`` over the trailing dims."""
    x = float_input(input, "rms_norm")
    ns = _check_normalized_shape(x, normalized_shape, weight, None, "rms_norm")
    xp = input._device._backend.xp
    if eps is None:
        import numpy as np

        eps = float(np.finfo(_compute_dtype(x)).eps)  # half: float32's, as PyTorch computes
    red = tuple(range(x.ndim - len(ns), x.ndim))
    xc = x.astype(_compute_dtype(x), copy=False)
    # PyTorch's composite: pow(x, 2).mean(dims) (its sum's order), add eps, rsqrt, mul
    r = 1.0 / xp.sqrt(mean_array(xp, xc * xc, red, True) + eps)
    y = xc * r
    if weight is not None:
        y = y * weight._data
    name = "ToCopyBackward0" if input._data.dtype.itemsize == 2 else "MulBackward0"
    flags = getattr(y, "flags", None)
    if flags is not None and not flags.c_contiguous:
        # PyTorch's composite ends in .contiguous(input.suggest_memory_format()): a
        # channels-last input stays so, any other permuted one is copied to C order
        fmt = cl_format(x)
        if fmt is not None:
            y = laid_as(xp, y, fmt)
        else:
            y = xp.ascontiguousarray(y)
            name = "CloneBackward0" if name == "MulBackward0" else name
    res = make(y.astype(x.dtype, copy=False), input._device)
    if grad_state.enabled and (input._rg or (weight is not None and weight._rg)):
        lead = tuple(range(x.ndim - len(ns)))
        needs = (input._rg, weight is not None and weight._rg)

        half = x.dtype.itemsize == 2

        def grads(m: Any, g: Any, x: Any, w: Any) -> tuple:
            if not half and not m.tensor and xp.__name__ == "numpy":
                return _rms_norm_grads(xp, g, x, w, red, eps, needs)
            xd, wd = x.dtype, None if w is None else w.dtype
            if half:  # PyTorch's composite runs in float32 between its two casts
                g, x, w = (None if v is None else v.float() if m.tensor else
                           v.astype("float32") for v in (g, x, w))
            r = m.rsqrt(m.mean(x * x, red, True) + eps)
            gx = gw = None
            if needs[0]:
                gy = g if w is None else g * w
                gx = r * gy - x * (r * r * r) * m.mean(gy * x, red, True)
            if needs[1]:
                gw = g * x * r
                gw = m.sum(gw, lead) if lead else gw
            if half and not m.tensor:
                gx = None if gx is None else gx.astype(xd)
                gw = None if gw is None else gw.astype(wd)
            elif half:
                gx = None if gx is None else gx.to(xd)
                gw = None if gw is None else gw.to(wd)
            return gx, gw

        # PyTorch's CPU rms_norm is a composite: its last step a product (a cast for halves)
        record(name, res, (input, weight), lambda g, x, w: grad_of(grads, g, g, x, w), (input, weight))
    return res


def _rms_norm_grads(xp: Any, g: Any, x: Any, w: Any, red: tuple, eps: float,
                    needs: tuple) -> tuple:
    """rms_norm's array gradients as PyTorch's autograd runs its composite's nodes (each step
    rounded; the sums in its order): ``(dx, dweight)``."""
    r = 1.0 / xp.sqrt(mean_array(xp, x * x, red, True) + eps)
    gx = gw = None
    gy = g if w is None else g * w
    if needs[0]:
        n = 1
        for d in red:
            n *= x.shape[d]
        gr = cascade_sum(gy * x, red, True)  # MulBackward0 (x * r): the rstd's gradient
        if gr is None:
            gr = xp.sum(gy * x, axis=red, keepdims=True)
        with xp.errstate(all="ignore"):  # (an empty row: NaN statistics, as PyTorch's)
            ga = (gr * -0.5) * (r * r * r)  # RsqrtBackward0
            gx = gy * r + (ga / x.dtype.type(n)) * (x * 2)  # MeanBackward1, PowBackward0, sum
    if needs[1]:
        gw = g * (x * r)
        lead = tuple(range(x.ndim - len(red)))
        if lead:
            s = cascade_sum(gw, lead, False)
            gw = xp.sum(gw, axis=lead) if s is None else s
    return gx, gw


def _laid_like(xp: Any, y: Any, x: Any) -> Any:
    """``y`` (C order) laid out as the elementwise result of ``x`` is: in ``x``'s order of
    dims (PyTorch's TensorIterator follows its first operand)."""
    fmt = cl_format(x)
    if fmt is not None:
        return laid_as(xp, y, fmt)
    flags = getattr(x, "flags", None)
    if flags is None or flags.c_contiguous:
        return y
    out = xp.empty_like(x)
    out[...] = y
    return out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalization by the sum of squares over ``size`` neighbouring channels."""
    x = float_input(input, "local_response_norm")
    if x.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.shape[0] == 0 or x.size == 0:
        return make(x.copy(), input._device)
    xp = input._device._backend.xp
    m = arrays(xp)
    before, after = size // 2, (size - 1) // 2

    def window(m: Any, v: Any, lo: int, hi: int) -> Any:
        """Sum over channels ``c - lo .. c + hi`` (zero outside)."""
        c = v.shape[1]
        if m.tensor:
            total = None
            for s in range(-lo, hi + 1):  # a loop over the window, not over elements
                n = c - abs(s)
                if n <= 0:
                    continue
                pieces = [v.narrow(1, max(0, s), n)]
                if s:  # zeros where the shifted window leaves the channels
                    z = v.narrow(1, 0, abs(s)) * 0
                    pieces = [z] + pieces if s < 0 else pieces + [z]
                piece = m.cat(pieces, 1)
                total = piece if total is None else total + piece
            return total
        xp = m.xp
        pad = [(0, 0)] * v.ndim
        pad[1] = (lo + 1, hi)
        cs = xp.cumsum(xp.pad(v, pad), axis=1)
        return xp.take(cs, xp.arange(lo + hi + 1, lo + hi + 1 + c), axis=1) - xp.take(
            cs, xp.arange(0, c), axis=1)

    def forward(m: Any, x: Any) -> Any:
        return x * (window(m, x * x, before, after) * (alpha / size) + k) ** -beta

    # PyTorch's is composite: the output keeps the input's layout (channels-last or any
    # other order of its dims), the gradient the incoming gradient's
    res = make(_laid_like(xp, forward(m, x).astype(x.dtype, copy=False), x), input._device)
    if grad_state.enabled and input._rg:
        def grads(m: Any, g: Any, x: Any) -> Any:
            d = window(m, x * x, before, after) * (alpha / size) + k
            t = g * x * d ** (-beta - 1)
            return g * d ** -beta - x * window(m, t, after, before) * (2 * alpha * beta / size)

        record("DivBackward0", res, (input,),  # PyTorch's composite ends in a division
               lambda g, x: (relaid(grad_of(grads, g, g, x), cl_format(g._data)),), (input,))
    return res


def batch_norm_update_stats(input: Tensor, running_mean: Tensor | None,
                            running_var: Tensor | None, momentum: float) -> tuple:
    """``torch.batch_norm_update_stats``: the per-channel (dim 1) mean and biased variance of
    ``input``; ``running_mean`` and ``running_var`` (the unbiased one) move ``momentum`` of
    the way towards them, in place. Backward through the results raises, as in PyTorch."""
    from ..autograd.grad_mode import no_grad

    dims = (0, *range(2, input.ndim))
    with no_grad():
        mean, var = input.mean(dims), input.var(dims, correction=0)
        if running_mean is not None:
            running_mean.copy_(running_mean * (1 - momentum) + mean * momentum)
        if running_var is not None:
            running_var.copy_(running_var * (1 - momentum)
                              + input.var(dims, correction=1) * momentum)
    from .linalg_extra import _no_derivative

    name = "batch_norm_update_stats"
    return _no_derivative(name, mean, input), _no_derivative(name, var, input)
