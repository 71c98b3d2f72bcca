"""isin, gcd, lcm, frexp, ldexp, nextafter, heaviside, float_power_, renorm, dist against
PyTorch: values, dtypes, shapes, errors and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from _misc_helpers import check, gradcheck, noncontig, rand, same, same_error

import ember
from ember.testing import assert_close

INTS = ["int64", "int32", "int16", "int8", "uint8"]


# ------------------------------------------------------------------ isin
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64"])
def test_isin(torch, dtype):
    for shape, tshape in [((7,), (3,)), ((3, 4), (2, 2)), ((), (5,)), ((0,), (2,)), ((4,), (0,))]:
        a, b = rand(*shape, dtype=dtype, low=0), rand(*tshape, dtype=dtype, low=0)
        for invert in (False, True):
            check(torch, "isin", a, b, invert=invert)
            check(torch, "isin", a, b, assume_unique=True, invert=invert)
    check(torch, "isin", noncontig(rand(3, 4, dtype=dtype, low=0)), rand(3, dtype=dtype, low=0))


def test_isin_mixed_and_scalars(torch):
    check(torch, "isin", rand(6, dtype="int64"), np.array([2.5, 3.0]))
    check(torch, "isin", rand(6, dtype="int32"), rand(3, dtype="int64"))
    check(torch, "isin", np.array([0.1], dtype="float32"), np.array([0.1]))
    check(torch, "isin", rand(6, dtype="int64"), 2)
    check(torch, "isin", rand(6, dtype="int64"), 2.0)
    check(torch, "isin", rand(6, dtype="int64"), 2.5)
    check(torch, "isin", 2, rand(5, dtype="int64"))
    check(torch, "isin", 2.0, rand(5, dtype="int64"))
    check(torch, "isin", np.array([1, 2], dtype="uint8"), 258)
    check(torch, "isin", np.array([np.nan, 1.0]), np.array([np.nan]))
    same_error(torch, "isin", np.array([True]), np.array([True]))
    same_error(torch, "isin", np.array([1.0]), True)
    same_error(torch, "isin", np.array([1j]), np.array([1j]))
    e = ember.isin(ember.tensor([1.0, 2.0], requires_grad=True), ember.tensor([2.0]))
    assert not e.requires_grad and e.dtype is ember.bool


# ------------------------------------------------------------------ gcd, lcm
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(torch, name):
    for dtype in INTS:
        a, b = rand(3, 4, dtype=dtype, low=-20, high=20), rand(4, dtype=dtype, low=-20, high=20)
        check(torch, name, a, b)
        check(torch, name, noncontig(a), b, method=True)
    check(torch, name, np.array([0, -4, 0]), np.array([0, 0, 6]))
    check(torch, name, np.array([4], dtype="uint8"), np.array([6], dtype="int8"))
    check(torch, name, np.array([-128], dtype="int8"), np.array([0], dtype="int8"))
    check(torch, name, np.array(12), rand(5, dtype="int32"))
    same_error(torch, name, np.array([4.0]), np.array([6.0]))
    same_error(torch, name, np.array([True]), np.array([True]))
    same_error(torch, name, np.array([4]), 6)
    same_error(torch, name, np.array([4, 5]), np.array([1, 2, 3]))


@pytest.mark.parametrize("name", ["gcd_", "lcm_"])
def test_gcd_lcm_inplace(torch, name):
    a, b = rand(3, 4, dtype="int32", low=-9, high=9), rand(3, 4, dtype="int32", low=-9, high=9)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    r = getattr(e, name)(ember.from_numpy(b))
    getattr(t, name)(torch.from_numpy(b))
    assert r is e
    assert_close(e, t)
    e = ember.from_numpy(a.copy())
    assert getattr(ember, name)(e, ember.from_numpy(b)) is e
    same_error(torch, name, rand(3, dtype="int32"), rand(3, dtype="float32"), method=True)


# ------------------------------------------------------------------ frexp
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_frexp(torch, dtype):
    special = np.array([0.0, -0.0, 1.0, -3.5, 1e-40 if dtype != "float16" else 1e-6, np.inf,
                        -np.inf, np.nan, 1024.0], dtype=dtype)
    check(torch, "frexp", special)
    check(torch, "frexp", rand(3, 4, dtype=dtype) * 100)
    check(torch, "frexp", noncontig(rand(3, 4, dtype=dtype)), method=True)
    check(torch, "frexp", np.array(3.0, dtype=dtype))
    check(torch, "frexp", np.zeros((0, 2), dtype=dtype))


def test_frexp_bfloat16_and_errors(torch):
    e = ember.frexp(ember.tensor([1.0, 3.0, -0.25], dtype=ember.bfloat16))
    t = torch.frexp(torch.tensor([1.0, 3.0, -0.25], dtype=torch.bfloat16))
    same(e, t)
    same_error(torch, "frexp", np.array([1, 2]))
    m, x = ember.empty(3), ember.empty(3, dtype=ember.int32)
    r = ember.frexp(ember.tensor([1.0, 2.0, 3.0]), out=(m, x))
    assert r.mantissa is m and r.exponent is x
    assert_close(m, torch.tensor([0.5, 0.5, 0.75]))


def test_frexp_grad(torch):
    check(torch, "frexp", rand(3, 4) * 10, grad=True)
    gradcheck(lambda x: ember.frexp(x).mantissa, rand(3, 4) * 10)


# ------------------------------------------------------------------ ldexp
def test_ldexp_dtypes(torch):
    pairs = [("float32", "int64"), ("int64", "int64"), ("int32", "int32"), ("float64", "int64"),
             ("float16", "int64"), ("float16", "float32"), ("float32", "float16"),
             ("float32", "float64"), ("bool", "bool"), ("float32", "float32")]
    for da, db in pairs:
        check(torch, "ldexp", rand(3, 4, dtype=da, low=-3, high=4),
              rand(4, dtype=db, low=-3, high=4))
    check(torch, "ldexp", np.array([1.0, 2.0]), np.array([200, 1100]))
    check(torch, "ldexp", np.array([1e-3], dtype="float16"), np.array([16]))
    check(torch, "ldexp", np.array([3.0], dtype="float32"), np.array([-149, -140, 127, 128]))
    check(torch, "ldexp", np.array(1.0, dtype="float32"), np.array([2, 3]))
    check(torch, "ldexp", np.array([1.0], dtype="float16"), np.array(2.0, dtype="float32"))
    check(torch, "ldexp", np.array([1j]), np.array([2]))
    same_error(torch, "ldexp", np.array([1.0]), 2)


def test_ldexp_grad_and_inplace(torch):
    check(torch, "ldexp", rand(3, 4), rand(4), grad=True)
    check(torch, "ldexp", rand(3, 1), rand(1, 4), grad=True, method=True)
    gradcheck(lambda a, b: ember.ldexp(a, b), rand(3, 4), rand(4))
    a = rand(2, 3)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    e.ldexp_(ember.tensor([1, 2, 3]))
    t.ldexp_(torch.tensor([1, 2, 3]))
    assert_close(e, t)
    same_error(torch, "ldexp_", rand(3, dtype="int64"), rand(3, dtype="int64"), method=True)


# ------------------------------------------------------------------ nextafter
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_nextafter(torch, dtype):
    a = np.array([1.0, 2.0, 0.0, -0.0, np.inf, np.nan, 1.0, -1.0], dtype=dtype)
    b = np.array([2.0, 1.0, 1.0, -1.0, 0.0, 1.0, 1.0, np.inf], dtype=dtype)
    check(torch, "nextafter", a, b)
    check(torch, "nextafter", rand(3, 4, dtype=dtype), rand(4, dtype=dtype), method=True)


def test_nextafter_promotion_grad_errors(torch):
    check(torch, "nextafter", np.array([1.0, 2.0], dtype="float32"), np.array([2.0, 1.0]))
    check(torch, "nextafter", rand(3, 4), rand(3, 4), grad=True)
    same_error(torch, "nextafter", np.array([1, 2]), np.array([2, 1]))
    same_error(torch, "nextafter", np.array([1.0]), 3.0)
    e = ember.tensor([1.0, 2.0])
    e.nextafter_(ember.tensor([2.0, 3.0]))
    t = torch.tensor([1.0, 2.0])
    t.nextafter_(torch.tensor([2.0, 3.0]))
    assert_close(e, t)


# ------------------------------------------------------------------ heaviside
def test_heaviside(torch):
    for dtype in ["float32", "float64", "int64", "int32", "bool"]:
        a = rand(3, 4, dtype=dtype, low=-2, high=3)
        check(torch, "heaviside", a, rand(4, dtype=dtype, low=-2, high=3))
        check(torch, "heaviside", a, np.array(5, dtype=dtype), method=True)
    check(torch, "heaviside", np.array([-np.inf, -0.0, 0.0, np.inf, np.nan]), np.array([0.5]))
    same_error(torch, "heaviside", np.array([-1.0, 0.0]), np.array([5]))
    same_error(torch, "heaviside", np.array([1.0]), np.array(5.0, dtype="float16"))
    same_error(torch, "heaviside", np.array([1.0]), 0.5)
    same_error(torch, "heaviside", np.array([1j]), np.array([1j]))


def test_heaviside_inplace_out_and_no_derivative(torch):
    e = ember.tensor([-1.0, 0.0, 2.0])
    assert e.heaviside_(ember.tensor([0.5])) is e
    assert_close(e, torch.tensor([0.0, 0.5, 1.0]))
    o = ember.empty(3)
    assert ember.heaviside(ember.tensor([-1.0, 0.0, 2.0]), ember.tensor([7.0]), out=o) is o
    assert_close(o, torch.tensor([0.0, 7.0, 1.0]))
    x = ember.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = ember.heaviside(x, ember.tensor([0.5]))
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        y.sum().backward()


# ------------------------------------------------------------------ float_power_
def test_float_power_inplace(torch):
    a = np.abs(rand(3, 4)) + 0.5
    for exp in (2, 0.5, rand(4)):
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        e.float_power_(ember.from_numpy(exp) if isinstance(exp, np.ndarray) else exp)
        t.float_power_(torch.from_numpy(exp) if isinstance(exp, np.ndarray) else exp)
        assert_close(e, t)
    same_error(torch, "float_power_", rand(3, dtype="float32"), 2, method=True)
    same_error(torch, "float_power_", rand(3, dtype="int64"), 2, method=True)
    same_error(torch, "float_power_", rand(3), 2j, method=True)


# ------------------------------------------------------------------ renorm
@pytest.mark.parametrize("p", [2, 1, 3.5, float("inf")])
def test_renorm(torch, p):
    shapes = [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 1)]
    if p != float("inf"):  # no identity for the inf norm of an empty slice: both refuse
        shapes.append(((0, 3), 1))
    else:
        same_error(torch, "renorm", np.ones((0, 3)), p, 1, 2.0)
    for shape, dim in shapes:
        a = rand(*shape) * 3
        check(torch, "renorm", a, p, dim, 2.0, grad=True)
        check(torch, "renorm", noncontig(a), p, dim, 5, method=True)
    check(torch, "renorm", rand(3, 4, dtype="float32") * 3, p, 0, 1.5)


def test_renorm_errors_inplace_and_gradcheck(torch):
    same_error(torch, "renorm", rand(3, 4), 0, 0, 5)
    same_error(torch, "renorm", rand(3, 4), -1, 0, 5)
    same_error(torch, "renorm", rand(3, 4), 2, 0, -5, match="got -5")
    same_error(torch, "renorm", rand(4), 2, 0, 5)
    same_error(torch, "renorm", np.array(3.0), 2, 0, 5)
    same_error(torch, "renorm", rand(3, 4), 2, 2, 5)
    same_error(torch, "renorm", rand(3, 4, dtype="int64"), 2, 0, 5)
    a = rand(3, 4) * 3
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    assert e.renorm_(2, 0, 1.0) is e
    t.renorm_(2, 0, 1.0)
    assert_close(e, t)
    gradcheck(lambda x: ember.renorm(x, 2, 0, 1.0), rand(3, 4) * 3)
    gradcheck(lambda x: ember.renorm(x, 1.5, 1, 0.5), rand(3, 4) * 3)


# ------------------------------------------------------------------ dist
@pytest.mark.parametrize("p", [2, 1, 0, 0.5, 3, float("inf"), -float("inf"), -2])
def test_dist(torch, p):
    a, b = rand(3, 4), rand(4)
    check(torch, "dist", a, b, p, grad=p not in (0, -2))
    check(torch, "dist", noncontig(a), b, p=p, method=True)
    check(torch, "dist", rand(3, 4, dtype="float32"), np.array(1.0), p)


def test_dist_dtypes_errors_gradcheck(torch):
    check(torch, "dist", rand(3, dtype="float32"), np.array(1.0, dtype="float64"))
    check(torch, "dist", rand(3, dtype="complex64"), rand(3, dtype="complex64"))
    check(torch, "dist", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    same_error(torch, "dist", rand(3, dtype="int64"), rand(3, dtype="int64"))
    same_error(torch, "dist", rand(3), 1.0)
    same_error(torch, "dist", rand(3, 4), rand(5))
    gradcheck(lambda a, b: ember.dist(a, b), rand(3, 4), rand(4))
    gradcheck(lambda a, b: ember.dist(a, b, 3), rand(3, 4), rand(4))
