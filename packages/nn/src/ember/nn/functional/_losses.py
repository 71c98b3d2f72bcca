"""Loss functions with PyTorch's ``torch.nn.functional`` signatures over Ember's core kernels
(legacy ``size_average``/``reduce`` arguments, shape warnings, optional elementwise weights)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor
from ember.ops import loss as _loss
from ember.ops.activation import logsigmoid

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "multi_margin_loss", "soft_margin_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _legacy(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=2)
    return ret


def _enum(reduction: str) -> str:
    """PyTorch's ``_Reduction.get_enum``: refuses an unknown name before any other check of
    the loss, and still takes the old name 'elementwise_mean' (warning)."""
    if reduction in ("mean", "none", "sum"):
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _C_NAME(t: Tensor) -> str:
    """PyTorch's C++ scalar-type name (``Long``, ``Float``) used in its dtype errors."""
    return t.type().split(".")[-1].replace("Tensor", "")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def _broadcast(input: Tensor, target: Tensor) -> None:
    """PyTorch's ``broadcast_tensors`` error for shapes that do not broadcast."""
    a, b = tuple(input.shape), tuple(target.shape)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                               f"({pb[i]}) at non-singleton dimension {i}")


def _expanded(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """PyTorch's ``broadcast_tensors`` before the kernel: a 0-dim operand of another float dtype
    then promotes as a dimensioned one (float32 input, 0-dim float64 target: float64)."""
    _broadcast(input, target)
    if input.dtype != target.dtype and 0 in (input.dim(), target.dim()) and (
            input.shape != target.shape):
        return tuple(ember.broadcast_tensors(input, target))
    return input, target


def _expandable(weight: Tensor, input: Tensor) -> None:
    """PyTorch's ``weight.expand(input.size())`` error (binary_cross_entropy's weight)."""
    a, b = tuple(input.shape), tuple(weight.shape)
    for k in range(1, min(len(a), len(b)) + 1):
        if b[-k] not in (1, a[-k]):
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {b[-k]} at {-k}! Mismatching "
                f"argument at index 1 had {weight.size()}; but expected shape should be "
                f"broadcastable to {list(a)}")


def _weighted(fn: Callable, input: Tensor, target: Tensor, weight: Tensor | None,
              reduction: str, by_weight_sum: bool) -> Tensor:
    input, target = _expanded(input, target)
    if weight is None:
        return fn(input, target, reduction)
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    loss = fn(input, target, "none") * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if by_weight_sum else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error."""
    _warn_size(input, target)  # PyTorch warns of the size before the legacy arguments
    reduction = _enum(_legacy(size_average, reduce, reduction))
    return _weighted(_loss.mse_loss, input, target, weight, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error."""
    _warn_size(input, target)
    reduction = _enum(_legacy(size_average, reduce, reduction))
    return _weighted(_loss.l1_loss, input, target, weight, reduction, True)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Huber loss: quadratic below ``delta``, linear above."""
    _warn_size(input, target)
    reduction = _enum(reduction)
    return _weighted(lambda x, t, r: _loss.huber_loss(x, t, r, delta), input, target, weight,
                     reduction, False)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic below ``beta``, L1 above."""
    _warn_size(input, target)
    reduction = _enum(_legacy(size_average, reduce, reduction))
    input, target = _expanded(input, target)
    return _loss.smooth_l1_loss(input, target, reduction, beta)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if target.requires_grad and ember.is_grad_enabled():  # no derivative for the target
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    if input.dtype == ember.bool and input.shape != target.shape:
        -input  # PyTorch's kernel negates the input before its shape checks  # noqa: B018
    _broadcast(input, target)
    shape = ember.broadcast_shapes(input.shape, target.shape)
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    return _loss.soft_margin_loss(input, target, reduction)


def _check_batch(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """Class-index targets: PyTorch compares batch sizes before the target's dtype, and wants
    a weight of the input's dtype."""
    if target.shape == input.shape:
        return
    if input.dim() >= 2 and target.dim() >= 1 and target.size(0) != input.size(0):
        raise ValueError(f"Expected input batch_size ({input.size(0)}) to match target "
                         f"batch_size ({target.size(0)}).")
    if (weight is not None and weight.dtype != input.dtype and not target.is_floating_point()
            and target.dim() == input.dim() - 1):
        raise RuntimeError(f"expected scalar type {_C_NAME(input)} but found {_C_NAME(weight)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices (input holds log-probabilities, classes dim 1)."""
    reduction = _enum(_legacy(size_average, reduce, reduction))
    _check_batch(input, target, weight)
    return _loss.nll_loss(input, target, weight, reduction, ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits (classes on dim 1) against class indices or probabilities."""
    reduction = _enum(_legacy(size_average, reduce, reduction))
    try:
        _check_batch(input, target, weight)
    except (ValueError, RuntimeError):
        if not input.is_floating_point() and input.dim() > 0:  # log_softmax refuses it first
            input.log_softmax(1 if input.dim() > 1 else 0)
        raise
    except AttributeError:  # NumPy labels straight from a dataset: PyTorch's TypeError
        from ember.ops.pointwise_unary import not_tensor

        for pos, (arg, v) in enumerate((("input", input), ("target", target)), 1):
            if not isinstance(v, Tensor):
                raise not_tensor("cross_entropy_loss", v, pos, arg) from None
        raise
    return _loss.cross_entropy(input, target, weight, reduction, ignore_index, label_smoothing)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities."""
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        _expandable(weight, input)
    return _loss.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of logits, computed stably."""
    reduction = _enum(_legacy(size_average, reduce, reduction))
    _check_reduction(reduction)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    return _loss.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence; ``input`` holds log-probabilities (``target`` too if ``log_target``)."""
    if size_average is not None or reduce is not None:
        red = _legacy(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.", stacklevel=2)
        red = "sum" if reduction == "batchmean" else _enum(reduction)
    out = _loss.kl_div(input, target, red, log_target)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.size(0)
    return out


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of a Poisson target."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _loss.poisson_nll_loss(input, target, log_input, full, eps, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of a Gaussian target with predicted variance ``var``."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ember.full_like(input, float(var))
    elif not isinstance(var, Tensor):  # PyTorch's ``torch.any(var < 0)`` gets a bool
        raise TypeError(f"any() received an invalid combination of arguments - got (bool), but "
                        f"expected one of:\n * (Tensor input, ...)\n(gaussian_nll_loss: var must "
                        f"be a Tensor or a float, not {type(var).__name__})")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if tuple(input.size())[:-1] == tuple(var.size()):
            var = var.unsqueeze(-1)
        elif input.ndim != var.ndim or sum(
                b for a, b in zip(input.size(), var.size()) if a != b) != 1:
            raise ValueError("var is of incorrect size")  # (one broadcast dim of size 1 passes)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _loss.gaussian_nll_loss(input, target, var, full, eps, reduction)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss."""
    reduction = _enum(reduction)
    return _loss.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                          zero_infinity)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _loss.margin_ranking_loss(input1, input2, target, margin, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    return _loss.hinge_embedding_loss(input, target, margin, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    _multilabel_margin_checks(input, target)
    return _loss.multilabel_margin_loss(input, target, reduction)


def _multilabel_margin_checks(input: Tensor, target: Tensor) -> None:
    """PyTorch's order: the input's shape, the target's size, the input's dtype (float32/64 on
    the CPU), then the target's (Long)."""
    nd = input.dim()
    if nd > 2 or (nd and input.size(-1) == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if input.dtype not in (ember.float32, ember.float64) and (
            input.device.type == "cpu" or not input.is_floating_point()):
        raise NotImplementedError("\"multilabel_margin_loss_forward_out_frame\" not implemented "
                                  f"for '{_C_NAME(input)}'")
    if target.dtype != ember.int64:
        raise RuntimeError(f"expected scalar type Long but found {_C_NAME(target)}")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over classes."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if input.dim() > 2 or (input.numel() == 0 and not (input.dim() == 2 and input.size(1))):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    n = input.size(0) if input.dim() == 2 else 1
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    c = input.size(-1) if input.dim() else 1
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if weight is not None and weight.dtype != input.dtype:
        _loss._multi_margin_dtypes(input, target)  # PyTorch's kernel and target checks first
        raise RuntimeError(f"expected scalar type {_C_NAME(input)} but found {_C_NAME(weight)}")
    return _loss.multi_margin_loss(input, target, p, margin, weight, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if input1.ndim in (1, 2) and input2.ndim == input1.ndim and target.ndim == input1.ndim - 1:
        # PyTorch's composite: the product x1 * x2, then the target against the cosines
        rows = _broadcast_check(tuple(input1.shape), tuple(input2.shape))[:-1]
        _broadcast_check(tuple(target.shape), rows)
    return _loss.cosine_embedding_loss(input1, input2, target, margin, reduction)


def _broadcast_check(sa: tuple, sb: tuple) -> tuple:
    """The broadcast shape of ``sa`` and ``sb``; PyTorch's RuntimeError when they clash."""
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + sa
    pb = (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor "
                               f"b ({pb[i]}) at non-singleton dimension {i}")
    return tuple(max(a, b) if 0 not in (a, b) else 0 for a, b in zip(pa, pb))


def _pairwise_shapes(anchor: Tensor, positive: Tensor, negative: Tensor, swap: bool) -> None:
    """The shape clashes of the pairwise distances in a triplet loss, in PyTorch's words."""
    _broadcast_check(tuple(anchor.shape), tuple(positive.shape))
    _broadcast_check(tuple(anchor.shape), tuple(negative.shape))
    if swap:
        _broadcast_check(tuple(positive.shape), tuple(negative.shape))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _pairwise_shapes(anchor, positive, negative, swap)
    return _loss.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """Triplet loss with a custom distance (``pairwise_distance`` by default)."""
    if margin <= 0:  # the functional's wording (the module's names the class)
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")
    if distance_function is None:
        _pairwise_shapes(anchor, positive, negative, swap)
    dist = distance_function if distance_function is not None else ember.pairwise_distance
    dpos = dist(anchor, positive)
    dneg = dist(anchor, negative)
    if swap:
        dneg = ember.minimum(dneg, dist(positive, negative))
    loss = ember.clamp_min(margin + dpos - dneg, 0)  # PyTorch's node: ClampMinBackward0
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss
