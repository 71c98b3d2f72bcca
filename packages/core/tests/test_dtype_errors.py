"""Ops given a dtype they do not support raise PyTorch's exception type and message."""

from __future__ import annotations

import pytest

import ember

CASES = {
    "max_pool1d_bool": lambda m: m.max_pool1d(m.ones(1, 1, 4, dtype=m.bool), 2),
    "max_pool3d_bool": lambda m: m.max_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.bool), 2),
    "max_pool2d_bool": lambda m: m.max_pool2d(m.ones(1, 1, 4, 4, dtype=m.bool), 2),
    "avg_pool1d_bool": lambda m: m.avg_pool1d(m.ones(1, 1, 4, dtype=m.bool), 2),
    "conv2d_bool": lambda m: m.conv2d(m.ones(1, 1, 4, 4, dtype=m.bool),
                                      m.ones(1, 1, 2, 2, dtype=m.bool)),
    "adaptive_avg_pool1d_long": lambda m: m.adaptive_avg_pool1d(m.ones(1, 1, 4, dtype=m.long),
                                                                2),
    "rand_long": lambda m: m.rand(2, dtype=m.long),
    "randn_long": lambda m: m.randn(2, dtype=m.long),
    "uniform_long": lambda m: m.empty(2, dtype=m.long).uniform_(),
    "normal_long": lambda m: m.empty(2, dtype=m.long).normal_(),
    "exponential_long": lambda m: m.ones(3, dtype=m.long).exponential_(),
    "relu_bool": lambda m: m.relu(m.ones(3, dtype=m.bool)),
    "softmax_long": lambda m: m.ones(3, dtype=m.long).softmax(0),
    "imag_real": lambda m: m.ones(3).imag,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_type_and_message_match_pytorch(torch, name):
    with pytest.raises(Exception) as ref:
        CASES[name](torch)
    with pytest.raises(Exception) as got:
        CASES[name](ember)
    assert type(got.value) is type(ref.value)
    assert str(got.value) == str(ref.value)


NAMED = {
    "matmul": lambda m: m.ones(64, 784) @ m.ones(700, 10),
    "mm": lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)),
    "bmm": lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 2, 3)),
    "sum": lambda m: m.ones(3).sum(2),
    "softmax": lambda m: m.ones(2, 3).softmax(5),
    "cat": lambda m: m.cat([m.ones(2, 3), m.ones(2, 3)], 4),
}


@pytest.mark.parametrize("op", sorted(NAMED))
def test_shape_and_dim_errors_name_the_op_and_carry_pytorchs_text(torch, op):
    from ember.testing.sweep import same_message

    with pytest.raises(Exception) as ref:
        NAMED[op](torch)
    with pytest.raises(Exception) as got:
        NAMED[op](ember)
    assert type(got.value) is type(ref.value)
    assert str(got.value).startswith(f"{op}: ")
    assert same_message(str(ref.value), str(got.value))
