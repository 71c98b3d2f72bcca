"""Wrongly typed arguments, as PyTorch's argument parser refuses them (session 28, lane P).

Tutorial-level mistakes: a list or number where a tensor goes (``torch.sum([1, 2])``,
``torch.relu`` / ``mean`` / ``max`` / ``argmax`` / ``cumsum`` of a list, ``gather`` /
``index_select`` with a list index), a float where an int goes (``topk(2.0)``, ``eye(2.0)``,
``eye(2, 3.0)``, ``diag(x, 1.0)``, ``x.size(1.0)``): the same TypeError and message as PyTorch
("argument 'X' (position N) must be T, not U", or the first line of "received an invalid
combination of arguments"). A float from ``/`` used as a size (``torch.randn(n / 2, 3)``,
``x.view(n / 2, -1)``, ``x.split(n / 2)``), a multi-element or float tensor as a size, a
string, list or None as ``add``/``sub``/``mul``/``div``'s operand (and their in-place forms,
whose operators still answer NotImplemented). Also guards calls already matching (unary ops,
softmax, chunk, reshape's quirk).
"""

from __future__ import annotations

import pytest
from _program_output import printed

torch = pytest.importorskip("torch")

SETUP = "import torch\nx = torch.arange(6.0).reshape(2, 3)\n"


def _same(src: str) -> None:
    e, t = printed(SETUP + src, "ember"), printed(SETUP + src, "torch")
    assert "UNCAUGHT TypeError" in t
    assert e == t


NOT_TENSOR = [
    "torch.sum([1, 2])",
    "torch.sum(1)",
    "torch.mean([1.0, 2.0])",
    "torch.mean(x.tolist())",
    "torch.relu([1.0])",
    "torch.relu(1)",
    "torch.max([1, 2])",
    "torch.min([1, 2])",
    "torch.argmax([1, 2])",
    "torch.argmin([1, 2], dim=0)",
    "torch.cumsum([1, 2], 0)",
    "torch.cumprod([1, 2], 0)",
    "torch.gather(x, 1, [[0]])",
    "torch.index_select(x, 0, [0])",
    "torch.exp([1.0])",
    "torch.sigmoid([1.0])",
    "torch.softmax([1.0], 0)",
]


@pytest.mark.parametrize("src", NOT_TENSOR)
def test_not_a_tensor(src):
    _same(f"print({src})")


NOT_INT = [
    "torch.topk(x, 2.0)",
    "torch.topk(x, 2.5, dim=0)",
    "torch.eye(2.0)",
    "torch.diag(x, 1.0)",
    "torch.diag(torch.ones(3), 0.5)",
    "x.size(1.0)",
    "x.size('a')",
    "torch.chunk(x, 2.0)",
    "torch.randperm(5.0)",
]


@pytest.mark.parametrize("src", NOT_INT)
def test_not_an_int(src):
    _same(f"print({src})")


def test_eye_invalid_combination():
    src = "print(torch.eye(2, 3.0))"
    assert printed(SETUP + src, "ember") == printed(SETUP + src, "torch")


@pytest.mark.parametrize("src", ["x.view(2.5)", "x.view('a')", "x.narrow(0, 0.0, 1)",
                                 "x.narrow(0, 0, 1.0)", "x.narrow(0, 0.5, 1.0)"])
def test_invalid_combination(src):
    _same(f"print({src})")


def _same_and_clean(src: str) -> None:
    """``src`` (after ``SETUP``) runs without error under PyTorch and prints the same in Ember."""
    e, t = printed(SETUP + src, "ember"), printed(SETUP + src, "torch")
    assert "UNCAUGHT" not in t
    assert e == t


def test_happy_paths_unchanged():
    src = ("import numpy as np\n"
           "print(torch.sum(x), torch.mean(x, 1), torch.relu(x - 2), torch.max(x, 1))\n"
           "print(torch.argmax(x), torch.cumsum(x, 0), x.topk(2), torch.topk(x, k=1, dim=0))\n"
           "print(torch.eye(2), torch.eye(2, 3), torch.eye(np.int64(2)), torch.diag(x, 1))\n"
           "print(x.size(1), x.size(-1), x.size(np.int64(0)), torch.diag(torch.ones(2), -1))\n"
           "i = torch.tensor([[0, 1, 0]])\n"
           "print(x.gather(1, i), x.index_select(1, torch.tensor([2, 0])))\n")
    _same_and_clean(src)


SIZES = [
    "torch.randn(6 / 2, 2)",
    "torch.rand(3.0, 2, 1)",
    "torch.randn(3.0, 2, dtype=torch.float64)",
    "torch.randn(3.0, 2, requires_grad=True)",
    "torch.randn(torch.tensor([2, 3]), 1)",
    "torch.randn(2, 3.0)",
    "torch.randn(3.0)",
    "torch.zeros(torch.tensor([2, 3]))",
    "torch.zeros(torch.tensor([2.0]))",
    "torch.ones(torch.tensor(2.0))",
    "torch.empty(torch.tensor([2, 3]))",
    "torch.rand(torch.tensor([2, 3]))",
    "torch.zeros(2, torch.tensor([3, 1]))",
    "torch.zeros((2, torch.tensor([3, 1])))",
    "torch.zeros([torch.tensor([2, 3])])",
    "torch.zeros(torch.tensor([2, 3]), 1)",
    "x.new_zeros(torch.tensor([2, 3]))",
    "x.view(6 / 2, -1)",
    "x.view(3.0, 2)",
    "x.view((3.0, 2))",
    "x.view([3.0, 2])",
    "x.view(torch.tensor([3, 2]))",
    "x.view(2, 3.0)",
    "x.reshape(3.0, 2)",
    "torch.zeros(3.0, 2)",
]


@pytest.mark.parametrize("src", SIZES)
def test_size_not_ints(src):
    _same(f"print({src})")


SPLITS = ["x.split(6 / 3)", "torch.split(x, 2.0)", "x.split([1.0, 1.0])", "x.split((1, 1.0))",
          "x.split('a')", "x.split(None)"]


@pytest.mark.parametrize("src", SPLITS)
def test_split_sizes_not_ints(src):
    _same(f"print({src})")


OPERANDS = [f"torch.{op}(x, {v})" for op in ("add", "sub", "mul", "div")
            for v in ('"a"', "None", "[1.0, 2.0, 3.0]")] + [
    "torch.add('a', x)", "x.add_('a')", "x.sub_([1.0])", "x.mul_(None)", "x.div_('a')"]


@pytest.mark.parametrize("src", OPERANDS)
def test_operand_not_tensor(src):
    _same(f"print({src})")


@pytest.mark.parametrize("src", ["x += 'a'", "x *= None", "x -= [1.0]", "y = x + 'a'",
                                 "y = None * x"])
def test_operators_still_defer(src):
    _same(src)


def test_split_and_size_happy_paths():
    src = ("import numpy as np\n"
           "print(x.split(1), x.split([1, 1]), x.split(torch.tensor(2), 1))\n"
           "print(torch.zeros(torch.tensor([2])).shape, torch.zeros(2, torch.tensor(3)).shape)\n"
           "print(x.view(3, 2), x.view(-1), x.view(torch.float32).shape, x.view(np.int64(6)))\n"
           "print(torch.randn(2, 3).shape, torch.rand((2, 1)).shape, x.add(1), x.mul(2.5))\n"
           "print(x.add_(1), x.mul_(2), x.sub_(1, alpha=2), x.div_(2))\n")
    _same_and_clean(src)


@pytest.mark.parametrize("src", [
    "torch.arange(torch.tensor([1, 2]))", "torch.arange(torch.tensor([3]))",
    "torch.arange('5')", "torch.arange(1.0, '5')", "torch.arange(None)",
    "torch.arange(0, 5, '1')", "torch.arange(1, torch.tensor([5]), 2)"])
def test_arange_bound_not_number(src):
    _same(f"print({src})")


def test_arange_happy_paths():
    src = ("import numpy as np\n"
           "print(torch.arange(torch.tensor(3)), torch.arange(np.int64(4)), torch.arange(1, 2.5, 0.5))\n"
           "print(torch.arange(torch.tensor(2), torch.tensor(6)), torch.arange(torch.tensor(2.5)))\n")
    _same_and_clean(src)


@pytest.mark.parametrize("src", ["torch.where(x > 0, x)", "torch.where(x > 0, x > 1)"])
def test_where_one_operand(src):
    _same(f"print({src})")


@pytest.mark.parametrize("src", ["torch.relu(torch.float32)", "torch.sum(torch.device('cpu'))",
                                 "torch.mean(torch.Size([2]))", "torch.relu(x.numpy())"])
def test_refused_type_named(src):
    _same(f"print({src})")
