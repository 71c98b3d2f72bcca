"""RMSprop: steps scaled by a running average of squared gradients (optionally centered)."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .optimizer import (
    Optimizer,
    _add_,
    _addcdiv_,
    _addcmul_,
    _bump,
    _check,
    _check_lr,
    _effective_grad,
    _elementwise,
    _fma_,
    _lerp_,
    _number,
    _real,
    _real_view,
    _scalar_step,
    _value,
    _zeros_like,
)

__all__ = ["RMSprop"]




def _rmsprop_kernel(x: Any, g: Any, square_avg: Any, *rest: Any, xp: Any, maximize: bool,
                    wd: float, alpha: float, eps: float, lr: float, centered: bool,
                    momentum: float) -> None:
    """One RMSprop update of (a block of) a parameter, in PyTorch's order of operations.

    ``rest`` is ``[grad_avg] [momentum_buffer] gbuf tmp avg`` as the options need them.
    """
    *buffers, gbuf, tmp, avg = rest
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    square_avg *= alpha
    _addcmul_(xp, square_avg, g, g, 1 - alpha, tmp)
    if centered:
        grad_avg = buffers[0]
        _lerp_(xp, grad_avg, g, 1 - alpha, tmp)
        # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        xp.negative(grad_avg, out=avg)
        _fma_(xp, avg, grad_avg, square_avg, avg)
        xp.sqrt(avg, out=avg)
    else:
        xp.sqrt(square_avg, out=avg)
    avg += eps
    if momentum > 0:
        buf = buffers[-1]
        buf *= momentum
        _addcdiv_(xp, buf, g, avg, 1, tmp)
        _add_(xp, x, buf, -lr)
    else:
        _addcdiv_(xp, x, g, avg, -lr, tmp)


class RMSprop(Optimizer):
    """PyTorch's RMSprop (centered, momentum), step for step."""

    _foreach_refuses_grad = True
    _group_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                       "differentiable": False, "capturable": False}
    _step_keys = ("step",)

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check("epsilon", eps)
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        _check("alpha", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        momentum, centered = group["momentum"], group["centered"]
        for p in self._dense_grads(group, "RMSprop does not support sparse gradients"):
            state = self._state_of(p, group)
            state["step"]._data += 1
            keys = ["square_avg"] + ["grad_avg"] * centered + ["momentum_buffer"] * (momentum > 0)
            arrays = (_real(p._data), _real(p.grad._data), *(_real(state[k]._data) for k in keys))
            _elementwise(_rmsprop_kernel, arrays, 3, p._device._backend.xp,
                         maximize=group["maximize"], wd=group["weight_decay"],
                         alpha=group["alpha"], eps=group["eps"], lr=lr, centered=centered,
                         momentum=momentum)
            _bump(p, state["step"], *(state[k] for k in keys))

    def _new_state(self, p: Tensor, group: dict) -> dict:
        """``p``'s state on its first step, in PyTorch's key order."""
        state = {}
        state["step"] = _scalar_step()
        state["square_avg"] = _zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_like(p)
        return state

    def _update_differentiable(self, group: dict) -> None:
        """PyTorch's single-tensor RMSprop in tensor ops, run with grad so the step is
        recorded."""
        lr, alpha, wd = group["lr"], group["alpha"], group["weight_decay"]
        for p in self._dense_grads(group, "RMSprop does not support sparse gradients"):
            state = self._state_of(p, group)
            grad = -p.grad if group["maximize"] else p.grad
            state["step"] += 1
            if wd != 0:
                grad = grad.add(p, alpha=wd)
            param, grad, square_avg = (_real_view(t) for t in (p, grad, state["square_avg"]))
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            if group["centered"]:
                grad_avg = _real_view(state["grad_avg"])
                grad_avg.lerp_(grad, 1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add(group["eps"])
            if group["momentum"] > 0:
                buf = _real_view(state["momentum_buffer"])
                buf.mul_(group["momentum"]).addcdiv_(grad, avg)
                param.add_(buf, alpha=_number(-lr, "add_", "alpha"))
            else:
                param.addcdiv_(grad, avg, value=_number(-lr, "addcdiv_", "value"))
