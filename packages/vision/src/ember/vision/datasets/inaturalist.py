"""iNaturalist 2017-2021: species classification from folders of images.

``root/<version>/`` holds one folder per category: for 2021, named
``<nnnnn>_<Kingdom>_<Phylum>_<Class>_<Order>_<Family>_<Genus>_<species>``; before 2021,
``<supercategory>/<category>`` (numeric category folders for 2018 and 2019).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .utils import DownloadError, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["INaturalist"]

CATEGORIES_2021 = ["kingdom", "phylum", "class", "order", "family", "genus"]

_S3 = "https://ml-inat-competition-datasets.s3.amazonaws.com/"
DATASET_URLS = {
    "2017": _S3 + "2017/train_val_images.tar.gz",
    "2018": _S3 + "2018/train_val2018.tar.gz",
    "2019": _S3 + "2019/train_val2019.tar.gz",
    "2021_train": _S3 + "2021/train.tar.gz",
    "2021_train_mini": _S3 + "2021/train_mini.tar.gz",
    "2021_valid": _S3 + "2021/val.tar.gz",
}
DATASET_MD5 = {
    "2017": "7c784ea5e424efaec655bd392f87301f",
    "2018": "b1c6952ce38f31868cc50ea72d066cc3",
    "2019": "c60a6e2962c9b8ccbd458d12c8582644",
    "2021_train": "e0526d53c7f7b2e3167b2b43bb2690ed",
    "2021_train_mini": "db6ed8330e634445efc8fec83ae81442",
    "2021_valid": "f6f6e0e242e3d4c9569ba56400938afc",
}


class INaturalist(VisionDataset):
    """`iNaturalist <https://github.com/visipedia/inat_comp>`_.

    Args:
        root: the folder holding ``<version>``.
        version: ``"2017"``, ``"2018"``, ``"2019"``, ``"2021_train"``,
            ``"2021_train_mini"`` or ``"2021_valid"``.
        target_type: ``"full"`` (the category index) or, for 2021, one of ``"kingdom"``,
            ``"phylum"``, ``"class"``, ``"order"``, ``"family"``, ``"genus"``; before
            2021, ``"super"``. A list gives a tuple of targets.
        transform / target_transform: applied to the image / the target.
        download: fetch and unpack the version's archive.
        loader: reads an image from its path (default: ``PIL.Image.open``).
    """

    def __init__(self, root: str | os.PathLike, version: str = "2021_train",
                 target_type: list[str] | str = "full", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] | None = None) -> None:
        self.version = verify_str_arg(version, "version", DATASET_URLS.keys())
        super().__init__(os.path.join(root, version), transform=transform,
                         target_transform=target_transform)
        os.makedirs(root, exist_ok=True)
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it (expected category folders in {self.root})")
        self.all_categories: list[str] = []
        self.categories_index: dict[str, dict[str, int]] = {}
        self.categories_map: list[dict[str, int]] = []
        types = target_type if isinstance(target_type, list) else [target_type]
        if self.version[:4] == "2021":
            self.target_type = [verify_str_arg(t, "target_type", ("full", *CATEGORIES_2021))
                                for t in types]
            self._init_2021()
        else:
            self.target_type = [verify_str_arg(t, "target_type", ("full", "super"))
                                for t in types]
            self._init_pre2021()
        # (category index, file name); files in os.listdir order, as torchvision
        self.index: list[tuple[int, str]] = [
            (i, fname) for i, name in enumerate(self.all_categories)
            for fname in os.listdir(os.path.join(self.root, name))]
        self.loader = loader

    def _init_2021(self) -> None:
        """Categories from the 2021 folder names, with an index per taxonomic rank."""
        self.all_categories = sorted(os.listdir(self.root))
        self.categories_index = {k: {} for k in CATEGORIES_2021}
        for dir_index, dir_name in enumerate(self.all_categories):
            pieces = dir_name.split("_")
            if len(pieces) != 8:
                raise RuntimeError(f"Unexpected category name {dir_name}, wrong number of pieces")
            if pieces[0] != f"{dir_index:05d}":
                raise RuntimeError(f"Unexpected category id {pieces[0]}, expecting "
                                   f"{dir_index:05d}")
            cat_map = {}
            for rank, name in zip(CATEGORIES_2021, pieces[1:7]):
                # a new name at a rank gets the next index of that rank
                cat_map[rank] = self.categories_index[rank].setdefault(
                    name, len(self.categories_index[rank]))
            self.categories_map.append(cat_map)

    def _init_pre2021(self) -> None:
        """Categories from ``<super>/<category>`` folders."""
        self.categories_index = {"super": {}}
        next_index = 0
        for sindex, scat in enumerate(sorted(os.listdir(self.root))):
            self.categories_index["super"][scat] = sindex
            for subcat in sorted(os.listdir(os.path.join(self.root, scat))):
                if self.version == "2017":
                    subcat_i, next_index = next_index, next_index + 1
                else:
                    try:
                        subcat_i = int(subcat)
                    except ValueError as e:
                        raise RuntimeError(f"Unexpected non-numeric dir name: {subcat}") from e
                if subcat_i >= len(self.categories_map):
                    grow = subcat_i - len(self.categories_map) + 1
                    self.categories_map.extend([{}] * grow)
                    self.all_categories.extend([""] * grow)
                if self.categories_map[subcat_i]:
                    raise RuntimeError(f"Duplicate category {subcat}")
                self.categories_map[subcat_i] = {"super": sindex}
                self.all_categories[subcat_i] = os.path.join(scat, subcat)
        for cindex, c in enumerate(self.categories_map):
            if not c:
                raise RuntimeError(f"Missing category {cindex}")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        cat_id, fname = self.index[index]
        image_path = os.path.join(self.root, self.all_categories[cat_id], fname)
        if self.loader is not None:
            img = self.loader(image_path)
        else:
            from PIL import Image

            img = Image.open(image_path)
        parts = [cat_id if t == "full" else self.categories_map[cat_id][t]
                 for t in self.target_type]
        target: Any = tuple(parts) if len(parts) > 1 else parts[0]
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.index)

    def category_name(self, category_type: str, category_id: int) -> str:
        """The name of category ``category_id`` at rank ``category_type`` (or ``"full"``)."""
        if category_type == "full":
            return self.all_categories[category_id]
        if category_type not in self.categories_index:
            raise ValueError(f"Invalid category type '{category_type}'")
        for name, id in self.categories_index[category_type].items():
            if id == category_id:
                return name
        raise ValueError(f"Invalid category id {category_id} for {category_type}")

    def _check_exists(self) -> bool:
        return os.path.exists(self.root) and len(os.listdir(self.root)) > 0

    def download(self) -> None:
        """Fetch the version's archive and rename its folder to ``root/<version>``."""
        if self._check_exists():
            return
        base_root = os.path.dirname(self.root)
        url = DATASET_URLS[self.version]
        try:
            download_and_extract_archive(url, base_root, filename=f"{self.version}.tgz",
                                         md5=DATASET_MD5[self.version])
        except DownloadError as e:
            raise DownloadError(f"INaturalist: {e}\nAlternatively unpack it and rename its "
                                f"folder to {self.root}.") from e
        # torchvision strips the characters of ".tar.gz" (not the suffix) from the name
        orig_dir_name = os.path.join(base_root, os.path.basename(url).rstrip(".tar.gz"))  # noqa: B005
        if not os.path.exists(orig_dir_name):
            raise RuntimeError(f"Unable to find downloaded files at {orig_dir_name}")
        os.rename(orig_dir_name, self.root)
