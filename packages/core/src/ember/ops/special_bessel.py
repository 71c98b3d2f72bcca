"""``torch.special``'s Bessel-type functions and orthogonal polynomials as Ember ops:
``bessel_j0/j1/y0/y1``, ``modified_bessel_i0/i1/k0/k1``, ``scaled_modified_bessel_k0/k1``,
``spherical_bessel_j0``, ``airy_ai`` and the Chebyshev (T, U, V, W and shifted),
Hermite (H, He), Laguerre and Legendre polynomials.

PyTorch defines no derivative for any of them: the results never require grad. Integer
and bool inputs compute in the default float dtype; float16, bfloat16 and complex inputs
raise NotImplementedError as PyTorch's CPU kernels do. Kernels: ``_bessel_kernels``
(Bessel, Airy), ``_special_kernels`` (I0, I1) and the recurrences below (polynomials),
all in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import dense_like_result, pointwise_laid
from . import _bessel_kernels as B
from . import _special_kernels as K
from ._dispatch import Tensor, make, quiet, result_type
from ._fma import fma as _fma
from .arithmetic import _check_broadcast, _check_out_cast, _out
from .pointwise_unary import in_float64, not_implemented, not_tensor

__all__: list[str] = []
SPECIAL_ONLY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
                "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
                "airy_ai", "chebyshev_polynomial_t", "chebyshev_polynomial_u",
                "chebyshev_polynomial_v", "chebyshev_polynomial_w",
                "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
                "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w",
                "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
                "legendre_polynomial_p"]


def _check_dtype(name: str, dt: _dt.dtype, out: Tensor | None = None,
                 operands: tuple = ()) -> _dt.dtype:
    """The computing dtype: integers and bools give the default float; half precision and
    complex are not implemented (PyTorch's CPU kernels), refused after PyTorch's earlier
    checks of the ``operands``' shapes and of the ``out=`` dtype."""
    if dt.kind in "biu":
        return _dt.get_default_dtype()
    if dt.kind == "c" or dt.name in ("float16", "bfloat16"):
        if operands:
            _check_broadcast(f"special_{name}", *operands)
        if out is not None:
            _check_out_cast(dt.np, out)
        raise not_implemented(f"{name}_cpu", dt.np)
    return dt


def _result(r: Any, dt: _dt.dtype, dev: Any, out: Tensor | None, *operands: Any) -> Tensor:
    """The result tensor, laid out as PyTorch lays out a pointwise op over ``operands``."""
    xp = dev._backend.xp
    r = pointwise_laid(xp, xp.asarray(r), *operands)
    if r.dtype != dt.np:
        r = r.astype(dt.np)
    res = make(r, dev)
    return res if out is None else _out(res, out)


# ------------------------------------------------------------------ unary functions
def _unary(name: str, kernel: Callable, doc: str, arg: str = "input",
           native: bool = False) -> Callable:
    """A unary op over a float64 kernel (or, ``native``, one run in the input's dtype)."""
    kernel = kernel if native else in_float64(kernel)

    def compute(input: Tensor, out: Tensor | None) -> Tensor:
        if not isinstance(input, Tensor):
            raise not_tensor(f"special_{name}", input, 1, arg)
        dt = _check_dtype(name, input.dtype, out)
        dev = input._device
        xp = dev._backend.xp
        src = input._data
        if 0 in getattr(src, "strides", ()):  # expanded: laid out densely as PyTorch's result
            src = dense_like_result(xp, src)
        x = src.astype(dt.np)
        r = quiet(kernel, xp, x)
        return _result(xp.where(xp.isnan(x), xp.nan, r), dt, dev, out, src)

    if arg == "x":
        def op(x: Tensor, *, out: Tensor | None = None) -> Tensor:
            return compute(x, out)
    else:
        def op(input: Tensor, *, out: Tensor | None = None) -> Tensor:  # type: ignore[misc]
            return compute(input, out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


bessel_j0 = _unary("bessel_j0", B.bessel_j0, "The Bessel function of the first kind, order 0.")
bessel_j1 = _unary("bessel_j1", B.bessel_j1, "The Bessel function of the first kind, order 1.")
bessel_y0 = _unary("bessel_y0", B.bessel_y0, "The Bessel function of the second kind, order 0.")
bessel_y1 = _unary("bessel_y1", B.bessel_y1, "The Bessel function of the second kind, order 1.")
modified_bessel_i0 = _unary("modified_bessel_i0", K.native32(K.i0),
                            "The modified Bessel function of the first kind, order 0.",
                            native=True)
modified_bessel_i1 = _unary("modified_bessel_i1", K.native32(K.modified_bessel_i1),
                            "The modified Bessel function of the first kind, order 1.",
                            native=True)
modified_bessel_k0 = _unary("modified_bessel_k0", B.bessel_k0,
                            "The modified Bessel function of the second kind, order 0.")
modified_bessel_k1 = _unary("modified_bessel_k1", B.bessel_k1,
                            "The modified Bessel function of the second kind, order 1.")
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0", B.bessel_k0e,
                                   "``exp(x) * modified_bessel_k0(x)``.", "x")
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1", B.bessel_k1e,
                                   "``exp(x) * modified_bessel_k1(x)``.", "x")
spherical_bessel_j0 = _unary("spherical_bessel_j0", B.spherical_j0,
                             "The spherical Bessel function of the first kind, order 0.", "x")
airy_ai = _unary("airy_ai", B.airy_ai, "The Airy function Ai.", "x")


# ------------------------------------------------------------------ polynomials
def _degrees(xp: Any, n: Any) -> Any:
    """``n`` truncated to an integer as PyTorch's kernels cast it (nan, inf and values out
    of the int64 range give a negative degree, hence 0)."""
    ok = xp.isfinite(n) & (xp.abs(n) < 9.2e18)
    return xp.where(ok, xp.trunc(xp.where(ok, n, -1.0)), -1.0)


def _recurrence(xp: Any, n: Any, use: Any, first: tuple, step: Callable) -> Any:
    """``q_n`` for the elements in ``use`` from ``q_0, q_1`` and ``q_{k+1} = step(k, q_k,
    q_{k-1})`` (a loop over the degree, vectorised over the elements). PyTorch's kernels are
    built with FMA contraction, so each step's ``a * q - b`` is one ``_fma``."""
    p, q = first
    res = xp.where(n == 0, p, q)
    sel = n[use] if bool(xp.any(use)) else None
    top = int(sel.max()) if sel is not None and sel.size else 1
    for k in range(1, top):
        p, q = q, step(k, q, p)
        res = xp.where(n == k + 1, q, res)
        if k % 64 == 0:
            rest = use & (n > k + 1)
            if not bool(xp.any(~xp.isnan(q) & rest)):  # every remaining element has
                return xp.where(rest, q, res)  # overflowed into nan, which stays nan
    return res


def _cheb_kernel(kind: str, shifted: bool = False) -> Callable:
    """Chebyshev ``kind``'s kernel; PyTorch switches to the trigonometric form past degree 6
    (T; shifted T, U, V) or 8 (U, V, W), 4 for the shifted W."""
    trig_from = {"w": 4}.get(kind, 6) if shifted else {"t": 6, "u": 8, "v": 8, "w": 8}[kind]

    def kernel(xp: Any, x: Any, n: Any) -> Any:
        ax = xp.abs(x)
        trig = (n > trig_from) & (ax < 1)
        rec = (n >= 0) & ~trig & (ax != 1)
        one = xp.ones_like(x)
        q1 = {"t": x, "u": 2 * x, "v": 2 * x - 1, "w": 2 * x + 1}[kind]
        r = _recurrence(xp, n, rec, (one, q1), lambda k, q, p: _fma(x + x, q, -p, x.dtype, xp=xp))
        th = xp.arccos(xp.where(ax < 1, x, 0.0))
        nt = n.astype(x.dtype)  # PyTorch's ``n * acos(x)``: the degree cast to x's dtype
        with np.errstate(all="ignore"):
            if kind == "t":
                tr = xp.cos(nt * th)
            elif kind == "u":
                s = xp.sin(th)
                tr = xp.where(s != 0, xp.sin((nt + 1) * th) / s,
                              (nt + 1) * xp.cos((nt + 1) * th) / x)
            elif kind == "v":
                tr = xp.cos((nt + 0.5) * th) / xp.cos(th / 2)
            else:
                tr = xp.sin((nt + 0.5) * th) / xp.sin(th / 2)
        odd = xp.fmod(n, 2) != 0
        if kind == "t":
            edge = xp.where((x > 0) | ~odd, 1.0, -1.0)
        elif kind == "u":
            edge = xp.where((x > 0) | ~odd, n + 1, -(n + 1))
        elif kind == "v":
            edge = xp.where(x > 0, 1.0, xp.where(odd, -(2 * n + 1), 2 * n + 1))
        else:
            edge = xp.where(x > 0, 2 * n + 1, xp.where(odd, -1.0, 1.0))
        r = xp.where(trig, tr, r)
        r = xp.where(ax == 1, edge, r)
        return xp.where(n < 0, 0.0, r)

    return kernel


def _hermite_h(xp: Any, x: Any, n: Any) -> Any:
    r = _recurrence(xp, n, n >= 0, (xp.ones_like(x), 2 * x),
                    lambda k, q, p: _fma(x + x, q, -(2 * k * p), x.dtype, xp=xp))
    return xp.where(n < 0, 0.0, r)


def _hermite_he(xp: Any, x: Any, n: Any) -> Any:
    r = _recurrence(xp, n, n >= 0, (xp.ones_like(x), x * 1), lambda k, q, p: _fma(x, q, -(k * p), x.dtype, xp=xp))
    return xp.where(n < 0, 0.0, r)


def _laguerre_l(xp: Any, x: Any, n: Any) -> Any:
    r = _recurrence(xp, n, (n >= 0) & (x != 0), (xp.ones_like(x), 1 - x),
                    lambda k, q, p: _fma(2 * k + (1 - x), q, -(k * p), x.dtype, xp=xp)
                    / (k + 1))
    r = xp.where(x == 0, 1.0, r)
    return xp.where(n < 0, 0.0, r)


def _legendre_p(xp: Any, x: Any, n: Any) -> Any:
    ax = xp.abs(x)
    r = _recurrence(xp, n, (n >= 0) & (ax != 1), (xp.ones_like(x), x * 1),
                    lambda k, q, p: _fma((2 * k + 1) * x, q, -(k * p), x.dtype, xp=xp)
                    / (k + 1))
    edge = xp.where((x > 0) | (xp.fmod(n, 2) == 0), 1.0, -1.0)
    r = xp.where(ax == 1, edge, r)
    return xp.where(n < 0, 0.0, r)


def _shifted(kernel: Callable) -> Callable:
    return lambda xp, x, n: kernel(xp, 2 * x - 1, n)


def _poly(name: str, kernel: Callable, doc: str) -> Callable:
    def op(input: Any, n: Any, *, out: Tensor | None = None) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"special_{name}() received an invalid combination of arguments - "
                            f"got ({type(input).__name__}, {type(n).__name__}), but expected "
                            f"one of:\n * (Tensor input, Tensor n, *, Tensor out = None)\n * "
                            f"(Number x, Tensor n, *, Tensor out = None)\n * (Tensor x, Number "
                            f"n, *, Tensor out = None)\n")
        dt = _check_dtype(name, result_type(input, n), out, (input, n))
        dev = input._device if isinstance(input, Tensor) else n._device
        xp = dev._backend.xp
        x = input._data.astype(dt.np) if isinstance(input, Tensor) else xp.asarray(
            float(input), dtype=dt.np)  # the recurrence in the dtype, overflowing as PyTorch
        nn = n._data.astype("float64") if isinstance(n, Tensor) else xp.asarray(float(n))
        try:
            x, nn = xp.broadcast_arrays(x, nn)
        except ValueError:
            _check_broadcast(f"special_{name}", input, n)
            raise
        r = quiet(kernel, xp, xp.array(x, copy=True), _degrees(xp, nn))
        return _result(r, dt, dev, out, *(a._data for a in (input, n) if isinstance(a, Tensor)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


chebyshev_polynomial_t = _poly("chebyshev_polynomial_t", _cheb_kernel("t"),
                               "The Chebyshev polynomial of the first kind ``T_n(x)``.")
chebyshev_polynomial_u = _poly("chebyshev_polynomial_u", _cheb_kernel("u"),
                               "The Chebyshev polynomial of the second kind ``U_n(x)``.")
chebyshev_polynomial_v = _poly("chebyshev_polynomial_v", _cheb_kernel("v"),
                               "The Chebyshev polynomial of the third kind ``V_n(x)``.")
chebyshev_polynomial_w = _poly("chebyshev_polynomial_w", _cheb_kernel("w"),
                               "The Chebyshev polynomial of the fourth kind ``W_n(x)``.")
shifted_chebyshev_polynomial_t = _poly("shifted_chebyshev_polynomial_t",
                                       _shifted(_cheb_kernel("t", True)), "``T_n(2x - 1)``.")
shifted_chebyshev_polynomial_u = _poly("shifted_chebyshev_polynomial_u",
                                       _shifted(_cheb_kernel("u", True)), "``U_n(2x - 1)``.")
shifted_chebyshev_polynomial_v = _poly("shifted_chebyshev_polynomial_v",
                                       _shifted(_cheb_kernel("v", True)), "``V_n(2x - 1)``.")
shifted_chebyshev_polynomial_w = _poly("shifted_chebyshev_polynomial_w",
                                       _shifted(_cheb_kernel("w", True)), "``W_n(2x - 1)``.")
hermite_polynomial_h = _poly("hermite_polynomial_h", _hermite_h,
                             "The physicists' Hermite polynomial ``H_n(x)``.")
hermite_polynomial_he = _poly("hermite_polynomial_he", _hermite_he,
                              "The probabilists' Hermite polynomial ``He_n(x)``.")
laguerre_polynomial_l = _poly("laguerre_polynomial_l", _laguerre_l,
                              "The Laguerre polynomial ``L_n(x)``.")
legendre_polynomial_p = _poly("legendre_polynomial_p", _legendre_p,
                              "The Legendre polynomial ``P_n(x)``.")
