"""split_with_sizes and the unsafe splits, sum_to_size, fill_diagonal_, apply_/map_/map2_,
Tensor.new, resize_/resize_as_, as_strided_, the top-level function forms (detach, fill,
zero_, ...), frobenius_norm, nuclear_norm, matrix_rank, binomial, and the default device."""

from __future__ import annotations

import numpy as np
import pytest
from _misc_helpers import check, gradcheck, noncontig, rand, same, same_error

import ember
from ember.testing import assert_close


# ------------------------------------------------------------------ splits
def test_split_with_sizes(torch):
    x = rand(3, 4)
    for sizes, dim in [([1, 2], 0), ([3], 0), ([0, 3], 0), ([1, 1, 2], 1), ((2, 2), -1)]:
        check(torch, "split_with_sizes", x, sizes, dim, grad=True)
        check(torch, "split_with_sizes", noncontig(x), sizes, dim=dim, method=True)
    same_error(torch, "split_with_sizes", x, [1, 1])
    same_error(torch, "split_with_sizes", x, [4, -1], match="non-negative")
    same_error(torch, "split_with_sizes", x, [1, 2], 2)


@pytest.mark.parametrize("name,arg", [("unsafe_chunk", 2), ("unsafe_chunk", 5),
                                      ("unsafe_split", 2), ("unsafe_split", 1),
                                      ("unsafe_split_with_sizes", [1, 2])])
def test_unsafe_splits(torch, name, arg):
    x = rand(3, 4)
    check(torch, name, x, arg, grad=True)
    check(torch, name, x, arg if name != "unsafe_split_with_sizes" else [3, 1], 1, method=True)
    # the pieces share memory but are not views: in-place writes are allowed on them
    e = ember.from_numpy(x.copy()).requires_grad_() * 1
    pieces = getattr(ember, name)(e, arg)
    pieces[0].mul_(2)
    assert_close(e[:pieces[0].shape[0]], pieces[0])
    gradcheck(lambda t: getattr(ember, name)(t, arg)[-1], x)


def test_unsafe_split_errors(torch):
    same_error(torch, "unsafe_split", rand(3), [1, 2])
    same_error(torch, "unsafe_chunk", rand(3), 0)


# ------------------------------------------------------------------ sum_to_size
def test_sum_to_size(torch):
    x = rand(3, 2)
    for size in [(1, 2), ((3, 1),), (2,), (1,), (3, 2), ([1, 2],), ((),)]:
        if size == ((),):
            continue
        check(torch, "sum_to_size", x, *size, method=True, grad=True)
    check(torch, "sum_to_size", np.array(3.0), (), method=True)
    check(torch, "sum_to_size", rand(2, 3, 4), 3, 1, method=True)
    e = ember.ones(3, 2)
    assert e.sum_to_size(3, 2) is e
    same_error(torch, "sum_to_size", x, 2, 1, method=True, match=r"\{\[2, 1\]\}")
    same_error(torch, "sum_to_size", x, 1, 1, 2, method=True)
    gradcheck(lambda t: t.sum_to_size(1, 2), rand(3, 2))


# ------------------------------------------------------------------ fill_diagonal_
@pytest.mark.parametrize("shape", [(3, 3), (7, 3), (8, 3), (3, 7), (2, 2, 2), (0, 3), (4, 4)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal(torch, shape, wrap):
    for dtype, value in [("float32", 5), ("int64", 2.7), ("float64", True), ("bool", 1)]:
        a = np.zeros(shape, dtype=dtype)
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert e.fill_diagonal_(value, wrap=wrap) is e
        t.fill_diagonal_(value, wrap=wrap)
        assert_close(e, t)
    e, t = ember.zeros(3, 3).t(), torch.zeros(3, 3).t()
    e.fill_diagonal_(ember.tensor(2.0))
    t.fill_diagonal_(torch.tensor(2.0))
    assert_close(e, t)


def test_fill_diagonal_errors_and_grad(torch):
    same_error(torch, "fill_diagonal_", np.zeros((2, 3, 2)), 5, method=True)
    same_error(torch, "fill_diagonal_", np.zeros(3), 5, method=True)
    same_error(torch, "fill_diagonal_", np.zeros((3, 3), dtype="float32"), 1 + 2j, method=True)
    a = rand(4, 3)
    e = ember.from_numpy(a).requires_grad_()
    t = torch.from_numpy(a).requires_grad_()
    (e * 2).fill_diagonal_(7.0, wrap=True).pow(2).sum().backward()
    (t * 2).fill_diagonal_(7.0, wrap=True).pow(2).sum().backward()
    assert_close(e.grad, t.grad)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.zeros(2, 2, requires_grad=True).fill_diagonal_(1)
    gradcheck(lambda x: (x * 1).fill_diagonal_(3.0), rand(3, 3))


# ------------------------------------------------------------------ apply_, map_, map2_
def test_apply_map(torch):
    for dtype in ["float32", "int64", "int32", "bool"]:
        a = rand(2, 3, dtype=dtype, low=-3, high=4)
        fn = (lambda v: not v) if dtype == "bool" else (lambda v: v * 2.7 - 1)
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert e.apply_(fn) is e
        t.apply_(fn)
        assert_close(e, t)
        probe = (lambda v, a=a: type(v).__name__ == type(a.flat[0].item()).__name__)
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert_close(e.apply_(probe), t.apply_(probe))
    a, b = rand(2, 3), rand(3)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    e.map_(ember.from_numpy(b), lambda x, y: x * y + 1)
    t.map_(torch.from_numpy(b), lambda x, y: x * y + 1)
    assert_close(e, t)
    e, t = ember.from_numpy(noncontig(a)), torch.from_numpy(noncontig(a).copy())
    e.map2_(ember.from_numpy(b), ember.from_numpy(a[:, :1].copy()), lambda x, y, z: x - y * z)
    t.map2_(torch.from_numpy(b), torch.from_numpy(a[:, :1].copy()), lambda x, y, z: x - y * z)
    assert_close(e, t)


def test_apply_map_errors(torch):
    same_error(torch, "apply_", rand(3), lambda v: None, method=True)
    same_error(torch, "apply_", rand(3), lambda v: "x", method=True)
    same_error(torch, "map_", rand(3), rand(3, dtype="int64"), lambda a, b: a, method=True)
    same_error(torch, "map_", rand(3), rand(2, 3), lambda a, b: a, method=True)
    with pytest.raises(RuntimeError, match="apply_"):
        ember.ones(3, requires_grad=True).apply_(lambda v: v)
    with pytest.raises(RuntimeError, match="map_"):
        ember.ones(3, requires_grad=True).map_(ember.ones(3), lambda a, b: a)


# ------------------------------------------------------------------ Tensor.new
def test_new(torch):
    e, t = ember.ones(2, 3, dtype=ember.int32), torch.ones(2, 3, dtype=torch.int32)
    for args in [([1, 2],), ([],), ((2, 3),), ([1.5, 2],), ([[1, 2]],), (np.ones(2),)]:
        same(e.new(*args), t.new(*args))
    for args, kw in [((2, 3), {}), ((), {}), ((5,), {}), ((0,), {}), ((), {"size": (2, 3)}),
                     ((2, 3), {"device": "cpu"})]:
        er, tr = e.new(*args, **kw), t.new(*args, **kw)
        assert er.shape == tuple(tr.shape) and er.dtype.name == str(tr.dtype)[6:]
    er = e.new(ember.Size([2, 3]))
    assert er.shape == (2, 3) and er.dtype is ember.int32
    src = ember.tensor([1, 2], dtype=ember.int32)
    alias = e.new(src)
    assert alias.data_ptr() == src.data_ptr() and alias is not src
    for bad in [(ember.tensor([1.5]),), (2.5,), (2, [3])]:
        with pytest.raises(TypeError):
            e.new(*bad)
    with pytest.raises(TypeError):
        e.new(2, 3, dtype=ember.float64)
    with pytest.raises(RuntimeError):
        e.new(-1)


# ------------------------------------------------------------------ resize_, resize_as_
VIEWS = [lambda m: m.arange(6), lambda m: m.arange(6).reshape(2, 3).t(),
         lambda m: m.arange(12).reshape(3, 4)[:, :2], lambda m: m.arange(12)[::2],
         lambda m: m.arange(12)[1:]]


@pytest.mark.parametrize("make", VIEWS)
def test_resize(torch, make):
    for size in [(2, 3), (2, 2), (3, 2), (6,), (0,), (), (1, 5)]:
        e, t = make(ember), make(torch)
        assert e.resize_(size) is e
        t.resize_(size)
        same(e, t)
        assert e.stride() == t.stride()
        if size:
            e, t = make(ember), make(torch)
            same(e.resize_(*size), t.resize_(*size))
    with pytest.raises(TypeError):
        make(ember).resize_()


def test_resize_grow_errors_and_as(torch):
    e, t = ember.arange(4.0), torch.arange(4.0)
    e.resize_(8)
    t.resize_(8)
    assert e.shape == (8,)
    assert_close(e[:4], t[:4])
    base = ember.arange(6)
    v = base[:4]
    v.resize_(2, 2)
    assert v.data_ptr() == base.data_ptr()
    assert_close(v, torch.tensor([[0, 1], [2, 3]]))
    same(ember.tensor([1, 2, 3, 4]).resize_as_(ember.ones(2, 2)),
         torch.tensor([1, 2, 3, 4]).resize_as_(torch.ones(2, 2)))
    same(ember.tensor([1, 2, 3, 4]).resize_as_(ember.ones(3)),
         torch.tensor([1, 2, 3, 4]).resize_as_(torch.ones(3)))
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.ones(3, requires_grad=True).resize_(2)
    with pytest.raises(RuntimeError, match="cannot resize"):
        (ember.ones(3, requires_grad=True) * 1).resize_(3)


# ------------------------------------------------------------------ function forms
def test_function_forms(torch):
    a = rand(3, 4)
    same(ember.detach(ember.from_numpy(a).requires_grad_()), torch.detach(torch.from_numpy(a)))
    assert not ember.detach(ember.ones(2, requires_grad=True)).requires_grad
    for name, args in [("zero_", ()), ("fill_", (3.0,)), ("neg_", ()), ("negative_", ()),
                       ("detach_", ())]:
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert getattr(ember, name)(e, *args) is e
        getattr(torch, name)(t, *args)
        assert_close(e, t)
    e, t = ember.zeros(4), torch.zeros(4)
    assert ember.index_put_(e, (ember.tensor([1, 2]),), ember.tensor(5.0)) is e
    torch.index_put_(t, (torch.tensor([1, 2]),), torch.tensor(5.0))
    assert_close(e, t)
    e, t = ember.arange(6.0), torch.arange(6.0)
    assert ember.as_strided_(e, (2, 2), (1, 2)) is e
    torch.as_strided_(t, (2, 2), (1, 2))
    same(e, t)
    assert e.stride() == t.stride()
    check(torch, "fill", a, 2)
    check(torch, "fill", rand(3, dtype="int64"), 2.7)
    check(torch, "fill", a, np.array(3.0))
    same_error(torch, "fill", a, np.array([3.0]))


def test_fill_grad(torch):
    a, v = rand(3), np.array(2.0)
    e, ev = ember.from_numpy(a).requires_grad_(), ember.from_numpy(v).requires_grad_()
    t, tv = torch.from_numpy(a).requires_grad_(), torch.from_numpy(v).requires_grad_()
    (ember.fill(e, ev) * ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)).sum().backward()
    (torch.fill(t, tv) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert_close(e.grad, t.grad)
    assert_close(ev.grad, tv.grad)
    gradcheck(lambda x, y: ember.fill(x, y), a, v)


def test_norm_forms(torch):
    t3 = rand(2, 3, 4)
    for dim in [(1, 2), (), 1, [1], (0,)]:
        check(torch, "frobenius_norm", t3, dim, grad=True)
        check(torch, "frobenius_norm", t3, dim, True)
    check(torch, "frobenius_norm", rand(3, dtype="complex128"), (0,))
    check(torch, "frobenius_norm", np.array(3.0), ())
    same_error(torch, "frobenius_norm", t3, (0, 1, 2))
    same_error(torch, "frobenius_norm", rand(4, dtype="int64"), (0,))
    same_error(torch, "frobenius_norm", t3, (1, 1))
    check(torch, "nuclear_norm", t3, grad=True)
    check(torch, "nuclear_norm", t3, (1, 2))
    check(torch, "nuclear_norm", t3, (0, 1), True)
    check(torch, "nuclear_norm", t3[0], True)
    check(torch, "nuclear_norm", t3[0], keepdim=True)
    same_error(torch, "nuclear_norm", t3, (1,))
    same_error(torch, "nuclear_norm", np.ones((2, 2), dtype="int64"))
    same_error(torch, "nuclear_norm", rand(4))
    same_error(torch, "matrix_rank", rand(3, 3), match="deprecated")
    gradcheck(lambda x: ember.frobenius_norm(x, (0, 1)), rand(3, 4))


# ------------------------------------------------------------------ binomial
def test_binomial(torch):
    count = np.array([10.0, 5.0, 0.0, -3.0, 2.5, 7.0, np.inf, 4.0, 6.0])
    prob = np.array([0.5, 0.2, 0.5, 0.5, 1.0, 1.5, 1.0, np.nan, -0.5])
    r = ember.binomial(ember.from_numpy(count), ember.from_numpy(prob))
    v = r.numpy()
    assert r.dtype is ember.float64 and r.shape == (9,)
    assert 0 <= v[0] <= 10 and 0 <= v[1] <= 5 and v[0] == int(v[0])
    assert v[2] == 0 and v[3] == 0 and v[4] == 2.5 and v[5] == 7 and v[6] == np.inf
    assert np.isnan(v[7]) and v[8] == 0
    tv = torch.binomial(torch.from_numpy(count), torch.from_numpy(prob)).numpy()
    np.testing.assert_array_equal(v[2:], tv[2:])
    # seeded, the draws are PyTorch's (inversion, BTRS, and the edges in between)
    count = np.array([1.0, 5, 20, 100, 1000, np.inf, np.inf, 3, 40], dtype="float32")
    prob = np.array([0.5, 0.9, 0.1, 0.6, 0.02, 0.5, 0.7, 0.4, 0.35], dtype="float32")
    for seed in (0, 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        got = ember.binomial(ember.from_numpy(count), ember.from_numpy(prob)).numpy()
        ref = torch.binomial(torch.from_numpy(count), torch.from_numpy(prob)).numpy()
        np.testing.assert_array_equal(got, ref)
        assert ember.rand(1).item() == torch.rand(1).item()
    big = ember.binomial(ember.full((20000,), 100.0), ember.full((20000,), 0.3))
    assert abs(float(big.mean()) - 30.0) < 0.2 and abs(float(big.var()) - 21.0) < 1.0
    g = ember.Generator().manual_seed(3)
    a = ember.binomial(ember.full((50,), 9.0), ember.full((50,), 0.4), generator=g)
    g.manual_seed(3)
    b = ember.binomial(ember.full((50,), 9.0), ember.full((50,), 0.4), generator=g)
    assert_close(a, b)
    assert ember.binomial(ember.ones(2, 1) * 10, ember.full((3,), 0.5)).shape == (2, 3)


def test_binomial_errors(torch):
    same_error(torch, "binomial", np.array([10.0]), np.array([0.5], dtype="float32"))
    same_error(torch, "binomial", np.array([10]), np.array([0.5]))
    same_error(torch, "binomial", np.array([10.0]), np.array([1]))
    same_error(torch, "binomial", np.array([10.0], dtype="float16"),
               np.array([0.5], dtype="float16"))
    r = ember.binomial(ember.tensor([10.0], requires_grad=True), ember.tensor([0.5]))
    with pytest.raises(RuntimeError, match="derivative for aten::binomial"):
        r.sum().backward()


# ------------------------------------------------------------------ default device
def test_default_device(torch):
    assert ember.get_default_device() == ember.device("cpu")
    assert ember.get_device(ember.ones(2)) == -1 == torch.get_device(torch.ones(2))
    with pytest.raises(TypeError):
        ember.get_device(3)
    ember.set_default_device("cpu")
    try:
        assert ember.get_default_device() == ember.device("cpu")
        assert ember.zeros(2).device == ember.device("cpu")
    finally:
        ember.set_default_device(None)
    with ember.device("cpu") as d:
        assert d == ember.device("cpu")
        assert ember.get_default_device() == ember.device("cpu")
    assert ember.get_default_device() == ember.device("cpu")


def test_default_device_unavailable_is_refused_at_use():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    ember.set_default_device("cuda")
    try:
        with pytest.raises(RuntimeError):
            ember.zeros(2)
        with pytest.raises(RuntimeError):
            ember.get_default_device()
        assert ember.from_numpy(np.ones(2)).device == ember.device("cpu")
        assert ember.Tensor(2).device == ember.device("cpu")
        assert ember.ones(2, device="cpu").device == ember.device("cpu")
    finally:
        ember.set_default_device(None)
    assert ember.zeros(2).device == ember.device("cpu")
    with pytest.raises(RuntimeError):
        with ember.device("cuda"):
            ember.ones(1)
    assert ember.ones(1).device == ember.device("cpu")


# ------------------------------------------------------------------ deprecated resize, queries
def test_resize_out_of_place(torch):
    a = rand(2, 3)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        check(torch, "resize", a, 3, 2, method=True, grad=True)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        check(torch, "resize", noncontig(rand(2, 3)), 6, method=True)
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        check(torch, "resize_as", a, rand(6), method=True)
    with pytest.warns(UserWarning):
        same_error(torch, "resize", a, 4, method=True, match="6 elements")


def test_new_empty_strided_and_queries(torch):
    e, t = ember.ones(2, 3, dtype=ember.int32), torch.ones(2, 3, dtype=torch.int32)
    for size, stride, kw in [((2, 3), (3, 1), {}), ((2, 3), (1, 2), {"dtype": ember.float64}),
                             ((0, 2), (2, 1), {}), ((), (), {})]:
        er = e.new_empty_strided(size, stride, **kw)
        tr = t.new_empty_strided(size, stride, **{k: getattr(torch, v.name)
                                                  for k, v in kw.items()})
        assert er.shape == tuple(tr.shape) and er.stride() == tr.stride()
        assert er.dtype.name == str(tr.dtype)[6:]
    a, b = rand(2, 3), rand(3, 2)
    for x, y in [(a, a), (a, b), (a, rand(2, 3, dtype="int64"))]:
        check(torch, "is_same_size", x, y)
        check(torch, "is_same_size", x, y, method=True)
    for v in [np.array([1.0]), np.array(0), np.array(np.nan), np.array([[True]])]:
        check(torch, "is_nonzero", v)
        check(torch, "is_nonzero", v, method=True)
    same_error(torch, "is_nonzero", np.ones(0))
    same_error(torch, "is_nonzero", np.ones(2))
    for dtype in ["float32", "int64", "uint8", "bool", "complex64"]:
        check(torch, "is_signed", rand(2, dtype=dtype))
    check(torch, "is_inference", rand(2))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
def test_typed_storage_as_pytorch(torch, dtype):
    """``Tensor.storage()``: the whole memory block in elements of the dtype, from a view too."""
    import warnings

    a = (np.arange(6) % 3).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stores = [lib.from_numpy(a.copy())[2:].storage() for lib in (ember, torch)]
    e, t = stores
    assert (e.size(), len(e), e.element_size(), e.nbytes()) == \
        (t.size(), len(t), t.element_size(), t.nbytes())
    assert e.tolist() == t.tolist() and e[1] == t[1]
    assert e.type() == t.type()
    assert repr(e).split("[")[0] == repr(t).split("[")[0]
    assert repr(e).endswith(f"of size {t.size()}]")
