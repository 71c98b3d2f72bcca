"""View layouts checked against PyTorch: ``expand`` keeps the stride of a size-1 dim that stays
size 1 (NumPy's broadcast zeroes it)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_CASES = {
    "keep_trailing_one": ((3, 1), None, (2, 3, 1)),
    "expand_trailing": ((3, 1), None, (3, 4)),
    "lead_only": ((3, 1), None, (5, 3, 1)),
    "transposed": ((1, 4), (1, 0), (4, 1)),
    "transposed_expand": ((1, 4), (1, 0), (4, 3)),
    "middle_one": ((2, 1, 3), None, (2, 1, 3)),
    "middle_one_lead": ((2, 1, 3), None, (4, 2, 1, 3)),
    "middle_one_expanded": ((2, 1, 3), None, (2, 5, 3)),
    "all_ones": ((1, 1), None, (1, 1)),
    "all_ones_lead": ((1, 1), None, (3, 1, 1)),
    "minus_one": ((3, 1), None, (2, -1, 1)),
}


def _make(lib, shape, perm):
    base = lib.from_numpy(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape))
    return base if perm is None else base.permute(*perm)


@pytest.mark.parametrize("case", sorted(_CASES))
def test_expand_strides_match_torch(case):
    shape, perm, target = _CASES[case]
    got = _make(ember, shape, perm).expand(*target)
    want = _make(torch, shape, perm).expand(*target)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.stride() == want.stride()
    assert got.is_contiguous() == want.is_contiguous()
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_strided_slice_expand_keeps_its_strides():
    got = ember.arange(6.0).reshape(2, 1, 3)[:, :, ::2].expand(2, 1, 2)
    want = torch.arange(6.0).reshape(2, 1, 3)[:, :, ::2].expand(2, 1, 2)
    assert got.stride() == want.stride()
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_expanded_view_gradient_and_write_refusal():
    x = ember.randn(3, 1, requires_grad=True)
    y = x.expand(2, 3, 1)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 4.0, np.float32))
    with pytest.raises(RuntimeError):
        y[0, 0, 0] = 1.0
