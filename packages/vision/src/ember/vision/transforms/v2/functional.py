"""The v2 functional API (torchvision.transforms.v2.functional).

Every functional dispatches on the input's type: plain tensors, ``Image`` and ``Video``
go to the image kernel, PIL images to Pillow, ``Mask`` to the image kernel with nearest
interpolation, ``BoundingBoxes`` to the box kernels (which also update
``canvas_size``). Typed inputs a functional has no kernel for pass through unchanged.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from PIL import Image as _PIL

import ember
from ember import Tensor
from ember.extend import renamed

from ... import tv_tensors
from ...tv_tensors import BoundingBoxes, KeyPoints, Mask, TVTensor, Video
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from .._resize_uint8 import resize_uint8
from ..functional import (
    InterpolationMode,
    _compute_resized_output_size,
    _get_inverse_affine_matrix,
    _get_perspective_coeffs,
    pil_modes_mapping,
)
from . import _bounding_boxes as B

_Image = tv_tensors.Image
_KERNELS: dict[Callable, dict[type, Callable]] = {}


def is_pure_tensor(inpt: Any) -> bool:
    return isinstance(inpt, Tensor) and not isinstance(inpt, TVTensor)


def register_kernel(functional: Callable, tv_tensor_cls: type) -> Callable:
    """Decorate a kernel for ``functional`` (a functional of this module or its name) on
    inputs of ``tv_tensor_cls``, a user-defined TVTensor subclass (torchvision's checks)."""
    if isinstance(functional, str):
        name = functional
        functional = globals().get(name)
        if not callable(functional) or name.startswith("_"):
            raise ValueError(f"Could not find functional with name '{name}' in "
                             f"{__name__}.") from None
    elif not (callable(functional)
              and globals().get(getattr(functional, "__name__", "")) is functional):
        raise ValueError(f"Kernels can only be registered on functionals from the {__name__} "
                         f"namespace, but got {functional}.")
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, TVTensor)):
        raise ValueError(f"Kernels can only be registered for subclasses of "
                         f"{tv_tensors.__name__}.TVTensor, but got {tv_tensor_cls}.")
    if tv_tensor_cls.__module__.startswith(tv_tensors.__name__):
        raise ValueError(f"Kernels cannot be registered for the builtin tv_tensor classes, "
                         f"but got {tv_tensor_cls}")
    if tv_tensor_cls in _KERNELS.get(functional, {}):
        raise ValueError(f"Functional {functional} already has a kernel registered for type "
                         f"{tv_tensor_cls}.")
    return _register(functional, tv_tensor_cls, wrap=False)


def _register(functional: Callable, *types: type, wrap: bool = True) -> Callable:
    def decorator(kernel: Callable) -> Callable:
        for t in types:
            if wrap and isinstance(t, type) and issubclass(t, TVTensor):
                def wrapped(inpt: Any, *args: Any, _kernel: Callable = kernel, **kwargs: Any) -> Any:
                    out = _kernel(inpt.as_subclass(Tensor), *args, **kwargs)
                    return tv_tensors.wrap(out, like=inpt) if isinstance(out, Tensor) else out
                _KERNELS.setdefault(functional, {})[t] = wrapped
            else:
                _KERNELS.setdefault(functional, {})[t] = kernel
        return kernel
    return decorator


def _get_kernel(functional: Callable, input_type: type, allow_passthrough: bool = False) -> Callable:
    registry = _KERNELS.get(functional, {})
    for cls in input_type.__mro__:
        if cls in registry:
            return registry[cls]
        if cls is TVTensor:  # a typed input never falls back to the plain-tensor kernel
            break
    if allow_passthrough:  # transforms pass what they have no kernel for; functionals refuse it
        return lambda inpt, *args, **kwargs: inpt
    types = dict.fromkeys(_tv_order(functional.__name__, registry))
    raise TypeError(f"Functional F.{functional.__name__} supports inputs of type "
                    f"{types.keys()}, but got {input_type} instead.")


# torchvision registers each functional's kernels in its own order, which its error lists:
# I Image, T Tensor, P PIL image, V Video, M Mask, B BoundingBoxes, K KeyPoints
_TV_ORDER = {name: order for order, names in (
    ("ITPV", "adjust_brightness adjust_contrast adjust_gamma adjust_hue adjust_saturation "
             "adjust_sharpness autocontrast equalize erase five_crop gaussian_blur get_dimensions "
             "get_num_channels invert permute_channels posterize solarize ten_crop"),
    ("ITPVMBK", "get_size"), ("VT", "get_num_frames uniform_temporal_subsample"),
    ("ITVP", "gaussian_noise jpeg"), ("ITV", "normalize"), ("ITVMBK", "to_dtype"),
    ("ITP", "grayscale_to_rgb rgb_to_grayscale"),
    ("ITPMKBV", "horizontal_flip pad resize vertical_flip"),
    ("ITPKBMV", "affine center_crop crop elastic perspective resized_crop rotate"),
) for name in names.split()}


def _tv_order(name: str, registry: dict | None = None) -> list:
    """The input types of functional ``name`` in torchvision's order (kernels registered with
    ``register_kernel`` after them)."""
    letters = {"I": _Image, "T": Tensor, "P": _PIL.Image, "V": Video, "M": Mask,
               "B": BoundingBoxes, "K": KeyPoints}
    types = [letters[c] for c in _TV_ORDER.get(name, "")]
    return types + [t for t in registry or () if t not in types]


def _dispatch(functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
    return _get_kernel(functional, type(inpt))(inpt, *args, **kwargs)


def _check_interpolation(interpolation: Any) -> InterpolationMode:
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int):
        return F1._interpolation_modes_from_int(interpolation)
    if isinstance(interpolation, str):
        return InterpolationMode(interpolation)
    raise ValueError("Argument interpolation should be an `InterpolationMode` or a corresponding "
                     f"Pillow integer constant, but got {interpolation}.")


def _on_masks(kernel: Callable) -> Callable:
    """Run an image kernel on a mask (..., H, W), adding a channel dimension if missing."""
    @functools.wraps(kernel)
    def run(mask: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        squeeze = mask.ndim < 3
        out = kernel(mask.unsqueeze(0) if squeeze else mask, *args, **kwargs)
        return out.squeeze(0) if squeeze else out
    return run


def _box_dispatch(kernel: Callable, boxes: BoundingBoxes, *args: Any, **kwargs: Any) -> Any:
    out = kernel(boxes.as_subclass(Tensor), *args, **kwargs)
    if isinstance(out, tuple):
        return tv_tensors.wrap(out[0], like=boxes, canvas_size=out[1])
    return tv_tensors.wrap(out, like=boxes)


# ---------------------------------------------------------------------------- meta
def _unsupported(name: str, inpt: Any) -> TypeError:
    """torchvision's TypeError for an input type ``name`` has no kernel for (its types listed
    in torchvision's registration order)."""
    types = {t: None for t in _tv_order(name)}
    return TypeError(f"Functional F.{name} supports inputs of type {types.keys()}, but got "
                     f"{type(inpt)} instead.")


def _image_shape(inpt: Any) -> Any:
    if inpt.ndim < 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {inpt.ndim}")
    return inpt.shape


def get_dimensions(inpt: Any) -> list[int]:
    if isinstance(inpt, _PIL.Image):
        return F_pil.get_dimensions(inpt)
    if not isinstance(inpt, Tensor) or (isinstance(inpt, TVTensor)
                                        and not isinstance(inpt, (_Image, Video))):
        raise _unsupported("get_dimensions", inpt)
    shape = _image_shape(inpt)
    c, h, w = shape[-3:] if inpt.ndim >= 3 else (1, *shape[-2:])
    return [c, h, w]


def get_num_channels(inpt: Any) -> int:
    if isinstance(inpt, (Mask, BoundingBoxes, KeyPoints)) or not isinstance(
            inpt, (Tensor, _PIL.Image)):
        raise _unsupported("get_num_channels", inpt)
    return get_dimensions(inpt)[0]


def get_size(inpt: Any) -> list[int]:
    """[height, width] of an image, video, mask or the canvas of bounding boxes."""
    if isinstance(inpt, (BoundingBoxes, KeyPoints)):
        return list(inpt.canvas_size)
    if isinstance(inpt, _PIL.Image):
        return [inpt.height, inpt.width]
    if not isinstance(inpt, Tensor):
        raise _unsupported("get_size", inpt)
    return list(_image_shape(inpt)[-2:])


def get_num_frames(inpt: Tensor) -> int:
    if not isinstance(inpt, Tensor) or (isinstance(inpt, TVTensor)
                                        and not isinstance(inpt, Video)):
        raise _unsupported("get_num_frames", inpt)
    return inpt.shape[-4]


def convert_bounding_box_format(inpt: Tensor, old_format: Any = None, new_format: Any = None,
                                inplace: bool = False) -> Tensor:
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    if isinstance(inpt, BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = B._convert_bounding_box_format(inpt.as_subclass(Tensor), inpt.format, new_format,
                                             inplace)
        return tv_tensors.wrap(out, like=inpt, format=B._as_format(new_format))
    if not is_pure_tensor(inpt):
        raise _not_boxes(inpt)
    if old_format is None:
        raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
    return B._convert_bounding_box_format(inpt, old_format, new_format, inplace)


def _not_boxes(inpt: Any) -> TypeError:
    return TypeError(f"Input can either be a plain tensor or a bounding box tv_tensor, but got "
                     f"{type(inpt)} instead.")


def clamp_bounding_boxes(inpt: Tensor, format: Any = None, canvas_size: Any = None,
                         clamping_mode: Any = "auto") -> Tensor:
    if isinstance(inpt, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` must "
                             "not be passed.")
        mode = inpt.clamping_mode if clamping_mode == "auto" else clamping_mode
        out = B._clamp_bounding_boxes(inpt.as_subclass(Tensor), inpt.format, inpt.canvas_size, mode)
        return tv_tensors.wrap(out, like=inpt)
    if not is_pure_tensor(inpt):
        raise _not_boxes(inpt)
    if format is None or canvas_size is None or clamping_mode == "auto":
        raise ValueError("For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have "
                         "to be passed.")
    return B._clamp_bounding_boxes(inpt, format, canvas_size, clamping_mode)


# ---------------------------------------------------------------------------- type conversion
def to_image(inpt: Any) -> _Image:
    """A PIL image, ndarray (H, W, C) or tensor as an ``Image``."""
    import numpy as np

    if isinstance(inpt, np.ndarray):
        out = ember.from_numpy(np.atleast_3d(inpt)).permute((2, 0, 1)).contiguous()
    elif isinstance(inpt, _PIL.Image):
        out = F1.pil_to_tensor(inpt)
    elif isinstance(inpt, Tensor):
        out = inpt
    else:
        raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
                        f"{type(inpt)} instead.")
    return _Image(out)


pil_to_tensor = F1.pil_to_tensor
to_pil_image = F1.to_pil_image


def to_pure_tensor(inpt: Tensor) -> Tensor:
    return inpt.as_subclass(Tensor)


def to_dtype(inpt: Tensor, dtype: Any = ember.float32, scale: bool = False) -> Tensor:
    """Convert the dtype; ``scale=True`` also rescales image values to the new range."""
    return _dispatch(to_dtype, inpt, dtype=dtype, scale=scale)


@_register(to_dtype, Tensor, _Image, Video)
def to_dtype_image(image: Tensor, dtype: Any = ember.float32, scale: bool = False) -> Tensor:
    """v2's conversion, which rounds unlike v1's ``convert_image_dtype`` in two places:
    integers become floats times ``1 / max`` (not divided by ``max``), and integers narrow
    and widen by bit shifts."""
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        src, dst = F_t._dtype_name(image.dtype), F_t._dtype_name(dtype)
        if (src == "float32" and dst in ("int32", "int64")) or (src == "float64" and dst == "int64"):
            raise RuntimeError(f"The conversion from {image.dtype} to {dtype} cannot be performed "
                               f"safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integer range
        return _scaled(image, float(F_t._max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    if dtype.is_floating_point:
        return _scaled(image.to(dtype), 1.0 / F_t._max_value(image.dtype))
    bits_in, bits_out = _value_bits(image.dtype), _value_bits(dtype)
    shift = abs(bits_in - bits_out)
    if bits_in > bits_out:
        if F_t._dtype_name(image.dtype) == "uint16":
            return (image / 2 ** shift).to(dtype)
        return image.bitwise_right_shift(shift).to(dtype)
    if F_t._dtype_name(dtype) == "uint16":
        return image.to(dtype) * 2 ** shift
    return image.to(dtype).bitwise_left_shift(shift)


def _scaled(image: Tensor, factor: float) -> Tensor:
    """``image * factor`` as PyTorch computes it: half types in float32 (the factor rounded
    to float32), the product rounded back once."""
    if image.dtype in (ember.float16, ember.bfloat16):
        return image.to(ember.float32).mul(factor).to(image.dtype)
    return image.mul(factor)


def _value_bits(dtype: Any) -> int:
    """Bits holding the value (the sign bit not counted)."""
    bits = {"uint8": 8, "int8": 7, "int16": 15, "uint16": 16, "int32": 31, "int64": 63}
    name = F_t._dtype_name(dtype)
    if name not in bits:
        raise TypeError(f"Number of value bits is only defined for integer dtypes, but got "
                        f"{dtype}.")
    return bits[name]


@_register(to_dtype, Mask, BoundingBoxes, KeyPoints)
def _to_dtype_plain(inpt: Tensor, dtype: Any = ember.float32, scale: bool = False) -> Tensor:
    return inpt.to(dtype)


def convert_image_dtype(image: Tensor, dtype: Any = ember.float32) -> Tensor:
    """torchvision's deprecated alias: the image kernel itself, whatever the input's type."""
    return to_dtype_image(image, dtype=dtype, scale=True)


# ---------------------------------------------------------------------------- flips
def horizontal_flip(inpt: Any) -> Any:
    return _dispatch(horizontal_flip, inpt)


def vertical_flip(inpt: Any) -> Any:
    return _dispatch(vertical_flip, inpt)


hflip, vflip = horizontal_flip, vertical_flip
_register(horizontal_flip, Tensor, _Image, Video, Mask)(lambda t: t.flip(-1))
_register(vertical_flip, Tensor, _Image, Video, Mask)(lambda t: t.flip(-2))
_register(horizontal_flip, _PIL.Image)(F_pil.hflip)
_register(vertical_flip, _PIL.Image)(F_pil.vflip)
_register(horizontal_flip, BoundingBoxes, wrap=False)(
    lambda b: _box_dispatch(B.horizontal_flip_bounding_boxes, b, b.format, b.canvas_size))
_register(vertical_flip, BoundingBoxes, wrap=False)(
    lambda b: _box_dispatch(B.vertical_flip_bounding_boxes, b, b.format, b.canvas_size))


# ---------------------------------------------------------------------------- resize and crops
def _output_size(canvas: tuple[int, int], size: Any, max_size: int | None) -> list[int]:
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size is None or specifies the length of "
                         "the smaller edge, i.e. size should be an int or a sequence of length 1 in "
                         "torchscript mode.")
    return _compute_resized_output_size(canvas, size=size, max_size=max_size, allow_size_none=True)


def resize(inpt: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    return _dispatch(resize, inpt, size, interpolation=interpolation, max_size=max_size,
                     antialias=antialias)


@_register(resize, Tensor, _Image, Video)
def resize_image(image: Tensor, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> Tensor:
    interpolation = _check_interpolation(interpolation)
    if interpolation.value == "lanczos" and not antialias:
        raise ValueError("InterpolationMode.LANCZOS requires antialias=True")
    new = _output_size(tuple(image.shape[-2:]), size, max_size)
    if tuple(new) == tuple(image.shape[-2:]):
        return image
    if image.numel() == 0:
        return image.reshape(*image.shape[:-2], *new)
    if (image.dtype == ember.uint8 and image.device.type == "cpu"
            and interpolation.value in ("bilinear", "bicubic", "lanczos")):
        # PyTorch resizes uint8 natively on the CPU (integer weights), not through float
        return resize_uint8(image, list(new), interpolation.value, bool(antialias))
    # v2 ends with a reshape to the image's batch shape: PyTorch shows a view's node
    return renamed(F_t.resize(image, new, interpolation.value, antialias=antialias, v2=True),
                   "ViewBackward0")


@_register(resize, _PIL.Image)
def _resize_image_pil(image: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                      max_size: int | None = None, antialias: bool | None = True) -> Any:
    if antialias is False:
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias "
                      "is ignored.", stacklevel=2)
    interpolation = _check_interpolation(interpolation)
    new_h, new_w = _output_size((image.height, image.width), size, max_size)
    if (new_h, new_w) == (image.height, image.width):
        return image
    return image.resize((new_w, new_h), resample=pil_modes_mapping[interpolation])


@_register(resize, Mask)
@_on_masks
def resize_mask(mask: Tensor, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                max_size: int | None = None, **kwargs: Any) -> Tensor:
    mode = _check_interpolation(interpolation)
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        mode = InterpolationMode.NEAREST
    return resize_image(mask, size, interpolation=mode, max_size=max_size)


@_register(resize, BoundingBoxes, wrap=False)
def _resize_boxes(boxes: BoundingBoxes, size: Any, max_size: int | None = None,
                  **kwargs: Any) -> BoundingBoxes:
    new = tuple(_output_size(boxes.canvas_size, size, max_size))
    return _box_dispatch(B.resize_bounding_boxes, boxes, boxes.canvas_size, new, boxes.format,
                         boxes.clamping_mode)


def crop(inpt: Any, top: int, left: int, height: int, width: int) -> Any:
    return _dispatch(crop, inpt, top=top, left=left, height=height, width=width)


@_register(crop, Tensor, _Image, Video)
def crop_image(image: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    return F_t.crop(image, top, left, height, width)


_register(crop, _PIL.Image)(F_pil.crop)
_register(crop, Mask)(_on_masks(crop_image))
_register(crop, BoundingBoxes, wrap=False)(
    lambda b, top, left, height, width: _box_dispatch(
        B.crop_bounding_boxes, b, b.format, top, left, height, width, b.clamping_mode))


def _center_anchor(output_size: Any, canvas: tuple[int, int]) -> tuple[int, int, int, int]:
    ch, cw = F1._pair(output_size)
    h, w = canvas
    return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw


def center_crop(inpt: Any, output_size: Any) -> Any:
    return _dispatch(center_crop, inpt, output_size=output_size)


def _center_crop_image(image: Tensor, output_size: Any) -> Tensor:
    if image.numel() == 0:  # torchvision v2 reshapes an empty image to the crop size
        crop_h, crop_w = F1._crop_size_as_given(output_size)
        return image.reshape(*image.shape[:-2], crop_h, crop_w)
    return F1.center_crop(image, output_size)


_register(center_crop, Tensor, _Image, Video)(_center_crop_image)
_register(center_crop, _PIL.Image)(F1.center_crop)
_register(center_crop, Mask)(_on_masks(_center_crop_image))
_register(center_crop, BoundingBoxes, wrap=False)(
    lambda b, output_size: _box_dispatch(
        B.crop_bounding_boxes, b, b.format, *_center_anchor(output_size, b.canvas_size),
        b.clamping_mode))


def resized_crop(inpt: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    return _dispatch(resized_crop, inpt, top=top, left=left, height=height, width=width, size=size,
                     interpolation=interpolation, antialias=antialias)


def _resized_crop_via(crop_fn: Callable, resize_fn: Callable) -> Callable:
    def kernel(inpt: Any, top: int, left: int, height: int, width: int, size: Any,
               interpolation: Any = InterpolationMode.BILINEAR, antialias: bool | None = True) -> Any:
        out = crop_fn(inpt, top, left, height, width)
        return resize_fn(out, size, interpolation=interpolation, antialias=antialias)
    return kernel


_register(resized_crop, Tensor, _Image, Video)(_resized_crop_via(crop_image, resize_image))
_register(resized_crop, _PIL.Image)(_resized_crop_via(F_pil.crop, _resize_image_pil))
_register(resized_crop, Mask)(_resized_crop_via(
    _on_masks(crop_image), lambda m, size, **kw: resize_mask(m, size)))
_register(resized_crop, BoundingBoxes, wrap=False)(_resized_crop_via(
    crop, lambda b, size, **kw: _resize_boxes(b, size)))


def five_crop(inpt: Any, size: Any) -> tuple:
    return _dispatch(five_crop, inpt, size)


def ten_crop(inpt: Any, size: Any, vertical_flip: bool = False) -> tuple:
    return _dispatch(ten_crop, inpt, size, vertical_flip=vertical_flip)


def _wrap_all(fn: Callable) -> Callable:
    def kernel(inpt: Any, *args: Any, **kwargs: Any) -> tuple:
        out = fn(inpt, *args, **kwargs)
        if isinstance(inpt, TVTensor):
            return tuple(tv_tensors.wrap(o, like=inpt) for o in out)
        return out
    return kernel


def _check_five_crop_size(fn: Callable) -> Callable:
    """v2 names the requested size as passed (``5``, not v1's ``(5, 5)``) when it is too big."""
    def kernel(inpt: Any, size: Any, *args: Any, **kwargs: Any) -> tuple:
        parsed = F1._crop_size_as_given(size)
        h, w = get_size(inpt)
        if len(parsed) == 2 and (parsed[1] > w or parsed[0] > h):
            raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
        return fn(inpt, size, *args, **kwargs)
    return kernel


_register(five_crop, Tensor, _Image, Video, _PIL.Image, wrap=False)(
    _check_five_crop_size(_wrap_all(F1.five_crop)))
_register(ten_crop, Tensor, _Image, Video, _PIL.Image, wrap=False)(
    _check_five_crop_size(_wrap_all(F1.ten_crop)))


# ---------------------------------------------------------------------------- pad
def _parse_pad_padding(padding: Any) -> list[int]:
    if isinstance(padding, int):
        return [padding] * 4
    if isinstance(padding, (tuple, list)):
        if len(padding) == 1:
            return [padding[0]] * 4
        if len(padding) == 2:
            return [padding[0], padding[0], padding[1], padding[1]]
        if len(padding) == 4:
            return [padding[0], padding[2], padding[1], padding[3]]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}.")


def pad(inpt: Any, padding: Any, fill: Any = None, padding_mode: str = "constant") -> Any:
    return _dispatch(pad, inpt, padding=padding, fill=fill, padding_mode=padding_mode)


@_register(pad, Tensor, _Image, Video)
def pad_image(image: Tensor, padding: Any, fill: Any = None, padding_mode: str = "constant") -> Tensor:
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("`padding_mode` should be either `'constant'`, `'edge'`, `'reflect'` or "
                         f"`'symmetric'`, but got `'{padding_mode}'`.")
    left, right, top, bottom = _parse_pad_padding(padding)
    ltrb = [left, top, right, bottom]
    if fill is None:
        fill = 0
    if isinstance(fill, (tuple, list)) and len(fill) == 1:
        fill = fill[0]
    if isinstance(fill, (int, float)):
        _, _, _ = image.shape[-3:]  # torchvision unpacks (C, H, W): a 2-D tensor is a ValueError
        return F_t.pad(image, ltrb, fill=fill, padding_mode=padding_mode)
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported if fill is not scalar")
    _, _, _ = image.shape[-3:]
    out = F_t.pad(image, ltrb, fill=0, padding_mode="constant")
    h, w = out.shape[-2:]
    value = ember.tensor(list(fill), device=image.device).to(image.dtype).reshape(-1, 1, 1)
    rows = ember.arange(h, device=image.device)
    cols = ember.arange(w, device=image.device)
    border = ((rows < top) | (rows >= h - bottom)).unsqueeze(1) | ((cols < left) | (cols >= w - right))
    return ember.where(border, value, out)


@_register(pad, _PIL.Image)
def _pad_image_pil(image: Any, padding: Any, fill: Any = None, padding_mode: str = "constant") -> Any:
    return F_pil.pad(image, padding=padding, fill=0 if fill is None else fill,
                     padding_mode=padding_mode)


@_register(pad, Mask)
def pad_mask(mask: Tensor, padding: Any, fill: Any = None, padding_mode: str = "constant") -> Tensor:
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return _on_masks(pad_image)(mask, padding, fill=fill, padding_mode=padding_mode)


_register(pad, BoundingBoxes, wrap=False)(
    lambda b, padding, padding_mode="constant", **kw: _box_dispatch(
        B.pad_bounding_boxes, b, b.format, b.canvas_size, _parse_pad_padding(padding),
        padding_mode, b.clamping_mode))


# ---------------------------------------------------------------------------- affine family
def _affine_args(angle: Any, translate: Any, scale: float, shear: Any, center: Any
                 ) -> tuple[float, list, list, list | None]:
    angle, translate, shear = F1._parse_affine_args(angle, translate, scale, shear)
    if center is not None:
        if not isinstance(center, (list, tuple)):
            raise TypeError("Argument center should be a sequence")
        center = [float(c) for c in center]
    return angle, translate, shear, center


def affine(inpt: Any, angle: float, translate: list[float], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: list[float] | None = None) -> Any:
    return _dispatch(affine, inpt, angle=angle, translate=translate, scale=scale, shear=shear,
                     interpolation=interpolation, fill=fill, center=center)


@_register(affine, Tensor, _Image, Video)
def affine_image(image: Tensor, angle: float, translate: list[float], scale: float, shear: Any,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
                 center: list[float] | None = None) -> Tensor:
    interpolation = _check_interpolation(interpolation)
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    h, w = image.shape[-2:]
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [w, h])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [float(t) for t in translate], scale, shear)
    return F_t.affine(image, matrix, interpolation.value, fill=fill, v2=True)


@_register(affine, _PIL.Image)
def _affine_image_pil(image: Any, angle: float, translate: list[float], scale: float, shear: Any,
                      interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
                      center: list[float] | None = None) -> Any:
    interpolation = _check_interpolation(interpolation)
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    if center is None:
        center = [image.width * 0.5, image.height * 0.5]
    matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
    return F_pil.affine(image, matrix, interpolation=pil_modes_mapping[interpolation], fill=fill)


@_register(affine, Mask)
@_on_masks
def affine_mask(mask: Tensor, angle: float, translate: list[float], scale: float, shear: Any,
                fill: Any = None, center: list[float] | None = None, **kwargs: Any) -> Tensor:
    return affine_image(mask, angle, translate, scale, shear, InterpolationMode.NEAREST, fill, center)


@_register(affine, BoundingBoxes, wrap=False)
def _affine_boxes(b: BoundingBoxes, angle: float, translate: list[float], scale: float, shear: Any,
                  center: list[float] | None = None, **kwargs: Any) -> BoundingBoxes:
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    out, _ = B.affine_bounding_boxes(b.as_subclass(Tensor), b.format, b.canvas_size, angle,
                                     translate, scale, shear, center, False, b.clamping_mode)
    return tv_tensors.wrap(out, like=b)


def rotate(inpt: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: list[float] | None = None, fill: Any = None) -> Any:
    return _dispatch(rotate, inpt, angle=angle, interpolation=interpolation, expand=expand,
                     center=center, fill=fill)


@_register(rotate, Tensor, _Image, Video)
def rotate_image(image: Tensor, angle: float, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: list[float] | None = None, fill: Any = None) -> Tensor:
    angle = angle % 360
    if center is None:  # exact quarter turns need no resampling
        if angle == 0:
            return image.clone()
        if angle == 180:
            return ember.rot90(image, 2, (-2, -1))
        if expand or image.shape[-1] == image.shape[-2]:
            if angle == 90:
                return ember.rot90(image, 1, (-2, -1))
            if angle == 270:
                return ember.rot90(image, 3, (-2, -1))
    interpolation = _check_interpolation(interpolation)
    h, w = image.shape[-2:]
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [w, h])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(image, matrix, interpolation.value, expand=expand, fill=fill, v2=True)


@_register(rotate, _PIL.Image)
def _rotate_image_pil(image: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
                      expand: bool = False, center: Any = None, fill: Any = None) -> Any:
    mode = pil_modes_mapping[_check_interpolation(interpolation)]
    return F_pil.rotate(image, angle, interpolation=mode, expand=expand, center=center, fill=fill)


@_register(rotate, Mask)
@_on_masks
def rotate_mask(mask: Tensor, angle: float, expand: bool = False, center: Any = None,
                fill: Any = None, **kwargs: Any) -> Tensor:
    return rotate_image(mask, angle, InterpolationMode.NEAREST, expand, center, fill)


@_register(rotate, BoundingBoxes, wrap=False)
def _rotate_boxes(b: BoundingBoxes, angle: float, expand: bool = False, center: Any = None,
                  **kwargs: Any) -> BoundingBoxes:
    if center is not None:
        center = [float(c) for c in center]
    out, canvas = B.affine_bounding_boxes(b.as_subclass(Tensor), b.format, b.canvas_size, -angle,
                                          [0.0, 0.0], 1.0, [0.0, 0.0], center, expand,
                                          b.clamping_mode)
    return tv_tensors.wrap(out, like=b, canvas_size=canvas)


def _coefficients(startpoints: Any, endpoints: Any, coefficients: Any) -> list[float]:
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError("The startpoints/endpoints and the coefficients shouldn't be defined "
                             "concurrently.")
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        return list(coefficients)
    if startpoints is not None and endpoints is not None:
        return _get_perspective_coeffs(startpoints, endpoints)
    raise ValueError("Either the startpoints/endpoints or the coefficients must have non `None` "
                     "values.")


def perspective(inpt: Any, startpoints: Any, endpoints: Any,
                interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None,
                coefficients: list[float] | None = None) -> Any:
    return _dispatch(perspective, inpt, startpoints=startpoints, endpoints=endpoints,
                     interpolation=interpolation, fill=fill, coefficients=coefficients)


@_register(perspective, Tensor, _Image, Video)
def perspective_image(image: Tensor, startpoints: Any, endpoints: Any,
                      interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None,
                      coefficients: list[float] | None = None) -> Tensor:
    coeffs = _coefficients(startpoints, endpoints, coefficients)
    return F_t.perspective(image, coeffs, _check_interpolation(interpolation).value, fill=fill,
                           v2=True)


@_register(perspective, _PIL.Image)
def _perspective_image_pil(image: Any, startpoints: Any, endpoints: Any,
                           interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None,
                           coefficients: list[float] | None = None) -> Any:
    coeffs = _coefficients(startpoints, endpoints, coefficients)
    mode = pil_modes_mapping[_check_interpolation(interpolation)]
    return F_pil.perspective(image, coeffs, interpolation=mode, fill=fill)


@_register(perspective, Mask)
@_on_masks
def perspective_mask(mask: Tensor, startpoints: Any, endpoints: Any, fill: Any = None,
                     coefficients: list[float] | None = None, **kwargs: Any) -> Tensor:
    return perspective_image(mask, startpoints, endpoints, InterpolationMode.NEAREST, fill,
                             coefficients)


_register(perspective, BoundingBoxes, wrap=False)(
    lambda b, startpoints, endpoints, coefficients=None, **kw: _box_dispatch(
        B.perspective_bounding_boxes, b, b.format, b.canvas_size,
        _coefficients(startpoints, endpoints, coefficients), b.clamping_mode))


def elastic(inpt: Any, displacement: Tensor, interpolation: Any = InterpolationMode.BILINEAR,
            fill: Any = None) -> Any:
    return _dispatch(elastic, inpt, displacement=displacement, interpolation=interpolation,
                     fill=fill)


elastic_transform = elastic


@_register(elastic, Tensor, _Image, Video)
def elastic_image(image: Tensor, displacement: Tensor,
                  interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> Tensor:
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    h, w = image.shape[-2:]
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be {(1, h, w, 2)}, but given "
                         f"{displacement.shape}")
    mode = _check_interpolation(interpolation).value
    return F_t.elastic_transform(image, displacement, interpolation=mode, fill=fill, v2=True)


@_register(elastic, _PIL.Image)
def _elastic_image_pil(image: Any, displacement: Tensor,
                       interpolation: Any = InterpolationMode.BILINEAR, fill: Any = None) -> Any:
    out = elastic_image(F1.pil_to_tensor(image), displacement, interpolation, fill)
    return F1.to_pil_image(out, mode=image.mode)


@_register(elastic, Mask)
@_on_masks
def elastic_mask(mask: Tensor, displacement: Tensor, fill: Any = None, **kwargs: Any) -> Tensor:
    return elastic_image(mask, displacement, InterpolationMode.NEAREST, fill)


_register(elastic, BoundingBoxes, wrap=False)(
    lambda b, displacement, **kw: _box_dispatch(
        B.elastic_bounding_boxes, b, b.format, b.canvas_size, displacement, b.clamping_mode))


from ._functional_color import *  # noqa: E402,F403 - color and misc functionals
from ._functional_color import __all__ as _color_names  # noqa: E402

__all__ = [
    "is_pure_tensor", "register_kernel", "get_dimensions", "get_num_channels", "get_size",
    "get_num_frames", "convert_bounding_box_format", "clamp_bounding_boxes", "to_image",
    "pil_to_tensor", "to_pil_image", "to_pure_tensor", "to_dtype", "convert_image_dtype",
    "horizontal_flip", "vertical_flip", "hflip", "vflip", "resize", "crop", "center_crop",
    "resized_crop", "five_crop", "ten_crop", "pad", "affine", "rotate", "perspective", "elastic",
    "elastic_transform", *_color_names,
]

from ._functional_augment import *  # noqa: E402,F403 - noise, JPEG and temporal functionals
from ._functional_augment import __all__ as _augment_names  # noqa: E402

__all__ += _augment_names

from ._keypoints import *  # noqa: E402,F403 - keypoint kernels, registered for KeyPoints
from ._keypoints import __all__ as _keypoint_names  # noqa: E402
from ._typed_kernels import *  # noqa: E402,F403 - per-type kernels under torchvision's names
from ._typed_kernels import __all__ as _typed_names  # noqa: E402

__all__ += _keypoint_names + _typed_names
