"""Keypoint kernels of the v2 transforms (torchvision.transforms.v2.functional ``*_keypoints``).

Keypoints are tensors (..., 2) of (x, y) on a canvas (height, width). Each kernel takes a
plain tensor and returns the moved points, and the new canvas size where it changes; the
functionals dispatch ``tv_tensors.KeyPoints`` here and carry ``canvas_size`` along. Unlike
boxes, points are never clamped by the geometric kernels: ``clamp_keypoints`` and
``sanitize_keypoints`` (or the ``ClampKeyPoints``/``SanitizeKeyPoints`` transforms) do it.
Integer points are moved in float32 and truncated back, as torchvision does.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from ... import tv_tensors
from ...tv_tensors import KeyPoints
from .._resample_tensor import _compute_affine_output_size, _create_identity_grid
from ..functional import _get_inverse_affine_matrix
from . import _bounding_boxes as B
from .functional import (
    _affine_args,
    _center_anchor,
    _coefficients,
    _output_size,
    _parse_pad_padding,
    _register,
    affine,
    center_crop,
    crop,
    elastic,
    horizontal_flip,
    is_pure_tensor,
    pad,
    perspective,
    resize,
    resized_crop,
    rotate,
    vertical_flip,
)

__all__ = [
    "horizontal_flip_keypoints", "vertical_flip_keypoints", "resize_keypoints", "crop_keypoints",
    "center_crop_keypoints", "resized_crop_keypoints", "pad_keypoints", "affine_keypoints",
    "rotate_keypoints", "perspective_keypoints", "elastic_keypoints", "get_size_keypoints",
    "clamp_keypoints", "sanitize_keypoints",
]


def _float_dtype(points: Tensor) -> Any:
    return points.dtype if points.is_floating_point() else ember.float32


def _offset(points: Tensor, dx: float, dy: float) -> Tensor:
    return points + ember.tensor([dx, dy], dtype=points.dtype, device=points.device)


def horizontal_flip_keypoints(keypoints: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    """x -> (width - 1) - x: pixel centres map onto pixel centres."""
    x, y = keypoints.unbind(-1)
    return ember.stack(((canvas_size[1] - 1) - x, y), dim=-1).to(keypoints.dtype)


def vertical_flip_keypoints(keypoints: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    """y -> (height - 1) - y."""
    x, y = keypoints.unbind(-1)
    return ember.stack((x, (canvas_size[0] - 1) - y), dim=-1).to(keypoints.dtype)


def resize_keypoints(keypoints: Tensor, size: list[int] | None, canvas_size: tuple[int, int],
                     max_size: int | None = None) -> tuple[Tensor, tuple[int, int]]:
    """Scale by the ratio of the new canvas to the old one."""
    old_h, old_w = canvas_size
    new_h, new_w = _output_size(canvas_size, size, max_size)
    if (new_h, new_w) == (old_h, old_w):
        return keypoints, canvas_size
    ratios = ember.tensor([new_w / old_w, new_h / old_h], device=keypoints.device)
    return keypoints.mul(ratios).to(keypoints.dtype), (new_h, new_w)


def crop_keypoints(keypoints: Tensor, top: int, left: int, height: int,
                   width: int) -> tuple[Tensor, tuple[int, int]]:
    return _offset(keypoints, -left, -top), (height, width)


def center_crop_keypoints(inpt: Tensor, canvas_size: tuple[int, int],
                          output_size: list[int]) -> tuple[Tensor, tuple[int, int]]:
    top, left, height, width = _center_anchor(output_size, canvas_size)
    return crop_keypoints(inpt, top, left, height, width)


def resized_crop_keypoints(keypoints: Tensor, top: int, left: int, height: int, width: int,
                           size: list[int]) -> tuple[Tensor, tuple[int, int]]:
    points, canvas = crop_keypoints(keypoints, top, left, height, width)
    return resize_keypoints(points, size=size, canvas_size=canvas)


def pad_keypoints(keypoints: Tensor, canvas_size: tuple[int, int], padding: list[int],
                  padding_mode: str = "constant") -> tuple[Tensor, tuple[int, int]]:
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with KeyPoints "
                         "(supported modes are constant)")
    left, right, top, bottom = _parse_pad_padding(padding)
    canvas = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return _offset(keypoints, left, top), canvas


def _affine_keypoints(keypoints: Tensor, canvas_size: tuple[int, int], angle: float,
                      translate: list[float], scale: float, shear: Any,
                      center: list[float] | None, expand: bool
                      ) -> tuple[Tensor, tuple[int, int]]:
    """Map the points with the forward affine matrix; ``expand`` shifts them into the
    canvas that holds the whole transformed image."""
    if keypoints.numel() == 0:
        return keypoints, canvas_size
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    dtype, device = _float_dtype(keypoints), keypoints.device
    h, w = canvas_size
    if center is None:
        center = [w * 0.5, h * 0.5]
    matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    m_t = ember.tensor(matrix, dtype=dtype, device=device).reshape(2, 3).T
    points = keypoints.reshape(-1, 2).to(dtype)
    ones = ember.ones((points.shape[0], 1), dtype=dtype, device=device)
    out = B._points_matmul(ember.cat([points, ones], dim=-1), m_t)
    if expand:
        frame = ember.tensor([[0.0, 0.0, 1.0], [0.0, float(h), 1.0], [float(w), float(h), 1.0],
                              [float(w), 0.0, 1.0]], dtype=dtype, device=device)
        out = out - B._points_matmul(frame, m_t).amin(dim=0, keepdim=True)
        inverse = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        new_w, new_h = _compute_affine_output_size(inverse, w, h)
        canvas_size = (new_h, new_w)
    return out.reshape(keypoints.shape).to(keypoints.dtype), canvas_size


def affine_keypoints(keypoints: Tensor, canvas_size: tuple[int, int], angle: float,
                     translate: list[float], scale: float, shear: list[float],
                     center: list[float] | None = None) -> tuple[Tensor, tuple[int, int]]:
    return _affine_keypoints(keypoints, canvas_size, angle, translate, scale, shear, center,
                             expand=False)


def rotate_keypoints(keypoints: Tensor, canvas_size: tuple[int, int], angle: float,
                     expand: bool = False, center: list[float] | None = None
                     ) -> tuple[Tensor, tuple[int, int]]:
    """Counter-clockwise by ``angle`` degrees about ``center`` (the canvas centre)."""
    return _affine_keypoints(keypoints, canvas_size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0],
                             center, expand)


def perspective_keypoints(keypoints: Tensor, canvas_size: tuple[int, int],
                          startpoints: list[list[int]] | None, endpoints: list[list[int]] | None,
                          coefficients: list[float] | None = None) -> Tensor:
    """Map the points with the inverse of the (output -> input) perspective coefficients."""
    if keypoints.numel() == 0:
        return keypoints
    coeffs = _coefficients(startpoints, endpoints, coefficients)
    denom = coeffs[0] * coeffs[4] - coeffs[1] * coeffs[3]
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {coeffs} can not be inverted to transform "
                           f"keypoints. Denominator is zero, denom={denom}")
    inv = B._inverse_perspective(coeffs)
    dtype, device = _float_dtype(keypoints), keypoints.device
    theta1 = ember.tensor([inv[0:3], inv[3:6]], dtype=dtype, device=device)
    theta2 = ember.tensor([[inv[6], inv[7], 1.0], [inv[6], inv[7], 1.0]], dtype=dtype,
                          device=device)
    points = keypoints.reshape(-1, 2).to(dtype)
    points = ember.cat([points, ember.ones((points.shape[0], 1), dtype=dtype, device=device)], -1)
    out = B._points_matmul(points, theta1.T) / B._points_matmul(points, theta2.T)
    return out.to(keypoints.dtype).reshape(keypoints.shape)


def elastic_keypoints(keypoints: Tensor, canvas_size: tuple[int, int],
                      displacement: Tensor) -> Tensor:
    """Move every point by the inverse displacement read at its (truncated) pixel."""
    expected = (1, canvas_size[0], canvas_size[1], 2)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != expected:
        raise ValueError(f"Argument displacement shape should be {expected}, but given "
                         f"{displacement.shape}")
    if keypoints.numel() == 0:
        return keypoints
    dtype, device = _float_dtype(keypoints), keypoints.device
    displacement = displacement.to(dtype=dtype, device=device)
    inv_grid = _create_identity_grid(list(canvas_size), device, dtype) - displacement
    index = keypoints.reshape(-1, 2).long()
    ix = index[:, 0].clamp(0, inv_grid.shape[2] - 1)
    iy = index[:, 1].clamp(0, inv_grid.shape[1] - 1)
    size = ember.tensor(list(canvas_size[::-1]), dtype=dtype, device=device)
    out = (inv_grid[0, iy, ix, :] + 1) * (0.5 * size) - 0.5
    return out.to(keypoints.dtype).reshape(keypoints.shape)


def get_size_keypoints(keypoints: KeyPoints) -> list[int]:
    return list(keypoints.canvas_size)


def _clamp(keypoints: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    points = keypoints if keypoints.is_floating_point() else keypoints.float()
    x, y = points.unbind(-1)
    out = ember.stack((x.clamp(0, canvas_size[1] - 1), y.clamp(0, canvas_size[0] - 1)), dim=-1)
    return out.to(keypoints.dtype)


def clamp_keypoints(inpt: Tensor, canvas_size: tuple[int, int] | None = None) -> Tensor:
    """Clamp x into [0, width - 1] and y into [0, height - 1]."""
    if is_pure_tensor(inpt):
        if canvas_size is None:
            raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
        return _clamp(inpt, canvas_size)
    if isinstance(inpt, KeyPoints):
        if canvas_size is not None:
            raise ValueError("For keypoints tv_tensor inputs, `canvas_size` must not be passed.")
        return tv_tensors.wrap(_clamp(inpt.as_subclass(Tensor), inpt.canvas_size), like=inpt)
    raise TypeError("Input can either be a plain tensor or a keypoints tv_tensor, but got "
                    f"{type(inpt)} instead.")


def _sanitize_mask(keypoints: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    """Which points (or groups of points, along the first dimension) lie inside the canvas."""
    h, w = canvas_size
    x, y = keypoints[..., 0], keypoints[..., 1]
    valid = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return valid.flatten(start_dim=1).all(dim=1) if valid.ndim > 1 else valid


def sanitize_keypoints(key_points: Tensor, canvas_size: tuple[int, int] | None = None
                       ) -> tuple[Tensor, Tensor]:
    """(valid keypoints, mask of the valid ones): points or groups outside the canvas drop."""
    if is_pure_tensor(key_points):
        if canvas_size is None:
            raise ValueError("canvas_size cannot be None if key_points is a pure tensor. Set it to "
                             "an appropriate value or pass key_points as a tv_tensors.KeyPoints "
                             "object.")
        valid = _sanitize_mask(key_points, canvas_size)
        return key_points[valid], valid
    if not isinstance(key_points, KeyPoints):
        raise ValueError("key_points must be a tv_tensors.KeyPoints instance or a pure tensor.")
    if canvas_size is not None:
        raise ValueError("canvas_size must be None when key_points is a tv_tensors.KeyPoints "
                         f"instance. Got canvas_size={canvas_size}. Leave it to None or pass "
                         "key_points as a pure tensor.")
    plain = key_points.as_subclass(Tensor)
    valid = _sanitize_mask(plain, key_points.canvas_size)
    return tv_tensors.wrap(plain[valid], like=key_points), valid


# ---------------------------------------------------------------------------- dispatch
def _on_points(kernel: Any) -> Any:
    """Run ``kernel`` on the plain points of the first argument and rewrap the result."""
    def run(points: KeyPoints, *call_args: Any, **call_kwargs: Any) -> KeyPoints:
        out = kernel(points.as_subclass(Tensor), *call_args, **call_kwargs)
        if isinstance(out, tuple):
            return tv_tensors.wrap(out[0], like=points, canvas_size=out[1])
        return tv_tensors.wrap(out, like=points)
    return run


def _register_points(functional: Any) -> Any:
    return _register(functional, KeyPoints, wrap=False)


_register_points(horizontal_flip)(
    lambda k: _on_points(horizontal_flip_keypoints)(k, k.canvas_size))
_register_points(vertical_flip)(
    lambda k: _on_points(vertical_flip_keypoints)(k, k.canvas_size))
_register_points(resize)(
    lambda k, size, max_size=None, **kw: _on_points(resize_keypoints)(
        k, size, canvas_size=k.canvas_size, max_size=max_size))
_register_points(crop)(
    lambda k, top, left, height, width: _on_points(crop_keypoints)(k, top, left, height, width))
_register_points(center_crop)(
    lambda k, output_size: _on_points(center_crop_keypoints)(k, k.canvas_size, output_size))
_register_points(resized_crop)(
    lambda k, top, left, height, width, size, **kw: _on_points(resized_crop_keypoints)(
        k, top, left, height, width, size))
_register_points(pad)(
    lambda k, padding, padding_mode="constant", **kw: _on_points(pad_keypoints)(
        k, k.canvas_size, padding, padding_mode))
_register_points(affine)(
    lambda k, angle, translate, scale, shear, center=None, **kw: _on_points(affine_keypoints)(
        k, k.canvas_size, angle, translate, scale, shear, center))
_register_points(rotate)(
    lambda k, angle, expand=False, center=None, **kw: _on_points(rotate_keypoints)(
        k, k.canvas_size, angle, expand, center))
_register_points(perspective)(
    lambda k, startpoints, endpoints, coefficients=None, **kw: _on_points(perspective_keypoints)(
        k, k.canvas_size, startpoints, endpoints, coefficients))
_register_points(elastic)(
    lambda k, displacement, **kw: _on_points(elastic_keypoints)(k, k.canvas_size, displacement))
