"""foreach / fused / capturable / differentiable / maximize: accepted or refused as PyTorch does on
the CPU, with PyTorch's exception types and messages."""

from __future__ import annotations

import pytest

import ember

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta",
              "RMSprop", "Rprop", "ASGD", "Adafactor", "Muon", "LBFGS"]
FLAGS = [dict(foreach=True), dict(foreach=False), dict(fused=True), dict(fused=False),
         dict(capturable=True), dict(differentiable=True), dict(maximize=True),
         dict(fused=True, foreach=True), dict(fused=True, differentiable=True),
         dict(fused=True, foreach=True, differentiable=True),
         dict(capturable=True, foreach=False), dict(fused=True, capturable=True)]


def _outcome(lib, name, flags):
    """What building the optimizer and taking one step gives: the parameter or the error."""
    p = lib.full((3, 2), 0.5, requires_grad=True)
    try:
        opt = getattr(lib.optim, name)([p], lr=0.1, **flags)
    except Exception as exc:  # noqa: BLE001 - comparing exception types and texts
        return "init", type(exc).__name__, str(exc).replace("torch", "ember")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    try:
        opt.step(closure)
    except Exception as exc:  # noqa: BLE001
        return "step", type(exc).__name__, str(exc)
    return "ok", p.detach().numpy().tolist()


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_flags_accepted_or_refused_like_torch(torch, name, flags):
    expected = _outcome(torch, name, flags)
    got = _outcome(ember, name, flags)
    if expected[0] == "ok" and got[0] == "ok":
        ember.testing.assert_close(ember.tensor(got[1]), torch.tensor(expected[1]),
                                   rtol=1e-6, atol=1e-7)
    else:
        assert got == expected


def test_differentiable_refuses_leaf_even_under_no_grad(torch):
    # PyTorch's differentiable step turns grad mode on, whatever the caller's mode
    for lib in (torch, ember):
        p = lib.ones(2, requires_grad=True)
        p.grad = lib.ones(2)
        opt = lib.optim.Adam([p], differentiable=True)
        with lib.no_grad(), pytest.raises(RuntimeError, match="a leaf Variable that requires"):
            opt.step()


def test_capturable_check_skips_parameters_without_gradients(torch):
    for lib in (torch, ember):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.Adam([p], capturable=True)
        opt.step()  # nothing to update: no device check
        p.grad = lib.ones(2)
        with pytest.raises(AssertionError, match="If capturable=True"):
            opt.step()
