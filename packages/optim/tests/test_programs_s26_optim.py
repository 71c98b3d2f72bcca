"""Optimizer programs diffed with PyTorch (session 26): float16/bfloat16 parameters stepped
by ``add_(alpha=)`` bit for bit, including the tail PyTorch's CPU kernel handles element by
element (``alpha * other`` rounded to the half dtype before the add)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim

torch = pytest.importorskip("torch")

HALF = ["bfloat16", "float16"]


def _sgd_run(lib, dtype: str, n: int, kw: dict, steps: int = 4) -> np.ndarray:
    """``steps`` SGD steps on an ``n``-element half parameter with a fixed quadratic loss."""
    rng = np.random.default_rng(n)
    init = rng.standard_normal(n).astype(np.float32)
    p = lib.tensor(init).to(getattr(lib, dtype)).requires_grad_()
    opt = lib.optim.SGD([p], **kw)
    for _ in range(steps):
        opt.zero_grad()
        ((p.float() - 0.5) ** 2).sum().backward()
        opt.step()
    return p.detach().float().numpy()


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("n", [6, 45])
@pytest.mark.parametrize("kw", [dict(lr=0.1),
                                dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                                dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)])
def test_sgd_half_params_bit_for_bit(dtype: str, n: int, kw: dict) -> None:
    np.testing.assert_array_equal(_sgd_run(ember, dtype, n, kw), _sgd_run(torch, dtype, n, kw))


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("shape", [(6,), (5, 7), (3, 32), ()])
def test_add_alpha_half_optimizer_helper(dtype: str, shape: tuple) -> None:
    """The optimizers' ``add_(other, alpha=)`` on half arrays equals PyTorch's ``add``."""
    from ember.optim.optimizer import _add_

    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape).astype(np.float32)
    for alpha in (-0.1, 0.9, -0.0137):
        ta = torch.tensor(a).to(getattr(torch, dtype))
        tb = torch.tensor(b).to(getattr(torch, dtype))
        expect = ta.add(tb, alpha=alpha).float().numpy()
        ea = ember.tensor(a).to(getattr(ember, dtype))
        eb = ember.tensor(b).to(getattr(ember, dtype))
        _add_(np, ea._data, eb._data, alpha)
        np.testing.assert_array_equal(ea.float().numpy(), expect)


PROGRAM = '''
import torch
import torch.nn as nn
torch.manual_seed(0)
for dt in [torch.bfloat16, torch.float16]:
    for kw in [dict(lr=0.1, momentum=0.9, weight_decay=0.01), dict(lr=0.05)]:
        torch.manual_seed(0)
        m = nn.Linear(3, 2).to(dt)
        opt = torch.optim.SGD(m.parameters(), **kw)
        x = torch.randn(4, 3)
        for i in range(4):
            opt.zero_grad()
            loss = (m.weight.float() ** 2).sum() + m.bias.float().sum()
            loss.backward()
            opt.step()
        print(dt, m.weight, m.bias)
'''


def test_half_sgd_program_prints_as_pytorch(capsys) -> None:
    exec(compile(PROGRAM, "<torch>", "exec"), {})
    expect = capsys.readouterr().out.replace("torch", "ember")
    exec(compile(PROGRAM.replace("torch", "ember"), "<ember>", "exec"), {})
    assert capsys.readouterr().out == expect


def _adam_family_run(lib, name: str, dtype: str, n: int, steps: int = 4) -> np.ndarray:
    """``steps`` of optimizer ``name`` on a seeded ``n``-element half parameter."""
    lib.manual_seed(0)
    p = lib.randn(n).to(getattr(lib, dtype)).requires_grad_()
    opt = getattr(lib.optim, name)([p], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        ((p.float() - 0.5) ** 2).sum().backward()
        opt.step()
    return p.detach().float().numpy()


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
@pytest.mark.parametrize("dtype", HALF)
def test_adam_family_half_params_bit_for_bit(name: str, dtype: str) -> None:
    """float16: ``1 - beta`` is taken in double before float32, as PyTorch's Python code does
    (RAdam's first moment was one half-ulp off at a float32 tie)."""
    np.testing.assert_array_equal(_adam_family_run(ember, name, dtype, 45),
                                  _adam_family_run(torch, name, dtype, 45))
