"""Pooling edge cases found by fuzzing against PyTorch (stretch 18)."""

import numpy as np
import pytest

import ember

F = pytest.importorskip("ember.nn.functional")
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape,kernel,padding", [
    ((1, 2, 3, 8, 9), (4, 1, 1), (2, 0, 0)),
    ((2, 1, 8, 3, 5), (3, 4, 1), (1, 2, 0)),
    ((1, 1, 3, 6, 3), (1, 2, 4), (0, 1, 0)),
])
def test_avg_pool3d_refuses_an_input_smaller_than_the_kernel(shape, kernel, padding):
    # padding would make room for the window, but PyTorch's 3-d average pool checks the
    # unpadded input; its 2-d one does not
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(RuntimeError) as want:
        torch.nn.functional.avg_pool3d(torch.tensor(x), kernel, 1, padding)
    with pytest.raises(RuntimeError) as got:
        F.avg_pool3d(ember.tensor(x), kernel, 1, padding)
    assert str(got.value) == str(want.value)


def test_avg_pool3d_input_as_large_as_the_kernel_still_pools():
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 2))
    want = torch.nn.functional.avg_pool3d(torch.tensor(x), (3, 4, 2), 1, (1, 2, 1))
    got = F.avg_pool3d(ember.tensor(x), (3, 4, 2), 1, (1, 2, 1))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
