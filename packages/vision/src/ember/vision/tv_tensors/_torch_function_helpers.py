"""``set_return_type``: whether tensor methods and operators on TVTensors keep their type
(torchvision.tv_tensors._torch_function_helpers)."""

from __future__ import annotations

from typing import Any

__all__ = ["set_return_type"]

_RETURN_TVTENSOR = False


class _ReturnTypeCM:
    """What ``set_return_type`` returns: as a context manager it restores the old setting."""

    def __init__(self, to_restore: bool) -> None:
        self.to_restore = to_restore

    def __enter__(self) -> _ReturnTypeCM:
        return self

    def __exit__(self, *args: Any) -> None:
        global _RETURN_TVTENSOR
        _RETURN_TVTENSOR = self.to_restore


def set_return_type(return_type: str) -> _ReturnTypeCM:
    """Whether tensor methods and operators on TVTensors return plain tensors ("Tensor", the
    default) or keep the TVTensor type ("TVTensor"), case-insensitive; for the whole program,
    or for a ``with`` block. Transforms always return the types they were given."""
    global _RETURN_TVTENSOR
    to_restore = _RETURN_TVTENSOR
    try:
        _RETURN_TVTENSOR = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    if _RETURN_TVTENSOR:
        from ._tv_tensor import _wrap_tensor_methods

        _wrap_tensor_methods()  # methods of op families loaded since
    return _ReturnTypeCM(to_restore)
