"""``Proxy``: the stand-in value that flows through ``forward`` during symbolic tracing.

Every operator, attribute read and method call on a Proxy records a node in the tracer's
graph and returns a new Proxy; using a Proxy's *value* (``if``, ``len``, a ``for`` loop)
is impossible and raises ``TraceError``, as in torch.fx.
"""

from __future__ import annotations

import dis
import inspect
import operator
import sys
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from .node import Node, magic_methods, reflectable_magic_methods

__all__ = ["Proxy", "Attribute", "TraceError"]


class TraceError(ValueError):
    """A traced value was used in a way a graph cannot record (control flow, iteration)."""


class Proxy:
    """A value of the traced program: ``node`` is the graph node that produces it."""

    def __init__(self, node: Node, tracer: Any = None) -> None:
        if tracer is None:
            from ._symbolic_trace import Tracer

            tracer = Tracer()
            tracer.graph = node.graph
        self.tracer = tracer
        self.node = node

    def __repr__(self) -> str:
        return f"Proxy({self.node.name})"

    def __getattr__(self, k: str) -> Attribute:
        if k.startswith("__") and k.endswith("__"):  # copy/pickle/numpy probes
            raise AttributeError(k)
        return Attribute(self, k)

    def __call__(self, *args: Any, **kwargs: Any) -> Proxy:
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self) -> Iterator[Proxy]:
        frame = inspect.currentframe()
        calling = frame.f_back if frame is not None else None
        if calling is not None:
            insts = list(dis.get_instructions(calling.f_code))
            if sys.version_info >= (3, 11):
                idx = bisect_left(insts, calling.f_lasti, key=lambda x: x.offset)
            else:
                idx = calling.f_lasti // 2
            if idx < len(insts) and insts[idx].opname == "UNPACK_SEQUENCE":
                # `a, b = proxy` is fine: it is two getitem nodes
                return (self[i] for i in range(insts[idx].argval))
        return self.tracer.iter(self)

    def __bool__(self) -> bool:
        return self.tracer.to_bool(self)

    def __len__(self) -> int:
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you "
                           "want this call to be recorded, please call torch.fx.wrap('len') "
                           "at module scope")

    def keys(self) -> Any:
        return self.tracer.keys(self)

    def __deepcopy__(self, memo: dict) -> Proxy:
        return self  # proxies stand for values of one trace; copying one makes no sense


class Attribute(Proxy):
    """``proxy.name``: a ``getattr`` node, made only if the value is used; called, it is a
    ``call_method`` node instead."""

    def __init__(self, root: Proxy, attr: str) -> None:
        self.root = root
        self.attr = attr
        self.tracer = root.tracer
        self._node: Node | None = None

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr,
                                                  (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args: Any, **kwargs: Any) -> Proxy:
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _define_magic(method: str) -> None:
    target = getattr(operator, method)

    def impl(*args: Any, **kwargs: Any) -> Proxy:
        return args[0].tracer.create_proxy("call_function", target, args, kwargs)

    impl.__name__ = method
    setattr(Proxy, f"__{method.strip('_')}__", impl)


def _define_reflected(method: str) -> None:
    target = getattr(operator, method)

    def impl(self: Proxy, rhs: Any) -> Proxy:
        return self.tracer.create_proxy("call_function", target, (rhs, self), {})

    impl.__name__ = f"__r{method.strip('_')}__"
    setattr(Proxy, impl.__name__, impl)


for _method in magic_methods:
    _define_magic(_method)
for _method in reflectable_magic_methods:
    if _method != "getitem":
        _define_reflected(_method)
