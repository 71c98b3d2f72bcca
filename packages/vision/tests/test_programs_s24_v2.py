"""Differences found by a differential fuzzer of transforms v2 over detection samples (image,
BoundingBoxes in any format, Mask, labels): symmetric padding wider than the image, v2 padding
of tensors without a channel dimension, the size named in five/ten-crop errors, center crops
and blurs of empty images; and one seeded fuzz of whole detection pipelines. Torch computes
every expected value."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember
import ember.vision.transforms as ET
import ember.vision.transforms.v2 as EV2
from ember.vision import tv_tensors as EVT

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules, under --import-mode=importlib
from _transforms_helpers import assert_same, oracle, seed_all  # noqa: E402


@pytest.fixture
def tv() -> Any:
    return oracle()[1]


def _raises_alike(ours: Any, theirs: Any) -> None:
    """Both calls raise the same exception type with the same text."""
    with pytest.raises(Exception) as t:
        theirs()
    with pytest.raises(Exception) as e:
        ours()
    assert type(e.value).__name__ == type(t.value).__name__, (e.value, t.value)
    assert str(e.value).replace("ember", "torch") == str(t.value)


def _same_or_raises_alike(ours: Any, theirs: Any) -> None:
    try:
        expected = theirs()
    except Exception:  # noqa: BLE001 - then ours must fail the same way
        _raises_alike(ours, theirs)
    else:
        assert_same(ours(), expected)


def _lib(tv: Any, ours: bool) -> tuple[Any, Any, Any]:
    """(tensor library, v2 module, tv_tensors) of ember or of torch."""
    import torch

    return (ember, EV2, EVT) if ours else (torch, tv.transforms.v2, tv.tv_tensors)


# ---------------------------------------------------------------------------- symmetric padding
@pytest.mark.parametrize("shape", [(3, 1, 19), (3, 2, 3), (1, 3, 2, 3), (2, 1, 3, 2, 3)])
@pytest.mark.parametrize("padding", [[2], [1, 3], [0, 0, 0, 4], [0, 4, 0, 0], [4, 0, 0, 0],
                                     [0, 0, 4, 0], [1, 2, 3, 4], [-1, 3]])
@pytest.mark.parametrize("kind", ["v1", "plain", "Image", "Mask"])
def test_symmetric_pad_wider_than_the_image(tv: Any, shape: tuple, padding: list, kind: str) -> None:
    """torchvision mirrors by indexing: a border wider than the image is its IndexError."""
    if kind == "v1" and len(shape) > 4:
        pytest.skip("v1 symmetric padding takes 3-D and 4-D tensors only")

    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        x = lib.arange(int(np.prod(shape))).reshape(shape).to(lib.uint8)
        if kind == "v1":
            return (ET if ours else tv.transforms).functional.pad(x, padding, padding_mode="symmetric")
        if kind != "plain":
            x = getattr(V, kind)(x)
        return M.functional.pad(x, padding, padding_mode="symmetric")

    _same_or_raises_alike(lambda: run(True), lambda: run(False))


def test_symmetric_pad_of_a_thin_detection_sample(tv: Any) -> None:
    """The image is padded before the boxes, so its IndexError comes first, as in torchvision."""
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        sample = {"image": V.Image(lib.zeros(3, 1, 19, dtype=lib.uint8)),
                  "boxes": V.BoundingBoxes(lib.tensor([[1.0, 0.0, 5.0, 1.0]]), format="XYXY",
                                           canvas_size=(1, 19))}
        return M.Pad([1, 3], padding_mode="symmetric")(sample)

    def crop(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        return M.RandomCrop(5, padding=2, padding_mode="symmetric")(lib.zeros(3, 1, 8, dtype=lib.uint8))

    _raises_alike(lambda: run(True), lambda: run(False))
    _raises_alike(lambda: crop(True), lambda: crop(False))


@pytest.mark.parametrize("shape", [(2, 3), (5,)])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("kind", ["v1", "plain", "Mask"])
def test_pad_of_tensors_without_channels(tv: Any, shape: tuple, mode: str, kind: str) -> None:
    """v2 unpacks (C, H, W) (a ValueError below three dimensions, masks get one added); v1
    refuses symmetric padding of a 2-D tensor."""
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        x = lib.arange(int(np.prod(shape))).reshape(shape).to(lib.uint8)
        if kind == "v1":
            return (ET if ours else tv.transforms).functional.pad(x, [1, 1], padding_mode=mode)
        return M.functional.pad(V.Mask(x) if kind == "Mask" else x, [1, 1], padding_mode=mode)

    _same_or_raises_alike(lambda: run(True), lambda: run(False))


# ---------------------------------------------------------------------------- five / ten crop
@pytest.mark.parametrize("size", [6, [6], [6, 6], (6, 3)])
@pytest.mark.parametrize("api", ["v1-f", "v1-t", "v2-f", "v2-t"])
@pytest.mark.parametrize("ten", [False, True])
def test_five_and_ten_crop_name_the_size_as_given(tv: Any, size: Any, api: str, ten: bool) -> None:
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        top = (ET if ours else tv.transforms) if api.startswith("v1") else M
        x = V.Image(lib.zeros(3, 4, 5, dtype=lib.uint8)) if api.startswith("v2") else \
            lib.zeros(3, 4, 5, dtype=lib.uint8)
        if api.endswith("-f"):
            f = top.functional.ten_crop if ten else top.functional.five_crop
            return f(x, size)
        return (top.TenCrop(size) if ten else top.FiveCrop(size))(x)

    _raises_alike(lambda: run(True), lambda: run(False))


# ---------------------------------------------------------------------------- empty images
@pytest.mark.parametrize("shape", [(3, 0, 6), (1, 0, 20), (3, 5, 0), (0, 3, 5, 6), (2, 0, 3, 5, 6)])
@pytest.mark.parametrize("size", [[12, 12], 2])
@pytest.mark.parametrize("kind", ["plain", "Image", "Mask"])
def test_center_crop_of_an_empty_image(tv: Any, shape: tuple, size: Any, kind: str) -> None:
    """v2 reshapes an empty image to the crop size (an error unless a batch dimension is 0)."""
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        x = lib.zeros(shape, dtype=lib.uint8)
        if kind != "plain":
            x = getattr(V, kind)(x)
        return M.functional.center_crop(x, size)

    _same_or_raises_alike(lambda: run(True), lambda: run(False))


@pytest.mark.parametrize("shape", [(3, 0, 6), (3, 5, 0), (0, 3, 5, 6)])
@pytest.mark.parametrize("args", [([3, 3], None), (5, 1.5), ([4, 3], None), ([3, 3], -1.0)])
def test_gaussian_blur_of_an_empty_image(tv: Any, shape: tuple, args: tuple) -> None:
    """v2 checks the kernel arguments, then returns an empty image unchanged."""
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        return M.GaussianBlur(*args)(V.Image(lib.zeros(shape, dtype=lib.uint8))) if args[1] \
            is not None and args[1] > 0 else M.functional.gaussian_blur(
                V.Image(lib.zeros(shape, dtype=lib.uint8)), *args)

    _same_or_raises_alike(lambda: run(True), lambda: run(False))


# ---------------------------------------------------------------------------- exact boxes
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8"])
def test_box_format_conversions_are_bit_exact(tv: Any, dtype: str) -> None:
    """XYWH <-> CXCYWH convert directly and XYXY -> CXCYWH as (2 * x1 + w) / 2, as torchvision."""
    import itertools

    raw = np.random.default_rng(3).uniform(0, 100, (300, 4)).astype(dtype)
    for old, new in itertools.product(["XYXY", "XYWH", "CXCYWH"], repeat=2):
        outs = []
        for ours in (True, False):
            lib, M, V = _lib(tv, ours)
            boxes = V.BoundingBoxes(lib.from_numpy(raw.copy()), format=old, canvas_size=(100, 100))
            outs.append((M.ConvertBoundingBoxFormat(new)(boxes),
                         M.functional.convert_bounding_box_format(lib.from_numpy(raw.copy()), old, new)))
        assert_same(outs[0], outs[1], 0.0, f"{old}->{new}")


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_affine_rotate_perspective_boxes_are_bit_exact_in_float32(tv: Any, fmt: str) -> None:
    """The corners are multiplied by the 3x2 matrix term by term, as PyTorch's CPU matmul adds."""
    rng = np.random.default_rng(4)
    raw = rng.uniform(0, 30, (40, 5 if fmt.endswith("R") else 4)).astype(np.float32)
    start, end = [[0, 0], [51, 0], [51, 32], [0, 32]], [[2, 1], [50, 3], [47, 30], [1, 31]]
    calls = [("affine", (13.3, [2, -3], 1.1, [4.2, 0.0])), ("affine", (-30.0, [0, 0], 0.8, [0.0, 7.0])),
             ("rotate", (33.0, None, True)), ("rotate", (-71.0,)), ("perspective", (start, end))]
    for name, args in calls:
        outs = []
        for ours in (True, False):
            lib, M, V = _lib(tv, ours)
            boxes = V.BoundingBoxes(lib.from_numpy(raw.copy()), format=fmt, canvas_size=(33, 52))
            outs.append(getattr(M.functional, name)(boxes, *args))
        assert_same(outs[0], outs[1], 0.0, name)


# ---------------------------------------------------------------------------- sample sizes
@pytest.mark.parametrize("make", [
    lambda M: M.RandomCrop(8), lambda M: M.RandomResizedCrop(8), lambda M: M.RandomIoUCrop(),
    lambda M: M.RandomZoomOut(p=1.0), lambda M: M.RandomAffine(10), lambda M: M.ScaleJitter((9, 9)),
])
@pytest.mark.parametrize("sizes", [[(20, 20), (18, 20)], [(20, 20), (20, 18), (12, 30)]])
def test_samples_of_several_sizes_name_them_like_torchvision(tv: Any, make: Any, sizes: list) -> None:
    """A mask or box canvas that does not match the image: the sizes quoted, sorted."""
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        (h, w), *rest = sizes
        sample = {"image": V.Image(lib.zeros(3, h, w, dtype=lib.uint8)),
                  "masks": V.Mask(lib.zeros(1, *rest[0], dtype=lib.uint8))}
        if len(rest) > 1:
            sample["boxes"] = V.BoundingBoxes(lib.tensor([[1.0, 1.0, 5.0, 5.0]]), format="XYXY",
                                              canvas_size=rest[1])
        seed_all(0)
        return make(M)(sample)

    _raises_alike(lambda: run(True), lambda: run(False))


def test_images_of_several_shapes_name_them_like_torchvision(tv: Any) -> None:
    def run(ours: bool) -> Any:
        lib, M, V = _lib(tv, ours)
        seed_all(0)
        return M.RandomErasing(p=1.0)((V.Image(lib.zeros(3, 8, 8)), V.Image(lib.zeros(1, 8, 8)),
                                       V.Image(lib.zeros(3, 6, 8))))

    _raises_alike(lambda: run(True), lambda: run(False))


# ---------------------------------------------------------------------------- seeded fuzz
def _fill(R: random.Random) -> Any:
    return R.choice([0, 5, 2.5])


_PIPE = [
    lambda R, M, L: M.RandomHorizontalFlip(R.choice([0.5, 1.0])),
    lambda R, M, L: M.RandomVerticalFlip(R.choice([0.5, 1.0])),
    lambda R, M, L: M.RandomResizedCrop(R.choice([7, (9, 13)]), scale=R.choice([(0.08, 1.0), (0.5, 1.0)]),
                                        antialias=R.choice([True, False])),
    lambda R, M, L: M.RandomIoUCrop(min_scale=R.choice([0.3, 0.5]), trials=R.choice([10, 40])),
    lambda R, M, L: M.RandomZoomOut(fill=_fill(R), side_range=(1.0, R.choice([1.5, 4.0])), p=1.0),
    lambda R, M, L: M.RandomAffine(R.choice([15, (-30, 40)]), translate=R.choice([None, (0.1, 0.3)]),
                                   scale=R.choice([None, (0.7, 1.3)]), shear=R.choice([None, 10]),
                                   fill=R.choice([0, 7])),
    lambda R, M, L: M.RandomRotation(R.choice([30, (90, 90)]), expand=R.choice([True, False]),
                                     center=R.choice([None, [3, 4]])),
    lambda R, M, L: M.Resize(R.choice([10, [16], None]), max_size=R.choice([20, 31])),
    lambda R, M, L: M.CenterCrop(R.choice([5, (30, 8), 50])),
    lambda R, M, L: M.Pad(R.choice([1, (2, 3), [0, 1, 2, 3]]), fill=R.choice([0, 5])),
    lambda R, M, L: M.SanitizeBoundingBoxes(min_size=R.choice([1, 2.5]), min_area=R.choice([1, 20])),
    lambda R, M, L: M.ClampBoundingBoxes(),
    lambda R, M, L: M.ConvertBoundingBoxFormat(R.choice(["XYXY", "XYWH", "CXCYWH"])),
    lambda R, M, L: M.ToDtype(R.choice([L.float32, L.float64]), scale=R.choice([True, False])),
    lambda R, M, L: M.RandomCrop(R.choice([5, 20]), padding=R.choice([None, 2]), pad_if_needed=True),
]


def _sample(d: dict, V: Any, lib: Any) -> dict:
    s = {"image": V.Image(lib.from_numpy(d["img"].copy())),
         "boxes": V.BoundingBoxes(lib.from_numpy(d["boxes"].copy()), format=d["fmt"],
                                  canvas_size=d["hw"]),
         "labels": lib.from_numpy(d["labels"].copy())}
    if d["masks"] is not None:
        s["masks"] = V.Mask(lib.from_numpy(d["masks"].copy()))
    return s


def _draw(R: random.Random, case: int) -> dict:
    rng = np.random.default_rng(case)
    h, w, nb = R.choice([5, 17, 33]), R.choice([6, 19, 32]), R.choice([0, 1, 3])
    img = rng.integers(0, 256, (R.choice([1, 3]), h, w)).astype(np.uint8) if R.random() < 0.6 \
        else rng.random((3, h, w)).astype(np.float32)
    xy, wh = rng.uniform(-2, 20, (nb, 2)), rng.uniform(0.5, 15, (nb, 2))
    fmt = R.choice(["XYXY", "XYWH", "CXCYWH"])
    boxes = {"XYXY": np.concatenate([xy, xy + wh], 1), "XYWH": np.concatenate([xy, wh], 1),
             "CXCYWH": np.concatenate([xy + wh / 2, wh], 1)}[fmt]
    boxes = np.round(boxes).astype(np.int64) if R.random() < 0.2 else boxes.astype(np.float32)
    masks = R.choice([rng.integers(0, 2, (nb, h, w)).astype(bool), None])
    return {"img": img, "hw": (h, w), "fmt": fmt, "boxes": boxes, "masks": masks,
            "labels": rng.integers(0, 9, nb).astype(np.int64)}


def _pipeline(draw: tuple, M: Any, lib: Any, V: Any) -> Any:
    """The drawn pipeline built in ``M`` and run on the drawn sample after the drawn seed."""
    R, state, picks, kind, seed, d = draw
    R.setstate(state)
    steps = [_PIPE[p](R, M, lib) for p in picks]
    t = {"compose": M.Compose, "choice": M.RandomChoice,
         "apply": lambda s: M.RandomApply(s, p=0.5)}[kind](steps)
    seed_all(seed)
    return t(_sample(d, V, lib))


def test_seeded_v2_fuzz_of_detection_pipelines(tv: Any) -> None:
    """Random one- to three-step pipelines (Compose, RandomApply or RandomChoice) over random
    detection samples: the same images, boxes (format and canvas), masks and labels."""
    import torch

    R = random.Random(24)
    for case in range(120):
        d = _draw(R, case)
        picks, kind, seed = [R.randrange(len(_PIPE)) for _ in range(R.choice([1, 2, 3]))], \
            R.choice(["compose", "apply", "choice"]), R.randint(0, 9999)
        draw = (R, R.getstate(), picks, kind, seed, d)
        try:
            theirs = _pipeline(draw, tv.transforms.v2, torch, tv.tv_tensors)
        except Exception:  # noqa: BLE001 - e.g. a canvas torchvision leaves unrotated
            _raises_alike(lambda: _pipeline(draw, EV2, ember, EVT),  # noqa: B023
                          lambda: _pipeline(draw, tv.transforms.v2, torch, tv.tv_tensors))  # noqa: B023
            continue
        ours = _pipeline(draw, EV2, ember, EVT)
        what = f"case {case}: {picks} {kind}"
        assert ours["boxes"].format.name == theirs["boxes"].format.name, what
        assert_same(ours, theirs, 1.0 if d["img"].dtype == np.uint8 else 1e-4, what)
        assert_same(ours["boxes"], theirs["boxes"], 2e-4 if d["boxes"].dtype == np.float64 else 0.0,
                    what)
