"""Adam and AdamW (AdamW is Adam with decoupled weight decay), as PyTorch computes them.

The update works on whole arrays in place with one scratch buffer per parameter
step, following PyTorch's single-tensor algorithm operation by operation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .optimizer import (Optimizer, _bump, _check, _check_betas, _check_lr, _scalar_step, _value,
                        _zeros_like)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), with amsgrad, maximize and (decoupled) weight decay."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        _check("epsilon", eps)
        _check_betas(betas)
        _check("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        return self._run_step(closure, self._update)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        beta1, beta2 = (_value(b) for b in group["betas"])
        eps, wd = group["eps"], group["weight_decay"]
        amsgrad, decoupled = group["amsgrad"], group.get("decoupled_weight_decay", False)
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse:
                raise RuntimeError("Adam does not support sparse gradients")
            xp = p._device._backend.xp
            x = p._data
            g = p.grad._data
            if group["maximize"]:
                g = -g
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _scalar_step()
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = _zeros_like(p)
            step_t = state["step"]
            step_t._data += 1
            if wd != 0:
                if decoupled:
                    x *= 1 - lr * wd
                else:
                    g = g + wd * x
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            # exp_avg.lerp_(grad, 1 - beta1)
            tmp = g - m
            tmp *= 1 - beta1
            m += tmp
            # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            v *= beta2
            xp.multiply(g, g.conj() if g.dtype.kind == "c" else g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            step = float(step_t._data)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = math.sqrt(bias_correction2)
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                xp.maximum(vmax, v, out=vmax)
                xp.sqrt(vmax, out=tmp)
            else:
                xp.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            # param.addcdiv_(exp_avg, denom, value=-step_size)
            xp.divide(m, tmp, out=tmp)
            tmp *= -step_size
            x += tmp
            _bump(p)
            for k in ("exp_avg", "exp_avg_sq", "step"):
                state[k]._vc[0] += 1


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); weight_decay defaults to 0.01."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
