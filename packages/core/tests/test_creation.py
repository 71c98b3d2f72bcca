"""Creation ops against PyTorch: dtypes inferred from data, exact values of ranges."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

DATA = [np.float64(1.0), np.complex128(1j), np.float32(2), np.int32(3), [np.float64(1.0), 2.0],
        1.5, [1, 2.5], np.array(1.0), [], [[1, 2], [3, 4]], [True, 2], [np.int32(1), 2],
        (1j, 2.0), [[True, False]], np.arange(3, dtype=np.uint8)]


@pytest.mark.parametrize("data", DATA, ids=[repr(d)[:30] for d in DATA])
def test_tensor_infers_dtype_like_torch(data, torch):
    assert_close(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("args", [(0, 1, 7), (0, 0.9, 31), (-3.3, 7.1, 100), (0, 255, 256),
                                  (1e-3, 5, 1000), (2, -1, 13), (0, 1, 2), (5, 5, 3), (0, 1, 1)])
def test_linspace_bit_exact(args, dtype, torch):
    e = ember.linspace(*args, dtype=getattr(ember, dtype))
    t = torch.linspace(*args, dtype=getattr(torch, dtype))
    assert_close(e, t, rtol=0, atol=0)


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.1), (2.5, 7), (10, 0, -3), (0, 5, 2)])
def test_arange(args, torch):
    assert_close(ember.arange(*args), torch.arange(*args), rtol=0, atol=0)


def test_filled_and_like(torch):
    assert_close(ember.full((2, 3), 7), torch.full((2, 3), 7))
    assert_close(ember.full((2,), 1.5), torch.full((2,), 1.5))
    assert_close(ember.full((2,), True), torch.full((2,), True))
    assert_close(ember.eye(3, 2), torch.eye(3, 2))
    x = ember.ones(2, 3, dtype=ember.int32)
    assert_close(ember.zeros_like(x), torch.zeros_like(torch.ones(2, 3, dtype=torch.int32)))
    assert_close(ember.logspace(0, 2, 5), torch.logspace(0, 2, 5))


def test_bad_sizes():
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(2, -1)
    with pytest.raises(TypeError):
        ember.zeros("a")


@pytest.mark.parametrize(("start", "end", "steps"), [(-2, 2, 100), (-2, 2, 2000), (0, 1, 333),
                                                     (-7.3, 5.1, 1000), (3, -4, 77)])
def test_linspace_bfloat16_as_pytorch(torch, start, end, steps):
    # PyTorch rounds every step of its bfloat16 kernel (the counts converted too)
    pytest.importorskip("ml_dtypes")
    t = torch.linspace(start, end, steps, dtype=torch.bfloat16).float().numpy()
    e = ember.linspace(start, end, steps, dtype=ember.bfloat16).float().numpy()
    np.testing.assert_array_equal(e, t)
