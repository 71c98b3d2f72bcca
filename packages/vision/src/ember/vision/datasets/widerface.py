"""WIDER FACE: face detection, with the official box annotation text files.

``root/widerface/WIDER_{train,val,test}/images/<event>/<name>.jpg`` and
``root/widerface/wider_face_split/wider_face_{train,val}_bbx_gt.txt``: for each image its
path, the number of faces, then one line per face of ten integers ``x y w h blur
expression illumination invalid occlusion pose`` (an image with no face still has one
all-zero line). The test split lists its images in ``wider_face_test_filelist.txt``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ._gdrive import download_file_from_google_drive
from .utils import DownloadError, download_and_extract_archive, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["WIDERFace"]

# the columns of a face line, in file order, after the 4 box values
_ATTRIBUTES = ("blur", "expression", "illumination", "occlusion", "pose", "invalid")
_COLUMNS = {"blur": 4, "expression": 5, "illumination": 6, "occlusion": 7, "pose": 8,
            "invalid": 9}


class WIDERFace(VisionDataset):
    """`WIDER FACE <http://shuoyang1213.me/WIDERFACE/>`_.

    Args:
        root: the folder holding ``widerface``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        transform: applied to the PIL image.
        target_transform: applied to the target: a dict of ``int64`` tensors ``bbox``
            (N, 4; x, y, w, h), ``blur``, ``expression``, ``illumination``,
            ``occlusion``, ``pose``, ``invalid`` (N,), or ``None`` for the test split.
        download: fetch and unpack the image and annotation archives.
    """

    BASE_FOLDER = "widerface"
    FILE_LIST = [
        # (Google Drive file id, md5, file name)
        ("15hGDLhsx8bLgLcIRD5DhYt5iBxnjNF1M", "3fedf70df600953d25982bcd13d91ba2",
         "WIDER_train.zip"),
        ("1GUCogbp16PMGa39thoMMeWxp7Rp5oM8Q", "dfa7d7e790efa35df3788964cf0bbaea",
         "WIDER_val.zip"),
        ("1HIfDbVEWKmsYKJZm4lchTBDLW5N7dY5T", "e5d8f4248ed24c334bbd12f49c29dd40",
         "WIDER_test.zip"),
    ]
    ANNOTATIONS_FILE = (
        "http://shuoyang1213.me/WIDERFACE/support/bbx_annotation/wider_face_split.zip",
        "0e3767bcf0e326556d407bf5bff5d27c", "wider_face_split.zip")

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root=os.path.join(root, self.BASE_FOLDER), transform=transform,
                         target_transform=target_transform)
        self.split = verify_str_arg(split, "split", ("train", "val", "test"))
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download and prepare it. Missing folders: "
                               + ", ".join(self._missing_folders()))
        self.img_info: list[dict[str, Any]] = []
        if self.split in ("train", "val"):
            self.parse_train_val_annotations_file()
        else:
            self.parse_test_annotations_file()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.open(self.img_info[index]["img_path"])
        if self.transform is not None:
            img = self.transform(img)
        target = None if self.split == "test" else self.img_info[index]["annotations"]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.img_info)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"

    def _image_path(self, line: str) -> str:
        path = os.path.join(self.root, "WIDER_" + self.split, "images", line)
        return os.path.abspath(os.path.expanduser(path))

    @staticmethod
    def _annotations(rows: list[list[int]]) -> dict[str, Any]:
        import ember

        table = np.asarray(rows, dtype=np.int64).reshape(len(rows), -1)
        out = {"bbox": ember.from_numpy(np.ascontiguousarray(table[:, 0:4]))}
        for name in _ATTRIBUTES:
            out[name] = ember.from_numpy(np.ascontiguousarray(table[:, _COLUMNS[name]]))
        return out

    def parse_train_val_annotations_file(self) -> None:
        """Read ``wider_face_<split>_bbx_gt.txt`` into ``img_info``."""
        filepath = os.path.join(self.root, "wider_face_split",
                                f"wider_face_{self.split}_bbx_gt.txt")
        with open(filepath) as fh:
            lines = fh.readlines()
        state, num_boxes, rows, img_path = "name", 0, [], ""
        for lineno, line in enumerate(lines, 1):
            line = line.rstrip()
            try:
                if state == "name":
                    img_path, state = self._image_path(line), "count"
                elif state == "count":
                    num_boxes, state = int(line), "boxes"
                else:
                    rows.append([int(x) for x in line.split(" ")])
                    # an image with 0 faces still has one (all-zero) face line
                    if len(rows) >= num_boxes:
                        self.img_info.append({"img_path": img_path,
                                              "annotations": self._annotations(rows)})
                        state, rows = "name", []
            except ValueError as e:
                raise RuntimeError(f"Error parsing annotation file {filepath} at line "
                                   f"{lineno}: {e}") from e

    def parse_test_annotations_file(self) -> None:
        """Read ``wider_face_test_filelist.txt`` into ``img_info``."""
        filepath = os.path.join(self.root, "wider_face_split", "wider_face_test_filelist.txt")
        filepath = os.path.abspath(os.path.expanduser(filepath))
        with open(filepath) as fh:
            self.img_info = [{"img_path": self._image_path(line.rstrip())} for line in fh]

    def _missing_folders(self) -> list[str]:
        names = [name for _, _, name in self.FILE_LIST] + [self.ANNOTATIONS_FILE[2]]
        folders = [os.path.join(self.root, os.path.splitext(name)[0]) for name in names]
        return [f for f in folders if not os.path.exists(f)]

    def _check_integrity(self) -> bool:
        return not self._missing_folders()

    def download(self) -> None:
        """Fetch and unpack the three image archives and the annotation archive."""
        if self._check_integrity():
            return
        try:
            for file_id, md5, filename in self.FILE_LIST:
                download_file_from_google_drive(file_id, self.root, filename, md5)
                extract_archive(os.path.join(self.root, filename))
            url, md5, _ = self.ANNOTATIONS_FILE
            download_and_extract_archive(url=url, download_root=self.root, md5=md5)
        except DownloadError as e:
            raise DownloadError(f"WIDERFace: {e}\nAlternatively unpack the archives so that "
                                f"{', '.join(self._missing_folders())} exist.") from e
