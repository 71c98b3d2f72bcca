"""``Variable``: PyTorch's old name for a tensor; calling it returns the tensor itself."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)

    def __call__(cls, data: Any = None, requires_grad: bool = False,
                 volatile: bool = False) -> Tensor:
        """A new tensor sharing ``data``'s storage, cut from its graph (PyTorch's legacy
        constructor: ``data`` itself is left as it is)."""
        if data is None:
            from .. import empty

            data = empty(0)
        elif not isinstance(data, Tensor):
            kind = type(data)
            name = kind.__name__ if kind.__module__ == "builtins" else \
                f"{kind.__module__}.{kind.__qualname__}"
            raise TypeError(f"Variable data has to be a tensor, but got {name}")
        if volatile:
            import warnings

            from .._stacklevel import user_stacklevel

            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=user_stacklevel())
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


class Variable(metaclass=_VariableMeta):
    """Deprecated: tensors carry autograd state themselves."""


Variable.__module__ = "ember.autograd.variable"  # where PyTorch's class lives


class _ExecutionEngine:
    """``Variable._execution_engine``: what libraries reach for to run code once the
    backward pass in progress has finished."""

    @staticmethod
    def queue_callback(callback: Any) -> None:
        """Run ``callback()`` when the backward pass in progress ends."""
        from ._api import queue_callback

        queue_callback(callback)


Variable._execution_engine = _ExecutionEngine()
