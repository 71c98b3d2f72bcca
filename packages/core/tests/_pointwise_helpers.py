"""Helpers shared by the pointwise, comparison and special tests: sample inputs, run the
same call on Ember and PyTorch, and compare results, errors and gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing import assert_close

SHAPES = ["0d", "empty", "matrix", "transposed"]
BINARY_SHAPES = [("matrix", "matrix"), ("matrix", "row"), ("0d", "matrix"), ("empty", "one"),
                 ("transposed", "row")]
_SHAPE_OF = {"0d": (), "empty": (0,), "matrix": (3, 4), "row": (4,), "one": (1,),
             "transposed": (4, 3)}


def sample(shape: str, dtype: str, lo: float = -3.0, hi: float = 3.0, seed: int = 0) -> np.ndarray:
    """An array of ``dtype`` in [lo, hi]; ``transposed`` gives a non-contiguous (3, 4) view."""
    rng = np.random.default_rng(seed)
    shp = _SHAPE_OF[shape]
    if dtype == "bool":
        a = rng.integers(0, 2, shp).astype(bool)
    elif dtype in ("int64", "int32", "uint8"):
        a = rng.integers(int(np.floor(lo)), int(np.floor(hi)) + 1, shp).astype(dtype)
    elif dtype.startswith("complex"):
        a = (rng.uniform(lo, hi, shp) + 1j * rng.uniform(lo, hi, shp)).astype(dtype)
    else:
        a = rng.uniform(lo, hi, shp).astype(dtype)
    a = np.asarray(a)
    return a.T if shape == "transposed" else a


def pair(arr: np.ndarray, torch: Any, requires_grad: bool = False) -> tuple:
    """The same array as an Ember and a torch tensor (sharing its strides)."""
    e = ember.from_numpy(arr)
    t = torch.from_numpy(arr.copy() if arr.ndim == 0 else arr)
    if requires_grad:
        e = e.detach().clone().requires_grad_(True) if not arr.flags.c_contiguous else \
            e.requires_grad_(True)
        t = t.detach().clone().requires_grad_(True)
    return e, t


def run_both(fe: Callable, ft: Callable) -> tuple:
    """Call both; if PyTorch raises, Ember must raise an exception of a compatible type."""
    try:
        rt = ft()
    except Exception as exc:  # noqa: BLE001
        texc = exc
    else:
        return fe(), rt
    try:
        fe()
    except Exception as exc:  # noqa: BLE001
        kinds = (RuntimeError, TypeError, ValueError, IndexError)
        tk = next((k for k in kinds if isinstance(texc, k)), Exception)
        assert isinstance(exc, tk), f"PyTorch raised {texc!r}, Ember raised {exc!r}"
        return None, None
    raise AssertionError(f"PyTorch raised {texc!r} but Ember did not")


def compare(fe: Callable, ft: Callable, **tol: Any) -> tuple:
    re_, rt = run_both(fe, ft)
    if hasattr(rt, "resolve_conj"):
        rt = rt.resolve_conj().resolve_neg()
    if rt is not None:
        if isinstance(rt, tuple):
            for a, b in zip(re_, rt):
                assert_close(a, b, **tol)
        elif isinstance(rt, (bool, int, float)):
            assert re_ == rt and type(re_) is type(rt)
        else:
            assert_close(re_, rt, **tol)
    return re_, rt


def grads_match(fe: Callable, ft: Callable, inputs: list[np.ndarray], torch: Any,
                **tol: Any) -> None:
    """Backward a random cotangent through both and compare every input's gradient."""
    es, ts = zip(*(pair(np.ascontiguousarray(a), torch, True) for a in inputs))
    oe, ot = fe(*es), ft(*ts)
    rng = np.random.default_rng(1)
    shape = tuple(ot.shape)
    g = rng.uniform(-1, 1, shape)
    if ot.is_complex():
        g = g + 1j * rng.uniform(-1, 1, shape)
    g = g.astype(str(ot.dtype).replace("torch.", ""))
    ot.backward(torch.from_numpy(g.copy()))
    oe.backward(ember.from_numpy(g.copy()))
    for e, t in zip(es, ts):
        if t.grad is None:
            assert e.grad is None or not np.any(e.grad.numpy()), "Ember has a gradient, torch none"
        else:
            assert_close(e.grad, torch.from_numpy(t.grad.numpy(force=True).copy()), **tol)


def gradcheck(fn: Callable, *arrays: np.ndarray) -> None:
    inputs = tuple(ember.tensor(np.ascontiguousarray(a), dtype=ember.float64, requires_grad=True)
                   for a in arrays)
    assert ember.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)
