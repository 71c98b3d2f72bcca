"""Padding: constant (``constant_pad_nd``), reflect, replicate and circular.

``pad`` follows ``torch.nn.functional.pad``: ``pad`` lists (left, right) pairs from the
last dimension backwards. Each mode is a linear map whose adjoint folds the padded
border back onto the input, so gradients of every order are exact.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from .._memory_format import laid_like
from ._autocast import autocast_op
from ._channels_last import c_order, cl_format, following, linear_op_cl
from ._dispatch import Tensor, renamed
from ._linear import linear_op

__all__ = ["constant_pad_nd"]

_MODES = ("constant", "reflect", "replicate", "circular")
_NAMES = {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}


def _pairs(pad: Any, ndim: int) -> list[tuple[int, int, int]]:
    """(dim, low, high) for each padded dimension."""
    pad = list(pad)
    for i, p in enumerate(pad):
        if isinstance(p, float) or not hasattr(p, "__index__"):
            kind = type(p).__name__
            raise TypeError(
                f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element "
                f"of type {kind} at pos 0" if i == 0 else
                f"pad(): argument 'pad' failed to unpack the object at pos {i + 1} with error "
                f"\"type must be tuple of ints,but got {kind}\"")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}")
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


def _constant_fwd(xp: Any, x: Any, pairs: tuple, value: Any) -> Any:
    shape = list(x.shape)
    src = [slice(None)] * x.ndim
    dst = [slice(None)] * x.ndim
    for d, lo, hi in pairs:
        n = x.shape[d]
        shape[d] = n + lo + hi
        a, b = max(-lo, 0), n - max(-hi, 0)
        src[d] = slice(a, max(a, b))
        dst[d] = slice(max(lo, 0), max(lo, 0) + max(b - a, 0))
    if value == 0:
        out = xp.zeros(tuple(shape), dtype=x.dtype)
    else:
        out = xp.full(tuple(shape), value, dtype=x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:
    """Pad with ``value`` (negative pads crop); ``pad`` runs from the last dimension backwards."""
    pairs = tuple(_pairs(pad, input.ndim))
    for d, lo, hi in pairs:
        kept = input._data.shape[d] + min(lo, 0)
        if kept < 0 or hi < 0 and kept + hi < 0:  # PyTorch narrows the negative sides first
            raise RuntimeError("narrow(): length must be non-negative.")
    grows = any(lo > 0 or hi > 0 for _, lo, hi in pairs)
    if grows:  # (PyTorch fills, and checks the value, only when it grows)
        _check_fill(value, input.dtype)
    neg = tuple((d, -lo, -hi) for d, lo, hi in pairs)
    fwd = functools.partial(_constant_fwd, pairs=pairs, value=value if grows else 0)
    bwd = functools.partial(_constant_fwd, pairs=neg, value=0)
    # each direction keeps its argument's channels-last layout, as PyTorch's kernel does; a
    # pad of all zeros is PyTorch's ``clone()``, which keeps any dense layout (a transpose's),
    # and a crop is the ``clone()`` of a narrowed view (laid out in the input's dim order)
    wrap = following if any(lo or hi for _, lo, hi in pairs) else _preserving
    fwrap = wrap if grows or wrap is _preserving else functools.partial(_cropping, pairs=pairs)
    return linear_op(input, fwrap(fwd), wrap(bwd),
                     "ConstantPadNdBackward0", "ConstantPadNdBackward0")  # its backward pads too


def _cropping(fn: Any, pairs: tuple) -> Any:
    """A crop ``fn(xp, a)`` whose result is laid out as the cropped view of ``a``."""
    def wrapped(xp: Any, a: Any) -> Any:
        idx = [slice(None)] * a.ndim
        for d, lo, hi in pairs:
            idx[d] = slice(-lo, a.shape[d] + hi)
        return laid_like(xp, fn(xp, a), a[tuple(idx)])

    return wrapped


def _preserving(fn: Any) -> Any:
    """An array function ``fn(xp, a)`` whose result keeps ``a``'s layout (``clone()``'s)."""
    return lambda xp, a: laid_like(xp, fn(xp, a), a)


def _check_fill(value: Any, dt: Any) -> None:
    """Refuse a fill ``value`` the padded dtype cannot hold, as PyTorch's ``fill_`` does."""
    from .creation import _bounds, _overflow

    if dt.is_complex or dt.name == "bool" or not isinstance(value, (int, float)):
        return
    lo, hi = _bounds(dt.name)
    if dt.is_floating_point:
        bad = math.isfinite(value) and not lo <= value <= hi
    elif isinstance(value, float):
        bad = not (math.isfinite(value) and lo <= value < hi + 1)
    else:
        bad = not lo <= value <= hi
    if bad:
        raise _overflow(dt)


# ------------------------------------------------------------------ reflect / replicate / circular
def _take(x: Any, d: int, sl: slice) -> Any:
    return x[(slice(None),) * d + (sl,)]


def _border_fwd(xp: Any, x: Any, pairs: tuple, mode: str) -> Any:
    for d, lo, hi in pairs:
        n = x.shape[d]
        if mode == "reflect":
            left = xp.flip(_take(x, d, slice(1, lo + 1)), axis=d)
            right = xp.flip(_take(x, d, slice(n - 1 - hi, n - 1)), axis=d)
        elif mode == "replicate":
            shp = list(x.shape)
            shp[d] = lo
            left = xp.broadcast_to(_take(x, d, slice(0, 1)), tuple(shp))
            shp[d] = hi
            right = xp.broadcast_to(_take(x, d, slice(n - 1, n)), tuple(shp))
        else:
            left = _take(x, d, slice(n - lo, n))
            right = _take(x, d, slice(0, hi))
        x = xp.concat([left, x, right], axis=d) if hasattr(xp, "concat") else \
            xp.concatenate([left, x, right], axis=d)
    return x


def _border_adj(xp: Any, g: Any, pairs: tuple, mode: str, sizes: tuple) -> Any:
    for (d, lo, hi), n in zip(pairs, sizes):
        c = _take(g, d, slice(lo, lo + n)).copy()
        left = _take(g, d, slice(0, lo))
        right = _take(g, d, slice(lo + n, lo + n + hi))
        if mode == "reflect":
            _take(c, d, slice(1, lo + 1))[...] += xp.flip(left, axis=d)
            _take(c, d, slice(n - 1 - hi, n - 1))[...] += xp.flip(right, axis=d)
        elif mode == "replicate":
            _take(c, d, slice(0, 1))[...] += left.sum(axis=d, keepdims=True)
            _take(c, d, slice(n - 1, n))[...] += right.sum(axis=d, keepdims=True)
        else:
            _take(c, d, slice(n - lo, n))[...] += left
            _take(c, d, slice(0, hi))[...] += right
        g = c
    return g


def _border_pad(input: Tensor, pad: Any, mode: str) -> Tensor:
    n_pad = len(pad) // 2
    nd = input.ndim
    if len(pad) % 2 or n_pad not in (1, 2, 3) or nd not in (n_pad + 1, n_pad + 2):
        _pairs(pad, nd)  # PyTorch's odd-length and longer-than-the-input errors come first
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    pairs = tuple(_pairs(pad, nd))
    if any(lo < 0 or hi < 0 for _, lo, hi in pairs):
        if _check_negative(input, pairs, mode):  # an empty result, as PyTorch's
            name = "CopySlices" if mode == "circular" else f"{_NAMES[mode]}{n_pad}DBackward0"
            return renamed(_empty_pad(input, pairs), name)
        if mode == "circular":  # PyTorch's composite crops the negative sides, then pads
            for d, lo, hi in pairs:
                start = -min(lo, 0)
                input = input.narrow(d, start, input.shape[d] - start + min(hi, 0))
            return _border_pad(input, [max(p, 0) for p in pad], mode)
        # reflect and replicate pad the whole input (reflecting it all), then crop, in one node
        return _border_op(input, tuple((d, max(lo, 0), max(hi, 0)) for d, lo, hi in pairs),
                          tuple((d, min(lo, 0), min(hi, 0)) for d, lo, hi in pairs), mode)
    return _border_op(input, pairs, (), mode)


def _check_negative(input: Tensor, pairs: tuple, mode: str) -> bool:
    """PyTorch's errors for negative ``pad`` entries that leave a padded dimension of size
    < 1 (checked per mode, in its order); True when the result is empty but allowed."""
    shape = input._data.shape
    dims = sorted(pairs)
    outs = [shape[d] + lo + hi for d, lo, hi in dims]
    if mode == "circular":
        for (d, lo, hi), out in zip(dims, outs):
            if lo > shape[d] or hi > shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if out < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return min(outs) == 0
    if mode == "reflect":  # PyTorch checks the last dim (its Argument #4) first
        for d, lo, hi in reversed(dims):
            if lo >= shape[d] or hi >= shape[d]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * (input.ndim - 1 - d)}: Padding size should be less "
                    "than the corresponding input dimension, but got: padding "
                    f"({lo}, {hi}) at dimension {d} of input {list(shape)}")
    if min(outs) >= 1:
        return False
    names = "DHW"[3 - len(dims):]
    if len(dims) == 1:
        raise RuntimeError(f"input (W: {shape[dims[0][0]]}) is too small. Calculated output "
                           f"W: {outs[0]}")
    if mode == "reflect":  # PyTorch's 2-D and 3-D kernels allow an empty result
        _reflect_negative(shape, dims, outs, names)
        return True
    got = " ".join(f"{n}: {o}" for n, o in zip(names, outs))
    ins = ", ".join(f"{n}: {shape[d]}" for n, (d, _, _) in zip(names, dims))
    raise RuntimeError(f"Calculated output {got} must be >= 1 in every dimension (input {ins})")


def _reflect_negative(shape: tuple, dims: list, outs: list, names: str) -> None:
    """PyTorch's 2-D/3-D reflection kernels: every output size < 1 is "too small"; else a
    negative one fails making the output (the 2-D kernel in its numel, the 3-D in empty)."""
    if max(outs) < 1:
        ins = ", ".join(f"{n}: {shape[d]}" for n, (d, _, _) in zip(names, dims))
        ins = ins.replace(", H", " H") if len(dims) == 3 else ins  # PyTorch's 3-D words
        got = " ".join(f"{n}: {o}" for n, o in zip(names, outs))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {got}")
    if min(outs) >= 0:
        return
    if len(dims) == 2:
        raise RuntimeError("numel: integer multiplication overflow")
    full = list(shape)
    for (d, _, _), o in zip(dims, outs):
        full[d] = o
    first = next(o for o in full if o < 0)
    raise RuntimeError(f"Trying to create tensor with negative dimension {first}: {full}")


def _empty_pad(input: Tensor, pairs: tuple) -> Tensor:
    """The (empty) padded result of a negative ``pad`` that leaves a dimension of size 0."""
    shape = input._data.shape
    grow = [0] * (2 * len(pairs))
    for i, (d, lo, hi) in enumerate(pairs):
        out = shape[d] + lo + hi
        input = input.narrow(d, 0, min(out, shape[d]))
        grow[2 * i + 1] = max(out - shape[d], 0)
    return constant_pad_nd(input, grow)


def _border_op(input: Tensor, pairs: tuple, crop: tuple, mode: str) -> Tensor:
    """One padding node (PyTorch's ``<Mode>Pad<N>DBackward0``, or ``CopySlices`` for the
    composite circular mode); ``crop``: negative (dim, low, high) cut after padding."""
    shape = input._data.shape
    n_pad, nd = len(pairs), input.ndim
    # reflect and replicate refuse an empty dim but a batch's; circular only an empty padded dim
    # (which its wrap check then refuses)
    if any(s == 0 for s in shape[nd - n_pad - 1:]) and mode != "circular":
        raise RuntimeError(
            f"Expected {n_pad + 1}D or {n_pad + 2}D (batch mode) tensor with possibly 0 batch "
            f"size and other non-zero dimensions for input, but got: {list(shape)}")
    for d, lo, hi in pairs:
        n = shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #{4 + 2 * (nd - 1 - d)}: Padding size should be less than the "
                f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension "
                f"{d} of input {list(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode != "circular" and input._data.dtype.kind == "b":
        kernel = {"reflect": "reflection", "replicate": "replication"}[mode]
        raise NotImplementedError(f'"{kernel}_pad{n_pad}d" not implemented for \'Bool\'')
    sizes = tuple(shape[d] for d, _, _ in pairs)
    fwd = functools.partial(_border_fwd, pairs=pairs, mode=mode)
    adj = functools.partial(_border_adj, pairs=pairs, mode=mode, sizes=sizes)
    if crop:
        uncrop = tuple((d, -lo, -hi) for d, lo, hi in crop)
        fwd = functools.partial(_then_pad, fwd, pairs=crop)
        adj = functools.partial(_pad_then, adj, pairs=uncrop)
    if mode == "circular":  # PyTorch's is composite and gives C order
        return linear_op(input, lambda xp, a: c_order(xp, fwd(xp, a)),
                         lambda xp, g: c_order(xp, adj(xp, g)), "CopySlices")
    # reflect and replicate keep a channels-last input's layout, gradient included; any
    # other input gets a C-ordered result, as PyTorch's kernels give
    # PyTorch's backward takes the input: a Hessian through the padding is zeros
    fmt = cl_format(input._data)
    if fmt is None:
        fwd = functools.partial(_c_ordered, fwd)
    return linear_op_cl(input, fwd, adj, f"{_NAMES[mode]}{n_pad}DBackward0", fmt,
                        keeps_input=True)


def _c_ordered(f: Any, xp: Any, x: Any) -> Any:
    return c_order(xp, f(xp, x))


def _then_pad(f: Any, xp: Any, x: Any, pairs: tuple) -> Any:
    return _constant_fwd(xp, f(xp, x), pairs, 0)


def _pad_then(f: Any, xp: Any, x: Any, pairs: tuple) -> Any:
    return f(xp, _constant_fwd(xp, x, pairs, 0))


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """``torch.nn.functional.pad``: 'constant', 'reflect', 'replicate' or 'circular' padding."""
    if mode == "constant":
        if isinstance(value, complex):  # (PyTorch's binding takes a real fill value)
            raise TypeError("pad(): argument 'value' (position 4) must be float, not complex")
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode == "reflect":
        return _reflection_pad(input, pad, mode)
    if mode == "replicate":
        return _replication_pad(input, pad, mode)
    return _border_pad(input, pad, mode)


@autocast_op("reflection_pad")  # (float32 under CPU autocast)
def _reflection_pad(input: Tensor, pad: Any, mode: str) -> Tensor:
    return _border_pad(input, pad, mode)


@autocast_op("replication_pad")
def _replication_pad(input: Tensor, pad: Any, mode: str) -> Tensor:
    return _border_pad(input, pad, mode)
