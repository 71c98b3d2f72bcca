"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .adam import _refuse_mixed_state
from .optimizer import (
    Optimizer,
    _adam_moments,
    _adam_moments_,
    _addcdiv_,
    _bump,
    _check,
    _check_betas,
    _check_lr,
    _elementwise,
    _hyper,
    _real,
    _scalar_state,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["NAdam"]




def _nadam_kernel(x: Any, g: Any, m: Any, v: Any, gbuf: Any, tmp: Any, denom: Any, *, xp: Any,
                  maximize: bool, decay: float | None, wd: float, beta1: float, beta2: float,
                  bias_correction2: float, eps: float, grad_coef: float,
                  avg_coef: float, multi_tensor: bool) -> None:
    """One NAdam update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _adam_moments_(xp, x, g, m, v, gbuf, tmp, maximize, decay, wd, beta1, beta2)
    if multi_tensor:  # PyTorch's foreach step: ``sqrt(v) / sqrt(bias_correction2)``
        xp.sqrt(v, out=denom)
        denom /= bias_correction2 ** 0.5
    else:
        xp.divide(v, bias_correction2, out=denom)
        xp.sqrt(denom, out=denom)
    denom += eps
    _addcdiv_(xp, x, g, denom, grad_coef, tmp)
    _addcdiv_(xp, x, m, denom, avg_coef, tmp)


class NAdam(Optimizer):
    """PyTorch's NAdam, step for step; ``mu_product`` is a float32 0-d tensor as in PyTorch."""

    _foreach_refuses_grad = True
    _capturable_foreach_no_xla = True
    _capturable_foreach_what = "params, mu_products, and state_steps"
    _group_defaults = {"maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False,
                       "decoupled_weight_decay": False}
    _capturable_what = "params, mu_products and state_steps"
    _step_keys = ("step", "mu_product")

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check("epsilon", eps)
        _check_betas(betas)
        _check("weight_decay", weight_decay)
        _check("momentum_decay", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _hyper(group["lr"])
        # PyTorch's multi-tensor step takes an lr tensor's value as a Python float for the
        # step sizes (its weight-decay factor stays a tensor's, as the single-tensor step's)
        step_lr = _value(group["lr"]) if group["foreach"] else lr
        beta1, beta2 = (_value(b) for b in group["betas"])
        wd, momentum_decay = group["weight_decay"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        for p in self._dense_grads(group, "NAdam does not support sparse gradients"):
            state = self._state_of(p)
            mu_product = state["mu_product"]
            state["step"]._data += 1
            step = float(state["step"]._data)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product._data *= mu  # in the state tensor's own dtype (float32 unless loaded)
            if state["exp_avg"]._data.dtype != p.grad._data.dtype:
                _refuse_mixed_state(p, state["exp_avg"],
                                    1 - lr * wd if decoupled and wd != 0 else None)
            mu_prod = float(mu_product._data)
            arrays = (_real(p._data), _real(p.grad._data), _real(state["exp_avg"]._data),
                      _real(state["exp_avg_sq"]._data))
            _elementwise(_nadam_kernel, arrays, 3, p._device._backend.xp,
                         maximize=group["maximize"],
                         decay=1 - lr * wd if decoupled and wd != 0 else None,
                         wd=0 if decoupled else wd, beta1=beta1, beta2=beta2,
                         bias_correction2=1 - beta2 ** step, eps=group["eps"],
                         grad_coef=-step_lr * (1.0 - mu) / (1.0 - mu_prod),
                         avg_coef=(-step_lr * mu_next) / (1.0 - mu_prod * mu_next),
                         multi_tensor=bool(group["foreach"]))
            _bump(p, state["step"], mu_product, state["exp_avg"], state["exp_avg_sq"])

    def _new_state(self, p: Tensor) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["mu_product"] = _scalar_state(1.0)
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor NAdam in tensor ops, run with grad so the step is recorded
        (its coefficients divide by the ``mu_product`` tensor, as PyTorch's branch does)."""
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = (_value(b) for b in group["betas"])
        momentum_decay = group["momentum_decay"]
        for p in self._dense_grads(group, "NAdam does not support sparse gradients"):
            state = self._state_of(p)
            param, grad, exp_avg, exp_avg_sq, step = _adam_moments(p, state, group)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product = state["mu_product"]
            mu_product *= mu
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add(eps)
            grad = grad * (-lr * (1.0 - mu) / (1.0 - mu_product))
            avg = exp_avg * (-lr * mu_next / (1.0 - mu_product * mu_next))
            param.addcdiv_(grad, denom)
            param.addcdiv_(avg, denom)
