"""The autograd graph: nodes recorded by ops, and the engine that walks them backward.

A node holds its op's vector-Jacobian product, the tensors it saved (with the
version each had), and edges to the nodes of its inputs. The engine counts
dependencies, then runs each node once, after all its consumers, highest
sequence number first, as PyTorch's engine does. Saved tensors are dropped as
soon as a node has run unless ``retain_graph``.
"""

from __future__ import annotations

import re
import traceback
import weakref
from collections.abc import Callable, Sequence
from sys import getrefcount as _getrefcount
from typing import Any

import numpy as np

from .._runtime import quiet
from . import grad_mode

__all__ = ["Node", "AccumulateGrad", "RemovableHandle", "run_backward", "node_class"]

_anomaly = [False, True]  # [enabled, check_nan]; set by ember.autograd.anomaly
# the (pack, unpack) pairs of the active ``saved_tensors_hooks`` (innermost last): ops that
# save tensors while this is non-empty call ``_pack_saved`` (see ``_saved_hooks.py``)
_saved_hooks: list = []
# whether the running backward pass captures gradients (``grad()``, ``backward(inputs=)``)
# rather than accumulating into every leaf: reentrant checkpointing cannot serve those
_capturing = [False]


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` takes the hook out again."""

    __module__ = "ember.utils.hooks"  # where PyTorch's class lives (and ember re-exports it)
    next_id = 0  # one count for every hook handle (tensor, node, module, optimizer), as PyTorch
    __slots__ = ("_store", "id")

    def __init__(self, store: dict) -> None:
        self._store = weakref.ref(store) if not isinstance(store, dict) else store
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Node:
    """One recorded op: ``vjp`` maps output gradients to input gradients."""

    # ``_next``: the edges the engine follows; ``_view`` (set only by fused ops): how PyTorch
    # would print this node's edges, built on first access (see ``next_functions``)
    __slots__ = ("_vjp", "_next", "_saved", "_versions", "_saved_out", "_pre_hooks",
                 "_hooks", "_tensor_hooks", "_meta", "_trace", "_freed", "_metadata", "_view",
                 "_odt", "_saved_as", "__weakref__")

    _multi = False  # vjp takes a tuple of output gradients

    def __init__(self, vjp: Callable | None, next_functions: tuple) -> None:
        self._vjp = vjp
        self._next = next_functions
        self._saved = None
        self._versions = None
        self._saved_out = None
        self._pre_hooks = self._hooks = self._tensor_hooks = None
        self._meta = None
        self._freed = False
        self._metadata = None
        self._odt = None  # the output's dtype (set by ``record``): gradients are cast to it
        self._trace = traceback.format_stack()[:-3] if _anomaly[0] else None

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` per input, as PyTorch prints them. A fused op (``linear``
        records one node) shows PyTorch's chain of nodes here (``AddmmBackward0`` over
        ``TBackward0`` ...): display nodes, built once on first access, that compute their
        gradients when called; the engine itself follows the fused node's own edges."""
        view = self._display()
        return self._next if view is None else view._next

    def _display(self) -> Node | None:
        """The display twin of a fused node (None for a plain node)."""
        try:
            view = self._view
        except AttributeError:
            return None
        if view.__class__ is tuple:  # (builder, *args), set by the op; built once
            view = self._view = view[0](self, *view[1:])
        return view

    def __call__(self, *grads: Any) -> Any:
        """Run this node's backward on output gradients ``grads``, as PyTorch's nodes do: the
        gradient for each input edge (one tensor for a one-edge node)."""
        view = self._display()
        if view is not None:
            return view(*grads)
        n = self._n_outputs
        if len(grads) != n:
            raise TypeError(f"expected {n} arguments, got {len(grads)} instead")
        saved = self._unpack_saved(False) if self._saved is not None or self._freed else ()
        gins = tuple(self._vjp(tuple(grads) if self._multi else grads[0], *saved))
        return gins[0] if len(gins) == 1 else gins

    def __getattr__(self, name: str) -> Any:
        # reached only when normal lookup fails (never by the engine): PyTorch's
        # ``_saved_<name>`` views of what the node saved (``_saved_names.py``)
        if name.startswith(("_saved_", "_raw_saved_")):
            from ._saved_names import saved_attribute

            return saved_attribute(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self) -> list[str]:
        from ._saved_names import saved_names

        names = saved_names(self)  # (Ember's own ``_saved_*`` slots are not PyTorch's)
        return sorted({n for n in super().__dir__() if not n.startswith("_saved_")} | set(names))

    @property
    def metadata(self) -> dict:
        """A dict for users to attach data to the node."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` after the node runs; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = {}
        h = RemovableHandle(self._hooks)
        self._hooks[h.id] = fn
        return h

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` before the node runs; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    def _add_tensor_hook(self, out_nr: int, fn: Callable) -> RemovableHandle:
        hooks = self._tensor_hooks
        if hooks is None:
            hooks = self._tensor_hooks = {}
        h = RemovableHandle(hooks)
        hooks[h.id] = (out_nr, fn)
        for key in [k for k, (_, f) in hooks.items() if f.__class__ is RetainGrad]:
            hooks[key] = hooks.pop(key)  # retain_grad sees the gradient after every hook
        return h

    def _retains(self, out_nr: int) -> bool:
        """Whether output ``out_nr``'s tensor called ``retain_grad``."""
        return any(f.__class__ is RetainGrad and nr == out_nr
                   for nr, f in (self._tensor_hooks or {}).values())

    @property
    def _n_outputs(self) -> int:
        return len(self._meta) if self._meta else 1

    def _modified_message(self, i: int, t: Any, v: int) -> str:
        """PyTorch's words for saved tensor ``i`` (``t``), changed in place since version ``v``:
        an output names this node, an input the node that now makes it."""
        if self._saved_out is not None and i in self._saved_out:
            return modified_message(t, v, self, self._saved_out[i])
        as_view = getattr(self, "_saved_as", None)  # (unset unless an op gave it)
        if as_view is not None and as_view.get(i) is not None:
            return modified_message(t, v, None, 0, as_view[i])
        if t._base is not None:  # a view of a base changed since: named as its regenerated node
            t._refresh_view()
        return modified_message(t, v, t.grad_fn, t._out_nr)

    def _first_modified(self, saved: Any, versions: Any, i: int) -> int:
        """The changed saved tensor PyTorch reports: its nodes unpack saved values in the
        order of their names, so ``other``/``mat2`` before ``self`` for a binary op."""
        if len(saved) < 2 or type(self).__name__ not in _OTHER_FIRST:
            return i
        t, v = saved[1], versions[1]
        return 1 if v is not None and t._vc[0] != v else i

    def _unpack_saved(self, create_graph: bool) -> tuple:
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(
                    "Trying to backward through the graph a second time (or directly access "
                    "saved tensors after they have already been freed). Saved intermediate "
                    "values of the graph are freed when you call .backward() or "
                    "autograd.grad(). Specify retain_graph=True if you need to backward through "
                    "the graph a second time or if you need to access saved tensors after "
                    "calling backward.")
            return ()
        if saved.__class__ is PackedSaved:  # packed by saved_tensors_hooks: unpack each
            saved = saved.unpack()
        versions = self._versions
        for i, t in enumerate(saved):
            v = versions[i]
            if v is not None and t._vc[0] != v:
                i = self._first_modified(saved, versions, i)
                raise RuntimeError(self._modified_message(i, saved[i], versions[i]))
        if create_graph and self._saved_out:
            saved = list(saved)
            for i, nr in self._saved_out.items():
                saved[i] = saved[i]._alias_with_grad_fn(self, nr)
        return saved


# binary ops whose PyTorch node saves (other, self[, result]) in that (alphabetical) order
_OTHER_FIRST = frozenset((
    "MulBackward0", "DivBackward0", "Atan2Backward0", "MmBackward0", "BmmBackward0",
    "MatmulBackward0", "MaximumBackward0", "MinimumBackward0", "FmaxBackward0",
    "FminBackward0", "LogaddexpBackward0", "Logaddexp2Backward0", "XlogyBackward0",
    "LinalgCrossBackward0", "VdotBackward0", "FmodBackward1", "RemainderBackward1",
    "IgammaBackward0", "IgammacBackward0", "NextafterBackward0", "PowBackward1",
    "HypotBackward0", "DistBackward0"))


class PackedSaved(tuple):
    """A node's saved values after ``saved_tensors_hooks`` packed them: each tensor became
    ``(pack(t), unpack)``; ``unpack()`` gives back the tensors (any other value as it was)."""

    __slots__ = ()

    def unpack(self) -> tuple:
        return tuple(v if m is None else m(v) for v, m in self)


def _pack_saved(node: Node) -> None:
    """Pack ``node``'s saved tensors with the innermost active ``saved_tensors_hooks``."""
    saved = node._saved
    if saved is None or saved.__class__ is PackedSaved:
        return
    pack, unpack = _saved_hooks[-1]
    from .._tensor import Tensor

    node._saved = PackedSaved((pack(t), unpack) if isinstance(t, Tensor) else (t, None)
                              for t in saved)
    # what a hook returns is the user's: PyTorch checks no version counter for it
    node._versions = (None,) * len(saved)


# one list of final callbacks per backward pass in progress (innermost last): what
# ``Variable._execution_engine.queue_callback`` and multi-grad hooks add run when it ends
# (``autograd._api`` runs them)
_tasks: list = []


def __getattr__(name: str) -> Any:
    """``saved_tensors_hooks`` and its kin (``torch.autograd.graph``'s names) load on first
    use, so that the engine imports nothing more with the tensor."""
    from . import _saved_hooks

    if name in _saved_hooks.__all__:
        return getattr(_saved_hooks, name)
    raise AttributeError(f"module 'ember.autograd.graph' has no attribute '{name}'")


_BACKWARD_SUFFIX = re.compile(r"Backward(\d*)$")


def regenerated_view(view: Any, regen: Any) -> None:
    """Give ``view`` the graph of ``regen``, its view op replayed on a base changed in place:
    PyTorch names that node ``AsStridedBackward0``."""
    node = regen.grad_fn
    if node is not None and not node._multi:
        node.__class__ = node_class("AsStridedBackward0")
    move_retain_grad(view.grad_fn, view._out_nr, node, regen._out_nr)
    view.grad_fn, view._out_nr, view._rg = node, regen._out_nr, True


def move_retain_grad(old: Any, old_nr: int, new: Any, new_nr: int) -> None:
    """A tensor given a new grad_fn by an in-place op takes its ``retain_grad`` hook along
    (PyTorch's ``update_tensor_hooks_on_new_gradfn``); its other hooks stay behind."""
    hooks = None if old is None or new is None else old._tensor_hooks
    if not hooks:
        return
    for key, (nr, fn) in list(hooks.items()):
        if fn.__class__ is RetainGrad and nr == old_nr:
            del hooks[key]
            new._add_tensor_hook(new_nr, fn)


def modified_message(t: Any, v: int, made_by: Node | None, nr: int,
                     as_view: tuple | None = None) -> str:
    """PyTorch's words for a saved ``t``, output ``nr`` of ``made_by``, changed in place since
    version ``v``; ``as_view``: the shape of the view of ``t`` that PyTorch's node saved (a
    composite's reshaped or transposed operand), which its base's change regenerated as an
    ``AsStrided`` view."""
    if as_view is not None:
        which, shape = ", which is output 0 of AsStrided,", list(as_view)
    else:
        shape = list(t.shape)
        which = "" if made_by is None else \
            f", which is output {nr} of {_BACKWARD_SUFFIX.sub(_overload, made_by.name())},"
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{_legacy_type(t)} {shape}]{which} is at version "
            f"{t._vc[0]}; "
            f"expected version {v} instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


_NO_LEGACY = ("BoolTensor", "BFloat16Tensor", "ComplexHalfTensor", "ComplexFloatTensor", "ComplexDoubleTensor")


def _legacy_type(t: Any) -> str:
    """PyTorch's ``toString`` of ``t``'s type: ``torch.DoubleTensor``, or ``CPUComplexFloatType``
    for bool and a dtype with no legacy tensor class (bfloat16, complex)."""
    name = t.type()
    base = name.rsplit(".", 1)[-1]
    if base in _NO_LEGACY:
        return f"{'CUDA' if '.cuda.' in name else 'CPU'}{base[:-len('Tensor')]}Type"
    return name


def _overload(m: re.Match) -> str:
    """PyTorch's short node name keeps an overload number other than 0 (``Max1``, ``Pow2``)."""
    return "" if m.group(1) in ("", "0") else m.group(1)


_classes: dict[tuple[str, bool], type] = {}


def node_class(name: str, multi: bool = False) -> type:
    """A Node subclass named like PyTorch's (``AddBackward0``), made once per name."""
    key = (name, multi)  # one op may record single- and multi-output nodes under one name
    cls = _classes.get(key)
    if cls is None:
        # module "builtins": printed as PyTorch prints its nodes, <class 'AddBackward0'>
        attrs = {"__slots__": (), "_multi": multi, "__module__": "builtins"}
        # PyTorch's C++ nodes: their name() is qualified
        if name in ("CopySlices", "CopyBackwards", "Error"):
            attrs["name"] = lambda self: f"torch::autograd::{type(self).__name__}"
        cls = _classes[key] = type(name, (Node,), attrs)
    return cls


class RetainGrad:
    """The hook ``retain_grad`` adds: stores the gradient reaching a non-leaf tensor in its
    ``.grad`` (after the tensor's other hooks, as in PyTorch)."""

    __slots__ = ("ref",)

    def __init__(self, tensor: Any) -> None:
        self.ref = weakref.ref(tensor)

    def __call__(self, g: Any) -> None:
        t = self.ref()
        if t is None:
            return
        if t._grad is None:
            t._grad = g.detach()._clone_data() if not g.requires_grad else g.clone()
        else:
            t._grad = t._grad + g


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        Node.__init__(self, None, ())  # (made for each leaf in each graph: no super() object)
        self.variable = variable

    def __call__(self, *grads: Any) -> tuple:
        if len(grads) != 1:
            raise TypeError(f"expected 1 arguments, got {len(grads)} instead")
        with grad_mode.no_grad():
            _accumulate(self.variable, grads[0], False)
        return ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


def _stealable(g: Any) -> bool:
    """Whether nothing but the engine holds gradient ``g``: a leaf may then keep it as its
    ``.grad`` without a copy, as PyTorch's AccumulateGrad does for unshared gradients.

    An unshared gradient is referenced here by the engine's ``buf`` and ``g0``, at most one
    ``gins`` tuple, the two frames' parameters and ``getrefcount``'s argument (6); its array
    by the tensor alone, or it is a contiguous view of an array that nothing else holds.
    """
    if _getrefcount(g) > 6:
        return False
    a = g._data
    if a.__class__ is not np.ndarray or _getrefcount(a) != 3:  # slot, `a`, argument
        return False
    base = a.base
    return base is None or (a.flags.c_contiguous and base.__class__ is np.ndarray
                            and base.base is None and _getrefcount(base) == 3)


def _dense(a: Any) -> bool:
    """Whether array ``a`` covers its memory exactly once (some permutation of contiguous)."""
    step = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape) if n != 1):
        if stride != step:
            return False
        step *= n
    return True


_warned_cycle = [False]


def _warn_reference_cycle() -> None:
    """PyTorch's once-per-process warning for backward(create_graph=True) into a .grad."""
    if not _warned_cycle[0]:
        _warned_cycle[0] = True
        import warnings

        from .._stacklevel import user_stacklevel

        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak. (Triggered internally at "
            "/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1382.)", UserWarning,
            stacklevel=user_stacklevel())


class _DenseIntoSparse(RuntimeError):
    """Raised by a sparse ``.grad`` given a dense gradient to add in place (PyTorch's
    accumulation then stores ``dense + sparse``, a dense ``.grad``)."""


def _accumulate(var: Any, g: Any, create_graph: bool) -> None:
    if create_graph:
        _warn_reference_cycle()
    if g._data.dtype != var._data.dtype:  # PyTorch casts a gradient to its input's dtype
        g = _as_output_dtype(g, var._data.dtype).to(var.dtype)
    if var._grad is None:
        va = var._data
        if create_graph and g.requires_grad:
            # PyTorch copies into a tensor of the leaf's layout: the .grad's node is CopyBackwards
            var._grad = var.detach().clone().copy_(g)
        elif _stealable(g) and g._data.strides == va.strides and g._device is var._device \
                and g._data.dtype == va.dtype:
            var._grad = g.detach()  # a leaf tensor over the same array: no copy
        elif va.__class__ is not np.ndarray or va.flags.c_contiguous or not _dense(va):
            var._grad = g.detach()._clone_data()
        else:  # PyTorch's layout contract: a dense leaf's gradient takes the leaf's strides
            from .._tensor import make

            out = var._device._backend.xp.empty_like(va)  # order "K": the leaf's layout
            out[...] = g._data
            var._grad = make(out, var._device)
    elif create_graph or grad_mode.state.enabled:
        var._grad = var._grad + g
    else:
        try:
            var._grad._add_inplace_grad(g)
        except _DenseIntoSparse:  # a dense gradient into a sparse .grad: it becomes dense
            var._grad = g + var._grad
        except NotImplementedError:
            if not getattr(g, "is_sparse", False):
                raise
            var._grad.copy_(var._grad + g)  # a sparse gradient into a dense .grad, in place
    if var._post_acc_hooks:
        for fn in list(var._post_acc_hooks.values()):
            fn(var)


def _needed_nodes(roots: Sequence[Node], targets: set) -> set:
    """The nodes from which some target can be reached (the only ones worth running)."""
    needed: set = set()
    state: dict = {}
    for root in roots:
        stack = [(root, iter(root._next))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is None:
                    continue
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(nxt._next)))
                    break
                if nxt in needed:
                    needed.add(node)
            else:
                stack.pop()
                if node in targets or any(n in needed for n, _ in node._next if n):
                    needed.add(node)
    return needed


def _topological_order(roots: Sequence[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each after all the nodes that feed it gradients
    (reverse post-order of a depth-first walk)."""
    order: list[Node] = []
    seen: set = set()
    mark, emit = seen.add, order.append
    for root in roots:
        if root in seen:
            continue
        mark(root)
        stack = [(root, iter(root._next))]
        push, pop = stack.append, stack.pop
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is not None and nxt not in seen:
                    mark(nxt)
                    push((nxt, iter(nxt._next)))
                    break
            else:
                pop()
                emit(node)
    order.reverse()
    return order


def run_backward(roots: Sequence[tuple[Node, int]], grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, capture: dict | None = None,
                 accumulate: bool = True) -> dict:
    """Propagate ``grads`` from the root edges through the graph.

    Each node runs once, after all its consumers, with the sum of the gradients that
    reached it; a node no gradient reaches is skipped. ``capture`` maps (node,
    output_nr) edges to slots: the gradient arriving there is returned, and only the
    part of the graph that leads to a captured edge runs. NumPy's floating-point warnings
    are off throughout (an inf or NaN gradient warns there, never in PyTorch).
    """
    return quiet(_run_backward, roots, grads, retain_graph, create_graph, capture, accumulate)


def _run_backward(roots: Sequence[tuple[Node, int]], grads: Sequence[Any], retain_graph: bool,
                  create_graph: bool, capture: dict | None, accumulate: bool) -> dict:
    root_nodes = [roots[0][0]] if len(roots) == 1 else list(dict.fromkeys(n for n, _ in roots))
    order = _topological_order(root_nodes)
    if capture is not None:
        needed = _needed_nodes(root_nodes, {n for n, _ in capture})
        order = [n for n in order if n in needed]
        # a node whose gradient is only captured does not run (its saved tensors stay, its
        # pre-hooks stay quiet), as in PyTorch; one that leads to another target does
        runs = {n for n in needed if any(m in needed for m, _ in n._next if m is not None)}
    else:
        needed = runs = None
    # a single-output node's buffer is its gradient; a multi-output node's, a list
    buffers: dict = {}
    for (node, nr), g in zip(roots, grads):
        _add_to_buffer(buffers, node, nr, g)
    captured: dict = {}
    pop, get = buffers.pop, buffers.get
    prev = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    prev_capturing = _capturing[0]
    _capturing[0] = capture is not None
    try:
        for node in order:
            buf = pop(node, None)
            if buf is None:
                continue  # no gradient reached this node
            is_acc = node.__class__ is AccumulateGrad
            if node._meta or node._tensor_hooks or node._pre_hooks or capture is not None or (
                    is_acc and node.variable._hooks_leaf):
                skip = capture is not None and node not in runs and not (is_acc and accumulate)
                gouts = _hooked_grads(node, buf, is_acc, capture, captured, skip)
                if skip:
                    continue
                g0 = gouts[0]
                if g0 is None and not node._multi and not is_acc:
                    continue  # a pre-hook dropped the gradient: none flows on, as in PyTorch
            else:  # the common case: one output, no hooks
                gouts = None
                g0 = buf
            if is_acc:
                if accumulate and g0 is not None:
                    _accumulate(node.variable, g0, create_graph)
                if node._hooks:
                    for fn in list(node._hooks.values()):
                        fn((), tuple(gouts if gouts is not None else [buf]))
                continue
            if gouts is None and not node._multi:
                if g0._data.dtype is not node._odt and node._odt is not None:
                    g0 = _as_output_dtype(g0, node._odt)
                saved = node._saved
                if saved is not None:
                    if saved.__class__ is not tuple:  # packed by saved_tensors_hooks
                        saved = node._unpack_saved(create_graph)
                    for t, v in zip(saved, node._versions):
                        if v is not None and t._vc[0] != v:  # modified in place: the error
                            saved = node._unpack_saved(create_graph)
                    if create_graph and node._saved_out:  # saved outputs rejoin the graph
                        saved = node._unpack_saved(create_graph)
                    gins = node._vjp(g0, *saved)
                    if not retain_graph:
                        node._saved = None
                        node._freed = True
                elif node._freed:
                    gins = node._vjp(g0, *node._unpack_saved(create_graph))
                else:
                    gins = node._vjp(g0)
                if _anomaly[0]:
                    _check_anomaly(node, gins)
            else:
                if gouts is None:
                    gouts = [buf]
                gins = _call_vjp(node, gouts, retain_graph, create_graph)
            if node._hooks:
                if gouts is None:
                    gouts = [buf]
                for fn in list(node._hooks.values()):
                    r = fn(tuple(gins), tuple(gouts))
                    if r is not None:
                        gins = _checked_node_hook_result(fn, r, gins)
            for (nxt, nr), g in zip(node._next, gins):
                if g is not None and nxt is not None:
                    if nxt._meta:
                        _add_to_buffer(buffers, nxt, nr, g)
                    else:
                        old = get(nxt)
                        buffers[nxt] = g if old is None else old + g
            g = None  # the loop's last gradient: a leaf may then keep it without a copy
    finally:
        grad_mode.state.enabled = prev
        _capturing[0] = prev_capturing
    return captured


def _hooked_grads(node: Node, buf: Any, is_acc: bool, capture: dict | None,
                  captured: dict, capture_only: bool = False) -> list:
    """The output gradients of ``node`` after its tensor hooks and pre-hooks ran, recorded
    where ``capture`` asks for them. As in PyTorch's engine, a node that will run is captured
    before its tensor hooks; a ``capture_only`` node after them, and its pre-hooks never run."""
    if not node._meta:  # cast first (a real tensor's hooks see a real gradient, as PyTorch's)
        odt = node.variable._data.dtype if is_acc else node._odt
        if odt is not None and buf is not None and buf._data.dtype is not odt:
            buf = _as_output_dtype(buf, odt)
    gouts = buf if node._meta else [buf]
    if is_acc:
        hooks = node.variable._hooks_leaf
        if hooks:
            for fn in list(hooks.values()):
                r = fn(gouts[0])
                if r is not None:
                    gouts[0] = _checked_hook_result(fn, r, gouts[0])
    if capture is not None and not capture_only:
        _capture(node, gouts, capture, captured)
    if node._tensor_hooks:
        for nr, fn in list(node._tensor_hooks.values()):
            if gouts[nr] is not None:
                r = fn(gouts[nr])
                if r is not None:
                    gouts[nr] = _checked_hook_result(fn, r, gouts[nr])
    if capture_only:
        _capture(node, gouts, capture, captured)
        return gouts
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            r = fn(tuple(gouts))
            if r is not None:
                gouts = list(_checked_node_hook_result(fn, r, gouts))
    return gouts


def _capture(node: Node, gouts: list, capture: dict, captured: dict) -> None:
    for nr in range(len(gouts)):
        if (node, nr) in capture:
            captured[(node, nr)] = gouts[nr]


def _hook_name(fn: Any) -> str:
    return getattr(fn, "__name__", "<unknown>")  # PyTorch's name for a hook without one


def _checked_hook_result(fn: Any, r: Any, g: Any) -> Any:
    """A tensor hook's replacement gradient, refused (as PyTorch does) when it is not a
    tensor or has another dtype, device or shape."""
    try:
        shape = r._data.shape
    except AttributeError:
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'") from None
    if r._data.dtype != g._data.dtype or r._device != g._device:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the type of value (was "
                           f"{g.type()} got {r.type()})")
    if shape != g._data.shape:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the size of value")
    return r


def _checked_node_hook_result(fn: Any, r: Any, gins: Any) -> Any:
    """A node (pre-)hook's replacement gradients: a tuple with one per edge, each None or a
    tensor of the replaced one's dtype, device and shape, as PyTorch insists."""
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != len(gins):
        raise RuntimeError(f"hook '{_hook_name(fn)}' has returned an incorrect number of values "
                           f"(got {len(r)}, but expected {len(gins)})")
    for new, old in zip(r, gins):
        if new is not None:
            if old is None:
                raise RuntimeError("can't replace a None gradient with a non-None value")
            _checked_hook_result(fn, new, old)
    return r


def _add_to_buffer(buffers: dict, node: Node, nr: int, g: Any) -> None:
    if node._meta:  # several outputs: a list of gradients
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._meta)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    else:
        old = buffers.get(node)
        buffers[node] = g if old is None else old + g


def _as_output_dtype(g: Any, odt: Any) -> Any:
    """A gradient reaching a node in another floating dtype (mixed precision: a bfloat16
    output met a float32 one) is cast to the node's output dtype, as PyTorch's engine does."""
    gd = g._data.dtype
    if gd.kind == "c" and odt.kind in "fV":  # a real tensor's gradient: the real part, silently
        g = g.real                           # (PyTorch's handle_r_to_c)
        gd = g._data.dtype
    if gd == odt or gd.kind not in "fV" or odt.kind not in "fV":
        return g
    from ..dtypes import from_numpy_dtype

    return g.to(from_numpy_dtype(odt))


def _call_vjp(node: Node, gouts: list, retain_graph: bool, create_graph: bool) -> Sequence:
    saved = node._unpack_saved(create_graph) if node._saved is not None or node._freed else ()
    if node._multi:
        if node._meta:
            gouts = [g if g is not None or m is None else m() for g, m in zip(gouts, node._meta)]
        gins = node._vjp(tuple(gouts), *saved)
    else:
        g = gouts[0]
        if g is not None and node._odt is not None and g._data.dtype is not node._odt:
            g = _as_output_dtype(g, node._odt)
        gins = node._vjp(g, *saved)
    if not retain_graph and node._saved is not None:
        node._saved = None
        node._freed = True
    if _anomaly[0]:
        _check_anomaly(node, gins)
    return gins


def _check_anomaly(node: Node, gins: Sequence) -> None:
    if not _anomaly[1]:
        return
    for i, g in enumerate(gins):
        if g is not None and bool(g._device._backend.xp.isnan(g._data).any()):
            import warnings

            # PyTorch warns with the forward call's traceback and raises a one-line message
            where = "".join(node._trace or [])
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          f"caused the error:\n{where}", stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
