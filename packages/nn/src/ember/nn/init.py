"""``ember.nn.init``: PyTorch's parameter initializers.

Every initializer fills a tensor in place under ``no_grad`` and draws from
Ember's generator exactly as PyTorch draws from its own (e.g. ``kaiming_uniform_``
computes a bound, then calls ``tensor.uniform_(-bound, bound)``), so a seeded
program initializes the same way on both when the random streams match.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import ember
from ember import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_", "uniform", "normal", "constant",
           "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal",
           "sparse"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def _gen(generator: Any) -> dict:
    return {} if generator is None else {"generator": generator}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (e.g. sqrt(2) for relu)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return tensor.size(1) * receptive_field_size, tensor.size(0) * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with U(a, b)."""
    with ember.no_grad():
        return tensor.uniform_(a, b, **_gen(generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2)."""
    with ember.no_grad():
        return tensor.normal_(mean, std, **_gen(generator))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2) truncated to [a, b], by PyTorch's rejection sampling.

    The draws come in PyTorch's order, so a seeded generator gives PyTorch's values: where
    the interval holds over 30% of the mass, normal draws outside it are redrawn; otherwise
    uniform draws on [a, b] are accepted against the normal density.
    """
    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if tensor.is_meta:  # no values to draw: a no-op, as PyTorch (no warning, no draws)
        return tensor
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    gen = _gen(generator)
    with ember.no_grad():
        if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
            _redraw_outside(tensor, mean, std, a, b, gen)
        else:
            _accept_uniform(tensor, mean, std, a, b, gen)
        return tensor


def _redraw_outside(tensor: Tensor, mean: float, std: float, a: float, b: float,
                    gen: dict) -> None:
    """Normal draws; those outside [a, b] (as the tensor's dtype rounds them) drawn again."""
    lo, hi = tensor.new_tensor(a, device="cpu").item(), tensor.new_tensor(b, device="cpu").item()
    result = tensor.normal_(mean, std, **gen)
    while True:
        outside = (result < lo) | (result > hi)
        if not outside.any():
            break
        result = ember.where(outside, ember.empty_like(result).normal_(mean, std, **gen), result)
    if result is not tensor:
        tensor.copy_(result)


def _accept_uniform(tensor: Tensor, mean: float, std: float, a: float, b: float,
                    gen: dict) -> None:
    """Uniform draws on [a, b], each accepted with probability pdf(x) / pdf(mode)."""
    log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
    candidates = ember.empty_like(tensor)
    accept = ember.empty_like(tensor)

    def log_density(x: Tensor) -> Tensor:
        return x.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)

    tensor.uniform_(a, b, **gen)
    candidates.copy_(tensor)
    pending = accept.uniform_(**gen).log_().gt(log_density(candidates))
    if not pending.any():
        return
    result = tensor
    while True:
        candidates.uniform_(a, b, **gen)
        result = ember.where(pending, candidates, result)
        density = log_density(candidates)
        pending = ember.where(pending, accept.uniform_(**gen).log_().gt(density), pending)
        if not pending.any():
            break
    tensor.copy_(result)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with ember.no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    with ember.no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    with ember.no_grad():
        return tensor.zero_()


def _copy_host(tensor: Tensor, values: np.ndarray) -> Tensor:
    with ember.no_grad():
        src = ember.tensor(values, dtype=tensor.dtype, device=tensor.device)
        return tensor.copy_(src)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _copy_host(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3/4/5-D convolution weight with the identity (per group)."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    if tensor.is_meta:
        return tensor
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    values = np.zeros(sizes)
    if min_dim and groups and 0 in sizes[2:]:  # PyTorch's write at the centre finds no entry
        raise IndexError(f"index 0 is out of bounds for dimension {sizes.index(0, 2)} with "
                         "size 0")
    g, d = np.meshgrid(np.arange(groups), np.arange(min_dim), indexing="ij")
    centre = tuple(s // 2 for s in sizes[2:])
    if min_dim:
        values[((g * out_per_group + d).ravel(), d.ravel()) + centre] = 1
    return _copy_host(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan)."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * (gain / math.sqrt(fan))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0 or tensor.is_meta:  # a no-op: nothing drawn, as PyTorch
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with ember.no_grad():
        flat = ember.empty((rows, cols), dtype=tensor.dtype).normal_(0, 1, **_gen(generator))
    if flat.dtype in (ember.float16, ember.bfloat16):  # PyTorch's QR has no half kernel
        kind = "Half" if flat.dtype == ember.float16 else "BFloat16"
        raise NotImplementedError(f'"geqrf_{tensor.device.type}" not implemented for \'{kind}\'')
    if flat.is_complex():  # PyTorch fails at the sign of R's diagonal
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    with ember.no_grad():  # PyTorch copies through a view: a strided 3-D+ tensor fails
        target = tensor.view(rows, cols)
    a = np.asarray(flat._host())
    if rows < cols:
        a = a.T
    q, r = np.linalg.qr(a)  # in the tensor's precision, as PyTorch factors it
    q = q * np.sign(np.diag(r)).astype(q.dtype)  # the unique Q with a positive diagonal in R
    if rows < cols:
        q = q.T
    _copy_host(target, q)
    with ember.no_grad():
        return tensor.mul_(gain)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Any = None) -> Tensor:
    """N(0, std^2) with a fraction ``sparsity`` of each column set to zero."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if tensor.is_meta:  # a no-op: no permutations drawn, as PyTorch
        return tensor
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with ember.no_grad():
        tensor.normal_(0, std, **_gen(generator))
        zero = np.zeros((rows, cols), dtype=bool)
        for col in range(cols):  # one permutation per column, as PyTorch draws them: from
            # the default generator whatever ``generator`` is (PyTorch passes it to normal_ only)
            perm = np.asarray(ember.randperm(rows).numpy())
            zero[perm[:num_zeros], col] = True
        # assigned, not multiplied: a zeroed negative value is +0.0 as in PyTorch
        tensor.masked_fill_(ember.tensor(zero, device=tensor.device), 0.0)
    return tensor


def _deprecated(new: Any) -> Any:
    def old(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{new.__name__[:-1]}` is now deprecated in favor of "
                      f"`nn.init.{new.__name__}`.", FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    old.__name__ = new.__name__[:-1]
    old.__doc__ = f"Deprecated alias of ``{new.__name__}``."
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
