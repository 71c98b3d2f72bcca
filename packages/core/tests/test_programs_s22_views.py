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


# ------------------------------------------------------------------ binary ops over mixed layouts
_BINARY = {
    "add": lambda L, a, b: a + b,
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2),
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
    "div_floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "floor_divide": lambda L, a, b: a // b,
    "pow": lambda L, a, b: a ** b,
    "maximum": lambda L, a, b: L.maximum(a, b),
    "fmin": lambda L, a, b: L.fmin(a, b),
    "atan2": lambda L, a, b: L.atan2(a, b),
    "remainder": lambda L, a, b: a % b,
    "gt": lambda L, a, b: a > b,
    "eq": lambda L, a, b: a == b,
    "logical_and": lambda L, a, b: L.logical_and(a, b),
    "clamp_tensor_min": lambda L, a, b: L.clamp(a, min=b),
    "isclose": lambda L, a, b: L.isclose(a, b),
}


def _operands(L, layout):
    rng = np.random.default_rng(3)
    a = L.from_numpy(rng.uniform(0.5, 2.0, (2, 3, 4, 5)).astype(np.float32))
    b = L.from_numpy(rng.uniform(0.5, 2.0, (2, 3, 4, 5)).astype(np.float32))
    if layout == "cl_first":
        return a.contiguous(memory_format=L.channels_last), b
    if layout == "cl_second":
        return a, b.contiguous(memory_format=L.channels_last)
    if layout == "permuted_first":
        return a.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), b
    if layout == "cl_first_broadcast":
        return a.contiguous(memory_format=L.channels_last), b[:1, :, :1, :1].contiguous()
    if layout == "transposed_first":
        return a[0, 0].t(), b[0, 0].t().contiguous()
    return a.contiguous(memory_format=L.channels_last), 1.5  # "cl_number"


@pytest.mark.parametrize("layout", ["cl_first", "cl_second", "permuted_first",
                                    "cl_first_broadcast", "transposed_first", "cl_number"])
@pytest.mark.parametrize("op", sorted(_BINARY))
def test_binary_result_layout_matches_torch(op, layout):
    if op in ("atan2", "logical_and", "clamp_tensor_min", "isclose", "fmin", "maximum") \
            and layout == "cl_number":
        pytest.skip("a Tensor-only overload in PyTorch")
    got = _BINARY[op](ember, *_operands(ember, layout))
    want = _BINARY[op](torch, *_operands(torch, layout))
    assert got.stride() == want.stride()
    assert got.dtype.__repr__().split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=0)
