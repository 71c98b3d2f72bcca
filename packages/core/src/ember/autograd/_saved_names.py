"""PyTorch's ``grad_fn._saved_<name>`` attributes, read from what Ember's nodes keep.

A PyTorch node exposes each value its backward saved: ``y.grad_fn._saved_result``,
``(a * b).grad_fn._saved_self``, ``x.sum().grad_fn._saved_self_sym_sizes`` ... An Ember
node keeps its op's saved values in ``_saved`` (in the order the op's ``record`` call gave
them) and the rest (shapes, dims, ``alpha``) in its ``vjp``'s closure. ``TABLE`` maps a node
name and the qualified name of the ``vjp`` that the op records (so that a node name shared by
two Ember implementations is read only where the layout is known) to a reader per attribute.

Only ``Node.__getattr__`` comes here, after normal lookup failed: the engine never does.
As in PyTorch, a saved tensor read after ``backward`` freed it raises; a saved output comes
back as a new tensor of the same data whose ``grad_fn`` is the node; an input as itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["saved_attribute", "saved_names", "SavedTensor"]

_FREED = object()  # what a saved slot reads as once backward freed it


class _Reader:
    """What one attribute access sees of a node: its unpacked saved values (on first need)
    and its vjp's closure variables."""

    __slots__ = ("node", "_saved")

    def __init__(self, node: Any) -> None:
        self.node = node
        self._saved = None

    def slot(self, i: int) -> Any:
        if self._saved is None:
            # raises PyTorch's errors: freed by backward, or changed in place since saved;
            # a saved output comes back with the node as its grad_fn (as PyTorch unpacks it)
            self._saved = self.node._unpack_saved(True)
        return self._saved[i]

    def var(self, name: str) -> Any:
        fn = self.node._vjp
        code = fn.__code__
        for n, cell in zip(code.co_freevars, fn.__closure__ or ()):
            if n == name:
                return cell.cell_contents
        raise LookupError(name)


# ---------------------------------------------------------------- readers
class _slot:
    """Saved value ``i`` as it is (a tensor, or None where the op saved nothing there)."""

    __slots__ = ("slot",)

    def __init__(self, i: int) -> None:
        self.slot = i

    def __call__(self, r: _Reader) -> Any:
        return None if self.freed_empty(r) else r.slot(self.slot)

    def freed_empty(self, r: _Reader) -> bool:
        """After backward freed the node: whether this slot held no tensor (read as None,
        as in PyTorch; a tensor slot raises PyTorch's error)."""
        n = r.node
        return n._saved is None and n._freed and n._versions is not None and \
            n._versions[self.slot] is None


class _scalar_slot(_slot):
    """A saved operand that may be a Python number: PyTorch keeps it as a wrapped 0-d tensor
    (bool, int64, float64 or complex128, whatever the other operand's dtype)."""

    __slots__ = ()

    def __call__(self, r: _Reader) -> Any:
        if self.freed_empty(r) and not r.var("ga"):  # saved only for the first operand
            return None
        v = r.slot(self.slot)
        if isinstance(v, (bool, int, float, complex)):
            from .._tensor import make
            from ..backends.registry import CPU

            dt = "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else \
                "float64" if isinstance(v, float) else "complex128"
            return make(np.asarray(v, dtype=dt), CPU)
        return v


def _number_slot(i: int) -> Callable:
    """A saved Python number (PyTorch keeps it past backward; Ember's node frees it)."""
    return lambda r: r.slot(i)


def _var(name: str, convert: Callable = lambda v: v) -> Callable:
    return lambda r: convert(r.var(name))


def _sizes(name: str) -> Callable:
    return _var(name, lambda s: tuple(int(n) for n in s))


def _given_dims(r: _Reader) -> tuple:
    """The reduced dims as the user gave them; PyTorch shows a negative one as the uint64
    it wraps to."""
    d = r.node._vjp.dim
    if d is None:
        return None
    return tuple(int(i) % 2 ** 64 for i in ((d,) if isinstance(d, int) else d))


def _const(value: Any) -> Callable:
    return lambda r: value


def _strides(t: Any) -> tuple:
    if t is None:  # PyTorch keeps the strides of an operand it did not save: Ember has none
        raise AttributeError("strides")
    return tuple(t.stride())


def _numel(name: str) -> Callable:
    return _var(name, lambda s: int(math.prod(s)))


def _linear_mat1(r: _Reader) -> Any:
    """``linear``'s one fused node saves ``(input, weight)``: PyTorch's addmm saves ``mat1``
    (the input) only when the weight needs its gradient."""
    return r.slot(0) if r.var("needs")[1] else None


def _linear_mat2(r: _Reader) -> Any:
    """... and ``mat2`` (the weight, transposed) only when the input needs its gradient."""
    return r.slot(1).t() if r.var("needs")[0] else None


def _linear_mat2_strides(r: _Reader) -> tuple:
    return tuple(reversed(r.slot(1).stride()))


_UNARY = "unary.<locals>.vjp"
_UNARY_SELF = ("Log", "Sin", "Cos", "Abs", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Log2",
               "Log10", "Log1P", "Erf")
_UNARY_RESULT = ("Exp", "Tanh", "Sigmoid", "Sqrt", "Rsqrt", "Reciprocal", "Expm1", "Exp2",
                 "Tan")

_MATMUL = "_record_matmul.<locals>.vjp"
_LINEAR = "linear.<locals>.vjp"
_SUM = "_sum_vjp.<locals>.vjp"
_MEAN = "mean.<locals>.vjp"
_POW = "pow.<locals>.vjp"
_VIEW = {"view.<locals>.<lambda>": {"self_sym_sizes": _sizes("old")},
         "reshape.<locals>.<lambda>": {"self_sym_sizes": _sizes("old")}}

# node name -> vjp qualname -> PyTorch's attribute name (without ``_saved_``) -> reader
TABLE: dict[str, dict[str, dict[str, Callable]]] = {
    **{f"{op}Backward0": {_UNARY: {"self": _slot(0)}} for op in _UNARY_SELF},
    **{f"{op}Backward0": {_UNARY: {"result": _slot(1)}} for op in _UNARY_RESULT},
    "MulBackward0": {"_mul_vjp.<locals>.vjp": {"self": _slot(0), "other": _scalar_slot(1)}},
    "MaskedSelectBackward0": {"masked_select.<locals>.vjp": {"mask": _slot(0), "self": _slot(1)}},
    "DivBackward0": {"_div_vjp.<locals>.vjp": {"self": _slot(0), "other": _scalar_slot(1)}},
    "AddBackward0": {"_add_vjp.<locals>.vjp": {"alpha": _var("alpha")}},
    "SubBackward0": {"_sub_vjp.<locals>.vjp": {"alpha": _var("alpha")}},
    "RsubBackward1": {"_sub_vjp.<locals>.vjp": {"alpha": _var("alpha")}},
    "RsubBackward0": {"_sub_vjp.<locals>.vjp": {"alpha": _var("alpha")}},
    "PowBackward0": {_POW: {"self": _slot(0), "exponent": _number_slot(1)},
                     _UNARY: {"self": _slot(0), "exponent": _const(2)}},  # square
    "PowBackward1": {_POW: {"self": _slot(0), "exponent": _slot(1), "result": _slot(2)}},
    "PowBackward2": {_POW: {"self": _number_slot(0), "exponent": _slot(1), "result": _slot(2)}},
    "SumBackward0": {_SUM: {"self_sym_sizes": _sizes("shape")}},
    "SumBackward1": {_SUM: {"self_sym_sizes": _sizes("shape"), "keepdim": _var("keepdim"),
                            "dim": _given_dims}},
    "MeanBackward0": {_MEAN: {"self_sym_sizes": _sizes("shape"),
                              "self_sym_numel": _numel("shape")}},
    "MeanBackward1": {_MEAN: {"self_sym_sizes": _sizes("shape"), "self_sym_numel": _numel("shape"),
                              "keepdim": _var("keepdim"), "dim": _given_dims}},
    "ViewBackward0": _VIEW,
    "UnsafeViewBackward0": _VIEW,
    "ExpandBackward0": {"expand.<locals>.<lambda>": {"self_sym_sizes": _sizes("shape")}},
    "SqueezeBackward1": {"squeeze.<locals>.<lambda>": {"self_sym_sizes": _sizes("shape")}},
    "SoftmaxBackward0": {"softmax.<locals>.vjp": {"result": _slot(0)}},
    "LogSoftmaxBackward0": {"log_softmax.<locals>.vjp": {"result": _slot(0)}},
    "MmBackward0": {
        _MATMUL: {"self": _slot(0), "mat2": _slot(1),
                  "self_sym_sizes": _sizes("sa"), "mat2_sym_sizes": _sizes("sb"),
                  "self_sym_strides": lambda r: _strides(r.slot(0)),
                  "mat2_sym_strides": lambda r: _strides(r.slot(1))},
        _LINEAR: {"self": _linear_mat1, "mat2": _linear_mat2,
                  "self_sym_sizes": lambda r: tuple(r.slot(0).shape),
                  "mat2_sym_sizes": lambda r: tuple(reversed(r.slot(1).shape)),
                  "self_sym_strides": lambda r: _strides(r.slot(0)),
                  "mat2_sym_strides": _linear_mat2_strides}},
    "AddmmBackward0": {
        _LINEAR: {"mat1": _linear_mat1, "mat2": _linear_mat2, "alpha": _const(1),
                  "beta": _const(1),
                  "mat1_sym_sizes": lambda r: tuple(r.slot(0).shape),
                  "mat2_sym_sizes": lambda r: tuple(reversed(r.slot(1).shape)),
                  "mat1_sym_strides": lambda r: _strides(r.slot(0)),
                  "mat2_sym_strides": _linear_mat2_strides}},
    "LeakyReluBackward0": {"_linked_slope_vjp.<locals>.vjp": {"self": _slot(1)}},
    "ReluBackward0": {"_linked_slope_vjp.<locals>.vjp": {"result": _slot(1)}},
    "GeluBackward0": {"_smooth.<locals>.vjp": {"self": _slot(0)}},
    "SiluBackward0": {"_smooth.<locals>.vjp": {"self": _slot(0)}},
}


def _readers(node: Any) -> dict[str, Callable]:
    by_vjp = TABLE.get(type(node).__name__)
    if not by_vjp:
        return {}
    return by_vjp.get(getattr(node._vjp, "__qualname__", None), {})


def saved_names(node: Any) -> list[str]:
    """The ``_saved_<name>`` attributes ``node`` supports (for ``dir``)."""
    return [f"_saved_{n}" for n in _readers(node)]


def _missing(node: Any, attr: str) -> AttributeError:
    return AttributeError(f"'{type(node).__name__}' object has no attribute '{attr}'")


def saved_attribute(node: Any, attr: str) -> Any:
    """``node._saved_<name>`` (or ``_raw_saved_<name>``) as PyTorch gives it."""
    raw = attr.startswith("_raw_saved_")
    name = attr[len("_raw_saved_"):] if raw else attr[len("_saved_"):]
    read = _readers(node).get(name)
    if read is None:
        raise _missing(node, attr)
    if raw:
        slot = getattr(read, "slot", None)
        if slot is None:  # PyTorch has raw views of saved tensors only
            raise _missing(node, attr)
        return SavedTensor(node, slot)
    try:
        return read(_Reader(node))
    except (LookupError, AttributeError):  # not the layout the table expects after all
        raise _missing(node, attr) from None


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor of a node, whose packing hooks can be
    set (``register_hooks(pack, unpack)``) as with ``saved_tensors_hooks``, for it alone."""

    __slots__ = ("_node", "_slot", "_hooked")

    def __init__(self, node: Any, slot: int) -> None:
        self._node, self._slot, self._hooked = node, slot, False

    def register_hooks(self, pack_hook: Callable, unpack_hook: Callable) -> None:
        """Pack the saved tensor now with ``pack_hook``; ``unpack_hook`` gives it back when
        the backward (or an attribute read) needs it."""
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments: pack_hook and "
                            "unpack_hook must be callables")
        node, slot = self._node, self._slot
        if node._saved is None and node._freed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        if self._hooked or node._saved.__class__ is not tuple:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        if not hasattr(node._saved[slot], "_data"):
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        from .graph import PackedSaved

        saved = node._saved
        node._saved = PackedSaved((pack_hook(t), unpack_hook) if i == slot else (t, None)
                                  for i, t in enumerate(saved))
        versions = list(node._versions)
        versions[slot] = None  # what a hook returns is the user's
        node._versions = versions
        self._hooked = True
