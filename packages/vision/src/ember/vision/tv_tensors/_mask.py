"""``Mask``: a segmentation or detection mask (..., H, W)."""

from __future__ import annotations

from typing import Any

from ._tv_tensor import TVTensor

__all__ = ["Mask"]


class Mask(TVTensor):
    """A segmentation or detection mask (..., H, W); a PIL image is converted."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Mask:
        from PIL import Image as _PIL

        if isinstance(data, _PIL.Image):
            from ..transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return tensor.as_subclass(cls)
