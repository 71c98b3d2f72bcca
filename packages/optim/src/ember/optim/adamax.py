"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember import Tensor

from .adam import _refuse_mixed_state
from .optimizer import (
    Optimizer,
    _addcdiv_,
    _bump,
    _check,
    _check_betas,
    _check_lr,
    _effective_grad,
    _elementwise,
    _hyper,
    _lerp_,
    _number,
    _real,
    _real_view,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["Adamax"]




def _adamax_kernel(x: Any, g: Any, m: Any, u: Any, gbuf: Any, tmp: Any, *, xp: Any,
                   maximize: bool, wd: float, beta1: float, beta2: float, eps: float,
                   clr: float) -> None:
    """One Adamax update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    _lerp_(xp, m, g, 1 - beta1, tmp)
    u *= np.float32(beta2) if u.dtype == np.float16 else beta2  # float16: opmath float32
    xp.abs(g, out=tmp)
    tmp += eps
    xp.maximum(u, tmp, out=u)
    _addcdiv_(xp, x, m, u, -clr, tmp)


class Adamax(Optimizer):
    """PyTorch's Adamax, step for step (its single-tensor algorithm)."""

    _foreach_refuses_grad = True
    _capturable_foreach_no_xla = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check("epsilon", eps)
        _check_betas(betas)
        _check("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        # PyTorch's multi-tensor step takes an lr tensor's value as a Python float
        lr = _value(group["lr"]) if group["foreach"] else _hyper(group["lr"])
        beta1, beta2 = (_value(b) for b in group["betas"])
        for p in self._dense_grads(group, "Adamax does not support sparse gradients"):
            state = self._state_of(p)
            state["step"]._data += 1
            if state["exp_avg"]._data.dtype != p.grad._data.dtype:
                _refuse_mixed_state(p, state["exp_avg"])
            clr = lr / (1 - beta1 ** float(state["step"]._data))
            arrays = (_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                      _real(state["exp_inf"]._data))
            _elementwise(_adamax_kernel, arrays, 2, p._device._backend.xp,
                         maximize=group["maximize"], wd=group["weight_decay"], beta1=beta1,
                         beta2=beta2, eps=group["eps"], clr=clr)
            _bump(p, state["step"], state["exp_avg"], state["exp_inf"])

    def _new_state(self, p: Tensor) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["exp_avg"] = _zeros_like(p)
        state["exp_inf"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor Adamax in tensor ops, run with grad so the step is recorded
        (the infinity norm as the ``amax`` of a stack, as PyTorch's differentiable branch)."""
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        for p in self._dense_grads(group, "Adamax does not support sparse gradients"):
            state = self._state_of(p)
            grad = -p.grad if group["maximize"] else p.grad
            state["step"] += 1
            if wd != 0:
                grad = grad.add(p, alpha=wd)
            param, grad, exp_avg, exp_inf = (
                _real_view(t) for t in (p, grad, state["exp_avg"], state["exp_inf"]))
            exp_avg.lerp_(grad, 1 - beta1)
            norm_buf = ember.cat([exp_inf.mul_(beta2).unsqueeze(0),
                                  grad.abs().add_(group["eps"]).unsqueeze_(0)], 0)
            exp_inf.copy_(ember.amax(norm_buf, 0, keepdim=False))
            clr = lr / (1 - beta1 ** float(state["step"]._data))
            param.addcdiv_(exp_avg, exp_inf, value=_number(-clr, "addcdiv_", "value"))
