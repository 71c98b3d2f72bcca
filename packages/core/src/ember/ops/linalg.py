"""Matrix products: matmul (``@``), mm, bmm, mv, dot, vdot, inner, outer, the add*-products,
einsum, tensordot, kron, cross, chain_matmul.

Products run on the backend's BLAS (``xp.matmul``; ``xp.einsum`` with a cached
optimised contraction path). NumPy has no half-precision BLAS, so float16 and
bfloat16 products are computed in float32 and rounded, as PyTorch's CPU does.
Derivatives are products again, so double backward works.
"""

from __future__ import annotations

import functools
import math
import string
import warnings
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._stacklevel import user_stacklevel
from ..autograd._graph_view import matmul_node_name, matmul_view
from . import _autocast, _blas, _inplace
from ._autocast import autocast_op
from ._dispatch import (
    Tensor,
    conj_operand,
    device_mismatch,
    grad_state,
    kind,
    leave_unchecked,
    make,
    methods,
    record,
    refuse_shell_uint,
    renamed,
    sum_to,
    wrap_dim,
)

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "addbmm", "baddbmm", "addr", "einsum", "tensordot", "kron", "cross", "chain_matmul",
           # PyTorch's top-level linear algebra, defined in linalg_misc (imported at the end)
           "det", "inverse", "svd", "cholesky", "qr", "pinverse", "logdet", "slogdet",
           "matrix_power", "matrix_exp", "addmv_"]

_isinstance = isinstance
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_T_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_HALF = frozenset({"float16", "bfloat16"})


def _tname(t: Tensor) -> str:
    return _T_NAMES.get(t.dtype.name, t.dtype.name)


def _check_tensor(x: Any, op: str, arg: str, pos: int = 2) -> None:
    if not _isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _product(xp: Any, xa: Any, xb: Any) -> Any:
    """``xa @ xb`` on the backend; half precision goes through float32."""
    if getattr(xa.dtype, "name", None) in _HALF:  # (the Array API has no half dtypes)
        dt = xa.dtype
        return _blas.matmul(xp, xa.astype("float32"), xb.astype("float32")).astype(dt)
    return _blas.matmul(xp, xa, xb)


def _dims(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _matmul_error(op: str, a: Tensor, b: Tensor) -> Exception:
    """PyTorch's error for operands that cannot be multiplied, after the op's name."""
    return RuntimeError(f"{op}: {_matmul_error_text(a, b)}")


def _matmul_error_text(a: Tensor, b: Tensor) -> str:
    sa, sb = a._data.shape, b._data.shape
    da, db = len(sa), len(sb)
    if da == 1 and db == 1:
        return (f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to "
                f"have the same number of elements, but got {sa[0]} and {sb[0]} elements "
                "respectively")
    if da == 2 and db == 1:
        return f"size mismatch, got input ({sa[0]}), mat ({_dims(sa)}), vec ({sb[0]})"
    if da >= 3 and db == 2:  # folded into one matrix product
        return (f"mat1 and mat2 shapes cannot be multiplied ({math.prod(sa[:-1])}x{sa[-1]} and "
                f"{_dims(sb)})")
    if da <= 2 and db <= 2:
        ra = sa if da == 2 else (1,) + sa
        return f"mat1 and mat2 shapes cannot be multiplied ({_dims(ra)} and {_dims(sb)})"
    ba, bb = sa[:-2] if da > 1 else (), sb[:-2] if db > 1 else ()
    n = max(len(ba), len(bb))
    pa, pb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    for i in range(n - 1, -1, -1):  # PyTorch expands the batch dims before its bmm
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            return (f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                    f"at non-singleton dimension {i}")
    ka = sa[-1]
    kb = sb[-2] if db > 1 else sb[-1]
    if ka != kb:
        return (f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{(sa[:-2] or (1,))[-1]}, {ka}] but got: [{(sb[:-2] or (1,))[-1]}, {kb}].")
    return f"shapes {list(sa)} and {list(sb)} cannot be multiplied"


def _shapes_multiply(sa: tuple, sb: tuple) -> bool:
    """Whether matmul's rules accept operands of these shapes."""
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        return False
    ba, bb = sa[:-2], sb[:-2]
    return all(x == y or 1 in (x, y) for x, y in zip(ba[::-1], bb[::-1]))


def _batched(op: str, da: int, db: int) -> bool:
    """Whether PyTorch's matmul runs these operands through bmm (else it folds them to mm)."""
    return op == "bmm" or db >= 3


def _check_pair(op: str, a: Tensor, b: Tensor) -> None:
    """PyTorch's refusals before a product (error path built lazily)."""
    xa, xb = a._data, b._data
    if xa.ndim == 0 or xb.ndim == 0:
        raise RuntimeError(f"both arguments to {op} need to be at least 1D, but they are "
                           f"{xa.ndim}D and {xb.ndim}D")
    if xa.dtype != xb.dtype:
        if xa.ndim == 1 and xb.ndim == 1:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{_tname(a)} and {_tname(b)}")
        if _batched(op, xa.ndim, xb.ndim):
            raise RuntimeError(f"expected scalar type {_tname(a)} but found {_tname(b)}")
        if xb.ndim == 1:  # matrix @ vector: PyTorch's mv, an addmv into the vector's dtype
            _check_fused("addmv", b, a, b)
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_C_NAMES.get(a.dtype.name, a.dtype.name)} != "
            f"{_C_NAMES.get(b.dtype.name, b.dtype.name)}")
    if kind(xa) == "b":
        if not _shapes_multiply(xa.shape, xb.shape):
            raise _matmul_error(op, a, b)
        if xa.size and xb.size:  # PyTorch runs no kernel for empty operands
            kernel = "bmm" if op == "bmm" else _matmul_kernel(xa.ndim, xb.ndim)
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if a._device is not b._device:
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at "
                           f"least two devices, {a._device} and {b._device}!")


@autocast_op("matmul")
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with PyTorch's rules: 1-D operands are vectors, leading dims broadcast."""
    return _matmul(input, other, out)


def _matmul(input: Tensor, other: Tensor, out: Tensor | None, name: str | None = None) -> Tensor:
    """``matmul``; its graph node named ``name`` (mm, bmm, ...) or by PyTorch's matmul."""
    if not _isinstance(other, Tensor) or not _isinstance(input, Tensor):
        _check_tensor(input, "matmul", "input", 1)
        _check_tensor(other, "matmul", "other")
    xa, xb = input._data, other._data
    dev = input._device
    if out is not None:
        _check_matmul_out(input, other, out, name)
    if other._device is not dev:
        raise device_mismatch("matmul", input, other)
    if xa.dtype != xb.dtype or xa.ndim == 0 or xb.ndim == 0 or kind(xa) == "b":
        _check_pair("bmm" if name == "BmmBackward0" else "matmul", input, other)
    if kind(xa) == "u":
        refuse_shell_uint(_matmul_kernel(xa.ndim, xb.ndim), xa)
    xp = dev._backend.xp
    try:
        r = _product(xp, xa, xb)
    except ValueError:
        raise _matmul_error("matmul", input, other) from None
    if r.__class__ is not dev._backend.ndarray:
        r = xp.asarray(r)
    res = make(r, dev)
    if grad_state.enabled and (input._rg or other._rg):
        _record_matmul(res, input, other, name)
    return _out(res, out)


def _matmul_kernel(na: int, nb: int) -> str:
    """The CPU kernel PyTorch's matmul runs for operands of these ranks (in its errors)."""
    if nb >= 3:
        return "bmm"
    if nb == 1:
        return "dot" if na == 1 else "addmv_impl_cpu"
    return "addmm_impl_cpu_"


def _check_matmul_out(a: Tensor, b: Tensor, out: Tensor, name: str | None) -> None:
    """PyTorch's refusals of a product's ``out=``: a graph needed, then an out dtype other
    than the first operand's (before the operands' own dtype check)."""
    if grad_state.enabled and (a._rg or b._rg):
        op = {"MmBackward0": "mm", "BmmBackward0": "bmm"}.get(name, "matmul")
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad.")
    da, db = a._data.ndim, b._data.ndim
    if da and db and (da, db) != (1, 1) and not _shapes_multiply(a._data.shape, b._data.shape):
        return  # the shapes' error comes first
    ed, od = a._data.dtype, out._data.dtype
    if name == "BmmBackward0" or (da and _batched("matmul", da, db)):
        ed = b._data.dtype  # the bmm kernel's out dtype is its second operand's
    if ed != od:
        if da == 1 and db == 1:
            if out._data.shape != () and out._data.size:  # dot resizes its out first
                _inplace.warn_resized(out._data.shape, ())
            raise RuntimeError(f"result dtype {_T_NAMES.get(od.name, od.name)} does not match "
                               f"input dtype {_tname(a)}")
        raise _inplace.out_dtype_error(ed, od)
    if a._data.dtype != b._data.dtype and da == db and da <= 2 and out._data.size:
        sa, sb = a._data.shape, b._data.shape  # the out is resized before the operands' check
        shape = sa[:-1] + sb[1:] if db == 2 else sa[:-1]
        if out._data.shape != shape:
            _inplace.warn_resized(out._data.shape, shape)


# matmul's node by operand dims, as PyTorch's composite matmul ends: a vector times a matrix
# squeezes, batched operands fold into a product and unfold with a view
_MATMUL_NODES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0",
                 (1, 2): "SqueezeBackward4"}


def _shaped(t: Tensor, shape: tuple, mm: bool) -> Tensor:
    """``t`` reshaped to ``shape``; the gradients of a product of two matrices as they are
    (PyTorch's mm: no view node under create_graph)."""
    return t if mm else t.reshape(shape)


def _record_matmul(res: Tensor, a: Tensor, b: Tensor, name: str | None = None) -> None:
    da, db = a._data.ndim, b._data.ndim
    sa, sb = a._data.shape, b._data.shape
    a2 = sa if da > 1 else (1,) + sa
    b2 = sb if db > 1 else sb + (1,)
    ga_needed, gb_needed = a._rg, b._rg
    o = res._data.shape
    o2 = (1, 1) if da == 1 and db == 1 else (o[:-1] + (1, o[-1]) if da == 1 else (
        o + (1,) if db == 1 else o))

    def vjp(g: Tensor, a: Tensor, b: Tensor) -> tuple:
        if g._data.shape != o2:
            g = g.reshape(o2)
        ga = gb = None
        if ga_needed:
            bm = b.reshape(b2) if db == 1 else b
            ga = _shaped(sum_to(matmul(g, bm.mH), a2), sa, da == db == 2)
        if gb_needed:
            am = a.reshape(a2) if da == 1 else a
            gb = _shaped(sum_to(matmul(am.mH, g), b2), sb, da == db == 2)
        return ga, gb

    view = name is None and (da > 2 or db > 2 or (da, db) == (1, 2))
    if name is None:
        name = _MATMUL_NODES.get((da, db)) or matmul_node_name(sa, sb, ga_needed)
    record(name, res, (a, b), vjp, (a if gb_needed else None, b if ga_needed else None))
    if view:  # one node; next_functions shows PyTorch's chain of nodes
        res.grad_fn._view = (matmul_view, sa, a._data.strides, sb, b._data.strides,
                             a._data.itemsize)


_out = _inplace.write_out


@autocast_op("mm")
def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Product of two matrices (no broadcasting)."""
    _check_tensor(mat2, "mm", "mat2")
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _matmul_error("mm", input, mat2)
    return _matmul(input, mat2, out, "MmBackward0")


@autocast_op("bmm")
def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched product of two 3-D tensors with equal batch sizes."""
    _check_tensor(mat2, "bmm", "mat2")
    sa, sb = input._data.shape, mat2._data.shape
    if len(sa) != 3:
        raise RuntimeError("bmm: batch1 must be a 3D tensor")
    if len(sb) != 3:
        raise RuntimeError("bmm: batch2 must be a 3D tensor")
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(
            f"bmm: Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, "
            f"{sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    if kind(input._data) == "b" and input._data.size and mat2._data.size:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return _matmul(input, mat2, out, "BmmBackward0")


@autocast_op("mv")
def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix-vector product."""
    _check_tensor(vec, "mv", "vec")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    if input.dtype is not vec.dtype:  # PyTorch's mv is an addmv into vec's dtype
        _check_fused("addmv", vec, input, vec)
    if input._data.shape[1] != vec._data.shape[0]:
        raise _matmul_error("mv", input, vec)
    return _matmul(input, vec, out)  # (not the autocast ``matmul``: CPU autocast keeps mv)


@autocast_op("dot")
def dot(input: Tensor, tensor: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inner product of two 1-D tensors (no conjugation)."""
    _check_tensor(tensor, "dot", "tensor")
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{tensor._data.ndim}D tensors")
    return _matmul(input, tensor, out)


def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``dot(conj(input), other)``."""
    _check_tensor(other, "vdot", "other")
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    a = input.conj() if kind(input._data) == "c" else input
    if input.dtype is not other.dtype or input._data.shape != other._data.shape:
        return matmul(a, other, out=out)  # matmul's errors
    return _matmul(a, other, out, "VdotBackward0")


def inner(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Sum of products over the last dimension of both (a product for 0-d operands)."""
    _check_tensor(other, "inner", "other")
    if input._data.ndim == 0 or other._data.ndim == 0:
        return _out(input * other, out)
    if input._data.shape[-1] != other._data.shape[-1]:  # checked before the dtypes, as PyTorch
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input._data.shape)} and {list(other._data.shape)}")
    _same_dtype(input, other, input._data.ndim == other._data.ndim == 1)
    return tensordot(input, other, ([-1], [-1]), out=out)


def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product of two vectors."""
    _check_tensor(vec2, "outer", "vec2")
    for arg, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {arg}, but got {t._data.ndim}-D")
    return _out(input.reshape(-1, 1) * vec2.reshape(1, -1), out)


ger = outer


def _scaled(x: Tensor, s: Any) -> Tensor:
    return x if s == 1 else x * s


_SCALAR_C = {"float64": "double", "float32": "float", "float16": "float", "bfloat16": "float",
             "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
             "uint8": "uint8_t"}


def _fused_scalars(op: str, prod: Tensor, beta: Any, alpha: Any) -> tuple[Any, Any]:
    """``beta`` and ``alpha`` converted to the result's type as PyTorch converts them: floats
    truncated for integer results (refused by addr, which also refuses a bool for a non-bool
    result), complex refused for real results."""
    k = kind(prod._data)
    res = []
    for name, s in (("beta", beta), ("alpha", alpha)):
        if op == "addr":
            if isinstance(s, bool) and k != "b":
                raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
            if k in "iub" and isinstance(s, (float, complex)):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                                   "floating point number.")
        if isinstance(s, complex) and k != "c" or isinstance(s, float) and k in "iu" and not (
                np.iinfo(prod._data.dtype).min <= s < np.iinfo(prod._data.dtype).max + 1):
            name_c = _SCALAR_C.get(prod.dtype.name, prod.dtype.name)
            if op == "addmv" and prod.dtype in (_dt.float16, _dt.bfloat16):
                name_c = "c10::Half" if prod.dtype is _dt.float16 else "c10::BFloat16"
            raise RuntimeError(f"value cannot be converted to type {name_c} without overflow")
        res.append(int(s) if isinstance(s, float) and k in "iu" else s)
    return res[0], res[1]


def _expand_error(op: str, input: Tensor, shape: tuple, mats: tuple) -> RuntimeError | None:
    """PyTorch's error for an ``input`` that does not expand to the product's shape (None
    when it does)."""
    ishape = input._data.shape
    if op == "addmv" and ishape not in ((), (1,), shape):
        mat, vec = mats
        return RuntimeError(f"size mismatch, got input ({'x'.join(map(str, ishape))}), mat "
                            f"({'x'.join(map(str, mat))}), vec ({'x'.join(map(str, vec))})")
    if len(ishape) > len(shape):
        return RuntimeError(f"expand(ember.{_tname(input)}Tensor{{{list(ishape)}}}, size="
                            f"{list(shape)}): the number of sizes provided ({len(shape)}) must be "
                            f"greater or equal to the number of dimensions in the tensor "
                            f"({len(ishape)})")
    for d in range(len(shape) - 1, len(shape) - len(ishape) - 1, -1):
        s = ishape[d - len(shape) + len(ishape)]
        if s != 1 and s != shape[d]:
            return RuntimeError(f"The expanded size of the tensor ({shape[d]}) must match the "
                                f"existing size ({s}) at non-singleton dimension {d}.  Target "
                                f"sizes: {list(shape)}.  Tensor sizes: {list(ishape)}")
    return None


def _add_scaled(prod: Tensor, input: Tensor, beta: Any, alpha: Any, op: str,
                mats: tuple = ()) -> Tensor:
    """``beta * input + alpha * prod``: one graph node named as PyTorch's fused op's
    (``AddmmBackward0``...), which gives ``input`` a zero gradient when ``beta`` is 0 (its
    values, NaN and inf included, are then ignored). ``mats``: addmv's operand shapes, or
    addmm/baddbmm's two operands, whose half-precision product is then redone in float32."""
    if beta.__class__ is not int or alpha.__class__ is not int:
        beta, alpha = _fused_scalars(op, prod, beta, alpha)
    prev = grad_state.enabled
    grad_state.enabled = False
    try:
        scaled = _scaled(prod, alpha)
        shape = scaled._data.shape
        if beta == 0:
            if _expand_error(op, input, shape, mats) is not None:
                raise _expand_error(op, input, shape, mats)
            res = scaled
        else:
            try:
                res = _scaled(input, beta) + scaled
            except RuntimeError as e:
                raise _expand_error(op, input, shape, mats) or e from None
            if res._data.shape != shape:
                raise _expand_error(op, input, shape, mats) or RuntimeError(
                    f"{op}: The size of input {list(input._data.shape)} can't be broadcast to "
                    f"the product's shape {list(shape)}")
        if getattr(prod._data.dtype, "name", None) in _HALF and (beta != 0 or alpha != 1) \
                and mats and _isinstance(mats[0], Tensor) and prod._device.type == "cpu":
            res = _half_fused(prod, input, beta, alpha, mats)
    finally:
        grad_state.enabled = prev
    if mats and _isinstance(mats[0], Tensor):
        if prev and (input._rg or mats[0]._rg or mats[1]._rg):
            _record_fused(res, input, beta, alpha, op, mats)
        return res
    if prev and (input._rg or prod._rg):
        res = make(res._data, res._device)

        def vjp(g: Tensor) -> tuple:
            gi = None
            if input._rg:
                gi = sum_to(g * beta, input._data.shape) if beta != 0 else \
                    g.new_zeros(input._data.shape)
            return gi, None if not prod._rg else _scaled(g, alpha)

        record(f"{op.capitalize()}Backward0", res, (input, prod), vjp)
    return res


def _fused_product(input: Tensor, m1: Tensor, m2: Tensor, beta: Any, alpha: Any, op: str,
                   product: Any) -> Tensor:
    """addmm/baddbmm: ``product(m1, m2)`` (mm or bmm) scaled and added in one graph node
    whose inputs are ``input``, ``m1`` and ``m2``, as PyTorch's."""
    prev = grad_state.enabled
    grad_state.enabled = False
    try:
        prod = product(m1, m2)
    finally:
        grad_state.enabled = prev
    return _add_scaled(prod, input, beta, alpha, op, (m1, m2))


def _record_fused(res: Tensor, input: Tensor, beta: Any, alpha: Any, op: str,
                  mats: tuple) -> None:
    """The node of ``beta * input + alpha * (m1 @ m2)``; as PyTorch's, the operands'
    gradients are the products with the incoming gradient, then scaled by ``alpha``."""
    m1, m2 = mats
    need1, need2 = m1._rg, m2._rg
    ishape = input._data.shape
    ca = alpha.conjugate() if _isinstance(alpha, complex) else alpha

    def vjp(g: Tensor, a: Tensor, b: Tensor) -> tuple:
        gi = None
        if input._rg:
            gi = sum_to(g * beta, ishape) if beta != 0 else g.new_zeros(ishape)
        g1 = _scaled(matmul(g, b.mH), ca) if need1 else None
        g2 = _scaled(matmul(a.mH, g), ca) if need2 else None
        return gi, g1, g2

    record(f"{op.capitalize()}Backward0", res, (input, m1, m2), vjp,
           (m1 if need2 else None, m2 if need1 else None))


def _half_fused(prod: Tensor, input: Tensor, beta: Any, alpha: Any, mats: tuple) -> Tensor:
    """PyTorch's CPU addmm/baddbmm of half types: ``alpha * (m1 @ m2) + beta * input`` in
    float32 (the product accumulated in float32), rounded once to the half type."""
    dev = prod._device
    xp = dev._backend.xp
    f32 = np.float32
    r = f32(alpha) * _blas.matmul(xp, mats[0]._data.astype(f32), mats[1]._data.astype(f32))
    if beta != 0:
        r = r + f32(beta) * input._data.astype(f32)
    return make(r.astype(prod._data.dtype), dev)


def _cname(t: Tensor) -> str:
    return _C_NAMES.get(t.dtype.name, t.dtype.name)


def _check_fused(op: str, input: Tensor, m1: Tensor, m2: Tensor) -> None:
    """PyTorch's refusals of mixed dtypes in addmm/addbmm/baddbmm/addmv (no promotion)."""
    if input.dtype is m1.dtype and m1.dtype is m2.dtype:
        return
    if op == "addmv":
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_tname(input)}, {_tname(m1)}, and {_tname(m2)}")
    if op == "baddbmm":
        if input.dtype is not m1.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input {_cname(input)}, "
                               f"batch1: {_cname(m1)}, batch2: {_cname(m2)}")
        return  # bmm refuses batch1 against batch2
    first, name = (input, "self") if input.dtype is not m2.dtype else (m1, "mat1")
    raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {_tname(first)} "
                       f"and {_tname(m2)}")


@autocast_op("addmm")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    _check_fused("addmm", input, mat1, mat2)
    return _out(_fused_product(input, mat1, mat2, beta, alpha, "addmm", mm), out)


@autocast_op("addmv")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    _check_fused("addmv", input, mat, vec)
    return _out(_add_scaled(mv(mat, vec), input, beta, alpha, "addmv",
                            (mat._data.shape, vec._data.shape)), out)


def _refuse_batches(input: Tensor, batch1: Tensor, batch2: Tensor, shape: tuple) -> None:
    """addbmm/baddbmm of batches not 3-D, refused in PyTorch's order: the sizes read for the
    result (``shape``: their IndexError), ``input`` expanded to it, then each batch's rank."""
    input.expand(shape)
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")


@autocast_op("addbmm")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
           out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    _check_fused("addbmm", input, batch1, batch2)
    if batch1._data.ndim != 3 or batch2._data.ndim != 3:
        _refuse_batches(input, batch1, batch2, (batch1.size(1), batch2.size(2)))
    return _out(_add_scaled(bmm(batch1, batch2).sum(0, dtype=batch1.dtype), input, beta, alpha, "addbmm"), out)


@autocast_op("baddbmm")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    _check_fused("baddbmm", input, batch1, batch2)
    if batch1._data.ndim != 3 or batch2._data.ndim != 3:
        _refuse_batches(input, batch1, batch2,
                        (batch1.size(0), batch1.size(1), batch2.size(2)))
    return _out(_fused_product(input, batch1, batch2, beta, alpha, "baddbmm", bmm), out)


def _bool_scalar(s: Any) -> Any:
    return bool(s) if s.__class__ is int else s


@autocast_op("addr")
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1,
         out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    if input.dtype is _dt.bool and (alpha.__class__ is int or beta.__class__ is int):
        beta, alpha = _bool_scalar(beta), _bool_scalar(alpha)  # a bool result stays bool
    return _out(_add_scaled(outer(vec1, vec2), input, beta, alpha, "addr"), out)


@autocast_op("chain_matmul")
def chain_matmul(*matrices: Tensor, out: Tensor | None = None) -> Tensor:
    """Product of 2-D matrices (deprecated in PyTorch for ``linalg.multi_dot``)."""
    if len(matrices) == 1 and _isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:  # every operand a matrix, checked first as PyTorch
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if not _chain_warned:
        _chain_warned.append(True)  # once per process, as PyTorch's TORCH_WARN_ONCE
        warnings.warn("ember.chain_matmul is deprecated and will be removed in a future PyTorch "
                      "release. Use ember.linalg.multi_dot instead, which accepts a list of two "
                      "or more tensors rather than multiple parameters. (Triggered internally "
                      "at /__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:1103.)",
                      UserWarning,
                      stacklevel=user_stacklevel())
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    res = matrices[0]
    for m in matrices[1:]:
        if m.dtype is not res.dtype or m._data.shape[0] != res._data.shape[1]:
            from .linalg_misc import multi_dot  # (imports this module)

            multi_dot(list(matrices))  # PyTorch runs multi_dot, whose errors it gives
        res = mm(res, m)
    return _out(renamed(res, "ViewBackward0"), out)


_chain_warned: list = []


# ------------------------------------------------------------------ einsum
_LETTERS = string.ascii_letters
_paths: dict = {}


def _parse_einsum(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    """Input subscripts (``...`` kept) and the explicit output subscripts, checked as PyTorch
    checks them (letters only, sizes that match or broadcast, output labels once each)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
    else:
        lhs, rhs = eq, None
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(ins) else
                           "einsum(): fewer operands were provided than specified in the equation")
    if not all(s.replace("...", "").isalpha() or not s.replace("...", "")
               for s in (*ins, rhs or "")):
        raise _einsum_subscript_error(equation, ins)
    for s, t in zip(ins, operands):
        n = len(s.replace("...", ""))
        if ("..." in s and n > t._data.ndim) or ("..." not in s and n != t._data.ndim):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not"
                               f" match the number of dimensions ({t._data.ndim}) for operand "
                               f"{ins.index(s)}" + ("" if "..." in s else
                                                    " and no ellipsis was given"))
    sizes: dict[str, int] = {}
    ell: list[int] = []  # the broadcast shape of the dims the ellipses cover, right-aligned
    for k, (s, t) in enumerate(zip(ins, operands)):
        head, dots, tail = s.partition("...")
        shape = t._data.shape
        if dots:
            covered = shape[len(head):len(shape) - len(tail)]
            ell[:0] = [1] * max(0, len(covered) - len(ell))
            for j, size in enumerate(covered):
                seen = ell[len(ell) - len(covered) + j]
                if seen != size and seen != 1 and size != 1:
                    raise RuntimeError(
                        f"einsum(): dimension {j} covered by ellipsis in operand {k}has size "
                        f"{size} which does not broadcast with previously seen ellipsis with size "
                        f"{seen} for the respective dimension")
                ell[len(ell) - len(covered) + j] = max(seen, size) if 1 in (seen, size) else seen
        mine: dict[str, int] = {}
        for c, size in zip(head + tail, shape[:len(head)] + shape[len(shape) - len(tail):]):
            if mine.setdefault(c, size) != size:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {size} != {mine[c]}")
            seen = sizes.setdefault(c, size)
            if seen != size and seen != 1 and size != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {k} "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, size) if 1 in (seen, size) else seen
    if rhs is None:
        counts: dict[str, int] = {}
        for s in ins:
            for c in s.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        rhs = ("..." if any("..." in s for s in ins) else "") + "".join(
            sorted(c for c, k in counts.items() if k == 1))
    else:
        out = rhs.replace("...", "")
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
        if "..." not in rhs and any("..." in s for s in ins):
            ins = _ellipsis_summed(ins, operands)
    return ins, rhs


def _ellipsis_summed(ins: list[str], operands: list[Tensor]) -> list[str]:
    """An ellipsis the explicit output leaves out, summed as PyTorch sums it: its dims given
    fresh labels (shared from the right, as broadcast) that the output lacks."""
    used = set("".join(ins))
    fresh = [c for c in _LETTERS if c not in used]
    res = []
    for s, t in zip(ins, operands):
        n = t._data.ndim - len(s.replace("...", ""))
        res.append(s.replace("...", "".join(fresh[:n][::-1])) if "..." in s else s)
    return res


def _einsum_subscript_error(equation: str, ins: list[str]) -> RuntimeError:
    """PyTorch's message for a subscript that is not a letter (built on the error path)."""
    for k, s in enumerate(ins):
        if "." in s.replace("...", ""):
            return RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any "
                                "ellipsis")
    if "." in equation.replace(" ", "").partition("->")[2].replace("...", ""):
        return RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
    i, arrow = 0, False
    while i < len(equation):
        if equation.startswith("...", i) or (equation.startswith("->", i) and not arrow):
            arrow = arrow or equation[i] == "-"
            i += 3 if equation[i] == "." else 2
            continue
        if not (equation[i].isalpha() or equation[i] == " " or equation[i] == "," and not arrow):
            break
        i += 1
    return RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                        "string, subscripts must be in [a-zA-Z]")


def _sublist_equation(args: tuple) -> tuple[str, list]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as an equation and operands."""
    out = args[-1] if len(args) % 2 == 1 else None
    body = args[:-1] if out is not None else args
    ops, subs = list(body[0::2]), list(body[1::2])

    def letter(n: Any) -> str:  # PyTorch's parse_subscript: 0-25 are A-Z, 26-51 a-z
        if n is Ellipsis:
            return "..."
        if n >= 0 and n < 26:
            return chr(ord("A") + n)
        if n >= 26 and n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")

    def conv(s: Any) -> str:
        return "".join(letter(x) for x in s)

    eq = ",".join(conv(s) for s in subs)
    if out is not None:
        eq += "->" + conv(out)
    return eq, ops


def einsum(*args: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)``, operands as a list, or the
    sublist form; contracted along an optimised path."""
    if not args or len(args) == 1 and not _isinstance(args[0], str):  # a lone operand too
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if _isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and _isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    ins, rhs = _parse_einsum(equation, operands)
    if _last_pair_contracts(ins, rhs):
        operands = _autocast.lower_as_inner_mm(operands)
    return _einsum(ins, rhs, operands, _einsum_node(ins, rhs))


def _einsum(ins: list[str], rhs: str, operands: list, node: str) -> Tensor:
    """The parsed einsum ``ins -> rhs`` of ``operands``, its graph node called ``node``."""
    first = operands[0]
    for t in operands[1:]:
        if t._data.dtype != first._data.dtype:
            operands = _einsum_promoted(ins, rhs, operands)
            first = operands[0]
            break
    if kind(first._data) == "b" and len(operands) > 1 and set("".join(ins)) - set(rhs) and \
            all(t._data.size for t in operands):
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")  # a contraction
    res = make(_einsum_raw(ins, rhs, [t._data for t in operands], first._device), first._device)
    if grad_state.enabled and any(t._rg for t in operands):
        needed = [t._rg for t in operands]

        def vjp(g: Tensor, *ops: Tensor) -> tuple:
            return tuple(_einsum_grad(i, ins, rhs, g, ops) if needed[i] else None
                         for i in range(len(ops)))

        record(node, res, tuple(operands), vjp, tuple(operands))
        if len(operands) == 2:
            _saved_views(res, _einsum_saved_views(tuple(ins), rhs, (operands[0]._data.shape,
                                                                   operands[1]._data.shape)))
        # PyTorch's products save each operand for the others' gradients only
        leave_unchecked(res.grad_fn, [i for i in range(len(needed))
                                      if not any(needed[:i] + needed[i + 1:])])
    return res


def _einsum_promoted(ins: list[str], rhs: str, operands: list) -> list:
    """Operands of mixed dtypes: PyTorch contracts two operands' shared summed labels with
    ``bmm``, which takes one dtype only, and multiplies them otherwise (``mul``, which
    promotes). So two operands with no shared summed label are promoted to a common dtype;
    anything else is refused as ``bmm`` refuses it."""
    first = operands[0]
    shared = set(ins[0]) & set(ins[-1]) - set(rhs) - {"."} if len(ins) == 2 else None
    if shared is None or shared:
        bad = next(t for t in operands[1:] if t._data.dtype != first._data.dtype)
        raise RuntimeError(f"expected scalar type {_tname(first)} but found {_tname(bad)}")
    dt = _dt.promote_types(first.dtype, operands[1].dtype)
    return [t.to(dt) for t in operands]


def _last_pair_contracts(ins: list[str], rhs: str) -> bool:
    """Whether PyTorch's left-to-right einsum ends in a ``bmm`` (a summed index shared by the
    last operand and the ones before), which autocast runs in low precision."""
    if len(ins) < 2:
        return False
    return bool(set(ins[-1]) & set("".join(ins[:-1])) - set(rhs) - {"."})


def _einsum_node(ins: list[str], rhs: str) -> str:
    """The last node of PyTorch's einsum composite: a contraction ends in a ``view`` of a
    ``bmm`` (a ``sum`` for one operand), else a ``mul`` (a ``permute`` for one operand)."""
    contracted = set("".join(ins)) - set(rhs) - {"."}
    if len(ins) == 1:
        return "SumBackward1" if contracted else "PermuteBackward0"
    return "ViewBackward0" if contracted else "MulBackward0"


def _labelled(sub: str, shape: tuple) -> list[tuple[str, int]]:
    """``(label, size)`` of each dim; the ellipsis dims are labelled ``"0"``, ``"1"``, ...
    from the right (broadcast ellipses share labels)."""
    head, dots, tail = sub.partition("...")
    n_ell = len(shape) - len(head) - len(tail) if dots else 0
    return list(zip(list(head) + [str(n_ell - 1 - k) for k in range(n_ell)] + list(tail),
                    shape))


@functools.lru_cache(maxsize=1024)  # a training loop asks again and again
def _einsum_saved_views(ins: tuple, rhs: str, shapes: tuple) -> dict | None:
    """The shapes of the views of two operands that PyTorch's einsum saves (its ``mul`` of
    the operands aligned to the output's labels, or its ``bmm`` of ``[batch, left, sum]``
    and ``[batch, sum, right]`` reshapes), named in its in-place error; an operand maps to
    None where PyTorch saves no view of it (a dim summed alone first, a reshape that copies);
    None for a diagonal (left to Ember's own check)."""
    dims = [_labelled(s, sh) for s, sh in zip(ins, shapes)]
    if any(len({lab for lab, _ in d}) != len(d) for d in dims):
        return None
    n_ell = max(len(d) - len(s.replace("...", "")) for d, s in zip(dims, ins))
    out = [lab for lab, _ in _labelled(rhs, (0,) * (len(rhs.replace("...", "")) + n_ell * (
        "..." in rhs)))]
    a, b = dict(dims[0]), dict(dims[1])
    summed = sorted((set(a) | set(b)) - set(out), key=lambda c: (c.islower(), c))
    if not summed:
        return {k: tuple(d.get(lab, 1) for lab in out) for k, d in enumerate((a, b))}
    groups: dict[str, list[str]] = {"lro": [], "lo": [], "ro": [], "sum": []}
    alone = [False, False]  # an operand with a dim summed before the product: no view saved
    for lab in out + summed:
        big_a, big_b = a.get(lab, 1) != 1, b.get(lab, 1) != 1
        if lab in summed:
            if big_a and big_b:
                groups["sum"].append(lab)
            elif big_a or big_b:
                alone[0 if big_a else 1] = True
        elif big_a or big_b:
            groups["lro" if big_a and big_b else "lo" if big_a else "ro"].append(lab)
    orders = [("lro", "lo", "sum"), ("lro", "sum", "ro")]
    last = [lab for lab in out if lab in groups["lo"] or lab in groups["ro"]][-1:]
    if groups["ro"] and last and last[0] in groups["lo"]:  # PyTorch multiplies b by a then
        orders = [("lro", "sum", "lo"), ("lro", "ro", "sum")]
    views: dict = {}
    for k, (d, order) in enumerate(zip((a, b), orders)):
        pos = [lab for lab, _ in dims[k] if d[lab] != 1]
        if alone[k] or not all(_adjacent(pos, groups[g]) for g in order):
            views[k] = None
        else:
            views[k] = tuple(math.prod(d.get(lab, 1) for lab in groups[g]) for g in order)
    return views


def _saved_views(res: Tensor, views: dict | None) -> None:
    """Give ``res``'s node the shapes of the operand views PyTorch's composite saves (for its
    in-place error); an operand PyTorch saved no view of (None) is not version-checked."""
    node = res.grad_fn
    if views is None or node is None:
        return
    leave_unchecked(node, [k for k in range(len(node._versions)) if views.get(k, 0) is None])
    node._saved_as = views  # (shared by the cache: read only)


def _adjacent(pos: list[str], group: list[str]) -> bool:
    """Whether ``group``'s labels are consecutive, in order, among an operand's dims ``pos``
    (a reshape merges them into one dim as a view)."""
    idx = [pos.index(lab) for lab in group if lab in pos]
    return all(j == i + 1 for i, j in zip(idx, idx[1:]))


def _einsum_raw(ins: list[str], rhs: str, arrays: list, dev: Any) -> Any:
    xp = dev._backend.xp
    eq = ",".join(ins) + "->" + rhs
    half = getattr(arrays[0].dtype, "name", None) in _HALF
    if half:
        dt = arrays[0].dtype
        arrays = [a.astype("float32") for a in arrays]
    if len(arrays) <= 2:
        r = xp.einsum(eq, *arrays)
    else:
        key = (eq, tuple(a.shape for a in arrays))
        path = _paths.get(key)
        if path is None:
            dummies = [np.broadcast_to(np.float32(0), a.shape) for a in arrays]
            path = _paths[key] = np.einsum_path(eq, *dummies, optimize="greedy")[0]
        r = xp.einsum(eq, *arrays, optimize=path)
    r = xp.asarray(r)
    if half:
        r = r.astype(dt)
    return r


def _einsum_grad(i: int, ins: list[str], rhs: str, g: Tensor, ops: tuple) -> Tensor:
    """Gradient of one operand: an einsum of the output gradient with the other operands."""
    from .creation import eye

    target = ops[i]
    tokens = ["..." if s == "." else s for s in _tokens(ins[i])]
    used = set("".join(ins) + rhs)
    fresh = (c for c in _LETTERS if c not in used)
    n_ell = target._data.ndim - (len(tokens) - ("..." in tokens))
    sizes = {}
    pos = 0
    for tok in tokens:
        if tok == "...":
            pos += n_ell
        else:
            sizes[tok] = target._data.shape[pos]
            pos += 1
    seen: set = set()
    deltas: list[tuple[str, Tensor]] = []
    grad_tokens = []
    for tok in tokens:
        if tok != "..." and tok in seen:  # a repeated index: a diagonal, via an identity factor
            f = next(fresh)
            deltas.append((tok + f, eye(sizes[tok], dtype=target.dtype,
                                        device=target._device)))
            tok = f
        seen.add(tok)
        grad_tokens.append(tok)
    others = [ins[j] for j in range(len(ins)) if j != i]
    avail = set(rhs + "".join(others) + "".join(d for d, _ in deltas))
    has_ell = "..." in rhs or any("..." in s for s in others)
    keep = [t for t in grad_tokens if (t == "..." and has_ell) or (t != "..." and t in avail)]
    eq = ",".join([rhs] + others + [d for d, _ in deltas]) + "->" + "".join(keep)
    others_t = [conj_operand(ops[j]) for j in range(len(ops)) if j != i]  # complex: conjugates
    r = einsum(eq, g, *others_t, *[d for _, d in deltas])
    # reduce broadcast ellipsis dims, then restore dims that were summed away
    if "..." in keep:
        at = keep.index("...")
        r_ell = r._data.ndim - (len(keep) - 1)
        extra = r_ell - n_ell
        red = tuple(range(at, at + extra)) + tuple(
            at + extra + k for k in range(n_ell)
            if target._data.shape[tokens.index("...") + k] == 1 and
            r._data.shape[at + extra + k] != 1)
        if red:
            r = r.sum(red, keepdim=True)
        if extra:
            r = r.reshape(r._data.shape[:at] + r._data.shape[at + extra:])
    shape = []
    kept_iter = iter(range(r._data.ndim))
    for t in grad_tokens:
        if t == "...":
            if "..." in keep:
                shape += [r._data.shape[next(kept_iter)] for _ in range(n_ell)]
            else:
                shape += [1] * n_ell
        elif t in keep:
            shape.append(r._data.shape[next(kept_iter)])
        else:
            shape.append(1)
    r = r.reshape(tuple(shape))
    # a labelled dim of size 1 that broadcast against a larger one: sum it back
    red = tuple(d for d, n in enumerate(target._data.shape) if n == 1 and shape[d] != 1)
    if red:
        r = r.sum(red, keepdim=True)
    if r._data.shape != target._data.shape:
        r = r.expand(target._data.shape)
    return r


def _tokens(sub: str) -> list[str]:
    return list(sub.replace("...", "."))


# ------------------------------------------------------------------ tensordot, kron, cross
@autocast_op("tensordot")
def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first of ``b``, or the listed dims."""
    _same_dtype(a, b, None)  # (bools refused once the dims are checked, as PyTorch does)
    na, nb = a._data.ndim, b._data.ndim
    listed = _isinstance(dims, (list, tuple))
    if _isinstance(dims, Tensor):
        dims = dims.tolist()
    if _isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        if listed:  # PyTorch's argument parser takes two lists of ints here
            for k, (arg, ds) in enumerate((("dims_self", da), ("dims_other", db))):
                if _isinstance(ds, int):
                    raise TypeError(f"tensordot(): argument '{arg}' (position {k + 3}) must be "
                                    "tuple of ints, not int")
        da = [da] if _isinstance(da, int) else list(da)
        db = [db] if _isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    # the dims as PyTorch names them in its errors: as given (an int ``dims``: a's from -dims)
    given = (da, db) if not _isinstance(dims, int) else ([d - na for d in da], db)
    da = [wrap_dim(d, na, "tensordot") for d in da]
    db = [wrap_dim(d, nb, "tensordot") for d in db]
    for ds in (da, db):
        if len(set(ds)) != len(ds):
            dup = next(d for d in ds if ds.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for x, y, gx, gy in zip(da, db, *given):
        if a._data.shape[x] != b._data.shape[y]:
            a, b = _tensordot_broadcast(a, b, x, y, (gx, gy))
    _same_dtype(a, b, len(da) == na and len(db) == nb)
    la = list(_LETTERS[:na])
    lb = list(_LETTERS[na:na + nb])
    for x, y in zip(da, db):
        lb[y] = la[x]
    rhs = "".join(la[k] for k in range(na) if k not in da) + "".join(
        lb[k] for k in range(nb) if k not in db)
    eq = "".join(la) + "," + "".join(lb) + "->" + rhs
    if rhs:  # (a full contraction is no ``mm`` in PyTorch: autocast keeps it)
        a, b = _autocast.lower_as_inner_mm([a, b])
    res = _einsum(*_parse_einsum(eq, [a, b]), [a, b], "ViewBackward0")  # PyTorch's mm + view
    if res.grad_fn is not None:
        _saved_views(res, _tensordot_saved_views(a._data.shape, b._data.shape, tuple(da),
                                                 tuple(db)))
    return _out(res, out)


def _tensordot_broadcast(a: Tensor, b: Tensor, x: int, y: int,
                         shown: tuple) -> tuple[Tensor, Tensor]:
    """PyTorch's contraction of a size-1 dim against a longer one: the longer summed first
    (keeping the dim); other size mismatches are refused."""
    sa, sb = a._data.shape[x], b._data.shape[y]
    if sb == 1:
        return a.sum(x, keepdim=True, dtype=a.dtype), b
    if sa == 1:
        return a, b.sum(y, keepdim=True, dtype=b.dtype)
    raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim "
                       f"{shown[0]} and second has size {sb} in dim {shown[1]}")


@functools.lru_cache(maxsize=1024)
def _tensordot_saved_views(sa: tuple, sb: tuple, da: tuple, db: tuple) -> dict:
    """The shapes of the operand views PyTorch's tensordot saves for its product: ``[free,
    contracted]`` and ``[contracted, free]`` (one vector each for a dot); None where the
    permuted reshape copies (PyTorch saves no view of that operand)."""
    fa = [d for d in range(len(sa)) if d not in da]
    fb = [d for d in range(len(sb)) if d not in db]
    c = math.prod(sa[d] for d in da)
    groups = ((fa, da), (db, fb))
    views = {}
    for k, (shape, gs) in enumerate(((sa, groups[0]), (sb, groups[1]))):
        pos = [d for d in range(len(shape)) if shape[d] != 1]
        views[k] = None  # a reshape that copies: PyTorch saves no view of the operand
        if all(_adjacent(pos, [d for d in g if shape[d] != 1]) for g in gs):
            views[k] = (c,) if not fa and not fb else tuple(
                math.prod(shape[d] for d in g) for g in gs)
    return views


def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Kronecker product."""
    _check_tensor(other, "kron", "other")
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    a = input.reshape((1,) * (n - na) + input._data.shape)
    b = other.reshape((1,) * (n - nb) + other._data.shape)
    sa, sb = a._data.shape, b._data.shape
    ai = tuple(x for s in sa for x in (s, 1))
    bi = tuple(x for s in sb for x in (1, s))
    prod = a.reshape(ai) * b.reshape(bi)
    node = prod.grad_fn
    if node is not None and node._versions:
        # PyTorch multiplies ``_unsafe_view``s of the operands, with version counters of their
        # own: a later in-place change of an operand fails no backward
        leave_unchecked(node, range(len(node._versions)))
    res = prod.reshape(tuple(x * y for x, y in zip(sa, sb)))
    return _out(renamed(res, "UnsafeViewBackward0"), out)  # PyTorch's last step


@autocast_op("cross")
def cross(input: Tensor, other: Tensor, dim: int | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    _check_tensor(other, "cross", "other")
    shape = tuple(np.broadcast_shapes(input._data.shape, other._data.shape))
    if dim is None:
        warnings.warn("Using ember.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use ember.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=user_stacklevel())
        dim = next((k for k, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _out(_cross(input, other, dim, "cross"), out)


def _cross(a: Tensor, b: Tensor, dim: int, op: str) -> Tensor:
    if a._data.ndim != b._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = tuple(np.broadcast_shapes(a._data.shape, b._data.shape))
    d = wrap_dim(dim, len(shape), op)
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"{op}: inputs dimension {dim} must have length 3. Got "
                           f"{a._data.shape[d]} and {b._data.shape[d]}")
    if kind(a._data) == "b":
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_tname(a)} but found {_tname(b)}")
    xp = a._device._backend.xp
    r = xp.cross(xp.broadcast_to(a._data, shape), xp.broadcast_to(b._data, shape), axis=d)
    res = make(xp.asarray(r), a._device)
    if grad_state.enabled and (a._rg or b._rg):
        sa, sb = a._data.shape, b._data.shape
        ga_needed, gb_needed = a._rg, b._rg

        def vjp(g: Tensor, a: Tensor, b: Tensor) -> tuple:
            a, b = conj_operand(a), conj_operand(b)  # complex: each gradient takes the other's conjugate
            return (sum_to(_cross(b.expand(shape), g, d, op), sa) if ga_needed else None,
                    sum_to(_cross(g, a.expand(shape), d, op), sb) if gb_needed else None)

        record("LinalgCrossBackward0", res, (a, b), vjp, (a, b))
        # each saved for the other's gradient
        leave_unchecked(res.grad_fn, [i for i, kept in enumerate((gb_needed, ga_needed))
                                      if not kept])
    return res


# ------------------------------------------------------------------ methods
def _same_dtype(a: Tensor, b: Tensor, full: bool | None = False) -> None:
    """inner/tensordot: one dtype, and one the matrix kernels have (a full contraction is
    PyTorch's ``dot``, others its ``mm``); ``full=None`` leaves bools to a later call."""
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if full is not None and kind(a._data) == "b" and a._data.size and b._data.size:
        kernel = "dot" if full else "addmm_impl_cpu_"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _rmatmul(self: Tensor, other: Any) -> Any:
    if not _isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _inplace_variant(fn: Any, name: str) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return _inplace.commit(self, fn(self, *args, **kwargs), name)

    method.__name__ = name
    return method


addmv_ = _inplace_variant(addmv, "addmv_")  # also torch.addmv_


def _matmul_op(self: Tensor, other: Any) -> Any:
    if not _isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


methods(matmul=matmul, __matmul__=_matmul_op, __rmatmul__=_rmatmul, mm=mm, bmm=bmm, mv=mv, dot=dot,
        vdot=vdot, inner=inner, outer=outer, ger=ger, addmm=addmm, addmv=addmv, addbmm=addbmm,
        baddbmm=baddbmm, addr=addr, kron=kron, cross=cross,
        addmm_=_inplace_variant(addmm, "addmm_"), addmv_=addmv_,
        addbmm_=_inplace_variant(addbmm, "addbmm_"),
        baddbmm_=_inplace_variant(baddbmm, "baddbmm_"), addr_=_inplace_variant(addr, "addr_"))


from .linalg_misc import (  # noqa: E402
    cholesky,
    det,
    inverse,
    logdet,
    matrix_exp,
    matrix_power,
    pinverse,
    qr,
    slogdet,
    svd,
)
