"""``ember.nn.grad``: gradients of a convolution with respect to its input or its weight,
given the incoming gradient (``torch.nn.grad``'s ``conv{1,2,3}d_input`` / ``_weight``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _input_grad_fn(d: int) -> Callable[..., Tensor]:
    """``conv{d}d_input``."""
    def conv_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                   stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                   groups: int = 1) -> Tensor:
        x = _leaf(input_size, grad_output)
        return _conv_grad(d, x, weight.detach(), grad_output, stride, padding, dilation, groups,
                          x)

    conv_input.__name__ = conv_input.__qualname__ = f"conv{d}d_input"
    conv_input.__doc__ = (f"Gradient of ``conv{d}d`` with respect to an input of shape "
                          "``input_size``.")
    return conv_input


def _weight_grad_fn(d: int) -> Callable[..., Tensor]:
    """``conv{d}d_weight``."""
    def conv_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,
                    stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                    groups: int = 1) -> Tensor:
        w = _leaf(weight_size, grad_output)
        return _conv_grad(d, input.detach(), w, grad_output, stride, padding, dilation, groups,
                          w)

    conv_weight.__name__ = conv_weight.__qualname__ = f"conv{d}d_weight"
    conv_weight.__doc__ = (f"Gradient of ``conv{d}d`` with respect to a weight of shape "
                           "``weight_size``.")
    return conv_weight


conv1d_input = _input_grad_fn(1)
conv1d_weight = _weight_grad_fn(1)
conv2d_input = _input_grad_fn(2)
conv2d_weight = _weight_grad_fn(2)
conv3d_input = _input_grad_fn(3)
conv3d_weight = _weight_grad_fn(3)
