"""ember.vision.transforms.v2 and tv_tensors against torchvision.transforms.v2: samples of an
image with its bounding boxes, masks and labels go through the same seeded transforms
and come out equal (images within 1 where they are resampled)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
import ember.vision.transforms.v2 as E2
import ember.vision.transforms.v2.functional as EF2
from ember.vision import tv_tensors as EV

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules, under --import-mode=importlib
from _transforms_helpers import (  # noqa: E402
    assert_same,
    float_array,
    oracle,
    pil_image,
    seed_all,
    uint8_array,
)

H, W = 40, 52
BOXES = np.array([[5, 6, 30, 25], [10, 2, 50, 38], [0, 0, 8, 9], [40, 30, 52, 40]], dtype=np.float32)
FORMATS = {"XYXY": BOXES,
           "XYWH": np.concatenate([BOXES[:, :2], BOXES[:, 2:] - BOXES[:, :2]], 1),
           "CXCYWH": np.concatenate([(BOXES[:, :2] + BOXES[:, 2:]) / 2, BOXES[:, 2:] - BOXES[:, :2]], 1)}


@pytest.fixture
def tv():
    return oracle()


def _sample(lib, tvt, fmt="XYXY", image="uint8", box_dtype=np.float32):
    if image == "pil":
        img = pil_image(H, W, seed=1)
    elif image == "uint8":
        img = tvt.Image(lib.from_numpy(uint8_array(3, H, W, seed=1)))
    else:
        img = tvt.Image(lib.from_numpy(float_array(3, H, W, seed=1)))
    mask = (np.random.default_rng(2).random((H, W)) > 0.5).astype(np.uint8)
    return {"image": img,
            "boxes": tvt.BoundingBoxes(lib.from_numpy(FORMATS[fmt].astype(box_dtype)), format=fmt,
                                       canvas_size=(H, W)),
            "masks": tvt.Mask(lib.from_numpy(mask)),
            "labels": lib.tensor([1, 2, 3, 4])}


def _check(tv, make, fmt="XYXY", image="uint8", seeds=(0, 1, 2, 5), img_tol=1, box_tol=1e-4):
    torch, torchvision = tv
    T2, TV = torchvision.transforms.v2, torchvision.tv_tensors
    for seed in seeds:
        seed_all(seed)
        ours = make(E2, ember)(_sample(ember, EV, fmt, image))
        seed_all(seed)
        theirs = make(T2, torch)(_sample(torch, TV, fmt, image))
        for key in theirs:
            tol = {"image": img_tol, "boxes": box_tol}.get(key, 0)
            assert_same(ours[key], theirs[key], 0 if image == "pil" and key == "image" else tol,
                        f"seed {seed} {key}")


GEOMETRY = [
    ("hflip", lambda M, L: M.RandomHorizontalFlip()), ("vflip", lambda M, L: M.RandomVerticalFlip()),
    ("resize", lambda M, L: M.Resize(24)), ("resize-hw", lambda M, L: M.Resize((30, 17), antialias=False)),
    ("resize-max", lambda M, L: M.Resize(None, max_size=33)),
    ("center-crop", lambda M, L: M.CenterCrop(30)), ("center-crop-big", lambda M, L: M.CenterCrop(60)),
    ("rrc", lambda M, L: M.RandomResizedCrop(24)), ("pad", lambda M, L: M.Pad([2, 3, 4, 5], fill=7)),
    ("pad-dict-fill", lambda M, L: M.Pad(3, fill={"others": 4})),
    ("zoom-out", lambda M, L: M.RandomZoomOut(p=1.0, fill=3)),
    ("rotation", lambda M, L: M.RandomRotation(30)),
    ("rotation-expand", lambda M, L: M.RandomRotation(30, expand=True, fill=5)),
    ("rot90", lambda M, L: M.RandomRotation((90, 90))),
    ("rotation-center", lambda M, L: M.RandomRotation(40, center=[10, 12])),
    ("affine", lambda M, L: M.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2),
                                           shear=(-5, 5, -3, 3))),
    ("crop", lambda M, L: M.RandomCrop(30, padding=4)),
    ("crop-pad-needed", lambda M, L: M.RandomCrop(50, pad_if_needed=True)),
    ("perspective", lambda M, L: M.RandomPerspective(p=0.8)),
    ("elastic", lambda M, L: M.ElasticTransform(alpha=20.0)),
    ("iou-crop", lambda M, L: M.RandomIoUCrop()), ("scale-jitter", lambda M, L: M.ScaleJitter((32, 32))),
    ("shortest", lambda M, L: M.RandomShortestSize([20, 30], 45)),
    ("random-resize", lambda M, L: M.RandomResize(20, 40)),
    ("sanitize", lambda M, L: M.Compose([M.RandomAffine(40, translate=(0.4, 0.4)),
                                         M.SanitizeBoundingBoxes()])),
    ("choice", lambda M, L: M.RandomChoice([M.RandomHorizontalFlip(1.0), M.RandomVerticalFlip(1.0),
                                            M.Pad(2)], p=[0.2, 0.3, 0.5])),
    ("order", lambda M, L: M.RandomOrder([M.RandomHorizontalFlip(1.0), M.Pad([1, 2, 3, 4]),
                                          M.CenterCrop(33)])),
    ("apply", lambda M, L: M.RandomApply([M.RandomHorizontalFlip(1.0), M.Resize(20)], p=0.5)),
    ("format", lambda M, L: M.ConvertBoundingBoxFormat("CXCYWH")),
    ("clamp", lambda M, L: M.Compose([M.Pad(3), M.ClampBoundingBoxes()])),
]


@pytest.mark.parametrize("name,make", GEOMETRY, ids=[g[0] for g in GEOMETRY])
@pytest.mark.parametrize("fmt", ["XYXY", "CXCYWH"])
def test_geometry_moves_image_boxes_masks_together(tv, name, make, fmt):
    _check(tv, make, fmt)


@pytest.mark.parametrize("name", ["rrc", "affine", "perspective", "rotation-expand", "pad"])
@pytest.mark.parametrize("image", ["pil", "float"])
def test_geometry_on_pil_and_float_images(tv, name, image):
    _check(tv, dict(GEOMETRY)[name], "XYWH", image, img_tol=1e-5 if image == "float" else 0)


COLOR = [
    ("jitter", lambda M, L: M.ColorJitter(0.4, 0.4, 0.4, 0.1)),
    ("grayscale", lambda M, L: M.RandomGrayscale(0.5)), ("gray3", lambda M, L: M.Grayscale(3)),
    ("photometric", lambda M, L: M.RandomPhotometricDistort(p=0.7)),
    ("channel-permutation", lambda M, L: M.RandomChannelPermutation()),
    ("equalize", lambda M, L: M.RandomEqualize()), ("invert", lambda M, L: M.RandomInvert()),
    ("posterize", lambda M, L: M.RandomPosterize(3)), ("solarize", lambda M, L: M.RandomSolarize(100)),
    ("autocontrast", lambda M, L: M.RandomAutocontrast()),
    ("sharpness", lambda M, L: M.RandomAdjustSharpness(2.0)), ("blur", lambda M, L: M.GaussianBlur(5)),
    ("erasing", lambda M, L: M.Compose([M.ToDtype(L.float32, scale=True),
                                        M.RandomErasing(p=0.8, value="random")])),
    ("to-dtype-dict", lambda M, L: M.ToDtype({"others": L.float64}, scale=False)),
    ("normalize", lambda M, L: M.Compose([M.ToDtype(L.float32, scale=True),
                                          M.Normalize([0.4, 0.5, 0.6], [0.2, 0.3, 0.2])])),
]


@pytest.mark.parametrize("name,make", COLOR, ids=[c[0] for c in COLOR])
def test_color_changes_images_only(tv, name, make):
    _check(tv, make, img_tol=1 if name == "blur" else 1e-5)


@pytest.mark.parametrize("policy", ["auto-imagenet", "auto-svhn", "rand", "trivial"])
def test_auto_augment_v2_draws(tv, policy):
    torch, torchvision = tv
    T2, TV = torchvision.transforms.v2, torchvision.tv_tensors
    make = {"auto-imagenet": lambda M: M.AutoAugment(),
            "auto-svhn": lambda M: M.AutoAugment(M.AutoAugmentPolicy.SVHN, fill=3),
            "rand": lambda M: M.RandAugment(num_ops=3), "trivial": lambda M: M.TrivialAugmentWide()}[policy]
    arr = uint8_array(3, H, W, seed=4)
    for seed in range(6):
        seed_all(seed)
        ours = make(E2)((EV.Image(ember.from_numpy(arr.copy())), ember.tensor(3)))
        seed_all(seed)
        theirs = make(T2)((TV.Image(torch.from_numpy(arr.copy())), torch.tensor(3)))
        assert_same(ours, theirs, 0, f"seed {seed}")
    with pytest.raises(TypeError):
        make(E2)(_sample(ember, EV))  # boxes are not supported by auto augmentation


def test_pure_tensor_rule(tv):
    """Without an Image in the sample, only the first plain tensor is an image."""
    torch, torchvision = tv
    a, b = uint8_array(3, 10, 12, seed=1), uint8_array(3, 10, 12, seed=2)
    ours = E2.RandomHorizontalFlip(1.0)((ember.from_numpy(a.copy()), ember.from_numpy(b.copy())))
    theirs = torchvision.transforms.v2.RandomHorizontalFlip(1.0)(
        (torch.from_numpy(a.copy()), torch.from_numpy(b.copy())))
    assert_same(ours, theirs)
    assert_same(E2.Resize(5)(ember.from_numpy(a.copy())),
                torchvision.transforms.v2.Resize(5)(torch.from_numpy(a.copy())), 1)
    video = uint8_array(2, 4, 3, 10, 12)
    assert_same(E2.Resize(6)(EV.Video(ember.from_numpy(video.copy()))),
                torchvision.transforms.v2.Resize(6)(torchvision.tv_tensors.Video(torch.from_numpy(video))), 1)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_box_functionals(tv, dtype):
    torch, torchvision = tv
    TF2, TV = torchvision.transforms.v2.functional, torchvision.tv_tensors
    for old in FORMATS:
        for new in FORMATS:
            raw = FORMATS[old].astype(dtype)
            assert_same(EF2.convert_bounding_box_format(ember.from_numpy(raw.copy()), old, new),
                        TF2.convert_bounding_box_format(torch.from_numpy(raw.copy()), old, new),
                        what=f"{old}->{new}")
            ours = EF2.convert_bounding_box_format(
                EV.BoundingBoxes(ember.from_numpy(raw.copy()), format=old, canvas_size=(H, W)), new_format=new)
            theirs = TF2.convert_bounding_box_format(
                TV.BoundingBoxes(torch.from_numpy(raw.copy()), format=old, canvas_size=(H, W)), new_format=new)
            assert_same(ours, theirs)
            assert ours.format.value == theirs.format.value
    raw = (BOXES * 1.5 - 10).astype(dtype)
    assert_same(EF2.clamp_bounding_boxes(ember.from_numpy(raw.copy()), "XYXY", (H, W), "soft"),
                TF2.clamp_bounding_boxes(torch.from_numpy(raw.copy()), "XYXY", (H, W), "soft"))
    ours_boxes = EV.BoundingBoxes(ember.from_numpy(raw.copy()), format="XYXY", canvas_size=(H, W))
    theirs_boxes = TV.BoundingBoxes(torch.from_numpy(raw.copy()), format="XYXY", canvas_size=(H, W))
    for name, args in (("horizontal_flip", ()), ("vertical_flip", ()), ("resize", ([20, 30],)),
                       ("crop", (3, 4, 20, 25)), ("pad", ([1, 2, 3, 4],)), ("center_crop", ([21, 17],)),
                       ("rotate", (33.0, None, True)), ("affine", (10.0, [2, 3], 1.1, [4.0, 2.0]))):
        assert_same(getattr(EF2, name)(ours_boxes, *args), getattr(TF2, name)(theirs_boxes, *args),
                    1e-4, name)
    ours_valid = EF2.sanitize_bounding_boxes(ours_boxes)
    theirs_valid = TF2.sanitize_bounding_boxes(theirs_boxes)
    assert_same(ours_valid[1], theirs_valid[1])


def test_tv_tensors_behave_like_torchvisions(tv):
    torch, torchvision = tv
    TV = torchvision.tv_tensors
    img = pil_image(6, 7)
    assert_same(EV.Image(img), TV.Image(img))
    assert EV.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    with pytest.raises(ValueError):
        EV.Image(ember.zeros(4))
    boxes = EV.BoundingBoxes([1, 2, 3, 4], format="xywh", canvas_size=(10, 12))
    assert boxes.shape == (1, 4) and boxes.format is EV.BoundingBoxFormat.XYWH
    assert boxes.clamping_mode == "soft"
    with pytest.raises(ValueError):
        EV.BoundingBoxes(ember.zeros(2, 2, 4), format="XYXY", canvas_size=(3, 3))
    clone = boxes.clone()
    assert type(clone) is EV.BoundingBoxes and clone.canvas_size == (10, 12)
    assert type(boxes + 1) is ember.Tensor  # ops give plain tensors, as in torchvision
    wrapped = EV.wrap(boxes.as_subclass(ember.Tensor) * 2, like=boxes, canvas_size=(20, 24))
    assert type(wrapped) is EV.BoundingBoxes and wrapped.canvas_size == (20, 24)
    assert "format=BoundingBoxFormat.XYWH" in repr(boxes) and repr(boxes).startswith("BoundingBoxes(")
    mask = EV.Mask(ember.zeros(3, 4, dtype=ember.uint8))
    assert type(mask.to(ember.float32)) is EV.Mask
    import copy

    assert type(copy.deepcopy(boxes)) is EV.BoundingBoxes
    assert EV.Video(ember.zeros(2, 3, 4, 5)).ndim == 4


def test_sample_structures_round_trip(tv):
    torch, torchvision = tv
    from collections import namedtuple

    Pair = namedtuple("Pair", "image target")
    arr = uint8_array(3, H, W)
    sample = Pair(EV.Image(ember.from_numpy(arr.copy())),
                  [{"boxes": EV.BoundingBoxes(ember.from_numpy(BOXES.copy()), format="XYXY",
                                              canvas_size=(H, W)), "name": "x", "n": 3}])
    out = E2.Compose([E2.RandomHorizontalFlip(1.0), E2.ToPureTensor()])(sample)
    assert isinstance(out, Pair) and out.target[0]["name"] == "x" and out.target[0]["n"] == 3
    assert type(out.image) is ember.Tensor
    theirs = torchvision.transforms.v2.functional.horizontal_flip(torch.from_numpy(arr.copy()))
    assert_same(out.image, theirs)


def test_conversions_and_errors(tv):
    torch, torchvision = tv
    T2 = torchvision.transforms.v2
    img = pil_image(8, 9)
    assert_same(E2.ToImage()(img), T2.ToImage()(img))
    assert_same(E2.PILToTensor()(img), T2.PILToTensor()(img))
    assert_same(E2.ToPILImage()(E2.ToImage()(img)), T2.ToPILImage()(T2.ToImage()(img)))
    arr = uint8_array(8, 9, 3)
    assert_same(E2.ToImage()(arr), T2.ToImage()(arr))
    assert_same(E2.Compose([E2.ToImage(), E2.ToDtype(ember.float32, scale=True)])(img),
                T2.Compose([T2.ToImage(), T2.ToDtype(torch.float32, scale=True)])(img), 1e-6)
    assert isinstance(E2.Lambda(lambda x: x)(img), Image.Image)
    with pytest.raises(TypeError):
        E2.Normalize([0.5], [0.5])(img)
    with pytest.raises(ValueError):
        E2.Compose([])
    with pytest.raises(TypeError):
        E2.FiveCrop(5)(_sample(ember, EV))
    with pytest.raises(ValueError):
        E2.RandomCrop(100)(_sample(ember, EV))
    with pytest.raises(ValueError):
        E2.Pad([1, 2, 3])
    with pytest.raises(ValueError):  # boxes have no edge padding
        E2.Pad(3, padding_mode="edge")(_sample(ember, EV))
    with pytest.raises(TypeError):
        EF2.resize("not an image", [3, 3])
    assert repr(E2.RandomHorizontalFlip(0.3)) == repr(T2.RandomHorizontalFlip(0.3))
    assert repr(E2.Resize(5)) == repr(T2.Resize(5))


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
@pytest.mark.parametrize("alpha", [1.0, 0.4])
def test_mixup_cutmix_match_torchvision(tv, name, alpha):
    """Seeded MixUp/CutMix give torchvision's images and mixed one-hot labels, for a plain
    batch, an Image batch and a dict sample, and its errors."""
    torch, tvm = tv
    T2, tvt = tvm.transforms.v2, tvm.tv_tensors
    imgs = float_array(4, 3, 8, 10, seed=3)
    labels = np.array([0, 2, 1, 3])
    results = []
    for lib, mod, kind in ((ember, E2, EV), (torch, T2, tvt)):
        lib.manual_seed(5)
        t = getattr(mod, name)(alpha=alpha, num_classes=5)
        out = [t(lib.tensor(imgs), lib.tensor(labels)) for _ in range(3)]
        xi, yi = t(kind.Image(lib.tensor(imgs)), lib.tensor(labels))
        d = t({"image": lib.tensor(imgs), "labels": lib.tensor(labels)})
        results.append((out, type(xi).__name__, xi, yi, d["image"], d["labels"]))
        with pytest.raises(ValueError, match="num_classes must be passed"):
            getattr(mod, name)()(lib.tensor(imgs), lib.tensor(labels))
        with pytest.raises(ValueError, match="batch size of the image"):
            getattr(mod, name)(num_classes=5)(lib.tensor(imgs), lib.tensor(labels[:3]))
    (eo, en, exi, eyi, edi, edl), (to, tn, txi, tyi, tdi, tdl) = results
    for (ex, ey), (tx, ty) in zip(eo, to):
        assert_same(ex, tx)
        assert_same(ey, ty)
    assert en == tn == "Image"
    for a, b in ((exi, txi), (eyi, tyi), (edi, tdi), (edl, tdl)):
        assert_same(a, b)


def test_tv_tensor_print_and_repr_match_torchvision(tv):
    """print() and repr() of tv_tensors: the class name as prefix and indent, metadata after."""
    torch, tvm = tv
    made = []
    for lib, kind in ((ember, EV), (torch, tvm.tv_tensors)):
        made.append([
            kind.BoundingBoxes([[1, 2, 3, 4], [5, 6, 7, 8]], format="XYXY", canvas_size=(10, 10)),
            kind.Mask(lib.zeros(2, 2, dtype=lib.uint8)),
            kind.Image(lib.arange(12.0).reshape(1, 3, 4)),
            kind.Video(lib.zeros(1, 1, 1, 2, 2)),
        ])
    for ours, theirs in zip(*made):
        assert str(ours) == str(theirs).replace("torch.", "ember.")
        assert repr([ours]) == repr([theirs]).replace("torch.", "ember.")


def test_random_size_reprs_match_torchvision(tv):
    torch, tvm = tv
    T2 = tvm.transforms.v2
    for make in (lambda m: m.ScaleJitter((4, 4)), lambda m: m.RandomShortestSize([3, 4], 10),
                 lambda m: m.RandomResize(3, 9)):
        assert repr(make(E2)) == repr(make(T2))
