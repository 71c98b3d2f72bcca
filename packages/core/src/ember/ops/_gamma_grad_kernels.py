"""Reparameterized gradients of gamma and Dirichlet samples (implicit differentiation).

For a sample ``x`` of a distribution with CDF ``F(x; a)``, ``dx/da = -(dF/da) / pdf``.
These kernels evaluate the approximations PyTorch's CPU kernels use, so gradients of
``rsample`` agree with PyTorch's to rounding: for the standard gamma, a Taylor series
for small ``x``, Rice's saddle-point expansion for large ``alpha`` and a bivariate
rational fit elsewhere; for the marginal Beta of a Dirichlet, series near 0 and 1, a
saddle-point expansion when both shapes are large, and a rational correction to an
analytic approximation elsewhere (Jankowiak and Obermeyer, 2018). Inputs are float64
NumPy arrays of one shape; every branch is evaluated and the right one selected.
"""

from __future__ import annotations

import numpy as np

from . import _special_kernels as S

__all__ = ["standard_gamma_grad", "dirichlet_grad"]

_F = np.float32


def _digamma(x: np.ndarray) -> np.ndarray:
    return S.digamma(np, x)


def _f(v: float) -> float:
    """A C++ ``float`` literal as the double it widens to."""
    return float(_F(v))


# bivariate rational fit of log(dx/dalpha) in u = log(x / alpha), v = log(alpha)
_GAMMA_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07]])


def _gamma_small_x(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    numer = np.ones_like(x)
    denom = a.copy()
    s1 = numer / denom
    s2 = numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        s1 = s1 + numer / denom
        s2 = s2 + numer / (denom * denom)
    pow_xa = x ** a
    pdf = x ** (a - 1) * np.exp(-x)
    cdf = pow_xa * s1
    cdf_a = (np.log(x) - _digamma(a)) * cdf - pow_xa * s2
    r = -cdf_a / pdf
    return np.where(np.isnan(r), 0.0, r)


def _gamma_large_alpha(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    near = (_f(0.9) * a <= x) & (x <= _f(1.1) * a)
    n1 = 1 + 24 * a * (1 + 12 * a)
    n2 = 1440 * (a * a) + 6 * x * (53 - 120 * x) - 65 * x * x / a + a * (107 + 3600 * x)
    near_val = n1 * n2 / (1244160 * (a * a) * (a * a))
    denom = np.sqrt(8 * a)
    term2 = denom / (a - x)
    term3 = (x - a - a * np.log(x / a)) ** -1.5
    term23 = np.where(x < a, term2 - term3, term2 + term3)
    term1 = np.log(x / a) * term23 - np.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
    stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
    far_val = -stirling * (x * term1) / denom
    return np.where(near, near_val, far_val)


def _gamma_rational(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    u = np.log(x / a)[..., None]
    v = np.log(a)
    c = _GAMMA_UV[0] + u * (_GAMMA_UV[1] + u * _GAMMA_UV[2])
    p = c[..., 0] + v * (c[..., 1] + v * (c[..., 2] + v * c[..., 3]))
    q = c[..., 4] + v * (c[..., 5] + v * (c[..., 6] + v * c[..., 7]))
    return np.exp(p / q)


@np.errstate(all="ignore")
def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``dx/dalpha`` for samples ``x`` of the standard gamma distribution ``Gamma(alpha)``."""
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    small = x < _f(0.8)
    large = ~small & (a > 8.0)
    out = np.empty(a.shape)
    if small.any():
        out[small] = _gamma_small_x(a[small], x[small])
    if large.any():
        out[large] = _gamma_large_alpha(a[large], x[large])
    rest = ~small & ~large
    if rest.any():
        out[rest] = _gamma_rational(a[rest], x[rest])
    return out


# ---------------------------------------------------------------------- Dirichlet
def _beta_alpha_small(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dx/dalpha of Beta(a, b) near x = 0 (a Taylor series)."""
    factor = _digamma(a) - _digamma(a + b) - np.log(x)
    numer = np.ones_like(x)
    series = numer / a * (factor + 1 / a)
    for i in range(1, 11):
        numer = numer * ((i - b) * x / i)
        denom = a + i
        series = series + numer / denom * (factor + 1 / denom)
    r = x * (1 - x) ** -b * series
    return np.where(np.isnan(r), 0.0, r)


def _beta_beta_small(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dx/dbeta of Beta(a, b) near x = 0 (a Taylor series)."""
    factor = _digamma(a + b) - _digamma(b)
    numer = np.ones_like(x)
    betas = np.ones_like(x)
    dbetas = np.zeros_like(x)
    series = factor / a
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (b - i) + betas
        betas = betas * (b - i)
        series = series + numer / (a + i) * (dbetas + factor * betas)
    r = -(1 - x) ** (1 - b) * series
    return np.where(np.isnan(r), 0.0, r)


def _beta_alpha_mid(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dx/dalpha of Beta(a, b) for large a and b (a saddle-point expansion)."""
    total = a + b
    mean = a / total
    std = np.sqrt(a * b / (total + 1)) / total
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    b2 = b * b
    poly = 47 * x * b2 * b2 + a * (
        (43 + 20 * (16 + 27 * b) * x) * b2 * b + a * (
            3 * (59 + 180 * b - 90 * x) * b2 + a * (
                (453 + 1620 * b * (1 - x) - 455 * x) * b + a * (
                    8 * (1 - x) * (135 * b - 11)))))
    pre_num = (1 + 12 * a) * (1 + 12 * b) / (total * total)
    pre_den = 12960 * a * a * a * b * b * (1 + 12 * total)
    near_val = pre_num / (1 - x) * poly / pre_den
    prefactor = -x / np.sqrt(2 * a * b / total)
    stirling = ((1 + 1 / (12 * a) + 1 / (288 * a * a)) * (1 + 1 / (12 * b) + 1 / (288 * b2))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    t1_num = 2 * (a * a) * (x - 1) + a * b * (x - 1) - x * b2
    axbx = a * (x - 1) + b * x
    t1_den = np.sqrt(2 * a / b) * total ** 1.5 * axbx * axbx
    term1 = t1_num / t1_den
    term2 = 0.5 * np.log(a / (total * x))
    term3 = np.sqrt(8 * a * b / total) / (b * x + a * (x - 1))
    t4_base = b * np.log(b / (total * (1 - x))) + a * np.log(a / (total * x))
    term4 = t4_base ** -1.5
    far_val = stirling * prefactor * (term1 + term2 * (term3 + np.where(x < mean, term4,
                                                                          -term4)))
    return np.where(near, near_val, far_val)


# rational correction c[p or q][i][j][k] in powers of u = log x, a' = log alpha - u and
# b' = log total - a'
_DIR_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def _dirichlet_rational(x: np.ndarray, a: np.ndarray, total: np.ndarray) -> np.ndarray:
    u = np.log(x)
    la = np.log(a) - u
    lb = np.log(total) - la
    pu = (np.ones_like(u), u, u * u)
    pa = (np.ones_like(u), la, la * la)
    p = np.zeros_like(u)
    q = np.zeros_like(u)
    for i in range(3):
        for j in range(3):
            ua = pu[i] * pa[j]
            cp, cq = _DIR_C[0, i, j], _DIR_C[1, i, j]
            p = p + ua * (cp[0] + lb * (cp[1] + lb * (cp[2] + lb * cp[3])))
            q = q + ua * (cq[0] + lb * (cq[1] + lb * (cq[2] + lb * cq[3])))
    approx = x * (_digamma(total) - _digamma(a)) / (total - a)
    return p / q * approx


@np.errstate(all="ignore")
def dirichlet_grad(x: np.ndarray, alpha: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``dx/dalpha`` of the marginal ``Beta(alpha, total - alpha)`` at ``x`` (the other
    concentrations fixed), as PyTorch's ``_dirichlet_grad`` computes it."""
    x, a, t = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, alpha, total)))
    b = t - a
    boundary = t * x * (1 - x)
    near0 = (x <= 0.5) & (boundary < 2.5)
    near1 = ~near0 & (x >= 0.5) & (boundary < 0.75)
    mid = ~near0 & ~near1 & (a > 6) & (b > 6)
    rest = ~(near0 | near1 | mid)
    out = np.empty(x.shape)
    for mask, fn in ((near0, lambda xx, aa, bb, tt: _beta_alpha_small(xx, aa, bb)),
                     (near1, lambda xx, aa, bb, tt: -_beta_beta_small(1 - xx, bb, aa)),
                     (mid, lambda xx, aa, bb, tt: _beta_alpha_mid(xx, aa, bb)),
                     (rest, lambda xx, aa, bb, tt: _dirichlet_rational(xx, aa, tt))):
        if mask.any():
            out[mask] = fn(x[mask], a[mask], b[mask], t[mask])
    return out
