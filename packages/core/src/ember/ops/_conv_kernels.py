"""Array-level convolution kernels: forward, input gradient, weight gradient.

All three work on N-d inputs laid out ``(N, C, *spatial)`` with explicit padding
(``lo``/``hi`` per side), stride, dilation and groups, and each is a matrix product
over unfolded windows (im2col / col2im, see ``_conv_windows``); the forward and the
stride-1 input gradient of 2-d convolutions over wide planes take row-shifted products
over column-unfolded rows instead (``_conv_rows``), and all three of a 3x3 unit-stride
convolution over narrow planes with many channels take Winograd's transformed products
(``_conv_winograd``). The batch goes in
blocks sized so that one block's windows stay in the L2 cache: the copy then costs
little and the product reads them from the cache.

On NumPy the work runs on Ember's op threads (``ember.set_num_threads``), each with
one BLAS thread, rather than on OpenBLAS's own threads: OpenBLAS's idle workers spin
for a while after every product, and on ResNet-18 that spinning slowed the copies
around the products by more than its threads gained. A convolution with many output
positions gives each thread its own batch blocks (unfold and multiply); one with few
positions and many channels (a network's last layers) unfolds the whole batch once,
split by channels, and splits its product by output channels. A plain backward that needs
both gradients runs the input and the weight gradient side by side instead, each on one
thread (``conv._both_grads``): one hand-off, and every product whole.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from . import _blas
from . import _conv_rows as rows_
from . import _conv_winograd as winograd
from ._conv_windows import (
    Geom,
    as_columns,
    fill,
    grouped_rows,
    layout,
    matrix_scratch,
    offsets,
    out_size,
    padded,
    prod,
    scratch,
    to_samples,
    window,
    windows,
)
from ._parallel import part, run_striped, threads_for

__all__ = ["Geom", "out_size", "conv_forward", "conv_input_grad", "conv_weight_grad",
           "padded", "window", "offsets"]

_BLOCK_BYTES = 1 << 21  # one batch block's unfolded windows
# the weight gradient sums its blocks' products: fewer, longer products measured ~2% quicker
_WEIGHT_BLOCK_BYTES = 1 << 23
# multiply-adds below which one thread does it all: ResNet-18's 1x1 stride-2 convolutions
# (8.4M) measured 15-20% quicker on one thread than split over two
_THREADED_WORK = 3 << 22
_MIN_COLUMNS = 256  # a thread's product over fewer columns splits by channels instead
_WHOLE_BYTES = 1 << 25  # ... unless the whole batch's windows would take more than this
_ROW_BLOCK_BYTES = 1 << 22  # one batch block's unfolded rows (a third of im2col's for 3x3)
_ROW_MIN_DEPTH = 16  # row products over fewer input channels times kernel columns: im2col
_ROW_POSITIONS_PER_CHANNEL = 4  # ... and over fewer output positions per output channel
_ROW_MIN_COLUMNS = 12  # ... and on narrower output planes (8 columns measured ~5% slower)


class _Plan(NamedTuple):
    nb: int  # samples per block
    threads: int
    by_channel: bool  # one block of the whole batch, its work split by channels


def _plan(xp: Any, N: int, cols: int, per_sample: int, work: int,
          block_bytes: int | None = None) -> _Plan:
    """How to split a convolution of ``N`` samples, ``cols`` product columns and
    ``per_sample`` unfolded bytes each, ``work`` multiply-adds in all, in blocks of at most
    ``block_bytes`` (``_BLOCK_BYTES``) of windows."""
    nb = max(1, min(N, (block_bytes or _BLOCK_BYTES) // max(per_sample, 1)))
    threads = threads_for(xp, N * cols) if work >= _THREADED_WORK else 1
    if threads == 1:
        if xp.__name__ == "numpy":  # the whole convolution decides the BLAS threads
            _blas.fit_threads(work)
        return _Plan(nb, 1, False)
    nb = min(nb, -(-N // threads))
    if (nb * cols >= _MIN_COLUMNS and -(-N // nb) >= threads) or N * per_sample > _WHOLE_BYTES:
        return _Plan(nb, threads, False)
    return _Plan(N, threads, True)


def _blocks(plan: _Plan, N: int, body: Any) -> list:
    """``body(s0, n)`` for each batch block; each thread's results in a list.

    Each thread takes an equal run of the batch (to within one sample) in blocks of at
    most ``plan.nb`` samples, of equal size: striping fixed-size blocks instead left one
    thread up to a block's work longer than the other.
    """
    threads = plan.threads

    def work(t: int, _: range) -> list:
        run = part(N, threads, t)
        n = run.stop - run.start
        k = -(-n // plan.nb)
        return [body(run.start + b * n // k, (b + 1) * n // k - b * n // k) for b in range(k)]

    return run_striped(work, threads, threads)


def _by_channel(plan: _Plan, body: Any) -> None:
    """``body(t)`` on each of the plan's threads."""
    run_striped(lambda t, _: body(t), plan.threads, plan.threads)


def _group_split(G: int, rows: int, threads: int, t: int) -> tuple:
    """Thread ``t``'s share of a product batched over ``G`` groups of ``rows`` rows."""
    return (part(G, threads, t), slice(None)) if G >= threads else \
        (slice(None), part(rows, threads, t))


def _unfold_all(xp: Any, x: Any, K: tuple, Q: tuple, g: Geom, lay: Any, plan: _Plan,
                flip: bool = False) -> Any:
    """The whole batch unfolded into the caller's scratch, split by channels over the
    threads (each pads and copies its own channels)."""
    N, C = x.shape[:2]
    cb = scratch(xp, x.dtype, (C,) + K + lay.columns(N))

    def channels(t: int) -> None:
        cs = part(C, plan.threads, t)
        fill(xp, cb[cs], windows(xp, x[:, cs], K, Q, g, lay, flip), K, Q, g)

    _by_channel(plan, channels)
    return cb


def _sum_in_order(parts: list) -> Any:
    """The sum of each thread's block results, in a fixed order (thread, then block)."""
    total = None
    for p in (p for thread in parts for p in thread):
        if total is None:
            total = p
        else:
            total += p
    return total


def _pointwise(K: tuple, g: Geom) -> bool:
    """A 1x1 convolution with unit stride and no padding: a plain matrix product."""
    return all(k == 1 for k in K) and all(s == 1 for s in g.stride) and not any(g.lo) \
        and not any(g.hi)


def _matmul_samples(xp: Any, a: Any, b: Any, out: Any, work: int) -> None:
    """``out[s] = a @ b[s]`` for every sample ``s`` of ``b (N, G, R, L)``, on the op threads."""
    N, L = b.shape[0], b.shape[-1]
    plan = _plan(xp, N, L, 0, work)
    if plan.by_channel:  # few samples: split the columns
        _by_channel(plan, lambda t: out.__setitem__(
            (Ellipsis, part(L, plan.threads, t)),
            xp.matmul(a, b[..., part(L, plan.threads, t)])))
    else:
        _blocks(plan, N, lambda s0, n: out.__setitem__(
            slice(s0, s0 + n), xp.matmul(a, b[s0:s0 + n])))


def conv_forward(xp: Any, x: Any, w: Any, g: Geom, keep: dict | None = None) -> Any:
    """Cross-correlation of ``x (N, C, *S)`` with ``w (O, C/groups, *K)``: ``(N, O, *Q)``.
    ``keep``: a dict where a Winograd forward leaves its kernel transform for
    ``conv_input_grad`` (``transform=``)."""
    Co, Cg = w.shape[:2]
    K = tuple(w.shape[2:])
    G = g.groups
    if _pointwise(K, g):
        N = x.shape[0]
        L = prod(x.shape[2:])
        y = xp.empty((N, G, Co // G, L), dtype=x.dtype)
        _matmul_samples(xp, w.reshape(G, Co // G, Cg), x.reshape(N, G, Cg, L), y,
                        Co * Cg * L * N)
        return y.reshape((N, Co) + tuple(x.shape[2:]))
    Q = out_size(x.shape[2:], K, g)
    if x.shape[0] and winograd.suits(xp, x.dtype, K, g, x.shape[0], Cg, Co, Q):
        y = winograd.forward(xp, x, w, g, Q, keep)
        if xp.isfinite(y).all():  # else an inf or NaN met the transforms: directly instead
            return y
    return _correlate(xp, x, w.reshape(G, Co // G, Cg * prod(K)), K, g)


# Each batch block is one matrix product per group: the unfolded block is laid out
# (C*K, n*L) so that BLAS sees a few large products instead of one per sample.
def _correlate(xp: Any, x: Any, wm: Any, K: tuple, g: Geom, flip: bool = False) -> Any:
    """``x (N, C, *S)`` correlated with the kernel matrix ``wm (G, O/G, C/G * prod(K))``."""
    N, C = x.shape[:2]
    G, Og = wm.shape[:2]
    Cg = C // G
    KK = prod(K)
    Q = out_size(x.shape[2:], K, g)
    gemm = _row_gemm(xp, x, K, g, Q, Og)
    if gemm is not None:
        w4 = wm.reshape((Og, C) + K)
        return _correlate_rows(xp, gemm, x, w4[:, :, ::-1, ::-1] if flip else w4, g, Q)
    cols = prod(layout(xp, x.shape[2:], K, Q, g, 1).grid)  # the same for every block size
    plan = _plan(xp, N, cols, C * KK * cols * x.dtype.itemsize, G * Og * Cg * KK * cols * N)
    lay = layout(xp, x.shape[2:], K, Q, g, plan.nb)
    y = xp.empty((N, G, Og) + Q, dtype=x.dtype)

    def product(cb: Any, s0: int, n: int, gs: slice, os: slice) -> None:
        a, b = wm[gs, os], cb.reshape(G, Cg * KK, n * cols)[gs]
        r = xp.matmul(a, b, out=matrix_scratch(xp, x.dtype, a.shape[:2] + b.shape[2:], 2, "out"))
        y[s0:s0 + n, gs, os] = to_samples(xp, r, lay, n)

    if plan.by_channel:
        cb = _unfold_all(xp, x, K, Q, g, lay, plan, flip)
        _by_channel(plan, lambda t: product(cb, 0, N, *_group_split(G, Og, plan.threads, t)))
    else:
        def block(s0: int, n: int) -> None:
            cb = matrix_scratch(xp, x.dtype, (C,) + K + lay.columns(n), 1 + len(K))
            fill(xp, cb, windows(xp, x[s0:s0 + n], K, Q, g, lay, flip), K, Q, g)
            product(cb, s0, n, slice(None), slice(None))

        _blocks(plan, N, block)
    return y.reshape((N, G * Og) + Q)


def _row_gemm(xp: Any, x: Any, K: tuple, g: Geom, Q: tuple, Co: int) -> Any:
    """The BLAS product for row-shifted products (``_conv_rows``) where they pay: NumPy, one
    group, 2-d with a unit row stride, enough depth per product, wide output planes, and more
    output positions than output channels (else reordering the kernel costs more than the
    copies saved)."""
    if (xp.__name__ != "numpy" or g.groups != 1 or len(K) != 2 or g.stride[0] != 1
            or x.shape[1] * K[1] < _ROW_MIN_DEPTH or not x.shape[0] or not all(Q)
            or Q[1] < _ROW_MIN_COLUMNS
            or x.shape[0] * prod(Q) < _ROW_POSITIONS_PER_CHANNEL * Co):
        return None
    return _blas.gemm(x.dtype)


def _row_plan(xp: Any, x: Any, lay: rows_.RowLayout, Co: int) -> _Plan:
    N, C = x.shape[:2]
    cols = prod(lay.Q)
    return _plan(xp, N, cols, lay.sample_bytes(C, x.dtype.itemsize),
                 Co * C * prod(lay.K) * cols * N, _ROW_BLOCK_BYTES)


def _unfold_rows_all(xp: Any, x: Any, lay: rows_.RowLayout, g: Geom, plan: _Plan) -> Any:
    """The whole batch's unfolded rows, split by channels over the threads."""
    N, C = x.shape[:2]
    ub = scratch(xp, x.dtype, lay.unfolded(C, N), "rows")
    _by_channel(plan, lambda t: rows_.unfold(xp, x[:, part(C, plan.threads, t)],
                                             ub[part(C, plan.threads, t)], lay, g))
    return ub


def _correlate_rows(xp: Any, gemm: Any, x: Any, w: Any, g: Geom, Q: tuple) -> Any:
    """``_correlate`` of one group by row-shifted products: ``w (O, C, kh, kw)``."""
    N, C = x.shape[:2]
    Co, _, kh, kw = w.shape
    wr = xp.ascontiguousarray(xp.transpose(w, (2, 0, 1, 3))).reshape(kh, Co, C * kw)
    lay = rows_.row_layout(x.shape[2:], (kh, kw), Q, g)
    plan = _row_plan(xp, x, lay, Co)
    y = xp.empty((N, Co) + Q, dtype=x.dtype)
    if plan.by_channel:
        ub = _unfold_rows_all(xp, x, lay, g, plan)
        r = xp.empty((Co, Q[0] * N * Q[1]), dtype=x.dtype)
        _by_channel(plan, lambda t: rows_.products(gemm, ub, wr, r, part(Co, plan.threads, t),
                                                   lay, N))
        y[...] = rows_.to_samples(xp, r, lay, N)
        return y

    def block(s0: int, n: int) -> None:
        ub = rows_.unfold(xp, x[s0:s0 + n], scratch(xp, x.dtype, lay.unfolded(C, n), "rows"),
                          lay, g)
        r = matrix_scratch(xp, x.dtype, (Co, Q[0] * n * Q[1]), 1, "rows_out")
        rows_.products(gemm, ub, wr, r, slice(None), lay, n)
        y[s0:s0 + n] = rows_.to_samples(xp, r, lay, n)

    _blocks(plan, N, block)
    return y


def conv_input_grad(xp: Any, gy: Any, w: Any, g: Geom, S: tuple, transform: Any = None) -> Any:
    """The gradient of ``conv_forward`` wrt its input (a transposed convolution): ``(N, C, *S)``;
    ``transform``: the Winograd kernel transform its forward kept, if any."""
    N, Co = gy.shape[:2]
    Q = tuple(gy.shape[2:])
    Cg = w.shape[1]
    K = tuple(w.shape[2:])
    G = g.groups
    Og = Co // G
    C = Cg * G
    L = prod(Q)
    if (N and winograd.suits(xp, gy.dtype, K, g, N, Co, C, tuple(S), True)
            and all(s == q + 2 - a - b for s, q, a, b in zip(S, Q, g.lo, g.hi))):
        gx = winograd.input_grad(xp, gy, w, g, tuple(S), transform)
        if xp.isfinite(gx).all():
            return gx
    wt = xp.swapaxes(w.reshape(G, Og, Cg * prod(K)), 1, 2)
    if _pointwise(K, g) and tuple(S) == Q:
        gx = xp.empty((N, G, Cg, L), dtype=gy.dtype)
        _matmul_samples(xp, wt, gy.reshape(N, G, Og, L), gx, Co * Cg * L * N)
        return gx.reshape((N, C) + tuple(S))
    full = tuple(d * (k - 1) for d, k in zip(g.dilation, K))
    # a unit-stride convolution's input gradient is the correlation of the output gradient
    # with the flipped, transposed kernel: measured faster than col2im, unless the kernel to
    # transpose outweighs the windows (few positions, many channels: ResNet's last layers)
    if (all(st == 1 for st in g.stride) and Og < N * L
            and all(f >= a and f >= b for f, a, b in zip(full, g.lo, g.hi))):
        # an input longer than the correlation needs (a transposed convolution's
        # output_padding) takes that many more zeros after the gradient
        extra = tuple(s - (q - a - b + f) for s, q, a, b, f in zip(S, Q, g.lo, g.hi, full))
        gf = Geom((1,) * len(K), g.dilation, tuple(f - a for f, a in zip(full, g.lo)),
                  tuple(f - b + e for f, b, e in zip(full, g.hi, extra)), G)
        return xp.ascontiguousarray(_correlate(xp, gy, _kernel_transposed(xp, w, G), K, gf,
                                               flip=True))
    if _PLACE_RATIO * prod(S) <= Og and xp.__name__ == "numpy":
        gx = _input_grad_placed(xp, gy, wt, g, tuple(S), C, K)
        if xp.isfinite(gx).all():  # else an inf met a zero of the placement: add back instead
            return gx
    Sp = tuple(s + a + b for s, a, b in zip(S, g.lo, g.hi))
    gx = _col2im(xp, gy, wt, g, Sp, C, K)
    if any(g.lo) or any(g.hi):
        gx = gx[(slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(g.lo, S))]
    return xp.ascontiguousarray(gx)  # C order, as PyTorch's gradients (and transposed outputs)


_PLACE_RATIO = 8  # placement products when the input plane is this many times smaller than O/G


@functools.lru_cache(maxsize=64)
def _placement(K: tuple, Q: tuple, S: tuple, g: Geom, dtype: str) -> Any:
    """The 0/1 matrix ``(prod(K) * prod(Q), prod(S))`` that adds each kernel offset's value at
    each output position to the input position it came from (col2im as a product)."""
    import numpy as np

    grids = np.meshgrid(*(np.arange(k) for k in K), *(np.arange(q) for q in Q), indexing="ij")
    d = len(K)
    inside = np.ones(grids[0].shape, dtype=bool)
    flat = np.zeros(grids[0].shape, dtype=np.int64)
    for t in range(d):
        pos = grids[d + t] * g.stride[t] + grids[t] * g.dilation[t] - g.lo[t]
        inside &= (pos >= 0) & (pos < S[t])
        flat = flat * S[t] + np.clip(pos, 0, S[t] - 1)
    m = np.zeros((inside.size, prod(S)), dtype=dtype)
    m[np.flatnonzero(inside), flat.reshape(-1)[inside.reshape(-1)]] = 1
    m.setflags(write=False)
    return m


def _input_grad_placed(xp: Any, gy: Any, wt: Any, g: Geom, S: tuple, C: int, K: tuple) -> Any:
    """The input gradient over small input planes: the kernel's product with the output
    gradient, then a second product with the placement matrix in place of col2im's
    offset-by-offset adds (which on planes of a few positions are short strided runs)."""
    N, Co = gy.shape[:2]
    Q = tuple(gy.shape[2:])
    G, KK, L, P = g.groups, prod(K), prod(Q), prod(S)
    Og, Cg = Co // G, C // G
    place = _placement(K, Q, S, g, gy.dtype.str)
    rows = grouped_rows(xp, gy, G)  # (G, Og, N*L)
    gx = xp.empty((N, G, Cg, P), dtype=gy.dtype)
    threads = threads_for(xp, Cg * G) if Co * Cg * KK * L * N >= _THREADED_WORK else 1

    def channels(t: int) -> None:
        gs, cs = _group_split(G, Cg, threads, t)
        wts = wt.reshape(G, Cg, KK, Og)[gs, cs]
        gg, cc = wts.shape[:2]
        pr = xp.matmul(wts.reshape(gg, cc * KK, Og), rows[gs])  # (g, c, KK, N, L)
        per = xp.ascontiguousarray(xp.swapaxes(pr.reshape(gg, cc, KK, N, L), 2, 3))
        out = xp.matmul(per.reshape(gg * cc * N, KK * L), place)
        gx[:, gs, cs] = xp.moveaxis(out.reshape(gg, cc, N, P), 2, 0)

    if threads == 1:
        _blas.fit_threads(Co * Cg * KK * L * N)
        channels(0)
    else:
        run_striped(lambda t, _: channels(t), threads, threads)
    return gx.reshape((N, C) + S)


def _kernel_transposed(xp: Any, w: Any, G: int) -> Any:
    """``w (O, C/G, *K)`` as the matrices ``(G, C/G, O/G * prod(K))`` of the transposed
    convolution (its kernel offsets unflipped: the windows are read in reverse instead)."""
    Co, Cg = w.shape[:2]
    KK = prod(w.shape[2:])
    w = xp.ascontiguousarray(w).reshape(G, Co // G, Cg * KK)
    if xp.__name__ == "numpy":  # swap whole kernels: one element of prod(K) values each
        kernels = w.view(f"V{KK * w.dtype.itemsize}")
        return xp.ascontiguousarray(xp.swapaxes(kernels, 1, 2)).view(w.dtype).reshape(
            G, Cg, Co // G * KK)
    return xp.ascontiguousarray(xp.swapaxes(w.reshape(G, Co // G, Cg, KK), 1, 2)).reshape(
        G, Cg, Co // G * KK)


def _col2im(xp: Any, gy: Any, wt: Any, g: Geom, Sp: tuple, C: int, K: tuple) -> Any:
    """The input gradient over the padded input ``Sp``: the product of the kernel with the
    output gradient, added back window offset by offset.

    With unit strides the output gradient is laid on the padded input's row pitch: each
    kernel offset is then a shift of the flattened planes, one contiguous add per channel
    instead of many short rows (measured ~2x faster adds).
    """
    N, Co = gy.shape[:2]
    Q = tuple(gy.shape[2:])
    G, KK = g.groups, prod(K)
    Og, Cg = Co // G, C // G
    pitched = all(st == 1 for st in g.stride)
    if pitched:
        pitch = [prod(Sp[t + 1:]) for t in range(len(Sp))]
        P = prod(Sp)
        L = Q[0] * pitch[0]
        gx = xp.zeros((N, G, Cg, P + pitch[0]), dtype=gy.dtype)  # slack for junk columns
        valid = (slice(None), slice(None), slice(None)) + tuple(slice(0, q) for q in Q[1:])
        offs = [(slice(None), slice(None), slice(off, off + L)) for off in
                [sum(k * d * p for k, d, p in zip(kidx, g.dilation, pitch))
                 for kidx in offsets(K)]]
    else:
        L = prod(Q)
        gx = xp.zeros((N, G, Cg) + Sp, dtype=gy.dtype)
        offs = [(slice(None), slice(None)) + window(k, Q, g.stride, g.dilation)
                for k in offsets(K)]
    plan = _plan(xp, N, L, C * KK * L * gy.dtype.itemsize, Co * Cg * KK * L * N)

    def rows(s0: int, n: int) -> Any:
        """The block's output gradient as ``(G, Og, n*L)`` (junk columns zero when pitched)."""
        if not pitched:
            return grouped_rows(xp, gy[s0:s0 + n], G)
        ge = xp.zeros((n, Co, Q[0]) + tuple(Sp[1:]), dtype=gy.dtype)
        ge[valid] = gy[s0:s0 + n]
        return grouped_rows(xp, ge, G)

    def add_back(gr: Any, s0: int, n: int, gs: slice, cs: slice) -> None:
        """Add the block's unfolded gradient ``(G', C', K, n, L)`` into ``gx``."""
        dst = gx[s0:s0 + n, gs, cs]
        gc = gr.reshape(gr.shape[:2] + (KK, n, L))
        for q, off in enumerate(offs):
            dst[(slice(None),) + off] += xp.moveaxis(gc[:, :, q], 2, 0).reshape(
                dst[(slice(None),) + off].shape)

    def product(r: Any, s0: int, n: int, gs: slice, cs: slice) -> None:
        wts = wt.reshape(G, Cg, KK, Og)[gs, cs]
        gr = xp.matmul(wts.reshape(wts.shape[0], -1, Og), r[gs])
        add_back(gr.reshape(wts.shape[:2] + (KK * n * L,)), s0, n, gs, cs)

    if plan.by_channel:
        r = rows(0, N)
        _by_channel(plan, lambda t: product(r, 0, N, *_group_split(G, Cg, plan.threads, t)))
    else:
        _blocks(plan, N, lambda s0, n: product(rows(s0, n), s0, n, slice(None), slice(None)))
    if pitched:
        return gx[..., :P].reshape((N, C) + Sp)
    return gx.reshape((N, C) + Sp)


def conv_weight_grad(xp: Any, x: Any, gy: Any, g: Geom, K: tuple) -> Any:
    """The gradient of ``conv_forward`` wrt its weight: ``(O, C/groups, *K)``."""
    N, C = x.shape[:2]
    Co = gy.shape[1]
    Q = tuple(gy.shape[2:])
    K = tuple(K)
    G = g.groups
    Og, Cg = Co // G, C // G
    L = prod(Q)
    KK = prod(K)
    if N == 0:
        return xp.zeros((Co, Cg) + K, dtype=x.dtype)
    if _pointwise(K, g):
        xs, gs = x.reshape(N, G, Cg, L), gy.reshape(N, G, Og, L)
        plan = _plan(xp, N, L, 0, Co * Cg * L * N)
        parts = _blocks(plan, N, lambda s0, n: xp.matmul(
            gs[s0:s0 + n], xp.swapaxes(xs[s0:s0 + n], 2, 3)).sum(axis=0))
        return _sum_in_order(parts).reshape((Co, Cg) + K)
    if winograd.suits(xp, x.dtype, K, g, N, C, Co, Q, True):
        gw = winograd.weight_grad(xp, x, gy, g)
        if xp.isfinite(gw).all():
            return gw
    # windows on the output grid only: junk positions times a zero gradient would still
    # carry an inf or NaN of the input into the sum
    plan = _plan(xp, N, L, C * KK * L * x.dtype.itemsize, Co * Cg * KK * L * N,
                 _WEIGHT_BLOCK_BYTES)
    lay = layout(xp, x.shape[2:], K, Q, g, plan.nb, pitched=False)
    if plan.by_channel:
        cb = _unfold_all(xp, x, K, Q, g, lay, plan).reshape(G, Cg * KK, N * L)
        gy_rows = as_columns(xp, gy, lay, G)
        gw = xp.empty((G, Og, Cg * KK), dtype=x.dtype)

        def part(t: int) -> None:
            gs, os = _group_split(G, Og, plan.threads, t)
            gw[gs, os] = xp.matmul(gy_rows[gs, os], xp.swapaxes(cb[gs], 1, 2))

        _by_channel(plan, part)
        return gw.reshape((Co, Cg) + K)
    # (C*K, n*L) @ (n*L, O) measured faster with OpenBLAS while the windows are long (early
    # layers); with short windows and many channels (late layers) (O, n*L) @ (n*L, C*K) is,
    # and it also gives the gradient in the weight's own layout (no transposing copy)
    weight_major = plan.nb * L <= Cg * KK

    def block(s0: int, n: int) -> Any:
        cb = matrix_scratch(xp, x.dtype, (C,) + K + lay.columns(n), 1 + len(K))
        fill(xp, cb, windows(xp, x[s0:s0 + n], K, Q, g, lay), K, Q, g)
        rows = as_columns(xp, gy[s0:s0 + n], lay, G, "gy_rows")
        cm = cb.reshape(G, Cg * KK, n * L)
        if weight_major:
            return xp.matmul(rows, xp.swapaxes(cm, 1, 2))
        return xp.matmul(cm, xp.swapaxes(rows, 1, 2))

    gw = _sum_in_order(_blocks(plan, N, block))
    if weight_major:
        return gw.reshape((Co, Cg) + K)
    return xp.ascontiguousarray(xp.swapaxes(gw, 1, 2)).reshape((Co, Cg) + K)
