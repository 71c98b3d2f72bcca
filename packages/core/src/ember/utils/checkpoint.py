"""Activation checkpointing: keep only a segment's inputs and recompute it in backward.

``checkpoint(fn, *args, use_reentrant=False)`` runs ``fn`` without recording the
graph, then records one node whose backward re-runs ``fn`` with the graph on (and
the same random state, so dropout draws the same mask) and back-propagates
through that recomputation. Peak memory then holds one segment's activations.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd._api import backward as _backward
from ..ops._dispatch import record_multi
from ..random import default_generator

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args)`` saving only its inputs; recompute it during backward."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Ember defaults to use_reentrant=False.", stacklevel=2)
    rng_state = default_generator.get_state() if preserve_rng_state else None
    with grad_mode.no_grad():
        out = function(*args, **kwargs)
    if not grad_mode.state.enabled:
        return out
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    if not any(a._rg for a in tensor_args):
        return out
    single = isinstance(out, Tensor)
    outs = (out,) if single else tuple(out)
    diff = [o for o in outs if isinstance(o, Tensor) and (o.is_floating_point() or o.is_complex())]

    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

    def vjp(gouts: tuple, *saved: Tensor) -> tuple:
        # the inputs come back through the node's saved tensors, which the engine frees as
        # soon as this node has run (a closure would keep them until backward returns)
        call_args = list(args_template)
        for i, t in zip(tensor_pos, saved):
            call_args[i] = t
        create_graph = grad_mode.state.enabled
        with grad_mode.enable_grad():
            state = default_generator.get_state() if rng_state is not None else None
            if rng_state is not None:
                default_generator.set_state(rng_state)
            try:
                detached = [a.detach().requires_grad_(a._rg) if isinstance(a, Tensor) else a
                            for a in call_args]
                re = function(*detached, **kwargs)
            finally:
                if state is not None:
                    default_generator.set_state(state)
        re_outs = (re,) if isinstance(re, Tensor) else tuple(re)
        re_diff = [o for o in re_outs if isinstance(o, Tensor) and
                   (o.is_floating_point() or o.is_complex())]
        pairs = [(o, g) for o, g in zip(re_diff, gouts) if o._rg and g is not None]
        if pairs:
            # gradients reach the segment's inputs (read back below) and every leaf it used,
            # such as a module's parameters that were not passed as arguments
            _backward([o for o, _ in pairs], [g for _, g in pairs], create_graph=create_graph)
        return tuple(d.grad if isinstance(d, Tensor) and d._rg else None for d in detached)

    args_template = [None if isinstance(a, Tensor) else a for a in args]
    record_multi("CheckpointFunctionBackward", diff, list(args), vjp,
                 [args[i] for i in tensor_pos])
    return out


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Split a sequence of modules into ``segments`` and checkpoint each one but the last."""
    if isinstance(functions, Iterable) and not callable(functions):
        functions = list(functions)
    else:
        functions = list(functions.children()) if hasattr(functions, "children") else [functions]
    size = max(1, len(functions) // segments)

    def run(start: int, end: int) -> Callable:
        def forward(x: Tensor) -> Tensor:
            for f in functions[start:end + 1]:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant
                           if use_reentrant is not None else False, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
