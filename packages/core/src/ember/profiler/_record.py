"""Collecting profiler events: user ranges (``record_function``) and op calls.

Nothing here runs while no profiler collects: ``record_function`` checks one flag, and
op calls are seen by wrapping Ember's public op entry points (``ember.*``, Tensor
methods and operators, ``ember.nn.functional``, ``ember.linalg``, ``ember.fft``,
``ember.special``) only while a profiler is active; they are unwrapped when it stops, so
the op hot path is untouched outside profiling. Each wrapper records one event named as
PyTorch's profiler names the op (``aten::conv2d``), with its time, thread, input shapes,
memory of its outputs and Python stack where asked.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

__all__ = ["record_function", "RawEvent", "collector"]


class RawEvent:
    """One open or closed range: an op call or a user range."""

    __slots__ = ("name", "start", "end", "tid", "children", "parent", "shapes", "stack",
                 "mem", "flops", "user", "id")

    def __init__(self, name: str, user: bool, parent: RawEvent | None) -> None:
        self.name = name
        self.user = user
        self.parent = parent
        self.children: list[RawEvent] = []
        self.tid = threading.get_ident()
        self.shapes: list | None = None
        self.stack: list[str] | None = None
        self.mem = 0
        self.flops = 0
        self.end = 0
        self.start = time.perf_counter_ns()


class _Collector:
    """The events of the profiler now collecting (at most one at a time)."""

    def __init__(self) -> None:
        self.active = False
        self.record_shapes = self.profile_memory = self.with_stack = self.with_flops = False
        self.events: list[RawEvent] = []
        self.local = threading.local()
        self.lock = threading.Lock()
        self.next_id = 0

    def stack(self) -> list[RawEvent]:
        s = getattr(self.local, "stack", None)
        if s is None:
            s = self.local.stack = []
        return s

    def open(self, name: str, user: bool, args: tuple = (), kwargs: dict | None = None
             ) -> RawEvent:
        stack = self.stack()
        ev = RawEvent(name, user, stack[-1] if stack else None)
        if self.record_shapes and not user:
            ev.shapes = _shapes(args, kwargs)
        if self.with_stack:
            ev.stack = _python_stack()
        stack.append(ev)
        return ev

    def close(self, ev: RawEvent) -> None:
        ev.end = time.perf_counter_ns()
        stack = self.stack()
        if stack and stack[-1] is ev:
            stack.pop()
        elif ev in stack:  # ranges closed out of order: close the inner ones with it
            del stack[stack.index(ev):]
        if ev.parent is not None:
            ev.parent.children.append(ev)
        with self.lock:
            ev.id = self.next_id
            self.next_id += 1
            self.events.append(ev)

    def take(self) -> list[RawEvent]:
        """The closed events so far (the collector starts empty again)."""
        with self.lock:
            events, self.events = self.events, []
        return events


collector = _Collector()


def _shapes(args: tuple, kwargs: dict | None) -> list:
    from .._tensor import Tensor

    values = list(args) + (list(kwargs.values()) if kwargs else [])
    return [list(v.shape) if isinstance(v, Tensor) else [] for v in values]


_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_stack() -> list[str]:
    """The user's frames, innermost first, as PyTorch prints them: ``file(line): func``."""
    frames = traceback.extract_stack()[:-3]
    return [f"{f.filename}({f.lineno}): {f.name}" for f in reversed(frames)
            if not f.filename.startswith(_EMBER_DIR)]


class record_function:
    """A named range in the profile, around a block (``with``) or a function (decorator).
    Costs one flag check when no profiler is collecting."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._event: RawEvent | None = None

    def __enter__(self) -> record_function:
        if collector.active:
            self._event = collector.open(self.name, True)
        return self

    def __exit__(self, *exc: Any) -> None:
        ev, self._event = self._event, None
        if ev is not None and collector.active:
            collector.close(ev)

    def __call__(self, fn: Callable) -> Callable:
        name, args = self.name, self.args

        @functools.wraps(fn)
        def ranged(*a: Any, **k: Any) -> Any:
            with record_function(name, args):
                return fn(*a, **k)

        return ranged


# ------------------------------------------------------------------ op interception
# Tensor operators and methods whose PyTorch profiler name differs from "aten::<name>"
_RENAMED = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
    "__rsub__": "rsub", "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul",
    "__imul__": "mul_", "__truediv__": "div", "__rtruediv__": "div", "__itruediv__": "div_",
    "__floordiv__": "floor_divide", "__rfloordiv__": "floor_divide", "__mod__": "remainder",
    "__rmod__": "remainder", "__pow__": "pow", "__rpow__": "pow", "__ipow__": "pow_",
    "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg", "__abs__": "abs",
    "__invert__": "bitwise_not", "__and__": "__and__", "__or__": "__or__",
    "__xor__": "__xor__", "__lshift__": "__lshift__", "__rshift__": "__rshift__",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__eq__": "eq",
    "__ne__": "ne", "__setitem__": "copy_",
    "cross_entropy": "cross_entropy_loss", "float": "to", "double": "to", "half": "to",
    "bfloat16": "to", "int": "to", "long": "to", "short": "to", "bool": "to", "byte": "to",
    "char": "to", "cpu": "to", "cuda": "to", "type_as": "to",
}
# Tensor methods that are ops without an ``ember.*`` function of the same name
_METHOD_OPS = {"view", "view_as", "expand", "expand_as", "repeat", "to", "item", "copy_",
               "reshape_as", "unfold", "new_empty", "new_full", "new_ones", "new_zeros",
               "new_tensor", "float", "double", "half", "bfloat16", "int", "long", "short",
               "bool", "byte", "char", "cpu", "cuda", "type_as", "sum_to_size"}
_NOT_OPS = {"backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
            "requires_grad_", "apply_", "map_", "map2_", "share_memory_", "broadcast_shapes",
            "from_numpy", "from_dlpack", "frombuffer", "autocast", "numel", "typename",
            "resize", "resize_as"}
_NAMESPACES = (("ember", ""), ("ember.ops", ""), ("ember.nn.functional", ""),
               ("ember.linalg", "linalg_"), ("ember.fft", "fft_"), ("ember.special", "special_"))


def _is_op_name(name: str) -> bool:
    return not (name.startswith(("_", "is_", "get_", "set_")) or name in _NOT_OPS)


def _getitem_name(key: Any) -> str:
    from .._tensor import Tensor

    keys = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, (Tensor, list)) or hasattr(k, "__array__") for k in keys):
        return "aten::index"
    if any(isinstance(k, int) and not isinstance(k, bool) for k in keys):
        return "aten::select"
    return "aten::slice"


def _root(arr: Any) -> Any:
    while getattr(arr, "base", None) is not None:
        arr = arr.base
    return arr


def _nbytes(out: Any, args: tuple) -> int:
    """Bytes of the new CPU buffers behind an op's outputs: an output whose memory belongs
    to an input (a view of it, or the input written in place) allocated nothing."""
    from .._tensor import Tensor

    outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(t, Tensor) and t._device.type == "cpu"]
    if not outs:
        return 0
    inputs = {id(_root(a._data)) for a in args if isinstance(a, Tensor)}
    seen: set[int] = set()
    total = 0
    for t in outs:
        root = _root(t._data)
        if id(root) not in inputs and id(root) not in seen:
            seen.add(id(root))
            total += int(getattr(root, "nbytes", 0))
    return total


def _wrap(fn: Callable, name: str, flops: Callable | None) -> Callable:
    col = collector

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if not col.active:
            return fn(*args, **kwargs)
        stack = col.stack()
        if stack and stack[-1].name == name and not stack[-1].user:
            return fn(*args, **kwargs)  # one op delegating to its own other entry point
        ev = col.open(name, False, args, kwargs)
        try:
            out = fn(*args, **kwargs)
        finally:
            col.close(ev)
        if col.profile_memory:
            ev.mem = _nbytes(out, args)
        if col.with_flops and flops is not None:
            ev.flops = flops(args, kwargs, out)
        return out

    op.__ember_profiled__ = fn
    return op


def _wrap_getitem(fn: Callable) -> Callable:
    col = collector

    @functools.wraps(fn)
    def getitem(self: Any, key: Any) -> Any:
        if not col.active:
            return fn(self, key)
        ev = col.open(_getitem_name(key), False, (self,), None)
        try:
            return fn(self, key)
        finally:
            col.close(ev)

    getitem.__ember_profiled__ = fn
    return getitem


class _Patches:
    """The op wrappers installed while a profiler is active (by reference count)."""

    def __init__(self) -> None:
        self.users = 0
        self.saved: list[tuple[Any, str, Any, bool]] = []  # (owner, name, original, had it)
        self.lock = threading.Lock()

    def install(self) -> None:
        with self.lock:
            self.users += 1
            if self.users == 1:
                self._install()

    def uninstall(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                for owner, name, original, had in reversed(self.saved):
                    if had:
                        setattr(owner, name, original)
                    elif name in vars(owner):
                        delattr(owner, name)
                self.saved.clear()
                # names an ``ember.__getattr__`` lookup cached while profiling
                for mod_name, _ in _NAMESPACES:
                    mod = sys.modules.get(mod_name)
                    if mod is not None:
                        for k, v in list(vars(mod).items()):
                            if hasattr(v, "__ember_profiled__"):
                                setattr(mod, k, v.__ember_profiled__)

    def _set(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        self.saved.append((owner, name, vars(owner).get(name), had))
        setattr(owner, name, value)

    def _install(self) -> None:
        from .. import ops
        from .._tensor import Tensor
        from ._flops import FLOPS

        ops.load_all()
        op_names = {n for n in ops.__all__ if _is_op_name(n)}
        wrapped: dict[tuple, Callable] = {}  # one wrapper per function, shared by namespaces

        def wrapper_for(fn: Callable, aten: str) -> Callable:
            w = wrapped.get((id(fn), aten))
            if w is None:
                w = wrapped[(id(fn), aten)] = _wrap(fn, aten, FLOPS.get(aten))
            return w

        for mod_name, prefix in _NAMESPACES:
            mod = sys.modules.get(mod_name)
            if mod is None:
                continue
            names = op_names if mod_name in ("ember", "ember.ops") else \
                [n for n in getattr(mod, "__all__", dir(mod)) if _is_op_name(n)]
            for n in names:
                fn = vars(mod).get(n)
                if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)) and \
                        not hasattr(fn, "__ember_profiled__"):
                    aten = "aten::" + prefix + _RENAMED.get(n, n)
                    self._set(mod, n, wrapper_for(fn, aten))
        for n, fn in list(vars(Tensor).items()):
            if not isinstance(fn, types.FunctionType) or hasattr(fn, "__ember_profiled__"):
                continue
            if n == "__getitem__":
                self._set(Tensor, n, _wrap_getitem(fn))
            elif n in _RENAMED and n.startswith("__") or (_is_op_name(n) and (
                    n in op_names or n in _METHOD_OPS or (n.endswith("_") and n[:-1]))):
                aten = "aten::" + _RENAMED.get(n, n)
                self._set(Tensor, n, wrapper_for(fn, aten))


patches = _Patches()
