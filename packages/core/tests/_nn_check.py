"""Helpers for the nn-kernel tests: run one function on Ember and on PyTorch with the same
inputs, compare the outputs and the gradients of every floating input."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import ember
from ember.testing import assert_close

_RNG = np.random.default_rng(0)


def randn(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.asarray(_RNG.standard_normal(shape), dtype=dtype)


def rand(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.asarray(_RNG.random(shape), dtype=dtype)


def pair(torch: Any, a: Any, grad: bool = True) -> tuple:
    """The same values as an Ember and a torch tensor (floats require grad when ``grad``)."""
    if a is None or not isinstance(a, np.ndarray):
        return a, a
    rg = grad and a.dtype.kind == "f"
    return ember.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg)


def check(torch: Any, fe: Callable, ft: Callable, inputs: Sequence[Any], grad: bool = True,
          rtol: float | None = None, atol: float | None = None,
          grad_rtol: float | None = None, grad_atol: float | None = None,
          check_dtype: bool = True) -> tuple:
    """Compare ``fe(*ember_inputs)`` with ``ft(*torch_inputs)``, then their input gradients."""
    pairs = [pair(torch, a, grad) for a in inputs]
    es, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    ye, yt = fe(*es), ft(*ts)
    outs_e = ye if isinstance(ye, (tuple, list)) else (ye,)
    outs_t = yt if isinstance(yt, (tuple, list)) else (yt,)
    for oe, ot in zip(outs_e, outs_t):
        if ot is None:
            assert oe is None
            continue
        assert_close(oe, ot, rtol=rtol, atol=atol, check_dtype=check_dtype)
    if grad and any(isinstance(t, torch.Tensor) and t.requires_grad for t in ts):
        oe, ot = outs_e[0], outs_t[0]
        if ot.requires_grad:
            up = _RNG.standard_normal(tuple(ot.shape)).astype(str(ot.dtype).replace("torch.", ""))
            oe.backward(ember.tensor(up))
            ot.backward(torch.tensor(up))
            for e, t in zip(es, ts):
                if isinstance(t, torch.Tensor) and t.requires_grad:
                    if t.grad is None:
                        assert e.grad is None or not np.any(e.grad.numpy())
                        continue
                    assert e.grad is not None, "no gradient reached an Ember input"
                    assert_close(e.grad, t.grad, rtol=grad_rtol or rtol, atol=grad_atol or atol)
    return ye, yt


def gradcheck(fn: Callable, *arrays: np.ndarray, **kw: Any) -> None:
    """Finite-difference check in float64 (``ember.autograd.gradcheck``)."""
    from ember.autograd import gradcheck as gc

    ts = tuple(ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays)
    assert gc(fn, ts, **kw)
