"""Native uint8 resizing, as PyTorch's CPU kernel does it for torchvision v2.

``transforms.v2.functional.resize`` hands uint8 images on the CPU straight to
``interpolate`` for bilinear and bicubic modes, and PyTorch resizes them with integer
arithmetic (the scheme Pillow uses): per axis, float64 filter weights are scaled to
int16 with as many fraction bits as fit, every output pixel is
``(sum(pixel * weight) + half) >> bits`` clamped to [0, 255], and the width is resized
before the height with a uint8 image in between. Float math rounds differently, so this
module replays the integer scheme to give torchvision's pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import Tensor
from ember._tensor import make

_HALF = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}  # half the filter's support


def _filter(x: np.ndarray, kind: str, a: float) -> np.ndarray:
    if kind == "lanczos":  # sinc(x) * sinc(x / 3) on |x| < 3, as Pillow's filter
        with np.errstate(invalid="ignore", divide="ignore"):
            px = np.pi * x
            v = np.where(x == 0, 1.0, 3.0 * np.sin(px) * np.sin(px / 3.0) / (px * px))
        return np.where(np.abs(x) < 3, v, 0.0)
    x = np.abs(x)
    if kind == "bilinear":
        return np.where(x < 1, 1 - x, 0.0)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _float_weights(n_in: int, n_out: int, kind: str, antialias: bool) -> tuple:
    """(input index, float64 weight) per output position and tap, align_corners=False."""
    scale = n_in / n_out
    if kind == "bicubic" and not antialias:  # plain bicubic: 4 taps, edge indices clamped
        src = scale * (np.arange(n_out) + 0.5) - 0.5
        low = np.floor(src)
        t = src - low
        a = -0.75
        w = np.stack([_filter(t + 1, kind, a), _filter(t, kind, a), _filter(1 - t, kind, a),
                      _filter(2 - t, kind, a)], 1)
        idx = np.clip(low.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
        return idx, w
    half = _HALF[kind]
    widen = antialias and scale >= 1
    support = half * scale if widen else half
    invscale = 1.0 / scale if widen else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + support + 0.5).astype(np.int64), n_in)
    idx = lo[:, None] + np.arange(max(int((hi - lo).max()), 1))
    w = _filter((idx - center[:, None] + 0.5) * invscale, kind, -0.5)
    w = np.where(idx < hi[:, None], w, 0.0)
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1.0), w)
    return np.minimum(idx, n_in - 1), w


def _int_weights(n_in: int, n_out: int, kind: str, antialias: bool) -> tuple:
    idx, w = _float_weights(n_in, n_out, kind, antialias)
    peak = float(w.max())
    bits = 0
    while bits < 22 and int(0.5 + peak * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    scaled = w * (1 << bits)
    iw = np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(np.int32)
    return idx, iw, bits


def _resize_last(xp: Any, x: Any, n_out: int, kind: str, antialias: bool) -> Any:
    idx, iw, bits = _int_weights(x.shape[-1], n_out, kind, antialias)
    idx, iw = xp.asarray(idx), xp.asarray(iw)
    acc = xp.full((*x.shape[:-1], n_out), 1 << (bits - 1) if bits else 0, dtype=xp.int32)
    for k in range(idx.shape[1]):  # taps of the filter, each for all pixels at once
        acc += xp.take(x, idx[:, k], axis=-1).astype(xp.int32) * iw[:, k]
    return xp.clip(acc >> bits, 0, 255).astype(xp.uint8)


def resize_uint8(img: Tensor, size: list[int], interpolation: str, antialias: bool) -> Tensor:
    """Resize a uint8 ``img`` (..., H, W) to ``size`` = [h, w] with bilinear or bicubic
    integer arithmetic (PyTorch's CPU uint8 kernel); lanczos (always antialiased) too."""
    xp = img._device._backend.xp
    kind = interpolation
    x = img._data
    (h, w), (oh, ow) = x.shape[-2:], size
    if oh <= 0 or ow <= 0:  # interpolate's check, which the native path bypasses
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"(H: {h}, W: {w}) output (H: {oh}, W: {ow})")
    if ow != w:
        x = _resize_last(xp, x, ow, kind, antialias)
    if oh != h:
        x = xp.swapaxes(_resize_last(xp, xp.swapaxes(x, -1, -2), oh, kind, antialias), -1, -2)
    return make(xp.ascontiguousarray(x), img._device)
