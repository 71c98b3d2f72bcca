"""``ember._dynamo``: the parts of ``torch._dynamo`` that programs touch (``reset``,
``config.suppress_errors``, ``disable``, ``mark_dynamic``) for a framework that compiles
nothing: every call leaves code running eagerly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..compiler import (
    allow_in_graph,
    assume_constant_result,
    disable,
    is_compiling,
    reset,
    set_stance,
    substitute_in_graph,
)
from . import config, exc
from .exc import lookup_backend

__all__ = ["allow_in_graph", "assume_constant_result", "config", "disable", "exc",
           "is_compiling", "list_backends", "lookup_backend", "mark_dynamic", "mark_static",
           "mark_static_address", "maybe_mark_dynamic", "optimize", "reset", "set_stance",
           "substitute_in_graph"]

# PyTorch's registered backends; ``list_backends`` leaves out the debug and experimental ones
BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_default_partitioner",
            "aot_ts", "cudagraphs", "eager", "eager_debug", "eager_noexcept", "inductor",
            "openxla", "openxla_eval", "pre_dispatch_eager", "ts", "tvm")
_LISTED = ("cudagraphs", "inductor", "openxla", "tvm")


def list_backends(exclude_tags: tuple | None = ("debug", "experimental")) -> list[str]:
    """The backend names ``compile`` accepts (all run the program eagerly in Ember)."""
    return sorted(_LISTED if exclude_tags else BACKENDS)


def mark_dynamic(t: Any, index: Any, *, min: Any = None, max: Any = None,  # noqa: A002
                 specialize_on: Any = None) -> None:
    """Mark a dimension dynamic: shapes never specialise in eager Ember."""


def maybe_mark_dynamic(t: Any, index: Any) -> None:
    """As ``mark_dynamic``: nothing to record."""


def mark_static(t: Any, index: Any = None) -> None:
    """Mark a dimension static: nothing to record."""


def mark_static_address(t: Any, guard: bool = True) -> None:
    """Mark a tensor's address static: nothing to record."""


def optimize(backend: Any = "inductor", *, nopython: bool = False, guard_export_fn: Any = None,
             guard_fail_fn: Any = None, disable: bool = False, dynamic: Any = None,
             **kwargs: Any) -> Callable[[Callable], Callable]:
    """The older spelling of ``compile``: a decorator that returns its function."""
    lookup_backend(backend)
    return lambda fn: fn
