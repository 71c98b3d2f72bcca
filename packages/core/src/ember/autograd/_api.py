"""``ember.autograd.backward`` and ``ember.autograd.grad``: the engine's public entry points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor, make
from ..dtypes import _FLOAT
from .forward_ad import _current as _dual_levels
from .function import transform_depth as _transform_depth
from .graph import _as_output_dtype, _tasks
from .graph import run_backward as _engine_run

__all__ = ["backward", "grad"]


def run_backward(roots: Any, grads: Any, retain_graph: bool, create_graph: bool,
                 **kwargs: Any) -> dict:
    """The engine's backward, with the final callbacks queued during it run afterwards.
    Inside a forward-AD level the graph stays: Ember computes tangents from it later."""
    if _dual_levels:
        retain_graph = True
    cbs: list = []
    _tasks.append(cbs)
    try:
        captured = _engine_run(roots, grads, retain_graph, create_graph, **kwargs)
    finally:
        _tasks.pop()
    for cb in cbs:  # a callback may queue more: they run too
        cb()
    return captured


def queue_callback(callback: Any) -> None:
    """Run ``callback()`` once the backward pass in progress ends."""
    if not _tasks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _tasks[-1].append(callback)


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor) or hasattr(x, "output_nr"):  # a tensor, or one GradientEdge
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> list:
    if grad_outputs and len(grad_outputs) < len(outputs):  # (extra gradients are ignored)
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            if not getattr(out, "_rg", True):  # _roots names it: "element i ... does not
                grads.append(None)            # require grad", whatever its shape or dtype
                continue
            d = out._data
            if d.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out.dtype.category != _FLOAT:  # integral, bool or complex: PyTorch refuses
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}")
            # a fresh tensor outside any graph: nothing to detach
            be = out._device._backend
            if be.numpy_like:  # (NumPy's ones() is a Python function: this is a third of it)
                g = be.xp.empty(d.shape, dtype=d.dtype)
                g.fill(1)
            else:
                g = be.xp.ones(d.shape, dtype=d.dtype)
            grads.append(make(g, out._device))
            continue
        if not isinstance(g, Tensor):
            g = out.new_tensor(g)
        elif g._data.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.shape}.")
        if g._data.dtype != out._data.dtype:
            g = _cast_root_grad(g, out, i)
        grads.append(g if create_graph else g.detach())
    return grads


def _cast_root_grad(g: Tensor, out: Tensor, i: int) -> Tensor:
    """A gradient of another dtype is cast to its output's, as PyTorch's engine does before the
    first node runs; complex ones must match exactly."""
    if g.is_complex() or out.is_complex():
        raise RuntimeError(
            f"For complex Tensors, both grad_output and output are required to have the same "
            f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] "
            f"has a dtype of {out.dtype}.")
    return g.to(out.dtype)


def _roots(outputs: tuple) -> list:
    roots = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected Tensors as outputs, got {type(out).__name__}")
        node, nr = out._edge()
        if node is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append((node, nr))
    return roots


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    if _transform_depth[0]:
        _refuse_in_transform()
    outputs = _as_tuple(tensors)
    grads = _root_grads(outputs, _as_tuple(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs)
    if inputs is None:
        run_backward(roots, grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    capture = {}
    for t in inputs:
        edge = t._edge()
        if edge[0] is None:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture[edge] = t
    captured = run_backward(roots, grads, retain_graph, create_graph, capture=capture)
    for edge, t in capture.items():  # non-leaf inputs get their .grad set too
        if t.grad_fn is not None and edge in captured and captured[edge] is not None:
            g = captured[edge]
            t._grad = g if t._grad is None else t._grad + g


def _check_batched_shapes(outs: tuple, gos: tuple) -> None:
    """PyTorch's refusal of batched grad_outputs not shaped (batch, *output.shape); its
    message shows the shape of ``grad_output[i][0]`` without its first dimension."""
    for i, (o, g) in enumerate(zip(outs, gos)):
        if isinstance(g, Tensor) and isinstance(o, Tensor) and tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape[2:]} and output[{i}] has a "
                f"shape of {o.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if is_grads_batched:  # one vjp per entry of the grad_outputs' first dimension, stacked
        from ..ops import stack

        gos = _as_tuple(grad_outputs)
        _check_batched_shapes(outs, gos)
        n = gos[0].shape[0] if gos else 0
        if n == 0:  # PyTorch's vmap over the batch reads its first entry
            raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
        per = [grad(outs, ins, tuple(g[i] for g in gos),
                    retain_graph=True if i < n - 1 else retain_graph, create_graph=create_graph,
                    allow_unused=allow_unused, materialize_grads=materialize_grads)
               for i in range(n)]
        return tuple(None if col[0] is None else stack(list(col)) for col in zip(*per))
    grads = _root_grads(outs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outs)
    edges = []
    for t in ins:
        if not isinstance(t, Tensor):
            if hasattr(t, "output_nr"):  # a GradientEdge: differentiate at that edge
                edges.append((t.node, t.output_nr))
                continue
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        edge = t._edge()
        if edge[0] is None:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edges.append(edge)
    captured = run_backward(roots, grads, retain_graph, create_graph,
                            capture=dict.fromkeys(edges), accumulate=False)
    result = []
    for i, (t, edge) in enumerate(zip(ins, edges)):
        g = captured.get(edge)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = t.new_zeros(t.shape)
        elif isinstance(t, Tensor) and g._data.dtype != t._data.dtype:  # cast to the input's
            g = _as_output_dtype(g, t._data.dtype).to(t.dtype)  # a complex one: its real part
        result.append(g)
    return tuple(result)


def _refuse_in_transform() -> None:
    """PyTorch's refusal of ``backward()`` while ``ember.func`` runs a user function."""
    raise RuntimeError("backward() called inside a functorch transform. This is not supported, "
                       "please use functorch.grad or functorch.vjp instead or call backward() "
                       "outside of functorch transforms.")


def _tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                     create_graph: bool = False, inputs: Sequence | None = None) -> None:
    """Compute the gradient of this tensor with respect to the graph's leaves."""
    if _transform_depth[0]:
        _refuse_in_transform()
    if gradient is None and inputs is None:  # the common ``loss.backward()``
        grads = _root_grads((self,), (), create_graph)
        run_backward(_roots((self,)), grads,
                     create_graph if retain_graph is None else retain_graph, create_graph)
        return
    backward(self, gradient, retain_graph, create_graph, inputs)


_tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"  # as PyTorch names it
Tensor.backward = _tensor_backward
