"""How PyTorch would print a fused node's edges: display-only chains of graph nodes.

Ember's ``linear`` (and ``matmul`` of batched operands) records one graph node for
speed, where PyTorch's composite ops record several: ``F.linear`` on a batch of
vectors is ``AddmmBackward0`` over the bias, the input and ``TBackward0`` of the
weight, a 3-D input adds ``ViewBackward0`` nodes, a non-contiguous one a
``CloneBackward0``... Users print these chains (``loss.grad_fn.next_functions``), so a
fused node keeps a recipe (``node._view = (builder, *shapes)``), and on first access
of ``next_functions`` the builder replays PyTorch's decomposition on symbolic tensors
(shape, strides, edge) into display nodes that end in the fused node's real edges.
The engine never runs display nodes; calling one (``node(grad)``) computes its
gradients from the fused node's saved tensors, as PyTorch's node would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._tensor import _contiguous_strides
from .graph import Node, node_class

__all__ = ["linear_view", "matmul_view", "linear_node_name", "matmul_node_name"]

_NONE = (None, 0)


def _is_contiguous(shape: tuple, strides: tuple) -> bool:
    """PyTorch's ``is_contiguous``: size-1 dims have any stride; empty tensors qualify."""
    if 0 in shape:
        return True
    step = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1:
            if s != step:
                return False
            step *= n
    return True


def _view_strides(shape: tuple, strides: tuple, new: tuple) -> tuple | None:
    """The strides of ``new`` as a view of (shape, strides), or None when a copy is needed
    (PyTorch's ``computeStride``)."""
    if 0 in shape:
        return _contiguous_strides(new)
    out = [0] * len(new)
    view_d = len(new) - 1
    base = strides[-1] if strides else 1
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(out) if view_d == -1 else None


class _Sym:
    """A tensor of the replayed decomposition: its edge into the graph, shape, strides (in
    elements) and how to compute its value (for a display node that is called)."""

    __slots__ = ("edge", "shape", "strides", "value")

    def __init__(self, edge: tuple, shape: tuple, strides: tuple | None,
                 value: Callable[[], Any]) -> None:
        self.edge = edge
        self.shape = tuple(shape)
        self.strides = _contiguous_strides(self.shape) if strides is None else tuple(strides)
        self.value = value

    @property
    def rg(self) -> bool:
        return self.edge[0] is not None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def contiguous_(self) -> bool:
        return _is_contiguous(self.shape, self.strides)


def _op(name: str, inputs: tuple, shape: tuple, strides: tuple | None, value: Callable,
        vjp: Callable) -> _Sym:
    """A display node named ``name`` over ``inputs`` (when one requires grad)."""
    if any(s.rg for s in inputs):
        node = node_class(name)(vjp, tuple(s.edge for s in inputs))
        edge = (node, 0)
    else:
        edge = _NONE
    return _Sym(edge, shape, strides, value)


def _sum_to(g: Any, shape: tuple) -> Any:
    from ..ops._dispatch import sum_to

    return sum_to(g, shape)


# ---------------------------------------------------------------- PyTorch's view ops
def _t(s: _Sym) -> _Sym:
    return _op("TBackward0", (s,), s.shape[::-1], s.strides[::-1], lambda: s.value().t(),
               lambda g: (g.t(),))


def _mT(s: _Sym) -> _Sym:
    shape = s.shape[:-2] + (s.shape[-1], s.shape[-2])
    strides = s.strides[:-2] + (s.strides[-1], s.strides[-2])
    return _op("TransposeBackward0", (s,), shape, strides, lambda: s.value().mT,
               lambda g: (g.mT,))


def _unsqueeze(s: _Sym, d: int) -> _Sym:
    st = s.shape[d] * s.strides[d] if d < s.ndim else 1
    return _op("UnsqueezeBackward0", (s,), s.shape[:d] + (1,) + s.shape[d:],
               s.strides[:d] + (st,) + s.strides[d:], lambda: s.value().unsqueeze(d),
               lambda g: (g.squeeze(d),))


def _squeeze(s: _Sym, d: int, name: str) -> _Sym:
    d = d % s.ndim
    return _op(name, (s,), s.shape[:d] + s.shape[d + 1:], s.strides[:d] + s.strides[d + 1:],
               lambda: s.value().squeeze(d), lambda g: (g.unsqueeze(d),))


def _expand(s: _Sym, shape: tuple) -> _Sym:
    lead = len(shape) - s.ndim
    strides = (0,) * lead + tuple(0 if n != m else st for n, m, st in
                                  zip(shape[lead:], s.shape, s.strides))
    return _op("ExpandBackward0", (s,), shape, strides, lambda: s.value().expand(shape),
               lambda g: (_sum_to(g, s.shape),))


def _as_view(name: str, s: _Sym, shape: tuple, strides: tuple | None) -> _Sym:
    return _op(name, (s,), shape, strides, lambda: s.value().reshape(shape),
               lambda g: (g.reshape(s.shape),))


def _clone(s: _Sym) -> _Sym:
    return _op("CloneBackward0", (s,), s.shape, None, lambda: s.value().clone(),
               lambda g: (g,))


def _reshape(s: _Sym, shape: tuple) -> _Sym:
    """PyTorch's ``reshape``: a view of a contiguous tensor, an alias where strides allow,
    else a contiguous copy viewed."""
    if s.contiguous_():
        return _as_view("ViewBackward0", s, shape, None)
    strides = _view_strides(s.shape, s.strides, shape)
    if strides is not None:
        return _as_view("ReshapeAliasBackward0", s, shape, strides)
    return _as_view("UnsafeViewBackward0", _clone(s), shape, None)


def _contiguous(s: _Sym) -> _Sym:
    return s if s.contiguous_() else _clone(s)


# ---------------------------------------------------------------- products
def _product(name: str, a: _Sym, b: _Sym, shape: tuple, value: Callable,
             vjp_a: Callable, vjp_b: Callable) -> _Sym:
    def vjp(g: Any) -> tuple:
        return (vjp_a(g, b.value()) if a.rg else None, vjp_b(g, a.value()) if b.rg else None)

    return _op(name, (a, b), shape, None, value, vjp)


def _mm(a: _Sym, b: _Sym, name: str = "MmBackward0") -> _Sym:
    return _product(name, a, b, a.shape[:-1] + b.shape[-1:],
                    lambda: a.value() @ b.value(), lambda g, bv: g @ bv.mH,
                    lambda g, av: av.mH @ g)


def _mv(a: _Sym, v: _Sym) -> _Sym:
    return _product("MvBackward0", a, v, a.shape[:1], lambda: a.value() @ v.value(),
                    lambda g, vv: g.unsqueeze(1) * vv.conj(), lambda g, av: av.mH @ g)


def _dot(a: _Sym, b: _Sym) -> _Sym:
    return _product("DotBackward0", a, b, (), lambda: a.value() @ b.value(),
                    lambda g, bv: g * bv.conj(), lambda g, av: g * av.conj())


def _addmm(bias: _Sym, a: _Sym, b: _Sym) -> _Sym:
    def vjp(g: Any) -> tuple:
        return (g if bias.rg else None, g @ b.value().mH if a.rg else None,
                a.value().mH @ g if b.rg else None)

    return _op("AddmmBackward0", (bias, a, b), a.shape[:-1] + b.shape[-1:], None,
               lambda: a.value() @ b.value() + bias.value(), vjp)


def _add(a: _Sym, b: _Sym, shape: tuple) -> _Sym:
    return _op("AddBackward0", (a, b), shape, None, lambda: a.value() + b.value(),
               lambda g: (g if a.rg else None, g if b.rg else None))


def _should_fold(a: _Sym, b: _Sym) -> bool:
    """PyTorch's matmul folds the batch of the larger operand into one matrix product when
    the smaller one requires grad, or when the fold needs no copy."""
    larger = a.ndim >= b.ndim
    t1 = a if larger else b
    small = b if larger else a
    if not (t1.ndim >= 3 and small.ndim <= 2):
        return False
    if small.rg:
        return True
    if a.ndim == 2:
        return False
    if 0 in t1.shape:
        return True
    shape, strides = t1.shape, t1.strides
    if not larger:  # t1 is b.mT
        shape = shape[:-2] + (shape[-1], shape[-2])
        strides = strides[:-2] + (strides[-1], strides[-2])
    return _view_strides(shape, strides, (math.prod(shape[:-1]), shape[-1])) is not None


def _matmul(a: _Sym, b: _Sym) -> _Sym:
    """PyTorch's composite ``matmul`` replayed: dot, mv, mm, a folded mm, or a batched bmm."""
    da, db = a.ndim, b.ndim
    if da == 1 and db == 1:
        return _dot(a, b)
    if da == 2 and db == 1:
        return _mv(a, b)
    if da == 1 and db == 2:
        return _squeeze(_mm(_unsqueeze(a, 0), b), 0, "SqueezeBackward4")
    if da == 2 and db == 2:
        return _mm(a, b)
    if da == 3 and db == 3 and (a.shape[0] == 1) != (b.shape[0] == 1):
        # a batch of one that requires grad is squeezed (its gradient needs no batch sum)
        if a.shape[0] == 1 and a.rg:
            return _matmul(_squeeze(a, 0, "SqueezeBackward1"), b)
        if b.shape[0] == 1 and b.rg:
            return _matmul(a, _squeeze(b, 0, "SqueezeBackward1"))
    if _should_fold(a, b):
        transpose = db > da
        t1 = _mT(b) if transpose else a
        t2 = (_t(a) if da == 2 else a) if transpose else b
        out_shape = t1.shape[:-1]
        folded = _reshape(t1, (math.prod(out_shape), t1.shape[-1]))
        if t2.ndim == 2:
            out_shape = out_shape + t2.shape[1:]
            out = _as_view("UnsafeViewBackward0", _mm(folded, t2), out_shape, None)
            return _contiguous(_mT(out)) if transpose else out
        return _as_view("UnsafeViewBackward0", _mv(folded, t2), out_shape, None)
    n = a.shape[-2] if da > 1 else 1
    m1 = a.shape[-1]
    m2, p = (b.shape[-2], b.shape[-1]) if db > 1 else (b.shape[0], 1)
    batch = _broadcast(a.shape[:max(da - 2, 0)], b.shape[:max(db - 2, 0)])
    count = math.prod(batch)
    a3 = _reshape(_expand(a, batch + (n, m1)), (count, n, m1))
    if db == 1:
        b3 = _unsqueeze(_reshape(_expand(b, batch + (m2,)), (count, m2)), 2)
    else:
        b3 = _reshape(_expand(b, batch + (m2, p)), (count, m2, p))
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    out = _mm(a3, b3, "BmmBackward0")
    if db == 1:
        out = _squeeze(out, -1, "SqueezeBackward1")
    return _as_view("UnsafeViewBackward0", out, out_shape, None)


def _broadcast(s1: tuple, s2: tuple) -> tuple:
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + s1, (1,) * (n - len(s2)) + s2
    return tuple(y if x == 1 else x for x, y in zip(s1, s2))


# ---------------------------------------------------------------- the fused ops' views
def _twin(node: Node, out: _Sym) -> Node:
    twin = out.edge[0]
    if twin is None or twin.name() != node.name():  # never expected: show the real edges
        twin = node_class(node.name())(None, node._next)
    return twin


def _elements(strides: tuple, itemsize: int) -> tuple:
    return tuple(s // itemsize for s in strides)


def _saved(node: Node, i: int) -> Callable[[], Any]:
    return lambda: node._unpack_saved(False)[i]


def _linear_syms(node: Node, x_shape: tuple, x_strides: tuple, itemsize: int,
                 w_shape: tuple, b_shape: tuple | None) -> _Sym:
    xe, we, be = node._next
    x = _Sym(xe, x_shape, _elements(x_strides, itemsize), _saved(node, 0))
    w = _Sym(we, w_shape, None, _saved(node, 1))
    b = None if b_shape is None else _Sym(be, b_shape, None, lambda: None)
    wt = _t(w)
    if b is not None and w.ndim == 2:
        if x.ndim == 2:
            return _addmm(b, x, wt)
        if x.contiguous_() and b.ndim == 1:
            folded = _reshape(x, (math.prod(x_shape[:-1]), x_shape[-1]))
            out = _addmm(b, folded, wt)
            return _as_view("ViewBackward0", out, x_shape[:-1] + out.shape[-1:], None)
    out = _matmul(x, wt)
    if b is not None:
        out = _add(out, b, _broadcast(out.shape, b.shape))
    return out


def linear_view(node: Node, x_shape: tuple, x_strides: tuple, itemsize: int, w_shape: tuple,
                b_shape: tuple | None) -> Node:
    """The display twin of ``linear``'s node (PyTorch's addmm / matmul decomposition)."""
    return _twin(node, _linear_syms(node, x_shape, x_strides, itemsize, w_shape, b_shape))


def linear_node_name(x: Any, w_ndim: int, has_bias: bool, b_ndim: int) -> str:
    """The name of PyTorch's last node of ``linear`` on array ``x`` (off the 2-D path)."""
    nd = x.ndim
    if has_bias and w_ndim == 2 and b_ndim == 1 and x.flags.c_contiguous:
        return "ViewBackward0"
    if has_bias:
        return "AddBackward0"
    if w_ndim == 1:
        return "DotBackward0" if nd == 1 else "MvBackward0" if nd == 2 else \
            "UnsafeViewBackward0"
    return "SqueezeBackward4" if nd == 1 else "UnsafeViewBackward0"


def matmul_view(node: Node, a_shape: tuple, a_strides: tuple, b_shape: tuple,
                b_strides: tuple, itemsize: int) -> Node:
    """The display twin of ``matmul``'s node on batched operands."""
    ae, be = node._next
    a = _Sym(ae, a_shape, _elements(a_strides, itemsize), _saved(node, 0))
    b = _Sym(be, b_shape, _elements(b_strides, itemsize), _saved(node, 1))
    return _twin(node, _matmul(a, b))


def matmul_node_name(a_shape: tuple, b_shape: tuple, a_rg: bool) -> str:
    """The name of PyTorch's last node of ``matmul`` when an operand has over 2 dims."""
    if a_rg and len(a_shape) == 3 and len(b_shape) == 3 and a_shape[0] == 1 != b_shape[0]:
        a_shape = a_shape[1:]  # squeezed first
    if len(a_shape) == 2 and len(b_shape) > 2 and a_rg:  # folded, transposed back
        shape = b_shape[:-2] + (a_shape[0], b_shape[-1])
        strides = _contiguous_strides(b_shape[:-2] + (b_shape[-1], a_shape[0]))
        strides = strides[:-2] + (strides[-1], strides[-2])
        return "TransposeBackward0" if _is_contiguous(shape, strides) else "CloneBackward0"
    return "UnsafeViewBackward0"
