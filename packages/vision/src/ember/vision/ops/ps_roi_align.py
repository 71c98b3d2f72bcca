"""Position-sensitive RoIAlign ("R-FCN"): each output bin averages bilinear samples of its
own group of input channels.

The input's ``C`` channels are ``C / (PH * PW)`` output channels times the ``PH x PW`` bins:
bin ``(i, j)`` of output channel ``c`` reads input channel ``(c * PH + i) * PW + j``. The
sample positions and weights are RoIAlign's (with the half-pixel alignment), so the plan of
:mod:`.roi_align` is reused; only the rows gathered for each bin differ."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import Tensor, fx, nn
from ember.extend import namespace, wrap

from ._utils import no_rois, torchvision_node
from .roi_align import _bins_by_chunks, _plan, as_rois, pooled_size, schema_int

__all__ = ["ps_roi_align", "PSRoIAlign"]


def position_sensitive_rois(input: Tensor, boxes: Any, output_size: Any, op: str) -> tuple:
    """``(rois, ph, pw, out_channels)`` of a position-sensitive pool: the output channels are
    ``C / (PH * PW)``, with torchvision's error when they do not divide."""
    rois = as_rois(input, boxes, op)
    ph, pw = pooled_size(output_size, op)
    if input.shape[1] % (ph * pw) != 0:
        raise RuntimeError("input channels must be a multiple of pooling height * pooling width")
    return rois, ph, pw, input.shape[1] // (ph * pw)


def bin_rows(input: Tensor, ph: int, pw: int) -> tuple[Tensor, Any]:
    """The input as rows ``(bin, image, pixel)`` of the output channels that read it, and
    each bin's first row ``(PH, PW)``: bin ``(i, j)`` sees only its own channels."""
    n, c, h, w = input.shape
    flat = input.reshape(n, c // (ph * pw), ph * pw, h * w).permute(2, 0, 3, 1)
    xp = namespace(input)
    first = (xp.arange(ph * pw, dtype=xp.int64) * (n * h * w)).reshape(ph, pw)
    return flat.reshape(ph * pw * n * h * w, c // (ph * pw)), first


@fx.wrap  # one call_function node when traced with ember.fx, as in torchvision
def ps_roi_align(input: Tensor, boxes: Tensor | list[Tensor], output_size: Any,
                 spatial_scale: float = 1.0, sampling_ratio: int = -1) -> Tensor:
    """Position-sensitive RoIAlign of ``input`` ``(N, C, H, W)`` over ``boxes``
    (``Tensor[K, 5]`` of (image index, x1, y1, x2, y2), or one ``Tensor[L, 4]`` per image):
    ``(K, C / (PH * PW), PH, PW)``. Each bin averages ``sampling_ratio`` x ``sampling_ratio``
    bilinear samples (``ceil(roi_size / output_size)`` when <= 0); a RoI with no samples
    gives NaN, as in torchvision."""
    rois, ph, pw, out_c = position_sensitive_rois(input, boxes, output_size, "ps_roi_align")
    schema_int("ps_roi_align", "sampling_ratio", sampling_ratio)
    k = rois.shape[0]
    if k == 0:
        return no_rois(input, (0, out_c, ph, pw), "ps_roi_align")
    xp = namespace(input)
    r = rois.detach()._data
    _, h, w = input.shape[1:]
    with np.errstate(all="ignore"):  # a RoI with no samples: 0 / 0 sample spacing
        index, weight, _ = _plan(xp, r, h, w, ph, pw, spatial_scale, sampling_ratio, True)
    weight = xp.where(xp.isnan(weight), 0, weight)
    if sampling_ratio > 0:
        count = xp.full(k, sampling_ratio * sampling_ratio, dtype=r.dtype)
    else:  # torchvision divides by the sample count as is: 0 / 0 for an empty RoI
        roi_w = (r[:, 3] - r[:, 1]) * spatial_scale
        roi_h = (r[:, 4] - r[:, 2]) * spatial_scale
        count = (xp.ceil(roi_h / ph) * xp.ceil(roi_w / pw)).astype(r.dtype)
    flat, first = bin_rows(input, ph, pw)
    out = _bins_by_chunks(flat, index + first[None, :, :, None], weight, input)
    empty = count == 0
    if bool(empty.any()):  # NaN bins as torchvision's 0 / 0, with no gradient through them
        out = out + wrap(xp.where(empty, xp.nan, 0).astype(r.dtype), input)[:, None, None, None]
        count = xp.where(empty, 1, count)
    out = (out / wrap(count, input)[:, None, None, None]).permute(0, 3, 1, 2).contiguous()
    return torchvision_node(out, "ps_roi_align")


class PSRoIAlign(nn.Module):
    """Module form of :func:`ps_roi_align`."""

    def __init__(self, output_size: Any, spatial_scale: float, sampling_ratio: int) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale,
                            self.sampling_ratio)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio})")
