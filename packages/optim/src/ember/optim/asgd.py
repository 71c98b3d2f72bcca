"""ASGD: averaged stochastic gradient descent (Polyak-Juditsky averaging)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import Tensor

from .optimizer import (
    Optimizer,
    _add_,
    _as_default_float,
    _bump,
    _check,
    _check_lr,
    _effective_grad,
    _elementwise,
    _fma_,
    _hyper,
    _pow,
    _real,
    _real_view,
    _scalar_state,
    _scalar_step,
    _zeros_like,
)

__all__ = ["ASGD"]




def _asgd_kernel(x: Any, g: Any, ax: Any, gbuf: Any, tmp: Any, *, xp: Any, maximize: bool,
                 wd: float, lambd: float, eta: float, mu: float) -> None:
    """One ASGD update of (a block of) a parameter, in PyTorch's order of operations."""
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    x *= 1 - lambd * eta
    _add_(xp, x, g, -eta)
    if mu != 1:
        xp.subtract(x, ax, out=tmp)
        tmp *= mu
        ax += tmp
    else:
        xp.copyto(ax, x)


def _asgd_foreach_kernel(x: Any, g: Any, ax: Any, gbuf: Any, tmp: Any, *, xp: Any,
                         maximize: bool, wd: float, lambd: float, eta: float,
                         mu: float) -> None:
    """PyTorch's multi-tensor ASGD (``foreach=True``): ``x -= eta * (grad + lambd * x)`` and
    ``ax += mu * (x - ax)``, each rounded once (its ``addcmul_``), averaging even at ``mu == 1``.
    """
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    g = _fma_(xp, x, lambd, g, gbuf)
    _add_(xp, x, g, -eta)
    xp.subtract(x, ax, out=tmp)
    _add_(xp, ax, tmp, mu)


class ASGD(Optimizer):
    """PyTorch's ASGD, step for step; ``eta`` and ``mu`` are float32 0-d tensors as in PyTorch."""

    _foreach_refuses_grad = True
    _capturable_foreach_no_xla = True
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}
    _capturable_what = "params, mus, etas, and state_steps"
    _step_keys = ("step", "eta", "mu")

    def __init__(self, params: Any, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check("weight_decay", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _hyper(group["lr"])
        lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
        for p in self._dense_grads(group, "ASGD does not support sparse gradients"):
            state = self._state_of(p, lr)
            step_t, eta_t, mu_t = state["step"], state["eta"], state["mu"]
            step_t._data += 1
            arrays = (_real(p._data), _real(p.grad._data), _real(state["ax"]._data))
            kernel = _asgd_foreach_kernel if group["foreach"] else _asgd_kernel
            _elementwise(kernel, arrays, 2, p._device._backend.xp,
                         maximize=group["maximize"], wd=group["weight_decay"], lambd=lambd,
                         eta=float(eta_t._data), mu=float(mu_t._data))
            step = float(step_t._data)
            # PyTorch goes through as_tensor (the default dtype), then copies into the state
            if group["foreach"]:
                # the multi-tensor step computes eta with the step tensor (in its dtype), and
                # PyTorch's ``number / tensor`` is ``tensor.reciprocal() * number``
                powed = _pow(1 + lambd * lr * step_t._data.dtype.type(step), alpha)
                eta = lr / powed if isinstance(lr, np.floating) else (1 / powed) * lr
            else:
                eta = lr / _pow(1 + lambd * lr * step, alpha)
            eta_t._data[...] = _as_default_float(eta)
            mu_t._data[...] = _as_default_float(1 / max(1, step - t0))
            _bump(p, step_t, eta_t, mu_t, state["ax"])

    def _new_state(self, p: Tensor, lr: Any) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["eta"] = _scalar_state(lr)
        state["mu"] = _scalar_state(1.0)
        state["ax"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor ASGD in tensor ops, run with grad so the step is recorded."""
        lr = _hyper(group["lr"])
        lambd, alpha, t0, wd = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for p in self._dense_grads(group, "ASGD does not support sparse gradients"):
            state = self._state_of(p, lr)
            step_t, eta_t, mu_t = state["step"], state["eta"], state["mu"]
            grad = -p.grad if group["maximize"] else p.grad
            param, grad, ax = (_real_view(t) for t in (p, grad, state["ax"]))
            step_t += 1
            if wd != 0:
                grad = grad.add(param, alpha=wd)
            eta = float(eta_t._data)
            param.mul_(1 - lambd * eta)
            param.add_(grad, alpha=-eta)
            if float(mu_t._data) != 1:
                ax.add_(param.sub(ax).mul_(mu_t))
            else:
                ax.copy_(param)
            step = float(step_t._data)
            eta_t._data[...] = _as_default_float(lr / ((1 + lambd * lr * step) ** alpha))
            mu_t._data[...] = _as_default_float(1 / max(1, step - t0))
            _bump(eta_t, mu_t)
