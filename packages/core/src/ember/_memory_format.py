"""Memory formats: PyTorch's rules for which strides a new tensor gets, over backend arrays.

``contiguous_format`` is C order; ``channels_last`` (4-D) and ``channels_last_3d`` (5-D)
put the channel dim innermost (NHWC / NDHWC in memory, NCHW / NCDHW logically);
``preserve_format`` keeps the input's strides where it is dense and non-overlapping, else
the format its strides suggest. Everything here works on shapes and element strides, so
the same rules serve every backend; arrays are laid out as a transpose of a C-ordered one.
"""

from __future__ import annotations

from typing import Any

from ._layouts import (
    _contiguous_strides,
    channels_last,
    channels_last_3d,
    contiguous_format,
    preserve_format,
)

# the dims from innermost to outermost, and the rank each channels-last format needs
_CL_ORDER = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}
_CL_RANK = {channels_last: 4, channels_last_3d: 5}
# the dims from outermost to innermost (the memory order) of a channels-last layout
_CL_PERM = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}


def elem_strides(arr: Any) -> tuple[int, ...] | None:
    """``arr``'s strides in elements, or None for a backend without strides."""
    st = getattr(arr, "strides", None)
    if st is None:
        return None
    isz = arr.dtype.itemsize
    return tuple(s // isz for s in st)


def check_format(fmt: Any, ndim: int) -> None:
    """PyTorch's refusal of a channels-last format for a tensor of the wrong rank."""
    need = _CL_RANK.get(fmt)
    if need is not None and ndim != need:
        raise RuntimeError(f"required rank {need} tensor to use {fmt.name} format")
    if fmt is not None and fmt not in _ALL:
        raise TypeError(f"memory_format must be ember.memory_format, not {type(fmt).__name__}")


def is_cl_contiguous(fmt: Any, shape: tuple, strides: tuple) -> bool:
    """Whether ``strides`` are exactly ``fmt``'s (size-1 dims may have any stride)."""
    order = _CL_ORDER[fmt]
    if len(shape) != len(order):
        return False
    expected = 1
    for d in order:
        n = shape[d]
        if n != 1:
            if strides[d] != expected:
                return False
            expected *= n
    return True


def strides_like_cl(fmt: Any, shape: tuple, strides: tuple) -> bool:
    """PyTorch's guess that a (possibly non-dense) layout is ``fmt``: strides grow from the
    channel dim outwards; ambiguous cases (a trivial C, N111) count as contiguous."""
    order = _CL_ORDER[fmt]
    if len(shape) != len(order) or strides[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or strides[d] < low:
            return False
        if d == 0 and low == strides[1]:
            return False
        low = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return True


def suggest_format(shape: tuple, strides: tuple) -> Any:
    """The format a layout suggests: channels-last where the strides look like it."""
    n = len(shape)
    if n == 4 and strides_like_cl(channels_last, shape, strides):
        return channels_last
    if n == 5 and strides_like_cl(channels_last_3d, shape, strides):
        return channels_last_3d
    return contiguous_format


def dense_order(shape: tuple, strides: tuple) -> list[int] | None:
    """The dims outermost first when the layout is dense and non-overlapping, else None."""
    n = len(shape)
    if n == 1:
        return [0] if shape[0] < 2 or strides[0] == 1 else None
    # innermost first; size-0/1 dims last (any stride is fine for them)
    inner = sorted(range(n), key=lambda d: (shape[d] < 2, strides[d]))
    need = 1
    for d in inner:
        if shape[d] < 2:
            break
        if strides[d] != need:
            return None
        need *= shape[d]
    return inner[::-1]


def infer_dense(shape: tuple, strides: tuple) -> tuple:
    """The dense layout that keeps a non-dense input's dim order (PyTorch's
    infer_dense_strides): dims sorted innermost first by stride, broadcast (stride-0) dims
    left where they are, equal strides put the larger dim outside."""
    n = len(shape)
    inner = list(range(n - 1, -1, -1))
    for i in range(1, n):  # an insertion sort that steps over ambiguous pairs
        j = i
        for k in range(i - 1, -1, -1):
            sa, sb = strides[inner[k]], strides[inner[j]]
            if sa == 0 or sb == 0 or (sa == sb and shape[inner[k]] <= shape[inner[j]]):
                continue
            if sa < sb:
                break
            inner[k], inner[j] = inner[j], inner[k]
            j = k
    out, acc = [0] * n, 1
    for d in inner:
        out[d] = acc
        if shape[d] > 1:
            acc *= shape[d]
    return tuple(inner[::-1]), tuple(out)


def layout_of(fmt: Any, shape: tuple, strides: tuple | None) -> tuple | None:
    """The (memory order, exact strides) a result in ``fmt`` gets; None: C order.

    ``preserve_format`` keeps a dense input's exact strides (as PyTorch's empty_strided),
    else the input's dim order made dense."""
    if fmt is preserve_format:
        if strides is None:
            return None
        order = dense_order(shape, strides)
        if order is None:
            order, strides = infer_dense(shape, strides)
        if list(order) == sorted(order) and _contiguous_strides(shape) == strides:
            return None
        return tuple(order), strides
    perm = _CL_PERM.get(fmt)
    return None if perm is None else (perm, perm_strides(shape, perm))


def cl_order(fmt: Any) -> tuple:
    """The dims of ``fmt`` (a channels-last format) outermost first."""
    return _CL_PERM[fmt]


def perm_strides(shape: tuple, perm: tuple) -> tuple:
    """The strides of a C-ordered array of the dims in ``perm`` order, transposed back."""
    out, acc = [0] * len(shape), 1
    for d in reversed(perm):
        out[d] = acc
        acc *= max(shape[d], 1)
    return tuple(out)


def empty(xp: Any, shape: tuple, dtype: Any, layout: tuple | None) -> Any:
    """An uninitialised array of ``shape`` laid out as ``layout`` (from :func:`layout_of`)."""
    if layout is None:
        return xp.empty(shape, dtype=dtype)
    perm, exact = layout
    arr = xp.empty(tuple(shape[d] for d in perm), dtype=dtype)
    arr = xp.transpose(arr, _inverse(perm)) if hasattr(xp, "transpose") else arr.transpose(
        _inverse(perm))
    return restride(xp, arr, exact)


def laid_out(xp: Any, arr: Any, layout: tuple | None) -> Any:
    """A copy of ``arr`` (same dtype) in ``layout``; C order for None."""
    if layout is None:
        # NumPy's ascontiguousarray makes a 0-d array 1-d
        out = xp.ascontiguousarray(arr) if arr.ndim and hasattr(xp, "ascontiguousarray") else arr
        return xp.asarray(arr, copy=True) if out is arr else out
    out = empty(xp, arr.shape, arr.dtype, layout)
    out[...] = arr
    return out


def laid_like(xp: Any, r: Any, src: Any, fmt: Any = None) -> Any:
    """``r`` (shaped as ``src``, holding its values) laid out as ``fmt`` (None: preserve)
    says for ``src``: in ``src``'s dim order by default, as the PyTorch kernels that allocate
    ``empty_like(input)`` (sort, flip, index_fill, clone) do; ``r`` itself when it already is
    so laid out (size-1 dims' strides included)."""
    st = elem_strides(src)
    if st is None or (fmt in (None, preserve_format)
                      and (src.ndim == 0 or st == elem_strides(r))):
        return r
    layout = layout_of(fmt or preserve_format, src.shape, st)
    if layout is None:
        flags = getattr(r, "flags", None)
        return r if flags is None or flags.c_contiguous else laid_out(xp, r, None)
    return r if elem_strides(r) == layout[1] else laid_out(xp, r, layout)


def iter_layout(shape: tuple, arrays: tuple) -> tuple | None:
    """The layout PyTorch's TensorIterator gives the result of a pointwise op over
    ``arrays`` (broadcast to ``shape``), as :func:`layout_of` returns it (None: C order).

    Operands of one shape that are all contiguous, all channels-last, or all dense with the
    same strides give that layout; otherwise dims are sorted innermost first by stride, the
    first operand (in argument order) whose strides differ for a pair deciding it, broadcast
    dims left to the next operand, equal strides putting the larger dim outside."""
    nd = len(shape)
    strides = [elem_strides(a) for a in arrays]
    if nd < 2 or any(st is None for st in strides):
        return None
    if all(tuple(a.shape) == tuple(shape) for a in arrays):
        if all(a.flags.c_contiguous for a in arrays):
            return None
        for fmt in (channels_last, channels_last_3d):
            if nd == _CL_RANK[fmt] and all(is_cl_contiguous(fmt, shape, st) for st in strides):
                return layout_of(fmt, shape, None)
        last = strides[-1]  # PyTorch copies the last operand's strides
        order = dense_order(shape, last)
        if order is not None and all(st == last for st in strides):
            return tuple(order), last
    ops = []
    for a, st in zip(arrays, strides):
        off = nd - a.ndim  # a broadcast dim steps 0
        ops.append([0] * off + [0 if a.shape[i] == 1 and shape[off + i] != 1 else st[i]
                                for i in range(a.ndim)])
    perm = reorder_dimensions(shape, ops)
    if perm == list(range(nd - 1, -1, -1)):
        return None
    order = tuple(perm[::-1])
    return order, perm_strides(shape, order)


def dense_like_result(xp: Any, arr: Any) -> Any:
    """A dense copy of ``arr`` (an expanded array: some stride 0) laid out as PyTorch lays out
    the result of an op over it (:func:`iter_layout`). A cast or a copy with NumPy's order K
    would put the stride-0 dims innermost; casting this copy keeps PyTorch's order."""
    return laid_out(xp, arr, iter_layout(arr.shape, (arr,)))


def reorder_dimensions(shape: tuple, ops: list) -> list:
    """TensorIterator's ``reorder_dimensions``: the dims of ``shape``, innermost first, sorted
    by the operands' element strides ``ops`` (0 for a broadcast dim); an insertion sort that
    steps over the pairs no operand orders."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        j = i
        for k in range(i - 1, -1, -1):
            cmp = _should_swap(ops, shape, perm[k], perm[j])
            if cmp > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif cmp < 0:
                break
    return perm


def _should_swap(ops: list, shape: tuple, d0: int, d1: int) -> int:
    for st in ops:
        s0, s1 = st[d0], st[d1]
        if s0 == 0 or s1 == 0:
            continue
        if s0 != s1:
            return -1 if s0 < s1 else 1
        if shape[d0] > shape[d1]:
            return 1
    return 0


def iter_laid(xp: Any, r: Any, arrays: tuple) -> Any:
    """The result ``r`` of a pointwise op over ``arrays`` laid out as PyTorch lays it out
    (:func:`iter_layout`); ``r`` itself when it already is."""
    if r.ndim < 2 or all(getattr(a, "flags", None) is not None and a.flags.c_contiguous
                         for a in arrays) and (1 not in r.shape or all(
                             a.shape == r.shape for a in arrays)):
        return r  # C-ordered operands: NumPy's result is C-ordered too (size-1 dims aside)
    layout = iter_layout(r.shape, arrays)
    if layout is None:
        return r if r.flags.c_contiguous else laid_out(xp, r, None)
    return r if elem_strides(r) == layout[1] else laid_out(xp, r, layout)


def pointwise_laid(xp: Any, r: Any, *operands: Any) -> Any:
    """A pointwise op's result over NumPy operands laid out as PyTorch's TensorIterator lays it
    out (:func:`iter_layout`), where NumPy, meeting operands of different layouts, falls back
    to C order; number operands (and None) have no say. Callers on a hot path test first that
    some operand is not C-ordered."""
    if getattr(r, "ndim", 0) < 2:
        return r
    for a in operands:
        if getattr(a, "ndim", 0) and not _row_ordered(a):
            return iter_laid(xp, r, tuple(a for a in operands if getattr(a, "ndim", 0)))
    return r  # C-ordered or sliced views (a chunk of a row): C order is PyTorch's too


def _row_ordered(a: Any) -> bool:
    """Whether ``a``'s strides fall from the outer dims inward (a C-ordered array, or a view
    that slices one), size-1 and broadcast dims aside."""
    if a.flags.c_contiguous:
        return True
    last = None
    strides = a.strides
    for i, n in enumerate(a.shape):
        st = strides[i]
        if n != 1 and st:
            if last is not None and st > last:
                return False
            last = st
    return True


def strided_view(xp: Any, a: Any, shape: tuple, strides: tuple) -> Any:
    """A view of ``a``'s memory with ``shape`` and byte ``strides``; read-only on NumPy (its
    elements may overlap, as a broadcast's or an unfolded window's do)."""
    st = xp.lib.stride_tricks
    if xp.__name__ == "numpy":
        return st.as_strided(a, shape, strides, writeable=False)
    return st.as_strided(a, shape, strides)


def restride(xp: Any, arr: Any, exact: tuple | None) -> Any:
    """Give size-0/1 dims the exact strides asked for (they never step through memory)."""
    if exact is None or elem_strides(arr) == tuple(exact):
        return arr
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    if tricks is None:
        return arr
    isz = arr.dtype.itemsize
    return tricks.as_strided(arr, arr.shape, tuple(s * isz for s in exact))


def _inverse(perm: tuple) -> tuple:
    inv = [0] * len(perm)
    for i, d in enumerate(perm):
        inv[d] = i
    return tuple(inv)


_ALL = (contiguous_format, channels_last, channels_last_3d, preserve_format)
