"""Benchmarks whose images are files named by split lists or sorted into class folders:
DTD, SUN397, EuroSAT, Country211, RenderedSST2, Imagenette, CLEVRClassification, GTSRB."""

from __future__ import annotations

import csv
import json
import os
import pathlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from ._dataset_files import LabeledImageFiles, LabeledSamples, fetch_archive, not_found, read_lines
from .folder import ImageFolder, default_loader, find_classes, make_dataset, pil_loader
from .utils import verify_str_arg

__all__ = ["DTD", "SUN397", "EuroSAT", "Country211", "RenderedSST2", "Imagenette",
           "CLEVRClassification", "GTSRB"]


class DTD(LabeledImageFiles):
    """`Describable Textures Dataset <https://www.robots.ox.ac.uk/~vgg/data/dtd/>`_: 47 textures.

    ``root/dtd/dtd/labels/{train,val,test}<partition>.txt`` list ``<class>/<file>``
    paths under ``root/dtd/dtd/images``.

    Args:
        root: folder holding ``dtd``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        partition: which of the 10 official splits, 1 to 10.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless the data folder is there.
        loader: reads an image from its path.
    """

    _URL = "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz"
    _MD5 = "fff73e5086ae6bdbea199a49dfb8a4c1"

    def __init__(self, root: str | os.PathLike, split: str = "train", partition: int = 1,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        if not isinstance(partition, int) or not 1 <= partition <= 10:
            raise ValueError("Parameter 'partition' should be an integer with "
                             f"`1 <= partition <= 10`, but got {partition} instead")
        self._partition = partition
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._base_folder = pathlib.Path(self.root) / type(self).__name__.lower()
        self._data_folder = self._base_folder / "dtd"
        self._meta_folder = self._data_folder / "labels"
        self._images_folder = self._data_folder / "images"
        if download:
            self._download()
        if not self._check_exists():
            raise not_found(self._data_folder)
        self._image_files: list[pathlib.Path] = []
        names: list[str] = []
        for line in read_lines(self._meta_folder / f"{self._split}{self._partition}.txt"):
            cls, name = line.strip().split("/")
            self._image_files.append(self._images_folder.joinpath(cls, name))
            names.append(cls)
        self.classes = sorted(set(names))
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self._labels = [self.class_to_idx[c] for c in names]
        self.loader = loader

    def extra_repr(self) -> str:
        return f"split={self._split}, partition={self._partition}"

    def _check_exists(self) -> bool:
        return self._data_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("DTD", self._URL, str(self._base_folder), md5=self._MD5,
                      expect=self._data_folder)


class SUN397(LabeledImageFiles):
    """`SUN397 <https://vision.princeton.edu/projects/2010/SUN/>`_: 397 scene categories.

    Classes come from ``root/SUN397/ClassName.txt`` (lines like ``/a/abbey``); the
    images are every ``sun_*.jpg`` below ``root/SUN397``, in the file system's order
    (as torchvision walks them), labelled by their folder.

    Args:
        root: folder holding ``SUN397``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless the folder is there.
        loader: reads an image from its path.
    """

    _DATASET_URL = "http://vision.princeton.edu/projects/2010/SUN/SUN397.tar.gz"
    _DATASET_MD5 = "8ca2778205c41d23104230ba66911c7a"

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._data_dir = pathlib.Path(self.root) / "SUN397"
        if download:
            self._download()
        if not self._check_exists():
            raise not_found(self._data_dir)
        # "/a/abbey" -> "abbey", "/b/bedroom/indoor" -> "bedroom/indoor"
        self.classes = [line[3:].strip() for line in read_lines(self._data_dir / "ClassName.txt")]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self._image_files = list(self._data_dir.rglob("sun_*.jpg"))
        self._labels = [self.class_to_idx["/".join(p.relative_to(self._data_dir).parts[1:-1])]
                        for p in self._image_files]
        self.loader = loader

    def _check_exists(self) -> bool:
        return self._data_dir.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("SUN397", self._DATASET_URL, self.root, md5=self._DATASET_MD5,
                      expect=self._data_dir)


class EuroSAT(ImageFolder):
    """RGB `EuroSAT <https://github.com/phelber/eurosat>`_: 10 land-use classes, 27,000 images.

    An :class:`ImageFolder` over ``root/eurosat/2750``; ``root`` stays the given folder.

    Args:
        root: folder holding ``eurosat``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless ``eurosat/2750`` is there.
        loader: reads an image from its path.
    """

    _URL = ("https://huggingface.co/datasets/torchgeo/eurosat/resolve/"
            "c877bcd43f099cd0196738f714544e355477f3fd/EuroSAT.zip")
    _MD5 = "c8fa014336c82ac7804f0398fcb19387"

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        self.root = os.path.expanduser(root)
        self._base_folder = os.path.join(self.root, "eurosat")
        self._data_folder = os.path.join(self._base_folder, "2750")
        if download:
            self.download()
        if not self._check_exists():
            raise not_found(self._data_folder)
        super().__init__(self._data_folder, transform=transform,
                         target_transform=target_transform, loader=loader)
        self.root = os.path.expanduser(root)

    def __len__(self) -> int:
        return len(self.samples)

    def _check_exists(self) -> bool:
        return os.path.exists(self._data_folder)

    def download(self) -> None:
        """Fetch and unpack the archive into ``root/eurosat``."""
        if self._check_exists():
            return
        os.makedirs(self._base_folder, exist_ok=True)
        fetch_archive("EuroSAT", self._URL, self._base_folder, md5=self._MD5,
                      expect=self._data_folder)


class Country211(ImageFolder):
    """`Country211 <https://github.com/openai/CLIP/blob/main/data/country211.md>`_: 211 countries.

    An :class:`ImageFolder` over ``root/country211/<split>``; ``root`` stays the given folder.

    Args:
        root: folder holding ``country211``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless ``country211`` is there.
        loader: reads an image from its path.
    """

    _URL = "https://openaipublic.azureedge.net/clip/data/country211.tgz"
    _MD5 = "84988d7644798601126c29e9877aab6a"

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "valid", "test"))
        root = pathlib.Path(root).expanduser()
        self.root = str(root)
        self._base_folder = root / "country211"
        if download:
            self._download()
        if not self._check_exists():
            raise not_found(self._base_folder)
        super().__init__(str(self._base_folder / self._split), transform=transform,
                         target_transform=target_transform, loader=loader)
        self.root = str(root)

    def _check_exists(self) -> bool:
        return self._base_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("Country211", self._URL, self.root, md5=self._MD5,
                      expect=self._base_folder)


class RenderedSST2(LabeledSamples):
    """`Rendered SST2 <https://github.com/openai/CLIP/blob/main/data/rendered-sst2.md>`_:
    rendered movie-review sentences, ``negative`` (0) or ``positive`` (1).

    Args:
        root: folder holding ``rendered-sst2``.
        split: ``"train"``, ``"val"`` (folder ``valid``) or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless the split's class folders are there.
        loader: reads an image from its path.
    """

    _URL = "https://openaipublic.azureedge.net/clip/data/rendered-sst2.tgz"
    _MD5 = "2384d08e9dcfa4bd55b324e610496ee5"

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._split_to_folder = {"train": "train", "val": "valid", "test": "test"}
        self._base_folder = pathlib.Path(self.root) / "rendered-sst2"
        self.classes = ["negative", "positive"]
        self.class_to_idx = {"negative": 0, "positive": 1}
        if download:
            self._download()
        missing = self._missing()
        if missing:
            raise not_found(missing)
        self._samples = make_dataset(str(self._split_folder), extensions=("png",))
        self.loader = loader

    @property
    def _split_folder(self) -> pathlib.Path:
        return self._base_folder / self._split_to_folder[self._split]

    def _missing(self) -> list[pathlib.Path]:
        return [self._split_folder / c for c in self.classes
                if not (self._split_folder / c).is_dir()]

    def _check_exists(self) -> bool:
        return not self._missing()

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("RenderedSST2", self._URL, self.root, md5=self._MD5,
                      expect=self._base_folder)


class Imagenette(LabeledSamples):
    """`Imagenette <https://github.com/fastai/imagenette#imagenette-1>`_: 10 ImageNet classes.

    ``root/imagenette2[-320|-160]/{train,val}/<wnid>/*.JPEG``. ``classes`` holds a tuple
    of names per class; ``class_to_idx`` maps every one of those names; ``wnids`` and
    ``wnid_to_idx`` give the WordNet ids.

    Args:
        root: folder holding the size's folder.
        split: ``"train"`` or ``"val"``.
        size: ``"full"``, ``"320px"`` or ``"160px"``.
        download: fetch and unpack the size's archive unless its folder is there.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        loader: reads an image from its path.
    """

    _ARCHIVES = {
        "full": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2.tgz",
                 "fe2fc210e6bb7c5664d602c3cd71e612"),
        "320px": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz",
                  "3df6f0d01a2c9592104656642f5e78a3"),
        "160px": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
                  "e793b78cc4c9e9a4ccc0c1155377a412"),
    }
    _WNID_TO_CLASS = {
        "n01440764": ("tench", "Tinca tinca"),
        "n02102040": ("English springer", "English springer spaniel"),
        "n02979186": ("cassette player",),
        "n03000684": ("chain saw", "chainsaw"),
        "n03028079": ("church", "church building"),
        "n03394916": ("French horn", "horn"),
        "n03417042": ("garbage truck", "dustcart"),
        "n03425413": ("gas pump", "gasoline pump", "petrol pump", "island dispenser"),
        "n03445777": ("golf ball",),
        "n03888257": ("parachute", "chute"),
    }

    def __init__(self, root: str | os.PathLike, split: str = "train", size: str = "full",
                 download: bool = False, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ["train", "val"])
        self._size = verify_str_arg(size, "size", ["full", "320px", "160px"])
        self._url, self._md5 = self._ARCHIVES[self._size]
        self._size_root = pathlib.Path(self.root) / pathlib.Path(self._url).stem
        self._image_root = str(self._size_root / self._split)
        if download:
            self._download()
        elif not self._check_exists():
            raise not_found(self._size_root)
        self.wnids, self.wnid_to_idx = find_classes(self._image_root)
        self.classes = [self._WNID_TO_CLASS[w] for w in self.wnids]
        self.class_to_idx = {name: idx for wnid, idx in self.wnid_to_idx.items()
                             for name in self._WNID_TO_CLASS[wnid]}
        self._samples = make_dataset(self._image_root, self.wnid_to_idx, extensions=".jpeg")
        self.loader = loader

    def _check_exists(self) -> bool:
        return self._size_root.exists()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("Imagenette", self._url, self.root, md5=self._md5, expect=self._size_root)


class CLEVRClassification(LabeledImageFiles):
    """`CLEVR <https://cs.stanford.edu/people/jcjohns/clevr/>`_ scenes labelled by their
    number of objects (read from ``scenes/CLEVR_<split>_scenes.json``; ``None`` for test).

    Args:
        root: folder holding ``clevr/CLEVR_v1.0``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the target.
        download: fetch and unpack the archive unless the folder is there.
        loader: reads an image from its path.
    """

    _URL = "https://dl.fbaipublicfiles.com/clevr/CLEVR_v1.0.zip"
    _MD5 = "b11922020e72d0cd9154779b2d3d07d2"

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.loader = loader
        self._base_folder = pathlib.Path(self.root) / "clevr"
        self._data_folder = self._base_folder / pathlib.Path(urlparse(self._URL).path).stem
        if download:
            self._download()
        if not self._check_exists():
            raise not_found(self._data_folder, head="Dataset not found or corrupted.")
        self._image_files = sorted(self._data_folder.joinpath("images", self._split).glob("*"))
        self._labels: list[int | None]
        if self._split == "test":
            self._labels = [None] * len(self._image_files)
        else:
            with open(self._data_folder / "scenes" / f"CLEVR_{self._split}_scenes.json") as f:
                scenes = json.load(f)["scenes"]
            count = {s["image_filename"]: len(s["objects"]) for s in scenes}
            self._labels = [count[p.name] for p in self._image_files]

    def _check_exists(self) -> bool:
        return self._data_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("CLEVRClassification", self._URL, str(self._base_folder), md5=self._MD5,
                      expect=self._data_folder)

    def extra_repr(self) -> str:
        return f"split={self._split}"


class GTSRB(LabeledSamples):
    """`German Traffic Sign Recognition Benchmark <https://benchmark.ini.rub.de/>`_: 43 signs.

    Training images are class folders under ``root/gtsrb/GTSRB/Training``; the test
    labels come from the ground-truth csv ``root/gtsrb/GT-final_test.csv`` (``;``
    separated, columns ``Filename`` and ``ClassId``) for ``GTSRB/Final_Test/Images``.

    Args:
        root: folder holding ``gtsrb``.
        split: ``"train"`` or ``"test"``.
        transform: applied to the RGB PIL image.
        target_transform: applied to the int target.
        download: fetch and unpack the split's archives unless its folder is there.
    """

    _BASE_URL = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"
    _ARCHIVES = {
        "train": [("GTSRB-Training_fixed.zip", "513f3c79a4c5141765e10e952eaa2478")],
        "test": [("GTSRB_Final_Test_Images.zip", "c7e4e6327067d32654124b0fe9e82185"),
                 ("GTSRB_Final_Test_GT.zip", "fe31e9c9270bbcd7b84b7f21a9d9d9e5")],
    }

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = pathlib.Path(root) / "gtsrb"
        self._target_folder = self._base_folder / "GTSRB" / (
            "Training" if self._split == "train" else "Final_Test/Images")
        if download:
            self.download()
        if not self._check_exists():
            raise not_found(self._target_folder)
        self.loader = pil_loader
        if self._split == "train":
            self._samples = make_dataset(str(self._target_folder), extensions=(".ppm",))
        else:
            with open(self._base_folder / "GT-final_test.csv") as f:
                rows = csv.DictReader(f, delimiter=";", skipinitialspace=True)
                self._samples = [(str(self._target_folder / row["Filename"]),
                                  int(row["ClassId"])) for row in rows]

    def _check_exists(self) -> bool:
        return self._target_folder.is_dir()

    def download(self) -> None:
        """Fetch and unpack the split's archives into ``root/gtsrb``."""
        if self._check_exists():
            return
        for name, md5 in self._ARCHIVES[self._split]:
            fetch_archive("GTSRB", self._BASE_URL + name, str(self._base_folder), md5=md5,
                          expect=self._target_folder)
