"""Loss programs against PyTorch (lane C, session 26): the signed zeros of margin-loss gradients
off the margin, and ctc_loss's argument-type error with PyTorch's per-overload detail lines."""

from __future__ import annotations

import pytest
from _programs import same_printed

import ember
import ember.nn.functional  # noqa: F401 - ember.nn.functional for the lib-generic calls

torch = pytest.importorskip("torch")


def _signs(t) -> list:
    """The values with the sign of each zero: ``-0.0`` and ``0.0`` differ."""
    import math

    return [math.copysign(1.0, v) if v == 0 else v for v in t.detach().reshape(-1).tolist()]


def _margin_ranking_grads(lib, margin: float) -> list:
    a = lib.tensor([1.0, 2.0, 0.5, -1.0, 3.0], requires_grad=True)
    b = lib.tensor([1.0, 3.0, 0.2, 1.0, -2.0], requires_grad=True)
    y = lib.tensor([1.0, -1.0, 1.0, 1.0, -1.0], requires_grad=True)
    lib.nn.functional.margin_ranking_loss(a, b, y, margin=margin).backward()
    return [_signs(v.grad) for v in (a, b, y)]


@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_grad_signed_zeros(margin: float) -> None:
    """Off the margin PyTorch's chain rule gives ``0 * -y``: -0. where ``y`` is 1."""
    assert _margin_ranking_grads(ember, margin) == _margin_ranking_grads(torch, margin)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_grad_zero_rows_positive(p: int) -> None:
    """A row with every class off the margin has +0 gradients (PyTorch's kernel writes 0)."""
    def grads(lib):
        x = lib.tensor([[0.1, -2.0, 3.0], [5.0, 0.2, 0.3], [0.0, 0.5, 0.4]],
                       requires_grad=True)
        lib.nn.MultiMarginLoss(p=p)(x, lib.tensor([1, 0, 2])).backward()
        return _signs(x.grad)

    assert grads(ember) == grads(torch)


@pytest.mark.parametrize("lengths", [(8, 3), ((8, 8), 3), ([8, 8], None), ([], 3),
                                     ((8,), "T"), ("T", [3]), ("T", (3, 3))])
def test_ctc_loss_lengths_type_error_message(lengths) -> None:
    """Mixed or scalar lengths: PyTorch's TypeError, each overload's mismatch line included."""
    def call(lib):
        lp = lib.randn(8, 2, 5).log_softmax(2)
        t = lib.tensor([[1, 2, 3]] * 2)
        a, b = (lib.tensor([8, 8]) if v == "T" else v for v in lengths)
        with pytest.raises(TypeError) as e:
            lib.nn.functional.ctc_loss(lp, t, a, b)
        return str(e.value)

    assert call(ember) == call(torch)


_PROGRAM_MARGINS = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(8)
x1 = torch.randn(5, requires_grad=True)
x2 = torch.randn(5, requires_grad=True)
y = torch.tensor([1., -1., 1., 1., -1.])
crit = nn.MarginRankingLoss(margin=0.5)
loss = crit(x1, x2, y)
print(loss)
loss.backward()
print(x1.grad, x2.grad)
print(F.margin_ranking_loss(x1, x2, y, reduction="none"))
torch.manual_seed(10)
x = torch.randn(3, 5, requires_grad=True)
yt = torch.tensor([1, 4, 0])
print(nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor([1., 2., 3., 4., 5.]))(x, yt))
print(F.multi_margin_loss(x, yt, reduction="none"))
nn.MultiMarginLoss(p=2)(x, yt).backward()
print(x.grad)
"""


def test_program_margin_losses_printed() -> None:
    """A margin-loss program prints the same (its -0. gradients included)."""
    same_printed(_PROGRAM_MARGINS)
