"""The functional transforms (torchvision.transforms.functional).

Each function takes a PIL image or an ember tensor image ``(..., C, H, W)`` and
dispatches to the PIL kernel (``_functional_pil``, Pillow's own operations) or the
tensor kernel (``_functional_tensor``, ember ops on the tensor's device).
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum
from typing import Any

import numpy as np
from PIL import Image

import ember
from ember import Tensor

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t

__all__ = [
    "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
    "to_tensor", "pil_to_tensor", "convert_image_dtype", "to_pil_image", "normalize", "resize",
    "pad", "crop", "center_crop", "resized_crop", "hflip", "perspective", "vflip", "five_crop",
    "ten_crop", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "adjust_gamma", "rotate", "affine", "to_grayscale", "rgb_to_grayscale", "erase",
    "gaussian_blur", "invert", "posterize", "solarize", "adjust_sharpness", "autocontrast",
    "equalize", "elastic_transform",
]


class InterpolationMode(Enum):
    """Interpolation modes. Tensors support NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC;
    PIL images all but NEAREST_EXACT's exact variant (it maps to PIL's NEAREST)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    # PIL-only modes
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_INT_TO_MODE = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}

pil_modes_mapping = {
    InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
    InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
    InterpolationMode.LANCZOS: 1,
}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    return _INT_TO_MODE[i]


def _check_interpolation(interpolation: Any) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def _is_tensor(img: Any) -> bool:
    return isinstance(img, Tensor)


def get_dimensions(img: Any) -> list[int]:
    """[channels, height, width] of an image."""
    return F_t.get_dimensions(img) if _is_tensor(img) else F_pil.get_dimensions(img)


def get_image_size(img: Any) -> list[int]:
    """[width, height] of an image."""
    return F_t.get_image_size(img) if _is_tensor(img) else F_pil.get_image_size(img)


def get_image_num_channels(img: Any) -> int:
    return F_t.get_image_num_channels(img) if _is_tensor(img) else F_pil.get_image_num_channels(img)


def _is_numpy(img: Any) -> bool:
    return isinstance(img, np.ndarray)


def _is_numpy_image(img: Any) -> bool:
    return img.ndim in {2, 3}


# ---------------------------------------------------------------------------- conversion
def _default_float_np() -> Any:
    return np.float64 if ember.get_default_dtype() == ember.float64 else np.float32


def to_tensor(pic: Any) -> Tensor:
    """A PIL image or ndarray (H x W x C) as a C x H x W tensor; uint8 scaled to [0, 1]."""
    if not (F_pil._is_pil_image(pic) or _is_numpy(pic)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if _is_numpy(pic) and not _is_numpy_image(pic):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if isinstance(pic, np.ndarray):
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                  "F": np.float32}.get(pic.mode, np.uint8)
        arr = np.asarray(pic, nptype)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))  # bytes: the quickest transpose
    if chw.dtype == np.uint8:
        out = chw.astype(_default_float_np())
        out /= out.dtype.type(255)
        return ember.from_numpy(out)
    if not chw.flags.writeable:  # PIL's buffer (modes I, I;16, F): torchvision copies it
        chw = chw.copy()
    return ember.from_numpy(chw)


def pil_to_tensor(pic: Any) -> Tensor:
    """A PIL image as a C x H x W tensor of the same dtype (no scaling)."""
    if not F_pil._is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(arr).permute((2, 0, 1))


def convert_image_dtype(image: Tensor, dtype: Any = ember.float) -> Tensor:
    """Convert a tensor image to ``dtype``, rescaling values to its range."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def to_pil_image(pic: Any, mode: str | None = None) -> Image.Image:
    """A tensor (C x H x W) or ndarray (H x W x C) as a PIL image."""
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L",
                    np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            # torchvision's text names the class np.dtype, not the array's dtype
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            kind = {2: "2D", 3: "3D", 4: "4D"}[channels]
            raise ValueError(f"Only modes {permitted} are supported for {kind} inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return F_pil._fromarray(npimg, mode)


def normalize(tensor: Tensor, mean: list[float], std: list[float], inplace: bool = False) -> Tensor:
    """``(tensor - mean) / std`` per channel of a float tensor image."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ---------------------------------------------------------------------------- geometry
def _compute_resized_output_size(image_size: tuple[int, int], size: list[int] | None,
                                 max_size: int | None = None,
                                 allow_size_none: bool = False) -> list[int]:
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if not allow_size_none:
            raise ValueError("This should never happen!!")
        if not isinstance(max_size, int):
            raise ValueError(f"max_size must be an integer when size is None, but got {max_size} "
                             "instead.")
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    elif len(size) == 1:  # the smaller edge becomes size[0]
        requested = size if isinstance(size, int) else size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested"
                                 f" size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img: Any, size: int | list[int], interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize to ``size`` (h, w), or make the smaller edge ``size`` keeping the aspect ratio."""
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                             "torchscript mode.")
    _, h, w = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == output_size:
        return img
    if not _is_tensor(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, size=output_size, interpolation=pil_modes_mapping[interpolation])
    return F_t.resize(img, size=output_size, interpolation=interpolation.value, antialias=antialias)


def pad(img: Any, padding: int | list[int], fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad every border (left, top, right, bottom) with a constant, edge, reflect or symmetric."""
    if not _is_tensor(img):
        return F_pil.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)
    if padding_mode == "symmetric" and (img.ndim == 2 or img.ndim > 4):  # v1 mirrors 3-D, 4-D
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    return F_t.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """Crop a box; parts outside the image are zero-padded."""
    if not _is_tensor(img):
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, top, left, height, width)


def _pair(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    return tuple(size)


def center_crop(img: Any, output_size: int | list[int]) -> Any:
    """Crop the center; an image smaller than the crop is zero-padded first."""
    crop_height, crop_width = _pair(output_size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: int | list[int],
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    """Crop a box, then resize it to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img: Any) -> Any:
    """Flip horizontally."""
    return F_t.hflip(img) if _is_tensor(img) else F_pil.hflip(img)


def vflip(img: Any) -> Any:
    """Flip vertically."""
    return F_t.vflip(img) if _is_tensor(img) else F_pil.vflip(img)


def _get_perspective_coeffs(startpoints: list[list[int]], endpoints: list[list[int]]) -> list[float]:
    """(a, b, c, d, e, f, g, h) mapping output (x, y) to input
    ((ax + by + c) / (gx + hy + 1), (dx + ey + f) / (gx + hy + 1))."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints "
                         f"and {len(endpoints)} endpoints.")
    a = np.zeros((8, 8), dtype=np.float64)
    for i, ((x, y), (u, v)) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    # torchvision solves with LAPACK's gels (QR), which fails on a zero pivot of R
    q, r = np.linalg.qr(a)
    zero = np.flatnonzero(np.diag(r) == 0)
    if zero.size:
        from ember.linalg import LinAlgError

        raise LinAlgError("torch.linalg.lstsq: The least squares solution could not be computed "
                          "because the input matrix does not have full rank "
                          f"(error code: {zero[0] + 1}).")
    solution = np.linalg.solve(r, q.T @ b)
    return solution.astype(np.float32).tolist()


def perspective(img: Any, startpoints: list[list[int]], endpoints: list[list[int]],
                interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> Any:
    """Warp so that ``startpoints`` (4 corners) move to ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _check_interpolation(interpolation)
    if not _is_tensor(img):
        return F_pil.perspective(img, coeffs, interpolation=pil_modes_mapping[interpolation],
                                 fill=fill)
    return F_t.perspective(img, coeffs, interpolation=interpolation.value, fill=fill)


def _crop_size_as_given(size: Any) -> Any:
    """A number or a 1-sequence as an (h, w) tuple; a 2-sequence stays as given, so that
    error messages show it as torchvision does (a list prints as a list)."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    return size


def five_crop(img: Any, size: int | list[int]) -> tuple:
    """The four corner crops and the center crop: (tl, tr, bl, br, center)."""
    size = _crop_size_as_given(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    return tl, tr, bl, br, center_crop(img, [crop_height, crop_width])


def ten_crop(img: Any, size: int | list[int], vertical_flip: bool = False) -> tuple:
    """``five_crop`` of the image and of its flipped copy."""
    size = _crop_size_as_given(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _get_inverse_affine_matrix(center: list[float], angle: float, translate: list[float],
                               scale: float, shear: list[float], inverted: bool = True
                               ) -> list[float]:
    """The affine matrix (or its inverse) of rotate-scale-shear about ``center`` then translate:
    M = T * C * RotateScaleShear * C^-1, with RSS = Rot(angle) * Scale * ShearY * ShearX."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # RSS without scaling
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
    else:
        m = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
        m[2] += m[0] * -cx + m[1] * -cy
        m[5] += m[3] * -cx + m[4] * -cy
        m[2] += cx + tx
        m[5] += cy + ty
    return m


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: list[int] | None = None, fill: Any = None) -> Any:
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the middle)."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle=angle, interpolation=pil_modes_mapping[interpolation],
                            expand=expand, center=center, fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix=matrix, interpolation=interpolation.value, expand=expand,
                      fill=fill)


def _parse_affine_args(angle: Any, translate: Any, scale: float, shear: Any
                       ) -> tuple[float, list, list]:
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return float(angle), list(translate), shear


def affine(img: Any, angle: float, translate: list[int], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: list[int] | None = None) -> Any:
    """Rotate by ``angle`` (clockwise, degrees), scale, shear, then translate; center fixed."""
    interpolation = _check_interpolation(interpolation)
    angle, translate, shear = _parse_affine_args(angle, translate, scale, shear)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix=matrix, interpolation=pil_modes_mapping[interpolation],
                            fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(center_f, angle, translate_f, scale, shear)
    return F_t.affine(img, matrix=matrix, interpolation=interpolation.value, fill=fill)


# ---------------------------------------------------------------------------- color
def _color(tensor_fn: Any, pil_fn: Any, img: Any, *args: Any) -> Any:
    return tensor_fn(img, *args) if _is_tensor(img) else pil_fn(img, *args)


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    return _color(F_t.adjust_brightness, F_pil.adjust_brightness, img, brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    return _color(F_t.adjust_contrast, F_pil.adjust_contrast, img, contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    return _color(F_t.adjust_saturation, F_pil.adjust_saturation, img, saturation_factor)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    return _color(F_t.adjust_hue, F_pil.adjust_hue, img, hue_factor)


def adjust_gamma(img: Any, gamma: float, gain: float = 1) -> Any:
    return _color(F_t.adjust_gamma, F_pil.adjust_gamma, img, gamma, gain)


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    return _color(F_t.adjust_sharpness, F_pil.adjust_sharpness, img, sharpness_factor)


def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Grayscale version of a PIL image (any mode)."""
    if isinstance(img, Image.Image):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Grayscale (L = 0.2989 R + 0.587 G + 0.114 B) with 1 or 3 output channels."""
    return _color(F_t.rgb_to_grayscale, F_pil.to_grayscale, img, num_output_channels)


def invert(img: Any) -> Any:
    return _color(F_t.invert, F_pil.invert, img)


def posterize(img: Any, bits: int) -> Any:
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _color(F_t.posterize, F_pil.posterize, img, bits)


def solarize(img: Any, threshold: float) -> Any:
    return _color(F_t.solarize, F_pil.solarize, img, threshold)


def autocontrast(img: Any) -> Any:
    return _color(F_t.autocontrast, F_pil.autocontrast, img)


def equalize(img: Any) -> Any:
    return _color(F_t.equalize, F_pil.equalize, img)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Tensor:
    """Set the box (i, j, h, w) of a tensor image to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)


def _through_tensor(img: Any, fn: Any) -> Any:
    """Apply a tensor kernel to a PIL image by a round trip through a uint8 tensor."""
    if _is_tensor(img):
        return fn(img)
    if not F_pil._is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    return to_pil_image(fn(pil_to_tensor(img)), mode=img.mode)


def gaussian_blur(img: Any, kernel_size: int | list[int], sigma: Any = None) -> Any:
    """Blur with a Gaussian kernel (reflect padding keeps the size)."""
    kernel_size, sigma = _gaussian_blur_args(kernel_size, sigma)
    return _through_tensor(img, lambda t: F_t.gaussian_blur(t, kernel_size, sigma))


def _gaussian_blur_args(kernel_size: Any, sigma: Any) -> tuple[list[int], list[float]]:
    """Checked ``[kh, kw]`` and ``[sx, sy]`` of a Gaussian blur (torchvision's errors)."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return list(kernel_size), list(sigma)


def elastic_transform(img: Any, displacement: Tensor,
                      interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> Any:
    """Sample the image at the identity grid plus ``displacement`` (1, H, W, 2)."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    _, h, w = get_dimensions(img)
    shape = (1, h, w, 2)
    if tuple(displacement.shape) != shape:
        raise ValueError(f"Argument displacement shape should be {shape}, but given "
                         f"{displacement.shape}")
    return _through_tensor(img, lambda t: F_t.elastic_transform(
        t, displacement, interpolation=interpolation.value, fill=fill))
