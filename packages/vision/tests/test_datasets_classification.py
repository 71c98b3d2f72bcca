"""Classification datasets (Caltech, DTD, Flowers102, STL10, PCAM, PhotoTour, ...) read tiny
trees written in the real on-disk formats, compared with torchvision reading the same files:
lengths, items (pixel-equal images, targets and their types), class attributes, transforms;
and the errors for missing or corrupt files, which name them."""

from __future__ import annotations

import bz2
import csv
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import guard_network, torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
from ember.vision import datasets as ed  # noqa: E402
from ember.vision.datasets.utils import DownloadError  # noqa: E402


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)


@pytest.fixture
def tvd() -> Any:
    return torchvision_or_skip().datasets


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


_RNG = np.random.default_rng(0)


def _image(path: Path, size: tuple[int, int] = (6, 5), gray: bool = False) -> None:
    """A random image at ``path`` in the format its suffix names."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (size[1], size[0]) if gray else (size[1], size[0], 3)
    Image.fromarray(_RNG.integers(0, 256, shape, dtype=np.uint8)).save(path)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _same_value(a: Any, b: Any) -> None:
    from PIL import Image

    if isinstance(b, Image.Image):
        assert isinstance(a, Image.Image) and (a.mode, a.size) == (b.mode, b.size)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    elif hasattr(b, "detach"):  # a torch tensor: an ember tensor of the same dtype and values
        assert isinstance(a, ember.Tensor)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same_value(x, y)
    else:
        assert type(a) is type(b) and a == b


def _same(ours: Any, theirs: Any, attrs: tuple[str, ...] = ()) -> None:
    assert len(ours) == len(theirs) > 0
    for i in range(len(ours)):
        _same_value(ours[i], theirs[i])
    for name in attrs:
        _same_value(getattr(ours, name), getattr(theirs, name))


def _both(ed_cls: Any, tv_cls: Any, *args: Any, attrs: tuple[str, ...] = (), **kwargs: Any
          ) -> tuple[Any, Any]:
    ours, theirs = ed_cls(*args, **kwargs), tv_cls(*args, **kwargs)
    _same(ours, theirs, attrs)
    return ours, theirs


def _flip(img: Any) -> Any:
    from PIL import ImageOps

    return ImageOps.mirror(img)


def _plus(k: int) -> Any:
    return lambda t: (t, k)


CLASS_ATTRS = ("classes", "class_to_idx")


# --------------------------------------------------------------------------- Caltech

def _caltech101(root: Path) -> None:
    sio = pytest.importorskip("scipy.io")
    base = root / "caltech101"
    counts = {"BACKGROUND_Google": 1, "Faces": 2, "accordion": 3}
    for cat, n in counts.items():
        for k in range(1, n + 1):
            _image(base / "101_ObjectCategories" / cat / f"image_{k:04d}.jpg", gray=k == 2)
            ann = {"Faces": "Faces_2"}.get(cat, cat)
            contour = _RNG.normal(size=(2, 4 + k))
            path = base / "Annotations" / ann / f"annotation_{k:04d}.mat"
            path.parent.mkdir(parents=True, exist_ok=True)
            sio.savemat(path, {"obj_contour": contour, "box_coord": np.array([[1, 2, 3, 4]])})


@pytest.mark.parametrize("target_type", ["category", "annotation", ["annotation", "category"]])
def test_caltech101(tvd: Any, tmp_path: Path, target_type: Any) -> None:
    _caltech101(tmp_path)
    ours, theirs = _both(ed.Caltech101, tvd.Caltech101, tmp_path, target_type=target_type,
                         transform=_flip, target_transform=_plus(1),
                         attrs=("categories", "annotation_categories", "index", "y"))
    assert ours.categories == ["Faces", "accordion"] and len(ours) == 5
    assert repr(ours) == repr(theirs)


def test_caltech256(tvd: Any, tmp_path: Path) -> None:
    for cat, n in {"001.ak47": 2, "002.bat": 3, "003.backpack": 1}.items():
        for k in range(1, n + 1):
            _image(tmp_path / "caltech256" / "256_ObjectCategories" / cat
                   / f"{cat[:3]}_{k:04d}.jpg", gray=k == 3)
        _write(tmp_path / "caltech256" / "256_ObjectCategories" / cat / "notes.txt", "x")
    _both(ed.Caltech256, tvd.Caltech256, tmp_path, transform=_flip,
          attrs=("categories", "index", "y"))


# --------------------------------------------------------------------------- file lists

def _dtd(root: Path) -> None:
    data = root / "dtd" / "dtd"
    names = {"banded": ["banded_0001.jpg", "banded_0002.jpg"], "zigzag": ["zigzag_0001.jpg"],
             "dotted": ["dotted_0003.jpg"]}
    for cls, files in names.items():
        for f in files:
            _image(data / "images" / cls / f)
    _write(data / "labels" / "train1.txt", "zigzag/zigzag_0001.jpg\nbanded/banded_0002.jpg\n")
    _write(data / "labels" / "test3.txt", "dotted/dotted_0003.jpg\nbanded/banded_0001.jpg\n"
                                          "zigzag/zigzag_0001.jpg\n")


@pytest.mark.parametrize("split,partition", [("train", 1), ("test", 3)])
def test_dtd(tvd: Any, tmp_path: Path, split: str, partition: int) -> None:
    _dtd(tmp_path)
    ours, theirs = _both(ed.DTD, tvd.DTD, tmp_path, split=split, partition=partition,
                         transform=_flip, target_transform=_plus(2), attrs=CLASS_ATTRS)
    assert repr(ours) == repr(theirs)


def test_food101(tvd: Any, tmp_path: Path) -> None:
    base = tmp_path / "food-101"
    meta = {"waffles": ["waffles/11", "waffles/7"], "apple_pie": ["apple_pie/3"]}
    for ids in meta.values():
        for i in ids:
            _image(base / "images" / f"{i}.jpg")
    _write(base / "meta" / "train.json", json.dumps(meta))
    _write(base / "meta" / "test.json", json.dumps({"apple_pie": ["apple_pie/3"]}))
    for split in ("train", "test"):
        _both(ed.Food101, tvd.Food101, tmp_path, split=split, transform=_flip, attrs=CLASS_ATTRS)


def test_flowers102(tvd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sio = pytest.importorskip("scipy.io")
    base = tmp_path / "flowers-102"
    for i in range(1, 7):
        _image(base / "jpg" / f"image_{i:05d}.jpg")
    base.mkdir(exist_ok=True)
    sio.savemat(base / "imagelabels.mat", {"labels": np.array([[3, 1, 102, 2, 1, 5]])})
    sio.savemat(base / "setid.mat", {"trnid": np.array([[2, 5, 1]]), "valid": np.array([[6, 1]]),
                                     "tstid": np.array([[4, 3]])})
    for cls in (ed.Flowers102, tvd.Flowers102):
        files = dict(cls._file_dict)
        files["label"] = ("imagelabels.mat", _md5(base / "imagelabels.mat"))
        files["setid"] = ("setid.mat", _md5(base / "setid.mat"))
        monkeypatch.setattr(cls, "_file_dict", files)
    for split in ("train", "val", "test"):
        ours, theirs = _both(ed.Flowers102, tvd.Flowers102, tmp_path, split=split,
                             target_transform=_plus(0), attrs=CLASS_ATTRS[:1])
        assert ours._labels == theirs._labels
    assert len(ed.Flowers102.classes) == 102
    # a label file that fails its md5 check is named
    (base / "setid.mat").write_bytes(b"changed")
    with pytest.raises(RuntimeError, match=r"Dataset not found or corrupted.*setid\.mat"):
        ed.Flowers102(tmp_path)


def _pets(root: Path) -> None:
    base = root / "oxford-iiit-pet"
    rows = [("Abyssinian_1", 1, 1), ("great_pyrenees_12", 2, 2), ("Abyssinian_7", 1, 1),
            ("Bengal_3", 3, 1)]
    for image_id, _, _ in rows:
        _image(base / "images" / f"{image_id}.jpg")
        _image(base / "annotations" / "trimaps" / f"{image_id}.png", gray=True)
    lines = "".join(f"{i} {c} {b} 1\n" for i, c, b in rows)
    _write(base / "annotations" / "trainval.txt", lines)
    _write(base / "annotations" / "test.txt", "".join(lines.splitlines(keepends=True)[:2]))


@pytest.mark.parametrize("target_types", ["category", "binary-category", "segmentation",
                                          ["segmentation", "category", "binary-category"], []])
def test_oxford_pets(tvd: Any, tmp_path: Path, target_types: Any) -> None:
    _pets(tmp_path)
    _both(ed.OxfordIIITPet, tvd.OxfordIIITPet, tmp_path, target_types=target_types,
          transform=_flip, attrs=CLASS_ATTRS + ("bin_classes", "bin_class_to_idx"))


def test_oxford_pets_joint_transforms(tvd: Any, tmp_path: Path) -> None:
    _pets(tmp_path)

    def joint(img: Any, target: Any) -> Any:
        return _flip(img), (target, img.size)

    _both(ed.OxfordIIITPet, tvd.OxfordIIITPet, tmp_path, split="test", transforms=joint)


def test_stanford_cars(tvd: Any, tmp_path: Path) -> None:
    sio = pytest.importorskip("scipy.io")
    base = tmp_path / "stanford_cars"
    (base / "devkit").mkdir(parents=True)
    names = np.empty((1, 3), dtype=object)
    names[0] = ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Audi R8 Coupe 2012"]
    sio.savemat(base / "devkit" / "cars_meta.mat", {"class_names": names})
    for split, where, rows in [
            ("train", base / "devkit" / "cars_train_annos.mat", [("a.jpg", 3), ("b.jpg", 1)]),
            ("test", base / "cars_test_annos_withlabels.mat", [("c.jpg", 2), ("d.jpg", 2)])]:
        ann = np.zeros((1, len(rows)), dtype=[("fname", "O"), ("class", "O")])
        for k, (fname, cls) in enumerate(rows):
            ann[0, k]["fname"] = fname
            ann[0, k]["class"] = np.array([[cls]], dtype=np.uint8)
            _image(base / f"cars_{split}" / fname)
        sio.savemat(where, {"annotations": ann})
        _both(ed.StanfordCars, tvd.StanfordCars, tmp_path, split=split, transform=_flip,
              attrs=CLASS_ATTRS)
    with pytest.raises(ValueError, match="cannot be downloaded"):
        ed.StanfordCars(tmp_path, download=True)


def test_sun397(tvd: Any, tmp_path: Path) -> None:
    base = tmp_path / "SUN397"
    _write(base / "ClassName.txt", "/a/abbey\n/b/bedroom/indoor\n/b/beach\n")
    for rel in ["a/abbey/sun_aa.jpg", "b/bedroom/indoor/sun_x.jpg", "b/beach/sun_q.jpg",
                "b/beach/sun_b.jpg", "a/abbey/sun_c.jpg"]:
        _image(base / rel)
    _image(base / "a" / "abbey" / "other.jpg")  # not sun_*.jpg: skipped
    _both(ed.SUN397, tvd.SUN397, tmp_path, transform=_flip, attrs=CLASS_ATTRS)


def _class_tree(folder: Path, classes: dict[str, int], ext: str = "jpg") -> None:
    for cls, n in classes.items():
        for k in range(n):
            _image(folder / cls / f"img_{k}.{ext}")


def test_eurosat(tvd: Any, tmp_path: Path) -> None:
    _class_tree(tmp_path / "eurosat" / "2750", {"River": 2, "Forest": 1, "SeaLake": 2})
    ours, theirs = _both(ed.EuroSAT, tvd.EuroSAT, str(tmp_path), transform=_flip,
                         attrs=CLASS_ATTRS + ("root", "targets"))
    assert ours.root == str(tmp_path)


@pytest.mark.parametrize("split", ["train", "valid"])
def test_country211(tvd: Any, tmp_path: Path, split: str) -> None:
    _class_tree(tmp_path / "country211" / split, {"AD": 2, "AE": 1, "ZW": 1})
    _both(ed.Country211, tvd.Country211, tmp_path, split=split,
          attrs=CLASS_ATTRS + ("root", "targets"))


@pytest.mark.parametrize("split", ["train", "val"])
def test_rendered_sst2(tvd: Any, tmp_path: Path, split: str) -> None:
    folder = {"train": "train", "val": "valid"}[split]
    _class_tree(tmp_path / "rendered-sst2" / folder, {"negative": 2, "positive": 3}, "png")
    ours, theirs = _both(ed.RenderedSST2, tvd.RenderedSST2, tmp_path, split=split,
                         target_transform=_plus(5), attrs=CLASS_ATTRS)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("size,folder", [("full", "imagenette2"), ("160px", "imagenette2-160")])
def test_imagenette(tvd: Any, tmp_path: Path, size: str, folder: str) -> None:
    _class_tree(tmp_path / folder / "val", {"n03888257": 2, "n01440764": 1, "n03425413": 1},
                "JPEG")
    _both(ed.Imagenette, tvd.Imagenette, tmp_path, split="val", size=size, transform=_flip,
          attrs=CLASS_ATTRS + ("wnids", "wnid_to_idx"))


@pytest.mark.parametrize("level", ["variant", "family", "manufacturer"])
def test_fgvc_aircraft(tvd: Any, tmp_path: Path, level: str) -> None:
    data = tmp_path / "fgvc-aircraft-2013b" / "data"
    classes = {"variant": ["737-700", "A320", "DC-3"], "family": ["Boeing 737", "A320", "DC-3"],
               "manufacturer": ["Boeing", "Airbus", "Douglas Aircraft Company"]}[level]
    listing = {"variant": "variants", "family": "families"}.get(level, "manufacturers")
    _write(data / f"{listing}.txt", "".join(c + "\n" for c in classes))
    rows = [("0034309", classes[2]), ("1514522", classes[0]), ("0062765", classes[0])]
    for image, _ in rows:
        _image(data / "images" / f"{image}.jpg")
    _write(data / f"images_{level}_test.txt", "".join(f"{i} {c}\n" for i, c in rows))
    _both(ed.FGVCAircraft, tvd.FGVCAircraft, tmp_path, split="test", annotation_level=level,
          transform=_flip, attrs=CLASS_ATTRS)


def test_clevr(tvd: Any, tmp_path: Path) -> None:
    data = tmp_path / "clevr" / "CLEVR_v1.0"
    scenes = []
    for k, n in enumerate([3, 1, 6]):
        name = f"CLEVR_val_{k:06d}.png"
        _image(data / "images" / "val" / name)
        scenes.append({"image_filename": name, "objects": [{"shape": "cube"}] * n})
    _write(data / "scenes" / "CLEVR_val_scenes.json", json.dumps({"scenes": scenes[::-1]}))
    _image(data / "images" / "test" / "CLEVR_test_000000.png")
    for split in ("val", "test"):
        ours, theirs = _both(ed.CLEVRClassification, tvd.CLEVRClassification, tmp_path,
                             split=split, transform=_flip)
        assert repr(ours) == repr(theirs)


def test_gtsrb(tvd: Any, tmp_path: Path) -> None:
    base = tmp_path / "gtsrb"
    _class_tree(base / "GTSRB" / "Training", {"00000": 2, "00002": 1, "00001": 1}, "ppm")
    _write(base / "GTSRB" / "Training" / "00000" / "GT-00000.csv", "Filename;ClassId\n")
    for k in range(3):
        _image(base / "GTSRB" / "Final_Test" / "Images" / f"{k:05d}.ppm")
    with open(base / "GT-final_test.csv", "w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2",
                    "ClassId"])
        for k, cls in enumerate([17, 3, 42]):
            w.writerow([f"{k:05d}.ppm", 6, 5, 1, 1, 4, 4, cls])
    for split in ("train", "test"):
        _both(ed.GTSRB, tvd.GTSRB, tmp_path, split=split, transform=_flip)


# --------------------------------------------------------------------------- packed arrays

def _stl10(root: Path, monkeypatch: pytest.MonkeyPatch, tvd: Any) -> None:
    base = root / "stl10_binary"
    base.mkdir(parents=True)
    sizes = {"train": 4, "test": 3, "unlabeled": 2}
    for split, n in sizes.items():
        (base / f"{split}_X.bin").write_bytes(
            _RNG.integers(0, 256, n * 3 * 96 * 96, dtype=np.uint8).tobytes())
        if split != "unlabeled":
            (base / f"{split}_y.bin").write_bytes(
                _RNG.integers(1, 11, n, dtype=np.uint8).tobytes())
    _write(base / "fold_indices.txt", "3 0\n1 2 3\n")
    _write(base / "class_names.txt", "airplane\nbird\ncar\n")
    for cls in (ed.STL10, tvd.STL10):
        monkeypatch.setattr(cls, "train_list", [[n, _md5(base / n)] for n, _ in cls.train_list])
        monkeypatch.setattr(cls, "test_list", [[n, _md5(base / n)] for n, _ in cls.test_list])


@pytest.mark.parametrize("split,folds", [("train", None), ("train", 1), ("test", None),
                                         ("unlabeled", None), ("train+unlabeled", 0)])
def test_stl10(tvd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: str,
               folds: Any) -> None:
    _stl10(tmp_path, monkeypatch, tvd)
    ours, theirs = _both(ed.STL10, tvd.STL10, tmp_path, split=split, folds=folds,
                         transform=_flip, attrs=("data", "labels", "classes"))
    assert repr(ours) == repr(theirs)


def test_stl10_errors(tvd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stl10(tmp_path, monkeypatch, tvd)
    for bad in (10, -1, "1", 1.0):
        with pytest.raises(ValueError) as ours:
            ed.STL10(tmp_path, folds=bad)
        with pytest.raises(ValueError) as theirs:
            tvd.STL10(tmp_path, folds=bad)
        assert str(ours.value) == str(theirs.value)
    (tmp_path / "stl10_binary" / "test_y.bin").write_bytes(b"\x01")
    with pytest.raises(RuntimeError, match=r"Dataset not found or corrupted.*test_y\.bin"):
        ed.STL10(tmp_path)


def test_usps(tvd: Any, tmp_path: Path) -> None:
    for name, n in (("usps.bz2", 3), ("usps.t.bz2", 2)):
        lines = []
        for _ in range(n):
            values = _RNG.uniform(-1, 1, 256).astype(np.float32)
            pairs = " ".join(f"{k + 1}:{v:.6f}" for k, v in enumerate(values))
            lines.append(f"{_RNG.integers(1, 11)} {pairs}\n")
        (tmp_path / name).write_bytes(bz2.compress("".join(lines).encode()))
    for train in (True, False):
        ours, theirs = _both(ed.USPS, tvd.USPS, tmp_path, train=train, transform=_flip,
                             attrs=("data", "targets"))
    with pytest.raises(FileNotFoundError, match="usps.bz2"):
        ed.USPS(tmp_path / "empty")


def test_semeion(tvd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    for k in range(4):
        pixels = _RNG.integers(0, 2, 256).astype(float)
        onehot = np.eye(10)[(3 * k + 1) % 10]
        rows.append(" ".join(f"{v:.4f}" for v in np.concatenate([pixels, onehot])) + " \n")
    path = _write(tmp_path / "semeion.data", "".join(rows))
    for cls in (ed.SEMEION, tvd.SEMEION):
        monkeypatch.setattr(cls, "md5_checksum", _md5(path))
    _both(ed.SEMEION, tvd.SEMEION, tmp_path, transform=_flip, target_transform=_plus(1),
          attrs=("data", "labels"))


def _fer_rows(n: int) -> list[tuple[int, str, str]]:
    usages = ["Training", "PublicTest", "Training", "PrivateTest", "Training"]
    return [(int(_RNG.integers(0, 7)), usages[k % 5],
             " ".join(str(v) for v in _RNG.integers(0, 256, 48 * 48))) for k in range(n)]


@pytest.mark.parametrize("layout", ["split", "fer", "icml"])
def test_fer2013(tvd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    base = tmp_path / "fer2013"
    base.mkdir()
    rows = _fer_rows(6)
    if layout == "split":
        _write(base / "train.csv", "emotion,pixels\n" + "".join(f'{e},"{p}"\n' for e, _, p in rows))
        _write(base / "test.csv", "pixels\n" + "".join(f'"{p}"\n' for _, _, p in rows[:2]))
    elif layout == "fer":
        _write(base / "fer2013.csv", "emotion,pixels,Usage\n"
               + "".join(f'{e},"{p}",{u}\n' for e, u, p in rows))
    else:
        _write(base / "icml_face_data.csv", "emotion, Usage, pixels\n"
               + "".join(f'{e},{u},"{p}"\n' for e, u, p in rows))
    for cls in (ed.FER2013, tvd.FER2013):
        res = {k: (name, _md5(base / name) if (base / name).exists() else md5)
               for k, (name, md5) in cls._RESOURCES.items()}
        monkeypatch.setattr(cls, "_RESOURCES", res)
    for split in ("train", "test"):
        ours, theirs = _both(ed.FER2013, tvd.FER2013, tmp_path, split=split, transform=_flip,
                             target_transform=lambda t: (t,))
        assert repr(ours) == repr(theirs)


def test_fer2013_missing_file(tvd: Any, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as ours:
        ed.FER2013(tmp_path, split="test")
    with pytest.raises(RuntimeError) as theirs:
        tvd.FER2013(tmp_path, split="test")
    assert str(ours.value) == str(theirs.value) and "test.csv" in str(ours.value)


@pytest.mark.parametrize("split,ratio", [(None, 10), ("train", 3), ("test", 3), ("test", 19)])
def test_moving_mnist(tvd: Any, tmp_path: Path, split: Any, ratio: int) -> None:
    (tmp_path / "MovingMNIST").mkdir()
    np.save(tmp_path / "MovingMNIST" / "mnist_test_seq.npy",
            _RNG.integers(0, 256, (20, 3, 8, 8), dtype=np.uint8))
    _both(ed.MovingMNIST, tvd.MovingMNIST, tmp_path, split=split, split_ratio=ratio,
          transform=lambda v: v[1:], attrs=("data",))


def test_moving_mnist_arguments(tvd: Any, tmp_path: Path) -> None:
    for kwargs, exc in [({"split_ratio": 20}, ValueError), ({"split_ratio": 0}, ValueError),
                        ({"split_ratio": 2.0}, TypeError), ({"split": "val"}, ValueError)]:
        with pytest.raises(exc) as ours:
            ed.MovingMNIST(tmp_path, **kwargs)
        with pytest.raises(exc) as theirs:
            tvd.MovingMNIST(tmp_path, **kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match=r"Dataset not found.*mnist_test_seq\.npy"):
        ed.MovingMNIST(tmp_path)


def test_pcam(tvd: Any, tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    base = tmp_path / "pcam"
    base.mkdir()
    with h5py.File(base / "camelyonpatch_level_2_split_valid_x.h5", "w") as f:
        f["x"] = _RNG.integers(0, 256, (3, 9, 7, 3), dtype=np.uint8)
    with h5py.File(base / "camelyonpatch_level_2_split_valid_y.h5", "w") as f:
        f["y"] = np.array([1, 0, 1], dtype=np.uint8).reshape(3, 1, 1, 1)
    _both(ed.PCAM, tvd.PCAM, tmp_path, split="val", transform=_flip)


def test_pcam_needs_h5py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(RuntimeError, match="h5py is not found"):
        ed.PCAM(tmp_path)


# --------------------------------------------------------------------------- PhotoTour

def _phototour(root: Path) -> None:
    from PIL import Image

    data = root / "notredame"
    data.mkdir(parents=True)
    # two sheets: 2x3 patches and a partial 1x1 sheet padded by the crop past its edge
    Image.fromarray(_RNG.integers(0, 256, (128, 192), dtype=np.uint8)).save(data / "patch0000.bmp")
    Image.fromarray(_RNG.integers(0, 256, (64, 40), dtype=np.uint8)).save(data / "patch0001.bmp")
    _write(data / "info.txt", "".join(f"{k // 2} 0\n" for k in range(7)))
    _write(data / "m50_100000_100000_0.txt",
           "0 0 0 1 0 0\n2 1 0 6 3 0\n4 2 0 5 2 0\n")


@pytest.mark.parametrize("train", [True, False])
def test_phototour(tvd: Any, tmp_path: Path, train: bool) -> None:
    _phototour(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    def flip(t: Any) -> Any:
        return t.flip(0)

    ours = ed.PhotoTour(tmp_path / "a", "notredame", train=train, transform=flip)
    theirs = tvd.PhotoTour(tmp_path / "b", "notredame", train=train, transform=flip)
    _same(ours, theirs, ("data", "labels", "matches", "mean", "std"))
    assert repr(ours).replace("/a", "/b") == repr(theirs)
    # each reads the other's cache
    _same(ed.PhotoTour(tmp_path / "b", "notredame", train=train),
          tvd.PhotoTour(tmp_path / "a", "notredame", train=train))


def test_phototour_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="notredame"):
        ed.PhotoTour(tmp_path, "notredame")


# --------------------------------------------------------------------------- errors

_MISSING = [
    (lambda r: ed.Caltech101(r), "101_ObjectCategories"),
    (lambda r: ed.Caltech256(r), "256_ObjectCategories"),
    (lambda r: ed.DTD(r), "dtd"),
    (lambda r: ed.Food101(r), "food-101"),
    (lambda r: ed.EuroSAT(r), "2750"),
    (lambda r: ed.Country211(r), "country211"),
    (lambda r: ed.RenderedSST2(r), "rendered-sst2"),
    (lambda r: ed.Imagenette(r), "imagenette2"),
    (lambda r: ed.OxfordIIITPet(r), "oxford-iiit-pet"),
    (lambda r: ed.SUN397(r), "SUN397"),
    (lambda r: ed.FGVCAircraft(r), "fgvc-aircraft-2013b"),
    (lambda r: ed.CLEVRClassification(r), "CLEVR_v1.0"),
    (lambda r: ed.GTSRB(r), "Training"),
    (lambda r: ed.STL10(r), "train_X.bin"),
    (lambda r: ed.SEMEION(r, download=False), "semeion.data"),
]


@pytest.mark.parametrize("make,named", _MISSING, ids=[n for _, n in _MISSING])
def test_missing_dataset_is_named(tmp_path: Path, make: Any, named: str) -> None:
    with pytest.raises(RuntimeError, match=r"Dataset not found.*You can use download=True") as e:
        make(tmp_path)
    assert named in str(e.value)


_DOWNLOADS = [
    (lambda r: ed.Caltech101(r, download=True), "caltech-101.zip"),
    (lambda r: ed.DTD(r, download=True), "dtd-r1.0.1.tar.gz"),
    (lambda r: ed.Flowers102(r, download=True), "102flowers.tgz"),
    (lambda r: ed.Imagenette(r, size="320px", download=True), "imagenette2-320.tgz"),
    (lambda r: ed.OxfordIIITPet(r, download=True), "images.tar.gz"),
    (lambda r: ed.GTSRB(r, split="test", download=True), "GTSRB_Final_Test_Images.zip"),
    (lambda r: ed.STL10(r, download=True), "stl10_binary.tar.gz"),
    (lambda r: ed.USPS(r, download=True), "usps.bz2"),
    (lambda r: ed.SEMEION(r), "semeion.data"),
    (lambda r: ed.MovingMNIST(r, download=True), "mnist_test_seq.npy"),
    (lambda r: ed.PhotoTour(r, "liberty", download=True), "liberty.zip"),
    (lambda r: ed.CLEVRClassification(r, download=True), "CLEVR_v1.0.zip"),
]


@pytest.mark.parametrize("make,named", _DOWNLOADS, ids=[n for _, n in _DOWNLOADS])
def test_offline_download_says_where_to_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              make: Any, named: str) -> None:
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(DownloadError, match="place") as e:
        make(tmp_path)
    assert named in str(e.value) and str(tmp_path) in str(e.value)


@pytest.mark.parametrize("make", [
    lambda r: ed.DTD(r, split="valid"), lambda r: ed.DTD(r, partition=11),
    lambda r: ed.DTD(r, partition=0), lambda r: ed.Food101(r, split="val"),
    lambda r: ed.Imagenette(r, size="64px"), lambda r: ed.OxfordIIITPet(r, target_types="mask"),
    lambda r: ed.Caltech101(r, target_type="box"),
    lambda r: ed.FGVCAircraft(r, annotation_level="model"),
    lambda r: ed.Country211(r, split="val"), lambda r: ed.STL10(r, split="all"),
    lambda r: ed.FER2013(r, split="val"), lambda r: ed.GTSRB(r, split="val"),
])
def test_bad_arguments_raise_value_error(tmp_path: Path, make: Any) -> None:
    with pytest.raises(ValueError):
        make(tmp_path)


def test_optional_readers_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "flowers-102"
    _image(base / "jpg" / "image_00001.jpg")
    for name in ("imagelabels.mat", "setid.mat"):
        (base / name).write_bytes(b"not a mat file")
    files = dict(ed.Flowers102._file_dict)
    for key in ("label", "setid"):
        files[key] = (files[key][0], _md5(base / files[key][0]))
    monkeypatch.setattr(ed.Flowers102, "_file_dict", files)
    if pytest.importorskip("scipy.io"):
        with pytest.raises(RuntimeError, match=r"setid\.mat: not a readable \.mat file"):
            ed.Flowers102(tmp_path)
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match="scipy"):
        ed.Flowers102(tmp_path)
    with pytest.raises(RuntimeError, match="scipy"):
        ed.StanfordCars(tmp_path)


def test_google_drive_helper_is_in_utils() -> None:
    from ember.vision.datasets import utils

    assert callable(utils.download_file_from_google_drive)
    with pytest.raises(AttributeError):
        utils.no_such_helper  # noqa: B018
