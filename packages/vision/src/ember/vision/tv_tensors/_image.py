"""``Image``: an image tensor (..., C, H, W)."""

from __future__ import annotations

from typing import Any

from ._tv_tensor import TVTensor

__all__ = ["Image"]


class Image(TVTensor):
    """An image tensor (..., C, H, W); a PIL image or a 2-D tensor is converted."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Image:
        from PIL import Image as _PIL

        if isinstance(data, _PIL.Image):
            from ..transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return tensor.as_subclass(cls)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr()
