"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
``clip_grads_with_norm_``."""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

import ember
from ember import Tensor
from ember.ops.sparse_coo import _unsupported

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]

_tensor_or_tensors = Tensor | Iterable[Tensor]


def _as_list(tensors: _tensor_or_tensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _stored(t: Tensor) -> Tensor:
    """The values a norm reads: a sparse gradient's (Embedding(sparse=True)) coalesced values,
    as PyTorch's norm of a sparse tensor."""
    return t.coalesce().values() if t.is_sparse else t


def get_total_norm(tensors: _tensor_or_tensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of the norms of ``tensors`` (as if they were one concatenated vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return ember.tensor(0.0)
    first_device = tensors[0].device  # PyTorch reads it first (None entries fail here)
    with ember.no_grad():
        if norm_type == math.inf and foreach is not False and any(
                _stored(t).numel() == 0 for t in tensors):  # PyTorch's foreach kernel's words
            raise RuntimeError("_foreach_norm cannot compute the infinity norm on an empty "
                               "tensor because the operation does not have an identity")
        norms = [ember.linalg.vector_norm(_stored(t), norm_type) for t in tensors]
        total = ember.linalg.vector_norm(ember.stack([n.to(first_device) for n in norms]),
                                         norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters: _tensor_or_tensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with ember.no_grad():
        coef = max_norm / (total_norm + 1e-6)
        if not isinstance(coef, Tensor):  # PyTorch clamps it as a tensor
            raise TypeError(
                f"clamp() received an invalid combination of arguments - got "
                f"({type(coef).__name__}, max=float), but expected one of:\n"
                " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
        coef = coef.clamp(max=1.0)
        if foreach is not False and coef.dim() != 0:  # the foreach kernels take a scalar
            raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {coef.dim()} "
                               f"dimensions and {coef.numel()} elements.")
        for g in grads:
            # the scale as the kernel reads it: in the gradient's compute type
            dt = ember.float64 if g.dtype == ember.float64 else (
                ember.float32 if g.is_floating_point() else coef.dtype)
            g.mul_(coef.to(device=g.device, dtype=dt))


def clip_grad_norm_(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Clip the gradients' total norm to ``max_norm`` in place; returns the total norm."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated: use ``clip_grad_norm_``."""
    warnings.warn("`ember.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`ember.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _tensor_or_tensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:  # PyTorch groups the gradients by device first: an empty list fails there
        raise RuntimeError("Expected !nested_tensorlist[0].empty() to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    with ember.no_grad():
        for g in grads:
            if g.is_sparse:  # PyTorch has no sparse clamp; its kernel's name
                raise _unsupported("aten::clamp_" if foreach is False else "aten::clamp_min_",
                                   g.device)
            g.clamp_(min=-clip_value, max=clip_value)

