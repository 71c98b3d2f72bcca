"""tv_tensors as torchvision's behave under tensor ops: plain results (in-place ones too),
the type kept by clone/to/detach/requires_grad_, ``set_return_type``, and the "Getting
started" / end-to-end detection gallery flows with v2's dtype conversion and hue."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
from ember.testing import assert_close  # noqa: E402
from ember.vision import tv_tensors as etv  # noqa: E402
from ember.vision.transforms import v2 as ET  # noqa: E402

RNG = np.random.default_rng(5)
IMG = RNG.integers(0, 256, (3, 48, 56), dtype=np.uint8)
BOX = np.array([[5, 4, 30, 40], [20, 10, 50, 30], [40, 40, 40.5, 41]], dtype=np.float32)
MASKS = (RNG.random((3, 48, 56)) > 0.6).astype(np.uint8)


@pytest.fixture
def tv() -> Any:
    return torchvision_or_skip()


def _libs(tv: Any) -> list:
    import torch
    import torchvision.transforms.v2  # noqa: F401
    import torchvision.tv_tensors  # noqa: F401

    return [(ember, etv, ET), (torch, tv.tv_tensors, tv.transforms.v2)]


def _kind(x: Any) -> Any:
    """The class name and metadata of a result (or of each element of a list or dict)."""
    if isinstance(x, dict):
        return {k: _kind(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_kind(v) for v in x]
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        meta = [type(x).__name__, str(x.dtype).split(".")[-1], tuple(x.shape)]
        if hasattr(x, "format"):
            meta += [x.format.name, tuple(x.canvas_size)]
        return meta
    return x


def _ops(lib: Any, tvt: Any) -> dict:
    img = tvt.Image(lib.tensor(IMG))
    boxes = tvt.BoundingBoxes(lib.tensor(BOX), format="XYXY", canvas_size=(48, 56))
    mask = tvt.Mask(lib.tensor(MASKS))
    vid = tvt.Video(lib.tensor(np.stack([IMG, IMG])))
    out = {"b+3": boxes + 3, "3+b": 3 + boxes, "img*2": img * 2, "img/255": img.float() / 255,
           "m.sum": mask.sum(), "m[0]": mask[0], "vid+1": vid + 1, "b.float": boxes.float(),
           "b.clone": boxes.clone(), "b.to": boxes.to(lib.float64), "img.detach": img.detach(),
           "b.rg": boxes.clone().requires_grad_(False), "img.add_": img.clone().add_(1),
           "b.chunk": boxes.chunk(3), "img.contiguous": img.contiguous(),
           "t+img": lib.zeros(3, 48, 56, dtype=lib.uint8) + img, "m==1": mask == 1,
           "img.cpu": img.cpu(), "b.unbind": boxes.unbind(0), "neg": -boxes}
    x = img.clone()
    x += 1
    out["iadd"] = x
    y = boxes.clone()
    y.mul_(2)
    out["mul_ keeps self"] = y
    return out


def test_ops_return_plain_tensors(tv) -> None:
    ours, theirs = (_ops(lib, tvt) for lib, tvt, _ in _libs(tv))
    assert _kind(ours) == _kind(theirs)
    for key in ours:
        if not isinstance(ours[key], (list, tuple)):
            assert_close(ours[key], theirs[key], rtol=0, atol=0)
    assert len({etv.Image(ember.zeros(1, 2, 2)), etv.Image(ember.zeros(1, 2, 2))}) == 2  # hashable


@pytest.mark.parametrize("spelling", ["TVTensor", "tvtensor"])
def test_set_return_type(tv, spelling) -> None:
    kinds = []
    for lib, tvt, _ in _libs(tv):
        with tvt.set_return_type(spelling):
            inside = _ops(lib, tvt)
        after = _ops(lib, tvt)
        tvt.set_return_type(spelling)
        try:
            global_ = _ops(lib, tvt)
        finally:
            tvt.set_return_type("Tensor")
        kinds.append((_kind(inside), _kind(after), _kind(global_)))
    assert kinds[0] == kinds[1]
    with pytest.raises(ValueError, match="return_type must be 'TVTensor' or 'Tensor', got foo"):
        etv.set_return_type("foo")


def test_wrap_keeps_or_overrides_metadata(tv) -> None:
    kinds = []
    for lib, tvt, _ in _libs(tv):
        boxes = tvt.BoundingBoxes(lib.tensor(BOX), format="XYXY", canvas_size=(48, 56))
        new = boxes + 3
        kinds.append(_kind([tvt.wrap(new, like=boxes), tvt.wrap(new, like=boxes, format="XYWH"),
                            tvt.wrap(new, like=boxes, canvas_size=(10, 12)),
                            tvt.wrap(lib.ones(2, 3, 3), like=tvt.Image(lib.zeros(3, 3, 3)))]))
    assert kinds[0] == kinds[1]


def _sample(lib: Any, tvt: Any) -> tuple:
    img = tvt.Image(lib.tensor(IMG))
    target = {"boxes": tvt.BoundingBoxes(lib.tensor(BOX), format="XYXY", canvas_size=(48, 56)),
              "labels": lib.arange(3), "masks": tvt.Mask(lib.tensor(MASKS))}
    return img, target


def _flows(lib: Any, tvt: Any, T: Any) -> list:
    img, target = _sample(lib, tvt)
    getting_started = T.Compose([T.RandomResizedCrop(size=(24, 24), antialias=True),
                                 T.RandomPhotometricDistort(p=1), T.RandomHorizontalFlip(p=1)])
    end_to_end = T.Compose([
        T.ToImage(), T.RandomPhotometricDistort(p=1),
        T.RandomZoomOut(fill={tvt.Image: (123, 117, 104), "others": 0}),
        T.RandomIoUCrop(), T.RandomHorizontalFlip(p=1), T.SanitizeBoundingBoxes(),
        T.ToDtype(lib.float32, scale=True)])
    mixed = T.Compose([T.RandomZoomOut(side_range=(1.0, 1.5)), T.RandomCrop((40, 44)),
                       T.ClampBoundingBoxes(), T.SanitizeBoundingBoxes(),
                       T.ToDtype({tvt.Image: lib.float32, tvt.Mask: lib.int64, "others": None},
                                 scale=True), T.ToPureTensor()])
    return [getting_started(img, target), end_to_end(img, target), mixed(img, target)]


@pytest.mark.parametrize("seed", range(6))
def test_gallery_flows_seeded(tv, seed) -> None:
    results = []
    for lib, tvt, T in _libs(tv):
        lib.manual_seed(seed)
        results.append(_flows(lib, tvt, T))
    ours, theirs = results
    assert _kind(ours) == _kind(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a[0], b[0], rtol=0, atol=0)
        for key in a[1]:
            assert_close(a[1][key], b[1][key], rtol=0, atol=0)


@pytest.mark.parametrize("hue", [-0.5, -0.23, 0.0, 0.07, 0.41])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_adjust_hue_v2_bit_exact(tv, hue, dtype) -> None:
    import torch
    import torchvision.transforms.v2  # noqa: F401

    x = RNG.integers(0, 256, (2, 3, 17, 19), dtype=np.uint8)
    e, t = ember.tensor(x), torch.tensor(x)
    if dtype == "float32":
        e, t = ET.functional.to_dtype(e, scale=True), tv.transforms.v2.functional.to_dtype(
            t, scale=True)
    assert_close(ET.functional.adjust_hue(e, hue),
                 tv.transforms.v2.functional.adjust_hue(t, hue), rtol=0, atol=0)


@pytest.mark.parametrize("src", ["uint8", "int8", "int16", "int32", "float16", "bfloat16",
                                 "float32", "float64"])
@pytest.mark.parametrize("dst", ["uint8", "int16", "int64", "uint16", "float16", "bfloat16",
                                 "float32", "float64"])
def test_to_dtype_scale_matrix(tv, src, dst) -> None:
    import torch
    import torchvision.transforms.v2  # noqa: F401

    if src.startswith(("float", "bfloat")):
        x = RNG.random((3, 5, 7)).astype(np.float32)
    else:
        info = np.iinfo(src)
        x = RNG.integers(info.min, info.max, (3, 5, 7)).astype(src)
    e = ember.tensor(x).to(getattr(ember, src))
    t = torch.tensor(x).to(getattr(torch, src))
    try:
        theirs = tv.transforms.v2.functional.to_dtype(t, getattr(torch, dst), scale=True)
    except RuntimeError as err:
        with pytest.raises(RuntimeError, match="cannot be performed safely"):
            ET.functional.to_dtype(e, getattr(ember, dst), scale=True)
        assert "conversion from" in str(err)
        return
    assert_close(ET.functional.to_dtype(e, getattr(ember, dst), scale=True), theirs,
                 rtol=0, atol=0)
