"""Special functions as ops: erf family, gamma family, Bessel functions, zeta, entr.

The kernels (``_special_kernels``) are NumPy-only; float16 and float32 inputs are
computed in float64 and rounded back. The ops in ``__all__`` are core ops
(``ember.erf``, ``ember.lgamma``, ...); those in ``SPECIAL_ONLY`` are reached through
``ember.special``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._memory_format import pointwise_laid
from . import _psi_kernels as P
from . import _special_kernels as K
from ._dispatch import Tensor, methods, renamed, result_type
from .arithmetic import _check_broadcast, _check_out_cast, _out
from .pointwise_binary import as_arrays, binop, where
from .pointwise_unary import in_float64, inplace_of, not_implemented, not_tensor, unary

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0",
           "erf_", "erfc_", "i0_"]
SPECIAL_ONLY = ["erfcx", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "zeta", "xlog1py",
                "entr"]

_SQRT_PI = math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)
_REAL = "biuf"


def _k(kernel: Any) -> Any:
    return in_float64(kernel)


def _kernel(name: str) -> Any:
    """The refusal of a dtype PyTorch has no kernel for, naming its CPU kernel."""
    return lambda npd: not_implemented(name, npd)


def _no_half(op: Any, kernel: str) -> Any:
    """``op``, refusing float16 and bfloat16 as PyTorch (which has no half kernel for it)."""
    def run(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if isinstance(input, Tensor) and input.dtype.name in ("float16", "bfloat16"):
            if out is not None:  # PyTorch checks the out= dtype first
                _check_out_cast(input._data.dtype, out)
            raise not_implemented(kernel, input._data.dtype)
        return op(input, out=out)

    run.__name__, run.__doc__ = op.__name__, op.__doc__
    return run


def _not_tiny(x: Tensor) -> Tensor:
    """``|x| > eps`` of x's dtype: where PyTorch's i1 / i1e backward uses the formula (0.5
    elsewhere, nan included)."""
    return x.abs() > float(np.finfo(x._data.dtype).eps)


erf = unary("erf", _k(K.erf), "ErfBackward0",
            lambda g, x, r: g * (2 / _SQRT_PI) * (-x * x).exp(), kinds=_REAL,
            doc="The error function.")
erfc = unary("erfc", _k(K.erfc), "ErfcBackward0",
             lambda g, x, r: g * (-2 / _SQRT_PI) * (-x * x).exp(), kinds=_REAL,
             doc="The complementary error function, ``1 - erf(x)``, accurate in the tail.")
erfinv = unary("erfinv", _k(K.erfinv), "ErfinvBackward0",
               lambda g, x, r: g * (_SQRT_PI / 2) * erfinv(x).square().exp(), saves="x",
               kinds=_REAL,
               doc="The inverse error function on (-1, 1).")
lgamma = unary("lgamma", _k(K.lgamma), "LgammaBackward0", lambda g, x, r: g * digamma(x),
               kinds=_REAL, doc="``log|Gamma(x)|``.")
digamma = unary("digamma", P.digamma, "DigammaBackward0",
                lambda g, x, r: g * polygamma(1, x), kinds=_REAL,
                doc="The logarithmic derivative of Gamma.")
i0 = unary("i0", K.native32(K.i0), "I0Backward0", lambda g, x, r: g * i1(x), kinds=_REAL,
           doc="The modified Bessel function of the first kind, order 0.")
erfcx = _no_half(unary(
    "special_erfcx", _k(K.erfcx), "SpecialErfcxBackward0",
    lambda g, x, r: g * (2 * x * r - 2 / _SQRT_PI), saves="xr", reject=_kernel("erfcx_cpu"),
    kinds=_REAL, doc="The scaled complementary error function ``exp(x**2) * erfc(x)``."),
    "erfcx_cpu")
i0e = unary("special_i0e", K.native32(K.i0e), "SpecialI0EBackward0",
            lambda g, x, r: g * (i1e(x) - x.sgn() * r), saves="xr", reject=_kernel("i0e_cpu"),
            kinds=_REAL, doc="``exp(-|x|) * i0(x)``.")
i1 = unary("special_i1", K.native32(K.i1), "SpecialI1Backward0",
           lambda g, x, r: g * where(_not_tiny(x), i0(x) - r / x, 0.5), saves="xr",
           reject=_kernel("i1_cpu"), kinds=_REAL,
           doc="The modified Bessel function of the first kind, order 1.")
i1e = unary("special_i1e", K.native32(K.i1e), "SpecialI1EBackward0",
            lambda g, x, r: g * where(_not_tiny(x), i0e(x) - r * (x.sgn() + x.reciprocal()),
                                      0.5),
            saves="xr", reject=_kernel("i1e_cpu"), kinds=_REAL, doc="``exp(-|x|) * i1(x)``.")


def _ndtr_composed(xp: Any, x: Any) -> Any:
    """PyTorch's ndtr, ``(1 + erf(x * M_SQRT1_2)) * 0.5`` rounded to ``x``'s dtype at each
    step (so its lower tail flushes to 0 where ``erf`` rounds to -1, as PyTorch's does)."""
    if x.dtype == "float64":
        return (1.0 + K.erf(xp, x * _SQRT1_2)) * 0.5
    t = x * xp.float32(_SQRT1_2)  # (float32: the scalar is cast to the tensor's dtype)
    e = K.erf(xp, t.astype("float64")).astype(x.dtype)
    return (e + xp.float32(1.0)) * xp.float32(0.5)


# PyTorch's ndtr is composed from erf (so its graph node is the last product's)
_ndtr = unary("special_ndtr", _ndtr_composed, "MulBackward1",
              lambda g, x, r: g * _INV_SQRT_2PI * (-0.5 * x * x).exp(),
              reject=_kernel("erf_vml_cpu"), kinds=_REAL,
              doc="The standard normal cumulative distribution function.")


def ndtr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The standard normal cumulative distribution function (float16 and bfloat16: composed
    of ops rounding to the dtype at each step, as PyTorch's ``(1 + erf(x / sqrt 2)) / 2``)."""
    if isinstance(input, Tensor) and input.dtype.name in ("float16", "bfloat16"):
        res = renamed((erf(input * _SQRT1_2) + 1) * 0.5, "MulBackward1")
        return res if out is None else _out(res, out, "special_ndtr")
    return _ndtr(input, out=out)


ndtri = _no_half(unary(
    "special_ndtri", _k(K.ndtri), "SpecialNdtriBackward0",
    lambda g, x, r: g * math.sqrt(2 * math.pi) * (0.5 * r * r).exp(), saves="r",
    reject=_kernel("ndtri_cpu"), kinds=_REAL,
    doc="The inverse of ``ndtr``: the standard normal quantile function."), "ndtri_cpu")
log_ndtr = _no_half(unary(
    "special_log_ndtr", _k(K.log_ndtr), "SpecialLogNdtrBackward0",
    lambda g, x, r: g * _INV_SQRT_2PI * (-0.5 * x * x - r).exp(), saves="xr",
    reject=_kernel("log_ndtr_cpu"), kinds=_REAL,
    doc="``log(ndtr(x))``, accurate far into the lower tail."), "log_ndtr_cpu")

def _entr_kernel(xp: Any, x: Any) -> Any:
    safe = xp.where(x > 0, x, 1)
    r = xp.where(x > 0, -x * xp.log(safe), xp.where(x == 0, 0, -xp.inf))
    return xp.where(xp.isnan(x), x, r).astype(x.dtype)


entr = unary("special_entr", _entr_kernel, "SpecialEntrBackward0",
             lambda g, x, r: g * -(x.log() + 1), reject=_kernel("entr_cpu"), kinds=_REAL,
             doc="``-x * log(x)`` for x > 0, 0 at 0 and -inf below.")


def _xlog1py_kernel(xp: Any, a: Any, b: Any) -> Any:
    a, b = as_arrays(xp, a, b)
    return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), a.dtype), a * xp.log1p(b))


def _d_xlog1py(g: Tensor, a: Any, b: Any, r: Any, na: bool, nb: bool) -> tuple:
    da = where((a == 0) & (b <= -1), 0.0, xlog1py(g, b)) if na else None
    return da, (g * a / (b + 1) if nb else None)


xlog1py = binop("special_xlog1py", _xlog1py_kernel, "SpecialXlog1PyBackward0", _d_xlog1py,
                kinds=_REAL, promote=True,
                doc="``input * log1p(other)``, and 0 where ``input == 0``.",
                number_nodes=("SpecialXlog1PyBackward2", "SpecialXlog1PyBackward1"))


def _zeta_kernel(xp: Any, s: Any, q: Any) -> Any:
    s, q = as_arrays(xp, s, q)
    dt = s.dtype
    return K.zeta(xp, s.astype("float64"), q.astype("float64")).astype(dt)


def _d_zeta(g: Tensor, s: Any, q: Any, r: Any, ns: bool, nq: bool) -> tuple:
    if ns:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    return None, (-g * s * zeta(s + 1, q) if nq else None)


_zeta = binop("special_zeta", _zeta_kernel, "SpecialZetaBackward0", _d_zeta, kinds=_REAL,
              promote=True, doc="The Hurwitz zeta function ``sum_k (k + other) ** -input``.",
              number_nodes=("SpecialZetaBackward2", "SpecialZetaBackward1"))
_HALF = ("float16", "bfloat16")


def zeta(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """The Hurwitz zeta function ``sum_k (k + other) ** -input`` (PyTorch has no float16 or
    bfloat16 kernel: a half result type is refused after the shape and ``out=`` checks)."""
    if (isinstance(input, Tensor) and input.dtype.name in _HALF) or \
            (isinstance(other, Tensor) and other.dtype.name in _HALF):
        rt = result_type(input, other)
        if rt.name in _HALF:
            _check_broadcast("special_zeta", input, other)
            if out is not None:
                _check_out_cast(rt.np, out)
            raise not_implemented("zeta_cpu", rt.np)
    return _zeta(input, other, out=out)


def polygamma(n: int, input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The ``n``-th derivative of digamma."""
    if not isinstance(input, Tensor):
        raise not_tensor("polygamma", input, 2)
    n = int(n)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if input.is_complex():  # PyTorch's kernels for n = 0 and 1 are digamma's and trigamma's
        raise not_implemented(("digamma", "trigamma")[n] if n < 2 else "polygamma",
                              input._data.dtype)
    kernel = (P.digamma, P.trigamma)[n] if n < 2 else _k(
        lambda xp, x: pointwise_laid(xp, K.polygamma(xp, n, x), x))  # (x's layout)
    return unary("polygamma", kernel, "PolygammaBackward0",
                 lambda g, x, r: g * polygamma(n + 1, x), kinds=_REAL)(input, out=out)


def _c_order(xp: Any, a: Any) -> Any:
    """``a`` in C order (NumPy's ascontiguousarray would make a 0-d array 1-d)."""
    return a if a.ndim < 2 else xp.ascontiguousarray(a)


def mvlgamma(input: Tensor, p: int, *, out: Tensor | None = None) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``."""
    if not isinstance(input, Tensor):
        raise not_tensor("mvlgamma", input)
    if input.dtype.name == "bool":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.is_complex():  # PyTorch's mvlgamma starts with arange in the input's dtype
        raise not_implemented("arange_cpu", input._data.dtype)
    const = p * (p - 1) / 4 * math.log(math.pi)
    # float16 / bfloat16: PyTorch rounds each of x - i/2, its lgamma and their sum to the dtype
    half = input._data.dtype if input.dtype.name in ("float16", "bfloat16") else None

    def kernel(xp: Any, x: Any) -> Any:
        if half is not None:
            terms = [K.lgamma(xp, (x - i / 2).astype(half).astype("float64")).astype(half)
                     for i in range(p)]
            total = sum(t.astype("float32") for t in terms).astype(half)
            return _c_order(xp, total.astype("float32")
                            + xp.asarray(const).astype(half).astype("float32"))
        total = xp.zeros_like(x) + const
        for i in range(p):
            total = total + K.lgamma(xp, x - i / 2)
        return _c_order(xp, total)  # (PyTorch's result comes from a sum: C order)

    def d(g: Tensor, x: Tensor, r: Any) -> Tensor:
        total = digamma(x + 0.0)  # (as PyTorch's x + arange(...): -0 becomes +0)
        for i in range(1, p):
            total = total + digamma(x - i / 2)
        return g * total

    return unary("mvlgamma", _k(kernel), "MvlgammaBackward0", d, kinds=_REAL)(input, out=out)


_mvlgamma_plain = inplace_of(mvlgamma, "mvlgamma_")


def _mvlgamma_(self: Tensor, p: int) -> Tensor:
    """In-place ``mvlgamma``; an integer ``self`` is refused with PyTorch's message (after
    the checks of ``mvlgamma`` itself)."""
    if isinstance(self, Tensor) and self.dtype.kind in "iu" and p >= 1:
        from .. import dtypes as _dt
        from . import _inplace

        raise RuntimeError(f"mvlgamma: result type {_inplace._type_name(self._data.dtype)} "
                           "can't be cast to the desired output type "
                           f"{_inplace._type_name(_dt.get_default_dtype().np)}")
    return _mvlgamma_plain(self, p)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def _polygamma_(self: Tensor, n: int) -> Tensor:
    from . import _inplace

    return _inplace.commit(self, polygamma(n, self), "polygamma_")


erf_ = inplace_of(erf, "erf_")
erfc_ = inplace_of(erfc, "erfc_")
i0_ = inplace_of(i0, "i0_")
methods(erf=erf, erfc=erfc, erfinv=erfinv, lgamma=lgamma, digamma=digamma, i0=i0,
        mvlgamma=mvlgamma, polygamma=_polygamma_method, erf_=erf_, erfc_=erfc_, i0_=i0_,
        erfinv_=inplace_of(erfinv, "erfinv_"), lgamma_=inplace_of(lgamma, "lgamma_"),
        digamma_=inplace_of(digamma, "digamma_"), mvlgamma_=_mvlgamma_,
        polygamma_=_polygamma_)
