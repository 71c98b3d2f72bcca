"""``ember.overrides``: PyTorch's ``torch.overrides`` helpers for the ``__torch_function__``
protocol, as libraries call them explicitly.

Ember's functions and Tensor methods dispatch on ``__torch_function__`` once a class that
takes part exists (see ``ember._torch_function``); ``has_torch_function`` is False for plain
tensors and values. A library function that checks ``has_torch_function(args)`` and calls
``handle_torch_function`` itself gets the protocol the same way: objects whose type defines
``__torch_function__`` are offered the call, subclasses before their bases, until one does
not return ``NotImplemented``.
"""

from __future__ import annotations

import functools
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["get_ignored_functions", "get_overridable_functions", "get_testing_overrides",
           "handle_torch_function", "has_torch_function", "has_torch_function_unary",
           "has_torch_function_variadic", "resolve_name", "is_tensor_like",
           "is_tensor_method_or_property", "wrap_torch_function"]


def _tensor_cls() -> type:
    from ._tensor import Tensor

    return Tensor


def _overrides(obj: Any) -> bool:
    """Whether ``obj`` takes part in ``__torch_function__`` dispatch: a Tensor-like whose type
    defines it, or a Tensor subclass (not a plain Tensor, not a disabled implementation)."""
    from ._torch_function import _takes_part

    t = type(obj)
    return t is not _tensor_cls() and _takes_part(t)


def has_torch_function(relevant_args: Iterable[Any]) -> bool:
    """Whether any of ``relevant_args`` implements ``__torch_function__``."""
    return any(_overrides(a) for a in relevant_args)


def has_torch_function_unary(obj: Any) -> bool:
    return _overrides(obj)


def has_torch_function_variadic(*args: Any) -> bool:
    return has_torch_function(args)


def _overloaded_args(relevant_args: Iterable[Any]) -> list[Any]:
    """The arguments to offer the call to, one per type, subclasses ahead of their bases."""
    args: list[Any] = []
    types: list[type] = []
    for a in relevant_args:
        t = type(a)
        if t in types or not _overrides(a):
            continue
        index = len(args)
        for i, prev in enumerate(types):  # a subclass goes before its first base
            if issubclass(t, prev):
                index = i
                break
        args.insert(index, a)
        types.insert(index, t)
    return args


def handle_torch_function(public_api: Callable, relevant_args: Iterable[Any], *args: Any,
                          **kwargs: Any) -> Any:
    """Call ``public_api`` through the ``__torch_function__`` of ``relevant_args``."""
    overloaded = _overloaded_args(relevant_args)
    types = tuple(type(a) for a in overloaded)
    for arg in overloaded:
        fn = type(arg).__torch_function__
        result = fn(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = resolve_name(public_api) or getattr(public_api, "__name__", repr(public_api))
    raise TypeError(f"no implementation found for '{name}' on types that implement "
                    f"__torch_function__: {[type(a) for a in overloaded]}")


def wrap_torch_function(dispatcher: Callable) -> Callable[[Callable], Callable]:
    """Decorator: route ``func`` through ``handle_torch_function`` when the arguments that
    ``dispatcher`` picks implement ``__torch_function__``."""
    def inner(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return inner


def is_tensor_like(inp: Any) -> bool:
    """Whether ``inp`` is a Tensor or an object whose type defines ``__torch_function__``."""
    return type(inp) is _tensor_cls() or hasattr(inp, "__torch_function__") or isinstance(
        inp, _tensor_cls())


def is_tensor_method_or_property(func: Callable) -> bool:
    """Whether ``func`` is a Tensor method or a Tensor property's getter."""
    tensor = _tensor_cls()
    name = getattr(func, "__name__", None)
    if name is None:
        return False
    if name == "__get__":
        return any(isinstance(v, property) and v.__get__ == func for v in vars(tensor).values())
    return getattr(tensor, name, None) is func or func in vars(tensor).values()


def _public_functions() -> list[Callable]:
    import ember

    from . import ops

    ops.load_all()
    return [getattr(ember, n) for n in ops.__all__
            if not n.startswith("_") and callable(getattr(ember, n, None))]


_IGNORED = ("is_tensor", "is_storage", "set_default_dtype", "get_default_dtype", "manual_seed",
            "seed", "initial_seed", "set_printoptions", "compile", "promote_types",
            "set_grad_enabled", "is_grad_enabled", "use_deterministic_algorithms",
            "are_deterministic_algorithms_enabled", "set_num_threads", "get_num_threads",
            "typename", "result_type", "can_cast", "zeros", "ones", "empty", "full", "arange",
            "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "tensor",
            "as_tensor", "from_numpy", "empty_strided", "empty_permuted", "get_rng_state",
            "set_rng_state", "broadcast_shapes")


@functools.lru_cache(1)
def get_ignored_functions() -> set[Callable]:
    """The public functions that take no tensor to dispatch on (factories, global state)."""
    import ember

    return {getattr(ember, n) for n in _IGNORED if hasattr(ember, n)}


@functools.lru_cache(1)
def get_overridable_functions() -> dict[Any, list[Callable]]:
    """Namespace (``ember``, ``ember.Tensor``) to the functions in it that take tensors."""
    import ember

    ignored = get_ignored_functions()
    out: dict[Any, list[Callable]] = defaultdict(list)
    out[ember] = [f for f in _public_functions() if f not in ignored]
    tensor = _tensor_cls()
    for name, value in vars(tensor).items():
        if name.startswith("_") and name not in ("__add__", "__mul__", "__getitem__"):
            continue
        if callable(value) or isinstance(value, property):
            out[tensor].append(value.__get__ if isinstance(value, property) else value)
    return out


def get_testing_overrides() -> dict[Callable, Callable]:
    """A dummy override (returning -1) for every overridable function, for testing that a
    ``__torch_function__`` implementation covers the API."""
    out: dict[Callable, Callable] = {}
    for funcs in get_overridable_functions().values():
        for f in funcs:
            out[f] = lambda *args, **kwargs: -1
    return out


def resolve_name(f: Callable) -> str | None:
    """The dotted public name of ``f`` (``ember.add``, ``ember.Tensor.add``), or None."""
    import ember

    name = getattr(f, "__name__", None)
    if name is None:
        return None
    tensor = _tensor_cls()
    if inspect.isfunction(f) or inspect.ismethoddescriptor(f) or inspect.isbuiltin(f):
        if vars(tensor).get(name) is f or getattr(tensor, name, None) is f:
            return f"ember.Tensor.{name}"
    if not name.startswith("<") and getattr(ember, name, None) is f:
        return f"ember.{name}"
    return None
