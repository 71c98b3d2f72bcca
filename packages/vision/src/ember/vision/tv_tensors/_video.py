"""``Video``: a video tensor (..., T, C, H, W)."""

from __future__ import annotations

from typing import Any

from ._tv_tensor import TVTensor

__all__ = ["Video"]


class Video(TVTensor):
    """A video tensor (..., T, C, H, W)."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Video:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 4:
            raise ValueError  # bare, as torchvision raises it
        return tensor.as_subclass(cls)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr()
