"""Activation checkpointing: keep only a segment's inputs and recompute it in backward.

``checkpoint(fn, *args, use_reentrant=...)`` records one node in place of the graph of
``fn``; its backward re-runs ``fn`` with the graph on (and the same random state, so
dropout draws the same mask) and back-propagates through that recomputation. Peak memory
then holds one segment's activations.

The two variants differ as in PyTorch. ``use_reentrant=True`` (the default, with a
warning, when not passed) runs ``fn`` without recording, differentiates only through
tensor arguments that require grad, and reaches other leaves (a module's parameters) by
a nested ``backward`` while the outer one runs. ``use_reentrant=False`` records ``fn``
once to find every tensor that requires grad it depends on (arguments, parameters, tensors
it closes over), keeps those as the node's inputs and drops the rest of the graph: so
parameters get gradients even when no argument requires grad, ``autograd.grad`` and
double backward work, and ``fn`` may return any tree of tensors and other values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd import graph as _graph
from ..autograd._api import backward as _backward
from ..autograd._api import grad as _grad
from ..autograd.graph import AccumulateGrad
from ..func._pytree import tree_flatten, tree_unflatten
from ..ops._dispatch import record_multi
from ..random import default_generator, default_generator_for

__all__ = ["checkpoint", "checkpoint_sequential"]

_DEFAULT_REENTRANT = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")
_DEFAULT_REENTRANT_SEQ = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
    "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
    "passed. use_reentrant=False is recommended, but if you need to preserve the current "
    "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
    "the differences between the two variants.")


def _differentiable(t: Any) -> bool:
    return isinstance(t, Tensor) and (t.is_floating_point() or t.is_complex())


class _RngSnapshot:
    """The CPU generator's state and that of every other device the arguments live on."""

    def __init__(self, args: tuple) -> None:
        gens = [default_generator]
        for a in args:
            if isinstance(a, Tensor) and a.device.type != "cpu":
                g = default_generator_for(a.device)
                if all(g is not h for h in gens):
                    gens.append(g)
        self.states = [(g, g.get_state()) for g in gens]

    def replay(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` run from the saved states; the generators' current states are kept."""
        now = [(g, g.get_state()) for g, _ in self.states]
        for g, s in self.states:
            g.set_state(s)
        try:
            return fn()
        finally:
            for g, s in now:
                g.set_state(s)


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` saving only its inputs; recompute it in backward."""
    if use_reentrant is None:
        warnings.warn(_DEFAULT_REENTRANT, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _reentrant(function, args, preserve_rng_state)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    return _non_reentrant(function, args, kwargs, preserve_rng_state)


def _reentrant(function: Callable, args: tuple, preserve_rng_state: bool) -> Any:
    rng = _RngSnapshot(args) if preserve_rng_state else None
    with grad_mode.no_grad():
        out = function(*args)
    if not grad_mode.state.enabled:
        return out
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if not any(args[i].requires_grad for i in tensor_pos):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=3)
        return out
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    diff = [o for o in outs if _differentiable(o)]
    template = [None if isinstance(a, Tensor) else a for a in args]

    def vjp(gouts: tuple, *saved: Tensor) -> tuple:
        if _graph._capturing[0]:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        # the inputs come back through the node's saved tensors, which the engine frees as
        # soon as this node has run (a closure would keep them until backward returns)
        call_args = list(template)
        for i, t in zip(tensor_pos, saved):
            call_args[i] = t.detach().requires_grad_(t.requires_grad)
        create_graph = grad_mode.state.enabled
        with grad_mode.enable_grad():
            re = (rng.replay(lambda: function(*call_args)) if rng is not None
                  else function(*call_args))
        re_outs = (re,) if isinstance(re, Tensor) else tuple(re)
        re_diff = [o for o in re_outs if _differentiable(o)]
        pairs = [(o, g) for o, g in zip(re_diff, gouts) if o.requires_grad and g is not None]
        if pairs:
            # gradients reach the segment's inputs (read back below) and every leaf it used,
            # such as a module's parameters that were not passed as arguments
            _backward([o for o, _ in pairs], [g for _, g in pairs], create_graph=create_graph)
        return tuple(a.grad if isinstance(a, Tensor) and a.requires_grad else None
                     for a in call_args)

    record_multi("CheckpointFunctionBackward", diff, list(args), vjp,
                 [args[i] for i in tensor_pos])
    return out


def _sources(outs: list) -> list:
    """The tensors requiring grad that ``outs`` were computed from (the graph's leaves), in
    the order a depth-first walk from the outputs meets them."""
    seen, found, stack = set(), {}, []
    for o in outs:
        if o.requires_grad:
            stack.append(o._edge()[0])
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.setdefault(id(node.variable), node.variable)
            continue
        stack.extend(n for n, _ in reversed(node.next_functions))
    return list(found.values())


def _non_reentrant(function: Callable, args: tuple, kwargs: dict,
                   preserve_rng_state: bool) -> Any:
    rng = _RngSnapshot(args) if preserve_rng_state else None
    if not grad_mode.state.enabled:
        return function(*args, **kwargs)
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    # the arguments enter as leaves of their own, so that the walk below stops at them
    call_args = list(args)
    for i in tensor_pos:
        call_args[i] = args[i].detach().requires_grad_(args[i].requires_grad)
    out = function(*call_args, **kwargs)
    leaves, spec = tree_flatten(out)
    tensors = [o for o in leaves if isinstance(o, Tensor)]
    arg_of = {id(call_args[i]): i for i in tensor_pos}
    sources = _sources(tensors)
    # node inputs: the arguments that require grad, then the other leaves (parameters, ...)
    arg_inputs = [i for i in tensor_pos if args[i].requires_grad]
    others = [s for s in sources if id(s) not in arg_of]
    if not arg_inputs and not others:
        return out
    diff_pos = [k for k, o in enumerate(leaves) if _differentiable(o) and o.requires_grad
                and id(o) not in arg_of]
    template = [None if isinstance(a, Tensor) else a for a in args]

    def vjp(gouts: tuple, *saved: Tensor) -> tuple:
        create_graph = grad_mode.state.enabled
        re_args = list(template)
        for i, t in zip(tensor_pos, saved):
            # an alias keeps double backward connected to the argument's own graph
            re_args[i] = (t.view_as(t) if create_graph and t.requires_grad
                          else t.detach().requires_grad_(t.requires_grad))
        with grad_mode.enable_grad():
            re = (rng.replay(lambda: function(*re_args, **kwargs)) if rng is not None
                  else function(*re_args, **kwargs))
            re_leaves, _ = tree_flatten(re)
            wrt = [re_args[i] for i in arg_inputs] + others
            pairs = [(re_leaves[k], g) for k, g in zip(diff_pos, gouts)
                     if g is not None and re_leaves[k].requires_grad]
            if not pairs:
                return (None,) * len(wrt)
            return _grad([o for o, _ in pairs], wrt, [g for _, g in pairs],
                         create_graph=create_graph, allow_unused=True)

    # outputs: fresh tensors whose graph is the one node; an argument returned as it is
    # comes back as the caller's tensor, as in PyTorch
    result = list(leaves)
    for k, o in enumerate(leaves):
        if isinstance(o, Tensor) and id(o) in arg_of:
            result[k] = args[arg_of[id(o)]]
    diff = []
    for k in diff_pos:
        result[k] = leaves[k].detach()
        diff.append(result[k])
    if diff:
        record_multi("CheckpointFunctionBackward", diff,
                     [args[i] for i in arg_inputs] + others, vjp, [args[i] for i in tensor_pos])
    return tree_unflatten(result, spec)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Split a sequence of modules into ``segments`` and checkpoint each one but the last."""
    if use_reentrant is None:
        warnings.warn(_DEFAULT_REENTRANT_SEQ, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children"):
        functions = list(functions.children())
    elif isinstance(functions, Iterable):
        functions = list(functions)
    size = len(functions) // segments

    def run(start: int, end: int) -> Callable:
        def forward(x: Tensor) -> Tensor:
            for f in functions[start:end + 1]:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
