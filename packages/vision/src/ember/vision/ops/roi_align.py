"""RoIAlign ("Mask R-CNN"): average of bilinearly sampled points in each output bin.

Vectorised over RoIs, bins and samples: the sample positions and bilinear weights are
computed as arrays (they do not depend on the features), the four neighbours of every
sample are gathered from a channels-last view of the input, and one batched matrix
product per bin sums them. Gradients reach the input through Ember's indexing and matmul;
like torchvision, none reach the boxes."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import ember
from ember import Tensor, fx, nn
from ember.extend import kernel_for, namespace, wrap

from ._utils import check_roi_boxes_shape, convert_boxes_to_roi_format, no_rois, torchvision_node

__all__ = ["roi_align", "RoIAlign"]

_CHUNK_ELEMENTS = 1 << 24  # gathered values per chunk of RoIs (64 MiB of float32)


_POOL_ARGS = "Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width"
# the schemas of the ops whose int arguments are checked, as the dispatcher prints them
_SCHEMAS = {"roi_align": f"({_POOL_ARGS}, int sampling_ratio, bool aligned) -> Tensor",
            "roi_pool": f"({_POOL_ARGS}) -> (Tensor, Tensor)",
            "ps_roi_align": f"({_POOL_ARGS}, int sampling_ratio) -> (Tensor, Tensor)",
            "ps_roi_pool": f"({_POOL_ARGS}) -> (Tensor, Tensor)"}
_POSITIONS = {"pooled_height": 3, "pooled_width": 4, "sampling_ratio": 5}


def schema_int(op: str, name: str, value: Any) -> None:
    """torchvision's op schemas take ints for the pooled sizes and ``sampling_ratio``; a
    value of another type fails as the dispatcher's argument cast fails."""
    if not isinstance(value, numbers.Integral):
        raise RuntimeError(
            f"torchvision::{op}() Expected a value of type 'int' for argument '{name}' but "
            f"instead found type '{type(value).__name__}'.\nPosition: {_POSITIONS[name]}\n"
            f"Value: {value!r}\nDeclaration: torchvision::{op}{_SCHEMAS[op]}\n"
            f"Cast error details: Unable to cast Python instance of type {type(value)} to C++ "
            "type '?' (#define PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for "
            "details)")


def pooled_size(output_size: Any, op: str) -> tuple[int, int]:
    """``output_size`` as torchvision's ``_pair`` leaves it (an int twice, a sequence as is,
    so one of length 1 has no second entry), checked as the op's schema checks it."""
    size = tuple(output_size) if isinstance(output_size, Iterable) else (output_size,) * 2
    ph, pw = size[0], size[1]
    schema_int(op, "pooled_height", ph)
    schema_int(op, "pooled_width", pw)
    return int(ph), int(pw)


def as_rois(input: Tensor, boxes: Any, op: str) -> Tensor:
    """``boxes`` (``Tensor[K, 5]`` or a list of ``Tensor[L, 4]``) as ``Tensor[K, 5]``,
    checked against ``input``."""
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    if input.dim() != 4:
        raise RuntimeError(f"{op}: expected a 4-D (N, C, H, W) input, got {input.dim()}-D")
    if rois.dtype != input.dtype:
        raise RuntimeError(f"{op}: input should have the same type as rois (input "
                           f"{input.dtype}, rois {rois.dtype})")
    return rois


def _axis(xp: Any, c: Any, size: int, valid: Any) -> tuple[Any, Any]:
    """Neighbour indices ``(..., 2)`` and bilinear weights ``(..., 2)`` along one axis for
    sample coordinates ``c``; out-of-range and padding samples get zero weight."""
    dt = c.dtype
    outside = (c < -1.0) | (c > size)
    c = xp.where(c <= 0, xp.asarray(0, dtype=dt), c)
    low = c.astype(xp.int64)
    edge = low >= size - 1
    low = xp.where(edge, size - 1, low)
    high = xp.where(edge, size - 1, low + 1)
    c = xp.where(edge, low.astype(dt), c)
    frac = c - low.astype(dt)
    keep = (valid & ~outside).astype(dt)
    return xp.stack([low, high], axis=-1), xp.stack([(1 - frac) * keep, frac * keep], axis=-1)


def _plan(xp: Any, rois: Any, height: int, width: int, ph: int, pw: int, spatial_scale: float,
          sampling_ratio: int, aligned: bool) -> tuple[Any, Any, Any]:
    """Flat (image, row, column) indices ``(K, PH, PW, J)`` of every sample's neighbours,
    their weights, and each RoI's sample count."""
    dt = rois.dtype
    offset = 0.5 if aligned else 0.0
    batch = rois[:, 0].astype(xp.int64)
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    roi_w = rois[:, 3] * spatial_scale - offset - x1
    roi_h = rois[:, 4] * spatial_scale - offset - y1
    if not aligned:  # legacy: RoIs at least one pixel wide
        roi_w, roi_h = xp.maximum(roi_w, 1.0), xp.maximum(roi_h, 1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    if sampling_ratio > 0:
        grid_h = xp.full(rois.shape[:1], sampling_ratio, dtype=xp.int64)
        grid_w = grid_h
    else:  # adaptive: about one sample per input pixel
        grid_h = xp.ceil(roi_h / ph).astype(xp.int64)
        grid_w = xp.ceil(roi_w / pw).astype(xp.int64)
    count = xp.maximum(grid_h * grid_w, 1).astype(dt)
    sh, sw = max(int(grid_h.max()), 1), max(int(grid_w.max()), 1)

    def coords(start: Any, bin_size: Any, grid: Any, bins: int, samples: int) -> Any:
        p = xp.arange(bins, dtype=dt)[None, :, None]
        s = xp.arange(samples, dtype=dt)[None, None, :]
        # an empty RoI has no samples (grid 0): divide by 1 so that its unused coordinates
        # stay finite, as torchvision's zero output for it needs (0 / 0 would poison them)
        b, g = bin_size[:, None, None], xp.maximum(grid, 1).astype(dt)[:, None, None]
        c = start[:, None, None] + p * b + (s + 0.5) * b / g
        valid = xp.arange(samples)[None, None, :] < grid[:, None, None]
        return c, xp.broadcast_to(valid, c.shape)

    cy, vy = coords(y1, bin_h, grid_h, ph, sh)
    cx, vx = coords(x1, bin_w, grid_w, pw, sw)
    yi, yw = _axis(xp, cy, height, vy)  # (K, PH, SH, 2)
    xi, xw = _axis(xp, cx, width, vx)  # (K, PW, SW, 2)
    k = rois.shape[0]
    # (K, PH, PW, SH, SW, 2, 2): every sample's four neighbours
    index = (batch[:, None, None, None, None, None, None] * (height * width)
             + yi[:, :, None, :, None, :, None] * width + xi[:, None, :, None, :, None, :])
    weight = yw[:, :, None, :, None, :, None] * xw[:, None, :, None, :, None, :]
    return index.reshape(k, ph, pw, -1), weight.reshape(k, ph, pw, -1), count


def _check_sample_grid(xp: Any, rois: Any, ph: int, pw: int, spatial_scale: float) -> None:
    """torchvision's CPU kernel sizes its table of samples by ``grid_h * grid_w * PH * PW``:
    an aligned RoI inverted along one axis only makes that negative, and the kernel fails
    with a ValueError (a std::length_error)."""
    side = (rois[:, 3:5] * spatial_scale - 0.5) - (rois[:, 1:3] * spatial_scale - 0.5)
    grid_w = xp.ceil(side[:, 0] / pw).astype(xp.int64)
    grid_h = xp.ceil(side[:, 1] / ph).astype(xp.int64)
    if bool((grid_h * grid_w < 0).any()):
        raise ValueError("roi_align: cannot create std::vector larger than max_size() (an "
                         "aligned RoI with x2 < x1 or y2 < y1 and adaptive sampling)")


def _bins_by_chunks(flat: Tensor, index: Any, weight: Any, like: Tensor) -> Tensor:
    """``sum_j weight[..., j] * flat[index[..., j]]`` for every RoI and bin: ``(K, PH, PW, C)``,
    in chunks of RoIs that keep the gathered values under ``_CHUNK_ELEMENTS``."""
    k = index.shape[0]
    per_roi = max(int(index[0].size) * flat.shape[1], 1) if k else 1
    step = max(1, _CHUNK_ELEMENTS // per_roi)
    parts = []
    for start in range(0, k, step):
        idx = wrap(index[start:start + step], like)
        w = wrap(weight[start:start + step], like)
        parts.append(ember.matmul(w.unsqueeze(-2), flat[idx]).squeeze(-2))
    return parts[0] if len(parts) == 1 else ember.cat(parts, 0)


@fx.wrap  # one call_function node when traced with ember.fx, as in torchvision
def roi_align(input: Tensor, boxes: Tensor | list[Tensor], output_size: Any,
              spatial_scale: float = 1.0, sampling_ratio: int = -1,
              aligned: bool = False) -> Tensor:
    """RoIAlign of ``input`` ``(N, C, H, W)`` over ``boxes`` (``Tensor[K, 5]`` of (image index,
    x1, y1, x2, y2), or one ``Tensor[L, 4]`` per image) in input coordinates times
    ``spatial_scale``: ``(K, C, PH, PW)``. Each bin averages ``sampling_ratio`` x
    ``sampling_ratio`` bilinear samples (``ceil(roi_size / output_size)`` when <= 0);
    ``aligned=True`` shifts the boxes by half a pixel to align them with pixel centers."""
    rois = as_rois(input, boxes, "roi_align")
    ph, pw = pooled_size(output_size, "roi_align")
    schema_int("roi_align", "sampling_ratio", sampling_ratio)
    n, c, h, w = input.shape
    xp = namespace(input)
    kernel = kernel_for("vision::roi_align", input)
    if kernel is not None and not (ember.is_grad_enabled() and input.requires_grad):
        return wrap(kernel(input._data, rois.detach()._data, spatial_scale, ph, pw,
                           sampling_ratio, aligned), input)
    if rois.shape[0] == 0:
        return no_rois(input, (0, c, ph, pw), "roi_align")
    if aligned and sampling_ratio <= 0 and input.device.type == "cpu":
        _check_sample_grid(xp, rois.detach()._data, ph, pw, spatial_scale)
    index, weight, count = _plan(xp, rois.detach()._data, h, w, ph, pw, spatial_scale,
                                 sampling_ratio, aligned)
    flat = input.permute(0, 2, 3, 1).reshape(n * h * w, c)
    out = _bins_by_chunks(flat, index, weight, input) / wrap(count, input)[:, None, None, None]
    return torchvision_node(out.permute(0, 3, 1, 2).contiguous(), "roi_align")


class RoIAlign(nn.Module):
    """Module form of :func:`roi_align`."""

    def __init__(self, output_size: Any, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.aligned)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
                f"aligned={self.aligned})")
