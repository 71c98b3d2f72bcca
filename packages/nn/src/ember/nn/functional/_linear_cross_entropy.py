"""``linear_cross_entropy``: cross entropy of ``linear(input, linear_weight)`` logits.

Ember computes PyTorch's reference path (the logits are materialised); ``options``
(``LinearCrossEntropyOptions``, PyTorch's switch to its chunked kernel) is accepted, and
PyTorch's warning for configurations its chunked kernel does not take is given.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import ember
from ember import Tensor

from ._layers import linear
from ._losses import cross_entropy

__all__ = ["linear_cross_entropy"]


def _warn_unchunkable(options: Any, target: Tensor, out_features: tuple, reduction: str,
                      label_smoothing: float, linear_bias: Tensor | None,
                      probabilities: bool, input: Tensor) -> None:
    chunkable_prob = (probabilities and reduction in ("mean", "sum")
                      and target.dtype == input.dtype
                      and not (target.requires_grad and ember.is_grad_enabled()))
    if options is None or not (out_features or reduction not in ("mean", "sum", "none")
                               or label_smoothing != 0.0
                               or (target.dtype != ember.int64 and not chunkable_prob)):
        return
    warnings.warn(
        "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
        "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64 (or a probability "
        "target with reduction in {'mean','sum'}, dtype matching input, and requires_grad == "
        f"False), out_features == (). Got reduction={reduction!r}, "
        f"label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
        f"out_features={tuple(out_features)}, tracing=False, "
        f"target.requires_grad={target.requires_grad}, linear_bias.shape="
        f"{tuple(linear_bias.shape) if linear_bias is not None else None}.", stacklevel=3)


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options: Any = None) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    ``input`` is ``(in_features)`` or ``(N, in_features)``; ``linear_weight`` is
    ``(C, in_features)`` or ``(C, d_1, ..., d_K, in_features)`` for a K-dimensional loss;
    ``ignore_index=None`` means -100 for class-index targets.
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batch = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), got "
            f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*batch, num_classes, *out_features)
    probabilities = tuple(target.shape) == logits_shape
    if probabilities and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    _warn_unchunkable(options, target, out_features, reduction, label_smoothing, linear_bias,
                      probabilities, input)
    if out_features:
        rows = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape((rows, in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(rows)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)
