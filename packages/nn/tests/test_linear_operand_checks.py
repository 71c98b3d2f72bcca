"""F.linear's refusals of mismatched operands (dtypes, shapes, bias) in PyTorch's words and
order, half-precision bilinear, half-precision linear gradients accumulated in float32, and
cosine_embedding_loss's shape refusals."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.testing import assert_close

LINEAR_CASES = [
    # (input shape, input dtype, weight shape, bias shape or None, bias dtype)
    ((4, 2), "int64", (3, 2), (3,), "float32"),
    ((4, 2), "float64", (3, 2), (3,), "float32"),
    ((3, 4, 2), "float64", (3, 2), (3,), "float32"),
    ((2,), "int64", (3, 2), (3,), "float32"),
    ((4, 5), "float64", (3, 2), (3,), "float32"),
    ((4, 5), "float64", (3, 2), None, None),
    ((4, 5), "float32", (3, 2), None, None),
    ((3, 4, 5), "float32", (3, 2), (3,), "float32"),
    ((5,), "float32", (3, 2), (3,), "float32"),
    ((4, 2), "float32", (3, 2), (3,), "float64"),
    ((4, 2), "int64", (3, 2), (3,), "float32"),
    ((2, 3, 4, 2), "float32", (3, 2), (3,), "float64"),
    ((4, 2), "float16", (3, 2), (3,), "float32"),
    ((4, 2), "float32", (3, 2), (4,), "float32"),
    ((3, 4, 2), "float32", (3, 2), (4,), "float32"),
    ((2, 3, 4, 2), "float32", (3, 2), (4,), "float32"),
    ((2,), "float32", (3, 2), (4,), "float32"),
    ((4, 2), "float32", (3, 2), (2, 3), "float32"),
    ((3, 4, 2), "float32", (3, 2), (2, 4, 3), "float32"),
    ((4, 2), "float32", (2,), (4,), "float32"),
    ((4, 2), "float64", (2,), (1,), "float32"),
    ((3, 4, 2), "float32", (2, 3), (3,), "float32"),
]


def _linear(m, xs, xd, ws, bs, bd):
    x = m.ones(xs, dtype=getattr(m, xd))
    w = m.ones(ws, dtype=m.float32)
    b = None if bs is None else m.ones(bs, dtype=getattr(m, bd))
    return m.nn.functional.linear(x, w, b)


def _outcome(fn):
    try:
        return "ok", tuple(fn().shape)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


@pytest.mark.parametrize("case", LINEAR_CASES, ids=[str(i) for i in range(len(LINEAR_CASES))])
def test_linear_refusals_match_torch(torch, case):
    assert _outcome(lambda: _linear(ember, *case)) == _outcome(lambda: _linear(torch, *case))


@pytest.mark.parametrize("shape", [(4, 2), (3, 4, 2), (2,)])
def test_linear_accepted_operands_still_work(torch, shape):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype("float32") for s in (shape, (3, 2), (1, 3)))
    assert_close(F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b[0])),
                 torch.nn.functional.linear(torch.tensor(x), torch.tensor(w),
                                            torch.tensor(b[0])), rtol=1e-6, atol=1e-6)
    if len(shape) == 2:  # a (1, out) bias broadcasts over the rows
        assert_close(F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b)),
                     torch.nn.functional.linear(torch.tensor(x), torch.tensor(w),
                                                torch.tensor(b)), rtol=1e-6, atol=1e-6)


def test_linear_mixed_dtypes_under_autocast_are_cast_not_refused():
    pytest.importorskip("ml_dtypes")  # bfloat16 on NumPy (ember-core's bf16 extra)
    with ember.autocast("cpu"):
        y = F.linear(ember.ones(2, 3, dtype=ember.bfloat16), ember.ones(4, 3), ember.ones(4))
    assert y.dtype == ember.bfloat16


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_linear_bias_grad_accumulates_in_float32(torch, dtype):
    # the bias gradient sums the rows of a half-precision gradient: PyTorch's CPU kernels
    # accumulate in float32 and round once
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 8)).astype("float32")
    w = rng.standard_normal((5, 8)).astype("float32")
    g = rng.standard_normal((64, 5)).astype("float32")

    def run(m):
        dt = getattr(m, dtype)
        xt = m.tensor(x, dtype=dt, requires_grad=True)
        wt = m.tensor(w, dtype=dt, requires_grad=True)
        bt = m.zeros(5, dtype=dt, requires_grad=True)
        m.nn.functional.linear(xt, wt, bt).backward(m.tensor(g, dtype=dt))
        return [t.grad.float() for t in (xt, wt, bt)]

    for e, t in zip(run(ember), run(torch)):
        assert_close(e, t, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_bilinear_matches_torch(torch, dtype):
    # PyTorch composes bilinear from half-precision steps (rounding in between): Ember's
    # forward rounds as it does (bit for bit); gradients are held to the float64 result within
    # half precision, or within PyTorch's own error in that dtype where that is larger
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((6, 3), (6, 4), (2, 3, 4), (2,))]

    def run(m, dt):
        ts = [m.tensor(a, dtype=getattr(m, dt), requires_grad=True) for a in arrays]
        y = m.nn.functional.bilinear(*ts)
        assert y.dtype == getattr(m, dt) and tuple(y.shape) == (6, 2)
        y.float().pow(2).sum().backward()
        return [y.double().detach().numpy()] + [t.grad.double().numpy() for t in ts]

    ref = run(torch, "float64")
    got, theirs = run(ember, dtype), run(torch, dtype)
    np.testing.assert_array_equal(got[0], theirs[0])
    for e, t, r in zip(got, theirs, ref):
        assert np.abs(e - r).max() <= max(2 ** -7 * np.abs(r).max(), np.abs(t - r).max())


COSINE_CASES = [((4, 3), (4, 3), (3,)), ((4, 3), (5, 3), (4,)), ((4, 3), (4, 2), (4,)),
                ((4, 3), (1, 3), (4,)), ((1, 3), (4, 3), (4,)), ((4, 3), (4, 3), (1,)),
                ((3,), (4,), ())]


@pytest.mark.parametrize("shapes", COSINE_CASES, ids=[str(c) for c in COSINE_CASES])
def test_cosine_embedding_loss_shapes_match_torch(torch, shapes):
    def run(m):
        a, b, t = shapes
        return m.nn.functional.cosine_embedding_loss(m.ones(a), m.ones(b), m.ones(t))

    assert _outcome(lambda: run(ember)) == _outcome(lambda: run(torch))
