"""Complex numbers: real and imag (views), conj, angle, view_as_real / view_as_complex.

NumPy has no lazy conjugate or negative bits, so ``conj`` makes a new tensor; it marks
that tensor so ``is_conj`` answers as PyTorch's for it (its views are not marked), and
``resolve_conj`` of it is a clone. ``is_neg`` is always False and ``resolve_neg`` returns
its input.
Derivatives follow PyTorch's conjugate-Wirtinger convention.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from .. import dtypes as _dt
from . import _inplace
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, methods, record
from .pointwise_unary import not_tensor, quiet, wrap, zeros_like_grad
from .shape import make_view

__all__ = ["real", "imag", "conj", "conj_physical", "conj_physical_", "resolve_conj",
           "resolve_neg", "is_conj", "is_neg", "angle", "view_as_real", "view_as_complex"]


# the results of ``conj`` (by id, held weakly): kept off the tensor so that saving one or
# copying its attributes does not carry the mark
_CONJ_RESULTS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _check(op: str, input: Any) -> Any:
    try:
        return input._data
    except AttributeError:
        raise not_tensor(op, input) from None


def real_grad(g: Tensor) -> Tensor:
    """The gradient of a real result as PyTorch's engine hands it on: its real part. A
    complex gradient reaches a real result where it met a complex factor on the way back
    (``x.real * 1j``); the imaginary part is not a gradient of a real tensor."""
    return g.real if g._data.dtype.kind == "c" else g


def real(input: Tensor) -> Tensor:
    """The real part: a view of a complex tensor's memory; a real tensor itself (its node is
    PyTorch's, a select of the real view)."""
    x = _check("real", input)
    if x.dtype.kind != "c":
        return input
    out = make_view(input, x.real, real)
    if grad_state.enabled and input._rg:
        record("SelectBackward0", out, (input,), lambda g: (real_grad(g) * (1 + 0j),))
    return out


def imag(input: Tensor) -> Tensor:
    """The imaginary part: a view of a complex tensor's memory."""
    x = _check("imag", input)
    if x.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    out = make_view(input, x.imag, imag)
    if grad_state.enabled and input._rg:
        record("SelectBackward0", out, (input,), lambda g: (real_grad(g) * 1j,))
    return out


def _conj(input: Tensor, node: str) -> Tensor:
    x = _check("conj", input)
    if x.dtype.kind != "c":
        return input
    res = wrap(input._device._backend.xp.conj(x), input._device)
    if grad_state.enabled and input._rg:
        record(node, res, (input,), lambda g: (g.conj(),))
    return res


def conj(input: Tensor) -> Tensor:
    """The complex conjugate (a real tensor is returned as is). PyTorch's is a lazy view with
    the conjugate bit set: the result here is marked so that ``is_conj`` says so."""
    res = _conj(input, "ConjBackward0")
    if res is not input and not is_conj(input):  # conj of a conj view clears the bit
        _CONJ_RESULTS[id(res)] = res
    return res


def conj_physical(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The complex conjugate, materialised (a real tensor is returned as is)."""
    if out is None:
        return _conj(input, "ConjPhysicalBackward0")
    _inplace.check_exact_out(_check("conj", input).dtype, out)
    return _inplace.write_out(_conj(input, "ConjPhysicalBackward0"), out, "conj_physical")


def conj_physical_(input: Tensor) -> Tensor:
    if input._data.dtype.kind != "c":
        return input
    return _inplace.commit(input, conj_physical(input), "conj_physical_")


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself, or for a result of ``conj`` (already materialised) an unmarked
    clone, as PyTorch's (a CloneBackward0 node)."""
    if not is_conj(input):
        return input
    from .conversion import clone

    return clone(input)


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` itself: Ember has no lazy negative bit."""
    return input


def is_conj(input: Tensor) -> bool:
    """Whether ``input`` came from ``conj`` (PyTorch's conjugate bit)."""
    return _CONJ_RESULTS.get(id(input)) is input


def is_neg(input: Tensor) -> bool:
    return False


def angle(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The argument of each element, in radians (0 or pi for real numbers)."""
    x = _check("angle", input)
    xp = input._device._backend.xp
    if x.dtype.kind == "c":  # PyTorch writes complex angle into a fresh (C-ordered) out=
        r = xp.asarray(xp.angle(x), order="C")
    else:
        if x.dtype.kind in "biu":
            x = x.astype(_dt._default.np)
        r = xp.where(xp.isnan(x), x, xp.where(x < 0, xp.asarray(math.pi, dtype=x.dtype),
                                              xp.zeros((), dtype=x.dtype)))
    res = wrap(r, input._device)
    if grad_state.enabled and input._rg:
        def vjp(g: Tensor, z: Tensor) -> tuple:
            if z._data.dtype.kind != "c":
                return (zeros_like_grad(g),)
            from .pointwise_binary import where

            a = z.abs()
            g = real_grad(g)
            return (where(a == 0, 0.0, quiet(lambda: g * z * 1j / (a * a))),)

        record("AngleBackward0", res, (input,), vjp, (input,))
    if out is not None:
        from .arithmetic import _out

        return _out(res, out)
    return res


def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor seen as real pairs: shape ``(*shape, 2)``, sharing memory."""
    x = _check("view_as_real", input)
    if x.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if input.is_conj():
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the "
            "conjugate tensor so you can view it as real, use self.resolve_conj(); however, be "
            "warned that the resulting tensor will NOT alias the original.")
    xr = x.real
    try:  # a view of x (so storage_offset follows the base): a size-1 axis re-read as 2 reals
        arr = x[..., None].view(xr.dtype)
    except (ValueError, TypeError):
        xp = input._device._backend.xp
        arr = xp.lib.stride_tricks.as_strided(xr, x.shape + (2,), x.strides + (xr.itemsize,))
    out = make_view(input, arr, view_as_real)
    if grad_state.enabled and input._rg:
        record("ViewAsRealBackward0", out, (input,),
               lambda g: (view_as_complex(real_grad(g).contiguous()),))
    return out


@autocast_op("view_as_complex")
def view_as_complex(input: Tensor) -> Tensor:
    """Real pairs along the last dimension (size 2, stride 1) seen as complex numbers."""
    x = _check("view_as_complex", input)
    if x.dtype.name not in ("float16", "float32", "float64"):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a "
            f"tensor of scalar type: {_inplace._type_name(x.dtype)}")
    if x.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if x.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    isz = x.dtype.itemsize
    if x.strides[-1] != isz:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * isz) for s, n in zip(x.strides[:-1], x.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    if x.dtype.name == "float16":
        raise RuntimeError("view_as_complex: complex32 (chalf) is not supported by Ember")
    cdt = "complex128" if x.dtype.name == "float64" else "complex64"
    arr = x.view(cdt)[..., 0]
    out = make_view(input, arr, view_as_complex)
    if grad_state.enabled and input._rg:
        record("ViewAsComplexBackward0", out, (input,),
               lambda g: (view_as_real(g.resolve_conj()),))
    return out


def _real_get(self: Tensor) -> Tensor:
    return real(self)


def _real_set(self: Tensor, value: Any) -> None:
    real(self).copy_(value)


def _imag_get(self: Tensor) -> Tensor:
    return imag(self)


def _imag_set(self: Tensor, value: Any) -> None:
    imag(self).copy_(value)


methods(conj=conj, conj_physical=conj_physical, conj_physical_=conj_physical_,
        resolve_conj=resolve_conj, resolve_neg=resolve_neg, is_conj=is_conj, is_neg=is_neg,
        angle=angle, real=property(_real_get, _real_set), imag=property(_imag_get, _imag_set))
