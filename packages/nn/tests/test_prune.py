"""nn.utils.prune against torch.nn.utils.prune as the pruning tutorial uses it: custom
methods written against the tensor API, iterative pruning through a PruningContainer,
and random masks drawn from the same seeded stream as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import prune
from ember.testing import assert_close


def _tprune(torch):
    import torch.nn.utils.prune as tp

    return tp


def _pair(torch, make, seed=0):
    """The same layer built by Ember and PyTorch from one seed (same initial weights)."""
    ember.manual_seed(seed)
    e = make(ember)
    torch.manual_seed(seed)
    t = make(torch)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return e, t


def test_custom_pruning_method_from_the_tutorial(torch):
    tp = _tprune(torch)

    def method(base):
        class FooBarPruningMethod(base):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        return FooBarPruningMethod

    e, t = _pair(torch, lambda m: m.nn.Linear(4, 5))
    method(prune.BasePruningMethod).apply(e, "bias")
    method(tp.BasePruningMethod).apply(t, "bias")
    assert_close(e.bias_mask, t.bias_mask)
    assert_close(e.bias, t.bias)
    # a custom method stacked on a built-in one acts on the entries still unpruned
    method(prune.BasePruningMethod).apply(prune.l1_unstructured(e, "weight", amount=5),
                                          "weight")
    method(tp.BasePruningMethod).apply(tp.l1_unstructured(t, "weight", amount=5), "weight")
    assert_close(e.weight_mask, t.weight_mask)
    hook = [h for h in e._forward_pre_hooks.values() if h._tensor_name == "weight"][0]
    assert type(hook).__name__ == "PruningContainer"
    assert [type(h).__name__ for h in hook] == ["L1Unstructured", "FooBarPruningMethod"]
    with pytest.raises(TypeError, match="abstract"):
        prune.BasePruningMethod()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_masks_follow_the_seed_like_torch(torch, dtype):
    tp = _tprune(torch)
    e, t = _pair(torch, lambda m: m.nn.Linear(30, 20, dtype=getattr(m, dtype)), seed=4)
    ember.manual_seed(11)
    torch.manual_seed(11)
    prune.random_unstructured(e, "weight", amount=0.37)
    tp.random_unstructured(t, "weight", amount=0.37)
    assert_close(e.weight_mask, t.weight_mask)
    prune.random_structured(e, "weight", amount=0.3, dim=1)
    tp.random_structured(t, "weight", amount=0.3, dim=1)
    assert_close(e.weight_mask, t.weight_mask)
    prune.random_unstructured(e, "weight", amount=40)
    tp.random_unstructured(t, "weight", amount=40)
    assert_close(e.weight_mask, t.weight_mask)
    assert e.weight_mask.dtype == e.weight.dtype
    assert_close(ember.rand(4), torch.rand(4))  # the same number of draws were made


def test_iterative_pruning_tutorial_sequence(torch):
    tp = _tprune(torch)
    make = lambda m: m.nn.Conv2d(3, 6, 3)  # noqa: E731
    e, t = _pair(torch, make, seed=2)
    ember.manual_seed(5)
    torch.manual_seed(5)
    for lib, mod in ((prune, e), (tp, t)):
        lib.random_unstructured(mod, name="weight", amount=0.3)
        lib.l1_unstructured(mod, name="bias", amount=3)
        lib.ln_structured(mod, name="weight", amount=0.5, n=2, dim=0)
        lib.ln_structured(mod, name="weight", amount=1, n=float("inf"), dim=1)
    assert_close(e.weight_mask, t.weight_mask)
    assert_close(e.bias_mask, t.bias_mask)
    assert list(e.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 5, 5)).astype(np.float32)
    eo, to = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(eo, to, rtol=1e-5, atol=1e-6)
    eo.sum().backward()
    to.sum().backward()
    assert_close(e.weight_orig.grad, t.weight_orig.grad, rtol=1e-5, atol=1e-5)
    prune.remove(e, "weight")
    tp.remove(t, "weight")
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert_close(e.weight, t.weight)


def test_structured_errors_name_the_size(torch):
    tp = _tprune(torch)
    for lib, m in ((prune, nn.Linear(3, 2)), (tp, torch.nn.Linear(3, 2))):
        with pytest.raises(IndexError, match=r"Invalid index 5 for tensor of size \w+\.Size\(\[2, 3\]\)"):
            lib.ln_structured(m, "weight", amount=0.5, n=2, dim=5)
        with pytest.raises(ValueError, match=r"Found tensor of shape \w+\.Size\(\[2\]\) with 1"):
            lib.random_structured(m, "bias", amount=0.5, dim=0)


def test_old_weight_norm_is_deprecated(torch):
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        m = nn.utils.weight_norm(nn.Linear(3, 2))
    assert sorted(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
