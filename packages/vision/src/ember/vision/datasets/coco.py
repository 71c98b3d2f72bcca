"""MS COCO detection and captions, read from the annotation JSON without pycocotools.

``CocoDetection(root, annFile)``: the images are ``root/<file_name>``; the target of an
image is the list of its annotation dicts, in the file's order (what pycocotools'
``loadAnns(getAnnIds(id))`` gives). Images are indexed in sorted id order.
``dataset.coco`` is a :class:`COCO` index with pycocotools' common look-ups.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .vision import VisionDataset

__all__ = ["COCO", "CocoDetection", "CocoCaptions"]


def _as_list(value: Any) -> list:
    return list(value) if hasattr(value, "__iter__") and hasattr(value, "__len__") else [value]


class COCO:
    """An index over a COCO annotation file, with pycocotools' look-up methods.

    Attributes: ``dataset`` (the parsed JSON), ``anns``, ``imgs``, ``cats`` (by id),
    ``imgToAnns`` (image id -> its annotations) and ``catToImgs``.
    """

    def __init__(self, annotation_file: str | os.PathLike | None = None) -> None:
        self.dataset: dict[str, Any] = {}
        self.anns: dict[Any, dict] = {}
        self.imgs: dict[Any, dict] = {}
        self.cats: dict[Any, dict] = {}
        self.imgToAnns: defaultdict[Any, list] = defaultdict(list)
        self.catToImgs: defaultdict[Any, list] = defaultdict(list)
        if annotation_file is not None:
            path = os.fspath(annotation_file)
            try:
                with open(path) as fh:
                    dataset = json.load(fh)
            except json.JSONDecodeError as e:
                raise RuntimeError(f"{path}: not a readable COCO annotation file ({e})") from e
            if not isinstance(dataset, dict):
                raise RuntimeError(f"{path}: annotation file format {type(dataset).__name__} "
                                   "not supported (expected a JSON object)")
            self.dataset = dataset
            self.createIndex()

    def createIndex(self) -> None:
        """Fill the look-up dicts from ``dataset``."""
        anns = self.dataset.get("annotations")
        for ann in anns or ():
            self.imgToAnns[ann["image_id"]].append(ann)
            self.anns[ann["id"]] = ann
        for img in self.dataset.get("images") or ():
            self.imgs[img["id"]] = img
        for cat in self.dataset.get("categories") or ():
            self.cats[cat["id"]] = cat
        if "annotations" in self.dataset and "categories" in self.dataset:
            for ann in anns or ():
                self.catToImgs[ann["category_id"]].append(ann["image_id"])

    def getAnnIds(self, imgIds: Any = (), catIds: Any = (), areaRng: Any = (),
                  iscrowd: bool | None = None) -> list:
        """Ids of the annotations of ``imgIds`` in ``catIds`` with area inside ``areaRng``."""
        img_ids, cat_ids, area = _as_list(imgIds), _as_list(catIds), list(areaRng)
        if img_ids:
            anns = [a for i in img_ids if i in self.imgToAnns for a in self.imgToAnns[i]]
        else:
            anns = self.dataset.get("annotations", [])
        if cat_ids:
            anns = [a for a in anns if a["category_id"] in cat_ids]
        if area:
            anns = [a for a in anns if area[0] < a["area"] < area[1]]
        if iscrowd is not None:
            anns = [a for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms: Any = (), supNms: Any = (), catIds: Any = ()) -> list:
        """Ids of the categories named ``catNms``, under ``supNms``, among ``catIds``."""
        names, supers, ids = _as_list(catNms), _as_list(supNms), _as_list(catIds)
        cats = self.dataset.get("categories", [])
        if names:
            cats = [c for c in cats if c["name"] in names]
        if supers:
            cats = [c for c in cats if c["supercategory"] in supers]
        if ids:
            cats = [c for c in cats if c["id"] in ids]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds: Any = (), catIds: Any = ()) -> list:
        """Ids of the images among ``imgIds`` having an annotation in every one of ``catIds``."""
        img_ids, cat_ids = _as_list(imgIds), _as_list(catIds)
        if not img_ids and not cat_ids:
            return list(self.imgs.keys())
        ids = set(img_ids)
        for i, cat in enumerate(cat_ids):
            ids = set(self.catToImgs[cat]) if i == 0 and not ids else ids & set(self.catToImgs[cat])
        return list(ids)

    def _load(self, table: dict, ids: Any) -> list:
        if isinstance(ids, int):
            return [table[ids]]
        return [table[i] for i in _as_list(ids)]

    def loadAnns(self, ids: Any = ()) -> list[dict]:
        return self._load(self.anns, ids)

    def loadCats(self, ids: Any = ()) -> list[dict]:
        return self._load(self.cats, ids)

    def loadImgs(self, ids: Any = ()) -> list[dict]:
        return self._load(self.imgs, ids)


class CocoDetection(VisionDataset):
    """`MS COCO <https://cocodataset.org/#detection-2016>`_ detection.

    Args:
        root: the folder the images' ``file_name`` entries are relative to.
        annFile: the annotation JSON (``instances_*.json``).
        transform / target_transform / transforms: applied to the image, the list of
            annotation dicts, or both.
    """

    def __init__(self, root: str | os.PathLike, annFile: str,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        if not os.path.isfile(annFile):
            raise RuntimeError(f"Dataset not found or corrupted: the annotation file {annFile} "
                               "is missing")
        self.coco = COCO(annFile)
        self.ids = sorted(self.coco.imgs.keys())

    def _load_image(self, id: int) -> Any:
        from PIL import Image

        path = os.path.join(self.root, self.coco.loadImgs(id)[0]["file_name"])
        return Image.open(path).convert("RGB")

    def _load_target(self, id: int) -> list[Any]:
        return self.coco.loadAnns(self.coco.getAnnIds(id))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not isinstance(index, int):
            raise ValueError(f"Index must be of type integer, got {type(index)} instead.")
        id = self.ids[index]
        image, target = self._load_image(id), self._load_target(id)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self) -> int:
        return len(self.ids)


class CocoCaptions(CocoDetection):
    """`MS COCO <https://cocodataset.org/#captions-2015>`_ captions: the target is the list
    of the image's caption strings (from ``captions_*.json``)."""

    def _load_target(self, id: int) -> list[str]:
        return [ann["caption"] for ann in super()._load_target(id)]
