"""Helpers shared by the box and RoI ops."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.extend import renamed

__all__ = ["_cat", "torchvision_node", "no_rois", "convert_boxes_to_roi_format",
           "check_roi_boxes_shape", "split_normalization_params", "_upcast", "_upcast_non_float",
           "_loss_inter_union", "_reduce"]

_FLOAT_KEEP = (ember.float32, ember.float64)
_INT_KEEP = (ember.int32, ember.int64)


def torchvision_node(out: Tensor, op: str) -> Tensor:
    """``out`` with its graph node named as torchvision's custom op ``op`` names it
    (``GeneratedBackwardFor_torchvision_<op>_defaultBackward``), not after the last Ember op
    that composed it."""
    return renamed(out, f"GeneratedBackwardFor_torchvision_{op}_defaultBackward")


def no_rois(input: Tensor, shape: tuple[int, ...], op: str) -> Tensor:
    """The empty ``(0, C, PH, PW)`` output of a RoI op given no boxes, still in ``input``'s graph
    as torchvision's is (its backward gives the input a zero gradient)."""
    if not (input.requires_grad and ember.is_grad_enabled()):
        return input.new_zeros(shape)
    out = input.reshape(-1)[:0].reshape((0,) + (1,) * (len(shape) - 1)).expand(shape)
    return torchvision_node(out.contiguous(), op)


def _cat(tensors: list[Tensor], dim: int = 0) -> Tensor:
    """``ember.cat`` that returns a lone tensor as is."""
    return tensors[0] if len(tensors) == 1 else ember.cat(tensors, dim)


def convert_boxes_to_roi_format(boxes: list[Tensor]) -> Tensor:
    """``[Tensor[L_i, 4]]`` per image to one ``Tensor[K, 5]`` of (image index, x1, y1, x2, y2)."""
    concat = _cat(list(boxes), dim=0)
    ids = _cat([ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def check_roi_boxes_shape(boxes: Any) -> None:
    if isinstance(boxes, (list, tuple)):
        for t in boxes:
            if t.size(1) != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct "
                                     "as List[Tensor[L, 4]]")
    elif isinstance(boxes, Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def split_normalization_params(model: Any, norm_classes: list[type] | None = None
                               ) -> tuple[list[Tensor], list[Tensor]]:
    """The trainable parameters of ``model``'s normalization layers and all the others (for
    weight decay on the others only), in ``model.modules()`` order, as torchvision's."""
    from ember import nn

    if not norm_classes:
        norm_classes = [nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm,
                        nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm]
    for t in norm_classes:
        if not issubclass(t, nn.Module):
            raise ValueError(f"Class {t} is not a subclass of nn.Module.")
    classes = tuple(norm_classes)
    norm_params: list[Tensor] = []
    other_params: list[Tensor] = []
    for module in model.modules():
        if next(module.children(), None):  # a container: only its own parameters
            other_params.extend(p for p in module.parameters(recurse=False) if p.requires_grad)
        elif isinstance(module, classes):
            norm_params.extend(p for p in module.parameters() if p.requires_grad)
        else:
            other_params.extend(p for p in module.parameters() if p.requires_grad)
    return norm_params, other_params


def _upcast(t: Tensor) -> Tensor:
    """Half-precision floats to float32, small integers to int32 (to avoid overflow)."""
    if t.is_floating_point():
        return t if t.dtype in _FLOAT_KEEP else t.float()
    return t if t.dtype in _INT_KEEP else t.int()


def _upcast_non_float(t: Tensor) -> Tensor:
    return t if t.dtype in _FLOAT_KEEP else t.float()


def _mask_shape_error(mask: tuple[int, ...], indexed: tuple[int, ...]) -> None:
    """The IndexError of torchvision's boolean-mask indexing when ``boxes2`` broadcasts
    ``boxes1`` to more boxes."""
    if len(mask) > len(indexed):
        raise IndexError(f"too many indices for tensor of dimension {len(indexed)}")
    i = next(i for i, (m, n) in enumerate(zip(mask, indexed)) if m != n)
    raise IndexError(f"The shape of the mask {list(mask)} at index {i} does not match the "
                     f"shape of the indexed tensor {list(indexed)} at index {i}")


def _loss_inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Element-wise intersection and union areas of matching (x1, y1, x2, y2) boxes."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = ember.max(x1, x1g), ember.max(y1, y1g)
    xkis2, ykis2 = ember.min(x2, x2g), ember.min(y2, y2g)
    overlap = (ykis2 > ykis1) & (xkis2 > xkis1)
    if overlap.shape != x1.shape:  # torchvision masks boxes1's coordinates with it
        _mask_shape_error(overlap.shape, x1.shape)
    inter = ember.where(overlap, (xkis2 - xkis1) * (ykis2 - ykis1), ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """The box losses' reductions; the mean of no elements is 0 (and still differentiable)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     "modes: 'none', 'mean', 'sum'")
