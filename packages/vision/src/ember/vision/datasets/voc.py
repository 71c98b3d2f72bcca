"""PASCAL VOC 2007-2012: segmentation masks and detection annotations.

``root/VOCdevkit/VOC<year>/`` (2011: ``root/TrainVal/VOCdevkit/VOC2011/``) holds
``ImageSets/{Segmentation,Main}/<image_set>.txt``, ``JPEGImages/<id>.jpg``,
``SegmentationClass/<id>.png`` and ``Annotations/<id>.xml``. A detection target is the
annotation XML as nested dicts: ``{"annotation": {...}}``, where repeated tags become
lists and ``annotation["object"]`` is always a list (empty when there is none).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from .utils import DownloadError, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

try:  # defusedxml refuses entity expansion attacks; the standard parser is the fallback
    from defusedxml.ElementTree import parse as _xml_parse
except ImportError:
    from xml.etree.ElementTree import parse as _xml_parse

__all__ = ["VOCSegmentation", "VOCDetection", "DATASET_YEAR_DICT"]

_THOR = "https://thor.robots.ox.ac.uk/pascal/VOC/"


def _year(archive: str, md5: str, base: tuple[str, ...], filename: str | None = None
          ) -> dict[str, str]:
    folder = "voc" + archive.rsplit("-", 1)[1][:4]  # VOCtrainval_25-May-2011.tar -> voc2011
    return {"url": f"{_THOR}{folder}/{archive}", "filename": filename or archive, "md5": md5,
            "base_dir": os.path.join(*base)}


DATASET_YEAR_DICT = {
    "2012": _year("VOCtrainval_11-May-2012.tar", "6cd6e144f989b92b3379bac3b3de84fd",
                  ("VOCdevkit", "VOC2012")),
    "2011": _year("VOCtrainval_25-May-2011.tar", "6c3384ef61512963050cb5d687e5bf1e",
                  ("TrainVal", "VOCdevkit", "VOC2011")),
    "2010": _year("VOCtrainval_03-May-2010.tar", "da459979d0c395079b5c75ee67908abb",
                  ("VOCdevkit", "VOC2010")),
    "2009": _year("VOCtrainval_11-May-2009.tar", "a3e00b113cfcfebf17e343f59da3caa1",
                  ("VOCdevkit", "VOC2009")),
    # torchvision saves the 2008 archive under the 2012 file name; kept so paths agree
    "2008": _year("VOCtrainval_14-Jul-2008.tar", "2629fa636546599198acfcfbfcf1904a",
                  ("VOCdevkit", "VOC2008"), filename="VOCtrainval_11-May-2012.tar"),
    "2007": _year("VOCtrainval_06-Nov-2007.tar", "c52e279531787c972589f7e41ab4ae64",
                  ("VOCdevkit", "VOC2007")),
    "2007-test": _year("VOCtest_06-Nov-2007.tar", "b6e924de25625d8de591ea690078ad9f",
                       ("VOCdevkit", "VOC2007")),
}


class _VOCBase(VisionDataset):
    _SPLITS_DIR: str
    _TARGET_DIR: str
    _TARGET_FILE_EXT: str

    def __init__(self, root: str | os.PathLike, year: str = "2012", image_set: str = "train",
                 download: bool = False, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.year = verify_str_arg(year, "year", [str(y) for y in range(2007, 2013)])
        valid_sets = ["train", "trainval", "val"] + (["test"] if year == "2007" else [])
        self.image_set = verify_str_arg(image_set, "image_set", valid_sets)
        meta = DATASET_YEAR_DICT["2007-test" if year == "2007" and image_set == "test" else year]
        self.url, self.filename, self.md5 = meta["url"], meta["filename"], meta["md5"]
        voc_root = os.path.join(self.root, meta["base_dir"])
        if download:
            try:
                download_and_extract_archive(self.url, self.root, filename=self.filename,
                                             md5=self.md5)
            except DownloadError as e:
                raise DownloadError(f"{type(self).__name__}: {e}\nAlternatively unpack it so "
                                    f"that {voc_root} exists.") from e
        if not os.path.isdir(voc_root):
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it (expected the folder {voc_root})")
        split_file = os.path.join(voc_root, "ImageSets", self._SPLITS_DIR,
                                  image_set.rstrip("\n") + ".txt")
        if not os.path.isfile(split_file):
            raise RuntimeError(f"Dataset not found or corrupted: the image set file "
                               f"{split_file} is missing")
        with open(split_file) as fh:
            ids = [line.strip() for line in fh.readlines()]
        image_dir = os.path.join(voc_root, "JPEGImages")
        target_dir = os.path.join(voc_root, self._TARGET_DIR)
        self.images = [os.path.join(image_dir, x + ".jpg") for x in ids]
        self.targets = [os.path.join(target_dir, x + self._TARGET_FILE_EXT) for x in ids]

    def __len__(self) -> int:
        return len(self.images)

    def _image(self, index: int) -> Any:
        from PIL import Image

        return Image.open(self.images[index]).convert("RGB")


class VOCSegmentation(_VOCBase):
    """`PASCAL VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ segmentation: the target is
    the palette PNG of class indices (255 on object borders).

    Args:
        root: folder holding ``VOCdevkit``.
        year: ``"2007"`` to ``"2012"``.
        image_set: ``"train"``, ``"trainval"``, ``"val"`` (and ``"test"`` for 2007).
        download: fetch and unpack the year's archive.
        transform / target_transform / transforms: applied to the image, the mask, or both.
    """

    _SPLITS_DIR = "Segmentation"
    _TARGET_DIR = "SegmentationClass"
    _TARGET_FILE_EXT = ".png"

    @property
    def masks(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img, target = self._image(index), Image.open(self.masks[index])
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target


class VOCDetection(_VOCBase):
    """`PASCAL VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ detection: the target is the
    annotation XML as nested dicts (see :meth:`parse_voc_xml`).

    Args: as :class:`VOCSegmentation`.
    """

    _SPLITS_DIR = "Main"
    _TARGET_DIR = "Annotations"
    _TARGET_FILE_EXT = ".xml"

    @property
    def annotations(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path = self.annotations[index]
        try:
            root = _xml_parse(path).getroot()
        except ParseError as e:
            raise RuntimeError(f"{path}: not a readable VOC annotation ({e})") from e
        img, target = self._image(index), self.parse_voc_xml(root)
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    @staticmethod
    def parse_voc_xml(node: Element) -> dict[str, Any]:
        """``{tag: text}`` for a leaf; ``{tag: {child_tag: value or [values]}}`` otherwise.

        The ``object`` entry of ``annotation`` is always a list, even for one object.
        """
        children = list(node)
        if not children:
            return {node.tag: node.text.strip()} if node.text else {}
        grouped: dict[str, list] = collections.defaultdict(list)
        for child in children:
            for tag, value in VOCDetection.parse_voc_xml(child).items():
                grouped[tag].append(value)
        if node.tag == "annotation":
            grouped["object"] = [grouped["object"]]
        return {node.tag: {tag: v[0] if len(v) == 1 else v for tag, v in grouped.items()}}
