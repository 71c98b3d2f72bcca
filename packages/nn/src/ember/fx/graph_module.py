"""``GraphModule``: an ``nn.Module`` whose ``forward`` is generated from a ``Graph``.

It holds the submodules, parameters and buffers the graph's ``call_module``/``get_attr``
nodes name, at the same dotted paths as in the traced module, so ``state_dict()`` keys
are the original ones; ``recompile()`` regenerates ``forward`` after graph edits.
"""

from __future__ import annotations

import linecache
from typing import Any

import ember
from ember import nn

from .graph import Graph, PythonCode

__all__ = ["GraphModule"]

_count = [0]


def _copy_attr(from_module: nn.Module, to_module: nn.Module, target: str) -> None:
    """Install ``from_module``'s ``target`` (a dotted path) on ``to_module``, creating empty
    modules for the path's parents; a plain tensor becomes a buffer."""
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:  # a parent is already installed, with everything below it
            return
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    orig = getattr(from_module, field)
    if isinstance(orig, ember.Tensor) and not isinstance(orig, nn.Parameter):
        to_module.register_buffer(field, orig)
    else:
        setattr(to_module, field, orig)


def _assign_attr(from_obj: Any, to_module: nn.Module, target: str) -> None:
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        to_module = t
    if isinstance(from_obj, ember.Tensor) and not isinstance(from_obj, nn.Parameter):
        to_module.register_buffer(field, from_obj)
    else:
        setattr(to_module, field, from_obj)


def _exec_forward(src: str, globals_: dict[str, Any]) -> Any:
    """Compile the generated source under a fake file name, so tracebacks show its lines."""
    _count[0] += 1
    key = f"<eval_with_key>.{_count[0]}"
    linecache.cache[key] = (len(src), None, src.splitlines(keepends=True), key)
    namespace = dict(globals_)
    exec(compile(src, key, "exec", dont_inherit=True), namespace)  # no __future__ flags
    return namespace["forward"]


_STANDARD_GLOBALS = ("ember", "inf", "nan", "NoneType", "device")


def _rebuild_graph_module(body: dict[str, Any], src: str, extra_globals: dict[str, Any],
                          class_name: str) -> GraphModule:
    """Unpickle: run the saved code on a module holding the saved state, trace it with
    every submodule a leaf, and wrap the result."""
    from ._symbolic_trace import Tracer

    class CodeOnlyModule(nn.Module):
        def __init__(self, state: dict[str, Any]) -> None:
            super().__init__()
            self.__dict__ = state

    python_globals = {"ember": ember, "inf": float("inf"), "nan": float("nan"),
                      "NoneType": type(None), "device": ember.device, **extra_globals}
    CodeOnlyModule.forward = _exec_forward(src, python_globals)

    class KeepModules(Tracer):
        def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
            return True

    com = CodeOnlyModule(body)
    return GraphModule(com, KeepModules().trace(com), class_name)


class GraphModule(nn.Module):
    """A module built from ``root`` (a module, or a dict of target -> value) and ``graph``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> GraphModule:
        # each instance gets its own class, so that its generated forward is its own
        for t in cls.__mro__:
            if t.__qualname__.split(".")[-1] != "GraphModuleImpl":
                cls = t
                break

        class GraphModuleImpl(cls):  # type: ignore[misc, valid-type]
            pass

        return super().__new__(GraphModuleImpl)

    def __init__(self, root: nn.Module | dict[str, Any], graph: Graph,
                 class_name: str = "GraphModule") -> None:
        super().__init__()
        self.__class__.__name__ = class_name
        if isinstance(root, nn.Module):
            if hasattr(root, "training"):
                self.training = root.training
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but "
                                           "that target was not provided in ``root``!")
                    _assign_attr(root[node.target], self, node.target)
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        object.__setattr__(self, "_tracer_cls", graph._tracer_cls)
        object.__setattr__(self, "meta", {})
        self.graph = graph

    @property
    def graph(self) -> Graph:
        """The graph this module runs; assigning one recompiles ``forward``."""
        return self._graph

    @graph.setter
    def graph(self, g: Graph) -> None:
        if not isinstance(g, Graph):
            raise AssertionError(f"Expected a Graph instance, but got {type(g)}")
        object.__setattr__(self, "_graph", g)
        g.owning_module = self
        self.recompile()

    @property
    def code(self) -> str:
        """The Python source of the generated ``forward``."""
        if not hasattr(self, "_code"):
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self) -> PythonCode:
        """Regenerate ``forward`` from ``self.graph`` (call after editing the graph)."""
        python_code = self._graph.python_code(root_module="self")
        object.__setattr__(self, "_code", python_code.src)
        type(self).forward = _exec_forward(python_code.src, python_code.globals)
        return python_code

    def print_readable(self, print_output: bool = True, include_stride: bool = False,
                       include_device: bool = False, colored: bool = False) -> str:
        """The module as a class definition; nested GraphModules are printed inside it."""
        verbose = self._readable(type(self).__name__)
        if print_output:
            print(verbose)
        return verbose

    def _readable(self, module_name: str) -> str:
        lines = self._code.lstrip("\n").split("\n")
        body = [lines[0]] + ["    # No stacktrace found for following nodes"] + lines[1:]
        out = [f"class {module_name}(ember.nn.Module):"]
        for name, sub in self.named_children():
            if isinstance(sub, GraphModule):
                nested = sub._readable(name).split("\n")
                out.extend("    " + line if line else line for line in nested)
        out.extend("    " + line if line.strip() else "" for line in body)
        return "\n".join(out).rstrip() + "\n"

    def add_submodule(self, target: str, m: nn.Module) -> bool:
        """Install ``m`` at the dotted path ``target``, creating empty parents."""
        *prefix, field = target.split(".")
        mod: nn.Module = self
        for item in prefix:
            submod = getattr(mod, item, None)
            if submod is None:
                submod = nn.Module()
                mod.add_module(item, submod)
            if not isinstance(submod, nn.Module):
                return False
            mod = submod
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target: str) -> bool:
        *path, name = target.split(".")
        mod: Any = self
        for item in path:
            if not hasattr(mod, item):
                return False
            mod = getattr(mod, item)
            if not isinstance(mod, nn.Module):
                return False
        if not hasattr(mod, name) or not isinstance(getattr(mod, name), nn.Module):
            return False
        delattr(mod, name)
        return True

    def delete_all_unused_submodules(self) -> None:
        """Drop submodules that no ``call_module``/``get_attr`` node uses."""
        used: set[str] = set()
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                atoms = node.target.split(".")
                used.update(".".join(atoms[:i]) for i in range(1, len(atoms) + 1))
                if node.op == "call_module":
                    sub = self.get_submodule(node.target)
                    used.update(f"{node.target}.{n}" for n, _ in sub.named_modules() if n)
        for name, _ in list(self.named_modules()):
            if name and name not in used:
                self.delete_submodule(name)

    def __deepcopy__(self, memo: dict) -> GraphModule:
        import copy

        holder = nn.Module()
        memo[id(self)] = holder
        object.__setattr__(holder, "__dict__", copy.deepcopy(self.__dict__, memo))
        gm = GraphModule(holder, holder.__dict__["_graph"], type(self).__name__)
        gm.meta = copy.deepcopy(getattr(self, "meta", {}), memo)
        return gm

    def __reduce__(self) -> tuple:
        """Pickle as (module state, generated code): loading re-traces the code."""
        body = {k: v for k, v in self.__dict__.items() if k not in ("_graph", "_tracer_cls")}
        python_code = self.recompile()
        extra = {k: v for k, v in python_code.globals.items() if k not in _STANDARD_GLOBALS}
        # as torch's, the loaded module's class is named GraphModule
        return (_rebuild_graph_module, (body, python_code.src, extra, "GraphModule"))

    def __copy__(self) -> GraphModule:
        gm = GraphModule(self, self.graph, type(self).__name__)
        gm.meta = dict(getattr(self, "meta", {}))
        return gm

    def __str__(self) -> str:
        return "\n".join([super().__str__(), self._code,
                          "# To see more debug info, please use "
                          "`graph_module.print_readable()`"])
