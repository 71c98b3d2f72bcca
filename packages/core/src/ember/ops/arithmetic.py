"""Arithmetic: add, sub, mul, div, neg, pow and their operators and in-place forms."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import dense_like_result, pointwise_laid
from .._runtime import _QUIET, _np_fp_state, _threads
from . import _inplace
from ._along_dim import is_half as _is_half
from ._dispatch import (
    _NUMBERS,
    Tensor,
    binary,
    conj_operand,
    copy,
    grad_state,
    make,
    methods,
    quiet,
    record,
    refuse_shell_uint,
    renamed,
    sum_to,
)
from ._fma import fma, fma_dtype
from ._torch_cpu import GRAIN_SIZE, half_vector_width

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "neg", "negative", "pow", "float_power", "positive"]

_isinstance = isinstance
_ndarray = np.ndarray  # results of the NumPy backend need no re-wrapping
_fp_state = _np_fp_state
_fp_set = _fp_state.set if _fp_state is not None else None
_fp_reset = _fp_state.reset if _fp_state is not None else None


def _kind(x: Any) -> str:
    """NumPy's dtype kind of an array or a Python number."""
    d = getattr(x, "dtype", None)
    if d is not None:
        try:
            return d.kind
        except AttributeError:  # an Array-API namespace's own dtype objects
            return _dt.from_foreign_dtype(d).kind
    return "b" if x.__class__ is bool else "i" if x.__class__ is int else \
        "f" if x.__class__ is float else "c"


def _shape(x: Any) -> tuple:
    return x._data.shape if _isinstance(x, Tensor) else ()


def _grad_for(x: Any) -> bool:
    return _isinstance(x, Tensor) and x._rg


def _any_grad(a: Any, b: Any) -> bool:
    """Whether either operand requires grad (read before the thread-local grad mode)."""
    return (_isinstance(a, Tensor) and a._rg) or (_isinstance(b, Tensor) and b._rg)


def _fail(op: str, a: Any, b: Any, e: Exception) -> Exception:
    return _fail_shapes(op, _shape(a), _shape(b), e)


def _fail_shapes(op: str, sa: tuple, sb: tuple, e: Exception) -> Exception:
    if "broadcast" in str(e) or "operands could not" in str(e):
        return RuntimeError(
            f"{op}: The size of tensor a ({_mismatch(sa, sb)[0]}) must match the size of tensor b "
            f"({_mismatch(sa, sb)[1]}) at non-singleton dimension {_mismatch(sa, sb)[2]}; shapes "
            f"{list(sa)} and {list(sb)}")
    return e


def _fail_many(op: str, operands: tuple, e: Exception) -> Exception:
    """``_fail`` for an op of three or more operands: PyTorch broadcasts them in order, so
    tensor a is the shape the earlier operands broadcast to and b the one that refuses it."""
    acc: tuple = ()
    for x in operands:
        try:
            acc = np.broadcast_shapes(acc, _shape(x))
        except ValueError:
            return _fail_shapes(op, acc, _shape(x), e)
    return e


def _check_broadcast(op: str, a: Any, b: Any) -> None:
    """PyTorch's size-mismatch error when the operands' shapes do not broadcast (called on
    error paths: PyTorch checks shapes before a kernel refuses a dtype)."""
    try:
        np.broadcast_shapes(_shape(a), _shape(b))
    except ValueError as e:
        raise _fail(op, a, b, e) from None


def _check_out_cast(npd: Any, out: Any) -> None:
    """PyTorch's refusal of an ``out=`` the result type ``npd`` can't be cast to (complex into
    real, float into integer), which comes before a kernel's refusal of the dtype."""
    od = out._data.dtype
    if npd != od and _inplace._KIND_RANK.get(npd.kind, 2) > _inplace._KIND_RANK.get(od.kind, 2):
        raise RuntimeError(f"result type {_inplace._type_name(npd)} can't be cast to the "
                           f"desired output type {_inplace._type_name(od)}")


def _mismatch(sa: tuple, sb: tuple) -> tuple[int, int, int]:
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return pa[i], pb[i], i
    return 0, 0, 0


_SHELL_UINT_NP = frozenset(np.dtype(t) for t in ("uint16", "uint32", "uint64"))


# The ops below keep their closures (kernels retried quietly, vjps) in helper functions: a
# variable a nested function uses becomes a cell, which every call pays for, grad or not.
def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other`` with broadcasting and PyTorch's type promotion."""
    if _isinstance(input, Tensor) and _isinstance(other, Tensor):  # the common case, inline
        xa, xb, dev = input._data, other._data, input._device
        if other._device is not dev or xa.dtype != xb.dtype:
            xa, xb, dev = binary(input, other, "add")
        elif xa.dtype in _SHELL_UINT_NP:  # no add kernel in PyTorch
            refuse_shell_uint("add_stub", xa)
        ga, gb = input._rg, other._rg
    else:
        xa, xb, dev = binary(input, other, "add")
        ga = _isinstance(input, Tensor) and input._rg
        gb = _isinstance(other, Tensor) and other._rg
    xp = dev._backend.xp
    try:
        r = xp.add(xa, xb) if alpha is _ONE else _scaled(xp.add, xa, xb, alpha, xp)
    except RuntimeWarning:  # warnings raised as errors: PyTorch is silent (inf - inf)
        r = quiet(_scaled, xp.add, xa, xb, alpha, xp)
    except (ValueError, TypeError) as e:
        raise _fail("add", input, other, e) from None
    if r.__class__ is not _ndarray and r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    elif r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                         or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
        r = pointwise_laid(xp, r, xa, xb)  # the first operand's layout leads, as in PyTorch
    res = make(r, dev)
    if (ga or gb) and grad_state.enabled:
        record("AddBackward0", res, (input, other),
               _add_vjp(input._data.shape if ga else (), other._data.shape if gb else (), ga, gb,
                        alpha))
    return res if out is None else _out(res, out, "add")


_ONE = 1  # add/sub's default alpha: an identity test keeps their common case free


def _scaled(kernel: Any, xa: Any, xb: Any, alpha: Any, xp: Any) -> Any:
    """``kernel(xa, alpha * xb)``; float32/float64 with one rounding, as PyTorch's FMA kernel."""
    dt = getattr(xa, "dtype", None)
    kind = (dt if dt is not None else xb.dtype).kind
    if kind in "biu" or alpha.__class__ is not float and alpha.__class__ is not int:
        r = _odd_alpha(kernel, xa, xb, alpha, kind, xp)
        if r is not None:
            return r
        if kind in "iu":  # alpha converted to the int type: refused out of range, wrapped
            from .creation import fill_value_for

            npd = xb.dtype if hasattr(xb, "dtype") else dt
            wrapped = fill_value_for(int(alpha), _dt.from_native_dtype(npd))
            if hasattr(xb, "dtype"):
                alpha = xp.asarray(wrapped).astype(npd)
    if alpha == 1:
        return kernel(xa, xb)
    half = dt if _is_half(dt) else getattr(xb, "dtype", None)
    if _is_half(half) and alpha.__class__ is not complex:
        # PyTorch: alpha (and a number operand) rounded to the half dtype, then one rounding
        # of ``a + alpha * b`` computed in float32
        f = half.type
        r = kernel(_f32(xa, f), _f32(xb, f) * np.float32(f(_np_f32(alpha))))
        return r.astype(half)
    if dt is not None and fma_dtype(dt) and getattr(xb, "dtype", dt) == dt \
            and alpha.__class__ is not complex:
        return fma(xb, -alpha if kernel is xp.subtract else alpha, xa, dt, xp=xp)
    if dt is not None and dt.kind in "biu" and not hasattr(xb, "dtype") \
            and alpha.__class__ in (int, bool):
        # a number operand, scaled, stays in the tensor's type (wrapping, as PyTorch's)
        return kernel(xa, xp.asarray(xb * alpha).astype(dt))
    return kernel(xa, xb * alpha)


def _odd_alpha(kernel: Any, xa: Any, xb: Any, alpha: Any, kind: str, xp: Any) -> Any:
    """PyTorch's alpha checks against the result's NumPy dtype ``kind`` (a float alpha on
    integers, a bool alpha off bool, a complex alpha off complex), and bool results
    (``a | alpha and b``); None when the general path computes the result."""
    if kind in "biu" and isinstance(alpha, (float, np.floating)):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number.")
    if kind != "b" and isinstance(alpha, (bool, np.bool_)):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if kind != "c" and isinstance(alpha, (complex, np.complexfloating)):
        raise RuntimeError(
            "For non-complex input tensors, argument alpha must not be a complex number.")
    if kind == "b":  # bool + alpha * bool, alpha cast to bool
        return kernel(xa, xp.logical_and(xb, bool(alpha)))
    return None


def _f32(x: Any, f: Any) -> Any:
    """A half array as float32; a number rounded to the half type ``f``, as float32."""
    return x.astype(np.float32) if hasattr(x, "dtype") else np.float32(f(_np_f32(x)))


def _np_f32(x: Any) -> Any:
    """A Python float as float32 (PyTorch rounds a double to half through float)."""
    if x.__class__ is not float:
        return x
    with np.errstate(over="ignore"):
        return np.float32(x)


def _half_by_number(a: Any, b: Any) -> Any:
    """For a float16/bfloat16 tensor and a real Python number, the tensor's NumPy dtype, else
    None: PyTorch's mul and div keep the number unrounded and compute in float32 (its opmath
    type), so ``x * 1e5`` does not overflow half and ``x * 0.1`` rounds once."""
    t, s = (a, b) if _isinstance(a, Tensor) else (b, a)
    d = getattr(getattr(t, "_data", None), "dtype", None)
    if getattr(d, "itemsize", 0) != 2:  # the common case (not half) turned away first
        return None
    if (s.__class__ is float or s.__class__ is int) and _isinstance(t, Tensor) and \
            t._device._backend.numpy_like and _is_half(d):
        return d
    if s is b and _isinstance(s, Tensor) and _half_by_0d(t, s, d):
        return d
    return None


def _half_by_0d(t: Tensor, s: Tensor, d: Any) -> bool:
    """Whether ``t`` (a dimensioned half tensor) meets a 0-d real tensor ``s`` of another
    dtype as the second operand: PyTorch's mul/div kernels then read ``s``'s own value in
    float32 (``original_scalar_value``), not ``s`` rounded to half."""
    y = s._data
    return (y.ndim == 0 and y.dtype != d and t._data.ndim > 0 and s._device is t._device
            and y.dtype.kind in "iufV" and t._device._backend.numpy_like and _is_half(d))


def _half_operands(a: Any, b: Any) -> tuple:
    """The tensor's array as float32 beside the unrounded number (or a 0-d tensor's value
    in float32), and the device."""
    if _isinstance(a, Tensor):
        if _isinstance(b, Tensor):
            return to_f32(a._data), to_f32(b._data), a._device
        return to_f32(a._data), b, a._device
    return a, to_f32(b._data), b._device


def to_f32(x: Any) -> Any:
    """A half array as float32; an expanded one laid out as PyTorch lays out the result
    (NumPy's order K would put its stride-0 dims innermost)."""
    if 0 in x.strides and x.__class__ is np.ndarray:
        x = dense_like_result(np, x)
    return x.astype(np.float32)


def _add_vjp(sa: tuple, sb: tuple, ga: bool, gb: bool, alpha: Any) -> Any:
    def vjp(g: Tensor) -> tuple:
        return (sum_to(g, sa) if ga else None,
                sum_to(g if alpha == 1 else g * alpha, sb) if gb else None)

    return vjp


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``."""
    if _isinstance(input, Tensor) and _isinstance(other, Tensor):  # the common case, inline
        xa, xb, dev = input._data, other._data, input._device
        if other._device is not dev or xa.dtype != xb.dtype:
            _no_bool_sub(input, other)
            xa, xb, dev = binary(input, other, "sub")
        elif _kind(xa) == "b":
            _no_bool_sub(input, other)
        elif xa.dtype in _SHELL_UINT_NP:  # no sub kernel in PyTorch
            refuse_shell_uint("add_stub", xa)
        ga, gb = input._rg, other._rg
    else:
        _no_bool_sub(input, other)
        xa, xb, dev = binary(input, other, "sub")
        ga = _isinstance(input, Tensor) and input._rg
        gb = _isinstance(other, Tensor) and other._rg
    xp = dev._backend.xp
    try:
        r = xp.subtract(xa, xb) if alpha is _ONE else _scaled(xp.subtract, xa, xb, alpha, xp)
    except RuntimeWarning:
        r = quiet(_scaled, xp.subtract, xa, xb, alpha, xp)
    except (ValueError, TypeError) as e:
        raise _fail("sub", input, other, e) from None
    if r.__class__ is not _ndarray and r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    elif r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                         or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
        r = pointwise_laid(xp, r, xa, xb)  # the first operand's layout leads, as in PyTorch
    res = make(r, dev)
    if (ga or gb) and grad_state.enabled:
        record("SubBackward0", res, (input, other),
               _sub_vjp(input._data.shape if ga else (), other._data.shape if gb else (), ga, gb,
                        alpha))
    return res if out is None else _out(res, out, "sub")


def _sub_vjp(sa: tuple, sb: tuple, ga: bool, gb: bool, alpha: Any) -> Any:
    def vjp(g: Tensor) -> tuple:
        return (sum_to(g, sa) if ga else None,
                sum_to(-g if alpha == 1 else g * (-alpha), sb) if gb else None)

    return vjp


def _is_bool(x: Any) -> bool:
    return x.dtype is _dt.bool if _isinstance(x, Tensor) else x.__class__ is bool


def _no_bool_sub(a: Any, b: Any) -> None:
    """PyTorch refuses subtraction with a bool operand (a Python bool counts)."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise NotImplementedError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead.")
    if ba or bb:
        raise NotImplementedError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``."""
    if not _isinstance(input, Tensor):
        from .pointwise_unary import invalid_combination

        raise invalid_combination("rsub", input, other)
    _no_bool_sub(input, other)
    if alpha == 1 or _isinstance(other, Tensor):
        res = sub(other, input, alpha=alpha)
    else:
        from ._dispatch import result_type

        _odd_alpha(None, None, None, alpha, result_type(input, other).np.kind, None)
        res = add(mul(input, -alpha), other)
    if _isinstance(other, Tensor):
        return renamed(res, "RsubBackward0")
    res = renamed(res, "RsubBackward1")  # rsub.Scalar: one edge, the tensor's
    return _number_edge_dropped(res, 0) if alpha == 1 else res


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Elementwise product with broadcasting."""
    half = None
    if _isinstance(input, Tensor) and _isinstance(other, Tensor):  # the common case, inline
        xa, xb, dev = input._data, other._data, input._device
        if other._device is not dev or xa.dtype != xb.dtype:
            half = _half_by_number(input, other)  # half times a 0-d tensor: in float32
            xa, xb, dev = _half_operands(input, other) if half is not None else \
                binary(input, other, "mul")
        ga, gb = input._rg, other._rg
    else:
        half = _half_by_number(input, other)
        xa, xb, dev = _half_operands(input, other) if half is not None else \
            binary(input, other, "mul")
        ga = _isinstance(input, Tensor) and input._rg
        gb = _isinstance(other, Tensor) and other._rg
    xp = dev._backend.xp
    try:
        r = xp.multiply(xa, xb)
    except RuntimeWarning:
        r = quiet(xp.multiply, xa, xb)
    except (ValueError, TypeError) as e:
        raise _fail("mul", input, other, e) from None
    if r.__class__ is not _ndarray and r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    elif r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                         or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
        r = pointwise_laid(xp, r, xa, xb)  # the first operand's layout leads, as in PyTorch
    if half is not None:
        r = quiet(r.astype, half)  # overflow to inf, silently as PyTorch
    res = make(r, dev)
    if (ga or gb) and grad_state.enabled:
        try:
            cplx = r.dtype.kind == "c"
        except AttributeError:  # an Array-API namespace's own dtype objects
            cplx = _kind(r) == "c"
        record("MulBackward0", res, (input, other),
               _mul_vjp(input._data.shape if ga else (), other._data.shape if gb else (), ga, gb,
                        cplx),
               (input if gb else None, other if ga else None))
    return res if out is None else _out(res, out, "mul")


def _mul_vjp(sa: tuple, sb: tuple, ga: bool, gb: bool, cplx: bool) -> Any:
    if cplx:  # complex operands: the gradient takes their conjugates
        def vjp(g: Tensor, a: Any, b: Any) -> tuple:
            return (sum_to(g * conj_operand(b), sa) if ga else None,
                    sum_to(g * conj_operand(a), sb) if gb else None)
    else:
        def vjp(g: Tensor, a: Any, b: Any) -> tuple:
            return (sum_to(g * b, sa) if ga else None, sum_to(g * a, sb) if gb else None)

    return vjp


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """True division (integers give floats), or rounded with ``"trunc"`` / ``"floor"``."""
    if rounding_mode is not None:
        return _div_rounded(input, other, rounding_mode, out)
    if _isinstance(input, Tensor):
        half = _half_by_number(input, other)
    else:
        half = None
        if type(input) in _NUMBERS and type(other) in _NUMBERS:  # torch.div(2, 3)
            from .creation import tensor

            input = tensor(input)
    xa, xb, dev = _half_operands(input, other) if half is not None else \
        binary(input, other, "div")
    xp = dev._backend.xp
    if _kind(xa) in "biu" and _kind(xb) in "biu":
        xa, xb = _float_operands(input, other, xa, xb, dev)
    try:
        if _fp_state is not None:  # ``quiet`` inlined: NumPy's warnings off (0/0, x/0)
            token = _fp_set(_QUIET)
            try:
                r = xp.divide(xa, xb)
            finally:
                _fp_reset(token)
        else:  # pragma: no cover - other NumPy versions
            r = quiet(xp.divide, xa, xb)
    except (ValueError, TypeError) as e:
        raise _fail("div", input, other, e) from None
    if r.__class__ is not _ndarray and r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    elif r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                         or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
        r = pointwise_laid(xp, r, xa, xb)  # the first operand's layout leads, as in PyTorch
    if half is not None:
        r = quiet(r.astype, half)  # overflow to inf, silently as PyTorch
    res = make(r, dev)
    ga = _isinstance(input, Tensor) and input._rg
    gb = _isinstance(other, Tensor) and other._rg
    if (ga or gb) and grad_state.enabled:
        record("DivBackward0", res, (input, other),
               _div_vjp(_shape(input), _shape(other), ga, gb),
               (input if gb else None, other))
    return res if out is None else _out(res, out, "div")


def _float_operands(a: Any, b: Any, xa: Any, xb: Any, dev: Any) -> tuple[Any, Any]:
    """Integer operands as the default float dtype, converted from their own values (a
    negative Python number is not wrapped to the tensor's unsigned dtype first)."""
    if a.__class__ is np.ndarray or b.__class__ is np.ndarray:
        return xa, xb  # PyTorch hands the op to NumPy, whose integer division gives float64
    be = dev._backend
    xa = be.astype(a._data if a._device is dev else xa, _dt._default) if _isinstance(a, Tensor) \
        else float(a)
    xb = be.astype(b._data if b._device is dev else xb, _dt._default) if _isinstance(b, Tensor) \
        else float(b)
    if _dt._default is _dt.bfloat16:  # a Python float would widen ml_dtypes' bfloat16
        native = be.native_dtype(_dt.bfloat16)
        xa, xb = be.xp.asarray(xa, dtype=native), be.xp.asarray(xb, dtype=native)
    return xa, xb


def _div_vjp(sa: tuple, sb: tuple, ga: bool, gb: bool) -> Any:
    def vjp(g: Tensor, a: Any, b: Any) -> tuple:
        gi = g / conj_operand(b)
        return (sum_to(gi, sa) if ga else None,
                sum_to(-gi * conj_operand(a) / conj_operand(b), sb) if gb else None)

    return vjp


def _div_rounded(input: Any, other: Any, rounding_mode: str, out: Tensor | None) -> Tensor:
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'")
    # a half tensor by a number: PyTorch's kernel divides in float32 by the unrounded number
    half = _half_by_number(input, other) if other.__class__ in (int, float) or (
        _isinstance(other, Tensor) and _isinstance(input, Tensor)
        and other._data.dtype != input._data.dtype) else None
    if half is None and rounding_mode == "trunc" and _isinstance(other, Tensor):
        half = _half_trunc_by_one(input, other)
    if half is not None:  # (or by a 0-d tensor's own value: ``_half_by_0d``)
        xa, xb, dev = _half_operands(input, other)
        xb = np.float32(xb) if xb.__class__ in (int, float) else xb
    else:
        xa, xb, dev = binary(input, other, "div")
    xp = dev._backend.xp
    k = _kind(xa if _isinstance(input, Tensor) else xb)  # the common dtype's kind
    if k in "bc":
        if out is not None:
            _check_out_cast((xa if _isinstance(input, Tensor) else xb).dtype, out)
        raise NotImplementedError(
            f"\"div_{rounding_mode}_cpu\" not implemented for "
            f"'{_inplace._type_name(xa.dtype if _isinstance(input, Tensor) else xb.dtype)}'")
    if k in "iu":
        refuse_shell_uint(f"div_{rounding_mode}_cpu", xa if _isinstance(input, Tensor) else xb)
        be = dev._backend
        if xa.__class__ is bool:  # a Python bool with an integer tensor
            xa = int(xa)
        if xb.__class__ is bool:
            xb = int(xb)
        try:
            q = _int_floordiv(xp, xa, xb)
        except ValueError as e:  # shapes that do not broadcast
            raise _fail("div", input, other, e) from None
        if rounding_mode == "floor":
            r = q
        else:
            rem = xa - q * xb
            r = q + ((rem != 0) & ((xa < 0) != (xb < 0)))
            r = be.astype(r, be.dtype_of(q))
    else:
        try:
            r = quiet(lambda: xp.trunc(xp.divide(xa, xb)) if rounding_mode == "trunc"
                      else xp.floor_divide(xa, xb))
        except ValueError as e:  # shapes that do not broadcast
            raise _fail("div", input, other, e) from None
        if half is not None:
            r = quiet(xp.asarray(r).astype, half)  # rounded once, overflow to inf silently
    res = make(pointwise_laid(xp, xp.asarray(r), xa, xb), dev)
    if _any_grad(input, other) and grad_state.enabled:
        sa, sb = _shape(input), _shape(other)

        def vjp_round(g: Tensor) -> tuple:
            return (sum_to(g * 0, sa) if _grad_for(input) else None,
                    sum_to(g * 0, sb) if _grad_for(other) else None)

        record("DivBackward2", res, (input, other), vjp_round)  # aten::div.Tensor_mode
    return res if out is None else _out(res, out, "div")


def _half_trunc_by_one(input: Any, other: Tensor) -> Any:
    """The half dtype where PyTorch's div_trunc kernel reads a one-element divisor of the same
    dtype as a float32 scalar (``is_scalar``): ``trunc(a / b)`` unrounded before the trunc."""
    x, y = getattr(input, "_data", None), other._data
    if y.size == 1 and x is not None and x.dtype == y.dtype and x.ndim >= y.ndim and \
            other._device is input._device and input._device._backend.numpy_like and \
            _is_half(x.dtype):
        return x.dtype
    return None


def _int_floordiv(xp: Any, a: Any, b: Any) -> Any:
    if getattr(a, "size", 1) and xp.any(xp.asarray(b) == 0):  # an empty result divides nothing
        raise RuntimeError("ZeroDivisionError")
    return xp.floor_divide(a, b)


def _complex_neg(x: Any) -> Any:
    """``-x`` for complex ``x`` as PyTorch's CPU kernel: its vector loop, over the whole
    vectors of a dense array in memory order, computes ``0 - z`` (a +0 part stays +0); the
    elements past the last whole vector (and strided arrays) get ``-z``. From PyTorch's
    grain size (32768) on, each thread's chunk has its own vectors and tail."""
    r = -x
    w = half_vector_width() * 2 // x.dtype.itemsize
    flags = getattr(x, "flags", None)
    n = x.size
    if flags is None or n < w or not (flags.c_contiguous or flags.f_contiguous):
        return r
    xs, rs = (x.reshape(-1), r.reshape(-1)) if flags.c_contiguous else \
        (x.T.reshape(-1), r.T.reshape(-1))
    parts = 1 if n < GRAIN_SIZE else min(_threads[0], -(-n // GRAIN_SIZE))
    chunk = -(-n // parts)
    for s in range(0, n, chunk):  # one chunk a thread (at most a few)
        k = min(chunk, n - s) // w * w
        rs[s:s + k] = 0 - xs[s:s + k]
    return r


def neg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``-input``."""
    x = input._data
    k = _kind(x)
    if k == "b":
        raise NotImplementedError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.")
    if out is not None:
        _inplace.check_exact_out(x.dtype, out)
    refuse_shell_uint("neg_cpu", x)
    r = -x if k != "c" else _complex_neg(x)
    if r.__class__ is not _ndarray and r.__class__ is not input._device._backend.ndarray:
        r = input._device._backend.xp.asarray(r)  # NumPy gives a scalar for a 0-d array
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        record("NegBackward0", res, (input,), lambda g: (-g,))
    return res if out is None else _out(res, out, "neg")


def positive(input: Tensor) -> Tensor:
    if _kind(input._data) == "b":
        raise NotImplementedError("The `+` operator, on a bool tensor is not supported.")
    return input


def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """``input ** exponent`` elementwise (either may be a number)."""
    if not _isinstance(input, Tensor) and not _isinstance(exponent, Tensor):
        raise TypeError("pow: expected a Tensor")
    xa, xb, dev = binary(input, exponent, "pow")
    xp = dev._backend.xp
    kernel = getattr(xp, "pow", None) or xp.power  # CuPy may lack the new name
    try:
        if _kind(xa if _isinstance(input, Tensor) else xb) in "biu":
            r = _int_pow(xp, kernel, xa, xb, input, exponent)
        elif exponent.__class__ is float and (exponent == 0.5 or exponent == -0.5) \
                and _kind(xa) in "fV" and xa.dtype != "float16":
            r = quiet(_sqrt_pow, xp, xa, exponent < 0)
        elif exponent.__class__ in (int, float) and _isinstance(input, Tensor) \
                and exponent in (3, -2, 0.5, -0.5, -1) \
                and (_kind(xa) in "Vc" or _kind(xa) == "f" and xa.dtype.itemsize > 2):
            r = quiet(_special_pow, xp, xa, exponent)
        elif _isinstance(exponent, Tensor) and _kind(xb) == "c":
            r = quiet(_exp_log_pow, xp, xa, xb)
        else:
            r = quiet(kernel, xa, xb)
    except (ValueError, TypeError) as e:
        raise _fail("pow", input, exponent, e) from None
    if r.__class__ is not _ndarray and r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    elif r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                         or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
        # a number base (pow.Scalar): PyTorch's result is C-ordered whatever the exponent's
        r = pointwise_laid(xp, r, xa, xb) if _isinstance(input, Tensor) else \
            xp.ascontiguousarray(r)
    res = make(r, dev)
    if _any_grad(input, exponent) and grad_state.enabled:
        sa, sb = _shape(input), _shape(exponent)
        ga, gb = _grad_for(input), _grad_for(exponent)

        def vjp(g: Tensor, a: Any, b: Any, r: Tensor) -> tuple:
            gi = ge = None
            if ga:
                if _isinstance(b, Tensor):  # PyTorch selects 0 where b == 0 (an inf g too)
                    gi = (g * conj_operand(b * a ** (b - 1))).masked_fill(b == 0, 0)
                elif b == 0:  # PyTorch's zeros_like(self): no graph, whatever g holds
                    gi = g.new_zeros(g.shape)
                else:
                    gi = g * conj_operand(b * a ** (b - 1))
                gi = sum_to(gi, sa)
            if gb:
                if _isinstance(a, Tensor):
                    ge = sum_to(g * conj_operand(_exponent_factor(a, b, r)), sb)
                else:
                    ge = sum_to(g * conj_operand(r * _number_log(a)) if a != 0 else
                                _zero_base_grad(g, b, r), sb)
            return gi, ge

        name = ("PowBackward1" if _isinstance(exponent, Tensor) else "PowBackward0") \
            if _isinstance(input, Tensor) else "PowBackward2"
        # the result is saved for the exponent's gradient (x ** 2 then y += 1 is fine), and
        # always by PyTorch's tensor ** tensor node
        record(name, res, (input, exponent), vjp,
               (input, exponent, res if gb or name == "PowBackward1" else None))
        if name != "PowBackward1":  # a number operand: PyTorch's node has one edge
            _number_edge_dropped(res, 1 if name == "PowBackward0" else 0)
    return res if out is None else _out(res, out, "pow")


def _number_log(a: Any) -> Any:
    """``log(a)`` of a number base as PyTorch takes it: NaN for a negative real."""
    import cmath
    import math

    if isinstance(a, complex):
        return cmath.log(a)
    return math.log(a) if a > 0 else math.nan


def _exponent_factor(a: Tensor, b: Tensor, r: Tensor) -> Tensor:
    """``r * log(a)``, the exponent's derivative of ``r = a ** b``, as PyTorch's: the log
    taken in the result's dtype (a real base of a complex power has a complex log), and 0
    where ``a == 0`` and ``b`` is a real number ``>= 0`` (whatever ``r`` is there)."""
    if _kind(a._data) != "c" and _kind(r._data) == "c":
        a = a.to(r.dtype)
    bpos = (b.imag == 0) & (b.real >= 0) if _kind(b._data) == "c" else b >= 0
    return (r * a.log()).masked_fill((a == 0) & bpos, 0)


def _zero_base_grad(g: Tensor, b: Tensor, r: Tensor) -> Tensor:
    """The exponent's gradient of ``0 ** b``: ``g * where(b >= 0, 0, r * log(0))``, as
    PyTorch's (so -inf times ``g`` for a negative exponent)."""
    if _kind(b._data) == "c":
        return g * 0
    return g * (r * float("-inf")).masked_fill(b >= 0, 0)


def _sqrt_pow(xp: Any, x: Any, inverse: bool) -> Any:
    """``x ** 0.5`` and ``x ** -0.5`` as PyTorch's float, double and bfloat16 kernels take
    them: ``sqrt(x)`` and ``1 / sqrt(x)`` (so -inf gives NaN and -0.0 gives -0.0 and -inf,
    where C's pow gives inf, 0.0, 0.0 and inf)."""
    w = to_f32(x) if x.dtype.kind == "V" else x  # bfloat16: in float32, rounded once
    r = 1 / xp.sqrt(w) if inverse else xp.sqrt(w)
    return r.astype(x.dtype) if w is not x else r


def _special_pow(xp: Any, x: Any, exponent: float) -> Any:
    """``x ** exponent`` for the exponents PyTorch's kernel takes apart, on float, double,
    bfloat16 and complex: ``x * x * x`` and ``1 / (x * x)`` rounded at each step; ``sqrt``,
    ``1 / sqrt`` and ``1 / x`` for complex (exact on the axes, where ``exp(log(x) / 2)``
    leaves 1e-17 and maps infinities to NaN)."""
    if x.dtype.kind in "Vf":  # float, double and bfloat16 as pow_tensor_scalar_optimized
        if exponent == 3:
            return x * x * x
        if exponent == -2:
            return 1 / (x * x)
        return xp.power(x, x.dtype.type(exponent))
    if exponent == 0.5:
        return xp.sqrt(x)
    if exponent == -0.5:
        return 1 / xp.sqrt(x)
    if exponent == -1:
        return 1 / x
    return xp.power(x, exponent)


def _int_pow(xp: Any, kernel: Any, xa: Any, xb: Any, input: Any, exponent: Any) -> Any:
    """``pow`` in a bool or integer common dtype, with PyTorch's rules: a bool tensor only to a
    Python bool, no negative Python-int exponent, and a negative tensor exponent gives
    ``1 / base`` truncated (1 and -1 keep their magnitude, everything else 0)."""
    if _kind(xa if _isinstance(input, Tensor) else xb) == "b":
        if _isinstance(input, Tensor) and exponent.__class__ is bool:
            if exponent:
                return copy(xp, xa)
            # an expanded (stride-0) base: C order, as PyTorch (NumPy's order K puts it inner)
            return xp.ones_like(xa, order="C" if 0 in getattr(xa, "strides", ()) else "K")
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if exponent.__class__ is np.ndarray or input.__class__ is np.ndarray:
        return kernel(xa, xb)  # PyTorch hands the op to NumPy
    if not _isinstance(exponent, Tensor):
        if exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent.__class__ is int and _isinstance(input, Tensor):
            _int_exponent_fits(exponent, xa.dtype)
        return kernel(xa, xb)
    neg = xb < 0
    if not xp.any(neg):
        return kernel(xa, xb)
    r = kernel(xa, xp.where(neg, 0, xb))
    a = xp.asarray(xa)
    inv = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (xb & 1), 0))
    return xp.where(neg, inv, r).astype(r.dtype)


def _int_exponent_fits(exponent: int, npd: Any) -> None:
    """PyTorch converts a Python-int exponent to the integer result dtype ``npd``, refusing
    one out of its range (``int8 ** 200``) rather than wrapping it."""
    if exponent > np.iinfo(npd).max:
        from .creation import _overflow

        raise _overflow(_dt.from_native_dtype(npd))


def _exp_log_pow(xp: Any, a: Any, b: Any) -> Any:
    """Complex ``a ** b`` for a tensor exponent as PyTorch's kernel computes it,
    ``exp(b * log(a))``: a zero base gives nan for ``0 ** 0`` and inf for a negative power."""
    if not hasattr(a, "dtype"):  # a number base, taken in the exponent's dtype
        a = xp.asarray(a, dtype=b.dtype)
    return xp.exp(b * xp.log(a))


def float_power(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """``pow`` computed in double precision (complex128 for complex inputs)."""
    cplx = any(_isinstance(x, Tensor) and x.is_complex() or _isinstance(x, complex)
               for x in (input, exponent))
    dt = _dt.complex128 if cplx else _dt.float64
    if out is not None and out.dtype is not dt:
        raise RuntimeError(f"the output given to float_power has dtype "
                           f"{_inplace._type_name(out._data.dtype)} but the operation's result "
                           f"requires dtype {_inplace._type_name(dt.np)}")
    a = input.to(dt) if _isinstance(input, Tensor) else input
    b = exponent.to(dt) if _isinstance(exponent, Tensor) else exponent
    return pow(a, b) if out is None else _out(pow(a, b), out, "float_power")


_out = _inplace.write_out_cast  # pointwise: an out= of a lower category is refused


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


# ------------------------------------------------------------------ operators and in-place forms
def _fast_inplace(self: Tensor, other: Any, ufunc: str) -> bool:
    """Write ``self op other`` straight into self's array when no graph is involved."""
    if (grad_state.enabled and (self._rg or (_isinstance(other, Tensor) and other._rg))) \
            or not self._device._backend.numpy_like or self._vc.__class__ is not list:
        return False  # (an inference tensor takes the general path, which checks it)
    x = self._data
    if x.dtype.kind == "u" and x.dtype.itemsize > 1:
        return False  # uint16/32/64: the general path refuses what PyTorch has no kernel for
    if _isinstance(other, Tensor):
        y = other._data
        if other._device is not self._device:
            return False
        yd, xd = y.dtype, x.dtype
        if yd is not xd and (yd.kind == "b" or yd.kind > xd.kind and
                             (yd.kind == "c" or xd.kind in "biu")
                             or xd.itemsize == 2 and ufunc in ("multiply", "true_divide")
                             and _is_half(xd)):
            return False  # a bool operand (refused by sub), a wider category, or half by a
            # 0-d tensor of another dtype (``_half_by_0d``: in float32)
    elif _isinstance(other, float):
        if x.dtype.kind in "biuV" or ufunc in ("multiply", "true_divide") and _is_half(x.dtype):
            # a number times or over half: in float32 (``_half_by_number``); bfloat16's
            # ufuncs would add a Python float unrounded
            return False
        y = other if x.dtype.itemsize != 2 else float(_np_f32(other))
    elif other.__class__ is int and x.dtype.kind != "b" and not (
            ufunc in ("multiply", "true_divide") and _is_half(x.dtype)):
        y = other
    else:
        return False
    try:
        # positional ``out``; a ufunc's default casting is "same_kind"; quiet: ``x /= 0``
        # and ``x *= inf`` warn in NumPy, never in PyTorch
        quiet(getattr(self._device._backend.xp, ufunc), x, y, x)
    except (TypeError, ValueError, OverflowError):
        return False  # the general path gives PyTorch's error or wraps the number
    self._vc[0] += 1
    return True


def _cast_first(self: Tensor, other: Any) -> None:
    """On an in-place op's error path: PyTorch refuses a result type ``self`` can't hold
    before the op's own checks (a bool ``alpha``, a rounding mode on complex)."""
    from ._dispatch import result_type
    from .pointwise_unary import _check_inplace_shape

    if isinstance(other, (Tensor, bool, int, float, complex)):
        _check_inplace_shape(self, [other])  # the shapes come first
        rt = result_type(self, other)
        if rt.category > self.dtype.category:
            raise RuntimeError(
                f"result type {_inplace._type_name(rt.np)} can't be cast to the desired "
                f"output type {_inplace._type_name(self._data.dtype)}") from None


def add_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    # ``alpha`` also takes a second positional argument: PyTorch's deprecated
    # ``add_(alpha, other)`` binds a tensor there, caught off the fast path
    if alpha is _ONE and _fast_inplace(self, other, "add"):
        return self
    return _scaled_inplace(add, self, other, alpha, "add_")


def sub_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    if alpha is _ONE and _fast_inplace(self, other, "subtract"):
        return self
    return _scaled_inplace(sub, self, other, alpha, "sub_")


def _scaled_inplace(op: Any, self: Tensor, other: Any, alpha: Any, name: str) -> Tensor:
    """``add_``/``sub_`` off their fast path: the out-of-place op written back, a refused
    result reported as PyTorch orders it (the cast error before the op's own)."""
    if _isinstance(alpha, Tensor) and not _isinstance(other, Tensor):  # ``add_(alpha, other)``
        from ._deprecated_overload import warn_overload

        warn_overload(name, "Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")
        other, alpha = alpha, other
    try:
        res = op(self, other, alpha=alpha)
    except NotImplementedError:  # (a subclass of RuntimeError) bool subtraction: as is
        raise
    except RuntimeError:
        _cast_first(self, other)
        raise
    except TypeError as e:
        raise _inplace_operand(e, name, other) from None
    return _inplace.commit(self, res, name)


def _inplace_operand(e: TypeError, name: str, other: Any) -> TypeError:
    """``e``; for an operand neither tensor nor number, PyTorch's words for the method."""
    if not getattr(e, "_ember_operand", False):
        return e
    from .pointwise_unary import not_tensor
    err = not_tensor(name, other, 1, "other")
    err._ember_operand = True  # (``x += "a"``: the operator still answers NotImplemented)
    return err


def mul_(self: Tensor, other: Any) -> Tensor:
    if _fast_inplace(self, other, "multiply"):
        return self
    try:
        res = mul(self, other)
    except TypeError as e:
        raise _inplace_operand(e, "mul_", other) from None
    return _inplace.commit(self, res, "mul_")


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is None and _kind(self._data) in "fc" and \
            _fast_inplace(self, other, "true_divide"):
        return self
    try:
        res = div(self, other, rounding_mode=rounding_mode)
    except NotImplementedError:
        _cast_first(self, other)
        raise
    except TypeError as e:
        raise _inplace_operand(e, "div_", other) from None
    return _inplace.commit(self, res, "div_")


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return _inplace.commit(self, pow(self, exponent), "pow_")


def neg_(self: Tensor) -> Tensor:
    return _inplace.commit(self, neg(self), "neg_")


def _matmul(self: Tensor, other: Any) -> Tensor:
    # ``@`` lives with the linear-algebra family, which loads on first use; operators are
    # looked up on the class only, so this stand-in loads it (and is replaced by it)
    from .linalg import _matmul_op

    return _matmul_op(self, other)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    from .linalg import _rmatmul as rmatmul

    return rmatmul(self, other)


def _radd(self: Tensor, other: Any) -> Tensor:
    # PyTorch's ``2 + x`` is ``x.add(2)``: the tensor's edge comes first in the graph
    return add(self, other)


class _DropEdge:
    """A two-input vjp without the gradient of input ``i``; its closure and name stay
    readable (the nodes' ``_saved_<name>`` attributes read them)."""

    __slots__ = ("fn", "i")

    def __init__(self, fn: Any, i: int) -> None:
        self.fn, self.i = fn, i

    def __call__(self, g: Any, *saved: Any) -> tuple:
        grads = tuple(self.fn(g, *saved))
        return grads[1:] if self.i == 0 else grads[:1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fn, name)


def _number_edge_dropped(out: Tensor, i: int) -> Tensor:
    """``out`` whose node forgets its operand ``i`` (a number): PyTorch's scalar overloads
    (``rsub.Scalar``, ``pow.Tensor_Scalar``, ``pow.Scalar``) record one edge, for the tensor
    alone."""
    node = out.grad_fn
    if node is not None and len(node._next) == 2 and node._next[i][0] is None:
        node._vjp = _DropEdge(node._vjp, i)
        node._next = node._next[1:] if i == 0 else node._next[:1]
    return out


def _rsub(self: Tensor, other: Any) -> Tensor:
    out = renamed(sub(other, self), "RsubBackward1")  # 2 - x is aten::rsub.Scalar
    return out if _isinstance(other, Tensor) else _number_edge_dropped(out, 0)


def _rmul(self: Tensor, other: Any) -> Tensor:
    # PyTorch's ``2 * x`` is ``x.mul(2)``: the tensor's edge comes first in the graph
    return mul(self, other)


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    # PyTorch computes ``number / tensor`` as ``tensor.reciprocal() * number``
    if not _isinstance(other, Tensor):
        return mul(self.reciprocal(), other)
    return div(other, self)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return pow(other, self)


def _iadd(self: Tensor, other: Any) -> Tensor:
    return add_(self, other)


def _isub(self: Tensor, other: Any) -> Tensor:
    return sub_(self, other)


def _imul(self: Tensor, other: Any) -> Tensor:
    return mul_(self, other)


def _itruediv(self: Tensor, other: Any) -> Tensor:
    return div_(self, other)


def _ipow(self: Tensor, other: Any) -> Tensor:
    return pow_(self, other)


methods(
    add=add, sub=sub, subtract=sub, rsub=rsub, mul=mul, multiply=mul, div=div, divide=div,
    true_divide=div, neg=neg, negative=neg, pow=pow, float_power=float_power, positive=positive,
    add_=add_, sub_=sub_, subtract_=sub_, mul_=mul_, multiply_=mul_, div_=div_, divide_=div_,
    true_divide_=div_, pow_=pow_, neg_=neg_, negative_=neg_,
    __add__=add, __radd__=_radd, __iadd__=_iadd, __sub__=sub, __rsub__=_rsub, __isub__=_isub,
    __mul__=mul, __rmul__=_rmul, __imul__=_imul, __truediv__=div, __rtruediv__=_rtruediv,
    __itruediv__=_itruediv, __pow__=pow, __rpow__=_rpow, __ipow__=_ipow, __neg__=neg,
    __div__=div, __rdiv__=_rtruediv, __idiv__=_itruediv,  # Python 2's names, kept by PyTorch
    __pos__=positive, __matmul__=_matmul, __rmatmul__=_rmatmul,
)
