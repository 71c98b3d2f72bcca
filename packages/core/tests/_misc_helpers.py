"""Helpers for the tests of the assorted ops (math_misc, statistics, construct, tensor_misc):
run one call on Ember and on PyTorch with the same arguments and compare results, errors
and gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

RNG = np.random.default_rng(2024)


def rand(*shape: int, dtype: str = "float64", low: int = -5, high: int = 6) -> np.ndarray:
    """Random values: normal floats, or integers in ``[low, high)``."""
    k = np.dtype(dtype).kind
    if k in "iu":
        return RNG.integers(max(low, 0) if k == "u" else low, high, size=shape).astype(dtype)
    if k == "b":
        return RNG.integers(0, 2, size=shape).astype(bool)
    if k == "c":
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    return np.asarray(RNG.standard_normal(shape)).astype(dtype)


def noncontig(arr: np.ndarray) -> np.ndarray:
    """The same values in a transposed (non-contiguous) layout."""
    return np.ascontiguousarray(arr.T).T if arr.ndim >= 2 else arr


def _to(lib: Any, v: Any, torch: Any, rg: bool) -> Any:
    if isinstance(v, np.ndarray):
        if lib is ember:
            t = ember.from_numpy(v)
        else:
            t = torch.from_numpy(np.array(v))
        if rg and v.dtype.kind in "fc":
            t.requires_grad_()
        return t
    if isinstance(v, (list, tuple)) and any(isinstance(x, np.ndarray) for x in v):
        return type(v)(_to(lib, x, torch, rg) for x in v)
    if isinstance(v, ember.dtype):
        return v if lib is ember else getattr(torch, v.name)
    return v


def invoke(lib: Any, torch: Any, name: str, *args: Any, method: bool = False, rg: bool = False,
           **kwargs: Any) -> tuple[Any, tuple]:
    """``name(*args, **kwargs)`` on one library (``ember`` or ``torch``), as a method of the
    first argument with ``method``: the result and the converted arguments."""
    a = tuple(_to(lib, x, torch, rg) for x in args)
    k = {n: _to(lib, v, torch, False) for n, v in kwargs.items()}
    if method:
        return getattr(a[0], name)(*a[1:], **k), a
    return getattr(lib, name)(*a, **k), a


def call(torch: Any, name: str, *args: Any, method: bool = False, rg: bool = False,
         **kwargs: Any) -> tuple[Any, Any, tuple, tuple]:
    """The same call on both libraries: both results and both converted arguments."""
    er, ea = invoke(ember, torch, name, *args, method=method, rg=rg, **kwargs)
    tr, ta = invoke(torch, torch, name, *args, method=method, rg=rg, **kwargs)
    return er, tr, ea, ta


def same(er: Any, tr: Any, msg: str = "", **tol: Any) -> None:
    """Results equal: tensors (values, dtype, shape), tuples of them, or plain values."""
    if isinstance(tr, (tuple, list)):
        assert isinstance(er, (tuple, list)) and len(er) == len(tr), f"{msg}: {er!r} vs {tr!r}"
        if hasattr(tr, "_fields") or type(tr).__module__ == "torch.return_types":
            assert type(er).__name__ == type(tr).__name__, msg
        for a, b in zip(er, tr):
            same(a, b, msg, **tol)
        return
    if isinstance(tr, (bool, int, float)) or tr is None:
        assert er == tr, f"{msg}: {er!r} vs {tr!r}"
        return
    assert_close(er, tr, msg=msg, **tol)


def check(torch: Any, name: str, *args: Any, method: bool = False, grad: bool = False,
          **kwargs: Any) -> Any:
    """Compare one call's results, and with ``grad`` the gradients of a random projection
    of the first result with respect to every float array argument."""
    er, tr, ea, ta = call(torch, name, *args, method=method, rg=grad, **kwargs)
    same(er, tr, f"{name}{kwargs}")
    if grad:
        eo = er[0] if isinstance(er, tuple) else er
        to = tr[0] if isinstance(tr, tuple) else tr
        assert eo.requires_grad == to.requires_grad, name
        if to.requires_grad:
            w = RNG.standard_normal(tuple(to.shape)).astype(str(to.dtype).replace("torch.", ""))
            es, ts = (eo * ember.from_numpy(w)).sum(), (to * torch.from_numpy(w)).sum()
            if ts.is_complex():
                es, ts = es.abs(), ts.abs()
            es.backward()
            ts.backward()
            for e, t in zip(ea, ta):
                if hasattr(t, "grad") and getattr(t, "requires_grad", False):
                    if t.grad is None:
                        assert e.grad is None, f"grad of {name}"
                    else:
                        assert_close(e.grad, t.grad, msg=f"grad of {name}")
    return er


def same_error(torch: Any, name: str, *args: Any, method: bool = False,
               match: str | None = None, **kwargs: Any) -> None:
    """Both libraries refuse the call with the same exception type (and message part)."""
    with pytest.raises(Exception) as te:
        invoke(torch, torch, name, *args, method=method, **kwargs)
    with pytest.raises(type(te.value), match=match) as ee:
        invoke(ember, torch, name, *args, method=method, **kwargs)
    assert type(ee.value) is type(te.value)


def gradcheck(fn: Any, *arrays: np.ndarray, second: bool = True) -> None:
    """Finite differences in float64, and second order."""
    inputs = tuple(ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(fn, inputs)
    if second:
        assert ember.autograd.gradgradcheck(fn, inputs)


def outcomes(fn: Any, torch: Any) -> list:
    """``fn(L)`` for ember and torch: a ``(result, error)`` pair each."""
    out = []
    for lib in (ember, torch):
        try:
            out.append((fn(lib), None))
        except Exception as e:  # noqa: BLE001 - the error is the result compared
            out.append((None, e))
    return out
