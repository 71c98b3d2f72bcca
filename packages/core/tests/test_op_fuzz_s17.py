"""Differences a differential fuzzer (ember vs torch, same inputs) found in core tensor ops:
scalar/0-d promotion in clamp and lerp, reductions over empty and repeated dims, unique and
search edges, index_* range checks, advanced-indexing errors, mask fills out of a dtype's
range, ``out=`` dtype checks and resize warnings, and in-place writes into expanded tensors.
Each case runs on PyTorch and on Ember and compares results, exceptions and warnings."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from _fuzz_cases import check_cases as _check
from _fuzz_cases import warnings_of

import ember
from ember.testing.sweep import Case, T


def _same_warnings(torch: Any, fn: Any) -> None:
    assert warnings_of(fn, ember) == warnings_of(fn, torch)


# ------------------------------------------------------------------ promotion: clamp and lerp
PROMOTION = [
    Case("clamp(uint8 0-d, 3, int32 0-d)",
         lambda m, a, b: m.clamp(a, 3, b), (T("uint8", ()), T("int32", ()))),
    Case("clamp(uint8, 1, int32 0-d)",
         lambda m, a, b: m.clamp(a, 1, b), (T("uint8", (2, 3)), T("int32", ()))),
    Case("clamp(int64, 3, float64 0-d)",
         lambda m, a, b: m.clamp(a, 3, b), (T("int64", (4,)), T("float64", ()))),
    Case("int16.clamp(min=float64 0-d, max=7)",
         lambda m, a, b: a.clamp(min=b, max=7), (T("int16", (4,)), T("float64", ()))),
    Case("bool.clamp(False, bfloat16 0-d)",
         lambda m, a, b: a.clamp(False, b), (T("bool", (3,)), T("bfloat16", ()))),
    Case("clamp(int64, float64 (1,), 7): no overload",
         lambda m, a, b: m.clamp(a, b, 7), (T("int64", (4,)), T("float64", (1,)))),
    Case("clamp(float32, 0, float64 0-d requires grad): no overload",
         lambda m, a, b: m.clamp(a, 0, b.requires_grad_()), (T("float32", (4,)), T("float64", ()))),
    Case("clamp(int64, float64 0-d, None)",
         lambda m, a, b: m.clamp(a, b, None), (T("int64", (4,)), T("float64", ()))),
    Case("int32.clamp_(float32 0-d, 3)",
         lambda m, a, b: a.clone().clamp_(b, 3), (T("int32", (4,)), T("float32", ()))),
    Case("lerp(float32, float32, float64 0-d)",
         lambda m, a, b, w: m.lerp(a, b, w), (T("float32", (5,)), T("float32", (5,), "sym"),
                                               T("float64", (), "unit"))),
    Case("lerp(float16, float16, int16 0-d)",
         lambda m, a, b, w: m.lerp(a, b, w), (T("float16", (5,)), T("float16", (5,), "sym"),
                                               T("int16", ()))),
    Case("lerp(float32, float32, float64 (1,)): refused",
         lambda m, a, b, w: m.lerp(a, b, w), (T("float32", (5,)), T("float32", (5,)),
                                               T("float64", (1,)))),
    Case("add(bool, False, alpha=2)", lambda m, a: m.add(a, False, alpha=2), (T("bool", (2, 3)),)),
    Case("add(uint8, -2, alpha=2) wraps", lambda m, a: m.add(a, -2, alpha=2),
         (T("uint8", (2, 3)),)),
    Case("sub(uint8, 3, alpha=2) wraps", lambda m, a: m.sub(a, 3, alpha=2), (T("uint8", (2, 3)),)),
    Case("add(int8, 100, alpha=3) wraps", lambda m, a: m.add(a, 100, alpha=3),
         (T("int8", (2, 3)),)),
    Case("lerp_(float64, float64, float32 0-d)",
         lambda m, a, b, w: a.clone().lerp_(b, w), (T("float64", (5,)), T("float64", (5,), "sym"),
                                                    T("float32", (), "unit"))),
]


@pytest.mark.parametrize("case", PROMOTION, ids=[c.id for c in PROMOTION])
def test_number_overloads_of_clamp_and_lerp(torch: Any, case: Case) -> None:
    _check(torch, case)


def test_lerp_zero_dim_weight_with_grad_flows(torch: Any) -> None:
    def f(m: Any) -> tuple:
        a = m.tensor([1.0, 2.0, -3.0])
        b = m.tensor([3.0, 4.0, 5.0])
        w = m.tensor(0.25, dtype=m.float64, requires_grad=True)
        r = m.lerp(a, b, w)
        r.sum().backward()
        return r, w.grad

    _check(torch, Case("lerp weight grad", f))
    w = ember.tensor(0.3, dtype=ember.float64, requires_grad=True)
    a, b = ember.tensor([1.0, -2.0], dtype=ember.float64), ember.tensor([0.5, 4.0],
                                                                        dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda w: ember.lerp(a, b, w), (w,))


# ------------------------------------------------------------------ reductions and searches
REDUCTIONS = [
    Case("amax(empty) over -1", lambda m, a: m.amax(a, -1), (T("float32", (3, 0)),)),
    Case("amin(empty) over (1, -1)", lambda m, a: m.amin(a, (1, -1)), (T("bool", (3, 0)),)),
    Case("amax(empty) over [0, -1]", lambda m, a: m.amax(a, [0, -1], True), (T("float32", (0,)),)),
    Case("amax(empty) over (-1, 0)", lambda m, a: m.amax(a, (-1, 0)), (T("float32", (2, 0)),)),
    Case("amax(empty) over (0, 5)", lambda m, a: m.amax(a, (0, 5)), (T("float32", (0, 2)),)),
    Case("sort(complex)", lambda m, a: m.sort(a), (T("complex64", (4,)),)),
    Case("argsort(complex)", lambda m, a: m.argsort(a, dim=0), (T("complex64", (4,)),)),
    Case("topk(complex)", lambda m, a: m.topk(a, 2), (T("complex64", (4,)),)),
    Case("unique_consecutive(complex)", lambda m, a: m.unique_consecutive(a),
         (T("complex64", (4,)),)),
    Case("unique_consecutive(0-d, dim=0)", lambda m, a: m.unique_consecutive(a, dim=0),
         (T("float32", ()),)),
    Case("unique_consecutive(0-d, dim=-1)", lambda m, a: m.unique_consecutive(a, dim=-1),
         (T("int64", ()),)),
    Case("unique_consecutive((3, 0), dim=0)", lambda m, a: m.unique_consecutive(a, dim=0),
         (T("float32", (3, 0)),)),
    Case("unique_consecutive((3, 0), dim=1)",
         lambda m, a: m.unique_consecutive(a, dim=1, return_counts=True), (T("float32", (3, 0)),)),
    Case("searchsorted(2-d, 0-d)", lambda m, b, v: m.searchsorted(b, v),
         (T("float64", (2, 4)), T("float64", ()))),
    Case("searchsorted(2-d, number)", lambda m, b: m.searchsorted(b, 0.5), (T("int32", (2, 4)),)),
    Case("bincount(empty, float32 weights)", lambda m, w: m.bincount(
        m.tensor([], dtype=m.int64), w, minlength=3), (T("float32", (0,)),)),
    Case("bincount(empty, float64 weights)", lambda m, w: m.tensor([], dtype=m.int64).bincount(w),
         (T("float64", (0,)),)),
    Case("bincount(int, float64 weights)", lambda m, x, w: m.bincount(x, w),
         (T("int64", (5,), "idx3"), T("float64", (5,)))),
    Case("flip(0-d, 0)", lambda m, a: m.flip(a, (0,)), (T("bool", ()),)),
    Case("flip(0-d, -1)", lambda m, a: a.flip(-1), (T("float32", ()),)),
    Case("sum(complex, dtype=float64)", lambda m, a: a.sum(0, dtype=m.float64),
         (T("complex64", (2, 3)),)),
    Case("mean(complex, dtype=float64)", lambda m, a: m.mean(a, -1, dtype=m.float64),
         (T("complex64", (2, 3)),)),
    Case("cumprod(float32 with nan, dtype=int64)", lambda m, a: (a / a.sum() * 0).cumprod(
        0, dtype=m.float32), (T("float32", (2, 3)),)),
]


@pytest.mark.parametrize("case", REDUCTIONS, ids=[c.id for c in REDUCTIONS])
def test_reduction_and_search_edges(torch: Any, case: Case) -> None:
    _check(torch, case)


@pytest.mark.parametrize("fn", [
    lambda m: m.var(m.zeros(0, 2), -1),
    lambda m: m.var(m.zeros(3, 0), 0),
    lambda m: m.std(m.zeros(3, 0), 1, keepdim=True),
    lambda m: m.var_mean(m.zeros(0, 2), -1),
    lambda m: m.std_mean(m.zeros(0, 2, dtype=m.float64), 1),
    lambda m: m.var(m.zeros(1, 2), 0),
    lambda m: m.var(m.zeros(3, 2), 0),
], ids=["var0x2", "var3x0", "std3x0", "var_mean", "std_mean", "var1x2", "var3x2"])
def test_degrees_of_freedom_warnings(torch: Any, fn: Any) -> None:
    _same_warnings(torch, fn)


NAN = float("nan")


@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([1.0, NAN, 2.0]).bfloat16().amin(0),
    lambda m: m.tensor([[1.0, NAN], [2.0, 3.0]]).bfloat16().amax((0, 1)),
    lambda m: m.aminmax(m.tensor([1.0, NAN, 2.0]).bfloat16()),
    lambda m: m.logsumexp(m.tensor([[1.0, NAN], [2.0, 3.0]]).bfloat16(), (0, -1)),
    lambda m: m.tensor([1 + 2j, 3 - 1j]).sum(dtype=m.float64),
    lambda m: m.tensor([1 + 2j, 3 - 1j]).prod(dtype=m.float32),
    lambda m: m.tensor([NAN, 1.0]).cumsum(0, dtype=m.int64),
    lambda m: m.tensor([1.0, 0.0, -1.0], dtype=m.float64).div_(0),
    lambda m: m.tensor([1.0, 0.0]).__itruediv__(0.0),
    lambda m: m.tensor([1.0, 0.0]).mul_(float("inf")),
], ids=["amin", "amax", "aminmax", "logsumexp", "sum_dtype", "prod_dtype", "cumsum_nan",
        "div_", "itruediv", "mul_inf"])
def test_no_numpy_warnings(torch: Any, fn: Any) -> None:
    _same_warnings(torch, fn)


# ------------------------------------------------------------------ index_* and scatter
IDX = [
    Case("index_fill negative", lambda m, x: x.index_fill(0, m.tensor([-1, -4]), -1),
         (T("float32", (4, 2)),)),
    Case("index_fill dim -1 negative", lambda m, x: m.index_fill(x, -1, m.tensor([-3, 1]), 7),
         (T("int64", (2, 3)),)),
    Case("index_fill first bad", lambda m, x: x.index_fill(0, m.tensor([-2, 3, 9]), 1),
         (T("float32", (3, 4)),)),
    Case("index_fill below -n", lambda m, x: x.index_fill(0, m.tensor([0, -5]), 1),
         (T("float32", (4,)),)),
    Case("index_copy first bad", lambda m, x, s: x.index_copy(0, m.tensor([5, -1, -2]), s),
         (T("float32", (4,)), T("float32", (3,)))),
    Case("index_copy negative", lambda m, x, s: x.index_copy(1, m.tensor([0, -2]), s),
         (T("float64", (2, 3)), T("float64", (2, 2)))),
]
for _shape, _dim in [((4,), 0), ((4, 2), 0), ((2, 4), 1), ((2, 4, 3), 1), ((2, 4, 3), 2),
                     ((3, 4), -2)]:
    for _alpha in (1, 2):
        _src = list(_shape)
        _src[_dim] = 3
        IDX.append(Case(
            f"index_add {_shape} dim {_dim} alpha {_alpha}",
            lambda m, x, s, d=_dim, a=_alpha: m.index_add(x, d, m.tensor([0, -1, 5]), s, alpha=a),
            (T("float32", _shape), T("float32", tuple(_src)))))
IDX += [
    Case("take_along_dim no broadcast dim 1", lambda m, x, i: m.take_along_dim(x, i, 0),
         (T("float64", (3, 4)), T("int64", (0, 2), "idx3"))),
    Case("take_along_dim no broadcast dim 0", lambda m, x, i: m.take_along_dim(x, i, -1),
         (T("float64", (3, 4)), T("int64", (2, 1), "idx3"))),
    Case("take_along_dim broadcast", lambda m, x, i: m.take_along_dim(x, i, 1),
         (T("float32", (3, 4)), T("int64", (1, 2), "idx4"))),
]


@pytest.mark.parametrize("case", IDX, ids=[c.id for c in IDX])
def test_index_ops_ranges(torch: Any, case: Case) -> None:
    _check(torch, case)


def test_index_fill_negative_gradient() -> None:
    x = ember.tensor(np.linspace(-1, 1, 8).reshape(4, 2), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: x.index_fill(0, ember.tensor([-1, 1]), 0.5) ** 2,
                                    (x,))


def test_scatter_reduce_argument_warns_once() -> None:
    from ember.ops import indexing_scatter

    indexing_scatter._warned_reduce = False
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        for _ in range(3):
            ember.zeros(3).scatter(0, ember.tensor([0]), ember.ones(1), reduce="add")
    assert [str(w.message)[:30] for w in got] == ["The reduce argument of torch.s"]


# ------------------------------------------------------------------ advanced indexing
def _get(key: Any) -> Any:
    return lambda m, x: x[key(m) if callable(key) else key]


def _set(key: Any, value: Any) -> Any:
    def f(m: Any, x: Any) -> Any:
        x = x.clone()
        x[key(m) if callable(key) else key] = value(m) if callable(value) else value
        return x
    return f


GETS = [
    Case("mask + lists do not broadcast", _get(lambda m: (
        None, m.tensor([True, False, True, True]), [], [0, 2])), (T("int32", (4, 1, 3)),)),
    Case("2-d mask + list", _get(lambda m: (m.ones(3, 4, dtype=m.bool), [0, 1])),
         (T("float32", (3, 4, 5)),)),
    Case("False + tensor", _get(lambda m: (False, m.tensor([[2, -1]]), slice(-5, None))),
         (T("float64", (2, 3, 4)),)),
    Case("True + lists", _get(([-1, 3], False, [1, 1, -2])), (T("float64", (4, 1, 3)),)),
    Case("size-0 dim", _get(lambda m: (m.tensor([[0]]),)), (T("int64", (0, 3)),)),
    Case("size-0 dim, negative", _get(lambda m: (True, m.tensor([[-1, -3]]))),
         (T("float32", (0, 3)),)),
    Case("empty result skips the range", _get((slice(0, 0), [1, 2], [7])),
         (T("float32", (3, 4, 5)),)),
    Case("empty dim, index past the end", _get((slice(None), [5])), (T("float32", (0, 3)),)),
    Case("int after None names the view's dim", _get((None, 1)), (T("float32", (0, 3)),)),
    Case("int after True", _get((True, slice(None), 5)), (T("float32", (0, 3)),)),
    Case("int after False and a slice", _get((False, slice(-2, 1, 1), 1)),
         (T("int32", (3, 1, 4)),)),
    Case("empty ellipsis keeps indices adjacent", _get((slice(None), [0], ..., [1])),
         (T("float32", (3, 1, 4)),)),
    Case("empty ellipsis, tensor", _get(lambda m: (slice(1, None), m.tensor([[0, 0]]), ...,
                                                   [-1])), (T("float32", (3, 1, 4), "sym"),)),
    Case("empty ellipsis, 2-d list", _get((slice(None), [[0, 0]], ..., [1])),
         (T("float32", (3, 1, 4)),)),
    Case("ellipsis with span", _get(([1], ..., [0])), (T("float32", (3, 2, 4)),)),
]


@pytest.mark.parametrize("case", GETS, ids=[c.id for c in GETS])
def test_advanced_getitem(torch: Any, case: Case) -> None:
    _check(torch, case)


def test_empty_ellipsis_gradient() -> None:
    x = ember.tensor(np.arange(12.0).reshape(3, 1, 4), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: x[:, [0], ..., [1, 2]] * 2.0, (x,))
    y = ember.zeros(3, 4, 5, requires_grad=True)
    r = y[0:0, [1, 2], [7]]
    r.sum().backward()
    assert r.shape == (0, 2) and float(y.grad.abs().sum()) == 0.0


SETS = [
    Case("x[True] = int32 0-d into half", _set(True, lambda m: m.tensor(3, dtype=m.int32)),
         (T("float16", (3,)),)),
    Case("x[True] = long vector", _set(True, lambda m: m.tensor([3, 4, 5])), (T("float16", (3,)),)),
    Case("x[False] = anything", _set(False, lambda m: m.zeros(5)), (T("float32", (3,)),)),
    Case("x[(True, [0])] = long 0-d", _set((True, [0]), lambda m: m.tensor(3)),
         (T("float16", (3,)),)),
    Case("empty selection writes nothing", _set((slice(0, 0), [1], [9]), 1.0),
         (T("float32", (3, 4, 5)),)),
    Case("x[1] = bool vector", _set(1, lambda m: m.zeros(2, dtype=m.bool)),
         (T("float64", (3,)),)),
    Case("x[1] = bfloat16 vector", _set(1, lambda m: m.zeros(2, dtype=m.bfloat16)),
         (T("float32", (3,)),)),
    Case("x[1] = complex vector", _set(1, lambda m: m.zeros(2, dtype=m.complex64)),
         (T("float32", (3,)),)),
    Case("x[1] = float vector", _set(1, lambda m: m.zeros(2)), (T("int64", (3,)),)),
    Case("bool x[()] = complex vector", _set((), lambda m: m.tensor([0j, 1j, 2 + 0j, 0j])),
         (T("bool", (3, 4)),)),
    Case("float x[0] = complex vector", _set(0, lambda m: m.tensor([1 + 1j, 2j, -1 + 0j, 0j])),
         (T("float32", (3, 4)),)),
    Case("x[mask] = complex 0-d", _set(lambda m: m.tensor([True, False, True]),
                                       lambda m: m.tensor(1 + 2j)), (T("float32", (3,)),)),
]


@pytest.mark.parametrize("case", SETS, ids=[c.id for c in SETS])
def test_setitem(torch: Any, case: Case) -> None:
    _check(torch, case)


# ------------------------------------------------------------------ fills
FILLS = [
    Case(f"masked_fill {dt} {v!r}", lambda m, x, v=v: x.masked_fill(x > 1, v), (T(dt, (2, 3)),))
    for dt, v in [("uint8", -1.5), ("uint8", 300), ("uint8", -1), ("int8", 200), ("int8", -128),
                  ("float16", 1e6), ("float16", -1e9), ("float16", float("-inf")),
                  ("bool", 5), ("float32", -1e9), ("int32", 2.5)]
] + [
    Case("masked_fill uint8 0-d -1.5", lambda m, x: x.masked_fill(x > 1, m.tensor(-1.5)),
         (T("uint8", (2, 3)),)),
    Case("masked_fill half 0-d -1e9", lambda m, x: x.masked_fill(x > 1, m.tensor(-1e9)),
         (T("float16", (2, 3)),)),
    Case("masked_fill uint8 0-d -1", lambda m, x: x.masked_fill(x > 1, m.tensor(-1)),
         (T("uint8", (2, 3)),)),
] + [
    Case(f"fill_ {dt} {v!r}", lambda m, x, v=v: x.clone().fill_(v), (T(dt, (3,)),))
    for dt, v in [("uint8", -1), ("uint8", 256), ("int8", -129), ("uint8", -1.5),
                  ("int8", 255.5), ("float16", 1e10), ("int32", -7)]
]


@pytest.mark.parametrize("case", FILLS, ids=[c.id for c in FILLS])
def test_fill_values_out_of_range(torch: Any, case: Case) -> None:
    _check(torch, case)


# ------------------------------------------------------------------ out= and in-place
OUTS = [
    Case(f"{name} out={odt}{oshape}", lambda m, a, b, f=f, odt=odt, os_=oshape: (
        f(m, a, b, m.zeros(os_, dtype=getattr(m, odt)))), (T(dt, (2, 3)), T(dt, (2, 3), "sym")),
        rtol=2e-6)  # (computed in float32 even into a float64 out=, as PyTorch does)
    for name, f, dt in [
        ("add", lambda m, a, b, o: m.add(a, b, out=o), "int64"),
        ("mul", lambda m, a, b, o: m.mul(a, b, out=o), "uint8"),
        ("div", lambda m, a, b, o: m.div(a, b, out=o), "float32"),
        ("exp", lambda m, a, b, o: m.exp(a, out=o), "int32"),
        ("sqrt", lambda m, a, b, o: m.sqrt(a, out=o), "complex64"),
        ("pow", lambda m, a, b, o: m.pow(a, 2, out=o), "float16"),
        ("eq", lambda m, a, b, o: m.eq(a, b, out=o), "float32"),
        ("abs", lambda m, a, b, o: m.abs(a, out=o), "float32"),
        ("neg", lambda m, a, b, o: m.neg(a, out=o), "float64"),
        ("sign", lambda m, a, b, o: m.sign(a, out=o), "int32"),
        ("floor", lambda m, a, b, o: m.floor(a, out=o), "float32"),
        ("round", lambda m, a, b, o: m.round(a, out=o), "float32"),
        ("round decimals", lambda m, a, b, o: m.round(a, decimals=1, out=o), "float64"),
        ("bitwise_not", lambda m, a, b, o: m.bitwise_not(a, out=o), "int32"),
        ("clamp", lambda m, a, b, o: m.clamp(a, -1, 1, out=o), "int32"),
        ("clamp bool", lambda m, a, b, o: m.clamp(a, -1, 1, out=o), "bool"),
    ]
    for odt, oshape in [("float64", (2, 3)), ("int64", (0,)), ("bool", (7,)), ("float32", ()),
                        (dt, (2, 3)), (dt, (5,))]
] + [
    Case(f"{name} out {oshape}", lambda m, f=f, os_=oshape: (f(m, m.zeros(os_))), ())
    for name, f in [("zeros", lambda m, o: m.zeros(2, 3, out=o)),
                    ("ones", lambda m, o: m.ones(4, out=o)),
                    ("full", lambda m, o: m.full((4,), 2.0, out=o)),
                    ("linspace", lambda m, o: m.linspace(0, 1, 5, out=o)),
                    ("logspace", lambda m, o: m.logspace(0, 1, 5, out=o)),
                    ("eye", lambda m, o: m.eye(3, out=o)),
                    ("arange", lambda m, o: m.arange(0, 5, out=o)),
                    ("sum", lambda m, o: m.sum(m.ones(2, 3), 0, out=o)),
                    ("cat", lambda m, o: m.cat([m.ones(2), m.ones(3)], out=o))]
    for oshape in [(7,), (0,), ()]
]


@pytest.mark.parametrize("case", OUTS, ids=[c.id for c in OUTS])
def test_out_dtype_and_resize(torch: Any, case: Case) -> None:
    _check(torch, case)
    _same_warnings(torch, lambda m: case.fn(m, *[
        m.tensor(a.values()).to(getattr(m, a.dtype)) for a in case.args]))


EXPANDED = [
    Case(f"{name} on expanded {dt}", lambda m, x, f=f: f(m, x[:1].expand(2, 3)),
         (T(dt, (2, 3)),))
    for name, f in [
        ("add_ int", lambda m, v: v.add_(m.tensor(3))),
        ("mul_ float", lambda m, v: v.mul_(1.5)),
        ("div_", lambda m, v: v.div_(m.tensor([2.0]))),
        ("itruediv", lambda m, v: v.__itruediv__(m.tensor([2.0]))),
        ("sqrt_", lambda m, v: v.sqrt_()),
        ("exp_", lambda m, v: v.exp_()),
        ("sigmoid_", lambda m, v: v.sigmoid_()),
        ("round_", lambda m, v: v.round_()),
        ("abs_", lambda m, v: v.abs_()),
        ("floor_", lambda m, v: v.floor_()),
        ("clamp_", lambda m, v: v.clamp_(0, 1)),
        ("masked_scatter_", lambda m, v: v.masked_scatter_(v != 0, m.zeros(2, 3))),
        ("index_add_", lambda m, v: v.index_add_(0, m.tensor([0]), m.ones(1, 3))),
        ("scatter_", lambda m, v: v.scatter_(0, m.zeros(1, 3, dtype=m.int64), 1.0)),
        ("fill_ (allowed)", lambda m, v: v.fill_(1)),
        ("masked_fill_ (allowed)", lambda m, v: v.masked_fill_(m.ones(2, 3, dtype=m.bool), 1)),
    ]
    for dt in ("bool", "int64", "float32")
]


@pytest.mark.parametrize("case", EXPANDED, ids=[c.id for c in EXPANDED])
def test_inplace_on_expanded_refused_first(torch: Any, case: Case) -> None:
    _check(torch, case)


INPLACE = [
    Case("round_(decimals) int", lambda m, a: a.round_(decimals=1), (T("int64", (3,)),)),
    Case("round(decimals) uint8", lambda m, a: a.round(decimals=2), (T("uint8", (3,)),)),
    Case("round(decimals) bool", lambda m, a: a.round(decimals=2), (T("bool", (3,)),)),
    Case("copy_ no broadcast", lambda m, a, b: a.t().copy_(b),
         (T("float32", (2, 3)), T("int64", (3,)))),
    Case("copy_ no broadcast 3-d", lambda m, a, b: a.t().copy_(b),
         (T("float32", (2, 3)), T("float32", (4, 2, 3)))),
    Case("copy_ broadcast", lambda m, a, b: a.t().copy_(b),
         (T("float32", (2, 3)), T("float64", (2,)))),
]


@pytest.mark.parametrize("case", INPLACE, ids=[c.id for c in INPLACE])
def test_inplace_messages(torch: Any, case: Case) -> None:
    _check(torch, case)
