"""Position-sensitive RoIPool ("R-FCN"): each output bin averages the pixels of its window
in its own group of input channels (an average, unlike RoIPool's maximum).

Channel grouping as in :mod:`.ps_roi_align`; windows as in :mod:`.roi_pool` (box corners
rounded half away from zero, RoIs at least one pixel wide), padded to the largest window and
averaged by one weighted sum per bin."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, fx, nn
from ember.extend import namespace, needs_grad, record, wrap

from ._utils import no_rois, torchvision_node
from .ps_roi_align import bin_rows, position_sensitive_rois
from .roi_align import _bins_by_chunks
from .roi_pool import _round_half_away, _windows

__all__ = ["ps_roi_pool", "PSRoIPool"]


def _plan(xp: Any, r: Any, spatial_scale: float, ph: int, pw: int, h: int, w: int,
          last: int) -> tuple[Any, Any]:
    """Rows ``(K, PH, PW, L)`` of every bin's window (padded to the largest) and their
    weights ``1 / area`` (0 for padding); windows end at most at ``size + last``."""
    k = r.shape[0]
    batch = r[:, 0].astype(xp.int64)
    corners = _round_half_away(xp, r[:, 1:] * spatial_scale).astype(xp.int64)
    x1, y1, x2, y2 = corners[:, 0], corners[:, 1], corners[:, 2], corners[:, 3]
    roi_w = xp.maximum(x2 - x1, 1).astype(r.dtype)
    roi_h = xp.maximum(y2 - y1, 1).astype(r.dtype)
    _, rows, row_ok = _windows(xp, y1, roi_h / ph, ph, h + last)  # (K, PH, LH)
    _, cols, col_ok = _windows(xp, x1, roi_w / pw, pw, w + last)  # (K, PW, LW)
    rows, cols = xp.maximum(rows, 0), xp.maximum(cols, 0)
    index = (batch[:, None, None, None, None] * (h * w) + rows[:, :, None, :, None] * w
             + cols[:, None, :, None, :]).reshape(k, ph, pw, -1)
    valid = (row_ok[:, :, None, :, None] & col_ok[:, None, :, None, :]).reshape(k, ph, pw, -1)
    area = xp.maximum(valid.sum(axis=-1, keepdims=True), 1).astype(r.dtype)
    return index, valid.astype(r.dtype) / area


@fx.wrap  # one call_function node when traced with ember.fx, as in torchvision
def ps_roi_pool(input: Tensor, boxes: Tensor | list[Tensor], output_size: Any,
                spatial_scale: float = 1.0) -> Tensor:
    """Position-sensitive RoIPool of ``input`` ``(N, C, H, W)`` over ``boxes``
    (``Tensor[K, 5]`` or a list of ``Tensor[L, 4]``): the mean of each bin's window, 0 for
    an empty one: ``(K, C / (PH * PW), PH, PW)``.

    As in torchvision, the forward clips the windows one pixel short of the last row and
    column, while the gradient spreads over windows clipped at the border itself."""
    rois, ph, pw, out_c = position_sensitive_rois(input, boxes, output_size, "ps_roi_pool")
    k = rois.shape[0]
    if k == 0:
        return no_rois(input, (0, out_c, ph, pw), "ps_roi_pool")
    xp = namespace(input)
    r = rois.detach()._data
    n, c, h, w = input.shape
    flat, first = bin_rows(input.detach(), ph, pw)
    first = first[None, :, :, None]
    index, weight = _plan(xp, r, spatial_scale, ph, pw, h, w, -1)
    with ember.no_grad():
        out = _bins_by_chunks(flat, index + first, weight, input)
    if needs_grad(input):
        index, weight = _plan(xp, r, spatial_scale, ph, pw, h, w, 0)
        rows = wrap((index + first).reshape(-1), input)
        weight = wrap(weight[..., None], input)

        def vjp(g: Tensor) -> tuple[Tensor]:
            src = (weight * g.unsqueeze(-2)).reshape(-1, out_c)
            grad = g.new_zeros((flat.shape[0], out_c)).index_add(0, rows, src)
            return (grad.reshape(ph * pw, n, h * w, out_c).permute(1, 3, 0, 2)
                    .reshape(n, c, h, w),)

        record("PsRoiPoolBackward0", out, (input,), vjp)
    return torchvision_node(out.permute(0, 3, 1, 2).contiguous(), "ps_roi_pool")


class PSRoIPool(nn.Module):
    """Module form of :func:`ps_roi_pool`."""

    def __init__(self, output_size: int, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
