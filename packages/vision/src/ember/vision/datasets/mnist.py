"""MNIST and its relatives, read from the IDX files in ``<root>/<ClassName>/raw/``.

The file names are the official ones (``train-images-idx3-ubyte`` ...), gzipped or
not. ``data`` is a ``uint8`` tensor (N, 28, 28), ``targets`` an ``int64`` tensor;
items are ``(PIL image in mode 'L', int)``. A truncated file, a bad magic number or
mismatched image and label counts raise an error that names the file.
"""

from __future__ import annotations

import os
import shutil
import string
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from .utils import (
    DownloadError,
    _download_resources,
    download_and_extract_archive,
    extract_archive,
    verify_str_arg,
)
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "read_sn3_pascalvincent_tensor",
           "read_image_file", "read_label_file"]

# IDX type codes (third magic byte) -> big-endian element type
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_OPENERS = {".gz": "gzip", ".xz": "lzma", ".bz2": "bz2"}


def _resolve(path: str) -> str:
    """``path`` itself, else the first of ``path.gz``/``.xz``/``.bz2`` that exists."""
    if os.path.isfile(path):
        return path
    for suffix in _OPENERS:
        if os.path.isfile(path + suffix):
            return path + suffix
    return path


def _exists(path: str) -> bool:
    return os.path.isfile(_resolve(path))


def _read_bytes(path: str) -> bytes:
    path = _resolve(path)
    suffix = os.path.splitext(path)[1]
    try:
        if suffix in _OPENERS:
            import importlib

            with importlib.import_module(_OPENERS[suffix]).open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError) as e:  # gzip/lzma raise these on corrupt data
        raise RuntimeError(f"{path}: corrupt or truncated compressed file "
                           f"({type(e).__name__}: {e})") from e


def _read_idx(path: str) -> np.ndarray:
    """An IDX ("SN3 Pascal Vincent") file as a native-endian NumPy array."""
    data = _read_bytes(path)
    where = _resolve(path)
    if len(data) < 4:
        raise RuntimeError(f"{where}: {len(data)} bytes is too short for an IDX file")
    magic = int.from_bytes(data[:4], "big")
    nd, code = data[3], data[2]
    if data[0] != 0 or data[1] != 0 or code not in _IDX_TYPES or not 1 <= nd <= 4:
        raise RuntimeError(f"{where}: bad magic number {magic} (0x{magic:08x}); not an IDX "
                           "file (MNIST images start with 2051, labels with 2049)")
    header = 4 * (nd + 1)
    if len(data) < header:
        raise RuntimeError(f"{where}: truncated IDX header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd))
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise RuntimeError(f"{where}: {problem}: shape {shape} needs {expected} bytes of data, "
                           f"found {found}")
    # a writable native-endian copy (frombuffer over bytes is read-only)
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def read_sn3_pascalvincent_tensor(path: str, strict: bool = True) -> ember.Tensor:
    """Read an IDX file (gzipped, xz or plain) into a tensor of its stored type."""
    return ember.from_numpy(_read_idx(path))


def read_label_file(path: str) -> ember.Tensor:
    """A 1-D ``uint8`` IDX label file as an ``int64`` tensor."""
    arr = _read_idx(path)
    if arr.dtype != np.uint8:
        raise TypeError(f"{_resolve(path)}: labels should be of dtype uint8 instead of {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{_resolve(path)}: labels should have 1 dimension instead of {arr.ndim}")
    return ember.from_numpy(arr.astype(np.int64))


def read_image_file(path: str) -> ember.Tensor:
    """A 3-D ``uint8`` IDX image file as a ``uint8`` tensor (N, H, W)."""
    arr = _read_idx(path)
    if arr.dtype != np.uint8:
        raise TypeError(f"{_resolve(path)}: images should be of dtype uint8 instead of {arr.dtype}")
    if arr.ndim != 3:
        raise ValueError(f"{_resolve(path)}: images should have 3 dimensions instead of {arr.ndim}")
    return ember.from_numpy(arr)


def _to_pil_gray(img: Any) -> Any:
    from PIL import Image

    arr = img.cpu().numpy() if isinstance(img, ember.Tensor) else np.asarray(img)
    return Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8), mode="L")


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 28x28 handwritten digits.

    Args:
        root: folder holding ``MNIST/raw/train-images-idx3-ubyte`` (or ``.gz``) etc.
        train: the 60,000 training images if True, else the 10,000 test images.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch the files into ``root/MNIST/raw`` when they are missing.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    @property
    def train_labels(self) -> ember.Tensor:
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self) -> ember.Tensor:
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self) -> ember.Tensor:
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self) -> ember.Tensor:
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            # PyTorch's exact text: programs print it (the folder is self.raw_folder)
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    def _check_legacy_exist(self) -> bool:
        return all(os.path.isfile(os.path.join(self.processed_folder, f))
                   for f in (self.training_file, self.test_file))

    def _load_legacy_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        # the processed .pt files written by old torchvision versions: (data, targets)
        path = os.path.join(self.processed_folder, self.training_file if self.train
                            else self.test_file)
        try:
            data, targets = ember.load(path, weights_only=True)
        except Exception as e:
            raise RuntimeError(f"{path}: could not read the processed (data, targets) "
                               f"file: {e}") from e
        return data, targets

    def _split_files(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return (os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"),
                os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        images_file, labels_file = self._split_files()
        data, targets = read_image_file(images_file), read_label_file(labels_file)
        if len(data) != len(targets):
            raise RuntimeError(f"{_resolve(images_file)} holds {len(data)} images but "
                               f"{_resolve(labels_file)} holds {len(targets)} labels; one "
                               "of them is incomplete")
        return data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = _to_pil_gray(self.data[index]), int(self.targets[index])
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _check_exists(self) -> bool:
        return all(_exists(os.path.join(self.raw_folder, os.path.splitext(name)[0]))
                   for name, _ in self.resources)

    def download(self) -> None:
        """Download the files into ``raw_folder`` unless they are there already."""
        if self._check_exists():
            return
        files = [(name, md5, [m + name for m in self.mirrors]) for name, md5 in self.resources]
        _download_resources(self.__class__.__name__, self.raw_folder, files,
                            note="(.gz files are read as they are; no need to unpack them)")

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 clothes."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 28x28 cursive Japanese."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_ letters and
    digits; ``split`` is one of byclass, bymerge, balanced, letters, digits, mnist.

    The files are ``EMNIST/raw/emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte``
    (or ``.gz``); images are returned as stored (transposed, as torchvision does).
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | os.PathLike, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        self.training_file = self._training_file(split)
        self.test_file = self._test_file(split)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @staticmethod
    def _training_file(split: str) -> str:
        return f"training_{split}.pt"

    @staticmethod
    def _test_file(split: str) -> str:
        return f"test_{split}.pt"

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _split_files(self) -> tuple[str, str]:
        return self.images_file, self.labels_file

    def _check_exists(self) -> bool:
        return all(_exists(f) for f in (self.images_file, self.labels_file))

    def download(self) -> None:
        """Download ``gzip.zip`` and unpack every split's files into ``raw_folder``."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        try:
            download_and_extract_archive(self.url, download_root=self.raw_folder, md5=self.md5)
        except DownloadError as e:
            raise DownloadError(
                f"EMNIST: {e}\nAlternatively place the unpacked files "
                f"{os.path.basename(self.images_file)}.gz and "
                f"{os.path.basename(self.labels_file)}.gz in {self.raw_folder}") from e
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in os.listdir(gzip_folder):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_: MNIST with the full NIST test
    set and extended labels.

    ``what`` is train, test, test10k, test50k or nist (default from ``train``); with
    ``compat=True`` the target is the class, otherwise the 8-value label row.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    _base = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources: dict[str, list[tuple[str, str]]] = {  # type: ignore[assignment]
        "train": [(_base + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  (_base + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_base + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 (_base + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_base + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_base + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }
    classes = MNIST.classes

    def __init__(self, root: str | os.PathLike, what: str | None = None, compat: bool = True,
                 train: bool = True, **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.data_file
        self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    def _file(self, i: int) -> str:
        url, _ = self.resources[self.subsets[self.what]][i]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        return self._file(0)

    @property
    def labels_file(self) -> str:
        return self._file(1)

    def _check_exists(self) -> bool:
        return all(_exists(f) for f in (self.images_file, self.labels_file))

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        data = _read_idx(self.images_file)
        if data.dtype != np.uint8:
            raise TypeError(f"{_resolve(self.images_file)}: data should be of dtype uint8 "
                            f"instead of {data.dtype}")
        if data.ndim != 3:
            raise ValueError(f"{_resolve(self.images_file)}: data should have 3 dimensions "
                             f"instead of {data.ndim}")
        targets = _read_idx(self.labels_file).astype(np.int64)
        if targets.ndim != 2:
            raise ValueError(f"{_resolve(self.labels_file)}: targets should have 2 dimensions "
                             f"instead of {targets.ndim}")
        if len(data) != len(targets):
            raise RuntimeError(f"{_resolve(self.images_file)} holds {len(data)} images but "
                               f"{_resolve(self.labels_file)} holds {len(targets)} labels")
        if self.what == "test10k":
            data, targets = data[:10000], targets[:10000]
        elif self.what == "test50k":
            data, targets = data[10000:], targets[10000:]
        return ember.from_numpy(data.copy()), ember.from_numpy(targets.copy())

    def download(self) -> None:
        """Download only the subset that ``what`` asks for."""
        if self._check_exists():
            return
        files = [(os.path.basename(url), md5, [url])
                 for url, md5 in self.resources[self.subsets[self.what]]]
        _download_resources("QMNIST", self.raw_folder, files)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = _to_pil_gray(self.data[index]), self.targets[index]
        if self.compat:
            target = int(target[0])
        return self._transformed(img, target)

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
