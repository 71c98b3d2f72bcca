"""Fine-grained recognition: Flowers102, OxfordIIITPet, StanfordCars, FGVCAircraft, Food101.

Each reads its image list and labels from the official annotation files (text, JSON,
or ``.mat`` files read with SciPy) and loads the listed JPEGs on access.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._dataset_files import (
    LabeledImageFiles,
    LabeledSamples,
    fetch_archive,
    loadmat,
    not_found,
    read_lines,
    require,
)
from .folder import default_loader
from .utils import check_integrity, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["Flowers102", "OxfordIIITPet", "StanfordCars", "FGVCAircraft", "Food101"]

_FLOWER_NAMES = (
    "pink primrose|hard-leaved pocket orchid|canterbury bells|sweet pea|"
    "english marigold|tiger lily|moon orchid|bird of paradise|monkshood|"
    "globe thistle|snapdragon|colt's foot|king protea|spear thistle|yellow iris|"
    "globe-flower|purple coneflower|peruvian lily|balloon flower|"
    "giant white arum lily|fire lily|pincushion flower|fritillary|red ginger|"
    "grape hyacinth|corn poppy|prince of wales feathers|stemless gentian|artichoke|"
    "sweet william|carnation|garden phlox|love in the mist|mexican aster|"
    "alpine sea holly|ruby-lipped cattleya|cape flower|great masterwort|siam tulip|"
    "lenten rose|barbeton daisy|daffodil|sword lily|poinsettia|bolero deep blue|"
    "wallflower|marigold|buttercup|oxeye daisy|common dandelion|petunia|wild pansy|"
    "primula|sunflower|pelargonium|bishop of llandaff|gaura|geranium|orange dahlia|"
    "pink-yellow dahlia?|cautleya spicata|japanese anemone|black-eyed susan|"
    "silverbush|californian poppy|osteospermum|spring crocus|bearded iris|windflower|"
    "tree poppy|gazania|azalea|water lily|rose|thorn apple|morning glory|"
    "passion flower|lotus|toad lily|anthurium|frangipani|clematis|hibiscus|columbine|"
    "desert-rose|tree mallow|magnolia|cyclamen|watercress|canna lily|hippeastrum|"
    "bee balm|ball moss|foxglove|bougainvillea|camellia|mallow|mexican petunia|"
    "bromelia|blanket flower|trumpet creeper|blackberry lily"
)


class Flowers102(LabeledImageFiles):
    """`Oxford 102 Flower <https://www.robots.ox.ac.uk/~vgg/data/flowers/102/>`_.

    ``root/flowers-102/jpg/image_00001.jpg``; the labels (``imagelabels.mat``) and the
    splits (``setid.mat``) are read with SciPy.

    Args:
        root: folder holding ``flowers-102``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch the images and the two ``.mat`` files unless they are intact.
        loader: reads an image from its path.
    """

    _download_url_prefix = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
    _file_dict = {
        "image": ("102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
        "label": ("imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
        "setid": ("setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c"),
    }
    _splits_map = {"train": "trnid", "val": "valid", "test": "tstid"}
    classes = _FLOWER_NAMES.split("|")

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._base_folder = pathlib.Path(self.root) / "flowers-102"
        self._images_folder = self._base_folder / "jpg"
        if download:
            self.download()
        if not self._check_integrity():  # the hook subclasses (and tests) override
            bad = self._corrupt_files()
            raise not_found(bad, head="Dataset not found or corrupted.")
        set_ids = loadmat(self._base_folder / self._file_dict["setid"][0], "Flowers102",
                          squeeze_me=True)
        labels = loadmat(self._base_folder / self._file_dict["label"][0], "Flowers102",
                         squeeze_me=True)
        # image ids are 1-based, and so are the labels in the file
        label_of = dict(enumerate((np.atleast_1d(labels["labels"]) - 1).tolist(), 1))
        image_ids = np.atleast_1d(set_ids[self._splits_map[self._split]]).tolist()
        self._labels = [label_of[i] for i in image_ids]
        self._image_files = [self._images_folder / f"image_{i:05d}.jpg" for i in image_ids]
        self.loader = loader

    def _corrupt_files(self) -> list[pathlib.Path]:
        bad = [] if self._images_folder.is_dir() else [self._images_folder]
        for key in ("label", "setid"):
            name, md5 = self._file_dict[key]
            if not check_integrity(str(self._base_folder / name), md5):
                bad.append(self._base_folder / name)
        return bad

    def _check_integrity(self) -> bool:
        return not self._corrupt_files()

    def download(self) -> None:
        """Fetch the image archive and the label and split files into ``flowers-102``."""
        if self._check_integrity():
            return
        name, md5 = self._file_dict["image"]
        fetch_archive("Flowers102", self._download_url_prefix + name, str(self._base_folder),
                      md5=md5, expect=self._images_folder)
        for key in ("label", "setid"):
            name, md5 = self._file_dict[key]
            download_url(self._download_url_prefix + name, str(self._base_folder), md5=md5)

    def extra_repr(self) -> str:
        return f"split={self._split}"


class OxfordIIITPet(VisionDataset):
    """`Oxford-IIIT Pet <https://www.robots.ox.ac.uk/~vgg/data/pets/>`_: 37 cat and dog breeds.

    Args:
        root: folder holding ``oxford-iiit-pet/images`` and ``oxford-iiit-pet/annotations``.
        split: ``"trainval"`` or ``"test"``.
        target_types: ``"category"`` (breed index), ``"binary-category"`` (0 cat, 1 dog),
            ``"segmentation"`` (the trimap PIL image), or a sequence of them for a tuple
            target (an empty one gives ``None``).
        transforms: applied to the (image, target) pair.
        transform: applied to the RGB PIL image.
        target_transform: applied to the target.
        download: fetch and unpack the two archives unless the folders are there.
    """

    _RESOURCES = (
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
         "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
         "95a8c909bbe2e81eed6a22bccdf3f68f"),
    )
    _VALID_TARGET_TYPES = ("category", "binary-category", "segmentation")

    def __init__(self, root: str | os.PathLike, split: str = "trainval",
                 target_types: Sequence[str] | str = "category",
                 transforms: Callable | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        self._split = verify_str_arg(split, "split", ("trainval", "test"))
        if isinstance(target_types, str):
            target_types = [target_types]
        self._target_types = [verify_str_arg(t, "target_types", self._VALID_TARGET_TYPES)
                              for t in target_types]
        super().__init__(root, transforms=transforms, transform=transform,
                         target_transform=target_transform)
        self._base_folder = pathlib.Path(self.root) / "oxford-iiit-pet"
        self._images_folder = self._base_folder / "images"
        self._anns_folder = self._base_folder / "annotations"
        self._segs_folder = self._anns_folder / "trimaps"
        if download:
            self._download()
        if not self._check_exists():
            raise not_found([self._images_folder, self._anns_folder])
        image_ids: list[str] = []
        self._labels: list[int] = []
        self._bin_labels: list[int] = []
        for line in read_lines(self._anns_folder / f"{self._split}.txt"):
            image_id, label, bin_label, _ = line.split()
            image_ids.append(image_id)
            self._labels.append(int(label) - 1)  # the file counts from 1
            self._bin_labels.append(int(bin_label) - 1)
        self.bin_classes = ["Cat", "Dog"]
        # the breed is the image id without its number: "great_pyrenees_12" -> "Great Pyrenees"
        breeds = sorted({(i.rsplit("_", 1)[0], label) for i, label in zip(image_ids, self._labels)},
                        key=lambda breed_label: breed_label[1])
        self.classes = [" ".join(word.title() for word in raw.split("_")) for raw, _ in breeds]
        self.bin_class_to_idx = {c: i for i, c in enumerate(self.bin_classes)}
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self._images = [self._images_folder / f"{i}.jpg" for i in image_ids]
        self._segs = [self._segs_folder / f"{i}.png" for i in image_ids]

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        from PIL import Image

        image = Image.open(self._images[idx]).convert("RGB")
        target: Any = []
        for kind in self._target_types:
            if kind == "category":
                target.append(self._labels[idx])
            elif kind == "binary-category":
                target.append(self._bin_labels[idx])
            else:
                target.append(Image.open(self._segs[idx]))
        target = None if not target else target[0] if len(target) == 1 else tuple(target)
        if self.transforms:
            image, target = self.transforms(image, target)
        return image, target

    def _check_exists(self) -> bool:
        return self._images_folder.is_dir() and self._anns_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        for url, md5 in self._RESOURCES:
            fetch_archive("OxfordIIITPet", url, str(self._base_folder), md5=md5,
                          expect=self._base_folder / url.rsplit("/", 1)[1].split(".")[0])


class StanfordCars(LabeledSamples):
    """Stanford Cars: 196 car models, read from the devkit's ``.mat`` files with SciPy.

    ``root/stanford_cars/devkit/{cars_meta.mat, cars_train_annos.mat}``,
    ``root/stanford_cars/cars_test_annos_withlabels.mat`` and the image folders
    ``cars_train`` and ``cars_test``. The original URL is gone: ``download`` raises.

    Args:
        root: folder holding ``stanford_cars``.
        split: ``"train"`` or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the target.
        download: kept for compatibility; raises ``ValueError``.
        loader: reads an image from its path.
    """

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        require("scipy.io", "StanfordCars", "scipy", RuntimeError)
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = pathlib.Path(root) / "stanford_cars"
        devkit = self._base_folder / "devkit"
        if self._split == "train":
            self._annotations_mat_path = devkit / "cars_train_annos.mat"
            self._images_base_path = self._base_folder / "cars_train"
        else:
            self._annotations_mat_path = self._base_folder / "cars_test_annos_withlabels.mat"
            self._images_base_path = self._base_folder / "cars_test"
        if download:
            self.download()
        if not self._check_exists():
            raise not_found([devkit, self._annotations_mat_path, self._images_base_path],
                            hint="")
        annotations = loadmat(self._annotations_mat_path, "StanfordCars", RuntimeError,
                              squeeze_me=True)["annotations"]
        # classes are numbered from 1 in the files
        self._samples = [(str(self._images_base_path / a["fname"]), a["class"] - 1)
                         for a in np.atleast_1d(annotations)]
        meta = loadmat(devkit / "cars_meta.mat", "StanfordCars", RuntimeError, squeeze_me=True)
        self.classes = np.atleast_1d(meta["class_names"]).tolist()
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.loader = loader

    def _check_exists(self) -> bool:
        return ((self._base_folder / "devkit").is_dir() and self._annotations_mat_path.exists()
                and self._images_base_path.is_dir())

    def download(self) -> None:
        raise ValueError("The original URL is broken so the StanfordCars dataset cannot be "
                         "downloaded anymore.")


class FGVCAircraft(LabeledImageFiles):
    """`FGVC Aircraft <https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/>`_: 10,000 images.

    Args:
        root: folder holding ``fgvc-aircraft-2013b``.
        split: ``"train"``, ``"val"``, ``"trainval"`` or ``"test"``.
        annotation_level: ``"variant"`` (100 classes), ``"family"`` (70) or
            ``"manufacturer"`` (30).
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless the folder is there.
        loader: reads an image from its path.
    """

    _URL = ("https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/archives/"
            "fgvc-aircraft-2013b.tar.gz")
    _LEVEL_FILES = {"variant": "variants.txt", "family": "families.txt",
                    "manufacturer": "manufacturers.txt"}

    def __init__(self, root: str | os.PathLike, split: str = "trainval",
                 annotation_level: str = "variant", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "trainval", "test"))
        self._annotation_level = verify_str_arg(annotation_level, "annotation_level",
                                                tuple(self._LEVEL_FILES))
        self._data_path = os.path.join(self.root, "fgvc-aircraft-2013b")
        if download:
            self._download()
        if not self._check_exists():
            raise not_found(self._data_path)
        data = os.path.join(self._data_path, "data")
        self.classes = [line.strip() for line in read_lines(
            os.path.join(data, self._LEVEL_FILES[self._annotation_level]))]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self._image_files: list[str] = []
        self._labels: list[int] = []
        labels = os.path.join(data, f"images_{self._annotation_level}_{self._split}.txt")
        for line in read_lines(labels):
            name, label = line.strip().split(" ", 1)  # class names contain spaces
            self._image_files.append(os.path.join(data, "images", f"{name}.jpg"))
            self._labels.append(self.class_to_idx[label])
        self.loader = loader

    def _check_exists(self) -> bool:
        return os.path.isdir(self._data_path)

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("FGVCAircraft", self._URL, self.root, expect=self._data_path)


class Food101(LabeledImageFiles):
    """`Food-101 <https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/>`_: 101 dishes.

    ``root/food-101/meta/{train,test}.json`` map each class to its image ids;
    images are ``root/food-101/images/<class>/<id>.jpg``.

    Args:
        root: folder holding ``food-101``.
        split: ``"train"`` or ``"test"``.
        transform: applied to the loaded image.
        target_transform: applied to the int target.
        download: fetch and unpack the archive unless the folders are there.
        loader: reads an image from its path.
    """

    _URL = "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz"
    _MD5 = "85eeb15f3717b99a5da872d97d918f87"

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = pathlib.Path(self.root) / "food-101"
        self._meta_folder = self._base_folder / "meta"
        self._images_folder = self._base_folder / "images"
        if download:
            self._download()
        if not self._check_exists():
            raise not_found([self._meta_folder, self._images_folder])
        with open(self._meta_folder / f"{split}.json") as f:
            metadata = json.load(f)
        self.classes = sorted(metadata)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self._labels: list[int] = []
        self._image_files: list[pathlib.Path] = []
        for name, ids in metadata.items():
            self._labels += [self.class_to_idx[name]] * len(ids)
            self._image_files += [self._images_folder.joinpath(*f"{i}.jpg".split("/"))
                                  for i in ids]
        self.loader = loader

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _check_exists(self) -> bool:
        return self._meta_folder.is_dir() and self._images_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        fetch_archive("Food101", self._URL, self.root, md5=self._MD5, expect=self._base_folder)
