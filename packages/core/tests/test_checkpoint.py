"""ember.utils.checkpoint against torch.utils.checkpoint: both variants, dropout replayed
from the saved random state, gradients equal to the plain run, and PyTorch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close
from ember.utils.checkpoint import checkpoint, checkpoint_sequential

RNG = np.random.default_rng(3)


def _mlp(m, seed=0):
    nn = m.nn
    m.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8),
                         nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3))


def _run(m, model, x, how, reentrant):
    """Output, input gradient, parameter gradients and the next random draw of one run."""
    m.manual_seed(1)
    x = x.clone().requires_grad_()
    if how == "plain":
        out = model(x)
    elif how == "checkpoint":
        out = m.utils.checkpoint.checkpoint(model, x, use_reentrant=reentrant)
    else:
        out = m.utils.checkpoint.checkpoint_sequential(model, 3, x, use_reentrant=reentrant)
    out.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    return [out, x.grad, *grads, m.rand(3)]


@pytest.mark.parametrize("how", ["checkpoint", "sequential"])
@pytest.mark.parametrize("reentrant", [True, False])
def test_same_numbers_as_plain_run_and_as_torch(torch, how, reentrant):
    pytest.importorskip("ember.nn")
    import torch.utils.checkpoint  # noqa: F401

    xn = RNG.standard_normal((4, 6)).astype(np.float32)
    e_model, t_model = _mlp(ember), _mlp(torch)
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    plain = _run(ember, e_model, ember.tensor(xn), "plain", reentrant)
    ours = _run(ember, e_model, ember.tensor(xn), how, reentrant)
    theirs = _run(torch, t_model, torch.tensor(xn), how, reentrant)
    for a, b, c in zip(ours, plain, theirs):
        assert_close(a, b)
        assert_close(a, c, rtol=1e-5, atol=1e-6)


def test_parameters_get_gradients_when_no_input_requires_grad(torch):
    nn = pytest.importorskip("ember.nn")
    lin = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    out = checkpoint(lin, x, use_reentrant=False)
    assert out.requires_grad  # as torch: the parameters are inputs of the segment
    out.sum().backward()
    assert_close(lin.weight.grad, x.sum(0).expand(2, 3))
    assert_close(lin.bias.grad, ember.full((2,), 4.0))
    # the reentrant variant sees only the arguments: no graph, and PyTorch's warning
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        assert not checkpoint(lin, x, use_reentrant=True).requires_grad
    tlin = torch.nn.Linear(3, 2)
    assert torch.utils.checkpoint.checkpoint(tlin, torch.randn(4, 3),
                                             use_reentrant=False).requires_grad


def test_non_reentrant_supports_grad_double_backward_trees_and_kwargs():
    w = ember.tensor(RNG.standard_normal(4), requires_grad=True)

    def seg(a, scale, *, power=3):
        return {"y": (a ** power * w).sum() * scale, "n": 7, "z": [a.sin()]}

    def f(a):
        return checkpoint(seg, a, 2.0, power=3, use_reentrant=False)["y"]

    a = ember.tensor(RNG.standard_normal(4), requires_grad=True)
    out = checkpoint(seg, a, 2.0, power=3, use_reentrant=False)
    assert out["n"] == 7 and out["z"][0].requires_grad
    ga, gw = ember.autograd.grad(out["y"], (a, w))
    assert_close(ga, 6 * a.detach() ** 2 * w.detach())
    assert_close(gw, 2 * a.detach() ** 3)
    assert gradcheck(f, (a,))
    g, = ember.autograd.grad(f(a), a, create_graph=True)
    g.sum().backward()
    assert_close(a.grad, 12 * a.detach() * w.detach())
    # an argument returned unchanged is the caller's own tensor, as in PyTorch
    assert checkpoint(lambda t: t, a, use_reentrant=False) is a


def test_reentrant_errors_and_default(torch):
    a = ember.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: b"):
        checkpoint(lambda t, b=1: t * b, a, b=2, use_reentrant=True)
    y = checkpoint(lambda t: (t ** 2).sum(), a, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad()"):
        ember.autograd.grad(y, a)
    y = checkpoint(lambda t: (t ** 2).sum(), a, use_reentrant=True)
    y.backward()
    assert_close(a.grad, 2 * a.detach())
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    # not passing use_reentrant warns and means True, as in torch 2.x
    with pytest.warns(UserWarning) as rec:
        out = checkpoint(lambda t: t * 2, ember.randn(2))
    assert [str(w.message)[:60] for w in rec] == [
        "torch.utils.checkpoint: the use_reentrant parameter should b",
        "None of the inputs have requires_grad=True. Gradients will b"]
    assert not out.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = torch.utils.checkpoint.checkpoint(lambda t: t * 2, torch.randn(2))
    assert not t_out.requires_grad
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential([ember.sin], 1, a, use_reentrant=False, foo=1)


def test_preserve_rng_state_false_draws_a_new_mask():
    drop = pytest.importorskip("ember.nn").Dropout(0.5)
    x = ember.ones(200, requires_grad=True)
    ember.manual_seed(0)
    out = checkpoint(drop, x, use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    # the recomputation drew another mask: the gradient is not the forward's mask
    assert not ember.equal(x.grad, (out != 0).to(x.dtype) * 2)
    x.grad = None
    ember.manual_seed(0)
    out = checkpoint(drop, x, use_reentrant=False)
    out.sum().backward()
    assert_close(x.grad, (out.detach() != 0).to(x.dtype) * 2)
