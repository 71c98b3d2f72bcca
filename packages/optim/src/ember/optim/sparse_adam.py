"""SparseAdam: Adam that touches only the rows a (sparse) gradient reaches.

``nn.Embedding(sparse=True)`` gives a sparse COO gradient; SparseAdam coalesces it and
only its rows update their moments and the parameter, in PyTorch's order of operations.
A dense gradient is refused, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

from .optimizer import Optimizer, _check, _check_betas, _check_lr, _value, _zeros_like

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """PyTorch's SparseAdam (lazy Adam for sparse embeddings), step for step."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        # PyTorch's SparseAdam wants lr and eps strictly positive
        _check_lr(lr, strict=True)
        _check("epsilon", eps, strict=True)
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        lr = _value(group["lr"])
        beta1, beta2 = (_value(b) for b in group["betas"])
        eps = _value(group["eps"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
            state["step"] += 1
            xp = p._device._backend.xp
            x = p._data
            grad = p.grad
            if getattr(grad, "is_sparse", False):  # PyTorch's path: the coalesced rows
                grad = grad.coalesce()
                idx, g = grad._ind[0], grad._val
                if group["maximize"]:
                    g = -g
                if idx.size == 0:
                    continue
                gv = g
            else:
                raise RuntimeError("SparseAdam does not support dense gradients, please "
                                   "consider Adam instead")
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            old_m, old_v = m[idx], v[idx]
            m_upd = (gv - old_m) * (1 - beta1)
            m[idx] = old_m + m_upd
            v_upd = (gv * gv - old_v) * (1 - beta2)
            v[idx] = old_v + v_upd
            numer = m_upd + old_m
            denom = xp.sqrt(v_upd + old_v) + eps
            step = state["step"]
            step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
            x[idx] = x[idx] + (-step_size * (numer / denom)).astype(x.dtype, copy=False)
