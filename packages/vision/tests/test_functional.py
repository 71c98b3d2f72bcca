"""ember.vision.transforms.functional against torchvision.transforms.functional on the same
inputs: float tensor kernels within 1e-5, uint8 resampling within 1, PIL paths exact."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
import ember.vision.transforms.functional as EF

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules, under --import-mode=importlib
from _transforms_helpers import (  # noqa: E402
    assert_same,
    both,
    float_array,
    oracle,
    pil_image,
    uint8_array,
)

IMAGE_SHAPES = [(3, 23, 31), (2, 3, 16, 20)]


@pytest.fixture
def TF():
    _, tv = oracle()
    return tv.transforms.functional


def _images(dtype: str, shape: tuple) -> tuple:
    arr = uint8_array(*shape) if dtype == "uint8" else float_array(*shape)
    return both(arr)


def _tol(dtype: str, resampling: bool = False) -> float:
    if dtype == "uint8":
        return 1 if resampling else 0
    return 1e-5


# ---------------------------------------------------------------------------- resampling
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("mode", ["NEAREST", "NEAREST_EXACT", "BILINEAR", "BICUBIC"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor(TF, dtype, shape, mode, antialias):
    e, t = _images(dtype, shape)
    for size in ([11, 9], [40, 57], [23, 12], 13):
        ours = EF.resize(e, size, EF.InterpolationMode[mode], antialias=antialias)
        theirs = TF.resize(t, size, TF.InterpolationMode[mode], antialias=antialias)
        assert_same(ours, theirs, _tol(dtype, True), f"size={size}")


def test_resize_max_size_float64_and_noncontiguous(TF):
    e, t = both(float_array(3, 30, 20, dtype=np.float64))
    assert_same(EF.resize(e, 12, max_size=15), TF.resize(t, 12, max_size=15), 1e-10)
    e_t, t_t = e.transpose(-1, -2), t.transpose(-1, -2)  # a non-contiguous view
    assert_same(EF.resize(e_t, [7, 9]), TF.resize(t_t, [7, 9]), 1e-10)
    with pytest.raises(ValueError):
        EF.resize(e, 20, max_size=15)
    with pytest.raises(ValueError):
        EF.resize(e, [10, 10], max_size=15)


def test_resize_backward_matches_torch(TF):
    torch, _ = oracle()
    arr = float_array(1, 3, 12, 10)
    e = ember.tensor(arr, requires_grad=True)
    t = torch.tensor(arr, requires_grad=True)
    w = float_array(1, 3, 7, 6, seed=1)
    (EF.resize(e, [7, 6], antialias=True) * ember.tensor(w)).sum().backward()
    (TF.resize(t, [7, 6], antialias=True) * torch.tensor(w)).sum().backward()
    assert_same(e.grad, t.grad, 1e-5)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("mode", ["NEAREST", "BILINEAR"])
def test_rotate_affine_perspective_tensor(TF, dtype, shape, mode):
    e, t = _images(dtype, shape)
    tol = _tol(dtype, True)
    im_e, im_t = EF.InterpolationMode[mode], TF.InterpolationMode[mode]
    for angle, expand, center, fill in ((33.0, True, None, [1.0, 2.0, 3.0]), (-71.5, False, [4, 3], None),
                                        (90, False, None, 5.0)):
        assert_same(EF.rotate(e, angle, im_e, expand, center, fill),
                    TF.rotate(t, angle, im_t, expand, center, fill), tol, f"rotate {angle}")
    for args in ((12.0, [3, -2], 1.2, [5.0, 3.0]), (-30, (0, 4), 0.7, 8.0), (0.0, [0, 0], 1.0, [20.0])):
        assert_same(EF.affine(e, *args, interpolation=im_e, center=[3, 4]),
                    TF.affine(t, *args, interpolation=im_t, center=[3, 4]), tol, f"affine {args}")
        assert_same(EF.affine(e, *args, interpolation=im_e, fill=[9.0]),
                    TF.affine(t, *args, interpolation=im_t, fill=[9.0]), tol, f"affine {args}")
    h, w = shape[-2:]
    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = [[3, 2], [w - 4, 1], [w - 2, h - 3], [1, h - 5]]
    assert_same(EF.perspective(e, start, end, im_e, fill=[5.0]),
                TF.perspective(t, start, end, im_t, fill=[5.0]), tol, "perspective")


def test_elastic_transform_tensor(TF):
    torch, _ = oracle()
    e, t = both(float_array(3, 14, 18))
    disp = float_array(1, 14, 18, 2, seed=3) * 0.2 - 0.1
    assert_same(EF.elastic_transform(e, ember.tensor(disp), fill=[0.5]),
                TF.elastic_transform(t, torch.tensor(disp), fill=[0.5]), 1e-5)


# ---------------------------------------------------------------------------- PIL, exactly
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_pil_geometry_is_pillow(TF, mode):
    img = pil_image(21, 27, mode)
    for interp in ("NEAREST", "BILINEAR", "BICUBIC", "BOX", "HAMMING", "LANCZOS"):
        assert_same(EF.resize(img, [13, 40], EF.InterpolationMode[interp]),
                    TF.resize(img, [13, 40], TF.InterpolationMode[interp]), what=interp)
    assert_same(EF.resize(img, 10, max_size=12), TF.resize(img, 10, max_size=12))
    assert_same(EF.rotate(img, 25.0, expand=True, fill=7), TF.rotate(img, 25.0, expand=True, fill=7))
    assert_same(EF.rotate(img, -40.0, EF.InterpolationMode.BILINEAR, center=[3, 5]),
                TF.rotate(img, -40.0, TF.InterpolationMode.BILINEAR, center=[3, 5]))
    assert_same(EF.affine(img, 15.0, [2, -3], 0.9, [4.0, -6.0], fill=3),
                TF.affine(img, 15.0, [2, -3], 0.9, [4.0, -6.0], fill=3))
    start, end = [[0, 0], [26, 0], [26, 20], [0, 20]], [[2, 1], [24, 3], [25, 18], [1, 19]]
    assert_same(EF.perspective(img, start, end), TF.perspective(img, start, end))
    for padding_mode in ("constant", "edge", "reflect", "symmetric"):
        assert_same(EF.pad(img, [2, 3, 4, 1], fill=9, padding_mode=padding_mode),
                    TF.pad(img, [2, 3, 4, 1], fill=9, padding_mode=padding_mode), what=padding_mode)
    assert_same(EF.crop(img, -2, 3, 30, 12), TF.crop(img, -2, 3, 30, 12))
    assert_same(EF.center_crop(img, [25, 10]), TF.center_crop(img, [25, 10]))
    assert_same(EF.resized_crop(img, 2, 3, 10, 12, [8, 8]), TF.resized_crop(img, 2, 3, 10, 12, [8, 8]))
    assert_same(EF.five_crop(img, 9), TF.five_crop(img, 9))
    assert_same(EF.ten_crop(img, [9, 7], vertical_flip=True), TF.ten_crop(img, [9, 7], vertical_flip=True))
    assert_same(EF.hflip(img), TF.hflip(img))
    assert_same(EF.vflip(img), TF.vflip(img))


def test_pil_color_is_pillow(TF):
    img = pil_image(17, 19, "RGB", seed=4)
    for name, args in (("adjust_brightness", (1.4,)), ("adjust_contrast", (0.6,)),
                       ("adjust_saturation", (1.8,)), ("adjust_hue", (-0.3,)),
                       ("adjust_gamma", (0.7, 1.1)), ("adjust_sharpness", (2.5,)),
                       ("invert", ()), ("posterize", (3,)), ("solarize", (120,)),
                       ("autocontrast", ()), ("equalize", ()), ("rgb_to_grayscale", (3,)),
                       ("to_grayscale", (1,)), ("gaussian_blur", ([5, 3], [1.1, 0.6]))):
        assert_same(getattr(EF, name)(img, *args), getattr(TF, name)(img, *args), what=name)


# ---------------------------------------------------------------------------- tensor kernels
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("shape", IMAGE_SHAPES)
def test_color_tensor(TF, dtype, shape):
    e, t = _images(dtype, shape)
    cases = [("adjust_brightness", (1.3,)), ("adjust_contrast", (0.7,)), ("adjust_saturation", (1.6,)),
             ("adjust_hue", (0.2,)), ("adjust_gamma", (0.8, 1.2)), ("adjust_sharpness", (1.7,)),
             ("adjust_sharpness", (0.2,)), ("rgb_to_grayscale", (3,)), ("rgb_to_grayscale", (1,)),
             ("invert", ()), ("autocontrast", ()), ("gaussian_blur", ([5, 3], [1.2, 0.7])),
             ("solarize", (100 if dtype == "uint8" else 0.4,))]
    if dtype == "uint8":
        cases += [("posterize", (3,)), ("equalize", ())]
    for name, args in cases:
        assert_same(getattr(EF, name)(e, *args), getattr(TF, name)(t, *args), _tol(dtype),
                    f"{name}{args}")


def test_color_edge_cases(TF):
    e, t = both(np.full((3, 5, 6), 77, dtype=np.uint8))  # a flat image: autocontrast, equalize
    assert_same(EF.autocontrast(e), TF.autocontrast(t))
    assert_same(EF.equalize(e), TF.equalize(t))
    g_e, g_t = both(uint8_array(1, 9, 8))
    assert_same(EF.adjust_saturation(g_e, 0.3), TF.adjust_saturation(g_t, 0.3))
    assert_same(EF.adjust_hue(g_e, 0.3), TF.adjust_hue(g_t, 0.3))
    with pytest.raises(ValueError):
        EF.adjust_hue(e, 0.7)
    with pytest.raises(TypeError):
        EF.posterize(e.float(), 3)
    with pytest.raises(TypeError):
        EF.solarize(e.float(), 3.0)
    with pytest.raises(ValueError):
        EF.adjust_brightness(e, -1.0)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_pad_crop_flip_tensor(TF, dtype):
    e, t = _images(dtype, (2, 3, 9, 11))
    for mode in ("constant", "edge", "reflect", "symmetric"):
        for padding in ([2, 3, 4, 1], 3, [1, 2], [-1, 2, 3, -2]):
            if mode == "reflect" and padding == [-1, 2, 3, -2]:
                continue
            assert_same(EF.pad(e, padding, fill=5, padding_mode=mode),
                        TF.pad(t, padding, fill=5, padding_mode=mode), what=f"{mode} {padding}")
    assert_same(EF.crop(e, -3, -2, 14, 16), TF.crop(t, -3, -2, 14, 16))
    assert_same(EF.crop(e, 2, 3, 4, 5), TF.crop(t, 2, 3, 4, 5))
    assert_same(EF.center_crop(e, [13, 6]), TF.center_crop(t, [13, 6]))
    assert_same(EF.five_crop(e, [4, 5]), TF.five_crop(t, [4, 5]))
    assert_same(EF.ten_crop(e, 4), TF.ten_crop(t, 4))
    assert_same(EF.hflip(e), TF.hflip(t))
    assert_same(EF.vflip(e), TF.vflip(t))
    assert EF.get_dimensions(e) == TF.get_dimensions(t)
    assert EF.get_image_size(e) == TF.get_image_size(t)
    assert EF.get_image_num_channels(e) == TF.get_image_num_channels(t)


def test_normalize_erase_convert(TF):
    torch, _ = oracle()
    e, t = both(float_array(2, 3, 5, 4))
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.6, 0.7]
    assert_same(EF.normalize(e, mean, std), TF.normalize(t, mean, std), 1e-6)
    out = EF.normalize(e, mean, std, inplace=True)
    TF.normalize(t, mean, std, inplace=True)
    assert out is e
    assert_same(e, t, 1e-6)
    with pytest.raises(TypeError):
        EF.normalize(ember.zeros(3, 4, 4, dtype=ember.uint8), mean, std)
    with pytest.raises(ValueError):
        EF.normalize(ember.zeros(3, 4, 4), mean, [1.0, 0.0, 1.0])
    v = float_array(3, 2, 2, seed=2)
    assert_same(EF.erase(e, 1, 1, 2, 2, ember.tensor(v)), TF.erase(t, 1, 1, 2, 2, torch.tensor(v)))
    u_e, u_t = both(uint8_array(3, 4, 5))
    for dtype in ("float32", "float64", "int32", "int16", "uint8"):
        assert_same(EF.convert_image_dtype(u_e, getattr(ember, dtype)),
                    TF.convert_image_dtype(u_t, getattr(torch, dtype)), 1e-6, dtype)
    f_e, f_t = both(float_array(3, 4, 5))
    for dtype in ("uint8", "int16", "float64"):
        assert_same(EF.convert_image_dtype(f_e, getattr(ember, dtype)),
                    TF.convert_image_dtype(f_t, getattr(torch, dtype)), 1e-6, dtype)
    with pytest.raises(RuntimeError):
        EF.convert_image_dtype(f_e, ember.int32)


# ---------------------------------------------------------------------------- conversions
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "I", "F", "1", "I;16"])
def test_to_tensor_and_pil_to_tensor(TF, mode):
    base = pil_image(6, 7, "RGB", seed=5)
    img = base.convert(mode)
    assert_same(EF.to_tensor(img), TF.to_tensor(img), what=mode)
    assert_same(EF.pil_to_tensor(img), TF.pil_to_tensor(img), what=mode)


def test_to_tensor_ndarray_and_to_pil_image(TF):
    torch, _ = oracle()
    for arr in (uint8_array(5, 6, 3), uint8_array(5, 6), float_array(5, 6, 1), float_array(5, 6, 2)):
        assert_same(EF.to_tensor(arr), TF.to_tensor(arr))
    cases = [(uint8_array(3, 5, 6), None), (float_array(3, 5, 6), None), (uint8_array(1, 5, 6), None),
             (float_array(1, 5, 6), "F"), (uint8_array(4, 5, 6), "RGBX"), (uint8_array(2, 5, 6), None),
             (uint8_array(3, 5, 6), "HSV"), (uint8_array(5, 6), None)]
    for arr, mode in cases:
        e, t = ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
        assert_same(EF.to_pil_image(e, mode), TF.to_pil_image(t, mode), what=f"{arr.shape} {mode}")
        hwc = arr.transpose(1, 2, 0) if arr.ndim == 3 else arr
        assert_same(EF.to_pil_image(hwc, mode), TF.to_pil_image(hwc, mode))
    with pytest.raises(ValueError):
        EF.to_pil_image(ember.zeros(3, 4, 4, dtype=ember.uint8), mode="RGBA")
    with pytest.raises(TypeError):
        EF.to_pil_image([1, 2, 3])
    with pytest.raises(TypeError):
        EF.to_tensor([1, 2, 3])
    assert isinstance(EF.to_pil_image(ember.zeros(3, 2, 2)), Image.Image)
