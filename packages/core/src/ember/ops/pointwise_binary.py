"""Binary and ternary pointwise ops: remainders, atan2, min/max, clamp, lerp, addcmul, where.

Operands broadcast and promote as in PyTorch (``_dispatch.binary`` for pairs,
``result_type`` for three); gradients are reduced back to each input's shape with
``sum_to`` and are written with Ember ops.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._memory_format import iter_laid, pointwise_laid
from . import _inplace
from ._along_dim import is_half as _is_half
from ._autocast import autocast_op
from ._dispatch import (
    CPU,
    Tensor,
    astype,
    binary,
    copy,
    device_mismatch,
    grad_state,
    kind,
    make,
    methods,
    np_number,
    record,
    refuse_shell_uint,
    result_type,
    sum_to,
    tie_first,
)
from ._fma import fma, fma_dtype
from .arithmetic import _check_broadcast, _check_out_cast, _fail, _fail_many, _mismatch, _out
from .math_misc import not_differentiable as _not_differentiable
from .pointwise_unary import (
    bf16_to_f32,
    cj,
    inplace_of,
    invalid_combination,
    not_implemented,
    not_tensor,
    promoting_inplace_of,
    quiet,
    type_name,
    wrap,
    zeros_like_grad,
)

__all__ = ["floor_divide", "remainder", "fmod", "atan2", "arctan2", "minimum", "maximum",
           "fmin", "fmax", "hypot", "xlogy", "copysign", "logaddexp", "logaddexp2", "lerp",
           "addcmul", "addcdiv", "clamp", "clip", "clamp_min", "clamp_max", "where",
           "clamp_", "clip_", "clamp_min_", "clamp_max_", "xlogy_"]

_isinstance = isinstance
_ndarray = np.ndarray


def _shape(x: Any) -> tuple:
    return x._data.shape if _isinstance(x, Tensor) else ()


def _rg(x: Any) -> bool:
    return _isinstance(x, Tensor) and x._rg


# PyTorch's names of the CPU kernels that refuse a dtype
_KERNEL_NAMES = {n: n + "_cpu" for n in ("remainder", "fmod", "atan2", "hypot", "xlogy",
                                          "copysign", "logaddexp", "logaddexp2")}
_KERNEL_NAMES["arctan2"] = "atan2_cpu"


def _own(t: Tensor, promoted: Any, dev: Any) -> Any:
    """A tensor operand's own array, for ops that compute integers in float: each operand
    converts from its own dtype (an int64 300 beside uint8 does not wrap to 44)."""
    return t._data if t._device is dev else promoted


# the binary ops with an overload taking a number first (the others want a tensor input),
# and those whose refusal of one names no argument
_NUMBER_FIRST = frozenset({"remainder", "xlogy", "special_xlog1py", "special_zeta"})
_COMBO_ONLY = frozenset({"fmod", "copysign"})


def binop(name: str, kernel: Callable, node: str | None, deriv: Callable | None, *,
          kinds: str = "biufc", promote: bool = False, saves: str = "ab",
          tensor_other: bool = False, reject: Callable | None = None, doc: str = "",
          number_nodes: tuple[str | None, str | None] = (None, None),
          saves_for_b: bool = False, saves_own: bool = False) -> Callable:
    """Declare a broadcasting binary op.

    ``kernel(xp, a, b)`` gets the promoted arrays (or a Python number for a number operand);
    ``deriv(g, a, b, r, need_a, need_b)`` returns the two gradients (None where not needed)
    before they are reduced to the operands' shapes. ``number_nodes`` name the node when
    ``other`` / ``input`` is a Python number (PyTorch's Scalar overloads). ``saves_for_b``:
    the saved operands serve only ``other``'s gradient, so (as PyTorch) they are saved only
    when ``other`` requires grad; ``saves_own``: each operand serves only its own gradient.
    """
    save_a, save_b, save_r = "a" in saves, "b" in saves, "r" in saves
    kernel_name = _KERNEL_NAMES.get(name, name)

    def op(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        if not _isinstance(input, Tensor) and name not in _NUMBER_FIRST:
            if name in _COMBO_ONLY and _isinstance(other, Tensor):
                raise invalid_combination(name, input, other)
            raise not_tensor(name, input)
        if tensor_other and not _isinstance(other, Tensor):
            raise not_tensor(name, other, 2, "other")
        if not _isinstance(input, Tensor) and not _isinstance(other, Tensor):
            raise not_tensor(name, input)
        xa, xb, dev = binary(input, other, name)
        arr = xa if hasattr(xa, "dtype") else xb
        k = kind(arr)
        if out is not None and not promote and arr.dtype != out._data.dtype and \
                _inplace._KIND_RANK.get(k, 2) > _inplace._KIND_RANK.get(kind(out._data), 2):
            raise RuntimeError(f"result type {type_name(arr.dtype)} can't be cast to the "
                               f"desired output type {type_name(out._data.dtype)}")
        bf16 = arr.dtype if k == "V" else None
        if bf16 is not None:
            xa, xb = bf16_to_f32(xa, xb)
            k = "f"
        if k not in kinds:
            _check_broadcast(name, input, other)  # PyTorch checks shapes before the kernel
            npd = bf16 if bf16 is not None else xa.dtype if hasattr(xa, "dtype") else xb.dtype
            if out is not None:
                _check_out_cast(npd, out)
            raise (reject(npd) if reject is not None else not_implemented(kernel_name, npd))
        if promote and k in "biu":  # a Python number unwrapped (uint8 with -3 stays -3)
            be = dev._backend
            xa = be.astype(_own(input, xa, dev), _dt._default) if _isinstance(input, Tensor) \
                else input
            xb = be.astype(_own(other, xb, dev), _dt._default) if _isinstance(other, Tensor) \
                else other
        xp = dev._backend.xp
        try:
            r = quiet(kernel, xp, xa, xb)
        except ValueError as e:
            raise _fail(name, input, other, e) from None
        if bf16 is not None and r.dtype == "float32":
            r = r.astype(bf16)
        if r.ndim > 1 and (xa.__class__ is _ndarray and not xa.flags.c_contiguous
                           or xb.__class__ is _ndarray and not xb.flags.c_contiguous):
            r = pointwise_laid(xp, r, xa, xb)
        res = wrap(r, dev)
        if deriv is not None and grad_state.enabled and (_rg(input) or _rg(other)):
            sa, sb = _shape(input), _shape(other)
            ga, gb = _rg(input), _rg(other)

            def vjp(g: Tensor, a: Any, b: Any, r: Any) -> tuple:
                da, db = quiet(deriv, g, a, b, r, ga, gb)
                return (sum_to(da, sa) if ga else None, sum_to(db, sb) if gb else None)

            label = (number_nodes[0] if not _isinstance(other, Tensor) else
                     number_nodes[1] if not _isinstance(input, Tensor) else None) or node
            keep = gb or not saves_for_b
            keep_a, keep_b = (ga, gb) if saves_own else (keep, keep)
            edges: tuple = (input, other)
            if label is not node:  # a Scalar overload: PyTorch's node has the tensor's edge only
                first = _isinstance(input, Tensor)
                edges, vjp = (input if first else other,), _one_edge(vjp, first)
            record(label, res, edges, vjp, (input if save_a and keep_a else None,
                                           other if save_b and keep_b else None,
                                           res if save_r else None))
        return res if out is None else _out(res, out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _one_edge(vjp: Callable, first: bool) -> Callable:
    """The vjp of a Scalar overload's node: only the tensor operand's gradient."""
    i = 0 if first else 1

    def one(g: Tensor, a: Any, b: Any, r: Any) -> tuple:
        return (vjp(g, a, b, r)[i],)

    return one


def _complex_reject(name: str) -> Callable:
    def reject(npd: Any) -> Exception:
        if _dt.from_native_dtype(npd).kind == "c":
            return RuntimeError(f"{name} not implemented for complex tensors.")
        return not_implemented(name, npd)

    return reject


# ------------------------------------------------------------------ remainders and division
def _check_int_zero(xp: Any, a: Any, b: Any) -> None:
    # an empty operand makes an empty result, which divides nothing
    if kind(a if hasattr(a, "dtype") else b) in "iu" and getattr(a, "size", 1) and bool(
            xp.any(xp.asarray(b) == 0)):
        raise RuntimeError("ZeroDivisionError")


def _remainder_kernel(xp: Any, a: Any, b: Any) -> Any:
    _check_int_zero(xp, a, b)
    m = xp.fmod(a, b)
    if getattr(m, "dtype", None) is None or m.dtype.kind != "f":
        return xp.remainder(a, b)
    # PyTorch's float kernel: fmod moved to the divisor's sign; a zero keeps fmod's sign
    return xp.where((m != 0) & ((b < 0) != (m < 0)), m + b, m)


def _fmod_kernel(xp: Any, a: Any, b: Any) -> Any:
    _check_int_zero(xp, a, b)
    return xp.fmod(a, b)


def _d_remainder(g: Tensor, a: Any, b: Any, r: Any, na: bool, nb: bool) -> tuple:
    return g, (-g * (a / b).floor() if nb else None)


def _d_fmod(g: Tensor, a: Any, b: Any, r: Any, na: bool, nb: bool) -> tuple:
    return g, (-g * (a / b).trunc() if nb else None)


_remainder = binop("remainder", _remainder_kernel, "RemainderBackward1", _d_remainder,
                   kinds="iuf", saves_for_b=True, number_nodes=("RemainderBackward0", None),
                   doc="Python's modulus: the result has the divisor's sign.")
_fmod = binop("fmod", _fmod_kernel, "FmodBackward1", _d_fmod, kinds="iuf", saves_for_b=True,
              number_nodes=("FmodBackward0", None),
              doc="C's fmod: the result has the dividend's sign.")


def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Python's modulus, elementwise: the result takes the sign of ``other``."""
    if not _isinstance(input, Tensor) and _rg(other):  # aten::remainder.Scalar_Tensor
        res = _remainder(input, other.detach(), out=out)
        return _not_differentiable("remainder", res, (other,))
    return _remainder(input, other, out=out)


def fmod(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """C's ``fmod``, elementwise: the result takes the sign of ``input``."""
    return _fmod(input, other, out=out)


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``floor(input / other)``; integer division by zero raises."""
    from .arithmetic import div

    npd = result_type(input, other).np
    if npd.kind in "bc":
        _check_broadcast("floor_divide", input, other)  # PyTorch checks the shapes first
        if out is not None:
            _check_out_cast(npd, out)
        raise not_implemented("div_floor_cpu", npd)
    refuse_shell_uint("div_floor_cpu", npd.type(0))
    a = input.detach() if _rg(input) else input
    b = other.detach() if _rg(other) else other
    res = _not_differentiable("floor_divide", quiet(lambda: div(a, b, rounding_mode="floor")),
                              tuple(t for t in (input, other) if _isinstance(t, Tensor)))
    return res if out is None else _out(res, out)


# ------------------------------------------------------------------ real binary math
def _d_atan2(g: Tensor, a: Tensor, b: Tensor, r: Any, na: bool, nb: bool) -> tuple:
    # At the origin PyTorch zeroes the reciprocal instead of giving nan.
    den = a * a + b * b
    rec = where(den == 0, 0.0, 1 / den)
    return (g * b * rec if na else None), (-g * a * rec if nb else None)


def _d_hypot(g: Tensor, a: Tensor, b: Tensor, r: Tensor, na: bool, nb: bool) -> tuple:
    return (g * a / r if na else None), (g * b / r if nb else None)


def _copysign_kernel(xp: Any, a: Any, b: Any) -> Any:
    return xp.copysign(a, b)


def _d_copysign(g: Tensor, a: Tensor, b: Any, r: Tensor, na: bool, nb: bool) -> tuple:
    da = g * where(a == 0, 0.0, r / a) if na else None
    return da, (zeros_like_grad(g) if nb else None)


def _logaddexp_kernel(xp: Any, a: Any, b: Any) -> Any:
    if kind(a if hasattr(a, "dtype") else b) != "c":
        return xp.logaddexp(a, b)
    a, b = xp.broadcast_arrays(xp.asarray(a), xp.asarray(b))
    m = xp.where(a.real >= b.real, a, b)
    m = xp.where(xp.isinf(m.real), 0, m)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m))


def _d_logaddexp(g: Tensor, a: Tensor, b: Tensor, r: Any, na: bool, nb: bool) -> tuple:
    return ((g / cj((b - a).exp() + 1) if na else None),
            (g / cj((a - b).exp() + 1) if nb else None))


def _d_logaddexp2(g: Tensor, a: Tensor, b: Tensor, r: Any, na: bool, nb: bool) -> tuple:
    return ((g / ((b - a).exp2() + 1) if na else None),
            (g / ((a - b).exp2() + 1) if nb else None))


def as_arrays(xp: Any, a: Any, b: Any) -> tuple:
    """Both operands as arrays, a Python number taking the other's dtype."""
    if not hasattr(a, "dtype"):
        a = xp.asarray(a, dtype=b.dtype)
    if not hasattr(b, "dtype"):
        b = xp.asarray(b, dtype=a.dtype)
    return a, b


def _xlogy_kernel(xp: Any, a: Any, b: Any) -> Any:
    a, b = as_arrays(xp, a, b)
    return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), a.dtype), a * xp.log(b))


def _d_xlogy(g: Tensor, a: Any, b: Any, r: Any, na: bool, nb: bool) -> tuple:
    da = db = None
    if na:
        da = where((a == 0) & (b <= 0), 0.0, xlogy(g, b))
    if nb:
        db = g * a / b
    return da, db


atan2 = binop("atan2", lambda xp, a, b: xp.arctan2(a, b), "Atan2Backward0", _d_atan2,
              kinds="biuf", promote=True, tensor_other=True, doc="Angle of the point (other, input), elementwise.")
hypot = binop("hypot", lambda xp, a, b: xp.hypot(a, b), "HypotBackward0", _d_hypot, kinds="f",
              saves="abr", saves_own=True, tensor_other=True,
              doc="``sqrt(input**2 + other**2)`` elementwise.")
copysign = binop("copysign", _copysign_kernel, "CopysignBackward0", _d_copysign, kinds="biuf",
                 promote=True, saves="ar", doc="``|input|`` with the sign of ``other``.",
                 number_nodes=("CopysignBackward1", None))
logaddexp = binop("logaddexp", _logaddexp_kernel, "LogaddexpBackward0", _d_logaddexp,
                  kinds="fc", tensor_other=True, doc="``log(exp(input) + exp(other))``, stably.")
logaddexp2 = binop("logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b), "Logaddexp2Backward0",
                   _d_logaddexp2, kinds="f", tensor_other=True,
                   doc="``log2(2**input + 2**other)``, stably.")
xlogy = binop("xlogy", _xlogy_kernel, "XlogyBackward0", _d_xlogy, kinds="biuf", promote=True,
              doc="``input * log(other)``, and 0 where ``input == 0`` (unless other is NaN).",
              number_nodes=("XlogyBackward2", "XlogyBackward1"))
arctan2 = binop("arctan2", lambda xp, a, b: xp.arctan2(a, b), "Atan2Backward0", _d_atan2,
                kinds="biuf", promote=True, tensor_other=True, doc="Alias of ``atan2``.")


# ------------------------------------------------------------------ minimum and maximum
def _d_max(g: Tensor, a: Tensor, b: Tensor, r: Any, na: bool, nb: bool) -> tuple:
    half = where(a == b, g / 2, g)
    return ((where(a < b, 0.0, half) if na else None), (where(a > b, 0.0, half) if nb else None))


def _d_min(g: Tensor, a: Tensor, b: Tensor, r: Any, na: bool, nb: bool) -> tuple:
    half = where(a == b, g / 2, g)
    return ((where(a > b, 0.0, half) if na else None), (where(a < b, 0.0, half) if nb else None))


maximum = binop("maximum", lambda xp, a, b: tie_first(xp.maximum, a, b), "MaximumBackward0",
                _d_max, kinds="biuf", tensor_other=True, reject=_complex_reject("maximum"),
                doc="Elementwise maximum; NaN propagates. Ties split the gradient evenly.")
minimum = binop("minimum", lambda xp, a, b: tie_first(xp.minimum, a, b), "MinimumBackward0",
                _d_min, kinds="biuf", tensor_other=True, reject=_complex_reject("minimum"),
                doc="Elementwise minimum; NaN propagates. Ties split the gradient evenly.")
fmax = binop("fmax", lambda xp, a, b: xp.fmax(a, b), "FmaxBackward0", _d_max, kinds="biuf",
             tensor_other=True, reject=_complex_reject("fmax"),
             doc="Elementwise maximum that ignores NaN (NaN only where both are NaN).")
fmin = binop("fmin", lambda xp, a, b: xp.fmin(a, b), "FminBackward0", _d_min, kinds="biuf",
             tensor_other=True, reject=_complex_reject("fmin"),
             doc="Elementwise minimum that ignores NaN (NaN only where both are NaN).")


# ------------------------------------------------------------------ several operands
def _promote_all(op: str, *operands: Any, dtype: _dt.dtype | None = None) -> tuple:
    """The arrays (numbers stay numbers) of several operands in their common dtype."""
    dev = None
    first = None
    for x in operands:
        if _isinstance(x, Tensor):
            if dev is None:
                dev, first = x._device, x
            elif x._device is not dev and x._data.ndim:
                raise device_mismatch(op, first, x)
    common = dtype or result_type(*(x for x in operands if x is not None))
    be = (dev or CPU)._backend
    out = []
    for x in operands:
        if _isinstance(x, Tensor):
            a = x._data
            if x._device is not dev:
                a = be.asarray(x._host(), index=dev.index)
            out.append(a if x.dtype is common else be.astype(a, common))
        elif x.__class__ is int and common.category == _dt._INT:
            out.append(_wrapped_int(x, common))
        else:
            out.append(x)
    return dev, be.native_dtype(common), out


def _wrapped_int(v: int, dt: _dt.dtype) -> int:
    """A Python int cast to an integer dtype as PyTorch casts scalars: modulo its range."""
    import numpy as np

    info = np.iinfo(dt.np)
    if info.min <= v <= info.max:
        return v
    return int(np.asarray(v % (1 << info.bits)).astype(dt.np))


def _as(xp: Any, r: Any, dt: Any) -> Any:
    return r if r.dtype == dt else astype(xp, r, dt)


def _half_scalar(v: float) -> Any:
    """A Python float as a float16 scalar, rounded through float32 as PyTorch converts it."""
    with np.errstate(over="ignore"):
        return np.float16(np.float32(v))


def _where_scalar(v: Any, x: Any, dt: Any) -> Any:
    """A Python int going into an integer result: PyTorch refuses one that overflows the
    dtype (negative ones wrap into uint8) instead of wrapping it silently."""
    if v.__class__ is int and getattr(dt, "kind", "f") in "iu":
        from .creation import fill_value_for

        return fill_value_for(v, _dt.from_numpy_dtype(dt))
    if v.__class__ is float and getattr(dt, "itemsize", 0) == 2:
        with np.errstate(over="ignore"):  # PyTorch rounds a double to half through float
            return np.float32(v)
    return x


def _where_shape_error(*operands: Any) -> RuntimeError:
    """PyTorch's message for operands of ``where`` that do not broadcast: the shapes are
    folded left to right (condition, input, other), and the first pair that clashes, from
    the last dimension, is named."""
    shape: tuple = ()
    for t in operands:
        nxt = tuple(_shape(t))
        try:
            shape = np.broadcast_shapes(shape, nxt)
        except ValueError:
            a, b, d = _mismatch(shape, nxt)
            return RuntimeError(f"where: The size of tensor a ({a}) must match the size of "
                                f"tensor b ({b}) at non-singleton dimension {d}")
    return RuntimeError(f"where: shapes {[list(_shape(t)) for t in operands]} cannot be "
                        "broadcast together")


def _warn_uint8_where() -> None:
    """PyTorch's warning (once per process) for a uint8 condition."""
    from ._deprecated_overload import warn_deprecated

    warn_deprecated("where_uint8", "where received a uint8 condition tensor. This behavior is "
                    "deprecated and will be removed in a future version of PyTorch. Use a boolean "
                    "condition instead.")


def where(condition: Tensor, input: Any = None, other: Any = None, *,
          out: Tensor | None = None) -> Any:
    """``input`` where ``condition`` holds, else ``other`` (numbers allowed); with only
    ``condition``, the indices of its nonzero elements as a tuple (``nonzero(as_tuple=True)``)."""
    if not _isinstance(condition, Tensor):
        raise not_tensor("where", condition, 1, "condition")
    c = condition._data
    if input is None and other is None:
        if condition._device.type == "meta":  # nonzero's refusal: the count needs values
            from .indexing_search import nonzero

            return nonzero(condition, as_tuple=True)
        xp = condition._device._backend.xp
        refuse_shell_uint("nonzero_count_cpu", c)
        return tuple(make(xp.asarray(i, dtype="int64"), condition._device)
                     for i in xp.nonzero(xp.atleast_1d(c) if c.ndim == 0 else c))
    if input is None or other is None:  # one of them alone: no overload takes that
        given = (condition, input) if other is None else (condition, input, other)
        names = ", ".join(type(v).__name__ if not _isinstance(v, Tensor) else "Tensor"
                          for v in given)  # (``where(c, x)``: the two given)
        raise TypeError(f"where() received an invalid combination of arguments - got "
                        f"({names}), but expected one of:\n"
                        " * (Tensor condition)\n"
                        " * (Tensor condition, Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor condition, Number self, Tensor other)\n"
                        " * (Tensor condition, Tensor input, Number other)\n"
                        " * (Tensor condition, Number self, Number other)\n")
    if isinstance(input, np.generic):  # NumPy scalars as PyTorch's parser reads them
        input = np_number(input)
    if isinstance(other, np.generic):
        other = np_number(other)
    if kind(c) == "u" and c.dtype.itemsize == 1:  # deprecated in PyTorch, still accepted
        _warn_uint8_where()
        c = c.astype(bool)
    if kind(c) != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {type_name(c.dtype)}")
    if out is not None:  # the out= overload takes tensors only
        for pos, nm, v in ((2, "input", input), (3, "other", other)):
            if not _isinstance(v, Tensor):
                raise TypeError(f"where(): argument '{nm}' (position {pos}) must be Tensor, "
                                f"not {type(v).__name__}")
    dev, dt, (xa, xb) = _promote_all("where", input, other)
    if dev is None:  # two numbers: the condition's device
        dev = condition._device
        dt = dev._backend.native_dtype(_dt.from_numpy_dtype(dt))
    xp = dev._backend.xp
    if not _isinstance(input, Tensor):  # quiet: 1e6 into half is inf, silently as PyTorch
        xa = quiet(functools.partial(xp.asarray, _where_scalar(input, xa, dt), dtype=dt))
    if not _isinstance(other, Tensor):
        xb = quiet(functools.partial(xp.asarray, _where_scalar(other, xb, dt), dtype=dt))
    if condition._device is not dev:
        c = dev._backend.asarray(condition._host(), index=dev.index)
    try:
        r = xp.where(c, xa, xb)
    except ValueError:
        raise _where_shape_error(condition, input, other) from None
    res = wrap(iter_laid(xp, r, (c, xa, xb)), dev)
    if grad_state.enabled and (_rg(input) or _rg(other)):
        sa, sb = _shape(input), _shape(other)
        ga, gb = _rg(input), _rg(other)

        def vjp(g: Tensor, cond: Tensor) -> tuple:
            return (sum_to(where(cond, g, 0.0), sa) if ga else None,
                    sum_to(where(cond, 0.0, g), sb) if gb else None)

        record("WhereBackward0", res, (input, other), vjp, (condition,))
    return res if out is None else _inplace.write_out_exact(res, out, "where", _where_out_error)


def _where_out_error(expected: Any, got: Any, i: int = 0) -> RuntimeError:
    return RuntimeError(f"Expected out type to be {_inplace._type_name(expected)} but got "
                        f"{_inplace._type_name(got)}")


def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Tensor | None = None) -> Tensor:
    """``input + weight * (end - input)`` (weight a number or a tensor)."""
    if not (_isinstance(input, Tensor) and _isinstance(end, Tensor)):
        raise invalid_combination("lerp", input, end, weight)
    if _isinstance(weight, Tensor) and weight.dtype is not input.dtype and weight.dim() == 0 \
            and _isinstance(input, Tensor) and _isinstance(end, Tensor):
        # PyTorch: a 0-d weight joins the number overload (or, needing grad, is taken in
        # input's dtype) rather than failing the dtype check
        weight = weight.to(input.dtype) if weight.requires_grad else weight.item()
    for nm, t in (("end", end), ("weight", weight)):
        if _isinstance(t, Tensor) and t.dtype is not input.dtype:
            from .linalg import _C_NAMES

            raise RuntimeError(f"expected dtype {_C_NAMES[input.dtype.name]} for `{nm}` but got "
                               f"dtype {_C_NAMES[t.dtype.name]}")
    x = input._data
    if kind(x) not in "fcV":
        _check_broadcast("lerp", input, end)  # PyTorch checks shapes before the kernel
        raise not_implemented("lerp_kernel_scalar" if not _isinstance(weight, Tensor)
                              else "lerp_kernel_tensor", x.dtype)
    if weight.__class__ is complex and kind(x) != "c":  # converted to the real opmath type
        if weight.imag != 0:
            raise RuntimeError("value cannot be converted to type "
                               f"{'double' if x.dtype == 'float64' else 'float'} without overflow")
        weight = weight.real
    dev, dt, (s, e, w) = _promote_all("lerp", input, end, weight, dtype=input.dtype)
    xp = dev._backend.xp
    try:
        diff = quiet(lambda: e - s)
        r = quiet(_lerp_kernel, xp, s, e, w, diff, dt)
    except ValueError as err:
        raise _fail_many("lerp", (input, end, weight), err) from None
    res = wrap(iter_laid(xp, _as(xp, r, dt), (s, e, w) if hasattr(w, "ndim") else (s, e)), dev)
    if grad_state.enabled and (input._rg or end._rg or _rg(weight)):
        shapes = (input._data.shape, end._data.shape, _shape(weight))
        need = (input._rg, end._rg, _rg(weight))

        def vjp(g: Tensor, a: Tensor, b: Tensor, w: Any) -> tuple:
            wc = cj(w) if _isinstance(w, Tensor) else w
            return (sum_to(g * (1 - wc), shapes[0]) if need[0] else None,
                    sum_to(g * wc, shapes[1]) if need[1] else None,
                    sum_to(g * cj(b - a), shapes[2]) if need[2] else None)

        saved = (input if need[2] else None, end if need[2] else None, weight)
        if _isinstance(weight, Tensor):
            record("LerpBackward1", res, (input, end, weight), vjp, saved)
        else:  # the Scalar overload: PyTorch's node has no edge for the number
            record("LerpBackward0", res, (input, end), lambda g, *s: vjp(g, *s)[:2], saved)
    return res if out is None else _out(res, out)


def _f32(x: Any) -> Any:
    """A half-precision array as float32 (numbers pass through)."""
    return x.astype("float32") if hasattr(x, "dtype") and _is_half(x.dtype) else x


def _lerp_kernel(xp: Any, s: Any, e: Any, w: Any, diff: Any, dt: Any) -> Any:
    """PyTorch's two lerp formulas, split at ``|w| < 0.5``; float32/float64 fused (its FMA),
    float16/bfloat16 through float32 (its opmath type)."""
    if _is_half(dt):
        s, e, w = _f32(s), _f32(e), _f32(w)
        return _lerp_kernel(xp, s, e, w, e - s, s.dtype if hasattr(s, "dtype") else e.dtype)
    if not fma_dtype(dt) or w.__class__ is complex or getattr(w, "dtype", dt) != dt:
        return xp.where(xp.abs(w) < 0.5, s + w * diff, e - diff * (1 - w))
    if not hasattr(w, "dtype"):
        w = dt.type(w)  # the weight in the opmath type, ``1 - w`` rounded in it too
        if abs(w) < 0.5:
            return fma(w, diff, s, dt, xp=xp)
        return fma(diff, -(1 - w), e, dt, xp=xp)
    return xp.where(xp.abs(w) < 0.5, fma(w, diff, s, dt, xp=xp), fma(diff, -(1 - w), e, dt, xp=xp))


@autocast_op("addcmul")
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    _need_tensors("addcmul", input, tensor1, tensor2)
    if all(_isinstance(t, Tensor) and t.dtype is _dt.bool for t in (input, tensor1, tensor2)):
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    return _addc("addcmul", input, tensor1, tensor2, value, out)


@autocast_op("addcdiv")
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 / tensor2`` (integer tensors refuse, as in PyTorch)."""
    _need_tensors("addcdiv", input, tensor1, tensor2)
    if kind(tensor1._data) in "biu" and kind(tensor2._data) in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return _addc("addcdiv", input, tensor1, tensor2, value, out)


def _need_tensors(op: str, *args: Any) -> None:
    for pos, (nm, t) in enumerate(zip(("input", "tensor1", "tensor2"), args), 1):
        if not _isinstance(t, Tensor):
            raise not_tensor(op, t, pos, nm)


def _addc_kernel(op: str, xp: Any, a: Any, b: Any, c: Any, value: Any, dt: Any) -> Any:
    """``a + value * b * c`` or ``a + value * b / c`` as PyTorch's float kernels round them.

    float32/float64: the value, in the tensors' dtype, scales ``b`` first; addcmul adds the
    product to ``a`` with one rounding (FMA), addcdiv divides the scaled ``b`` by ``c``;
    float16/bfloat16 go through float32 (PyTorch's opmath type), rounded once at the end.
    """
    if _is_half(dt):
        a, b, c = _f32(a), _f32(b), _f32(c)
        return _addc_kernel(op, xp, a, b, c, value, next(
            x.dtype for x in (a, b, c) if hasattr(x, "dtype")))
    if dt.kind == "c":  # the value scales tensor1 first, as PyTorch's kernel: (v * b) / c
        vb = xp.multiply(b, dt.type(value))
        return a + (vb * c if op == "addcmul" else vb / c)
    if not fma_dtype(dt) or value.__class__ is complex:
        return a + value * (b * c if op == "addcmul" else b / c)
    vb = b if value == 1 else xp.multiply(b, dt.type(value))
    if op == "addcmul":
        return fma(vb, c, a, dt, xp=xp)
    return a + vb / c


def _addc(op: str, input: Tensor, t1: Tensor, t2: Tensor, value: Any,
          out: Tensor | None) -> Tensor:
    dev, dt, (a, b, c) = _promote_all(op, input, t1, t2)
    if value.__class__ is complex and dt.kind != "c":
        value = _real_value(value, dt)
    if dt.kind in "iu" and (value.__class__ is int or value.__class__ is float):
        from .creation import fill_value_for  # in range (a negative int wraps into uint8)

        value = int(fill_value_for(value, _dt.from_native_dtype(dt)))
    elif _dt.from_native_dtype(dt).category <= _dt._INT and _isinstance(value, float):
        value = int(value)
    xp = dev._backend.xp
    try:
        r = quiet(_addc_kernel, op, xp, a, b, c, value, dt)
    except ValueError as err:
        raise _fail_many(op, (input, t1, t2), err) from None
    res = wrap(pointwise_laid(xp, _as(xp, r, dt), a, b, c), dev)
    if grad_state.enabled and (input._rg or t1._rg or t2._rg):
        shapes = (input._data.shape, t1._data.shape, t2._data.shape)
        need = (input._rg, t1._rg, t2._rg)
        v = value.conjugate() if _isinstance(value, complex) else value

        def vjp(g: Tensor, x1: Tensor, x2: Tensor) -> tuple:
            return quiet(grads, g, x1, x2)

        def grads(g: Tensor, x1: Tensor, x2: Tensor) -> tuple:
            if op == "addcmul":
                d1 = g * cj(x2) * v if need[1] else None
                d2 = g * cj(x1) * v if need[2] else None
            else:
                d1 = g * v / cj(x2) if need[1] else None
                d2 = -g * v * cj(x1 / (x2 * x2)) if need[2] else None
            return (sum_to(g, shapes[0]) if need[0] else None,
                    sum_to(d1, shapes[1]) if need[1] else None,
                    sum_to(d2, shapes[2]) if need[2] else None)

        record("AddcmulBackward0" if op == "addcmul" else "AddcdivBackward0", res,
               (input, t1, t2), vjp, (t1 if need[2] else None,  # as PyTorch's node saves
                                      t2 if need[1] or (need[2] and op == "addcdiv") else None))
    return res if out is None else _out(res, out)


def _real_value(value: complex, dt: Any) -> Any:
    """A complex ``value`` for a real result: its real part, refused (as PyTorch's conversion
    to the kernel's C type) when it has an imaginary part."""
    if value.imag != 0:
        from .creation import _C_NAMES

        name = "float" if _is_half(dt) else _C_NAMES.get(dt.name, dt.name)
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return float(value.real)


# ------------------------------------------------------------------ clamp
_BOUNDS = (int, float, type(None))


def clamp(input: Tensor, min: Any = None, max: Any = None, *,  # noqa: A002
          out: Tensor | None = None) -> Tensor:
    """Each element limited to ``[min, max]`` (numbers or tensors; ``max`` wins if min > max)."""
    if isinstance(min, np.generic):  # NumPy scalars as PyTorch's parser reads them
        min = np_number(min)  # noqa: A001
    if isinstance(max, np.generic):
        max = np_number(max)  # noqa: A001
    tensors = _isinstance(min, Tensor) or _isinstance(max, Tensor)
    if tensors and (min.__class__ in _NUMBERS or max.__class__ in _NUMBERS):
        min, max = _number_bounds(min, max)  # noqa: A001
        tensors = False
    name = "ClampBackward0" if tensors else "ClampBackward1"  # clamp_min/_max name their own
    return _clamp(input, min, max, out, name)


_NUMBERS = (int, float, bool, complex)


def _number_bounds(min: Any, max: Any) -> tuple:  # noqa: A002
    """A number and a tensor bound: PyTorch takes its number overload, which a 0-d tensor
    without grad joins as a number (``x.clamp(0, t.max())`` promotes like two numbers)."""
    bounds = []
    for b in (min, max):
        if _isinstance(b, Tensor):
            if b.dim() != 0 or b.requires_grad:
                names = ", ".join(["Tensor"] + [
                    "Tensor" if _isinstance(v, Tensor) else type(v).__name__ for v in (min, max)])
                raise TypeError(
                    f"clamp() received an invalid combination of arguments - got ({names}), "
                    "but expected one of:\n"
                    " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                    " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)")
            b = b.item()
        bounds.append(b)
    return tuple(bounds)


def _clamp(input: Tensor, min: Any, max: Any, out: Tensor | None,  # noqa: A002
           name: str) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    x = input._data
    if kind(x) == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    if kind(x) == "f" and min.__class__ in _BOUNDS and max.__class__ in _BOUNDS:
        dev, dt, a, lo, hi = input._device, x.dtype, x, min, max  # the common case
        if dt == "float16":  # PyTorch rounds a double bound to half through float
            lo, hi = (v if v.__class__ is not float else _half_scalar(v) for v in (lo, hi))
    else:
        if min.__class__ is complex or max.__class__ is complex:
            if kind(x) in "biu":
                raise NotImplementedError("clamp is not supported for complex types")
            raise RuntimeError("value cannot be converted to type double without overflow")
        dev, dt, (a, lo, hi) = _promote_all("clamp", input, min, max)
        try:
            _clamp_kernel_check(dt, min, max)
        except NotImplementedError:  # PyTorch checks the shapes and out= before the kernel
            for b in (min, max):
                if _isinstance(b, Tensor):
                    _check_broadcast("clamp", input, b)
            if out is not None and not (_isinstance(min, Tensor) or _isinstance(max, Tensor)):
                _inplace.check_exact_out(dt, out)
            raise
    nan = _is_nan(min) or _is_nan(max)
    if not nan:  # a NaN bound makes all NaN, the other bound unconverted
        _check_range(min, dt)
        _check_range(max, dt)
    xp = dev._backend.xp
    r = a
    try:
        if nan:
            r = xp.full_like(a, float("nan"))
        if lo is not None and not nan:
            r = xp.where(r < lo, lo, r) if _keeps_ties(min, a) else tie_first(
                xp.maximum, r, lo)
        if hi is not None and not nan:
            r = xp.where(r > hi, hi, r) if _keeps_ties(max, a) else tie_first(
                xp.minimum, r, hi)
    except ValueError as err:
        raise _fail_many("clamp", (input, min, max), err) from None
    if r is a:
        r = copy(xp, a)
    r = _as(xp, r, dt)
    if lo.__class__ is _ndarray or hi.__class__ is _ndarray:  # a number bound keeps a's layout
        r = pointwise_laid(xp, r, a, lo, hi)
    res = wrap(r, dev)
    if grad_state.enabled and (input._rg or _rg(min) or _rg(max)):
        if not (_isinstance(min, Tensor) or _isinstance(max, Tensor)):
            def vjp(g: Tensor, x: Tensor) -> tuple:
                # PyTorch passes the gradient strictly inside the bounds
                keep = (x > min) if max is None else (x < max) if min is None else \
                    (x > min) & (x < max)
                return (where(keep, g, 0.0),)

            record(name, res, (input,), vjp, (input,))
        else:
            shapes = (input._data.shape, _shape(min), _shape(max))

            def vjp(g: Tensor, x: Tensor, lo: Any, hi: Any) -> tuple:
                gx = g
                glo = ghi = None
                m = x
                if lo is not None:
                    m = maximum(x, lo)
                if hi is not None:
                    gm, ghi = _d_min(g, m, hi, None, True, True)
                    gx = gm
                if lo is not None:
                    gx, glo = _d_max(gx, x, lo, None, True, True)
                return (sum_to(gx, shapes[0]) if input._rg else None,
                        sum_to(glo, shapes[1]) if _rg(min) else None,
                        sum_to(ghi, shapes[2]) if _rg(max) else None)

            # clamp_min / clamp_max.Tensor: PyTorch's node has edges for self and its bound
            keep = _CLAMP_ONE_EDGES.get(name)
            if keep is None:
                record(name, res, (input, min, max), vjp, (input, min, max))
            else:
                record(name, res, (input, (input, min, max)[keep]),
                       lambda g, *s: (lambda r: (r[0], r[keep]))(vjp(g, *s)), (input, min, max))
    if out is not None and not (_isinstance(min, Tensor) or _isinstance(max, Tensor)):
        # clamp to numbers keeps the result's dtype in out=; tensor bounds cast like maximum
        _inplace.check_exact_out(res._data.dtype, out)
    return res if out is None else _out(res, out)


_CLAMP_ONE_EDGES = {"ClampMinBackward1": 1, "ClampMaxBackward1": 2}  # the bound's position


def _keeps_ties(bound: Any, a: Any) -> bool:
    """PyTorch's clamp to a number keeps the element on a tie (-0.0 clamped to min=0 stays
    -0.0), where NumPy's maximum would take the bound."""
    return (bound.__class__ is float or bound.__class__ is int) and a.dtype.kind == "f"


def _is_nan(bound: Any) -> bool:
    return bound.__class__ is float and bound != bound


def _check_range(bound: Any, dt: Any) -> None:
    """Refuse a number bound that overflows the result dtype, as PyTorch converts it (uint8's
    300, float32's 1e300; a negative integer wraps into an unsigned type)."""
    if bound.__class__ is int or bound.__class__ is float:
        from .creation import fill_value_for

        fill_value_for(bound, _dt.from_native_dtype(dt))


def _clamp_kernel_check(dt: Any, min: Any, max: Any) -> None:  # noqa: A002
    """PyTorch's clamp kernels have no complex or uint16/32/64 types, and bool only for a
    tensor ``min``."""
    k = _dt.from_native_dtype(dt).kind
    both = min is not None and max is not None
    tensors = _isinstance(min, Tensor) or _isinstance(max, Tensor)
    shell = k == "u" and _dt.from_native_dtype(dt).itemsize > 1  # uint16/32/64
    if k == "c" or (k == "b" and (both or not tensors)) or shell:
        if tensors:
            kernel = "clamp_cpu" if both else "maximum_cpu" if min is not None else "minimum_cpu"
        else:
            kernel = ("clamp_scalar_cpu" if both else "clamp_min_scalar_cpu" if min is not None
                      else "clamp_max_scalar_cpu")
        raise not_implemented(kernel, dt)


def _clamp_one_check(input: Tensor, bound: Any, kernel: str, out: Tensor | None = None) -> None:
    """clamp_min/clamp_max refuse complex like the maximum/minimum kernels they run."""
    if _isinstance(bound, Tensor):
        if out is not None:  # maximum/minimum's out= cast check comes first
            _check_out_cast(result_type(input, bound).np, out)
        if kind(input._data) == "c" or kind(bound._data) == "c":
            raise not_implemented(kernel, result_type(input, bound).np)
    elif bound.__class__ is complex or kind(input._data) == "c":
        raise NotImplementedError("clamp is not supported for complex types")


def clamp_min(input: Tensor, min: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    _clamp_one_check(input, min, "maximum_cpu", out)
    return _clamp(input, min, None, out, "ClampMinBackward" + (
        "1" if _isinstance(min, Tensor) else "0"))


def clamp_max(input: Tensor, max: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    _clamp_one_check(input, max, "minimum_cpu", out)
    return _clamp(input, None, max, out, "ClampMaxBackward" + (
        "1" if _isinstance(max, Tensor) else "0"))


clip = clamp


def _clamp_inplace(fn: Callable, name: str) -> Callable:
    promoting = promoting_inplace_of(fn, name, c_names=True)

    def op_(self: Tensor, *bounds: Any, **kw: Any) -> Tensor:
        if any(b.__class__ is complex for b in (*bounds, *kw.values())):
            raise NotImplementedError("clamp is not supported for complex types")  # comes first
        if fn is clamp:
            lo = bounds[0] if len(bounds) > 0 else kw.get("min")
            hi = bounds[1] if len(bounds) > 1 else kw.get("max")
            if (_isinstance(lo, Tensor) or _isinstance(hi, Tensor)) and (
                    lo.__class__ in _NUMBERS or hi.__class__ in _NUMBERS):
                bounds, kw = _number_bounds(lo, hi), {}  # the number overload, as clamp's
        return promoting(self, *bounds, **kw)

    op_.__name__ = op_.__qualname__ = name
    return op_


clamp_ = clip_ = _clamp_inplace(clamp, "clamp_")
clamp_min_ = _clamp_inplace(clamp_min, "clamp_min_")
clamp_max_ = _clamp_inplace(clamp_max, "clamp_max_")
xlogy_ = promoting_inplace_of(xlogy, "xlogy_", True)


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return where(condition, self, other)


def _legacy_value_first(a: Any, b: Any, args: tuple, kwargs: dict) -> bool:
    """PyTorch's deprecated ``addcmul(value, tensor1, tensor2)``: a number, then two tensors."""
    return (isinstance(a, (bool, int, float, complex)) and _isinstance(b, Tensor)
            and len(args) == 1 and _isinstance(args[0], Tensor) and not kwargs)


_NO_ARG = object()


def _named_pair(op: str, a: Any, kwargs: dict) -> tuple:
    """The two tensor arguments of a ternary method given (partly) by name, taken out of
    ``kwargs``; PyTorch's TypeError where one is missing."""
    names = ("end", "weight") if op.startswith("lerp") else ("tensor1", "tensor2")
    given = [] if a is _NO_ARG else [a]
    rest = names[len(given):]
    if (given and names[0] in kwargs or any(n not in kwargs for n in rest)
            or names[0] == "end" and not _isinstance(kwargs.get("end", a), Tensor)):
        raise _missing_pair(op, given, kwargs, names)
    return tuple(given + [kwargs.pop(n) for n in rest])


def _missing_pair(op: str, given: list, kwargs: dict, names: tuple) -> TypeError:
    """PyTorch's argument parser's words for a ternary method missing a tensor argument."""
    def kind(v: Any) -> str:
        return "Tensor" if _isinstance(v, Tensor) else type(v).__name__

    if op.startswith("lerp") or not kwargs:
        named = [f"{k}={kind(v)}" for k, v in reversed(kwargs.items())]
        got = (", ".join([kind(v) for v in given] + named) if given
               else "".join(f"{n}, " for n in named))
        tail = ("one of:" if op.startswith("lerp")
                else "(Tensor tensor1, Tensor tensor2, *, Number value = 1)")
        return TypeError(f"{op}() received an invalid combination of arguments - got "
                         f"({got}), but expected {tail}")
    if given:
        return TypeError(f'{op}() missing 1 required positional arguments: "{names[1]}"')
    return TypeError(f"{op}() received an invalid combination of arguments - got unrecognized "
                     f"keyword arguments: {', '.join(n for n in names if n in kwargs)}")


def _method_form(fn: Callable, op: str) -> Callable:
    """The Tensor method of a ternary op: PyTorch's refusal of a number for a tensor argument
    counts positions after ``self`` (and lerp's names no argument)."""
    @functools.wraps(fn)
    def method(self: Tensor, a: Any = _NO_ARG, b: Any = _NO_ARG, *args: Any, **kwargs: Any) -> Any:
        if b is _NO_ARG:  # ``t.lerp(end, weight=w)``, ``t.addcmul(tensor1=a, tensor2=b)``
            return method(self, *_named_pair(op, a, kwargs), **kwargs)
        if op.startswith("lerp"):
            if not _isinstance(a, Tensor):
                raise invalid_combination(op, a, b)
        else:
            for pos, (nm, t) in enumerate((("tensor1", a), ("tensor2", b)), 1):
                if not _isinstance(t, Tensor):
                    if _legacy_value_first(a, b, args, kwargs):  # ``addcmul_(value, t1, t2)``
                        from ._deprecated_overload import warn_overload

                        warn_overload(op, "Number value, Tensor tensor1, Tensor tensor2",
                                      "Tensor tensor1, Tensor tensor2, *, Number value = 1")
                        return fn(self, b, args[0], value=a)
                    raise not_tensor(op, t, pos, nm)
        return fn(self, a, b, *args, **kwargs)

    return method


methods(floor_divide=floor_divide, remainder=remainder, fmod=fmod, atan2=atan2, arctan2=arctan2,
        minimum=minimum, maximum=maximum, fmin=fmin, fmax=fmax, hypot=hypot, xlogy=xlogy,
        copysign=copysign, logaddexp=logaddexp, logaddexp2=logaddexp2,
        lerp=_method_form(lerp, "lerp"), addcmul=_method_form(addcmul, "addcmul"),
        addcdiv=_method_form(addcdiv, "addcdiv"), clamp=clamp, clip=clamp, clamp_min=clamp_min,
        clamp_max=clamp_max, where=_where_method,
        clamp_=clamp_, clip_=clamp_, clamp_min_=clamp_min_, clamp_max_=clamp_max_, xlogy_=xlogy_,
        floor_divide_=promoting_inplace_of(floor_divide, "floor_divide_"),
        remainder_=promoting_inplace_of(remainder, "remainder_"), fmod_=promoting_inplace_of(fmod, "fmod_"),
        atan2_=promoting_inplace_of(atan2, "atan2_", True),
        arctan2_=promoting_inplace_of(atan2, "arctan2_", True),
        hypot_=promoting_inplace_of(hypot, "hypot_"), copysign_=promoting_inplace_of(copysign, "copysign_", True),
        lerp_=_method_form(inplace_of(lerp, "lerp_"), "lerp_"),
        addcmul_=_method_form(promoting_inplace_of(addcmul, "addcmul_"), "addcmul_"),
        addcdiv_=_method_form(promoting_inplace_of(addcdiv, "addcdiv_"), "addcdiv_"),
        __mod__=remainder, __rmod__=lambda self, other: remainder(other, self),
        __imod__=promoting_inplace_of(remainder, "remainder_"),
        __floordiv__=floor_divide, __rfloordiv__=lambda self, other: floor_divide(other, self),
        __ifloordiv__=promoting_inplace_of(floor_divide, "floor_divide_"))
