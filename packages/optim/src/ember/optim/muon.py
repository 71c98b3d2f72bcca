"""Muon: momentum orthogonalized by a Newton–Schulz iteration, for 2-d parameters.

PyTorch runs the iteration in bfloat16 (as Keller Jordan's reference does). Here the
bfloat16 numbers live in float32 arrays: every result PyTorch stores in bfloat16 is
rounded to bfloat16 (to nearest, ties to even) with integer operations on its bits, and
the products of bfloat16 matrices are taken in float64 (exact per term) and rounded to
float32 before that, as a float32-accumulating kernel gives them. No ``ml_dtypes`` needed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember import Tensor

from .optimizer import Optimizer, _add_, _bump, _hyper, _lerp_, _value, _zeros_like

__all__ = ["Muon"]

_ADJUST_LR_FNS = ("original", "match_rms_adamw", "spectral_unclamped")


def _round_bf16(xp: Any, a: Any) -> Any:
    """``a`` rounded to bfloat16 (nearest, ties to even), returned as a float32 array."""
    if a.dtype == np.float64:  # round once, from all 52 bits
        bits = a.view(np.uint64)
        bits = (bits + np.uint64(0xFFFFFFFFFFF) + ((bits >> np.uint64(45)) & np.uint64(1))
                ) & np.uint64(0xFFFFE00000000000)
        return bits.view(np.float64).astype(np.float32)
    a = xp.ascontiguousarray(a, dtype=np.float32)
    bits = a.view(np.uint32)
    bits = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
            ) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def _bf16_matmul(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b`` of bfloat16 values with float32 accumulation, as float32 (not yet rounded)."""
    return xp.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)


def _newton_schulz(xp: Any, grad: Any, coefficients: tuple, steps: int, eps: float) -> Any:
    """The orthogonalized ``grad`` (bfloat16 values in a float32 array), PyTorch's iteration."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(k) for k in coefficients)
    tall = grad.shape[0] > grad.shape[1]
    x = _round_bf16(xp, grad)
    if tall:
        x = x.T
    norm = _round_bf16(xp, xp.sqrt(xp.sum(xp.square(x.astype(np.float64)))).astype(np.float32))
    x = _round_bf16(xp, x / xp.maximum(norm, _round_bf16(xp, xp.asarray(eps, np.float32))))
    for _ in range(steps):
        gram = _round_bf16(xp, _bf16_matmul(xp, x, x.T))
        gram_update = _round_bf16(xp, b * gram + c * _bf16_matmul(xp, gram, gram))
        x = _round_bf16(xp, a * x + _bf16_matmul(xp, gram_update, x))
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    """The learning rate scaled for the matrix's shape ``(A, B)`` (fan-out, fan-in)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    elif adjust_lr_fn == "spectral_unclamped":
        ratio = math.sqrt(rows / cols)
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """PyTorch's Muon: SGD momentum (Nesterov by default) orthogonalized, decoupled weight decay.

    Only 2-d parameters (hidden layers' weights); biases and embeddings belong to another
    optimizer such as AdamW.
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
                 eps: float = 1e-07, ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _value(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in _ADJUST_LR_FNS:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _update(self, group: dict) -> None:
        # an lr tensor stays in its dtype (float32 weight-decay factor and step, as PyTorch)
        lr, wd, momentum = _hyper(group["lr"]), group["weight_decay"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Muon does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError("Muon does not support sparse gradients")
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = _zeros_like(p.grad)
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = p._device._backend.xp
            grad, buf = p.grad._data, self.state[p]["momentum_buffer"]._data
            _lerp_(xp, buf, grad, 1 - momentum, xp.empty_like(buf))
            if group["nesterov"]:
                update = grad.copy()
                _lerp_(xp, update, buf, momentum, xp.empty_like(buf))
            else:
                update = buf
            update = _newton_schulz(xp, update, group["ns_coefficients"], group["ns_steps"],
                                    group["eps"])
            p._data *= 1 - lr * wd
            _add_(xp, p._data, update.astype(p._data.dtype, copy=False),
                  -_adjust_lr(lr, group["adjust_lr_fn"], p.shape))
            _bump(p, self.state[p]["momentum_buffer"])
