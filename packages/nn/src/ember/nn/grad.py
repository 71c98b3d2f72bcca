"""``ember.nn.grad``: gradients of a convolution with respect to its input or its weight,
given the incoming gradient (``torch.nn.grad``'s ``conv{1,2,3}d_input`` / ``_weight``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember import Tensor

from . import functional as F

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _conv_grad(d: int, input: Tensor, weight: Tensor, grad_output: Tensor, stride: Any,
               padding: Any, dilation: Any, groups: int, wrt: Tensor) -> Tensor:
    conv = getattr(F, f"conv{d}d")
    with ember.enable_grad():
        out = conv(input, weight, None, stride, padding, dilation, groups)
        (g,) = ember.autograd.grad(out, wrt, grad_output)
    return g


def _leaf(size: Sequence[int], like: Tensor) -> Tensor:
    return ember.zeros(tuple(size), dtype=like.dtype, device=like.device, requires_grad=True)


def _input_grad(d: int, input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                stride: Any, padding: Any, dilation: Any, groups: int) -> Tensor:
    x = _leaf(input_size, grad_output)
    return _conv_grad(d, x, weight.detach(), grad_output, stride, padding, dilation, groups, x)


def _weight_grad(d: int, input: Tensor, weight_size: Sequence[int], grad_output: Tensor,
                 stride: Any, padding: Any, dilation: Any, groups: int) -> Tensor:
    w = _leaf(weight_size, grad_output)
    return _conv_grad(d, input.detach(), w, grad_output, stride, padding, dilation, groups, w)


def conv1d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """Gradient of ``conv1d`` with respect to an input of shape ``input_size``."""
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """Gradient of ``conv1d`` with respect to a weight of shape ``weight_size``."""
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """Gradient of ``conv2d`` with respect to an input of shape ``input_size``."""
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """Gradient of ``conv2d`` with respect to a weight of shape ``weight_size``."""
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """Gradient of ``conv3d`` with respect to an input of shape ``input_size``."""
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """Gradient of ``conv3d`` with respect to a weight of shape ``weight_size``."""
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)
