"""``add``/``sub`` with alpha, ``addcmul``, ``addcdiv`` and ``lerp`` bit for bit PyTorch's.

PyTorch's CPU kernels round ``a + alpha * b`` once (FMA); Ember emulates that (ops/_fma.py).
Sizes straddle the vector widths (scalar tails), with 0-d, broadcast and strided inputs.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import ember
from ember.ops._fma import _emulated, axpy, fma

SIZES = (1, 7, 8, 15, 16, 17, 33, 1000, 4099)
DTYPES = (np.float32, np.float64)


def _pair(e, t):
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def _inputs(dt, n, seed=0):
    rng = np.random.default_rng(seed + n)
    a, b = (rng.standard_normal(n).astype(dt) for _ in range(2))
    c = (rng.standard_normal(n) + 2.5).astype(dt)
    return a, b, c


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("alpha", (0.3, -1.7, 2))
def test_add_sub_alpha(torch, dt, n, alpha):
    a, b, _ = _inputs(dt, n)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    _pair(ember.add(ea, eb, alpha=alpha), torch.add(ta, tb, alpha=alpha))
    _pair(ember.sub(ea, eb, alpha=alpha), torch.sub(ta, tb, alpha=alpha))
    _pair(ea.clone().add_(eb, alpha=alpha), ta.clone().add_(tb, alpha=alpha))
    _pair(ea.clone().sub_(eb, alpha=alpha), ta.clone().sub_(tb, alpha=alpha))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("value", (1, 0.3, -2.5))
def test_addcmul_addcdiv(torch, dt, n, value):
    a, b, c = _inputs(dt, n)
    E, T = [ember.tensor(x) for x in (a, b, c)], [torch.tensor(x) for x in (a, b, c)]
    _pair(ember.addcmul(*E, value=value), torch.addcmul(*T, value=value))
    _pair(ember.addcdiv(*E, value=value), torch.addcdiv(*T, value=value))
    _pair(E[0].clone().addcmul_(E[1], E[2], value=value),
          T[0].clone().addcmul_(T[1], T[2], value=value))
    _pair(E[0].clone().addcdiv_(E[1], E[2], value=value),
          T[0].clone().addcdiv_(T[1], T[2], value=value))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_lerp(torch, dt, n):
    a, b, _ = _inputs(dt, n)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    for w in (0.1, 0.3, 0.5, 0.7, -0.2, 1.3):
        _pair(ember.lerp(ea, eb, w), torch.lerp(ta, tb, w))
        _pair(ea.clone().lerp_(eb, w), ta.clone().lerp_(tb, w))
    w = np.random.default_rng(n).uniform(-0.5, 1.5, n).astype(dt)
    _pair(ember.lerp(ea, eb, ember.tensor(w)), torch.lerp(ta, tb, torch.tensor(w)))


@pytest.mark.parametrize("dt", DTYPES)
def test_broadcast_strided_0d(torch, dt):
    rng = np.random.default_rng(7)
    A = rng.standard_normal((64, 63)).astype(dt)
    B = rng.standard_normal((63,)).astype(dt)
    s = dt(rng.standard_normal())
    eA, eB, tA, tB = ember.tensor(A), ember.tensor(B), torch.tensor(A), torch.tensor(B)
    _pair(ember.add(eA, eB, alpha=0.3), torch.add(tA, tB, alpha=0.3))  # b along the rows
    _pair(ember.sub(eA, eB, alpha=-0.7), torch.sub(tA, tB, alpha=-0.7))
    C = rng.standard_normal((63, 64)).astype(dt)
    _pair(ember.add(eA, ember.tensor(C).t(), alpha=0.3),
          torch.add(tA, torch.tensor(C).t(), alpha=0.3))  # strided
    _pair(ember.add(ember.tensor(s), eA, alpha=0.3), torch.add(torch.tensor(s), tA, alpha=0.3))
    _pair(ember.add(ember.tensor(s), ember.tensor(dt(1.25)), alpha=0.3),
          torch.add(torch.tensor(s), torch.tensor(dt(1.25)), alpha=0.3))
    _pair(ember.addcmul(eB, eA, eA, value=0.3), torch.addcmul(tB, tA, tA, value=0.3))
    _pair(ember.lerp(eA, ember.tensor(s), 0.3), torch.lerp(tA, torch.tensor(s), 0.3))


@pytest.mark.parametrize("dt", DTYPES)
def test_special_values(torch, dt):
    sp = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e38, -1e38, 3e-45, 1.0], dt)
    for other in (sp[::-1].copy(), np.roll(sp, 3)):
        E = [ember.tensor(x) for x in (sp, other)]
        T = [torch.tensor(x) for x in (sp, other)]
        for alpha in (0.5, 0.0, -3.0):
            _pair(ember.add(*E, alpha=alpha), torch.add(*T, alpha=alpha))
        _pair(ember.addcmul(E[0], E[1], E[1], value=0.5),
              torch.addcmul(T[0], T[1], T[1], value=0.5))
        _pair(ember.lerp(*E, 0.3), torch.lerp(*T, 0.3))


def test_fma_emulation_exact():
    """The emulation is the correctly rounded ``a * b + c`` (checked with exact fractions)."""
    rng = np.random.default_rng(3)
    n = 400
    a = rng.standard_normal(n) * np.exp2(rng.integers(-40, 40, n))
    b = rng.standard_normal(n)
    for c in (rng.standard_normal(n) * np.exp2(rng.integers(-40, 40, n)), -(a * b)):
        want = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
        np.testing.assert_array_equal(fma(a, b, c, np.float64), want)
        np.testing.assert_array_equal(_emulated(a, 0.1, c, np.float64),
                                      [float(Fraction(x) * Fraction(0.1) + Fraction(z))
                                       for x, z in zip(a, c)])
        a32, b32, c32 = (v.astype(np.float32) for v in (a, b, c))
        want32 = [np.float32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
                  for x, y, z in zip(a32, b32, c32)]
        np.testing.assert_array_equal(fma(a32, b32, c32, np.float32), np.array(want32))


@pytest.mark.parametrize("dt", DTYPES)
def test_axpy_rounds_once(dt):
    """The BLAS fast path, where used, agrees with the emulation (tails included)."""
    rng = np.random.default_rng(4)
    for n in (1, 5, 31, 8193, 20000):
        x, y = rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt)
        want = _emulated(x, dt(0.7), y, dt)
        if axpy(y, 0.7, x):
            np.testing.assert_array_equal(y, want)
