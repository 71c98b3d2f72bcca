"""``BoundingBoxes`` and their ``BoundingBoxFormat``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ember import Tensor

from ._tv_tensor import TVTensor, _flat, _rebuild_sequence

__all__ = ["BoundingBoxFormat", "BoundingBoxes", "is_rotated_bounding_format"]


class BoundingBoxFormat(Enum):
    """Coordinate formats of bounding boxes."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format: BoundingBoxFormat | str) -> bool:
    if isinstance(format, BoundingBoxFormat):
        return format in (BoundingBoxFormat.XYWHR, BoundingBoxFormat.CXCYWHR,
                          BoundingBoxFormat.XYXYXYXY)
    if isinstance(format, str):
        return format in ("XYWHR", "CXCYWHR", "XYXYXYXY")
    raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")


class BoundingBoxes(TVTensor):
    """Boxes (N, 4) in ``format`` on an image of ``canvas_size`` (height, width).

    ``clamping_mode`` ("soft", "hard" or None) says whether transforms clamp the boxes to
    the canvas (for axis-aligned boxes soft and hard clamp alike).
    """

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]
    clamping_mode: str | None

    @classmethod
    def _wrap(cls, tensor: Tensor, *, format: BoundingBoxFormat | str,
              canvas_size: tuple[int, int], clamping_mode: str | None = "soft",
              check_dims: bool = True) -> BoundingBoxes:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        boxes = tensor.as_subclass(cls)
        boxes.format = format
        boxes.canvas_size = canvas_size  # as given (a list from F.get_size), as torchvision
        boxes.clamping_mode = clamping_mode
        return boxes

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Results as boxes with the metadata of the first boxes among the arguments."""
        first = next(x for x in _flat([args, kwargs or {}]) if isinstance(x, BoundingBoxes))
        meta = dict(format=first.format, canvas_size=first.canvas_size,
                    clamping_mode=first.clamping_mode, check_dims=False)
        if isinstance(output, Tensor) and not isinstance(output, BoundingBoxes):
            output = BoundingBoxes._wrap(output, **meta)
        elif isinstance(output, (tuple, list)):  # chunk(), unbind()
            output = _rebuild_sequence(output, [BoundingBoxes._wrap(p, **meta) for p in output])
        return output

    @classmethod
    def wrap(cls, tensor: Tensor, like: BoundingBoxes, **kwargs: Any) -> BoundingBoxes:
        return cls._wrap(tensor, format=kwargs.get("format", like.format),
                         canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         clamping_mode=kwargs.get("clamping_mode", like.clamping_mode),
                         check_dims=False)

    def __new__(cls, data: Any, *, format: BoundingBoxFormat | str, canvas_size: tuple[int, int],
                clamping_mode: str | None = "soft", dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> BoundingBoxes:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if not tensor.is_floating_point() and is_rotated_bounding_format(format):
            raise ValueError("Rotated bounding boxes should be floating point tensors, got "
                             f"{tensor.dtype}.")
        return cls._wrap(tensor, format=format, canvas_size=canvas_size,
                         clamping_mode=clamping_mode)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr(format=self.format, canvas_size=self.canvas_size,
                               clamping_mode=self.clamping_mode)
