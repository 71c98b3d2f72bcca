"""Rejection samplers on a ``Generator``'s stream: gamma, Dirichlet, Poisson, binomial.

PyTorch's CPU kernels for ``_standard_gamma``, ``_sample_dirichlet``, ``poisson`` and
``binomial`` run one rejection loop per element, in memory order, drawing float64
uniforms (53 bits of a 64-bit draw) and float64 normals (scalar Box-Muller with the
generator's cached second value) as they go. How many values an element takes depends
on its outcome, so element ``i`` starts where ``i - 1`` stopped.

``_Stream`` gives that sequential view over uniforms drawn ahead in blocks; ``close``
rewinds the generator and advances it by exactly what was taken.

Gamma (Marsaglia and Tsang's method, as PyTorch runs it) rejects rarely, so it runs
speculatively: a block of up to 64 elements is evaluated at once on the assumption
that each accepts its first proposal; the block is kept up to the first element that
does not, which is then finished on its own, and the next block starts after it.
Blocks of at most 64 go through Python's ``math`` (the C library PyTorch calls), so
the values are PyTorch's to the last bit. The Poisson and binomial samplers reject
often and vary in how many draws they take; they run element by element.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from typing import Any

import numpy as np

from . import _random_kernels as K

__all__ = ["Stream", "standard_gamma", "dirichlet", "poisson", "binomial"]

_f32 = np.float32
_THIRD_F = float(_f32(1.0) / _f32(3.0))  # PyTorch subtracts the float constant 1.0f / 3.0f
_C0331 = float(_f32(0.0331))
_BLOCK = 64


def _m(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function) on each value: the C library's own rounding."""
    return np.fromiter((fn(v) for v in x.tolist()), dtype=np.float64, count=x.size)


def _m2(fn: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.fromiter((fn(a, b) for a, b in zip(x.tolist(), y.tolist())), dtype=np.float64,
                       count=x.size)


class Stream:
    """Sequential float64 uniforms and normals from ``gen`` (the caller holds its lock)."""

    def __init__(self, gen: Any) -> None:
        self._gen = gen
        self._state = gen._mt.state
        self._fresh = gen._fresh
        self.buf = np.empty(0, dtype=np.float64)
        self.pos = 0
        self.cache: float | None = gen._next_double

    def need(self, n: int) -> None:
        """Make the next ``n`` values available in ``buf``."""
        have = self.buf.size
        if self.pos + n > have:
            more = max(self.pos + n - have, have, 256)
            self.buf = np.concatenate([self.buf, K.uniform01_f64(self._gen, more)])

    def uniform(self) -> float:
        self.need(1)
        v = float(self.buf[self.pos])
        self.pos += 1
        return v

    def normal(self) -> float:
        if self.cache is not None:
            v, self.cache = self.cache, None
            return v
        u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = (2.0 * math.pi) * u1
        self.cache = r * math.sin(theta)
        return r * math.cos(theta)

    def close(self) -> None:
        """Leave the generator exactly ``pos`` uniforms on (and with the normal cache)."""
        gen = self._gen
        gen._mt.state = self._state
        gen._fresh = self._fresh
        if self.pos:
            gen._raw32(2 * self.pos)
        gen._next_double = self.cache


# ---------------------------------------------------------------------- gamma
def _gamma_consts(alpha: np.ndarray, single: bool) -> tuple:
    """Per element: boosted?, 1/alpha, d, c, as PyTorch's float or double kernel has them."""
    if single:
        a = alpha.astype(_f32)
        boost = a < _f32(1.0)
        inv = (_f32(1.0) / np.where(a == 0, _f32(1.0), a)).astype(np.float64)
        a = np.where(boost, a + _f32(1.0), a)
        d = (a - _f32(_THIRD_F)).astype(np.float64)
    else:
        a = alpha.astype(np.float64)
        boost = a < 1.0
        inv = 1.0 / np.where(a == 0, 1.0, a)
        a = np.where(boost, a + 1.0, a)
        d = a - _THIRD_F
    c = 1.0 / np.sqrt(9.0 * np.where(d > 0, d, 1.0))
    return boost, inv, d, c


def _gamma_one(s: Stream, boost: bool, inv: float, d: float, c: float) -> float:
    """One element of PyTorch's ``sample_gamma``, from the stream's current position."""
    scale = 1.0
    if boost:
        scale = math.pow(1.0 - s.uniform(), inv)
    while True:
        while True:
            x = s.normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - s.uniform()
        xx = x * x
        if u < 1.0 - _C0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * ((1.0 - v) + math.log(v)):
            return scale * d * v


def _gamma_block(s: Stream, boost: np.ndarray, inv: np.ndarray, d: np.ndarray,
                 c: np.ndarray) -> tuple[np.ndarray, int]:
    """Evaluate a block assuming first-try acceptance; returns values and how many hold."""
    m = d.size
    j = np.arange(m)
    cached = s.cache is not None
    fresh = (j + cached) % 2 == 0  # whether this element's normal needs a new pair
    cons = boost.astype(np.int64) + 2 * fresh + 1
    start = s.pos + np.concatenate([[0], np.cumsum(cons)[:-1]])
    s.need(int(cons.sum()))
    buf = s.buf
    q = start + boost
    fq = q[fresh]
    u1 = buf[fq]
    r = np.sqrt(-2.0 * _m(math.log1p, -buf[fq + 1]))
    theta = (2.0 * math.pi) * u1
    cos = np.zeros(m)
    sin = np.zeros(m)
    cos[fresh] = r * np.cos(theta)  # NumPy's float64 sin and cos are the C library's
    sin[fresh] = r * np.sin(theta)
    # an element that reuses the cache takes the sine of the element before it
    prev_sin = np.concatenate([[s.cache if cached else 0.0], sin[:-1]])
    x = np.where(fresh, cos, prev_sin)
    y = 1.0 + c * x
    uu = 1.0 - buf[q + 2 * fresh]
    v = y * y * y
    xx = x * x
    ok = (y > 0) & (uu < 1.0 - _C0331 * xx * xx)
    second = np.flatnonzero((y > 0) & ~ok)  # the squeeze failed: the exact test decides
    if second.size:
        ok[second] = (_m(math.log, uu[second]) < 0.5 * xx[second] + d[second] * (
            (1.0 - v[second]) + _m(math.log, v[second])))
    bad = np.flatnonzero(~ok)
    keep = int(bad[0]) if bad.size else m
    scale = np.ones(m)
    if boost.any():
        scale[boost] = _m2(math.pow, 1.0 - buf[start[boost]], inv[boost])
    vals = scale * d * v
    if keep:
        s.pos = int(start[keep - 1] + cons[keep - 1])
        s.cache = float(sin[keep - 1]) if fresh[keep - 1] else None
    return vals[:keep], keep


def standard_gamma(gen: Any, alpha: np.ndarray, single: bool) -> np.ndarray:
    """PyTorch's ``sample_gamma`` for each value of ``alpha`` (flat, in memory order)."""
    a = np.asarray(alpha, dtype=np.float64).ravel()
    out = np.zeros(a.size)
    boost, inv, d, c = _gamma_consts(a, single)
    live = np.flatnonzero((a != 0) & (d > 0))  # alpha == 0 gives 0 without drawing
    out[(a != 0) & ~(d > 0)] = np.nan  # (PyTorch would never return for these)
    s = Stream(gen)
    i = 0
    while i < live.size:
        idx = live[i:i + _BLOCK]
        vals, keep = _gamma_block(s, boost[idx], inv[idx], d[idx], c[idx])
        out[idx[:keep]] = vals
        i += keep
        if keep < idx.size:
            k = idx[keep]
            out[k] = _gamma_one(s, bool(boost[k]), float(inv[k]), float(d[k]), float(c[k]))
            i += 1
    s.close()
    return out


def dirichlet(gen: Any, alpha: np.ndarray, npd: Any) -> np.ndarray:
    """PyTorch's ``_sample_dirichlet``: float64 gammas normalised over the last dim."""
    g = standard_gamma(gen, np.ascontiguousarray(alpha, dtype=np.float64), False)
    g = np.maximum(g.reshape(alpha.shape), np.finfo(np.float64).tiny)
    total = g.sum(-1, keepdims=True)
    info = np.finfo(npd)
    r = (g / total).astype(npd)
    return np.minimum(np.nextafter(npd.type(1), npd.type(0)), np.maximum(info.tiny, r))


# ---------------------------------------------------------------------- poisson
def _floor_i64(x: float) -> int:
    """``(int64_t) std::floor(x)`` as x86 converts it: outside int64 (inf, nan) is INT64_MIN."""
    return math.floor(x) if -9223372036854775808.0 <= x < 9223372036854775808.0 else -(1 << 63)


def _poisson_one(s: Stream, lam: float) -> int:
    if lam >= 10:  # transformed rejection (Hoermann's PTRS)
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = s.uniform() - 0.5
            v = s.uniform()
            us = 0.5 - abs(u)
            k = _floor_i64((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x, prod = 0, 1.0
    while True:
        prod *= s.uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(gen: Any, lam: np.ndarray) -> np.ndarray:
    """PyTorch's CPU Poisson sampler for each rate (flat, in memory order), as float64."""
    s = Stream(gen)
    vals = [_poisson_one(s, v) for v in np.asarray(lam, dtype=np.float64).ravel().tolist()]
    s.close()
    return np.asarray(vals, dtype=np.float64)


# ---------------------------------------------------------------------- binomial
_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


_LIBM: Any = None


def _log1pf(x: Any) -> float:
    """The C library's single-precision ``log1pf`` (what ``std::log1p(float)`` calls)."""
    global _LIBM
    if _LIBM is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
            lib.log1pf.restype, lib.log1pf.argtypes = ctypes.c_float, [ctypes.c_float]
            _LIBM = lib.log1pf
        except (OSError, AttributeError):
            _LIBM = lambda v: float(_f32(math.log1p(v)))  # noqa: E731
    return float(_LIBM(float(x)))


def _inversion(s: Stream, count: Any, prob: Any, T: Any) -> Any:
    logprob = _log1pf(-prob) if T is _f32 else math.log1p(-prob)
    geom_sum = 0.0
    num = T(0)
    while True:
        u = s.uniform()
        geom_sum += math.ceil(math.log(u) / logprob) if u > 0 else math.inf
        if geom_sum > count:
            return num
        num = num + T(1)


def _btrs(s: Stream, count: Any, prob: Any, T: Any) -> Any:
    spq = count * prob * (T(1) - prob)
    stddev = float(T(math.sqrt(spq)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
    c = float(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(prob / (T(1) - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(float((count + T(1)) * prob))
    n = float(count)
    while True:
        u = s.uniform() - 0.5
        v = s.uniform()
        us = 0.5 - abs(u)
        k = float(T(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return T(k)
        v = math.log(v * alpha / (a / (us * us) + b))
        nk1 = float(T(n - k + 1))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + (n + 1) * math.log((n - m + 1) / nk1)
                 + (k + 0.5) * math.log(r * nk1 / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(n - m)
                 - _stirling_tail(k) - _stirling_tail(n - k))
        if v <= bound:
            return T(k)


def _binomial_one(s: Stream, count: Any, prob: Any, T: Any) -> Any:
    if count <= 0.0 or prob <= 0.0:
        return T(0)
    if prob >= 1.0:
        return count
    if math.isnan(count):
        return T(math.nan)
    if math.isinf(count) and 0.0 < prob < 1.0:
        # PyTorch's BTRS with an infinite count: after the draws of its first quick acceptance
        # test that passes (v_r = 0.92), k = inf * u + inf is inf for u > 0, else NaN; and
        # count - k is NaN when prob > 0.5
        while True:
            u = s.uniform() - 0.5
            v = s.uniform()
            if 0.5 - abs(u) >= 0.07 and v <= 0.92:
                return T(math.inf) if prob <= 0.5 and u > 0 else T(math.nan)
    if prob <= 0.5:
        if count * prob >= 10.0:
            return _btrs(s, count, prob, T)
        return _inversion(s, count, prob, T)
    if prob > 0.5:
        q = T(1.0 - float(prob))
        if count * q >= 10.0:
            return count - _btrs(s, count, q, T)
        return count - _inversion(s, count, q, T)
    return T(math.nan)


def binomial(gen: Any, count: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """PyTorch's CPU binomial sampler for each (count, prob) pair (flat, memory order)."""
    T = _f32 if count.dtype == np.float32 else float
    s = Stream(gen)
    cs = count.ravel().tolist()
    ps = prob.ravel().tolist()
    if T is _f32:
        vals = [_binomial_one(s, _f32(c), _f32(p), T) for c, p in zip(cs, ps)]
    else:
        vals = [_binomial_one(s, c, p, T) for c, p in zip(cs, ps)]
    s.close()
    return np.asarray(vals, dtype=count.dtype)
