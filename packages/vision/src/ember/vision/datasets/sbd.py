"""SBD, the Semantic Boundaries Dataset: PASCAL VOC images with per-class boundary and
segmentation annotations in MATLAB files (read with SciPy).

``root/img/<id>.jpg``, ``root/cls/<id>.mat`` (a ``GTcls`` struct with ``Segmentation``
and ``Boundaries``) and ``root/{train,val,train_noval}.txt``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import numpy as np

from .utils import DownloadError, download_and_extract_archive, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["SBDataset"]


class SBDataset(VisionDataset):
    """`Semantic Boundaries Dataset <http://home.bharathh.info/pubs/codes/SBD/download.html>`_.

    Args:
        root: the dataset folder (``img``, ``cls``, the split files).
        image_set: ``"train"``, ``"val"`` or ``"train_noval"`` (train without VOC2012 val).
        mode: ``"boundaries"`` (target: a ``(20, H, W)`` uint8 array, one boundary map per
            class) or ``"segmentation"`` (target: a PIL image of class indices).
        download: fetch and unpack ``benchmark.tgz`` (and ``train_noval.txt``).
        transforms: applied to the (image, target) pair.
    """

    url = ("https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/"
           "semantic_contours/benchmark.tgz")
    md5 = "82b4d87ceb2ed10f6038a1cba92111cb"
    filename = "benchmark.tgz"
    voc_train_url = "https://www.cs.cornell.edu/~bharathh/train_noval.txt"
    voc_split_filename = "train_noval.txt"
    voc_split_md5 = "79bff800c5f0b1ec6b21080a3c066722"

    def __init__(self, root: str | os.PathLike, image_set: str = "train",
                 mode: str = "boundaries", download: bool = False,
                 transforms: Callable | None = None) -> None:
        try:
            from scipy.io import loadmat
        except ImportError as e:
            raise RuntimeError("Scipy is not found. This dataset needs to have scipy "
                               "installed: pip install scipy") from e
        self._loadmat = loadmat
        super().__init__(root, transforms)
        self.image_set = verify_str_arg(image_set, "image_set", ("train", "val", "train_noval"))
        self.mode = verify_str_arg(mode, "mode", ("segmentation", "boundaries"))
        self.num_classes = 20
        sbd_root = self.root
        if download:
            self._download(sbd_root)
        if not os.path.isdir(sbd_root):
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it (expected the folder {sbd_root})")
        split_file = os.path.join(sbd_root, image_set.rstrip("\n") + ".txt")
        if not os.path.isfile(split_file):  # torchvision's open() raises FileNotFoundError
            raise FileNotFoundError(f"Dataset not found or corrupted: the split file "
                                    f"{split_file} is missing. You can use download=True to "
                                    "download it")
        with open(split_file) as fh:
            ids = [line.strip() for line in fh.readlines()]
        self.images = [os.path.join(sbd_root, "img", x + ".jpg") for x in ids]
        self.masks = [os.path.join(sbd_root, "cls", x + ".mat") for x in ids]
        self._get_target = (self._get_segmentation_target if self.mode == "segmentation"
                            else self._get_boundaries_target)

    def _download(self, sbd_root: str) -> None:
        try:
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.md5)
        except DownloadError as e:
            raise DownloadError(f"SBDataset: {e}\nAlternatively place the contents of its "
                                f"benchmark_RELEASE/dataset folder in {sbd_root}.") from e
        extracted = os.path.join(self.root, "benchmark_RELEASE", "dataset")
        for name in ("cls", "img", "inst", "train.txt", "val.txt"):
            shutil.move(os.path.join(extracted, name), sbd_root)
        if self.image_set == "train_noval":
            download_url(self.voc_train_url, sbd_root, self.voc_split_filename,
                         self.voc_split_md5)

    def _gtcls(self, path: str) -> Any:
        try:
            return self._loadmat(path)["GTcls"][0]
        except Exception as e:  # scipy raises MatReadError/ValueError/... on damaged files
            raise RuntimeError(f"{path}: not a readable SBD annotation "
                               f"({type(e).__name__}: {e})") from e

    def _get_segmentation_target(self, path: str) -> Any:
        from PIL import Image

        return Image.fromarray(self._gtcls(path)["Segmentation"][0])

    def _get_boundaries_target(self, path: str) -> np.ndarray:
        boundaries = self._gtcls(path)["Boundaries"][0]
        # one sparse (H, W) matrix per class, stacked into (num_classes, H, W)
        return np.stack([boundaries[i][0].toarray() for i in range(self.num_classes)])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.open(self.images[index]).convert("RGB")
        target = self._get_target(self.masks[index])
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> str:
        return f"Image set: {self.image_set}\nMode: {self.mode}"
