"""``Tracer`` and ``symbolic_trace``: run ``forward`` on Proxies and record a ``Graph``.

While tracing, ``nn.Module.__call__`` and ``nn.Module.__getattr__`` are patched (leaf
layers become ``call_module`` nodes, parameters ``get_attr`` nodes), and the functions of
``ember`` and ``ember.nn.functional`` (and those named by ``wrap``) are replaced by
wrappers that record a ``call_function`` node when given a Proxy; everything is restored
afterwards. Ember tensors' binary operators defer to a Proxy operand.
"""

from __future__ import annotations

import builtins
import copy
import functools
import inspect
import math
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import ember
from ember import nn

from .graph import Graph
from .node import Argument, Node, _qualified_names, _side_effectful_functions, map_aggregate
from .proxy import Attribute, Proxy, TraceError

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH"]

_base_types = (str, int, float, bool, complex, type(None), type(Ellipsis), range,
               ember.dtype, ember.device)

# (id(globals), name) -> globals, for wrap()
_wrapped_fns_to_patch: dict[tuple[int, str], dict[str, Any]] = {}


class _PH:
    def __repr__(self) -> str:
        return "PH"


PH = _PH()


def _assert(condition: Any, message: str = "") -> None:
    """Guard recorded for a concrete argument: fails when called with another value."""
    if not condition:
        raise AssertionError(message)


def _assert_is_none(value: Any, msg: str) -> None:
    if value is not None:
        raise AssertionError(msg)


_side_effectful_functions.update({_assert, _assert_is_none})


def _find_proxy(*objects: Any) -> Proxy | None:
    found: list[Proxy] = []

    def look(x: Any) -> Any:
        if isinstance(x, Proxy) and not found:
            found.append(x)
        return x

    map_aggregate(objects, look)
    return found[0] if found else None


# ember.nn.functional functions that torch.fx records with every argument bound: the
# first n positionally, the rest (defaults included) as kwargs (torch's Python-level
# functionals record what they pass on to their __torch_function__ dispatch)
_BOUND_FUNCTIONALS = {
    "relu": 1, "relu6": 1, "elu": 1, "selu": 1, "celu": 1, "leaky_relu": 1, "hardtanh": 1,
    "silu": 1, "mish": 1, "hardswish": 1, "hardsigmoid": 1, "glu": 1, "dropout": 1,
    "dropout1d": 1, "dropout2d": 1, "dropout3d": 1, "alpha_dropout": 1,
    "feature_alpha_dropout": 1, "softmax": 1, "log_softmax": 1, "softmin": 1,
    "interpolate": 1, "normalize": 1, "layer_norm": 2, "group_norm": 2, "pad": 2,
    "max_pool1d": 2, "max_pool2d": 2, "max_pool3d": 2, "adaptive_max_pool1d": 2,
    "adaptive_max_pool2d": 2, "adaptive_max_pool3d": 2, "embedding": 2, "unfold": 2,
    "cross_entropy": 2, "mse_loss": 2, "batch_norm": 3, "threshold": 3}


def _bind(orig: Callable, positional: int, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    try:
        sig = inspect.signature(orig)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
        return args, kwargs
    bound.apply_defaults()
    items = list(bound.arguments.items())
    return tuple(v for _, v in items[:positional]), dict(items[positional:])


def _recording(orig: Callable, positional: int | None = None, user_wrapped: bool = False,
               node_name: str | None = None, as_method: str | None = None) -> Callable:
    """``orig``, but recorded as a ``call_function`` node when any argument is a Proxy.

    ``positional``: bind all arguments, the first n positional (see _BOUND_FUNCTIONALS);
    ``user_wrapped``: a ``wrap``/autowrap function, marked ``meta["is_wrapped"]``;
    ``node_name``: the node's name where torch's differs from the function's;
    ``as_method``: record a ``call_method`` of this Tensor method instead."""
    @functools.wraps(orig)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        proxy = _find_proxy(args, kwargs)
        if proxy is None:
            return orig(*args, **kwargs)
        if as_method is not None:
            return proxy.tracer.create_proxy("call_method", as_method, args, kwargs)
        if positional is not None:
            args, kwargs = _bind(orig, positional, args, kwargs)
        out = proxy.tracer.create_proxy("call_function", orig, args, kwargs, name=node_name)
        if user_wrapped:
            out.node.meta["is_wrapped"] = True
        return out

    wrapped.__fx_original__ = orig  # type: ignore[attr-defined]
    return wrapped


class _Patcher:
    """Set attributes and dict entries for the duration of a trace, then put them back."""

    _MISSING = object()

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self.visited_globals: set[int] = set()

    def set_attr(self, obj: Any, name: str, value: Any) -> None:
        old = vars(obj).get(name, self._MISSING) if hasattr(obj, "__dict__") else self._MISSING
        setattr(obj, name, value)
        if old is self._MISSING:
            self._undo.append(lambda: delattr(obj, name))
        else:
            self._undo.append(lambda: setattr(obj, name, old))

    def set_item(self, d: dict, name: str, value: Any) -> None:
        old = d.get(name, self._MISSING)
        d[name] = value
        if old is self._MISSING:
            self._undo.append(lambda: d.pop(name, None))
        else:
            self._undo.append(lambda: d.__setitem__(name, old))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


# torch.nn.functional functions whose node torch names otherwise (its C function's name)
_FUNCTIONAL_NODE_NAMES = {"logsigmoid": "log_sigmoid", "threshold": "_threshold"}
# functionals that are ember.<name> too and that torch also names torch.<name> (the others
# shared between ember and ember.nn.functional print as ember.nn.functional.<name>)
_TORCH_TOPLEVEL_FUNCTIONALS = {
    "adaptive_avg_pool1d", "avg_pool1d", "channel_shuffle", "native_channel_shuffle",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "pixel_shuffle", "pixel_unshuffle"}
# torch.nn.functional functions that call the Tensor method (torch records call_method)
_FUNCTIONAL_METHODS = {"sigmoid", "tanh"}
# ember.linalg.norm is recorded as torch records torch.linalg.norm: a node "linalg_norm"
_SUBNAMESPACES = ("linalg", "special", "fft")


def _public_functions(module: Any) -> list[tuple[str, Callable]]:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return [(n, f) for n in names if isinstance(f := getattr(module, n, None), types.FunctionType)]


@functools.lru_cache(maxsize=1)
def _ember_patches() -> tuple[tuple[Any, str, Callable], ...]:
    """(namespace, name, recording wrapper) for the functions of ember, ember.linalg/
    special/fft and ember.nn.functional; tracing installs them."""
    import importlib

    # ember.sparse routes ember.relu & co. for sparse tensors: installed first, the functions
    # recorded are those a traced program finds, whenever it imports sparse
    import ember.sparse  # noqa: F401
    from ember import ops
    from ember.nn import functional as F

    ops.load_all()
    found: list[tuple[Any, str, Callable]] = []
    wrappers: dict[int, Callable] = {}

    def add(namespace: Any, name: str, fn: Callable, qualified: str, **how: Any) -> None:
        _qualified_names.setdefault(id(fn), qualified)
        if getattr(fn, "_sparse_routed", False):  # a graph made before may hold the unrouted
            _qualified_names.setdefault(id(fn.__wrapped__), qualified)
        found.append((namespace, name, wrappers.setdefault(id(fn), _recording(fn, **how))))

    for name in ops.__all__:
        fn = getattr(ember, name, None)
        if isinstance(fn, types.FunctionType):
            add(ember, name, fn, f"ember.{name}")
    guard = getattr(ember, "_assert", None)  # torch._assert is recorded, kept by DCE
    if isinstance(guard, types.FunctionType):
        _side_effectful_functions.add(guard)
        add(ember, "_assert", guard, "ember._assert")
    for sub in _SUBNAMESPACES:
        try:
            module = importlib.import_module(f"ember.{sub}")
        except ImportError:
            continue
        for name, fn in _public_functions(module):
            # its own wrapper even when it is ember.<name> (special.erf): torch names the
            # node special_erf either way
            _qualified_names.setdefault(id(fn), f"ember.{sub}.{name}")
            found.append((module, name, _recording(fn, node_name=f"{sub}_{name}")))
    for name, fn in _public_functions(F):
        if name in _FUNCTIONAL_METHODS:
            add(F, name, fn, f"ember.nn.functional.{name}", as_method=name)
        elif id(fn) in wrappers and name in _TORCH_TOPLEVEL_FUNCTIONALS:
            found.append((F, name, wrappers[id(fn)]))  # torch.conv2d is F.conv2d
        else:
            _qualified_names[id(fn)] = f"ember.nn.functional.{name}"
            found.append((F, name, _recording(fn, positional=_BOUND_FUNCTIONALS.get(name),
                                              node_name=_FUNCTIONAL_NODE_NAMES.get(name))))
    return tuple(found)


# a Tensor operator with a Proxy operand is recorded as torch records it: a call_method
# node of the Tensor method the operator dispatches to
_TENSOR_OPERATORS = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
    "__floordiv__": "__floordiv__", "__mod__": "remainder", "__pow__": "pow",
    "__matmul__": "matmul", "__and__": "__and__", "__or__": "__or__", "__xor__": "__xor__",
    "__lshift__": "__lshift__", "__rshift__": "__rshift__", "__eq__": "eq", "__ne__": "ne",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__getitem__": "__getitem__"}


def _tensor_method(orig: Callable, method: str) -> Callable:
    """A Tensor method (or operator) that records ``call_method`` when given a Proxy."""
    @functools.wraps(orig)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        proxy = _find_proxy(args, kwargs)
        if proxy is None:
            return orig(self, *args, **kwargs)
        if method == "__getitem__" and _proxy_in_slice(args[0]):
            # torch's indexing does not see a Proxy inside a slice and fails on it
            raise TypeError("slice indices must be integers or None or have an __index__ "
                            "method")
        return proxy.tracer.create_proxy("call_method", method, (self,) + args, kwargs)

    return call


def _proxy_in_slice(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, slice) and _find_proxy(i.start, i.stop, i.step) is not None
               for i in items)


@functools.lru_cache(maxsize=1)
def _tensor_methods() -> tuple[tuple[str, Callable, str], ...]:
    """(attribute, function, recorded method name) of the Tensor methods to patch."""
    found = [(attr, getattr(ember.Tensor, attr), method)
             for attr, method in _TENSOR_OPERATORS.items() if hasattr(ember.Tensor, attr)]
    for klass in reversed(ember.Tensor.__mro__[:-1]):
        for attr, value in vars(klass).items():
            if not attr.startswith("_") and isinstance(value, types.FunctionType):
                found.append((attr, value, attr))
    return tuple(found)


def _patch_functions(patcher: _Patcher) -> dict[int, Callable]:
    """Install the recording ember functions and Tensor methods (what torch's
    ``__torch_function__`` does for a Proxy); returns the wrappers by original's id."""
    wrappers: dict[int, Callable] = {}
    for namespace, name, wrapper in _ember_patches():
        wrappers.setdefault(id(wrapper.__fx_original__), wrapper)
        patcher.set_attr(namespace, name, wrapper)
    for attr, orig, method in _tensor_methods():
        patcher.set_attr(ember.Tensor, attr, _tensor_method(orig, method))
    return wrappers


class Tracer:
    """Records a module's ``forward`` as a ``Graph``; subclass to choose the leaf modules
    (``is_leaf_module``) or change how calls are recorded (``call_module``,
    ``create_proxy``)."""

    def __init__(self, autowrap_modules: tuple = (math,), autowrap_functions: tuple = (),
                 param_shapes_constant: bool = False) -> None:
        self._autowrap_function_ids: set[int] = {
            id(value) for module in autowrap_modules for name, value in vars(module).items()
            if not name.startswith("_") and callable(value)}
        self._autowrap_function_ids.update(id(f) for f in autowrap_functions)
        self._autowrap_modules = tuple(autowrap_modules)
        self.param_shapes_constant = param_shapes_constant
        self.submodule_paths: dict[int, str] | None = None
        self.root: nn.Module | None = None
        self.graph = Graph()
        self.tensor_attrs: dict[int, str] = {}
        self.proxy_buffer_attributes = False
        self._annotations: dict[str, Any] = {}
        self.module_stack: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        self.num_calls: dict[str, int] = {}

    # ------------------------------------------------------------------ nodes and args
    def create_node(self, kind: str, target: Any, args: tuple, kwargs: dict,
                    name: str | None = None, type_expr: Any = None) -> Node:
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node: Node) -> Proxy:
        return Proxy(node, self)

    def create_proxy(self, kind: str, target: Any, args: tuple, kwargs: dict,
                     name: str | None = None, type_expr: Any = None,
                     proxy_factory_fn: Callable[[Node], Proxy] | None = None) -> Proxy:
        """Record a node whose inputs are ``args``/``kwargs`` (Proxies become their nodes)."""
        target = getattr(target, "__fx_original__", target)  # a patched ember function
        args_ = self.create_arg(args)
        kwargs_ = self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        if self.module_stack:
            node.meta["nn_module_stack"] = copy.copy(self.module_stack)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a: Any) -> Argument:
        """Turn a value into a graph argument: Proxies to nodes, the root's parameters and
        buffers to ``get_attr`` nodes, other tensors to ``_tensor_constant`` attributes."""
        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, nn.Parameter):
            for n, p in self.root.named_parameters():
                if a is p:
                    return self.create_node("get_attr", n, (), {})
            raise NameError("parameter is not a member of this module")
        if isinstance(a, ember.Tensor):
            for n, b in self.root.named_buffers():
                if a is b:
                    return self.create_node("get_attr", n, (), {})
            qualname = self.tensor_attrs.get(id(a))
            if qualname is None:
                i = 0
                while hasattr(self.root, f"_tensor_constant{i}"):
                    i += 1
                qualname = f"_tensor_constant{i}"
                self.tensor_attrs[id(a)] = qualname
                setattr(self.root, qualname, a)
            return self.create_node("get_attr", qualname, (), {})
        if isinstance(a, nn.Module):
            for n, m in self.root.named_modules():
                if a is m:
                    return self.create_node("get_attr", n, (), {})
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return self.create_node("call_function", type(a),
                                    tuple(self.create_arg(e) for e in a), {})
        if isinstance(a, tuple):
            return tuple(self.create_arg(e) for e in a)
        if isinstance(a, list):
            return [self.create_arg(e) for e in a]
        if isinstance(a, dict):
            out = {}
            for k, v in a.items():
                if isinstance(self.create_arg(k), Node):
                    raise RuntimeError(f"Keys for dictionaries used as an argument cannot "
                                       f"contain a Node. Got key: {k}")
                out[k] = self.create_arg(v)
            return out
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop),
                         self.create_arg(a.step))
        if isinstance(a, _base_types) or callable(a) or isinstance(a, ember.memory_format):
            return a
        raise NotImplementedError(f"argument of type: {type(a)}")

    # ------------------------------------------------------------------ control flow
    def to_bool(self, obj: Proxy) -> bool:
        raise TraceError("symbolically traced variables cannot be used as inputs to control "
                         "flow")

    def iter(self, obj: Proxy) -> Any:
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the "
                         "Proxy is used in a loop or as a *args or **kwargs function argument. "
                         "See the torch.fx docs on pytorch.org for a more detailed explanation "
                         "of what types of control flow can be traced, and check out the "
                         "Proxy docstring for help troubleshooting Proxy iteration errors")

    def keys(self, obj: Proxy) -> Any:
        return Attribute(obj, "keys")()

    # ------------------------------------------------------------------ modules
    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        """Ember's own layers are leaves (one call_module node); Sequential and user modules
        are traced through."""
        return ((m.__module__.startswith("ember.nn") or m.__module__.startswith("ember.ao.nn"))
                and not isinstance(m, nn.Sequential))

    def path_of_module(self, mod: nn.Module) -> str:
        if self.submodule_paths is not None:
            path = self.submodule_paths.get(id(mod))
            if path is None:
                raise NameError("module is not installed as a submodule")
            return path
        for n, p in self.root.named_modules():
            if mod is p:
                return n
        raise NameError("module is not installed as a submodule")

    def call_module(self, m: nn.Module, forward: Callable[..., Any], args: tuple,
                    kwargs: dict) -> Any:
        """A leaf becomes a ``call_module`` node; any other module runs ``forward``."""
        module_qualified_name = self.path_of_module(m)
        # meta["nn_module_stack"]: the modules being called, "<path>@<k>" for a repeat call
        calls = self.num_calls.get(module_qualified_name, 0)
        key = f"{module_qualified_name}@{calls}" if calls > 0 else module_qualified_name
        self.module_stack[key] = (module_qualified_name, type(m))
        self.num_calls[module_qualified_name] = calls + 1
        try:
            if not self.is_leaf_module(m, module_qualified_name):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualified_name, args, kwargs)
        finally:
            self.module_stack.pop(key, None)

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        """A parameter read in a traced ``forward`` is a ``get_attr`` node (one per name)."""
        def proxy_for(collection: Any) -> Proxy | None:
            for n, p in collection:
                if attr_val is p:
                    if n not in parameter_proxy_cache:
                        parameter_proxy_cache[n] = self.create_proxy("get_attr", n, (), {})
                    return parameter_proxy_cache[n]
            return None

        if isinstance(attr_val, nn.Parameter):
            found = proxy_for(self.root.named_parameters())
            if found is not None:
                return found
        if self.proxy_buffer_attributes and isinstance(attr_val, ember.Tensor):
            found = proxy_for(self.root.named_buffers())
            if found is not None:
                return found
        return attr_val

    # ------------------------------------------------------------------ tracing
    def _proxy_placeholder(self, name: str, concrete_args: dict[str, Any] | None,
                           sig: inspect.Signature) -> Any:
        if name.startswith("*"):
            default: tuple = ()
        else:
            param = sig.parameters[name]
            default = () if param.default is inspect.Parameter.empty else (param.default,)
        if concrete_args is None or name not in concrete_args:
            return self.create_proxy("placeholder", name, default, {},
                                     type_expr=None if name.startswith("*")
                                     else self._annotations.get(name))
        count = 0

        def replace(x: Any) -> Any:
            nonlocal count
            count += 1
            out = self.create_proxy("placeholder", f"{name}_{count}", default, {})
            if x is PH:
                return out
            if isinstance(x, (bool, int, float, str, complex)):
                self.create_proxy("call_function", getattr(ember, "_assert", _assert),
                                  (out == x, f"{name} has been specialized to have value {x} "
                                   "but got another value"), {})
            elif x is None:
                self.create_proxy("call_function", _assert_is_none,
                                  (out, f"{name} has been specialized to have value None but "
                                   "got another value"), {})
            return x

        return map_aggregate(concrete_args[name], replace)

    def _autowrap_globals(self, patcher: _Patcher, fn_globals: dict[str, Any],
                          wrappers: dict[int, Callable]) -> None:
        """Patch a module's globals that name a recorded function (``from ember import
        flatten``, ``from math import sqrt``)."""
        if id(fn_globals) in patcher.visited_globals:
            return
        patcher.visited_globals.add(id(fn_globals))
        for name, value in list(fn_globals.items()):
            if name.startswith("__"):
                continue
            if id(value) in wrappers:
                patcher.set_item(fn_globals, name, wrappers[id(value)])
            elif id(value) in self._autowrap_function_ids and callable(value):
                wrappers[id(value)] = _recording(value, user_wrapped=True)
                patcher.set_item(fn_globals, name, wrappers[id(value)])

    def _patch(self, patcher: _Patcher, fn_globals: dict[str, Any]) -> None:
        wrappers = _patch_functions(patcher)
        for (_, name), globals_ in _wrapped_fns_to_patch.items():
            orig = globals_.get(name, getattr(builtins, name, None))
            if orig is None:
                continue
            wrapper = wrappers.setdefault(id(orig), _recording(orig, user_wrapped=True))
            patcher.set_item(globals_, name, wrapper)
        self._autowrap_globals(patcher, fn_globals, wrappers)
        for module in self._autowrap_modules:  # `math.sqrt(proxy)` as well as `sqrt(proxy)`
            self._autowrap_globals(patcher, vars(module), wrappers)

        orig_call = nn.Module.__call__
        orig_getattr = nn.Module.__getattr__
        parameter_proxy_cache: dict[str, Any] = {}
        tracer = self

        def module_getattr_wrapper(mod: nn.Module, attr: str) -> Any:
            return tracer.getattr(attr, orig_getattr(mod, attr), parameter_proxy_cache)

        def module_call_wrapper(mod: nn.Module, *args: Any, **kwargs: Any) -> Any:
            def forward(*args: Any, **kwargs: Any) -> Any:
                return orig_call(mod, *args, **kwargs)

            forward_fn = getattr(type(mod), "forward", None)
            tracer._autowrap_globals(patcher, getattr(forward_fn, "__globals__", {}), wrappers)
            return tracer.call_module(mod, forward, args, kwargs)

        patcher.set_attr(nn.Module, "__getattr__", module_getattr_wrapper)
        patcher.set_attr(nn.Module, "__call__", module_call_wrapper)

    def trace(self, root: nn.Module | Callable[..., Any],
              concrete_args: dict[str, Any] | None = None) -> Graph:
        """Run ``root`` (a module's ``forward``, or a function) on Proxies; returns the graph."""
        if isinstance(root, nn.Module):
            self.root = root
            fn = type(root).forward
            is_module = True
        else:
            self.root = nn.Module()
            fn = root
            is_module = False
        self.graph = Graph(tracer_cls=type(self))
        self.tensor_attrs = {}
        self.module_stack = OrderedDict()
        self.num_calls = {}

        def collect_tensor_attrs(m: nn.Module, prefix: list[str]) -> None:
            for k, v in vars(m).items():
                if isinstance(v, ember.Tensor):
                    self.tensor_attrs[id(v)] = ".".join(prefix + [k])
            for k, v in m.named_children():
                collect_tensor_attrs(v, prefix + [k])

        collect_tensor_attrs(self.root, [])
        self.submodule_paths = {id(mod): name for name, mod in self.root.named_modules()}
        fn_for_analysis = inspect.unwrap(fn)
        self._annotations = _user_annotations(fn_for_analysis)
        sig = inspect.signature(fn_for_analysis)
        co = fn_for_analysis.__code__
        names = list(co.co_varnames[:co.co_argcount + co.co_kwonlyargcount])
        args: list[Any] = []
        if is_module:
            if not names:
                raise RuntimeError("``self`` argument cannot be part of *args expansion!")
            names = names[1:]
            args.append(self.root)
        args.extend(self._proxy_placeholder(n, concrete_args, sig) for n in names)
        if co.co_kwonlyargcount or co.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
            # keyword-only, *args and **kwargs become plain parameters taking one Proxy each
            rest = iter(co.co_varnames[co.co_argcount + co.co_kwonlyargcount:])
            if co.co_flags & inspect.CO_VARARGS:
                args.append(self._proxy_placeholder("*" + next(rest), concrete_args, sig))
            if co.co_flags & inspect.CO_VARKEYWORDS:
                args.append(self._proxy_placeholder("**" + next(rest), concrete_args, sig))
            fn = _flatten_parameters(fn, len(args))
        patcher = _Patcher()
        try:
            self._patch(patcher, getattr(fn, "__globals__", {}))
            result = fn(*args)
            self.create_node("output", "output", (self.create_arg(result),), {},
                             type_expr=_user_annotations(fn).get("return", None))
        finally:
            patcher.restore()
            self.submodule_paths = None
        return self.graph


def _flatten_parameters(fn: Callable, nargs: int) -> Callable:
    """``fn`` with its keyword-only, ``*args`` and ``**kwargs`` parameters made positional."""
    fn = inspect.unwrap(fn)
    flags = fn.__code__.co_flags & ~(inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
    code = fn.__code__.replace(co_argcount=nargs, co_posonlyargcount=0, co_kwonlyargcount=0,
                               co_flags=flags)
    return types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)



def wrap(fn_or_name: str | Callable) -> str | Callable:
    """At module scope: record calls of this global function as ``call_function`` nodes
    instead of tracing through them (``wrap("len")`` works for builtins too)."""
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable "
                           "or string name")
    fn_name = fn_or_name if isinstance(fn_or_name, str) else fn_or_name.__name__
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    if caller is None or caller.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _wrapped_fns_to_patch[(id(caller.f_globals), fn_name)] = caller.f_globals
    return fn_or_name


def symbolic_trace(root: nn.Module | Callable[..., Any],
                   concrete_args: dict[str, Any] | None = None) -> Any:
    """Trace ``root`` into a ``GraphModule`` that holds its graph, the submodules and
    attributes it uses (under their original names), and generated ``forward`` code."""
    from .graph_module import GraphModule

    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = root.__class__.__name__ if isinstance(root, nn.Module) else root.__name__
    return GraphModule(tracer.root, graph, name)


def _user_annotations(fn: Any) -> dict:
    """The annotations generated code shows: a user's as written; those of Ember's own
    layers (strings under ``from __future__ import annotations``) only where they name a
    Tensor, as PyTorch's layers annotate theirs (``Any`` and the rest are left out)."""
    ann = getattr(fn, "__annotations__", {})
    if not (getattr(fn, "__module__", None) or "").startswith("ember."):
        return ann
    import ember

    return {k: ember.Tensor for k, v in ann.items() if v in ("Tensor", ember.Tensor)}
