"""Resampling kernels for tensor images: resize, affine, rotate, perspective, elastic.

Resize follows torchvision: integer images are cast to float32, resized with
``interpolate`` (whose antialiased kernels replay PyTorch's rounding) and rounded back.
Affine, rotate, perspective and elastic build a sampling grid and call ``grid_sample``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
import ember.nn.functional as _nnf
from ember import Tensor
from ember.ops._torch_cpu import mkl_fuses

_INT_DTYPES = ("uint8", "int8", "int16", "int32", "int64", "uint16")


def _cast_squeeze_in(img: Tensor, req_dtypes: list[Any]) -> tuple[Tensor, bool, bool, Any]:
    """``img`` as N x C x H x W in one of ``req_dtypes`` (the first when it is in none)."""
    need_squeeze = img.ndim < 4
    if need_squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    need_cast = out_dtype not in req_dtypes
    if need_cast:
        img = img.to(req_dtypes[0])
    return img, need_cast, need_squeeze, out_dtype


def _cast_squeeze_out(img: Tensor, need_cast: bool, need_squeeze: bool, out_dtype: Any) -> Tensor:
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if str(out_dtype).rsplit(".", 1)[-1] in _INT_DTYPES:
            img = ember.round(img)  # round before the cast, not truncate
        img = img.to(out_dtype)
    return img


# ---------------------------------------------------------------------------- resize
def resize(img: Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True, v2: bool = False) -> Tensor:
    """Resize the last two dimensions to ``size`` = [h, w]: torchvision's recipe (cast to
    float32, ``interpolate``, clamp bicubic uint8, round back), so pixels and nodes match.

    Other modes reach ``interpolate``, which raises PyTorch's errors (v1 drops antialias
    for lanczos, so lanczos fails there; v2 keeps it)."""
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    antialias = bool(antialias) and (interpolation in ("bilinear", "bicubic")
                                     or v2 and interpolation == "lanczos")
    shape = img.shape
    if img.ndim > 4 or img.ndim == 2:  # v2 images with extra batch dims, or bare H x W
        img = img.reshape(-1, shape[-3] if img.ndim > 2 else 1, *shape[-2:])
    x, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [ember.float32, ember.float64])
    align = False if interpolation in ("bilinear", "bicubic", "lanczos") else None
    x = _nnf.interpolate(x, size=list(size), mode=interpolation, align_corners=align,
                         antialias=antialias)
    if interpolation in ("bicubic", "lanczos") and out_dtype == ember.uint8:
        x = x.clamp(min=0, max=255)
    x = _cast_squeeze_out(x, need_cast, need_squeeze, out_dtype)
    if len(shape) > 4 or len(shape) == 2:
        x = x.reshape(*shape[:-2], *x.shape[-2:])
    return x


# ---------------------------------------------------------------------------- grid transforms
def _apply_grid_transform(img: Tensor, grid: Tensor, mode: str,
                          fill: float | list[float] | None, v2: bool = False) -> Tensor:
    """Sample ``img`` (..., C, H, W) at ``grid`` (1, oh, ow, 2); outside pixels get ``fill``
    (v1 blends ``img * mask + (1 - mask) * fill``, v2 ``(img - fill) * mask + fill``)."""
    shape = img.shape
    c, oh, ow = shape[-3] if img.ndim > 2 else 1, grid.shape[1], grid.shape[2]
    out_shape = (*shape[:-2], oh, ow)
    if img.numel() == 0:
        return img.reshape(out_shape)
    x = img.reshape(-1, c, *shape[-2:])
    out_dtype = x.dtype
    need_cast = out_dtype != grid.dtype
    if need_cast:
        x = x.to(grid.dtype)
    n = x.shape[0]
    if n > 1:
        grid = grid.expand(n, oh, ow, 2)
    if fill is not None:  # a ones channel tells after sampling which pixels came from outside
        x = ember.cat((x, ember.ones((n, 1, *shape[-2:]), dtype=x.dtype, device=x.device)), dim=1)
    x = _nnf.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        x, mask = x[:, :-1], x[:, -1:].expand(n, c, oh, ow)
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.tensor(fill_list, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        fill_img = fill_img.expand_as(x)
        if mode == "nearest":
            x = ember.where(mask < 0.5, fill_img, x)
        elif v2:
            x = (x - fill_img) * mask + fill_img
        else:
            x = x * mask + (1.0 - mask) * fill_img
    x = _cast_squeeze_out(x, need_cast, False, out_dtype)
    return x.reshape(out_shape)


def _base_grid(ow: int, oh: int, x0: float, y0: float, dtype: Any, device: Any) -> Tensor:
    """(1, oh*ow, 3) pixel coordinates x, y, 1 with x running from x0 and y from y0."""
    xs = ember.linspace(x0, x0 + ow - 1.0, steps=ow, device=device).to(dtype)
    ys = ember.linspace(y0, y0 + oh - 1.0, steps=oh, device=device).to(dtype)
    base = ember.stack((xs.expand(oh, ow), ys.unsqueeze(-1).expand(oh, ow),
                        ember.ones((oh, ow), dtype=dtype, device=device)), dim=-1)
    return base.view(1, oh * ow, 3)


def _times3(base: Tensor, m: Tensor) -> Tensor:
    """``base`` (1, N, 3) times ``m`` (3, 2) rounded as PyTorch's product is on this processor:
    with fused multiply-adds where its MKL fuses them (Intel's), else summed left to right
    (a grid one ulp off moves nearest-neighbour ties)."""
    if mkl_fuses():
        return base.matmul(m)
    return base[..., 0:1] * m[0] + base[..., 1:2] * m[1] + base[..., 2:3] * m[2]


def _gen_affine_grid(theta: Tensor, w: int, h: int, ow: int, oh: int) -> Tensor:
    """The grid of an affine map ``theta`` (1, 2, 3) in pixel units about the image center,
    normalised by the input size (so that ``expand`` can give a larger output)."""
    base = _base_grid(ow, oh, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5, theta.dtype, theta.device)
    scale = ember.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype, device=theta.device)
    return _times3(base, theta[0].T / scale).view(1, oh, ow, 2)


def _assert_grid_inputs(img: Tensor, fill: Any, interpolation: str) -> None:
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    c = 1 if img.ndim == 2 else img.shape[-3]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of "
                         f"channels of the image ({len(fill)} != {c})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _grid_dtype(img: Tensor) -> Any:
    return img.dtype if img.is_floating_point() else ember.float32


def affine(img: Tensor, matrix: list[float], interpolation: str = "nearest",
           fill: float | list[float] | None = None, v2: bool = False) -> Tensor:
    """Apply the inverse affine ``matrix`` (6 numbers, pixel units about the center)."""
    _assert_grid_inputs(img, fill, interpolation)
    dtype = _grid_dtype(img)
    theta = ember.tensor(matrix, dtype=dtype, device=img.device).reshape(1, 2, 3)
    h, w = img.shape[-2:]
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, w, h), interpolation, fill, v2)


def _compute_affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(w, h) of the box holding the whole image mapped by ``matrix``, as PIL computes it."""
    f32 = np.float32
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=f32)
    theta = np.asarray(matrix, dtype=f32).reshape(2, 3)
    new_pts = pts @ theta.T
    center = np.array([w * 0.5, h * 0.5], dtype=f32)
    lo, hi = new_pts.min(0) + center, new_pts.max(0) + center
    tol = f32(1e-4)  # cut the precision so that 1e-15 above an integer does not round up
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img: Tensor, matrix: list[float], interpolation: str = "nearest", expand: bool = False,
           fill: float | list[float] | None = None, v2: bool = False) -> Tensor:
    _assert_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = ember.tensor(matrix, dtype=_grid_dtype(img), device=img.device).reshape(1, 2, 3)
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, ow, oh), interpolation, fill,
                                 v2)


def _perspective_grid(coeffs: list[float], ow: int, oh: int, dtype: Any, device: Any) -> Tensor:
    theta1 = ember.tensor([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]],
                          dtype=dtype, device=device)
    theta2 = ember.tensor([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]],
                          dtype=dtype, device=device)
    base = _base_grid(ow, oh, 0.5, 0.5, dtype, device)
    scale = ember.tensor([0.5 * ow, 0.5 * oh], dtype=dtype, device=device)
    grid1 = _times3(base, theta1.T / scale)
    grid2 = _times3(base, theta2.T)
    return (grid1 / grid2 - 1.0).view(1, oh, ow, 2)


def perspective(img: Tensor, perspective_coeffs: list[float], interpolation: str = "bilinear",
                fill: float | list[float] | None = None, v2: bool = False) -> Tensor:
    _assert_grid_inputs(img, fill, interpolation)
    if len(perspective_coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    oh, ow = img.shape[-2:]
    grid = _perspective_grid(perspective_coeffs, ow, oh, _grid_dtype(img), img.device)
    return _apply_grid_transform(img, grid, interpolation, fill, v2)


def _create_identity_grid(size: list[int], device: Any = None, dtype: Any = None) -> Tensor:
    """Pixel centres of a (1, H, W, 2) canvas in [-1, 1], in ``dtype`` (the default float
    type when None)."""
    hw = [ember.linspace((-s + 1) / s, (s - 1) / s, s, device=device, dtype=dtype) for s in size]
    grid_y, grid_x = ember.meshgrid(hw, indexing="ij")
    return ember.stack([grid_x, grid_y], -1).unsqueeze(0)


def elastic_transform(img: Tensor, displacement: Tensor, interpolation: str = "bilinear",
                      fill: float | list[float] | None = None, v2: bool = False) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    if v2:  # v2 works in the image's float type (float32 for integer and CPU half images)
        dtype = img.dtype if img.is_floating_point() and img.dtype != ember.float16 else \
            ember.float32
        grid = (_create_identity_grid(list(img.shape[-2:]), img.device, dtype)
                + displacement.to(dtype=dtype, device=img.device))
    else:
        grid = _create_identity_grid(list(img.shape[-2:]), img.device) + displacement.to(img.device)
    return _apply_grid_transform(img, grid, interpolation, fill, v2)
