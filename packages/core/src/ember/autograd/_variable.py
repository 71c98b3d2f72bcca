"""``Variable``: PyTorch's old name for a tensor; calling it returns the tensor itself."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)

    def __call__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if requires_grad:
            data.requires_grad_(True)
        return data


class Variable(metaclass=_VariableMeta):
    """Deprecated: tensors carry autograd state themselves."""


class _ExecutionEngine:
    """``Variable._execution_engine``: what libraries reach for to run code once the
    backward pass in progress has finished."""

    @staticmethod
    def queue_callback(callback: Any) -> None:
        """Run ``callback()`` when the backward pass in progress ends."""
        from ._api import queue_callback

        queue_callback(callback)


Variable._execution_engine = _ExecutionEngine()
