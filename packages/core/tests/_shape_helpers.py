"""Helpers of the shape, indexing and view tests: the same call on Ember and PyTorch tensors
made from one array, compared in values, dtypes, errors and input gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def arr(*shape: int, dtype: str = "float64", seed: int = 0) -> np.ndarray:
    """Random values of ``shape`` (integers in [-5, 5] for integer dtypes)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.startswith(("int", "uint")):
        return rng.integers(0 if dtype.startswith("u") else -5, 6, shape).astype(dtype)
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _flat(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def both(arrays: tuple, torch: Any, grad: bool) -> tuple[list, list]:
    """Ember and torch tensors with the values of ``arrays`` (float ones require grad)."""
    es, ts = [], []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            es.append(a)
            ts.append(a)
            continue
        rg = grad and a.dtype.kind in "fc"
        es.append(ember.tensor(a, requires_grad=rg))
        ts.append(torch.tensor(a, requires_grad=rg))
    return es, ts


def check(fe: Callable, ft: Callable, *arrays: Any, torch: Any, grad: bool = True,
          **tol: Any) -> Any:
    """``fe(*ember_inputs)`` against ``ft(*torch_inputs)``: outputs, then input gradients of a
    random weighted sum of the floating outputs."""
    es, ts = both(arrays, torch, grad)
    oe, ot = fe(*es), ft(*ts)
    fe_, ft_ = _flat(oe), _flat(ot)
    assert len(fe_) == len(ft_), f"{len(fe_)} outputs vs {len(ft_)}"
    for a, b in zip(fe_, ft_):
        if hasattr(b, "shape"):
            assert_close(a, b, **tol)
        else:
            assert a == b
    if not grad or not any(getattr(t, "requires_grad", False) for t in ts):
        return oe
    rng = np.random.default_rng(1)
    le, lt = 0, 0
    for a, b in zip(fe_, ft_):
        if getattr(b, "requires_grad", False) and b.dtype.is_floating_point:
            w = rng.standard_normal(tuple(b.shape)).astype(str(b.dtype).replace("torch.", ""))
            le = le + (a * ember.tensor(w)).sum()
            lt = lt + (b * torch.tensor(w)).sum()
    if isinstance(lt, int):
        return oe
    le.backward()
    lt.backward()
    for e, t in zip(es, ts):
        if getattr(t, "requires_grad", False):
            if t.grad is None:
                assert e.grad is None or not e.grad.abs().sum().item()
            else:
                assert e.grad is not None, "no gradient reached an input"
                assert_close(e.grad, t.grad, **tol)
    return oe


def check_error(fe: Callable, ft: Callable, exact: bool = True) -> None:
    """Both raise: the same exception type, and (``exact``) the same message."""
    with pytest.raises(Exception) as te:  # noqa: B017
        ft()
    with pytest.raises(Exception) as ee:  # noqa: B017
        fe()
    assert isinstance(ee.value, type(te.value)) or type(te.value) in type(ee.value).__mro__, (
        f"PyTorch raised {te.value!r}, Ember raised {ee.value!r}")
    if exact:
        same = str(ee.value).replace("torch.", "ember.") == str(te.value).replace("torch.", "ember.")
        assert same, f"\nember: {ee.value}\ntorch: {te.value}"  # names may say ember.cat()
    else:
        assert str(te.value).split("(")[0] in str(ee.value), (
            f"\nember: {ee.value}\ntorch: {te.value}")


def gradcheck(fn: Callable, *arrays: Any) -> None:
    """Finite differences in float64 against ``fn``'s analytical gradients."""
    inputs = tuple(ember.tensor(a.astype(np.float64), requires_grad=True)
                   if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays)
    assert ember.autograd.gradcheck(fn, inputs)
