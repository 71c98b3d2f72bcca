"""A gradient handed to ``backward``/``autograd.grad`` in another dtype is cast to its output's
dtype before the first node runs, as PyTorch's engine does; complex mismatches are refused."""

from __future__ import annotations

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
