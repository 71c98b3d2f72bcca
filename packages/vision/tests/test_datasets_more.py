"""Detection, segmentation, captioning and face datasets (ImageNet, VOC, COCO, Cityscapes,
SBD, Kitti, WIDERFace, CelebA, LFW, Places365, INaturalist, Omniglot, SBU, Flickr) and
``wrap_dataset_for_transforms_v2``: tiny datasets written in the real on-disk formats,
read by Ember and by torchvision, compared item by item; missing files raise errors
that name them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import types
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import guard_network, torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
import ember.vision  # noqa: E402
from ember.vision import datasets as ed  # noqa: E402
from ember.vision.datasets.utils import DownloadError  # noqa: E402

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)
    monkeypatch.setenv("EMBER_OFFLINE", "1")


@pytest.fixture
def tvd() -> Any:
    return torchvision_or_skip().datasets


# --------------------------------------------------------------------------- helpers

def _md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _rng_image(path: Path, size: tuple[int, int] = (7, 5), mode: str = "RGB",
               seed: int = 0) -> Path:
    """A random image of ``size`` (w, h) saved at ``path`` (format from the suffix)."""
    rng = np.random.default_rng(seed)
    w, h = size
    shape = {"RGB": (h, w, 3), "L": (h, w), "RGBA": (h, w, 4)}[mode]
    path.parent.mkdir(parents=True, exist_ok=True)
    img = PIL.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)
    img.save(path, quality=95) if path.suffix.lower() in (".jpg", ".jpeg") else img.save(path)
    return path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _same(ours: Any, theirs: Any, where: str = "sample") -> None:
    """Structure, types and values equal: PIL images pixel-equal, tensors equal in dtype,
    shape and values, tv_tensors of the same kind (and box format/canvas)."""
    if isinstance(theirs, PIL.Image):
        assert isinstance(ours, PIL.Image), where
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size), where
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=where)
    elif type(theirs).__module__.startswith("torch"):  # a tensor or a tv_tensor
        assert type(ours).__name__ == type(theirs).__name__, where
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], where
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy(), err_msg=where)
        if type(theirs).__name__ == "BoundingBoxes":
            assert ours.format.name == theirs.format.name, where
            assert tuple(ours.canvas_size) == tuple(theirs.canvas_size), where
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype, where
        np.testing.assert_array_equal(ours, theirs, err_msg=where)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), where
        for key in theirs:
            _same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, (where, ours, theirs)


def _same_dataset(ours: Any, theirs: Any, attrs: tuple[str, ...] = ()) -> None:
    assert len(ours) == len(theirs)
    for name in attrs:
        _same(getattr(ours, name), getattr(theirs, name), name)
    for i in range(len(theirs)):
        _same(ours[i], theirs[i], f"item {i}")


def _tar(path: Path, members: dict[str, bytes], mode: str = "w") -> Path:
    """A tar archive (gzipped for ``"w:gz"``) whose bytes depend only on ``members``: the
    gzip header's time is fixed, so two writes give the same md5 in any second."""
    import gzip

    path.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    if mode == "w:gz":
        with open(path, "wb") as f, gzip.GzipFile(path.name[:-3], "wb", fileobj=f,
                                                  mtime=0) as gz:
            gz.write(raw.getvalue())
    else:
        path.write_bytes(raw.getvalue())
    return path


def _png_bytes(seed: int, size: tuple[int, int] = (6, 4)) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(seed)
    PIL.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------- backends

def test_backends_and_version_match_torchvision() -> None:
    tv = torchvision_or_skip()
    assert ember.vision.get_image_backend() == tv.get_image_backend() == "PIL"
    assert ember.vision.get_video_backend() == tv.get_video_backend()
    ember.vision.set_video_backend("pyav")
    for bad in ("cv2", "pil"):
        with pytest.raises(ValueError) as theirs:
            tv.set_image_backend(bad)
        with pytest.raises(ValueError) as ours:
            ember.vision.set_image_backend(bad)
        assert str(ours.value) == str(theirs.value)
    try:
        ember.vision.set_image_backend("accimage")
        assert ember.vision.get_image_backend() == "accimage"
    finally:
        ember.vision.set_image_backend("PIL")
    from ember.vision import version

    assert version.__version__ == ember.vision.__version__
    assert isinstance(version.git_version, str)


# --------------------------------------------------------------------------- ImageNet

_SYNSETS = [  # (ILSVRC2012_ID, wnid, words, num_children)
    (1, "n01440764", "tench, Tinca tinca", 0),
    (2, "n01443537", "goldfish, Carassius auratus", 0),
    (3, "n01484850", "great white shark", 0),
    (1001, "n00000001", "fish", 3),  # an inner node: not a class
]


def _write_imagenet(root: Path, val_truth: list[int]) -> dict[str, str]:
    """The devkit, val and train archives; returns their md5s."""
    sio = pytest.importorskip("scipy.io")
    fields = ["ILSVRC2012_ID", "WNID", "words", "gloss", "num_children", "children",
              "wordnet_height", "num_train_images"]
    synsets = np.zeros((len(_SYNSETS),), dtype=[(f, object) for f in fields])
    for i, (idx, wnid, words, nchild) in enumerate(_SYNSETS):
        children = np.array([1, 2, 3][:nchild], dtype=np.float64)
        synsets[i] = (float(idx), wnid, words, f"gloss of {wnid}", float(nchild), children,
                      0.0, 10.0)
    mat = io.BytesIO()
    sio.savemat(mat, {"synsets": synsets})
    # The header's text carries the time of writing; fix it so two writes share an md5.
    mat.seek(0)
    mat.write(b"MATLAB 5.0 MAT-file, written by the ember tests".ljust(116))
    truth = "".join(f"{t}\n" for t in val_truth).encode()
    devkit = _tar(root / "ILSVRC2012_devkit_t12.tar.gz",
                  {"ILSVRC2012_devkit_t12/data/meta.mat": mat.getvalue(),
                   "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt": truth},
                  "w:gz")
    val = _tar(root / "ILSVRC2012_img_val.tar",
               {f"ILSVRC2012_val_{i + 1:08d}.JPEG": _png_bytes(i) for i in range(len(val_truth))})
    inner = {}
    for k, (_, wnid, _, nchild) in enumerate(_SYNSETS):
        if nchild == 0:
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                for j in range(2):
                    data = _png_bytes(100 * k + j)
                    info = tarfile.TarInfo(f"{wnid}_{j}.JPEG")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            inner[f"{wnid}.tar"] = buf.getvalue()
    train = _tar(root / "ILSVRC2012_img_train.tar", inner)
    return {"devkit": _md5(devkit), "val": _md5(val), "train": _md5(train)}


def _patch_imagenet_md5(monkeypatch: pytest.MonkeyPatch, modules: list[Any],
                        md5s: dict[str, str]) -> None:
    for module in modules:
        for key, md5 in md5s.items():
            monkeypatch.setitem(module.ARCHIVE_META, key, (module.ARCHIVE_META[key][0], md5))


@pytest.mark.parametrize("split", ["train", "val"])
def test_imagenet_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      split: str) -> None:
    import torchvision.datasets.imagenet as tv_imagenet

    from ember.vision.datasets import imagenet as em_imagenet

    truth = [2, 1, 3, 2, 1]
    md5s = _write_imagenet(tmp_path / "a", truth)
    assert _write_imagenet(tmp_path / "b", truth) == md5s
    _patch_imagenet_md5(monkeypatch, [tv_imagenet, em_imagenet], md5s)
    ours = ed.ImageNet(tmp_path / "a", split=split, transform=lambda im: im.rotate(90))
    theirs = tvd.ImageNet(str(tmp_path / "b"), split=split, transform=lambda im: im.rotate(90))
    assert ours.classes == theirs.classes == [("tench", "Tinca tinca"),
                                              ("goldfish", "Carassius auratus"),
                                              ("great white shark",)]
    assert ours.class_to_idx == theirs.class_to_idx and ours.wnids == theirs.wnids
    assert ours.wnid_to_idx == theirs.wnid_to_idx
    assert ours.targets == theirs.targets and len(ours) == len(theirs) > 0
    assert [os.path.relpath(p, tmp_path / "a") for p, _ in ours.imgs] == \
        [os.path.relpath(p, tmp_path / "b") for p, _ in theirs.imgs]
    _same_dataset(ours, theirs)
    assert repr(ours).replace(str(tmp_path / "a"), "R") == \
        repr(theirs).replace(str(tmp_path / "b"), "R").replace(repr(theirs.transforms),
                                                               repr(ours.transforms))


def test_imagenet_meta_bin_is_torch_format(tvd, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    import torchvision.datasets.imagenet as tv_imagenet

    from ember.vision.datasets import imagenet as em_imagenet

    md5s = _write_imagenet(tmp_path / "a", [3, 1])
    _write_imagenet(tmp_path / "b", [3, 1])
    _patch_imagenet_md5(monkeypatch, [tv_imagenet, em_imagenet], md5s)
    em_imagenet.parse_devkit_archive(str(tmp_path / "a"))
    tv_imagenet.parse_devkit_archive(str(tmp_path / "b"))
    ours_by_torch = torch.load(tmp_path / "a" / "meta.bin", weights_only=True)
    theirs_by_ember = em_imagenet.load_meta_file(tmp_path / "b")
    theirs = tv_imagenet.load_meta_file(str(tmp_path / "b"))
    assert ours_by_torch == theirs == theirs_by_ember
    assert theirs[1] == ["n01484850", "n01440764"]


def test_imagenet_missing_archives(tmp_path: Path) -> None:
    from ember.vision.datasets.imagenet import load_meta_file

    with pytest.raises(RuntimeError, match="ILSVRC2012_devkit_t12.tar.gz is not present"):
        ed.ImageNet(tmp_path)
    with pytest.raises(RuntimeError, match="meta file .*meta.bin is not present"):
        load_meta_file(tmp_path)
    with pytest.raises(ValueError, match="Unknown value 'test' for argument split"):
        ed.ImageNet(tmp_path, split="test")


# --------------------------------------------------------------------------- VOC

_VOC_XML = """<annotation>
  <folder>VOC{year}</folder>
  <filename>{name}.jpg</filename>
  <size><width>7</width><height>5</height><depth>3</depth></size>
  <segmented>0</segmented>
{objects}</annotation>
"""
_VOC_OBJECT = """  <object>
    <name>{cls}</name><pose>Left</pose><truncated>1</truncated><difficult>0</difficult>
    <bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox>
{parts}  </object>
"""


def _write_voc(root: Path, year: str = "2012", image_set: str = "train") -> list[str]:
    base = root / ("TrainVal/VOCdevkit" if year == "2011" else "VOCdevkit") / f"VOC{year}"
    ids = [f"{year}_00000{i}" for i in range(4)]
    objects = [
        [("dog", 1, 1, 5, 4, "")],
        [("person", 0, 0, 6, 4, "    <part><name>head</name><bndbox><xmin>1</xmin><ymin>1"
          "</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part>\n"
          "    <part><name>hand</name></part>\n"), ("cat", 2, 1, 3, 3, "")],
        [],
        [("tvmonitor", 3, 2, 6, 4, ""), ("tvmonitor", 1, 1, 2, 2, ""), ("car", 0, 0, 1, 1, "")],
    ]
    for split_dir in ("Main", "Segmentation"):
        _write(base / "ImageSets" / split_dir / f"{image_set}.txt", "\n".join(ids) + "\n")
    rng = np.random.default_rng(1)
    palette = list(rng.integers(0, 256, 768, dtype=np.uint8))
    for k, (name, objs) in enumerate(zip(ids, objects)):
        _rng_image(base / "JPEGImages" / f"{name}.jpg", seed=k)
        mask = PIL.fromarray(rng.integers(0, 21, (5, 7), dtype=np.uint8), "P")
        mask.putpalette(palette)
        (base / "SegmentationClass").mkdir(parents=True, exist_ok=True)
        mask.save(base / "SegmentationClass" / f"{name}.png")
        text = "".join(_VOC_OBJECT.format(cls=c, x0=a, y0=b, x1=x, y1=y, parts=p)
                       for c, a, b, x, y, p in objs)
        _write(base / "Annotations" / f"{name}.xml",
               _VOC_XML.format(year=year, name=name, objects=text))
    return ids


@pytest.mark.parametrize("year,image_set", [("2012", "train"), ("2011", "val"),
                                            ("2007", "test")])
def test_voc_matches_torchvision(tvd, tmp_path: Path, year: str, image_set: str) -> None:
    _write_voc(tmp_path, year, image_set)
    for name in ("VOCDetection", "VOCSegmentation"):
        ours = getattr(ed, name)(tmp_path, year=year, image_set=image_set)
        theirs = getattr(tvd, name)(tmp_path, year=year, image_set=image_set)
        assert ours.images == theirs.images and ours.targets == theirs.targets
        assert (ours.url, ours.filename, ours.md5) == (theirs.url, theirs.filename, theirs.md5)
        _same_dataset(ours, theirs)
        assert repr(ours) == repr(theirs)
    det = ed.VOCDetection(tmp_path, year=year, image_set=image_set)
    assert det[2][1]["annotation"]["object"] == []
    assert isinstance(det[0][1]["annotation"]["object"], list)
    joint = ed.VOCSegmentation(tmp_path, year=year, image_set=image_set,
                               transforms=lambda im, m: (im.size, np.asarray(m).sum()))
    tv_joint = tvd.VOCSegmentation(tmp_path, year=year, image_set=image_set,
                                   transforms=lambda im, m: (im.size, np.asarray(m).sum()))
    assert [joint[i] for i in range(4)] == [tv_joint[i] for i in range(4)]


def test_voc_errors(tmp_path: Path, tvd) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted.*VOC2012"):
        ed.VOCDetection(tmp_path)
    for kwargs in ({"year": "2013"}, {"year": "2012", "image_set": "test"}):
        with pytest.raises(ValueError) as ours:
            ed.VOCSegmentation(tmp_path, **kwargs)
        with pytest.raises(ValueError) as theirs:
            tvd.VOCSegmentation(tmp_path, **kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(DownloadError, match="VOCtrainval_11-May-2012.tar"):
        ed.VOCDetection(tmp_path, download=True)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        ed.VOCDetection(tmp_path, transform=abs, transforms=abs)
    _write_voc(tmp_path)
    bad = next((tmp_path / "VOCdevkit/VOC2012/Annotations").iterdir())
    bad.write_text("<annotation><object>")
    ds = ed.VOCDetection(tmp_path)
    with pytest.raises(RuntimeError, match=bad.name):
        ds[ds.annotations.index(str(bad))]


# --------------------------------------------------------------------------- COCO

def _write_coco(root: Path) -> Path:
    images = [{"id": 42, "file_name": "b/000042.jpg", "height": 5, "width": 7},
              {"id": 7, "file_name": "a/000007.jpg", "height": 5, "width": 7},
              {"id": 9, "file_name": "a/000009.jpg", "height": 5, "width": 7}]
    for k, img in enumerate(images):
        _rng_image(root / img["file_name"], seed=k)
    anns = [
        {"id": 3, "image_id": 42, "category_id": 18, "bbox": [1.0, 1.5, 3.0, 2.0], "area": 6.0,
         "iscrowd": 0, "segmentation": [[1, 1, 4, 1, 4, 3]], "caption": "a dog"},
        {"id": 1, "image_id": 7, "category_id": 1, "bbox": [0.0, 0.0, 2.0, 2.0], "area": 4.0,
         "iscrowd": 0, "segmentation": [[0, 0, 2, 0, 2, 2]], "caption": "a person"},
        {"id": 2, "image_id": 42, "category_id": 1, "bbox": [2.0, 0.0, 4.0, 5.0], "area": 20.0,
         "iscrowd": 1, "segmentation": [[2, 0, 6, 0, 6, 5]], "caption": "a man"},
    ]
    cats = [{"id": 1, "name": "person", "supercategory": "person"},
            {"id": 18, "name": "dog", "supercategory": "animal"}]
    return _write(root / "ann.json", json.dumps({"images": images, "annotations": anns,
                                                 "categories": cats}))


@pytest.fixture
def coco_oracle(monkeypatch: pytest.MonkeyPatch) -> Any:
    """torchvision's COCO datasets; without pycocotools, its COCO index is stood in by a
    direct reading of the JSON (the same look-ups), so that torchvision's dataset and
    wrapper code still run as the oracle."""
    tvd = torchvision_or_skip().datasets
    try:
        import pycocotools.coco  # noqa: F401
    except ImportError:
        class StandIn:
            def __init__(self, path: str) -> None:
                with open(path) as fh:
                    self.dataset = json.load(fh)
                self.imgs = {img["id"]: img for img in self.dataset["images"]}

            def loadImgs(self, id: int) -> list:
                return [self.imgs[id]]

            def getAnnIds(self, id: int) -> list:
                return [a["id"] for a in self.dataset["annotations"] if a["image_id"] == id]

            def loadAnns(self, ids: list) -> list:
                by_id = {a["id"]: a for a in self.dataset["annotations"]}
                return [by_id[i] for i in ids]

        pkg, mod = types.ModuleType("pycocotools"), types.ModuleType("pycocotools.coco")
        mod.COCO = StandIn
        monkeypatch.setitem(sys.modules, "pycocotools", pkg)
        monkeypatch.setitem(sys.modules, "pycocotools.coco", mod)
    return tvd


def test_coco_matches_torchvision(coco_oracle, tmp_path: Path) -> None:
    ann = _write_coco(tmp_path)
    for name in ("CocoDetection", "CocoCaptions"):
        ours = getattr(ed, name)(tmp_path, str(ann), transform=lambda im: im.transpose(0))
        theirs = getattr(coco_oracle, name)(tmp_path, str(ann),
                                            transform=lambda im: im.transpose(0))
        assert ours.ids == theirs.ids == [7, 9, 42]
        _same_dataset(ours, theirs)
    caps = ed.CocoCaptions(tmp_path, str(ann))
    assert caps[2][1] == ["a dog", "a man"] and caps[1][1] == []
    with pytest.raises(ValueError, match="Index must be of type integer"):
        caps[np.int64(0).item() + 0.0]


def test_coco_index_lookups(tmp_path: Path) -> None:
    """The pycocotools look-ups, checked against the JSON read directly."""
    ann = _write_coco(tmp_path)
    raw = json.loads(ann.read_text())
    coco = ed.CocoDetection(tmp_path, str(ann)).coco
    assert coco.getAnnIds(42) == [a["id"] for a in raw["annotations"] if a["image_id"] == 42]
    assert coco.getAnnIds(imgIds=[7, 42], catIds=[1]) == [1, 2]
    assert coco.getAnnIds(areaRng=[5, 100]) == [2, 3][::-1] and coco.getAnnIds(iscrowd=1) == [2]
    assert coco.getCatIds(catNms=["dog"]) == [18] and coco.getCatIds() == [1, 18]
    assert sorted(coco.getImgIds(catIds=[1])) == [7, 42] and coco.getImgIds(catIds=[18]) == [42]
    assert sorted(coco.getImgIds()) == [7, 9, 42]
    assert coco.loadCats(18)[0]["name"] == "dog" and coco.loadImgs([9])[0]["id"] == 9
    assert coco.loadAnns(coco.getAnnIds(9)) == []


def test_coco_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="annotation file .*nope.json is missing"):
        ed.CocoDetection(tmp_path, str(tmp_path / "nope.json"))
    _write(tmp_path / "bad.json", '{"images": [')
    with pytest.raises(RuntimeError, match="bad.json: not a readable COCO"):
        ed.CocoDetection(tmp_path, str(tmp_path / "bad.json"))


# --------------------------------------------------------------------------- Cityscapes

def _write_cityscapes(root: Path, split: str = "train", mode: str = "gtFine") -> None:
    rng = np.random.default_rng(2)
    for city in ("aachen", "bremen"):
        for k in range(2):
            stem = f"{city}_00000{k}_000019"
            _rng_image(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png",
                       seed=k + 10 * len(city))
            gt = root / mode / split / city
            gt.mkdir(parents=True, exist_ok=True)
            labels = rng.integers(0, 34, (5, 7), dtype=np.uint8)
            PIL.fromarray(labels, "L").save(gt / f"{stem}_{mode}_labelIds.png")
            inst = np.where(labels >= 24, labels.astype(np.int32) * 1000
                            + rng.integers(0, 3, (5, 7)), labels).astype(np.uint16)
            PIL.fromarray(inst).save(gt / f"{stem}_{mode}_instanceIds.png")  # 16-bit
            _rng_image(gt / f"{stem}_{mode}_color.png", mode="RGBA", seed=k)
            _write(gt / f"{stem}_{mode}_polygons.json",
                   json.dumps({"imgHeight": 5, "imgWidth": 7, "objects": [
                       {"label": "road", "polygon": [[0, 0], [3, 4], [6, 0]]}]}))


@pytest.mark.parametrize("mode,split,target_type", [
    ("fine", "train", "semantic"), ("fine", "val", ["instance", "color", "polygon"]),
    ("coarse", "train_extra", ["polygon", "semantic"])])
def test_cityscapes_matches_torchvision(tvd, tmp_path: Path, mode: str, split: str,
                                        target_type: Any) -> None:
    _write_cityscapes(tmp_path, split, "gtFine" if mode == "fine" else "gtCoarse")
    ours = ed.Cityscapes(tmp_path, split=split, mode=mode, target_type=target_type)
    theirs = tvd.Cityscapes(tmp_path, split=split, mode=mode, target_type=target_type)
    assert ours.images == theirs.images and ours.targets == theirs.targets
    assert [tuple(c) for c in ours.classes] == [tuple(c) for c in theirs.classes]
    assert ours.classes[7].name == "road" and ours.classes[7].train_id == 0
    _same_dataset(ours, theirs)
    assert repr(ours) == repr(theirs)


def test_cityscapes_errors_and_zips(tvd, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found or incomplete.*gtFine_trainvaltest"):
        ed.Cityscapes(tmp_path)
    for kwargs in ({"mode": "coarse", "split": "test"}, {"target_type": ["semantic", "depth"]},
                   {"mode": "medium"}):
        with pytest.raises(ValueError) as ours:
            ed.Cityscapes(tmp_path, **kwargs)
        with pytest.raises(ValueError) as theirs:
            tvd.Cityscapes(tmp_path, **kwargs)
        assert str(ours.value) == str(theirs.value)
    src = tmp_path / "src"
    _write_cityscapes(src, "val")
    for name, folder in (("leftImg8bit_trainvaltest.zip", "leftImg8bit"),
                         ("gtFine_trainvaltest.zip", "gtFine")):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for p in (src / folder).rglob("*"):
                zf.write(p, p.relative_to(src))
    ours = ed.Cityscapes(tmp_path, split="val", target_type="semantic")
    assert len(ours) == 4 and (tmp_path / "gtFine" / "val" / "bremen").is_dir()


# --------------------------------------------------------------------------- SBD

def _write_sbd(root: Path) -> None:
    sio = pytest.importorskip("scipy.io")
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(3)
    ids = ["2008_000002", "2008_000003"]
    for k, name in enumerate(ids):
        _rng_image(root / "img" / f"{name}.jpg", seed=k)
        bounds = np.empty((20, 1), dtype=object)
        for c in range(20):
            bounds[c, 0] = sparse.csc_matrix(rng.integers(0, 2, (5, 7)).astype(np.uint8))
        gtcls = {"Segmentation": rng.integers(0, 21, (5, 7), dtype=np.uint8),
                 "Boundaries": bounds, "CategoriesPresent": np.array([[1], [5]], np.uint8)}
        (root / "cls").mkdir(parents=True, exist_ok=True)
        sio.savemat(root / "cls" / f"{name}.mat", {"GTcls": gtcls})
    for split in ("train", "val"):
        _write(root / f"{split}.txt", "\n".join(ids) + "\n")


@pytest.mark.parametrize("mode", ["boundaries", "segmentation"])
def test_sbd_matches_torchvision(tvd, tmp_path: Path, mode: str) -> None:
    _write_sbd(tmp_path)
    ours = ed.SBDataset(tmp_path, image_set="val", mode=mode)
    theirs = tvd.SBDataset(tmp_path, image_set="val", mode=mode)
    assert ours.images == theirs.images and ours.masks == theirs.masks
    _same_dataset(ours, theirs)
    assert repr(ours) == repr(theirs)
    if mode == "boundaries":
        assert ours[0][1].shape == (20, 5, 7)


def test_sbd_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="split file .*train_noval.txt is missing"):
        ed.SBDataset(tmp_path, image_set="train_noval")
    with pytest.raises(DownloadError, match="benchmark.tgz"):
        ed.SBDataset(tmp_path, download=True)
    _write_sbd(tmp_path)
    (tmp_path / "cls" / "2008_000002.mat").write_bytes(b"MATLAB 5.0 junk")
    with pytest.raises(RuntimeError, match="2008_000002.mat"):
        ed.SBDataset(tmp_path)[0]


# --------------------------------------------------------------------------- Kitti

def _write_kitti(root: Path) -> None:
    raw = root / "Kitti" / "raw"
    rng = np.random.default_rng(4)
    types_ = ["Car", "Pedestrian", "DontCare", "Cyclist"]
    for k in range(3):
        _rng_image(raw / "training" / "image_2" / f"00000{k}.png", seed=k)
        lines = []
        for j in range(k + 1):
            v = rng.uniform(0, 5, 14).round(2)
            lines.append(f"{types_[(k + j) % 4]} {v[0]:.2f} {j % 3} {v[1]:.2f} "
                         + " ".join(f"{x:.2f}" for x in v[2:13]) + f" {v[13]:.2f}")
        _write(raw / "training" / "label_2" / f"00000{k}.txt", "\n".join(lines) + "\n")
        _rng_image(raw / "testing" / "image_2" / f"00001{k}.png", seed=k + 5)


@pytest.mark.parametrize("train", [True, False])
def test_kitti_matches_torchvision(tvd, tmp_path: Path, train: bool) -> None:
    _write_kitti(tmp_path)
    ours = ed.Kitti(tmp_path, train=train, transforms=lambda im, t: (im.convert("L"), t))
    theirs = tvd.Kitti(tmp_path, train=train, transforms=lambda im, t: (im.convert("L"), t))
    assert ours.images == theirs.images and ours.targets == theirs.targets
    _same_dataset(ours, theirs)


def test_kitti_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*label_2"):
        ed.Kitti(tmp_path)
    with pytest.raises(DownloadError, match="data_object_image_2.zip"):
        ed.Kitti(tmp_path, download=True)


# --------------------------------------------------------------------------- WIDERFace

def _write_widerface(root: Path) -> None:
    base = root / "widerface"
    for folder in ("WIDER_train", "WIDER_val", "WIDER_test", "wider_face_split"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    for split in ("train", "val"):
        lines = []
        for k, n in enumerate((2, 0, 1)):
            rel = f"0--Parade/0_Parade_{split}_{k}.jpg"
            _rng_image(base / f"WIDER_{split}" / "images" / rel, seed=k)
            lines += [rel, str(n)]
            for _ in range(max(n, 1)):  # a face-less image still has one zero line
                vals = rng.integers(0, 7, 10) if n else np.zeros(10, int)
                lines.append(" ".join(str(v) for v in vals) + " ")
        _write(base / "wider_face_split" / f"wider_face_{split}_bbx_gt.txt",
               "\n".join(lines) + "\n")
    rels = [f"1--Handshaking/1_test_{k}.jpg" for k in range(2)]
    for k, rel in enumerate(rels):
        _rng_image(base / "WIDER_test" / "images" / rel, seed=k + 9)
    _write(base / "wider_face_split" / "wider_face_test_filelist.txt", "\n".join(rels) + "\n")


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_widerface_matches_torchvision(tvd, tmp_path: Path, split: str) -> None:
    _write_widerface(tmp_path)
    ours = ed.WIDERFace(tmp_path, split=split, target_transform=lambda t: t and len(t))
    theirs = tvd.WIDERFace(tmp_path, split=split, target_transform=lambda t: t and len(t))
    _same_dataset(ours, theirs)
    ours, theirs = ed.WIDERFace(tmp_path, split=split), tvd.WIDERFace(tmp_path, split=split)
    _same_dataset(ours, theirs, ("img_info",))
    assert repr(ours) == repr(theirs)


def test_widerface_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*WIDER_train"):
        ed.WIDERFace(tmp_path)
    with pytest.raises(DownloadError, match="WIDER_train.zip"):
        ed.WIDERFace(tmp_path, download=True)
    _write_widerface(tmp_path)
    path = tmp_path / "widerface/wider_face_split/wider_face_val_bbx_gt.txt"
    path.write_text("a.jpg\ntwo\n")
    with pytest.raises(RuntimeError, match="wider_face_val_bbx_gt.txt at line 2"):
        ed.WIDERFace(tmp_path, split="val")


# --------------------------------------------------------------------------- CelebA

_CELEBA_ATTRS = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive"]


def _write_celeba(root: Path) -> list[tuple[str, str, str]]:
    """The CelebA text files and images; returns ``file_list`` with their md5s."""
    base = root / "celeba"
    rng = np.random.default_rng(6)
    names = [f"{i:06d}.jpg" for i in range(1, 7)]
    for k, name in enumerate(names):
        _rng_image(base / "img_align_celeba" / name, size=(6, 8), seed=k)
    parts = [0, 0, 1, 2, 1, 2]

    def table(header: list[str] | None, rows: list[list[int]], pad: str = " ") -> str:
        out = [] if header is None else [str(len(rows)), " ".join(header)]
        out += [f"{n}{pad}" + " ".join(f"{v:>2}" for v in r) for n, r in zip(names, rows)]
        return "\n".join(out) + "\n"

    files = {
        "list_eval_partition.txt": table(None, [[p] for p in parts]),
        "identity_CelebA.txt": table(None, [[int(v)] for v in rng.integers(1, 50, 6)]),
        "list_attr_celeba.txt": table(_CELEBA_ATTRS, rng.choice([-1, 1], (6, 3)).tolist(), "  "),
        "list_bbox_celeba.txt": table(["image_id", "x_1", "y_1", "width", "height"],
                                      rng.integers(0, 9, (6, 4)).tolist()),
        "list_landmarks_align_celeba.txt": table([f"p{i}" for i in range(10)],
                                                 rng.integers(0, 9, (6, 10)).tolist()),
    }
    for name, text in files.items():
        _write(base / name, text)
    return [(fid, _md5(base / name) if name in files else md5, name)
            for fid, md5, name in ed.CelebA.file_list]


@pytest.mark.parametrize("split", ["train", "valid", "test", "all", "TEST"])
def test_celeba_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    split: str) -> None:
    file_list = _write_celeba(tmp_path)
    monkeypatch.setattr(ed.CelebA, "file_list", file_list)
    monkeypatch.setattr(tvd.CelebA, "file_list", file_list)
    for target_type in ("attr", "identity", "bbox", "landmarks",
                        ["attr", "identity", "bbox", "landmarks"], []):
        ours = ed.CelebA(tmp_path, split=split, target_type=target_type)
        theirs = tvd.CelebA(tmp_path, split=split, target_type=target_type)
        assert ours.filename == theirs.filename and ours.attr_names == theirs.attr_names
        _same_dataset(ours, theirs, ("attr", "identity", "bbox", "landmarks_align"))
        assert repr(ours) == repr(theirs)
    ours = ed.CelebA(tmp_path, split=split, target_type=["bbox", "identity"],
                     transform=lambda im: im.size, target_transform=lambda t: t[1] + 1)
    theirs = tvd.CelebA(tmp_path, split=split, target_type=["bbox", "identity"],
                        transform=lambda im: im.size, target_transform=lambda t: t[1] + 1)
    _same_dataset(ours, theirs)


def test_celeba_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted.*list_attr_celeba"):
        ed.CelebA(tmp_path)
    with pytest.raises(DownloadError, match="img_align_celeba.zip"):
        ed.CelebA(tmp_path, download=True)
    file_list = _write_celeba(tmp_path)
    monkeypatch.setattr(ed.CelebA, "file_list", file_list)
    with pytest.raises(RuntimeError, match="target_transform is specified but target_type"):
        ed.CelebA(tmp_path, target_type=[], target_transform=abs)
    with pytest.raises(ValueError, match="Target type \"age\" is not recognized"):
        ed.CelebA(tmp_path, target_type="age")[0]
    with pytest.raises(ValueError, match="Unknown value 'dev' for argument split"):
        ed.CelebA(tmp_path, split="dev")
    (tmp_path / "celeba" / "identity_CelebA.txt").write_text("x.jpg 1\n")
    with pytest.raises(RuntimeError, match="identity_CelebA.txt"):
        ed.CelebA(tmp_path)


# --------------------------------------------------------------------------- LFW

_LFW_PEOPLE = {"Aaron_Eckhart": 1, "Abel_Pacheco": 3, "Zico": 2}


def _write_lfw(root: Path, folder: str, archive: str) -> dict[str, str]:
    """Images, view files and a stand-in archive; returns the md5 of each file."""
    base = root / "lfw-py"
    for k, (name, n) in enumerate(_LFW_PEOPLE.items()):
        for i in range(1, n + 1):
            _rng_image(base / folder / name / f"{name}_{i:04d}.jpg", seed=10 * k + i)
    files = {
        "lfw-names.txt": "".join(f"{n}\t{c}\n" for n, c in _LFW_PEOPLE.items()),
        "people.txt": "2\n2\nAaron_Eckhart\t1\nZico\t2\n1\nAbel_Pacheco\t3\n",
        "peopleDevTrain.txt": "2\nAbel_Pacheco\t3\nAaron_Eckhart\t1\n",
        "peopleDevTest.txt": "1\nZico\t2\n",
        "pairs.txt": "2\t1\nAbel_Pacheco\t1\t3\nAaron_Eckhart\t1\tZico\t2\n"
                     "Zico\t1\t2\nAbel_Pacheco\t2\tZico\t1\n",
        "pairsDevTrain.txt": "2\nAbel_Pacheco\t1\t2\nZico\t2\t1\n"
                             "Zico\t1\tAaron_Eckhart\t1\nAbel_Pacheco\t3\tZico\t2\n",
        "pairsDevTest.txt": "1\nZico\t1\t2\nAaron_Eckhart\t1\tAbel_Pacheco\t3\n",
    }
    for name, text in files.items():
        _write(base / name, text)
    (base / archive).write_bytes(b"stand-in for the image archive")
    return {name: _md5(base / name) for name in [*files, archive]}


def _patch_lfw(monkeypatch: pytest.MonkeyPatch, classes: list[Any], md5s: dict[str, str],
               image_set: str) -> None:
    for cls in classes:
        folder, archive, _ = cls.file_dict[image_set]
        monkeypatch.setattr(cls, "file_dict", {**cls.file_dict,
                                               image_set: (folder, archive, md5s[archive])})
        monkeypatch.setattr(cls, "checksums", {k: md5s[k] for k in cls.checksums})


@pytest.mark.parametrize("image_set", ["original", "funneled", "deepfunneled"])
@pytest.mark.parametrize("split", ["10fold", "train", "test"])
def test_lfw_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 image_set: str, split: str) -> None:
    folder, archive, _ = ed.LFWPeople.file_dict[image_set]
    md5s = _write_lfw(tmp_path, folder, archive)
    import torchvision.datasets.lfw as tv_lfw

    from ember.vision.datasets import lfw as em_lfw

    _patch_lfw(monkeypatch, [em_lfw._LFW, tv_lfw._LFW], md5s, image_set)
    kwargs = {"split": split, "image_set": image_set.upper(), "transform": lambda im: im.size}
    for name in ("LFWPeople", "LFWPairs"):
        ours, theirs = getattr(ed, name)(tmp_path, **kwargs), getattr(tvd, name)(tmp_path, **kwargs)
        assert ours.data == theirs.data and ours.targets == theirs.targets
        if name == "LFWPeople":
            assert ours.class_to_idx == theirs.class_to_idx
        else:
            assert ours.pair_names == theirs.pair_names
        _same_dataset(ours, theirs)
        assert repr(ours) == repr(theirs)
    if image_set == "funneled":  # the default
        _same_dataset(ed.LFWPairs(tmp_path, split=split), tvd.LFWPairs(tmp_path, split=split))


def test_lfw_errors(tvd, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*lfw-funneled.tgz"):
        ed.LFWPeople(tmp_path)
    with pytest.raises(ValueError, match="no longer available for automatic download"):
        ed.LFWPairs(tmp_path, download=True)
    with pytest.raises(ValueError) as ours:
        ed.LFWPeople(tmp_path, image_set="aligned")
    with pytest.raises(ValueError) as theirs:
        tvd.LFWPeople(tmp_path, image_set="aligned")
    assert str(ours.value) == str(theirs.value)


# --------------------------------------------------------------------------- Places365

def _write_places(root: Path, split: str, small: bool) -> dict[str, str]:
    cats = ["/a/airfield", "/b/bakery/shop", "/a/alley"]
    _write(root / "categories_places365.txt", "".join(f"{c} {i}\n" for i, c in enumerate(cats)))
    size = "256" if small else "large"
    if split.startswith("train"):
        variant = "challenge" if "challenge" in split else "standard"
        images = [(f"/a/airfield/0000000{k}.jpg", k % 3) for k in range(3)]
        folder = root / f"data_{size}_{variant}"
        listing = "".join(f"{p} {t}\n" for p, t in images)
    else:
        images = [(f"Places365_{split}_0000000{k}.jpg", k % 3) for k in range(3)]
        folder = root / f"{split}_{size}"
        listing = "".join(f"{p} {t}\n" if split == "val" else f"{p}\n" for p, t in images)
    for k, (p, _) in enumerate(images):
        _rng_image(folder / p.lstrip("/"), seed=k)
    name = ed.Places365._FILE_LIST_META[split][0]
    _write(root / name, listing)
    return {"categories_places365.txt": _md5(root / "categories_places365.txt"),
            name: _md5(root / name)}


@pytest.mark.parametrize("split,small", [("train-standard", False), ("train-challenge", True),
                                         ("val", True), ("test", False)])
def test_places365_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       split: str, small: bool) -> None:
    md5s = _write_places(tmp_path, split, small)
    for cls in (ed.Places365, tvd.Places365):
        monkeypatch.setattr(cls, "_CATEGORIES_META",
                            ("categories_places365.txt", md5s["categories_places365.txt"]))
        name = cls._FILE_LIST_META[split][0]
        monkeypatch.setattr(cls, "_FILE_LIST_META", {**cls._FILE_LIST_META,
                                                     split: (name, md5s[name])})
    def listed(t: Any) -> list:
        return [t]

    ours = ed.Places365(tmp_path, split=split, small=small, target_transform=listed)
    theirs = tvd.Places365(tmp_path, split=split, small=small, target_transform=listed)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.imgs == theirs.imgs and ours.targets == theirs.targets
    _same_dataset(ours, theirs)
    assert repr(ours) == repr(theirs)


def test_places365_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="categories_places365.txt does not exist"):
        ed.Places365(tmp_path)
    with pytest.raises(DownloadError, match="filelist_places365-standard.tar"):
        ed.Places365(tmp_path, download=True)
    with pytest.raises(ValueError, match="Unknown value 'train' for argument split"):
        ed.Places365(tmp_path, split="train")


# --------------------------------------------------------------------------- INaturalist

def _write_inat(root: Path, version: str) -> None:
    base = root / version
    if version.startswith("2021"):
        cats = ["00000_Animalia_Chordata_Aves_Passeriformes_Corvidae_Corvus_corax",
                "00001_Animalia_Chordata_Aves_Passeriformes_Paridae_Parus_major",
                "00002_Plantae_Tracheophyta_Magnoliopsida_Rosales_Rosaceae_Rosa_canina"]
    else:
        cats = ["Aves/2", "Aves/0", "Plantae/1"] if version != "2017" else \
            ["Aves/Corvus corax", "Aves/Parus major", "Plantae/Rosa canina"]
    for k, cat in enumerate(cats):
        for j in range(2):
            _rng_image(base / cat / f"img{j}_{k}.jpg", seed=3 * k + j)


@pytest.mark.parametrize("version,target_type", [
    ("2021_train", "full"), ("2021_valid", ["genus", "kingdom", "full", "order"]),
    ("2017", ["super", "full"]), ("2019", "super")])
def test_inaturalist_matches_torchvision(tvd, tmp_path: Path, version: str,
                                         target_type: Any) -> None:
    _write_inat(tmp_path, version)
    ours = ed.INaturalist(tmp_path, version=version, target_type=target_type)
    theirs = tvd.INaturalist(tmp_path, version=version, target_type=target_type)
    for attr in ("all_categories", "categories_index", "categories_map", "index",
                 "target_type"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    _same_dataset(ours, theirs)
    for kind in ("full", *ours.categories_index):
        assert ours.category_name(kind, 1) == theirs.category_name(kind, 1)


def test_inaturalist_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*2021_train"):
        ed.INaturalist(tmp_path)
    with pytest.raises(DownloadError, match="2019.tgz"):
        ed.INaturalist(tmp_path, version="2019", download=True)
    with pytest.raises(ValueError, match="Unknown value '2020' for argument version"):
        ed.INaturalist(tmp_path, version="2020")
    (tmp_path / "2021_valid" / "00003_a_b_c_d_e_f_g").mkdir(parents=True)
    with pytest.raises(RuntimeError, match="Unexpected category id 00003, expecting 00000"):
        ed.INaturalist(tmp_path, version="2021_valid")
    with pytest.raises(ValueError, match="Invalid category type 'species'"):
        _write_inat(tmp_path, "2021_train")
        ed.INaturalist(tmp_path).category_name("species", 0)


# --------------------------------------------------------------------------- Omniglot

@pytest.mark.parametrize("background", [True, False])
def test_omniglot_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      background: bool) -> None:
    name = "images_background" if background else "images_evaluation"
    base = tmp_path / "omniglot-py"
    for a, alphabet in enumerate(("Greek", "Korean")):
        for c in range(2):
            for d in range(2):
                _rng_image(base / name / alphabet / f"character0{c + 1}" / f"0{a}{c}{d}_0{d}.png",
                           seed=a * 9 + c * 3 + d)
    zip_path = base / f"{name}.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr(f"{name}/", "")
    for cls in (ed.Omniglot, tvd.Omniglot):
        monkeypatch.setattr(cls, "zips_md5", {**cls.zips_md5, name: _md5(zip_path)})
    ours = ed.Omniglot(tmp_path, background=background, target_transform=lambda t: -t)
    theirs = tvd.Omniglot(tmp_path, background=background, target_transform=lambda t: -t)
    assert ours._characters == theirs._characters
    assert ours._flat_character_images == theirs._flat_character_images
    _same_dataset(ours, theirs)
    assert ours[0][0].mode == "L"


def test_omniglot_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*images_background.zip"):
        ed.Omniglot(tmp_path)
    with pytest.raises(DownloadError, match="images_evaluation.zip"):
        ed.Omniglot(tmp_path, background=False, download=True)


# --------------------------------------------------------------------------- SBU, Flickr

def test_sbu_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "dataset"
    urls = [f"http://static.flickr.com/2723/{k}_abc.jpg" for k in range(4)]
    _write(folder / "SBU_captioned_photo_dataset_urls.txt", "\n".join(urls) + "\n")
    _write(folder / "SBU_captioned_photo_dataset_captions.txt",
           "\n".join(f"caption number {k} " for k in range(4)) + "\n")
    for k in (0, 2, 3):  # photo 1 is gone
        _rng_image(folder / f"{k}_abc.jpg", seed=k)
    archive = _tar(tmp_path / "SBUCaptionedPhotoDataset.tar.gz", {"x": b"stand-in"}, "w:gz")
    for cls in (ed.SBU, tvd.SBU):
        monkeypatch.setattr(cls, "md5_checksum", _md5(archive))
    ours, theirs = ed.SBU(tmp_path), tvd.SBU(tmp_path)
    assert ours.photos == theirs.photos and ours.captions == theirs.captions
    assert len(ours) == 3
    _same_dataset(ours, theirs)


def test_sbu_errors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="Dataset not found.*SBUCaptionedPhotoDataset.tar.gz"):
        ed.SBU(tmp_path, download=False)
    with pytest.raises(DownloadError, match="SBUCaptionedPhotoDataset.tar.gz"):
        ed.SBU(tmp_path)


def test_flickr_matches_torchvision(tvd, tmp_path: Path) -> None:
    ids = ["1000268201", "1001773457", "997722733"]
    for k, i in enumerate(ids):
        _rng_image(tmp_path / "img" / f"{i}_693b08cb0e.jpg", seed=k)
    rows = "".join(
        f'<tr><td><a href="x">http://www.flickr.com/photos/u/{i}/</a></td><td><ul>'
        + "".join(f"<li>caption {k}.{j} </li>" for j in range(2)) + "</ul></td></tr>\n"
        for k, i in enumerate(ids))
    rows += "<tr><td>Image Not Found</td><td><ul><li>lost</li></ul></td></tr>\n"
    html = _write(tmp_path / "ann.html", f"<html><body><table>\n{rows}</table></body></html>")
    ours, theirs = ed.Flickr8k(tmp_path / "img", str(html)), tvd.Flickr8k(tmp_path / "img",
                                                                         str(html))
    assert ours.ids == theirs.ids and ours.annotations == theirs.annotations
    _same_dataset(ours, theirs)
    token = _write(tmp_path / "results.token", "".join(
        f"{i}_693b08cb0e.jpg#{j}\tA caption {j} of {i} .\n" for j in range(3) for i in ids))
    ours = ed.Flickr30k(tmp_path / "img", str(token), transform=lambda im: im.size)
    theirs = tvd.Flickr30k(tmp_path / "img", str(token), transform=lambda im: im.size)
    assert ours.ids == theirs.ids and dict(ours.annotations) == dict(theirs.annotations)
    _same_dataset(ours, theirs)
    _write(tmp_path / "bad.token", "no tab here\n")
    with pytest.raises(RuntimeError, match="bad.token:1"):
        ed.Flickr30k(tmp_path / "img", str(tmp_path / "bad.token"))


# --------------------------------------------------------------------------- v2 wrapper

def _same_wrapped(ours: Any, theirs: Any, indices: Any = None) -> None:
    assert type(ours).__name__ == type(theirs).__name__
    assert len(ours) == len(theirs)
    for i in indices if indices is not None else range(len(theirs)):
        _same(ours[i], theirs[i], f"wrapped item {i}")


@pytest.mark.parametrize("target_keys", [None, "all", {"boxes"}, ("annotation", "labels")])
def test_wrap_voc_matches_torchvision(tvd, tmp_path: Path, target_keys: Any) -> None:
    _write_voc(tmp_path)
    ours = ed.wrap_dataset_for_transforms_v2(ed.VOCDetection(tmp_path), target_keys)
    theirs = tvd.wrap_dataset_for_transforms_v2(tvd.VOCDetection(tmp_path), target_keys)
    _same_wrapped(ours, theirs, [0, 1, 3])  # torchvision cannot wrap an image without objects
    assert ours.images == theirs.images  # attributes reach through to the dataset
    seg = ed.wrap_dataset_for_transforms_v2(ed.VOCSegmentation(tmp_path))
    _same_wrapped(seg, tvd.wrap_dataset_for_transforms_v2(tvd.VOCSegmentation(tmp_path)))


def test_wrap_coco_matches_torchvision(coco_oracle, tmp_path: Path) -> None:
    ann = str(_write_coco(tmp_path))
    for keys in (None, {"boxes", "area", "iscrowd", "category_id", "bbox"}):
        ours = ed.wrap_dataset_for_transforms_v2(ed.CocoDetection(tmp_path, ann), keys)
        theirs = coco_oracle.wrap_dataset_for_transforms_v2(coco_oracle.CocoDetection(tmp_path,
                                                                                      ann), keys)
        _same_wrapped(ours, theirs)
    caps = ed.wrap_dataset_for_transforms_v2(ed.CocoCaptions(tmp_path, ann))
    _same_wrapped(caps, coco_oracle.wrap_dataset_for_transforms_v2(
        coco_oracle.CocoCaptions(tmp_path, ann)))


def test_wrap_detection_datasets_match_torchvision(tvd, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _write_kitti(tmp_path)
    for keys in (None, "all"):
        _same_wrapped(ed.wrap_dataset_for_transforms_v2(ed.Kitti(tmp_path), keys),
                      tvd.wrap_dataset_for_transforms_v2(tvd.Kitti(tmp_path), keys))
    _same_wrapped(ed.wrap_dataset_for_transforms_v2(ed.Kitti(tmp_path, train=False)),
                  tvd.wrap_dataset_for_transforms_v2(tvd.Kitti(tmp_path, train=False)))
    _write_widerface(tmp_path)
    for split, keys in (("train", None), ("val", ["pose", "bbox"]), ("test", None)):
        _same_wrapped(ed.wrap_dataset_for_transforms_v2(ed.WIDERFace(tmp_path, split), keys),
                      tvd.wrap_dataset_for_transforms_v2(tvd.WIDERFace(tmp_path, split), keys))
    file_list = _write_celeba(tmp_path)
    monkeypatch.setattr(ed.CelebA, "file_list", file_list)
    monkeypatch.setattr(tvd.CelebA, "file_list", file_list)
    for target_type in ("bbox", ["identity", "bbox"]):
        _same_wrapped(
            ed.wrap_dataset_for_transforms_v2(ed.CelebA(tmp_path, target_type=target_type)),
            tvd.wrap_dataset_for_transforms_v2(tvd.CelebA(tmp_path, target_type=target_type)))


def test_wrap_segmentation_datasets_match_torchvision(tvd, tmp_path: Path) -> None:
    _write_cityscapes(tmp_path)
    _same_wrapped(
        ed.wrap_dataset_for_transforms_v2(ed.Cityscapes(tmp_path, target_type="semantic")),
        tvd.wrap_dataset_for_transforms_v2(tvd.Cityscapes(tmp_path, target_type="semantic")))
    # the 16-bit instance PNGs load as uint16 masks, which PyTorch cannot compare (no uint16
    # kernel for >=): torchvision's instance wrapper raises there, and so does ours
    ours = ed.wrap_dataset_for_transforms_v2(
        ed.Cityscapes(tmp_path, target_type=["instance", "semantic"]))
    theirs = tvd.wrap_dataset_for_transforms_v2(
        tvd.Cityscapes(tmp_path, target_type=["instance", "semantic"]))
    with pytest.raises(NotImplementedError) as torch_error:
        theirs[0]
    with pytest.raises(NotImplementedError) as ember_error:
        ours[0]
    assert str(ember_error.value) == str(torch_error.value)
    _write_sbd(tmp_path / "sbd")
    _same_wrapped(
        ed.wrap_dataset_for_transforms_v2(ed.SBDataset(tmp_path / "sbd", mode="segmentation")),
        tvd.wrap_dataset_for_transforms_v2(tvd.SBDataset(tmp_path / "sbd", mode="segmentation")))


def test_wrap_moves_transforms_and_pickles(tmp_path: Path) -> None:
    import pickle

    from ember.vision.transforms import v2

    _write_voc(tmp_path)
    ds = ed.VOCDetection(tmp_path, transforms=v2.RandomHorizontalFlip(p=1.0))
    wrapped = ed.wrap_dataset_for_transforms_v2(ds)
    assert ds.transforms is None and wrapped.transforms is not None
    plain = ed.wrap_dataset_for_transforms_v2(ed.VOCDetection(tmp_path))
    img, target = wrapped[0]
    ref_img, ref_target = plain[0]
    assert np.asarray(img).tolist() == np.asarray(ref_img)[:, ::-1].tolist()
    width = ref_img.width
    np.testing.assert_array_equal(target["boxes"].numpy()[:, [2, 0]],
                                  width - ref_target["boxes"].numpy()[:, [0, 2]])
    again = pickle.loads(pickle.dumps(wrapped))
    assert type(again).__name__ == "WrappedVOCDetection" and again.transforms is not None


def test_wrap_errors_match_torchvision(tvd, tmp_path: Path) -> None:
    _write_voc(tmp_path)
    _write_sbd(tmp_path / "sbd")
    _write_cityscapes(tmp_path / "cs")
    cases = [
        (lambda d: d.VOCSegmentation(tmp_path), {"target_keys": {"boxes"}}, ValueError),
        (lambda d: d.VOCDetection(tmp_path), {"target_keys": {"nope"}}, ValueError),
        (lambda d: d.VOCDetection(tmp_path), {"target_keys": 3}, ValueError),
        (lambda d: d.SBDataset(tmp_path / "sbd"), {}, RuntimeError),
        (lambda d: d.Cityscapes(tmp_path / "cs", target_type="color"), {}, RuntimeError),
        (lambda d: d.Flickr30k(tmp_path, str(_write(tmp_path / "t.token", ""))), {}, TypeError),
        (lambda d: [1, 2], {}, TypeError),
    ]
    for build, kwargs, exc in cases:
        with pytest.raises(exc) as ours:
            ed.wrap_dataset_for_transforms_v2(build(ed), **kwargs)
        with pytest.raises(exc) as theirs:
            tvd.wrap_dataset_for_transforms_v2(build(tvd), **kwargs)
        assert str(ours.value).split("torchvision.datasets")[0].split("ember.vision.datasets")[0] \
            == str(theirs.value).split("torchvision.datasets")[0]
