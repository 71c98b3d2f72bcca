"""binomial: samples of Binomial(count, prob) distributions, drawn from an Ember Generator.

The draws follow PyTorch's CPU sampler and random stream, so a seed gives PyTorch's
numbers. Not differentiable.
"""

from __future__ import annotations

import numpy as np

from ..random import Generator
from . import _rejection_kernels as _kernels
from ._dispatch import Tensor, make, result_type
from .math_misc import _dtype_name, not_differentiable

__all__ = ["binomial"]


def binomial(count: Tensor, prob: Tensor, generator: Generator | None = None) -> Tensor:
    """The number of successes in ``count`` trials of probability ``prob`` (broadcast),
    in their floating dtype."""
    from .sampling import _generator

    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
        if not t.is_floating_point():
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{_dtype_name(t.dtype)}")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {_dtype_name(prob.dtype)} but expected "
                           f"{_dtype_name(count.dtype)}")
    if count.dtype.itemsize < 4:
        raise NotImplementedError(
            f"\"binomial_cpu\" not implemented for '{_dtype_name(count.dtype)}'")
    dt = result_type(count, prob)
    n = count.detach()._host().astype(np.float64)
    p = prob.detach()._host().astype(np.float64)
    try:
        n, p = np.broadcast_arrays(n, p)
    except ValueError:
        raise RuntimeError(f"The size of tensor a must match the size of tensor b: shapes "
                           f"{list(count.shape)} and {list(prob.shape)}") from None
    gen = _generator(generator, count._device)
    c = np.ascontiguousarray(n.astype(dt.np))
    q = np.ascontiguousarray(p.astype(dt.np))
    with gen.lock:  # PyTorch's samplers (BTRS, inversion), draw for draw
        out = _kernels.binomial(gen, c, q).reshape(c.shape)
    arr = out.astype(dt.np)
    dev = count._device
    data = arr if dev.type == "cpu" else dev._backend.asarray(arr, index=dev.index)
    return not_differentiable("binomial", make(data, dev), (count, prob))
