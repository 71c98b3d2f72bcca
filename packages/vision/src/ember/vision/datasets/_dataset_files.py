"""Shared by the datasets that read image files listed on disk: the "Dataset not found"
error that names what is missing, archive downloads whose failure says where to unpack
the data by hand, the optional readers (SciPy for ``.mat``, h5py), and the base class
whose items are ``(loader(path), label)``."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from typing import Any

from .utils import DownloadError, download_and_extract_archive
from .vision import VisionDataset

_PathLike = str | os.PathLike


def not_found(missing: _PathLike | Iterable[_PathLike], head: str = "Dataset not found.",
              hint: str = " You can use download=True to download it") -> RuntimeError:
    """torchvision's ``RuntimeError`` message, followed by the paths that are missing."""
    paths = [missing] if isinstance(missing, (str, os.PathLike)) else list(missing)
    listed = ", ".join(os.fspath(p) for p in paths)
    return RuntimeError(f"{(head + hint).rstrip('.')}. Expected: {listed}")


def fetch_archive(dataset: str, url: str, download_root: _PathLike, md5: str | None = None,
                  filename: str | None = None, extract_root: _PathLike | None = None,
                  expect: _PathLike | None = None) -> None:
    """:func:`download_and_extract_archive`; when the file cannot be fetched the error
    also says which folder the unpacked archive should create."""
    try:
        download_and_extract_archive(url, download_root, extract_root=extract_root,
                                     filename=filename, md5=md5)
    except DownloadError as e:
        where = f"\nAlternatively unpack it yourself so that {os.fspath(expect)} exists." \
            if expect is not None else ""
        raise DownloadError(f"{dataset}: {e}{where}") from e


def require(module: str, dataset: str, pip: str, error: type[Exception] = ImportError) -> Any:
    """Import an optional dependency, or raise ``error`` saying which dataset needs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise error(f"{pip} is not found. {dataset} needs it to read its files: "
                    f"pip install {pip}") from e


def loadmat(path: _PathLike, dataset: str, error: type[Exception] = ImportError,
            **kwargs: Any) -> dict:
    """``scipy.io.loadmat``; a missing SciPy raises ``error`` and a damaged file a
    ``RuntimeError``, both naming what is wrong."""
    sio = require("scipy.io", dataset, "scipy", error)
    try:
        return sio.loadmat(os.fspath(path), **kwargs)
    except FileNotFoundError:
        raise
    except Exception as e:  # scipy raises ValueError/TypeError/... on damaged files
        raise RuntimeError(f"{os.fspath(path)}: not a readable .mat file "
                           f"({type(e).__name__}: {e})") from e


def read_lines(path: _PathLike) -> list[str]:
    """The lines of a text file, without their line ends."""
    with open(path) as f:
        return f.read().splitlines()


class LabeledImageFiles(VisionDataset):
    """Items are ``(loader(path), label)`` from ``_image_files`` and ``_labels``
    (subclasses keeping ``_samples`` pairs override :meth:`_sample`)."""

    loader: Callable[[Any], Any]
    _image_files: list
    _labels: list

    def _sample(self, idx: int) -> tuple[Any, Any]:
        return self._image_files[idx], self._labels[idx]

    def __len__(self) -> int:
        return len(self._image_files)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        path, label = self._sample(idx)
        image = self.loader(path)
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


class LabeledSamples(LabeledImageFiles):
    """:class:`LabeledImageFiles` over ``_samples``, a list of ``(path, label)`` pairs."""

    _samples: list

    def _sample(self, idx: int) -> tuple[Any, Any]:
        return self._samples[idx]

    def __len__(self) -> int:
        return len(self._samples)
