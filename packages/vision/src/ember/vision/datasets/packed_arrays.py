"""Datasets packed into data files rather than one image file each: STL10 (raw ``.bin``),
USPS (bz2 libsvm text), SEMEION (``.data`` text), FER2013 (csv), MovingMNIST (``.npy``)
and PCAM (HDF5, read with h5py)."""

from __future__ import annotations

import csv
import os
import pathlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from ._dataset_files import fetch_archive, not_found
from ._gdrive import download_file_from_google_drive
from .utils import check_integrity, corrupt_files, download_url, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["STL10", "USPS", "SEMEION", "FER2013", "MovingMNIST", "PCAM"]


def _numbers(text: str, dtype: Any, where: str) -> np.ndarray:
    """The whitespace-separated numbers of ``text``; anything else raises naming ``where``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy's "could not be read to its end"
        try:
            return np.fromstring(text, dtype=dtype, sep=" ")
        except (DeprecationWarning, ValueError) as e:
            raise RuntimeError(f"{where}: not a list of numbers ({e})") from e


def _pil(array: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(array)


class _ArrayImages(VisionDataset):
    """Items are ``(PIL image of data[index], target)``; grayscale for 2-D images."""

    data: np.ndarray

    def _target(self, index: int) -> Any:
        raise NotImplementedError

    def _image(self, index: int) -> Any:
        return _pil(self.data[index])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = self._image(index)
        target = self._target(index)
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)


class STL10(_ArrayImages):
    """`STL10 <https://cs.stanford.edu/~acoates/stl10/>`_: 96x96 images, 10 classes, plus
    100,000 unlabeled ones (target ``-1``).

    ``root/stl10_binary/{train,test}_{X,y}.bin`` and ``unlabeled_X.bin`` hold the raw
    column-major uint8 images and 1-based labels; ``fold_indices.txt`` the 10 folds.

    Args:
        root: folder holding ``stl10_binary``.
        split: ``"train"``, ``"train+unlabeled"``, ``"unlabeled"`` or ``"test"``.
        folds: 0 to 9 to keep one of the 1,000-image training folds, or None.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless all files are intact.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [
        ["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
        ["train_y.bin", "5a34089d4802c674881badbb80307741"],
        ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"],
    ]
    test_list = [["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
                 ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"]]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root: str | os.PathLike, split: str = "train", folds: int | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)
        if download:
            self.download()
        if not self._check_integrity():  # the hook subclasses (and tests) override
            bad = self._corrupt_files()
            raise not_found(bad, head="Dataset not found or corrupted.")
        self.labels: np.ndarray | None
        if self.split == "test":
            self.data, self.labels = self._load("test_X.bin", "test_y.bin")
        elif self.split == "unlabeled":
            self.data, _ = self._load("unlabeled_X.bin")
            self.labels = np.full(len(self.data), -1, dtype=np.int64)
        else:
            self.data, self.labels = self._load("train_X.bin", "train_y.bin")
            self._select_fold(folds)
            if self.split == "train+unlabeled":
                unlabeled, _ = self._load("unlabeled_X.bin")
                self.data = np.concatenate((self.data, unlabeled))
                self.labels = np.concatenate(
                    (self.labels, np.full(len(unlabeled), -1, dtype=np.int64)))
        class_file = os.path.join(self.root, self.base_folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    def _verify_folds(self, folds: int | None) -> int | None:
        if folds is None:
            return folds
        if isinstance(folds, int):
            if folds in range(10):
                return folds
            raise ValueError(f"Value for argument folds should be in the range [0, 10), but got "
                             f"{folds}.")
        raise ValueError(f"Expected type None or int for argument folds, but got type "
                         f"{type(folds)}.")

    def _load(self, data_file: str, labels_file: str | None = None
              ) -> tuple[np.ndarray, np.ndarray | None]:
        """The images (N, 3, 96, 96) of ``data_file`` and the 0-based uint8 labels."""
        path = os.path.join(self.root, self.base_folder, data_file)
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % (3 * 96 * 96):
            raise RuntimeError(f"{path}: {raw.size} bytes is not a whole number of 3x96x96 "
                               "images")
        # stored column-major: swap height and width
        images = raw.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)
        if labels_file is None:
            return images, None
        labels_path = os.path.join(self.root, self.base_folder, labels_file)
        labels = np.fromfile(labels_path, dtype=np.uint8) - 1  # the file counts from 1
        if len(labels) != len(images):
            raise RuntimeError(f"{labels_path}: {len(labels)} labels for the {len(images)} "
                               f"images of {path}")
        return images, labels

    def _select_fold(self, folds: int | None) -> None:
        if folds is None:
            return
        path = os.path.join(self.root, self.base_folder, self.folds_list_file)
        with open(path) as f:
            line = f.read().splitlines()[folds]
        keep = _numbers(line, np.int64, f"{path} line {folds + 1}")
        self.data = self.data[keep, :, :, :]
        if self.labels is not None:
            self.labels = self.labels[keep]

    def _target(self, index: int) -> Any:
        return int(self.labels[index]) if self.labels is not None else None

    def _image(self, index: int) -> Any:
        return _pil(np.transpose(self.data[index], (1, 2, 0)))

    def __len__(self) -> int:
        return self.data.shape[0]

    def _corrupt_files(self) -> list[str]:
        return corrupt_files(os.path.join(self.root, self.base_folder),
                             self.train_list + self.test_list)

    def _check_integrity(self) -> bool:
        return not self._corrupt_files()

    def download(self) -> None:
        """Fetch and unpack the archive unless every file is intact."""
        if self._check_integrity():
            return
        fetch_archive("STL10", self.url, self.root, md5=self.tgz_md5, filename=self.filename,
                      expect=os.path.join(self.root, self.base_folder))

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


class USPS(_ArrayImages):
    """`USPS <https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass.html#usps>`_:
    16x16 digits from the bz2 libsvm files (``label idx:value`` x 256, values in [-1, 1]).

    Labels become 0..9 and pixels 0..255 (``uint8``).

    Args:
        root: folder holding ``usps.bz2`` / ``usps.t.bz2``.
        train: the training file if True, else the test file.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch the file when it is missing.
    """

    split_list = {
        "train": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2",
                  "usps.bz2", "ec16c51db3855ca6c91edd34d0e9b197"],
        "test": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2",
                 "usps.t.bz2", "8ea070ee2aca1ac39742fdd1ef5ed118"],
    }

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        import bz2
        import re

        super().__init__(root, transform=transform, target_transform=target_transform)
        url, filename, md5 = self.split_list["train" if train else "test"]
        path = os.path.join(self.root, filename)
        if download and not os.path.exists(path):
            download_url(url, self.root, filename, md5=md5)
        if not os.path.exists(path):
            raise FileNotFoundError(f"Dataset not found: {path} is missing. You can use "
                                    "download=True to download it")
        try:
            with bz2.open(path, "rt") as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
        except (OSError, EOFError, ValueError) as e:
            raise RuntimeError(f"{path}: corrupt or truncated bz2 file ({e})") from e
        # drop the "index:" of every "index:value" pair, leaving "label v1 ... v256"
        values = _numbers(re.sub(r"\S*:", "", "\n".join(lines)), np.float32, path)
        if values.size != 257 * len(lines):
            raise RuntimeError(f"{path}: expected {len(lines)} lines of a label and 256 "
                               f"values, found {values.size} numbers")
        table = values.reshape(-1, 257)
        self.data = ((table[:, 1:].reshape(-1, 16, 16) + 1) / 2 * 255).astype(np.uint8)
        self.targets = [int(label) - 1 for label in table[:, 0]]

    def _target(self, index: int) -> Any:
        return int(self.targets[index])


class SEMEION(_ArrayImages):
    """`SEMEION <http://archive.ics.uci.edu/ml/datasets/semeion+handwritten+digit>`_: 1,593
    16x16 binary digits; ``semeion.data`` rows hold 256 pixels and a one-hot label.

    Args:
        root: folder holding ``semeion.data``.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch the file unless it is there intact (the default, as torchvision).
    """

    url = "http://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"
    filename = "semeion.data"
    md5_checksum = "cb545d371d2ce14ec121470795a77432"

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = True) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not self._check_integrity():
            raise not_found(path, head="Dataset not found or corrupted.")
        try:
            table = np.loadtxt(path, ndmin=2)
        except ValueError as e:
            raise RuntimeError(f"{path}: not a table of numbers ({e})") from e
        if table.shape[1] <= 256:
            raise RuntimeError(f"{path}: expected rows of 256 pixels and a one-hot label, got "
                               f"{table.shape[1]} columns")
        self.data = (table[:, :256] * 255).astype("uint8").reshape(-1, 16, 16)
        rows_hit, self.labels = np.nonzero(table[:, 256:])
        if len(rows_hit) != len(table):
            raise RuntimeError(f"{path}: every row needs exactly one label column set to 1")

    def _target(self, index: int) -> Any:
        return int(self.labels[index])

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.md5_checksum)

    def download(self) -> None:
        """Fetch ``semeion.data`` into ``root`` unless it is there intact."""
        if self._check_integrity():
            return
        download_url(self.url, self.root, self.filename, self.md5_checksum)


class FER2013(VisionDataset):
    """FER2013 (Kaggle's facial expression challenge): 48x48 grayscale faces, 7 expressions,
    read from the Kaggle csv files in ``root/fer2013``.

    ``fer2013.csv`` is used if present, else ``icml_face_data.csv`` (whose header has
    ``" Usage"`` and ``" pixels"``), else ``train.csv``/``test.csv``; only the first two
    carry test labels (``None`` otherwise). No download: Kaggle needs a login.

    Args:
        root: folder holding ``fer2013``.
        split: ``"train"`` or ``"test"`` (the public and private test rows).
        transform: applied to the PIL image.
        target_transform: applied to the target.
    """

    _RESOURCES = {
        "train": ("train.csv", "3f0dfb3d3fd99c811a1299cb947e3131"),
        "test": ("test.csv", "b02c2298636a634e8c2faabbf3ea9a23"),
        "fer": ("fer2013.csv", "f8428a1edbd21e88f42c73edd2a14f95"),
        "icml": ("icml_face_data.csv", "b114b9e04e6949e5fe8b6a98b3892b1d"),
    }
    _KAGGLE = ("https://www.kaggle.com/c/"
               "challenges-in-representation-learning-facial-expression-recognition-challenge")

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self._split = verify_str_arg(split, "split", ("train", "test"))
        super().__init__(root, transform=transform, target_transform=target_transform)
        base = pathlib.Path(self.root) / "fer2013"
        whole = next((k for k in ("fer", "icml") if (base / self._RESOURCES[k][0]).exists()), None)
        file_name, md5 = self._RESOURCES[whole or self._split]
        data_file = base / file_name
        if not check_integrity(str(data_file), md5=md5):
            raise RuntimeError(f"{file_name} not found in {base} or corrupted. You can download "
                               f"it from {self._KAGGLE}")
        space = " " if whole == "icml" else ""  # icml_face_data.csv: "emotion, Usage, pixels"
        usage = ("Training",) if self._split == "train" else ("PublicTest", "PrivateTest")
        self._samples: list[tuple[Any, int | None]] = []
        with open(data_file, newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if whole and row[f"{space}Usage"] not in usage:
                    continue
                pixels = _numbers(row[f"{space}pixels"], np.int64, f"{data_file} line {line}")
                if pixels.size != 48 * 48:
                    raise RuntimeError(f"{data_file} line {line}: {pixels.size} pixels, "
                                       "expected 48x48")
                label = int(row["emotion"]) if whole or self._split == "train" else None
                image = ember.from_numpy(pixels.astype(np.uint8).reshape(48, 48))
                self._samples.append((image, label))

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        image, target = self._samples[idx]
        img = _pil(image.numpy())
        return self._transformed(img, target)

    def extra_repr(self) -> str:
        return f"split={self._split}"


class MovingMNIST(VisionDataset):
    """`MovingMNIST <http://www.cs.toronto.edu/~nitish/unsupervised_video/>`_: 10,000 videos
    of 20 frames of two moving digits, from ``root/MovingMNIST/mnist_test_seq.npy``.

    ``data`` is a ``uint8`` tensor (N, T, 1, 64, 64); items are the video tensors
    (T, 1, 64, 64) with ``transform`` applied.

    Args:
        root: folder holding ``MovingMNIST``.
        split: None (all 20 frames), ``"train"`` (the first ``split_ratio`` frames) or
            ``"test"`` (the rest).
        split_ratio: the frame where the test part starts, 1 to 19.
        download: fetch the ``.npy`` file when it is missing.
        transform: applied to the video tensor.
    """

    _URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
    _MD5 = "be083ec986bfe91a449d63653c411eb2"

    def __init__(self, root: str | os.PathLike, split: str | None = None, split_ratio: int = 10,
                 download: bool = False, transform: Callable | None = None) -> None:
        super().__init__(root, transform=transform)
        self._base_folder = os.path.join(self.root, self.__class__.__name__)
        self._filename = self._URL.split("/")[-1]
        if split is not None:
            verify_str_arg(split, "split", ("train", "test"))
        self.split = split
        if not isinstance(split_ratio, int):
            raise TypeError(f"`split_ratio` should be an integer, but got {type(split_ratio)}")
        if not 1 <= split_ratio <= 19:
            raise ValueError(f"`split_ratio` should be `1 <= split_ratio <= 19`, but got "
                             f"{split_ratio} instead.")
        self.split_ratio = split_ratio
        if download:
            self.download()
        path = os.path.join(self._base_folder, self._filename)
        if not self._check_exists():
            raise not_found(path)
        try:
            frames = np.load(path)  # (T, N, 64, 64)
        except (ValueError, OSError, EOFError) as e:
            raise RuntimeError(f"{path}: not a readable .npy file ({e})") from e
        if frames.ndim != 4:
            raise RuntimeError(f"{path}: expected frames of shape (T, N, H, W), got "
                               f"{frames.shape}")
        if self.split == "train":
            frames = frames[:self.split_ratio]
        elif self.split == "test":
            frames = frames[self.split_ratio:]
        self.data = ember.from_numpy(np.ascontiguousarray(frames.transpose(1, 0, 2, 3)[:, :, None]))

    def __getitem__(self, idx: int) -> Any:
        data = self.data[idx]
        if self.transform is not None:
            data = self.transform(data)
        return data

    def __len__(self) -> int:
        return len(self.data)

    def _check_exists(self) -> bool:
        return os.path.exists(os.path.join(self._base_folder, self._filename))

    def download(self) -> None:
        """Fetch ``mnist_test_seq.npy`` into ``root/MovingMNIST`` unless it is there."""
        if self._check_exists():
            return
        download_url(url=self._URL, root=self._base_folder, filename=self._filename, md5=self._MD5)


class PCAM(VisionDataset):
    """`PatchCamelyon <https://github.com/basveeling/pcam>`_: 96x96 histopathology patches,
    label 1 where metastatic tissue is present. Needs ``h5py``.

    ``root/pcam/camelyonpatch_level_2_split_<split>_{x,y}.h5`` (datasets ``x`` and ``y``);
    each access opens the files, as torchvision does, so no handle stays open.

    Args:
        root: folder holding ``pcam``.
        split: ``"train"``, ``"test"`` or ``"val"``.
        transform: applied to the RGB PIL image.
        target_transform: applied to the int target.
        download: fetch the split's gzipped files from Google Drive.
    """

    _FILES = {
        "train": {
            "images": ("camelyonpatch_level_2_split_train_x.h5",
                       "1Ka0XfEMiwgCYPdTI-vv6eUElOBnKFKQ2", "1571f514728f59376b705fc836ff4b63"),
            "targets": ("camelyonpatch_level_2_split_train_y.h5",
                        "1269yhu3pZDP8UYFQs-NYs3FPwuK-nGSG", "35c2d7259d906cfc8143347bb8e05be7"),
        },
        "test": {
            "images": ("camelyonpatch_level_2_split_test_x.h5",
                       "1qV65ZqZvWzuIVthK8eVDhIwrbnsJdbg_", "d8c2d60d490dbd479f8199bdfa0cf6ec"),
            "targets": ("camelyonpatch_level_2_split_test_y.h5",
                        "17BHrSrwWKjYsOgTMmoqrIjDy6Fa2o_gP", "60a7035772fbdb7f34eb86d4420cf66a"),
        },
        "val": {
            "images": ("camelyonpatch_level_2_split_valid_x.h5",
                       "1hgshYGWK8V-eGRy8LToWJJgDU_rXWVJ3", "d5b63470df7cfa627aeec8b9dc0c066e"),
            "targets": ("camelyonpatch_level_2_split_valid_y.h5",
                        "1bH8ZRbhSVAhScTS0p9-ZzGnX91cHT3uO", "2b85f58b927af9964a4c15b8f7e8f179"),
        },
    }

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        try:
            import h5py
        except ImportError as e:
            raise RuntimeError("h5py is not found. This dataset needs to have h5py installed: "
                               "please run pip install h5py") from e
        self.h5py = h5py
        self._split = verify_str_arg(split, "split", ("train", "test", "val"))
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._base_folder = pathlib.Path(self.root) / "pcam"
        if download:
            self._download()
        missing = [self._path(k) for k in ("images", "targets") if not self._path(k).exists()]
        if missing:
            raise not_found(missing)

    def _path(self, kind: str) -> pathlib.Path:
        return self._base_folder / self._FILES[self._split][kind][0]

    def __len__(self) -> int:
        with self.h5py.File(self._path("images")) as images:
            return images["x"].shape[0]

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        with self.h5py.File(self._path("images")) as images:
            image = _pil(images["x"][idx]).convert("RGB")
        with self.h5py.File(self._path("targets")) as targets:
            target = int(targets["y"][idx, 0, 0, 0])  # stored as (N, 1, 1, 1)
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            target = self.target_transform(target)
        return image, target

    def _check_exists(self) -> bool:
        return all(self._path(k).exists() for k in ("images", "targets"))

    def _download(self) -> None:
        if self._check_exists():
            return
        for name, file_id, md5 in self._FILES[self._split].values():
            archive = name + ".gz"
            download_file_from_google_drive(file_id, str(self._base_folder), filename=archive,
                                            md5=md5)
            extract_archive(str(self._base_folder / archive))
