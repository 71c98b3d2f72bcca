"""Fractional max pooling: ``torch.nn.functional``'s names and signatures over the core
kernels ``ember.fractional_max_pool2d`` / ``ember.fractional_max_pool3d``."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.ops import pooling_fractional as _frac

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def _as_tuple(v: Any, n: int) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _with_indices(n: int, input: Tensor, kernel_size: Any, output_size: Any,
                  output_ratio: Any, _random_samples: Tensor | None) -> tuple:
    """``n``-D fractional max pooling returning ``(output, indices)``; the output size is
    ``output_size`` or ``int(input_size * output_ratio)``."""
    name = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is None:
        if n == 2 and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or "
                             "tuple of Ints.")
        ratio = _as_tuple(output_ratio, n)
        output_size = [int(input.size(i - n) * ratio[i]) for i in range(n)]
    if _random_samples is None:
        n_batch = 1 if input.dim() == n + 1 else input.size(0)
        _random_samples = ember.rand(n_batch, input.size(-n - 1), n, dtype=input.dtype,
                                     device=input.device)
    return getattr(_frac, name)(input, kernel_size, output_size, _random_samples)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """2-D fractional max pooling returning ``(output, indices)``; the output size is
    ``output_size`` or ``int(input_size * output_ratio)``."""
    return _with_indices(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """2-D fractional max pooling over ``(N, C, H, W)`` or ``(C, H, W)`` (Graham, 2014):
    windows of ``kernel_size`` at pseudo-random fractional strides."""
    out = _with_indices(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """3-D fractional max pooling returning ``(output, indices)``."""
    return _with_indices(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """3-D fractional max pooling over ``(N, C, T, H, W)`` or ``(C, T, H, W)``."""
    out = _with_indices(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]
