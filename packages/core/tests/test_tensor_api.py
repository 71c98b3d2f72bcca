"""The Tensor's own API against PyTorch: conversions, Python protocols, repr, DLPack, pickling."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.testing import assert_close


@pytest.mark.parametrize("values,kw", [
    ([[1.5, -2.0], [3.25, 4.0]], {}), ([1, 2, 3], {}), ([True, False], {}),
    ([[1e-5, 1e5]], {}), ([0.1, 0.123456], {"dtype": "float64"}), ([1 + 2j], {}),
    (3.5, {}), ([], {}), ([[1.0, 2.0]], {"requires_grad": True}),
    ([1.0, 2.0], {"dtype": "float16"}), (list(range(2000)), {}),
])
def test_repr_matches_torch(values, kw, torch):
    dt = kw.get("dtype")
    e = ember.tensor(values, dtype=getattr(ember, dt) if dt else None,
                     requires_grad=kw.get("requires_grad", False))
    t = torch.tensor(values, dtype=getattr(torch, dt) if dt else None,
                     requires_grad=kw.get("requires_grad", False))
    assert repr(e) == repr(t).replace("torch.", "ember.")


INF, NAN = float("inf"), float("nan")
REPR_CASES = [  # (lib -> tensor): the width, mode and suffix rules PyTorch prints by
    lambda m: m.tensor([0.0, -0.0]), lambda m: m.tensor([NAN, 2.0]), lambda m: m.tensor([1.0, INF]),
    lambda m: m.tensor([-0.0, -0.0, 6.0, 0.0]), lambda m: m.tensor([NAN, INF, -INF]),
    lambda m: m.tensor([1 + 2j, 10 - 100j]), lambda m: m.tensor([1.5 + 2j, -3j]),
    lambda m: m.tensor([2.0 + 0j, NAN + 1j]), lambda m: m.tensor([1e-5 + 1j, 2 + 3j]),
    lambda m: m.tensor([], dtype=m.long), lambda m: m.zeros(2, 0, dtype=m.int64),
    lambda m: m.tensor([], dtype=m.bool), lambda m: m.ones(13, requires_grad=True),
    lambda m: m.ones(13, dtype=m.float64), lambda m: m.arange(20.0).reshape(4, 5).tanh(),
    lambda m: m.full((3,), INF, dtype=m.float16), lambda m: m.tensor([1e20, 1e-20]),
    lambda m: m.tensor([1.0e8 + 1, 1.0]), lambda m: m.arange(2000.0).reshape(40, 50) / 3,
    lambda m: m.tensor([[1 + 1j] * 7] * 2), lambda m: m.arange(100).reshape(10, 10) * 1000,
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_edges_match_torch(torch, case):
    e, t = REPR_CASES[case](ember), REPR_CASES[case](torch)
    assert repr(e) == repr(t).replace("torch.", "ember.")


def test_python_protocols(torch):
    e, t = ember.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]])
    assert len(e) == len(t) == 2
    assert [r.tolist() for r in e] == [r.tolist() for r in t]
    assert e.tolist() == t.tolist() and e[0, 1].item() == t[0, 1].item()
    assert f"{ember.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}"
    assert [0, 1, 2][ember.tensor(1)] == 1
    assert int(ember.tensor(3.7)) == int(torch.tensor(3.7)) and float(ember.tensor(2)) == 2.0
    for bad, exc in ((lambda: len(ember.tensor(1.0)), TypeError),
                     (lambda: iter(ember.tensor(1.0)), TypeError),
                     (lambda: bool(ember.ones(2)), RuntimeError),
                     (lambda: ember.ones(2).item(), RuntimeError),
                     (lambda: [1][ember.tensor(0.5)], TypeError)):
        with pytest.raises(exc):
            bad()
    assert hash(e) != hash(ember.tensor([[1, 2], [3, 4]]))


def test_numpy_shares_memory_and_refuses_grad():
    a = np.arange(4.0)
    t = ember.from_numpy(a)
    t.add_(1)
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    assert np.asarray(t).tolist() == a.tolist()
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\)"):
        ember.ones(2, requires_grad=True).numpy()


def test_dlpack_exchange_with_numpy_and_torch(torch):
    e = ember.arange(6.0).reshape(2, 3)
    n = np.from_dlpack(e)
    assert np.shares_memory(n, e.numpy())
    t = torch.from_dlpack(e)
    assert t.tolist() == e.tolist()
    back = ember.from_dlpack(torch.arange(4))
    assert back.tolist() == [0, 1, 2, 3] and back.dtype is ember.int64
    assert e.__dlpack_device__() == (1, 0)


def test_pickle_and_deepcopy_keep_values_dtype_and_grad_flag():
    x = ember.tensor([1.5, 2.5], dtype=ember.float64, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.dtype is ember.float64 and y.requires_grad
    x.grad = ember.ones(2, dtype=ember.float64)
    z = copy.deepcopy(x)
    assert z.grad.tolist() == [1.0, 1.0] and z.grad is not x.grad
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_strides_offsets_and_contiguity_match_torch(torch):
    e = ember.arange(24.0).reshape(2, 3, 4)
    t = torch.arange(24.0).reshape(2, 3, 4)
    for f in (lambda a: a, lambda a: a.transpose(0, 2), lambda a: a[:, 1:, ::2],
              lambda a: a[1], lambda a: a.permute(2, 0, 1)):
        ev, tv = f(e), f(t)
        assert ev.stride() == tv.stride() and ev.storage_offset() == tv.storage_offset()
        assert ev.is_contiguous() == tv.is_contiguous()
    img = ember.zeros(2, 3, 4, 5).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    assert img.is_contiguous(memory_format=ember.channels_last)


def test_to_and_casts(torch):
    e = ember.tensor([1.7, -2.2])
    assert e.to(ember.int32).tolist() == torch.tensor([1.7, -2.2]).to(torch.int32).tolist()
    assert e.double().dtype is ember.float64 and e.long().dtype is ember.int64
    assert e.to("cpu") is e and e.to("cpu", copy=True) is not e
    assert e.type() == "torch.FloatTensor" and e.type(ember.float64).dtype is ember.float64
    assert e.new_zeros(2, 3).shape == (2, 3) and e.new_full((2,), 7).dtype is ember.float32
    assert e.new_tensor([1, 2]).dtype is ember.float32
    assert e.type_as(ember.tensor([1])).dtype is ember.int64


def test_bfloat16_round_trip(torch):
    pytest.importorskip("ml_dtypes")
    values = [1.0, 3.140625, -2.5, 1e-3]
    e = ember.tensor(values, dtype=ember.bfloat16)
    t = torch.tensor(values, dtype=torch.bfloat16)
    assert_close(e, t)
    assert_close(e + e, t + t)
    assert_close((e * 3).float(), (t * 3).float())


@settings(max_examples=40, deadline=None)
@given(a=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       b=st.lists(st.integers(1, 4), min_size=0, max_size=3))
def test_broadcasting_add_agrees_with_numpy(a, b):
    sa, sb = tuple(a), tuple(b)
    rng = np.random.default_rng(len(a) * 10 + len(b))
    xa, xb = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
    try:
        expected = xa + xb
    except ValueError:
        with pytest.raises(RuntimeError, match="must match the size"):
            ember.tensor(xa) + ember.tensor(xb)
        return
    got = ember.tensor(xa) + ember.tensor(xb)
    np.testing.assert_array_equal(got.numpy(), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=20))
def test_sum_backward_is_ones(values):
    x = ember.tensor(values, requires_grad=True)
    x.sum().backward()
    assert x.grad.tolist() == [1.0] * len(values)


@pytest.mark.parametrize("call", [lambda m: int(m.tensor([1, 2])),
                                  lambda m: float(m.tensor([1.0, 2.0])),
                                  lambda m: m.tensor([1, 2]).item(),
                                  lambda m: m.tensor([1.0]).div(1, rounding_mode="bad"),
                                  lambda m: bool(m.tensor([1, 2]))])
def test_scalar_conversion_errors_match_torch(torch, call):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            call(lib)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
