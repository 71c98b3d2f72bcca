"""Comparisons, predicates, logical and bitwise ops and their operators, against PyTorch."""

# ruff: noqa: B023  (the lambdas given to compare() are called at once)

from __future__ import annotations

import operator

import numpy as np
import pytest
from _pointwise_helpers import BINARY_SHAPES, compare, pair, sample

import ember
from ember.testing import assert_close

COMPARE = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift"]
DTYPES = ["float32", "float64", "int64", "int32", "bool", "complex64"]


def _operands(shapes, dtype, torch):
    a = sample(shapes[0], dtype, -2, 2, seed=1)
    b = sample(shapes[1], dtype, -2, 2, seed=2)
    if dtype.startswith("float") and a.size:
        a = a.copy()
        a.flat[0] = np.nan
        if b.size:
            a.flat[-1] = b.flat[-1]  # some equal elements
    return pair(a, torch), pair(b, torch)


@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", COMPARE + LOGICAL + BITWISE)
def test_elementwise_pairs_match_torch(torch, name, dtype, shapes):
    (ea, ta), (eb, tb) = _operands(shapes, dtype, torch)
    if "shift" in name:
        eb, tb = eb.abs() if dtype != "bool" and dtype[0] != "c" else eb, \
            tb.abs() if dtype != "bool" and dtype[0] != "c" else tb
    compare(lambda: getattr(ember, name)(ea, eb), lambda: getattr(torch, name)(ta, tb))
    compare(lambda: getattr(ea, name)(eb), lambda: getattr(ta, name)(tb))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
@pytest.mark.parametrize("number", [1, 0, 2.5, True, -1])
@pytest.mark.parametrize("name", COMPARE + ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_with_python_numbers(torch, name, number, dtype):
    e, t = pair(sample("matrix", dtype, -2, 3, seed=4), torch)
    compare(lambda: getattr(ember, name)(e, number), lambda: getattr(torch, name)(t, number))


OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
       operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_operators_and_reflected(torch, op, dtype):
    (ea, ta), (eb, tb) = _operands(("matrix", "row"), dtype, torch)
    if op in (operator.lshift, operator.rshift) and dtype == "int64":
        eb, tb = eb.abs(), tb.abs()
    compare(lambda: op(ea, eb), lambda: op(ta, tb))
    for number in (1, 2):
        compare(lambda: op(ea, number), lambda: op(ta, number))
        compare(lambda: op(number, ea), lambda: op(number, ta))


def test_invert_and_nots(torch):
    for dtype in ("int64", "bool", "uint8", "float32"):
        e, t = pair(sample("matrix", dtype, 0, 5), torch)
        compare(lambda: ~e, lambda: ~t)
        compare(lambda: ember.bitwise_not(e), lambda: torch.bitwise_not(t))
        compare(lambda: ember.logical_not(e), lambda: torch.logical_not(t))
    with pytest.raises(TypeError, match="invert"):
        ~ember.tensor([1.0])


def test_shifts_out_of_range(torch):
    a = np.array([1, -8, 5, -1, 3], dtype=np.int64)
    b = np.array([0, 1, 63, 64, 70], dtype=np.int64)
    (ea, ta), (eb, tb) = pair(a, torch), pair(b, torch)
    compare(lambda: ea << eb, lambda: ta << tb)
    compare(lambda: ea >> eb, lambda: ta >> tb)
    i8 = np.array([1, -3, 100], dtype=np.int8)
    e8, t8 = pair(i8, torch)
    compare(lambda: e8 << 3, lambda: t8 << 3)
    compare(lambda: e8 >> 9, lambda: t8 >> 9)


def test_inplace_forms_keep_dtype_and_bump_version(torch):
    for name, other in [("eq_", 1.0), ("lt_", 0.5), ("ge_", 0.0), ("logical_and_", "t"),
                        ("logical_not_", None), ("bitwise_and_", 6), ("bitwise_xor_", 3),
                        ("bitwise_left_shift_", 2)]:
        dtype = "int64" if name.startswith("bitwise") else "float32"
        arr = sample("matrix", dtype, -2, 7)
        e, t = pair(arr.copy(), torch)
        args = () if other is None else (pair(arr, torch)[0],) if other == "t" else (other,)
        targs = () if other is None else (torch.from_numpy(arr),) if other == "t" else (other,)
        v = e._version
        r = getattr(e, name)(*args)
        getattr(t, name)(*targs)
        assert r is e and e._version > v
        assert_close(e, t)
    e = ember.tensor([1, 2, 3])
    e &= 2
    e |= 8
    e ^= 1
    e <<= 1
    e >>= 2
    t = torch.tensor([1, 2, 3])
    t &= 2
    t |= 8
    t ^= 1
    t <<= 1
    t >>= 2
    assert_close(e, t)


@pytest.mark.parametrize("name", ["isclose", "allclose", "equal"])
def test_closeness(torch, name):
    a = np.array([1.0, 1.0 + 1e-9, np.inf, -np.inf, np.nan, 0.0, 1e-10, 100.0])
    b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 1e-9, 0.0, 100.001])
    for dtype in ("float32", "float64"):
        (ea, ta), (eb, tb) = pair(a.astype(dtype), torch), pair(b.astype(dtype), torch)
        compare(lambda: getattr(ember, name)(ea, eb), lambda: getattr(torch, name)(ta, tb))
        compare(lambda: getattr(ea, name)(eb), lambda: getattr(ta, name)(tb))
        if name != "equal":
            for kw in (dict(equal_nan=True), dict(rtol=1e-3, atol=0.0), dict(rtol=0, atol=0)):
                compare(lambda: getattr(ember, name)(ea, eb, **kw),
                        lambda: getattr(torch, name)(ta, tb, **kw))
    ei, ti = pair(np.array([1, 2, 3]), torch)
    ej, tj = pair(np.array([1, 2, 4]), torch)
    compare(lambda: getattr(ember, name)(ei, ej), lambda: getattr(torch, name)(ti, tj))
    ef, tf = pair(np.array([1.0, 2.0, 3.0]), torch)
    compare(lambda: getattr(ember, name)(ei, ef), lambda: getattr(torch, name)(ti, tf))
    compare(lambda: getattr(ember, name)(ef, ef[:2]), lambda: getattr(torch, name)(tf, tf[:2]))


def test_comparison_results_are_not_differentiable():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    for r in (x > 1, x == 2, ember.isfinite(x), ember.logical_and(x, x), ember.isclose(x, x)):
        assert r.dtype is ember.bool and not r.requires_grad and r.grad_fn is None


def test_eq_with_non_numbers(torch):
    e = ember.tensor([1, 2])
    assert (e == None) is False  # noqa: E711
    assert (e != "a") is True
    with pytest.raises(TypeError):
        e < None  # noqa: B015
    with pytest.raises(TypeError, match="logical_and"):
        ember.logical_and(e, 1)
    with pytest.raises(RuntimeError, match="lt"):
        ember.tensor([1j]) < 1  # noqa: B015
