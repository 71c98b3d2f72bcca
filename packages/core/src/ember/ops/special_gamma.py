"""The regularized incomplete gamma functions: ``igamma`` (``special.gammainc``, the lower
``P(a, x)``) and ``igammac`` (``special.gammaincc``, the upper ``Q(a, x) = 1 - P``).

Kernel (float64, vectorised; the loops run over series terms until every element has
converged): the power series of ``P`` where ``x <= max(a, 1)``, Legendre's continued
fraction for ``Q`` (modified Lentz) elsewhere, the other function by complement. The
prefactor ``x**a e**-x / Gamma(a)`` uses Stirling's form with ``log1p`` for a >= 10, so
it keeps its accuracy when ``a`` and ``x`` are large and close. As in PyTorch, only the
derivative with respect to ``x`` (``other``) exists.
"""

from __future__ import annotations

import math
from typing import Any

from . import _inplace
from . import _special_kernels as K
from ._dispatch import Tensor, methods, result_type
from .arithmetic import _check_out_cast
from .pointwise_binary import as_arrays, binop
from .pointwise_unary import not_implemented, not_tensor

__all__ = ["igamma", "igammac", "igamma_", "igammac_"]
SPECIAL_ONLY = ["gammainc", "gammaincc"]

_EPS = 1.1102230246251565e-16
_TINY = 1e-300
_LOG_2PI = math.log(2.0 * math.pi)
# Stirling's series of lgamma(a) - ((a - 1/2) log a - a + log(2 pi)/2)
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def _log_prefactor(xp: Any, a: Any, x: Any) -> Any:
    """``a log(x) - x - lgamma(a)``."""
    direct = a * xp.log(x) - x - K.lgamma(xp, a)
    big = (a >= 10) & (x >= 0.5 * a)  # (below, 1 + t = x / a would lose a tiny x)
    ab = xp.where(big, a, 10.0)
    t = (x - ab) / ab
    # t - log1p(t), by its series where |t| is small
    small_t = xp.abs(t) < 0.25
    ts = xp.where(small_t, t, 0.0)
    ser = xp.zeros_like(t)
    power = ts * ts
    for k in range(2, 30):
        ser = ser + (power / k if k % 2 == 0 else -power / k)
        power = power * ts
    eta = xp.where(small_t, ser, t - xp.log1p(xp.where(small_t, 0.0, t)))
    inv = 1.0 / ab
    inv2 = inv * inv
    corr = xp.zeros_like(ab)
    for c in _STIRLING[::-1]:
        corr = corr * inv2 + c
    corr = corr * inv
    stirling = -ab * eta + 0.5 * (xp.log(ab) - _LOG_2PI) - corr
    return xp.where(big, stirling, direct)


def _converge(xp: Any, state: tuple, step: Any, done: Any) -> Any:
    """Iterate ``state = step(n, state)`` over 1-d arrays; an element leaves the loop (its
    ``state[0]`` is kept) once ``done(state)`` holds for it, so the work shrinks as the
    elements converge."""
    out = xp.empty_like(state[0])
    idx = xp.arange(state[0].shape[0])
    n = 0
    while idx.shape[0]:
        n += 1
        state = step(n, state)
        if n % 8 == 0 or n > 200000:
            fin = done(state) | (n > 200000)
            if bool(xp.any(fin)):
                out[idx[fin]] = state[0][fin]
                keep = ~fin
                idx = idx[keep]
                state = tuple(s[keep] for s in state)
    return out


def _lower_series(xp: Any, a: Any, x: Any) -> Any:
    """``sum_n x**n / (a (a+1) ... (a+n))`` (1-d arrays)."""
    term = 1.0 / a

    def step(n: int, st: tuple) -> tuple:
        total, term, a, x, last = st
        term = term * x / (a + n)
        return total + term, term, a, x, term

    return _converge(xp, (term, term, a, x, term), step,
                     lambda st: xp.abs(st[4]) <= _EPS * xp.abs(st[0]))


def _upper_fraction(xp: Any, a: Any, x: Any) -> Any:
    """Legendre's continued fraction of ``Q(a, x) / prefactor`` by modified Lentz (1-d)."""
    b = x + 1.0 - a
    c = xp.full(x.shape, 1.0 / _TINY)
    d = 1.0 / xp.where(xp.abs(b) < _TINY, _TINY, b)

    def step(i: int, st: tuple) -> tuple:
        h, b, c, d, a, _ = st
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        delta = d * c
        return h * delta, b, c, d, a, delta

    return _converge(xp, (d, b, c, d, a, d), step, lambda st: xp.abs(st[5] - 1.0) <= _EPS)


def _upper_series(xp: Any, a: Any, x: Any) -> Any:
    """``Q(a, x)`` directly where ``x <= 1.1`` and ``a`` is small (Cephes' ``igamc_series``,
    PyTorch's there): no cancellation in ``1 - P`` when ``Q`` is tiny (1-d arrays)."""
    def step(n: int, st: tuple) -> tuple:
        total, fac, term, a, x = st
        fac = fac * -x / n
        term = fac / (a + n)
        return total + term, fac, term, a, x

    zero = xp.zeros_like(x)
    total = _converge(xp, (zero, zero + 1.0, zero, a, x), step,
                      lambda st: xp.abs(st[2]) <= _EPS * xp.abs(st[0]))
    alx = a * xp.log(x)
    return -xp.expm1(alx - K.lgamma(xp, 1.0 + a)) - xp.exp(alx - K.lgamma(xp, a)) * total


def _incomplete_gamma(xp: Any, a: Any, x: Any, upper: bool) -> Any:
    a, x = xp.broadcast_arrays(a, x)
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    finite = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    af = xp.where(finite, a, 1.0)
    xf = xp.where(finite, x, 1.0)
    use_series = xf <= xp.maximum(af, 1.0)
    # PyTorch's region for Q's own series: x <= 1.1 and a small against x
    q_series = (xf <= 1.1) & xp.where(xf <= 0.5, af <= -0.4 / xp.log(xf), af <= xf * 1.1)
    if not upper:  # (P is 1 - Q only for x > max(a, 1))
        q_series &= (xf > 1.0) & (xf > af)
    fac = xp.exp(_log_prefactor(xp, af, xf))
    r = xp.zeros_like(af)
    s_idx = xp.nonzero(finite & use_series & ~q_series)[0]
    f_idx = xp.nonzero(finite & ~use_series & ~q_series)[0]
    q_idx = xp.nonzero(finite & q_series)[0]
    if q_idx.shape[0]:
        q = _upper_series(xp, af[q_idx], xf[q_idx])
        r[q_idx] = q if upper else 1.0 - q
    if s_idx.shape[0]:
        p = fac[s_idx] * _lower_series(xp, af[s_idx], xf[s_idx])
        r[s_idx] = 1.0 - p if upper else p
    if f_idx.shape[0]:
        q = fac[f_idx] * _upper_fraction(xp, af[f_idx], xf[f_idx])
        r[f_idx] = q if upper else 1.0 - q
    # edges, in PyTorch's order of tests (so a nan meets them as there: P(nan, 0) = 0,
    # P(nan, inf) = 1, P(inf, nan) = 0); the last rule written is the first tested
    lo = xp.where(xp.isinf(x), 1.0, xp.nan)
    lo = xp.where(xp.isinf(a), xp.where(xp.isinf(x), xp.nan, 0.0), lo)
    lo = xp.where(x == 0, 0.0, lo)
    lo = xp.where(a == 0, xp.where(x > 0, 1.0, xp.nan), lo)
    lo = xp.where((x < 0) | (a < 0), xp.nan, lo)
    edge = 1.0 - lo if upper else lo
    return xp.where(finite, r, edge).reshape(shape)


def _kernel(upper: bool) -> Any:
    def kernel(xp: Any, a: Any, x: Any) -> Any:
        a, x = as_arrays(xp, a, x)
        dt = a.dtype
        r = _incomplete_gamma(xp, a.astype("float64"), x.astype("float64"), upper)
        return xp.asarray(r).astype(dt)

    return kernel


def _reject(npd: Any) -> Exception:
    return not_implemented("igamma_cpu", npd)


def _reject_c(npd: Any) -> Exception:
    return not_implemented("igammac_cpu", npd)


def _d_igamma(sign: float, op: str) -> Any:
    def deriv(g: Tensor, a: Tensor, x: Tensor, r: Any, na: bool, nx: bool) -> tuple:
        if na:
            raise NotImplementedError(f"the derivative for '{op}: input' is not implemented.")
        from .special_ops import lgamma

        d = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return None, (g * d if sign > 0 else -(g * d))

    return deriv


def _make(name: str, upper: bool) -> Any:
    base = "igammac" if upper else "igamma"
    op = binop(name, _kernel(upper), "IgammacBackward0" if upper else "IgammaBackward0",
                 _d_igamma(-1.0 if upper else 1.0, base), kinds="f", tensor_other=True,
                 reject=_reject_c if upper else _reject,
                 doc=("The regularized upper incomplete gamma function Q(input, other)."
                      if upper else
                      "The regularized lower incomplete gamma function P(input, other)."))

    def checked(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(input, Tensor):
            raise not_tensor(name, input)
        return op(input, other, out=out)

    checked.__name__ = checked.__qualname__ = name
    checked.__doc__ = op.__doc__
    return checked


igamma = _make("igamma", False)
igammac = _make("igammac", True)
gammainc = _make("special_gammainc", False)
gammaincc = _make("special_gammaincc", True)
gammainc.__name__ = gammainc.__qualname__ = "gammainc"
gammaincc.__name__ = gammaincc.__qualname__ = "gammaincc"


def igamma_(self: Tensor, other: Tensor) -> Tensor:
    """In-place ``igamma``."""
    return _inplace.commit(self, _checked_inplace(igamma, self, other), "igamma_")


def igammac_(self: Tensor, other: Tensor) -> Tensor:
    """In-place ``igammac``."""
    return _inplace.commit(self, _checked_inplace(igammac, self, other), "igammac_")


def _checked_inplace(op: Any, self: Tensor, other: Tensor) -> Tensor:
    """``op(self, other)``; where the kernel refuses the dtype, PyTorch's refusal of a result
    type ``self`` can't hold comes first."""
    try:
        return op(self, other)
    except NotImplementedError:
        if isinstance(self, Tensor) and isinstance(other, Tensor):
            _check_out_cast(result_type(self, other).np, self)
        raise


methods(igamma=igamma, igammac=igammac, igamma_=igamma_, igammac_=igammac_)
