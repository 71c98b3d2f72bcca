"""Winograd F(2x2, 3x3) convolutions: 3x3 kernels, unit stride and dilation, one group.

A 2x2 tile of a 3x3 correlation's output reads a 4x4 tile of its input. Transformed by
fixed matrices of 0, ±1 and ±1/2 (Lavin and Gray, "Fast Algorithms for Convolutional
Neural Networks", 2015), the tile's 16 input values meet the kernel's 16 transformed
values one to one: the convolution becomes 16 matrix products over the channels, one per
transformed position, with 16 multiply-adds per channel pair and tile in place of
im2col's 36 (2.25 times fewer). The input, weight and output gradients all take the
same 16 products.

The transforms are adds and subtracts of whole planes; they run on channels-last copies
(``(N, H, W, C)``), where each add is one long run over the channels. The kernel's
transform is 16/9 of the kernel. On ResNet-18's 3x3 layers at batch 16 the backward
(both gradients) measured 12-25% quicker than im2col and the forward level with it (see
``_MIN_TILES``); with fewer tiles the kernel's transform costs more than the products save,
and over wide planes with few channels the products are too shallow to pay for the
transforms: there the kernels module keeps its other paths.

The numbers differ from im2col's in the last bits, as PyTorch's own CPU kernels (oneDNN's)
differ from its reference ones. An inf or NaN in the input meets the transforms'
subtractions, which turn it into NaN where a direct sum would keep it; the callers check
the result and redo a non-finite one directly.
"""

from __future__ import annotations

from typing import Any

from ._conv_windows import Geom, scratch
from ._parallel import part, run_striped, threads_for

__all__ = ["suits", "forward", "input_grad", "weight_grad"]

# G of F(2, 3): the kernel's transform; row a, column i
_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))
# the transformed positions that the flipped kernel's transform takes its values from
_FLIP = (3, 1, 2, 0)
_SAME = tuple(range(16))
_FLIPPED = tuple(4 * _FLIP[k // 4] + _FLIP[k % 4] for k in range(16))
_MIN_CHANNELS = 96  # shallower products measured no quicker than im2col
_MAX_COLUMNS = 8  # output planes up to this wide (wider ones take row-shifted products)
# ... and at least this wide and high, and this many 2x2 tiles in the batch: the kernel's
# transform (16/9 of its size) costs about what the products over ~200 tiles save. The
# backward's two gradients run side by side, one on each op thread, and there the transforms
# overlap the other gradient's products: ResNet-18's 4x4 planes at batch 16 (64 tiles) took
# ~12% less time for the pair than im2col, its 8x8 planes (256 tiles) ~25% less, while
# their forwards measured level with im2col (4x4 ~10% slower)
_MIN_COLUMNS = 4
_MIN_TILES = 256
_MIN_GRAD_TILES = 64


def suits(xp: Any, dtype: Any, K: tuple, g: Geom, N: int, C: int, Co: int, Q: tuple,
          grad: bool = False) -> bool:
    """Whether a correlation of ``N`` samples of ``C`` to ``Co`` channels with kernel ``K``
    onto a plane ``Q`` runs here: NumPy, real floats, 3x3, unit stride and dilation, one
    group, padding of at most 2 (the input gradient pads by ``2 - padding``), enough
    channels, a narrow plane, and enough tiles to pay for the kernel's transform (fewer for
    a ``grad``ient, whose transforms overlap the other gradient's work)."""
    return (xp.__name__ == "numpy" and dtype.kind == "f" and tuple(K) == (3, 3)
            and g.groups == 1 and g.stride == (1, 1) and g.dilation == (1, 1)
            and max(g.lo) <= 2 and max(g.hi) <= 2 and min(g.lo) >= 0 and min(g.hi) >= 0
            and min(C, Co) >= _MIN_CHANNELS and _MIN_COLUMNS <= Q[1] <= _MAX_COLUMNS
            and Q[0] >= _MIN_COLUMNS
            and N * _tiles(Q)[0] * _tiles(Q)[1] >= (_MIN_GRAD_TILES if grad else _MIN_TILES))


def _kernel_matrix(xp: Any, dtype: Any, signs: bool = False) -> Any:
    """``(16, 9)``: row ``4a + b`` holds ``G[a, i] * G[b, j]`` at column ``3i + j``; with
    ``signs``, rows ``a = 3`` or ``b = 3`` negated once each (the output gradient's transform
    leaves those signs out)."""
    rows = []
    for a in range(4):
        for b in range(4):
            s = (-1.0 if a == 3 else 1.0) * (-1.0 if b == 3 else 1.0) if signs else 1.0
            rows.append([s * _G[a][i] * _G[b][j] for i in range(3) for j in range(3)])
    return xp.asarray(rows, dtype=dtype)


def _kernel_transform(xp: Any, w: Any) -> Any:
    """``w (Co, C, 3, 3)`` as its 16 transformed matrices ``(16, Co, C)``: one product."""
    Co, C = w.shape[:2]
    w9 = xp.ascontiguousarray(w).reshape(Co * C, 9)
    return xp.matmul(_kernel_matrix(xp, w.dtype), w9.T).reshape(16, Co, C)


def _tiles(Q: tuple) -> tuple:
    return -(-Q[0] // 2), -(-Q[1] // 2)


def _input_transform(xp: Any, x: Any, lo: tuple, tiles: tuple, out: Any = None) -> Any:
    """``x (N, C, H, W)`` padded by ``lo`` above and left (zeros past it) as the 16
    transformed tile matrices ``(16, N * th * tw, C)``: ``B^T d B`` of every 4x4 tile
    (into ``out (4, 4, N, th, tw, C)`` if given)."""
    N, C, H, W = x.shape
    th, tw = tiles
    Hp, Wp = 2 * th + 2, 2 * tw + 2
    h, w = min(H, Hp - lo[0]), min(W, Wp - lo[1])
    pad = scratch(xp, x.dtype, (N, Hp, Wp, C), "wino_pad")
    pad[:, :lo[0]] = 0
    pad[:, lo[0] + h:] = 0
    pad[:, :, :lo[1]] = 0
    pad[:, :, lo[1] + w:] = 0
    pad[:, lo[0]:lo[0] + h, lo[1]:lo[1] + w] = xp.moveaxis(x[:, :, :h, :w], 1, -1)
    rows = scratch(xp, x.dtype, (4, N, th, Wp, C), "wino_rows")
    _transform_b(xp, [pad[:, k:k + 2 * th:2] for k in range(4)], rows)
    v = scratch(xp, x.dtype, (4, 4, N, th, tw, C), "wino_v") if out is None else out
    for a in range(4):
        _transform_b(xp, [rows[a][:, :, k:k + 2 * tw:2] for k in range(4)], v[a])
    return None if out is not None else v.reshape(16, N * th * tw, C)


def _input_transform_split(xp: Any, x: Any, lo: tuple, tiles: tuple, threads: int) -> Any:
    """``_input_transform`` with the samples split over ``threads`` op threads (the same
    numbers: each tile is transformed alone)."""
    N, C = x.shape[:2]
    if threads == 1 or N < threads:
        return _input_transform(xp, x, lo, tiles)
    th, tw = tiles
    v = scratch(xp, x.dtype, (4, 4, N, th, tw, C), "wino_v")
    run_striped(lambda t, _: _input_transform(xp, x[part(N, threads, t)], lo, tiles,
                                              v[:, :, part(N, threads, t)]), threads, threads)
    return v.reshape(16, N * th * tw, C)


def _transform_b(xp: Any, d: list, out: Any) -> None:
    """``B^T`` along one axis: ``d0 - d2, d1 + d2, d2 - d1, d1 - d3`` into ``out[0..3]``."""
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])


def _output_transform(xp: Any, m: Any, tiles: tuple, out: Any) -> None:
    """The 16 product matrices ``m (16, n * th * tw, Co)`` into ``out (n, Co, *Q)``:
    ``A^T m A`` of every tile."""
    n, Co = out.shape[:2]
    th, tw = tiles
    m = m.reshape(4, 4, n, th, tw, Co)
    half = scratch(xp, m.dtype, (2, 4, n, th, tw, Co), "wino_half")
    _transform_a(xp, [m[a] for a in range(4)], half)
    y = scratch(xp, m.dtype, (n, th, 2, tw, 2, Co), "wino_y")
    for i in range(2):
        _transform_a(xp, [half[i][b] for b in range(4)], [y[:, :, i, :, j] for j in range(2)])
    y = y.reshape(n, 2 * th, 2 * tw, Co)[:, :out.shape[2], :out.shape[3]]
    out[...] = xp.moveaxis(y, -1, 1)


def _transform_a(xp: Any, m: list, out: Any) -> None:
    """``A^T`` along one axis: ``m0 + m1 + m2, m1 - m2 - m3`` into ``out[0..1]``."""
    xp.add(m[0], m[1], out=out[0])
    out[0] += m[2]
    xp.subtract(m[1], m[2], out=out[1])
    out[1] -= m[3]


_THREADED_WORK = 1 << 22  # multiply-adds below which one thread does it all
_BLOCK_BYTES = 1 << 24  # a batch block's transformed input at most (larger batches in blocks)


def _block(N: int, tiles: tuple, C: int, itemsize: int) -> int:
    """Samples per batch block: the block's 16 transformed matrices within ``_BLOCK_BYTES``."""
    return max(1, min(N, _BLOCK_BYTES // (16 * tiles[0] * tiles[1] * C * itemsize)))


def _correlate(xp: Any, x: Any, kernel: Any, Co: int, lo: tuple, Q: tuple,
               order: tuple) -> Any:
    """``x (N, C, H, W)`` padded by ``lo`` correlated onto ``Q``: ``(N, Co, *Q)``. Each batch
    block's input is transformed once; each op thread then multiplies it by the transformed
    kernel of its share ``cs`` of the output channels (``kernel(cs)``: ``(16, C, len(cs))``,
    position ``k`` at ``order[k]``; made on the thread's first block, so that the kernel's
    transform is not left to one thread) and transforms back its channels of the output."""
    N, C = x.shape[:2]
    tiles = _tiles(Q)
    y = xp.empty((N, Co) + tuple(Q), dtype=x.dtype)
    threads = threads_for(xp, Co) if 16 * N * tiles[0] * tiles[1] * C * Co >= _THREADED_WORK \
        else 1
    kernels: dict = {}
    nb = _block(N, tiles, C, x.dtype.itemsize)
    for b0 in range(0, N, nb):
        v = _input_transform_split(xp, x[b0:b0 + nb], lo, tiles, threads)

        def channels(t: int, _: range, v: Any = v, b0: int = b0) -> None:
            cs = part(Co, threads, t)
            if cs.stop > cs.start:
                u = kernels[t] if t in kernels else kernels.setdefault(t, kernel(cs))
                m = scratch(xp, x.dtype, (16, v.shape[1], cs.stop - cs.start), "wino_m")
                for k in range(16):
                    xp.matmul(v[k], u[order[k]], out=m[k])
                _output_transform(xp, m, tiles, y[b0:b0 + nb, cs])

        run_striped(channels, threads, threads)
    return y


def forward(xp: Any, x: Any, w: Any, g: Geom, Q: tuple, keep: dict | None = None) -> Any:
    """``x (N, C, H, W)`` correlated with ``w (Co, C, 3, 3)`` onto ``Q``: ``(N, Co, *Q)``.
    With ``keep``, the whole kernel transform ``(16, Co, C)`` is left in ``keep["transform"]``
    for the input gradient (each thread writes its share of it)."""
    if keep is None:
        return _correlate(xp, x, lambda cs: xp.swapaxes(_kernel_transform(xp, w[cs]), 1, 2),
                          w.shape[0], g.lo, Q, _SAME)
    whole = xp.empty((16,) + tuple(w.shape[:2]), dtype=w.dtype)

    def share(cs: slice) -> Any:
        whole[:, cs] = _kernel_transform(xp, w[cs])
        return xp.swapaxes(whole[:, cs], 1, 2)

    y = _correlate(xp, x, share, w.shape[0], g.lo, Q, _SAME)
    keep["transform"] = whole
    return y


def input_grad(xp: Any, gy: Any, w: Any, g: Geom, S: tuple, transform: Any = None) -> Any:
    """The input gradient ``(N, C, *S)``: the output gradient correlated with the flipped,
    transposed kernel, whose transform is the kernel's own with positions reversed (the
    forward's ``transform`` where it kept one)."""
    if transform is not None:
        return _correlate(xp, gy, lambda cs: transform[:, :, cs], w.shape[1],
                          (2 - g.lo[0], 2 - g.lo[1]), S, _FLIPPED)
    return _correlate(xp, gy, lambda cs: _kernel_transform(xp, w[:, cs]), w.shape[1],
                      (2 - g.lo[0], 2 - g.lo[1]), S, _FLIPPED)


def weight_grad(xp: Any, x: Any, gy: Any, g: Geom) -> Any:
    """The weight gradient ``(Co, C, 3, 3)``: per transformed position, the output gradient's
    transform (``A gy A^T``) times the input's, summed over tiles, then ``G^T . G``. Each op
    thread sums a run of the batch (in blocks); the runs' sums are added in thread order."""
    N, C = x.shape[:2]
    Co = gy.shape[1]
    tiles = _tiles(gy.shape[2:])
    nb = _block(N, tiles, max(C, Co), x.dtype.itemsize)

    def samples(t: int, _: range) -> Any:
        run = part(N, threads, t)
        du = None
        for b0 in range(run.start, run.stop, nb):
            b = slice(b0, min(b0 + nb, run.stop))
            v = _input_transform(xp, x[b], g.lo, tiles)
            mg = _grad_transform(xp, gy[b], tiles)
            part_du = scratch(xp, x.dtype, (16, Co, C), "wino_du" if du is None else "wino_du2")
            for k in range(16):
                xp.matmul(mg[k].T, v[k], out=part_du[k])
            if du is None:
                du = part_du
            else:
                du += part_du
        return du

    threads = threads_for(xp, N) if 16 * N * tiles[0] * tiles[1] * C * Co >= _THREADED_WORK \
        else 1
    parts = [p for p in run_striped(samples, threads, threads) if p is not None]
    for p in parts[1:]:  # in thread order: the numbers depend on the thread count only
        parts[0] += p
    dw = xp.matmul(parts[0].reshape(16, Co * C).T, _kernel_matrix(xp, x.dtype, signs=True))
    return dw.reshape(Co, C, 3, 3)


def _grad_transform(xp: Any, gy: Any, tiles: tuple) -> Any:
    """``gy (N, Co, *Q)`` as ``(16, N * th * tw, Co)``: ``A gy A^T`` of every 2x2 tile (zeros
    past the plane), the rows ``g0, g0 + g1, g0 - g1, g1`` (the last one's sign is left to
    the kernel matrix)."""
    N, Co, H, W = gy.shape
    th, tw = tiles
    t = scratch(xp, gy.dtype, (N, th, 2, tw, 2, Co), "wino_gpad")
    flat = t.reshape(N, 2 * th, 2 * tw, Co)
    flat[:, H:] = 0
    flat[:, :, W:] = 0
    flat[:, :H, :W] = xp.moveaxis(gy, 1, -1)
    rows = scratch(xp, gy.dtype, (4, N, th, tw, 2, Co), "wino_grows")
    _transform_at(xp, t[:, :, 0], t[:, :, 1], rows)
    m = scratch(xp, gy.dtype, (4, 4, N, th, tw, Co), "wino_gv")
    for a in range(4):
        _transform_at(xp, rows[a][..., 0, :], rows[a][..., 1, :], m[a])
    return m.reshape(16, N * th * tw, Co)


def _transform_at(xp: Any, g0: Any, g1: Any, out: Any) -> None:
    """``A`` along one axis, signs aside: ``g0, g0 + g1, g0 - g1, g1`` into ``out[0..3]``."""
    out[0] = g0
    xp.add(g0, g1, out=out[1])
    xp.subtract(g0, g1, out=out[2])
    out[3] = g1
