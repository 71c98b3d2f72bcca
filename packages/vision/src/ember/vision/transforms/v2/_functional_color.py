"""v2 functionals for color, blur, normalization, erasing and box sanitizing.

Color functionals act on images and videos (tensor or PIL); masks and bounding boxes
pass through them unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image as _PIL

import ember
from ember import Tensor
from ember.extend import renamed

from ... import tv_tensors
from ...tv_tensors import BoundingBoxes, Video
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from . import _bounding_boxes as B
from .functional import _dispatch, _register, to_dtype_image

__all__ = [
    "rgb_to_grayscale", "to_grayscale", "grayscale_to_rgb", "adjust_brightness",
    "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma", "adjust_sharpness",
    "invert", "posterize", "solarize", "autocontrast", "equalize", "permute_channels",
    "normalize", "gaussian_blur", "erase", "sanitize_bounding_boxes",
]

_IMAGES = (Tensor, tv_tensors.Image, Video)


def _functional(name: str, tensor_kernel: Any, pil_kernel: Any, doc: str,
                types: tuple = _IMAGES) -> Any:
    """A functional dispatching to ``tensor_kernel`` (on ``types``: images and videos unless
    told) and ``pil_kernel``; other TVTensors pass through."""
    def functional(inpt: Any, *args: Any, **kwargs: Any) -> Any:
        return _dispatch(functional, inpt, *args, **kwargs)

    functional.__name__ = functional.__qualname__ = name
    functional.__doc__ = doc
    _register(functional, *types)(tensor_kernel)
    if pil_kernel is not None:
        _register(functional, _PIL.Image)(pil_kernel)
    return functional


def _fma(a: Tensor, b: Tensor, alpha: float) -> Tensor:
    """``a + alpha * b`` rounded once, as PyTorch's vectorised ``add_(b, alpha=...)`` (a fused
    multiply-add) rounds it; float32 operands are combined exactly in float64."""
    if a.dtype == ember.float32:
        alpha32 = float(np.float32(alpha))
        return (a.double() + b.double() * alpha32).float()
    return a + b * alpha


def _gray(image: Tensor) -> Tensor:
    r, g, b = image.unbind(dim=-3)
    lum = _fma(_fma(r.mul(0.2989), g.to(ember.float32) if not g.is_floating_point() else g, 0.587),
               b.to(ember.float32) if not b.is_floating_point() else b, 0.114)
    return lum.unsqueeze(dim=-3)


def _rgb_to_grayscale_image(image: Tensor, num_output_channels: int = 1) -> Tensor:
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    if image.shape[-3] == 1:
        if num_output_channels == 1:
            return image.clone()
        reps = [1] * image.ndim
        reps[-3] = 3
        return image.repeat(reps)
    out = _gray(image).to(image.dtype)
    return out.expand(image.shape) if num_output_channels == 3 else out


def _blend(image1: Tensor, image2: Tensor, ratio: float) -> Tensor:
    out = _fma(image1.mul(float(ratio)), image2, 1.0 - float(ratio))
    out = out.clamp(0, F_t._max_value(image1.dtype))
    return out if image1.is_floating_point() else out.to(image1.dtype)


def _check_channels(image: Tensor) -> int:
    c = image.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are 1 or 3, but found {c}")
    return c


def _floored_gray(image: Tensor) -> Tensor:
    gray = _gray(image)
    return gray if image.is_floating_point() else ember.floor(gray)


def _adjust_saturation_image(image: Tensor, saturation_factor: float) -> Tensor:
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if _check_channels(image) == 1:
        return image
    return _blend(image, _floored_gray(image), saturation_factor)


def _adjust_contrast_image(image: Tensor, contrast_factor: float) -> Tensor:
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if _check_channels(image) == 3:
        gray = _floored_gray(image)
    else:
        gray = image if image.is_floating_point() else image.to(ember.float32)
    return _blend(image, ember.mean(gray, dim=(-3, -2, -1), keepdim=True), contrast_factor)


def _adjust_sharpness_image(image: Tensor, sharpness_factor: float) -> Tensor:
    c, h, w = image.shape[-3:]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor can have 1 or 3 channels, but found {c}")
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if image.numel() == 0 or h <= 2 or w <= 2:
        return image
    fp = image.is_floating_point()
    x = image.reshape(-1, c, h, w).to(image.dtype if fp else ember.float32)
    a, b = 1.0 / 13.0, 5.0 / 13.0
    kernel = ember.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=x.dtype, device=x.device)
    blurred = F_t.depthwise_conv2d_f32(x, kernel)
    if not fp:
        blurred = ember.round(blurred)
    inner = x[..., 1:-1, 1:-1]
    out = x.clone()
    out[..., 1:-1, 1:-1] = _fma(inner, blurred - inner, 1.0 - sharpness_factor)
    out = out.clamp(0, F_t._max_value(image.dtype))
    return (out if fp else out.to(image.dtype)).reshape(image.shape)


def _rgb_to_hsv(image: Tensor) -> Tensor:
    """RGB (..., 3, H, W) in [0, 1] -> HSV, in v2's order of operations (it differs from
    v1's: the hue is summed times 1/6 rather than divided by 6)."""
    r, g, _ = image.unbind(dim=-3)
    maxc, minc = ember.amax(image, dim=-3), ember.amin(image, dim=-3)
    eqc = maxc == minc  # gray: hue and saturation 0, and no division by zero
    channels_range = maxc - minc
    ones = ember.ones_like(maxc)
    s = channels_range / ember.where(eqc, ones, maxc)
    divisor = ember.where(eqc, ones, channels_range).unsqueeze(dim=-3)
    rc, gc, bc = ((maxc.unsqueeze(dim=-3) - image) / divisor).unbind(dim=-3)
    maxc_neq_r, maxc_eq_g = maxc != r, maxc == g
    hg = (rc + 2.0 - bc) * (maxc_eq_g & maxc_neq_r)
    hr = (bc - gc) * ~maxc_neq_r
    hb = (gc + 4.0 - rc) * (maxc_neq_r & ~maxc_eq_g)
    h = ember.fmod((hr + hg + hb) * (1.0 / 6.0) + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


# which of (v, p, q, t) gives r, g and b in each sixth of the hue circle
_HSV_SELECT = ((0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2))


def _hsv_to_rgb(image: Tensor) -> Tensor:
    """HSV -> RGB, v2's arithmetic: ``t = (s * f + (1 - s)) * v`` and the channels picked
    from (v, p, q, t) by the sixth of the hue circle."""
    h, s, v = image.unbind(dim=-3)
    h6 = h * 6
    i = ember.floor(h6)
    f = h6 - i
    sxf = s * f
    one_minus_s = 1.0 - s
    q = ((1.0 - sxf) * v).clamp(0.0, 1.0)
    t = ((sxf + one_minus_s) * v).clamp(0.0, 1.0)
    p = (one_minus_s * v).clamp(0.0, 1.0)
    i = ember.remainder(i.to(ember.int32), 6).long()
    vpqt = ember.stack((v, p, q, t), dim=-3)
    select = ember.tensor(_HSV_SELECT, dtype=ember.int64, device=image.device)[:, i]
    if select.ndim > 3:  # (3, B..., H, W) -> (B..., 3, H, W)
        select = select.movedim(0, -3)
    return vpqt.gather(-3, select)


def _adjust_hue_image(image: Tensor, hue_factor: float) -> Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _check_channels(image) == 1 or image.numel() == 0:  # one channel: as PIL does
        return image
    orig_dtype = image.dtype
    h, s, v = _rgb_to_hsv(to_dtype_image(image, ember.float32, scale=True)).unbind(dim=-3)
    h = ember.remainder(h + hue_factor, 1.0)
    rgb = _hsv_to_rgb(ember.stack((h, s, v), dim=-3))
    return to_dtype_image(rgb, orig_dtype, scale=True)


def _autocontrast_image(image: Tensor) -> Tensor:
    _check_channels(image)
    if image.numel() == 0:
        return image
    bound = F_t._max_value(image.dtype)
    x = image if image.is_floating_point() else image.to(ember.float32)
    minimum = x.amin(dim=(-2, -1), keepdim=True)
    maximum = x.amax(dim=(-2, -1), keepdim=True)
    flat = maximum == minimum
    inv_scale = ember.where(flat, ember.ones_like(maximum), (maximum - minimum) * (1.0 / bound))
    minimum = ember.where(flat, ember.zeros_like(minimum), minimum)
    return ((x - minimum) / inv_scale).clamp(0, bound).to(image.dtype)


def _equalize_image(image: Tensor) -> Tensor:
    if image.numel() == 0:
        return image
    dtype = image.dtype
    u8 = to_dtype_image(image, ember.uint8, scale=True)
    out = F_t.equalize_channels(u8)
    return to_dtype_image(out, dtype, scale=True)


def _rgb_to_grayscale_pil(image: Any, num_output_channels: int = 1) -> Any:
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return F_pil.to_grayscale(image, num_output_channels=num_output_channels)


# as in torchvision, no video kernels: videos pass through the grayscale conversions unchanged
rgb_to_grayscale = _functional("rgb_to_grayscale", _rgb_to_grayscale_image, _rgb_to_grayscale_pil,
                               "Grayscale L = 0.2989 R + 0.587 G + 0.114 B, 1 or 3 channels.",
                               _IMAGES[:2])
to_grayscale = rgb_to_grayscale
grayscale_to_rgb = _functional(
    "grayscale_to_rgb",
    lambda image: image if image.shape[-3] >= 3 else _rgb_to_grayscale_image(image, 3),
    lambda image: image.convert(mode="RGB"), "Repeat a single channel three times.", _IMAGES[:2])


def _adjust_brightness_image(image: Tensor, brightness_factor: float) -> Tensor:
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _check_channels(image)
    out = image.mul(float(brightness_factor)).clamp(0, F_t._max_value(image.dtype))
    return out if image.is_floating_point() else out.to(image.dtype)


def _adjust_gamma_image(image: Tensor, gamma: float, gain: float = 1.0) -> Tensor:
    """v2 applies gamma to any number of channels (v1 allows 1 or 3)."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    x = image if image.is_floating_point() else to_dtype_image(image, ember.float32, scale=True)
    x = x.pow(gamma)
    if gain != 1.0:
        x = x * gain
    return to_dtype_image(x.clamp(0.0, 1.0), image.dtype, scale=True)


def _invert_image(image: Tensor) -> Tensor:
    """Any number of channels, 2-d images too; bool images are negated."""
    if image.dtype == ember.bool:
        return image.logical_not()
    if image.is_floating_point():
        return 1.0 - image
    return F_t._max_value(image.dtype) - image


def _posterize_image(image: Tensor, bits: int) -> Tensor:
    """Keep the top ``bits`` bits; float images are floored to ``2**bits`` levels."""
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")
    if image.is_floating_point():
        levels = 1 << bits
        return image.mul(levels).floor().clamp(0, levels - 1).mul(1.0 / levels)
    value_bits = int(F_t._max_value(image.dtype)).bit_length()
    if bits >= value_bits:
        return image
    return image & (((1 << bits) - 1) << (value_bits - bits))


def _solarize_image(image: Tensor, threshold: float) -> Tensor:
    if threshold > F_t._max_value(image.dtype):
        raise TypeError("Threshold should be less or equal the maximum value of the dtype, but "
                        f"got {threshold}")
    return ember.where(image >= threshold, _invert_image(image), image)


def _adjust(name: str, tensor_fn: Any, pil_fn: Any) -> Any:
    return _functional(name, tensor_fn, pil_fn, f"{name.replace('_', ' ')} of an image.")


adjust_brightness = _adjust("adjust_brightness", _adjust_brightness_image, F_pil.adjust_brightness)
adjust_contrast = _adjust("adjust_contrast", _adjust_contrast_image, F_pil.adjust_contrast)
adjust_saturation = _adjust("adjust_saturation", _adjust_saturation_image, F_pil.adjust_saturation)
adjust_hue = _adjust("adjust_hue", _adjust_hue_image, F_pil.adjust_hue)
adjust_gamma = _adjust("adjust_gamma", _adjust_gamma_image, F_pil.adjust_gamma)
adjust_sharpness = _adjust("adjust_sharpness", _adjust_sharpness_image, F_pil.adjust_sharpness)
invert = _adjust("invert", _invert_image, F_pil.invert)
posterize = _adjust("posterize", _posterize_image, F_pil.posterize)
solarize = _adjust("solarize", _solarize_image, F_pil.solarize)
autocontrast = _adjust("autocontrast", _autocontrast_image, F_pil.autocontrast)
equalize = _adjust("equalize", _equalize_image, F_pil.equalize)


def _permute_image(image: Tensor, permutation: list[int]) -> Tensor:
    if image.ndim < 3:
        raise ValueError(f"not enough values to unpack (expected 3, got {image.ndim})")
    if len(permutation) != image.shape[-3]:
        raise ValueError("Length of permutation does not match number of channels: "
                         f"{len(permutation)} != {image.shape[-3]}")
    perm = ember.as_tensor(list(permutation) if not isinstance(permutation, Tensor) else permutation,
                           device=image.device).long()
    # torchvision indexes a reshaped batch and reshapes back: a view's node
    return renamed(image.index_select(-3, perm), "ViewBackward0")


def _permute_pil(image: Any, permutation: list[int]) -> Any:
    return F1.to_pil_image(_permute_image(F1.pil_to_tensor(image), permutation))


permute_channels = _functional("permute_channels", _permute_image, _permute_pil,
                               "Reorder the channels of an image.")
def _normalize_image(image: Tensor, mean: list[float], std: list[float],
                     inplace: bool = False) -> Tensor:
    """v2's checks and messages (``std`` checked as given, not once converted), then v1's
    arithmetic."""
    if not image.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
    if image.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"{image.shape}.")
    if isinstance(std, (tuple, list)):
        divzero = not all(std)
    else:
        divzero = isinstance(std, (int, float)) and std == 0
    if divzero:
        raise ValueError("std evaluated to zero, leading to division by zero.")
    return F_t.normalize(image, mean, std, inplace, keep_shape=False)


normalize = _functional("normalize", _normalize_image, None,
                        "(input - mean) / std per channel of a float image.")


def _gaussian_blur_image(image: Tensor, kernel_size: Any, sigma: Any = None) -> Tensor:
    if image.numel() == 0:  # torchvision v2 checks the arguments, then returns an empty image
        F1._gaussian_blur_args(kernel_size, sigma)
        return image
    return F1.gaussian_blur(image, kernel_size, sigma)


def _gaussian_blur_pil(image: Any, kernel_size: Any, sigma: Any = None) -> Any:
    return F1.gaussian_blur(image, kernel_size, sigma)


gaussian_blur = _functional("gaussian_blur", _gaussian_blur_image, _gaussian_blur_pil,
                            "Blur with a Gaussian kernel.")


def _erase_image(image: Tensor, i: int, j: int, h: int, w: int, v: Tensor,
                 inplace: bool = False) -> Tensor:
    return F_t.erase(image, i, j, h, w, v, inplace=inplace)


def _erase_pil(image: Any, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Any:
    t = F_t.erase(F1.pil_to_tensor(image), i, j, h, w, v)
    return F1.to_pil_image(t, mode=image.mode)


erase = _functional("erase", _erase_image, _erase_pil, "Set the box (i, j, h, w) to ``v``.")


def sanitize_bounding_boxes(bounding_boxes: Tensor, format: Any = None, canvas_size: Any = None,
                            min_size: float = 1.0, min_area: float = 1.0) -> tuple[Tensor, Tensor]:
    """(valid boxes, mask of the valid ones): boxes too small or outside are dropped."""
    if isinstance(bounding_boxes, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For BoundingBoxes tv_tensor inputs, `format` and `canvas_size` must "
                             "not be passed.")
        valid = B.sanitize_mask(bounding_boxes.as_subclass(Tensor), bounding_boxes.format,
                                bounding_boxes.canvas_size, min_size, min_area)
        return tv_tensors.wrap(bounding_boxes.as_subclass(Tensor)[valid], like=bounding_boxes), valid
    if format is None or canvas_size is None:
        raise ValueError("For pure tensor inputs, `format` and `canvas_size` must be passed.")
    valid = B.sanitize_mask(bounding_boxes, format, canvas_size, min_size, min_area)
    return bounding_boxes[valid], valid
