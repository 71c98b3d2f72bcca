"""Sampling at arbitrary points: ``grid_sample`` (bilinear, nearest, bicubic; zeros, border,
reflection padding) and ``affine_grid``.

A sample is a weighted sum of "taps" (4 for bilinear, 16 for bicubic, 1 for nearest).
Each tap is gathered for all points at once from the flattened input planes; the input
gradient sums the weighted output gradient back per tap (one bincount), and the grid
gradient differentiates the tap weights.

The 2-D forward repeats the arithmetic of PyTorch's vectorised CPU kernel, whose multiply-adds
are fused (one rounding): the pixel coordinate ``fma(g + 1, size / 2, -0.5)``, the bilinear
sum ``fma(v, w, acc)`` from the north-west tap, and bicubic's coefficients and row sums as
that kernel rounds them, so that float results (and images rounded back to integers) match
to the bit. The 3-D kernel is scalar code without fused operations, and so is this one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._runtime import quiet
from . import pooling as _pooling  # noqa: F401  (initialises pooling before pooling_adaptive)
from ._autocast import autocast_op, inner_mm_dtype
from ._channels_last import c_order
from ._dispatch import Tensor, grad_state, make, record
from ._fma import fma as _fma
from ._linear import linear_op
from ._torch_cpu import mkl_fuses
from .creation import linspace
from .pooling_adaptive import flat_scatter_add

__all__ = ["grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADS = {"zeros": 0, "border": 1, "reflection": 2}
_A = -0.75


def _fused(xp: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once (float32/float64; plain arithmetic for other dtypes)."""
    return _fma(a, b, c, a.dtype, xp=xp)


def _unnormalize(xp: Any, c: Any, size: int, align_corners: bool,
                 fused: bool = False) -> tuple[Any, float]:
    """Pixel coordinate of grid value ``c``, and its derivative. ``fused``: the 2-D kernel's
    ``fma(c + 1, size / 2, -0.5)`` (align_corners=False) instead of ``((c + 1) * size - 1) / 2``."""
    if align_corners:
        return (c + 1) / 2 * (size - 1), (size - 1) / 2
    if fused:
        one = c + 1
        return _fused(xp, one, xp.full_like(one, size / 2), xp.full_like(one, -0.5)), size / 2
    return ((c + 1) * size - 1) / 2, size / 2


def _reflect(xp: Any, c: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    """Reflect ``c`` into [low, high]; also the derivative (+1 or -1). The 3-D kernel's
    arithmetic: ``fmod`` by the span and the parity of the number of flips (a count past
    the int range, or NaN, casts to INT_MIN there, an even count)."""
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    d = c - lo
    sign = xp.where(d < 0, -1.0, 1.0).astype(c.dtype)
    d = xp.abs(d)
    extra = xp.fmod(d, span)
    flips = xp.floor(d / span)
    even = ~((flips < 2.0 ** 31) & ((flips % 2) == 1))
    out = xp.where(even, extra + lo, span - extra + lo)
    return out, xp.where(even, sign, -sign)


def _reflect_2d(xp: Any, c: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    """``_reflect`` as the 2-D (vectorised) kernel computes it: the remainder by twice the
    span, ``|c - low| - trunc(|c - low| / 2span) * 2span``, folded back when past the span
    (infinite and huge coordinates then give what PyTorch gives)."""
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    lo = c.dtype.type(twice_low / 2)
    twice_span = c.dtype.type(twice_high - twice_low)
    d = c - lo
    a = xp.abs(d)
    extra = _fused(xp, -xp.trunc(a / twice_span), xp.full_like(a, twice_span), a)
    folded = twice_span - extra
    flip = extra > folded
    out = xp.where(flip, folded, extra) + lo
    return out, xp.where(flip ^ (d < 0), -1.0, 1.0).astype(c.dtype)


def _pad_coord(xp: Any, c: Any, size: int, padding: int, align_corners: bool,
               two_d: bool = False) -> tuple[Any, Any]:
    """PyTorch's compute_coordinates: the coordinate after padding, and its derivative."""
    one = xp.ones_like(c)
    if padding == 0:
        return c, one
    grad = one
    if padding == 2:
        reflect = _reflect_2d if two_d else _reflect
        if align_corners:
            c, grad = reflect(xp, c, 0, 2 * (size - 1))
        else:
            c, grad = reflect(xp, c, -1, 2 * size - 1)
    inside = (c > 0) & (c < size - 1)
    # NaN clamps to 0 in the 2-D (vector min/max) kernel, to size - 1 in the 3-D (std::min/max)
    c = xp.where(xp.isnan(c), 0 if two_d else size - 1, c)
    return xp.clip(c, 0, size - 1), grad * inside


def _cubic(xp: Any, t: Any) -> tuple[list, list]:
    """Cubic convolution weights of the 4 taps at fractional offset ``t``, and d/dt (the
    inner weights as PyTorch's CPU kernel rounds them: ``fma(fma(a + 2, x, -(a + 3)) * x, x,
    1)``; the outer ones unfused, as it computes them)."""
    def c1(x: Any) -> Any:
        inner = _fused(xp, xp.full_like(x, _A + 2), x, xp.full_like(x, -(_A + 3)))
        return _fused(xp, inner * x, x, xp.ones_like(x))

    def c2(x: Any) -> Any:
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    def d1(x: Any) -> Any:
        return (3 * (_A + 2) * x - 2 * (_A + 3)) * x

    def d2(x: Any) -> Any:
        return (3 * _A * x - 10 * _A) * x + 8 * _A

    return ([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)],
            [d2(t + 1), d1(t), -d1(1 - t), -d2(2 - t)])


def _taps(xp: Any, grid: Any, sizes: tuple, mode: int, padding: int,
          align_corners: bool) -> list:
    """(flat index, validity, weight, [dweight/dgrid_j per grid coordinate j]) per tap.

    ``sizes`` are the spatial sizes (D,) H, W; grid coordinate j indexes dimension
    ``sizes[-1 - j]`` (x is the width).
    """
    k = len(sizes)
    dims = sizes[::-1]  # per grid coordinate: W, H, (D)
    strides = [1] * k
    for j in range(1, k):
        strides[j] = strides[j - 1] * dims[j - 1]
    coords, scales = zip(*(_unnormalize(xp, grid[..., j], dims[j], align_corners, k == 2)
                           for j in range(k)))
    zero = xp.zeros_like(coords[0])
    taps = []

    def tap(cs: Any, w: Any, dws: list) -> None:
        valid = None
        flat = 0
        for j, c in enumerate(cs):
            c = c.astype("int64")
            ok = (c >= 0) & (c < dims[j])
            valid = ok if valid is None else valid & ok
            flat = flat + c * strides[j]
        taps.append((xp.where(valid, flat, 0), valid, w, dws))

    if mode == 2:  # bicubic (2-D only): padding applies to each tap's coordinate
        (ix, iy), (sx, sy) = coords, scales
        x0, y0 = xp.floor(ix), xp.floor(iy)
        wx, dx = _cubic(xp, ix - x0)
        wy, dy = _cubic(xp, iy - y0)
        for i in range(4):
            yc, _ = _pad_coord(xp, y0 - 1 + i, dims[1], padding, align_corners, True)
            for j in range(4):
                xc, _ = _pad_coord(xp, x0 - 1 + j, dims[0], padding, align_corners, True)
                tap((xc, yc), wy[i] * wx[j], [wy[i] * dx[j] * sx, dy[i] * wx[j] * sy])
        taps.append((wx, wy))  # the separable weights, for the forward's row sums
        return taps
    padded = [_pad_coord(xp, coords[j], dims[j], padding, align_corners, k == 2)
              for j in range(k)]
    if mode == 1:
        tap([xp.rint(c) for c, _ in padded], xp.ones_like(zero), [zero] * k)
        return taps
    lows = [xp.floor(c) for c, _ in padded]
    fracs = [c - lo for (c, _), lo in zip(padded, lows)]
    slopes = [g * sc for (_, g), sc in zip(padded, scales)]
    for corner in range(1 << k):
        ups = [(corner >> j) & 1 for j in range(k)]
        ws = [f if up else 1 - f for f, up in zip(fracs, ups)]
        w = ws[0]
        for other in ws[1:]:
            w = w * other
        dws = []
        for j in range(k):
            rest = None
            for i in range(k):
                if i != j:
                    rest = ws[i] if rest is None else rest * ws[i]
            rest = 1 if rest is None else rest
            dws.append((1 if ups[j] else -1) * rest * slopes[j])
        tap([lo + up for lo, up in zip(lows, ups)], w, dws)
    return taps


def _gather(xp: Any, src: Any, flat: Any) -> Any:
    """``src (N, C, S)`` at per-batch positions ``flat (N, P)``: ``(N, C, P)``."""
    return xp.take_along_axis(src, flat[:, None, :], axis=2)


def _grid_forward(xp: Any, x: Any, grid: Any, mode: int, padding: int, ac: bool) -> Any:
    N, C = x.shape[:2]
    P = int(np.prod(grid.shape[1:-1]))
    src = x.reshape(N, C, int(np.prod(x.shape[2:])))
    taps = _taps(xp, grid, x.shape[2:], mode, padding, ac)
    if mode == 2:
        return _bicubic_forward(xp, src, taps, N, C, P).reshape((N, C) + grid.shape[1:-1])
    fused = x.ndim == 4
    out = None
    for flat, valid, w, _ in taps:
        v = xp.where(valid.reshape(N, 1, P), _gather(xp, src, flat.reshape(N, P)), 0)
        w = w.reshape(N, 1, P).astype(x.dtype)
        if fused:  # the 2-D kernel: fma(v, w, acc) from the north-west tap on
            out = v * w if out is None else _fused(xp, v, xp.broadcast_to(w, v.shape), out)
        else:  # the 3-D kernel adds the in-bounds taps to 0 (NaN weights elsewhere ignored)
            out = (0 if out is None else out) + xp.where(valid.reshape(N, 1, P), v * w, 0)
    return out.reshape((N, C) + grid.shape[1:-1])


def _bicubic_forward(xp: Any, src: Any, taps: list, N: int, C: int, P: int) -> Any:
    """PyTorch's CPU bicubic sum: each row ``(fma(c0, v0, c1 * v1) + c2 * v2) + c3 * v3``
    over x, then ``fma`` of the rows' y weights from the first row on."""
    wx, wy = taps[-1]
    wx = [xp.broadcast_to(w.reshape(N, 1, P), (N, C, P)).astype(src.dtype) for w in wx]
    out = None
    for i in range(4):
        vs = []
        for j in range(4):
            flat, valid, _, _ = taps[4 * i + j]
            vs.append(xp.where(valid.reshape(N, 1, P), _gather(xp, src, flat.reshape(N, P)), 0))
        row = _fused(xp, wx[0], vs[0], wx[1] * vs[1]) + wx[2] * vs[2] + wx[3] * vs[3]
        w = xp.broadcast_to(wy[i].reshape(N, 1, P), (N, C, P)).astype(src.dtype)
        out = w * row if out is None else _fused(xp, w, row, out)
    return out


def _grid_backward(xp: Any, g: Any, x: Any, grid: Any, mode: int, padding: int, ac: bool,
                   need_x: bool, need_grid: bool) -> tuple:
    N, C = x.shape[:2]
    k = x.ndim - 2
    S = int(np.prod(x.shape[2:]))
    P = int(np.prod(grid.shape[1:-1]))
    gf = g.reshape(N, C, P)
    src = x.reshape(N, C, S)
    gx = None
    ggs = [xp.zeros((N, P), dtype=x.dtype) for _ in range(k)]
    taps = _taps(xp, grid, x.shape[2:], mode, padding, ac)
    vectorised = k == 2 and x.dtype.name in ("float32", "float64") and C > 0
    ordered = need_x and vectorised and mode != 2 and xp is np
    bilinear_2d = vectorised and mode == 0
    if ordered:
        gx = _scatter_in_order(gf, taps, grid, S)
    for flat, valid, w, dws in taps[:16] if mode == 2 else taps:
        flat = flat.reshape(N, P)
        valid = valid.reshape(N, 1, P)
        if need_x and not ordered:
            part = flat_scatter_add(xp, gf * (w.reshape(N, 1, P) * valid).astype(x.dtype),
                                    xp.broadcast_to(flat[:, None, :], (N, C, P)), (S,))
            gx = part if gx is None else gx + part
        if need_grid and mode != 1 and not bilinear_2d:
            s = (gf * _gather(xp, src, flat) * valid).sum(axis=1)
            for gg, dw in zip(ggs, dws):
                gg += s * dw.reshape(N, P)
    if need_grid and bilinear_2d:
        ggs = _bilinear_grid_grad(xp, gf, src, grid, taps, x.shape[2:], padding, ac)
    out_x = gx.reshape(x.shape) if need_x else None
    out_g = xp.stack(ggs, axis=-1).reshape(grid.shape).astype(grid.dtype) \
        if need_grid else None
    return out_x, out_g


def _bilinear_grid_grad(xp: Any, gf: Any, src: Any, grid: Any, taps: list, sizes: tuple,
                        padding: int, ac: bool) -> list:
    """The 2-D bilinear grid gradient as PyTorch's vectorised kernel rounds it (its
    multiply-adds fused): per point, ``((ne - nw) * s + (se - sw) * n) * gOut`` (x;
    ``((sw - nw) * e + (se - ne) * w) * gOut`` for y) summed over the channels in order,
    then times the coordinate's derivative."""
    N, C, P = gf.shape
    nw, ne, sw, se = (xp.where(valid.reshape(N, 1, P),
                               _gather(xp, src, flat.reshape(N, P)), 0)
                      for flat, valid, _, _ in taps)
    fr, mult = [], []
    for j, size in enumerate(sizes[::-1]):  # x (the width), then y
        c, scale = _unnormalize(xp, grid[..., j], size, ac, True)
        c, g = _pad_coord(xp, c, size, padding, ac, True)
        fr.append((c - xp.floor(c)).reshape(N, 1, P))
        mult.append((g * scale).reshape(N, P))
    w, n = fr
    e, s = 1 - w, 1 - n
    tx = _fused(xp, se - sw, xp.broadcast_to(n, gf.shape), (ne - nw) * s)
    ty = _fused(xp, se - ne, xp.broadcast_to(w, gf.shape), (sw - nw) * e)
    gx = xp.zeros((N, P), dtype=gf.dtype)  # from +0: a zero gradient is never -0
    gy = xp.zeros((N, P), dtype=gf.dtype)
    for c in range(C):  # the channels' sums in order, each added by a fused multiply-add
        gx = _fused(xp, tx[:, c], gf[:, c], gx)
        gy = _fused(xp, ty[:, c], gf[:, c], gy)
    return [gx * mult[0], gy * mult[1]]


def _dense(sizes: tuple, strides: tuple) -> bool:
    """PyTorch's ``geometry_is_contiguous``: C-contiguous strides, size-1 dims ignored."""
    want = 1
    for n, st in zip(sizes[::-1], strides[::-1]):
        if n != 1:
            if st != want:
                return False
            want *= n
    return True


def _scatter_in_order(gf: Any, taps: list, grid: Any, S: int) -> Any:
    """The 2-D input gradient (bilinear, nearest) summed as PyTorch's vectorised CPU kernel
    adds it, each add rounded in the input's dtype: per plane, the output points in vectors
    (of the flattened points where the grid is contiguous, else of each row), and per vector
    the taps north-west, north-east, south-west, south-east, each lane in turn; out-of-bounds
    taps add nothing (here: into a spare slot past the end)."""
    N, C, P = gf.shape
    K = len(taps)
    H, W = grid.shape[1:3]
    step = 32 // gf.dtype.itemsize  # AVX2 vectors (its AVX512 build is not dispatched to)
    _, sh, sw, sc = (v // grid.itemsize for v in grid.strides)
    if _dense((H, W, 2), (sh, sw, sc)) or (sw == 1 or W == 1) and _dense((H, W), (sh, sw)):
        H, W = 1, P  # vectors run over the flattened points, else along each row
    pad = -W % step
    spare = N * C * S
    base = (np.arange(N * C, dtype=np.int64) * S).reshape(N, C, 1, 1)
    idx = np.stack([t[0].reshape(N, P) for t in taps], 1)[:, None] + base
    idx = np.where(np.stack([t[1].reshape(N, P) for t in taps], 1)[:, None], idx, spare)
    w = np.stack([t[2].reshape(N, P) for t in taps], 1)[:, None].astype(gf.dtype)
    vals = quiet(np.multiply, w, gf[:, :, None])

    def ordered(a: Any, fill: Any) -> Any:  # (N, C, K, P) -> (rows, vectors, K, lanes)
        a = np.broadcast_to(a, (N, C, K, P)).reshape(N * C, K, H, W)
        if pad:
            a = np.concatenate([a, np.full((N * C, K, H, pad), fill, a.dtype)], axis=3)
        a = a.reshape(N * C, K, H, (W + pad) // step, step)
        return a.transpose(0, 2, 3, 1, 4).ravel()

    out = np.zeros(spare + 1, dtype=gf.dtype)
    np.add.at(out, ordered(idx, spare), ordered(vals, 0))
    return out[:spare].reshape(N, C, S)


def _check_grid_sampler(input: Tensor, grid: Tensor, mode: int, rank: int | None = None) -> None:
    """PyTorch's checks, in its order: batch, grid's last size, empty spatial dims, rank (4 or
    5, or ``rank`` for the 2-D and 3-D ops) and mode, then the kernel's dtype dispatch."""
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    k = input.ndim - 2
    if grid.shape[-1] != k:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {k} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                f"has sizes {list(input.shape)} with dimension {i} being empty")
    want = rank or (4 if input.ndim == 4 else 5)
    if input.ndim != want or grid.ndim != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of "
                           f"dimensions, but got {sizes}")
    if k == 3 and mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    from .pointwise_unary import not_implemented, type_name

    if input._data.dtype.kind not in "fV":  # PyTorch's kernels take floating inputs only
        kernel = (f"grid_sampler_{k}d_cuda" if input._device.type == "cuda" else
                  "grid_sampler_2d_cpu_kernel_impl" if k == 2 else "grid_sampler3d_cpu")
        raise not_implemented(kernel, input._data.dtype)
    if input._data.dtype != grid._data.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input._data.dtype)} but found "
                           f"{type_name(grid._data.dtype)}")


@autocast_op("grid_sampler")
def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """``torch.grid_sampler``: modes and padding given as integers (see ``grid_sample``)."""
    _check_grid_sampler(input, grid, int(interpolation_mode))
    k = input.ndim - 2
    xp = input._device._backend.xp
    mode, pad, ac = int(interpolation_mode), int(padding_mode), bool(align_corners)
    # a new C-ordered output, whatever the layouts of input and grid (as PyTorch's kernels)
    res = make(c_order(xp, quiet(_grid_forward, xp, input._data, grid._data, mode, pad, ac)),
               input._device)
    if grad_state.enabled and (input._rg or grid._rg):
        rx, rg = input._rg, grid._rg

        def vjp(g: Tensor, x: Tensor, gr: Tensor) -> tuple:
            a, b = quiet(_grid_backward, xp, g._data, x._data, gr._data, mode, pad, ac, rx, rg)
            return (make(a, g._device) if rx else None, make(b, g._device) if rg else None)

        record(f"GridSampler{k}DBackward0", res, (input, grid), vjp, (input, grid))
    return res


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """``torch.grid_sampler_2d``: ``grid_sampler`` on 4-D input and grid only."""
    _check_grid_sampler(input, grid, int(interpolation_mode), 4)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """``torch.grid_sampler_3d``: ``grid_sampler`` on 5-D input and grid only."""
    _check_grid_sampler(input, grid, int(interpolation_mode), 5)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample ``input (N, C, [D,] H, W)`` at ``grid (N, [Do,] Ho, Wo, 2 or 3)`` points in
    [-1, 1] (x first)."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
    return grid_sampler(input, grid, _MODES[mode], _PADS[padding_mode], bool(align_corners))


def _warn_align_corners() -> None:
    """PyTorch's warning when ``align_corners`` is left out (it means False), at the caller."""
    import warnings

    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


# ------------------------------------------------------------------ affine_grid
def _base_grid(n: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """PyTorch's base coordinates, rounded as it rounds them: linspace(-1, 1) in theta's dtype,
    then ``* (n - 1)`` and ``/ n`` in that dtype (grid_sample floors these, so one ulp
    moves a bilinear tap and its grid gradient)."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype=dtype.np)
    v = linspace(-1, 1, n, dtype=dtype, device="cpu")._data
    return v if align_corners else v * (n - 1) / n


def _affine_points(xp: Any, b: Any, t: Any) -> Any:
    """``b (P, d+1) @ t (N, d, d+1)^T``, summed in PyTorch's CPU order so that points meant
    to land on pixels land on the same side of them: term by term below its small-bmm cutoff
    (400 products), with BLAS's fused multiply-adds above it where PyTorch's MKL fuses them
    (Intel processors; elsewhere term by term throughout)."""
    k = t.shape[2]
    fused = b.shape[0] * t.shape[1] * k >= 400 and mkl_fuses()
    if b.dtype != np.float32 and (fused or b.dtype != np.float64):
        return xp.matmul(b, xp.swapaxes(t, 1, 2))
    acc = b[None, :, 0:1] * t[:, None, :, 0]
    for i in range(1, k):
        col, row = b[None, :, i:i + 1], t[:, None, :, i]
        if fused and i < k - 1:  # one rounding of col*row + acc (exact in float64 but rarely)
            acc = (col.astype(np.float64) * row + acc).astype(np.float32)
        else:
            acc = acc + col * row
    return acc


def affine_grid_generator(theta: Tensor, size: Any, align_corners: bool) -> Tensor:
    """``torch.affine_grid_generator``: sampling grids from batches of affine matrices."""
    size = [int(s) for s in size]
    spatial = size[2:][::-1]  # x (width) first
    d = len(spatial)
    axes = [_base_grid(n, align_corners, theta.dtype) for n in spatial]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # arrays over (D,)H,W; x first
    base = np.stack(list(mesh) + [np.ones_like(mesh[0])], -1).reshape(-1, d + 1)
    xp = theta._device._backend.xp
    b = xp.asarray(base, dtype=theta._data.dtype)
    out_shape = (size[0],) + tuple(size[2:]) + (d,)

    low = inner_mm_dtype(theta)  # under autocast PyTorch's inner bmm runs in low precision
    src = theta._data.dtype
    if low is not None:
        b = b.astype(low.np)

    def fwd(xp: Any, t: Any) -> Any:
        t = t if low is None else t.astype(low.np)
        # (NumPy's bfloat16 products come back in float32)
        return _affine_points(xp, b, t).astype(b.dtype, copy=False).reshape(out_shape)

    def adj(xp: Any, g: Any) -> Any:
        # PyTorch returns base^T @ grad (N, d + 1, d) transposed: a non-contiguous gradient
        gt = xp.swapaxes(xp.matmul(b.T, g.reshape(size[0], -1, d)), 1, 2)
        return gt.astype(src, copy=False)

    return linear_op(theta, fwd, adj, "AffineGridGeneratorBackward0")


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """Sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) for ``grid_sample``."""
    if align_corners is None:
        _warn_align_corners()
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given = size  # messages show the size as the caller gave it, as PyTorch's do
    size = list(size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{given}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{given}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {given}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if align_corners and min(size[2:]) == 1:
        import warnings

        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    if theta.shape[0] != size[0]:
        k = len(size) - 1  # PyTorch's error comes from its batched product with theta
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {k}] but got: [{theta.shape[0]}, {k}].")
    return affine_grid_generator(theta, size, bool(align_corners))
