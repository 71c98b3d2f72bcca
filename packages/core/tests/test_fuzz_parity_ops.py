"""Differences that differential fuzzing against PyTorch found in everyday ops: bfloat16
ordering with NaN, half tensors with Python numbers, quantile ranks, integer promotion in
float-computing binary ops, integer linspace/logspace, and double accumulation in var/std.

Every case builds the same seeded data for both libraries and compares with the torch
fixture (exactly where PyTorch's result is exactly reproducible)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing.oracle import assert_same_as_torch

NAN, INF = float("nan"), float("inf")


def _t(m: Any, arr: Any, dt: str) -> Any:
    """``arr`` as a tensor of dtype ``dt`` of module ``m`` (bfloat16 through float32)."""
    if dt == "bfloat16":
        return m.tensor(np.asarray(arr, dtype=np.float32)).to(m.bfloat16)
    return m.tensor(np.asarray(arr), dtype=getattr(m, dt))


def _same(torch: Any, fn: Any, *arrays: tuple, exact: bool = False) -> None:
    """``fn(module, *tensors)`` for both libraries; ``arrays`` are ``(data, dtype)`` pairs."""
    expected = fn(torch, *(_t(torch, a, d) for a, d in arrays))
    actual = fn(ember, *(_t(ember, a, d) for a, d in arrays))
    kw = {"rtol": 0, "atol": 0} if exact else {}
    assert_same_as_torch(actual, expected, **kw)


def _with_specials(rng: np.random.Generator, shape: tuple, frac: float = 0.3) -> np.ndarray:
    a = rng.standard_normal(shape).astype(np.float32)
    pick = rng.random(shape) < frac
    return np.where(pick, rng.choice(np.array([NAN, INF, -INF, 0.0, 1.0], np.float32), shape), a)


# ------------------------------------------------------------------ bfloat16 ordering
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dim", [0, -1])
def test_bfloat16_sort_topk_with_nan(torch, seed, dim):
    # NumPy's sorts misplace NaN in ml_dtypes' bfloat16: nothing was sorted at all
    a = _with_specials(np.random.default_rng(seed), (5, 6))
    _same(torch, lambda m, x: [m.sort(x, dim=dim, stable=True),
                               m.sort(x, dim=dim, descending=True, stable=True),
                               m.argsort(x, dim=dim, stable=True), m.msort(x),
                               m.topk(x, 3, dim=dim).values,
                               m.topk(x, 2, dim=dim, largest=False).values], (a, "bfloat16"))
    _same(torch, lambda m, x: m.sort(x.t(), dim=dim, stable=True), (a, "bfloat16"))


@pytest.mark.parametrize("seed", range(3))
def test_bfloat16_unique_median_with_nan(torch, seed):
    rng = np.random.default_rng(seed)
    a = np.round(_with_specials(rng, (4, 5)), 1)
    # unique keeps every NaN apart, as PyTorch does: compare the sorted finite part and counts
    _same(torch, lambda m, x: [m.unique(x)[:8], m.unique(x, return_counts=True)[1].sum(),
                               m.median(x), m.nanmedian(x), m.median(x, 1).values,
                               m.nanmedian(x, 0).values, m.kthvalue(x, 2, 1).values],
          (a, "bfloat16"))
    b = np.round(rng.standard_normal((3, 8)), 0)
    _same(torch, lambda m, x: [m.unique(x, return_inverse=True, return_counts=True),
                               m.unique(x, dim=1), m.mode(x, 1).values], (b, "bfloat16"))


def test_mode_nan_index_is_in_range(torch):
    a = np.array([[0.0, 2.5, NAN, 0.75]], np.float32)
    _same(torch, lambda m, x: [m.mode(x, 0), m.mode(x[0, 2:3], 0)], (a, "float32"))


@pytest.mark.parametrize("dt", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_median_of_empty_integer_tensor(torch, dt):
    _same(torch, lambda m, x: [m.median(x), m.nanmedian(x)], (np.zeros((0, 3)), dt))


# ------------------------------------------------------------------ quantiles
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_quantile_nearest_ranks_in_double(torch, dt):
    # PyTorch takes q * (n - 1) in double from q in the input dtype: 0.3f * 15 > 4.5 rounds up
    x = np.arange(16.0)
    qs = [0.3, 0.1, 0.7, 0.35, 0.45]
    _same(torch, lambda m, a: [m.quantile(a, q, interpolation="nearest") for q in qs]
          + [m.nanquantile(a, q, interpolation="nearest") for q in qs]
          + [m.quantile(a, m.tensor(qs, dtype=a.dtype), interpolation="nearest")],
          (x, dt), exact=True)


def test_quantile_interpolates_infinities_like_lerp(torch):
    x = np.array([[1.0, INF, INF, 2.0], [-INF, 0.0, 2.0, 5.0]], np.float64)
    _same(torch, lambda m, a: [m.quantile(a, q, dim=1, interpolation=i)
                               for q in (0.25, 0.5, 0.9)
                               for i in ("linear", "midpoint", "lower", "nearest")], (x, "float64"))


# ------------------------------------------------------------------ integer promotion
@pytest.mark.parametrize("op", ["xlogy", "atan2", "copysign"])
def test_float_computing_ops_convert_each_operand(torch, op):
    # int64 300 (0-d) beside uint8: the common dtype is uint8, but each operand converts to
    # float from its own dtype; 300 must not wrap to 44 first
    u = np.array([[0, 2, 128, 7]], np.uint8)
    _same(torch, lambda m, a: [getattr(m, op)(m.tensor(300), a), getattr(m, op)(a, m.tensor(-3))],
          (u, "uint8"))


def test_remainder_of_number_by_bfloat16(torch):
    a = np.array([1.5, 2.0, -0.75, 3.0], np.float32)
    _same(torch, lambda m, x: [1 % x, m.remainder(1.5, x), 2 // x, m.fmod(x, 0.7)],
          (a, "bfloat16"))


@pytest.mark.parametrize("dt", ["int8", "int32", "int64", "uint8"])
def test_integer_division_by_zero_on_empty_tensors(torch, dt):
    _same(torch, lambda m, a: [m.floor_divide(a, 0), m.remainder(a, 0), m.fmod(a, 0),
                               m.div(a, 0, rounding_mode="trunc"), a // m.zeros(1, dtype=a.dtype)],
          (np.zeros((2, 0)), dt))


def test_scatter_reduce_mean_keeps_integer_dtype(torch):
    base = np.array([[3, -5, 7, 0], [1, 2, -3, 9], [0, 0, 4, -8]])
    src = np.array([[-3, -2, -7, 0], [5, 1, 1, -4]])
    idx = np.array([[0, 1, 0, 2], [2, 1, 1, 2]])
    for dt in ("int16", "uint8", "int32"):
        b = np.abs(base) if dt == "uint8" else base
        s = np.abs(src) if dt == "uint8" else src
        _same(torch, lambda m, x, i, y: [x.scatter_reduce(0, i, y, "mean", include_self=inc)
                                         for inc in (True, False)],
              (b, dt), (idx, "int64"), (s, dt))


# ------------------------------------------------------------------ creation
@pytest.mark.parametrize("start,end,steps", [(0.5, 5, 5), (2, 3.7, 2), (0.5, -2, 7), (2, -2, 7),
                                             (-3.7, 10, 6), (0, 3, 4)])
@pytest.mark.parametrize("dt", ["int64", "int16"])
def test_integer_linspace_logspace_truncate_ends(torch, start, end, steps, dt):
    _same(torch, lambda m: [m.linspace(start, end, steps, dtype=getattr(m, dt)),
                            m.logspace(start, end, steps, base=2, dtype=getattr(m, dt)),
                            m.logspace(start, end, min(steps, 4), dtype=m.int64)])


# ------------------------------------------------------------------ half precision
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_tensor_times_python_number_in_float32(torch, dt):
    # PyTorch's mul and div keep the number unrounded and round once: x * 0.1 != x * half(0.1)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((8, 16)) * rng.choice([1.0, 100.0, 1e-3], (8, 16))).astype(np.float32)
    big = 1e4 if dt == "float16" else 1e30

    def run(m: Any, a: Any) -> list:
        c = a.clone()
        c *= 0.1
        d = a.clone()
        d /= 3.3
        return [a * 0.1, 0.1 * a, a * big, a / 0.3, 3.3 / a, a * 3, a.mul(2.2), a.div(0.7),
                m.mul(a, 1e-3), c, d, a + 0.1, a - 1 / 3]

    _same(torch, run, (x, dt), exact=True)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_scalar_mul_gradient(torch, dt):
    def run(m: Any, a: Any) -> list:
        a.requires_grad_(True)
        y = a * 0.1 + a / 0.3
        y.sum().backward()
        return [y.detach(), a.grad]

    _same(torch, run, (np.linspace(-2, 2, 12), dt), exact=True)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_lerp_addcmul_addcdiv_in_float32(torch, dt):
    rng = np.random.default_rng(1)
    s, e, w = (rng.standard_normal((8, 16)).astype(np.float32) * 3 for _ in range(3))
    e[0, :4] = [60000.0, -60000.0, 1e4, -1e4]
    _same(torch, lambda m, a, b, c: [m.lerp(a, b, c), m.lerp(a, b, 0.3), m.lerp(a, b, 0.7),
                                     m.addcmul(a, b, c, value=0.5), m.addcdiv(a, b, c, value=2),
                                     m.addcmul(a, b, c)],
          (s, dt), (e, dt), (w, dt), exact=True)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_add_alpha_keeps_dtype(torch, dt):
    a = np.array([1.5, 2.0, -0.25, 3.0], np.float32)
    _same(torch, lambda m, x, y: [m.sub(y, x, alpha=0.5), m.add(x, x, alpha=0.5),
                                  m.add(y, x, alpha=2), x.add(3, alpha=0.5)],
          (a, dt), (np.float32(0.3), dt), exact=True)


def test_float16_round_decimals_in_float32(torch):
    x = np.array([4.75390625, -1.1640625, 1.01e-6, 123.456, 0.125, 2.675], np.float16)
    _same(torch, lambda m, a: [m.round(a, decimals=d) for d in (1, 2, 3, -1)], (x, "float16"),
          exact=True)


def test_float16_sinc_of_large_values(torch):
    x = np.array([-60000.0, 0.5, 3.25, 20000.0, 0.0, -INF], np.float16)
    _same(torch, lambda m, a: m.sinc(a), (x, "float16"))


def test_bfloat16_nan_to_num_defaults_are_finite(torch):
    x = np.array([NAN, INF, -INF, 1.5], np.float32)
    _same(torch, lambda m, a: [m.nan_to_num(a), m.nan_to_num(a, posinf=1.0)], (x, "bfloat16"),
          exact=True)


def test_bfloat16_logit_eps_bounds_in_dtype(torch):
    x = np.array([0.5, 2.0, -1.0, 0.9995, 0.001], np.float32)
    _same(torch, lambda m, a: [m.logit(a, 1e-3), m.special.logit(a, 1e-3)], (x, "bfloat16"))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_norm_accumulates_in_float32(torch, dt):
    # |x| > 256 squares past float16's range
    x = np.array([[300.0, -400.0, 0.5], [1000.0, 2.0, -60000.0]], np.float32)
    _same(torch, lambda m, a: [m.norm(a), m.norm(a, dim=1), m.norm(a, 3, dim=0),
                               m.norm(a, 1), a.norm(p=2, dim=-1, keepdim=True)], (x, dt))


# ------------------------------------------------------------------ pow, var/std
@pytest.mark.parametrize("dt", ["float32", "float64", "bfloat16", "float16"])
def test_pow_half_exponents_take_sqrt(torch, dt):
    # PyTorch computes x ** 0.5 and x ** -0.5 as sqrt(x) and 1 / sqrt(x) (not float16)
    x = np.array([-0.0, -INF, 4.0, -4.0, 0.0, 3.0, INF], np.float32)
    _same(torch, lambda m, a: [a ** 0.5, m.pow(a, -0.5), a.pow(-0.5)], (x, dt))


@pytest.mark.parametrize("dt", ["float32", "bfloat16", "float16"])
def test_var_std_accumulate_without_overflow(torch, dt):
    big = 60000.0 if dt == "float16" else 1e30
    x = np.array([[big, 0.5, -1.25, 2.0], [0.0, 1.0, -big, 3.0]], np.float32)
    _same(torch, lambda m, a: [a.var(), a.std(1), m.var(a, 0, correction=0), m.std(a, 1, True),
                               m.var_mean(a, 1)[0], m.std_mean(a)[0]], (x, dt))

