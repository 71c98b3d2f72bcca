"""Comparisons, predicates, logical and bitwise ops, with their operators.

Comparisons broadcast and promote like arithmetic and return bool tensors; none of
these ops is differentiable (their results carry no graph). In-place forms keep the
tensor's dtype and write 0/1 (or the bit pattern) into it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import pointwise_laid
from . import _inplace
from ._dispatch import Tensor, binary, grad_state, kind, methods, record, refuse_shell_uint
from .arithmetic import _check_broadcast, _fail, _out
from .pointwise_unary import (
    bf16_to_f32,
    inplace_of,
    invalid_combination,
    not_implemented,
    not_tensor,
    promoting_inplace_of,
    quiet,
    wrap,
    zeros_like_grad,
)

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "equal", "allclose", "isclose", "logical_and", "logical_or",
           "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "isfinite", "isnan",
           "isinf", "isposinf", "isneginf", "isreal", "signbit"]

_isinstance = isinstance
_ndarray = np.ndarray
_NUMBERS = (int, float, bool, complex)


def _pair(name: str, ufunc: str, *, kinds: str = "biufc", tensor_other: bool = False,
          kernel_name: str | None = None, number_first: bool = True) -> Callable:
    """A broadcasting elementwise op over two operands computed by ``xp.<ufunc>``
    (``number_first=False``: PyTorch has no overload taking a number as ``input``)."""
    def op(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        if not number_first and not _isinstance(input, Tensor):
            if tensor_other or not _isinstance(other, Tensor):
                raise not_tensor(name, input)
            raise invalid_combination(name, input, other)
        if tensor_other and not _isinstance(other, Tensor):
            raise not_tensor(name, other, 2, "other")
        if not _isinstance(input, Tensor) and not _isinstance(other, Tensor):
            raise not_tensor(name, input)
        xa, xb, dev = binary(input, other, name)
        k0 = (xa if hasattr(xa, "dtype") else xb).dtype  # bfloat16 named as itself in errors
        if out is not None and name.startswith("bitwise") and k0 != out._data.dtype and \
                _inplace._KIND_RANK.get(k0.kind, 2) > _inplace._KIND_RANK.get(
                    out._data.dtype.kind, 2):
            raise RuntimeError(f"result type {_inplace._type_name(k0)} can't be cast to the "
                               f"desired output type {_inplace._type_name(out._data.dtype)}")
        xa, xb = bf16_to_f32(xa, xb)
        k = (xa if hasattr(xa, "dtype") else xb).dtype
        if (getattr(k, "kind", None) or _dt.from_foreign_dtype(k).kind) not in kinds:
            _check_broadcast(name, input, other)
            raise not_implemented(kernel_name or f"{name}_cpu", k0)
        xp = dev._backend.xp
        try:
            r = getattr(xp, ufunc)(xa, xb)
        except ValueError as e:
            raise _fail(name, input, other, e) from None
        if r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                           or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
            r = pointwise_laid(xp, r, xa, xb)
        res = wrap(r, dev)
        return res if out is None else _out(res, out)

    op.__name__ = op.__qualname__ = name
    return op


eq = _pair("eq", "equal", number_first=False)
ne = _pair("ne", "not_equal", number_first=False)
lt = _pair("lt", "less", kinds="biuf", number_first=False)
le = _pair("le", "less_equal", kinds="biuf", number_first=False)
gt = _pair("gt", "greater", kinds="biuf", number_first=False)
ge = _pair("ge", "greater_equal", kinds="biuf", number_first=False)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
for _f, _d in ((eq, "equal"), (ne, "not equal"), (lt, "less than"), (le, "less than or equal"),
               (gt, "greater than"), (ge, "greater than or equal")):
    _f.__doc__ = f"Elementwise ``input`` {_d} ``other`` (broadcast), as a bool tensor."

logical_and = _pair("logical_and", "logical_and", tensor_other=True, number_first=False)
logical_or = _pair("logical_or", "logical_or", tensor_other=True, number_first=False)
logical_xor = _pair("logical_xor", "logical_xor", tensor_other=True, number_first=False)
bitwise_and = _pair("bitwise_and", "bitwise_and", kinds="biu")
bitwise_or = _pair("bitwise_or", "bitwise_or", kinds="biu")
bitwise_xor = _pair("bitwise_xor", "bitwise_xor", kinds="biu")
bitwise_left_shift = _pair("bitwise_left_shift", "left_shift", kinds="iu",
                           kernel_name="lshift_cpu")
bitwise_right_shift = _pair("bitwise_right_shift", "right_shift", kinds="iu",
                            kernel_name="rshift_cpu")


def _lshift(a: Any, b: Any) -> Tensor:
    return bitwise_left_shift(a, b)


def _rshift(a: Any, b: Any) -> Tensor:
    return bitwise_right_shift(a, b)


def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise NOT of the truth value of each element, as a bool tensor."""
    if not _isinstance(input, Tensor):
        raise not_tensor("logical_not", input)
    refuse_shell_uint("logical_not_cpu", input._data)
    res = wrap(input._device._backend.xp.logical_not(input._data), input._device)
    return res if out is None else _out(res, out)


def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Bitwise NOT of integers (logical NOT of bools)."""
    if not _isinstance(input, Tensor):
        raise not_tensor("bitwise_not", input)
    x = input._data
    if out is not None:  # the out= dtype must be the input's, checked first as in PyTorch
        _inplace.check_exact_out(x.dtype, out)
    if kind(x) not in "biu":
        raise not_implemented("bitwise_not_cpu", x.dtype)
    refuse_shell_uint("bitwise_not_cpu", x)
    res = wrap(input._device._backend.xp.invert(x), input._device)
    return res if out is None else _out(res, out)


def _invert(self: Tensor) -> Tensor:
    if kind(self._data) not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


# ------------------------------------------------------------------ predicates
def _predicate(name: str, kernel: Callable, *, complex_error: str | None = None,
               doc: str = "") -> Callable:
    def op(input: Tensor) -> Tensor:
        if not _isinstance(input, Tensor):
            raise not_tensor(name, input)
        (x,) = bf16_to_f32(input._data)
        if complex_error is not None and kind(x) == "c":
            raise (NotImplementedError if name == "signbit" else RuntimeError)(complex_error)
        return wrap(kernel(input._device._backend.xp, x), input._device)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _with_bool_out(fn: Callable) -> Callable:
    """PyTorch's ``out=`` of isposinf / isneginf / signbit: a bool tensor only."""
    def op(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if out is None:
            return fn(input)
        if out.dtype is not _dt.bool:
            fn(input)  # its own refusals (a complex input) come first
            raise RuntimeError(f"{fn.__name__} does not support non-boolean outputs.")
        return _out(fn(input), out)

    op.__name__ = op.__qualname__ = fn.__name__
    op.__doc__ = fn.__doc__
    return op


def _all(value: bool) -> Callable:
    """A predicate's constant answer, laid out as its input (PyTorch keeps the strides)."""
    return lambda xp, x: xp.full_like(x, value, dtype=bool)


def _float_only(f: Callable, other: Callable) -> Callable:
    return lambda xp, x: f(xp, x) if kind(x) in "fc" else other(xp, x)


isfinite = _predicate("isfinite", _float_only(lambda xp, x: xp.isfinite(x), _all(True)),
                      doc="Whether each element is finite (not inf, not NaN).")
isnan = _predicate("isnan", _float_only(lambda xp, x: xp.isnan(x), _all(False)),
                   doc="Whether each element is NaN.")
isinf = _predicate("isinf", _float_only(lambda xp, x: xp.isinf(x), _all(False)),
                   doc="Whether each element is +inf or -inf.")
isposinf = _predicate("isposinf", _float_only(lambda xp, x: xp.isposinf(x), _all(False)),
                      complex_error="isposinf does not support complex inputs.",
                      doc="Whether each element is +inf.")
isneginf = _predicate("isneginf", _float_only(lambda xp, x: xp.isneginf(x), _all(False)),
                      complex_error="isneginf does not support complex inputs.",
                      doc="Whether each element is -inf.")
isreal = _predicate("isreal", lambda xp, x: x.imag == 0 if kind(x) == "c" else
                    xp.full_like(x, True, dtype=bool),
                    doc="Whether each element has a zero imaginary part.")
signbit = _predicate("signbit", lambda xp, x: xp.signbit(x) if kind(x) == "f" else
                     (x < 0) if kind(x) == "i" else xp.full_like(x, False, dtype=bool),
                     complex_error="signbit is not implemented for complex tensors.",
                     doc="Whether each element's sign bit is set (True for -0.0).")
isposinf, isneginf, signbit = (_with_bool_out(f) for f in (isposinf, isneginf, signbit))


# ------------------------------------------------------------------ closeness
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise; equal infinities are close."""
    if not _isinstance(input, Tensor):
        raise not_tensor("isclose", input)
    if not _isinstance(other, Tensor):
        raise not_tensor("isclose", other, 2, "other")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        from .pointwise_unary import type_name

        raise RuntimeError(f"{type_name(a.dtype)} did not match {type_name(b.dtype)}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"{'rtol' if rtol < 0 else 'atol'} must be greater than or equal "
                           f"to zero, but got {rtol if rtol < 0 else atol:g}")  # C++'s double
    a, b = bf16_to_f32(a, b)
    close = quiet(_isclose_kernel, input, other, a, b, rtol, atol, equal_nan)
    return wrap(pointwise_laid(input._device._backend.xp, close, a, b), input._device)


def _isclose_kernel(input: Tensor, other: Tensor, a: Any, b: Any, rtol: float, atol: float,
                    equal_nan: bool) -> Any:
    xp = input._device._backend.xp
    try:
        close = a == b
    except ValueError as e:
        raise _fail("isclose", input, other, e) from None
    if equal_nan and kind(a) in "fc":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol or atol:
        if kind(a) in "iub":  # PyTorch: integers and bools take the tolerances in float
            be = input._device._backend
            a, b = be.astype(a, _dt._default), be.astype(b, _dt._default)
        diff = xp.abs(a - b)
        tol = atol + rtol * xp.abs(b)
        finite = xp.isfinite(diff) if kind(a) in "fc" else True
        close = close | (finite & (diff <= tol))
    return close


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see ``isclose``)."""
    if not _isinstance(input, Tensor):
        raise not_tensor("allclose", input)
    if not _isinstance(other, Tensor):
        raise not_tensor("allclose", other, 2, "other")
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and equal elements."""
    if not _isinstance(input, Tensor):
        raise not_tensor("equal", input)
    if not _isinstance(other, Tensor):
        raise not_tensor("equal", other, 2, "other")
    if input._data.shape != other._data.shape:
        return False
    xa, xb, dev = binary(input, other, "equal")
    return bool(dev._backend.xp.all(xa == xb))


# ------------------------------------------------------------------ operators and methods
def _cmp_operator(fn: Callable) -> Callable:
    def operator(self: Tensor, other: Any) -> Any:
        if not _isinstance(other, (Tensor,) + _NUMBERS) and not hasattr(other, "__index__") \
                and not (hasattr(other, "dtype") and getattr(other, "ndim", 1) == 0):
            return NotImplemented
        return fn(self, other)

    return operator


def _reflected(fn: Callable) -> Callable:
    def operator(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    return operator


def _zero_grads(other_meta: Any) -> Callable:
    """The vjp of an in-place comparison: zero gradients for ``self`` (and a tensor ``other``)."""
    def vjp(g: Tensor) -> tuple:
        z = zeros_like_grad(g)
        if other_meta is None:
            return (z,)
        shape, npd, dev = other_meta
        return z, wrap(dev._backend.xp.zeros(shape, dtype=npd), dev)

    return vjp


def _compare_inplace(fn: Callable, name: str, node: str) -> Callable:
    """``x.eq_(other)`` and friends: like PyTorch, on a tensor that requires grad the result
    takes a node (``EqBackward0``, ``EqBackward1`` for a tensor ``other``) whose gradients
    are zeros, instead of keeping ``x``'s old graph."""
    plain = inplace_of(fn, name)

    def op_(self: Tensor, other: Any) -> Tensor:
        if not (self._rg and grad_state.enabled):
            return plain(self, other)
        _inplace.check_overlap(self, name)
        res = fn(self, other)
        res = wrap(res._data.astype(self._data.dtype), self._device)
        is_t = isinstance(other, Tensor)
        meta = (other._data.shape, other._data.dtype, other._device) if is_t else None
        record(f"{node}Backward{int(is_t)}", res, (self, other) if is_t else (self,),
               _zero_grads(meta))
        return _inplace.commit(self, res, name)

    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = plain.__doc__
    return op_


_CMP_NODES = {"eq": "Eq", "ne": "Ne", "lt": "Lt", "le": "Le", "gt": "Gt", "ge": "Ge",
              "greater": "Gt", "greater_equal": "Ge", "less": "Lt", "less_equal": "Le",
              "not_equal": "Ne"}
_INPLACE = {n + "_": _compare_inplace(globals()[n], n + "_", c) for n, c in _CMP_NODES.items()}
_INPLACE.update({n + "_": inplace_of(globals()[n], n + "_") for n in (
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not")})
_INPLACE.update({n + "_": promoting_inplace_of(globals()[n], n + "_") for n in (
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift")})
_iand, _ior, _ixor = _INPLACE["bitwise_and_"], _INPLACE["bitwise_or_"], _INPLACE["bitwise_xor_"]


def _ilshift(self: Tensor, other: Any) -> Tensor:
    return _INPLACE["bitwise_left_shift_"](self, other)


def _irshift(self: Tensor, other: Any) -> Tensor:
    return _INPLACE["bitwise_right_shift_"](self, other)


methods(**{n: globals()[n] for n in __all__ if n not in ("equal", "allclose", "isclose")},
        equal=equal, allclose=allclose, isclose=isclose, **_INPLACE,
        __eq__=_cmp_operator(eq), __ne__=_cmp_operator(ne), __lt__=lt, __le__=le, __gt__=gt,
        __ge__=ge, __and__=bitwise_and, __or__=bitwise_or, __xor__=bitwise_xor,
        __rand__=_reflected(bitwise_and), __ror__=_reflected(bitwise_or),
        __rxor__=_reflected(bitwise_xor), __iand__=_iand, __ior__=_ior, __ixor__=_ixor,
        __invert__=_invert, __lshift__=_lshift, __rshift__=_rshift,
        __rlshift__=_reflected(_lshift), __rrshift__=_reflected(_rshift),
        __ilshift__=_ilshift, __irshift__=_irshift)
