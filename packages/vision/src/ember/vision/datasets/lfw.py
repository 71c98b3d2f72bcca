"""Labeled Faces in the Wild: identities (``LFWPeople``) and same/different pairs
(``LFWPairs``), read from the official view files.

``root/lfw-py/`` holds the image archive of the chosen alignment (``lfw.tgz``,
``lfw-funneled.tgz`` or ``lfw-deepfunneled.tgz``) unpacked into ``lfw``,
``lfw_funneled`` or ``lfw-deepfunneled`` (``<name>/<name>_<nnnn>.jpg``), and the view
files ``people*.txt``/``pairs*.txt`` and ``lfw-names.txt``. The archive and the view
files are checked against their md5. LFW is no longer downloadable automatically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .folder import default_loader
from .utils import check_integrity, download_and_extract_archive, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["LFWPeople", "LFWPairs"]


class _LFW(VisionDataset):
    base_folder = "lfw-py"
    download_url_prefix = "http://vis-www.cs.umass.edu/lfw/"
    # image_set -> (images folder, archive, md5)
    file_dict = {
        "original": ("lfw", "lfw.tgz", "a17d05bd522c52d84eca14327a23d494"),
        "funneled": ("lfw_funneled", "lfw-funneled.tgz", "1b42dfed7d15c9b2dd63d5e5840c86ad"),
        "deepfunneled": ("lfw-deepfunneled", "lfw-deepfunneled.tgz",
                         "68331da3eb755a505a502b5aacb3c201"),
    }
    checksums = {
        "pairs.txt": "9f1ba174e4e1c508ff7cdf10ac338a7d",
        "pairsDevTest.txt": "5132f7440eb68cf58910c8a45a2ac10b",
        "pairsDevTrain.txt": "4f27cbf15b2da4a85c1907eb4181ad21",
        "people.txt": "450f0863dd89e85e73936a6d71a3474b",
        "peopleDevTest.txt": "e4bf5be0a43b5dcd9dc5ccfcb8fb19c5",
        "peopleDevTrain.txt": "54eaac34beb6d042ed3a7d883e247a21",
        "lfw-names.txt": "a6d0a479bd074669f656265a6e693f6d",
    }
    annot_file = {"10fold": "", "train": "DevTrain", "test": "DevTest"}
    names = "lfw-names.txt"

    def __init__(self, root: str | os.PathLike, split: str, image_set: str, view: str,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(os.path.join(root, self.base_folder), transform=transform,
                         target_transform=target_transform)
        self.image_set = verify_str_arg(image_set.lower(), "image_set", self.file_dict.keys())
        images_dir, self.filename, self.md5 = self.file_dict[self.image_set]
        self.view = verify_str_arg(view.lower(), "view", ["people", "pairs"])
        self.split = verify_str_arg(split.lower(), "split", ["10fold", "train", "test"])
        self.labels_file = f"{self.view}{self.annot_file[self.split]}.txt"
        self.data: list[Any] = []
        if download:
            raise ValueError("LFW dataset is no longer available for automatic download. "
                             "Please download the dataset manually and place it in the "
                             f"specified directory ({self.root}: {', '.join(self._needed())})."
                             " A commonly used mirror is available at: "
                             "https://www.kaggle.com/datasets/jessicali9530/lfw-dataset")
        if not self._check_integrity():  # the hook subclasses (and tests) override
            bad = self._corrupt_files()
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it. Missing or failing the md5 check: "
                               + ", ".join(bad))
        self.images_dir = os.path.join(self.root, images_dir)
        self._loader = loader

    def _needed(self) -> list[str]:
        """The files this view needs, with their md5."""
        files = [(self.filename, self.md5), (self.labels_file, self.checksums[self.labels_file])]
        if self.view == "people":
            files.append((self.names, self.checksums[self.names]))
        return [name for name, _ in files]

    def _corrupt_files(self) -> list[str]:
        md5s = dict(self.checksums, **{self.filename: self.md5})
        return [os.path.join(self.root, name) for name in self._needed()
                if not check_integrity(os.path.join(self.root, name), md5s[name])]

    def _check_integrity(self) -> bool:
        return not self._corrupt_files()

    def download(self) -> None:
        if self._check_integrity():
            return
        download_and_extract_archive(f"{self.download_url_prefix}{self.filename}", self.root,
                                     filename=self.filename, md5=self.md5)
        download_url(f"{self.download_url_prefix}{self.labels_file}", self.root)
        if self.view == "people":
            download_url(f"{self.download_url_prefix}{self.names}", self.root)

    def _get_path(self, identity: str, no: int | str) -> str:
        return os.path.join(self.images_dir, identity, f"{identity}_{int(no):04d}.jpg")

    def _read_labels(self) -> list[str]:
        with open(os.path.join(self.root, self.labels_file)) as fh:
            return fh.readlines()

    def extra_repr(self) -> str:
        return f"Alignment: {self.image_set}\nSplit: {self.split}"

    def __len__(self) -> int:
        return len(self.data)


class LFWPeople(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ identities: the target is the index of the
    person in ``lfw-names.txt``.

    Args:
        root: the folder holding ``lfw-py``.
        split: ``"10fold"`` (all ten folds of ``people.txt``), ``"train"`` or ``"test"``
            (``peopleDevTrain.txt``/``peopleDevTest.txt``).
        image_set: ``"original"``, ``"funneled"`` or ``"deepfunneled"``.
        transform / target_transform: applied to the image / the target.
        download: not available (raises ``ValueError`` naming the files to place).
        loader: reads an image from its path.
    """

    def __init__(self, root: str | os.PathLike, split: str = "10fold",
                 image_set: str = "funneled", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, split, image_set, "people", transform, target_transform,
                         download, loader=loader)
        self.class_to_idx = self._get_classes()
        self.data, self.targets = self._get_people()

    def _get_people(self) -> tuple[list[str], list[int]]:
        data, targets = [], []
        lines = self._read_labels()
        # 10fold: a fold count, then per fold a line count and "name<TAB>images" lines
        n_folds, s = (int(lines[0]), 1) if self.split == "10fold" else (1, 0)
        for _ in range(n_folds):
            n_lines = int(lines[s])
            people = [line.strip().split("\t") for line in lines[s + 1:s + n_lines + 1]]
            s += n_lines + 1
            for identity, num_imgs in people:
                for num in range(1, int(num_imgs) + 1):
                    data.append(self._get_path(identity, num))
                    targets.append(self.class_to_idx[identity])
        return data, targets

    def _get_classes(self) -> dict[str, int]:
        with open(os.path.join(self.root, self.names)) as fh:
            names = [line.strip().split()[0] for line in fh.readlines()]
        return {name: i for i, name in enumerate(names)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self._loader(self.data[index]), self.targets[index]
        return self._transformed(img, target)

    def extra_repr(self) -> str:
        return super().extra_repr() + f"\nClasses (identities): {len(self.class_to_idx)}"


class LFWPairs(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ pairs: items are ``(image1, image2,
    target)`` with target 1 for the same person, 0 otherwise.

    Args: as :class:`LFWPeople` (the view files are ``pairs*.txt``).
    """

    def __init__(self, root: str | os.PathLike, split: str = "10fold",
                 image_set: str = "funneled", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, split, image_set, "pairs", transform, target_transform,
                         download, loader=loader)
        self.pair_names, self.data, self.targets = self._get_pairs(self.images_dir)

    def _get_pairs(self, images_dir: str) -> tuple[list[tuple[str, str]],
                                                    list[tuple[str, str]], list[int]]:
        pair_names, data, targets = [], [], []
        lines = self._read_labels()
        # 10fold: "folds<TAB>pairs"; each fold has that many matched then unmatched lines
        if self.split == "10fold":
            n_folds, n_pairs = (int(v) for v in lines[0].split("\t"))
        else:
            n_folds, n_pairs = 1, int(lines[0])
        s = 1
        for _ in range(n_folds):
            matched = [line.strip().split("\t") for line in lines[s:s + n_pairs]]
            unmatched = [line.strip().split("\t") for line in lines[s + n_pairs:s + 2 * n_pairs]]
            s += 2 * n_pairs
            for name, a, b in matched:
                pair_names.append((name, name))
                data.append((self._get_path(name, a), self._get_path(name, b)))
                targets.append(1)
            for name1, a, name2, b in unmatched:
                pair_names.append((name1, name2))
                data.append((self._get_path(name1, a), self._get_path(name2, b)))
                targets.append(0)
        return pair_names, data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any, int]:
        path1, path2 = self.data[index]
        img1, img2 = self._loader(path1), self._loader(path2)
        target = self.targets[index]
        if self.transform is not None:
            img1, img2 = self.transform(img1), self.transform(img2)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img1, img2, target
