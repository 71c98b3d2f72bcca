"""PhotoTour: the multi-view stereo correspondence patches (Liberty, Notre Dame, Yosemite).

``root/<name>/`` holds ``patchNNNN.bmp`` sheets of 16x16 grayscale 64x64 patches
(read in file-name order, row by row), ``info.txt`` (the 3D point id of each patch,
first column) and ``m50_100000_100000_0.txt`` (pairs: patch ids in columns 1 and 4,
point ids in 2 and 5). The first load caches ``(data, labels, matches)`` to
``root/<name>.pt`` in PyTorch's checkpoint format, which torchvision reads too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from .utils import download_url
from .vision import VisionDataset

__all__ = ["PhotoTour", "read_image_file", "read_info_file", "read_matches_files"]

_PATCH = 64


class PhotoTour(VisionDataset):
    """`Multi-view Stereo Correspondence <http://matthewalunbrown.com/patchdata/patchdata.html>`_.

    With ``train=True`` items are the 64x64 ``uint8`` patch tensors; otherwise they are
    ``(patch1, patch2, is_match)`` for the 100,000 listed pairs.

    Args:
        root: folder holding ``<name>`` (or ``<name>.pt``).
        name: ``"notredame"``, ``"yosemite"``, ``"liberty"`` or their ``_harris`` versions.
        train: patches if True, else pairs.
        transform: applied to each patch tensor.
        download: fetch and unpack ``<name>.zip`` unless the cache or the folder is there.
    """

    urls = {
        "notredame_harris": ["http://matthewalunbrown.com/patchdata/notredame_harris.zip",
                             "notredame_harris.zip", "69f8c90f78e171349abdf0307afefe4d"],
        "yosemite_harris": ["http://matthewalunbrown.com/patchdata/yosemite_harris.zip",
                            "yosemite_harris.zip", "a73253d1c6fbd3ba2613c45065c00d46"],
        "liberty_harris": ["http://matthewalunbrown.com/patchdata/liberty_harris.zip",
                           "liberty_harris.zip", "c731fcfb3abb4091110d0ae8c7ba182c"],
        "notredame": ["http://icvl.ee.ic.ac.uk/vbalnt/notredame.zip", "notredame.zip",
                      "509eda8535847b8c0a90bbb210c83484"],
        "yosemite": ["http://icvl.ee.ic.ac.uk/vbalnt/yosemite.zip", "yosemite.zip",
                     "533b2e8eb7ede31be40abc317b2fd4f0"],
        "liberty": ["http://icvl.ee.ic.ac.uk/vbalnt/liberty.zip", "liberty.zip",
                    "fdd9152f138ea5ef2091746689176414"],
    }
    means = {"notredame": 0.4854, "yosemite": 0.4844, "liberty": 0.4437,
             "notredame_harris": 0.4854, "yosemite_harris": 0.4844, "liberty_harris": 0.4437}
    stds = {"notredame": 0.1864, "yosemite": 0.1818, "liberty": 0.2019,
            "notredame_harris": 0.1864, "yosemite_harris": 0.1818, "liberty_harris": 0.2019}
    lens = {"notredame": 468159, "yosemite": 633587, "liberty": 450092,
            "liberty_harris": 379587, "yosemite_harris": 450912, "notredame_harris": 325295}
    image_ext = "bmp"
    info_file = "info.txt"
    matches_files = "m50_100000_100000_0.txt"

    def __init__(self, root: str | os.PathLike, name: str, train: bool = True,
                 transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform)
        if name not in self.urls:
            raise KeyError(f"{name!r}: PhotoTour knows the sets {sorted(self.urls)}")
        self.name = name
        self.data_dir = os.path.join(self.root, name)
        self.data_down = os.path.join(self.root, f"{name}.zip")
        self.data_file = os.path.join(self.root, f"{name}.pt")
        self.train = train
        self.mean = self.means[name]
        self.std = self.stds[name]
        if download:
            self.download()
        if not self._check_datafile_exists():
            if not self._check_downloaded():
                raise FileNotFoundError(
                    f"Dataset not found. You can use download=True to download it. Expected "
                    f"the folder {self.data_dir} (or the cache {self.data_file})")
            self.cache()
        self.data, self.labels, self.matches = ember.load(self.data_file, weights_only=True)

    def __getitem__(self, index: int) -> Any:
        if self.train:
            data = self.data[index]
            if self.transform is not None:
                data = self.transform(data)
            return data
        m = self.matches[index]
        data1, data2 = self.data[m[0]], self.data[m[1]]
        if self.transform is not None:
            data1 = self.transform(data1)
            data2 = self.transform(data2)
        return data1, data2, m[2]

    def __len__(self) -> int:
        return len(self.data if self.train else self.matches)

    def _check_datafile_exists(self) -> bool:
        return os.path.exists(self.data_file)

    def _check_downloaded(self) -> bool:
        return os.path.exists(self.data_dir)

    def download(self) -> None:
        """Fetch ``<name>.zip`` and unpack it into ``root/<name>`` unless already there."""
        if self._check_datafile_exists() or self._check_downloaded():
            return
        import zipfile

        url, filename, md5 = self.urls[self.name]
        download_url(url, self.root, filename, md5)
        path = os.path.join(self.root, filename)
        try:
            with zipfile.ZipFile(path) as archive:
                archive.extractall(self.data_dir)
        except zipfile.BadZipFile as e:
            raise RuntimeError(f"Could not extract {path}: the archive is corrupt ({e})") from e
        os.unlink(path)

    def cache(self) -> None:
        """Read the patches, the point ids and the matches, and save them to ``<name>.pt``."""
        dataset = (read_image_file(self.data_dir, self.image_ext, self.lens[self.name]),
                   read_info_file(self.data_dir, self.info_file),
                   read_matches_files(self.data_dir, self.matches_files))
        ember.save(dataset, self.data_file)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


def read_image_file(data_dir: str, image_ext: str, n: int) -> ember.Tensor:
    """The first ``n`` 64x64 patches of the sheets in ``data_dir``, as a ``uint8`` tensor.

    Sheets are read in sorted file-name order and each is cut row by row; a sheet whose
    sides are not multiples of 64 is padded with zeros, as a crop past its edge would be.
    """
    from PIL import Image

    names = sorted(f for f in os.listdir(data_dir) if f.endswith(image_ext))
    sheets = []
    for name in names:
        with Image.open(os.path.join(data_dir, name)) as img:
            pixels = np.asarray(img if img.mode == "L" else img.convert("L"))
        h, w = (-(-s // _PATCH) * _PATCH for s in pixels.shape)
        if (h, w) != pixels.shape:
            pixels = np.pad(pixels, ((0, h - pixels.shape[0]), (0, w - pixels.shape[1])))
        # (rows, 64, cols, 64) -> (rows, cols, 64, 64): patches in reading order
        sheets.append(pixels.reshape(h // _PATCH, _PATCH, w // _PATCH, _PATCH)
                      .transpose(0, 2, 1, 3).reshape(-1, _PATCH, _PATCH))
    patches = np.concatenate(sheets) if sheets else np.zeros((0, _PATCH, _PATCH), np.uint8)
    return ember.from_numpy(np.ascontiguousarray(patches[:n]))


def read_info_file(data_dir: str, info_file: str) -> ember.Tensor:
    """The 3D point id (first column) of every patch, as an ``int64`` tensor."""
    with open(os.path.join(data_dir, info_file)) as f:
        labels = [int(line.split()[0]) for line in f]
    return ember.tensor(labels, dtype=ember.int64)


def read_matches_files(data_dir: str, matches_file: str) -> ember.Tensor:
    """``(patch1, patch2, same point)`` rows of the matches file, as an ``int64`` tensor."""
    rows = []
    with open(os.path.join(data_dir, matches_file)) as f:
        for line in f:
            cols = line.split()
            rows.append([int(cols[0]), int(cols[3]), int(cols[1] == cols[4])])
    return ember.tensor(rows, dtype=ember.int64)
