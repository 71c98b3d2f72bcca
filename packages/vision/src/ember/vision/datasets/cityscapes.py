"""Cityscapes: street scenes with fine or coarse semantic, instance, colour and polygon
annotations.

``root/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png`` and
``root/gtFine|gtCoarse/<split>/<city>/<name>_<mode>_{labelIds,instanceIds,color}.png``
(and ``_polygons.json``). The archives (``leftImg8bit_trainvaltest.zip``,
``gtFine_trainvaltest.zip``, ...) need a login to download; when they are in ``root``
they are unpacked on first use.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from .utils import extract_archive, iterable_to_str, verify_str_arg
from .vision import VisionDataset

__all__ = ["Cityscapes"]

_CityscapesClass = namedtuple("CityscapesClass", ["name", "id", "train_id", "category",
                                                  "category_id", "has_instances",
                                                  "ignore_in_eval", "color"])

# (name, train_id, category, category_id, has_instances, ignore_in_eval, color); the ids
# are 0.. in order, except the licence plate's -1 (cityscapesScripts' labels.py)
_LABELS = [
    ("unlabeled", 255, "void", 0, False, True, (0, 0, 0)),
    ("ego vehicle", 255, "void", 0, False, True, (0, 0, 0)),
    ("rectification border", 255, "void", 0, False, True, (0, 0, 0)),
    ("out of roi", 255, "void", 0, False, True, (0, 0, 0)),
    ("static", 255, "void", 0, False, True, (0, 0, 0)),
    ("dynamic", 255, "void", 0, False, True, (111, 74, 0)),
    ("ground", 255, "void", 0, False, True, (81, 0, 81)),
    ("road", 0, "flat", 1, False, False, (128, 64, 128)),
    ("sidewalk", 1, "flat", 1, False, False, (244, 35, 232)),
    ("parking", 255, "flat", 1, False, True, (250, 170, 160)),
    ("rail track", 255, "flat", 1, False, True, (230, 150, 140)),
    ("building", 2, "construction", 2, False, False, (70, 70, 70)),
    ("wall", 3, "construction", 2, False, False, (102, 102, 156)),
    ("fence", 4, "construction", 2, False, False, (190, 153, 153)),
    ("guard rail", 255, "construction", 2, False, True, (180, 165, 180)),
    ("bridge", 255, "construction", 2, False, True, (150, 100, 100)),
    ("tunnel", 255, "construction", 2, False, True, (150, 120, 90)),
    ("pole", 5, "object", 3, False, False, (153, 153, 153)),
    ("polegroup", 255, "object", 3, False, True, (153, 153, 153)),
    ("traffic light", 6, "object", 3, False, False, (250, 170, 30)),
    ("traffic sign", 7, "object", 3, False, False, (220, 220, 0)),
    ("vegetation", 8, "nature", 4, False, False, (107, 142, 35)),
    ("terrain", 9, "nature", 4, False, False, (152, 251, 152)),
    ("sky", 10, "sky", 5, False, False, (70, 130, 180)),
    ("person", 11, "human", 6, True, False, (220, 20, 60)),
    ("rider", 12, "human", 6, True, False, (255, 0, 0)),
    ("car", 13, "vehicle", 7, True, False, (0, 0, 142)),
    ("truck", 14, "vehicle", 7, True, False, (0, 0, 70)),
    ("bus", 15, "vehicle", 7, True, False, (0, 60, 100)),
    ("caravan", 255, "vehicle", 7, True, True, (0, 0, 90)),
    ("trailer", 255, "vehicle", 7, True, True, (0, 0, 110)),
    ("train", 16, "vehicle", 7, True, False, (0, 80, 100)),
    ("motorcycle", 17, "vehicle", 7, True, False, (0, 0, 230)),
    ("bicycle", 18, "vehicle", 7, True, False, (119, 11, 32)),
]
_TARGET_SUFFIX = {"instance": "instanceIds.png", "semantic": "labelIds.png",
                  "color": "color.png", "polygon": "polygons.json"}


class Cityscapes(VisionDataset):
    """`Cityscapes <https://www.cityscapes-dataset.com/>`_.

    Args:
        root: folder holding ``leftImg8bit`` and ``gtFine``/``gtCoarse`` (or their zips).
        split: ``"train"``, ``"val"``, ``"test"`` (fine) or ``"train"``,
            ``"train_extra"``, ``"val"`` (coarse).
        mode: ``"fine"`` or ``"coarse"``.
        target_type: ``"semantic"``, ``"instance"``, ``"color"`` or ``"polygon"``, or a
            list of them (the target is then a tuple in that order). Masks are PIL images,
            polygons the parsed JSON.
        transform / target_transform / transforms: applied to the image, the target, or
            both.
    """

    CityscapesClass = _CityscapesClass
    classes = [_CityscapesClass(name, i, *rest) for i, (name, *rest) in enumerate(_LABELS)]
    classes.append(_CityscapesClass("license plate", -1, -1, "vehicle", 7, False, True,
                                    (0, 0, 142)))

    def __init__(self, root: str | os.PathLike, split: str = "train", mode: str = "fine",
                 target_type: list[str] | str = "instance", transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.mode = "gtFine" if mode == "fine" else "gtCoarse"
        self.images_dir = os.path.join(self.root, "leftImg8bit", split)
        self.targets_dir = os.path.join(self.root, self.mode, split)
        self.target_type = target_type
        self.split = split
        self.images: list[str] = []
        self.targets: list[list[str]] = []

        verify_str_arg(mode, "mode", ("fine", "coarse"))
        valid = ("train", "test", "val") if mode == "fine" else ("train", "train_extra", "val")
        verify_str_arg(split, "split", valid,
                       f"Unknown value '{split}' for argument split if mode is '{mode}'. "
                       f"Valid values are {{{iterable_to_str(valid)}}}.")
        if not isinstance(target_type, list):
            self.target_type = [target_type]
        for value in self.target_type:
            verify_str_arg(value, "target_type", ("instance", "semantic", "polygon", "color"))

        if not os.path.isdir(self.images_dir) or not os.path.isdir(self.targets_dir):
            self._extract_zips()
        # os.listdir order, as torchvision, so that indices agree on the same file system
        for city in os.listdir(self.images_dir):
            img_dir = os.path.join(self.images_dir, city)
            target_dir = os.path.join(self.targets_dir, city)
            for file_name in os.listdir(img_dir):
                stem = file_name.split("_leftImg8bit")[0]
                self.images.append(os.path.join(img_dir, file_name))
                self.targets.append([os.path.join(target_dir, self._target_name(stem, t))
                                     for t in self.target_type])

    def _target_name(self, stem: str, target_type: str) -> str:
        return f"{stem}_{self._get_target_suffix(self.mode, target_type)}"

    def _extract_zips(self) -> None:
        images = ("leftImg8bit_trainextra.zip" if self.split == "train_extra"
                  else "leftImg8bit_trainvaltest.zip")
        targets = "gtFine_trainvaltest.zip" if self.mode == "gtFine" else "gtCoarse.zip"
        zips = [os.path.join(self.root, images), os.path.join(self.root, targets)]
        if not all(os.path.isfile(z) for z in zips):
            raise RuntimeError(
                "Dataset not found or incomplete. Please make sure all required folders for "
                'the specified "split" and "mode" are inside the "root" directory (expected '
                f"{self.images_dir} and {self.targets_dir}, or the archives "
                f"{' and '.join(zips)} from https://www.cityscapes-dataset.com/downloads/)")
        for z in zips:
            extract_archive(from_path=z, to_path=self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        image = Image.open(self.images[index]).convert("RGB")
        targets: list[Any] = []
        for path, t in zip(self.targets[index], self.target_type):
            targets.append(self._load_json(path) if t == "polygon" else Image.open(path))
        target = tuple(targets) if len(targets) > 1 else targets[0]
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> str:
        return f"Split: {self.split}\nMode: {self.mode}\nType: {self.target_type}"

    def _load_json(self, path: str) -> dict[str, Any]:
        with open(path) as fh:
            return json.load(fh)

    def _get_target_suffix(self, mode: str, target_type: str) -> str:
        return f"{mode}_{_TARGET_SUFFIX[target_type]}"
