"""CelebA: aligned celebrity faces with 40 binary attributes, identities, boxes and
landmarks, read from the official space-separated text files.

``root/celeba/img_align_celeba/<nnnnnn>.jpg`` and, next to it, ``list_eval_partition.txt``
(0 train, 1 valid, 2 test), ``identity_CelebA.txt``, ``list_attr_celeba.txt``,
``list_bbox_celeba.txt`` and ``list_landmarks_align_celeba.txt`` (the last three start
with a count line and a header line). Each text file is checked against its md5.
"""

from __future__ import annotations

import csv
import os
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from ._gdrive import download_file_from_google_drive
from .utils import DownloadError, check_integrity, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["CelebA"]

CSV = namedtuple("CSV", ["header", "index", "data"])


class CelebA(VisionDataset):
    """`CelebA <http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html>`_.

    Args:
        root: the folder holding ``celeba``.
        split: ``"train"``, ``"valid"``, ``"test"`` or ``"all"``.
        target_type: ``"attr"`` (40 values in {0, 1}), ``"identity"``, ``"bbox"`` (x, y,
            w, h) or ``"landmarks"`` (10 values), or a list of them (the target is then a
            tuple; an empty list gives ``None``). Values are ``int64`` tensors.
        transform: applied to the PIL image.
        target_transform: applied to the target.
        download: fetch the files from Google Drive and unpack the images.

    Attributes: ``filename``, ``attr``, ``identity``, ``bbox``, ``landmarks_align``,
    ``attr_names``.
    """

    base_folder = "celeba"
    file_list = [
        # (Google Drive file id, md5, file name)
        ("0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb",
         "img_align_celeba.zip"),
        ("0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c",
         "list_attr_celeba.txt"),
        ("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS", "32bd1bd63d3c78cd57e08160ec5ed1e2",
         "identity_CelebA.txt"),
        ("0B7EVK8r0v71pbThiMVRxWXZ4dU0", "00566efa6fedff7a56946cd1c10f1c16",
         "list_bbox_celeba.txt"),
        ("0B7EVK8r0v71pd0FJY3Blby1HUTQ", "cc24ecafdb5b50baae59b03474781f8c",
         "list_landmarks_align_celeba.txt"),
        ("0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668",
         "list_eval_partition.txt"),
    ]

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 target_type: list[str] | str = "attr", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        import ember

        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = split
        self.target_type = target_type if isinstance(target_type, list) else [target_type]
        if not self.target_type and self.target_transform is not None:
            raise RuntimeError("target_transform is specified but target_type is empty")
        if download:
            self.download()
        if not self._check_integrity():  # the hook subclasses (and tests) override
            bad = self._corrupt_files()
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it. Missing or failing the md5 check: "
                               + ", ".join(bad))
        split_code = {"train": 0, "valid": 1, "test": 2, "all": None}[verify_str_arg(
            split.lower() if isinstance(split, str) else split, "split",
            ("train", "valid", "test", "all"))]
        splits = self._load_csv("list_eval_partition.txt")
        identity = self._load_csv("identity_CelebA.txt")
        bbox = self._load_csv("list_bbox_celeba.txt", header=1)
        landmarks_align = self._load_csv("list_landmarks_align_celeba.txt", header=1)
        attr = self._load_csv("list_attr_celeba.txt", header=1)
        if split_code is None:
            rows = np.arange(len(splits.index))
            self.filename = splits.index
        else:
            rows = np.flatnonzero(splits.data[:, 0] == split_code)
            self.filename = [splits.index[i] for i in rows]

        def select(table: CSV) -> Any:
            return ember.from_numpy(np.ascontiguousarray(table.data[rows]))

        self.identity = select(identity)
        self.bbox = select(bbox)
        self.landmarks_align = select(landmarks_align)
        # the file's -1/1 become 0/1
        self.attr = ember.from_numpy((attr.data[rows] + 1) // 2)
        self.attr_names = attr.header

    def _load_csv(self, filename: str, header: int | None = None) -> CSV:
        """``(header, first column, int64 array of the other columns)`` of a text file."""
        path = os.path.join(self.root, self.base_folder, filename)
        with open(path) as fh:
            rows = list(csv.reader(fh, delimiter=" ", skipinitialspace=True))
        headers: list[str] = []
        if header is not None:
            headers, rows = rows[header], rows[header + 1:]
        try:  # ragged lines or non-integers raise ValueError
            data = np.array([[int(v) for v in row[1:]] for row in rows], dtype=np.int64)
        except ValueError as e:
            raise RuntimeError(f"{path}: expected a name then the same number of integers "
                               f"on each line ({e})") from e
        if data.ndim != 2:  # no lines at all
            data = data.reshape(0, 0)
        return CSV(headers, [row[0] for row in rows], data)

    def _corrupt_files(self) -> list[str]:
        folder = os.path.join(self.root, self.base_folder)
        bad = [os.path.join(folder, name) for _, md5, name in self.file_list
               if os.path.splitext(name)[1] not in (".zip", ".7z")
               and not check_integrity(os.path.join(folder, name), md5)]
        if not os.path.isdir(os.path.join(folder, "img_align_celeba")):
            bad.append(os.path.join(folder, "img_align_celeba") + os.sep)
        return bad

    def _check_integrity(self) -> bool:
        return not self._corrupt_files()

    def download(self) -> None:
        """Fetch the files from Google Drive and unpack ``img_align_celeba.zip``."""
        if self._check_integrity():
            return
        folder = os.path.join(self.root, self.base_folder)
        try:
            for file_id, md5, filename in self.file_list:
                download_file_from_google_drive(file_id, folder, filename, md5)
        except DownloadError as e:
            raise DownloadError(f"CelebA: {e}") from e
        extract_archive(os.path.join(folder, "img_align_celeba.zip"))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.open(os.path.join(self.root, self.base_folder, "img_align_celeba",
                                      self.filename[index]))
        parts: list[Any] = []
        for t in self.target_type:
            if t == "attr":
                parts.append(self.attr[index, :])
            elif t == "identity":
                parts.append(self.identity[index, 0])
            elif t == "bbox":
                parts.append(self.bbox[index, :])
            elif t == "landmarks":
                parts.append(self.landmarks_align[index, :])
            else:
                raise ValueError(f'Target type "{t}" is not recognized.')
        if self.transform is not None:
            img = self.transform(img)
        target: Any = None
        if parts:
            target = tuple(parts) if len(parts) > 1 else parts[0]
            if self.target_transform is not None:
                target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.attr)

    def extra_repr(self) -> str:
        return f"Target type: {self.target_type}\nSplit: {self.split}"
