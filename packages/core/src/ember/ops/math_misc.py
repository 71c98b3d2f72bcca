"""Number-theoretic and floating-point pointwise ops: isin, gcd, lcm, frexp, ldexp, nextafter,
heaviside, float_power_; and the norms built on them: renorm, dist."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from .. import return_types as _rt
from .._memory_format import pointwise_laid
from .._runtime import quiet
from . import _inplace
from ._dispatch import (
    Tensor,
    also_saves,
    astype,
    binary,
    grad_state,
    kind,
    make,
    methods,
    record,
    renamed,
    result_type,
    sum_to,
    wrap_dim,
)
from ._inplace import _type_name

__all__ = ["isin", "gcd", "gcd_", "lcm", "lcm_", "frexp", "ldexp", "ldexp_", "nextafter",
           "renorm", "dist"]

_isinstance = isinstance


# ------------------------------------------------------------------ shared helpers
write_out = _inplace.write_out


def not_differentiable(name: str, res: Tensor, inputs: tuple) -> Tensor:
    """Give ``res`` PyTorch's placeholder node for an op without a derivative: its backward
    raises (only when an input requires grad)."""
    if grad_state.enabled and any(_isinstance(t, Tensor) and t._rg for t in inputs):
        def vjp(g: Tensor) -> tuple:
            raise RuntimeError(f"derivative for aten::{name} is not implemented")

        record("NotImplemented", res, inputs, vjp)
    return res


def _need_tensor(op: str, name: str, pos: int, v: Any) -> None:
    if not _isinstance(v, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(v).__name__}")


def _dtype_name(d: _dt.dtype) -> str:
    return _type_name(d.np) if d is not _dt.bfloat16 else "BFloat16"


def broadcast_error(a: Any, b: Any) -> RuntimeError:
    """PyTorch's error for operands whose shapes do not broadcast."""
    sa = tuple(a.shape) if _isinstance(a, Tensor) else ()
    sb = tuple(b.shape) if _isinstance(b, Tensor) else ()
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                                f"({pb[i]}) at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast")


def fmt(v: float) -> str:
    """A number as C++ streams print it (``5``, ``0.5``, ``inf``)."""
    return f"{float(v):g}"


# ------------------------------------------------------------------ isin
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False, out: Tensor | None = None) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number);
    a bool tensor of ``elements``'s shape."""
    if not _isinstance(elements, Tensor) and not _isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: expected a Tensor")
    for v in (elements, test_elements):
        # a Python number is a double-precision scalar to PyTorch here
        d = v.dtype if _isinstance(v, Tensor) else _dt.complex128 if _isinstance(v, complex) \
            else result_type(v)
        if d.category == _dt._BOOL or d.category == _dt._COMPLEX:
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_dtype_name(d)}")
    xa, xb, dev = binary(elements, test_elements, "isin")
    xp = dev._backend.xp
    if not _isinstance(elements, Tensor):
        xa = xp.asarray(xa, dtype=xb.dtype)
    if not _isinstance(test_elements, Tensor):
        xb = xp.asarray(xb, dtype=xa.dtype)
    r = xp.isin(xa, xb, invert=bool(invert))
    return _inplace.write_out_exact(make(xp.asarray(r), dev), out)


# ------------------------------------------------------------------ gcd, lcm
def _integer_op(op: str, fn: str, input: Tensor, other: Any, out: Tensor | None) -> Tensor:
    _need_tensor(op, "input", 1, input)
    _need_tensor(op, "other", 2, other)
    xa, xb, dev = binary(input, other, op)
    if kind(xa) not in "iu":
        try:  # PyTorch checks the shapes and the out= before the kernel refuses the dtype
            np.broadcast_shapes(xa.shape, xb.shape)
        except ValueError:
            raise broadcast_error(input, other) from None
        if out is not None:
            from .arithmetic import _check_out_cast

            _check_out_cast(xa.dtype, out)
        raise NotImplementedError(
            f"\"{op}_cpu\" not implemented for '{_dtype_name(result_type(input, other))}'")
    xp = dev._backend.xp
    try:
        r = quiet(_c_gcd if fn == "gcd" else _c_lcm, xp, xa, xb)
    except ValueError:
        raise broadcast_error(input, other) from None
    # the first operand's layout leads, as in PyTorch (NumPy falls back to C order)
    res = make(pointwise_laid(xp, astype(xp, xp.asarray(r), xa.dtype), xa, xb), dev)
    return _inplace.write_out_cast(res, out)


def _c_gcd(xp: Any, a: Any, b: Any) -> Any:
    """NumPy's gcd, but with PyTorch's C loop where a signed operand is the type's minimum
    (whose ``abs`` wraps to itself: ``gcd(6, INT_MIN)`` is -2 there)."""
    g = xp.gcd(a, b)
    if kind(g) == "i":
        low = np.iinfo(g.dtype).min
        hit = (a == low) | (b == low)
        if xp.any(hit):
            g = xp.where(hit, _euclid(xp, a, b), g)
    return g


def _euclid(xp: Any, a: Any, b: Any) -> Any:
    """PyTorch's ``calc_gcd``: ``abs`` of both, then ``a, b = b % a, a`` (C's truncating
    remainder) until ``a`` is 0, over all elements at once."""
    a, b = (xp.array(v) for v in xp.broadcast_arrays(xp.abs(a), xp.abs(b)))
    while True:
        nz = a != 0
        if not xp.any(nz):
            return b
        a, b = xp.where(nz, xp.fmod(b, xp.where(nz, a, 1)), 0), xp.where(nz, a, b)


def _c_lcm(xp: Any, a: Any, b: Any) -> Any:
    """PyTorch's ``calc_lcm``: ``abs(a / gcd * b)`` in C arithmetic (8- and 16-bit types
    promoted to int, wrapping on overflow; NumPy's lcm works on magnitudes)."""
    g = _c_gcd(xp, a, b)
    safe = xp.where(g == 0, 1, g)
    q = a // safe
    q = q + ((a % safe != 0) & ((a < 0) != (safe < 0)))  # C's division truncates
    wide = g.dtype if g.dtype.itemsize >= 4 else np.dtype("int32")
    r = xp.abs(q.astype(wide) * xp.asarray(b).astype(wide))
    return xp.where(g == 0, 0, r).astype(g.dtype)


def gcd(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The greatest common divisor of integer tensors, elementwise (non-negative)."""
    return _integer_op("gcd", "gcd", input, other, out)


def lcm(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The least common multiple of integer tensors, elementwise (non-negative)."""
    return _integer_op("lcm", "lcm", input, other, out)


def check_cast(self: Tensor, other: Any, op: str) -> None:
    """An in-place op's refusal when its result type can't be cast to ``self``'s dtype."""
    dt = result_type(self, other)
    if dt.category > self.dtype.category:
        raise RuntimeError(f"{op}: result type {_dtype_name(dt)} can't be cast to the desired "
                           f"output type {_dtype_name(self.dtype)}")


def gcd_(self: Tensor, other: Tensor) -> Tensor:
    _need_tensor("gcd_", "other", 1, other)
    check_cast(self, other, "gcd_")
    return _inplace.commit(self, _shapes_first(self, other, gcd), "gcd_")


def lcm_(self: Tensor, other: Tensor) -> Tensor:
    _need_tensor("lcm_", "other", 1, other)
    check_cast(self, other, "lcm_")
    return _inplace.commit(self, _shapes_first(self, other, lcm), "lcm_")


def _shapes_first(self: Tensor, other: Any, fn: Any) -> Tensor:
    """``fn(self, other)``; when its kernel refuses the dtype, PyTorch's shape errors of the
    in-place op come first."""
    try:
        return fn(self, other)
    except NotImplementedError:
        from .pointwise_unary import _check_inplace_shape

        _check_inplace_shape(self, [other])
        raise


# ------------------------------------------------------------------ frexp, ldexp, nextafter
def frexp(input: Tensor, *, out: Any = None) -> Any:
    """Mantissa in ``[0.5, 1)`` (input's dtype) and int32 exponent with
    ``input = mantissa * 2 ** exponent``."""
    x = input._data
    if kind(x) != "f" and input.dtype is not _dt.bfloat16:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    dev = input._device
    xp = dev._backend.xp
    m, e = xp.frexp(x)
    e = astype(xp, xp.asarray(e), xp.int32)
    mant = make(astype(xp, xp.asarray(m), x.dtype), dev)
    expo = make(e, dev)
    if grad_state.enabled and input._rg:
        scale = xp.ldexp(xp.ones(e.shape, dtype=x.dtype if kind(x) == "f" else xp.float32), -e)

        def vjp(g: Tensor) -> tuple:
            return (g * make(astype(xp, scale, g._data.dtype), g._device),)

        record("FrexpBackward0", mant, (input,), vjp)
    if out is not None:
        write_out(mant, out[0])
        write_out(expo, out[1])
        return _rt.frexp_out((out[0], out[1]))
    return _rt.frexp((mant, expo))


def _as_method_error(e: TypeError, fn_name: str, name: str) -> TypeError:
    from .pointwise_unary import _as_method_error as rename

    return rename(e, fn_name, name)


def _check_inplace_shape(self: Tensor, operands: list) -> None:
    from .pointwise_unary import _check_inplace_shape as check

    check(self, operands)


def ldexp(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``input * 2 ** other`` in the promoted floating dtype (integers give the default float
    dtype); integer exponents are exact, float ones go through ``pow`` as in PyTorch."""
    from .arithmetic import mul, pow

    _need_tensor("ldexp", "input", 1, input)
    _need_tensor("ldexp", "other", 2, other)
    if other.dtype is _dt.bool and _isinstance(input, Tensor) and input.is_floating_point():
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    dt = result_type(input, other)
    if dt.category < _dt._FLOAT:
        dt = _dt._default
    # integer exponents exactly in double; a 0-d float one in the result dtype, as PyTorch
    exponent = other.to(_dt.float64) if other.dtype.category < _dt._FLOAT else \
        other.to(dt) if other._data.ndim == 0 else other
    try:
        res = mul(input, pow(2.0, exponent))
    except RuntimeError:
        raise broadcast_error(input, other) from None
    if res.dtype is not dt:
        res = res.to(dt)
    if out is not None and out.dtype.category < _dt._FLOAT:
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{_dtype_name(out.dtype)}")
    return write_out(renamed(res, "LdexpBackward0"), out)


def ldexp_(self: Tensor, other: Tensor) -> Tensor:
    try:
        res = ldexp(self, other)
    except TypeError as e:
        raise _as_method_error(e, "ldexp", "ldexp_") from None
    except NotImplementedError:  # PyTorch checks the in-place shape first
        _check_inplace_shape(self, [other])
        raise
    if self.dtype.category < _dt._FLOAT:  # PyTorch's ldexp_ is mul_'s out= form
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{_dtype_name(self.dtype)}")
    return _inplace.commit(self, res, "ldexp_")


def nextafter(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The next representable value after ``input`` towards ``other``."""
    _need_tensor("nextafter", "input", 1, input)
    _need_tensor("nextafter", "other", 2, other)
    xa, xb, dev = binary(input, other, "nextafter")
    dt = result_type(input, other)
    if dt.category != _dt._FLOAT:
        try:  # PyTorch checks the shapes before the kernel refuses the dtype
            np.broadcast_shapes(xa.shape, xb.shape)
        except ValueError:
            raise broadcast_error(input, other) from None
        raise NotImplementedError(
            f"\"nextafter_cpu\" not implemented for '{_dtype_name(dt)}'")
    xp = dev._backend.xp
    try:
        res = make(pointwise_laid(xp, xp.asarray(xp.nextafter(xa, xb)), xa, xb), dev)
    except ValueError:
        raise broadcast_error(input, other) from None
    if grad_state.enabled and (input._rg or other._rg):
        sa, sb = input._data.shape, other._data.shape
        ga, gb = input._rg, other._rg

        def vjp(g: Tensor) -> tuple:
            return (sum_to(g, sa) if ga else None, sum_to(g * 0, sb) if gb else None)

        record("NextafterBackward0", res, (input, other), vjp)
    return _inplace.write_out_cast(res, out)


def nextafter_(self: Tensor, other: Tensor) -> Tensor:
    try:
        res = nextafter(self, other)
    except TypeError as e:
        raise _as_method_error(e, "nextafter", "nextafter_") from None
    except NotImplementedError:  # PyTorch checks the shapes and the result type first
        from .arithmetic import _cast_first

        _check_inplace_shape(self, [other])
        _cast_first(self, other)
        raise
    return _inplace.commit(self, res, "nextafter_")


# ------------------------------------------------------------------ heaviside, float_power_
def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The Heaviside step: 0 where ``input < 0``, ``values`` where it is 0, 1 where positive."""
    _need_tensor("heaviside", "input", 1, input)
    _need_tensor("heaviside", "values", 2, values)
    if input.dtype.category == _dt._COMPLEX or values.dtype.category == _dt._COMPLEX:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype or out is not None and out.dtype is not input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    xa, xb, dev = binary(input, values, "heaviside")
    xp = dev._backend.xp
    try:
        r = xp.where(xa == 0, xb, astype(xp, xa > 0, xa.dtype))
    except ValueError:
        raise broadcast_error(input, values) from None
    res = make(xp.asarray(r), dev)
    return write_out(not_differentiable("heaviside", res, (input, values)), out)


def heaviside_(self: Tensor, values: Tensor) -> Tensor:
    return _inplace.commit(self, heaviside(self, values), "heaviside_")


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place ``float_power``: ``self`` must already be double (or complex double)."""
    from .arithmetic import float_power

    cplx = self.is_complex() or _isinstance(exponent, complex) or (
        _isinstance(exponent, Tensor) and exponent.is_complex())
    want = _dt.complex128 if cplx else _dt.float64
    if self.dtype is not want:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {_dtype_name(self.dtype)} but the "
            f"operation's result requires dtype {_dtype_name(want)}")
    return _inplace.commit(self, float_power(self, exponent), "float_power_")


# ------------------------------------------------------------------ renorm, dist
def renorm(input: Tensor, p: Any, dim: int, maxnorm: Any, *,
           out: Tensor | None = None) -> Tensor:
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm``."""
    from .linalg_norms import vector_norm
    from .pointwise_binary import where

    if _isinstance(p, complex):
        raise RuntimeError("renorm: p must be real-valued")
    if not float(p) > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if _isinstance(maxnorm, complex):
        raise RuntimeError("renorm: maxnorm must be real-valued")
    if not float(maxnorm) >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {fmt(maxnorm)}")
    nd = input._data.ndim
    if nd <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {nd} dimensions")
    d = wrap_dim(dim, nd, "renorm")
    dims = tuple(i for i in range(nd) if i != d)
    x = input
    low = input.dtype.category == _dt._FLOAT and input.dtype.itemsize == 2
    if low:
        x = input.to(_dt.float32)
    norm = vector_norm(x, p, dims, True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    if factor.dtype is not x.dtype and x.dtype.category != _dt._COMPLEX:
        factor = factor.to(x.dtype)
    res = x * factor
    if low:
        res = res.to(input.dtype)
    return write_out(renamed(res, "RenormBackward0"), out)


def renorm_(self: Tensor, p: Any, dim: int, maxnorm: Any) -> Tensor:
    return _inplace.commit(self, renorm(self, p, dim, maxnorm), "renorm_")


def dist(input: Tensor, other: Tensor, p: Any = 2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast)."""
    from .linalg_norms import vector_norm

    _need_tensor("dist", "input", 1, input)
    _need_tensor("dist", "other", 2, other)
    diff = input - other  # PyTorch subtracts first: a bool operand is refused there
    dt = diff.dtype
    if dt.category < _dt._FLOAT:
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {_dtype_name(dt)} instead.")
    res = renamed(vector_norm(diff, p), "DistBackward0")
    return also_saves(res, input, other, res)  # PyTorch's node saves self, other and result


methods(gcd=gcd, gcd_=gcd_, lcm=lcm, lcm_=lcm_, frexp=frexp, ldexp=ldexp, ldexp_=ldexp_,
        nextafter=nextafter, nextafter_=nextafter_, heaviside=heaviside, heaviside_=heaviside_,
        float_power_=float_power_, renorm=renorm, renorm_=renorm_, dist=dist)
