"""SVHN: 32x32 house-number digits from the official ``.mat`` files (read with SciPy)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .utils import check_integrity, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["SVHN"]


def _loadmat(path: str) -> dict:
    try:
        import scipy.io as sio
    except ImportError as e:
        raise ImportError("SVHN reads its .mat files with scipy.io, and SciPy is not "
                          "installed: pip install scipy") from e
    try:
        return sio.loadmat(path)
    except Exception as e:  # scipy raises ValueError/TypeError/... on damaged files
        raise RuntimeError(f"{path}: not a readable .mat file ({type(e).__name__}: {e})") from e


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_ cropped digits (format 2).

    The digit 0, stored as label 10 in the files, gets the label 0. ``data`` is a
    ``uint8`` array (N, 3, 32, 32), ``labels`` an ``int64`` array.

    Args:
        root: folder holding ``train_32x32.mat``, ``test_32x32.mat`` or ``extra_32x32.mat``.
        split: ``"train"``, ``"test"`` or ``"extra"``.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch the split's file when it is missing or corrupt.
    """

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not self._check_integrity():
            raise RuntimeError(f"Dataset not found or corrupted ({path} is missing or fails "
                               "its md5 check). You can use download=True to download it")
        mat = _loadmat(path)
        if "X" not in mat or "y" not in mat:
            raise RuntimeError(f"{path}: expected the variables 'X' and 'y'")
        x, y = np.asarray(mat["X"]), np.asarray(mat["y"])
        if x.ndim != 4 or x.shape[2] != 3 or y.size != x.shape[3]:
            raise RuntimeError(f"{path}: 'X' should be (32, 32, 3, N) with N labels in 'y', "
                               f"got X {x.shape} and y {y.shape}")
        self.labels = y.astype(np.int64).squeeze()
        # the files give the digit 0 the label 10
        np.place(self.labels, self.labels == 10, 0)
        self.data = np.transpose(x, (3, 2, 0, 1))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        target = int(self.labels[index])
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename),
                               self.split_list[self.split][2])

    def download(self) -> None:
        """Download the split's ``.mat`` file into ``root`` unless it is there intact."""
        download_url(self.url, self.root, self.filename, self.split_list[self.split][2])

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
