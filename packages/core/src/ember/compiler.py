"""``ember.compiler``: PyTorch's compiler controls, for a framework that runs eagerly.

Ember compiles nothing, so code is never being compiled or exported: the decorators return
the function they are given, and the queries answer False. Programs that mark code for
``torch.compiler`` run unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from ._runtime import compile  # noqa: A004 - PyTorch's name

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "reset", "allow_in_graph", "assume_constant_result", "cudagraph_mark_step_begin",
           "set_stance", "substitute_in_graph", "list_backends", "wrap_numpy",
           "nested_compile_region"]


def _returns_fn(fn: Callable | None) -> Any:
    return (lambda f: f) if fn is None else fn


def disable(fn: Callable | None = None, recursive: bool = True, *,
            reason: str | None = None) -> Any:
    """Keep ``fn`` out of compilation: it always is, so ``fn`` itself (or a decorator)."""
    return _returns_fn(fn)


def allow_in_graph(fn: Callable) -> Callable:
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    return fn


def wrap_numpy(fn: Callable) -> Callable:
    return fn


def nested_compile_region(fn: Callable | None = None, **options: Any) -> Any:
    return _returns_fn(fn)


def substitute_in_graph(original_fn: Callable, *, can_constant_fold_through: bool = False,
                        skip_signature_check: bool = False) -> Callable[[Callable], Callable]:
    """The decorated function stays a plain function; ``original_fn`` keeps being called."""
    return lambda fn: fn


def is_compiling() -> bool:
    """Whether the calling code is being compiled: never in Ember."""
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def reset() -> None:
    """Clear compilation caches: there are none."""


def cudagraph_mark_step_begin() -> None:
    """Mark a new CUDA-graph step: Ember records no CUDA graphs."""


def list_backends(exclude_tags: tuple = ("debug", "experimental")) -> list[str]:
    """PyTorch's backend names, which ``compile`` accepts (each runs the program eagerly)."""
    from ._dynamo import list_backends

    return list_backends(exclude_tags)


class set_stance(contextlib.ContextDecorator):
    """Set how compiled code behaves (``"default"``, ``"force_eager"``, ...), as a context
    manager or decorator; every stance runs eagerly in Ember."""

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False,
                 force_backend: str | Callable | None = None) -> None:
        self.stance = stance

    def __enter__(self) -> set_stance:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

