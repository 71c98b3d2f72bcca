"""Datasets read small files written in the real on-disk formats, compared with torchvision
reading the same files; corrupt and truncated files raise errors that name them."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import guard_network, torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
from ember.vision import datasets as ed  # noqa: E402


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)


@pytest.fixture
def tvd() -> Any:
    return torchvision_or_skip().datasets


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _same_items(ours: Any, theirs: Any, indices: Any = None) -> None:
    assert len(ours) == len(theirs)
    for i in indices if indices is not None else range(len(ours)):
        (a, ta), (b, tb) = ours[i], theirs[i]
        assert a.mode == b.mode and a.size == b.size
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        if hasattr(tb, "numpy"):
            np.testing.assert_array_equal(ta.numpy(), tb.numpy())
        else:
            assert type(ta) is type(tb) and ta == tb


# --------------------------------------------------------------------------- IDX / MNIST

def _idx_bytes(arr: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
            np.float32: 0x0D}[arr.dtype.type]
    header = struct.pack(">I", (code << 8) | arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_idx(path: Path, arr: np.ndarray, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _idx_bytes(arr)
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _write_mnist(root: Path, name: str, sizes: dict[str, int], gz: bool = False,
                 shape: tuple[int, int] = (28, 28), seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for split, n in sizes.items():
        raw = root / name / "raw"
        _write_idx(raw / f"{split}-images-idx3-ubyte",
                   rng.integers(0, 256, (n, *shape), dtype=np.uint8), gz)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8), gz)


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_family_matches_torchvision(tvd, tmp_path: Path, name: str, train: bool) -> None:
    _write_mnist(tmp_path, name, {"train": 9, "t10k": 4})
    ours, theirs = getattr(ed, name)(tmp_path, train=train), getattr(tvd, name)(tmp_path, train=train)
    assert ours.data.dtype == ember.uint8 and ours.targets.dtype == ember.int64
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(ours.targets.numpy(), theirs.targets.numpy())
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.raw_folder == theirs.raw_folder and repr(ours) == repr(theirs)
    _same_items(ours, theirs)
    assert ours[0][0].mode == "L"


def test_mnist_reads_gzipped_files(tmp_path: Path) -> None:
    _write_mnist(tmp_path / "a", "MNIST", {"train": 5, "t10k": 2}, gz=False, seed=3)
    _write_mnist(tmp_path / "b", "MNIST", {"train": 5, "t10k": 2}, gz=True, seed=3)
    assert not (tmp_path / "b/MNIST/raw/train-images-idx3-ubyte").exists()
    plain, zipped = ed.MNIST(tmp_path / "a"), ed.MNIST(str(tmp_path / "b"))
    np.testing.assert_array_equal(plain.data.numpy(), zipped.data.numpy())
    np.testing.assert_array_equal(plain.targets.numpy(), zipped.targets.numpy())


def test_mnist_transforms_and_missing(tmp_path: Path) -> None:
    _write_mnist(tmp_path, "MNIST", {"train": 3, "t10k": 1})
    ds = ed.MNIST(tmp_path, transform=lambda im: np.asarray(im).sum(),
                  target_transform=lambda t: t + 100)
    img, target = ds[1]
    assert img == int(ds.data[1].numpy().astype(np.int64).sum())
    assert target == int(ds.targets[1]) + 100
    with pytest.warns(UserWarning, match="renamed"):
        assert ds.train_labels is ds.targets
    with pytest.raises(RuntimeError, match="Dataset not found"):
        ed.FashionMNIST(tmp_path)


@pytest.mark.parametrize("split", ["byclass", "bymerge", "balanced", "letters", "digits", "mnist"])
def test_emnist_matches_torchvision(tvd, tmp_path: Path, split: str) -> None:
    rng = np.random.default_rng(4)
    raw = tmp_path / "EMNIST" / "raw"
    ncls = len(ed.EMNIST.classes_split_dict[split])
    for part, n in (("train", 6), ("test", 3)):
        _write_idx(raw / f"emnist-{split}-{part}-images-idx3-ubyte",
                   rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        _write_idx(raw / f"emnist-{split}-{part}-labels-idx1-ubyte",
                   rng.integers(0, ncls, n, dtype=np.uint8))
    for train in (True, False):
        ours, theirs = ed.EMNIST(tmp_path, split, train=train), tvd.EMNIST(tmp_path, split,
                                                                          train=train)
        assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
        np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
        _same_items(ours, theirs)
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        ed.EMNIST(tmp_path, "nope")


def test_qmnist_matches_torchvision(tvd, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    raw = tmp_path / "QMNIST" / "raw"
    for part, n in (("train", 5), ("test", 10_003)):
        _write_idx(raw / f"qmnist-{part}-images-idx3-ubyte",
                   rng.integers(0, 256, (n, 2, 3), dtype=np.uint8))
        _write_idx(raw / f"qmnist-{part}-labels-idx2-int",
                   rng.integers(0, 100_000, (n, 8)).astype(np.int32))
    for what in ("train", "test", "test10k", "test50k"):
        for compat in (True, False):
            ours = ed.QMNIST(tmp_path, what=what, compat=compat)
            theirs = tvd.QMNIST(tmp_path, what=what, compat=compat)
            np.testing.assert_array_equal(ours.targets.numpy(), theirs.targets.numpy())
            _same_items(ours, theirs, range(min(len(ours), 3)))
            assert len(ours) == len(theirs) and repr(ours) == repr(theirs)


def test_idx_corrupt_files_name_the_file(tmp_path: Path) -> None:
    _write_mnist(tmp_path, "MNIST", {"train": 4, "t10k": 2})
    raw = tmp_path / "MNIST" / "raw"
    images = raw / "train-images-idx3-ubyte"
    good = images.read_bytes()
    images.write_bytes(good[:-10])  # truncated
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.*truncated"):
        ed.MNIST(tmp_path)
    images.write_bytes(good + b"xx")
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.*trailing"):
        ed.MNIST(tmp_path)
    images.write_bytes(b"\x12\x34" + good[2:])  # bad magic
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.*bad magic"):
        ed.MNIST(tmp_path)
    images.write_bytes(good[:6])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte"):
        ed.MNIST(tmp_path)
    images.write_bytes(good)
    labels = raw / "train-labels-idx1-ubyte"
    _write_idx(labels, np.zeros(3, np.uint8))  # one label short
    with pytest.raises(RuntimeError, match="4 images but .*3 labels"):
        ed.MNIST(tmp_path)
    _write_idx(labels, np.zeros((4, 1), np.uint8))  # labels of the wrong rank
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte"):
        ed.MNIST(tmp_path)
    _write_idx(labels, np.zeros(4, np.int32))  # labels of the wrong type
    with pytest.raises(TypeError, match="train-labels-idx1-ubyte"):
        ed.MNIST(tmp_path)
    labels.unlink()
    gz = _write_idx(labels, np.zeros(4, np.uint8), gz=True)
    gz.write_bytes(gz.read_bytes()[:-8])  # a cut gzip stream
    with pytest.raises(RuntimeError, match=r"train-labels-idx1-ubyte.gz"):
        ed.MNIST(tmp_path)


def test_read_sn3_types(tmp_path: Path) -> None:
    from ember.vision.datasets.mnist import read_sn3_pascalvincent_tensor

    for arr in (np.arange(-6, 6, dtype=np.int16).reshape(3, 4), np.linspace(-1, 1, 5,
                dtype=np.float32), np.arange(-4, 4, dtype=np.int8)):
        path = _write_idx(tmp_path / f"x{arr.dtype}", arr)
        out = read_sn3_pascalvincent_tensor(str(path))
        np.testing.assert_array_equal(out.numpy(), arr)
        assert out.numpy().dtype == arr.dtype


# --------------------------------------------------------------------------- CIFAR

def _write_cifar(root: Path, folder: str, batches: dict[str, int], label_key: str,
                 meta_name: str, meta_key: str, seed: int = 0, bytes_keys: bool = False) -> None:
    rng = np.random.default_rng(seed)
    base = root / folder
    base.mkdir(parents=True, exist_ok=True)
    key = (lambda k: k.encode()) if bytes_keys else (lambda k: k)
    for name, n in batches.items():
        entry = {key("batch_label"): f"{name} of test", key("data"):
                 rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 key(label_key): [int(v) for v in rng.integers(0, 10, n)],
                 key("filenames"): [f"img_{i}.png" for i in range(n)]}
        if label_key == "fine_labels":
            entry[key("coarse_labels")] = [int(v) for v in rng.integers(0, 20, n)]
        (base / name).write_bytes(pickle.dumps(entry, protocol=2))
    names = [f"class_{i}" for i in range(10)]
    (base / meta_name).write_bytes(pickle.dumps({key(meta_key): names, key("num_cases_per_batch"):
                                                 10}, protocol=2))


def _patch_cifar_md5(monkeypatch: pytest.MonkeyPatch, root: Path, *classes: Any) -> None:
    """Point the classes' md5 lists at the test files (both libraries check them)."""
    for cls in classes:
        base = root / cls.base_folder
        for attr in ("train_list", "test_list"):
            monkeypatch.setattr(cls, attr, [[n, _md5(base / n)] for n, _ in getattr(cls, attr)])
        meta = dict(cls.meta, md5=_md5(base / cls.meta["filename"]))
        monkeypatch.setattr(cls, "meta", meta)


CIFAR10_BATCHES = {f"data_batch_{i}": 3 for i in range(1, 6)} | {"test_batch": 4}


def test_cifar10_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_cifar(tmp_path, "cifar-10-batches-py", CIFAR10_BATCHES, "labels", "batches.meta",
                 "label_names")
    _patch_cifar_md5(monkeypatch, tmp_path, ed.CIFAR10, tvd.CIFAR10)
    for train in (True, False):
        ours, theirs = ed.CIFAR10(tmp_path, train=train), tvd.CIFAR10(tmp_path, train=train)
        np.testing.assert_array_equal(ours.data, theirs.data)
        assert ours.data.shape == ((15 if train else 4), 32, 32, 3)
        assert ours.targets == theirs.targets and ours.classes == theirs.classes
        assert ours.class_to_idx == theirs.class_to_idx and repr(ours) == repr(theirs)
        _same_items(ours, theirs)


def test_cifar100_matches_torchvision(tvd, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _write_cifar(tmp_path, "cifar-100-python", {"train": 6, "test": 2}, "fine_labels", "meta",
                 "fine_label_names")
    _patch_cifar_md5(monkeypatch, tmp_path, ed.CIFAR100, tvd.CIFAR100)
    for train in (True, False):
        ours, theirs = ed.CIFAR100(tmp_path, train=train), tvd.CIFAR100(tmp_path, train=train)
        assert ours.targets == theirs.targets and ours.classes == theirs.classes
        _same_items(ours, theirs)


def test_cifar_legacy_numpy_names_and_bytes_keys(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _write_cifar(tmp_path, "cifar-10-batches-py", CIFAR10_BATCHES, "labels", "batches.meta",
                 "label_names", bytes_keys=True)
    # pickles written by NumPy 1 name numpy.core; real CIFAR files do
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    raw = path.read_bytes()
    assert b"numpy._core.multiarray" in raw
    path.write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    _patch_cifar_md5(monkeypatch, tmp_path, ed.CIFAR10)
    ds = ed.CIFAR10(tmp_path, train=False)
    assert len(ds) == 4 and ds.classes[0] == "class_0"


def test_cifar_corrupt_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_cifar(tmp_path, "cifar-10-batches-py", CIFAR10_BATCHES, "labels", "batches.meta",
                 "label_names")
    base = tmp_path / "cifar-10-batches-py"
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted.*data_batch_1"):
        ed.CIFAR10(tmp_path)  # the md5s are the real files', not these
    batch = base / "data_batch_2"
    good = batch.read_bytes()
    cases = {
        "wrong size": pickle.dumps({"data": np.zeros((3, 3000), np.uint8), "labels": [0, 1, 2]}),
        "labels": pickle.dumps({"data": np.zeros((3, 3072), np.uint8), "labels": [0, 1]}),
        "truncated": good[:len(good) // 2],
        "refusing": pickle.dumps({"data": ember.vision.datasets.CIFAR10, "labels": []}),
    }
    for match, blob in cases.items():
        batch.write_bytes(blob)
        _patch_cifar_md5(monkeypatch, tmp_path, ed.CIFAR10)
        with pytest.raises(RuntimeError, match=rf"data_batch_2.*(?s:.*){match}"):
            ed.CIFAR10(tmp_path)
        monkeypatch.undo()
        guard_network(monkeypatch)


# --------------------------------------------------------------------------- SVHN

def test_svhn_matches_torchvision(tvd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sio = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(6)
    x = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)
    y = np.array([[10], [1], [2], [10], [9]], dtype=np.uint8)
    sio.savemat(tmp_path / "test_32x32.mat", {"X": x, "y": y})
    md5 = _md5(tmp_path / "test_32x32.mat")
    for cls in (ed.SVHN, tvd.SVHN):
        lists = {k: list(v) for k, v in cls.split_list.items()}
        lists["test"][2] = md5
        monkeypatch.setattr(cls, "split_list", lists)
    ours, theirs = ed.SVHN(tmp_path, split="test"), tvd.SVHN(tmp_path, split="test")
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.labels.dtype == np.int64 and list(ours.labels) == [0, 1, 2, 0, 9]
    assert repr(ours) == repr(theirs)
    _same_items(ours, theirs)


def test_svhn_without_scipy_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train_32x32.mat").write_bytes(b"not really a mat file")
    lists = {k: list(v) for k, v in ed.SVHN.split_list.items()}
    lists["train"][2] = _md5(tmp_path / "train_32x32.mat")
    monkeypatch.setattr(ed.SVHN, "split_list", lists)
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match="scipy"):
        ed.SVHN(tmp_path)
    monkeypatch.delitem(sys.modules, "scipy.io")
    if pytest.importorskip("scipy.io"):
        with pytest.raises(RuntimeError, match="train_32x32.mat"):
            ed.SVHN(tmp_path)


# --------------------------------------------------------------------------- folders

def _write_tree(root: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(7)
    for cls, names in {"dog": ["b.png", "a.jpg", "sub/c.PNG", "notes.txt"],
                       "cat": ["x.jpeg", "y.bmp"], "bird": ["g.png"]}.items():
        for name in names:
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            arr = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
            img = Image.fromarray(arr if "y" not in name else arr[..., 0])
            img.save(path, format={"jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP"}.get(
                name.rsplit(".", 1)[-1].lower(), "PNG"))
    (root / "empty").mkdir()
    (root / "stray.png").write_bytes(b"")


def test_image_folder_matches_torchvision(tvd, tmp_path: Path) -> None:
    _write_tree(tmp_path)
    with pytest.raises(FileNotFoundError, match="empty"):
        ed.ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="empty"):
        tvd.ImageFolder(tmp_path)
    ours, theirs = ed.ImageFolder(tmp_path, allow_empty=True), tvd.ImageFolder(
        tmp_path, allow_empty=True)
    assert ours.classes == theirs.classes == ["bird", "cat", "dog", "empty"]
    assert ours.samples == theirs.samples and ours.imgs == theirs.imgs
    assert ours.targets == theirs.targets and ours.class_to_idx == theirs.class_to_idx
    _same_items(ours, theirs)
    assert all(img.mode == "RGB" for img, _ in ours)


def test_dataset_folder_options(tvd, tmp_path: Path) -> None:
    _write_tree(tmp_path)
    for kwargs in ({"extensions": (".png",), "allow_empty": True},
                   {"extensions": ".jpg", "allow_empty": True},
                   {"is_valid_file": lambda p: "a" in os.path.basename(p), "allow_empty": True}):
        ours = ed.DatasetFolder(tmp_path, loader=os.path.getsize, **kwargs)
        theirs = tvd.DatasetFolder(tmp_path, loader=os.path.getsize, **kwargs)
        assert ours.samples == theirs.samples and list(ours) == list(theirs)
    for bad in ({}, {"extensions": (".png",), "is_valid_file": bool}):
        with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
            ed.DatasetFolder(tmp_path, loader=len, **bad)
    with pytest.raises(ValueError, match="must have at least one entry"):
        ed.folder.make_dataset(tmp_path, {}, extensions=(".png",))
    with pytest.raises(FileNotFoundError, match="Supported extensions are: .png"):
        ed.folder.make_dataset(tmp_path, extensions=(".png",))
    assert ed.folder.make_dataset(tmp_path, extensions=(".png",), allow_empty=True) == \
        tvd.folder.make_dataset(tmp_path, extensions=(".png",), allow_empty=True)
    (tmp_path / "none").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ed.folder.find_classes(tmp_path / "none")
    assert ed.folder.IMG_EXTENSIONS == tvd.folder.IMG_EXTENSIONS
    assert ed.folder.is_image_file("A.JPEG") and not ed.folder.is_image_file("a.gif")


def test_transforms_assigned_later_apply(tvd, tmp_path: Path) -> None:
    # a common recipe: one dataset, its transform swapped after construction
    _write_tree(tmp_path)
    ours = ed.DatasetFolder(tmp_path, loader=os.path.getsize, extensions=(".png", ".jpg"),
                            allow_empty=True)
    theirs = tvd.DatasetFolder(tmp_path, loader=os.path.getsize, extensions=(".png", ".jpg"),
                               allow_empty=True)
    for d in (ours, theirs):
        d.transform, d.target_transform = (lambda n: -n), (lambda t: t + 10)
    assert list(ours) == list(theirs) and ours[0][1] >= 10 and ours[0][0] < 0


def test_dataset_folder_overrides(tmp_path: Path) -> None:
    _write_tree(tmp_path)

    class OnlyDogs(ed.DatasetFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    ds = OnlyDogs(tmp_path, loader=ed.folder.pil_loader, extensions=ed.folder.IMG_EXTENSIONS)
    assert ds.classes == ["dog"] and len(ds) == 3 and set(ds.targets) == {0}
    assert ds[0][0].mode == "RGB"


# --------------------------------------------------------------------------- FakeData

@pytest.mark.parametrize("image_size", [(3, 9, 7), (1, 8, 8), (4, 5, 6), (2, 3, 3)])
def test_fakedata_matches_torchvision(tvd, image_size: tuple) -> None:
    import torch

    torch.manual_seed(123)
    ember.manual_seed(123)
    ours = ed.FakeData(size=6, image_size=image_size, num_classes=4, random_offset=11)
    theirs = tvd.FakeData(size=6, image_size=image_size, num_classes=4, random_offset=11)
    _same_items(ours, theirs)
    _same_items(ours, ours)  # deterministic per index
    # the global generators are left as they were
    np.testing.assert_array_equal(ember.rand(5).numpy(), torch.rand(5).numpy())
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ours[6]


def test_fakedata_target_transform_gets_a_tensor() -> None:
    seen = []
    ds = ed.FakeData(size=2, image_size=(3, 4, 4), target_transform=lambda t: seen.append(t) or t)
    _, target = ds[1]
    assert isinstance(seen[0], ember.Tensor) and isinstance(target, int)
    assert ds[0][0].size == (4, 4) and len(ds) == 2


# --------------------------------------------------------------------------- base, Digits

def test_vision_dataset_repr_matches_torchvision(tvd, tmp_path: Path) -> None:
    class Shift:
        def __call__(self, x):
            return x

        def __repr__(self) -> str:
            return "Shift(\n  by=1\n)"

    _write_mnist(tmp_path, "MNIST", {"train": 2, "t10k": 1})
    ours = ed.MNIST(tmp_path, transform=Shift(), target_transform=Shift())
    theirs = tvd.MNIST(tmp_path, transform=Shift(), target_transform=Shift())
    assert repr(ours) == repr(theirs)
    assert repr(ed.FakeData(3)) == repr(tvd.FakeData(3))
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        ed.VisionDataset(tmp_path, transforms=Shift(), transform=Shift())


def test_digits_keeps_its_split() -> None:
    pytest.importorskip("sklearn")
    train, test = ed.Digits(train=True), ed.Digits(train=False)
    assert len(train) == 1438 and len(test) == 359
    assert train.data.dtype == np.uint8 and train.data.shape == (1438, 8, 8)
    img, target = test[0]
    assert img.mode == "L" and img.size == (8, 8) and isinstance(target, int)
    from sklearn.datasets import load_digits

    bunch = load_digits()  # the test set is every fifth sample, from index 4
    np.testing.assert_array_equal(test.data, np.round(bunch.images[4::5] * (255 / 16)))
    assert test.targets == [int(t) for t in bunch.target[4::5]]
