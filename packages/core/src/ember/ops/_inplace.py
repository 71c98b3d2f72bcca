"""In-place ops: write a result into a tensor's array and rebase its graph.

An in-place op is its out-of-place twin followed by a write: the twin records
the node (with the tensor's old edge as input), then the values are written into
the tensor's own array (so views and the base see them), the shared version
counter moves on, and the tensor takes the new node. A write through a view also
rebases the view's base (PyTorch's CopySlices).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..autograd.graph import move_retain_grad, regenerated_view
from ..return_types import _ReturnType, out_type
from ._dispatch import Tensor, grad_state, make, record
from ._memory import array_over


def check_inplace(self: Tensor, op: str) -> None:
    """PyTorch's refusals before an in-place write."""
    if self._vc.__class__ is not list and not grad_state.inference:
        raise inference_inplace_error()
    if self._base is not None and self._rg and grad_state.enabled:
        fn = self._view_fn
        if fn is not None and getattr(fn.replay, "refuses", False):
            fn.replay(self)  # a view that may not be written (unbind's, a custom Function's)
        if fn is not None and fn.parent is not None and self.grad_fn is not None \
                and getattr(fn.parent.replay, "no_grad_view", False):
            from .shape import view_of_no_grad_view_error
            raise view_of_no_grad_view_error(self.grad_fn.name(), fn.parent.replay)
    if self._rg and self.grad_fn is None and grad_state.enabled:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")
    if self._base is not None and self._base._rg and self._base.grad_fn is None \
            and grad_state.enabled:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.")


def inference_inplace_error() -> RuntimeError:
    return RuntimeError(
        "Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
        "a clone to get a normal tensor before doing inplace update.See "
        "https://github.com/pytorch/rfcs/pull/17 for more details.")


def check_overlap(self: Tensor, op: str) -> None:
    """PyTorch's first refusal of an in-place op: ``self`` has elements sharing memory (an
    expanded tensor), before any dtype or kernel check (fills excepted)."""
    x = self._data
    try:
        if x.flags.writeable or op in _SHARED_WRITES:
            return
    except AttributeError:  # an array library without NumPy's flags
        return
    if any(st == 0 and n > 1 for st, n in zip(x.strides, x.shape)):
        raise overlap_error()


def commit(self: Tensor, out: Tensor, op: str) -> Tensor:
    """Write the out-of-place result ``out`` into ``self`` and move ``self``'s graph onto it."""
    check_inplace(self, op)
    check_overlap(self, op)
    x = self._data
    r = out._data
    if r.shape != x.shape:
        raise RuntimeError(
            f"output with shape {list(x.shape)} doesn't match the broadcast shape "
            f"{list(r.shape)}")
    if r.dtype != x.dtype:
        if _dt.from_numpy_dtype(r.dtype).category > _dt.from_numpy_dtype(x.dtype).category:
            raise RuntimeError(
                f"result type {_type_name(r.dtype)} can't be cast to the desired output "
                f"type {_type_name(x.dtype)}")
    if out.grad_fn is not None and out.grad_fn._saved:
        _snapshot_saved_self(out.grad_fn, self)
    write(self, r, op)
    if out.grad_fn is not None:
        if out.grad_fn._saved_out:
            _track_saved_result(out.grad_fn, self)
        if self._base is not None:
            _rebase_view(self, out)
        else:
            if self.grad_fn is not None and self.grad_fn._tensor_hooks:  # (retain_grad)
                move_retain_grad(self.grad_fn, self._out_nr, out.grad_fn, out._out_nr)
            self.grad_fn = out.grad_fn
            self._out_nr = out._out_nr
            self._rg = True
    return self


def _track_saved_result(node: Any, self: Tensor) -> None:
    """A result the node saved is now ``self``'s value: it follows ``self``'s version counter,
    so a later in-place change of ``self`` fails the backward as in PyTorch."""
    if node._saved.__class__ is not tuple:
        return  # packed by saved_tensors_hooks: no version check
    for i in node._saved_out:
        node._saved[i]._vc = self._vc
        node._versions[i] = self._vc[0]


def _snapshot_saved_self(node: Any, self: Tensor) -> None:
    """The node of an in-place op keeps the original value of ``self`` (PyTorch's original_self)."""
    items = list(node._saved)
    if sum(s is self for s in items) != 1:
        return  # self was also another operand (``y.mul_(y)``): PyTorch saves it live
    changed = False
    for i, s in enumerate(items):
        if s is self:
            snap = make(s._data.copy(), s._device, s._rg)
            snap.grad_fn, snap._out_nr = s.grad_fn, s._out_nr
            items[i] = snap
            node._versions[i] = 0
            changed = True
    if changed:
        node._saved = tuple(items)


def write(self: Tensor, r: Any, op: str | None = None) -> None:
    """Copy array ``r`` into ``self``'s array (casting), and bump the version counter.

    Into an expanded tensor (NumPy's read-only broadcast), PyTorch refuses a write where
    elements share memory, except for the fills in ``_SHARED_WRITES`` (done by op ``op``).
    """
    x = self._data
    be = self._device._backend
    if be.aliases:
        try:
            if be.numpy_like:
                be.xp.copyto(x, r, casting="unsafe")
            else:
                x[...] = r.astype(x.dtype) if r.dtype != x.dtype else r
        except ValueError as e:
            if "read-only" not in str(e):
                raise
            # only the changed elements write, as PyTorch's masked and indexed fills do
            be.xp.copyto(writable(x, op not in _SHARED_WRITES), r, casting="unsafe",
                         where=r != x)
            if _SHARED_WRITES.get(op):
                warn_shared_write(op, _SHARED_WRITES[op])
    else:
        self._data = r.astype(x.dtype) if r.dtype != x.dtype else r
    self._vc[0] += 1


# in-place ops that write into memory shared by several elements, as PyTorch's do (with a
# deprecation warning's example, for those that warn)
_SHARED_WRITES = {"fill_": None, "zero_": None, "index_fill_": "tensor[mask] = scalar",
                  "masked_fill_": "tensor[mask] = scalar"}


def warn_shared_write(op: str, example: str, stacklevel: int = 4) -> None:
    """PyTorch's deprecation warning for ``op`` writing into an expanded tensor;
    ``stacklevel`` counts from the caller."""
    warnings.warn(f"Use of {op} on expanded tensors is deprecated. Please clone() the tensor "
                  "before performing this operation. This also applies to advanced indexing "
                  f"e.g. {example}", UserWarning, stacklevel=stacklevel + 1)


def overlap_error() -> RuntimeError:
    return RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location. Please clone() the tensor before performing the operation.")


def refuse_partial_overlap(dst: Any, src: Any) -> None:
    """PyTorch's refusal to copy between two dense tensors whose memory partly overlaps (the
    same memory with the same layout is fine; strided or expanded ones are not examined).
    Only NumPy arrays; the common case costs one bounds check."""
    if dst is src or dst.__class__ is not np.ndarray or src.__class__ is not np.ndarray or \
            not np.may_share_memory(dst, src) or not dst.size or not src.size:
        return
    spans = []
    for x in (dst, src):
        begin = x.__array_interface__["data"][0]
        span = x.itemsize + sum((n - 1) * abs(st) for n, st in zip(x.shape, x.strides))
        if span != x.size * x.itemsize or min(x.strides, default=1) < 0:
            return  # not dense: PyTorch does not look further
        spans.append((begin, begin + span))
    (a0, a1), (b0, b1) = spans
    if (a0, a1) == (b0, b1) and dst.strides == src.strides:
        return
    if a0 < b1 and b0 < a1:
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing "
            "the operation.")


def writable(x: Any, check_overlap: bool = True) -> Any:
    """``x``, or where NumPy made it read-only for being (a view of) an expanded tensor, a
    writable alias of the same memory, as PyTorch writes there. With ``check_overlap``,
    PyTorch's refusal when several elements of ``x`` share memory (a stride-0 dim)."""
    if check_overlap and any(st == 0 and n > 1 for st, n in zip(x.strides, x.shape)):
        raise overlap_error()
    if x.flags.writeable:
        return x
    root = x
    while True:  # through as_strided's DummyArray holders too (expand of a reshape)
        base = root.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)
        if not isinstance(base, np.ndarray):
            break
        root = base
    if not root.flags.writeable:  # memory that is read-only for good
        raise overlap_error()
    return array_over(x, x.__array_interface__["data"][0], x.shape, x.strides, True)


def _type_name(npd: Any) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16", "uint16": "UInt16", "uint32": "UInt32",
            "uint64": "UInt64"}.get(str(npd).rsplit(".", 1)[-1], str(npd))


def _part_view_vjp(mask: Tensor, view_fn: Any) -> Any:
    """CopySlices' backward for a write through a real view of a complex base (``.real``,
    ``.imag``, ``view_as_real``): the mask (``1+1j`` outside the view) zeroes the written
    component of each element, and the base's gradient keeps each component that is left
    (a complex product would mix them)."""
    xp = mask._device._backend.xp
    keep_re = make(xp.ascontiguousarray(mask._data.real), mask._device)
    keep_im = make(xp.ascontiguousarray(mask._data.imag), mask._device)

    def vjp(g: Tensor) -> tuple[Tensor, Tensor]:
        return g.real * keep_re + (g.imag * keep_im) * 1j, view_fn(g)

    return vjp


def _rebase_view(view: Tensor, out: Tensor) -> None:
    """After writing ``out`` into ``view``, give its base a CopySlices node."""
    base = view._base
    view_fn = view._view_fn
    if view_fn is None:
        raise RuntimeError(
            "an in-place operation on this view needs autograd to know how it was made from its "
            "base; make the view with a view op (slicing, view, narrow, select, ...) instead")
    xp = base._device._backend.xp
    # mask: 1 outside the view's region, 0 inside, built by writing through the same view
    part = base._data.dtype.kind == "c" and view._data.dtype.kind != "c"
    mask = make(xp.full(base._data.shape, 1 + 1j if part else 1, dtype=base._data.dtype),
                base._device)
    view_fn(mask)._data[...] = 0
    old = make(base._data, base._device, base._rg)
    old.grad_fn, old._out_nr = base.grad_fn, base._out_nr

    def vjp(g: Tensor) -> tuple[Tensor, Tensor]:
        return g * mask, view_fn(g)

    if part:
        vjp = _part_view_vjp(mask, view_fn)
    new = make(base._data, base._device)
    record("CopySlices", new, (old, out), vjp)
    move_retain_grad(base.grad_fn, base._out_nr, new.grad_fn, 0)
    base.grad_fn, base._out_nr, base._rg = new.grad_fn, 0, True
    prev = grad_state.enabled
    grad_state.enabled = True
    try:
        regen = view_fn(base)
    finally:
        grad_state.enabled = prev
    regenerated_view(view, regen)


def write_out(res: Any, out: Any, op: str | None = None, warn: bool = True) -> Any:
    """``res``, or ``res`` (a tensor or a tuple of them) written into the ``out=`` tensor(s),
    each resized when its shape differs; with ``op``, PyTorch's refusal when the result
    would need a graph."""
    if out is None:
        return res
    if _isinstance(res, tuple):
        for r, o in zip(res, out):
            write_out(r, o, op, warn)
        return out_type(type(res))(tuple(out)) if _isinstance(res, _ReturnType) else tuple(out)
    if op is not None and (res._rg or out._rg) and grad_state.enabled:
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad.")
    if out._data.shape != res._data.shape:
        if out._data.size and warn:
            warn_resized(out._data.shape, res._data.shape)
        out._data = out._device._backend.astype(res._data, out.dtype)
        out._vc[0] += 1
    else:
        write(out, res._data)
    return out


def warn_resized(old: tuple, new: tuple) -> None:
    """PyTorch's deprecation warning for an ``out=`` tensor with elements, resized."""
    from .._stacklevel import user_stacklevel

    warnings.warn(
        f"An output with one or more elements was resized since it had shape {list(old)}, which "
        f"does not match the required output shape {list(new)}. This behavior is deprecated, and "
        "in a future PyTorch release outputs will not be resized unless they have zero elements. "
        "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
        "t.resize_(0).", UserWarning, stacklevel=user_stacklevel())


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}


def check_exact_out(expected: Any, out: Any) -> None:
    """PyTorch's refusal of an ``out=`` whose dtype is not exactly the result's, for the ops
    that keep their input's dtype (abs, neg, sign, round, floor, clamp, ...)."""
    if out is not None and out._data.dtype != expected:
        raise RuntimeError(f"Found dtype {_type_name(out._data.dtype)} but expected "
                           f"{_type_name(expected)}")


def write_out_cast(res: Any, out: Any, op: str | None = None) -> Any:
    """``write_out`` for pointwise ops: PyTorch refuses an ``out=`` of a lower category than
    the result (float into an integer tensor, anything but bool into bool, complex into real)."""
    if out is not None and not _isinstance(res, tuple):
        rd, od = res._data.dtype, out._data.dtype
        if rd is not od and _KIND_RANK.get(rd.kind, 2) > _KIND_RANK.get(od.kind, 2):
            raise RuntimeError(f"result type {_type_name(rd)} can't be cast to the desired "
                               f"output type {_type_name(od)}")
    return write_out(res, out, op)


def writes_out(op: str, warn: bool = True, exact: bool | Callable[..., Exception] = False,
               castable: tuple[str, ...] | None = None) -> Callable[[Callable], Callable]:
    """Give a function PyTorch's ``out=`` keyword: its result written into ``out``
    (``warn=False``: a factory that resizes its out= silently, as PyTorch's zeros/linspace;
    ``exact``: an out of another dtype is refused, by ``write_out_exact`` with ``exact`` as
    its ``error`` when callable; ``castable``: ``(op name, result names...)``, an out the
    result can't be cast to is refused, as PyTorch's linalg functions do)."""
    def wrap(fn: Callable) -> Callable:
        if exact:
            error = exact if callable(exact) else None

            @functools.wraps(fn)
            def with_exact_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
                res = fn(*args, **kwargs)
                return res if out is None else write_out_exact(res, out, op, error)

            return with_exact_out
        if castable:
            @functools.wraps(fn)
            def with_castable_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
                res = fn(*args, **kwargs)
                if out is None:
                    return res
                _check_castable_out(res, out, castable)
                return write_out(res, out, op, warn)

            return with_castable_out

        @functools.wraps(fn)
        def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
            res = fn(*args, **kwargs)
            return res if out is None else write_out(res, out, op, warn)

        return with_out

    return wrap


_isinstance = isinstance


def _check_castable_out(res: Any, out: Any, castable: tuple[str, ...]) -> None:
    """PyTorch's refusal of an out= of a lower kind (complex to real, float to integer)."""
    pairs = tuple(zip(res, out)) if _isinstance(res, tuple) else ((res, out),)
    for i, (r, o) in enumerate(pairs):
        want, got = r._data.dtype, o._data.dtype
        if _KIND_RANK.get(got.kind, 2) < _KIND_RANK.get(want.kind, 2) or (
                got.kind == "b" != want.kind):
            what = castable[1 + i] if len(castable) > 1 + i else "result"
            raise RuntimeError(f"{castable[0]}: Expected {what} to be safely castable from "
                               f"{_type_name(want)} dtype, but got {what} with dtype "
                               f"{_type_name(got)}")


def cpp_name(npd: Any) -> str:
    """The C++ name PyTorch's messages give a dtype (``long int``, ``c10::Half``, ...)."""
    return _dt._cpp_name(npd)


def out_dtype_error(expected: Any, got: Any) -> RuntimeError:
    """PyTorch's refusal of an ``out=`` of another dtype than its kernel's result."""
    return RuntimeError(f"Expected out tensor to have dtype {cpp_name(expected)}, but got "
                        f"{cpp_name(got)} instead")


def write_out_exact(res: Any, out: Any, op: str | None = None,
                    error: Callable[..., Exception] | None = None) -> Any:
    """``write_out`` for the ops whose ``out=`` must have exactly the result's dtype (sort,
    max(dim), argmax, gather, matmul, ...): with ``op``, the refusal of a result needing a
    graph comes first (as PyTorch's autograd layer), then each out's dtype is checked
    (``error(expected, got, i)`` builds the exception from numpy dtypes and the position
    ``i`` in a tuple of outs) before any resizing."""
    if out is None:
        return res
    pairs = tuple(zip(res, out)) if _isinstance(res, tuple) else ((res, out),)
    if op is not None and grad_state.enabled and any(r._rg or o._rg for r, o in pairs):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad.")
    for i, (r, o) in enumerate(pairs):
        if o._data.dtype != r._data.dtype:
            if error is None:
                raise out_dtype_error(r._data.dtype, o._data.dtype)
            raise error(r._data.dtype, o._data.dtype, i)
    return write_out(res, out, op)


def check_grad_dtype(res: Any) -> None:
    """PyTorch's refusal to record a graph for a result of a dtype autograd can't carry
    (``x.sum(dtype=torch.int64)`` of an ``x`` requiring grad)."""
    k = res._data.dtype.kind
    if k not in "fcV":
        raise RuntimeError(f"Autograd not support dtype: {_type_name(res._data.dtype)}")
