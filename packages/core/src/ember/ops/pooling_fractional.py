"""Fractional max pooling (Graham, 2014): max pooling over windows of a fixed size whose
starts advance by a pseudo-random fractional stride, one sequence per plane and dimension.

The window starts come from ``_random_samples`` (one value in [0, 1) per batch element,
channel and dimension) exactly as PyTorch computes them, in the input's dtype:
``start[i] = int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (S - k) / (Q - 1)``,
and the last window ending at the input's end. The pool walks the kernel offsets, not the
outputs: each offset is one gather over every output of every plane at once.
"""

from __future__ import annotations

import itertools
from typing import Any

from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, record
from ._linear import adjoint_of
from .pointwise_unary import not_implemented
from .pooling_adaptive import flat_gather, flat_scatter_add

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
# which of a plane's samples drives each spatial dimension (PyTorch: W then H in 2-D; T, H, W in 3-D)
_SAMPLE_OF_DIM = {2: (1, 0), 3: (0, 1, 2)}


def _size_arg(v: Any, d: int, what: str, op: str) -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * d
        if len(v) != d:
            kind = "tuple of Ints" if d == 2 else "tuple of three Ints"
            raise RuntimeError(f"{op}: {what} must either be a single Int or {kind}")
        return tuple(int(a) for a in v)
    return (int(v),) * d


def _check(input: Tensor, k: tuple, Q: tuple, samples: Tensor, d: int, op: str) -> None:
    x = input._data
    if any(kk <= 0 for kk in k):
        raise RuntimeError(f"{op}(): kernel size should be greater than zero, but got "
                           f"{'x'.join(str(v) for v in k)}")
    where = op if d == 2 else f"{op}_out"
    if x.ndim not in (d + 1, d + 2):
        raise RuntimeError(f"{where}(): Expected {d + 1}D or {d + 2}D tensor, but got: "
                           f"{list(x.shape)}")
    for i in range(1, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(
                f"{where}(): Expected input to have non-zero size for non-batch dimensions, "
                f"but got{list(x.shape)} with dimension {i} being empty.")
    S = x.shape[-d:]
    names = _DIM_NAMES[d]
    order = (0, 1) if d == 2 else (0, 2, 1)  # PyTorch checks 3-D as time, width, height
    for t in order:
        fits = Q[t] + k[t] - 1 <= S[t] if d == 2 else Q[t] + k[t] - 1 < S[t]
        if not fits:
            raise RuntimeError(f"{where}(): pool {names[t]} {k[t]} too large relative to input "
                               f"{names[t]} {S[t]}")
    if any(q < 0 for q in Q):
        bad = next(q for q in Q if q < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(x.shape[:x.ndim - d]) + list(Q)}")
    s = samples._data
    if s.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if s.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {s.ndim}")
    batch = x.shape[0] if x.ndim == d + 2 else 1
    if s.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != x.shape[-d - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.shape[2] != d:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {d}; got {s.shape[2]}.")
    if samples._device != input._device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {input._device} and {samples._device}!")
    if x.dtype.name not in _FLOATS:
        raise not_implemented(f"{op}_out_frame", x.dtype)


def interval_starts(xp: Any, u: Any, n: int, q: int, k: int) -> Any:
    """Window starts ``(..., q)`` for samples ``u`` (any shape), in ``u``'s dtype as PyTorch."""
    dt = u.dtype
    last = xp.full(u.shape + (1,), n - k, dtype="int64")
    if q <= 1:
        return last[..., :q]
    alpha = xp.asarray(n - k, dtype=dt) / xp.asarray(q - 1, dtype=dt)
    i = xp.arange(q - 1).astype(dt)
    u = u[..., None]
    lead = ((i + u) * alpha).astype("int64") - (u * alpha).astype("int64")
    return xp.concat([lead, xp.broadcast_to(last, lead.shape[:-1] + (1,))], axis=-1)


def _fractional_max_pool(input: Tensor, kernel_size: Any, output_size: Any,
                         random_samples: Tensor, d: int) -> tuple[Tensor, Tensor]:
    op = f"fractional_max_pool{d}d"
    k = _size_arg(kernel_size, d, "kernel_size", op)
    Q = _size_arg(output_size, d, "output_size", op)
    _check(input, k, Q, random_samples, d, op)
    xp = input._device._backend.xp
    x = input._data
    batched = x.ndim == d + 2
    S = x.shape[-d:]
    C = x.shape[-d - 1]
    B = x.shape[0] if batched else 1
    n_in, n_out = 1, 1
    for v in S:
        n_in *= v
    for q in Q:
        n_out *= q
    planes = x.reshape((B, C, n_in))
    if B * C == 0 or n_out == 0:
        best = xp.empty((B, C) + Q, dtype=x.dtype)
        flat = xp.empty((B, C) + Q, dtype="int64")
    else:
        u = random_samples._data[:B]
        # the flat position of each window's first element, shaped (B, C, *Q)
        base = None
        for t in range(d):
            starts = interval_starts(xp, u[:, :, _SAMPLE_OF_DIM[d][t]], S[t], Q[t], k[t])
            shape = [B, C] + [1] * d
            shape[2 + t] = Q[t]
            starts = starts.reshape(tuple(shape))
            base = starts if base is None else base * S[t] + starts
        base = xp.broadcast_to(base, (B, C) + Q).reshape((B, C, n_out))
        plane_strides = [1] * d
        for t in range(d - 2, -1, -1):
            plane_strides[t] = plane_strides[t + 1] * S[t + 1]
        offsets = [sum(o * st for o, st in zip(off, plane_strides))
                   for off in itertools.product(*(range(kk) for kk in k))]
        # one flat gather per kernel offset, over every output of every plane
        src = planes.reshape((B * C * n_in,))
        gbase = base + xp.arange(B * C, dtype="int64").reshape((B, C, 1)) * n_in
        best = xp.take(src, gbase + offsets[0])
        win = xp.full(best.shape, offsets[0], dtype="int64")
        for off in offsets[1:]:
            v = xp.take(src, gbase + off)
            upd = (v > best) | (v != v)  # first maximum in window order; the last NaN wins
            best = xp.where(upd, v, best)
            win = xp.where(upd, off, win)
        flat = (base + win).reshape((B, C) + Q)
        best = best.reshape((B, C) + Q)
    if not batched:
        best, flat = best[0], flat[0]
    res = make(best, input._device)
    if grad_state.enabled and input._rg:
        name = f"FractionalMaxPool{d}DBackward0"
        back = name.replace("Backward0", "BackwardBackward0")
        record(name, res, (input,), lambda g, x: (adjoint_of(
            g, x, lambda xp, a: flat_scatter_add(xp, a, flat, S),
            lambda xp, a: flat_gather(xp, a, flat, d), back, name),), (input,))
    return res, make(flat, input._device)


@autocast_op("fractional_max_pool2d")
def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any,
                          random_samples: Tensor) -> tuple[Tensor, Tensor]:
    """2-D fractional max pooling over ``(N, C, H, W)`` or ``(C, H, W)``: ``(output, indices)``
    with indices flat per plane; ``random_samples`` is ``(N, C, 2)`` in the input's dtype."""
    return _fractional_max_pool(input, kernel_size, output_size, random_samples, 2)


@autocast_op("fractional_max_pool3d")
def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any,
                          random_samples: Tensor) -> tuple[Tensor, Tensor]:
    """3-D fractional max pooling over ``(N, C, T, H, W)`` or ``(C, T, H, W)``:
    ``(output, indices)``; ``random_samples`` is ``(N, C, 3)`` in the input's dtype."""
    return _fractional_max_pool(input, kernel_size, output_size, random_samples, 3)
