"""Resampling kernels for tensor images: resize, affine, rotate, perspective, elastic.

Resize is separable: along H and along W every output pixel is a weighted sum of input
pixels, with PyTorch's ``interpolate`` weights (nearest, nearest-exact, bilinear,
bicubic, and the antialiased bilinear/bicubic filters). The weights form one small
``(out, in)`` matrix per axis, applied as two matrix products; nearest modes gather
rows and columns instead, so integer images stay exact. Affine, rotate, perspective
and elastic build a sampling grid and call ``grid_sample``.
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


# ---------------------------------------------------------------------------- resize weights
def _np_float(dtype: Any) -> Any:
    return np.float64 if dtype == ember.float64 else np.float32


def _nearest_index(n_in: int, n_out: int, exact: bool) -> np.ndarray:
    if n_out == n_in:
        return np.arange(n_out)
    scale = np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * scale if exact else dst * scale)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _scatter(n_in: int, n_out: int, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The dense (n_out, n_in) matrix with ``w[r, k]`` added at column ``idx[r, k]``."""
    m = np.zeros((n_out, n_in), dtype=w.dtype)
    rows = np.broadcast_to(np.arange(n_out)[:, None], idx.shape)
    np.add.at(m, (rows, idx), w)
    return m


def _linear_matrix(n_in: int, n_out: int, cubic: bool, ft: Any) -> np.ndarray:
    """Weights of bilinear/bicubic interpolation without antialiasing (align_corners=False)."""
    scale = ft(n_in) / ft(n_out)
    src = scale * (np.arange(n_out, dtype=ft) + ft(0.5)) - ft(0.5)
    if cubic:
        fl = np.floor(src)
        t = src - fl
        a = ft(-0.75)

        def near(x: np.ndarray) -> np.ndarray:
            return ((a + 2) * x - (a + 3)) * x * x + 1

        def far(x: np.ndarray) -> np.ndarray:
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

        w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)
        idx = np.clip(fl.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
        return _scatter(n_in, n_out, idx, w)
    src = np.maximum(src, ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(ft)
    i1 = i0 + (i0 < n_in - 1)
    return _scatter(n_in, n_out, np.stack([i0, i1], 1), np.stack([1 - lam, lam], 1))


def _aa_filter(x: np.ndarray, cubic: bool) -> np.ndarray:
    x = np.abs(x)
    if not cubic:
        return np.where(x < 1, 1 - x, 0).astype(x.dtype)
    ft = x.dtype.type
    a = ft(-0.5)  # the antialiased bicubic filter uses a = -0.5, as PIL does
    if x.dtype == np.float32:  # PyTorch's CPU kernel evaluates these with fused multiply-adds
        def fma(p: Any, q: Any, r: Any) -> np.ndarray:
            return (np.float64(p) * q + np.float64(r)).astype(np.float32)
    else:
        def fma(p: Any, q: Any, r: Any) -> np.ndarray:
            return p * q + r
    near = fma(fma(a + 2, x, -(a + 3)) * x, x, ft(1))
    far = fma(fma(fma(a, x, -5 * a), x, 8 * a), x, -4 * a)
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _aa_matrix(n_in: int, n_out: int, cubic: bool, ft: Any) -> np.ndarray:
    """Antialiased weights: the filter widens with the downscaling factor. The rounding
    follows PyTorch's kernel (``+ 0.5`` and ``* invscale`` in float64, sequential sums)."""
    scale = ft(n_in) / ft(n_out)
    half = ft(2.0 if cubic else 1.0)
    support = half * scale if scale >= 1 else half
    invscale = ft(1.0 / np.float64(scale)) if scale >= 1 else ft(1)
    center = scale * (np.arange(n_out, dtype=ft) + ft(0.5))
    xmin = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xmax = np.minimum(np.trunc((center + support).astype(np.float64) + 0.5).astype(np.int64),
                      n_in)
    taps = np.arange(max(int((xmax - xmin).max()), 1))
    idx = xmin[:, None] + taps
    dist = (idx.astype(ft) - center[:, None]).astype(np.float64)
    w = _aa_filter(((dist + 0.5) * np.float64(invscale)).astype(ft), cubic)
    w = np.where(idx < xmax[:, None], w, ft(0))
    total = np.cumsum(w, axis=1, dtype=ft)[:, -1:]
    w = np.where(total != 0, w / np.where(total != 0, total, ft(1)), w)
    return _scatter(n_in, n_out, np.minimum(idx, n_in - 1), w.astype(ft))


def _weights(n_in: int, n_out: int, mode: str, antialias: bool, dtype: Any) -> np.ndarray:
    ft = _np_float(dtype)
    if antialias:
        return _aa_matrix(n_in, n_out, mode == "bicubic", ft)
    return _linear_matrix(n_in, n_out, mode == "bicubic", ft)


def _resize_last2(x: Tensor, size: list[int], mode: str, antialias: bool) -> Tensor:
    """Resample the last two dimensions of ``x`` to ``size`` (h, w)."""
    (h, w), (oh, ow) = x.shape[-2:], size
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        if ow != w:
            x = x.index_select(-1, ember.as_tensor(_nearest_index(w, ow, exact), device=x.device))
        if oh != h:
            x = x.index_select(-2, ember.as_tensor(_nearest_index(h, oh, exact), device=x.device))
        return x
    if ow != w:
        ww = ember.as_tensor(_weights(w, ow, mode, antialias, x.dtype).T, device=x.device)
        x = ember.matmul(x, ww)
    if oh != h:
        wh = ember.as_tensor(_weights(h, oh, mode, antialias, x.dtype), device=x.device)
        x = ember.matmul(wh, x)
    return x


def resize(img: Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True) -> Tensor:
    """Resize the last two dimensions to ``size`` = [h, w] (float math, integers rounded)."""
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    size = list(size)
    if interpolation in ("nearest", "nearest-exact"):
        return _resize_last2(img, size, interpolation, False)
    out_dtype = img.dtype
    need_cast = out_dtype not in (ember.float32, ember.float64)
    x = img.to(ember.float32) if need_cast else img
    x = _resize_last2(x, size, interpolation, antialias)
    if interpolation == "bicubic" and out_dtype == ember.uint8:
        x = x.clamp(min=0, max=255)
    return _cast_squeeze_out(x, need_cast, False, out_dtype)


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
