"""Unfolded convolution windows (im2col): the geometry, the strided views, the copy.

A convolution is a matrix product over the windows of its input that each output
position meets. ``Windows`` describes them as a strided view of the padded input
(no copy); ``fill`` copies a block of samples and channels of it into a scratch
matrix laid out for the product.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, NamedTuple

__all__ = ["Geom", "out_size", "padded", "offsets", "window", "Windows", "windows", "fill",
           "scratch", "prod"]


class Geom(NamedTuple):
    """The geometry of a convolution: per spatial dim stride, dilation, padding low/high."""

    stride: tuple
    dilation: tuple
    lo: tuple
    hi: tuple
    groups: int = 1


def out_size(S: tuple, K: tuple, g: Geom) -> tuple:
    return tuple((s + a + b - d * (k - 1) - 1) // st + 1
                 for s, k, a, b, d, st in zip(S, K, g.lo, g.hi, g.dilation, g.stride))


def padded(xp: Any, x: Any, lo: tuple, hi: tuple, value: float = 0) -> Any:
    """``x`` with ``lo``/``hi`` elements of ``value`` around its trailing dims (no copy if none)."""
    if not any(lo) and not any(hi):
        return x
    lead = x.ndim - len(lo)
    shape = x.shape[:lead] + tuple(s + a + b for s, a, b in zip(x.shape[lead:], lo, hi))
    out = xp.full(shape, value, dtype=x.dtype) if value else xp.zeros(shape, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[lead:]))] = x
    return out


def offsets(K: tuple) -> list:
    """All kernel offsets, row-major (the order of a flattened kernel)."""
    return list(itertools.product(*(range(k) for k in K)))


def window(kidx: tuple, Q: tuple, stride: tuple, dilation: tuple) -> tuple:
    """Slices of the padded input that kernel offset ``kidx`` meets, one per output position."""
    return tuple(slice(k * d, k * d + (q - 1) * s + 1, s)
                 for k, q, s, d in zip(kidx, Q, stride, dilation))


def _strided_view(xp: Any, xpd: Any, K: tuple, Q: tuple, g: Geom) -> Any | None:
    """``xpd`` seen as ``(N, C, *K, *Q)`` windows without copying, where the backend can."""
    st = _stride_tricks(xp)
    if st is None:
        return None
    sp = xpd.strides[2:]
    shape = xpd.shape[:2] + tuple(K) + tuple(Q)
    strides = (xpd.strides[:2] + tuple(s * d for s, d in zip(sp, g.dilation))
               + tuple(s * t for s, t in zip(sp, g.stride)))
    return _as_strided(xp, st, xpd, shape, strides)


def _stride_tricks(xp: Any) -> Any | None:
    st = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    return st if st is not None and hasattr(st, "as_strided") else None


def _as_strided(xp: Any, st: Any, a: Any, shape: tuple, strides: tuple) -> Any:
    if xp.__name__ == "numpy":
        return st.as_strided(a, shape, strides, writeable=False)
    return st.as_strided(a, shape, strides)


class Windows(NamedTuple):
    """The unfolded windows of one convolution input, read by ``fill``.

    ``view`` is ``(N, C, *K, *trail)``: per kernel offset, the input values the output
    positions meet. Normally ``trail`` is the output grid ``Q``. With unit strides the
    input can instead be laid on its padded rows (``pitched``): each kernel offset is then
    one contiguous run per channel, copied at memory speed, and the product also computes
    ``grid`` positions past each row's end, which ``valid`` drops afterwards.
    """

    view: Any
    xpd: Any  # the padded input (for backends without strided views)
    grid: tuple  # positions the product computes per sample, row-major
    valid: tuple | None  # slices of ``grid`` that are the output ``Q`` (None: all of it)
    flip: bool  # kernel offsets in reverse order (a correlation with the flipped kernel)


_PITCH_WASTE = 1.2  # pitched rows when they add at most this factor of extra columns


def windows(xp: Any, x: Any, K: tuple, Q: tuple, g: Geom, flip: bool = False,
             pitched: bool = True) -> Windows:
    N, C = x.shape[:2]
    S = x.shape[2:]
    Sp = tuple(s + a + b for s, a, b in zip(S, g.lo, g.hi))
    st = _stride_tricks(xp)
    if (pitched and len(K) > 1 and st is not None and all(s == 1 for s in g.stride)
            and prod(Sp[1:]) <= _PITCH_WASTE * prod(Q[1:])):
        pitch = [prod(Sp[t + 1:]) for t in range(len(Sp))]
        P = prod(Sp)
        slack = sum((k - 1) * d * p for k, d, p in zip(K[1:], g.dilation[1:], pitch[1:]))
        buf = xp.zeros(N * C * P + slack, dtype=x.dtype)  # the last windows read past the end
        xpd = buf[:N * C * P].reshape((N, C) + Sp)
        xpd[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(g.lo, S))] = x
        it = x.dtype.itemsize
        cols = Q[0] * pitch[0]
        view = _as_strided(xp, st, buf, (N, C) + tuple(K) + (cols,),
                           (C * P * it, P * it) + tuple(d * p * it for d, p in
                                                        zip(g.dilation, pitch)) + (it,))
        grid = (Q[0],) + Sp[1:]
        return Windows(_flipped(view, len(K), flip), xpd, grid,
                       (slice(None),) + tuple(slice(0, q) for q in Q[1:]), flip)
    xpd = padded(xp, x, g.lo, g.hi)
    view = _strided_view(xp, xpd, K, Q, g)
    return Windows(_flipped(view, len(K), flip), xpd, tuple(Q), None, flip)


def _flipped(view: Any, d: int, flip: bool) -> Any:
    if view is None or not flip:
        return view
    return view[(slice(None), slice(None)) + (slice(None, None, -1),) * d]


def fill(xp: Any, cb: Any, win: Windows, s0: int, n: int, K: tuple, Q: tuple, g: Geom,
         c: slice = slice(None)) -> None:
    """Unfold samples ``s0:s0+n``, channels ``c`` into ``cb``, laid out ``(C, *K, n, *grid)``
    (channel-major)."""
    d = len(K)
    if win.view is not None:
        v = xp.moveaxis(win.view[s0:s0 + n, c], 0, 1 + d)
        cb = cb.reshape(v.shape)
        if hasattr(xp, "copyto"):
            xp.copyto(cb, v)
        else:
            cb[...] = v
        return
    for kidx in offsets(K):
        src = tuple(k - 1 - i for k, i in zip(K, kidx)) if win.flip else kidx
        cb[(slice(None),) + kidx] = xp.swapaxes(
            win.xpd[(slice(s0, s0 + n), c) + window(src, Q, g.stride, g.dilation)], 0, 1)


_local = threading.local()


def scratch(xp: Any, dtype: Any, shape: tuple) -> Any:
    """A scratch array of ``shape``: the calling thread's own, kept between calls on NumPy
    (a fresh multi-megabyte array costs its page faults every time)."""
    if xp.__name__ != "numpy":
        return xp.empty(shape, dtype=dtype)
    size = prod(shape)
    cache = _local.__dict__.setdefault("scratch", {})
    buf = cache.get(dtype)
    if buf is None or buf.size < size:
        buf = cache[dtype] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def prod(t: tuple) -> int:
    p = 1
    for v in t:
        p *= v
    return p
