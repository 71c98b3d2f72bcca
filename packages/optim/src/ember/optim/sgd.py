"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, _bump, _check, _check_lr, _value, _wrap

__all__ = ["SGD"]


class SGD(Optimizer):
    """PyTorch's SGD, step for step (its single-tensor algorithm)."""

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr)
        _check("momentum", momentum)
        _check("weight_decay", _value(weight_decay))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        return self._run_step(closure, self._update)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        wd = _value(group["weight_decay"])
        momentum, dampening = group["momentum"], group["dampening"]
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p._data
            g = p.grad._data
            if group["maximize"]:
                g = -g
            if wd != 0:
                g = g + wd * x
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf = g.copy()
                    state["momentum_buffer"] = _wrap(buf, p)
                else:
                    buf = buf_t._data
                    buf *= momentum
                    buf += (1 - dampening) * g
                    buf_t._vc[0] += 1
                g = g + momentum * buf if group["nesterov"] else buf
            x -= lr * g
            _bump(p)
