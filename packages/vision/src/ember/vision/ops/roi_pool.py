"""RoIPool ("Fast R-CNN"): the maximum of each output bin of a RoI snapped to the pixel grid.

Vectorised like :mod:`.roi_align`: each bin's window (padded to the largest bin) is
gathered from a channels-last view of the input and reduced with ``max``, whose gradient
goes to the first maximum, as torchvision's ``argmax`` does."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, fx, nn
from ember.extend import kernel_for, namespace, wrap

from ._utils import no_rois, torchvision_node
from .roi_align import _CHUNK_ELEMENTS, as_rois, pooled_size

__all__ = ["roi_pool", "RoIPool"]


def _round_half_away(xp: Any, x: Any) -> Any:
    """C's ``round``: halves away from zero (NumPy rounds them to even)."""
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


def _windows(xp: Any, start: Any, bin_size: Any, bins: int, size: int) -> tuple[Any, Any, Any]:
    """Per RoI and bin along one axis: the clipped window start ``(K, P)``, the positions
    ``(K, P, L)`` of its pixels padded to the longest window, and their validity."""
    dt = bin_size.dtype
    p = xp.arange(bins, dtype=dt)[None, :]
    lo = xp.floor(p * bin_size[:, None]).astype(xp.int64) + start[:, None]
    hi = xp.ceil((p + 1) * bin_size[:, None]).astype(xp.int64) + start[:, None]
    lo, hi = xp.clip(lo, 0, size), xp.clip(hi, 0, size)
    length = max(int((hi - lo).max()), 1)
    pos = lo[..., None] + xp.arange(length)[None, None, :]
    valid = pos < hi[..., None]
    return lo, xp.minimum(pos, size - 1), valid


@fx.wrap  # one call_function node when traced with ember.fx, as in torchvision
def roi_pool(input: Tensor, boxes: Tensor | list[Tensor], output_size: Any,
             spatial_scale: float = 1.0) -> Tensor:
    """RoIPool of ``input`` ``(N, C, H, W)`` over ``boxes`` (``Tensor[K, 5]`` or a list of
    ``Tensor[L, 4]``): box corners scaled by ``spatial_scale`` and rounded, each bin's
    maximum (0 for an empty bin): ``(K, C, PH, PW)``."""
    rois = as_rois(input, boxes, "roi_pool")
    ph, pw = pooled_size(output_size, "roi_pool")
    n, c, h, w = input.shape
    xp = namespace(input)
    kernel = kernel_for("vision::roi_pool", input)
    if kernel is not None and not (ember.is_grad_enabled() and input.requires_grad):
        return wrap(kernel(input._data, rois.detach()._data, spatial_scale, ph, pw), input)
    k = rois.shape[0]
    if k == 0:
        return no_rois(input, (0, c, ph, pw), "roi_pool")
    r = rois.detach()._data
    batch = r[:, 0].astype(xp.int64)
    corners = _round_half_away(xp, r[:, 1:] * spatial_scale).astype(xp.int64)
    x1, y1, x2, y2 = corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3]
    roi_w = xp.maximum(x2 - x1 + 1, 1).astype(r.dtype)
    roi_h = xp.maximum(y2 - y1 + 1, 1).astype(r.dtype)
    _, rows, row_ok = _windows(xp, y1, roi_h / ph, ph, h)  # (K, PH, LH)
    _, cols, col_ok = _windows(xp, x1, roi_w / pw, pw, w)  # (K, PW, LW)
    index = (batch[:, None, None, None, None] * (h * w) + rows[:, :, None, :, None] * w
             + cols[:, None, :, None, :]).reshape(k, ph, pw, -1)
    valid = (row_ok[:, :, None, :, None] & col_ok[:, None, :, None, :]).reshape(k, ph, pw, -1)
    nonempty = wrap(valid.any(axis=-1)[..., None], input)
    flat = input.permute(0, 2, 3, 1).reshape(n * h * w, c)
    step = max(1, _CHUNK_ELEMENTS // max(int(index[0].size) * c, 1))
    parts = []
    for s in range(0, k, step):
        vals = flat[wrap(index[s:s + step], input)]  # (k', PH, PW, L, C)
        ok = wrap(valid[s:s + step, ..., None], input)
        vals = vals.masked_fill(~ok, float("-inf"))
        parts.append(vals.max(dim=3).values)
    out = parts[0] if len(parts) == 1 else ember.cat(parts, 0)
    out = ember.where(nonempty, out, ember.zeros((), dtype=out.dtype, device=out.device))
    return torchvision_node(out.permute(0, 3, 1, 2).contiguous(), "roi_pool")


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`."""

    def __init__(self, output_size: Any, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
