"""Classification losses: nll_loss and cross_entropy (one fused node each, gradient
``softmax - target`` directly), margin losses over classes, cosine embedding and triplet
losses. The elementwise losses live in ``loss_elementwise``, CTC in ``loss_ctc``; this
module re-exports them.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from . import loss_composite as _composite
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, leave_unchecked, make, record, renamed
from ._fma import fma, fma_dtype
from ._inplace import _type_name
from ._nn_math import (
    arrays,
    const,
    grad_of,
    int_dtype_name,
    log_softmax_array,
    log_softmax_half,
    nll_sum,
    nll_sum_half,
    reduce_array,
    reduction_enum,
)
from .distance import __all__ as _distance_all
from .distance import cdist, cosine_similarity, pairwise_distance, pdist
from .loss_ctc import __all__ as _ctc_all
from .loss_ctc import ctc_loss
from .loss_elementwise import __all__ as _ew_all
from .loss_elementwise import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    expand_grad,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    not_differentiable,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)

__all__ = (["cosine_embedding_loss", "triplet_margin_loss"] + list(_ew_all) + list(_ctc_all)
           + list(_distance_all))

_reexported = (binary_cross_entropy, binary_cross_entropy_with_logits, gaussian_nll_loss,
               hinge_embedding_loss, huber_loss, kl_div, l1_loss, margin_ranking_loss, mse_loss,
               poisson_nll_loss, smooth_l1_loss, soft_margin_loss, ctc_loss, cdist,
               cosine_similarity, pairwise_distance, pdist)


def _sample_loss(name: str, per: Any, inputs: tuple, grads: Any, red: int, saved: tuple,
                 dev: Any) -> Tensor:
    """Reduce per-sample losses; ``grads(gs, *saved)`` maps per-sample upstream gradients."""
    xp = dev._backend.xp
    res = make(reduce_array(xp, per, red), dev)
    if grad_state.enabled and any(isinstance(t, Tensor) and t._rg for t in inputs):
        shape, n = per.shape, per.size
        record(name, res, inputs,
               lambda g, *s: grads(expand_grad(g, red, shape, n), *s), saved)
    return res


# ------------------------------------------------------------------ class-index targets
def _class_layout(input: Tensor, target: Tensor, weight: Tensor | None) -> tuple:
    """(C, input as (M, C), target as (M,)) after PyTorch's shape and dtype checks."""
    x, t = input._data, target._data
    nd = x.ndim
    # PyTorch's order: rank, batch, target rank/size, dtype, then the kernel's own checks
    if nd == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    tb = t.shape[0] if t.ndim else 0
    if nd > 1 and x.shape[0] != tb:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({tb}).")
    want = (x.shape[0],) + tuple(x.shape[2:])
    if nd <= 2 and t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if nd == 4 and t.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {t.ndim}")
    if nd > 2 and nd != 4 and tuple(t.shape) != want:
        raise RuntimeError(f"Expected target size {list(want)}, got {list(t.shape)}")
    if t.dtype.kind not in "iu" or str(t.dtype) not in ("int64", "uint8"):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {int_dtype_name(t.dtype)}")
    c = x.shape[1] if nd > 1 else x.shape[0]
    if nd > 2:  # the 2-D (image) kernel
        if weight is not None and weight._data.size != c:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if tuple(t.shape) != want:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                               f"{list(t.shape)}")
        if str(t.dtype) == "uint8":
            raise RuntimeError("expected scalar type Long but found Byte")
        xp = input._device._backend.xp
        return c, xp.moveaxis(x, 1, -1).reshape(-1, c), t.reshape(-1)
    if nd == 1 and t.ndim == 1 and t.size != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {t.size}")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight._data.shape)}")
    xm, tm = (x.reshape(1, c), t.reshape(-1)) if nd == 1 else (x, t)
    return c, xm, tm


def _restore(gm: Any, shape: tuple, xp: Any = None) -> Any:
    """Undo ``_class_layout``: (M, C) back to the input's layout (tensors when ``xp`` is None)."""
    nd = len(shape)
    if nd <= 2:
        return gm.reshape(shape)
    gm = gm.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return gm.movedim(-1, 1) if xp is None else xp.moveaxis(gm, -1, 1)


def _targets(xp: Any, tm: Any, c: int, ignore_index: int, weight: Tensor | None,
             cdt: Any) -> tuple:
    valid = tm != ignore_index
    tv = xp.where(valid, tm, 0).astype("int64")
    bad = valid & ((tm < 0) | (tm >= c)) if tm.dtype.kind == "i" else valid & (tm >= c)
    if tm.size and bool(xp.any(bad)):
        raise IndexError(f"Target {int(tm[xp.argmax(bad)])} is out of bounds.")
    if weight is not None:
        wt = xp.where(valid, weight._data.astype(cdt)[tv], 0).astype(cdt)
    else:
        wt = valid.astype(cdt)
    return valid, tv, wt


@autocast_op("nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             reduction: Any = "mean", ignore_index: int = -100) -> Tensor:
    """Negative log likelihood of class indices; input holds log-probabilities over dim 1."""
    return _class_loss(input, target, weight, reduction, ignore_index, 0.0, False)


def _class_loss(input: Tensor, target: Tensor, weight: Tensor | None, reduction: Any,
                ignore_index: int, eps: float, softmax: bool) -> Tensor:
    red = reduction_enum(reduction)
    if weight is not None and weight._rg and grad_state.enabled:
        # PyTorch runs inputs of 3 or more dims through its 2-d kernel
        raise not_differentiable("nll_loss2d_forward" if input.ndim > 2 else "nll_loss_forward",
                                 "weight")
    c, xm, tm = _class_layout(input, target, weight)
    if input.dtype.category != _dt._FLOAT:
        kernel = "nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_type_name(input.dtype.name)}'")
    xp = input._device._backend.xp
    dtype = xm.dtype
    cdt = "float32" if dtype.itemsize < 4 else dtype
    xm = xm.astype(cdt, copy=False)
    valid, tv, wt = _targets(xp, tm, c, ignore_index, weight, cdt)
    # float16/bfloat16 rows and single samples follow PyTorch's CPU kernels' roundings
    half = dtype.itemsize == 2 and input._data.ndim <= 2
    if softmax and not half and input._data.ndim > 2:
        # PyTorch's log_softmax runs over dim 1 in place (its order for a non-last dim)
        lp = log_softmax_array(xp, input._data.astype(cdt, copy=False), 1)
        logp = xp.ascontiguousarray(xp.moveaxis(lp, 1, -1)).reshape(-1, c)
    elif softmax:
        logp = log_softmax_half(xp, xm, 1, dtype).astype(cdt) if half else \
            log_softmax_array(xp, xm, 1)
    else:
        logp = xm
    picked = xp.take_along_axis(logp, tv[:, None], 1)[:, 0] if tv.size else logp[:, 0]
    per = -picked * wt
    w = weight._data.astype(cdt) if weight is not None else None
    if eps > 0:
        smooth = -(xp.sum(logp * w, axis=1) if w is not None else xp.sum(logp, axis=1))
        per = per * (1 - eps) + xp.where(valid, smooth, 0) * (eps / c)
    # the weighted mean's total weight, in the cascade of PyTorch's kernel, for the forward
    # and the backward (the half forward's ``_half_reduced`` forms its own)
    total = None
    grads = grad_state.enabled and input._rg
    if red == 1 and eps == 0 and weight is not None and (grads or not half):
        total = nll_sum_half(xp, wt, valid, dtype) if half else nll_sum(xp, wt, valid)
    if red == 0:
        out = per.reshape(target._data.shape)
    elif half and eps == 0:
        out = _half_reduced(xp, per, valid, wt if weight is not None else None, red, dtype)
    elif eps == 0:  # PyTorch's kernel adds rows in a cascade of partial sums
        out = nll_sum(xp, per, valid)
        if red == 1:
            d = total if total is not None else xp.sum(wt)
            out = out / d if d else out * xp.nan
    else:
        out = xp.sum(per)
        if red == 1:  # nothing counted: NaN, as PyTorch's 0 / 0, without NumPy's warning
            d = xp.sum(wt)
            out = out / d if d else out * xp.nan
    res = make(xp.asarray(out).astype(dtype), input._device)
    if grads:
        denom = (total if total is not None else xp.sum(wt)) if red == 1 else None
        shape = input._data.shape
        # Q: d loss / d logp (up to the upstream gradient), as target weights and a smooth part
        a = wt * (1 - eps)
        b = valid.astype(cdt) * (eps / c)

        def vjp(g: Tensor, inp: Tensor, lp: Tensor, tvc: Tensor, ac: Tensor, bc: Tensor,
                wc: Tensor | None) -> tuple:
            if grad_state.enabled:
                return (_named_class_grad(_class_grad_tensor(g, inp, tvc, ac, bc, wc, c, red,
                                                             denom, softmax, shape),
                                          softmax, len(shape)),)
            coef = g._data.reshape(-1) if red == 0 else g._data
            if red == 1:  # nothing counted: every row was ignored, and gets no gradient
                coef = coef / denom if denom != 0 else coef * 0
            coef = xp.asarray(coef, dtype=cdt)
            av, bv = ac._data * coef, bc._data * coef
            if half and eps == 0:  # PyTorch's half nll_loss backward rounds g / total, then
                # weight * that, to the half type before log_softmax's backward reads them
                coef = coef.astype(dtype).astype(cdt)
                av = (ac._data * coef).astype(dtype).astype(cdt)
            rows = xp.arange(av.shape[0])
            if softmax:
                wsum = c if wc is None else xp.sum(wc._data)
                gm = xp.exp(lp._data)
                gm *= (av + bv * wsum)[:, None]
            else:
                gm = xp.zeros((av.shape[0], c), dtype=cdt)
            if eps > 0:
                gm -= bv[:, None] * (wc._data[None, :] if wc is not None else 1.0)
            if softmax and eps == 0 and not half and fma_dtype(gm.dtype):
                # log_softmax's backward fuses ``g - exp(y) * sum(g)``: one rounding there
                et = xp.exp(lp._data[rows, tvc._data])
                gm[rows, tvc._data] = fma(et, av, -av, gm.dtype)
            else:
                gm[rows, tvc._data] -= av
            return (make(_restore(gm, shape, xp).astype(dtype, copy=False), input._device),)

        # PyTorch's node: the label-smoothed sum's add, or the 2-D kernel's for images
        # (3-d and 5-d+ inputs go through it reshaped, and are viewed back when unreduced)
        nd = input._data.ndim
        name = "AddBackward0" if eps > 0 else "NllLossBackward0" if nd < 3 else \
            "ViewBackward0" if red == 0 and nd != 4 else "NllLoss2DBackward0"
        record(name, res, (input,), vjp,
               (input, const(logp, input) if softmax else None, const(tv, input),
                const(a, input), const(b, input),
                const(w, input) if w is not None else None))
        if softmax:  # PyTorch's LogSoftmax saves its result, not the input: left unchecked
            leave_unchecked(res.grad_fn, (0,))
    return res


def _half_reduced(xp: Any, per: Any, valid: Any, wt: Any, red: int, half: Any) -> Any:
    """The sum (red 2) or weighted mean (red 1) of float16/bfloat16 per-row losses, added in
    the half type as PyTorch's CPU ``nll_loss`` adds them (``nll_sum_half``)."""
    out = nll_sum_half(xp, per, valid, half)
    if red == 1:
        total = nll_sum_half(xp, wt, valid, half) if wt is not None else \
            xp.asarray(valid.sum(), dtype=per.dtype).astype(half).astype(per.dtype)
        out = out / total if total else out * xp.nan
    return out


def _named_class_grad(gi: Tensor, softmax: bool, ndim: int) -> Tensor:
    """The create_graph input gradient shown as PyTorch's node: log_softmax's backward for
    cross_entropy, nll_loss's own (a view for the (N, C, d) inputs it reshapes)."""
    if softmax:
        return renamed(gi, "LogSoftmaxBackwardDataBackward0")
    if ndim <= 2 or ndim == 4:
        return renamed(gi, "NllLoss2DBackwardBackward0" if ndim == 4 else
                       "NllLossBackwardBackward0")
    return gi


def _class_grad_tensor(g: Tensor, inp: Tensor, tvc: Tensor, ac: Tensor, bc: Tensor,
                       wc: Tensor | None, c: int, red: int, denom: Any, softmax: bool,
                       shape: tuple) -> Tensor:
    """The input gradient with Ember ops (under create_graph)."""
    from .. import ops

    coef = g.reshape(-1, 1) if red == 0 else g
    if red == 1:
        coef = coef / float(denom)
    onehot = ops.one_hot(tvc, c).to(ac.dtype) if hasattr(ops, "one_hot") else _one_hot(tvc, c,
                                                                                        ac)
    q = onehot * ac.reshape(-1, 1)
    if wc is not None:
        q = q + bc.reshape(-1, 1) * wc.reshape(1, -1)
    else:
        q = q + bc.reshape(-1, 1)
    dlogp = -(q * coef)
    if softmax:
        xm = inp.movedim(1, -1).reshape(-1, c) if inp.ndim > 2 else inp.reshape(-1, c)
        dlogp = dlogp - xm.softmax(1) * dlogp.sum(1, keepdim=True)
    return _restore(dlogp, shape)


def _one_hot(idx: Tensor, c: int, like: Tensor) -> Tensor:
    xp = idx._device._backend.xp
    return make((idx._data[:, None] == xp.arange(c)[None, :]).astype(like._data.dtype),
                idx._device)


@autocast_op("cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  reduction: Any = "mean", ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)`` in one node, or with class probabilities."""
    if label_smoothing > 1.0:  # PyTorch checks only the upper bound: below 0 is no smoothing
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    label_smoothing = max(label_smoothing, 0.0)
    if input.ndim == 0:  # PyTorch's log_softmax over dim 1 refuses it first
        if target.ndim == 0 and not target.dtype.is_floating_point:  # same shape: probabilities
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {int_dtype_name(target._data.dtype)}")
        raise IndexError("Dimension specified as 1 but tensor has no dimensions"
                         if target.ndim == 0 else
                         "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if tuple(target._data.shape) == tuple(input._data.shape):
        if ignore_index >= 0 and target.dtype.is_floating_point:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if input.dtype.category != _dt._FLOAT:  # PyTorch's log_softmax refuses it first
        input.log_softmax(1 if input.ndim > 1 else 0)
    return _class_loss(input, target, weight, reduction, ignore_index, label_smoothing, True)


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: Any,
                         eps: float) -> Tensor:
    red = reduction_enum(reduction)
    t = target._data
    if t.dtype.kind != "f" and target.dtype.name != "bfloat16":
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {int_dtype_name(t.dtype)}")
    if not _composite.same_float(input, target, weight):  # PyTorch's composite, step by step
        return _composite.cross_entropy_probs(input, target, weight, red, eps)
    x = input._data
    xp = input._device._backend.xp
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    if weight is not None and weight._data.size != c:
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {c} classes or no "
            f"classes but got weight tensor of shape: {list(weight._data.shape)}")
    cdim = 1 if x.ndim > 1 else 0
    cdt = "float32" if x.dtype.itemsize < 4 else x.dtype
    wshape = tuple(c if i == cdim else 1 for i in range(x.ndim))
    w = weight._data.astype(cdt).reshape(wshape) if weight is not None else None
    logp = log_softmax_array(xp, x.astype(cdt, copy=False), cdim)
    tt = t.astype(cdt, copy=False)
    if eps > 0:
        tt = tt * (1 - eps) + eps / c
    prod = logp * tt if w is None else logp * tt * w
    per = -xp.sum(prod, axis=cdim)
    n = per.size
    if red == 0:
        out = per
    elif red == 2:
        out = xp.sum(per)
    else:
        out = xp.sum(per) / n if x.size else xp.asarray(float("nan"), dtype=cdt)
    res = make(xp.asarray(out).astype(x.dtype), input._device)
    if grad_state.enabled and (input._rg or target._rg or (weight is not None and weight._rg)):
        needs = (input._rg, target._rg, weight is not None and weight._rg)

        def grads(m: Any, g: Any, x: Any, t: Any, w: Any) -> tuple:
            coef = g
            if red == 0:
                coef = coef.reshape(tuple(1 if i == cdim else s for i, s in enumerate(x.shape)))
            elif red == 1:
                coef = coef / n
            tt = t * (1 - eps) + eps / c if eps > 0 else t
            if w is not None:
                w = w.reshape(wshape)
            gx = None
            if needs[0]:
                d = tt * coef if w is None else tt * w * coef
                sm = m.softmax(x, cdim)
                gx = sm * m.sum(d, cdim, True) - d
            gt = gw = None
            if needs[1] or needs[2]:
                lp = _log_softmax(m, x, cdim)
            if needs[1]:
                gt = -(lp * coef * (1 - eps)) if w is None else -(lp * w * coef * (1 - eps))
            if needs[2]:
                gw = -(lp * tt * coef)
                gw = m.sum(gw, tuple(i for i in range(x.ndim) if i != cdim)) if x.ndim > 1 \
                    else gw
            return (m.cast(gx, x) if gx is not None else None), (
                m.cast(gt, t) if gt is not None else None), gw

        # PyTorch composes this loss: its last op names the node
        # (an empty mean: PyTorch fills the sum with NaN, then negates it)
        last = "DivBackward1" if red == 1 and x.size else "NegBackward0"
        record(last, res, (input, target, weight),
               lambda g, x, t, w: grad_of(grads, g, g, x, t, w),
               (input, target, weight.view(wshape) if weight is not None else None))
        # PyTorch's composite saves log_softmax's result, not input; target (unsmoothed) for
        # input's gradient, weight for both
        leave_unchecked(res.grad_fn, [0] + ([1] if not needs[0] or eps > 0 else [])
                        + ([2] if not (needs[0] or needs[1]) else []))
    return res


def _log_softmax(m: Any, x: Any, dim: int) -> Any:
    if m.tensor:
        return x.log_softmax(dim)
    return log_softmax_array(m.xp, x, dim)


# ------------------------------------------------------------------ margins over classes
@autocast_op("multi_margin_loss")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, reduction: Any = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_j max(0, margin - x[y] + x[j])**p / C``."""
    red = reduction_enum(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._rg and grad_state.enabled:
        raise not_differentiable("multi_margin_loss", "weight")
    x, t = input._data, target._data
    xp = input._device._backend.xp
    x2 = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    nrow, c = x2.shape
    t1 = t.reshape(-1)
    if t1.size != nrow:
        raise RuntimeError(f"inconsistent target size, expected {nrow} but got "
                           f"{list(t.shape)}")
    _multi_margin_dtypes(input, target)
    if t1.size and bool(xp.any((t1 < 0) | (t1 >= c))):
        raise RuntimeError("target out of range")
    rows = xp.arange(nrow)
    wt = weight._data[t1] if weight is not None else None
    z = margin - x2[rows, t1][:, None] + x2
    z[rows, t1] = 0
    pos = xp.maximum(z, 0)
    h = pos if p == 1 else pos * pos
    if wt is not None:
        h = h * wt[:, None]
    per = xp.sum(h, axis=1) / c
    per = per.reshape(t.shape)  # the target's shape: (1,) for a 1-d input and a [y] target

    def grads(gs: Tensor, zc: Tensor, _self: Tensor) -> tuple:
        # +0 off the margin and at a target with none on it, as PyTorch's kernel writes them
        dz = xp.where(zc._data > 0, 1.0 if p == 1 else 2.0 * zc._data, 0.0)
        if wt is not None:
            dz = dz * wt[:, None]
        gsv = gs._data.reshape(-1, 1) / c
        gx = (dz * gsv).astype(x.dtype)
        gx[rows, t1] = 0.0 - xp.sum(gx, axis=1)
        return (make(gx.reshape(x.shape), input._device),)

    # PyTorch's node saves self: a later in-place change of it fails the backward
    return _sample_loss("MultiMarginLossBackward0", per.astype(x.dtype), (input,), grads, red,
                        (const(z, input), input), input._device)


def _multi_margin_dtypes(input: Tensor, target: Tensor) -> None:
    """PyTorch's kernel: float32/float64 inputs on the CPU (any float elsewhere), Long target."""
    dt = input.dtype
    floats = (_dt.float32, _dt.float64) if input._device.type == "cpu" else (
        _dt.float16, _dt.bfloat16, _dt.float32, _dt.float64)
    if dt not in floats:
        raise NotImplementedError(
            f"\"multi_margin_loss_cpu_kernel\" not implemented for '{_type_name(dt.name)}'")
    if target.dtype is not _dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target.dtype.name)}")


@autocast_op("multilabel_margin_loss")
def multilabel_margin_loss(input: Tensor, target: Tensor, reduction: Any = "mean") -> Tensor:
    """Multi-label hinge loss over (target, non-target) class pairs; targets end at -1."""
    red = reduction_enum(reduction)
    x, t = input._data, target._data
    if tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    xp = input._device._backend.xp
    c = x.shape[-1] if x.ndim else 1
    x2, t2 = x.reshape(-1, c), t.reshape(-1, c)
    nrow = x2.shape[0]
    valid = xp.cumprod(t2 != -1, axis=1).astype(bool)
    tt = xp.where(valid, t2, 0)
    if valid.any() and bool(xp.any(valid & ((t2 < 0) | (t2 >= c)))):
        raise RuntimeError("argument #2 'target' is out of range")
    flat = (xp.arange(nrow)[:, None] * c + tt).reshape(-1)
    count = xp.bincount(flat, weights=valid.reshape(-1), minlength=nrow * c).reshape(nrow, c)
    nont = (count == 0).astype(x.dtype)
    z = 1 - x2[:, :, None] + x2[:, None, :]
    a = (z > 0) * count[:, :, None] * nont[:, None, :]
    per = xp.sum(xp.maximum(z, 0) * a, axis=(1, 2)) / c
    per = per.astype(x.dtype).reshape(x.shape[:-1] if x.ndim > 1 else ())

    def grads(gs: Tensor, ac: Tensor) -> tuple:
        gsv = gs._data.reshape(-1, 1, 1) / c
        av = ac._data * gsv
        gx = xp.sum(av, axis=1) - xp.sum(av, axis=2)
        return (make(gx.astype(x.dtype).reshape(x.shape), input._device),)

    return _sample_loss("MultilabelMarginLossBackward0", per, (input,), grads, red,
                        (const(a.astype(x.dtype), input),), input._device)


# reduction "none" by default, as torch.cosine_embedding_loss (F passes its own)
@autocast_op("cosine_embedding_loss")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: Any = "none") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos - margin)`` where ``-1``."""
    red = reduction_enum(reduction)
    a, b, y = input1._data, input2._data, target._data
    nd = a.ndim
    if nd == 2 and y.ndim != 1 or nd == 1 and y.ndim != 0 or nd not in (1, 2) or b.ndim != nd:
        kind = "1D target tensor expects 2D input tensors" if y.ndim == 1 else \
            "0D target tensor expects 1D input tensors"
        if y.ndim not in (0, 1):
            kind = "0D or 1D target tensor expected, multi-target not supported"
            raise RuntimeError(kind)
        raise RuntimeError(f"{kind}, but found inputs with sizes {list(a.shape)} and "
                           f"{list(b.shape)}.")
    if not _composite.same_float(input1, input2, target):
        return _composite.cosine_embedding_loss(input1, input2, target, margin, red)
    d = nd - 1
    xp = input1._device._backend.xp
    m = arrays(xp)

    def cosine(m: Any, a: Any, b: Any) -> tuple:
        s1 = m.sum(a * a, d) + 1e-12
        s2 = m.sum(b * b, d) + 1e-12
        return m.sum(a * b, d) / m.sqrt(s1 * s2), s1, s2

    cos = cosine(m, a, b)[0]
    per = xp.where(y == 1, 1 - cos, xp.where(y == -1, xp.maximum(cos - margin, 0), 0))

    def grads(gs: Tensor, a_: Tensor, b_: Tensor, y_: Tensor) -> tuple:
        def f(m: Any, gs: Any, a: Any, b: Any, y: Any) -> tuple:
            cos, s1, s2 = cosine(m, a, b)
            dc = (m.where(y == 1, -1.0, 0.0) + m.where((y == -1) & (cos - margin > 0), 1.0, 0.0)
                  ) * gs
            den = m.sqrt(s1 * s2)
            if d:
                dc, den, cos, s1, s2 = (v.reshape(-1, 1) for v in (dc, den, cos, s1, s2))
            ga = m.cast(dc * (b / den - cos * a / s1), a) if input1._rg else None
            gb = m.cast(dc * (a / den - cos * b / s2), b) if input2._rg else None
            return ga, gb

        return grad_of(f, gs, gs, a_, b_, y_) + (None,)

    # the target only selects a branch: alone it does not make the loss require grad
    edges = (input1, input2, target) if input1._rg or input2._rg else (input1, input2)
    return _sample_loss(("AddBackward0", "MeanBackward0", "SumBackward0")[red], per.astype(a.dtype),
                        edges, grads, red, (input1, input2, target), input1._device)


# reduction "none" by default, as torch.triplet_margin_loss (F passes its own)
@autocast_op("triplet_margin_loss")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: Any = "none") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``pairwise_distance``; ``swap`` uses the
    smaller of d(a, n) and d(p, n)."""
    from .activation import relu
    from .distance import pairwise_distance

    red = reduction_enum(reduction)
    na, np_, nn_ = anchor.ndim, positive.ndim, negative.ndim
    if not na == np_ == nn_:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {na}D, positive {np_}D, and negative {nn_}D inputs")
    dpos = pairwise_distance(anchor, positive, p, eps)
    dneg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        ds = pairwise_distance(positive, negative, p, eps)
        dneg = dneg - relu(dneg - ds)  # min(dneg, ds)
    loss = (dpos - dneg + margin).clamp_min(0)
    return loss if red == 0 else loss.sum() if red == 2 else loss.mean()
