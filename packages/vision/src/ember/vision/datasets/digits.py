"""``Digits``: the 1,797 8x8 handwritten digits that scikit-learn ships in its wheel.

A real data set with no download. The split is fixed and documented: sample ``i``
belongs to the test set when ``i % 5 == 4`` (359 images), to the training set
otherwise (1,438 images). Images are 8x8 grayscale with values 0..16, returned as
PIL images scaled to 0..255 (so ``ToTensor`` gives values in [0, 1]), targets as ints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .vision import VisionDataset

__all__ = ["Digits"]


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "the Digits dataset reads the copy that scikit-learn ships: install it with "
            "pip install 'ember-vision[digits]'") from e
    bunch = load_digits()
    return bunch.images, bunch.target


class Digits(VisionDataset):
    """8x8 handwritten digits (0-9); ``train=True`` gives 1,438 images, ``False`` 359."""

    classes = [str(i) for i in range(10)]

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        images, targets = _load_digits()
        test = np.arange(len(images)) % 5 == 4
        keep = ~test if train else test
        # 0..16 intensities as 8-bit pixels, like the other image datasets
        self.data = np.round(images[keep] * (255.0 / 16.0)).astype(np.uint8)
        self.targets = [int(t) for t in targets[keep]]

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(self.data[index], mode="L")
        target = self.targets[index]
        return self._transformed(img, target)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"
