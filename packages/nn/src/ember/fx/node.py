"""``Node``: one operation of an FX graph, linked to its neighbours and to its users.

A node's ``args``/``kwargs`` may hold other nodes nested in tuples, lists, dicts and
slices; setting them keeps every input node's ``users`` in step, which is what makes
``replace_all_uses_with`` and dead-code elimination cheap.
"""

from __future__ import annotations

import builtins
import operator
import types
from collections.abc import Callable
from typing import Any

__all__ = ["Node", "map_arg", "map_aggregate", "Argument", "Target"]

Target = Any  # a callable (call_function) or a str (the other ops)
Argument = Any  # Node, or tuples/lists/dicts/slices of Arguments, or a constant

_OPS = ("placeholder", "call_method", "call_module", "call_function", "get_attr", "output",
        "root")

# functions whose calls are kept by dead-code elimination (filled by the tracer module)
_side_effectful_functions: set[Callable] = set()

# qualified names of Ember functions, filled when their namespaces are patched for tracing
_qualified_names: dict[int, str] = {}


class _ImmutableDict(dict):
    """``Node.kwargs``: a dict that refuses in-place edits (assign a new dict instead)."""

    def _no_mutation(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "'immutable_dict' object does not support mutation. If you are attempting to "
            "modify the kwargs or args of a torch.fx.Node object, instead create a new copy "
            "of it and assign the copy to the node:\n    new_args = ... # copy and mutate "
            "args\n    node.args = new_args\n")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _no_mutation

    def __reduce__(self) -> tuple:
        return (_ImmutableDict, (dict(self),))


def map_aggregate(a: Argument, fn: Callable[[Argument], Argument]) -> Argument:
    """Apply ``fn`` to every leaf of ``a``, rebuilding tuples, lists, dicts and slices."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(elem, fn) for elem in a)
        return t if not hasattr(a, "_fields") else type(a)(*t)  # NamedTuple
    if isinstance(a, list):
        return [map_aggregate(elem, fn) for elem in a]
    if isinstance(a, dict):
        out = {k: map_aggregate(v, fn) for k, v in a.items()}
        return _ImmutableDict(out) if isinstance(a, _ImmutableDict) else out
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn),
                     map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a: Argument, fn: Callable[[Node], Argument]) -> Argument:
    """Apply ``fn`` to every ``Node`` inside ``a``."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _qualified_name(func: Callable) -> str:
    """``operator.add``, ``builtins.getattr``, ``ember.relu``, ``ember.nn.functional.relu``."""
    known = _qualified_names.get(id(func))
    if known is None and (getattr(func, "__module__", None) or "").startswith("ember"):
        from ._symbolic_trace import _ember_patches  # fills the names (once) for a graph built
        _ember_patches()  # by hand, before any tracing
        known = _qualified_names.get(id(func))
    if known is not None:
        return known
    if getattr(builtins, getattr(func, "__name__", ""), None) is func:
        return f"builtins.{func.__name__}"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or ""
    module = "operator" if module == "_operator" else module
    return f"{module}.{name}" if module else name


def _type_repr(obj: Any) -> str:
    """How a node's annotation prints in ``print(graph)``: ``int``, ``ember.Tensor``,
    ``typing.Optional[int]``, ``'Any'`` (a string annotation)."""
    if isinstance(obj, type):
        if obj.__module__ == "builtins":
            return obj.__qualname__
        if obj.__module__.startswith("ember") and _ember_public(obj):
            return f"ember.{obj.__qualname__}"
        return f"{obj.__module__}.{obj.__qualname__}"
    if obj is ...:
        return "..."
    if isinstance(obj, types.FunctionType):
        return obj.__name__
    return repr(obj)


def _ember_public(obj: Any) -> bool:
    import ember

    return getattr(ember, obj.__qualname__, None) is obj


def _format_arg(arg: Any) -> str:
    if isinstance(arg, list):
        return f"[{', '.join(_format_arg(a) for a in arg)}]"
    if isinstance(arg, tuple):
        return f"({', '.join(_format_arg(a) for a in arg)}{',' if len(arg) == 1 else ''})"
    if isinstance(arg, dict):
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in arg.items()) + "}"
    if isinstance(arg, Node):
        return "%" + str(arg)
    return str(arg)


class Node:
    """One operation: ``op`` (placeholder, get_attr, call_function, call_method, call_module,
    output), its ``target``, its inputs ``args``/``kwargs``, and the nodes that use it."""

    def __init__(self, graph: Any, name: str, op: str, target: Target, args: tuple,
                 kwargs: dict, return_type: Any = None) -> None:
        if op not in _OPS:
            raise AssertionError(f"Unknown op {op!r}")
        if op == "call_function" and not callable(target):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has "
                             f"type {type(target)} but a Callable is expected")
        if op in ("placeholder", "call_method", "call_module", "get_attr", "output") \
                and not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has "
                             f"type {type(target)} but a str is expected")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes: dict[Node, None] = {}
        self._args: tuple = ()
        self._kwargs: dict = _ImmutableDict()
        self.users: dict[Node, None] = {}
        self.type = return_type
        self._prev = self
        self._next = self
        self._erased = False
        self.meta: dict[str, Any] = {}
        self.stack_trace: str | None = None
        self.__update_args_kwargs(args, kwargs)

    # ------------------------------------------------------------------ linked list
    @property
    def next(self) -> Node:
        return self._next

    @property
    def prev(self) -> Node:
        return self._prev

    def prepend(self, x: Node) -> None:
        """Insert ``x`` before this node (moving it if it is elsewhere in the graph)."""
        if self.graph is not x.graph:
            raise AssertionError("Attempting to move a Node into a different Graph")
        if self is x:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x: Node) -> None:
        """Insert ``x`` after this node."""
        self._next.prepend(x)

    def _remove_from_list(self) -> None:
        p, n = self._prev, self._next
        p._next, n._prev = n, p
        self._prev = self._next = self

    # ------------------------------------------------------------------ inputs
    @property
    def args(self) -> tuple:
        return self._args

    @args.setter
    def args(self, a: tuple) -> None:
        self.__update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self) -> dict:
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k: dict) -> None:
        self.__update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self) -> list[Node]:
        """The distinct nodes among ``args`` and ``kwargs``, in order of appearance."""
        return list(self._input_nodes)

    def update_arg(self, idx: int, arg: Argument) -> None:
        args = list(self.args)
        args[idx] = arg
        self.args = tuple(args)

    def update_kwarg(self, key: str, arg: Argument) -> None:
        self.kwargs = {**self.kwargs, key: arg}

    def __update_args_kwargs(self, new_args: Any, new_kwargs: Any) -> None:
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._input_nodes = {}

        def collect(n: Node) -> Node:
            if n.graph is not self.graph and self.op != "root":
                raise AssertionError(f"Argument '{n}' of Node '{self}' was used before it has "
                                     "been defined! Please check that Nodes in the graph are "
                                     "topologically ordered")
            self._input_nodes.setdefault(n)
            return n

        self._args = tuple(map_arg(tuple(new_args), collect))
        self._kwargs = _ImmutableDict(map_arg(dict(new_kwargs), collect))
        for n in self._input_nodes:
            n.users.setdefault(self)

    def replace_all_uses_with(self, replace_with: Node,
                              delete_user_cb: Callable[[Node], bool] = lambda user: True, *,
                              propagate_meta: bool = False) -> list[Node]:
        """Make every user of this node use ``replace_with`` instead; returns those users."""
        if propagate_meta:
            if replace_with.meta:
                raise AssertionError("Called node.replace_all_uses_with(replace_with, "
                                     "propagate_meta=True), but replace_with already has "
                                     ".meta keys")
            replace_with.meta.update(self.meta)
        to_process = [u for u in self.users if delete_user_cb(u)]
        for use_node in to_process:
            use_node.replace_input_with(self, replace_with)
        return to_process

    def replace_input_with(self, old_input: Node, new_input: Node) -> None:
        """Replace every use of ``old_input`` among this node's inputs by ``new_input``."""
        def swap(n: Node) -> Node:
            return new_input if n is old_input else n

        self.__update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    # ------------------------------------------------------------------ queries
    def is_impure(self) -> bool:
        """Whether dead-code elimination must keep this node."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_function":
            return self.target in _side_effectful_functions
        if self.op == "call_module":
            owner = self.graph.owning_module
            if owner is None:
                raise AssertionError("self.graph.owning_module not set for purity check")
            return bool(getattr(owner.get_submodule(self.target), "_is_impure", False))
        return False

    def format_node(self) -> str:
        """The node's line in ``print(graph)``."""
        head = (f"%{self.name} : {_type_repr(self.type) + ' ' if self.type is not None else ''}"
                f"[num_users={len(self.users)}] = ")
        if self.op == "placeholder":
            default = f"(default={self.args[0]})" if self.args else ""
            return f"{head}placeholder[target={self.target}]{default}"
        if self.op == "get_attr":
            return f"{head}get_attr[target={self._pretty_print_target(self.target)}]"
        if self.op == "output":
            return f"return {self.args[0]}"
        return (f"{head}"
                f"{self.op}[target={self._pretty_print_target(self.target)}]("
                f"args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})")

    @staticmethod
    def _pretty_print_target(target: Target) -> str:
        if isinstance(target, str):
            return target
        return _qualified_name(target) if callable(target) else str(target)

    def __repr__(self) -> str:
        return self.name


# operator targets whose generated code is the operator itself ("{} + {}")
magic_methods = {
    "eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}",
    "ge": "{} >= {}", "pos": "+{}", "neg": "-{}", "invert": "~{}", "add": "{} + {}",
    "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}", "truediv": "{} / {}",
    "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}", "rshift": "{} >> {}",
    "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}", "getitem": "{}[{}]",
    "matmul": "{} @ {}"}
reflectable_magic_methods = {k: v for k, v in magic_methods.items()
                             if k not in ("eq", "ne", "lt", "gt", "le", "ge", "pos", "neg",
                                          "invert")}
_operator_templates = {getattr(operator, k): v for k, v in magic_methods.items()}
