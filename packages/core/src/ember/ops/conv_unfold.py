"""Rearrangements around convolutions: unfold/fold (im2col/col2im), pixel and channel shuffles.

All are linear and written as adjoint pairs (``_linear.linear_op``): unfold's adjoint is
fold, pixel_shuffle's is pixel_unshuffle, a channel shuffle's is the inverse shuffle.
"""

from __future__ import annotations

import functools
from typing import Any

from . import _conv_kernels as K
from ._channels_last import c_order, cl_format, laid_as
from ._dispatch import Tensor
from ._linear import linear_op

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _pair(v: Any, what: str = "kernel_size", op: str = "im2col", pos: int = 2) -> tuple:
    """A 2-tuple of ints, refused as PyTorch's im2col/col2im argument parser refuses it."""
    vals = list(v) if isinstance(v, (list, tuple)) else [v, v]
    for i, a in enumerate(vals):
        if isinstance(a, bool) or not isinstance(a, int) and not hasattr(a, "__index__"):
            raise TypeError(f"{op}(): argument '{what}' (position {pos}) must be tuple of ints, "
                            f"but found element of type {type(a).__name__} at pos {i}")
    if len(vals) != 2:
        raise RuntimeError(f"It is expected {what} equals to 2, but got size {len(vals)}")
    return int(vals[0]), int(vals[1])


# ------------------------------------------------------------------ unfold / fold
def _im2col(xp: Any, x: Any, Ks: tuple, geom: K.Geom) -> Any:
    N, C = x.shape[:2]
    Q = K.out_size(x.shape[2:], Ks, geom)
    xpd = K.padded(xp, x, geom.lo, geom.hi)
    cols = xp.empty((N, C) + Ks + Q, dtype=x.dtype)
    for kidx in K.offsets(Ks):
        cols[(slice(None), slice(None)) + kidx] = xpd[(slice(None), slice(None))
                                                      + K.window(kidx, Q, geom.stride,
                                                                 geom.dilation)]
    return cols.reshape(N, C * Ks[0] * Ks[1], Q[0] * Q[1])


def _col2im(xp: Any, cols: Any, S: tuple, Ks: tuple, geom: K.Geom) -> Any:
    N = cols.shape[0]
    C = cols.shape[1] // (Ks[0] * Ks[1])
    Q = K.out_size(S, Ks, geom)
    c = cols.reshape((N, C) + Ks + Q)
    Sp = tuple(s + a + b for s, a, b in zip(S, geom.lo, geom.hi))
    out = xp.zeros((N, C) + Sp, dtype=cols.dtype)
    for kidx in K.offsets(Ks):
        out[(slice(None), slice(None)) + K.window(kidx, Q, geom.stride, geom.dilation)] += \
            c[(slice(None), slice(None)) + kidx]
    # a contiguous copy of the unpadded part, as PyTorch's col2im returns (``.view`` works)
    return xp.ascontiguousarray(
        out[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(geom.lo, S))])


def _per_sample(fn: Any, batched: bool) -> Any:
    """Run a batched kernel on one unbatched sample, so the graph keeps one node as PyTorch's."""
    if batched:
        return fn
    return lambda xp, a: fn(xp, a[None])[0]


def _float_only(x: Tensor, kernel: str) -> None:
    """PyTorch's im2col/col2im kernels take floating (and bool) inputs only."""
    if x._data.dtype.kind in "iu":
        from .pointwise_unary import not_implemented

        raise not_implemented(kernel, x.dtype)


def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str) -> tuple:
    """Kernel size and geometry, checked in PyTorch's order before the input's shape."""
    at = 3 if op == "col2im" else 2
    Ks = _pair(kernel_size, "kernel_size", op, at)
    dil = _pair(dilation, "dilation", op, at + 1)
    pad = _pair(padding, "padding", op, at + 2)
    st = _pair(stride, "stride", op, at + 3)
    for ok, what, names, v in ((min(Ks) > 0, "kernel size should be greater than zero",
                                ("kernel_height", "kernel_width"), Ks),
                               (min(dil) > 0, "dilation should be greater than zero",
                                ("dilation_height", "dilation_width"), dil),
                               (min(pad) >= 0, "padding should be non-negative",
                                ("pad_height", "pad_width"), pad),
                               (min(st) > 0, "stride should be greater than zero",
                                ("stride_height", "stride_width"), st)):
        if not ok:
            raise RuntimeError(f"{what}, but got {names[0]}: {v[0]} {names[1]}: {v[1]}")
    return Ks, K.Geom(st, dil, pad, pad, 1)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding local blocks of a ``(N, C, H, W)`` input as columns: ``(N, C*kh*kw, L)``."""
    Ks, geom = _fold_args(kernel_size, dilation, padding, stride, "im2col")
    nd = input.ndim
    if nd < 3:  # PyTorch reads input.size(nd) before checking the rank
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if nd == 0 else
                         f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}]"
                         f", but got {nd})")
    if nd > 4 or 0 in input.shape[nd - 3:]:
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(input.shape)}")
    batched = input.ndim == 4
    S = tuple(input._data.shape[-2:])
    Q = K.out_size(S, Ks, geom)
    if any(q <= 0 for q in Q):
        raise RuntimeError(
            f"Given input with spatial size {tuple(S)}, kernel_size={Ks}, dilation="
            f"{geom.dilation}, padding={geom.lo}, calculated shape of the array of sliding "
            f"blocks as {Q}, but its components must be at least one.")
    _float_only(input, "im2col_out_cpu")
    return linear_op(input, _per_sample(functools.partial(_im2col, Ks=Ks, geom=geom), batched),
                     _per_sample(functools.partial(_col2im, S=S, Ks=Ks, geom=geom), batched),
                     "Im2ColBackward0", "Col2ImBackward0")


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum sliding local blocks ``(N, C*kh*kw, L)`` back into an ``(N, C, H, W)`` tensor."""
    S = _pair(output_size, "output_size", "col2im", 2)
    Ks, geom = _fold_args(kernel_size, dilation, padding, stride, "col2im")
    if input.ndim not in (2, 3) or 0 in input.shape[input.ndim - 2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}")
    batched = input.ndim == 3
    C, L = input._data.shape[-2:]
    kk = Ks[0] * Ks[1]
    if C % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={C} and kernel_size={Ks}.")
    Q = K.out_size(S, Ks, geom)
    if any(q <= 0 for q in Q) or Q[0] * Q[1] != L:
        raise RuntimeError(
            f"Given output_size={S}, kernel_size={Ks}, dilation={geom.dilation}, padding="
            f"{geom.lo}, stride={geom.stride}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {Q[0]} * {Q[1]} = {Q[0] * Q[1]}, but got "
            f"input.size(2)={L}.")
    _float_only(input, "col2im_out_cpu")
    fwd = functools.partial(_col2im, S=S, Ks=Ks, geom=geom)
    return linear_op(input, _per_sample(fwd, batched),
                     _per_sample(functools.partial(_im2col, Ks=Ks, geom=geom), batched),
                     "Col2ImBackward0", "Im2ColBackward0")


# ------------------------------------------------------------------ shuffles
def _shuffle(xp: Any, x: Any, r: int) -> Any:
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(tuple(lead) + (oc, r, r, h, w))
    n = len(lead)
    y = xp.permute_dims(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)) \
        if hasattr(xp, "permute_dims") else y.transpose(tuple(range(n)) + (n, n + 3, n + 1,
                                                                           n + 4, n + 2))
    return y.reshape(tuple(lead) + (oc, h * r, w * r))


def _unshuffle(xp: Any, x: Any, r: int) -> Any:
    *lead, c, h, w = x.shape
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    y = xp.permute_dims(y, perm) if hasattr(xp, "permute_dims") else y.transpose(perm)
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def _keeps_cl(fn: Any) -> Any:
    """A 4-D channels-last argument gives a channels-last result (PyTorch's CPU shuffles)."""
    def wrapped(xp: Any, a: Any) -> Any:
        fmt = cl_format(a) if a.ndim == 4 else None
        r = fn(xp, a)  # (a reshape can stay a view of a strided input: PyTorch's is C order)
        return c_order(xp, r) if fmt is None else laid_as(xp, r, fmt)

    return wrapped


def _fresh(fmt: Any) -> Any:
    """An identity shuffle's forward: a new array (PyTorch's result never shares the input's
    memory), in C order or the channels-last layout ``fmt``."""
    return lambda xp, a: laid_as(xp, a.copy(), fmt)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C*r*r, H, W)`` to ``(*, C, H*r, W*r)``."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input._data.shape[-3]
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    fwd = _keeps_cl(functools.partial(_shuffle, r=r)) if r != 1 else \
        _fresh(cl_format(input._data) if input.ndim == 4 else None)
    return linear_op(input, fwd, _keeps_cl(functools.partial(_unshuffle, r=r)),
                     "PixelShuffleBackward0", "PixelUnshuffleBackward0")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H*r, W*r)`` to ``(*, C*r*r, H, W)``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input._data.shape[-2:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    fwd = _keeps_cl(functools.partial(_unshuffle, r=r)) if r != 1 else \
        _fresh(cl_format(input._data) if input.ndim == 4 else None)
    bwd = _keeps_cl(functools.partial(_shuffle, r=r))
    if input._data.size == 0:  # PyTorch returns a copy of an empty input, its shape unchanged
        fwd = bwd = _fresh(None)
    return linear_op(input, fwd, bwd, "PixelUnshuffleBackward0", "PixelShuffleBackward0")


def _chan_shuffle(xp: Any, x: Any, g: int) -> Any:
    n, c = x.shape[:2]
    rest = x.shape[2:]
    y = xp.swapaxes(x.reshape((n, g, c // g) + rest), 1, 2)
    return y.reshape(x.shape)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Split channels into ``groups`` and interleave them: ``(N, g, C/g, *)`` -> ``(N, C/g, g, *)``."""
    g = int(groups)
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    c = input._data.shape[1]
    if c % g:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    fmt = cl_format(input._data)  # PyTorch keeps a channels-last input's layout
    fwd = _fresh(fmt) if g == 1 or g == c else \
        (lambda xp, a: laid_as(xp, _chan_shuffle(xp, a, g=g), fmt))
    return linear_op(input, fwd, lambda xp, a: laid_as(xp, _chan_shuffle(xp, a, g=c // g), fmt),
                     "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle
