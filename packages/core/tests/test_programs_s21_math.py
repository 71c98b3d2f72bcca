"""Math functions against PyTorch at their edges (session 21, lane E): digamma and
trigamma as PyTorch's kernels compute them, float32 overflow of the modified Bessel
functions, signed zeros, nan_to_num's half-precision defaults, logit's gradient at 0."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(21)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.7, -3.7,
         1e-30, -1e-30, 1e-8, 1e30, -1e30, 10.0, -7.0, 88.5, 90.0, -100.5, 1e5]


def _pair(x: np.ndarray) -> tuple:
    return torch.from_numpy(x.copy()), ember.from_numpy(x.copy())


def _same(t, e, rtol: float = 0.0, atol: float = 0.0) -> None:
    """Same dtype and shape; values equal within tolerance, nan/inf and zero signs alike."""
    a, b = t.detach().numpy(), e.detach().numpy()
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
    np.testing.assert_array_equal(np.signbit(a[a == 0]), np.signbit(b[a == 0]))
    fin = np.isfinite(a)
    np.testing.assert_allclose(b[fin], a[fin], rtol=rtol, atol=atol)


def _data(dt: type) -> np.ndarray:
    r = np.concatenate([RNG.standard_normal(300) * 4, RNG.uniform(-30, 30, 300),
                        np.array(EDGES)])
    return r.astype(dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1])
def test_polygamma_0_1_follow_torch_kernels(dt: type, n: int) -> None:
    # near-pole values (torch: huge finite trigamma at negative integers) and the float32
    # arithmetic of torch's kernels; tolerance: a few float32 ulps for libm differences
    t, e = _pair(_data(dt))
    tol = dict(rtol=2e-6, atol=1e-6) if dt is np.float32 else dict(rtol=1e-13, atol=1e-13)
    _same(torch.polygamma(n, t), ember.polygamma(n, e), **tol)
    _same(torch.special.polygamma(n, t), ember.special.polygamma(n, e), **tol)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_digamma_values_and_grad(dt: type) -> None:
    t, e = _pair(_data(dt))
    tol = dict(rtol=2e-6, atol=1e-6) if dt is np.float32 else dict(rtol=1e-13, atol=1e-13)
    _same(torch.digamma(t), ember.digamma(e), **tol)
    _same(torch.special.psi(t), ember.special.psi(e), **tol)
    x = np.array([0.3, 1.7, -0.4, 2.5, -2.2, 0.05, 4.0, 12.0, -7.5])
    tx, ex = (v.requires_grad_() for v in _pair(x))
    torch.digamma(tx).sum().backward()
    ember.digamma(ex).sum().backward()
    _same(tx.grad, ex.grad, rtol=1e-13)


def test_trigamma_at_poles_is_finite_as_torch() -> None:
    x = np.array([-1.0, -2.0, -7.0, 0.0, -0.0, -1e30, 1e-30])
    for dt in (np.float32, np.float64):
        t, e = _pair(x.astype(dt))
        _same(torch.polygamma(1, t), ember.polygamma(1, e), rtol=1e-6)


@pytest.mark.parametrize("name", ["i0", "special.i0", "special.i1", "special.modified_bessel_i0",
                                  "special.modified_bessel_i1", "special.i1e", "special.i0e"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_modified_bessel_i_overflow_and_signed_zero(name: str, dt: type) -> None:
    # float32: exp(|x|) overflows past 88.72 (inf), inf / inf at +-inf (nan); i1(-0) is +0
    x = np.array([0.0, -0.0, 88.7, 88.75, -89.0, 90.0, -100.0, np.inf, -np.inf, np.nan,
                  1.0, -3.7], dt)
    t, e = _pair(x)

    def get(mod):
        for part in name.split("."):
            mod = getattr(mod, part)
        return mod

    _same(get(torch)(t), get(ember)(e), rtol=1e-6 if dt is np.float32 else 1e-12)


def test_zeta_nan_s_at_pole_of_q() -> None:
    s = np.array([np.nan, 0.5, 1.0, 2.0, np.nan, np.nan, 2.0])
    q = np.array([0.0, -1.0, -2.0, -3.0, 1.0, -1.5, np.nan])
    (ts, es), (tq, eq) = _pair(s), _pair(q)
    _same(torch.special.zeta(ts, tq), ember.special.zeta(es, eq))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_nan_to_num_defaults_per_dtype(dtype: str) -> None:
    x = [float("inf"), -float("inf"), float("nan"), 1.5, -2.0]
    t = torch.nan_to_num(torch.tensor(x, dtype=getattr(torch, dtype)))
    e = ember.nan_to_num(ember.tensor(x, dtype=getattr(ember, dtype)))
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(e.float().numpy(), t.float().numpy())
    t2 = torch.nan_to_num(torch.tensor(x, dtype=getattr(torch, dtype)), nan=1.0, posinf=7.0)
    e2 = ember.nan_to_num(ember.tensor(x, dtype=getattr(ember, dtype)), nan=1.0, posinf=7.0)
    np.testing.assert_array_equal(e2.float().numpy(), t2.float().numpy())


@pytest.mark.parametrize("eps", [None, 0.0, 0.1])
def test_logit_grad_at_zero_and_one(eps) -> None:
    x = np.array([0.0, -0.0, 1.0, 0.5, -0.2, 1.2, 0.05, np.nan], np.float32)
    g = np.array([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0], np.float32)
    tx, ex = (v.requires_grad_() for v in _pair(x))
    torch.special.logit(tx, eps).backward(torch.from_numpy(g))
    ember.special.logit(ex, eps).backward(ember.from_numpy(g))
    _same(tx.grad, ex.grad, rtol=1e-6)


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "chebyshev_polynomial_u",
                                  "hermite_polynomial_h", "hermite_polynomial_he",
                                  "laguerre_polynomial_l", "legendre_polynomial_p",
                                  "shifted_chebyshev_polynomial_w"])
def test_polynomial_float32_recurrence_overflows_as_torch(name: str) -> None:
    # float32 recurrences overflow to inf and then inf - inf = nan, as PyTorch's float32 kernel
    x = np.array([1e10, -1e10, 3e5, 2.0, -2.0, 0.25, np.nan], np.float32)
    t, e = _pair(x)
    for n in (3, 10, 40):
        _same(getattr(torch.special, name)(t, n), getattr(ember.special, name)(e, n),
              rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_polynomial_degree_one_keeps_negative_zero(dt: type) -> None:
    t, e = _pair(np.array([-0.0, 0.0, -0.5], dt))
    for name in ("hermite_polynomial_he", "legendre_polynomial_p", "chebyshev_polynomial_t"):
        for n in (1, 3):
            _same(getattr(torch.special, name)(t, n), getattr(ember.special, name)(e, n),
                  rtol=1e-6)
