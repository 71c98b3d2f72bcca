"""Adam and AdamW (AdamW is Adam with decoupled weight decay), as PyTorch computes them.

Each update is a kernel of in-place array operations in the order of PyTorch's
single-tensor algorithm, run by ``_elementwise`` over cache-sized blocks of the parameter.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    _adam_moments_,
    _addcdiv_,
    _bump,
    _check,
    _check_betas,
    _check_fused,
    _check_lr,
    _elementwise,
    _elementwise_fused,
    _hyper,
    _pow,
    _real,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["Adam", "AdamW"]


def _adam_kernel(x: Any, g: Any, m: Any, v: Any, *rest: Any, xp: Any, maximize: bool,
                 decay: float | None, wd: float, beta1: float, beta2: float,
                 bias_correction2_sqrt: float, eps: float, step_size: float,
                 scalar_tail: bool = False) -> None:
    """One Adam update of (a block of) a parameter, in PyTorch's order of operations."""
    *vmax, gbuf, tmp = rest
    g = _adam_moments_(xp, x, g, m, v, gbuf, tmp, maximize, decay, wd, beta1, beta2,
                       scalar_tail)
    if vmax:
        xp.maximum(vmax[0], v, out=vmax[0])
        xp.sqrt(vmax[0], out=tmp)
    else:
        xp.sqrt(v, out=tmp)
    tmp /= bias_correction2_sqrt
    tmp += eps
    _addcdiv_(xp, x, m, tmp, -step_size, gbuf)


def _refuse_mixed_state(p: Tensor, exp_avg: Tensor, decay: Any = None) -> None:
    """A state of another dtype than the gradient (a model converted after steps): PyTorch's
    single-tensor step raises in ``exp_avg.lerp_(grad, ...)``, after its decoupled weight
    decay has scaled the parameter (the step count is already bumped)."""
    if decay is not None:
        p._data *= float(decay)
    ember.lerp(exp_avg, p.grad, 0.5)  # PyTorch's lerp dtype error


def _power_of_step(beta: Any, step_t: Tensor) -> Any:
    """``beta ** step_t`` as PyTorch's pow(Scalar, Tensor): ``beta`` in the step's dtype, raised
    with one rounding (NumPy's SIMD float32 power can be an ulp off)."""
    if isinstance(beta, Tensor):
        return beta ** step_t
    dtype = step_t._data.dtype
    power = np.power(np.float64(dtype.type(beta)), np.float64(step_t._data))
    return ember.tensor(dtype.type(power), dtype=step_t.dtype)


def _adam_recorded(p: Tensor, state: dict, maximize: bool, lr: Any, beta1: Any, beta2: Any,
                   eps: float, wd: float, amsgrad: bool, decoupled: bool) -> None:
    """One differentiable Adam step of ``p``: PyTorch's ops one by one, so autograd records
    them (its ``capturable or differentiable`` branch)."""
    grad = -p.grad if maximize else p.grad
    step_t = state["step"]
    step_t += 1
    if wd != 0:
        if decoupled:
            p.mul_(1 - lr * wd)
        else:
            grad = grad.add(p, alpha=wd)
    exp_avg, exp_avg_sq, param = state["exp_avg"], state["exp_avg_sq"], p
    if p.is_complex():
        grad, exp_avg, exp_avg_sq, param = (ember.view_as_real(t)
                                            for t in (grad, exp_avg, exp_avg_sq, p))
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    step_size_neg = (lr / (1 - _power_of_step(beta1, step_t))).neg()
    bias_correction2_sqrt = (1 - _power_of_step(beta2, step_t)).sqrt()
    second = exp_avg_sq
    if amsgrad:
        vmax = state["max_exp_avg_sq"]
        vmax_r = ember.view_as_real(vmax) if p.is_complex() else vmax
        vmax_r.copy_(ember.maximum(vmax_r.clone(), exp_avg_sq))
        second = vmax_r
    denom = (second.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
    param.addcdiv_(exp_avg.clone(), denom)


def _check_tensor_betas(betas: tuple, foreach: bool | None, capturable: bool) -> tuple:
    """PyTorch's Adam checks of ``betas`` given as tensors; 1-element ones become 0-d."""
    if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor)
                                                            for b in betas)):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, b in enumerate(betas):
        if isinstance(b, Tensor):
            if not capturable and foreach:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                 "capturable=False and foreach=True")
            if b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
    return tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)


_SPARSE_ERROR = "Adam does not support sparse gradients, please consider SparseAdam instead"

class Adam(Optimizer):
    """Adam (Kingma & Ba), with amsgrad, maximize and (decoupled) weight decay."""

    _foreach_refuses_grad = True
    _capturable_foreach_no_xla = True
    _fused_check_once = False
    _group_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        _check_lr(lr)
        _check("epsilon", eps)
        _check_betas(betas)
        _check("weight_decay", weight_decay)
        betas = _check_tensor_betas(betas, foreach, capturable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _update(self, group: dict) -> None:
        # PyTorch's fused kernel reads an lr tensor's value as a double
        lr = _value(group["lr"]) if group["fused"] else _hyper(group["lr"])
        beta1, beta2 = (_hyper(b) for b in group["betas"])
        eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
        amsgrad, decoupled = group["amsgrad"], group.get("decoupled_weight_decay", False)
        for p in self._dense_grads(group, _SPARSE_ERROR):
            xp = p._device._backend.xp
            state = self._state_of(p, amsgrad)
            step_t = state["step"]
            step_t._data += 1
            if state["exp_avg"]._data.dtype != p.grad._data.dtype:
                _refuse_mixed_state(p, state["exp_avg"],
                                    1 - lr * wd if decoupled and wd != 0 else None)
            step = float(step_t._data)
            step_size = lr / (1 - _pow(beta1, step))
            bias_correction2_sqrt = _pow(1 - _pow(beta2, step), 0.5)
            keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg",
                                                                                 "exp_avg_sq")
            arrays = (_real(p._data), _real(p.grad._data), *(_real(state[k]._data) for k in keys))
            fused = group.get("fused")
            run = partial(_elementwise_fused, tail=True) if fused else _elementwise
            run(_adam_kernel, arrays, 2, xp, maximize=maximize,
                decay=1 - lr * wd if decoupled and wd != 0 else None,
                wd=0 if decoupled else wd, beta1=float(beta1), beta2=beta2,
                bias_correction2_sqrt=bias_correction2_sqrt, eps=eps,
                step_size=step_size)
            _bump(p, step_t, *(state[k] for k in keys))

    def _new_state(self, p: Tensor, amsgrad: bool) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)
        if amsgrad:
            state["max_exp_avg_sq"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor Adam in tensor ops, run with grad so the step is recorded;
        its bias corrections are float32 tensors of the float32 ``step``, as PyTorch's are."""
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
        for p in self._dense_grads(group, _SPARSE_ERROR):
            state = self._state_of(p, amsgrad)
            _adam_recorded(p, state, group["maximize"], lr, beta1, beta2, eps, wd, amsgrad,
                           group.get("decoupled_weight_decay", False))


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
