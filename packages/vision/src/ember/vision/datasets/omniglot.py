"""Omniglot: 1623 handwritten characters from 50 alphabets, 20 drawings each.

``root/omniglot-py/images_background/<alphabet>/<character>/<drawing>.png`` (and
``images_evaluation``), unpacked from ``images_background.zip``/``images_evaluation.zip``
(kept beside them and checked against their md5). Each character is a class; classes
are numbered in folder listing order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from os.path import join
from typing import Any

from .utils import check_integrity, download_and_extract_archive, list_dir, list_files
from .vision import VisionDataset

__all__ = ["Omniglot"]


class Omniglot(VisionDataset):
    """`Omniglot <https://github.com/brendenlake/omniglot>`_.

    Args:
        root: the folder holding ``omniglot-py``.
        background: the background set (964 characters) if True, else the evaluation set.
        transform / target_transform: applied to the image (mode "L") / the class index.
        download: fetch and unpack the set's zip.
        loader: reads an image from its path (default: Pillow, converted to "L").
    """

    folder = "omniglot-py"
    download_url_prefix = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python"
    zips_md5 = {
        "images_background": "68d2efa1b9178cc56df9314c21c6e718",
        "images_evaluation": "6b91aef0f799c5bb55b94e3f2daec811",
    }

    def __init__(self, root: str | os.PathLike, background: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] | None = None) -> None:
        super().__init__(join(root, self.folder), transform=transform,
                         target_transform=target_transform)
        self.background = background
        if download:
            self.download()
        if not self._check_integrity():
            zip_path = join(self.root, self._get_target_folder() + ".zip")
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it ({zip_path} is missing or fails its md5 check)")
        self.target_folder = join(self.root, self._get_target_folder())
        self._alphabets = list_dir(self.target_folder)
        self._characters: list[str] = [join(a, c) for a in self._alphabets
                                       for c in list_dir(join(self.target_folder, a))]
        self._character_images = [
            [(image, idx) for image in list_files(join(self.target_folder, character), ".png")]
            for idx, character in enumerate(self._characters)]
        self._flat_character_images: list[tuple[str, int]] = [
            item for images in self._character_images for item in images]
        self.loader = loader

    def __len__(self) -> int:
        return len(self._flat_character_images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image_name, character_class = self._flat_character_images[index]
        image_path = join(self.target_folder, self._characters[character_class], image_name)
        if self.loader is None:
            from PIL import Image

            image = Image.open(image_path, mode="r").convert("L")
        else:
            image = self.loader(image_path)
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            character_class = self.target_transform(character_class)
        return image, character_class

    def _check_integrity(self) -> bool:
        name = self._get_target_folder()
        return check_integrity(join(self.root, name + ".zip"), self.zips_md5[name])

    def download(self) -> None:
        """Download and unpack the set's zip into ``root/omniglot-py``."""
        if self._check_integrity():
            return
        name = self._get_target_folder()
        download_and_extract_archive(f"{self.download_url_prefix}/{name}.zip", self.root,
                                     filename=name + ".zip", md5=self.zips_md5[name])

    def _get_target_folder(self) -> str:
        return "images_background" if self.background else "images_evaluation"
