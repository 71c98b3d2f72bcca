"""Activation checkpointing: keep only a segment's inputs and recompute it in backward.

The two variants are PyTorch's. ``use_reentrant=True`` (the default, with a warning, when
not passed) runs ``fn`` without recording and puts one ``CheckpointFunctionBackward`` node
in place of its graph; that node's backward re-runs ``fn`` with the graph on (and the same
random state, so dropout draws the same mask), differentiates only through tensor
arguments that require grad, and reaches other leaves (a module's parameters) by a nested
``backward`` while the outer one runs. ``use_reentrant=False`` records ``fn``'s own graph
(so its outputs' grad_fn are the real ops') but drops every tensor it saves for backward
through a saved-tensor hook that keeps only an index; the first backward use re-runs ``fn``
from its arguments to make them again. So parameters get gradients even when no argument
requires grad, ``autograd.grad`` and double backward work, and ``fn`` may return any tree.
Peak memory then holds one segment's activations.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._tensor import Tensor
from ..autograd import _saved_hooks, grad_mode
from ..autograd import graph as _graph
from ..autograd._api import backward as _backward
from ..ops import autocast_mode as _am
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


class _AutocastSnapshot:
    """The autocast state (on or off, dtype, cache) of the CPU and of every other device type
    the arguments live on, as the segment ran forward: its recomputation in backward runs in
    it, as PyTorch's does (backward itself runs outside any autocast region)."""

    def __init__(self, args: tuple) -> None:
        types = ["cpu"]
        for a in args:
            if isinstance(a, Tensor) and a.device.type not in types:
                types.append(a.device.type)
        cache = _am.is_autocast_cache_enabled()
        self.states = [(t, _am.is_autocast_enabled(t), _am.get_autocast_dtype(t), cache)
                       for t in types if _am.is_autocast_available(t)]

    def regions(self) -> contextlib.ExitStack:
        """The saved states entered, as one context manager."""
        stack = contextlib.ExitStack()
        for t, on, dtype, cache in self.states:
            stack.enter_context(_am.autocast(t, dtype=dtype, enabled=on, cache_enabled=cache))
        return stack


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, early_stop: bool = True,
               respect_saved_tensors_hooks: bool | None = None, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` saving only its inputs; recompute it in backward."""
    if use_reentrant is None:
        warnings.warn(_DEFAULT_REENTRANT, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None or debug or respect_saved_tensors_hooks is not None:
            raise ValueError("Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` "
                             "is only supported when use_reentrant=False.")
        return _reentrant(function, args, preserve_rng_state)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    return _non_reentrant(function, args, kwargs, preserve_rng_state)


def _reentrant(function: Callable, args: tuple, preserve_rng_state: bool) -> Any:
    rng = _RngSnapshot(args) if preserve_rng_state else None
    amp = _AutocastSnapshot(args)
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
        with grad_mode.enable_grad(), amp.regions():
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


class _Recomputed:
    """The tensors one recomputation of a segment saved, in the order its ops saved them."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self.run = run
        self.saved: dict[int, Tensor] = {}

    def get(self, k: int) -> Tensor:
        """Saved tensor ``k``: the segment is re-run (once per backward pass) to make it."""
        if k not in self.saved:
            found: list = []
            # under create_graph the tensors keep their graph (double backward goes on);
            # otherwise detached, so that nothing holds the recomputed graph
            connected = grad_mode.state.enabled

            def keep(t: Tensor) -> int:
                found.append(t if connected else t.detach())
                return len(found) - 1

            with _saved_hooks.saved_tensors_hooks(keep, lambda i: found[i]), \
                    grad_mode.enable_grad():
                self.run()
            self.saved = dict(enumerate(found))
        return self.saved.pop(k)


def _non_reentrant(function: Callable, args: tuple, kwargs: dict,
                   preserve_rng_state: bool) -> Any:
    """PyTorch's non-reentrant variant: ``function``'s own graph is recorded, but every
    tensor it saves for backward is dropped (a saved-tensor hook keeps its index only) and
    made again by re-running ``function`` when backward first asks for one."""
    rng = _RngSnapshot(args) if preserve_rng_state else None
    if not grad_mode.state.enabled:
        return function(*args, **kwargs)
    versions = [(a, a._vc[0]) for a in args if isinstance(a, Tensor)]
    amp = _AutocastSnapshot(args)

    def rerun() -> Any:  # from the arguments themselves, so create_graph reaches them
        for a, v in versions:  # PyTorch saves the arguments: an in-place change fails
            if a._vc[0] != v:
                raise RuntimeError(_graph.modified_message(a, v, a.grad_fn, a._out_nr))
        with amp.regions():
            if rng is None:
                return function(*args, **kwargs)
            return rng.replay(lambda: function(*args, **kwargs))

    store = _Recomputed(rerun)
    count = [0]

    def pack(t: Tensor) -> int:
        count[0] += 1
        return count[0] - 1

    with _saved_hooks.saved_tensors_hooks(pack, store.get):
        return function(*args, **kwargs)


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
