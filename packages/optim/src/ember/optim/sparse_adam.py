"""SparseAdam: Adam that touches only the rows a (sparse) gradient reaches.

Ember has no sparse layout: ``nn.Embedding(sparse=True)`` gives a dense gradient whose
untouched rows are zero. SparseAdam reads that gradient as PyTorch's coalesced sparse one:
the rows (along dim 0) with a nonzero entry are its indices, and only they update their
moments and the parameter, in PyTorch's order of operations. A row that was looked up but
got an all-zero gradient is skipped here, where PyTorch would decay its moments.
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
        _check_lr(lr)
        _check("epsilon", eps)
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
            x, g = p._data, p.grad._data
            if group["maximize"]:
                g = -g
            rows = g != 0
            if rows.ndim > 1:
                rows = rows.reshape(rows.shape[0], -1).any(axis=1)
            (idx,) = xp.nonzero(rows)
            if idx.size == 0:
                continue
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            gv, old_m, old_v = g[idx], m[idx], v[idx]
            m_upd = (gv - old_m) * (1 - beta1)
            m[idx] = old_m + m_upd
            v_upd = (gv * gv - old_v) * (1 - beta2)
            v[idx] = old_v + v_upd
            numer = m_upd + old_m
            denom = xp.sqrt(v_upd + old_v) + eps
            step = state["step"]
            step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
            x[idx] = x[idx] + (-step_size * (numer / denom)).astype(x.dtype, copy=False)
