"""NumPy kernels that turn a ``Generator``'s mt19937 stream into PyTorch's CPU values.

Each function draws from ``gen`` (the caller holds ``gen.lock``) and returns a flat
NumPy array in the order PyTorch's serial CPU kernels fill memory. The transforms
follow PyTorch's: uniform floats keep the low 24 (float32) or 53 (float64) bits of a
32- or 64-bit draw and scale with one fused multiply-add; ``normal_`` on 16 or more
contiguous values transforms blocks of 16 uniforms with Box-Muller (float32 with the
Cephes single-precision log/sincos of its AVX2 kernel, emulated here bit for bit),
and otherwise draws pairs of float64 uniforms, caching the second value in the
generator; integers are a 32- or 64-bit draw modulo the range.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._parallel import split

__all__ = ["cast", "uniform", "normal", "normal_pairs", "random_from_to", "random_full_range",
           "random_default", "randperm", "uniform01_f64", "uniform01_f32", "fma64", "libm"]

_f32, _f64, _u64 = np.float32, np.float64, np.uint64
_DIGITS = {"float32": 24, "float64": 53, "float16": 11, "bfloat16": 8}
_LIBM_MAX = 64  # at most this many values: call the C library through ``math`` directly
_MODE: dict[Any, str] = {}  # math function -> "direct", "shifted" or "math" (probed once)
_PROBE_MAP = {math.log: lambda u: u, math.log1p: lambda u: -u, math.exp: lambda u: 20 * u - 10,
              math.tan: lambda u: math.pi * (u - 0.5)}


def _mode(np_fn: Any, math_fn: Any) -> str:
    """How to get the C library's values of ``math_fn`` for an array, fastest first."""
    mode = _MODE.get(math_fn)
    if mode is None:
        u = (np.arange(1, 4097) * 0.6180339887498949) % 1.0  # spread over (0, 1)
        x = _PROBE_MAP.get(math_fn, lambda v: 2 * math.pi * v)(u)
        want = np.fromiter((math_fn(v) for v in x.tolist()), dtype=_f64, count=x.size)
        with np.errstate(all="ignore"):
            direct = np_fn(x)
        mode = ("direct" if np.array_equal(direct, want) else
                "shifted" if np.array_equal(_shifted(np_fn, x), want) else "math")
        _MODE[math_fn] = mode
    return mode


def _shifted(np_fn: Any, x: np.ndarray) -> np.ndarray:
    """``np_fn(x)`` written one slot before its input: NumPy sees partially overlapping
    operands and runs its scalar loop, which calls the C library per element (its SIMD
    loops, e.g. SVML on AVX-512, round some values differently from libm)."""
    buf = np.empty(x.size + 1, dtype=_f64)
    buf[1:] = x.ravel()
    with np.errstate(all="ignore"):
        np_fn(buf[1:], out=buf[:-1])
    return buf[:-1].reshape(x.shape)


def libm(np_fn: Any, math_fn: Any, x: np.ndarray) -> np.ndarray:
    """``math_fn`` on every value of ``x`` (float64) with the C library's rounding, as
    PyTorch's serial CPU kernels get it (``std::log1p``, ``std::exp``, ...)."""
    x = np.asarray(x, dtype=_f64)
    mode = "math" if x.size <= _LIBM_MAX else _mode(np_fn, math_fn)
    if mode == "direct":
        with np.errstate(all="ignore"):
            return np_fn(x)
    if mode == "shifted":
        return _shifted(np_fn, x)
    return np.fromiter((_safe(math_fn, v) for v in x.ravel().tolist()), dtype=_f64,
                       count=x.size).reshape(x.shape)


def _safe(math_fn: Any, v: float) -> float:
    """``math_fn(v)``, with C's value where ``math`` raises instead."""
    try:
        return math_fn(v)
    except ValueError:  # log(0), log1p(-1): -inf; outside the domain: NaN
        pole = v == 0.0 if math_fn is math.log else v == -1.0 and math_fn is math.log1p
        return -math.inf if pole else math.nan
    except OverflowError:
        return math.inf


def _two_prod(a: np.ndarray, b: Any) -> tuple[np.ndarray, np.ndarray]:
    p = a * b
    c = 134217729.0  # 2**27 + 1, Dekker's splitter
    ah = c * a
    ah = ah - (ah - a)
    bh = c * b
    bh = bh - (bh - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


_HUGE, _DOWN, _UP = 2.0 ** 900, 2.0 ** -200, 2.0 ** 200


def fma64(a: np.ndarray, b: float, c: float) -> np.ndarray:
    """``a * b + c`` in float64 with one rounding (PyTorch's kernels are built with FMA).
    An infinite ``b`` or ``c`` takes the plain form (the error terms would make NaNs); a huge
    one is scaled by a power of two (exact) so that Dekker's split does not overflow."""
    if not (math.isfinite(b) and math.isfinite(c)):
        with np.errstate(invalid="ignore"):  # 0 * inf: NaN, as the FMA gives
            return a * _f64(b) + _f64(c)
    if abs(b) >= _HUGE or abs(c) >= _HUGE:
        with np.errstate(over="ignore"):  # an overflow is inf, as the FMA gives
            return fma64(a, b * _DOWN, c * _DOWN) * _UP
    p, e = _two_prod(a, _f64(b))
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + e)


def _fma32(a: np.ndarray, b: Any, c: Any) -> np.ndarray:
    """``a * b + c`` in float32 with one rounding (the product is exact in float64)."""
    return (a.astype(_f64) * _f64(b) + np.asarray(c, dtype=_f32).astype(_f64)).astype(_f32)


# ---------------------------------------------------------------------- uniform
def uniform01_f32(gen: Any, n: int, digits: int = 24) -> np.ndarray:
    """``n`` uniforms in [0, 1) from 32-bit draws, with ``digits`` random bits (float32)."""
    r = gen._raw32(n) & _u64((1 << digits) - 1)
    return r.astype(_f32) * _f32(2.0 ** -digits)


def uniform01_f64(gen: Any, n: int) -> np.ndarray:
    """``n`` uniforms in [0, 1) from 64-bit draws, 53 random bits each."""
    r = gen._raw64(n) & _u64((1 << 53) - 1)
    return r.astype(_f64) * (2.0 ** -53)


def cast(v: np.ndarray, npd: np.dtype) -> np.ndarray:
    """Values to ``npd`` as C++ casts them: float64 reaches a 16-bit float through float32
    (c10's Half and BFloat16 are built from a float), so it can round twice."""
    v = np.asarray(v)
    if v.dtype == npd:
        return v
    if npd.itemsize == 2 and npd.kind not in "iub" and v.dtype == _f64:
        return v.astype(_f32).astype(npd)
    return v.astype(npd)


def uniform(gen: Any, n: int, npd: np.dtype, lo: float, hi: float) -> np.ndarray:
    """PyTorch's ``uniform_(lo, hi)`` values for a floating dtype: ``u * (hi - lo) + lo`` in
    float64 (double) or float32 (the others) with one rounding; a value that rounds to ``hi``
    in the result's dtype is sent back to ``lo``."""
    name = npd.name
    unit = (lo, hi) == (0.0, 1.0)
    if name == "float64":
        x = uniform01_f64(gen, n)
        if unit:
            return x
        return _wrap(fma64(x, _f64(hi) - _f64(lo), _f64(lo)), _f64(hi), _f64(lo))
    x = uniform01_f32(gen, n)  # float16 and bfloat16 also take 24 bits, then round
    if unit and name == "float32":
        return x
    if not unit:  # the bounds stay float32 (not rounded to a narrower dtype first)
        flo, fhi = _f32(lo), _f32(hi)
        x = _fma32(x, fhi - flo, flo)
    r = x if name == "float32" else x.astype(npd)
    return _wrap(r, cast(np.float64(hi), npd), cast(np.float64(lo), npd))


def _wrap(r: np.ndarray, top: Any, bottom: Any) -> np.ndarray:
    """``r`` with the values equal to ``top`` replaced by ``bottom`` (in place; rare)."""
    hit = r == top
    if hit.any():
        r[hit] = bottom
    return r


# ---------------------------------------------------------------------- normal
def normal_pairs(gen: Any, n: int) -> np.ndarray:
    """``n`` standard normals from PyTorch's scalar Box-Muller with the cached second value."""
    out = np.empty(n, dtype=_f64)
    k = 0
    if n and gen._next_double is not None:
        out[0] = gen._next_double
        gen._next_double = None
        k = 1
    m = n - k
    if m <= 0:
        return out
    u = uniform01_f64(gen, 2 * ((m + 1) // 2))
    u1, u2 = u[0::2], u[1::2]
    r = np.sqrt(-2.0 * libm(np.log1p, math.log1p, -u2))
    theta = (2.0 * math.pi) * u1
    vals = np.stack([r * libm(np.cos, math.cos, theta), r * libm(np.sin, math.sin, theta)],
                    axis=1).ravel()
    out[k:] = vals[:m]
    if m % 2:
        gen._next_double = float(vals[m])
    return out


def normal(gen: Any, n: int, npd: np.dtype, mean: float, std: float,
           contiguous: bool) -> np.ndarray:
    """PyTorch's ``normal_(mean, std)`` values for a floating dtype."""
    if n < 16 or not contiguous:
        z = normal_pairs(gen, n)
        v = z if (mean, std) == (0.0, 1.0) else fma64(z, std, mean)
        return cast(v, npd)
    name = npd.name
    if name == "float32":
        u = uniform01_f32(gen, n)
        tail = uniform01_f32(gen, 16) if n % 16 else None
        return _fill16(u, tail, _box_muller_f32, _f32(mean), _f32(std))
    if name == "float64":
        u = uniform01_f64(gen, n)
        tail = uniform01_f64(gen, 16) if n % 16 else None
        return _fill16(u, tail, _box_muller_f64, mean, std)
    # float16 and bfloat16: the float32 kernel over whole blocks of 16 uniforms (the last
    # block, drawn straight after the others, lands on the last 16 values), then rounded
    m = -(-n // 16) * 16
    z = _fill16(uniform01_f32(gen, m), None, _box_muller_f32, _f32(mean), _f32(std))
    if m != n:
        z[n - 16:n] = z[m - 16:]
    return z[:n].astype(npd)


_ROWS = 4096  # rows of 16 values per call: the transform's float64 temporaries stay in cache


def _fill16(u: np.ndarray, tail: np.ndarray | None, fn: Any, mean: Any, std: Any) -> np.ndarray:
    """Transform whole blocks of 16; a partial end redoes the last 16 from fresh uniforms.

    The rows go through ``fn`` a cache-sized run at a time, the runs split over the op
    threads (each value depends on its own uniforms only: the same numbers on any split).
    """
    n = u.size
    m = n - n % 16
    out = u.copy()
    if m:
        src, dst = u[:m].reshape(-1, 16), out[:m].reshape(-1, 16)
        rows = range(src.shape[0])

        def runs(part: slice) -> None:
            mine = rows[part]
            for i in range(mine.start, mine.stop, _ROWS):
                j = min(i + _ROWS, mine.stop)
                dst[i:j] = fn(src[i:j], mean, std)

        split(np, len(rows), m, runs)
    if tail is not None:
        out[n - 16:] = fn(tail.reshape(1, 16), mean, std).ravel()
    return out


def _box_muller_f64(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    u1, u2 = 1.0 - u[:, :8], u[:, 8:]
    radius = np.sqrt(-2.0 * libm(np.log, math.log, u1))
    theta = (2.0 * math.pi) * u2
    z = np.concatenate([radius * libm(np.cos, math.cos, theta),
                        radius * libm(np.sin, math.sin, theta)], axis=1)
    return z if (mean, std) == (0.0, 1.0) else fma64(z, std, mean)


def _box_muller_f32(u: np.ndarray, mean: Any, std: Any) -> np.ndarray:
    u1, u2 = _f32(1.0) - u[:, :8], u[:, 8:]
    radius = np.sqrt(_f32(-2.0) * _log_ps(u1))
    s, c = _sincos_ps(_f32(2.0 * math.pi) * u2)
    z = np.concatenate([radius * c, radius * s], axis=1)
    return z if (mean, std) == (0.0, 1.0) else _fma32(z, std, mean)


# Cephes single-precision log and sincos as PyTorch's AVX2 normal kernel evaluates them
# (polynomial steps fused into FMAs), for inputs in (0, 1] and [0, 2*pi) respectively.
_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
          3.3333331174e-1)


def _log_ps(x: np.ndarray) -> np.ndarray:
    bits = x.view(np.int32)
    e = ((bits >> 23) - 126).astype(_f32)
    m = ((bits & np.int32(~0x7F800000)) | np.int32(0x3F000000)).view(_f32)
    small = m < _f32(0.707106781186547524)
    m = (m - _f32(1.0)) + np.where(small, m, _f32(0.0))
    e = e - small.astype(_f32)
    z = m * m
    y = np.full_like(m, _f32(_LOG_P[0]))
    for c in _LOG_P[1:]:
        y = _fma32(y, m, _f32(c))
    y = y * m
    y = _fma32(y, z, e * _f32(-2.12194440e-4))
    y = _fma32(-z, _f32(0.5), y)
    return _fma32(e, _f32(0.693359375), m + y)


def _sincos_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sign_sin = x < 0
    x = np.abs(x)
    j = (x * _f32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_f32)
    sign_sin = sign_sin ^ ((j & 4) != 0)
    sign_cos = ((j - 2) & 4) == 0
    poly = (j & 2) == 0
    x = _fma32(y, _f32(-0.78515625), x)
    x = _fma32(y, _f32(-2.4187564849853515625e-4), x)
    x = _fma32(y, _f32(-3.77489497744594108e-8), x)
    z = x * x
    yc = _fma32(np.full_like(z, _f32(2.443315711809948e-5)), z, _f32(-1.388731625493765e-3))
    yc = _fma32(yc, z, _f32(4.166664568298827e-2)) * z
    yc = _fma32(yc, z, -(z * _f32(0.5))) + _f32(1.0)
    ys = _fma32(np.full_like(z, _f32(-1.9515295891e-4)), z, _f32(8.3321608736e-3))
    ys = _fma32(ys, z, _f32(-1.6666654611e-1)) * z
    ys = _fma32(ys, x, x)
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


# ---------------------------------------------------------------------- integers
_WIDE_SPAN = 1 << 28  # PyTorch 2.14 draws 64 bits for a range of 2**28 or more, any dtype


def _cast_int(v: np.ndarray, npd: np.dtype) -> np.ndarray:
    """int64 values to ``npd`` as a C++ static_cast does (wrapping; nonzero for bool; 16-bit
    floats through float32)."""
    if npd.kind == "b":
        return v != 0
    if npd.itemsize == 2 and npd.kind not in "iu":
        return v.astype(_f32).astype(npd)
    return v.astype(npd)


def random_from_to(gen: Any, n: int, npd: np.dtype, span: int, base: int) -> np.ndarray:
    """``random_(base, base + span)``: a 32-bit draw modulo ``span`` (64-bit for wide ranges)."""
    raw = gen._raw64(n) if span >= _WIDE_SPAN else gen._raw32(n)
    v = (raw % _u64(span)) + _u64(base & 0xFFFF_FFFF_FFFF_FFFF)
    return _cast_int(v.view(np.int64), npd)


def random_full_range(gen: Any, n: int, npd: np.dtype) -> np.ndarray:
    """``random_(-2**63)``: every int64 equally likely (a raw 64-bit draw)."""
    return _cast_int(gen._raw64(n).view(np.int64), npd)


def random_default(gen: Any, n: int, npd: np.dtype) -> np.ndarray:
    """``random_()``: from 0 to the dtype's largest integer (2**digits for floats)."""
    name = npd.name
    if name == "bool":
        return (gen._raw32(n) & _u64(1)) != 0
    if name in ("int64", "float64"):
        raw = gen._raw64(n)
        mod = (1 << 63) if name == "int64" else (1 << 53) + 1
    else:
        raw = gen._raw32(n)
        mod = (1 << _DIGITS[name]) + 1 if name in _DIGITS else int(np.iinfo(npd).max) + 1
    return _cast_int((raw % _u64(mod)).astype(np.int64), npd)


def randperm(gen: Any, n: int) -> np.ndarray:
    """PyTorch's CPU ``randperm`` for ``n < 2**32 / 20``: a forward Fisher-Yates shuffle.

    Step ``i`` swaps positions ``i`` and ``j_i = i + r_i % (n - i)``. The final value at
    ``i`` is what position ``j_i`` held just before step ``i``; following who last wrote
    each position back to an untouched one resolves all of them at once (pointer
    doubling), so the shuffle runs without a per-element Python loop.
    """
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64)
    j = idx.copy()
    j[:-1] += (gen._raw32(n - 1) % (n - idx[:-1]).astype(_u64)).astype(np.int64)
    order = np.argsort(j, kind="stable")
    sj = j[order]
    same = sj[1:] == sj[:-1]
    prev = np.full(n, -1, dtype=np.int64)  # last earlier step that swapped with the same j
    prev[order[1:][same]] = order[:-1][same]
    ends = np.flatnonzero(np.append(~same, True))
    last = np.full(n, -1, dtype=np.int64)  # last step that swapped with position p
    last[sj[ends]] = order[ends]
    # who last wrote position p before step p: one of the steps that targeted it
    writer = np.where(j == idx, prev, last)
    parent = np.where(writer >= 0, writer, idx)
    while True:  # pointer doubling: O(log n) vectorised passes
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    return np.where(prev >= 0, parent[np.maximum(prev, 0)], j)
