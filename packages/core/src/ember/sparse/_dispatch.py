"""Routes ``ember.<op>(sparse, ...)`` to the sparse kernels.

Installed once, when the sparse layout is first used: the listed functions on ``ember``
and ``ember.ops`` are wrapped by a check of the first operands' class, so programs that
never build a sparse tensor keep the plain functions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..ops import sparse_compressed_math as _cm
from ..ops import sparse_math as _m
from ..ops.sparse_compressed import SparseCompressedTensor
from ..ops.sparse_coo import SparseTensor

_S = SparseTensor
_C = SparseCompressedTensor


def _mm(dense: Callable) -> Callable:
    vec = dense.__name__ == "matmul"  # matmul takes a vector, mm does not

    def mm(input: Any, mat2: Any, *args: Any, **kw: Any) -> Any:
        if input.__class__ is _S:
            return _m.mm(input, mat2, _vec=vec)
        if mat2.__class__ is _S and not args and not kw:
            return _m.dense_mm(input, mat2)
        if mat2.__class__ is _S:
            return dense(input, _m.to_dense(mat2), *args, **kw)
        if input.__class__ is _C or mat2.__class__ is _C:
            return _cm.mm(input, mat2)
        return dense(input, mat2, *args, **kw)
    return mm


def _mv(dense: Callable) -> Callable:
    def mv(input: Any, vec: Any, *args: Any, **kw: Any) -> Any:
        if input.__class__ is _S:
            return _m.mv(input, vec)
        if vec.__class__ is _S or vec.__class__ is _C:
            return dense(input, vec.to_dense(), *args, **kw)
        if input.__class__ is _C:
            return _cm.mm(input, vec)
        return dense(input, vec, *args, **kw)
    return mv


def _binary(dense: Callable, sparse: Callable) -> Callable:
    def op(input: Any, other: Any, *args: Any, **kw: Any) -> Any:
        if input.__class__ is _S or other.__class__ is _S:
            return sparse(input, other, *args, **kw)
        if input.__class__ is _C or other.__class__ is _C:
            return getattr(_cm, sparse.__name__)(input, other, *args, **kw)
        return dense(input, other, *args, **kw)
    return op


def _unary(dense: Callable, sparse: Callable) -> Callable:
    def op(input: Any, *args: Any, **kw: Any) -> Any:
        if input.__class__ is _S:
            return sparse(input, *args, **kw)
        if input.__class__ is _C:
            return getattr(input, dense.__name__)(*args, **kw)
        return dense(input, *args, **kw)
    return op


def _binary_first(dense: Callable, sparse: Callable) -> Callable:
    def op(input: Any, *args: Any, **kw: Any) -> Any:
        if input.__class__ is _S:
            return sparse(input, *args, **kw)
        return dense(input, *args, **kw)
    return op


def _addmm(dense: Callable) -> Callable:
    def addmm(input: Any, mat1: Any, mat2: Any, *args: Any, **kw: Any) -> Any:
        if mat1.__class__ is _S:
            return _m.addmm(input, mat1, mat2, **kw)
        if mat1.__class__ is _C or mat2.__class__ is _C or input.__class__ is _C:
            return _cm.addmm(input, mat1, mat2, **kw)
        return dense(input, mat1, mat2, *args, **kw)
    return addmm


def install() -> None:
    from .. import ops

    ember = sys.modules["ember"]  # the package this module belongs to, already imported

    ops.load_all()
    if getattr(ops.mm, "_sparse_routed", False):
        return
    wrap = {"mm": _mm, "matmul": _mm, "mv": _mv, "addmm": _addmm,
            "add": lambda d: _binary(d, _m.add), "sub": lambda d: _binary(d, _m.sub),
            "mul": lambda d: _binary(d, _m.mul), "div": lambda d: _binary(d, _m.div),
            "neg": lambda d: _unary(d, _m.neg), "sum": lambda d: _unary(d, _m.sum),
            "t": lambda d: _unary(d, _m.t), "transpose": lambda d: _unary(d, _m.transpose),
            "softmax": lambda d: _unary(d, _m.softmax),
            "log_softmax": lambda d: _unary(d, _m.log_softmax),
            "index_select": lambda d: _binary_first(d, _m.index_select)}
    from ..ops import sparse_unary as _u

    for name, fn in _u.UNARY.items():  # zero-preserving ops: ember.abs(sparse) & co.
        if hasattr(ops, name):
            wrap[name] = (lambda f: lambda d: _unary(d, f))(fn)
    wrap["pow"] = lambda d: _binary_first(d, _u.pow)
    for name, make_wrapper in wrap.items():
        dense = getattr(ops, name)
        fn = make_wrapper(dense)
        fn.__name__ = name
        fn.__doc__ = dense.__doc__
        fn.__wrapped__ = dense
        fn._sparse_routed = True
        setattr(ops, name, fn)
        setattr(ember, name, fn)
        if name in ("mm", "matmul"):  # dense.mm(sparse): the dense method routed too
            setattr(ember.Tensor, name, fn)
    spmm = _mm(ops.mm.__wrapped__)
    spmm.__name__ = "spmm"
    ember.spmm = ops.spmm = spmm  # (ember.smm is ops.native_names.smm: a sparse result)
