"""``Parameter`` and ``Buffer``: tensors that modules register by attribute assignment.

A Parameter is a Tensor subclass made with ``Tensor.as_subclass`` on the same data
(no copy); it requires grad by default. ``Uninitialized*`` are the placeholders of
lazy modules, turned into their real class by ``materialize``.
"""

from __future__ import annotations

import weakref
from typing import Any

import ember
from ember import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy"]


def _as_tensor(data: Any) -> Tensor:
    # anything but a Tensor fails on ``.detach()`` as in PyTorch ("'list' object has no
    # attribute 'detach'")
    return ember.empty(0) if data is None else data


class Parameter(Tensor):
    """A Tensor that is a module parameter: registered when assigned to a Module attribute."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        t = _as_tensor(data).detach().as_subclass(cls)
        if requires_grad:
            if not (t.is_floating_point() or t.is_complex()):
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients")
            t.requires_grad_(True)
        return t

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__
    _plain_repr = True  # its values print as ``tensor(...)``

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        # as PyTorch: the copy has the data and requires_grad only (no .grad, no attributes)
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_parameter, (self.data, self.requires_grad, type(self), self.__dict__))


def _rebuild_parameter(data: Tensor, requires_grad: bool, cls: type = Parameter,
                       state: dict | None = None) -> Parameter:
    p = cls(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


# Tensors made by ``Buffer(...)``: id -> (weak reference, persistent). Ember's Tensor has
# no ``__dict__`` for PyTorch's ``_is_buffer``/``persistent`` attributes.
_BUFFER_MARKS: dict[int, tuple[weakref.ref, bool]] = {}


def _mark_buffer(t: Tensor, persistent: bool) -> None:
    key = id(t)

    def forget(ref: weakref.ref, key: int = key) -> None:
        entry = _BUFFER_MARKS.get(key)
        if entry is not None and entry[0] is ref:
            del _BUFFER_MARKS[key]

    _BUFFER_MARKS[key] = (weakref.ref(t, forget), persistent)


def buffer_persistent(value: Any) -> bool | None:
    """The ``persistent`` flag of a tensor made by ``Buffer(...)``; None for other objects."""
    flag = getattr(value, "persistent", None)  # materialized lazy buffers carry it
    if flag is not None:
        return flag
    entry = _BUFFER_MARKS.get(id(value))
    if entry is not None and entry[0]() is value:
        return entry[1]
    return None


class _BufferMeta(type(Tensor)):  # Tensor's own metaclass, which it extends
    """``isinstance(t, Buffer)`` holds for the plain tensors that ``Buffer(...)`` returns."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if type.__instancecheck__(cls, instance):
            return True
        return cls is Buffer and isinstance(instance, Tensor) and (
            buffer_persistent(instance) is not None)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a Tensor as a module buffer: registered when assigned to a Module attribute.

    As in PyTorch, ``Buffer(t)`` returns a plain (detached) Tensor, remembered as a buffer;
    ``persistent=False`` keeps it out of the module's ``state_dict``.
    """

    _plain_repr = True  # materialized lazy buffers print as ``tensor(...)``

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        src = _as_tensor(data)
        t = src.detach()
        t._rg = src.requires_grad
        _mark_buffer(t, persistent)
        return t

    def __deepcopy__(self, memo: dict) -> Buffer:
        if id(self) in memo:
            return memo[id(self)]
        result = Buffer(self.data.clone(), persistent=self.persistent)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_buffer, (self.data, self.persistent))


def _rebuild_buffer(data: Tensor, persistent: bool) -> Buffer:
    return Buffer(data, persistent=persistent)


class UninitializedTensorMixin:
    """Behaviour shared by the placeholders of lazy modules: no shape until materialized."""

    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the placeholder data of ``shape`` and turn it into ``cls_to_become``."""
        if device is None:
            device = self.device
        if dtype is None:
            dtype = self.dtype
        self.data = ember.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into "
            "an initialized one. Call `forward` to initialize the parameters before accessing "
            "their attributes.")

    def share_memory_(self) -> Any:
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


# what PyTorch lets an uninitialized placeholder do (everything else raises ValueError);
# ``nelement``/``ndimension`` are reported under the names of the methods they call
_UNINIT_ALLOWED = frozenset({
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char",
    "short", "int", "long", "cuda", "cpu", "to", "get_device", "materialize", "share_memory_",
    "as_subclass", "register_hook", "requires_grad", "data", "grad", "dtype", "device"})
_UNINIT_ALIASES = {"nelement": "numel", "ndimension": "dim", "__add__": "add", "__radd__": "add",
                   "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div",
                   "__mod__": "remainder", "__neg__": "neg", "__matmul__": "matmul",
                   "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__ne__": "ne",
                   "__abs__": "abs", "__pos__": "positive", "__iadd__": "add_",
                   "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_"}
# operators too: PyTorch's ``__torch_function__`` refuses them (``w + 1``, ``w @ x``, ``w[0]``)
_UNINIT_DUNDERS = ("__len__", "__iter__", "__bool__", "__array__", "__index__", "__int__",
                   "__float__", "__complex__", "__reversed__", "__dlpack__", "__add__",
                   "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                   "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__",
                   "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__",
                   "__abs__", "__invert__", "__and__", "__or__", "__xor__", "__rand__", "__ror__",
                   "__rxor__", "__lshift__", "__rshift__", "__eq__", "__ne__", "__lt__", "__le__",
                   "__gt__", "__ge__", "__getitem__", "__setitem__", "__contains__", "__iadd__",
                   "__isub__", "__imul__", "__itruediv__")


def _refuse_uninitialized(name: str) -> Any:
    """A method of the placeholders that raises PyTorch's ValueError, as its
    ``__torch_function__`` does for every Tensor method but a few."""
    shown = _UNINIT_ALIASES.get(name, name)

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(
            f"Attempted to use an uninitialized parameter in <method '{shown}' of "
            "'ember._C.TensorBase' objects>. This error happens when you are using a "
            "`LazyModule` or explicitly manipulating "
            f"`ember.nn.parameter.{type(self).__name__}` objects. When using LazyModules "
            "Call `forward` with a dummy batch to initialize the parameters before calling "
            "ember functions")

    refuse.__name__ = name
    return refuse


def _install_refusals() -> None:
    from ember.ops import load_all

    load_all()  # the lazily loaded op families' methods too
    for name in [n for n in dir(Tensor) if not n.startswith("_")] + list(_UNINIT_DUNDERS):
        attr = getattr(Tensor, name, None)
        if (name in _UNINIT_ALLOWED or name in UninitializedTensorMixin.__dict__
                or not callable(attr) or isinstance(attr, type)):
            continue
        setattr(UninitializedTensorMixin, name, _refuse_uninitialized(name))


_install_refusals()


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an uninitialized placeholder of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (lazy modules)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> UninitializedParameter:
        data = ember.empty(0, device=device, dtype=dtype)
        t = data.as_subclass(cls)
        if requires_grad:
            Tensor.requires_grad_(t, True)
        return t


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (lazy modules)."""

    cls_to_become = Buffer

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                persistent: bool = True) -> UninitializedBuffer:
        data = ember.empty(0, device=device, dtype=dtype)
        t = data.as_subclass(cls)
        t._rg = requires_grad
        t.persistent = persistent
        return t
