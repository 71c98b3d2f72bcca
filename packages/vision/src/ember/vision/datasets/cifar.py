"""CIFAR10 and CIFAR100, read from the official python pickle batches.

``root/cifar-10-batches-py/data_batch_1..5``, ``test_batch`` and ``batches.meta``;
``root/cifar-100-python/train``, ``test`` and ``meta``. Every file is checked against
its md5 (as torchvision does), unpickled with an unpickler that admits only NumPy
arrays and plain containers, and checked for shape: a batch of the wrong size raises
an error naming the file. ``data`` is a ``uint8`` array (N, 32, 32, 3), ``targets``
a list of ints.
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .utils import DownloadError, check_integrity, corrupt_files, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]

_IMAGE_BYTES = 3 * 32 * 32
# what a CIFAR pickle may reference: NumPy's array reconstruction and plain builtins
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    ("builtins", "bytearray"), ("builtins", "set"), ("builtins", "frozenset"),
    ("copyreg", "_reconstructor"), ("builtins", "object"),
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}")
        with warnings.catch_warnings():  # numpy.core is a deprecated alias in NumPy 2
            warnings.simplefilter("ignore", DeprecationWarning)
            return super().find_class(module, name)


def _load_pickle(path: str) -> Any:
    """Unpickle a CIFAR file; bytes keys (files re-pickled from ``encoding="bytes"``
    loads) become ``str`` like the official files' keys."""
    try:
        with open(path, "rb") as f:
            obj = _BatchUnpickler(f, encoding="latin1").load()
        if isinstance(obj, dict):
            obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
        return obj
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as e:
        raise RuntimeError(f"{path}: not a readable CIFAR pickle (corrupt or truncated: "
                           f"{type(e).__name__}: {e})") from e


def _read_batch(path: str) -> tuple[np.ndarray, list[int]]:
    entry = _load_pickle(path)
    if not isinstance(entry, dict) or "data" not in entry:
        raise RuntimeError(f"{path}: expected a dict with 'data' and 'labels' or "
                           f"'fine_labels', got {type(entry).__name__}")
    labels = entry.get("labels", entry.get("fine_labels"))
    if labels is None:
        raise RuntimeError(f"{path}: the batch has no 'labels' or 'fine_labels'")
    data = np.asarray(entry["data"])
    if data.dtype != np.uint8 or data.size % _IMAGE_BYTES or (
            data.ndim == 2 and data.shape[1] != _IMAGE_BYTES):
        raise RuntimeError(f"{path}: wrong size: 'data' should be uint8 rows of {_IMAGE_BYTES} values "
                           f"(3x32x32), got {data.dtype} of shape {data.shape}")
    n = data.size // _IMAGE_BYTES
    if len(labels) != n:
        raise RuntimeError(f"{path}: {n} images but {len(labels)} labels")
    return data.reshape(n, _IMAGE_BYTES), [int(t) for t in labels]


class CIFAR10(VisionDataset):
    """`CIFAR10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 60,000 32x32 colour images.

    Args:
        root: folder holding ``cifar-10-batches-py`` (downloaded there with ``download``).
        train: the five training batches if True, else the test batch.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive when the batches are missing or corrupt.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():  # the hook subclasses (and tests) override
            bad = self._corrupt_files()
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it. Missing or failing the md5 check: "
                               + ", ".join(bad))
        chunks, self.targets = [], []
        for file_name, _ in self.train_list if self.train else self.test_list:
            data, labels = _read_batch(os.path.join(self.root, self.base_folder, file_name))
            chunks.append(data)
            self.targets.extend(labels)
        self.data: Any = np.vstack(chunks).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError(f"Dataset metadata file {path} not found or corrupted. You can "
                               "use download=True to download it")
        meta = _load_pickle(path)
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise RuntimeError(f"{path}: expected a dict with the key '{self.meta['key']}'")
        self.classes = list(meta[self.meta["key"]])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img, target = Image.fromarray(self.data[index]), self.targets[index]
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def _corrupt_files(self) -> list[str]:
        return corrupt_files(os.path.join(self.root, self.base_folder),
                             self.train_list + self.test_list)

    def _check_integrity(self) -> bool:
        return not self._corrupt_files()

    def download(self) -> None:
        """Download and unpack the archive into ``root`` unless the batches are intact."""
        if self._check_integrity():
            return
        try:
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.tgz_md5)
        except DownloadError as e:
            folder = os.path.join(self.root, self.base_folder)
            raise DownloadError(f"{self.__class__.__name__}: {e}\nAlternatively unpack it so "
                                f"that {folder} holds the batch files.") from e

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """`CIFAR100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 100 classes; targets are
    the fine labels."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
