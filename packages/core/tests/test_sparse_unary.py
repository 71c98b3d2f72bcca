"""Zero-preserving elementwise ops on sparse COO tensors against PyTorch: values, layout,
coalescing, gradients, and the in-place zero_/mul_/div_."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

IND = [[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]]  # uncoalesced: (0, 2) twice
VAL = [0.3, -0.4, 0.5, -0.9, 0.2]


def both(torch, dtype="float64", requires_grad=False):
    e = ember.sparse_coo_tensor(ember.tensor(IND), ember.tensor(VAL, dtype=getattr(ember, dtype)),
                                (3, 3), requires_grad=requires_grad)
    t = torch.sparse_coo_tensor(torch.tensor(IND), torch.tensor(VAL, dtype=getattr(torch, dtype)),
                                (3, 3), requires_grad=requires_grad)
    return e, t


def check(e, t):
    assert e.is_sparse and t.is_sparse
    assert e.is_coalesced() == t.is_coalesced()
    assert e._nnz() == t._nnz()
    assert_close(e.to_dense(), t.to_dense())


OPS = ["abs", "sqrt", "sin", "tan", "tanh", "sinh", "asin", "atan", "asinh", "atanh", "sign",
       "sgn", "ceil", "floor", "round", "trunc", "frac", "expm1", "log1p", "square", "erf",
       "relu", "deg2rad", "rad2deg", "erfinv"]


@pytest.mark.parametrize("op", OPS)
def test_method_and_function(torch, op):
    e, t = both(torch)
    check(getattr(e, op)(), getattr(t, op)())
    if hasattr(torch, op):
        check(getattr(ember, op)(e), getattr(torch, op)(t))


@pytest.mark.parametrize("op", ["abs", "relu", "square"])  # (PyTorch lacks the others)
def test_gradients(torch, op):
    e, t = both(torch, requires_grad=True)
    ember.sparse.sum(getattr(e, op)()).backward()
    torch.sparse.sum(getattr(t, op)()).backward()
    assert e.grad.is_sparse == t.grad.is_sparse
    assert_close(e.grad.to_dense(), t.grad.to_dense())


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5])
def test_pow(torch, exponent):
    e, t = both(torch)
    check(e.pow(exponent), t.pow(exponent))
    check(e ** exponent, t ** exponent)


def test_pow_zero_is_refused(torch):
    e, t = both(torch)
    with pytest.raises(RuntimeError) as got:
        e.pow(0)
    with pytest.raises(RuntimeError) as want:
        t.pow(0)
    assert str(got.value) == str(want.value)


def test_in_place(torch):
    e, t = both(torch)
    e2, t2 = e.clone().zero_(), t.clone().zero_()
    check(e2, t2)
    check(e.clone().mul_(3), t.clone().mul_(3))
    check(e.clone().div_(ember.tensor(2.0, dtype=ember.float64)),
          t.clone().div_(torch.tensor(2.0, dtype=torch.float64)))


def test_sparse_gradient_of_embedding_has_the_ops():
    """Sparse tensors made without ``ember.sparse`` (an embedding's gradient) have them too."""
    import importlib

    nn = pytest.importorskip("ember.nn")
    importlib.import_module("ember.ops.sparse_coo")
    emb = nn.Embedding(4, 2, sparse=True)
    emb(ember.tensor([1, 1, 3])).sum().backward()
    g = emb.weight.grad.abs()
    assert g.is_sparse and np.allclose(g.to_dense().numpy()[[1, 3]], [[2, 2], [1, 1]])
