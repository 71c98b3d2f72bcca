"""MultiScaleRoIAlign: RoIAlign over a feature pyramid, each box pooled from the level its
size selects (eq. 1 of "Feature Pyramid Networks for Object Detection")."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor, fx, nn

from ._utils import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["MultiScaleRoIAlign", "LevelMapper", "initLevelMapper"]


class LevelMapper:
    """Maps boxes to pyramid levels: ``floor(canonical_level + log2(sqrt(area) /
    canonical_scale) + eps)``, clamped to ``[k_min, k_max]``, minus ``k_min``."""

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> Tensor:
        s = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        levels = ember.floor(self.lvl0 + ember.log2(s / self.s0)
                             + ember.tensor(self.eps, dtype=s.dtype))
        levels = ember.clamp(levels, min=self.k_min, max=self.k_max)
        return levels.to(ember.int64) - self.k_min


def initLevelMapper(k_min: int, k_max: int, canonical_scale: int = 224,  # noqa: N802
                    canonical_level: int = 4, eps: float = 1e-6) -> LevelMapper:
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _infer_scale(feature: Tensor, original_size: tuple[int, int]) -> float:
    """The power of two closest to the feature map's size over the image's (by height)."""
    approx = float(feature.shape[-2]) / float(original_size[0])
    return 2.0 ** round(math.log2(approx))


@fx.wrap
def _setup_scales(features: list[Tensor], image_shapes: list[tuple[int, int]],
                  canonical_scale: int, canonical_level: int
                  ) -> tuple[list[float], LevelMapper]:
    if not image_shapes:
        raise ValueError("images list should not be empty")
    original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
    scales = [_infer_scale(f, original) for f in features]
    lvl_min, lvl_max = -math.log2(scales[0]), -math.log2(scales[-1])
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


@fx.wrap
def _filter_input(x: dict[str, Tensor], featmap_names: list[str]) -> list[Tensor]:
    """The feature maps of ``x`` named in ``featmap_names``, in ``x``'s order."""
    return [v for k, v in x.items() if k in featmap_names]


@fx.wrap
def _multiscale_roi_align(x_filtered: list[Tensor], boxes: list[Tensor], output_size: Any,
                          sampling_ratio: int, scales: list[float] | None,
                          mapper: LevelMapper | None) -> Tensor:
    """RoIAlign of each box from the level ``mapper`` assigns it, rows in the boxes' order."""
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")
    rois = convert_boxes_to_roi_format(boxes)
    if len(x_filtered) == 1:
        return roi_align(x_filtered[0], rois, output_size, scales[0], sampling_ratio)
    levels = mapper(boxes)
    first = x_filtered[0]
    result = ember.zeros((rois.shape[0], first.shape[1], *output_size), dtype=first.dtype,
                         device=first.device)
    for level, (feature, scale) in enumerate(zip(x_filtered, scales)):
        idx = ember.where(levels == level)[0]
        pooled = roi_align(feature, rois[idx], output_size, scale, sampling_ratio)
        result[idx] = pooled.to(result.dtype)  # an index_put, as torchvision's (its grad_fn)
    return result


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign from the feature maps named ``featmap_names`` of an ordered dict, choosing
    each box's level by its size; the levels' scales are inferred from the image sizes."""

    def __init__(self, featmap_names: list[str], output_size: Any, sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales: list[float] | None = None
        self.map_levels: LevelMapper | None = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor],
                image_shapes: list[tuple[int, int]]) -> Tensor:
        """RoIAlign features of ``boxes``; the levels' scales are inferred on the first call
        and kept (as torchvision's)."""
        x_filtered = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(
                x_filtered, image_shapes, self.canonical_scale, self.canonical_level)
        return _multiscale_roi_align(x_filtered, boxes, self.output_size, self.sampling_ratio,
                                     self.scales, self.map_levels)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")
