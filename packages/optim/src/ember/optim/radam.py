"""RAdam: Adam with the variance of the adaptive learning rate rectified."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import Tensor

from .adam import _refuse_mixed_state
from .optimizer import (
    Optimizer,
    _adam_moments,
    _adam_moments_,
    _bump,
    _check,
    _check_betas,
    _check_lr,
    _elementwise,
    _hyper,
    _real,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["RAdam"]




def _radam_kernel(x: Any, g: Any, m: Any, v: Any, gbuf: Any, tmp: Any, update: Any, *,
                  xp: Any, maximize: bool, decay: float | None, wd: float, beta1: float,
                  beta2: float, bias_correction1: float, lr: float, rect: float | None,
                  bias_correction2_sqrt: float, eps: float) -> None:
    """One RAdam update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _adam_moments_(xp, x, g, m, v, gbuf, tmp, maximize, decay, wd, beta1, beta2)
    xp.divide(m, bias_correction1, out=update)
    update *= lr
    if rect is not None:
        # the adaptive lr, bias_correction2 ** 0.5 / (sqrt(v) + eps), as reciprocal * scalar
        xp.sqrt(v, out=tmp)
        tmp += eps
        xp.reciprocal(tmp, out=tmp)
        tmp *= bias_correction2_sqrt
        update *= tmp
        update *= rect
    x -= update


def _radam_foreach_kernel(x: Any, g: Any, m: Any, v: Any, gbuf: Any, tmp: Any, update: Any, *,
                          xp: Any, maximize: bool, decay: Any, wd: float, beta1: float,
                          beta2: float, adaptive_coef: Any, unrect_coef: Any, eps: float) -> None:
    """PyTorch's multi-tensor RAdam (``foreach=True``): the moments as the single-tensor step,
    then ``x += m * (1 / ((sqrt(v) + eps) / adaptive_coef) + unrect_coef)``."""
    g = _adam_moments_(xp, x, g, m, v, gbuf, tmp, maximize, decay, wd, beta1, beta2)
    xp.sqrt(v, out=update)
    update += eps
    with np.errstate(divide="ignore"):  # an unrectified step divides by zero, as PyTorch
        update /= adaptive_coef
    xp.reciprocal(update, out=update)
    update += unrect_coef
    if x.dtype == np.float32:  # PyTorch's addcmul_ rounds once: the product taken in float64
        x[...] = x + m.astype(np.float64) * update
    else:
        xp.multiply(m, update, out=tmp)
        x += tmp


class RAdam(Optimizer):
    """PyTorch's RAdam, step for step (its single-tensor algorithm)."""

    _foreach_refuses_grad = True
    _capturable_foreach_no_xla = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "decoupled_weight_decay": False, "capturable": False}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False,
                 *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check("epsilon", eps)
        _check_betas(betas)
        _check("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        lr_t = _hyper(group["lr"])  # an lr tensor's dtype: PyTorch's decay factor is float32
        beta1, beta2 = (_value(b) for b in group["betas"])
        wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p in self._dense_grads(group, "RAdam does not support sparse gradients"):
            state = self._state_of(p)
            state["step"]._data += 1
            step = float(state["step"]._data)
            bias_correction2 = 1 - beta2 ** step
            # the variance is tractable (and rectified) once rho_t exceeds 5
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            rect = None
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            arrays = (_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                      _real(state["exp_avg_sq"]._data))
            decay = 1 - lr_t * wd if decoupled and wd != 0 else None
            if state["exp_avg"]._data.dtype != p.grad._data.dtype:
                _refuse_mixed_state(p, state["exp_avg"], decay)
            if group["foreach"]:
                # PyTorch's multi-tensor step sizes, in the lr tensor's dtype where it is one
                bias_correction1 = 1 - beta1 ** step
                rectified = 0 if rect is None else rect
                _elementwise(_radam_foreach_kernel, arrays, 3, p._device._backend.xp,
                             maximize=group["maximize"], decay=decay,
                             wd=0 if decoupled else wd, beta1=beta1, beta2=beta2,
                             adaptive_coef=(bias_correction2 ** 0.5)
                             * (lr_t * rectified / bias_correction1) * -1,
                             unrect_coef=(lr_t * (1.0 if rect is None else 0)
                                          / bias_correction1) * -1,
                             eps=group["eps"])
                _bump(p, state["step"], state["exp_avg"], state["exp_avg_sq"])
                continue
            _elementwise(_radam_kernel, arrays, 3, p._device._backend.xp,
                         maximize=group["maximize"], decay=decay,
                         wd=0 if decoupled else wd, beta1=beta1, beta2=beta2,
                         bias_correction1=1 - beta1 ** step, lr=lr, rect=rect,
                         bias_correction2_sqrt=bias_correction2 ** 0.5, eps=group["eps"])
            _bump(p, state["step"], state["exp_avg"], state["exp_avg_sq"])

    def _new_state(self, p: Tensor) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor RAdam in tensor ops, run with grad so the step is
        recorded."""
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        rho_inf = 2 / (1 - beta2) - 1
        for p in self._dense_grads(group, "RAdam does not support sparse gradients"):
            state = self._state_of(p)
            param, grad, exp_avg, exp_avg_sq, step = _adam_moments(p, state, group)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction2 = 1 - beta2 ** step
            update = exp_avg / (1 - beta1 ** step) * lr
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                update = update * ((bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add(eps)) * rect
            param.add_(update, alpha=-1.0)
