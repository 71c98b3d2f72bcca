"""Helpers for the nn tests: copy a PyTorch module's state into the Ember one, and run both on
the same inputs comparing outputs, gradients and buffers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ember
from ember.testing import assert_close

_TOL = {"float32": (1e-4, 2e-5), "float64": (1e-7, 1e-9)}


def from_torch(t: Any) -> ember.Tensor:
    return ember.tensor(t.detach().cpu().numpy())


def copy_state(tm: Any, em: Any) -> None:
    """Load the torch module's state into the Ember one, checking keys, order and shapes."""
    sd, esd = tm.state_dict(), em.state_dict()
    assert list(esd) == list(sd), f"state_dict keys differ: {list(esd)} vs {list(sd)}"
    for k in sd:
        assert tuple(esd[k].shape) == tuple(sd[k].shape), f"{k}: {esd[k].shape} vs {sd[k].shape}"
    em.load_state_dict({k: from_torch(v) for k, v in sd.items()})


def _flat(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out] if out is not None else []


def run_pair(torch: Any, tm: Any, em: Any, inputs: Sequence[np.ndarray], *,
             dtype: str = "float32", grad: bool = True, call: Callable | None = None,
             rtol: float | None = None, atol: float | None = None, seed: int = 0,
             grad_args: Sequence[int] | None = None) -> None:
    """Same inputs through both modules: compare outputs, input and parameter gradients and
    buffers. ``grad_args``: which inputs require grad (default: every floating one)."""
    r0, a0 = _TOL[dtype]
    rtol, atol = rtol or r0, atol or a0
    t_in, e_in = [], []
    for i, x in enumerate(inputs):
        if not isinstance(x, np.ndarray):
            t_in.append(x)
            e_in.append(x)
            continue
        floating = x.dtype.kind == "f"
        if floating:
            x = x.astype(dtype)
        rg = grad and floating and (grad_args is None or i in grad_args)
        t_in.append(torch.tensor(x, requires_grad=rg))
        e_in.append(ember.tensor(x, requires_grad=rg))
    call = call or (lambda m, *a: m(*a))
    t_outs, e_outs = _flat(call(tm, *t_in)), _flat(call(em, *e_in))
    assert len(t_outs) == len(e_outs)
    for i, (e, t) in enumerate(zip(e_outs, t_outs)):
        assert_close(e, t, rtol=rtol, atol=atol, msg=f"output {i}")
    for (name, eb), (_, tb) in zip(em.named_buffers(), tm.named_buffers()):
        assert_close(eb, tb, rtol=rtol, atol=atol, msg=f"buffer {name}")
    if not grad:
        return
    rng = np.random.default_rng(seed)
    t_loss = e_loss = 0
    for e, t in zip(e_outs, t_outs):
        if t.requires_grad and t.is_floating_point():
            g = rng.standard_normal(tuple(t.shape)).astype(dtype)
            t_loss = t_loss + (t * torch.tensor(g)).sum()
            e_loss = e_loss + (e * ember.tensor(g)).sum()
    if isinstance(t_loss, int):
        return
    t_loss.backward()
    e_loss.backward()
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if hasattr(t, "grad") and t.grad is not None:
            assert_close(e.grad, t.grad, rtol=rtol, atol=atol, msg=f"grad of input {i}")
    tparams = dict(tm.named_parameters())
    for name, ep in em.named_parameters():
        tp = tparams[name]
        if tp.grad is None:
            assert ep.grad is None or not ep.grad.abs().sum().item(), f"grad of {name}"
        else:
            assert_close(ep.grad, tp.grad, rtol=rtol, atol=atol, msg=f"grad of {name}")
