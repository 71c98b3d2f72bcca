"""Differences found by fuzzing ember.vision.transforms (v1 and v2) against torchvision:
lanczos resizing of tensors (v2) and its errors (v1), reversed random ranges, empty mask
stacks through padding, degenerate perspective warps, resizes to nothing, and reprs.
Torch computes every expected value."""

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
from _transforms_helpers import assert_same, both, oracle, seed_all  # noqa: E402


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


# ---------------------------------------------------------------------------- lanczos
@pytest.mark.parametrize("shape,size", [((3, 17, 19), [9, 31]), ((1, 33, 6), [40, 2]),
                                        ((2, 3, 20, 21), [7, 7]), ((4, 5, 5), [12])])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_v2_resize_lanczos_matches(tv: Any, shape: tuple, size: list, dtype: str) -> None:
    rng = np.random.default_rng(len(shape) + size[0])
    arr = rng.integers(0, 256, shape).astype(np.uint8) if dtype == "uint8" else \
        rng.random(shape).astype(np.float32)
    e, t = both(arr)
    ours = EV2.Resize(size, interpolation=EV2.InterpolationMode.LANCZOS)(EVT.Image(e))
    theirs = tv.transforms.v2.Resize(size, interpolation=tv.transforms.v2.InterpolationMode.LANCZOS)(
        tv.tv_tensors.Image(t))
    assert_same(ours, theirs, 0 if dtype == "uint8" else 1e-5)


def test_resize_modes_tensors_cannot_take(tv: Any) -> None:
    e, t = both(np.zeros((3, 5, 5), np.float32))
    TT, TV2 = tv.transforms, tv.transforms.v2
    for E, T in ((ET, TT), (EV2, TV2)):
        for mode in ("HAMMING", "BOX"):
            _raises_alike(lambda E=E, m=mode: E.Resize(3, getattr(E.InterpolationMode, m))(e),
                          lambda T=T, m=mode: T.Resize(3, getattr(T.InterpolationMode, m))(t))
    # v1 drops antialias for lanczos, so interpolate refuses it; v2 asks for antialias
    _raises_alike(lambda: ET.Resize(3, ET.InterpolationMode.LANCZOS)(e),
                  lambda: TT.Resize(3, TT.InterpolationMode.LANCZOS)(t))
    _raises_alike(lambda: EV2.Resize(3, EV2.InterpolationMode.LANCZOS, antialias=False)(e),
                  lambda: TV2.Resize(3, TV2.InterpolationMode.LANCZOS, antialias=False)(t))


# ---------------------------------------------------------------------------- random ranges
@pytest.mark.filterwarnings("ignore:Scale and ratio")
@pytest.mark.parametrize("v2", [False, True])
@pytest.mark.parametrize("kw", [{"scale": (0.5, 0.2)}, {"ratio": (2.0, 0.5)}])
def test_random_resized_crop_reversed_ranges_raise_like_torch(tv: Any, v2: bool, kw: dict) -> None:
    E, T = (EV2, tv.transforms.v2) if v2 else (ET, tv.transforms)
    e, t = both(np.zeros((3, 20, 20), np.uint8))
    _raises_alike(lambda: E.RandomResizedCrop(8, **kw)(e), lambda: T.RandomResizedCrop(8, **kw)(t))


def test_elastic_transform_repr_keeps_tuples(tv: Any) -> None:
    for kw in ({"alpha": (10.0, 20.0), "sigma": (1.0, 2.0)}, {"alpha": 50.0, "sigma": (1.0, 2.0)},
               {"alpha": [3.0, 4.0]}):
        assert repr(ET.ElasticTransform(**kw)) == repr(tv.transforms.ElasticTransform(**kw))
        assert repr(EV2.ElasticTransform(**kw)) == repr(tv.transforms.v2.ElasticTransform(**kw))
    comp = [ET.ElasticTransform(alpha=(10.0, 20.0)), ET.Resize(5, ET.InterpolationMode.LANCZOS)]
    theirs = [tv.transforms.ElasticTransform(alpha=(10.0, 20.0)),
              tv.transforms.Resize(5, tv.transforms.InterpolationMode.LANCZOS)]
    assert repr(ET.Compose(comp)) == repr(tv.transforms.Compose(theirs))


# ---------------------------------------------------------------------------- perspective
@pytest.mark.parametrize("hw", [(1, 19), (7, 1), (1, 1)])
def test_perspective_of_a_line_image_fails_like_torch(tv: Any, hw: tuple) -> None:
    """torchvision solves for the coefficients with gels, which rejects the rank-deficient
    system of a one-pixel-wide image (with the pivot in the message)."""
    h, w = hw
    e, t = both(np.zeros((3, h, w), np.uint8))
    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = [[0, 0], [w - 1, 0], [w - 1, h - 1], [min(1, w - 1), h - 1]]
    _raises_alike(lambda: ET.functional.perspective(e, start, end),
                  lambda: tv.transforms.functional.perspective(t, start, end))
    with pytest.raises(ember.linalg.LinAlgError):
        ET.RandomPerspective(p=1.0)(e)
    _raises_alike(lambda: EV2.RandomPerspective(p=1.0)(e),
                  lambda: tv.transforms.v2.RandomPerspective(p=1.0)(t))


@pytest.mark.parametrize("seed", [0, 5])
def test_perspective_coefficients_match(tv: Any, seed: int) -> None:
    from torchvision.transforms.functional import _get_perspective_coeffs as theirs

    from ember.vision.transforms.functional import _get_perspective_coeffs as ours

    rng = np.random.default_rng(seed)
    start = [[0, 0], [30, 0], [30, 20], [0, 20]]
    end = (np.asarray(start) + rng.integers(-5, 6, (4, 2))).tolist()
    np.testing.assert_allclose(ours(start, end), theirs(start, end), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------- sizes
@pytest.mark.parametrize("make", [
    lambda M: M.Resize((0, 4)),
    lambda M: M.ScaleJitter((32, 32), scale_range=(0.1, 0.2)),
    lambda M: M.RandomShortestSize(5, max_size=30),
])
def test_v2_uint8_resize_to_nothing_raises_like_torch(tv: Any, make: Any) -> None:
    e, t = both(np.zeros((3, 1, 32), np.uint8))

    def run(M: Any, x: Any) -> Any:
        seed_all(3)
        return make(M)(x)

    _raises_alike(lambda: run(EV2, e), lambda: run(tv.transforms.v2, t))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("shape", [(0, 5, 6), (2, 0, 5, 6), (0, 3, 5, 6)])
def test_pad_of_an_empty_stack(tv: Any, mode: str, shape: tuple) -> None:
    e, t = both(np.zeros(shape, np.uint8))
    for E, T in ((ET.functional, tv.transforms.functional),
                 (EV2.functional, tv.transforms.v2.functional)):
        try:
            theirs = T.pad(t, [1, 2], padding_mode=mode)
        except Exception:  # noqa: BLE001 - then ours must fail the same way
            _raises_alike(lambda E=E: E.pad(e, [1, 2], padding_mode=mode),
                          lambda T=T: T.pad(t, [1, 2], padding_mode=mode))
        else:
            assert_same(E.pad(e, [1, 2], padding_mode=mode), theirs)


@pytest.mark.parametrize("make", [
    lambda M: M.Pad((1, 2)),
    lambda M: M.CenterCrop((40, 8)),
    lambda M: M.RandomCrop(40, pad_if_needed=True),
    lambda M: M.RandomZoomOut(p=1.0),
])
def test_detection_sample_without_objects(tv: Any, make: Any) -> None:
    """An image with no objects: boxes (0, 4) and masks (0, H, W) go through padding."""
    img = np.random.default_rng(1).integers(0, 256, (3, 33, 32)).astype(np.uint8)

    def sample(lib: Any, V: Any) -> dict:
        return {"image": V.Image(lib.from_numpy(img.copy())),
                "boxes": V.BoundingBoxes(lib.zeros(0, 4), format="XYXY", canvas_size=(33, 32)),
                "masks": V.Mask(lib.zeros(0, 33, 32, dtype=lib.bool)),
                "labels": lib.zeros(0, dtype=lib.int64)}

    import torch

    seed_all(2)
    theirs = make(tv.transforms.v2)(sample(torch, tv.tv_tensors))
    seed_all(2)
    ours = make(EV2)(sample(ember, EVT))
    assert_same(ours, theirs)


# ---------------------------------------------------------------------------- seeded fuzz
_FUZZ = [
    lambda R, M: M.RandomResizedCrop(R.randint(1, 30), interpolation=R.choice(
        [M.InterpolationMode.BILINEAR, M.InterpolationMode.BICUBIC,
         M.InterpolationMode.LANCZOS])),
    lambda R, M: M.Resize(R.randint(1, 30), interpolation=M.InterpolationMode.LANCZOS),
    lambda R, M: M.Pad(R.choice([1, (1, 2), (0, 1, 2, 3)]), fill=R.choice([0, 7])),
    lambda R, M: M.RandomCrop(R.randint(5, 40), pad_if_needed=True),
    lambda R, M: M.CenterCrop(R.randint(1, 40)),
    lambda R, M: M.RandomZoomOut(side_range=(1.0, 2.0), p=1.0),
    lambda R, M: M.RandomHorizontalFlip(R.choice([0.0, 1.0])),
]


def test_seeded_v2_fuzz_on_detection_samples(tv: Any) -> None:
    """Random geometric v2 transforms over random detection samples (any box format, zero to
    three objects, a label map or a stack of masks): the same outputs as torchvision."""
    import torch

    R = random.Random(23)
    for case in range(100):
        h, w, nb = R.choice([5, 17, 33]), R.choice([6, 19, 32]), R.choice([0, 1, 3])
        rng = np.random.default_rng(case)
        img = rng.integers(0, 256, (R.choice([1, 3]), h, w)).astype(np.uint8)
        xy = rng.uniform(0, 4, (nb, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(1, 5, (nb, 2))], 1).astype(np.float32)
        masks = rng.integers(0, 2, (nb, h, w)).astype(bool) if R.random() < 0.5 else \
            rng.integers(0, 3, (h, w)).astype(np.uint8)
        pick, seed = R.randrange(len(_FUZZ)), R.randint(0, 999)
        state = R.getstate()
        outs = []
        for M, lib, V in ((EV2, ember, EVT), (tv.transforms.v2, torch, tv.tv_tensors)):
            R.setstate(state)
            t = _FUZZ[pick](R, M)
            seed_all(seed)
            outs.append(t({"image": V.Image(lib.from_numpy(img.copy())),
                           "boxes": V.BoundingBoxes(lib.from_numpy(boxes.copy()), format="XYXY",
                                                    canvas_size=(h, w)),
                           "masks": V.Mask(lib.from_numpy(masks.copy()))}))
        assert_same(outs[0], outs[1], 1e-4, f"case {case}: {outs[1]}")
