"""SparseAdam, SGD and Adagrad on the sparse gradients of nn.Embedding(sparse=True),
step for step against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

pytest.importorskip("ember.nn")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

OPTS = {"sparseadam": lambda T, p: T.optim.SparseAdam(p, lr=0.1),
        "sparseadam_max": lambda T, p: T.optim.SparseAdam(p, lr=0.05, maximize=True),
        "sgd": lambda T, p: T.optim.SGD(p, lr=0.1),
        "sgd_momentum": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9),
        "sgd_nesterov": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        "adagrad": lambda T, p: T.optim.Adagrad(p, lr=0.1, lr_decay=0.01)}


def train(T, name):
    e = T.nn.Embedding(6, 3, sparse=True, padding_idx=1)
    with T.no_grad():
        e.weight.copy_(T.tensor(np.arange(18, dtype=np.float32).reshape(6, 3) / 10))
    opt = OPTS[name](T, e.parameters())
    out = []
    for step in range(4):
        opt.zero_grad()
        e(T.tensor([[0, 1, 4], [4, 2, step]])).pow(2).sum().backward()
        opt.step()
        out.append(e.weight.detach().clone())
    return out


@pytest.mark.parametrize("name", sorted(OPTS))
def test_steps_match_torch(torch, name):
    for a, b in zip(train(ember, name), train(torch, name)):
        assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_weight_decay_refused(torch):
    for T, opt in ((torch, torch.optim.Adagrad), (ember, ember.optim.Adagrad)):
        e = T.nn.Embedding(4, 2, sparse=True)
        o = opt(e.parameters(), weight_decay=0.1)
        e(T.tensor([1, 2])).sum().backward()
        with pytest.raises(RuntimeError):
            o.step()


def test_sparse_adam_refuses_dense_grad(torch):
    for T in (torch, ember):
        e = T.nn.Embedding(4, 2, sparse=False)
        o = T.optim.SparseAdam(e.parameters())
        e(T.tensor([1])).sum().backward()
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
            o.step()


def test_dense_optimizers_on_sparse_gradients(torch):
    """Adam points to SparseAdam, LBFGS densifies the gradient, as in PyTorch."""
    import ember.nn as nn
    import ember.optim as optim

    w0 = np.random.default_rng(3).standard_normal((5, 3)).astype("float32")
    e = nn.Embedding(5, 3, sparse=True)
    t = torch.nn.Embedding(5, 3, sparse=True)
    with ember.no_grad():
        e.weight.copy_(ember.tensor(w0))
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w0))
    idx = [1, 2, 1]
    for name in ("Adam", "AdamW"):
        e.zero_grad()
        e(ember.tensor(idx)).sum().backward()
        t.zero_grad()
        t(torch.tensor(idx)).sum().backward()
        with pytest.raises(RuntimeError) as got:
            getattr(optim, name)(e.parameters()).step()
        with pytest.raises(RuntimeError) as want:
            getattr(torch.optim, name)(t.parameters()).step()
        assert str(got.value) == str(want.value)

    def closure(mod, x):
        def f():
            mod.zero_grad()
            loss = (mod(x) ** 2).sum()
            loss.backward()
            return loss
        return f

    optim.LBFGS(e.parameters(), lr=0.1, max_iter=3).step(closure(e, ember.tensor(idx)))
    torch.optim.LBFGS(t.parameters(), lr=0.1, max_iter=3).step(closure(t, torch.tensor(idx)))
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
