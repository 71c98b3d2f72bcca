"""torchvision.ops._box_convert: the box format conversions under torchvision's private names
(imported by user code and by ``torchvision.ops.boxes``)."""

from .boxes import (
    _box_cxcywh_to_xyxy,
    _box_cxcywhr_to_xywhr,
    _box_xywh_to_xyxy,
    _box_xywhr_to_cxcywhr,
    _box_xywhr_to_xyxyxyxy,
    _box_xyxy_to_cxcywh,
    _box_xyxy_to_xywh,
    _box_xyxyxyxy_to_xywhr,
)

__all__ = ["_box_cxcywh_to_xyxy", "_box_xyxy_to_cxcywh", "_box_xywh_to_xyxy", "_box_xyxy_to_xywh",
           "_box_cxcywhr_to_xywhr", "_box_xywhr_to_cxcywhr", "_box_xywhr_to_xyxyxyxy",
           "_box_xyxyxyxy_to_xywhr"]
