"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import ember

from .optimizer import (
    Optimizer,
    _addcdiv_,
    _addcmul_,
    _bump,
    _check,
    _check_fused,
    _check_lr,
    _effective_grad,
    _elementwise,
    _elementwise_fused,
    _full_like,
    _number,
    _real,
    _real_view,
    _scalar_step,
    _value,
)

__all__ = ["Adagrad"]




def _adagrad_kernel(x: Any, g: Any, acc: Any, gbuf: Any, tmp: Any, std: Any, *, xp: Any,
                    maximize: bool, wd: float, clr: float, eps: float) -> None:
    """One Adagrad update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    _addcmul_(xp, acc, g, g, 1, tmp)
    xp.sqrt(acc, out=std)
    std += eps
    _addcdiv_(xp, x, g, std, -clr, tmp)


class Adagrad(Optimizer):
    """PyTorch's Adagrad, step for step; its state exists from construction on, as in PyTorch."""

    _foreach_refuses_grad = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _step_keys = ("step",)

    def _fused_kernel_error(self, p: ember.Tensor) -> Exception:
        """PyTorch's fused Adagrad refuses sparse gradients and complex parameters."""
        return RuntimeError("`fused` does not support sparse grad or complex param")

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._state_of(p)
            state["step"]._data += 1
            step = float(state["step"]._data)
            clr = lr / (1 + (step - 1) * group["lr_decay"])
            if getattr(p.grad, "is_sparse", False):
                _sparse_adagrad(p, state["sum"], group, clr)
                continue
            arrays = (_real(p._data), _real(p.grad._data), _real(state["sum"]._data))
            run = _elementwise_fused if group.get("fused") else _elementwise
            run(_adagrad_kernel, arrays, 3, p._device._backend.xp,
                maximize=group["maximize"], wd=group["weight_decay"], clr=clr,
                eps=group["eps"])
            _bump(p, state["step"], state["sum"])

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check("lr_decay", lr_decay)
        _check("weight_decay", weight_decay)
        _check("initial_accumulator_value", initial_accumulator_value)
        _check("epsilon", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._state_of(p)

    def _new_state(self, p: Any) -> dict:
        """``p``'s state (PyTorch's Adagrad makes it in its constructor)."""
        return {"step": _scalar_step(),
                "sum": _full_like(p, self.defaults["initial_accumulator_value"])}

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor Adagrad in tensor ops, run with grad so the step is
        recorded."""
        lr, wd = group["lr"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._state_of(p)
            state["step"] += 1
            step = float(state["step"]._data)
            if p.grad.is_sparse:  # PyTorch's sparse update, with nothing to record here
                with ember.no_grad():
                    _sparse_adagrad(p, state["sum"], group,
                                    _value(lr) / (1 + (step - 1) * group["lr_decay"]))
                continue
            grad = -p.grad if group["maximize"] else p.grad
            if wd != 0:
                grad = grad.add(p, alpha=wd)
            clr = lr / (1 + (step - 1) * group["lr_decay"])
            param, grad, state_sum = (_real_view(t) for t in (p, grad, state["sum"]))
            state_sum.addcmul_(grad, grad, value=1)
            param.addcdiv_(grad, state_sum.sqrt() + group["eps"],
                           value=_number(-clr, "addcdiv_", "value"))

    def share_memory(self) -> None:
        """A no-op: state arrays are ordinary host memory."""



def _sparse_adagrad(p: Any, state_sum: Any, group: dict, clr: float) -> None:
    """PyTorch's sparse path: the coalesced gradient's rows update the sum and the
    parameter; weight decay is refused."""
    if group["weight_decay"] != 0:
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
    grad = p.grad.coalesce()
    idx, gv = tuple(grad._ind), grad._val
    if group["maximize"]:
        gv = -gv
    xp = p._device._backend.xp
    s = state_sum._data
    s[idx] = s[idx] + gv * gv
    std = xp.sqrt(s[idx]) + group["eps"]
    x = p._data
    x[idx] = x[idx] + (-clr) * (gv / std)
    _bump(p, state_sum)
