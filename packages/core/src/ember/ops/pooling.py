"""Pooling: max_pool1d/2d/3d (with indices), avg_pool1d/2d/3d, and (from pooling_adaptive)
adaptive average/max pooling, lp pooling and max unpooling.

Every pool walks the kernel offsets, not the pixels: each offset is one strided slice of
the (padded) input covering all output positions, so a 2x2 pool is four whole-array
operations. Max pooling keeps the winning offset per output (first maximum, NaN wins as
in PyTorch); its backward writes the gradient through the same slices, with no scatter.
"""

from __future__ import annotations

import math
from typing import Any

from .._memory_format import suggest_format
from .._tensor import channels_last
from . import _conv_kernels as K
from ._autocast import autocast_op
from ._channels_last import c_order, cl_format, laid_as, linear_op_cl
from ._dispatch import Tensor, grad_state, make, quietly, record, renamed
from ._linear import adjoint_of
from ._parallel import split

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d"]

_WORDS = {1: "one", 2: "two", 3: "three"}


def pool_tuple(v: Any, d: int, name: str, op: str, default: tuple | None = None,
               as2d: bool = False) -> tuple:
    """A pooling argument as a d-tuple (an int, or a sequence of 1 or d ints)."""
    if v is None or (isinstance(v, (list, tuple)) and len(v) == 0 and default is not None):
        return default
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * d
        if len(v) != d:
            raise RuntimeError(_tuple_words(op, name, d, len(v), as2d))
        return tuple(int(a) for a in v)
    return (int(v),) * d


def _tuple_words(op: str, name: str, d: int, n: int, as2d: bool) -> str:
    """PyTorch's words for a pooling argument of ``n`` entries where ``d`` are wanted: its
    argument parser's for the 1-d pools' ``int[1]``, then each kernel's own."""
    if op == "max_pool1d" and not as2d:
        kinds = "list of ints, or tuple" if name == "padding" else "list of ints or tuple"
        allowed = "None, an int, list of ints, or tuple" if name == "stride" else f"an int, {kinds}"
        return f"max_pool1d() {name} must be {allowed} of ints of size 1 but got size {n}"
    if d == 1 and op in ("max_pool1d", "avg_pool1d"):
        return f"{op}() argument '{name}' should contain one int (got {n})"
    if not op.startswith(("max_pool", "avg_pool")):
        return f"{op}: {name} must either be a single int, or a tuple of {_WORDS[d]} ints"
    either = "must be" if op == "avg_pool3d" else "must either be"
    if name == "dilation":
        either = "must be either"
    omitted = " omitted," if name == "stride" else ""
    return f"{op}: {name} {either}{omitted} a single int, or a tuple of {_WORDS[d]} ints"


def check_input(input: Tensor, d: int, op: str) -> None:
    """An input of ``d`` spatial dims, batched or not, with only the batch allowed empty;
    the errors in the words of PyTorch's kernel for ``op``."""
    x = input._data
    rank_ok = x.ndim in (d + 1, d + 2)
    if rank_ok and all(s for s in x.shape[-(d + 1):]):
        return
    shape = list(x.shape)
    zero_batch = f"tensor with optional 0 dim batch size for input, but got:{shape}"
    if op == "max_pool1d":
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) {zero_batch}")
    if op == "avg_pool1d":  # PyTorch's runs the 2-d kernel on an unsqueezed input
        if not rank_ok:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                               "for argument #1 'self' (while checking arguments for avg_pool1d)")
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{shape[:-1] + [1] + shape[-1:]}")
    if op == "avg_pool2d" and x.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(x.ndim, 1)}, {max(x.ndim, 1) - 1}], but got -3)")
    if op == "avg_pool2d" or (op == "max_pool2d" and rank_ok):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) {zero_batch}")
    if not rank_ok:
        raise RuntimeError(f"non-empty {d + 1}D or {d + 2}D (batch mode) tensor expected for input")
    kernel = "max_pool3d_with_indices_out_cpu_template" if op == "max_pool3d" else op
    raise RuntimeError(f"{kernel}(): Expected input's non-batch dimensions to have positive "
                       f"length, but input has a shape of {shape} and non-batch dimension 0 has "
                       "length zero!")


def pool_out_size(S: tuple, k: tuple, s: tuple, p: tuple, dil: tuple, ceil_mode: bool) -> tuple:
    out = []
    for n, kk, st, pp, dl in zip(S, k, s, p, dil):
        span = n + 2 * pp - dl * (kk - 1) - 1
        q = (-(-span // st) if ceil_mode else span // st) + 1
        if ceil_mode and (q - 1) * st >= n + pp:  # the last window must start inside the input
            q -= 1
        out.append(q)
    return tuple(out)


def _too_small(x: Any, d: int, Q: tuple, op: str = "", as2d: bool = False) -> RuntimeError:
    """PyTorch's error for an empty output; its 1-d pools other than ``max_pool1d`` without
    indices run the 2-d kernel over a height of one, and name that height."""
    if d == 1 and op == "max_pool1d" and not as2d:
        return RuntimeError(f"max_pool1d() Invalid computed output size: {Q[0]}")
    c = x.shape[-d - 1] if x.ndim > d else 1
    one = (1,) if d == 1 else ()
    return RuntimeError(
        f"Given input size: ({'x'.join(str(v) for v in (c,) + one + x.shape[-d:])}). Calculated "
        f"output size: ({'x'.join(str(v) for v in (c,) + one + tuple(Q))}). Output size is too "
        "small")


def _bad_padding(k: tuple, p: tuple, dil: tuple, op: str, as2d: bool) -> None:
    """Raise PyTorch's error for a padding over half the kernel, in the words of the kernel
    it runs: max pools with indices (or dilated) word it per axis, 1-d without indices by name."""
    if op == "max_pool1d" and not as2d:
        if p[0] < 0:
            raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p[0]}")
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p[0]} and kernel_size={k[0]}")
    for pp, kk, dl in zip(p, k, dil):  # the output-size check of every kernel comes first
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        if pp > (dl * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dl}")
    if op.startswith("max_pool"):  # then the kernel's own, of the undilated kernel
        msg = "pad should be smaller than or equal to half of kernel size, but got "
        if len(k) == 3:
            raise RuntimeError(msg + f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} "
                               f"padW: {p[2]} padH: {p[1]}")
        (kh, kw), (ph, pw) = ((1,) + k, (0,) + p) if len(k) == 1 else (k, p)
        raise RuntimeError(msg + f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")


def _bad_geometry(k: tuple, s: tuple, dil: tuple, op: str, as2d: bool) -> None:
    """Raise PyTorch's error for a non-positive kernel size, stride or dilation: its own
    1-d max pool names the argument; the others (1-d ones run as 2-d, height 1) list it."""
    if op == "max_pool1d" and not as2d:
        for name, v in (("kernel_size", k), ("stride", s), ("dilation", dil)):
            if v[0] <= 0:
                raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got "
                                   f"{v[0]}")
    if len(k) == 1:
        k, s, dil = (1,) + k, (1,) + s, (1,) + dil
    axes = ("T", "H", "W")[-len(k):]
    if 0 in s:
        raise RuntimeError("stride should not be zero")
    for what, prefix, v in (("kernel size", "k", k), ("stride", "d", s),
                            ("dilation", "dilation", dil)):
        if min(v) <= 0:
            got = " ".join(f"{prefix}{a}: {n}" for a, n in zip(axes, v))
            raise RuntimeError(f"{what} should be greater than zero, but got {got}")


def _args(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
          ceil_mode: bool, d: int, op: str, as2d: bool = False) -> tuple:
    check_input(input, d, op)
    k = pool_tuple(kernel_size, d, "kernel_size", op, as2d=as2d)
    s = pool_tuple(stride, d, "stride", op, default=k, as2d=as2d)
    p = pool_tuple(padding, d, "padding", op, as2d=as2d)
    dil = pool_tuple(dilation, d, "dilation", op, as2d=as2d)
    if min(k + s + dil) <= 0:
        _bad_geometry(k, s, dil, op, as2d)
    if op == "avg_pool3d" and any(n < kk for n, kk in zip(input.shape[-3:], k)):
        # PyTorch's 3-d average pool wants the unpadded input to hold a whole window
        T, H, W = input.shape[-3:]
        raise RuntimeError(f"input image (T: {T} H: {H} W: {W}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    for pp, kk in zip(p, k):
        if pp < 0 or pp > kk // 2:  # (max pools: of the undilated kernel, as PyTorch's)
            _bad_padding(k, p, dil, op, as2d)
    x = input._data
    S = x.shape[-d:]
    Q = pool_out_size(S, k, s, p, dil, ceil_mode)
    if any(q <= 0 for q in Q):
        raise _too_small(x, d, Q, op, as2d)
    hi = tuple(max(0, (q - 1) * st + dl * (kk - 1) + 1 - n - pp)
               for q, st, dl, kk, n, pp in zip(Q, s, dil, k, S, p))
    return k, s, p, dil, S, Q, K.Geom(s, dil, p, hi)


def injective(k: tuple, Q: tuple, geom: K.Geom) -> bool:
    """Whether no input position lies in two windows (then scatters may assign, not add)."""
    for kk, q, st, dl in zip(k, Q, geom.stride, geom.dilation):
        if kk > 1 and q > 1 and st < dl * (kk - 1) + 1:
            pos = {o * st + j * dl for o in range(q) for j in range(kk)}
            if len(pos) != q * kk:
                return False
    return True


def _slices(xpd: Any, k: tuple, Q: tuple, geom: K.Geom) -> list:
    return [xpd[(Ellipsis,) + K.window(kidx, Q, geom.stride, geom.dilation)]
            for kidx in K.offsets(k)]


def _lowest(xp: Any, dt: Any) -> Any:
    return -math.inf if dt.kind in "fc" or dt.name == "bfloat16" else xp.iinfo(dt).min


def first_argmax(xp: Any, slices: list, best: Any) -> Any:
    """The first slice holding each maximum (the last NaN where there is one), as small ints."""
    n = len(slices)
    itype = "uint8" if n < 256 else "int32"
    if n == 1:
        return xp.zeros(best.shape, dtype=itype)
    nf = slices[0] != best
    idx = nf.astype(itype)
    for sl in slices[1:-1]:
        nf &= sl != best
        idx += nf
    if best.dtype.kind in "fV":  # (V: bfloat16)
        nan = best != best
        if nan.any():
            for q, sl in enumerate(slices):
                idx[nan & (sl != sl)] = q
    return idx


def _max_windows(xp: Any, x: Any, k: tuple, Q: tuple, geom: K.Geom, want_idx: bool) -> tuple:
    """Each window's maximum, and the offset of its first maximum (``first_argmax``) when
    ``want_idx``; the planes (batch and channels) are split over the op threads."""
    d = len(Q)
    lead = x.shape[:x.ndim - d]
    planes = x.reshape((-1,) + x.shape[x.ndim - d:])
    P = planes.shape[0]
    best = xp.empty((P,) + Q, dtype=x.dtype)
    n = len(K.offsets(k))
    idx = xp.empty((P,) + Q, dtype="uint8" if n < 256 else "int32") if want_idx else None
    low = _lowest(xp, x.dtype)

    @quietly  # bfloat16 NaNs make NumPy warn in maximum; PyTorch is silent
    def part(ps: slice) -> None:
        slices = _slices(K.padded(xp, planes[ps], geom.lo, geom.hi, low), k, Q, geom)
        out = best[ps]
        if len(slices) == 1:
            out[...] = slices[0]
        else:
            xp.maximum(slices[0], slices[1], out=out)
            for sl in slices[2:]:
                xp.maximum(out, sl, out=out)
        if idx is not None:
            idx[ps] = first_argmax(xp, slices, out)

    split(xp, P, best.size * n, part)
    return best.reshape(lead + Q), None if idx is None else idx.reshape(lead + Q)


def max_scatter(xp: Any, g: Any, idx: Any, k: tuple, Q: tuple, geom: K.Geom, S: tuple,
                inj: bool) -> Any:
    """Gradient of a max pool: ``g`` written where each window's maximum was.

    Where windows overlap, an input that is the maximum of several gets their sum, added in
    the order of the outputs, as PyTorch does (with three or more terms the order shows).
    """
    lead = g.shape[:g.ndim - len(S)]
    Sp = tuple(n + a + b for n, a, b in zip(S, geom.lo, geom.hi))
    gp, ip = g.reshape((-1,) + Q), idx.reshape((-1,) + Q)
    if xp.__name__ == "numpy" and g.dtype.kind == "f" and g.dtype.itemsize >= 4:
        gx = xp.zeros((gp.shape[0],) + Sp, dtype=g.dtype)
        xp.add.at(gx.reshape(-1), _flat_targets(xp, ip, k, Q, geom, Sp), gp.reshape(-1))
    else:
        gx = _scatter_by_offset(xp, gp, ip, k, Q, geom, Sp, inj)
    gx = gx.reshape(lead + Sp)
    # the input's share of the padded planes, in C order as PyTorch's gradients are
    return c_order(xp, gx[(Ellipsis,) + tuple(slice(a, a + n) for a, n in zip(geom.lo, S))])


def _flat_targets(xp: Any, ip: Any, k: tuple, Q: tuple, geom: K.Geom, Sp: tuple) -> Any:
    """Each output's winning input as a flat position in the padded planes ``(P, *Sp)``, in
    output order (``ufunc.at`` then adds in that order, in one quick pass)."""
    d = len(Sp)
    pitch = [math.prod(Sp[t + 1:]) for t in range(d)]
    table = xp.asarray([sum(o * dl * p for o, dl, p in zip(kidx, geom.dilation, pitch))
                        for kidx in K.offsets(k)], dtype=xp.intp)
    start = 0  # each output's window corner in its plane
    for t in range(d):
        shape = [1] * d
        shape[t] = Q[t]
        start = start + (xp.arange(Q[t], dtype=xp.intp) * (geom.stride[t] * pitch[t])).reshape(
            shape)
    planes = ip.shape[0]
    flat = xp.take(table, ip.reshape(planes, math.prod(Q)))
    flat += xp.arange(planes, dtype=xp.intp)[:, None] * math.prod(Sp) + xp.reshape(start, -1)
    return flat.reshape(-1)


def _scatter_by_offset(xp: Any, gp: Any, ip: Any, k: tuple, Q: tuple, geom: K.Geom,
                       Sp: tuple, inj: bool) -> Any:
    """``max_scatter`` on any backend: one masked write per kernel offset, the offsets in
    reverse (for overlapping windows, the order of the outputs), the planes split over the
    op threads."""
    gx = xp.zeros((gp.shape[0],) + Sp, dtype=gp.dtype)
    wins = [(Ellipsis,) + K.window(kidx, Q, geom.stride, geom.dilation)
            for kidx in K.offsets(k)]

    def part(ps: slice) -> None:
        dst_planes, gs, ids = gx[ps], gp[ps], ip[ps]
        for q in range(len(wins) - 1, -1, -1):
            dst = dst_planes[wins[q]]
            if inj:
                xp.multiply(gs, ids == q, out=dst)
            else:
                dst += gs * (ids == q)

    split(xp, gx.shape[0], gp.size * len(wins), part)
    return gx


def max_gather(xp: Any, gg: Any, idx: Any, k: tuple, Q: tuple, geom: K.Geom) -> Any:
    """The adjoint of ``max_scatter``: each window's value at its maximum."""
    ggp = K.padded(xp, gg, geom.lo, geom.hi)
    out = None
    for q, sl in enumerate(_slices(ggp, k, Q, geom)):
        term = sl * (idx == q)
        out = term if out is None else out + term
    return out


def flat_indices(xp: Any, idx: Any, k: tuple, Q: tuple, geom: K.Geom, S: tuple,
                 best: Any = None) -> Any:
    """Winning offsets turned into PyTorch's indices: flat positions in each input plane.

    Given ``best`` (the window maxima), a window whose maximum is the lowest value (all -inf,
    or all padding) gets PyTorch's starting index: its start, each coordinate stepped by the
    dilation out of the left padding."""
    offs = K.offsets(k)
    d = len(S)
    flat = first = None
    for t in range(d):
        table = xp.asarray([o[t] for o in offs], dtype="int64")
        shape = [1] * d
        shape[t] = Q[t]
        o = xp.arange(Q[t], dtype="int64").reshape(tuple(shape)) * geom.stride[t] - geom.lo[t]
        pos = o + xp.take(table, idx.astype("int64")) * geom.dilation[t]
        flat = pos if flat is None else flat * S[t] + pos
        o0 = o + (-o).clip(0, None) // -geom.dilation[t] * -geom.dilation[t]  # ceil to >= 0
        first = o0 if first is None else first * S[t] + o0
    if best is None or not any(geom.lo):  # without padding the first tap is the start
        return flat
    return xp.where(best == _lowest(xp, best.dtype), first, flat)


def cl_1d(input: Tensor) -> Any:
    """``channels_last`` where a batched 1-d pool's input, unsqueezed to ``(N, C, 1, L)`` as
    PyTorch's 2-d kernel sees it, looks channels-last (its output is then ``(N, L, C)`` in
    memory), else None."""
    if input.ndim != 3:
        return None
    n, c, length = input.shape
    s = input.stride()
    fmt = suggest_format((n, c, 1, length), (s[0], s[1], s[2] * length, s[2]))
    return fmt if fmt is channels_last else None


def nlc(xp: Any, a: Any) -> Any:
    """An ``(N, C, L)`` array laid out ``(N, L, C)`` in memory."""
    t = xp.swapaxes(a, 1, 2)
    out = xp.empty(t.shape, dtype=a.dtype)  # fresh: PyTorch's strides on size-1 dims too
    out[...] = t
    return xp.swapaxes(out, 1, 2)


def pool_laid(xp: Any, a: Any, fmt: Any) -> Any:
    """``a`` laid out in ``fmt`` (a 1-d pool's channels-last meaning ``(N, L, C)`` memory
    order), C order for None."""
    if fmt is None:
        return c_order(xp, a)
    return nlc(xp, a) if a.ndim == 3 else laid_as(xp, a, fmt)


def _not_implemented(kernel: str, dtype: Any) -> NotImplementedError:
    from .pointwise_unary import not_implemented

    return not_implemented(kernel, dtype)


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, d: int, op: str) -> Any:
    try:
        k, s, p, dil, S, Q, geom = _args(input, kernel_size, stride, padding, dilation,
                                         ceil_mode, d, op, as2d=return_indices)
    except AttributeError:  # a NumPy array or a list: PyTorch's TypeError
        from .pointwise_unary import not_tensor

        if not isinstance(input, Tensor):
            raise not_tensor(op, input) from None
        raise
    xp = input._device._backend.xp
    x = input._data
    if x.dtype.kind in "biuc" and (x.dtype.kind in "bc" or (d == 1 and not return_indices)):
        # the names of PyTorch's kernels (its 1-d one without indices takes floats only)
        kernel = {1: "max_pool2d" if return_indices else "max_pool1d_impl", 2: "max_pool2d",
                  3: "max_pool3d"}[d]
        raise _not_implemented(kernel, x.dtype)
    if d == 3 and x.ndim == 4 and cl_format(x) is channels_last:  # unbatched, as PyTorch
        raise RuntimeError("Unsupported memory format. Supports only ChannelsLast3d, Contiguous")
    grad = grad_state.enabled and input._rg
    best, idx = _max_windows(xp, x, k, Q, geom, grad or return_indices)
    # PyTorch keeps a channels-last layout (its 1-d op without indices or grad gives C order)
    fmt = cl_format(x) if d > 1 else cl_1d(input) if grad or return_indices else None
    res = make(pool_laid(xp, best, fmt), input._device)
    if grad:
        inj = injective(k, Q, geom)

        def scatter(xp: Any, g: Any) -> Any:
            return pool_laid(xp, max_scatter(xp, g, idx, k, Q, geom, S, inj), fmt)

        def gather(xp: Any, gg: Any) -> Any:
            return max_gather(xp, gg, idx, k, Q, geom)

        name = f"MaxPool{d}DWithIndicesBackward0"
        back = name.replace("Backward0", "BackwardBackward0")
        record(name, res, (input,), lambda g, x: (adjoint_of(g, x, scatter, gather, back, name),),
               (input,))
    if return_indices:
        return res, make(pool_laid(xp, flat_indices(xp, idx, k, Q, geom, S, best), fmt),
                         input._device)
    return res


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``."""
    return _squeezed(_max_pool(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices, 1, "max_pool1d"))


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; indices are flat per plane."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2,
                     "max_pool2d")


@autocast_op("max_pool3d")
def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3,
                     "max_pool3d")


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """``max_pool1d`` returning ``(output, indices)`` (``return_indices`` is ignored, as in
    PyTorch, whose signature defaults it to False)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """``max_pool2d`` returning ``(output, indices)`` (``return_indices`` is ignored, as in
    PyTorch, whose signature defaults it to False)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """``max_pool3d`` returning ``(output, indices)`` (``return_indices`` is ignored, as in
    PyTorch, whose signature defaults it to False)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ------------------------------------------------------------------ average pooling
def _divisor(xp: Any, S: tuple, k: tuple, Q: tuple, geom: K.Geom, count_include_pad: bool,
             divisor_override: int | None, dtype: Any) -> Any:
    if divisor_override is not None:
        return divisor_override
    div = None
    d = len(S)
    for t in range(d):
        start = [o * geom.stride[t] - geom.lo[t] for o in range(Q[t])]
        end = [min(a + k[t], S[t] + geom.lo[t]) for a in start]
        if count_include_pad:
            sizes = [e - a for a, e in zip(start, end)]
        else:
            sizes = [min(e, S[t]) - max(a, 0) for a, e in zip(start, end)]
        shape = [1] * d
        shape[t] = Q[t]
        v = xp.asarray(sizes, dtype=dtype).reshape(tuple(shape))
        div = v if div is None else div * v
    return div


def avg_sum(xp: Any, x: Any, k: tuple, Q: tuple, geom: K.Geom) -> Any:
    """The sum of each (zero-padded) window."""
    slices = _slices(K.padded(xp, x, geom.lo, geom.hi), k, Q, geom)
    acc = slices[0].copy()
    for sl in slices[1:]:
        acc += sl
    return acc


def avg_spread(xp: Any, g: Any, k: tuple, Q: tuple, geom: K.Geom, S: tuple, inj: bool) -> Any:
    """The adjoint of ``avg_sum``: each window's value added to all its positions."""
    lead = g.shape[:g.ndim - len(S)]
    Sp = tuple(n + a + b for n, a, b in zip(S, geom.lo, geom.hi))
    # windows that tile the padded input exactly: plain assignment into an empty array
    tile = all(st == kk and q * kk == n for st, kk, q, n in zip(geom.stride, k, Q, Sp))
    gx = (xp.empty if tile else xp.zeros)(lead + Sp, dtype=g.dtype)
    for kidx in K.offsets(k):
        win = (Ellipsis,) + K.window(kidx, Q, geom.stride, geom.dilation)
        if inj:
            gx[win] = g
        else:
            gx[win] += g
    # the input's share of the padded planes, in C order as PyTorch's gradients are
    return c_order(xp, gx[(Ellipsis,) + tuple(slice(a, a + n) for a, n in zip(geom.lo, S))])


def _avg_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None, d: int, op: str) -> Tensor:
    k, s, p, dil, S, Q, geom = _args(input, kernel_size, stride, padding, 1, ceil_mode, d, op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    xp = input._device._backend.xp
    dt = input._data.dtype
    if dt.kind in "biuc" and dt.name != "int64":  # the names of PyTorch's kernels
        kernel = {1: "avg_pool2d", 2: "avg_pool2d", 3: "avg_pool3d_out_frame"}[d]
        raise _not_implemented(kernel, dt)
    if d == 3 and dt.name in ("float16", "bfloat16") and input._device.type == "cpu":
        raise _not_implemented("avg_pool3d_out_frame", dt)  # PyTorch's CPU has no half kernel
    integral = dt.kind in "iu"
    ct = "float32" if dt.name in ("float16", "bfloat16") else dt
    div = _divisor(xp, S, k, Q, geom, count_include_pad, divisor_override,
                   "int64" if integral else ct)
    inj = injective(k, Q, geom)

    def fwd(xp: Any, x: Any) -> Any:
        acc = avg_sum(xp, x.astype(ct) if ct != dt else x, k, Q, geom)
        if integral:  # C++ integer division: truncate toward zero
            q = xp.abs(acc) // div
            return xp.where(acc < 0, -q, q).astype(dt)
        acc /= div
        return acc.astype(dt) if ct != dt else acc

    def adj(xp: Any, g: Any) -> Any:
        gx = avg_spread(xp, (g.astype(ct) if ct != dt else g) / div, k, Q, geom, S, inj)
        return gx.astype(dt) if ct != dt else gx

    # PyTorch's 2-d kernel keeps a channels-last layout (its 3-d one gives C order)
    fmt = cl_format(input._data) if d == 2 else None
    if d == 1 and cl_1d(input) is not None:  # the 2-d kernel on an unsqueezed input
        return linear_op_cl(input, lambda xp, a: nlc(xp, fwd(xp, a)),
                            lambda xp, g: nlc(xp, adj(xp, g)), "AvgPool1DBackward0", None,
                            keeps_input=True)
    return linear_op_cl(input, fwd, adj, f"AvgPool{d}DBackward0", fmt, keeps_input=True)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``."""
    return _squeezed(_avg_pool(input, kernel_size, stride, padding, ceil_mode,
                               count_include_pad, None, 1, "avg_pool1d"))


def _squeezed(res: Any) -> Any:
    """A 1-d pool's output (or output and indices), its node named as PyTorch's: its 1-d
    pools run the 2-d kernel on an unsqueezed input and squeeze the result."""
    renamed(res[0] if isinstance(res, tuple) else res, "SqueezeBackward1")
    return res


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling; ``divisor_override`` replaces the window size as divisor."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


@autocast_op("avg_pool3d")
def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """3-D average pooling."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


from . import pooling_adaptive as _adaptive  # noqa: E402
from .pooling_adaptive import *  # noqa: E402,F403

__all__ += _adaptive.__all__
