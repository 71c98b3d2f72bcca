"""``register_multi_grad_hook``: one hook over the gradients of several tensors.

With ``mode="all"`` the hook runs once per backward pass, after it ends, with the gradient of
each tensor (None for those the pass did not reach); with ``mode="any"`` it runs with the
first of them to arrive. Built from plain tensor hooks and the engine's final callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .graph import RemovableHandle, _tasks

__all__ = ["register_multi_grad_hook"]


class _MultiHandle(RemovableHandle):
    """Removes every per-tensor hook at once."""

    def __init__(self, handles: list) -> None:
        self._handles = handles

    def remove(self) -> None:
        for h in self._handles:
            h.remove()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Sequence[Any], fn: Callable, *,
                             mode: str = "all") -> RemovableHandle:
    """Call ``fn`` with the gradients of ``tensors`` (``mode="all"``: a tuple, once they are
    all computed; a list) or with the first of them (``mode="any"``), once per backward pass."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state: dict = {}  # id of the running pass's callback list -> gradients (or True for any)

    def make(i: int) -> Callable:
        def hook(g: Any) -> None:
            task = _tasks[-1] if _tasks else None
            key = id(task)
            if mode == "any":
                if key not in state:
                    state[key] = True
                    if task is not None:
                        task.append(lambda: state.pop(key, None))
                    fn(g)
                return
            grads = state.get(key)
            if grads is None:
                grads = state[key] = [None] * len(tensors)

                def done() -> None:
                    fn(state.pop(key))

                if task is not None:
                    task.append(done)
            grads[i] = g

        return hook

    return _MultiHandle([t.register_hook(make(i)) for i, t in enumerate(tensors)
                         if t.requires_grad])
