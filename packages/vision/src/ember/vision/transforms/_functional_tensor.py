"""Tensor kernels of the transforms (torchvision.transforms._functional_tensor).

Images are ember tensors ``(..., C, H, W)``. Every kernel computes on the tensor with
ember ops (which run on the tensor's backend namespace), so it works on any device and,
for float images, keeps the autograd graph. Resampling kernels (resize, affine, rotate,
perspective, elastic) live in ``_resample_tensor`` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
import ember.nn.functional as _nnf
from ember import Tensor
from ember._tensor import make

from ._resample_tensor import (  # noqa: F401 - re-exported kernels
    _apply_grid_transform,
    _cast_squeeze_in,
    _cast_squeeze_out,
    _compute_affine_output_size,
    affine,
    elastic_transform,
    perspective,
    resize,
    rotate,
)

_INT_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535, "int32": 2147483647,
            "int64": 9223372036854775807}


def _is_tensor_a_torch_image(x: Tensor) -> bool:
    return x.ndim >= 2


def _assert_image_tensor(img: Tensor) -> None:
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def _dtype_name(dtype: Any) -> str:
    return str(dtype).rsplit(".", 1)[-1]


def _max_value(dtype: Any) -> int:
    """The largest value of an image of this dtype: 255 for uint8, ..., 1 for floats."""
    return _INT_MAX.get(_dtype_name(dtype), 1)


def get_dimensions(img: Tensor) -> list[int]:
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def get_image_size(img: Tensor) -> list[int]:
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img: Tensor) -> int:
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else img.shape[-3]


def _assert_channels(img: Tensor, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def convert_image_dtype(image: Tensor, dtype: Any = ember.float) -> Tensor:
    """Convert to ``dtype`` and rescale the values to its range."""
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        src, dst = _dtype_name(image.dtype), _dtype_name(dtype)
        if (src == "float32" and dst in ("int32", "int64")) or (src == "float64" and dst == "int64"):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # max + 1 - eps spreads the floats evenly over the integer range
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return ember.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


# ---------------------------------------------------------------------------- geometry (exact)
def vflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """Crop; the part of the box outside the image is zero-padded."""
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding: int | list[int]) -> list[int]:
    """``padding`` as (left, right, top, bottom), the order ``nn.functional.pad`` reads."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _symmetric_out_of_bounds(h: int, w: int, left: int, right: int, top: int, bottom: int) -> None:
    """torchvision mirrors by indexing, so a border wider than the image is an IndexError
    naming the first bad row index (rows before columns, each as dimension 0 or 1)."""
    for dim, n, before, after in ((0, h, top, bottom), (1, w, left, right)):
        bad = before - 1 if before > n else (-(n + 1) if after > n else None)
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def _pad_symmetric(img: Tensor, padding: list[int]) -> Tensor:
    """Symmetric padding (the edge value repeats) by gathering rows and columns."""
    left, right, top, bottom = padding
    if min(padding) < 0:
        cl, cr, ct, cb = (-min(p, 0) for p in padding)
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        left, right, top, bottom = (max(p, 0) for p in padding)
    h, w = img.shape[-2:]
    if max(top, bottom) > h or max(left, right) > w:
        _symmetric_out_of_bounds(h, w, left, right, top, bottom)

    def indices(n: int, before: int, after: int) -> Tensor:
        i = ember.arange(-before, n + after, device=img.device)
        i = ember.remainder(i, 2 * n)  # period 2n: 0..n-1 then mirrored n-1..0
        return ember.where(i >= n, 2 * n - 1 - i, i)

    return img.index_select(-2, indices(h, top, bottom)).index_select(-1, indices(w, left, right))


def pad(img: Tensor, padding: int | list[int], fill: float | None = 0,
        padding_mode: str = "constant") -> Tensor:
    """Pad the last two dimensions (constant, edge, reflect or symmetric)."""
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(list(padding) if isinstance(padding, tuple) else padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    if min(p) < 0:  # negative padding crops
        cl, cr, ct, cb = (-min(v, 0) for v in p)
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        p = [max(v, 0) for v in p]
    shape = img.shape
    # the batch size spelled out: -1 is ambiguous for an empty stack, e.g. masks (0, H, W)
    lead = int(np.prod(shape[:-3], dtype=np.int64))
    x = img.reshape(lead, *shape[-3:]) if img.ndim >= 3 else img.unsqueeze(0).unsqueeze(0)
    if padding_mode == "constant":
        out = _nnf.pad(x, p, mode="constant", value=float(fill))
    else:
        cast = not x.is_floating_point()
        y = x.to(ember.float32) if cast else x
        out = _nnf.pad(y, p, mode="replicate" if padding_mode == "edge" else "reflect")
        out = out.to(x.dtype) if cast else out
    return out.reshape(*shape[:-2], *out.shape[-2:])


# ---------------------------------------------------------------------------- color
def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def _blend(img1: Tensor, img2: Tensor, ratio: float) -> Tensor:
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else ember.float32
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = ember.mean(gray.to(dtype), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL does
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img: Tensor) -> Tensor:
    r, g, b = img.unbind(dim=-3)
    maxc = ember.amax(img, dim=-3)
    minc = ember.amin(img, dim=-3)
    eqc = maxc == minc  # gray pixels: hue and saturation are 0, no division by zero
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ember.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return ember.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img: Tensor) -> Tensor:
    h, s, v = img.unbind(dim=-3)
    i = ember.floor(h * 6.0)
    f = h * 6.0 - i
    i = ember.remainder(i.to(ember.int32), 6)
    p = ember.clamp(v * (1.0 - s), 0.0, 1.0)
    q = ember.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = ember.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    mask = (i.unsqueeze(dim=-3) == ember.arange(6, device=i.device).view(-1, 1, 1)).to(img.dtype)
    a1 = ember.stack((v, q, p, p, t, v), dim=-3)
    a2 = ember.stack((t, v, v, q, p, p), dim=-3)
    a3 = ember.stack((p, p, t, v, v, q), dim=-3)
    a4 = ember.stack((a1, a2, a3), dim=-4)
    return ember.einsum("...ijk, ...xijk -> ...xjk", mask, a4)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL does
        return img
    orig_dtype = img.dtype
    h, s, v = _rgb2hsv(convert_image_dtype(img, ember.float32)).unbind(dim=-3)
    h = ember.remainder(h + hue_factor, 1.0)
    rgb = _hsv2rgb(ember.stack((h, s, v), dim=-3))
    return convert_image_dtype(rgb, orig_dtype)


def adjust_gamma(img: Tensor, gamma: float, gain: float = 1) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, ember.float32)
    result = (gain * result.pow(gamma)).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img: Tensor, bits: int) -> Tensor:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return img & -int(2 ** (8 - bits))  # keep the top `bits` bits


def solarize(img: Tensor, threshold: float) -> Tensor:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return ember.where(img >= threshold, invert(img), img)


def depthwise_conv2d_f32(x: Tensor, kernel: Tensor) -> Tensor:
    """``conv2d(x, kernel.expand(C, 1, kh, kw), groups=C)`` for (N, C, H, W) ``x``.

    PyTorch's CPU depthwise kernel accumulates ``acc = fma(x, k, acc)`` over the kernel
    taps in row-major order, in float32. For float32 inputs without autograd this replays
    those taps (a float64 product of two float32 values is exact, so adding it in float64
    and rounding once to float32 is the fused multiply-add), which makes rounded uint8
    blurs agree with torchvision pixel for pixel; otherwise it is an ordinary conv2d.
    """
    c = x.shape[-3]
    if (x.dtype != ember.float32 or kernel.dtype != ember.float32
            or (ember.is_grad_enabled() and (x.requires_grad or kernel.requires_grad))):
        return _nnf.conv2d(x, kernel.expand(c, 1, *kernel.shape), groups=c)
    xp = x._device._backend.xp
    kh, kw = kernel.shape
    h, w = x.shape[-2] - kh + 1, x.shape[-1] - kw + 1
    if h <= 0 or w <= 0:
        return _nnf.conv2d(x, kernel.expand(c, 1, *kernel.shape), groups=c)
    src = x._data.astype(xp.float64)
    taps = kernel._data.astype(xp.float64)
    acc = xp.zeros((*x.shape[:-2], h, w), dtype=xp.float32)
    for i in range(kh):
        for j in range(kw):
            acc = (src[..., i:i + h, j:j + w] * taps[i, j] + acc).astype(xp.float32)
    return make(acc, x._device)


def _depthwise_conv(img: Tensor, kernel: Tensor, padding: list[int] | None) -> Tensor:
    """Convolve every channel of ``img`` (..., C, H, W) with one 2-D ``kernel``."""
    shape = img.shape
    x, need_cast, _, out_dtype = _cast_squeeze_in(img.reshape(-1, *shape[-3:]), [kernel.dtype])
    if padding is not None:
        x = _nnf.pad(x, padding, mode="reflect")
    y = depthwise_conv2d_f32(x, kernel)
    y = _cast_squeeze_out(y, need_cast, False, out_dtype)
    return y.reshape(*shape[:-2], *y.shape[-2:])


def _sum_like_torch_f32(v: np.ndarray) -> np.float32:
    """The float32 sum of a short 1-D ``v`` in the order PyTorch's CPU reduction adds it:
    8 lanes, each summed by 4 interleaved accumulators, then the tail, then the lanes.
    (NumPy's pairwise sum can differ in the last bit, which shifts rounded blur pixels.)"""
    f32 = np.float32

    def rows(x: np.ndarray) -> np.ndarray:  # x (size, lanes): 4 accumulators, tail on the 1st
        m = x.shape[0] // 4
        acc = x[: 4 * m].reshape(m, 4, x.shape[1])
        parts = np.zeros(acc.shape[1:], f32)
        for i in range(m):
            parts = parts + acc[i]
        total = parts[0]
        for row in x[4 * m:]:
            total = total + row
        for k in range(1, 4):
            total = total + parts[k]
        return total

    v = v.astype(f32)
    if v.size < 8:
        return f32(rows(v[:, None])[0])
    nv = v.size // 8
    lanes = rows(v[: nv * 8].reshape(nv, 8))
    total = f32(0)
    for x in (*v[nv * 8:], *lanes):
        total = f32(total + x)
    return total


def _get_gaussian_kernel1d(kernel_size: int, sigma: float, dtype: Any, device: Any) -> Tensor:
    half = (kernel_size - 1) * 0.5
    x = ember.linspace(-half, half, steps=kernel_size, dtype=dtype, device=device)
    pdf = ember.exp(-0.5 * (x / sigma).pow(2))
    if dtype == ember.float32 and x.device.type == "cpu" and kernel_size < 512:
        # below 512 taps PyTorch's reduction has no cascade levels, so the order is known
        return pdf / float(_sum_like_torch_f32(pdf.numpy()))
    return pdf / pdf.sum()


def _get_gaussian_kernel2d(kernel_size: list[int], sigma: list[float], dtype: Any,
                           device: Any) -> Tensor:
    kx = _get_gaussian_kernel1d(kernel_size[0], sigma[0], dtype, device)
    ky = _get_gaussian_kernel1d(kernel_size[1], sigma[1], dtype, device)
    return ember.mm(ky[:, None], kx[None, :])


def gaussian_blur(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    kernel = _get_gaussian_kernel2d(kernel_size, sigma, dtype=dtype, device=img.device)
    padding = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
    return _depthwise_conv(img, kernel, padding)


def _blurred_degenerate_image(img: Tensor) -> Tensor:
    dtype = img.dtype if img.is_floating_point() else ember.float32
    kernel = ember.ones((3, 3), dtype=dtype, device=img.device)
    kernel[1, 1] = 5.0
    kernel = kernel / kernel.sum()
    inner = _depthwise_conv(img, kernel, None)
    result = img.clone()
    result[..., 1:-1, 1:-1] = inner
    return result


def adjust_sharpness(img: Tensor, sharpness_factor: float) -> Tensor:
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    return _blend(img, _blurred_degenerate_image(img), sharpness_factor)


def autocontrast(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    scale = ember.reciprocal(maximum - minimum) * bound  # as PyTorch evaluates bound / x
    flat = ember.isfinite(scale).logical_not()  # constant channels stay as they are
    minimum = ember.where(flat, ember.zeros_like(minimum), minimum)
    scale = ember.where(flat, ember.ones_like(scale), scale)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def equalize(img: Tensor) -> Tensor:
    """Histogram equalisation of every channel of a uint8 image, all channels at once."""
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"Only ember.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return equalize_channels(img)


def equalize_channels(img: Tensor) -> Tensor:
    """Histogram equalisation of each (H, W) plane of a uint8 tensor, any leading shape."""
    shape = img.shape
    pixels = img.reshape(-1, shape[-2] * shape[-1]).long()  # one row per channel image
    rows, n = pixels.shape
    offsets = (ember.arange(rows, device=img.device) * 256).unsqueeze(1)
    hist = ember.bincount((pixels + offsets).reshape(-1), minlength=rows * 256).reshape(rows, 256)
    # the step leaves out the count of the brightest value present, as PIL does
    brightest = hist.gather(1, pixels.amax(dim=1, keepdim=True))
    step = ember.div(n - brightest, 255, rounding_mode="floor")
    safe = ember.where(step == 0, ember.ones_like(step), step)
    lut = ember.div(hist.cumsum(1) + ember.div(safe, 2, rounding_mode="floor"), safe,
                    rounding_mode="floor")
    lut = _nnf.pad(lut, [1, 0])[:, :-1].clamp(0, 255)
    out = lut.gather(1, pixels)
    out = ember.where(step == 0, pixels, out).to(ember.uint8)
    return out.reshape(shape)


def normalize(tensor: Tensor, mean: list[float], std: list[float], inplace: bool = False,
              keep_shape: bool = True) -> Tensor:
    """``(tensor - mean) / std`` per channel. ``keep_shape``: v1 subtracts in place (from a
    clone), so a mean that broadcasts the image bigger fails; v2 (False) subtracts out of
    place unless ``inplace``. Both divide in place."""
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    x = tensor._data
    if (x.__class__ is np.ndarray and not (tensor.requires_grad and ember.is_grad_enabled())
            and isinstance(mean, (list, tuple)) and isinstance(std, (list, tuple))):
        # the common case (a CPU image, plain lists): the same two roundings, no small tensors
        m = np.asarray(mean, dtype=x.dtype)
        sd = np.asarray(std, dtype=x.dtype)
        if (sd == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             "leading to division by zero.")
        if m.ndim == 1:
            m = m.reshape(-1, 1, 1)
        if sd.ndim == 1:
            sd = sd.reshape(-1, 1, 1)
        try:
            out = np.subtract(x, m, out=x if inplace else None)
            if keep_shape and out.shape != x.shape:
                raise ValueError
            np.divide(out, sd, out=out)
        except ValueError:  # shapes that do not fit: the tensor ops raise PyTorch's errors
            return _normalize_ops(tensor, ember.from_numpy(m), ember.from_numpy(sd), inplace,
                                  keep_shape)
        if not inplace:
            return ember.from_numpy(out)
        tensor._vc[0] += 1
        return tensor
    dtype = tensor.dtype
    mean = ember.as_tensor(mean, dtype=dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division "
                         "by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return _normalize_ops(tensor, mean, std, inplace, keep_shape)


def _normalize_ops(tensor: Tensor, mean: Tensor, std: Tensor, inplace: bool,
                   keep_shape: bool) -> Tensor:
    if inplace:
        return tensor.sub_(mean).div_(std)
    if keep_shape:
        return tensor.clone().sub_(mean).div_(std)
    return tensor.sub(mean).div_(std)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Tensor:
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
