"""``ember.gradient`` against ``torch.gradient``: spacings (number, list, coordinates), dims,
edge orders, dtypes, refusals, and derivatives through it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.testing.sweep import Case, T, run_cases


def _grad(m: Any, x: Any, **kw: Any) -> Any:
    return m.gradient(x, **kw)


KWARGS = (
    {}, {"spacing": 2.0}, {"spacing": [1.5, 2]}, {"spacing": 3, "dim": 1},
    {"dim": [0, 1], "edge_order": 2}, {"dim": -1, "edge_order": 2},
    {"spacing": (T("float64", (3,), "sym", 3), T("float32", (4,), "pos", 4))},
    {"spacing": (T("int64", (3,), "pos", 3),), "dim": 0, "edge_order": 2},
    {"spacing": (T("float32", (4,), "sym", 5),), "dim": -1, "edge_order": 2},
    # refusals
    {"edge_order": 3}, {"spacing": [1.0, 2.0, 3.0]}, {"spacing": [1.0], "dim": [0, 1]},
    {"dim": (0, 0)}, {"dim": 2}, {"spacing": (T("float32", (), "pos", 3),), "dim": 0},
)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "float16",
                                   "complex64", "uint8"])
def test_gradient_matches_torch(dtype: str, torch: Any) -> None:
    cases = [Case(f"gradient({dtype}{list(s)}, {kw})", _grad, (T(dtype, s, "sym"),), kw,
                  rtol=1e-2 if dtype == "float16" else None)
             for kw in KWARGS for s in ((3, 4), (), (2, 4), (0, 3))]
    bad = run_cases(cases, torch, ember)
    assert not bad, "\n".join(bad)


def test_gradient_backward(torch: Any) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5))
    coords = np.cumsum(rng.uniform(0.5, 1.5, 5))
    weights = rng.standard_normal((4, 5))
    grads = []
    for m in (ember, torch):
        x = m.tensor(a, requires_grad=True)
        c = m.tensor(coords, requires_grad=True)
        gx, gy = m.gradient(x, spacing=(m.tensor(np.arange(4.0)), c), edge_order=2)
        w = m.tensor(weights)
        ((gx * w).sum() + (gy * w * w).sum()).backward()
        grads.append((x.grad, c.grad))
    assert_close(grads[0][0], grads[1][0])
    assert_close(grads[0][1], grads[1][1])


def test_gradient_gradcheck() -> None:
    x = ember.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: ember.gradient(t, spacing=0.5, edge_order=2),
                                    (x,))


def test_gradient_is_a_tuple() -> None:
    out = ember.gradient(ember.arange(5.0) ** 2)
    assert isinstance(out, tuple) and len(out) == 1
    assert_close(out[0], np.array([1.0, 2.0, 4.0, 6.0, 7.0], dtype=np.float32))
