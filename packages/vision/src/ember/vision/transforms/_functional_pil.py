"""PIL kernels of the transforms (torchvision.transforms._functional_pil).

Every operation is Pillow's own (``resize``, ``transform``, ``rotate``, ``ImageOps``,
``ImageEnhance``), called the way torchvision calls it, so results match exactly.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _is_pil_image(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _check(img: Any) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _fromarray(arr: np.ndarray, mode: str) -> Image.Image:
    """An image of ``mode`` whose raw bytes are ``arr``'s (Pillow 11.3+ deprecates the mode
    argument of ``Image.fromarray``; the raw decoder still reads the bytes in ``mode``)."""
    arr = np.ascontiguousarray(arr)
    size = (arr.shape[1] if arr.ndim > 1 else 1, arr.shape[0])
    return Image.frombuffer(mode, size, arr.tobytes(), "raw", mode, 0, 1)


def get_dimensions(img: Any) -> list[int]:
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img: Any) -> list[int]:
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img: Any) -> int:
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def hflip(img: Image.Image) -> Image.Image:
    _check(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    _check(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def _enhance(img: Image.Image, enhancer: Any, factor: float) -> Image.Image:
    _check(img)
    return enhancer(img).enhance(factor)


def adjust_brightness(img: Image.Image, brightness_factor: float) -> Image.Image:
    return _enhance(img, ImageEnhance.Brightness, brightness_factor)


def adjust_contrast(img: Image.Image, contrast_factor: float) -> Image.Image:
    return _enhance(img, ImageEnhance.Contrast, contrast_factor)


def adjust_saturation(img: Image.Image, saturation_factor: float) -> Image.Image:
    return _enhance(img, ImageEnhance.Color, saturation_factor)


def adjust_sharpness(img: Image.Image, sharpness_factor: float) -> Image.Image:
    return _enhance(img, ImageEnhance.Sharpness, sharpness_factor)


def adjust_hue(img: Image.Image, hue_factor: float) -> Image.Image:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # uint8 arithmetic wraps around
    h = _fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(mode)


def adjust_gamma(img: Image.Image, gamma: float, gain: float = 1.0) -> Image.Image:
    _check(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def pad(img: Image.Image, padding: int | Sequence[int], fill: Any = 0,
        padding_mode: str = "constant") -> Image.Image:
    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        out = ImageOps.expand(img, border=padding, **opts)
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    if isinstance(padding, int):
        p = [padding] * 4
    elif len(padding) == 2:
        p = [padding[0], padding[1], padding[0], padding[1]]
    else:
        p = list(padding)  # left, top, right, bottom
    cut = [-min(v, 0) for v in p]
    if any(cut):
        img = img.crop((cut[0], cut[1], img.width - cut[2], img.height - cut[3]))
    left, top, right, bottom = (max(v, 0) for v in p)
    arr = np.asarray(img)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    out = Image.fromarray(np.pad(arr, widths, mode=padding_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    _check(img)
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: list[int], interpolation: int = Image.BILINEAR) -> Image.Image:
    _check(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def _parse_fill(fill: Any, img: Image.Image, name: str = "fillcolor") -> dict[str, Any]:
    """``fill`` as Pillow wants it for this image: one value per band, ints unless mode F."""
    bands = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def affine(img: Image.Image, matrix: list[float], interpolation: int = Image.NEAREST,
           fill: Any = None) -> Image.Image:
    _check(img)
    return img.transform(img.size, Image.AFFINE, matrix, interpolation, **_parse_fill(fill, img))


def rotate(img: Image.Image, angle: float, interpolation: int = Image.NEAREST, expand: bool = False,
           center: Any = None, fill: Any = None) -> Image.Image:
    _check(img)
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def perspective(img: Image.Image, perspective_coeffs: list[float], interpolation: int = Image.BICUBIC,
                fill: Any = None) -> Image.Image:
    _check(img)
    return img.transform(img.size, Image.PERSPECTIVE, perspective_coeffs, interpolation,
                         **_parse_fill(fill, img))


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    _check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return _fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img: Image.Image) -> Image.Image:
    _check(img)
    return ImageOps.invert(img)


def posterize(img: Image.Image, bits: int) -> Image.Image:
    _check(img)
    return ImageOps.posterize(img, bits)


def solarize(img: Image.Image, threshold: int) -> Image.Image:
    _check(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img: Image.Image) -> Image.Image:
    _check(img)
    return ImageOps.autocontrast(img)


def equalize(img: Image.Image) -> Image.Image:
    _check(img)
    return ImageOps.equalize(img)
