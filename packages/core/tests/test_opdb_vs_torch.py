"""Every op-sample in ember.testing.opdb against PyTorch: values, dtypes, shapes, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.testing.opdb import OPS, full_profile, samples

CASES = [(op, dt) for op in OPS for dt in (op.dtypes if full_profile() else op.dtypes[:2])]


def _run(lib, op, arrays, grad):
    ts = [lib.tensor(a) for a in arrays]
    if grad:
        for t in ts:
            t.requires_grad_(True)
    out = op.fn(lib, *ts)
    grads = []
    if grad and out.requires_grad:
        out.sum().backward()
        grads = [t.grad for t in ts]
    return out, grads


@pytest.mark.parametrize("op,dtype", CASES, ids=[f"{op.name}-{dt}" for op, dt in CASES])
def test_op_matches_torch(op, dtype, torch):
    grad = op.differentiable and dtype.startswith("float")
    for arrays in samples(op, dtype):
        got, got_g = _run(ember, op, arrays, grad)
        exp, exp_g = _run(torch, op, arrays, grad)
        assert_close(got, exp, msg=f"{op.name} {[a.shape for a in arrays]}")
        for g, e in zip(got_g, exp_g):
            if e is None:
                assert g is None or not np.any(g.numpy())
            else:
                assert_close(g, e, msg=f"{op.name} grad")


GRAD_CASES = [op for op in OPS if op.differentiable and "float64" in op.dtypes]


@pytest.mark.parametrize("op", GRAD_CASES, ids=[op.name for op in GRAD_CASES])
def test_op_gradcheck(op):
    for arrays in samples(op, "float64")[:3]:
        if any(a.size == 0 for a in arrays):
            continue
        ts = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
        assert ember.autograd.gradcheck(lambda *xs: op.fn(ember, *xs), ts)
