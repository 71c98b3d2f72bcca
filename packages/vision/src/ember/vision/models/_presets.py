"""The evaluation preset that pre-trained classification weights expect
(``Weights.transforms()``): resize the shorter side, center-crop, scale to [0, 1],
normalize. Works on ember tensors ``(..., C, H, W)`` (uint8 or float) and PIL images,
through ``ember.vision.transforms.functional`` so that pixels match torchvision's."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, nn
from ember.vision.transforms import InterpolationMode
from ember.vision.transforms import functional as F

__all__ = ["ImageClassification", "InterpolationMode"]


class ImageClassification(nn.Module):
    """Resize to ``resize_size`` (shorter side), center-crop ``crop_size``, convert to float in
    [0, 1] and normalize with ``mean``/``std``."""

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225),
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: Any) -> Tensor:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, ember.float)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        lines = [f"crop_size={self.crop_size}", f"resize_size={self.resize_size}",
                 f"mean={self.mean}", f"std={self.std}", f"interpolation={self.interpolation}"]
        return self.__class__.__name__ + "(\n    " + "\n    ".join(lines) + "\n)"

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``ember.Tensor`` objects. The images are resized to ``resize_size="
                f"{self.resize_size}`` using ``interpolation={self.interpolation}``, followed by "
                f"a central crop of ``crop_size={self.crop_size}``. Finally the values are "
                f"first rescaled to ``[0.0, 1.0]`` and then normalized using ``mean={self.mean}``"
                f" and ``std={self.std}``.")

