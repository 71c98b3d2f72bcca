"""The losses as PyTorch composes them from other ops, for operands outside the fused
kernels' domain (integer, bool or complex operands, or floats of different precisions).

PyTorch writes these losses (or their mixed-dtype behaviour) as a chain of ordinary ops, often
in place, so a bool operand fails in ``-``, an integer one in ``mean()`` or in an in-place
cast, the result takes one operand's dtype, and each step rounds to its own dtype. The same
chain of Ember ops, which follow PyTorch's promotion and refusals, gives the same dtypes,
errors and values; the fused kernels in ``loss_elementwise`` and ``loss`` keep the common case
of operands of one floating dtype.
"""

from __future__ import annotations

import math
from typing import Any

from ._dispatch import Tensor, kind, renamed

__all__: list[str] = []

EPSILON = 1e-12  # PyTorch's cosine_embedding_loss constant


def same_float(*tensors: Tensor | None) -> bool:
    """Whether the given tensors all have one floating dtype (the fused kernels' domain)."""
    d = None
    for t in tensors:
        if t is None:
            continue
        x = t._data
        if d is None:
            d = x.dtype
            if kind(x) not in "fV":  # V: bfloat16 (ml_dtypes)
                return False
        elif x.dtype != d:
            return False
    return True


def reduce(loss: Tensor, red: int) -> Tensor:
    """PyTorch's ``apply_loss_reduction``: 0 none, 1 mean, 2 sum."""
    return loss if red == 0 else loss.mean() if red == 1 else loss.sum()


def rsub(number: float, t: Tensor) -> Tensor:
    """``number - t`` as PyTorch's C++ operator computes it: in ``t``'s dtype, in place."""
    from .creation import full_like

    return full_like(t, number).sub_(t)


def l1_loss(input: Tensor, target: Tensor, red: int) -> Tensor:
    return reduce((input - target).abs(), red)


def soft_margin_loss(input: Tensor, target: Tensor, red: int) -> Tensor:
    # PyTorch's kernel writes ``log1p(exp(-input * target))`` into an input-dtype result
    # (an integer one refuses the exp); the log1p out of place, as ``exp_`` saves its result
    loss = input.neg().mul_(target).exp_().log1p()
    return renamed(reduce(loss, red), "SoftMarginLossBackward0")  # one node in PyTorch


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None,
                                     pos_weight: Tensor | None, red: int) -> Tensor:
    from .activation import logsigmoid

    log_sig = logsigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig.mul_((pos_weight - 1).mul(target).add_(1))
    loss = rsub(1, target).mul_(input).sub_(log_sig)
    if weight is not None:
        loss = loss.mul_(weight)
    # one node in PyTorch's graph: the op has its own derivative formula
    return renamed(reduce(loss, red), "BinaryCrossEntropyWithLogitsBackward0")


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float, red: int) -> Tensor:
    from .creation import zeros_like
    from .pointwise_binary import where

    zeros = zeros_like(input)
    margin_clamp = rsub(margin, input).clamp_min_(0)
    out = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return reduce(out, red)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float,
                        red: int) -> Tensor:
    diff = input1 - input2  # PyTorch evaluates the difference before the negation
    return reduce((target.neg() * diff + float(margin)).clamp_min_(0), red)  # margin: double


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float,
                          red: int) -> Tensor:
    from .creation import zeros_like
    from .pointwise_binary import where

    d = target.ndim
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + EPSILON
    mag2 = (input2 * input2).sum(d) + EPSILON
    cos = prod / (mag1 * mag2).sqrt_()
    zeros = zeros_like(cos)
    pos = rsub(1, cos)
    neg = (cos - margin).clamp_min_(0)
    return reduce(where(target == 1, pos, zeros) + where(target == -1, neg, zeros), red)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     red: int) -> Tensor:
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss.add_(stirling.masked_fill(target <= 1, 0))
    return reduce(loss, red)


def kl_div(input: Tensor, target: Tensor, red: int, log_target: bool) -> Tensor:
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = target.xlogy(target) - target * input
    return reduce(out, red)


def cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, red: int,
                        label_smoothing: float) -> Tensor:
    cdim = 1 if input.ndim > 1 else 0
    c = input.shape[cdim]
    logp = input.log_softmax(cdim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        prod = prod * (weight.view(tuple(c if i == cdim else 1 for i in range(input.ndim)))
                       if input.ndim > 1 else weight)
    if red == 0:
        return -prod.sum(cdim)
    total = -prod.sum()
    if red == 2:
        return total
    n = logp.numel()
    # PyTorch divides by a C++ scalar (aten::div.Scalar)
    return total.fill_(float("nan")) if n == 0 else renamed(total / (n // c), "DivBackward1")


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int, eps: float, dt: Any,
                      shape: tuple) -> Tensor:
    from .linalg_norms import vector_norm

    if x1.dtype.category < dt.category:  # integers and bools take the common dtype
        x1 = x1.to(dt)
    if x2.dtype.category < dt.category:
        x2 = x2.to(dt)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = vector_norm(x1, 2, dim, keepdim=True)
    n2 = vector_norm(x2, 2, dim, keepdim=True)
    # PyTorch clamps the norms in place without recording it: the gradient passes unclamped
    n1 = n1 + (n1.detach().clamp_min(eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp_min(eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor, full: bool, eps: float,
                      red: int) -> Tensor:
    # PyTorch clamps a clone of var in place under no_grad: integer variances fail there, and
    # the gradient passes the clamp unchanged
    clamped = var.detach().clone().clamp_(min=eps)
    var = var + (clamped - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(loss, red)
