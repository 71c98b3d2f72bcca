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

from .._memory_format import strided_view

__all__ = ["Geom", "out_size", "padded", "offsets", "window", "Layout", "layout", "Windows",
           "windows", "fill", "to_samples", "as_columns", "grouped_rows", "scratch",
           "matrix_scratch", "prod"]


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


def _stride_tricks(xp: Any) -> Any | None:
    st = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    return st if st is not None and hasattr(st, "as_strided") else None


class Layout(NamedTuple):
    """How a block of ``n`` samples' windows lies in the product's columns.

    ``"pitched"`` (unit strides, large planes): the input laid on its padded rows, each
    kernel offset one contiguous run per channel and sample; the product also computes the
    ``grid`` positions past each row's end, which ``valid`` drops. ``"sample_minor"``: the
    input transposed to ``(C, *S, n)``, so that a window row of all the block's samples
    is one run (small planes, whose rows are short). ``"sample_major"``: per sample, per
    output position (strided convolutions of few samples, and backends without strided
    views, which copy offset by offset).
    """

    kind: str
    grid: tuple  # positions the product computes per sample
    valid: tuple | None  # slices of ``grid`` that are the output (None: all of it)

    def columns(self, n: int) -> tuple:
        """The shape of one channel and kernel offset's columns for ``n`` samples."""
        return self.grid + (n,) if self.kind == "sample_minor" else (n,) + self.grid


_PITCH_WASTE = 1.2  # pitched rows when they add at most this factor of extra columns
_MIN_SAMPLE_MINOR = 4  # samples per block below which sample-major windows are quicker


def layout(xp: Any, S: tuple, K: tuple, Q: tuple, g: Geom, n: int,
           pitched: bool = True) -> Layout:
    """The layout of the windows of blocks of ``n`` samples of spatial size ``S``: the one
    whose copy runs longest contiguous stretches (NumPy's copy pays per stretch)."""
    if _stride_tricks(xp) is None:
        return Layout("sample_major", tuple(Q), None)
    Sp = tuple(s + a + b for s, a, b in zip(S, g.lo, g.hi))
    if (pitched and len(K) > 1 and all(s == 1 for s in g.stride)
            and prod(Sp[1:]) <= _PITCH_WASTE * prod(Q[1:])):
        return Layout("pitched", (Q[0],) + Sp[1:],
                      (slice(None),) + tuple(slice(0, q) for q in Q[1:]))
    # a row of the last dim: Q[-1] values (strided or not) per sample, or with the samples
    # innermost, n values per position (n * Q[-1] in one run with a unit stride); the
    # transposes around it cost more than they save for blocks of a few samples, and for a
    # 1x1 kernel (which reads each input value at most once) always
    if (n >= _MIN_SAMPLE_MINOR and n * (Q[-1] if g.stride[-1] == 1 else 1) >= Q[-1]
            and prod(K) > 1):
        return Layout("sample_minor", tuple(Q), None)
    return Layout("sample_major", tuple(Q), None)


class Windows(NamedTuple):
    """The unfolded windows of a block of input: ``view`` laid out as the product's rows,
    ``(C, *K, *columns)``, or (without strided views) the padded input ``xpd``."""

    view: Any
    xpd: Any
    flip: bool  # kernel offsets in reverse order (a correlation with the flipped kernel)


def windows(xp: Any, x: Any, K: tuple, Q: tuple, g: Geom, lay: Layout,
            flip: bool = False) -> Windows:
    """The windows of ``x`` (a block of samples or channels), padded in the calling thread's
    scratch: valid until its next call."""
    n, C = x.shape[:2]
    S = x.shape[2:]
    d = len(S)
    Sp = tuple(s + a + b for s, a, b in zip(S, g.lo, g.hi))
    it = x.dtype.itemsize
    if lay.kind == "pitched":
        pitch = [prod(Sp[t + 1:]) for t in range(d)]
        P = prod(Sp)
        slack = sum((k - 1) * dl * p for k, dl, p in zip(K[1:], g.dilation[1:], pitch[1:]))
        buf = scratch(xp, x.dtype, (n * C * P + slack,), "pad")
        buf[n * C * P:] = 0  # the last windows read past the end
        xpd = _pad_into(buf[:n * C * P].reshape((n, C) + Sp), x, g.lo, 2)
        view = strided_view(xp, buf, (C,) + tuple(K) + (n, Q[0] * pitch[0]),
                           (P * it,) + tuple(dl * p * it for dl, p in zip(g.dilation, pitch))
                           + (C * P * it, it))
    elif lay.kind == "sample_minor":
        xpd = _pad_into(scratch(xp, x.dtype, (C,) + Sp + (n,), "pad"), xp.moveaxis(x, 0, -1),
                        g.lo, 1)
        sp = xpd.strides[1:1 + d]
        view = strided_view(xp, xpd, (C,) + tuple(K) + tuple(Q) + (n,),
                           (xpd.strides[0],) + tuple(s * dl for s, dl in zip(sp, g.dilation))
                           + tuple(s * st for s, st in zip(sp, g.stride)) + (xpd.strides[-1],))
    else:
        xpd = x
        if any(g.lo) or any(g.hi):
            xpd = _pad_into(scratch(xp, x.dtype, (n, C) + Sp, "pad"), x, g.lo, 2)
        if _stride_tricks(xp) is None:
            return Windows(None, xpd, flip)
        sp = xpd.strides[2:]
        view = xp.moveaxis(strided_view(
            xp, xpd, (n, C) + tuple(K) + tuple(Q),
            xpd.strides[:2] + tuple(s * dl for s, dl in zip(sp, g.dilation))
            + tuple(s * st for s, st in zip(sp, g.stride))), 0, 1 + d)
    if flip:
        view = view[(slice(None),) + (slice(None, None, -1),) * d]
    return Windows(view, xpd, flip)


def _pad_into(out: Any, x: Any, lo: tuple, first: int) -> Any:
    """``x`` copied into ``out`` at offset ``lo`` along the dims from ``first`` on, with
    zeros around it."""
    lead = (slice(None),) * first
    for t, (a, s) in enumerate(zip(lo, x.shape[first:])):
        before = lead + (slice(None),) * t
        if a:
            out[before + (slice(0, a),)] = 0
        if a + s < out.shape[first + t]:
            out[before + (slice(a + s, None),)] = 0
    out[lead + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[first:first + len(lo)]))] = x
    return out


def fill(xp: Any, cb: Any, win: Windows, K: tuple, Q: tuple, g: Geom) -> None:
    """Unfold the block's windows into ``cb``, laid out ``(C, *K, *columns)``."""
    if win.view is not None:
        if hasattr(xp, "copyto"):
            xp.copyto(cb.reshape(win.view.shape), win.view)
        else:
            cb.reshape(win.view.shape)[...] = win.view
        return
    for kidx in offsets(K):
        src = tuple(k - 1 - i for k, i in zip(K, kidx)) if win.flip else kidx
        cb[(slice(None),) + kidx] = xp.swapaxes(
            win.xpd[(slice(None), slice(None)) + window(src, Q, g.stride, g.dilation)], 0, 1)


def to_samples(xp: Any, r: Any, lay: Layout, n: int) -> Any:
    """A product's result ``(G, O', n * columns)`` as ``(n, G, O', *Q)``."""
    r = r.reshape(r.shape[:2] + lay.columns(n))
    if lay.kind == "sample_minor":
        return xp.moveaxis(r, -1, 0)
    if lay.valid is not None:
        r = r[(slice(None),) * 3 + lay.valid]
    return xp.moveaxis(r, 2, 0)


def as_columns(xp: Any, a: Any, lay: Layout, G: int, slot: str | None = None) -> Any:
    """``a (n, G*R, *Q)`` as ``(G, R, n * columns)`` in the layout's column order; with a
    ``slot``, copied into that ``matrix_scratch`` (a product's operand: its pitch padded)."""
    return grouped_rows(xp, a, G, lay.kind == "sample_minor", slot)


def grouped_rows(xp: Any, a: Any, G: int, samples_last: bool = False,
                 slot: str | None = None) -> Any:
    """``a (n, G*R, *Q)`` as ``(G, R, n*L)``: one matrix per group over the whole block, its
    columns per sample (or, ``samples_last``, per position); see ``as_columns`` for ``slot``."""
    n, c = a.shape[:2]
    L = prod(a.shape[2:])
    a = a.reshape(n, G, c // G, L)
    moved = xp.moveaxis(a, 0, -1) if samples_last else xp.moveaxis(a, 0, 2)
    if slot is None or not hasattr(xp, "copyto"):
        return moved.reshape(G, c // G, n * L)
    out = matrix_scratch(xp, a.dtype, moved.shape, 2, slot)
    xp.copyto(out, moved)
    return out.reshape(G, c // G, n * L)


_local = threading.local()
_KEEP_BYTES = 1 << 26  # larger scratch arrays are made afresh each time


def scratch(xp: Any, dtype: Any, shape: tuple, slot: str = "cols") -> Any:
    """A scratch array of ``shape``: the calling thread's own (one per ``slot``), kept between
    calls on NumPy (a fresh multi-megabyte array costs its page faults every time)."""
    size = prod(shape)
    if xp.__name__ != "numpy" or size * xp.dtype(dtype).itemsize > _KEEP_BYTES:
        return xp.empty(shape, dtype=dtype)  # not kept: a thread would hold it for good
    cache = _local.__dict__.setdefault("scratch", {})
    buf = cache.get((slot, dtype))
    if buf is None or buf.size < size:
        buf = cache[(slot, dtype)] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


_ALIASING_BYTES = 4096  # rows a multiple of this long get a padded pitch
_PITCH_PAD_BYTES = 64  # one cache line


def matrix_scratch(xp: Any, dtype: Any, shape: tuple, row_dims: int, slot: str = "cols") -> Any:
    """``scratch`` for an operand or result of a matrix product whose rows are the first
    ``row_dims`` dims of ``shape``: rows a multiple of 4 KiB long lie a cache line further
    apart (a view of a wider scratch).

    A power-of-two row pitch puts each column's values in a few cache sets, which OpenBLAS's
    packing and its stores of the result keep evicting: on ResNet's products with 2048- and
    4096-column rows, padding measured 5-20% quicker. The numbers do not change.
    """
    cols = prod(shape[row_dims:])
    itemsize = xp.dtype(dtype).itemsize
    if xp.__name__ != "numpy" or not cols or (cols * itemsize) % _ALIASING_BYTES:
        return scratch(xp, dtype, shape, slot)
    rows = prod(shape[:row_dims])
    wide = scratch(xp, dtype, (rows, cols + _PITCH_PAD_BYTES // itemsize), slot)
    return wide[:, :cols].reshape(shape)  # splits whole dims: a view, never a copy


def prod(t: tuple) -> int:
    p = 1
    for v in t:
        p *= v
    return p
