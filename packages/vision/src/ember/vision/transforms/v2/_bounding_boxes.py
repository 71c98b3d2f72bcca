"""Bounding-box kernels of the v2 geometric transforms (axis-aligned formats; rotated
formats too: moved through their corners, squared again and clamped as torchvision
does, in ``_rotated_boxes``).

Each kernel takes plain box tensors (..., 4) in ``format`` on a canvas (height, width)
and returns the moved boxes, and the new canvas size where it changes. Boxes are
transformed through their corners in XYXY; a box mapped by an affine or perspective
map becomes the axis-aligned hull of its four corners; boxes are clamped to the canvas
unless their clamping mode is None.
"""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor
from ember.ops._torch_cpu import mkl_fuses

from ... import tv_tensors
from ...tv_tensors import BoundingBoxFormat
from .._resample_tensor import _compute_affine_output_size, _create_identity_grid
from ..functional import _get_inverse_affine_matrix
from ._rotated_boxes import (
    clamp_rotated_bounding_boxes,
    convert_rotated,
    parallelogram_to_bounding_boxes,
)

_F = BoundingBoxFormat


def _as_format(format: Any) -> BoundingBoxFormat:
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def _half(v: Tensor) -> Tensor:
    return v / 2 if v.is_floating_point() else ember.div(v, 2, rounding_mode="floor")


def _convert_unrotated(boxes: Tensor, old: Any, new: Any) -> tuple[Tensor, ...]:
    """The four columns in ``new`` format, computed in torchvision's order of operations (XYWH
    and CXCYWH convert directly, others through XYXY) so that float boxes match bit for bit;
    CXCYWH corners are computed in float and truncated back for integer boxes."""
    a, b, c, d = boxes.unbind(-1)
    if old == _F.XYWH and new == _F.CXCYWH:
        return a + _half(c), b + _half(d), c, d
    if old == _F.CXCYWH:
        fa, fb, fc, fd = (v if v.is_floating_point() else v.float() for v in (a, b, c, d))
        x0, y0 = fa - fc / 2, fb - fd / 2
        if new == _F.XYWH and boxes.is_floating_point():
            return x0, y0, c, d
        a, b, c, d = (v.to(boxes.dtype) for v in (x0, y0, x0 + fc, y0 + fd))
    elif old == _F.XYWH:
        c, d = a + c, b + d
    if new == _F.XYWH:
        return a, b, c - a, d - b
    if new == _F.CXCYWH:
        w, h = c - a, d - b
        return _half(a * 2 + w), _half(b * 2 + h), w, h
    return a, b, c, d


def _convert_bounding_box_format(boxes: Tensor, old_format: Any, new_format: Any,
                                 inplace: bool = False) -> Tensor:
    old_format, new_format = _as_format(old_format), _as_format(new_format)
    if new_format == old_format:
        return boxes
    rotated = tv_tensors.is_rotated_bounding_format(old_format)
    if rotated != tv_tensors.is_rotated_bounding_format(new_format):
        raise ValueError("Cannot convert between rotated and unrotated bounding boxes.")
    if rotated:  # (x, y, w, h, angle) and corner formats
        out = convert_rotated(boxes, old_format.value, new_format.value)
        if inplace and out.shape == boxes.shape:
            boxes.copy_(out)
            return boxes
        return out
    out = ember.stack(_convert_unrotated(boxes, old_format, new_format), dim=-1)
    if inplace:
        boxes.copy_(out)
        return boxes
    return out


def _clamp_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int],
                          clamping_mode: str | None = "soft") -> Tensor:
    if clamping_mode is None:
        return boxes.clone()
    format = _as_format(format)
    if tv_tensors.is_rotated_bounding_format(format):
        return clamp_rotated_bounding_boxes(boxes, format, canvas_size, clamping_mode)
    in_dtype = boxes.dtype
    xyxy = _convert_bounding_box_format(boxes if boxes.is_floating_point() else boxes.float(),
                                        format, _F.XYXY)
    h, w = canvas_size
    x = xyxy[..., 0::2].clamp(min=0, max=w)
    y = xyxy[..., 1::2].clamp(min=0, max=h)
    xyxy = ember.stack((x[..., 0], y[..., 0], x[..., 1], y[..., 1]), dim=-1)
    return _convert_bounding_box_format(xyxy, _F.XYXY, format).to(in_dtype)


def _flip_rotated(boxes: Tensor, format: BoundingBoxFormat, size: int, axis: int) -> Tensor:
    """Mirror rotated boxes across x = size (axis 0) or y = size (axis 1). The mirrored
    second corner becomes the first, so the angle turns to -r (or 180 - r vertically)."""
    if format == _F.XYXYXYXY:
        pts = boxes.reshape(*boxes.shape[:-1], 4, 2)
        coords = list(pts.unbind(-1))
        coords[axis] = size - coords[axis]
        pts = ember.stack(coords, dim=-1)
        return pts[..., [1, 0, 3, 2], :].reshape(boxes.shape)
    a, b, w, h, r = boxes.unbind(-1)
    if format == _F.XYWHR:  # the first corner moves to the old second one, mirrored
        rad = r * math.pi / 180
        a, b = a + w * ember.cos(rad), b - w * ember.sin(rad)
    if axis == 0:
        a, r = size - a, -r
    else:
        b, r = size - b, 180 - r
    return ember.stack((a, b, w, h, r), dim=-1)


def horizontal_flip_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int]) -> Tensor:
    format = _as_format(format)
    if tv_tensors.is_rotated_bounding_format(format):
        return _flip_rotated(boxes, format, canvas_size[1], 0)
    w = canvas_size[1]
    a, b, c, d = boxes.unbind(-1)
    if format == _F.XYXY:
        a, c = w - c, w - a
    elif format == _F.XYWH:
        a = w - (a + c)
    else:
        a = w - a
    return ember.stack((a, b, c, d), dim=-1).to(boxes.dtype)


def vertical_flip_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int]) -> Tensor:
    format = _as_format(format)
    if tv_tensors.is_rotated_bounding_format(format):
        return _flip_rotated(boxes, format, canvas_size[0], 1)
    h = canvas_size[0]
    a, b, c, d = boxes.unbind(-1)
    if format == _F.XYXY:
        b, d = h - d, h - b
    elif format == _F.XYWH:
        b = h - (b + d)
    else:
        b = h - b
    return ember.stack((a, b, c, d), dim=-1).to(boxes.dtype)


def resize_bounding_boxes(boxes: Tensor, canvas_size: tuple[int, int], new_size: tuple[int, int],
                          format: Any = _F.XYXY, clamping_mode: str | None = "soft"
                          ) -> tuple[Tensor, tuple[int, int]]:
    """Scale by the size ratio (axis-aligned boxes unclamped, as torchvision; rotated ones
    scaled through their corners, squared and clamped)."""
    format = _as_format(format)
    (old_h, old_w), (new_h, new_w) = canvas_size, new_size
    if (new_h, new_w) == (old_h, old_w):
        return boxes, canvas_size
    if tv_tensors.is_rotated_bounding_format(format):
        ratios = ember.tensor([new_w / old_w, new_h / old_h] * 4, device=boxes.device)
        corners = _convert_bounding_box_format(boxes, format, _F.XYXYXYXY).reshape(-1, 8)
        out = parallelogram_to_bounding_boxes(corners.mul(ratios))
        out = _clamp_bounding_boxes(out, _F.XYXYXYXY, (new_h, new_w), clamping_mode)
        out = _convert_bounding_box_format(out, _F.XYXYXYXY, format)
        return out.to(boxes.dtype).reshape(boxes.shape), (new_h, new_w)
    ratios = ember.tensor([new_w / old_w, new_h / old_h, new_w / old_w, new_h / old_h],
                          device=boxes.device)
    return boxes.mul(ratios).to(boxes.dtype), (new_h, new_w)


def _shift(boxes: Tensor, format: BoundingBoxFormat, dx: int, dy: int) -> Tensor:
    delta = ([dx, dy] * 4 if format == _F.XYXYXYXY else [dx, dy, 0, 0, 0]
             if tv_tensors.is_rotated_bounding_format(format) else
             [dx, dy, dx, dy] if format == _F.XYXY else [dx, dy, 0, 0])
    return boxes + ember.tensor(delta, dtype=boxes.dtype, device=boxes.device)


def crop_bounding_boxes(boxes: Tensor, format: Any, top: int, left: int, height: int, width: int,
                        clamping_mode: str | None = "soft") -> tuple[Tensor, tuple[int, int]]:
    format = _as_format(format)
    out = _shift(boxes, format, -left, -top)
    canvas = (height, width)
    if format == _F.XYXYXYXY:
        out = parallelogram_to_bounding_boxes(out)
    return _clamp_bounding_boxes(out, format, canvas, clamping_mode), canvas


def pad_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int],
                       padding: list[int], padding_mode: str = "constant",
                       clamping_mode: str | None = "soft") -> tuple[Tensor, tuple[int, int]]:
    """``padding`` is (left, right, top, bottom)."""
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    format = _as_format(format)
    left, right, top, bottom = padding
    out = _shift(boxes, format, left, top)
    canvas = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return _clamp_bounding_boxes(out, format, canvas, clamping_mode), canvas


def _corners(xyxy: Tensor) -> Tensor:
    """The four corners (N*4, 2) of XYXY boxes (N, 4)."""
    x0, y0, x1, y1 = xyxy.unbind(-1)
    return ember.stack((ember.stack((x0, y0), -1), ember.stack((x1, y0), -1),
                        ember.stack((x1, y1), -1), ember.stack((x0, y1), -1)), 1).reshape(-1, 2)


def _intermediate(format: BoundingBoxFormat) -> tuple[BoundingBoxFormat, bool]:
    """The format boxes are moved in: corners (XYXYXYXY) for rotated boxes, else XYXY."""
    rotated = tv_tensors.is_rotated_bounding_format(format)
    return (_F.XYXYXYXY if rotated else _F.XYXY), rotated


def _outline(points: Tensor, rotated: bool) -> Tensor:
    """Moved corners (N*4, 2) as boxes: rotated ones squared again, others their hull."""
    return parallelogram_to_bounding_boxes(points.reshape(-1, 8)) if rotated else _hull(points)


def _hull(points: Tensor) -> Tensor:
    """XYXY boxes enclosing each group of 4 points (N*4, 2)."""
    p = points.reshape(-1, 4, 2)
    return ember.cat([p.amin(dim=1), p.amax(dim=1)], dim=1)


def _points_matmul(points: Tensor, matrix: Tensor) -> Tensor:
    """``points (N, 3) @ matrix (3, K)`` (``matrix`` the transpose of a (K, 3) one, as
    torchvision passes it) rounded as PyTorch's CPU matmul (MKL) rounds it. On AMD's
    processors MKL adds the three products in order, each rounded; on Intel's (``mkl_fuses``)
    it depends on N: from 16 points (4 in float64) each product after the first is fused into
    the sum; fewer float32 points add the third product to the first, then the second
    (float64: one point likewise, two or three in order)."""
    t0, t1, t2 = (points[:, i:i + 1] * matrix[i] for i in range(3))
    if not mkl_fuses():
        return t0 + t1 + t2
    n, wide = points.shape[0], points.dtype == ember.float64
    if n >= (4 if wide else 16):
        return ember.addcmul(ember.addcmul(t0, points[:, 1:2], matrix[1]), points[:, 2:3],
                             matrix[2])
    if wide and n > 1:
        return t0 + t1 + t2
    return t0 + t2 + t1


def affine_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int], angle: float,
                          translate: list[float], scale: float, shear: list[float],
                          center: list[float] | None = None, expand: bool = False,
                          clamping_mode: str | None = "soft") -> tuple[Tensor, tuple[int, int]]:
    """Map the corners with the forward affine matrix; ``expand`` shifts into the larger canvas."""
    if boxes.numel() == 0:
        return boxes, canvas_size
    format = _as_format(format)
    inter, rotated = _intermediate(format)
    shape, dtype = boxes.shape, boxes.dtype
    work = boxes.float() if not boxes.is_floating_point() else boxes
    xyxy = _convert_bounding_box_format(work, format, inter).reshape(-1, 8 if rotated else 4)
    h, w = canvas_size
    if center is None:
        center = [w * 0.5, h * 0.5]
    matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    m_t = ember.tensor(matrix, dtype=work.dtype, device=boxes.device).reshape(2, 3).T
    pts = xyxy.reshape(-1, 2) if rotated else _corners(xyxy)
    pts = ember.cat([pts, ember.ones((pts.shape[0], 1), dtype=work.dtype, device=boxes.device)], -1)
    out = _outline(_points_matmul(pts, m_t), rotated)
    if expand:
        frame = ember.tensor([[0.0, 0.0, 1.0], [0.0, float(h), 1.0], [float(w), float(h), 1.0],
                              [float(w), 0.0, 1.0]], dtype=work.dtype, device=boxes.device)
        origin = _points_matmul(frame, m_t).amin(dim=0, keepdim=True)
        out = out - origin.repeat((1, 4 if rotated else 2))
        inverse = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        new_w, new_h = _compute_affine_output_size(inverse, w, h)
        canvas_size = (new_h, new_w)
    out = _clamp_bounding_boxes(out, inter, canvas_size, clamping_mode)
    out = _convert_bounding_box_format(out, inter, format).reshape(shape)
    return out.to(dtype), canvas_size


def _inverse_perspective(coeffs: list[float]) -> list[float]:
    a, b, c, d, e, f, g, h = coeffs
    denom = a * e - b * d
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {coeffs} can not be inverted to transform "
                           f"bounding boxes. Denominator is zero, denom={denom}")
    return [(e - f * h) / denom, (-b + c * h) / denom, (b * f - c * e) / denom,
            (-d + f * g) / denom, (a - c * g) / denom, (-a * f + c * d) / denom,
            (-e * g + d * h) / denom, (-a * h + b * g) / denom]


def perspective_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int],
                               coefficients: list[float], clamping_mode: str | None = "soft"
                               ) -> Tensor:
    """Map the corners with the inverse of the (output -> input) perspective coefficients."""
    if boxes.numel() == 0:
        return boxes
    format = _as_format(format)
    inter, rotated = _intermediate(format)
    shape, dtype = boxes.shape, boxes.dtype
    xyxy = _convert_bounding_box_format(boxes, format, inter).reshape(-1, 8 if rotated else 4)
    fdtype = xyxy.dtype if xyxy.is_floating_point() else ember.float32
    inv = _inverse_perspective(coefficients)
    theta1 = ember.tensor([inv[0:3], inv[3:6]], dtype=fdtype, device=boxes.device)
    theta2 = ember.tensor([[inv[6], inv[7], 1.0], [inv[6], inv[7], 1.0]], dtype=fdtype,
                          device=boxes.device)
    pts = xyxy.to(fdtype).reshape(-1, 2) if rotated else _corners(xyxy.to(fdtype))
    pts = ember.cat([pts, ember.ones((pts.shape[0], 1), dtype=fdtype, device=boxes.device)], -1)
    out = _outline(_points_matmul(pts, theta1.T) / _points_matmul(pts, theta2.T), rotated)
    out = _clamp_bounding_boxes(out, inter, canvas_size, clamping_mode)
    return _convert_bounding_box_format(out, inter, format).reshape(shape).to(dtype)


def elastic_bounding_boxes(boxes: Tensor, format: Any, canvas_size: tuple[int, int],
                           displacement: Tensor, clamping_mode: str | None = "soft") -> Tensor:
    """Move every corner by the inverse displacement read at its (ceiled) pixel."""
    if boxes.numel() == 0:
        return boxes
    format = _as_format(format)
    rotated = tv_tensors.is_rotated_bounding_format(format)
    inter = _F.CXCYWHR if rotated else _F.XYXY  # rotated boxes move by their centres
    shape = boxes.shape
    dtype = boxes.dtype if boxes.is_floating_point() else ember.float32
    displacement = displacement.to(dtype=dtype, device=boxes.device)
    xyxy = _convert_bounding_box_format(boxes.clone(), format, inter).reshape(-1, 5 if rotated else 4)
    inv_grid = _create_identity_grid(list(canvas_size), boxes.device, dtype) - displacement
    pts = xyxy[:, :2] if rotated else _corners(xyxy)
    if pts.is_floating_point():
        pts = ember.ceil(pts)
    idx = pts.long()
    ix = idx[:, 0].clamp(0, inv_grid.shape[2] - 1)
    iy = idx[:, 1].clamp(0, inv_grid.shape[1] - 1)
    size = ember.tensor(list(canvas_size[::-1]), dtype=dtype, device=boxes.device)
    moved = (inv_grid[0, iy, ix, :] + 1) * (0.5 * size) - 0.5
    if rotated:
        out = ember.cat([moved.reshape(-1, 2), xyxy[:, 2:]], dim=1).to(xyxy.dtype)
    else:
        out = _hull(moved).to(xyxy.dtype)
    out = _clamp_bounding_boxes(out, inter, canvas_size, clamping_mode)
    return _convert_bounding_box_format(out, inter, format).reshape(shape)


def sanitize_mask(boxes: Tensor, format: Any, canvas_size: tuple[int, int], min_size: float = 1.0,
                  min_area: float = 1.0) -> Tensor:
    """Which boxes are valid: at least ``min_size`` wide and high, ``min_area`` large, inside."""
    inter, rotated = _intermediate(_as_format(format))
    xyxy = _convert_bounding_box_format(boxes, format, inter)
    h, w = canvas_size
    if rotated:  # side lengths (torchvision's second "side" pairs y2 with x3, as here)
        ws = ((xyxy[..., 0] - xyxy[..., 2]).pow(2) + (xyxy[..., 1] - xyxy[..., 3]).pow(2)).sqrt()
        hs = ((xyxy[..., 3] - xyxy[..., 5]).pow(2) + (xyxy[..., 4] - xyxy[..., 6]).pow(2)).sqrt()
    else:
        ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (xyxy >= 0).all(dim=-1) & (ws * hs >= min_area)
    valid = valid & (xyxy[:, 0] <= w) & (xyxy[:, 2] <= w)
    valid = valid & (xyxy[:, 1] <= h) & (xyxy[:, 3] <= h)
    if rotated:
        valid = valid & (xyxy[..., 4] <= w) & (xyxy[..., 5] <= h)
        valid = valid & (xyxy[..., 6] <= w) & (xyxy[..., 7] <= h)
    return valid


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union of XYXY boxes (N, 4) and (M, 4)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = ember.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)

