"""Deformable convolution ("Deformable ConvNets" v1, and v2 with a modulation mask).

Each kernel tap samples the input at its regular position plus a learned offset, by bilinear
interpolation, scaled by the mask when one is given; a grouped matrix product with the
weights then sums the taps. The sampling is written with Ember ops over whole arrays: the
four neighbours of every sample are gathered from a channels-last view of the input and
weighted by bilinear factors that are differentiable functions of the offsets, so autograd
gives the input, offset, mask, weight and bias gradients (and higher orders). Like
torchvision, a neighbour outside the image counts as zero and the offset gradient is the
one-sided slope of the interpolation at the lower neighbour."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor, nn
from ember.extend import namespace, wrap

from ._utils import torchvision_node

__all__ = ["deform_conv2d", "DeformConv2d"]


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, int):
        return v, v
    v = tuple(v)
    return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))


def _fail(message: str) -> None:
    raise RuntimeError(f"deform_conv2d: {message}")


def _check_geometry(stride: tuple[int, int], padding: tuple[int, int],
                    dilation: tuple[int, int]) -> None:
    if min(stride) <= 0:
        _fail(f"stride_h: {stride[0]} stride_w: {stride[1]}")
    if min(padding) < 0:
        _fail(f"pad_h: {padding[0]} pad_w: {padding[1]}")
    if min(dilation) <= 0:
        _fail(f"dilation_h: {dilation[0]} dilation_w: {dilation[1]}")


def _check(input: Tensor, offset: Tensor, weight: Tensor, mask: Tensor | None,
           offset_groups: int, weight_groups: int, out_hw: tuple[int, int]) -> None:
    """torchvision's argument checks, in its order and words."""
    if offset.dim() != 4 or weight.dim() != 4 or (mask is not None and mask.dim() != 4):
        _fail(f"expected 4-D input, offset, weight and mask, got {input.dim()}-D, "
              f"{offset.dim()}-D, {weight.dim()}-D and {mask.dim() if mask is not None else '-'}-D")
    c, kh, kw = input.shape[1], weight.shape[2], weight.shape[3]
    if weight.shape[1] * weight_groups != c or weight.shape[0] % weight_groups != 0:
        _fail(f"the weight {tuple(weight.shape)} does not split the input's {c} channels into "
              f"{weight_groups} groups")
    if offset.shape[1] != offset_groups * 2 * kh * kw:
        _fail(f"offset.shape[1] is not valid: got: {offset.shape[1]} expected: "
              f"{offset_groups * 2 * kh * kw}")
    if mask is not None and mask.shape[1] != offset_groups * kh * kw:
        _fail(f"mask.shape[1] is not valid: got: {mask.shape[1]} expected: "
              f"{offset_groups * kh * kw}")
    if c % offset_groups != 0:
        _fail(f"the input's {c} channels do not split into {offset_groups} offset groups")
    if offset.shape[0] != input.shape[0]:
        _fail("invalid batch size of offset")
    if tuple(offset.shape[2:]) != out_hw:
        _fail(f"offset output dims: ({offset.shape[2]}, {offset.shape[3]}) - computed output "
              f"dims: ({out_hw[0]}, {out_hw[1]})")
    if mask is not None and mask.shape[0] != input.shape[0]:
        _fail("invalid batch size of mask")
    if mask is not None and tuple(mask.shape[2:]) != out_hw:
        _fail(f"mask output dims: ({mask.shape[2]}, {mask.shape[3]}) - computed output "
              f"dims: ({out_hw[0]}, {out_hw[1]})")
    if not input.is_floating_point():
        raise RuntimeError(f"\"deformable_im2col\" not implemented for '{input.dtype}'")
    for name, t in (("offset", offset), ("weight", weight), ("mask", mask)):
        if t is not None and t.dtype != input.dtype:
            _fail(f"expected {name} to have the input's dtype {input.dtype}, got {t.dtype}")


def _axis(xp: Any, pos: Tensor, size: int) -> tuple[list[Tensor], list[Any]]:
    """Bilinear weights (low, high neighbour) along one axis, as tensors differentiable in
    ``pos``, and the neighbours' clipped indices; a neighbour outside ``[0, size)`` has
    weight zero."""
    low = xp.floor(pos.detach()._data)
    frac = pos - wrap(low, pos)
    weights, indices = [], []
    for shift, w in ((0, 1 - frac), (1, frac)):
        at = low + shift
        inside = (at >= 0) & (at <= size - 1)  # False for NaN positions too
        weights.append(w * wrap(inside.astype(low.dtype), pos))
        indices.append(xp.where(inside, at, 0).astype(xp.int64))
    return weights, indices


def _sample(input: Tensor, offset: Tensor, mask: Tensor | None, kernel: tuple[int, int],
            stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int],
            groups: int, out_hw: tuple[int, int]) -> Tensor:
    """The deformable columns ``(B, C, KH*KW, L)``: every input channel bilinearly sampled at
    every kernel tap's shifted position, for the ``L`` output positions."""
    xp = namespace(input)
    b, c, h, w = input.shape
    kh, kw = kernel
    taps, length = kh * kw, out_hw[0] * out_hw[1]
    dt = input._data.dtype
    # regular sampling grid (taps, L) of each axis, before the offsets
    ty, tx = xp.divmod(xp.arange(taps), kw)
    oy, ox = xp.divmod(xp.arange(length), out_hw[1])
    grid_y = (oy * stride[0] - padding[0])[None, :] + (ty * dilation[0])[:, None]
    grid_x = (ox * stride[1] - padding[1])[None, :] + (tx * dilation[1])[:, None]
    off = offset.reshape(b, groups, taps, 2, length)
    py = off[:, :, :, 0] + wrap(grid_y.astype(dt), input)  # (B, G, taps, L)
    px = off[:, :, :, 1] + wrap(grid_x.astype(dt), input)
    wy, iy = _axis(xp, py, h)
    wx, ix = _axis(xp, px, w)
    # one row per (image, offset group, pixel) holding that group's channels
    cg = c // groups
    flat = input.reshape(b, groups, cg, h * w).transpose(2, 3).reshape(b * groups * h * w, cg)
    base = (xp.arange(b * groups).reshape(b, groups, 1, 1)) * (h * w)
    sampled = None
    for a in range(2):
        for e in range(2):
            rows = wrap(base + iy[a] * w + ix[e], input)
            term = flat[rows] * (wy[a] * wx[e]).unsqueeze(-1)  # (B, G, taps, L, cg)
            sampled = term if sampled is None else sampled + term
    if mask is not None:
        sampled = sampled * mask.reshape(b, groups, taps, length, 1)
    return sampled.permute(0, 1, 4, 2, 3).reshape(b, c, taps, length)


def deform_conv2d(input: Tensor, offset: Tensor, weight: Tensor, bias: Tensor | None = None,
                  stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0),
                  dilation: tuple[int, int] = (1, 1), mask: Tensor | None = None) -> Tensor:
    """Deformable convolution of ``input`` ``(B, C_in, H, W)`` with ``weight``
    ``(C_out, C_in / groups, KH, KW)``: tap ``k`` of offset group ``g`` reads the input at its
    regular position plus ``(offset[:, 2 * (g * KH * KW + k)], offset[:, 2 * (...) + 1])``
    (y, x), times ``mask[:, g * KH * KW + k]`` when a mask is given (v2). ``offset`` is
    ``(B, 2 * G * KH * KW, H_out, W_out)``; ``mask`` is ``(B, G * KH * KW, H_out, W_out)``."""
    out_channels = weight.shape[0]
    _, in_channels, height, width = input.shape
    kh, kw = weight.shape[-2:]
    offset_groups = offset.shape[1] // (2 * kh * kw)
    if offset_groups == 0:
        raise RuntimeError(
            "the shape of the offset tensor at dimension 1 is not valid. It should be a "
            "multiple of 2 * weight.size[2] * weight.size[3].\n"
            f"Got offset.shape[1]={offset.shape[1]}, while 2 * weight.size[2] * "
            f"weight.size[3]={2 * kh * kw}")
    weight_groups = in_channels // weight.shape[1] if weight.dim() == 4 and weight.shape[1] else 0
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    _check_geometry(stride, padding, dilation)
    out_hw = tuple((size + 2 * p - (d * (k - 1) + 1)) // s + 1 for size, p, d, k, s in
                   zip((height, width), padding, dilation, (kh, kw), stride))
    _check(input, offset, weight, mask, offset_groups, max(weight_groups, 1), out_hw)
    if min(out_hw) <= 0:
        _fail(f"Calculated output size too small - out_h: {out_hw[0]} out_w: {out_hw[1]}")
    b = input.shape[0]
    cols = _sample(input, offset, mask, (kh, kw), stride, padding, dilation, offset_groups,
                   out_hw)
    cols = cols.reshape(b, weight_groups, weight.shape[1] * kh * kw, out_hw[0] * out_hw[1])
    kernel = weight.reshape(weight_groups, out_channels // weight_groups, -1)
    out = ember.matmul(kernel, cols).reshape(b, out_channels, *out_hw)
    if bias is not None:
        if bias.numel() != out_channels:
            raise RuntimeError(f"shape '[1, {out_channels}, 1, 1]' is invalid for input of "
                               f"size {bias.numel()}")
        out = out + bias.reshape(1, out_channels, 1, 1)
    return torchvision_node(out, "deform_conv2d")


class DeformConv2d(nn.Module):
    """Module form of :func:`deform_conv2d`: holds the weight ``(out_channels, in_channels /
    groups, KH, KW)`` and bias, initialised as ``nn.Conv2d``'s; ``forward(input, offset,
    mask=None)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.weight = nn.Parameter(ember.empty(out_channels, in_channels // groups,
                                               *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor, offset: Tensor, mask: Tensor | None = None) -> Tensor:
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)

    def __repr__(self) -> str:
        s = (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s + ")"
