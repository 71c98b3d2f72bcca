"""``ember.extend``: the small public surface for people who add ops and backends.

An op is a function over a backend's array namespace plus a derivative. Write the
forward with ``xp = namespace(t)`` and ``wrap(array, like)``, and attach the
derivative with ``record(name, out, inputs, vjp, saved)``; ``vjp(grad, *saved)``
returns one gradient per input, written with Ember ops so it is differentiable
again. Domain packages register named ops through the ``ember_register_ops`` hook;
a backend may override an op's forward kernel by name (``"core::conv2d"``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._tensor import Tensor, make
from .backends.base import Backend
from .backends.registry import BackendRegistry
from .backends.registry import registry as backend_registry
from .ops._dispatch import binary, needs_grad, record, record_multi, renamed, sum_to, xp_of

__all__ = ["Tensor", "Backend", "BackendRegistry", "backend_registry", "namespace", "wrap",
           "record", "record_multi", "renamed", "needs_grad", "binary", "sum_to", "OpRegistry", "OpDef",
           "ops", "register_op", "register_kernel", "kernel_for"]


def namespace(t: Tensor) -> Any:
    """The array namespace of a tensor's backend (``numpy``, ``cupy``, ...)."""
    return xp_of(t)


def wrap(array: Any, like: Tensor) -> Tensor:
    """A tensor over ``array`` on the same device as ``like`` (no copy)."""
    return make(array, like._device)


@dataclass(frozen=True)
class OpDef:
    """A named op: its Python function, the package that gave it, and a docstring."""

    name: str
    fn: Callable[..., Any]
    domain: str


class OpRegistry:
    """Named ops from domain packages (``vision::nms``); filled by ``ember_register_ops``."""

    def __init__(self) -> None:
        self._ops: dict[str, OpDef] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def add(self, name: str, fn: Callable[..., Any], domain: str | None = None) -> None:
        if "::" not in name:
            raise ValueError(f"op names are qualified by their package, like 'vision::nms'; "
                             f"got {name!r}")
        dom = domain or name.split("::", 1)[0]
        existing = self._ops.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"op {name!r} is already registered by {existing.fn.__module__}")
        self._ops[name] = OpDef(name, fn, dom)

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                from .plugins.manager import plugin_manager

                plugin_manager.load_group()
                plugin_manager.hook.ember_register_ops(registry=self)
                self._loaded = True

    def get(self, name: str) -> Callable[..., Any]:
        self._ensure_loaded()
        try:
            return self._ops[name].fn
        except KeyError:
            raise RuntimeError(f"no op named {name!r} is registered; installed: "
                               f"{', '.join(sorted(self._ops)) or 'none'}") from None

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._ops)


ops = OpRegistry()


def register_op(name: str) -> Callable[[Callable], Callable]:
    """Decorator: register a function as the op ``name`` (e.g. ``"mypkg::fused_gelu"``)."""
    def wrap_fn(fn: Callable) -> Callable:
        ops.add(name, fn)
        return fn

    return wrap_fn


def register_kernel(op_name: str, device_type: str) -> Callable[[Callable], Callable]:
    """Decorator: a backend's faster forward for ``op_name``, over backend arrays."""
    def wrap_fn(fn: Callable) -> Callable:
        backend_registry.get(device_type).kernels[op_name] = fn
        return fn

    return wrap_fn


def kernel_for(op_name: str, t: Tensor) -> Callable[..., Any] | None:
    """The override a tensor's backend has for ``op_name``, or None (use the generic op)."""
    return t._device._backend.kernels.get(op_name)
