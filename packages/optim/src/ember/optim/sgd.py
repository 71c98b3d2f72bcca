"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from functools import partial
from typing import Any

import ember
from ember import Tensor

from .optimizer import (
    Optimizer,
    _add_,
    _bump,
    _check,
    _check_fused,
    _check_lr,
    _effective_grad,
    _elementwise,
    _elementwise_fused,
    _fma_,
    _value,
    _zeros_like,
)

__all__ = ["SGD"]


def _sgd_kernel(x: Any, g: Any, *rest: Any, xp: Any, maximize: bool, wd: float,
                momentum: float, dampening: float, nesterov: bool, lr: float,
                first: bool, scalar_tail: bool = False) -> None:
    """One SGD update of (a block of) a parameter; ``rest`` is ``[momentum_buffer] gbuf tmp``.
    ``scalar_tail``: fused SGD's scalar loop, ``buf * momentum`` fused with the rounded
    ``(1 - dampening) * g``."""
    *buffers, gbuf, tmp = rest
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    if buffers:
        buf = buffers[0]
        if first:
            xp.copyto(buf, g)
        elif scalar_tail:
            xp.multiply(g, 1 - dampening, out=tmp)
            _fma_(xp, buf.copy(), momentum, tmp, buf)
        else:
            buf *= momentum
            _add_(xp, buf, g, 1 - dampening)
        if nesterov:
            g = _fma_(xp, buf, momentum, g, tmp)  # grad.add(buf, alpha=momentum)
        else:
            g = buf
    _add_(xp, x, g, -lr)


class SGD(Optimizer):
    """PyTorch's SGD, step for step (its single-tensor algorithm)."""

    _group_defaults = {"nesterov": False, "maximize": False, "foreach": None,
                       "differentiable": False,
                       "fused": False}


    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr, negative_only=True)
        # PyTorch's SGD tests ``x < 0.0``: a NaN momentum or weight decay is let through
        _check("momentum", momentum, negative_only=True)
        _check("weight_decay", _value(weight_decay), negative_only=True)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _fused_kernel_error(self, p: Tensor) -> Exception:
        """PyTorch's fused SGD kernel refuses sparse gradients and complex parameters."""
        if p.grad.is_sparse:
            return RuntimeError("`_fused_sgd` does not support sparse gradients")
        kind = "ComplexDouble" if p.dtype == ember.complex128 else "ComplexFloat"
        return NotImplementedError(f'"fused_sgd_kernel" not implemented for \'{kind}\'')

    def _update(self, group: dict) -> None:
        momentum = group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            if getattr(p.grad, "is_sparse", False):
                _sparse_sgd(p, self.state[p] if momentum != 0 else None, group)
                continue
            first = False
            state = self.state[p] if momentum != 0 else None
            if state is not None and state.get("momentum_buffer") is None:
                state["momentum_buffer"] = _zeros_like(p)
                first = True  # the buffer starts as a copy of the gradient
            buffers = () if state is None else (state["momentum_buffer"]._data,)
            mom = momentum
            if group["foreach"] and p._data.dtype.itemsize == 2:
                mom = float(p._data.dtype.type(momentum))  # _foreach_mul_ rounds it to half
            run = partial(_elementwise_fused, tail=True) if group.get("fused") else _elementwise
            run(_sgd_kernel, (p._data, p.grad._data, *buffers), 2,
                p._device._backend.xp, maximize=group["maximize"],
                wd=_value(group["weight_decay"]), momentum=mom,
                dampening=group["dampening"], nesterov=group["nesterov"],
                lr=_value(group["lr"]), first=first)
            _bump(p)
            if state is not None and not first:
                _bump(state["momentum_buffer"])

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor SGD in tensor ops, run with grad so the step is recorded
        (a gradient with a graph, or a ``lr``/``weight_decay`` that requires grad)."""
        lr, wd, momentum = group["lr"], group["weight_decay"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            if getattr(p.grad, "is_sparse", False):  # PyTorch's sparse update, nothing to record
                with ember.no_grad():
                    _sparse_sgd(p, self.state[p] if momentum != 0 else None, group)
                continue
            grad = -p.grad if group["maximize"] else p.grad
            if _value(wd) != 0:
                grad = (grad.addcmul_(p.clone(), wd) if isinstance(wd, Tensor) and wd.requires_grad
                        else grad.add(p, alpha=_value(wd)))
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = grad.detach().clone()
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
                grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
            if isinstance(lr, Tensor) and lr.requires_grad:
                p.addcmul_(grad, lr, value=-1)
            else:
                p.add_(grad, alpha=-_value(lr))


def _sparse_sgd(p: Any, state: dict | None, group: dict) -> None:
    """PyTorch's SGD on a sparse gradient: the momentum buffer stays sparse (uncoalesced)
    and the update adds the gradient's values at its indices; weight decay is refused."""
    if _value(group["weight_decay"]) != 0:
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")
    g = -p.grad if group["maximize"] else p.grad
    momentum = group["momentum"]
    if state is not None:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.detach().clone()
        else:
            buf = state["momentum_buffer"] = buf * momentum + g * (1 - group["dampening"])
        g = g + buf * momentum if group["nesterov"] else buf
    xp = p._device._backend.xp
    xp.add.at(p._data, tuple(g._ind), (-_value(group["lr"])) * g._val)
    _bump(p)
