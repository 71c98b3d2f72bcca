"""Unary pointwise math: roots, exponentials, logarithms, trigonometry, rounding, sign.

Each op is declared once with ``unary(...)``: its kernel over the backend namespace, the
dtypes it accepts, whether integers promote to the default float dtype, and its
derivative written with Ember ops (so double backward works). Holomorphic ops follow
PyTorch's conjugate-Wirtinger convention: ``grad * conj(f'(z))``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import dense_like_result
from .._runtime import _threads
from . import _inplace
from ._dispatch import (
    Tensor,
    astype,
    copy,
    grad_state,
    kind,
    make,
    methods,
    quiet,
    record,
    refuse_shell_uint,
    renamed,
    result_type,
)
from ._fma import fma, fma_dtype
from ._torch_cpu import GRAIN_SIZE, half_vector_width
from .arithmetic import _out, to_f32

__all__ = ["abs", "absolute", "sign", "sgn", "sqrt", "rsqrt", "square", "exp", "exp2", "expm1",
           "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "arcsin", "acos",
           "arccos", "atan", "arctan", "sinh", "cosh", "tanh", "asinh", "arcsinh", "acosh",
           "arccosh", "atanh", "arctanh", "sigmoid", "logit", "floor", "ceil", "round", "trunc",
           "fix", "frac", "reciprocal", "deg2rad", "rad2deg", "sinc", "nan_to_num"]

_isinstance = isinstance


def cj(t: Tensor) -> Tensor:
    """``conj(t)`` for complex tensors, ``t`` otherwise (derivatives use it everywhere)."""
    return t.conj() if kind(t._data) == "c" else t


def zeros_like_grad(g: Tensor) -> Tensor:
    return make(g._device._backend.xp.zeros_like(g._data), g._device)


def type_name(npd: Any) -> str:
    """PyTorch's short name of a dtype ('Float', 'Long', 'ComplexFloat', ...)."""
    return _inplace._type_name(npd)


def not_implemented(op: str, npd: Any) -> NotImplementedError:
    return NotImplementedError(f"\"{op}\" not implemented for '{type_name(npd)}'")


def not_tensor(op: str, x: Any, pos: int = 1, arg: str = "input") -> TypeError:
    """PyTorch's refusal of a non-tensor argument, naming its type as PyTorch's argument parser
    does (``list``, ``float``, but ``numpy.ndarray``)."""
    return bad_arg(op, arg, x, "Tensor", pos)


def bad_arg(op: str, arg: str, x: Any, expected: str, pos: int | None = None) -> TypeError:
    """PyTorch's argument parser's refusal of a wrongly typed argument: ``op(): argument 'arg'
    (position N) must be T, not U`` (no position for an argument given by keyword). Build it
    on the error path only."""
    where = "" if pos is None else f" (position {pos})"
    return TypeError(f"{op}(): argument '{arg}'{where} must be {expected}, not "
                     f"{_arg_type_name(x)}")


def _arg_type_name(x: Any) -> str:
    """A value's type as PyTorch's errors name it: bare for builtins, else module-qualified."""
    t = type(x)
    if t.__module__ == "builtins" or _isinstance(x, Tensor):  # (a Parameter: its class name)
        return t.__name__
    return f"ember.{t.__name__}" if t.__module__.startswith("ember.") else \
        f"{t.__module__}.{t.__qualname__}"


def invalid_combination(op: str, *args: Any) -> TypeError:
    """PyTorch's refusal of arguments that fit none of an op's overloads (its first line)."""
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:")


def bf16_to_f32(*arrays: Any) -> tuple:
    """bfloat16 arrays (NumPy kind 'V') as float32, other operands unchanged."""
    return tuple(to_f32(a) if getattr(getattr(a, "dtype", None), "kind", None) == "V"
                 else a for a in arrays)


def wrap(r: Any, dev: Any) -> Tensor:
    """A result array as a tensor (NumPy gives scalars for 0-d results)."""
    if r.__class__ is not dev._backend.ndarray:
        r = dev._backend.xp.asarray(r)
    return make(r, dev)


def in_float64(kernel: Callable) -> Callable:
    """Run a float64 kernel on any float array, casting the result back."""
    def run(xp: Any, x: Any) -> Any:
        if x.dtype == "float64":
            return kernel(xp, x)
        return kernel(xp, x.astype("float64")).astype(x.dtype)

    return run


# ops whose out= must have the input's dtype exactly (PyTorch's "Found dtype ... but expected")
_EXACT_OUT = frozenset({"abs", "sign", "sgn", "round", "floor", "ceil", "trunc", "frac",
                        "bitwise_not"})


def unary(name: str, kernel: Callable, node: str | None, deriv: Callable | None = None, *,
          saves: str = "x", kinds: str = "biufc", promote: bool = True, doc: str = "",
          reject: Callable[[Any], Exception] | None = None,
          half_deriv: Callable | None = None, half_fix: Callable | None = None) -> Callable:
    """Declare a unary op.

    ``kernel(xp, x)`` computes the result; ``deriv(g, x, r)`` the input's gradient from the
    output's (``x``/``r`` are the input and result when ``saves`` names them, else None).
    ``kinds`` are the NumPy dtype kinds accepted; ``promote`` turns integers and bools into
    the default float dtype first. ``half_deriv(g, r, dtype)`` (float32 arrays): the gradient
    of PyTorch's fused backward kernel for float16/bfloat16 ``dtype``, rounded to it after.
    ``half_fix(x, r)``: the float16/bfloat16 result ``r`` of input ``x`` redone where
    PyTorch's CPU scalar loop rounds differently from its vector loop.
    """
    save_x, save_r = "x" in saves, "r" in saves
    exact = name in _EXACT_OUT
    no_shell_uint = name in ("abs", "sign", "square")  # PyTorch has no uint16/32/64 kernel

    def vjp(g: Tensor, x: Any, r: Any) -> tuple:
        rd = None if half_deriv is None else r._data.dtype
        if rd is not None and rd.itemsize == 2 and rd.kind in "fV" and not grad_state.enabled \
                and g._data.dtype == rd:
            ga, ra = g._data.astype("float32"), r._data.astype("float32")
            return (make(quiet(half_deriv, ga, ra, rd).astype(rd), g._device),)
        return (quiet(deriv, g, x, r),)

    def op(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        try:
            x = input._data
        except AttributeError:
            raise not_tensor(name, input) from None
        if exact and out is not None and (x.dtype.kind != "c" or name == "sgn"):  # before
            # the kernel (complex: sgn keeps the dtype, abs is real, others refuse first)
            _inplace.check_exact_out(x.dtype, out)
        try:
            k = x.dtype.kind
        except AttributeError:  # an Array-API namespace's own dtype objects
            k = _dt.from_foreign_dtype(x.dtype).kind
        dev = input._device
        bf16 = k == "V" or (k == "f" and x.dtype == "float16")
        if bf16:  # bfloat16 and float16: computed in float32, rounded once (PyTorch's opmath)
            x, k = to_f32(x), "f"
        if k not in kinds:
            err = reject(input.dtype.np) if reject is not None else \
                not_implemented(_KERNEL_NAMES.get(name, name), input.dtype.np)
            if out is not None and "not implemented for" in str(err):
                _refuse_out(input._data.dtype, out, exact)  # checked before a kernel's refusal
            raise err
        if no_shell_uint and k == "u":
            refuse_shell_uint("pow" if name == "square" else f"{name}_cpu", x)
        if promote and k in "biu":
            x = dev._backend.astype(x, _dt._default)
        r = quiet(kernel, dev._backend.xp, x)
        if r.__class__ is not dev._backend.ndarray:
            r = dev._backend.xp.asarray(r)
        if bf16 and r.dtype == "float32":
            r = quiet(r.astype, input._data.dtype)  # overflow to inf, silently as PyTorch
            if half_fix is not None and r.__class__ is np.ndarray:
                r = quiet(half_fix, input._data, r)
        res = make(r, dev)
        if deriv is not None and grad_state.enabled and input._rg:
            record(node, res, (input,), vjp, (input if save_x else None, res if save_r else None))
        return res if out is None else _out(res, out, "pow" if name == "square" else name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _refuse_out(npd: Any, out: Tensor, exact: bool) -> None:
    """An ``out=`` PyTorch refuses before the kernel refuses the input's dtype ``npd``."""
    if exact:
        _inplace.check_exact_out(npd, out)
    od = out._data.dtype
    if npd != od and _inplace._KIND_RANK.get(npd.kind, 2) > _inplace._KIND_RANK.get(od.kind, 2):
        raise RuntimeError(f"result type {_inplace._type_name(npd)} can't be cast to the "
                           f"desired output type {_inplace._type_name(od)}")


# PyTorch's names of the CPU kernels that refuse a dtype, where they differ from the op's
_KERNEL_NAMES = {"erf": "erf_vml_cpu", "erfc": "erfc_vml_cpu", "erfinv": "erfinv_vml_cpu",
                 "i0": "i0_vml_cpu", "lgamma": "lgamma_vml_cpu", "logit": "logit_cpu"}


def inplace_of(fn: Callable, name: str) -> Callable:
    """The ``x.op_()`` form of a unary op: compute, then write into ``self``."""
    def op_(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        _inplace.check_overlap(self, name)  # before the kernel's own refusals, as PyTorch
        try:
            res = fn(self, *args, **kwargs)
        except NotImplementedError:  # a kernel's dtype refusal: PyTorch checks shapes first
            _check_inplace_shape(self, list(args))
            raise
        except TypeError as e:
            raise _as_method_error(e, fn.__name__, name) from None
        return _inplace.commit(self, res, name)

    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return op_


def promoting_inplace_of(fn: Callable, name: str, to_float: bool = False,
                         c_names: bool = False) -> Callable:
    """``x.op_(other, ...)`` of an op that promotes its operands: like PyTorch, refuse a result
    type ``x`` can't hold before the kernel runs (so the kernel's dtype refusals come second).
    ``to_float``: the op computes integers as floats (atan2, xlogy, ...); ``c_names``: the
    message names ``x``'s type in C (clamp's, with number bounds)."""
    plain = inplace_of(fn, name)

    def op_(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not c_names:  # (clamp_ checks its bounds' type first)
            _inplace.check_overlap(self, name)
        ops = [a for k, a in (*enumerate(args), *kwargs.items())  # addcmul's value: cast
               if k != "value" and isinstance(a, (Tensor, bool, int, float, complex))]
        if ops:
            rt = result_type(self, *ops)
            if to_float and rt.category < _dt._FLOAT:
                rt = _dt._default
            if rt.category > self.dtype.category:
                _check_inplace_shape(self, ops)  # PyTorch checks the shapes first
                _check_arg_types(fn, name, self, args, kwargs)
                if c_names and not any(isinstance(a, Tensor) for a in ops):  # scalar bounds
                    from .linalg import _C_NAMES

                    out = _C_NAMES.get(self.dtype.name, self.dtype.name)
                else:
                    out = type_name(self.dtype)
                raise RuntimeError(f"result type {type_name(rt)} can't be cast to the desired "
                                   f"output type {out}")
        try:
            return plain(self, *args, **kwargs)
        except NotImplementedError:  # a kernel's dtype refusal: PyTorch checks shapes first
            _check_inplace_shape(self, ops)
            raise
        except RuntimeError as e:  # an integer division by zero: shapes first too
            if str(e) == "ZeroDivisionError":
                _check_inplace_shape(self, ops)
            raise

    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = plain.__doc__
    return op_


def _as_method_error(e: TypeError, fn_name: str, name: str) -> TypeError:
    """A refusal of ``fn``'s argument as the method ``x.name(...)`` words it in PyTorch: the
    method's name, positions counted after ``self``."""
    msg = str(e)
    head = f"{fn_name}(): argument '"
    if not msg.startswith(head):
        return e
    arg, sep, rest = msg[len(head):].partition("' (position ")
    pos, close, tail = rest.partition(")")
    if not (sep and close and pos.isdigit()):
        return e
    return TypeError(f"{name}(): argument '{arg}' (position {int(pos) - 1}){tail}")


def _check_arg_types(fn: Callable, name: str, self: Tensor, args: tuple, kwargs: dict) -> None:
    """On the cast-error path: PyTorch's argument parser refuses a number where the op takes
    only a tensor (``x.atan2_(2)``) before any dtype check; the out-of-place op says so."""
    try:
        fn(self, *args, **kwargs)
    except TypeError as e:
        raise _as_method_error(e, fn.__name__, name) from None
    except RuntimeError as e:  # addcdiv's refusal of integer division also comes first
        if str(e).startswith("Integer division with addcdiv"):
            raise
    except Exception:  # noqa: BLE001 - only the argument refusals matter here
        return


def _check_inplace_shape(self: Tensor, operands: list) -> None:
    """PyTorch's shape errors of an in-place op (called on its error paths): operands that
    do not broadcast, or a broadcast shape other than ``self``'s."""
    shapes = [tuple(a.shape) for a in operands if isinstance(a, Tensor)]
    if not shapes:
        return
    own = tuple(self.shape)
    try:
        full = np.broadcast_shapes(own, *shapes)
    except ValueError:
        from .arithmetic import _mismatch

        a, b, dim = _mismatch(own, next(s for s in shapes if not _broadcasts(own, s)))
        raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) "
                           f"at non-singleton dimension {dim}") from None
    if full != own:
        raise RuntimeError(f"output with shape {list(own)} doesn't match the broadcast shape "
                           f"{list(full)}")


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ derivatives
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _d_abs(g: Tensor, x: Tensor, r: Any) -> Tensor:
    if kind(x._data) == "c":
        from .pointwise_complex import real_grad

        return real_grad(g) * x.sgn()
    return g * x.sign()


def _d_sgn(g: Tensor, x: Tensor, r: Tensor) -> Tensor:
    if kind(x._data) != "c":
        return zeros_like_grad(g)
    a = x.abs()
    # (g - sgn(x) * Re(conj(sgn(x)) * g)) / |x|, and 0 where x == 0
    gi = (g - r * (r.conj() * g).real) / a
    from .pointwise_binary import where

    return where(a == 0, 0.0, gi)


def _zero(g: Tensor, x: Any, r: Any) -> Tensor:
    return zeros_like_grad(g)


def _d_sinc(g: Tensor, x: Tensor, r: Tensor) -> Tensor:
    from .pointwise_binary import where

    xpi, sq = x * math.pi, x * x * math.pi  # PyTorch's formula (it saves only x), so its
    d = (xpi * xpi.cos() - xpi.sin()) / sq  # rounding near 0 and underflow to 0 are kept
    return where(sq == 0, 0.0, g * cj(d))  # PyTorch's last step is the where


def _d_logit(eps: Any) -> Callable:
    def d(g: Tensor, x: Tensor, r: Any) -> Tensor:
        from .pointwise_binary import where

        gi = g / (x * (1 - x) + 0.0)  # + 0.0: PyTorch gives g * inf at x = -0 too
        if eps is None:
            return where((x < 0) | (x > 1), math.nan, gi)
        return where((x < eps) | (x > 1 - eps), 0.0, gi)

    return d


# ------------------------------------------------------------------ the ops
def _copy_laid(xp: Any, x: Any) -> Any:
    """A copy of ``x`` laid out as it (PyTorch's unary ops keep the input's strides; for an
    expanded input, where NumPy's order K would lay the stride-0 dim innermost, PyTorch's)."""
    if not hasattr(x, "copy"):
        return copy(xp, x)
    return dense_like_result(xp, x) if 0 in x.strides else x.copy(order="K")


def _sign_kernel(xp: Any, x: Any) -> Any:
    if kind(x) == "b":
        return _copy_laid(xp, x)
    r = xp.sign(x)
    return astype(xp, xp.where(xp.isnan(x), 0, r), x.dtype) if kind(x) == "f" else r


def _sgn_kernel(xp: Any, x: Any) -> Any:
    if kind(x) != "c":
        return _sign_kernel(xp, x)
    a = xp.abs(x)
    return xp.where(a == 0, 0, x / xp.where(a == 0, 1, a)).astype(x.dtype)


def _square_kernel(xp: Any, x: Any) -> Any:
    if kind(x) == "b":
        x = x.astype("int64")
    return x * x


def _sign_reject(npd: Any) -> Exception:
    return NotImplementedError(
        "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
        "torch.sgn instead.")


def _rounding_reject(op: str, kernel: str | None = None, complex_kernel: bool = False
                     ) -> Callable:
    """PyTorch's refusal: ``kernel`` not implemented (for complex too where
    ``complex_kernel``), else "op is not supported for complex inputs"."""
    def reject(npd: Any) -> Exception:
        if npd.kind == "c" and not complex_kernel:
            return NotImplementedError(f"{op} is not supported for complex inputs")
        return not_implemented(kernel or op, npd)

    return reject


def _keep_int(f: Callable) -> Callable:
    """``f`` for floats; a copy of an integer input, laid out as it (PyTorch keeps strides)."""
    return lambda xp, x: _copy_laid(xp, x) if kind(x) in "iu" else f(xp, x)


def _sigmoid_kernel(xp: Any, x: Any) -> Any:
    # exact to rounding on both tails: exp(-x) overflowing to inf gives 0
    return 1 / (1 + xp.exp(-x))


def _complex_reject(op: str) -> Callable:
    return lambda npd: RuntimeError(f"{op} is not supported for complex tensors.")


def _abs_kernel(xp: Any, x: Any) -> Any:
    """``|x|``; complex as ``hypot(re, im)``, PyTorch's CPU rounding (NumPy's ``abs`` of
    complex64 differs in the last bit for about one element in six)."""
    return xp.hypot(x.real, x.imag) if x.dtype.kind == "c" else xp.abs(x)


abs = unary("abs", _abs_kernel, "AbsBackward0", _d_abs, kinds="iufc",
            promote=False, reject=lambda npd: not_implemented("abs_cpu", npd), doc="Absolute value, elementwise; |z| (real) for complex z.")
sign = unary("sign", _sign_kernel, "SignBackward0", _zero, saves="", kinds="biuf", promote=False,
             reject=_sign_reject, doc="-1, 0 or 1 by the sign of each element.")
sgn = unary("sgn", _sgn_kernel, "SgnBackward0", _d_sgn, saves="xr", promote=False,
            doc="``z / |z|`` for complex elements (0 at 0); ``sign`` for real ones.")
sqrt = unary("sqrt", lambda xp, x: xp.sqrt(x), "SqrtBackward0",
             lambda g, x, r: g / (2 * cj(r)), saves="r", doc="Square root, elementwise.")


def _rsqrt_scalar_loop(x: Any, r: Any) -> Any:
    """PyTorch's CPU rsqrt of float16/bfloat16: its vector loop computes in float32 and
    rounds once (``r``); the elements its scalar loop takes compute ``1 / sqrt(x)`` in the
    half type, rounding twice. The scalar loop takes what follows the last whole vector of
    each contiguous run (a dense array in memory order, one run a thread from PyTorch's grain
    size on; else each run along the unit-stride dimension), and all of an array with no
    unit-stride dimension."""
    w = half_vector_width()
    n = x.size
    if x.flags.c_contiguous or x.flags.f_contiguous:
        if n >= w and r.flags.c_contiguous == x.flags.c_contiguous:
            xs, rs = (x.reshape(-1), r.reshape(-1)) if x.flags.c_contiguous else \
                (x.T.reshape(-1), r.T.reshape(-1))
            parts = 1 if n < GRAIN_SIZE else min(_threads[0], -(-n // GRAIN_SIZE))
            chunk = -(-n // parts)
            for s in range(0, n, chunk):  # one chunk a thread (at most a few)
                k = s + min(chunk, n - s) // w * w
                e = min(s + chunk, n)
                rs[k:e] = 1 / np.sqrt(xs[k:e])
            return r
    else:
        unit = [d for d in range(x.ndim) if x.strides[d] == x.itemsize and x.shape[d] > 1]
        if unit:
            d = unit[-1]
            k = x.shape[d] // w * w
            xv, rv = np.moveaxis(x, d, -1), np.moveaxis(r, d, -1)
            rv[..., k:] = 1 / np.sqrt(xv[..., k:])
            return r
    return np.asarray(1 / np.sqrt(x))


rsqrt = unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), "RsqrtBackward0",
              lambda g, x, r: -0.5 * g * cj(r.pow(3)), saves="r",
              doc="Reciprocal of the square root, elementwise.", half_fix=_rsqrt_scalar_loop)
def _d_square(g: Tensor, x: Tensor, r: Any) -> Tensor:
    # as PyTorch's pow(x, 2) backward, 2 * x ** 1: the derivative then stays in the graph
    # (a third derivative is zeros, not "does not require grad")
    return g * cj(2 * (x ** 1 if grad_state.enabled and x._rg else x))


square = unary("square", _square_kernel, "PowBackward0", _d_square, promote=False, doc="``input * input``; bool gives int64.")
exp = unary("exp", lambda xp, x: xp.exp(x), "ExpBackward0", lambda g, x, r: g * cj(r),
            saves="r", doc="``e ** input``, elementwise.")
exp2 = unary("exp2", lambda xp, x: xp.exp2(x), "Exp2Backward0",
             lambda g, x, r: g * cj(r * _LN2), saves="r", doc="``2 ** input``, elementwise.")
expm1 = unary("expm1", lambda xp, x: xp.expm1(x), "Expm1Backward0",
              lambda g, x, r: g * cj(r + 1), saves="r", doc="``exp(input) - 1``, accurate near 0.")
log = unary("log", lambda xp, x: xp.log(x), "LogBackward0", lambda g, x, r: g / cj(x),
            doc="Natural logarithm, elementwise.")
log2 = unary("log2", lambda xp, x: xp.log2(x), "Log2Backward0",
             lambda g, x, r: g / cj(x * _LN2), doc="Base-2 logarithm, elementwise.")
log10 = unary("log10", lambda xp, x: xp.log10(x), "Log10Backward0",
              lambda g, x, r: g / cj(x * _LN10), doc="Base-10 logarithm, elementwise.")
def _log1p(xp: Any, x: Any) -> Any:
    """``log(1 + x)``; complex as PyTorch's (NumPy's complex log1p loses a tiny ``x``)."""
    if x.dtype.kind != "c":
        return xp.log1p(x)
    re, im = x.real, x.imag
    theta = xp.arctan2(im, re + 1)
    r = re * (2 + re) + im * im
    small = 0.5 * xp.log1p(r)
    small = xp.where(r == 0, re, small)  # (underflow)
    big = xp.log(xp.hypot(re + 1, im))
    return xp.where(xp.abs(x) < 0.5, small, big) + 1j * theta


log1p = unary("log1p", _log1p, "Log1PBackward0",
              lambda g, x, r: g / cj(x + 1), doc="``log(1 + input)``, accurate near 0.")
sin = unary("sin", lambda xp, x: xp.sin(x), "SinBackward0", lambda g, x, r: g * cj(x.cos()),
            doc="Sine, elementwise.")
cos = unary("cos", lambda xp, x: xp.cos(x), "CosBackward0", lambda g, x, r: -g * cj(x.sin()),
            doc="Cosine, elementwise.")
tan = unary("tan", lambda xp, x: xp.tan(x), "TanBackward0", lambda g, x, r: g * cj(r * r + 1),
            saves="r", doc="Tangent, elementwise.")
asin = unary("asin", lambda xp, x: xp.arcsin(x), "AsinBackward0",
             lambda g, x, r: g * cj((1 - x * x).rsqrt()), doc="Inverse sine, elementwise.")
acos = unary("acos", lambda xp, x: xp.arccos(x), "AcosBackward0",
             lambda g, x, r: -g * cj((1 - x * x).rsqrt()), doc="Inverse cosine, elementwise.")
atan = unary("atan", lambda xp, x: xp.arctan(x), "AtanBackward0",
             lambda g, x, r: g / cj(x * x + 1), doc="Inverse tangent, elementwise.")
sinh = unary("sinh", lambda xp, x: xp.sinh(x), "SinhBackward0", lambda g, x, r: g * cj(x.cosh()),
             doc="Hyperbolic sine, elementwise.")
cosh = unary("cosh", lambda xp, x: xp.cosh(x), "CoshBackward0", lambda g, x, r: g * cj(x.sinh()),
             doc="Hyperbolic cosine, elementwise.")
def _sigmoid_half_grad(g: Any, r: Any, dt: Any) -> Any:
    """PyTorch's sigmoid_backward: ``g * (1 - r) * r`` in float32 for bfloat16; float16
    rounds ``1 - r`` and ``g * (1 - r)`` to float16 on the way."""
    if dt.name != "float16":
        return g * (1 - r) * r
    t = (1 - r).astype(dt).astype("float32")
    return (g * t).astype(dt).astype("float32") * r


_FUSED_TANH_MAX = 1 << 16  # elements: past this the emulated fused step costs 2-10x


def _tanh_grad(g: Tensor, x: Any, r: Tensor) -> Tensor:
    """PyTorch's tanh_backward: ``g * (1 - r * r)`` with ``1 - r * r`` fused (rounded once,
    float32 and float64), on a plain backward of up to ``_FUSED_TANH_MAX`` elements; with a
    graph, or larger, the composite (the last bit may differ)."""
    ra = r._data
    if not grad_state.enabled and ra.__class__ is np.ndarray and fma_dtype(ra.dtype) \
            and g._data.dtype == ra.dtype and ra.size <= _FUSED_TANH_MAX:
        return wrap(g._data * fma(-ra, ra, 1.0, ra.dtype), g._device)
    return renamed(g * cj(1 - r * r), "TanhBackwardBackward0")


def _sigmoid_grad(g: Tensor, x: Any, r: Tensor) -> Tensor:
    """PyTorch's sigmoid_backward: ``g * (1 - r) * r`` left to right (real), ``g * conj((1 -
    r) * r)`` (complex)."""
    if r._data.dtype.kind == "c":
        return renamed(g * cj(r * (1 - r)), "SigmoidBackwardBackward0")
    return renamed(g * (1 - r) * r, "SigmoidBackwardBackward0")


tanh = unary("tanh", lambda xp, x: xp.tanh(x), "TanhBackward0", _tanh_grad, saves="r",
             doc="Hyperbolic tangent, elementwise.",
             half_deriv=lambda g, r, dt: g * (1 - r * r))
asinh = unary("asinh", lambda xp, x: xp.arcsinh(x), "AsinhBackward0",
              lambda g, x, r: g * cj((x * x + 1).rsqrt()), doc="Inverse hyperbolic sine.")
def _acosh_grad(g: Any, x: Any, r: Any) -> Any:
    """PyTorch's AcoshBackward0: ``rsqrt(x*x - 1)`` for real input; complex input takes
    ``rsqrt(x - 1) * rsqrt(x + 1)``, the branch that matches ``acosh``'s own cut."""
    if x._data.dtype.kind == "c":
        return g * cj((x - 1).rsqrt() * (x + 1).rsqrt())
    return g * cj((x * x - 1).rsqrt())


acosh = unary("acosh", lambda xp, x: xp.arccosh(x), "AcoshBackward0", _acosh_grad,
              doc="Inverse hyperbolic cosine.")
atanh = unary("atanh", lambda xp, x: xp.arctanh(x), "AtanhBackward0",
              lambda g, x, r: g / cj(1 - x * x), doc="Inverse hyperbolic tangent.")
sigmoid = unary("sigmoid", _sigmoid_kernel, "SigmoidBackward0", _sigmoid_grad, saves="r",
                doc="``1 / (1 + exp(-input))``.", half_deriv=_sigmoid_half_grad)
reciprocal = unary("reciprocal", lambda xp, x: 1 / x, "ReciprocalBackward0",
                   lambda g, x, r: -g * cj(r * r), saves="r", doc="``1 / input``, elementwise.")
deg2rad = unary("deg2rad", lambda xp, x: x * xp.asarray(math.pi / 180, dtype=x.dtype),
                "Deg2RadBackward0", lambda g, x, r: g * (math.pi / 180), saves="", kinds="biuf",
                reject=_complex_reject("deg2rad"), doc="Degrees to radians.")
rad2deg = unary("rad2deg", lambda xp, x: x * xp.asarray(180 / math.pi, dtype=x.dtype),
                "Rad2DegBackward0", lambda g, x, r: g * (180 / math.pi), saves="", kinds="biuf",
                reject=_complex_reject("rad2deg"), doc="Radians to degrees.")


def _sinc_kernel(xp: Any, x: Any) -> Any:
    """float16 in float32 (PyTorch's opmath): ``pi x`` overflows half for |x| > ~2e4."""
    if x.dtype == "float16":
        return xp.sinc(x.astype("float32")).astype("float16")
    return xp.sinc(x)


sinc = unary("sinc", _sinc_kernel, "SincBackward0", _d_sinc, saves="x",
             doc="Normalized sinc: ``sin(pi x) / (pi x)``, 1 at 0.")
floor = unary("floor", _keep_int(lambda xp, x: xp.floor(x)), "FloorBackward0", _zero, saves="",
              kinds="iuf", promote=False, reject=_rounding_reject("floor", "floor_vml_cpu"),
              doc="Largest integer not greater than each element (integers unchanged).")
ceil = unary("ceil", _keep_int(lambda xp, x: xp.ceil(x)), "CeilBackward0", _zero, saves="",
             kinds="iuf", promote=False, reject=_rounding_reject("ceil", "ceil_vml_cpu"),
             doc="Smallest integer not less than each element (integers unchanged).")
trunc = unary("trunc", _keep_int(lambda xp, x: xp.trunc(x)), "TruncBackward0", _zero, saves="",
              kinds="iuf", promote=False, reject=_rounding_reject("trunc", "trunc_vml_cpu"),
              doc="Rounds each element toward zero (integers unchanged).")
frac = unary("frac", lambda xp, x: x - xp.trunc(x), "FracBackward0", lambda g, x, r: g,
             saves="", kinds="f", promote=False, reject=_rounding_reject("frac", "frac_cpu", True),
             doc="Fractional part: ``input - trunc(input)``.")
_round0 = unary("round", _keep_int(lambda xp, x: xp.round(x)), "RoundBackward0", _zero, saves="",
                kinds="iuf", promote=False, reject=_rounding_reject("round", "round_vml_cpu", True))
absolute, arcsin, arccos, arctan, arcsinh, arccosh, arctanh, fix = (
    abs, asin, acos, atan, asinh, acosh, atanh, trunc)


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """Rounds half to even; with ``decimals``, to that many decimal places."""
    if decimals == 0:
        return _round0(input, out=out)
    x = input._data
    if out is not None and kind(x) != "c":
        _inplace.check_exact_out(x.dtype, out)
    if kind(x) not in "fV":  # PyTorch's kernel with decimals is round_cpu
        raise not_implemented("round_cpu", x.dtype)
    # float16 and bfloat16 in float32, rounded once (x * 100 in half would round first)
    w = x.astype("float32") if kind(x) == "V" or x.dtype == "float16" else x
    xp = input._device._backend.xp
    scale = xp.asarray(10.0 ** builtins.abs(decimals), dtype=w.dtype)
    r = quiet(lambda: xp.round(w * scale) / scale if decimals > 0 else xp.round(w / scale) * scale)
    res = wrap(xp.asarray(r).astype(x.dtype, copy=False), input._device)
    if grad_state.enabled and input._rg:
        record("RoundBackward1", res, (input,), lambda g: (zeros_like_grad(g),))
    return res if out is None else _out(res, out, "round")


def logit(input: Tensor, eps: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``."""
    lo, hi = (None, None) if eps is None else (eps, 1 - eps)
    # float16/bfloat16: PyTorch's kernel works in the half type, each step rounded to it
    half = input.dtype.np.type if input.dtype in (_dt.bfloat16, _dt.float16) else None
    if eps is not None and half is not None:  # the bounds in the input's dtype
        lo = float(half(eps))
        hi = float(half(1 - lo))

    def kernel(xp: Any, x: Any) -> Any:
        z = x if eps is None else xp.clip(x, lo, hi)
        if eps is not None and lo > hi:  # eps > 0.5: PyTorch's ``x < lo ? lo : x > hi ? hi : x``
            z = xp.where(x < lo, xp.asarray(lo, dtype=z.dtype), z)
        if half is not None:
            return xp.log(_rounded(z / _rounded(1 - z, half), half))
        return xp.log(z / (1 - z))

    return unary("logit", kernel, "LogitBackward0", _d_logit(eps), kinds="biuf")(input, out=out)


def _rounded(x: Any, half: Any) -> Any:
    """A float32 array rounded to the half type ``half`` and back (one step of a half kernel)."""
    return x.astype(half).astype(x.dtype)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the
    dtype's largest and lowest finite values)."""
    if out is not None and _isinstance(input, Tensor) and out.dtype is not input.dtype:
        raise RuntimeError(f"nan_to_num: dtype of out: {_inplace._type_name(out._data.dtype)} "
                           f"should be same as input: {_inplace._type_name(input._data.dtype)}")
    if input.dtype in (_dt.bfloat16, _dt.float16):  # computed in float32, whose limits overflow
        big = float(_dt.finfo(input.dtype).max)
        posinf = big if posinf is None else posinf
        neginf = -big if neginf is None else neginf

    def kernel(xp: Any, x: Any) -> Any:
        if kind(x) in "biu":
            return x.copy(order="K")
        return xp.nan_to_num(_copy_laid(xp, x), copy=False, nan=nan, posinf=posinf,
                             neginf=neginf)  # (laid out as PyTorch's, expanded inputs too)

    def d(g: Tensor, x: Tensor, r: Any) -> Tensor:
        return g * x.isfinite()

    return unary("nan_to_num", kernel, "NanToNumBackward0", d, promote=False)(input, out=out)


def _round_method(self: Tensor, decimals: int = 0) -> Tensor:
    return round(self, decimals=decimals)


_INPLACE = {n + "_": inplace_of(globals()[n], n + "_") for n in (
    "abs", "absolute", "sign", "sgn", "sqrt", "rsqrt", "square", "exp", "exp2", "expm1", "log",
    "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "arcsin", "acos", "arccos", "atan",
    "arctan", "sinh", "cosh", "tanh", "asinh", "arcsinh", "acosh", "arccosh", "atanh",
    "arctanh", "sigmoid", "logit", "floor", "ceil", "trunc", "fix", "frac", "reciprocal",
    "deg2rad", "rad2deg", "sinc", "nan_to_num")}
_INPLACE["round_"] = inplace_of(_round_method, "round_")


def _real_only_inplace(fn: Callable, name: str) -> Callable:
    """abs_/absolute_: a complex tensor can't hold its real absolute values in place."""
    def op_(self: Tensor) -> Tensor:
        if kind(self._data) == "c":
            raise RuntimeError("In-place abs is not supported for complex tensors.")
        return fn(self)

    op_.__name__ = op_.__qualname__ = name
    return op_


for _n in ("abs_", "absolute_"):
    _INPLACE[_n] = _real_only_inplace(_INPLACE[_n], _n)
globals().update(_INPLACE)
# the in-place functions PyTorch also exposes as ``torch.X_``
__all__ += [n for n in _INPLACE if n not in ("absolute_", "sign_", "sgn_")]

methods(**{n: globals()[n] for n in __all__ if not n.endswith("_")})
methods(round=_round_method, __abs__=abs, **_INPLACE)
