"""Caltech 101 and Caltech 256: object categories, one folder of numbered JPEGs each.

``root/caltech101/101_ObjectCategories/<category>/image_0001.jpg`` (the
``BACKGROUND_Google`` folder is not a class) with outlines in
``root/caltech101/Annotations/<category>/annotation_0001.mat`` (read with SciPy);
``root/caltech256/256_ObjectCategories/001.ak47/001_0001.jpg``. Images are returned
as Pillow opens them (no conversion), like torchvision.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

from ._dataset_files import fetch_archive, loadmat, not_found
from .utils import extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["Caltech101", "Caltech256"]

# the Annotations folders of these categories have other names than the image folders
_ANNOTATION_NAMES = {"Faces": "Faces_2", "Faces_easy": "Faces_3",
                     "Motorbikes": "Motorbikes_16", "airplanes": "Airplanes_Side_2"}


def _numbered(categories: list[str], count: Callable[[str], int]) -> tuple[list[int], list[int]]:
    """The 1-based file numbers and the category index of every image."""
    index: list[int] = []
    y: list[int] = []
    for i, c in enumerate(categories):
        n = count(c)
        index.extend(range(1, n + 1))
        y.extend([i] * n)
    return index, y


class Caltech101(VisionDataset):
    """`Caltech 101 <https://data.caltech.edu/records/20086>`_: 101 object categories.

    Args:
        root: folder in which ``caltech101`` exists (or is downloaded to).
        target_type: ``"category"``, ``"annotation"`` (the ``obj_contour`` array of the
            outline, read with SciPy) or a list of them for a tuple target.
        transform: applied to the PIL image.
        target_transform: applied to the target.
        download: fetch and unpack the archive unless ``101_ObjectCategories`` is there.
    """

    _URL = "https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip"
    _MD5 = "3138e1922a9193bfa496528edbbc45d0"

    def __init__(self, root: str | os.PathLike, target_type: list[str] | str = "category",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(os.path.join(root, "caltech101"), transform=transform,
                         target_transform=target_transform)
        os.makedirs(self.root, exist_ok=True)
        if isinstance(target_type, str):
            target_type = [target_type]
        self.target_type = [verify_str_arg(t, "target_type", ("category", "annotation"))
                            for t in target_type]
        if download:
            self.download()
        images = os.path.join(self.root, "101_ObjectCategories")
        if not self._check_integrity():
            raise not_found(images, head="Dataset not found or corrupted.")
        self.categories = sorted(os.listdir(images))
        self.categories.remove("BACKGROUND_Google")  # clutter, not a class
        self.annotation_categories = [_ANNOTATION_NAMES.get(c, c) for c in self.categories]
        self.index, self.y = _numbered(
            self.categories, lambda c: len(os.listdir(os.path.join(images, c))))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        number, category = self.index[index], self.y[index]
        img = Image.open(os.path.join(self.root, "101_ObjectCategories",
                                      self.categories[category], f"image_{number:04d}.jpg"))
        target: Any = []
        for t in self.target_type:
            if t == "category":
                target.append(category)
            else:
                path = os.path.join(self.root, "Annotations",
                                    self.annotation_categories[category],
                                    f"annotation_{number:04d}.mat")
                target.append(loadmat(path, "Caltech101 (target_type='annotation')")
                              ["obj_contour"])
        target = tuple(target) if len(target) > 1 else target[0]
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.index)

    def _check_integrity(self) -> bool:
        return os.path.exists(os.path.join(self.root, "101_ObjectCategories"))

    def download(self) -> None:
        """Fetch the zip and unpack the image and annotation archives it holds."""
        if self._check_integrity():
            return
        fetch_archive(type(self).__name__, self._URL, self.root, md5=self._MD5,
                      filename="caltech-101.zip",
                      expect=os.path.join(self.root, "101_ObjectCategories"))
        inner = os.path.join(self.root, "caltech-101")
        for name in sorted(os.listdir(inner)):
            if name.endswith((".tar.gz", ".tar")):  # 101_ObjectCategories, Annotations
                extract_archive(os.path.join(inner, name), self.root)
        shutil.rmtree(inner)
        os.remove(os.path.join(self.root, "caltech-101.zip"))

    def extra_repr(self) -> str:
        return f"Target type: {self.target_type}"


class Caltech256(VisionDataset):
    """`Caltech 256 <https://data.caltech.edu/records/20087>`_: 257 categories (with clutter).

    Args:
        root: folder in which ``caltech256`` exists (or is downloaded to).
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless ``256_ObjectCategories`` is there.
    """

    _URL = "https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar"
    _MD5 = "67b4f42ca05d46448c6bb8ecd2220f6d"

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(os.path.join(root, "caltech256"), transform=transform,
                         target_transform=target_transform)
        os.makedirs(self.root, exist_ok=True)
        if download:
            self.download()
        images = os.path.join(self.root, "256_ObjectCategories")
        if not self._check_integrity():
            raise not_found(images, head="Dataset not found or corrupted.")
        self.categories = sorted(os.listdir(images))
        self.index, self.y = _numbered(self.categories, lambda c: sum(
            name.endswith(".jpg") for name in os.listdir(os.path.join(images, c))))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        target = self.y[index]
        img = Image.open(os.path.join(self.root, "256_ObjectCategories", self.categories[target],
                                      f"{target + 1:03d}_{self.index[index]:04d}.jpg"))
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.index)

    def _check_integrity(self) -> bool:
        return os.path.exists(os.path.join(self.root, "256_ObjectCategories"))

    def download(self) -> None:
        """Fetch and unpack the image archive into ``root/caltech256``."""
        if self._check_integrity():
            return
        fetch_archive(type(self).__name__, self._URL, self.root, md5=self._MD5,
                      filename="256_ObjectCategories.tar",
                      expect=os.path.join(self.root, "256_ObjectCategories"))
