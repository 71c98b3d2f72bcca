"""The legacy tensor types (FloatTensor, LongTensor, ...) behave as PyTorch's."""

from __future__ import annotations

import pytest

import ember

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
         "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_constructors_and_isinstance_match_pytorch(torch, name):
    et, tt = getattr(ember, name), getattr(torch, name)
    a, b = et(2, 3), tt(2, 3)
    assert tuple(a.shape) == tuple(b.shape) and str(b.dtype) == f"torch.{a.dtype.name}"
    assert et().shape == (0,) and tuple(et(ember.Size([4])).shape) == (4,)
    data = [1, 0, 1]
    assert et(data).tolist() == tt(data).tolist()
    assert isinstance(a, et) and isinstance(et(data), et)
    others = [n for n in NAMES if n != name]
    assert not any(isinstance(a, getattr(ember, o)) for o in others)
    assert ember.ones(2).type(et).dtype is a.dtype
    assert a.type() == b.type() == f"torch.{name}"


def test_sharing_and_errors(torch):
    x = ember.ones(3)
    y = ember.FloatTensor(x)
    y[0] = 5.0
    assert x[0].item() == 5.0  # a tensor of the same dtype is shared, as in PyTorch
    with pytest.raises(TypeError):
        ember.FloatTensor(ember.ones(2, dtype=ember.float64))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.ones(2, dtype=torch.float64))
    assert repr(ember.FloatTensor) == repr(torch.FloatTensor)


def test_default_tensor_type_and_small_tensor_methods(torch):
    from ember.ops import _deprecated_overload

    _deprecated_overload._warned.discard("set_default_tensor_type")  # PyTorch warns once
    try:
        with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
            ember.set_default_tensor_type(ember.DoubleTensor)
        assert ember.get_default_dtype() == ember.float64 and ember.ones(1).dtype == ember.float64
        ember.set_default_tensor_type("torch.FloatTensor")
        assert ember.get_default_dtype() == ember.float32
        with pytest.raises(TypeError):
            ember.set_default_tensor_type(ember.LongTensor)
    finally:
        ember.set_default_dtype(ember.float32)
    t, r = ember.arange(6.0), torch.arange(6.0)
    c = t.narrow_copy(0, 1, 3)
    assert c.tolist() == r.narrow_copy(0, 1, 3).tolist() and c.data_ptr() != t.data_ptr()
    assert t.to_dense() is t and t.const_data_ptr() == t.data_ptr()
    assert ember.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled()
    ember.set_warn_always(False)
