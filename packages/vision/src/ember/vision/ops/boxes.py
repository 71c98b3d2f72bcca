"""Box operations: areas, IoU variants, format conversion, clipping, filtering, non-maximum
suppression and boxes around masks (torchvision.ops.boxes).

Boxes are ``(x1, y1, x2, y2)`` with ``0 <= x1 < x2`` and ``0 <= y1 < y2`` unless a format
says otherwise. Everything but NMS and the IoU of rotated boxes is composed of Ember ops, so
gradients flow."""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np

import ember
from ember import Tensor
from ember.extend import kernel_for, namespace, needs_grad, record, wrap

from ._rotated_iou import box_iou_rotated_arrays
from ._utils import _upcast

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert",
           "box_area", "box_iou", "generalized_box_iou", "complete_box_iou", "distance_box_iou",
           "masks_to_boxes"]

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("cxcywhr", "xywhr", "xyxyxyxy")


# ------------------------------------------------------------------ non-maximum suppression
_MATRIX_MAX = 1024  # up to this many boxes, NMS computes all their IoUs at once


def _suppresses(xp: Any, a: Any, b: Any, iou_threshold: float) -> Any:
    """Whether rows ``a`` and ``b`` of (x1, y1, x2, y2, area) overlap by more than
    ``iou_threshold`` (broadcasting), in the order torchvision's kernel computes the IoU."""
    w = xp.maximum(xp.minimum(a[..., 2], b[..., 2]) - xp.maximum(a[..., 0], b[..., 0]), 0)
    h = xp.maximum(xp.minimum(a[..., 3], b[..., 3]) - xp.maximum(a[..., 1], b[..., 1]), 0)
    inter = w * h
    return inter / (a[..., 4] + b[..., 4] - inter) > iou_threshold


def _greedy_by_matrix(xp: Any, rows: Any, iou_threshold: float) -> list[int]:
    """Greedy NMS over the IoU matrix of all the (score-sorted) boxes at once."""
    suppresses = _suppresses(xp, rows[:, None, :], rows[None, :, :], iou_threshold)
    keep = []
    remaining = xp.arange(rows.shape[0])
    while remaining.shape[0]:
        i = int(remaining[0])
        keep.append(i)
        rest = remaining[1:]
        remaining = rest[~suppresses[i, rest]]
    return keep


def _greedy_by_rows(xp: Any, rows: Any, iou_threshold: float) -> list[int]:
    """Greedy NMS computing only the IoUs of each kept box with the boxes still in play
    (many boxes: the full matrix would take n^2 memory and time)."""
    keep = []
    index = xp.arange(rows.shape[0])
    while index.shape[0]:
        keep.append(int(index[0]))
        stay = ~_suppresses(xp, rows[0], rows[1:], iou_threshold)
        rows, index = rows[1:][stay], index[1:][stay]
    return keep


def _threshold_in(dtype: Any, iou_threshold: float) -> Any:
    """``iou_threshold`` as a scalar of the IoUs' dtype that compares as the double does:
    torchvision's kernel tests ``float_iou > double_threshold``, NumPy would round the
    threshold to the array's dtype (to nearest), so round it down instead."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype == np.float64:
        return iou_threshold
    thr = dtype.type(iou_threshold)
    return np.nextafter(thr, dtype.type(-np.inf)) if float(thr) > iou_threshold else thr


def _nms_arrays(xp: Any, boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """Indices of the kept boxes, by decreasing score: boxes in score order, each kept one
    dropping the later ones it overlaps."""
    order = xp.argsort(-scores, kind="stable") if xp.__name__ == "numpy" else xp.argsort(-scores)
    nan = xp.isnan(scores)
    if nan.any():  # a descending sort puts NaN first, as torchvision's does
        order = xp.concatenate((xp.nonzero(nan)[0], order[: order.shape[0] - int(nan.sum())]))
    b = boxes[order]
    rows = xp.concatenate([b, ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))[:, None]], axis=1)
    greedy = _greedy_by_matrix if rows.shape[0] <= _MATRIX_MAX else _greedy_by_rows
    quiet = xp.errstate(invalid="ignore", divide="ignore") if hasattr(
        xp, "errstate") else contextlib.nullcontext()
    with quiet:  # degenerate boxes give 0/0: NaN never suppresses, as in torchvision
        keep = greedy(xp, rows, _threshold_in(rows.dtype, iou_threshold))
    return order[xp.asarray(keep, dtype=xp.int64)]


def _nms_failed(fn: str, line: int, msg: str) -> RuntimeError:
    """torchvision's failed check in its CPU NMS kernel: ``fn, <file>:<line>, msg``."""
    return RuntimeError(f"{fn}, /__w/vision/vision/pytorch/vision/torchvision/csrc/ops/cpu/"
                        f"nms_kernel.cpp:{line}, {msg}")


def _check_nms(boxes: Tensor, scores: Tensor) -> None:
    """torchvision's checks of NMS arguments, with its exception types and messages."""
    if boxes.dim() != 2:
        raise _nms_failed("nms_kernel", 101, f"boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.size(1) != 4:
        raise _nms_failed("nms_kernel", 103,
                          f"boxes should have 4 elements in dimension 1, got {boxes.size(1)}")
    if scores.dim() != 1:
        raise _nms_failed("nms_kernel", 107, f"scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.size(0) != scores.size(0):
        raise _nms_failed("nms_kernel", 112, "boxes and scores should have same number of "
                          f"elements in dimension 0, got {boxes.size(0)} and {scores.size(0)}")
    # torchvision's kernel is for floating boxes only (on the CPU float32 and float64), and
    # then for scores of the boxes' dtype
    half = boxes.dtype in (ember.float16, ember.bfloat16) and boxes.device.type == "cpu"
    if not boxes.dtype.is_floating_point or half:
        from ember.ops._inplace import _type_name

        raise _nms_failed("operator()", 122,
                          f"\"nms_kernel\" not implemented for '{_type_name(boxes.dtype)}'")
    if scores.dtype != boxes.dtype:
        raise _nms_failed("nms_kernel_impl", 24, "dets should have the same type as scores")


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: indices (int64) of the boxes kept, by decreasing score;
    a box is dropped when its IoU with a kept, higher-scoring box exceeds ``iou_threshold``."""
    _check_nms(boxes, scores)
    xp = namespace(boxes)
    if boxes.size(0) == 0:
        return wrap(xp.zeros((0,), dtype=xp.int64), boxes)
    kernel = kernel_for("vision::nms", boxes)
    impl = kernel if kernel is not None else lambda b, s, t: _nms_arrays(xp, b, s, t)
    return wrap(impl(boxes.detach()._data, scores.detach()._data, float(iou_threshold)), boxes)


def _batched_nms_vanilla(boxes: Tensor, scores: Tensor, idxs: Tensor,
                         iou_threshold: float) -> Tensor:
    """One :func:`nms` per category (a loop over categories, as torchvision's), then the kept
    indices by decreasing score."""
    keep_mask = ember.zeros_like(scores, dtype=ember.bool)
    for class_id in ember.unique(idxs):
        curr = ember.where(idxs == class_id)[0]
        keep_mask[curr[nms(boxes[curr], scores[curr], iou_threshold)]] = True
    keep = ember.where(keep_mask)[0]
    return keep[scores[keep].sort(descending=True)[1]]


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each category ``idxs``: boxes of different categories never suppress each
    other. Like torchvision, many boxes (over 4000 coordinates on the CPU, 100000 elsewhere)
    go through one NMS per category; fewer are shifted, one region of the plane per category,
    and go through one NMS (the float rounding differs between the two)."""
    if boxes.numel() > (4000 if boxes.device.type == "cpu" else 100_000):
        return _batched_nms_vanilla(boxes, scores, idxs, iou_threshold)
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes) * (max_coordinate + ember.tensor(1).to(boxes))
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose sides are both at least ``min_size``."""
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return ember.where((ws >= min_size) & (hs >= min_size))[0]


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clamp x to ``[0, width]`` and y to ``[0, height]`` for ``size = (height, width)``."""
    height, width = size
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((xs, ys), dim=boxes.dim()).reshape(boxes.shape)


# ------------------------------------------------------------------ formats
def _cxcywh_to_xyxy(b: Tensor) -> Tensor:
    cx, cy, w, h = b.unbind(-1)
    return ember.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _xyxy_to_cxcywh(b: Tensor) -> Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _xywh_to_xyxy(b: Tensor) -> Tensor:
    x, y, w, h = b.unbind(-1)
    return ember.stack((x, y, x + w, y + h), dim=-1)


def _xyxy_to_xywh(b: Tensor) -> Tensor:
    x1, y1, x2, y2 = b.unbind(-1)
    return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _rotated(fn: Any) -> Any:
    """Rotated conversions of integer boxes compute in the boxes' dtype where torchvision's do
    (differences and squares wrap in uint8/int8, divisions and trigonometry promote to
    float), then round back to that dtype."""
    def run(b: Tensor) -> Tensor:
        out = fn(b)
        return out if b.is_floating_point() else out.round().to(b.dtype)

    return run


@_rotated
def _cxcywhr_to_xywhr(b: Tensor) -> Tensor:
    cx, cy, w, h, r = b.unbind(-1)
    rad = r * math.pi / 180.0
    cos, sin = ember.cos(rad), ember.sin(rad)
    return ember.stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin, w, h, r),
                       dim=-1)


@_rotated
def _xywhr_to_cxcywhr(b: Tensor) -> Tensor:
    x1, y1, w, h, r = b.unbind(-1)
    rad = r * math.pi / 180.0
    cos, sin = ember.cos(rad), ember.sin(rad)
    return ember.stack((x1 + w / 2 * cos + h / 2 * sin, y1 - w / 2 * sin + h / 2 * cos, w, h, r),
                       dim=-1)


@_rotated
def _xywhr_to_xyxyxyxy(b: Tensor) -> Tensor:
    x1, y1, w, h, r = b.unbind(-1)
    rad = r * math.pi / 180.0
    cos, sin = ember.cos(rad), ember.sin(rad)
    x2, y2 = x1 + w * cos, y1 - w * sin
    return ember.stack((x1, y1, x2, y2, x2 + h * sin, y2 + h * cos, x1 + h * sin, y1 + h * cos),
                       dim=-1)


@_rotated
def _xyxyxyxy_to_xywhr(b: Tensor) -> Tensor:
    x1, y1, x2, y2, x3, y3, _, _ = b.unbind(-1)
    r = ember.atan2(y1 - y2, x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return ember.stack((x1, y1, w, h, r), dim=-1)


# torchvision's private names (torchvision.ops.boxes imports them from ops._box_convert)
_box_cxcywh_to_xyxy, _box_xyxy_to_cxcywh = _cxcywh_to_xyxy, _xyxy_to_cxcywh
_box_xywh_to_xyxy, _box_xyxy_to_xywh = _xywh_to_xyxy, _xyxy_to_xywh
_box_cxcywhr_to_xywhr, _box_xywhr_to_cxcywhr = _cxcywhr_to_xywhr, _xywhr_to_cxcywhr
_box_xywhr_to_xyxyxyxy, _box_xyxyxyxy_to_xywhr = _xywhr_to_xyxyxyxy, _xyxyxyxy_to_xywhr

_CONVERSIONS: dict[tuple[str, str], tuple[Any, ...]] = {
    ("xywh", "xyxy"): (_xywh_to_xyxy,),
    ("cxcywh", "xyxy"): (_cxcywh_to_xyxy,),
    ("xyxy", "xywh"): (_xyxy_to_xywh,),
    ("xyxy", "cxcywh"): (_xyxy_to_cxcywh,),
    ("xywh", "cxcywh"): (_xywh_to_xyxy, _xyxy_to_cxcywh),
    ("cxcywh", "xywh"): (_cxcywh_to_xyxy, _xyxy_to_xywh),
    ("cxcywhr", "xywhr"): (_cxcywhr_to_xywhr,),
    ("xywhr", "cxcywhr"): (_xywhr_to_cxcywhr,),
    ("cxcywhr", "xyxyxyxy"): (_cxcywhr_to_xywhr, _xywhr_to_xyxyxyxy),
    ("xyxyxyxy", "cxcywhr"): (_xyxyxyxy_to_xywhr, _xywhr_to_cxcywhr),
    ("xywhr", "xyxyxyxy"): (_xywhr_to_xyxyxyxy,),
    ("xyxyxyxy", "xywhr"): (_xyxyxyxy_to_xywhr,),
}


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between 'xyxy', 'xywh', 'cxcywh' and the rotated 'xywhr', 'cxcywhr',
    'xyxyxyxy' (angles in degrees, counter-clockwise)."""
    allowed = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt "
                                  f"{in_fmt} and out_fmt {out_fmt}")
    for step in steps:
        boxes = step(boxes)
    return boxes


# ------------------------------------------------------------------ areas and IoUs
def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas of boxes ``[..., 4]`` in format ``fmt`` ('xyxy', 'xywh' or 'cxcywh')."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(b: Tensor, fmt: str) -> tuple[Tensor, Tensor]:
    if fmt == "xyxy":
        return b[..., :2], b[..., 2:]
    if fmt == "xywh":
        return b[..., :2], b[..., :2] + b[..., 2:]
    return b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2


def _box_inter_union(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> tuple[Tensor, Tensor]:
    area1, area2 = box_area(boxes1, fmt=fmt), box_area(boxes2, fmt=fmt)
    lt1, rb1 = _corners(boxes1, fmt)
    lt2, rb2 = _corners(boxes2, fmt)
    lt = ember.max(lt1[..., None, :], lt2[..., None, :, :])  # [..., N, M, 2]
    rb = ember.min(rb1[..., None, :], rb2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Pairwise intersection-over-union ``[..., N, M]`` of boxes ``[..., N, 4]`` and
    ``[..., M, 4]`` in format ``fmt``; rotated boxes ``[N, 5]`` / ``[N, 8]`` give float32
    ``[N, M]`` (torchvision's ``box_iou_rotated``)."""
    if fmt in _AXIS_ALIGNED:
        inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in _ROTATED:
        if fmt != "cxcywhr":
            boxes1 = box_convert(boxes1, in_fmt=fmt, out_fmt="cxcywhr")
            boxes2 = box_convert(boxes2, in_fmt=fmt, out_fmt="cxcywhr")
        return _box_iou_rotated(boxes1, boxes2)
    raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: "
                     f"{_AXIS_ALIGNED}. Supported rotated formats: {_ROTATED}.")


def _box_iou_rotated(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """torchvision's ``box_iou_rotated`` op: float32 IoUs ``[N, M]`` of 'cxcywhr' boxes
    ``[N, 5]`` and ``[M, 5]`` of one floating dtype (no gradient, as the op has none)."""
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if b.dim() != 2:
            raise RuntimeError(f"{name} should be a 2d tensor, got {b.dim()}D")
        if b.size(1) != 5:
            raise RuntimeError(f"{name} should have 5 elements in dimension 1, got {b.size(1)}")
    if boxes1.dtype != boxes2.dtype:
        raise RuntimeError("boxes1 and boxes2 must have the same dtype")
    if boxes1.dtype not in (ember.float32, ember.float64):
        from ember.ops._inplace import _type_name

        raise RuntimeError(f"\"box_iou_rotated_cpu\" not implemented for "
                           f"'{_type_name(boxes1.dtype)}'")
    xp = namespace(boxes1)
    out = wrap(box_iou_rotated_arrays(xp, boxes1.detach()._data, boxes2.detach()._data), boxes1)
    if needs_grad(boxes1, boxes2):  # in the graph, as torchvision's, but with no gradient
        record("CppFunction", out, (boxes1, boxes2), _no_rotated_iou_grad)
    return out


def _no_rotated_iou_grad(grad: Tensor) -> tuple[None, None]:
    """torch's fallback for an op without an autograd kernel: a warning and no gradients."""
    warnings.warn("torchvision::box_iou_rotated: an autograd kernel was not registered to the "
                  "Autograd key(s) but we are trying to backprop through it. This may lead to "
                  "silently incorrect behavior.", UserWarning, stacklevel=2)
    return None, None


def _enclosing_wh(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    lti = ember.min(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ember.max(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU: IoU minus the share of the smallest enclosing box that
    neither box covers."""
    inter, union = _box_inter_union(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return inter / union - (areai - union) / areai


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_sq = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    x_p, y_p = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g, y_g = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_sq = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2
                  + _upcast(y_p[..., None] - y_g[..., None, :]) ** 2)
    return iou - centers_sq / diagonal_sq, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU: IoU minus the squared center distance over the squared
    diagonal of the enclosing box."""
    return _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps)[0]


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU: distance IoU minus an aspect-ratio consistency term."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * ember.pow(ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt), 2)
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def masks_to_boxes(masks: Tensor) -> Tensor:
    """Boxes ``[N, 4]`` (float, xyxy, inclusive pixel coordinates) around the nonzero pixels of
    masks ``[N, H, W]``; an empty mask gives ``[0, 0, 0, 0]``."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float)
    _, h, w = masks.shape
    m = masks.bool()
    rows, cols = m.any(dim=2), m.any(dim=1)
    empty = ~rows.any(dim=1)
    rows_f, cols_f = rows.float(), cols.float()
    y1, x1 = rows_f.argmax(dim=1), cols_f.argmax(dim=1)
    y2 = (h - 1) - rows_f.flip([1]).argmax(dim=1)
    x2 = (w - 1) - cols_f.flip([1]).argmax(dim=1)
    boxes = ember.stack([x1, y1, x2, y2], dim=1).float()
    boxes[empty] = 0
    return boxes
