"""The per-type kernels of the v2 functionals, under torchvision's public names and signatures
(``resize_video``, ``crop_bounding_boxes``, ``adjust_hue_image``, ``get_size_mask``, ...).

The functionals (``F.resize``, ``F.crop``, ...) dispatch on the input's type; these are the
kernels they reach, callable directly on plain tensors. Image kernels also serve videos
(leading dimensions are batch dimensions), mask kernels add a channel dimension when
missing, and bounding-box kernels take the box ``format`` and ``canvas_size`` explicitly and
return the new canvas where it changes, as torchvision's do.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import ember
from ember import Tensor

from ...tv_tensors import BoundingBoxes, BoundingBoxFormat
from .. import functional as F1
from . import _bounding_boxes as B
from . import _functional_color as C
from .functional import (
    InterpolationMode,
    _affine_args,
    _center_anchor,
    _coefficients,
    _get_kernel,
    _on_masks,
    _output_size,
    _parse_pad_padding,
    affine_image,
    crop_image,
    elastic_image,
    five_crop,
    get_dimensions,
    pad_image,
    perspective_image,
    resize_image,
    resize_mask,
    rotate_image,
    ten_crop,
    to_dtype_image,
)

__all__ = [
    # meta
    "get_dimensions_image", "get_dimensions_video", "get_num_channels_image",
    "get_num_channels_video", "get_num_frames_video", "get_size_image", "get_size_video",
    "get_size_mask", "get_size_bounding_boxes", "get_image_size", "get_image_num_channels",
    "to_tensor", "to_dtype_video",
    # geometry: images, videos, masks
    "horizontal_flip_image", "horizontal_flip_video", "horizontal_flip_mask",
    "vertical_flip_image", "vertical_flip_video", "vertical_flip_mask", "resize_video",
    "crop_video", "crop_mask", "center_crop_image", "center_crop_video", "center_crop_mask",
    "resized_crop_image", "resized_crop_video", "resized_crop_mask", "five_crop_image",
    "five_crop_video", "ten_crop_image", "ten_crop_video", "pad_video", "affine_video",
    "rotate_video", "perspective_video", "elastic_video",
    # geometry: bounding boxes
    "horizontal_flip_bounding_boxes", "vertical_flip_bounding_boxes", "resize_bounding_boxes",
    "crop_bounding_boxes", "center_crop_bounding_boxes", "resized_crop_bounding_boxes",
    "pad_bounding_boxes", "affine_bounding_boxes", "rotate_bounding_boxes",
    "perspective_bounding_boxes", "elastic_bounding_boxes",
    # color and misc
    "adjust_brightness_image", "adjust_brightness_video", "adjust_contrast_image",
    "adjust_contrast_video", "adjust_saturation_image", "adjust_saturation_video",
    "adjust_hue_image", "adjust_hue_video", "adjust_gamma_image", "adjust_gamma_video",
    "adjust_sharpness_image", "adjust_sharpness_video", "autocontrast_image",
    "autocontrast_video", "equalize_image", "equalize_video", "invert_image", "invert_video",
    "posterize_image", "posterize_video", "solarize_image", "solarize_video",
    "permute_channels_image", "permute_channels_video", "rgb_to_grayscale_image",
    "grayscale_to_rgb_image", "normalize_image", "normalize_video", "gaussian_blur_image",
    "gaussian_blur_video", "erase_image", "erase_video",
]

_XYXY = BoundingBoxFormat.XYXY


# ---------------------------------------------------------------------------- meta
def get_dimensions_image(image: Tensor) -> list[int]:
    return get_dimensions(image.as_subclass(Tensor))


def get_dimensions_video(video: Tensor) -> list[int]:
    return get_dimensions_image(video)


def get_num_channels_image(image: Tensor) -> int:
    return get_dimensions_image(image)[0]


def get_num_channels_video(video: Tensor) -> int:
    return get_num_channels_image(video)


def get_num_frames_video(video: Tensor) -> int:
    return video.shape[-4]


def get_size_image(image: Tensor) -> list[int]:
    return list(image.shape[-2:])


def get_size_video(video: Tensor) -> list[int]:
    return get_size_image(video)


def get_size_mask(mask: Tensor) -> list[int]:
    return get_size_image(mask)


def get_size_bounding_boxes(bounding_box: BoundingBoxes) -> list[int]:
    return list(bounding_box.canvas_size)


def get_image_num_channels(inpt: Tensor) -> int:
    from .functional import get_num_channels

    return get_num_channels(inpt)


def get_image_size(inpt: Tensor) -> list[int]:
    """[width, height] (deprecated: ``get_size`` gives [height, width])."""
    warnings.warn("The function `get_image_size(...)` is deprecated and will be removed in a future "
                  "release. Instead, please use `get_size(...)` which returns `[h, w]` instead of "
                  "`[w, h]`.", stacklevel=2)
    return F1.get_image_size(inpt)


def to_tensor(inpt: Any) -> Tensor:
    """A PIL image or ndarray as a float tensor in [0, 1] (deprecated)."""
    warnings.warn("The function `to_tensor(...)` is deprecated and will be removed in a future "
                  "release. Instead, please use `to_image(...)` followed by `to_dtype(..., "
                  "dtype=torch.float32, scale=True)`.", stacklevel=2)
    return F1.to_tensor(inpt)


def to_dtype_video(video: Tensor, dtype: Any = ember.float32, scale: bool = False) -> Tensor:
    return to_dtype_image(video, dtype, scale=scale)


# ---------------------------------------------------------------------------- images, videos, masks
def horizontal_flip_image(image: Tensor) -> Tensor:
    return image.flip(-1)


def vertical_flip_image(image: Tensor) -> Tensor:
    return image.flip(-2)


def horizontal_flip_video(video: Tensor) -> Tensor:
    return video.flip(-1)


def horizontal_flip_mask(mask: Tensor) -> Tensor:
    return mask.flip(-1)


def vertical_flip_video(video: Tensor) -> Tensor:
    return video.flip(-2)


def vertical_flip_mask(mask: Tensor) -> Tensor:
    return mask.flip(-2)


def resize_video(video: Tensor, size: list[int] | None,
                 interpolation: Any = InterpolationMode.BILINEAR, max_size: int | None = None,
                 antialias: bool | None = True) -> Tensor:
    return resize_image(video, size, interpolation=interpolation, max_size=max_size,
                        antialias=antialias)


def crop_video(video: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    return crop_image(video, top, left, height, width)


def crop_mask(mask: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    return _on_masks(crop_image)(mask, top, left, height, width)


def center_crop_image(image: Tensor, output_size: list[int]) -> Tensor:
    return F1.center_crop(image, output_size)


def center_crop_video(video: Tensor, output_size: list[int]) -> Tensor:
    return center_crop_image(video, output_size)


def center_crop_mask(mask: Tensor, output_size: list[int]) -> Tensor:
    return _on_masks(center_crop_image)(mask, output_size)


def resized_crop_image(image: Tensor, top: int, left: int, height: int, width: int,
                       size: list[int], interpolation: Any = InterpolationMode.BILINEAR,
                       antialias: bool | None = True) -> Tensor:
    out = crop_image(image, top, left, height, width)
    return resize_image(out, size, interpolation=interpolation, antialias=antialias)


def resized_crop_video(video: Tensor, top: int, left: int, height: int, width: int,
                       size: list[int], interpolation: Any = InterpolationMode.BILINEAR,
                       antialias: bool | None = True) -> Tensor:
    return resized_crop_image(video, top, left, height, width, size, interpolation, antialias)


def resized_crop_mask(mask: Tensor, top: int, left: int, height: int, width: int,
                      size: list[int]) -> Tensor:
    return resize_mask(crop_mask(mask, top, left, height, width), size)


def five_crop_image(image: Tensor, size: list[int]) -> tuple:
    return _get_kernel(five_crop, Tensor)(image, size)


def five_crop_video(video: Tensor, size: list[int]) -> tuple:
    return five_crop_image(video, size)


def ten_crop_image(image: Tensor, size: list[int], vertical_flip: bool = False) -> tuple:
    return _get_kernel(ten_crop, Tensor)(image, size, vertical_flip=vertical_flip)


def ten_crop_video(video: Tensor, size: list[int], vertical_flip: bool = False) -> tuple:
    return ten_crop_image(video, size, vertical_flip=vertical_flip)


def pad_video(video: Tensor, padding: list[int], fill: Any = None,
              padding_mode: str = "constant") -> Tensor:
    return pad_image(video, padding, fill=fill, padding_mode=padding_mode)


def affine_video(video: Tensor, angle: float, translate: list[float], scale: float,
                 shear: list[float], interpolation: Any = InterpolationMode.NEAREST,
                 fill: Any = None, center: list[float] | None = None) -> Tensor:
    return affine_image(video, angle, translate, scale, shear, interpolation, fill, center)


def rotate_video(video: Tensor, angle: float, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: list[float] | None = None,
                 fill: Any = None) -> Tensor:
    return rotate_image(video, angle, interpolation, expand, center, fill)


def perspective_video(video: Tensor, startpoints: Any, endpoints: Any,
                      interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None,
                      coefficients: list[float] | None = None) -> Tensor:
    return perspective_image(video, startpoints, endpoints, interpolation, fill, coefficients)


def elastic_video(video: Tensor, displacement: Tensor,
                  interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> Tensor:
    return elastic_image(video, displacement, interpolation, fill)


# ---------------------------------------------------------------------------- bounding boxes
def horizontal_flip_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                                   canvas_size: tuple[int, int]) -> Tensor:
    return B.horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size)


def vertical_flip_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                                 canvas_size: tuple[int, int]) -> Tensor:
    return B.vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size)


def resize_bounding_boxes(bounding_boxes: Tensor, canvas_size: tuple[int, int],
                          size: list[int] | None, max_size: int | None = None,
                          format: BoundingBoxFormat = _XYXY, clamping_mode: str | None = "soft"
                          ) -> tuple[Tensor, tuple[int, int]]:
    """Scale by the size ratio; axis-aligned boxes are not clamped, as in torchvision."""
    new = tuple(_output_size(tuple(canvas_size), size, max_size))
    return B.resize_bounding_boxes(bounding_boxes, tuple(canvas_size), new, format, clamping_mode)


def crop_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat, top: int, left: int,
                        height: int, width: int, clamping_mode: str | None = "soft"
                        ) -> tuple[Tensor, tuple[int, int]]:
    return B.crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode)


def center_crop_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                               canvas_size: tuple[int, int], output_size: list[int],
                               clamping_mode: str | None = "soft"
                               ) -> tuple[Tensor, tuple[int, int]]:
    top, left, height, width = _center_anchor(output_size, canvas_size)
    return crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode)


def resized_crop_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat, top: int,
                                left: int, height: int, width: int, size: list[int],
                                clamping_mode: str | None = "soft"
                                ) -> tuple[Tensor, tuple[int, int]]:
    boxes, canvas = crop_bounding_boxes(bounding_boxes, format, top, left, height, width,
                                        clamping_mode)
    return resize_bounding_boxes(boxes, canvas, size, format=format, clamping_mode=clamping_mode)


def pad_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                       canvas_size: tuple[int, int], padding: list[int],
                       padding_mode: str = "constant", clamping_mode: str | None = "soft"
                       ) -> tuple[Tensor, tuple[int, int]]:
    return B.pad_bounding_boxes(bounding_boxes, format, canvas_size, _parse_pad_padding(padding),
                                padding_mode, clamping_mode)


def affine_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                          canvas_size: tuple[int, int], angle: float, translate: list[float],
                          scale: float, shear: list[float], center: list[float] | None = None,
                          clamping_mode: str | None = "soft") -> Tensor:
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    out, _ = B.affine_bounding_boxes(bounding_boxes, format, canvas_size, angle, translate, scale,
                                     shear, center, False, clamping_mode)
    return out


def rotate_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                          canvas_size: tuple[int, int], angle: float, expand: bool = False,
                          center: list[float] | None = None, clamping_mode: str | None = "soft"
                          ) -> tuple[Tensor, tuple[int, int]]:
    if center is not None:
        center = [float(c) for c in center]
    return B.affine_bounding_boxes(bounding_boxes, format, canvas_size, -angle, [0.0, 0.0], 1.0,
                                   [0.0, 0.0], center, expand, clamping_mode)


def perspective_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                               canvas_size: tuple[int, int], startpoints: Any, endpoints: Any,
                               coefficients: list[float] | None = None,
                               clamping_mode: str | None = "soft") -> Tensor:
    if bounding_boxes.numel() == 0:
        return bounding_boxes
    coeffs = _coefficients(startpoints, endpoints, coefficients)
    return B.perspective_bounding_boxes(bounding_boxes, format, canvas_size, coeffs, clamping_mode)


def elastic_bounding_boxes(bounding_boxes: Tensor, format: BoundingBoxFormat,
                           canvas_size: tuple[int, int], displacement: Tensor,
                           clamping_mode: str | None = "soft") -> Tensor:
    expected = (1, canvas_size[0], canvas_size[1], 2)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != expected:
        raise ValueError(f"Argument displacement shape should be {expected}, but given "
                         f"{displacement.shape}")
    return B.elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement,
                                    clamping_mode)


# ---------------------------------------------------------------------------- color and misc
def _image_kernel(functional: Any) -> Any:
    return _get_kernel(functional, Tensor)


def adjust_brightness_image(image: Tensor, brightness_factor: float) -> Tensor:
    return _image_kernel(C.adjust_brightness)(image, brightness_factor)


def adjust_contrast_image(image: Tensor, contrast_factor: float) -> Tensor:
    return _image_kernel(C.adjust_contrast)(image, contrast_factor)


def adjust_saturation_image(image: Tensor, saturation_factor: float) -> Tensor:
    return _image_kernel(C.adjust_saturation)(image, saturation_factor)


def adjust_hue_image(image: Tensor, hue_factor: float) -> Tensor:
    return _image_kernel(C.adjust_hue)(image, hue_factor)


def adjust_gamma_image(image: Tensor, gamma: float, gain: float = 1.0) -> Tensor:
    return _image_kernel(C.adjust_gamma)(image, gamma, gain)


def adjust_sharpness_image(image: Tensor, sharpness_factor: float) -> Tensor:
    return _image_kernel(C.adjust_sharpness)(image, sharpness_factor)


def autocontrast_image(image: Tensor) -> Tensor:
    return _image_kernel(C.autocontrast)(image)


def equalize_image(image: Tensor) -> Tensor:
    return _image_kernel(C.equalize)(image)


def invert_image(image: Tensor) -> Tensor:
    return _image_kernel(C.invert)(image)


def posterize_image(image: Tensor, bits: int) -> Tensor:
    return _image_kernel(C.posterize)(image, bits)


def solarize_image(image: Tensor, threshold: float) -> Tensor:
    return _image_kernel(C.solarize)(image, threshold)


def permute_channels_image(image: Tensor, permutation: list[int]) -> Tensor:
    return _image_kernel(C.permute_channels)(image, permutation)


def rgb_to_grayscale_image(image: Tensor, num_output_channels: int = 1) -> Tensor:
    return _image_kernel(C.rgb_to_grayscale)(image, num_output_channels)


def grayscale_to_rgb_image(image: Tensor) -> Tensor:
    return _image_kernel(C.grayscale_to_rgb)(image)


def normalize_image(image: Tensor, mean: list[float], std: list[float],
                    inplace: bool = False) -> Tensor:
    return _image_kernel(C.normalize)(image, mean, std, inplace)


def gaussian_blur_image(image: Tensor, kernel_size: list[int],
                        sigma: list[float] | None = None) -> Tensor:
    return _image_kernel(C.gaussian_blur)(image, kernel_size, sigma)


def erase_image(image: Tensor, i: int, j: int, h: int, w: int, v: Tensor,
                inplace: bool = False) -> Tensor:
    return _image_kernel(C.erase)(image, i, j, h, w, v, inplace=inplace)


def adjust_brightness_video(video: Tensor, brightness_factor: float) -> Tensor:
    return adjust_brightness_image(video, brightness_factor)


def adjust_contrast_video(video: Tensor, contrast_factor: float) -> Tensor:
    return adjust_contrast_image(video, contrast_factor)


def adjust_saturation_video(video: Tensor, saturation_factor: float) -> Tensor:
    return adjust_saturation_image(video, saturation_factor)


def adjust_hue_video(video: Tensor, hue_factor: float) -> Tensor:
    return adjust_hue_image(video, hue_factor)


def adjust_gamma_video(video: Tensor, gamma: float, gain: float = 1) -> Tensor:
    return adjust_gamma_image(video, gamma, gain)


def adjust_sharpness_video(video: Tensor, sharpness_factor: float) -> Tensor:
    return adjust_sharpness_image(video, sharpness_factor)


def autocontrast_video(video: Tensor) -> Tensor:
    return autocontrast_image(video)


def equalize_video(video: Tensor) -> Tensor:
    return equalize_image(video)


def invert_video(video: Tensor) -> Tensor:
    return invert_image(video)


def posterize_video(video: Tensor, bits: int) -> Tensor:
    return posterize_image(video, bits)


def solarize_video(video: Tensor, threshold: float) -> Tensor:
    return solarize_image(video, threshold)


def permute_channels_video(video: Tensor, permutation: list[int]) -> Tensor:
    return permute_channels_image(video, permutation)


def normalize_video(video: Tensor, mean: list[float], std: list[float],
                    inplace: bool = False) -> Tensor:
    return normalize_image(video, mean, std, inplace)


def gaussian_blur_video(video: Tensor, kernel_size: list[int],
                        sigma: list[float] | None = None) -> Tensor:
    return gaussian_blur_image(video, kernel_size, sigma)


def erase_video(video: Tensor, i: int, j: int, h: int, w: int, v: Tensor,
                inplace: bool = False) -> Tensor:
    return erase_image(video, i, j, h, w, v, inplace=inplace)


def _document_signatures() -> None:
    """Give the color functionals (built generically, ``(inpt, *args, **kwargs)``) the
    signatures of their image kernels, with the input named ``inpt`` as in torchvision."""
    for name in C.__all__:
        kernel = globals().get(f"{name}_image")
        functional = getattr(C, name)
        if kernel is None or not callable(functional):
            continue
        sig = inspect.signature(kernel)
        params = list(sig.parameters.values())
        params[0] = params[0].replace(name="inpt")
        functional.__signature__ = sig.replace(parameters=params)


_document_signatures()
