"""Adafactor (Shazeer & Stern): second moments kept as row and column factors, PyTorch's variant.

A parameter of two or more dimensions keeps the running means of its squared gradient
over the last dimension (``row_var``, shape ``(..., n, 1)``) and over the one before
(``col_var``, shape ``(..., 1, m)``); their outer product over the mean row factor
estimates the second moment. Vectors and scalars keep a full ``variance``. As in
PyTorch, ``lr`` caps the relative step size and scales the decoupled weight decay, and
``eps[0]`` (the dtype's machine epsilon when None) guards the variance estimate.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    _add_,
    _bump,
    _hyper,
    _lerp_,
    _scalar_step,
    _value,
    _wrap,
    _zeros_like,
)

__all__ = ["Adafactor"]


def _wide(xp: Any, a: Any) -> Any:
    """``a`` as PyTorch's kernels accumulate it: float16/bfloat16 in float32 (opmath)."""
    return a.astype(xp.float32) if a.dtype.itemsize == 2 else a


def _rms(xp: Any, a: Any) -> float:
    """``a.norm(2).item() / a.numel() ** 0.5``, the norm rounded to ``a``'s dtype."""
    w = _wide(xp, a)
    norm = xp.sqrt(xp.sum(w * w, dtype=w.dtype))
    return float(norm.astype(a.dtype)) / (a.size ** 0.5)


def _adafactor_update(xp: Any, x: Any, g: Any, state: dict, *, lr: float, step: float,
                      beta2_decay: float, eps1: float, eps2: float, d: float,
                      weight_decay: float) -> None:
    """One Adafactor update of the parameter array ``x`` in place (PyTorch's order)."""
    weight = step ** beta2_decay  # 1 - beta2_t
    rho = min(lr, 1 / step ** 0.5)
    alpha = max(eps2, _rms(xp, x)) * rho
    if weight_decay != 0:
        decay = 1 - lr * weight_decay
        # PyTorch multiplies half by a number in float32; NumPy would round it to float16
        x *= xp.float32(decay) if x.dtype.itemsize == 2 and decay.__class__ is float else decay
    if g.ndim > 1:
        row, col = state["row_var"]._data, state["col_var"]._data
        w = _wide(xp, g)
        sq = w * w
        # the mean squares per row and per column: vector norms (rounded to the gradient's
        # dtype) squared, over the length
        for var, axis in ((row, -1), (col, -2)):
            norm = xp.sqrt(xp.sum(sq, axis=axis, keepdims=True)).astype(g.dtype)
            mean = (xp.square(norm) / g.shape[axis]).astype(g.dtype, copy=False)
            _lerp_(xp, var, mean, weight, xp.empty_like(var))
        estimate = row * col  # row_var @ col_var: an outer product (inner length 1)
        row_mean = xp.mean(_wide(xp, row), axis=-2, keepdims=True).astype(row.dtype)
        estimate /= xp.maximum(row_mean, eps1)
    else:
        variance = state["variance"]._data
        _lerp_(xp, variance, g * g, weight, xp.empty_like(g))
        estimate = variance.copy()
    update = xp.maximum(estimate, eps1 * eps1, out=estimate)
    if update.dtype.itemsize == 2:  # rsqrt_ in float32, rounded once
        update = (1 / xp.sqrt(update.astype(xp.float32))).astype(g.dtype)
    else:
        xp.sqrt(update, out=update)
        xp.divide(1, update, out=update)
    update *= g
    denom = max(1.0, _rms(xp, update) / d)
    _add_(xp, x, update, -alpha / denom)


class Adafactor(Optimizer):
    """PyTorch's Adafactor: factored second moments, relative step sizes, update clipping."""

    _group_defaults = {"foreach": None}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _value(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        eps1, eps2 = group["eps"]
        # an lr tensor stays in its dtype, as PyTorch's 0-d tensor: ``rho``, ``alpha`` and
        # the weight-decay factor round to float32 with ``lr=torch.tensor(0.01)``
        lr = _hyper(group["lr"])
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError("Adafactor does not support sparse gradients")
            xp = p._device._backend.xp
            grad = p.grad._data
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_step()
                if grad.ndim > 1:
                    state["row_var"] = _wrap(xp.zeros((*grad.shape[:-1], 1), grad.dtype), p)
                    state["col_var"] = _wrap(
                        xp.zeros((*grad.shape[:-2], 1, grad.shape[-1]), grad.dtype), p)
                else:
                    state["variance"] = _zeros_like(p.grad)
            if group["maximize"]:
                grad = -grad
            if eps1 is None:  # as in PyTorch, the first parameter's dtype sets it for the group
                eps1 = float(ember.finfo(p.dtype).eps)  # bfloat16 too
            step_t = state["step"]
            step_t._data += 1
            _adafactor_update(xp, p._data, grad, state, lr=lr, step=float(step_t._data),
                              beta2_decay=group["beta2_decay"], eps1=eps1, eps2=eps2,
                              d=group["d"], weight_decay=group["weight_decay"])
            _bump(p, step_t, *(state[k] for k in ("row_var", "col_var", "variance")
                               if k in state))
