"""Structured tensors built from others or from sizes: block_diag, vander, tril_indices,
triu_indices, unravel_index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ._dispatch import Tensor, astype, canonical_device, grad_state, make, record, result_type
from .math_misc import _dtype_name

__all__ = ["block_diag", "vander", "tril_indices", "triu_indices", "unravel_index"]

_isinstance = isinstance


# ------------------------------------------------------------------ block_diag
def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix with the given tensors (0-d, 1-d or 2-d) as its blocks."""
    for i, t in enumerate(tensors):
        if not _isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        from .creation import empty

        return empty(1, 0)
    dev = tensors[0]._device
    for t in tensors[1:]:
        if t._device is not dev:
            raise RuntimeError(f"torch.block_diag: input tensors must all be on the same device. "
                               f"Input 0 is on device {dev} and input {tensors.index(t)} is on "
                               f"device {t._device}.")
    dt = result_type(*tensors)
    be = dev._backend
    xp = be.xp
    shapes = []
    for t in tensors:
        s = t._data.shape
        shapes.append((1, 1) if len(s) == 0 else (1, s[0]) if len(s) == 1 else tuple(s))
    rows = sum(s[0] for s in shapes)
    cols = sum(s[1] for s in shapes)
    out = xp.zeros((rows, cols), dtype=be.native_dtype(dt) if not be.numpy_like else dt.np)
    r = c = 0
    spans = []
    for t, (h, w) in zip(tensors, shapes):
        a = t._data if t.dtype is dt else be.astype(t._data, dt)
        out[r:r + h, c:c + w] = a.reshape(h, w)
        spans.append((r, h, c, w, t._data.shape, t.dtype))
        r, c = r + h, c + w
    res = make(out, dev)
    if grad_state.enabled and any(t._rg for t in tensors):
        flags = [t._rg for t in tensors]

        def vjp(g: Tensor) -> tuple:
            grads = []
            for (r0, h, c0, w, shape, d), need in zip(spans, flags):
                if not need:
                    grads.append(None)
                    continue
                piece = g[r0:r0 + h, c0:c0 + w].reshape(shape)
                grads.append(piece.to(d) if piece.dtype is not d else piece)
            return tuple(grads)

        record("BlockDiagBackward0", res, tensors, vjp)
    return res


# ------------------------------------------------------------------ vander
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x ** (N-1), ..., x ** 0`` (or the
    reverse with ``increasing``); integers give int64."""
    from .shape_join import cat

    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dt.promote_types(x.dtype, _dt.int64)
    xp = x._device._backend.xp
    m = x._data.shape[0]
    native = dt.np if x._device._backend.numpy_like else x._device._backend.native_dtype(dt)
    if n <= 1:  # columns of ones: no path from x (as in PyTorch)
        return make(xp.ones((m, n), dtype=native), x._device)
    ones = make(xp.ones((m, 1), dtype=native), x._device)
    col = x if x.dtype is dt else x.to(dt)
    res = cat([ones, col.unsqueeze(1).expand(m, n - 1)], 1).cumprod(1)
    return res if increasing else res.flip(1)


# ------------------------------------------------------------------ tril_indices, triu_indices
def _tri_indices(op: str, row: Any, col: Any, offset: Any, dtype: Any, device: Any) -> Tensor:
    for name, pos, v in (("row", 1, row), ("col", 2, col), ("offset", 3, offset)):
        if _isinstance(v, bool) or not _isinstance(v, int):
            if not (hasattr(v, "__index__") and not _isinstance(v, float)):
                raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be int, not "
                                f"{type(v).__name__}")
    row, col, offset = int(row), int(col), int(offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dt.to_dtype(dtype) if dtype is not None else _dt.int64
    if dt not in (_dt.int64, _dt.int32):
        raise NotImplementedError(f"\"{op}\" not implemented for '{_dtype_name(dt)}'")
    dev = canonical_device(device)
    xp = dev._backend.xp
    r = xp.arange(row, dtype=xp.int64)[:, None]
    c = xp.arange(col, dtype=xp.int64)[None, :]
    mask = (c - r <= offset) if op == "tril_indices" else (c - r >= offset)
    rr, cc = xp.nonzero(mask)
    native = dt.np if dev._backend.numpy_like else dev._backend.native_dtype(dt)
    return make(astype(xp, xp.stack([rr, cc]), native), dev)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, n) row and column indices of the lower triangle of a ``row x col`` matrix
    (diagonal ``offset`` included), row by row."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, n) row and column indices of the upper triangle of a ``row x col`` matrix."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device)


# ------------------------------------------------------------------ unravel_index
def unravel_index(indices: Tensor, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of the flat ``indices`` (negative ones count
    from the end), one int64 tensor per dimension."""
    if indices.is_complex() or indices.is_floating_point() or indices.dtype is _dt.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if _isinstance(shape, Tensor) or not (_isinstance(shape, (int, Sequence))):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got "
                        f"{type(shape)}")
    if _isinstance(shape, int):
        dims = (shape,)
    else:
        for d in shape:
            if not _isinstance(d, int) or _isinstance(d, bool):
                raise TypeError(f"expected 'shape' sequence to only contain ints, but got "
                                f"{type(d)}")
        dims = tuple(shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(dims)}")
    if any(d == 0 for d in dims) and indices.numel() > 0:
        raise ValueError(f"'shape' cannot have zero dimensions when 'indices' is non-empty, but "
                         f"got {tuple(dims)}")
    xp = indices._device._backend.xp
    coefs = [1] * len(dims)
    for i in range(len(dims) - 2, -1, -1):
        coefs[i] = coefs[i + 1] * dims[i + 1]
    idx = astype(xp, indices._data, xp.int64)[..., None]
    c = xp.asarray(coefs, dtype=xp.int64)
    s = xp.asarray(dims, dtype=xp.int64)
    safe = xp.where(s == 0, 1, s)
    coords = xp.floor_divide(idx, c) % safe if dims else xp.zeros(idx.shape[:-1] + (0,),
                                                                    dtype=xp.int64)
    dev = indices._device
    return tuple(make(coords[..., i], dev) for i in range(len(dims)))
