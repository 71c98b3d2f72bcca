"""``TVTensor``: the base of the typed tensors, and how Tensor's methods and operators treat
them (plain results unless ``set_return_type("TVTensor")``; ``wrap`` restores a type)."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import ember
from ember import Tensor

from . import _torch_function_helpers as _helpers

__all__ = ["TVTensor", "wrap"]

# methods that never return a tensor of the same data, or whose result must stay as it is
_PASS = frozenset(("as_subclass", "numpy", "tolist", "item", "size", "dim", "numel", "nelement",
                   "stride", "element_size", "is_contiguous", "is_floating_point", "is_complex",
                   "is_signed", "data_ptr", "backward", "register_hook", "retain_grad",
                   "get_device", "storage_offset", "untyped_storage", "storage", "ndimension",
                   "is_set_to", "is_shared", "is_pinned", "equal", "allclose"))
_OPERATORS = tuple(f"__{op}__" for op in (
    "add radd iadd sub rsub isub mul rmul imul truediv rtruediv itruediv floordiv rfloordiv "
    "ifloordiv mod rmod imod pow rpow ipow matmul rmatmul imatmul and rand iand or ror ior xor "
    "rxor ixor lshift rlshift ilshift rshift rrshift irshift neg pos abs invert getitem eq ne "
    "lt le gt ge").split())


def _tv_method(fn: Any) -> Any:
    """``fn`` (a Tensor method) returning what PyTorch's ``TVTensor.__torch_function__``
    returns: the result wrapped like ``self`` when the type is kept, else plain tensors
    (an in-place method's ``self`` as a plain alias of the same data)."""
    @functools.wraps(fn)
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        out = fn(self, *args, **kwargs)
        cls = type(self)
        if _helpers._RETURN_TVTENSOR:
            return cls._wrap_output(out, (self, *args), kwargs)
        if isinstance(out, cls):
            return out.as_subclass(Tensor)
        return out

    method._tv_wrapped = True
    return method


_WRAPPED: set = set()


def _wrap_tensor_methods() -> None:
    """Put ``_tv_method`` wrappers of Tensor's public methods and operators on ``TVTensor``
    (once each; methods of lazily loaded op families are loaded first)."""
    from ember import _tensor

    while _tensor._load_lazy_methods is not None and _tensor._load_lazy_methods():
        pass
    for name in dir(Tensor):
        if name in _WRAPPED or name in _PASS or name in TVTensor.__dict__:
            continue
        if name.startswith("_") and name not in _OPERATORS:
            continue
        fn = inspect.getattr_static(Tensor, name)
        if not callable(fn) or isinstance(fn, (staticmethod, classmethod, property, type)):
            continue
        _WRAPPED.add(name)
        setattr(TVTensor, name, _tv_method(fn))


def _flat(values: Any) -> list:
    """The leaves of nested lists, tuples and dicts."""
    if isinstance(values, (list, tuple)):
        return [leaf for v in values for leaf in _flat(v)]
    if isinstance(values, dict):
        return [leaf for v in values.values() for leaf in _flat(v)]
    return [values]


def _rebuild_sequence(out: Any, parts: list) -> Any:
    try:
        return type(out)(parts)
    except TypeError:  # a namedtuple takes its fields one by one
        return type(out)(*parts)


class TVTensor(Tensor):
    """Base class of the typed tensors."""

    @staticmethod
    def _to_tensor(data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool | None = None) -> Tensor:
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        if isinstance(data, Tensor):
            data = data.as_subclass(Tensor)
        return ember.as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    __hash__ = Tensor.__hash__  # (defining __eq__ below would unset it)

    @classmethod
    def wrap(cls, tensor: Tensor, like: TVTensor, **kwargs: Any) -> TVTensor:
        return tensor.as_subclass(cls)

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """A method's result as ``cls`` (tensors, and those in a returned tuple or list)."""
        if isinstance(output, Tensor) and not isinstance(output, cls):
            output = output.as_subclass(cls)
        if isinstance(output, (tuple, list)):
            output = _rebuild_sequence(output, [cls._wrap_output(p, args, kwargs)
                                                for p in output])
        return output

    def _rewrap(self, out: Any) -> Any:
        return type(self).wrap(out, like=self) if isinstance(out, Tensor) else out

    def clone(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.clone(self, *args, **kwargs))

    def to(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.to(self, *args, **kwargs))

    def detach(self) -> TVTensor:
        return self._rewrap(Tensor.detach(self))

    def requires_grad_(self, requires_grad: bool = True) -> TVTensor:
        Tensor.requires_grad_(self, requires_grad)
        return self

    def pin_memory(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.pin_memory(self, *args, **kwargs))

    def _make_repr(self, **kwargs: Any) -> str:
        body = Tensor.__repr__(self)  # ``Image(...)``, indented by the class name
        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{body[:-1]}, {extra})"  # (``Image(..., )`` with none, as torchvision prints)

    def __deepcopy__(self, memo: dict) -> TVTensor:
        return self.detach().clone().requires_grad_(self.requires_grad)

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_tv_tensor, (type(self), self.as_subclass(Tensor).detach().clone(),
                                     dict(getattr(self, "__dict__", {}))))


def _rebuild_tv_tensor(cls: type, tensor: Tensor, state: dict) -> TVTensor:
    out = tensor.as_subclass(cls)
    out.__dict__.update(state)
    return out


def wrap(wrappee: Tensor, *, like: TVTensor, **kwargs: Any) -> TVTensor:
    """``wrappee`` as the type of ``like``, with its metadata (``kwargs`` override it)."""
    method = getattr(type(like), "wrap", None)
    if method is not None:
        return method(wrappee, like, **kwargs)
    return wrappee.as_subclass(type(like))


_wrap_tensor_methods()
