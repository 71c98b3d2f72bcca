"""The evaluation preset that pre-trained classification weights expect
(``Weights.transforms()``): resize the shorter side, center-crop, scale to [0, 1],
normalize. Works on ember tensors ``(..., C, H, W)`` (uint8 or float) and PIL images."""

from __future__ import annotations

from enum import Enum
from typing import Any

import ember
from ember import Tensor, nn

__all__ = ["ImageClassification", "InterpolationMode"]

try:  # one enum for the whole package once ember.vision.transforms provides it
    from ember.vision.transforms import InterpolationMode
except Exception:  # noqa: BLE001 - transforms is optional here; fall back to our own
    class InterpolationMode(Enum):  # type: ignore[no-redef]
        """Interpolation modes (torchvision.transforms.InterpolationMode)."""

        NEAREST = "nearest"
        NEAREST_EXACT = "nearest-exact"
        BILINEAR = "bilinear"
        BICUBIC = "bicubic"
        BOX = "box"
        HAMMING = "hamming"
        LANCZOS = "lanczos"


_PIL_FILTERS = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4,
                "hamming": 5, "lanczos": 1}


def _resized_size(h: int, w: int, size: int) -> tuple[int, int]:
    """The shorter side becomes ``size``; the longer keeps the aspect ratio (truncated)."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def _crop_box(h: int, w: int, ch: int, cw: int) -> tuple[int, int]:
    return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))


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

    @property
    def _mode(self) -> str:
        return getattr(self.interpolation, "value", self.interpolation)

    def forward(self, img: Any) -> Tensor:
        img = self._pil(img) if not isinstance(img, Tensor) else self._tensor(img)
        mean = ember.tensor(self.mean, dtype=img.dtype, device=img.device).reshape(-1, 1, 1)
        std = ember.tensor(self.std, dtype=img.dtype, device=img.device).reshape(-1, 1, 1)
        return (img - mean) / std

    def _pil(self, img: Any) -> Tensor:
        import numpy as np

        w, h = img.size
        nh, nw = _resized_size(h, w, self.resize_size[0])
        img = img.resize((nw, nh), _PIL_FILTERS[self._mode])
        ch = cw = self.crop_size[0]
        top, left = _crop_box(nh, nw, ch, cw)
        img = img.crop((left, top, left + cw, top + ch))  # PIL pads with zeros outside
        arr = np.asarray(img)
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).float().div(255)

    def _tensor(self, img: Tensor) -> Tensor:
        integral = not img.is_floating_point()
        x = img.float() if integral else img
        squeeze = x.ndim == 3
        x = x.unsqueeze(0) if squeeze else x
        h, w = x.shape[-2:]
        nh, nw = _resized_size(h, w, self.resize_size[0])
        mode = self._mode
        if mode in ("bilinear", "bicubic"):
            x = nn.functional.interpolate(x, size=(nh, nw), mode=mode, align_corners=False,
                                          antialias=bool(self.antialias))
        else:
            x = nn.functional.interpolate(x, size=(nh, nw), mode=mode)
        if integral:  # resize as uint8 would: round and saturate
            x = x.round().clamp(0, 255)
        x = self._center_crop(x, self.crop_size[0])
        x = x.squeeze(0) if squeeze else x
        return x / 255 if integral else x

    @staticmethod
    def _center_crop(x: Tensor, size: int) -> Tensor:
        h, w = x.shape[-2:]
        if size > h or size > w:  # pad with zeros first, as torchvision does
            ph, pw = max(size - h, 0), max(size - w, 0)
            x = nn.functional.pad(x, [pw // 2, (pw + 1) // 2, ph // 2, (ph + 1) // 2])
            h, w = x.shape[-2:]
        top, left = _crop_box(h, w, size, size)
        return x[..., top:top + size, left:left + size]

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

