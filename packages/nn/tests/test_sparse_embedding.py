"""nn.Embedding(sparse=True) / F.embedding(sparse=True): a sparse COO weight gradient
with PyTorch's indices and values (uncoalesced, padding rows left out)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

nn = pytest.importorskip("ember.nn")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

W = np.arange(18, dtype=np.float32).reshape(6, 3) / 7
X = [[0, 1, 4], [4, 2, 5]]


def grad_of(T, padding_idx, scale, steps=1):
    w = T.tensor(W.copy(), requires_grad=True)
    for k in range(steps):
        y = T.nn.functional.embedding(T.tensor(X), w, padding_idx=padding_idx,
                                      scale_grad_by_freq=scale, sparse=True)
        (y.pow(2) * (k + 1)).sum().backward()
    return w.grad


@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_sparse_grad_matches(torch, padding_idx):
    ge, gt = grad_of(ember, padding_idx, False), grad_of(torch, padding_idx, False)
    assert ge.is_sparse and gt.is_sparse and ge.is_coalesced() == gt.is_coalesced()
    assert_close(ge._indices(), gt._indices())
    assert_close(ge._values(), gt._values())
    assert_close(ge.to_dense(), gt.to_dense())


def test_scale_grad_by_freq_refused(torch):
    for T in (torch, ember):
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported"):
            grad_of(T, None, True)


def test_accumulates_over_two_backwards(torch):
    ge, gt = grad_of(ember, 1, False, steps=2), grad_of(torch, 1, False, steps=2)
    assert ge.is_sparse and gt.is_sparse
    assert_close(ge.to_dense(), gt.to_dense())


def test_module_and_zero_grad(torch):
    m = nn.Embedding(6, 3, sparse=True)
    m(ember.tensor(X)).sum().backward()
    assert m.weight.grad.is_sparse and m.weight.grad.layout is ember.sparse_coo
    m.zero_grad()
    assert m.weight.grad is None


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_sparse_grad(torch, mode, padding_idx):
    def go(T):
        b = T.nn.EmbeddingBag(5, 3, mode=mode, sparse=True, padding_idx=padding_idx)
        with T.no_grad():
            b.weight.copy_(T.tensor(np.arange(15, dtype=np.float32).reshape(5, 3)))
        b(T.tensor([1, 2, 4, 4, 0, 2]), T.tensor([0, 2, 5])).pow(2).sum().backward()
        return b.weight.grad

    ge, gt = go(ember), go(torch)
    assert ge.is_sparse and gt.is_sparse
    assert_close(ge._indices(), gt._indices())
    assert_close(ge._values(), gt._values())


def test_embedding_bag_max_sparse_refused(torch):
    for T in (torch, ember):
        with pytest.raises(ValueError, match="max mode does not support sparse weights"):
            T.nn.EmbeddingBag(5, 3, mode="max", sparse=True)(T.tensor([1, 2]), T.tensor([0]))


def test_state_dict_with_sparse_buffer(torch, tmp_path):
    """A module holding a sparse adjacency buffer saves, loads and reloads, both ways."""
    ind, val = [[0, 1, 2, 2], [1, 0, 2, 0]], [0.5, 0.5, 1.0, 0.25]

    def module(T, scale):
        m = T.nn.Module()
        m.register_buffer("adj", T.sparse_coo_tensor(T.tensor(ind), T.tensor(val) * scale,
                                                     (3, 3)))
        return m

    ember.save(module(ember, 2.0).state_dict(), tmp_path / "e.pt")
    mt = module(torch, 1.0)
    mt.load_state_dict(torch.load(tmp_path / "e.pt"))
    torch.save(mt.state_dict(), tmp_path / "t.pt")
    me = module(ember, 1.0)
    me.load_state_dict(ember.load(tmp_path / "t.pt"))
    assert me.adj.is_sparse
    assert_close(me.adj.to_dense(), mt.adj.to_dense())
    assert_close(me.adj.to_dense(), module(ember, 2.0).adj.to_dense())
