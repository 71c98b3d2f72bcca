"""Rprop: resilient backpropagation, per-coordinate step sizes from gradient signs."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .optimizer import (
    Optimizer,
    _bump,
    _check_lr,
    _effective_grad,
    _elementwise,
    _full_like,
    _real,
    _real_view,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["Rprop"]




def _rprop_kernel(x: Any, g: Any, prev: Any, step_size: Any, gbuf: Any, factor: Any, *,
                  xp: Any, maximize: bool, etaminus: float, etaplus: float,
                  step_size_min: float, step_size_max: float) -> None:
    """One Rprop update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _effective_grad(xp, g, x, maximize, 0, gbuf)
    # sign(grad * prev) -> etaplus where > 0, etaminus where < 0, 1 where 0 (nan stays)
    xp.multiply(g, prev, out=factor)
    xp.sign(factor, out=factor)
    positive, negative = factor > 0, factor < 0
    xp.copyto(factor, 1, where=factor == 0)
    xp.copyto(factor, etaplus, where=positive)
    xp.copyto(factor, etaminus, where=negative)
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    # where the sign flipped, the gradient counts as zero (no step, no memory)
    xp.copyto(prev, g)
    xp.copyto(prev, 0, where=factor == etaminus)
    xp.sign(prev, out=factor)
    factor *= step_size
    x -= factor


class Rprop(Optimizer):
    """PyTorch's Rprop, step for step (its single-tensor algorithm)."""

    _foreach_refuses_grad = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p in self._dense_grads(group, "Rprop does not support sparse gradients"):
            state = self._state_of(p, group)
            state["step"]._data += 1
            arrays = (_real(p._data), _real(p.grad._data), _real(state["prev"]._data),
                      _real(state["step_size"]._data))
            _elementwise(_rprop_kernel, arrays, 2, p._device._backend.xp,
                         maximize=group["maximize"], etaminus=etaminus, etaplus=etaplus,
                         step_size_min=step_size_min, step_size_max=step_size_max)
            _bump(p, state["step"], state["prev"], state["step_size"])

    def _new_state(self, p: Tensor, group: dict) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["prev"] = _zeros_like(p)
        state["step_size"] = _full_like(p, _value(group["lr"]))
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor Rprop in tensor ops, run with grad so the step is
        recorded."""
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p in self._dense_grads(group, "Rprop does not support sparse gradients"):
            state = self._state_of(p, group)
            grad = -p.grad if group["maximize"] else p.grad
            state["step"] += 1
            param, grad, prev, step_size = (
                _real_view(t) for t in (p, grad, state["prev"], state["step_size"]))
            sign = grad.mul(prev.clone()).sign()
            sign[sign.gt(0)] = etaplus
            sign[sign.lt(0)] = etaminus
            sign[sign.eq(0)] = 1
            step_size.mul_(sign).clamp_(step_size_min, step_size_max)
            grad = grad.clone()
            grad[sign.eq(etaminus)] = 0
            param.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
