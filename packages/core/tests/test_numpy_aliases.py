"""NumPy's ``axis=``/``keepdims=`` work wherever PyTorch's native functions take ``dim``/
``keepdim`` (its argument parser maps them), as functions and as Tensor methods; reductions
keep the integer ``dtype=`` they are asked for (NumPy would widen it)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

X = np.arange(24.0).reshape(2, 3, 4) / 7

CASES = [
    lambda m, x: x.sum(axis=1), lambda m, x: m.sum(x, axis=(0, 2), keepdims=True),
    lambda m, x: x.mean(axis=-1, keepdims=True), lambda m, x: m.prod(x, axis=1),
    lambda m, x: x.std(axis=1), lambda m, x: m.var(x, axis=2, keepdims=True),
    lambda m, x: x.max(axis=1).values, lambda m, x: m.min(x, axis=0, keepdims=True).indices,
    lambda m, x: x.amax(axis=(1, 2)), lambda m, x: x.argmax(axis=2),
    lambda m, x: (x > 1).any(axis=1), lambda m, x: m.all(x > 0, axis=2, keepdims=True),
    lambda m, x: m.logsumexp(x, axis=1), lambda m, x: x.cumsum(axis=1),
    lambda m, x: m.softmax(x, axis=-1), lambda m, x: x.log_softmax(axis=0),
    lambda m, x: m.cat([x, x], axis=1), lambda m, x: m.concatenate([x, x], axis=0),
    lambda m, x: m.stack([x, x], axis=2), lambda m, x: x.unsqueeze(axis=0),
    lambda m, x: x[:, :1].squeeze(axis=1), lambda m, x: m.sort(x, axis=1).values,
    lambda m, x: x.median(axis=1).values, lambda m, x: m.flip(x, dims=(0,)),
    lambda m, x: x.swapaxes(axis0=0, axis1=2), lambda m, x: m.unbind(x, axis=1)[1],
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_axis_and_keepdims_aliases(torch, case):
    assert_close(CASES[case](ember, ember.tensor(X)), CASES[case](torch, torch.tensor(X)))


def test_aliases_keep_the_gradient_and_the_errors():
    x = ember.tensor(X, requires_grad=True)
    x.sum(axis=1, keepdims=True).sum().backward()
    assert_close(x.grad, ember.ones(2, 3, 4, dtype=ember.float64))
    with pytest.raises(TypeError):
        x.sum(axes=1)


DTYPE_CASES = [
    lambda m, x: x.sum(dtype=m.int32), lambda m, x: x.sum(1, dtype=m.int16),
    lambda m, x: x.prod(dtype=m.int16), lambda m, x: x.cumsum(0, dtype=m.int8),
    lambda m, x: x.cumprod(1, dtype=m.int32), lambda m, x: x.sum(dtype=m.uint8),
    lambda m, x: (x * 50).to(m.int8).sum(dtype=m.int8), lambda m, x: x.to(m.int8).cumsum(0),
]


@pytest.mark.parametrize("case", range(len(DTYPE_CASES)))
def test_integer_reductions_keep_the_asked_dtype(torch, case):
    """``dtype=`` with a small integer type sums in it (wrapping as PyTorch does)."""
    a = np.array([[1, 2], [3, 4]])
    assert_close(DTYPE_CASES[case](ember, ember.tensor(a)), DTYPE_CASES[case](torch, torch.tensor(a)))


ARRAY_CASES = [
    lambda m, t: t + np.array([1.0, 2.0]), lambda m, t: t * np.array(2.0),
    lambda m, t: t + np.array([1, 2]), lambda m, t: t - np.array([0.5, 1.5], dtype=np.float32),
    lambda m, t: t.double() / np.array([2, 4], dtype=np.int8), lambda m, t: t * np.float64(2),
    lambda m, t: t + np.int64(3), lambda m, t: t[np.array([1, 0])],
]


@pytest.mark.parametrize("case", range(len(ARRAY_CASES)))
def test_numpy_array_operands_promote_as_numpy(torch, case):
    """PyTorch hands ``tensor op ndarray`` to NumPy: NumPy's promotion picks the dtype."""
    a = np.array([1.0, 2.0], dtype=np.float32)
    assert_close(ARRAY_CASES[case](ember, ember.tensor(a)), ARRAY_CASES[case](torch, torch.tensor(a)))
