"""Rotated bounding boxes (XYWHR, CXCYWHR, XYXYXYXY) under crop, pad and resize:
torchvision's clamping to the canvas and its squaring of parallelograms, step for step.

Clamping walks the four canvas sides: the corners are reordered so that the first has the
lowest x, the box is clamped against the left side (moving the lines' y-intercepts, soft:
the smallest box around the visible part, hard: the largest box inside it), and the canvas
is turned a quarter turn; four turns visit every side.
"""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

__all__ = ["clamp_rotated_bounding_boxes", "parallelogram_to_bounding_boxes", "convert_rotated"]


# ---------------------------------------------------------------- format conversions
# torchvision's v2 kernels (transforms.v2.functional._meta), in their order of operations,
# which differs from torchvision.ops.box_convert's (the last bits of the results differ)
def _radians(r: Tensor) -> tuple[Tensor, Tensor]:
    rad = r.mul(math.pi).div(180.0)
    return rad.cos(), rad.sin()


def _shift_origin(b: Tensor, sign: int) -> Tensor:
    """Rotated boxes' origin moved by half their size along their axes: ``sign`` -1 from the
    centre to the first corner, +1 back (negation is exact: both directions round alike)."""
    half = b[..., 2:-1].div(-2, rounding_mode=None if b.is_floating_point() else "floor").abs()
    half = half * sign
    cos, sin = _radians(b[..., 4])
    x = b[..., 0] + half[..., 0] * cos + half[..., 1] * sin
    y = b[..., 1] - half[..., 0] * sin + half[..., 1] * cos
    return ember.cat((x.unsqueeze(-1), y.unsqueeze(-1), b[..., 2:]), dim=-1)


def _cxcywhr_to_xywhr(b: Tensor) -> Tensor:
    return _shift_origin(b, -1)


def _xywhr_to_cxcywhr(b: Tensor) -> Tensor:
    return _shift_origin(b, 1)


def _xywhr_to_xyxyxyxy(b: Tensor) -> Tensor:
    x1, y1, w, h, r = b.unbind(-1)
    cos, sin = _radians(r)
    return ember.stack((x1, y1, x1 + w * cos, y1 - w * sin, x1 + (w * cos + h * sin),
                        y1 - (w * sin - h * cos), x1 + h * sin, y1 + h * cos), dim=-1)


def _xyxyxyxy_to_xywhr(b: Tensor) -> Tensor:
    dtype = b.dtype
    cast = dtype not in (ember.float32, ember.float64)
    if cast:  # squares of integer coordinates would overflow
        b = b.to(ember.float32)
    x1, y1, x2, y2, x3, y3, _, _ = b.unbind(-1)
    r = ember.atan2(y1 - y2, x2 - x1)
    w = (x2 - x1).pow(2).add((y2 - y1).pow(2)).sqrt()
    h = (x3 - x2).pow(2).add((y3 - y2).pow(2)).sqrt()
    out = ember.stack((x1, y1, w, h, r.div(math.pi).mul(180.0)), dim=-1)
    return out.to(dtype) if cast else out


def convert_rotated(boxes: Tensor, old: str, new: str) -> Tensor:
    """Rotated boxes from format ``old`` to ``new`` ("XYWHR", "CXCYWHR", "XYXYXYXY"),
    through XYWHR as torchvision converts them."""
    if old == new:
        return boxes
    if old == "CXCYWHR":
        boxes = _cxcywhr_to_xywhr(boxes)
    elif old == "XYXYXYXY":
        boxes = _xyxyxyxy_to_xywhr(boxes)
    if new == "CXCYWHR":
        return _xywhr_to_cxcywhr(boxes)
    if new == "XYXYXYXY":
        return _xywhr_to_xyxyxyxy(boxes)
    return boxes


def parallelogram_to_bounding_boxes(parallelogram: Tensor) -> Tensor:
    """Parallelograms (..., 8) as rectangles that keep the two corners of the longest
    diagonal (a box sheared by a resize or crop becomes a rotated box again)."""
    shape, dtype = parallelogram.shape, parallelogram.dtype
    cast = dtype not in (ember.float32, ember.float64)
    if cast:  # squares of integer coordinates would overflow
        parallelogram = parallelogram.to(ember.float32)
    x1, y1, x2, y2, x3, y3, x4, y4 = parallelogram.unbind(-1)
    cx, cy = (x1 + x3) / 2, (y1 + y3) / 2
    wp = ember.sqrt((x2 - x1).pow(2) + (y2 - y1).pow(2))
    hp = ember.sqrt((x4 - x1).pow(2) + (y4 - y1).pow(2))
    r12 = ember.atan2(y1 - y2, x2 - x1)
    r14 = ember.atan2(y1 - y4, x4 - x1)
    r_rad = r12 - r14
    sign = ember.where(r_rad > math.pi / 2, -1, 1)
    cos, sin = r_rad.cos(), r_rad.sin()
    w = ember.where(wp < hp, wp * sin, wp + hp * cos * sign)
    h = ember.where(wp > hp, hp * sin, hp + wp * cos * sign)
    r_rad = ember.where(hp > wp, r14 + math.pi / 2, r12)
    cos, sin = r_rad.cos(), r_rad.sin()
    out = ember.stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin,
                       cx + w / 2 * cos - h / 2 * sin, cy - h / 2 * cos - w / 2 * sin,
                       cx + w / 2 * cos + h / 2 * sin, cy + h / 2 * cos - w / 2 * sin,
                       cx - w / 2 * cos + h / 2 * sin, cy + h / 2 * cos + w / 2 * sin),
                      dim=-1).reshape(shape)
    return out.to(dtype) if cast else out


def _order_points(boxes: Tensor, indices: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Corners (N, 8) reordered by ``indices``, by default so that the first corner has the
    lowest x (the lowest y among equals)."""
    if indices is None:
        flat = boxes.reshape(-1, 8)
        x, y = flat[..., 0::2], flat[..., 1::2]
        y_max = ember.max(y.abs(), dim=1, keepdim=True)[0]
        x_max = ember.max(x.abs(), dim=1, keepdim=True)[0]
        first = (y / y_max + (x / x_max) * 100).min(dim=1)[1]
        indices = ember.ones_like(flat)
        indices[..., 0] = first.mul(2)
        indices = indices.cumsum(1).remainder(8)
    return indices, boxes.gather(1, indices.to(ember.int64))


def _slope_and_intercept(box: Tensor) -> tuple[Tensor, Tensor]:
    """Slope and y-intercept of the line through each corner and the next."""
    x, y = box[..., ::2], box[..., 1::2]
    a = y.diff(append=y[..., 0:1]) / x.diff(append=x[..., 0:1])
    return a, y - a * x


def _intersections(a: Tensor, b: Tensor) -> Tensor:
    """Where each line meets the previous one: (N, 8)."""
    x = b.diff(prepend=b[..., 3:4]).neg() / a.diff(prepend=a[..., 3:4])
    y = a * x + b
    return ember.cat((x.unsqueeze(-1), y.unsqueeze(-1)), dim=-1).view(a.shape[0], 8)


def _clamp_intercepts(boxes: Tensor, original: Tensor, canvas_size: tuple[int, int],
                      clamping_mode: str | None) -> Tensor:
    """The four lines' y-intercepts once the box is clamped against the left side."""
    a, b = _slope_and_intercept(boxes)
    a1, a2, a3, a4 = a.unbind(-1)
    b1, b2, b3, b4 = b.unbind(-1)
    b1m, b2m, b3m, b4m = _slope_and_intercept(original)[1].unbind(-1)
    b1 = b2.clamp(b1, b3).clamp(0, canvas_size[0])
    b4 = b3.clamp(b2, b4).clamp(0, canvas_size[0])
    if clamping_mode == "hard":  # the largest angle-preserving box inside
        b1 = b4 = (b1 + b4) / 2
        b2 = ember.stack([b1 * a2 / a1, b3 * a2 / a3, (a1 - a2) * canvas_size[1] + b1,
                          (a3 - a2) * canvas_size[1] + b3], dim=1).max(dim=1)[0].clamp(max=b2)
        b3 = ember.stack([canvas_size[0] * (1 - a3 / a4) + b4 * a3 / a4,
                          canvas_size[0] * (1 - a3 / a2) + b2 * a3 / a2,
                          (a2 - a3) * canvas_size[1] + b2,
                          (a4 - a3) * canvas_size[1] + b4], dim=1).min(dim=1)[0].clamp(min=b3)
        # one tensor in torchvision: both final clamps apply to the shared b1 = b4
        b1 = b4 = b1.clamp(b1m, b3m).clamp(b2m, b4m)
        return ember.stack([b1, b2.clamp(b2m, b4m), b3.clamp(b1m, b3m), b4], dim=-1)
    return ember.stack([b1.clamp(b1m, b3m), b2.clamp(b2m, b4m), b3.clamp(b1m, b3m),
                        b4.clamp(b2m, b4m)], dim=-1)


def _clamp_left(boxes: Tensor, original: Tensor, canvas_size: tuple[int, int],
                clamping_mode: str | None) -> Tensor:
    """Boxes (N, 8), first corner leftmost, clamped against the canvas's left side."""
    a, _ = _slope_and_intercept(boxes)
    x1, y1, x2, y2, x3, y3, x4, y4 = boxes.unbind(-1)
    b = _clamp_intercepts(boxes, original, canvas_size, clamping_mode)
    case_a = _intersections(a, b)
    case_b = boxes.clone()
    case_b[..., 0] = case_b[..., 0].clamp(0)
    case_b[..., 6] = case_b[..., 6].clamp(0)
    case_c = ember.zeros_like(case_b)
    cond_a = (x1 < 0) & ~case_a.isnan().any(-1)  # first corner beyond the left side
    cond_b = y1.isclose(y2) | y3.isclose(y4)  # first line (nearly) vertical
    cond_c = (x1 <= 0) & (x2 <= 0) & (x3 <= 0) & (x4 <= 0)  # wholly outside
    cond_c = cond_c | y1.isclose(y4) | y2.isclose(y3) | (cond_b & x1.isclose(x2))
    for cond, case in ((cond_a, case_a), (cond_b, case_b), (cond_c, case_c)):
        boxes = ember.where(cond.unsqueeze(1).repeat(1, 8), case.reshape(-1, 8), boxes)
    return boxes


def _quarter_turn(boxes: Tensor, width: int) -> Tensor:
    """(x, y) -> (y, width - x) for every corner: the canvas turned counter-clockwise."""
    pts = boxes.reshape(-1, 4, 2)
    return ember.stack((pts[..., 1], width - pts[..., 0]), dim=-1).reshape(-1, 8)


def clamp_rotated_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int],
                                 clamping_mode: str | None) -> Tensor:
    """Rotated ``boxes`` in ``format`` clamped to the canvas (``clamping_mode`` "soft",
    "hard" or None), as torchvision's ``_clamp_rotated_bounding_boxes``."""
    from ...tv_tensors import BoundingBoxFormat
    from ._bounding_boxes import _convert_bounding_box_format

    if clamping_mode is None:
        return boxes.clone()
    shape = boxes.shape
    out = _convert_bounding_box_format(boxes.clone(), format, BoundingBoxFormat.XYXYXYXY)
    out = out.reshape(-1, 8)
    original = out.clone()
    for _ in range(4):
        indices, out = _order_points(out)
        _, original = _order_points(original, indices)
        out = _clamp_left(out, original, canvas_size, clamping_mode)
        _, out = _order_points(out, indices)
        _, original = _order_points(original, indices)
        out = _quarter_turn(out, canvas_size[1])
        original = _quarter_turn(original, canvas_size[1])
        canvas_size = (canvas_size[1], canvas_size[0])
    return _convert_bounding_box_format(out, BoundingBoxFormat.XYXYXYXY, format).reshape(shape)
