"""``FakeData``: random images, the same for a given index on every call and run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from .vision import VisionDataset

__all__ = ["FakeData"]

_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _float_chw_to_pil(img: np.ndarray) -> Any:
    """A float (C, H, W) image in [0, 1] as a PIL image, as ``ToPILImage`` converts it."""
    from PIL import Image

    hwc = img[:, :, None] if img.ndim == 2 else img.transpose(1, 2, 0)
    if hwc.shape[2] not in _MODES:
        raise ValueError(f"FakeData: image_size needs 1 to 4 channels, got {hwc.shape[2]}")
    # float -> uint8 exactly as ToPILImage does (out-of-range values wrap)
    npimg = (hwc * 255).astype(np.uint8)
    if npimg.shape[2] == 1:
        return Image.fromarray(npimg[:, :, 0], mode="L")
    return Image.fromarray(np.ascontiguousarray(npimg), mode=_MODES[npimg.shape[2]])


class FakeData(VisionDataset):
    """A fake dataset of random PIL images and random class indices.

    Item ``i`` is drawn from its own generator seeded with ``i + random_offset``, so it
    is the same on every access (and the same images and targets as torchvision's
    FakeData, whose generator Ember reproduces), and the global random state is left
    untouched.

    Args:
        size: number of items.
        image_size: (C, H, W) of the images, C in 1..4.
        num_classes: targets are drawn from ``range(num_classes)``.
        transform: applied to the PIL image.
        target_transform: applied to the target (a 0-d ``int64`` tensor).
        random_offset: added to the index to form the seed.
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, ...] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        gen = ember.Generator()
        gen.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size, generator=gen)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long, generator=gen)[0]
        img = _float_chw_to_pil(img.numpy())
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item()

    def __len__(self) -> int:
        return self.size
