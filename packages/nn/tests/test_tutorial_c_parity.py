"""PyTorch's nn.Module docs examples: what copying a module keeps, against PyTorch."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember

pytest.importorskip("ember.nn")


def _module_copy(m):
    """deepcopy of a trained Linear: which parameters keep grads and attributes."""
    m.manual_seed(0)
    lin = m.nn.Linear(3, 2)
    lin(m.tensor(np.ones((4, 3), dtype=np.float32))).pow(2).sum().backward()
    lin.weight.note = "tag"
    twin = copy.deepcopy(lin)
    return (twin.weight.grad, getattr(twin.weight, "note", None), type(twin.weight).__name__,
            twin.weight.requires_grad, twin.weight is lin.weight,
            bool(m.equal(twin.weight, lin.weight)), lin.weight.grad is not None)


def test_deepcopy_of_a_module_drops_parameter_grads(torch):
    assert _module_copy(ember) == _module_copy(torch)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_deepcopy_of_a_parameter(torch, requires_grad):
    def run(m):
        p = m.nn.Parameter(m.tensor([1.0, 2.0]), requires_grad=requires_grad)
        p.grad = m.tensor([3.0, 4.0])
        q = copy.deepcopy(p)
        q.data.add_(1)  # the copy owns its data
        return q.grad is None, q.requires_grad, type(q).__name__, p.tolist(), q.tolist()

    assert run(ember) == run(torch)


def test_deepcopy_keeps_weight_tying(torch):
    def run(m):
        emb = m.nn.Embedding(4, 3)
        out = m.nn.Linear(3, 4, bias=False)
        out.weight = emb.weight
        both = copy.deepcopy(m.nn.ModuleList([emb, out]))
        return both[0].weight is both[1].weight, len(list(both.parameters()))

    assert run(ember) == run(torch)


def test_plain_tensor_deepcopy_keeps_grad(torch):
    def run(m):
        t = m.tensor([1.0, 2.0], requires_grad=True)
        t.grad = m.tensor([5.0, 6.0])
        return copy.deepcopy(t).grad.tolist()

    assert run(ember) == run(torch)


def test_stateless_functional_call_is_deprecated(torch):
    import warnings

    def run(m):
        lin = m.nn.Linear(3, 2)
        params = {"weight": m.ones(2, 3), "bias": m.zeros(2)}
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            out = m.nn.utils.stateless.functional_call(lin, params, (m.ones(1, 3),))
        return out.tolist(), [(w.category.__name__, str(w.message).replace("torch", "ember"),
                               w.filename) for w in rec]

    assert run(ember) == run(torch)
