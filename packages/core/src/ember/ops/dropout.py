"""Dropout: elementwise, feature (whole channels) and alpha dropout.

Masks are drawn as PyTorch's CPU kernel draws them: an empty tensor of the noise shape
filled by ``bernoulli_(1 - p)`` from Ember's default generator (so ``manual_seed`` controls
them), scaled by ``1 / (1 - p)``, and multiplied into the input (``MulBackward0``).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from ._dispatch import Tensor, make

__all__ = ["dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout",
           "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_"]

_SELU_ALPHA = 1.7580993408473766  # selu's alpha * scale: the value alpha dropout drops to


def keep_mask(shape: tuple, keep: float, like: Tensor, dense_like: bool = True) -> Any:
    """A 0/1 array of ``shape`` (``like``'s dtype), each 1 with probability ``keep``; drawn
    in ``like``'s memory order when of its shape (``dense_like``: as ``empty_like``)."""
    from .. import ops

    dt = like.dtype
    empty = getattr(ops, "empty", None)
    if empty is not None and hasattr(like, "bernoulli_"):
        perm = None
        if dense_like and tuple(like._data.shape) == tuple(shape) and \
                like._device.type == "cpu":
            from .sampling import _like_perm

            perm = _like_perm(like._data)
        if perm is None:
            return empty(shape, dtype=dt, device=like.device).bernoulli_(keep)._data
        # PyTorch draws into empty_like(input), which keeps a dense input's memory order
        buf = empty(tuple(shape[d] for d in perm), dtype=dt, device=like.device)
        inv = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        return buf.permute(inv).bernoulli_(keep)._data
    from ..random import default_generator

    xp = like._device._backend.xp
    n = math.prod(shape)
    u = default_generator.random_u32(n).astype("float64") * (1.0 / 4294967296.0)
    return xp.asarray((u < keep).reshape(shape)).astype(like._data.dtype)


def _check(p: float) -> None:
    if p < 0 or p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_shape(input: Tensor, feature: bool) -> tuple:
    shape = tuple(input._data.shape)
    if not feature:
        return shape
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)


def _dropout(input: Tensor, p: float, train: bool, feature: bool, alpha: bool,
             inplace: bool) -> Tensor:
    _check(p)
    if p == 0 or not train or input._data.size == 0:
        return input
    xp = input._device._backend.xp
    if p == 1:
        zero = make(xp.zeros((), dtype=input._data.dtype), input._device)
        return input.mul_(zero) if inplace else input * zero
    # PyTorch's feature noise is a new C-ordered (N, C, 1, ...) tensor, whatever the input
    noise = keep_mask(_noise_shape(input, feature), 1 - p, input, dense_like=not feature)
    if noise.dtype.kind in "biu":  # PyTorch draws the mask, then cannot scale it in place
        from ._inplace import _type_name

        # alpha dropout first adds -1 to the mask, which makes a bool one Long
        dt = "int64" if alpha and noise.dtype.kind == "b" else noise.dtype
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_type_name(dt)}")
    if alpha:
        a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
        b = _scalar_op("add", _scalar_op("mul", _scalar_op("add", noise, -1.0),
                                         _SELU_ALPHA * a), _SELU_ALPHA * a * p)
        b = make(b, input._device)
        scaled = make(_scalar_op("mul", noise, a), input._device)
        return input.mul_(scaled).add_(b) if inplace else input * scaled + b
    scaled = make(_scalar_op("truediv", noise, 1 - p), input._device)
    return input.mul_(scaled) if inplace else input * scaled


def _scalar_op(name: str, arr: Any, scalar: float) -> Any:
    """``arr (op) scalar`` rounded to ``arr``'s dtype, as PyTorch's CPU kernels compute it:
    16-bit floats in float32, the scalar a float32 for mul and div (add rounds it to the
    16-bit dtype first)."""
    dt = arr.dtype
    if dt.kind in "biu":
        return arr
    x = arr.astype("float32") if dt.itemsize == 2 else arr  # float16, bfloat16
    if name == "add" and x is not arr:  # add_ rounds its scalar to the 16-bit dtype first
        scalar = float(arr.dtype.type(scalar))
    res = getattr(operator, name)(x, x.dtype.type(scalar))
    return res.astype(dt, copy=False)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    return _dropout(input, p, train, False, False, False)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(input, p, train, False, False, True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zero whole channels (dim 1) with probability ``p``."""
    return _dropout(input, p, train, True, False, False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(input, p, train, True, False, True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Dropout that keeps zero mean and unit variance for SELU networks."""
    return _dropout(input, p, train, False, True, False)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(input, p, train, False, True, True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Alpha dropout of whole channels."""
    return _dropout(input, p, train, True, True, False)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout(input, p, train, True, True, True)
