"""Small parity fixes of session 19, each checked against PyTorch where installed."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("element", [2, 7, 2.0, np.int64(3), True, "tensor_row", "tensor_miss"])
def test_contains_matches_torch(element):
    values = np.arange(6).reshape(2, 3)
    if element == "tensor_row":
        e, t = ember.tensor([0, 1, 2]), torch.tensor([0, 1, 2])
    elif element == "tensor_miss":
        e, t = ember.tensor([9, 9, 9]), torch.tensor([9, 9, 9])
    else:
        e = t = element
    assert (e in ember.tensor(values)) == (t in torch.tensor(values))


@pytest.mark.parametrize("element", ["a", [1, 2], None])
def test_contains_rejects_other_types_like_torch(element):
    with pytest.raises(RuntimeError) as ours:
        element in ember.arange(3)  # noqa: B015
    with pytest.raises(RuntimeError) as theirs:
        element in torch.arange(3)  # noqa: B015
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(), (4,), (3, 2)])
def test_reversed_flips_the_first_dim(shape):
    values = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    ours = reversed(ember.tensor(values))
    theirs = reversed(torch.tensor(values))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tuple(ours.shape) == tuple(theirs.shape)
