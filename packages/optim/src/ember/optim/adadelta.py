"""Adadelta: unit-corrected steps from running averages of squared gradients and updates."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    _add_,
    _addcmul_,
    _bump,
    _check,
    _check_lr,
    _effective_grad,
    _elementwise,
    _number,
    _real,
    _real_view,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["Adadelta"]




def _adadelta_kernel(x: Any, g: Any, square_avg: Any, acc_delta: Any, gbuf: Any, std: Any,
                     delta: Any, *, xp: Any, maximize: bool, wd: float, rho: float, eps: float,
                     lr: float) -> None:
    """One Adadelta update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    square_avg *= rho
    _addcmul_(xp, square_avg, g, g, 1 - rho, std)
    xp.add(square_avg, eps, out=std)
    xp.sqrt(std, out=std)
    xp.add(acc_delta, eps, out=delta)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho
    _addcmul_(xp, acc_delta, delta, delta, 1 - rho, std)
    _add_(xp, x, delta, -lr)


class Adadelta(Optimizer):
    """PyTorch's Adadelta, step for step (its single-tensor algorithm)."""

    _foreach_refuses_grad = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}
    _capturable_devices = ("cuda", "xpu", "hpu", "privateuseone")
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check("epsilon", eps)
        _check("weight_decay", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        for p in self._dense_grads(group, "Adadelta does not support sparse gradients"):
            state = self._state_of(p)
            state["step"]._data += 1
            arrays = (_real(p._data), _real(p.grad._data), _real(state["square_avg"]._data),
                      _real(state["acc_delta"]._data))
            _elementwise(_adadelta_kernel, arrays, 3, p._device._backend.xp,
                         maximize=group["maximize"], wd=group["weight_decay"], rho=group["rho"],
                         eps=group["eps"], lr=lr)
            _bump(p, state["step"], state["square_avg"], state["acc_delta"])

    def _new_state(self, p: Tensor) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["square_avg"] = _zeros_like(p)
        state["acc_delta"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor Adadelta in tensor ops, run with grad so the step is
        recorded."""
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p in self._dense_grads(group, "Adadelta does not support sparse gradients"):
            state = self._state_of(p)
            state["step"] += 1
            grad = -p.grad if group["maximize"] else p.grad
            if wd != 0:
                grad = grad.add(p, alpha=wd)
            grad, square_avg, acc_delta = (
                _real_view(t) for t in (grad, state["square_avg"], state["acc_delta"]))
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_().clone()
            delta.div_(std).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            if p.is_complex():
                delta = ember.view_as_complex(delta)
            p.add_(delta, alpha=_number(-lr, "add_", "alpha"))
