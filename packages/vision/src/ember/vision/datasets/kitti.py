"""KITTI 2D object detection: left colour images and their label text files.

``root/Kitti/raw/{training,testing}/image_2/<id>.png`` and
``root/Kitti/raw/training/label_2/<id>.txt``, one object per line: type, truncated,
occluded, alpha, bbox (4), dimensions (3), location (3), rotation_y, separated by spaces.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from typing import Any

from .utils import DownloadError, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["Kitti"]


def _parse_label_line(fields: list[str]) -> dict[str, Any]:
    return {
        "type": fields[0],
        "truncated": float(fields[1]),
        "occluded": int(fields[2]),
        "alpha": float(fields[3]),
        "bbox": [float(x) for x in fields[4:8]],
        "dimensions": [float(x) for x in fields[8:11]],
        "location": [float(x) for x in fields[11:14]],
        "rotation_y": float(fields[14]),
    }


class Kitti(VisionDataset):
    """`KITTI <http://www.cvlibs.net/datasets/kitti/eval_object.php?obj_benchmark=2d>`_ 2D
    object detection.

    Args:
        root: the folder holding ``Kitti/raw``.
        train: the training images with their labels (the target: a list of dicts with
            ``type``, ``truncated``, ``occluded``, ``alpha``, ``bbox``, ``dimensions``,
            ``location``, ``rotation_y``); else the test images (target ``None``).
        transform / target_transform / transforms: applied to the image, the target, or
            both.
        download: fetch and unpack the image and label archives.
    """

    data_url = "https://s3.eu-central-1.amazonaws.com/avg-kitti/"
    resources = ["data_object_image_2.zip", "data_object_label_2.zip"]
    image_dir_name = "image_2"
    labels_dir_name = "label_2"

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform,
                         transforms=transforms)
        self.images: list[str] = []
        self.targets: list[str] = []
        self.train = train
        self._location = "training" if self.train else "testing"
        if download:
            self.download()
        if not self._check_exists():
            missing = [d for d in self._folders() if not os.path.isdir(d)]
            raise RuntimeError("Dataset not found. You may use download=True to download it. "
                               f"Missing: {', '.join(missing)}")
        image_dir = os.path.join(self._raw_folder, self._location, self.image_dir_name)
        labels_dir = os.path.join(self._raw_folder, self._location, self.labels_dir_name)
        for img_file in os.listdir(image_dir):  # os.listdir order, as torchvision
            self.images.append(os.path.join(image_dir, img_file))
            if self.train:
                self.targets.append(os.path.join(labels_dir, f"{img_file.split('.')[0]}.txt"))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        image = Image.open(self.images[index])
        target = self._parse_target(index) if self.train else None
        if self.transforms:
            image, target = self.transforms(image, target)
        return image, target

    def _parse_target(self, index: int) -> list[dict[str, Any]]:
        path = self.targets[index]
        with open(path) as fh:
            try:
                return [_parse_label_line(line) for line in csv.reader(fh, delimiter=" ")]
            except (IndexError, ValueError) as e:
                raise RuntimeError(f"{path}: not a KITTI label file ({e})") from e

    def __len__(self) -> int:
        return len(self.images)

    @property
    def _raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    def _folders(self) -> list[str]:
        names = [self.image_dir_name] + ([self.labels_dir_name] if self.train else [])
        return [os.path.join(self._raw_folder, self._location, n) for n in names]

    def _check_exists(self) -> bool:
        return all(os.path.isdir(d) for d in self._folders())

    def download(self) -> None:
        """Download and unpack the image and label archives into ``root/Kitti/raw``."""
        if self._check_exists():
            return
        os.makedirs(self._raw_folder, exist_ok=True)
        for fname in self.resources:
            try:
                download_and_extract_archive(url=f"{self.data_url}{fname}",
                                             download_root=self._raw_folder, filename=fname)
            except DownloadError as e:
                raise DownloadError(f"Kitti: {e}\nAlternatively unpack the archives so that "
                                    f"{' and '.join(self._folders())} exist.") from e
