"""User subclasses of Tensor keep their type through Tensor's methods and operators.

PyTorch's default ``__torch_function__`` converts every tensor an op returns to the subclass
of its argument (through ``as_subclass``: an alias in the graph). Ember has no dispatcher on
its plain-tensor path, so a user's subclass gets its own copies of Tensor's methods and
operators, made when the class is defined, that convert their results the same way; plain
tensors pay nothing. Ember's own subclasses (Parameter, the vision tv_tensors, ...) and
subclasses that bring their own ``__torch_function__`` keep what they define. Functions of
the ``ember`` namespace (``ember.add(t, 1)``) return plain tensors.
"""

from __future__ import annotations

import functools
from typing import Any

from .. import _torch_function as _tf
from .._tensor import Tensor, _subclassed

__all__ = ["propagate", "install"]

# what never converts: construction, attribute access, conversion out of tensors, printing
_KEEP = frozenset({
    "__new__", "__init__", "__init_subclass__", "__class_getitem__", "__getattribute__",
    "__getattr__", "__setattr__", "__delattr__", "__dir__", "__sizeof__", "__reduce__",
    "__reduce_ex__", "__getstate__", "__setstate__", "__copy__", "__deepcopy__", "__repr__",
    "__str__", "__format__", "__hash__", "__len__", "__iter__", "__reversed__", "__contains__",
    "__bool__", "__int__", "__float__", "__complex__", "__index__", "__array__",
    "__array_wrap__", "__array_ufunc__", "__array_function__", "__dlpack__",
    "__dlpack_device__", "__setitem__", "__del__", "as_subclass", "tolist", "item", "numpy",
    "data_ptr", "untyped_storage", "storage", "register_hook", "backward",
    "__torch_function__"})

# kept as they are for a subclass that only converts, offered to one with __torch_function__
_OFFERED_KEPT = ("item", "tolist", "numpy", "backward", "register_hook", "__len__")


def _convert(out: Any, cls: type) -> Any:
    """Tensors in ``out`` (alone, or in a tuple or list) as ``cls``."""
    if isinstance(out, Tensor):
        return out if isinstance(out, cls) else _subclassed(out, cls, True)
    if isinstance(out, (tuple, list)) and any(isinstance(o, Tensor) for o in out):
        parts = [_convert(o, cls) for o in out]
        if hasattr(out, "_make"):  # a named tuple (torch.return_types)
            return type(out)._make(parts)
        return type(out)(parts)
    return out


def _converting(fn: Any) -> Any:
    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _convert(fn(self, *args, **kwargs), type(self))

    return method


def _own(cls: type) -> bool:
    """Whether ``cls`` manages its type itself: Ember's own subclasses, and classes that
    define ``__torch_function__`` (or derive from such)."""
    for klass in cls.__mro__:
        if klass is Tensor or klass is object:
            continue
        if "__torch_function__" in vars(klass):
            return True
        if klass.__module__.split(".")[0] == "ember" and issubclass(klass, Tensor):
            return True
    return False


def _custom_torch_function(cls: type) -> bool:
    """Whether ``cls`` (or a base below Tensor) defines a ``__torch_function__`` that takes
    part in dispatch (not ``_disabled_torch_function_impl``)."""
    for klass in cls.__mro__:
        if klass is Tensor:
            return False
        fn = vars(klass).get("__torch_function__")
        if fn is not None:
            return getattr(fn, "__func__", fn) is not _tf.disabled_torch_function_impl
    return False


def propagate(cls: type) -> None:
    """Give the user subclass ``cls`` converting copies of Tensor's methods and operators
    (those it and its bases between it and Tensor do not define themselves); a subclass with
    its own ``__torch_function__`` gets copies that offer the call to it instead."""
    custom = _custom_torch_function(cls)
    if not custom and _own(cls):
        return
    from . import load_all

    load_all()  # the lazily attached op families' methods too
    defined = set()
    for klass in cls.__mro__:
        if klass is Tensor:
            break
        defined.update(vars(klass))
    names = []
    for name, attr in list(vars(Tensor).items()):
        if name in defined or name in _KEEP or not callable(attr) or isinstance(attr, type):
            continue
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue  # Ember's internals
        names.append(name)
    if "__hash__" not in defined:  # defining __eq__ would unset it
        cls.__hash__ = Tensor.__hash__
    if custom:  # PyTorch also offers these to a __torch_function__ (they give no tensor)
        names += [n for n in _OFFERED_KEPT if n not in defined]
        _tf.install_methods(cls, [n for n in names if n != "__torch_function__"])
        return
    for name in names:
        setattr(cls, name, _converting(getattr(Tensor, name)))


def _init_subclass(cls: type, **kwargs: Any) -> None:
    """``Tensor.__init_subclass__``: a user's subclass keeps its type through Tensor's methods
    and operators, as PyTorch's default ``__torch_function__`` keeps it."""
    super(Tensor, cls).__init_subclass__(**kwargs)
    propagate(cls)


def install() -> None:
    """Hook ``propagate`` into the definition of every Tensor subclass (from here, above the
    Tensor class, which may not import the ops)."""
    Tensor.__init_subclass__ = classmethod(_init_subclass)  # type: ignore[method-assign]
    Tensor.__torch_function__ = _tf.torch_function  # type: ignore[attr-defined]
