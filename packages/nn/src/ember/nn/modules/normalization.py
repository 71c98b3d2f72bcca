"""``LayerNorm``, ``GroupNorm``, ``RMSNorm``, ``LocalResponseNorm``, ``CrossMapLRN2d``."""

from __future__ import annotations

import numbers
from typing import Any

import ember
from ember import Tensor
from ember._tensor import make
from ember.autograd import Function

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"]


def _shape_tuple(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalization over the last ``len(normalized_shape)`` dimensions."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ember.empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(ember.empty(self.normalized_shape, device=device,
                                                  dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return ("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}, "
                "bias={use_bias}".format(**self.__dict__, use_bias=self.bias is not None))


class GroupNorm(Module):
    """Normalization over groups of channels of (N, C, *) inputs."""

    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(ember.empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(ember.empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return ("{num_groups}, {num_channels}, eps={eps}, affine={affine}, "
                "bias={use_bias}".format(**self.__dict__, use_bias=self.bias is not None))


class RMSNorm(Module):
    """Root-mean-square normalization over the last dimensions."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ember.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return ("{normalized_shape}, eps={eps}, "
                "elementwise_affine={elementwise_affine}".format(**self.__dict__))


class _LRNBase(Module):
    """LocalResponseNorm and CrossMapLRN2d (separate classes in PyTorch)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


class LocalResponseNorm(_LRNBase):
    """Normalization over neighbouring channels (AlexNet's LRN)."""

    __constants__ = ["size", "alpha", "beta", "k"]


def _channel_window_sum(xp: Any, a: Any, lo: int, hi: int) -> Any:
    """``out[:, c] = sum(a[:, c+lo : c+hi+1])`` with channels outside the range as zeros (one
    shifted add per window tap)."""
    c = a.shape[1]
    out = xp.zeros_like(a)
    for off in range(max(lo, 1 - c), min(hi, c - 1) + 1):
        if off >= 0:
            out[:, :c - off] += a[:, off:]
        else:
            out[:, -off:] += a[:, :c + off]
    return out


class _legacy:  # noqa: N801 - namespace so that the node is named CrossMapLRN2dBackward
    class CrossMapLRN2d(Function):
        """PyTorch's legacy cross-map LRN, quirks kept: once a window has slid past channel 0
        that channel is never subtracted from the running sum, and the backward is the legacy
        closed form (its ratio window is not centred), not the derivative of the forward."""

        @staticmethod
        def forward(ctx: Any, input: Tensor, size: int, alpha: float, beta: float,
                    k: float) -> Tensor:
            xp = input._device._backend.xp
            x = input._data
            pre = int((size - 1) / 2 + 1)
            acc = _channel_window_sum(xp, x * x, 1 - pre, pre - 1)
            acc[:, pre:] += x[:, :1] * x[:, :1]
            # in the input's dtype (NumPy takes bfloat16 and a Python float to float32), and a
            # new C-order array, as PyTorch's
            scale = (k + alpha / size * acc).astype(x.dtype, copy=False)
            out = xp.ascontiguousarray((x * scale ** -beta).astype(x.dtype, copy=False))
            ctx.arrays = (x, out, scale)
            ctx.params = (size, alpha, beta)
            return make(out, input._device)

        @staticmethod
        def backward(ctx: Any, grad_output: Tensor) -> tuple:
            xp = grad_output._device._backend.xp
            x, out, scale = ctx.arrays
            size, alpha, beta = ctx.params
            g = grad_output._data
            lead = int(size - (size - 1) / 2)
            if lead > size - 1:  # PyTorch narrows its padded ratio past its end (size 1)
                c = x.shape[1]
                raise RuntimeError(f"start ({lead}) + length ({c}) exceeds dimension size "
                                   f"({c + size - 1}).")
            ratio = _channel_window_sum(xp, g * out / scale, -lead, size - 1 - lead)
            gi = scale ** -beta * g - (2 * alpha * beta / size) * x * ratio
            return make(gi.astype(x.dtype, copy=False), grad_output._device), None, None, None, None


class CrossMapLRN2d(_LRNBase):
    """Legacy cross-channel LRN over 4-D inputs, with PyTorch's legacy numbers."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                             "instead.")
        if not (input.is_floating_point() or input.is_complex()):
            # PyTorch's legacy kernel writes float scales (long ones for bool) into the input's
            # dtype in place
            from ember.ops.linalg import _tname
            got = "Long" if input.dtype == ember.bool else "Float"
            raise RuntimeError(f"result type {got} can't be cast to the desired output type "
                               f"{_tname(input)}")
        return _legacy.CrossMapLRN2d.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)
