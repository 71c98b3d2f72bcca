"""``torch.autograd.graph``'s context managers over saved tensors, and its small helpers.

``saved_tensors_hooks(pack, unpack)``: every tensor an op saves for backward while the
context is active goes through ``pack`` at once, and ``unpack`` gives it back when
backward (or ``grad_fn.saved_tensors``) needs it. ``save_on_cpu`` is such a pair that keeps
saved tensors on the host; ``disable_saved_tensors_hooks`` forbids registering hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from . import graph
from ._multi_hook import register_multi_grad_hook

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "GradientEdge", "get_gradient_edge", "increment_version", "register_multi_grad_hook"]

_disabled: list = [None]  # the error message while hooks are disabled


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor) -> obj`` when an op saves a tensor for backward,
    ``unpack_hook(obj) -> tensor`` when backward uses it (innermost pair wins)."""

    def __init__(self, pack_hook: Callable[[Any], Any],
                 unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        graph._saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: Any) -> None:
        graph._saved_hooks.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU (optionally pinned) and moved back to their device
    when backward needs them: less accelerator memory for a copy each way."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t: Any) -> tuple:
            if pin_memory and t.device.type != "cpu":
                return t.device, t.cpu().pin_memory()
            return t.device, t.cpu()

        def unpack(packed: tuple) -> Any:
            device, t = packed
            return t.to(device, non_blocking=pin_memory)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Context manager (and decorator) under which registering ``saved_tensors_hooks``
    raises a RuntimeError with ``error_message``."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._prev = _disabled[0]
        _disabled[0] = self.error_message

    def __exit__(self, *exc: Any) -> None:
        _disabled[0] = self._prev

    def __call__(self, fn: Callable) -> Callable:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper


class GradientEdge(NamedTuple):
    """An edge of the graph: the node a gradient flows into, and which of its outputs."""

    node: Any
    output_nr: int


def get_gradient_edge(tensor: Any) -> GradientEdge:
    """The edge through which ``tensor``'s gradient flows (its grad_fn, or its leaf's
    AccumulateGrad); usable as an ``inputs`` entry of ``autograd.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that "
                           "does not require gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)


def increment_version(tensor: Any) -> None:
    """Bump the version counter(s), as an in-place op would (for writes autograd can't see)."""
    for t in tensor if isinstance(tensor, (list, tuple)) else (tensor,):
        t._vc[0] += 1
