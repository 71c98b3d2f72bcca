"""ImageNet 2012 classification, prepared from the official archives.

The archives (``ILSVRC2012_devkit_t12.tar.gz`` and ``ILSVRC2012_img_train.tar`` or
``ILSVRC2012_img_val.tar``) cannot be downloaded automatically: they are placed in
``root`` by hand. On first use the devkit's ``data/meta.mat`` (read with SciPy) and
validation ground truth are turned into ``root/meta.bin``, the same PyTorch-format file
torchvision caches (``(wnid_to_classes, val_wnids)``, written with ``ember.save``), and
the image archives are unpacked into ``root/train/<wnid>/`` and ``root/val/<wnid>/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any

from .folder import ImageFolder
from .utils import check_integrity, extract_archive, verify_str_arg

__all__ = ["ImageNet", "load_meta_file", "parse_devkit_archive", "parse_train_archive",
           "parse_val_archive", "ARCHIVE_META", "META_FILE"]

ARCHIVE_META = {
    "train": ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e"),
    "val": ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622"),
    "devkit": ("ILSVRC2012_devkit_t12.tar.gz", "fa75699e90414af021442c21a62c3abf"),
}
META_FILE = "meta.bin"
_DOWNLOAD_PAGE = "https://image-net.org/challenges/LSVRC/2012/2012-downloads.php"


class ImageNet(ImageFolder):
    """`ImageNet <https://image-net.org/>`_ 2012 classification (1000 classes).

    Args:
        root: folder holding the archives (or the prepared ``train``/``val`` folders and
            ``meta.bin``).
        split: ``"train"`` or ``"val"``.
        **kwargs: passed to :class:`ImageFolder` (``transform``, ``target_transform``,
            ``loader``, ``is_valid_file``, ``allow_empty``).

    Attributes: ``classes`` (a tuple of names per class), ``class_to_idx`` (each name to
    its class index), ``wnids``, ``wnid_to_idx``, ``imgs``/``samples`` and ``targets``.
    """

    def __init__(self, root: str | os.PathLike, split: str = "train", **kwargs: Any) -> None:
        root = self.root = os.path.expanduser(root)
        self.split = verify_str_arg(split, "split", ("train", "val"))
        self.parse_archives()
        wnid_to_classes = load_meta_file(self.root)[0]
        super().__init__(self.split_folder, **kwargs)
        self.root = root
        self.wnids = self.classes
        self.wnid_to_idx = self.class_to_idx
        self.classes = [wnid_to_classes[wnid] for wnid in self.wnids]
        # every synonym of a class names it
        self.class_to_idx = {name: idx for idx, names in enumerate(self.classes)
                             for name in names}

    def parse_archives(self) -> None:
        """Build ``meta.bin`` and unpack the split's archive unless already done."""
        if not check_integrity(os.path.join(self.root, META_FILE)):
            parse_devkit_archive(self.root)
        if not os.path.isdir(self.split_folder):
            if self.split == "train":
                parse_train_archive(self.root)
            else:
                parse_val_archive(self.root)

    @property
    def split_folder(self) -> str:
        return os.path.join(self.root, self.split)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


def load_meta_file(root: str | os.PathLike,
                   file: str | None = None) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """``(wnid_to_classes, val_wnids)`` from ``root/meta.bin`` (PyTorch's format)."""
    import ember

    path = os.path.join(root, META_FILE if file is None else file)
    if not check_integrity(path):
        raise RuntimeError(f"The meta file {path} is not present in the root directory or is "
                           "corrupted. This file is automatically created by the ImageNet "
                           "dataset.")
    return ember.load(path, weights_only=True)


def _verify_archive(root: str | os.PathLike, file: str, md5: str) -> None:
    path = os.path.join(root, file)
    if not check_integrity(path, md5):
        raise RuntimeError(f"The archive {file} is not present in the root directory or is "
                           f"corrupted (expected {path} with md5 {md5}). You need to download "
                           f"it externally ({_DOWNLOAD_PAGE}) and place it in {root}.")


def _loadmat(path: str) -> Any:
    try:
        import scipy.io as sio
    except ImportError as e:
        raise ImportError("ImageNet reads the devkit's meta.mat with scipy.io, and SciPy is "
                          "not installed: pip install scipy") from e
    try:
        return sio.loadmat(path, squeeze_me=True)
    except Exception as e:  # scipy raises ValueError/TypeError/... on damaged files
        raise RuntimeError(f"{path}: not a readable .mat file ({type(e).__name__}: {e})") from e


def _parse_meta_mat(devkit_root: str) -> tuple[dict[int, str], dict[str, tuple[str, ...]]]:
    """The leaf synsets of ``meta.mat`` (those without children): the 1000 classes."""
    path = os.path.join(devkit_root, "data", "meta.mat")
    mat = _loadmat(path)
    if "synsets" not in mat:
        raise RuntimeError(f"{path}: expected the variable 'synsets'")
    idx_to_wnid: dict[int, str] = {}
    wnid_to_classes: dict[str, tuple[str, ...]] = {}
    for row in mat["synsets"]:
        # fields: ILSVRC2012_ID, WNID, words, gloss, num_children, children, ...
        if int(row[4]) != 0:
            continue
        wnid = str(row[1])
        idx_to_wnid[int(row[0])] = wnid
        wnid_to_classes[wnid] = tuple(str(row[2]).split(", "))
    return idx_to_wnid, wnid_to_classes


def parse_devkit_archive(root: str | os.PathLike, file: str | None = None) -> None:
    """Read the devkit archive's class names and validation labels into ``root/meta.bin``."""
    import ember

    name, md5 = ARCHIVE_META["devkit"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    tmp_dir = tempfile.mkdtemp()
    try:
        extract_archive(os.path.join(root, file), tmp_dir)
        devkit_root = os.path.join(tmp_dir, "ILSVRC2012_devkit_t12")
        idx_to_wnid, wnid_to_classes = _parse_meta_mat(devkit_root)
        truth = os.path.join(devkit_root, "data", "ILSVRC2012_validation_ground_truth.txt")
        with open(truth) as fh:
            val_wnids = [idx_to_wnid[int(line)] for line in fh.readlines()]
    finally:
        shutil.rmtree(tmp_dir)
    ember.save((wnid_to_classes, val_wnids), os.path.join(root, META_FILE))


def parse_train_archive(root: str | os.PathLike, file: str | None = None,
                        folder: str = "train") -> None:
    """Unpack the train archive into ``root/folder``, then each class's inner tar into
    ``root/folder/<wnid>/``."""
    name, md5 = ARCHIVE_META["train"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    train_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), train_root)
    for archive in [os.path.join(train_root, a) for a in os.listdir(train_root)]:
        extract_archive(archive, os.path.splitext(archive)[0], remove_finished=True)


def parse_val_archive(root: str | os.PathLike, file: str | None = None,
                      wnids: Sequence[str] | None = None, folder: str = "val") -> None:
    """Unpack the validation archive into ``root/folder`` and move each image (in sorted
    file order) into the folder of its class (``wnids``, by default from ``meta.bin``)."""
    name, md5 = ARCHIVE_META["val"]
    file = name if file is None else file
    if wnids is None:
        wnids = load_meta_file(root)[1]
    _verify_archive(root, file, md5)
    val_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), val_root)
    images = sorted(os.path.join(val_root, image) for image in os.listdir(val_root))
    for wnid in set(wnids):
        os.mkdir(os.path.join(val_root, wnid))
    for wnid, img_file in zip(wnids, images):
        shutil.move(img_file, os.path.join(val_root, wnid, os.path.basename(img_file)))
