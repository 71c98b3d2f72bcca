"""The ``__torch_function__`` protocol for Tensor subclasses: a subclass that defines it sees
calls of Tensor's methods and operators as ``(func, types, args, kwargs)``.

Plain tensors pay nothing: Ember has no dispatcher on its plain path, so the protocol is
switched on per class, when the subclass is defined (it gets its own dispatching copies of
Tensor's methods). Functions of the ``ember`` namespace (``ember.add(t, 1)``) are not offered
to it; ``ember.overrides.handle_torch_function`` serves code that dispatches explicitly.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
from collections.abc import Iterator
from typing import Any

from ._tensor import Tensor

__all__ = ["torch_function", "disabled_torch_function_impl", "DisableTorchFunctionSubclass",
           "dispatch", "install_methods"]

_state = threading.local()
_dispatches: dict[type, bool] = {}  # per class: whether its instances are offered calls
_NUMBERS = frozenset({int, float, bool, complex, str, type(None), slice})


def _off() -> bool:
    return getattr(_state, "off", 0) > 0


@contextlib.contextmanager
def DisableTorchFunctionSubclass() -> Iterator[None]:  # noqa: N802 - PyTorch's name
    """Inside, calls run Ember's own code without offering them to ``__torch_function__``."""
    _state.off = getattr(_state, "off", 0) + 1
    try:
        yield
    finally:
        _state.off -= 1


def _convert(out: Any, cls: type) -> Any:
    from .ops._subclass import _convert as convert

    return convert(out, cls)


def __torch_function__(cls: type, func: Any, types: tuple, args: tuple = (),  # noqa: N807
                       kwargs: dict | None = None) -> Any:
    """``Tensor.__torch_function__``: run ``func`` and return its tensors as ``cls``."""
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        return _convert(func(*args, **kwargs), cls)


__torch_function__.__qualname__ = "Tensor.__torch_function__"
torch_function = classmethod(__torch_function__)


def disabled_torch_function_impl(func: Any, types: tuple, args: tuple = (),
                                 kwargs: dict | None = None) -> Any:
    """PyTorch's ``_disabled_torch_function_impl`` (a class attribute, not bound to the
    class: ``__torch_function__ = ember._C._disabled_torch_function_impl``): run ``func``,
    results as they come."""
    with DisableTorchFunctionSubclass():
        return func(*args, **(kwargs or {}))


def _takes_part(cls: type) -> bool:
    """Whether instances of ``cls`` are offered calls: Tensor-likes with their own
    ``__torch_function__``, and Tensor subclasses but Ember's own (without one of theirs)."""
    fn = getattr(cls, "__torch_function__", None)
    if fn is None:
        return False
    fn = getattr(fn, "__func__", fn)
    if fn is disabled_torch_function_impl:
        return False
    if not issubclass(cls, Tensor):
        return True
    if fn is not torch_function.__func__:
        return True
    return not any(k.__module__.split(".")[0] == "ember" for k in cls.__mro__
                   if k is not Tensor and issubclass(k, Tensor))


def _part_of(x: Any, found: list) -> None:
    c = x.__class__
    take = _dispatches.get(c)
    if take is None:
        take = _dispatches[c] = c is not Tensor and _takes_part(c)
    if take:
        found.append(x)


def _overloaded(args: tuple, kwargs: dict) -> list:
    """The arguments to offer a call to (one per type, subclasses before their bases)."""
    found: list = []
    for a in (*args, *kwargs.values()):
        c = a.__class__
        if c is Tensor or c in _NUMBERS:
            continue
        if c is list or c is tuple:
            for b in a:
                if b.__class__ is not Tensor and b.__class__ not in _NUMBERS:
                    _part_of(b, found)
        else:
            _part_of(a, found)
    if len(found) < 2:
        return found
    out: list = []
    types: list = []
    for a in found:
        t = type(a)
        if t in types:
            continue
        i = next((j for j, p in enumerate(types) if issubclass(t, p)), len(types))
        out.insert(i, a)
        types.insert(i, t)
    return out


def dispatch(func: Any, overloaded: list, args: tuple, kwargs: dict) -> Any:
    """Offer ``func(*args, **kwargs)`` to each overloaded argument's ``__torch_function__``
    until one does not return NotImplemented; PyTorch's TypeError when none takes it."""
    types = tuple(type(a) for a in overloaded)
    for a in overloaded:
        result = type(a).__torch_function__(func, types, args, kwargs)
        if result is not NotImplemented:
            return result
    # the public name, as ``ember.overrides`` (a layer above, loaded by the time a call fails)
    # resolves it
    resolve_name = importlib.import_module("ember.overrides").resolve_name
    name = resolve_name(func) or f"ember.{getattr(func, '__name__', func)}"
    lines = "".join(f"  - tensor subclass {t}\n" for t in types)
    raise TypeError(f"Multiple dispatch failed for '{name}'; all __torch_function__ "
                    f"handlers returned NotImplemented:\n\n{lines}\nFor more information, "
                    "try re-running with TORCH_LOGS=not_implemented")


# operators: where no handler takes the call, Python's TypeError names the operand types
_OPERATORS = frozenset(f"__{p}{op}__" for p in ("", "r", "i") for op in (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
    "lshift", "rshift")) | {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}


def _method(name: str, func: Any, orig: Any) -> Any:
    """A Tensor method of a subclass with ``__torch_function__``: offered to it as ``func``."""
    operator = name in _OPERATORS

    @functools.wraps(orig)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "off", 0):
            return orig(self, *args, **kwargs)
        args = (self, *args)
        try:
            return dispatch(func, _overloaded(args, kwargs) or [self], args, kwargs)
        except TypeError:
            if operator:  # as PyTorch's operators turn a TypeError into NotImplemented
                return NotImplemented
            raise

    return method


def install_methods(cls: type, names: list) -> None:
    """Give ``cls`` (which defines ``__torch_function__``) dispatching copies of the Tensor
    methods ``names``; an operator is offered as its named method where there is one
    (``__add__`` as ``Tensor.add``), as PyTorch offers it."""
    for name in names:
        orig = getattr(Tensor, name)
        plain = name.strip("_")
        if plain in ("radd", "rmul", "rand", "ror", "rxor"):  # commutative: offered as add, ...
            plain = plain[1:]
        func = getattr(Tensor, plain) if name.startswith("__") and plain and \
            callable(getattr(Tensor, plain, None)) else orig
        setattr(cls, name, _method(name, func, orig))
