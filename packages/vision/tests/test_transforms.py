"""ember.vision.transforms classes against torchvision.transforms: with the same seeds the
random transforms choose the same parameters (ember's generator reproduces torch's
stream), on PIL images, uint8 images and batched float images; reprs and argument
errors match."""

from __future__ import annotations

import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.vision.transforms as ET

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules, under --import-mode=importlib
from _transforms_helpers import (  # noqa: E402
    assert_same,
    both,
    float_array,
    oracle,
    pil_image,
    run_seeded,
    seed_all,
    uint8_array,
)


@pytest.fixture
def TT():
    _, tv = oracle()
    return tv.transforms


def _inputs(TT, kind: str) -> tuple:
    if kind == "pil":
        img = pil_image(40, 52, seed=1)
        return ET, TT, img, img
    arr = uint8_array(3, 40, 52, seed=2) if kind == "uint8" else float_array(2, 3, 40, 52, seed=3)
    e, t = both(arr)
    return ET, TT, e, t


# (name, factory, kinds it supports, tolerance for tensors)
RANDOM_CASES = [
    ("RandomResizedCrop", lambda M: M.RandomResizedCrop(24), "pil uint8 float", 1),
    ("RandomResizedCrop-bicubic", lambda M: M.RandomResizedCrop(
        (20, 30), scale=(0.3, 0.9), ratio=(0.5, 2.0),
        interpolation=M.InterpolationMode.BICUBIC), "pil uint8 float", 1),
    ("RandomHorizontalFlip", lambda M: M.RandomHorizontalFlip(), "pil uint8 float", 0),
    ("RandomVerticalFlip", lambda M: M.RandomVerticalFlip(0.3), "pil uint8 float", 0),
    ("RandomCrop", lambda M: M.RandomCrop(30, padding=3, pad_if_needed=True,
                                          padding_mode="reflect"), "pil uint8 float", 0),
    ("RandomCrop-fill", lambda M: M.RandomCrop((45, 50), pad_if_needed=True, fill=4),
     "pil uint8 float", 0),
    ("RandomRotation", lambda M: M.RandomRotation(30, expand=True, fill=3), "pil uint8 float", 1),
    ("RandomRotation-bilinear", lambda M: M.RandomRotation(
        (-20, 50), M.InterpolationMode.BILINEAR, center=(5, 7)), "pil uint8 float", 1),
    ("RandomAffine", lambda M: M.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2),
                                              shear=(-5, 5, -3, 3)), "pil uint8 float", 1),
    ("RandomAffine-shear1", lambda M: M.RandomAffine(0, shear=10, fill=(1, 2, 3)),
     "pil uint8 float", 1),
    ("RandomPerspective", lambda M: M.RandomPerspective(0.6, p=0.9), "pil uint8 float", 1),
    ("ColorJitter", lambda M: M.ColorJitter(0.4, 0.4, 0.4, 0.1), "pil uint8 float", 1e-5),
    ("ColorJitter-ranges", lambda M: M.ColorJitter((0.5, 0.9), 0, (1.0, 2.0)), "pil uint8 float",
     1e-5),
    ("RandomGrayscale", lambda M: M.RandomGrayscale(0.5), "pil uint8 float", 1e-6),
    ("GaussianBlur", lambda M: M.GaussianBlur((5, 3), sigma=(0.3, 1.5)), "pil uint8 float", 1e-5),
    ("RandomInvert", lambda M: M.RandomInvert(), "pil uint8 float", 0),
    ("RandomPosterize", lambda M: M.RandomPosterize(3), "pil uint8", 0),
    ("RandomSolarize", lambda M: M.RandomSolarize(100), "pil uint8", 0),
    ("RandomAdjustSharpness", lambda M: M.RandomAdjustSharpness(2.0), "pil uint8 float", 1e-5),
    ("RandomAutocontrast", lambda M: M.RandomAutocontrast(), "pil uint8 float", 1e-5),
    ("RandomEqualize", lambda M: M.RandomEqualize(), "pil uint8", 0),
    ("AutoAugment", lambda M: M.AutoAugment(), "pil uint8", 0),
    ("AutoAugment-cifar", lambda M: M.AutoAugment(M.AutoAugmentPolicy.CIFAR10, fill=[1, 2, 3]),
     "pil uint8", 0),
    ("AutoAugment-svhn", lambda M: M.AutoAugment(M.AutoAugmentPolicy.SVHN), "pil uint8", 0),
    ("RandAugment", lambda M: M.RandAugment(num_ops=3), "pil uint8", 0),
    ("TrivialAugmentWide", lambda M: M.TrivialAugmentWide(), "pil uint8", 0),
    ("RandomApply", lambda M: M.RandomApply([M.RandomHorizontalFlip(1.0), M.Pad(2)], p=0.5),
     "pil uint8 float", 0),
    ("RandomChoice", lambda M: M.RandomChoice([M.RandomHorizontalFlip(1.0),
                                               M.RandomVerticalFlip(1.0)], p=[0.3, 0.7]),
     "pil uint8 float", 0),
    ("RandomOrder", lambda M: M.RandomOrder([M.RandomHorizontalFlip(1.0), M.Pad([1, 2]),
                                             M.CenterCrop(30)]), "pil uint8 float", 0),
]


_SEEDED = [(name, make, tol, kind) for name, make, kinds, tol in RANDOM_CASES for kind in kinds.split()]


@pytest.mark.parametrize("name,make,tol,kind", _SEEDED, ids=[f"{c[0]}-{c[3]}" for c in _SEEDED])
def test_seeded_random_transforms_match_torchvision(TT, name, make, tol, kind):
    # a PIL image only leaves Pillow for the blur (a float convolution, rounded)
    atol = tol if kind != "pil" else (1 if name == "GaussianBlur" else 0)
    if kind == "uint8" and tol < 1:
        atol = 0 if tol == 0 else 1  # color math on uint8 truncates like torchvision's
    run_seeded(make, _inputs(TT, kind), atol=atol)


@pytest.mark.parametrize("value", ["random", 0.5, (1.0, 2.0, 3.0)])
def test_random_erasing(TT, value):
    e, t = both(float_array(2, 3, 20, 24))
    run_seeded(lambda M: M.RandomErasing(p=0.8, value=value), (ET, TT, e.clone, t.clone))
    out = ET.RandomErasing(p=1.0, inplace=True)(e)
    assert out is e


def test_elastic_transform(TT):
    e, t = both(float_array(3, 16, 20))
    run_seeded(lambda M: M.ElasticTransform(alpha=30.0, sigma=3.0), (ET, TT, e, t), seeds=(0, 5),
               atol=1e-5)


def test_get_params_match(TT):
    torch, _ = oracle()
    img = pil_image(30, 44)
    calls = [
        lambda M: M.RandomCrop.get_params(img, (20, 25)),
        lambda M: M.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3)),
        lambda M: M.RandomResizedCrop.get_params(img, (0.9, 1.0), (5.0, 6.0)),  # the fallback
        lambda M: M.RandomAffine.get_params([-10.0, 10.0], [0.2, 0.1], [0.5, 1.5],
                                            [-3.0, 3.0, -2.0, 2.0], [44, 30]),
        lambda M: M.RandomPerspective.get_params(44, 30, 0.5),
        lambda M: M.RandomRotation.get_params([-90.0, 30.0]),
        lambda M: M.GaussianBlur.get_params(0.1, 2.0),
        lambda M: M.ColorJitter.get_params((0.5, 1.5), None, (0.0, 2.0), (-0.2, 0.2))[1:],
        lambda M: M.ColorJitter.get_params((0.5, 1.5), None, None, None)[0].tolist(),
        lambda M: M.AutoAugment.get_params(25)[0],
    ]
    for seed in (0, 3, 11):
        for call in calls:
            seed_all(seed)
            ours = call(ET)
            seed_all(seed)
            assert ours == call(TT)


def test_deterministic_transforms(TT):
    img = pil_image(20, 26, seed=6)
    e, t = both(uint8_array(2, 3, 20, 26, seed=7))
    for make, atol in [
        (lambda M: M.Resize(12), 1), (lambda M: M.Resize((9, 30), antialias=False), 1),
        (lambda M: M.Resize(10, max_size=12, interpolation=M.InterpolationMode.NEAREST), 0),
        (lambda M: M.CenterCrop(15), 0), (lambda M: M.CenterCrop((30, 10)), 0),
        (lambda M: M.Pad((1, 2, 3, 4), fill=3), 0), (lambda M: M.Pad(2, padding_mode="symmetric"), 0),
        (lambda M: M.FiveCrop(9), 0), (lambda M: M.TenCrop((9, 8), vertical_flip=True), 0),
        (lambda M: M.Grayscale(3), 0), (lambda M: M.Grayscale(), 0),
        (lambda M: M.Compose([M.CenterCrop(18), M.Resize(9)]), 1),
        (lambda M: M.Lambda(lambda x: M.functional.hflip(x)), 0),
    ]:
        assert_same(make(ET)(img), make(TT)(img))
        assert_same(make(ET)(e), make(TT)(t), atol)


def test_conversion_pipeline(TT):
    torch, _ = oracle()
    img = pil_image(20, 26, seed=8)
    pipeline = lambda M, lib: M.Compose([M.ToTensor(), M.Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.25)),
                                         M.ConvertImageDtype(lib.float64)])
    assert_same(pipeline(ET, ember)(img), pipeline(TT, torch)(img), 1e-6)
    assert_same(ET.PILToTensor()(img), TT.PILToTensor()(img))
    e, t = both(uint8_array(3, 5, 6))
    assert_same(ET.ToPILImage()(e), TT.ToPILImage()(t))
    assert_same(ET.ToPILImage("HSV")(e), TT.ToPILImage("HSV")(t))
    assert_same(ET.ConvertImageDtype(ember.float32)(e), TT.ConvertImageDtype(torch.float32)(t))
    matrix, mean = float_array(12, 12, seed=1), float_array(12, seed=2)
    f_e, f_t = both(float_array(2, 3, 2, 2))
    assert_same(ET.LinearTransformation(ember.tensor(matrix), ember.tensor(mean))(f_e),
                TT.LinearTransformation(torch.tensor(matrix), torch.tensor(mean))(f_t), 1e-5)


def test_reprs_match(TT):
    torch, _ = oracle()
    cases = [
        lambda M: M.Compose([M.ToTensor(), M.Normalize([0.5], [0.2])]), lambda M: M.PILToTensor(),
        lambda M: M.ToPILImage(), lambda M: M.ToPILImage("RGB"), lambda M: M.Resize(10),
        lambda M: M.Resize((3, 4), M.InterpolationMode.BICUBIC, None, False),
        lambda M: M.CenterCrop(5), lambda M: M.Pad([1, 2], fill=3, padding_mode="edge"),
        lambda M: M.Lambda(abs), lambda M: M.RandomApply([M.RandomHorizontalFlip()], p=0.3),
        lambda M: M.RandomChoice([M.RandomHorizontalFlip()]), lambda M: M.RandomOrder([M.Pad(1)]),
        lambda M: M.RandomCrop(5, padding=2), lambda M: M.RandomHorizontalFlip(0.2),
        lambda M: M.RandomVerticalFlip(), lambda M: M.RandomPerspective(),
        lambda M: M.RandomResizedCrop(7, scale=(0.123456, 1.0)), lambda M: M.FiveCrop(3),
        lambda M: M.TenCrop(3, True), lambda M: M.ColorJitter(0.1, 0.2, 0.3, 0.1),
        lambda M: M.RandomRotation(10, center=(1, 2)), lambda M: M.RandomRotation((0, 5), fill=4),
        lambda M: M.RandomAffine(5, translate=(0.1, 0.1), scale=(1, 2), shear=3,
                                 interpolation=M.InterpolationMode.BILINEAR, fill=1, center=(1, 1)),
        lambda M: M.RandomAffine(0), lambda M: M.Grayscale(3), lambda M: M.RandomGrayscale(),
        lambda M: M.RandomErasing(value="random"), lambda M: M.GaussianBlur(3, (0.5, 1.0)),
        lambda M: M.RandomInvert(), lambda M: M.RandomPosterize(4), lambda M: M.RandomSolarize(128),
        lambda M: M.RandomAdjustSharpness(2), lambda M: M.RandomAutocontrast(),
        lambda M: M.RandomEqualize(), lambda M: M.ElasticTransform(), lambda M: M.AutoAugment(),
        lambda M: M.RandAugment(), lambda M: M.TrivialAugmentWide(), lambda M: M.AugMix(),
    ]
    for make in cases:
        assert repr(make(ET)) == repr(make(TT))
    assert repr(ET.Normalize((1, 2), (3, 4), inplace=True)) == repr(TT.Normalize((1, 2), (3, 4), True))


def test_argument_errors_match(TT):
    cases = [
        lambda M: M.Resize([1, 2, 3]), lambda M: M.CenterCrop([1, 2, 3]),
        lambda M: M.Pad("a"), lambda M: M.Pad(1, padding_mode="wrap"), lambda M: M.Pad([1, 2, 3]),
        lambda M: M.Lambda(3), lambda M: M.RandomResizedCrop(5, scale=0.5),
        lambda M: M.ColorJitter(brightness=-1), lambda M: M.ColorJitter(hue=0.7),
        lambda M: M.ColorJitter(contrast=[1, 2, 3]), lambda M: M.RandomRotation(-5),
        lambda M: M.RandomRotation([1, 2, 3]), lambda M: M.RandomAffine(5, translate=(2, 0)),
        lambda M: M.RandomAffine(5, scale=(0, 1)), lambda M: M.RandomAffine(5, shear=[1, 2, 3]),
        lambda M: M.RandomErasing(value="x"), lambda M: M.RandomErasing(scale=(0.5, 2.0)),
        lambda M: M.RandomErasing(p=2.0), lambda M: M.GaussianBlur(4),
        lambda M: M.GaussianBlur(3, sigma=-1), lambda M: M.GaussianBlur(3, sigma=(2.0, 1.0)),
        lambda M: M.RandomChoice(M.Pad(1)), lambda M: M.AugMix(severity=11),
        lambda M: M.ElasticTransform(alpha=1),
    ]
    for make in cases:
        with pytest.raises(Exception) as theirs:
            make(TT)
        with pytest.raises(type(theirs.value)):
            make(ET)


def test_python_random_containers_use_python_random(TT):
    img = pil_image(10, 12)
    for seed in range(4):
        random.seed(seed)
        ours = ET.RandomOrder([ET.Pad([1, 0]), ET.RandomHorizontalFlip(1.0), ET.CenterCrop(9)])(img)
        random.seed(seed)
        theirs = TT.RandomOrder([TT.Pad([1, 0]), TT.RandomHorizontalFlip(1.0), TT.CenterCrop(9)])(img)
        assert_same(ours, theirs)


def test_augmix_runs_on_pil_and_tensors():
    ember.manual_seed(0)
    img = pil_image(24, 24)
    out = ET.AugMix()(img)
    assert out.size == img.size and out.mode == img.mode
    e = ember.from_numpy(uint8_array(2, 3, 24, 24))
    out = ET.AugMix(severity=5, mixture_width=2, chain_depth=2, all_ops=False)(e)
    assert out.shape == e.shape and out.dtype == ember.uint8


@pytest.mark.parametrize("kind", ["pil", "uint8"])
def test_augmix_matches_torchvision_draw_for_draw(TT, kind):
    # ember._sample_dirichlet follows torch._sample_dirichlet's stream, so the mixing
    # weights and the chains match; the float mix is truncated back to uint8 (off by one
    # where the float sums round differently)
    for make in (lambda M: M.AugMix(),
                 lambda M: M.AugMix(severity=5, mixture_width=2, chain_depth=2, all_ops=False)):
        run_seeded(make, _inputs(TT, kind), atol=1)


def test_random_resized_crop_warns_and_errors(TT):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ET.RandomResizedCrop(5, scale=(1.0, 0.5))
    assert caught
    with pytest.raises(ValueError):
        ET.RandomCrop(50)(pil_image(10, 10))
    with pytest.raises(ValueError):
        ET.FiveCrop(20)(pil_image(10, 10))


def test_batched_tensor_flip_and_crop_follow_one_draw(TT):
    e, t = both(float_array(4, 3, 11, 13))
    run_seeded(lambda M: M.Compose([M.RandomHorizontalFlip(), M.RandomCrop(7), M.RandomErasing()]),
               (ET, TT, e, t))
    assert np.asarray(ET.RandomHorizontalFlip(1.0)(e)).shape == (4, 3, 11, 13)
