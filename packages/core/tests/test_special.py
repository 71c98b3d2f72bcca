"""``ember.special`` and softmax against ``torch.special``: values over wide ranges (tails
included), dtypes, gradients, gradcheck, and the kernels' Chebyshev coefficients."""

# ruff: noqa: B023  (the lambdas given to compare() are called at once)

from __future__ import annotations

import numpy as np
import pytest
from _pointwise_helpers import SHAPES, compare, gradcheck, grads_match, pair, sample

import ember
import ember.special as S

UNARY = {  # name: (lo, hi) for random inputs
    "erf": (-4, 4), "erfc": (-4, 10), "erfcx": (-5, 30), "erfinv": (-0.99, 0.99),
    "expit": (-20, 20), "logit": (0.01, 0.99), "gammaln": (0.05, 30), "digamma": (0.05, 30),
    "psi": (0.05, 30), "i0": (-30, 30), "i0e": (-50, 50), "i1": (-30, 30), "i1e": (-50, 50),
    "ndtr": (-10, 10), "ndtri": (0.001, 0.999), "log_ndtr": (-30, 10), "sinc": (-5, 5),
    "entr": (0, 5), "round": (-5, 5), "expm1": (-3, 3), "exp2": (-3, 3), "log1p": (-0.9, 5),
}
GRAD_DOMAIN = {"erfcx": (-2, 5), "i0": (-4, 4), "i1": (-4, 4), "i0e": (-4, 4), "i1e": (-4, 4),
               "gammaln": (0.2, 6), "digamma": (0.2, 6), "psi": (0.2, 6), "entr": (0.1, 3),
               "log_ndtr": (-5, 5), "ndtri": (0.05, 0.95), "ndtr": (-4, 4), "expit": (-5, 5)}
EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1e-300, -1e-300, 1e-10, 26.0, -26.0, 27.0,
                  -27.0, 38.0, -38.0, 700.0, -700.0, 720.0, np.inf, -np.inf, np.nan, -2.0, -3.5,
                  1 - 1e-16, -1 + 1e-16, 1e-320, 0.9999999, 5e-324])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_match_torch(torch, name, dtype, shape):
    lo, hi = UNARY[name]
    e, t = pair(sample(shape, dtype, lo, hi, seed=3), torch)
    compare(lambda: getattr(S, name)(e), lambda: getattr(torch.special, name)(t), equal_nan=True)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_edge_values_match_torch(torch, name):
    x = EDGES
    if name in ("digamma", "psi"):  # PyTorch loses digits next to the poles
        with np.errstate(invalid="ignore"):
            x = x[~(np.abs(x - np.round(x)) <= 1e-12)]
    e, t = pair(x, torch)
    # PyTorch's ndtr underflows to 0 below -20 where Ember keeps the (tiny) value
    atol = 1e-16 if name == "ndtr" else 1e-300
    compare(lambda: getattr(S, name)(e), lambda: getattr(torch.special, name)(t), equal_nan=True,
            rtol=1e-9, atol=atol, msg=name)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfcx", "ndtr", "log_ndtr", "erfinv", "ndtri",
                                  "gammaln", "digamma", "i0e", "i1e"])
def test_precision_over_wide_ranges(torch, name):
    rng = np.random.default_rng(8)
    if name in ("erfinv",):
        x = np.concatenate([rng.uniform(-1, 1, 3000), 1 - 10.0 ** -rng.uniform(1, 15.9, 500),
                            10.0 ** -rng.uniform(1, 300, 500)])
    elif name == "ndtri":
        x = np.concatenate([rng.uniform(0, 1, 3000), 10.0 ** -rng.uniform(1, 300, 500),
                            1 - 10.0 ** -rng.uniform(1, 15.9, 500)])
    else:
        x = np.concatenate([rng.normal(0, 4, 3000), rng.uniform(-40, 40, 1000)])
        if name in ("gammaln", "digamma"):
            x = np.concatenate([np.abs(x) + 1e-3, 10.0 ** rng.uniform(-5, 8, 500),
                                -np.abs(x) - 0.013])
    e, t = pair(x, torch)
    compare(lambda: getattr(S, name)(e), lambda: getattr(torch.special, name)(t), equal_nan=True,
            rtol=1e-10 if name not in ("gammaln", "digamma") else 1e-8,
            atol=1e-15 if name == "ndtr" else 1e-300, msg=name)  # PyTorch's ndtr is 1 + erf


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"round"}))
def test_gradients(torch, name):
    lo, hi = GRAD_DOMAIN.get(name, UNARY[name])
    arr = sample("matrix", "float64", lo, hi, seed=5)
    grads_match(getattr(S, name), getattr(torch.special, name), [arr], torch)
    gradcheck(getattr(S, name), arr[:2, :3])


def test_binary_special_functions(torch):
    x = sample("matrix", "float64", -2, 2, seed=1)
    y = sample("row", "float64", -0.9, 3, seed=2)
    for name in ("xlogy", "xlog1py"):
        e_x, t_x = pair(x, torch)
        e_y, t_y = pair(y, torch)
        compare(lambda: getattr(S, name)(e_x, e_y), lambda: getattr(torch.special, name)(t_x, t_y),
                equal_nan=True)
        compare(lambda: getattr(S, name)(e_x, 2.0), lambda: getattr(torch.special, name)(t_x, 2.0))
        compare(lambda: getattr(S, name)(3, e_y), lambda: getattr(torch.special, name)(3, t_y),
                equal_nan=True)
        grads_match(getattr(S, name), getattr(torch.special, name), [x, np.abs(y) + 0.1], torch)
        gradcheck(getattr(S, name), x[:2, :2], np.abs(y[:2]) + 0.1)
    zx = np.array([1.5, 2.0, 3.0, 1.0, 0.5, 4.0, 2.0, 3.0])
    zq = np.array([0.5, 1.0, 2.5, 1.0, 1.0, -1.5, -2.0, 30.0])
    (ex, tx), (eq, tq) = pair(zx, torch), pair(zq, torch)
    compare(lambda: S.zeta(ex, eq), lambda: torch.special.zeta(tx, tq), equal_nan=True)
    compare(lambda: S.zeta(ex, 2.0), lambda: torch.special.zeta(tx, 2.0))
    xz = ember.tensor([2.5, 3.0], dtype=ember.float64)
    qz = ember.tensor([0.7, 2.0], dtype=ember.float64, requires_grad=True)
    S.zeta(xz, qz).sum().backward()
    tq2 = torch.tensor([0.7, 2.0], dtype=torch.float64, requires_grad=True)
    torch.special.zeta(torch.tensor([2.5, 3.0], dtype=torch.float64), tq2).sum().backward()
    np.testing.assert_allclose(qz.grad.numpy(), tq2.grad.numpy(), rtol=1e-9)


def test_gamma_family_special_points(torch):
    x = np.array([0.0, -0.0, -1.0, -2.0, -0.5, -1.5, 1.0, 2.0, 1e-8, 1e10, np.inf, -np.inf])
    e, t = pair(x, torch)
    for name in ("gammaln", "digamma"):
        compare(lambda: getattr(S, name)(e), lambda: getattr(torch.special, name)(t),
                equal_nan=True, msg=name)
    for p in (1, 3):
        y = sample("matrix", "float64", 2, 9, seed=p)
        grads_match(lambda a: S.multigammaln(a, p), lambda a: torch.special.multigammaln(a, p),
                    [y], torch)
    e, t = pair(x[:-2], torch)  # PyTorch gives NaN at +inf
    compare(lambda: S.polygamma(3, e), lambda: torch.special.polygamma(3, t), equal_nan=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(torch, name):
    x = sample("matrix", "float64", -5, 5, seed=2)
    for dim in (0, 1, -1):
        grads_match(lambda a: getattr(ember, name)(a, dim), lambda a: getattr(torch, name)(a, dim),
                    [x], torch)
        grads_match(lambda a: getattr(S, name)(a, dim), lambda a: getattr(torch.special, name)(
            a, dim), [x], torch)
    gradcheck(lambda a: getattr(ember, name)(a, 1), x[:2, :3])
    big = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]],
                   dtype=np.float32)
    e, t = pair(big, torch)
    compare(lambda: getattr(ember, name)(e, 1), lambda: getattr(torch, name)(t, 1),
            equal_nan=True)
    compare(lambda: getattr(e, name)(0), lambda: getattr(t, name)(0), equal_nan=True)
    for shape in ("0d", "empty", "transposed"):
        e, t = pair(sample(shape, "float32", seed=4), torch)
        compare(lambda: getattr(ember, name)(e, 0), lambda: getattr(torch, name)(t, 0))
    ei, ti = pair(np.array([[1, 2, 3]]), torch)
    compare(lambda: getattr(ember, name)(ei, 1), lambda: getattr(torch, name)(ti, 1))
    compare(lambda: getattr(ember, name)(ei, 1, dtype=ember.float64),
            lambda: getattr(torch, name)(ti, 1, dtype=torch.float64))
    ef, tf = pair(x.astype(np.float32), torch)
    grads_match(lambda a: getattr(ember, name)(a, 1, dtype=ember.float64),
                lambda a: getattr(torch, name)(a, 1, dtype=torch.float64), [x.astype(np.float32)],
                torch)
    # PyTorch's text, after the op's name
    with pytest.raises(IndexError, match=rf"^{name}: Dimension out of range \(expected to be in "
                                         r"range of \[-2, 1\], but got 2\)$"):
        getattr(ember, name)(ef, 2)


def test_logsumexp_in_special(torch):
    x = sample("matrix", "float64", -5, 5, seed=2)
    e, t = pair(x, torch)
    compare(lambda: S.logsumexp(e, 1), lambda: torch.special.logsumexp(t, 1))
    compare(lambda: S.logsumexp(e, (0, 1), keepdim=True),
            lambda: torch.special.logsumexp(t, (0, 1), keepdim=True))


def test_float_inputs_keep_their_dtype():
    for dt in (ember.float16, ember.float32, ember.float64):
        x = ember.tensor([0.25, 0.5], dtype=dt)
        for name in ("erf", "erfinv", "gammaln", "i0e", "ndtri", "log_ndtr", "entr"):
            if dt is ember.float16 and name in ("ndtri", "log_ndtr"):
                continue  # PyTorch has no half kernel for these (NotImplementedError)
            assert getattr(S, name)(x).dtype is dt, (name, dt)


def test_chebyshev_coefficients_regenerate():
    mp = pytest.importorskip("mpmath")
    from ember.ops import _special_kernels as K

    mp.mp.dps = 30
    n = 40

    def coeffs(f):
        xs = [mp.cos(mp.pi * (j + 0.5) / n) for j in range(n)]
        fs = [f(x) for x in xs]
        return [float(2 * mp.fsum(fs[j] * mp.cos(mp.pi * k * (j + 0.5) / n)
                                  for j in range(n)) / n / (2 if k == 0 else 1))
                for k in range(8)]

    def erfcx_h(u):
        t = (u + 1) / 2
        z = 2 / t - 2
        return mp.log(mp.erfc(z) * mp.exp(z * z) / t)

    def i0e_small(u):
        x = 4 * (u + 1)
        return mp.besseli(0, x) * mp.exp(-x)

    np.testing.assert_allclose(coeffs(erfcx_h), K.ERFCX[:8], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(coeffs(i0e_small), K.I0E_SMALL[:8], rtol=1e-9, atol=1e-15)
