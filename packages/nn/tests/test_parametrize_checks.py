"""register_parametrization's checks against PyTorch's: a parametrization (or its
right_inverse) that changes the tensor's dtype or shape is refused with PyTorch's
message, whether it is the first one on the tensor or stacked on others."""

from __future__ import annotations

import pytest

import ember


def _parametrizations(m):
    nn = m.nn

    class Keep(nn.Module):
        def forward(self, x):
            return x

    class Rows(nn.Module):
        def forward(self, x):
            return x[:2]

    class Double(nn.Module):
        def forward(self, x):
            return x.double()

    class ShortInverse(nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return x[:1]

    class DoubleInverse(nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return x.double()

    return Keep, [Rows, Double, ShortInverse, DoubleInverse]


def _error(m, stacked, k):
    parametrize = m.nn.utils.parametrize
    keep, bad = _parametrizations(m)
    lin = m.nn.Linear(3, 3)
    if stacked:
        parametrize.register_parametrization(lin, "weight", keep())
    with pytest.raises(ValueError) as info:
        parametrize.register_parametrization(lin, "weight", bad[k]())
    # unsafe=True skips the checks
    parametrize.register_parametrization(m.nn.Linear(3, 3), "weight", keep())
    return str(info.value)


@pytest.mark.parametrize("stacked", [False, True])
@pytest.mark.parametrize("k", range(4))
def test_dtype_and_shape_checks_match_torch(torch, stacked, k):
    import torch.nn.utils.parametrize  # noqa: F401

    assert _error(ember, stacked, k) == _error(torch, stacked, k).replace("torch", "ember")


def test_unsafe_allows_a_new_shape(torch):
    _, bad = _parametrizations(ember)
    lin = ember.nn.Linear(3, 3)
    ember.nn.utils.parametrize.register_parametrization(lin, "weight", bad[0](), unsafe=True)
    assert tuple(lin.weight.shape) == (2, 3)
