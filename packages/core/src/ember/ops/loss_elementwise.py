"""Elementwise losses (mse, l1, smooth L1, Huber, BCE, Poisson, KL, Gaussian NLL, margin
losses) on one shared kernel: an elementwise loss with its derivative per operand, reduced
with ``reduction``; a plain backward is one fused array expression per operand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .. import dtypes as _dt
from . import loss_composite as _composite
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, quiet, record, renamed, result_type, sum_to
from ._inplace import _type_name
from ._nn_math import arrays, grad_of, reduce_array, reduction_enum
from .loss_composite import same_float

__all__ = ["binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss"]


def _common_dtype(tensors: Sequence[Tensor | None], kernel: str | None = None) -> Any:
    dt = result_type(*[t for t in tensors if t is not None])
    if dt.category != _dt._FLOAT:
        if kernel is not None:  # a PyTorch kernel for floating dtypes only
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dt.name)}'")
        if dt.category < _dt._FLOAT:  # integer operands give the default float dtype
            dt = _dt._default
    return dt.np


def _cast_check(common: _dt.dtype, out: _dt.dtype) -> None:
    """PyTorch's safe-casting check of a result into an output of ``out``'s dtype."""
    if common.category > out.category:
        raise RuntimeError(f"result type {_type_name(common.name)} can't be cast to the desired "
                           f"output type {_type_name(out.name)}")


def not_differentiable(op: str, arg: str) -> RuntimeError:
    """PyTorch's error for an argument ``op`` has no derivative for (a loss weight, a target)
    that requires grad while grad mode is on: raised by the forward, as in PyTorch."""
    return RuntimeError(f"The function '{op}' is not differentiable with respect to argument "
                        f"'{arg}'. This input cannot have requires_grad True.")


def expand_grad(g: Tensor, red: int, shape: tuple, n: int) -> Tensor:
    """The upstream gradient of a reduced loss, per element of the unreduced loss."""
    if red == 0:
        return g
    return (g / n if red == 1 else g).expand(shape)


# the node of PyTorch's create_graph gradient for the losses with their own backward kernel
_DOUBLE = {"MseLossBackward0": "MseLossBackwardBackward0",
           "SmoothL1LossBackward0": "SmoothL1LossBackwardBackward0",
           "HuberLossBackward0": "HuberLossBackwardBackward0"}
# with reduction='mean', PyTorch's backward kernel ends in an in-place ``div_(numel)``
_MEAN_DOUBLE = {"BinaryCrossEntropyWithLogitsBackward0": "DivBackward1"}


def elementwise_loss(name: str | tuple, tensors: Sequence[Tensor | None], f: Callable,
                     grads: Sequence[Callable | None], reduction: Any, kernel: str | None = None,
                     out: Any = None, checked: Callable | None = None) -> Tensor:
    """``reduce(f(m, *operands))``; ``grads[i](m, *operands)`` is d loss / d operand ``i``.

    ``name`` is the graph node's name, or a (none, mean, sum) triple of them for the losses
    PyTorch composes of other ops (their last op names the node).

    Operands broadcast together; their gradients are summed back to their shapes. ``kernel``
    names PyTorch's kernel that refuses a non-floating common dtype; ``out`` is the loss's
    dtype when it is not the common one (computed in the common dtype, then rounded).
    ``checked(rg)`` (``rg``: which operands require grad) says which operands PyTorch's ops
    save, so that a later in-place change of one fails the backward; None: all of them.
    """
    red = reduction_enum(reduction)
    if name.__class__ is tuple:  # PyTorch's composite losses: the node of the last op
        name = name[red]
    live = [t for t in tensors if t is not None]
    dev = live[0]._device
    xp = dev._backend.xp
    cdt = _common_dtype(tensors, kernel)
    arrs = [None if t is None else t._data.astype(cdt, copy=False) for t in tensors]
    m = arrays(xp)
    try:
        loss = quiet(lambda: f(m, *arrs))  # infinities make NaN here, with no warning
    except ValueError:  # shapes that do not broadcast: PyTorch's RuntimeError
        from .arithmetic import _mismatch

        shapes = [a.shape for a in arrs if a is not None][::-1]  # PyTorch: target is "a"
        a, b, d = next((r for r in (_mismatch(x, y) for x in shapes for y in shapes) if r[0]),
                       (0, 0, 0))
        raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) "
                           f"at non-singleton dimension {d}") from None
    if loss.dtype != cdt:
        loss = loss.astype(cdt)
    if out is not None and out != cdt:
        loss = loss.astype(out)
    res = make(reduce_array(xp, loss, red), dev)
    want = [t is not None and t._rg and grads[i] is not None for i, t in enumerate(tensors)]
    if grad_state.enabled and any(want):
        n, lshape = loss.size, loss.shape
        double = _DOUBLE.get(name) or (_MEAN_DOUBLE.get(name) if red == 1 else None)

        def vjp(g: Tensor, *saved: Any) -> tuple:
            scale = 1.0 / n if red == 1 and n else 1.0  # (an empty input: empty grads)
            out = []
            for i, t in enumerate(saved):
                if not want[i]:
                    out.append(None)
                    continue
                d = grad_of(_scaled(grads[i], scale, cdt), g, *saved)
                gd = g * d
                if gd._data.shape != lshape:  # d free of the broadcast operand (kl_div's
                    gd = gd.expand(lshape)  # log_target input grad): the loss's shape first
                gi = sum_to(gd, tuple(t.shape))
                if double is not None and grad_state.enabled:  # PyTorch's fused node
                    gi = renamed(gi, double)
                out.append(gi if gi.dtype == t.dtype else gi.to(t.dtype))
            return tuple(out[:k])

        # PyTorch's node has no edge for the trailing operands it never differentiates
        # (weight, pos_weight)
        k = len(tensors)
        while k > 2 and grads[k - 1] is None:
            k -= 1
        saved = tuple(tensors)
        if checked is not None:  # a composite's steps save intermediates, not these operands:
            # keep copies, so a later in-place change neither fails nor alters the backward
            keep = checked(tuple(t is not None and t._rg for t in tensors))
            saved = tuple(t if k or t is None else t.clone() for t, k in zip(tensors, keep))
        record(name, res, tuple(tensors[:k]), vjp, saved)
    return res


def _none(rg: tuple) -> tuple:
    """No operand saved: the composite saves only its intermediates."""
    return (False,) * len(rg)


def _crossed(rg: tuple) -> tuple:
    """``target * input``'s saved operands: each is saved for the other's gradient."""
    return (rg[1], rg[0])


def _scaled(fn: Callable, scale: float, cdt: Any) -> Callable:
    def h(m: Any, *a: Any) -> Any:
        if not m.tensor:
            a = tuple(v.astype(cdt, copy=False) if v is not None and hasattr(v, "astype") else v
                      for v in a)
        d = fn(m, *a)
        d = d * scale if scale != 1.0 else d
        return d if m.tensor or d.dtype == cdt else d.astype(cdt)

    return h


def _composed(last: str) -> tuple:
    """The node names of a loss PyTorch composes: its last elementwise op, then the mean or
    sum (``reduction`` none, mean, sum)."""
    return (last, "MeanBackward0", "SumBackward0")


# ------------------------------------------------------------------ regression
@autocast_op("mse_loss")
def mse_loss(input: Tensor, target: Tensor, reduction: Any = "mean") -> Tensor:
    """``(input - target) ** 2``, reduced."""
    return elementwise_loss(
        "MseLossBackward0", (input, target), lambda m, x, t: (x - t) * (x - t),
        (lambda m, x, t: (x - t) * 2.0, lambda m, x, t: (t - x) * 2.0), reduction, "mse_cpu")


@autocast_op("l1_loss")
def l1_loss(input: Tensor, target: Tensor, reduction: Any = "mean") -> Tensor:
    """``|input - target|``, reduced."""
    if not same_float(input, target):  # PyTorch's composite: integers fail in mean()
        return _composite.l1_loss(input, target, reduction_enum(reduction))
    return elementwise_loss(
        _composed("AbsBackward0"), (input, target), lambda m, x, t: m.abs(x - t),
        (lambda m, x, t: m.sign(x - t), lambda m, x, t: m.sign(t - x)), reduction,
        checked=_none)


@autocast_op("smooth_l1_loss")
def smooth_l1_loss(input: Tensor, target: Tensor, reduction: Any = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, linear above; L1 when ``beta == 0``."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction)

    def f(m: Any, x: Any, t: Any) -> Any:
        d = m.abs(x - t)
        return m.where(d < beta, d * d * 0.5 / beta, d - 0.5 * beta)  # PyTorch's rounding

    def dx(m: Any, x: Any, t: Any) -> Any:
        d = x - t
        return m.where(m.abs(d) < beta, d / beta, m.sign(d))

    return elementwise_loss("SmoothL1LossBackward0", (input, target), f,
                            (dx, lambda m, x, t: -dx(m, x, t)), reduction, "smooth_l1_cpu")


@autocast_op("huber_loss")
def huber_loss(input: Tensor, target: Tensor, reduction: Any = "mean",
               delta: float = 1.0) -> Tensor:
    """Quadratic below ``delta``, ``delta``-scaled linear above."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def f(m: Any, x: Any, t: Any) -> Any:
        d = m.abs(x - t)
        return m.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)

    def dx(m: Any, x: Any, t: Any) -> Any:
        d = x - t
        return m.where(m.abs(d) < delta, d, m.sign(d) * delta)

    out = input.dtype  # PyTorch writes the loss into a tensor like the input
    if target._data.dtype != input._data.dtype:
        _cast_check(result_type(input, target), out)
    return elementwise_loss("HuberLossBackward0", (input, target), f,
                            (dx, lambda m, x, t: -dx(m, x, t)), reduction, "huber_cpu", out.np)


@autocast_op("soft_margin_loss")
def soft_margin_loss(input: Tensor, target: Tensor, reduction: Any = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``, reduced."""
    if not same_float(input, target):  # PyTorch computes in place in the input's dtype
        return _composite.soft_margin_loss(input, target, reduction_enum(reduction))
    return elementwise_loss(
        "SoftMarginLossBackward0", (input, target),
        lambda m, x, y: m.log1p(m.exp(-y * x)),
        (lambda m, x, y: -y * m.sigmoid(-y * x), None), reduction)


# ------------------------------------------------------------------ probabilistic
def _weight_fits(input: Tensor, weight: Tensor, weight_first: bool = False) -> None:
    """PyTorch's error for a weight that broadcasts the loss beyond the input's shape, or
    that clashes with it (``weight_first``: PyTorch's op has the weight as tensor "a")."""
    a, b = tuple(input.shape), tuple(weight.shape)
    if len(b) <= len(a) and all(w in (1, s) for w, s in zip(b[::-1], a[::-1])):
        return
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if 1 not in (pa[i], pb[i]) and pa[i] != pb[i]:
            x, y = (pb[i], pa[i]) if weight_first else (pa[i], pb[i])
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
    out = [x if y == 1 else y for x, y in zip(pa, pb)]
    raise RuntimeError(f"output with shape {list(a)} doesn't match the broadcast shape {out}")


@autocast_op("binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: Any = "mean") -> Tensor:
    """``-weight * (target * log(input) + (1 - target) * log(1 - input))``, logs clamped at -100."""
    if weight is not None and weight._rg and grad_state.enabled:
        raise not_differentiable("binary_cross_entropy", "weight")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target.dtype.name)} but expected "
                           f"{_type_name(input.dtype.name)}")
    if input.dtype.category != _dt._FLOAT:
        raise NotImplementedError(
            f"\"binary_cross_entropy\" not implemented for '{_type_name(input.dtype.name)}'")
    x = input._data
    xp = input._device._backend.xp
    if x.size and not bool(xp.all((x >= 0) & (x <= 1))):  # NaN fails too, as in PyTorch
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None:
        _weight_fits(input, weight)
        if weight.dtype is not input.dtype:
            weight = weight.detach().to(input.dtype)  # PyTorch's kernel scales in place: input dtype

    def f(m: Any, x: Any, t: Any, w: Any) -> Any:
        lx = m.maximum(m.log(x), -100.0)
        l1x = m.maximum(m.log1p(-x), -100.0)
        loss = -(t * lx + (1.0 - t) * l1x)
        return loss * w if w is not None else loss

    def dx(m: Any, x: Any, t: Any, w: Any) -> Any:
        d = (x - t) / m.maximum((1.0 - x) * x, 1e-12)
        return d * w if w is not None else d

    def dt(m: Any, x: Any, t: Any, w: Any) -> Any:
        d = m.log1p(-x) - m.log(x)  # unclamped, as PyTorch's target gradient
        return d * w if w is not None else d

    return elementwise_loss("BinaryCrossEntropyBackward0", (input, target, weight), f,
                            (dx, dt, None), reduction)


# reduction "none" by default, as torch.binary_cross_entropy_with_logits (F passes its own)
@autocast_op("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: Any = "none") -> Tensor:
    """BCE on ``sigmoid(input)`` computed stably from the logits; ``pos_weight`` scales positives."""
    if grad_state.enabled:
        if weight is not None and weight._rg:
            raise not_differentiable("binary_cross_entropy_with_logits", "weight")
        if pos_weight is not None and pos_weight._rg:
            raise not_differentiable("binary_cross_entropy_with_logits", "pos_weight")
    for w, first in ((pos_weight, True), (weight, False)):  # PyTorch's order of use
        if w is not None:
            _weight_fits(input, w, first)
    if not same_float(input, target, weight, pos_weight):
        return _composite.binary_cross_entropy_with_logits(input, target, weight, pos_weight,
                                                           reduction_enum(reduction))

    def logsig(m: Any, x: Any) -> Any:
        return m.minimum(x, 0.0) - m.log1p(m.exp(-m.abs(x)))

    def f(m: Any, x: Any, t: Any, w: Any, pw: Any) -> Any:
        lw = 1.0 if pw is None else (pw - 1.0) * t + 1.0
        loss = (1.0 - t) * x - lw * logsig(m, x)
        return loss * w if w is not None else loss

    def dx(m: Any, x: Any, t: Any, w: Any, pw: Any) -> Any:
        s = m.sigmoid(x)
        d = s - t if pw is None else (1.0 - t) - ((pw - 1.0) * t + 1.0) * (1.0 - s)
        return d * w if w is not None else d

    def dt(m: Any, x: Any, t: Any, w: Any, pw: Any) -> Any:
        d = -x if pw is None else -x - (pw - 1.0) * logsig(m, x)
        return d * w if w is not None else d

    return elementwise_loss("BinaryCrossEntropyWithLogitsBackward0",
                            (input, target, weight, pos_weight), f, (dx, dt, None, None),
                            reduction)


def _xlogx(m: Any, t: Any) -> Any:
    return m.where(t == 0, 0.0, t * m.log(m.where(t == 0, 1.0, t)))


# reduction "none" by default, as torch.kl_div (F passes its own)
@autocast_op("kl_div")
def kl_div(input: Tensor, target: Tensor, reduction: Any = "none",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log(target) - input)`` (input holds log-probabilities)."""
    kinds = {t._data.dtype.kind for t in (input, target) if isinstance(t, Tensor)}
    if "c" in kinds:
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if kinds & set("biu"):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if not same_float(input, target):
        return _composite.kl_div(input, target, reduction_enum(reduction), log_target)
    if log_target:
        return elementwise_loss(
            _composed("MulBackward0"), (input, target), lambda m, x, t: m.exp(t) * (t - x),
            (lambda m, x, t: -m.exp(t), lambda m, x, t: m.exp(t) * (t - x + 1.0)), reduction,
            checked=_none)
    return elementwise_loss(
        _composed("SubBackward0"), (input, target), lambda m, x, t: _xlogx(m, t) - t * x,
        (lambda m, x, t: -t,  # free of x: an infinite or NaN input passes -target
         lambda m, x, t: m.log(t) + t / t - x), reduction, checked=_crossed)


@autocast_op("poisson_nll_loss")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: Any) -> Tensor:
    """Negative log likelihood of ``target ~ Poisson(input)`` (``exp(input)`` if ``log_input``)."""
    if not same_float(input, target):
        return _composite.poisson_nll_loss(input, target, log_input, full, eps,
                                           reduction_enum(reduction))

    def stirling(m: Any, t: Any) -> Any:
        tt = m.where(t > 1, t, 1.0)
        return m.where(t > 1, tt * m.log(tt) - tt + 0.5 * m.log(2 * math.pi * tt), 0.0)

    def dstirling(m: Any, t: Any) -> Any:
        tt = m.where(t > 1, t, 1.0)
        # the masked term still differentiates log(t) and t/t (nan at t <= 0, as PyTorch gives)
        return m.where(t > 1, m.log(tt) + 0.5 / tt, 0.0) + (m.log(t) + t / t) * 0.0

    def f(m: Any, x: Any, t: Any) -> Any:
        loss = m.exp(x) - t * x if log_input else x - t * m.log(x + eps)
        return loss + stirling(m, t) if full else loss

    def dx(m: Any, x: Any, t: Any) -> Any:
        return m.exp(x) - t if log_input else 1.0 - t / (x + eps)

    def dt(m: Any, x: Any, t: Any) -> Any:
        d = -x if log_input else -m.log(x + eps)
        return d + dstirling(m, t) if full else d

    # PyTorch's last op is the stirling ``add`` when ``full``, else the ``sub``
    name = "AddBackward0" if full else "SubBackward0"
    def checked(rg: tuple) -> tuple:  # t * x (t * log(x + eps)); full: t * t.log() too
        return (rg[1] and log_input, rg[0] or (full and rg[1]))

    return elementwise_loss(_composed(name), (input, target), f, (dx, dt), reduction,
                            checked=checked)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor, full: bool = False,
                      eps: float = 1e-6, reduction: Any = "mean") -> Tensor:
    """``0.5 * (log(var) + (input - target)**2 / var)`` with ``var`` clamped at ``eps``
    (the clamp passes gradients through, as PyTorch's no-grad clamp does)."""
    const = 0.5 * math.log(2 * math.pi) if full else 0.0
    if not same_float(input, target, var):
        return _composite.gaussian_nll_loss(input, target, var, full, eps,
                                            reduction_enum(reduction))

    def f(m: Any, x: Any, t: Any, v: Any) -> Any:
        v = m.maximum(v, eps)
        d = x - t
        return 0.5 * (m.log(v) + d * d / v) + const

    def dx(m: Any, x: Any, t: Any, v: Any) -> Any:
        return (x - t) / _clamped(m, v, eps)

    def dv(m: Any, x: Any, t: Any, v: Any) -> Any:
        v = _clamped(m, v, eps)
        d = x - t
        return 0.5 * (1.0 / v - d * d / (v * v))

    # PyTorch's last op: the in-place add of the constant when ``full``, else the mul by 0.5
    return elementwise_loss(_composed("AddBackward0" if full else "MulBackward0"),
                            (input, target, var), f,
                            (dx, lambda m, x, t, v: -dx(m, x, t, v), dv), reduction,
                            checked=_none)


def _clamped(m: Any, v: Any, eps: float) -> Any:
    if m.tensor:  # the clamp is not differentiated: add a constant offset instead
        return v + (v.detach().clamp(min=eps) - v.detach())
    return m.maximum(v, eps)


# ------------------------------------------------------------------ margins
# reduction "none" by default, as torch.margin_ranking_loss (F passes its own)
@autocast_op("margin_ranking_loss")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: Any = "none") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, reduced."""
    if not same_float(input1, input2, target):
        return _composite.margin_ranking_loss(input1, input2, target, margin,
                                              reduction_enum(reduction))

    def on(m: Any, a: Any, b: Any, y: Any) -> Any:
        # 1/0 mask multiplied through as PyTorch's chain rule does: its signed zeros
        return m.where((-y * (a - b) + margin) > 0, 1.0, 0.0)

    try:
        return elementwise_loss(
            _composed("ClampMinBackward0"), (input1, input2, target),
            lambda m, a, b, y: m.maximum(-y * (a - b) + margin, 0.0),
            (lambda m, a, b, y: on(m, a, b, y) * -y,
             lambda m, a, b, y: -(on(m, a, b, y) * -y),
             lambda m, a, b, y: -(on(m, a, b, y) * (a - b))), reduction, checked=_none)
    except RuntimeError:  # PyTorch subtracts the inputs first: their mismatch is reported
        from .arithmetic import _mismatch

        a, b, d = _mismatch(input1._data.shape, input2._data.shape)
        if a:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {d}") from None
        raise


# reduction "none" by default, as torch.hinge_embedding_loss (F passes its own)
@autocast_op("hinge_embedding_loss")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: Any = "none") -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``."""
    if not same_float(input, target):
        return _composite.hinge_embedding_loss(input, target, margin, reduction_enum(reduction))

    def f(m: Any, x: Any, y: Any) -> Any:
        return m.where(y != 1, m.maximum(margin - x, 0.0), 0.0) + m.where(y != -1, x, 0.0)

    def dx(m: Any, x: Any, y: Any) -> Any:
        return m.where(y != -1, 1.0, 0.0) - m.where((y != 1) & (margin - x > 0), 1.0, 0.0)

    return elementwise_loss(_composed("AddBackward0"), (input, target), f, (dx, None), reduction,
                            checked=_none)
