"""``Graph``: the nodes of a traced program in order, with torch.fx's editing API, its
node-naming rules (``add``, ``add_1``, ``layer1_0_conv1``) and its Python code generation."""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .node import Argument, Node, Target, _operator_templates, _qualified_name, _type_repr, map_arg

__all__ = ["Graph", "PythonCode"]

_name_regex = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")
_illegal_char_regex = re.compile("[^0-9a-zA-Z_]+")
_snake_case_sub = re.compile(r"(?<=[a-z])([A-Z])")

# names a node may not take: keywords, builtins, and the globals generated code relies on
_illegal_names: dict[str, Any] = {k: object() for k in keyword.kwlist}
_illegal_names.update(builtins.__dict__)
_custom_builtins: dict[str, Any] = {"inf": math.inf, "nan": math.nan, "NoneType": type(None),
                                    "torch": object(), "ember": object(), "device": object()}
_illegal_names.update(_custom_builtins)


def _snake_case(s: str) -> str:
    """``pascalCase`` -> ``pascal_case``, as torch.fx names nodes."""
    return _snake_case_sub.sub(r"_\1", s).lower()


class _Namespace:
    """Unique Python identifiers: a candidate gets ``_1``, ``_2``, ... when taken or illegal."""

    def __init__(self) -> None:
        self._obj_to_name: dict[int, str] = {}
        self._used_names: set[str] = set()
        self._base_count: dict[str, int] = {}

    def create_name(self, candidate: str, obj: Any) -> str:
        if obj is not None and id(obj) in self._obj_to_name:
            return self._obj_to_name[id(obj)]
        match = _name_regex.match(candidate)
        if match is None:
            candidate = _illegal_char_regex.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = f"_{candidate}"
            match = _name_regex.match(candidate)
        base, num = match.group(1, 2)
        if num is None or candidate in self._used_names:
            num = self._base_count.get(base, 0)
            if _illegal_names.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used_names:
            num += 1
            candidate = f"{base}_{num}"
        self._used_names.add(candidate)
        self._base_count[base] = num
        if obj is not None:
            self._obj_to_name[id(obj)] = candidate
        return candidate

    def copy(self) -> _Namespace:
        ns = _Namespace()
        ns._obj_to_name = dict(self._obj_to_name)
        ns._used_names = set(self._used_names)
        ns._base_count = dict(self._base_count)
        return ns


class _NodeList:
    """``graph.nodes``: a live view of the linked list (len, iteration, reversed)."""

    def __init__(self, graph: Graph, direction: str = "_next") -> None:
        self._graph = graph
        self._dir = direction

    def __len__(self) -> int:
        return self._graph._len

    def __iter__(self) -> Iterator[Node]:
        root = self._graph._root
        cur = getattr(root, self._dir)
        while cur is not root:
            nxt = getattr(cur, self._dir)  # read first: the caller may erase cur
            if not cur._erased:
                yield cur
            cur = nxt

    def __reversed__(self) -> Iterator[Node]:
        return iter(_NodeList(self._graph, "_prev" if self._dir == "_next" else "_next"))


class PythonCode:
    """Generated source of ``forward`` and the globals it needs."""

    def __init__(self, src: str, globals: dict[str, Any]) -> None:
        self.src = src
        self.globals = globals


def _format_target(base: str, target: str) -> str:
    """``self.layer1`` + ``0.conv1`` -> ``getattr(self.layer1, "0").conv1``."""
    r = base
    for e in target.split("."):
        r = f"{r}.{e}" if e.isidentifier() else f'getattr({r}, "{e}")'
    return r


class Graph:
    """The operations of a program, in execution order."""

    def __init__(self, owning_module: Any = None, tracer_cls: type | None = None,
                 tracer_extras: dict | None = None) -> None:
        self._root = Node(self, "", "root", "", (), {})
        self._insert = self._root.prepend
        self._len = 0
        self._graph_namespace = _Namespace()
        self._owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras

    @property
    def owning_module(self) -> Any:
        return self._owning_module

    @owning_module.setter
    def owning_module(self, mod: Any) -> None:
        self._owning_module = mod

    @property
    def nodes(self) -> _NodeList:
        return _NodeList(self)

    def output_node(self) -> Node:
        """The graph's output node."""
        for n in reversed(self.nodes):
            if n.op == "output":
                return n
        raise RuntimeError("Graph has no output node")

    def find_nodes(self, *, op: str, target: Target = None, sort: bool = True) -> list[Node]:
        """The nodes of ``op`` (and ``target``); a call_function search needs its target,
        as PyTorch's (which looks them up by target)."""
        if op == "call_function" and target is None:
            raise AssertionError("target must not be None for call_function op")
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # ------------------------------------------------------------------ creating nodes
    def create_node(self, op: str, target: Target, args: tuple | None = None,
                    kwargs: dict | None = None, name: str | None = None,
                    type_expr: Any = None) -> Node:
        """Create a node and insert it at the current insert point."""
        candidate = name if name is not None else self._target_to_str(target)
        name = self._graph_namespace.create_name(candidate, None)
        n = Node(self, name, op, target, () if args is None else args,
                 {} if kwargs is None else kwargs, type_expr)
        self._insert(n)
        self._len += 1
        return n

    @staticmethod
    def _target_to_str(target: Target) -> str:
        if callable(target):
            op = target.__name__
        else:
            op = target
            if op.startswith("__") and op.endswith("__"):
                op = op[2:-2]
        return _snake_case(op)

    def placeholder(self, name: str, type_expr: Any = None,
                    default_value: Any = inspect.Signature.empty) -> Node:
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args=args, type_expr=type_expr)

    def get_attr(self, qualified_name: str, type_expr: Any = None) -> Node:
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name: str, args: tuple | None = None,
                    kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name: str, args: tuple | None = None,
                    kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function: Callable, args: tuple | None = None,
                      kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_function", the_function, args, kwargs,
                                type_expr=type_expr)

    def output(self, result: Argument, type_expr: Any = None) -> Node:
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def node_copy(self, node: Node, arg_transform: Callable[[Node], Argument] = lambda x: x
                  ) -> Node:
        """Copy ``node`` (from any graph) into this one, mapping its inputs."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        result = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        result.meta = dict(node.meta)
        return result

    def graph_copy(self, g: Graph, val_map: dict[Node, Node],
                   return_output_node: bool = False) -> Any:
        """Copy every node of ``g`` but its output into this graph; returns the output value."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                rv = map_arg(node.args[0], lambda n: val_map[n])
                return (rv, node) if return_output_node else rv
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo: dict | None = None) -> Graph:
        """A copy with new nodes (node by node: a linked list is too deep for recursion)."""
        g = Graph(tracer_cls=self._tracer_cls)
        out = g.graph_copy(self, {}, return_output_node=True)
        if out is not None:
            value, old_output = out
            new_output = g.output(value, type_expr=old_output.type)
            new_output.meta = dict(old_output.meta)
        return g

    # ------------------------------------------------------------------ editing
    @contextmanager
    def _insert_point(self, new_insert: Callable[[Node], None]) -> Iterator[None]:
        orig, self._insert = self._insert, new_insert
        try:
            yield
        finally:
            self._insert = orig

    def inserting_before(self, n: Node | None = None) -> Any:
        """Context manager: new nodes go before ``n`` (the end of the graph when None)."""
        if n is None:
            return self.inserting_after(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert before is not in graph.")
        return self._insert_point(n.prepend)

    def inserting_after(self, n: Node | None = None) -> Any:
        """Context manager: new nodes go right after ``n`` (the start when None)."""
        if n is None:
            return self.inserting_before(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert after is not in graph.")
        return self._insert_point(n.append)

    def erase_node(self, to_erase: Node) -> None:
        """Remove a node that has no users left."""
        if len(to_erase.users) > 0:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had "
                               f"{len(to_erase.users)} users in the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        to_erase.args, to_erase.kwargs = (), {}

    def eliminate_dead_code(self, is_impure_node: Callable[[Node], bool] | None = None
                            ) -> bool:
        """Erase nodes without users that have no side effect; returns whether any went."""
        self.lint()
        changed = False
        for node in reversed(self.nodes):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and len(node.users) == 0:
                self.erase_node(node)
                changed = True
        return changed

    def lint(self) -> None:
        """Check that the graph is well formed: inputs defined before use, names unique,
        ``get_attr``/``call_module`` targets present in the owning module."""
        seen: set[Node] = set()
        names: set[str] = set()
        for node in self.nodes:
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            for arg in node._input_nodes:
                if arg.graph is not self:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' does not belong "
                                       "to this Graph, but was used as an argument! If you "
                                       "are copying nodes from another graph, make sure to "
                                       "use ``arg_transform`` on node_copy() to remap "
                                       "values\n{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' was used before it "
                                       "has been defined! Please check that Nodes in the "
                                       "graph are topologically ordered\n{self}")
            if node.name in names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            names.add(node.name)
            seen.add(node)
            if self.owning_module is not None and node.op in ("get_attr", "call_module"):
                m_itr = self.owning_module
                atoms = node.target.split(".")
                for i, atom in enumerate(atoms):
                    if not hasattr(m_itr, atom):
                        kind = "Module" if node.op == "call_module" else "attribute"
                        raise RuntimeError(f"Node {node} target {node.target} references "
                                           f"nonexistent {kind} {'.'.join(atoms[:i + 1])}")
                    m_itr = getattr(m_itr, atom)

    # ------------------------------------------------------------------ printing
    def __str__(self) -> str:
        lines = ["graph():"] + ["    " + n.format_node() for n in self.nodes]
        return "\n".join(lines)

    def print_tabular(self) -> None:
        """Print the nodes as a table (opcode, name, target, args, kwargs)."""
        rows = [[n.op, n.name, n.target, n.args, n.kwargs] for n in self.nodes]
        headers = ["opcode", "name", "target", "args", "kwargs"]
        try:
            from tabulate import tabulate
        except ImportError:  # the same "simple" table, without the optional dependency
            print(_simple_table(rows, headers))
        else:
            print(tabulate(rows, headers=headers))

    # ------------------------------------------------------------------ code generation
    def python_code(self, root_module: str = "self") -> PythonCode:
        """The source of ``forward`` for this graph, and its globals."""
        return _CodeGen(self, root_module).generate()


def _simple_table(rows: list[list[Any]], headers: list[str]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join(line.rstrip() for line in out)


class _CodeGen:
    """Writes ``def forward(self, ...)`` the way torch.fx does, freeing values after last use."""

    def __init__(self, graph: Graph, root_module: str) -> None:
        self.graph = graph
        self.root = root_module
        self.namespace = graph._graph_namespace.copy()
        import ember

        self.globals: dict[str, Any] = {"ember": ember, "inf": math.inf, "nan": math.nan,
                                        "NoneType": type(None), "device": ember.device}

    def add_global(self, obj: Any, typing: bool = False) -> str:
        if typing:
            qualified = _type_repr(obj)
            if obj is Any or getattr(obj, "__module__", "") == "typing":
                qualified = getattr(obj, "_name", None) or getattr(obj, "__name__", qualified)
                qualified = f"typing.{qualified}"
        else:
            qualified = _qualified_name(obj)
        if qualified.startswith("ember.") and _resolves(qualified, obj):
            return qualified
        if qualified.startswith("builtins.") and getattr(builtins, obj.__name__, None) is obj:
            return obj.__name__
        name = self.namespace.create_name(qualified, obj)
        self.globals[name] = obj
        return name

    def type_repr(self, o: Any) -> str:
        """An annotation in generated code; strings and typing objects become globals."""
        if isinstance(o, str):
            name = self.namespace.create_name(repr(o), o)
            self.globals[name] = o
            return name
        origin, args = getattr(o, "__origin__", None), getattr(o, "__args__", None)
        if origin is not None and args:
            inner = ",".join(self.type_repr(a) for a in args)
            return f"{self.add_global(origin, typing=True)}[{inner}]"
        if o is type(None):
            return "NoneType"
        return self.add_global(o, typing=True)

    def arg(self, a: Any) -> str:
        if isinstance(a, Node):
            return a.name
        if isinstance(a, tuple) and not hasattr(a, "_fields"):
            return f"({', '.join(self.arg(x) for x in a)}{',' if len(a) == 1 else ''})"
        if isinstance(a, list):
            return f"[{', '.join(self.arg(x) for x in a)}]"
        if isinstance(a, dict):
            return "{" + ", ".join(f"{k!r}: {self.arg(v)}" for k, v in a.items()) + "}"
        if isinstance(a, slice):
            return f"slice({self.arg(a.start)}, {self.arg(a.stop)}, {self.arg(a.step)})"
        if a is Ellipsis:
            return "..."
        if isinstance(a, float) and (math.isinf(a) or math.isnan(a)):
            return repr(a)
        if callable(a):
            return self.add_global(a)
        return repr(a)

    def call_args(self, args: tuple, kwargs: dict) -> str:
        parts = [self.arg(a) for a in args] + [f"{k} = {self.arg(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def emit(self, node: Node) -> str:
        name, target, args, kwargs = node.name, node.target, node.args, node.kwargs
        if node.op == "get_attr":
            return f"{name} = {_format_target(self.root, target)}"
        if node.op == "call_module":
            return f"{name} = {_format_target(self.root, target)}({self.call_args(args, kwargs)})"
        if node.op == "call_method":
            return (f"{name} = {self.arg(args[0])}.{target}"
                    f"({self.call_args(args[1:], kwargs)})")
        if node.op == "output":
            return f"return {self.arg(args[0])}"
        template = _operator_templates.get(target) if not kwargs else None
        if template is not None and template.count("{}") == len(args):
            return f"{name} = {template.format(*(self.arg(a) for a in args))}"
        if target is builtins.getattr and len(args) == 2 and isinstance(args[1], str) \
                and args[1].isidentifier() and not kwargs:
            return f"{name} = {self.arg(args[0])}.{args[1]}"
        return f"{name} = {self.add_global(target)}({self.call_args(args, kwargs)})"

    def generate(self) -> PythonCode:
        nodes = list(self.graph.nodes)
        last_uses: dict[Node, list[Node]] = {}
        seen: set[Node] = set()
        for node in reversed(nodes):
            for n in node.all_input_nodes:
                if n not in seen:
                    seen.add(n)
                    last_uses.setdefault(node, []).append(n)
        params: list[str] = []
        body: list[str] = []
        wrapped: dict[str, None] = {}  # functions to re-register with wrap() on exec
        for node in nodes:
            if node.op == "placeholder":
                param = node.target
                if node.type is not None:
                    param += f" : {self.type_repr(node.type)}"
                if node.args:
                    param += f" = {self.arg(node.args[0])}"
                params.append(param)
                if node.target.lstrip("*") != node.name:
                    body.append(f"{node.name} = {node.target.lstrip('*')}\n")
                continue
            body.append(self.emit(node))
            if node.meta.get("is_wrapped", False):
                wrapped.setdefault(self.add_global(node.target))
            if node.op == "output":
                body.append("\n")
                continue
            dead = list(last_uses.get(node, []))
            if not node.users:
                dead.append(node)
            body.append(f";  {' = '.join([n.name for n in dead] + ['None'])}\n" if dead
                        else "\n")
        if not any(n.op != "placeholder" for n in nodes):
            body.append("pass\n")
        code = "".join(body).lstrip("\n")
        code = "\n".join("    " + line for line in code.split("\n"))
        out = nodes[-1] if nodes and nodes[-1].op == "output" else None
        ret = f" -> {self.type_repr(out.type)}" if out is not None and out.type is not None \
            else ""
        prologue = f"def forward({', '.join([self.root] + params)}){ret}:"
        wrap_stmts = "\n".join(f'ember.fx._symbolic_trace.wrap("{name}")' for name in wrapped)
        return PythonCode(f"\n{wrap_stmts}\n\n{prologue}\n{code}", self.globals)


def _resolves(qualified: str, obj: Any) -> bool:
    """Whether generated code can name ``obj`` by ``qualified``: attribute by attribute from
    the top package, as the code evaluates it (a package attribute can shadow a submodule of
    the same name: ``ember.vision.ops.stochastic_depth`` is the function)."""
    import importlib

    top, *attrs = qualified.split(".")
    try:
        value = importlib.import_module(top)
        for attr in attrs:
            value = getattr(value, attr)
    except (ImportError, AttributeError):
        return False
    # ember.<op> rerouted for sparse inputs once ember.sparse loads: the same op on dense ones
    return value is obj or (getattr(value, "_sparse_routed", False) and value.__wrapped__ is obj)

