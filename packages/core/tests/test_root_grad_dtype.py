"""A gradient handed to ``backward``/``autograd.grad`` in another dtype is cast to its output's
dtype before the first node runs, as PyTorch's engine does; complex mismatches are refused."""

from __future__ import annotations

import numpy as np
import pytest

import ember

OPS = {
    "index_select": lambda lib, x: x.index_select(0, lib.tensor([0, 2, 0])),
    "matmul": lambda lib, x: x @ lib.ones(2, 2),
    "getitem": lambda lib, x: x[[0, 1]],
    "exp": lambda lib, x: x.exp(),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("gdtype", ["float64", "float16", "int64", "bool"])
def test_backward_casts_the_given_gradient(torch, op, gdtype):
    results = []
    for lib in (ember, torch):
        x = lib.arange(6.0).reshape(3, 2).requires_grad_()
        y = OPS[op](lib, x)
        y.backward(lib.ones(tuple(y.shape), dtype=getattr(lib, gdtype)))
        results.append(x.grad)
    got, want = results
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    ember.testing.assert_close(got, want)


def test_autograd_grad_casts_grad_outputs():
    x = ember.arange(6.0).requires_grad_()
    y = x.index_select(0, ember.tensor([1, 1, 4]))
    (g,) = ember.autograd.grad(y, x, ember.ones(3, dtype=ember.float64))
    assert g.dtype == ember.float32
    assert g.tolist() == [0.0, 2.0, 0.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("case", ["complex_grad", "complex_output"])
def test_complex_mismatch_is_refused(torch, case):
    messages = []
    for lib in (ember, torch):
        if case == "complex_grad":
            y = lib.ones(3, requires_grad=True) * 2
            g = lib.ones(3, dtype=lib.complex64)
        else:
            y = lib.ones(3, dtype=lib.complex64, requires_grad=True) * 2
            g = lib.ones(3)
        with pytest.raises(RuntimeError) as err:
            y.backward(g)
        messages.append(str(err.value).replace("torch.", "ember."))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("low", ["bfloat16", "float16"])
def test_mixed_precision_gradient_is_cast_at_each_node(torch, low):
    """A float32 gradient flowing into a half-precision op's node is cast to that node's
    output dtype first (PyTorch's engine does this at every edge)."""
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(xs, dtype=lib.float32, requires_grad=True)
        w = lib.tensor(ws, dtype=lib.float32, requires_grad=True)
        h = (x.to(getattr(lib, low)) @ w.to(getattr(lib, low)).t())  # a low-precision node
        y = h + lib.zeros(3)  # float32 out: its gradient reaches the matmul as float32
        (y * lib.arange(3.0)).sum().backward()
        grads.append((x.grad, w.grad))
    for got, want in zip(*grads):
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        ember.testing.assert_close(got, want)


GRAD_CASES = {
    "shape": lambda lib: lib.zeros(3),
    "dtype": lambda lib: lib.zeros(2, 3, dtype=lib.float64),
    "int_dtype": lambda lib: lib.zeros(2, 3, dtype=lib.int64),
    "number": lambda lib: 3,
    "list": lambda lib: [1.0, 2.0],
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_grad_assignment_is_checked(torch, case):
    """``t.grad = g`` refuses what PyTorch refuses, with its exception type and words."""
    errors = []
    for lib in (ember, torch):
        x = lib.zeros(2, 3, requires_grad=True)
        with pytest.raises((RuntimeError, TypeError)) as err:
            x.grad = GRAD_CASES[case](lib)
        errors.append(err)
    assert errors[0].type is errors[1].type
    assert str(errors[0].value) == str(errors[1].value)


def test_grad_assignment_accepts_what_pytorch_accepts(torch):
    x = ember.zeros(2, 3, requires_grad=True)
    x.grad = ember.zeros(3).expand(2, 3)
    assert x.grad.shape == (2, 3)
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="its own grad"):
        x.grad = x
    y = ember.zeros(2, dtype=ember.int64)
    y.grad = ember.ones(2, dtype=ember.int64)
    assert y.grad.tolist() == [1, 1]


def test_non_leaf_grad_access_warns_as_pytorch(torch):
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    y.sum().backward()
    assert y.grad.tolist() == [1.0, 1.0]
