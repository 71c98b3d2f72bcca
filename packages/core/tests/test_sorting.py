"""Order statistics against PyTorch: sort, topk, kthvalue, median, mode, unique, quantile."""

from __future__ import annotations

import numpy as np
import pytest
from _reduce_helpers import compare, gradcheck, noncontig, pair, rand

import ember
from ember.testing import assert_close

SHAPES = [(), (7,), (3, 5), (2, 3, 4)]


def _dims(shape):
    return list(range(-len(shape) or -1, len(shape) or 1))


# ------------------------------------------------------------------ sort, argsort, msort
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool", "uint8"])
def test_sort_stable(torch, dtype):
    for shape in SHAPES:
        arr = rand(*shape, dtype=dtype, ties=True)
        for dim in _dims(shape):
            for desc in (False, True):
                compare(torch, "sort", arr, dim=dim, descending=desc, stable=True)
                compare(torch, "sort", noncontig(arr), dim=dim, descending=desc, stable=True,
                        method=True)
                compare(torch, "argsort", arr, dim=dim, descending=desc, stable=True)
    compare(torch, "msort", rand(4, 3, dtype=dtype, ties=True))


def test_sort_default_and_nan(torch):
    arr = rand(4, 6)  # distinct values: any sort order agrees
    compare(torch, "sort", arr)
    compare(torch, "sort", arr, 0, True)
    compare(torch, "argsort", arr, 0, method=True)
    arr = np.array([[1.0, np.nan, 3.0, -np.inf, np.nan, 0.0], [np.inf, 2.0, 2.0, 1.0, 0.0, 2.0]])
    compare(torch, "sort", arr, dim=1, stable=True)
    compare(torch, "sort", arr, dim=1, descending=True, stable=True)
    compare(torch, "sort", np.zeros((0, 3)), 0)
    e, _ = pair(torch, arr)
    res = ember.sort(e)
    assert type(res) is ember.return_types.sort and res.values is res[0]


def test_sort_out(torch):
    e, t = pair(torch, rand(3, 4))
    ev, ei = ember.zeros(3, 4, dtype=ember.float64), ember.zeros(3, 4, dtype=ember.int64)
    res = ember.sort(e, 1, out=(ev, ei))
    assert res.values is ev
    assert_close(ei, torch.sort(t, 1).indices)
    eq = ember.zeros(4, dtype=ember.float64)
    ember.quantile(e, 0.5, 0, out=eq)
    assert_close(eq, torch.quantile(t, 0.5, 0))


def test_sort_grad():
    gradcheck(lambda x: ember.sort(x, 1, descending=True).values, rand(3, 5))
    gradcheck(lambda x: x.msort(), rand(4, 2))


# ------------------------------------------------------------------ topk and kthvalue
def test_topk(torch):
    for shape in [(7,), (3, 5), (2, 3, 4)]:
        arr = rand(*shape)
        for dim in _dims(shape):
            n = shape[dim]
            for k in (0, 1, n):
                for largest in (True, False):
                    compare(torch, "topk", arr, k, dim, largest)
                    compare(torch, "topk", noncontig(arr), k, dim=dim, largest=largest,
                            method=True)
    compare(torch, "topk", np.array([1.0, np.nan, 3.0, 2.0]), 2)
    compare(torch, "topk", np.array([1.0, np.nan, 3.0, 2.0]), 2, largest=False)
    compare(torch, "topk", np.array(2.0), 1)
    compare(torch, "topk", np.random.default_rng(0).permutation(15).reshape(3, 5), 2)
    e, _ = pair(torch, rand(3))
    with pytest.raises(RuntimeError, match="k out of range"):
        ember.topk(e, 4)
    gradcheck(lambda x: x.topk(2, 0).values, rand(4, 3))


def test_kthvalue(torch):
    for shape in SHAPES:
        arr = rand(*shape)
        for dim in _dims(shape):
            n = shape[dim] if shape else 1
            for k in sorted({1, (n + 1) // 2, n}):
                compare(torch, "kthvalue", arr, k, dim)
                compare(torch, "kthvalue", noncontig(arr), k, dim, True, method=True)
    compare(torch, "kthvalue", np.random.default_rng(1).permutation(15).reshape(3, 5), 2, 1)
    compare(torch, "kthvalue", np.array([2.0, 2.0, 2.0, 1.0, 1.0]), 3)
    e, _ = pair(torch, rand(3))
    with pytest.raises(RuntimeError, match="k out of range"):
        ember.kthvalue(e, 4)
    gradcheck(lambda x: x.kthvalue(2, 1).values, rand(3, 4))


# ------------------------------------------------------------------ median and mode
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median(torch, name):
    for shape in SHAPES:
        arr = rand(*shape)
        compare(torch, name, arr)
        for dim in _dims(shape):
            compare(torch, name, arr, dim)
            compare(torch, name, noncontig(arr), dim, keepdim=True, method=True)
    # ties: full reduction shares the gradient among equal elements
    compare(torch, name, rand(4, 5, ties=True))
    compare(torch, name, rand(4, 5, ties=True), 1, values_only=True)
    compare(torch, name, np.array([3.0, 1.0, 3.0, 3.0, 2.0, 3.0, 1.0]), 0)
    compare(torch, name, np.array([2.0, 2.0, 2.0, 1.0, 1.0]), 0)
    compare(torch, name, rand(3, 4, dtype="int64"), 1, values_only=True)
    compare(torch, name, rand(3, 4, dtype="int64"))
    compare(torch, name, np.random.default_rng(2).permutation(12).reshape(3, 4), 1)
    nan = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan] * 4, [4.0, 0.0, 5.0, np.nan]])
    # an all-NaN slice: nanmedian's index there is unspecified
    compare(torch, name, nan, 1, values_only=name == "nanmedian")
    compare(torch, name, nan[[0, 2]], 1)
    compare(torch, name, nan)
    compare(torch, name, nan[0])
    compare(torch, name, np.zeros((0,)))
    e, _ = pair(torch, np.zeros((0, 2)))
    with pytest.raises(IndexError, match="non-zero size"):
        getattr(ember, name)(e, 0)
    gradcheck(lambda x: getattr(x, name)(1).values, rand(3, 4))
    gradcheck(lambda x: getattr(x, name)(), rand(3, 4))


def test_mode(torch):
    for shape in SHAPES:
        arr = rand(*shape, ties=True)
        for dim in _dims(shape):
            compare(torch, "mode", arr, dim)
            compare(torch, "mode", noncontig(arr), dim, True, method=True)
    compare(torch, "mode", np.array([[1, 1, 2, 2], [5, 4, 4, 5]]), 1)
    compare(torch, "mode", np.array([3.0, 3.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0]))
    compare(torch, "mode", rand(4, 6, dtype="bool"), 1)
    gradcheck(lambda x: x.mode(1).values, rand(3, 4))


# ------------------------------------------------------------------ unique
@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_unique(torch, dtype):
    arr = rand(4, 5, dtype=dtype, ties=True)
    for ri in (False, True):
        for rc in (False, True):
            compare(torch, "unique", arr, return_inverse=ri, return_counts=rc, grad=False)
            compare(torch, "unique", arr, sorted=False, return_inverse=ri, return_counts=rc,
                    grad=False)
            compare(torch, "unique", arr, return_inverse=ri, return_counts=rc, dim=0, grad=False)
            compare(torch, "unique_consecutive", arr, return_inverse=ri, return_counts=rc,
                    grad=False)
            compare(torch, "unique_consecutive", arr, return_inverse=ri, return_counts=rc,
                    dim=1, grad=False)
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2], [0, 5]]).astype(dtype)
    compare(torch, "unique", rows, dim=0, return_inverse=True, return_counts=True, grad=False)
    compare(torch, "unique", rows, dim=1, return_counts=True, grad=False)
    compare(torch, "unique_consecutive", rows, dim=0, return_inverse=True, return_counts=True, grad=False)
    compare(torch, "unique", np.zeros((0,), dtype=dtype), return_counts=True, grad=False)
    compare(torch, "unique_consecutive", np.zeros((0,), dtype=dtype), return_counts=True, grad=False)
    compare(torch, "unique", np.array(3).astype(dtype), return_inverse=True, grad=False)
    compare(torch, "unique", arr, method=True, grad=False)


def test_unique_not_differentiable(torch):
    e, t = pair(torch, rand(5, ties=True), rg=True)
    for name, kw in [("unique", {}), ("unique", {"dim": 0}), ("unique_consecutive", {})]:
        er, tr = getattr(ember, name)(e, **kw), getattr(torch, name)(t, **kw)
        assert er.requires_grad and tr.requires_grad
        assert type(er.grad_fn).__name__ == type(tr.grad_fn).__name__
        with pytest.raises(NotImplementedError, match="derivative"):
            er.sum().backward()


# ------------------------------------------------------------------ quantiles
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile(torch, name, interpolation):
    arr = rand(3, 5)
    if name == "nanquantile":
        arr[0, 1] = arr[2, 3] = arr[1, 1:4] = np.nan
        allnan = arr.copy()
        allnan[1] = np.nan  # an all-NaN slice gives NaN (where the gradient goes is unspecified)
        compare(torch, name, allnan, 0.3, 1, interpolation=interpolation, grad=False)
    q1 = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    qs = [0.3, 0.5, np.array(0.7), q1]
    for q in qs:
        eq = ember.from_numpy(q) if isinstance(q, np.ndarray) else q
        tq = torch.from_numpy(q) if isinstance(q, np.ndarray) else q
        for dim, keepdim in [(None, False), (None, True), (0, False), (1, True), (-1, False)]:
            e, t = pair(torch, arr, rg=True)
            er = getattr(ember, name)(e, eq, dim, keepdim, interpolation=interpolation)
            tr = getattr(torch, name)(t, tq, dim, keepdim, interpolation=interpolation)
            assert_close(er, tr, msg=f"{name}({q}, {dim}, {keepdim}, {interpolation})")
            w = np.random.default_rng(0).standard_normal(tuple(tr.shape))
            (er * ember.from_numpy(w)).sum().backward()
            (tr * torch.from_numpy(w)).sum().backward()
            assert_close(e.grad, t.grad, msg=f"grad of {name}({q}, {dim}, {keepdim})")
    compare(torch, name, noncontig(rand(4, 3)), 0.4, 1, method=True)
    compare(torch, name, rand(6, dtype="float32"), 0.4)


def test_quantile_errors(torch):
    e, _ = pair(torch, rand(4))
    with pytest.raises(RuntimeError, match=r"must be in the range \[0, 1\]"):
        ember.quantile(e, 1.5)
    with pytest.raises(RuntimeError, match="float or double"):
        ember.quantile(ember.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="interpolation"):
        ember.quantile(e, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.quantile(e, ember.tensor([0.5], dtype=ember.float32))
    gradcheck(lambda x: ember.quantile(x, 0.3, 1), rand(3, 5))


# ------------------------------------------------------------------ return types
def test_return_types_module():
    rt = ember.return_types
    for name in ("max", "min", "sort", "topk", "kthvalue", "mode", "median", "nanmedian",
                 "cummax", "cummin"):
        cls = getattr(rt, name)
        r = cls((1, 2))
        assert r.values == 1 and r.indices == 2 and tuple(r) == (1, 2)
        assert issubclass(cls, tuple) and cls.n_fields == 2
    assert rt.aminmax((0, 1)).max == 1
    with pytest.raises(TypeError):
        rt.max((1, 2, 3))
