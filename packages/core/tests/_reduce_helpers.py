"""Shared helpers for the reduction, scan and sorting tests: run an op on Ember and PyTorch
with the same inputs and compare results, namedtuple fields and gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember.testing import assert_close

RNG = np.random.default_rng(1234)


def rand(*shape: int, dtype: str = "float64", ties: bool = False) -> np.ndarray:
    """Random values; with ``ties``, small integers so that equal values occur."""
    if ties or np.dtype(dtype).kind in "iu":
        a = RNG.integers(-3, 4, size=shape)
    elif np.dtype(dtype).kind == "b":
        a = RNG.integers(0, 2, size=shape)
    else:
        a = RNG.standard_normal(shape)
    return np.asarray(a).astype(dtype)


def noncontig(arr: np.ndarray) -> np.ndarray:
    """The same values as a transposed (non-contiguous) array."""
    if arr.ndim >= 2:
        return np.ascontiguousarray(arr.T).T
    return np.repeat(arr, 2)[::2] if arr.ndim == 1 else arr


def pair(torch: Any, arr: np.ndarray, rg: bool = False) -> tuple[Any, Any]:
    """An Ember tensor viewing ``arr`` (keeping its strides) and a torch tensor with its values."""
    e = ember.from_numpy(arr)
    t = torch.from_numpy(np.array(arr))
    if rg:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def assert_result(er: Any, tr: Any, msg: str = "", **kw: Any) -> None:
    """Compare results: tensors, plain tuples, or named tuples (type name and fields too)."""
    if isinstance(tr, tuple):
        assert isinstance(er, tuple) and len(er) == len(tr), f"{msg}: {type(er)} vs {type(tr)}"
        fields = getattr(type(tr), "_fields", None) or _torch_fields(tr)
        if fields:
            assert type(er).__name__ == type(tr).__name__, msg
            for f in fields:
                assert_close(getattr(er, f), getattr(tr, f), msg=f"{msg}.{f}", **kw)
        for a, b in zip(er, tr):
            assert_result(a, b, msg, **kw)
        return
    if isinstance(tr, (bool, int, float)):
        assert er == tr, msg
        return
    assert_close(er, tr, msg=msg, **kw)


def _torch_fields(tr: Any) -> tuple:
    if type(tr).__module__ == "torch.return_types":
        return tuple(n for n in dir(type(tr)) if not n.startswith("_") and
                     n not in ("count", "index", "n_fields", "n_sequence_fields",
                               "n_unnamed_fields"))
    return ()


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


def compare(torch: Any, name: str, arr: np.ndarray, *args: Any, grad: bool = True,
            method: bool = False, rtol: float | None = None, atol: float | None = None,
            values_only: bool = False, **kwargs: Any) -> None:
    """``name(input, *args, **kwargs)`` on both libraries: values, dtypes, shapes, indices,
    and (for float inputs, when ``grad``) the gradient of a random projection.
    ``values_only`` skips indices and gradients (where PyTorch's choice among ties is
    unspecified)."""
    grad = grad and arr.dtype.kind == "f" and not values_only
    e, t = pair(torch, arr, rg=grad)
    if method:
        er, tr = getattr(e, name)(*args, **kwargs), getattr(t, name)(*args, **kwargs)
    else:
        er = getattr(ember, name)(e, *args, **kwargs)
        tr = getattr(torch, name)(t, *args, **kwargs)
    tol = {"rtol": rtol, "atol": atol}
    if values_only:
        er, tr = er[0], tr[0]
    assert_result(er, tr, f"{name}{args}{kwargs}", **tol)
    if not grad:
        return
    eo, to = _first(er), _first(tr)
    assert eo.requires_grad == to.requires_grad
    if not to.requires_grad:
        return
    w = RNG.standard_normal(tuple(to.shape)).astype(arr.dtype)
    (eo * ember.from_numpy(w)).sum().backward()
    (to * torch.from_numpy(w)).sum().backward()
    if t.grad is None:
        assert e.grad is None, f"grad of {name}: torch leaves it undefined"
        return
    assert_close(e.grad, t.grad, msg=f"grad of {name}{args}{kwargs}", **tol)


def gradcheck(fn: Any, *arrays: np.ndarray, second: bool = True) -> None:
    """Finite-difference check (and second order) in float64."""
    inputs = tuple(ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(fn, inputs)
    if second:
        assert ember.autograd.gradgradcheck(fn, inputs)
