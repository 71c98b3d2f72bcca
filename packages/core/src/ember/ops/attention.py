"""Dense layers and attention: ``linear``, ``bilinear`` and ``scaled_dot_product_attention``.

Each is one fused node whose derivative is a few matrix products, written once over
``_nn_math``'s namespace (arrays in a plain backward, Ember ops under create_graph).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd._graph_view import linear_node_name, linear_view
from . import _blas
from ._autocast import autocast_op
from ._dispatch import Tensor, also_saves, grad_state, leave_unchecked, make, record, sum_to
from ._nn_math import arrays, const, grad_of, row_sum, softmax_last

__all__ = ["bilinear"]


def _matmul_f32(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b``; half precision goes through float32 (NumPy has no half BLAS)."""
    if a.dtype.itemsize < 4 and a.dtype.kind in "fV" and xp.__name__ == "numpy":  # V: bfloat16
        # an expanded (stride-0) operand is cast in C order: NumPy's order K would permute
        # its copy, and the product's layout with it
        a32, b32 = (t.astype("float32", order="C" if 0 in t.strides else "K") for t in (a, b))
        return _blas.matmul(xp, a32, b32).astype(a.dtype)
    return _blas.matmul(xp, a, b)


def _linear_not_tensor(input: Any, weight: Any) -> TypeError:
    """PyTorch's refusal of a non-tensor ``input`` or ``weight`` to ``linear``."""
    from .pointwise_unary import not_tensor

    if not isinstance(input, Tensor):
        return not_tensor("linear", input)
    return not_tensor("linear", weight, 2, "weight")


@autocast_op("linear")
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    try:
        x, w = input._data, weight._data
    except AttributeError:  # a NumPy array or a list passed to a model: PyTorch's TypeError
        raise _linear_not_tensor(input, weight) from None
    if x.dtype != w.dtype or (bias is not None and (
            bias._data.dtype != w.dtype or w.ndim != 2 or bias._data.shape != w.shape[:1])) \
            or (w.ndim == 2 and x.ndim and x.shape[-1] != w.shape[1]):
        _refuse_operands(input, weight, bias)  # PyTorch's errors, in its order
    xp = input._device._backend.xp
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if x.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D "
                           f"and {w.ndim}D")
    if x.shape[-1] != w.shape[-1]:
        lead = x.reshape(-1, x.shape[-1]).shape if x.ndim > 1 else (1, x.shape[0])
        raise RuntimeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied ({lead[0]}x{lead[1]} and "
            f"{w.shape[-1] if w.ndim == 2 else w.shape[0]}x{w.shape[0] if w.ndim == 2 else 1})")
    if x.dtype != w.dtype or x.dtype.kind == "b":  # PyTorch's matrix product refuses these
        from .linalg import _check_pair

        _check_pair("linear", input, weight.t() if w.ndim == 2 else weight)
    half = x.dtype.itemsize < 4 and x.dtype.kind in "fV" and xp.__name__ == "numpy"
    if half:  # PyTorch's CPU: product and bias in float32, rounded once
        out_dtype, x, w = x.dtype, x.astype("float32"), w.astype("float32")
    if w.ndim == 2 and x.ndim > 2:  # one 2-D product instead of one per leading index
        y = _blas.matmul(xp, x.reshape(math.prod(x.shape[:-1]), x.shape[-1]), w.T).reshape(
            x.shape[:-1] + (w.shape[0],))
    else:
        y = _blas.matmul(xp, x, w.T if w.ndim == 2 else w)
    if bias is not None:
        b = bias._data.astype("float32") if half else bias._data
        if b.dtype == y.dtype and b.ndim <= 1 and y.ndim:
            y += b  # the product is a fresh array: add in place
        else:
            shape = y.shape
            try:
                y = y + b
            except ValueError:
                raise _bias_error(shape, b.shape) from None
            if y.shape != shape:  # PyTorch adds the bias in place into the product
                raise RuntimeError(f"output with shape {list(shape)} doesn't match the "
                                   f"broadcast shape {list(y.shape)}")
    if half:
        y = y.astype(out_dtype)
    res = make(y if y.__class__ is input._device._backend.ndarray else xp.asarray(y),
               input._device)
    if grad_state.enabled and (input._rg or weight._rg or (bias is not None and bias._rg)):
        needs = (input._rg, weight._rg, bias is not None and bias._rg)
        bshape = tuple(bias.shape) if bias is not None else None
        # the bias gradient sums the rows of the 2-D gradient unless the bias broadcasts
        row_bias = needs[2] and w.ndim == 2 and bshape == (w.shape[0],)

        def grads(m: Any, g: Any, x: Any, w: Any) -> tuple:
            gx = gw = gb = None
            if x.is_complex() if m.tensor else x.dtype.kind == "c":
                x, w = m.conj(x), m.conj(w)  # each gradient takes the other's conjugate
            if w.ndim == 1:  # a vector weight: the output lost the last dim
                g1 = g.reshape(tuple(g.shape) + (1,))
                gx = g1 * w if needs[0] else None
                if needs[1]:
                    gw = m.sum((g1 * x).reshape((-1, x.shape[-1])), 0) if x.ndim > 1 else g1 * x
                return gx, gw, None
            rows = math.prod(tuple(g.shape)[:-1])  # (explicit: -1 is ambiguous for size 0)
            g2 = g.reshape((rows, g.shape[-1])) if g.ndim != 2 else g
            if needs[0]:
                gx = _mm(m, g2, w)
                if g.ndim != 2:
                    gx = gx.reshape(tuple(x.shape))
            if needs[1]:
                x2 = x.reshape((rows, x.shape[-1])) if x.ndim != 2 else x
                # under create_graph as PyTorch's graph: the transposed weight's gradient, then t
                gw = _mm(m, m.mT(x2), g2).t() if m.tensor else _mm(m, m.mT(g2), x2)
            if row_bias:
                gb = m.sum(g2, 0) if g.ndim > 1 else g
                if m.tensor and g.ndim > 1:  # (summed to the bias's size, then viewed)
                    gb = gb.reshape(bshape)
            return gx, gw, gb

        def vjp(g: Tensor, x: Tensor, w: Tensor) -> tuple:
            gx, gw, gb = grad_of(grads, g, g, x, w)
            if needs[2] and not row_bias:
                gb = sum_to(g, bshape)
            return gx, gw, gb

        # one node, named like PyTorch's last; next_functions shows PyTorch's chain of nodes
        xd = input._data
        name = ("AddmmBackward0" if bias is not None else "MmBackward0") if xd.ndim == 2 and \
            w.ndim == 2 else linear_node_name(xd, w.ndim, bias is not None, len(bshape or ()))
        record(name, res, (input, weight, bias), vjp, (input, weight))
        node = res.grad_fn
        # PyTorch's mm saves each operand for the other's gradient
        leave_unchecked(node, [i for i in (0, 1) if not needs[1 - i]])
        res.grad_fn._view = (linear_view, xd.shape, xd.strides, xd.itemsize, w.shape, bshape)
        if w.ndim == 2:
            node._saved_as = _linear_saved_views(xd.shape, w.shape)
    return res


def _linear_saved_views(xs: tuple, ws: tuple) -> dict:
    """The shapes of the views PyTorch's linear saves for its product (the transposed weight;
    a 1-D input unsqueezed, a batched one flattened to rows): named in its in-place error."""
    views = {1: (ws[1], ws[0])}
    if len(xs) != 2:
        views[0] = (math.prod(xs[:-1]), xs[-1]) if len(xs) > 2 else (1, xs[0])
    return views


def _bias_error(out: tuple, bias: tuple) -> RuntimeError:
    """PyTorch's broadcasting error for a bias that does not fit the product's shape."""
    return _broadcast_error(out, bias) or RuntimeError(
        f"linear: the bias {list(bias)} does not fit the output {list(out)}")


def _broadcast_error(a: tuple, b: tuple) -> RuntimeError | None:
    """PyTorch's error for shapes ``a`` and ``b`` that do not broadcast, or None."""
    n = max(len(a), len(b))
    for d in range(1, n + 1):
        sa = a[-d] if d <= len(a) else 1
        sb = b[-d] if d <= len(b) else 1
        if sa != sb and 1 not in (sa, sb):
            return RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b "
                                f"({sb}) at non-singleton dimension {n - d}")
    return None


def _matmul_dtype_error(input: Tensor, weight: Tensor) -> RuntimeError:
    """The dtype error of PyTorch's ``matmul(input, weight.t())`` (its N-D ``linear`` without a
    bias or of a non-contiguous input): ``mm`` where it folds the input's rows (a weight that
    requires grad, an empty input, or leading dims viewable as rows), else ``bmm``."""
    from .linalg import _C_NAMES, _tname

    shape, st = input.shape, input.stride()
    fold = weight.requires_grad or input.numel() == 0 or all(
        st[i] == st[i + 1] * shape[i + 1] for i in range(input.ndim - 2))
    if not fold:
        return RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(weight)}")
    return RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                        f"{_C_NAMES.get(input.dtype.name, input.dtype.name)} != "
                        f"{_C_NAMES.get(weight.dtype.name, weight.dtype.name)}")


def _refuse_operands(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's errors for mismatched ``linear`` operands, in its order: with a bias the
    product is ``addmm`` over the input's rows (dtypes, then shapes, then the bias expanded to
    ``[rows, out]``); without one, ``matmul``. Returns when the operands are acceptable."""
    from .linalg import _tname

    if weight.ndim != 2 or input.ndim == 0:
        if bias is not None and weight.ndim == 1 and input.ndim:
            if input.dtype != weight.dtype:
                raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                                   f"{_tname(input)} and {_tname(weight)}")
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return  # the kernel's own refusals (0-D input, 3-D weight)
    if input.ndim > 2 and input.dtype != weight.dtype and (
            bias is None or not input.is_contiguous()):
        raise _matmul_dtype_error(input, weight)
    rows = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
    out = weight.shape[0]
    if bias is not None:
        if input.dtype != weight.dtype:
            raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                               f"{_tname(input)} and {_tname(weight)}")
        if bias.dtype != weight.dtype:
            raise RuntimeError("self and mat2 must have the same dtype, but got "
                               f"{_tname(bias)} and {_tname(weight)}")
    if input.shape[-1] != weight.shape[1]:
        if "meta" in (input.device.type, weight.device.type):  # PyTorch's meta kernel
            raise RuntimeError("a and b must have same reduction dim, but got "
                               f"[{rows}, {input.shape[-1]}] X [{weight.shape[1]}, {out}].")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                           f"{input.shape[-1]} and {weight.shape[1]}x{out})")
    if bias is None:
        return
    bs = tuple(bias.shape)
    if bias.ndim > 2 and input.ndim <= 2:
        return  # the kernel's broadcast refusal
    if bias.ndim <= 1 or input.ndim <= 2:  # expanded to the product's [rows, out]
        target = (rows, out)
        for i in range(1, -1, -1):
            j = i - (2 - len(bs))
            if 0 <= j < len(bs) and bs[j] not in (1, target[i]):
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[i]}) must match the existing "
                    f"size ({bs[j]}) at non-singleton dimension {i}.  Target sizes: "
                    f"{list(target)}.  Tensor sizes: {list(bs)}")
        return
    error = _broadcast_error(tuple(input.shape[:-1]) + (out,), bs)  # added to the product
    if error is not None:
        raise error


def _mm(m: Any, a: Any, b: Any) -> Any:
    if m.tensor:
        return m.matmul(a, b)
    return _matmul_f32(m.xp, a, b)


def _bilinear_shape_error(a: tuple, b: tuple, w: tuple, bias: Tensor | None) -> None:
    """Raise PyTorch's error for inputs (or a bias) that do not fit ``bilinear``'s weight."""
    if len(a) != len(b):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(a)} and {len(b)}")
    for i, (m, n) in enumerate(zip(a[:-1], b[:-1])):
        if m != n:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {m} and {n}")
    for name, got, want in (("input1", a[-1], w[1]), ("input2", b[-1], w[2])):
        if got != want:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {got} "
                               f"but expected {want}")
    raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                       f"{bias.shape[0] if bias.ndim else 0} but expected {w[0]}")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``."""
    a, b, w = input1._data, input2._data, weight._data
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, got {w.ndim}")
    if (a.shape[:-1] != b.shape[:-1] or a.shape[-1] != w.shape[1] or b.shape[-1] != w.shape[2]
            or (bias is not None and tuple(bias.shape) != (w.shape[0],))):
        _bilinear_shape_error(a.shape, b.shape, w.shape, bias)
    xp = input1._device._backend.xp
    half = a.dtype.itemsize == 2 and a.dtype.kind in "fV" and a.dtype == w.dtype == b.dtype
    if half:
        # PyTorch's _trilinear: two float32-accumulated products, each rounded to the half type
        t = xp.einsum("...i,oij->...oj", a.astype("float32"), w.astype("float32"),
                      optimize=True).astype(a.dtype)
        y = xp.einsum("...oj,...j->...o", t.astype("float32"), b.astype("float32"),
                      optimize=True).astype(a.dtype)
    else:
        y = xp.einsum("...i,oij,...j->...o", a, w, b, optimize=True)
    if bias is not None:
        y = y + bias._data
    res = make(xp.asarray(y), input1._device)
    ts = (input1, input2, weight, bias)
    if grad_state.enabled and any(t is not None and t._rg for t in ts):
        needs = tuple(t is not None and t._rg for t in ts)

        def grads(m: Any, g: Any, a: Any, b: Any, w: Any) -> tuple:
            dt = a.dtype
            if half:  # in float32, each gradient rounded once (NumPy's einsum has no bfloat16)
                g, a, b, w = (v.float() if m.tensor else v.astype("float32")
                              for v in (g, a, b, w))
            es = m.xp.einsum if not m.tensor else m.einsum
            kw = {} if m.tensor else {"optimize": True}
            ga = es("...o,oij,...j->...i", g, w, b, **kw) if needs[0] else None
            gb = es("...o,oij,...i->...j", g, w, a, **kw) if needs[1] else None
            gw = es("...o,...i,...j->oij", g, a, b, **kw) if needs[2] else None
            gbias = (m.sum(g.reshape((-1, g.shape[-1])), 0) if g.ndim > 1 else g) \
                if needs[3] else None
            if half:
                ga, gb, gw, gbias = (None if v is None else v.to(dt) if m.tensor else
                                     v.astype(dt) for v in (ga, gb, gw, gbias))
            return ga, gb, gw, gbias

        record("BilinearBackward0", res, ts,
               lambda g, a, b, w: grad_of(grads, g, g, a, b, w), (input1, input2, weight))
    return res


def _repeat_heads(t: Tensor, rep: int) -> Tensor:
    """Repeat the head dim (-3) ``rep`` times, each head kept together (``repeat_interleave``)."""
    if rep == 1:
        return t
    s = tuple(t.shape)
    return t.reshape(s[:-2] + (1,) + s[-2:]).expand(s[:-3] + (s[-3], rep) + s[-2:]).reshape(
        s[:-3] + (s[-3] * rep,) + s[-2:])


def _gqa_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Key and value with their heads (dim -3) repeated up to the query's, as PyTorch's
    ``enable_gqa`` (each divides the query's head count, or all three are equal)."""
    hq, hk, hv = query.size(-3), key.size(-3), value.size(-3)
    if hq == hk == hv:
        return key, value
    if hq % hk or hq % hv:  # PyTorch's message, cut short as it is there
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)


def _dtype_error(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None) -> None:
    """PyTorch's errors for operands (or a non-bool mask) of another dtype than the query."""
    from .linalg import _C_NAMES

    def c(t: Tensor) -> str:
        return _C_NAMES.get(t.dtype.name, t.dtype.name)

    if key.dtype is not query.dtype or value.dtype is not query.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {c(query)} key.dtype: {c(key)} and value.dtype: "
                           f"{c(value)} instead.")
    raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, "
                       f"but got attn_mask.dtype: {c(mask)} and  query.dtype: {c(query)} "
                       "instead.")


_INT_C_TYPES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
                "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
                "uint64": "uint64_t"}


def _not_float_error(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None) -> None:
    """PyTorch's refusal of a non-floating query, as its CPU dispatch meets it: the softmax
    of complex scores; a boolean mask turned into ``-inf`` of an integer type; 2-D operands'
    math path (a float scale times the query, then a matrix product); else its flash kernel."""
    from ..dtypes import _c10_name
    from .linalg import _C_NAMES

    dt = query.dtype
    if dt.is_complex:
        raise NotImplementedError(
            f"\"softmax_lastdim_kernel_impl\" not implemented for '{_c10_name(dt)}'")
    if mask is not None and mask.dtype.name == "bool" and dt.name in _INT_C_TYPES:
        raise RuntimeError(f"value cannot be converted to type {_INT_C_TYPES[dt.name]} without "
                           "overflow")
    if query.ndim == 2 and key.ndim == 2 and value.ndim == 2:
        c = {**_C_NAMES, "uint16": "short unsigned int", "uint32": "unsigned int",
             "uint64": "long unsigned int"}.get(dt.name, dt.name)
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: float != {c}")
    raise RuntimeError(f"expected scalar type Float but found {_c10_name(dt)}")


def _broadcast_batch(a: tuple, b: tuple) -> tuple:
    """The broadcast of two batch shapes, refused in PyTorch's words."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
    return tuple(max(x, y) for x, y in zip(a, b))


def _sum_to(g: Tensor, shape: tuple) -> Tensor:
    """``sum_to``, also for a mask with more (leading, size-1) dimensions than the scores."""
    if len(shape) > g.ndim:
        return sum_to(g, shape[len(shape) - g.ndim:]).reshape(shape)
    return sum_to(g, shape)


def _mask_to_scores(s: tuple, m: Any) -> Any:
    """The mask ``m`` seen with the scores' shape ``s``, or PyTorch's error: it adds the mask
    in place to the scores, which 3-D operands give as (1, B, L, S)."""
    target = (1,) + tuple(s) if len(s) == 3 else tuple(s)
    n = max(len(target), m.ndim)
    a, b = (1,) * (n - len(target)) + target, (1,) * (n - m.ndim) + tuple(m.shape)
    for i in reversed(range(n)):  # PyTorch names the last dimension that disagrees
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    full = tuple(max(x, y) for x, y in zip(a, b))
    if full != target:
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast shape "
                           f"{list(full)}")
    return m.reshape(m.shape[m.ndim - len(s):]) if m.ndim > len(s) else m


def _shape_check(q: tuple, k: tuple, v: tuple) -> None:
    """Refuse mismatched query/key/value shapes as PyTorch's math kernel (two matmuls) does."""
    def mm(a: tuple, b: tuple) -> tuple:  # a @ b, b given untransposed as (..., K, N)
        if len(a) == 2 and len(b) == 2:
            if a[1] != b[0]:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a[0]}x{a[1]} "
                                   f"and {b[0]}x{b[1]})")
            return (a[0], b[1])
        batch = _broadcast_batch(a[:-2], b[:-2])
        if a[-1] != b[-2]:
            n = math.prod(batch)
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{n}, {a[-1]}] but got: [{n}, {b[-2]}].")
        return batch + (a[-2], b[-1])
    scores = mm(tuple(q), tuple(k[:-2]) + (k[-1], k[-2]))
    mm(scores, tuple(v))


_FLASH_NODES = ("ScaledDotProductFlashAttentionForCpuBackward0", "SqueezeBackward1")


def _flash_kernel(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None) -> bool:
    """Whether PyTorch's CPU dispatch runs its flash kernel (3-D operands unsqueezed to 4-D);
    only on the error path of a negative dropout probability, which only that kernel refuses."""
    if {query.ndim, key.ndim, value.ndim} == {3}:
        query, key, value = (t.unsqueeze(0) for t in (query, key, value))
        mask = mask.unsqueeze(0) if mask is not None and mask.ndim == 3 else mask
    return _sdpa_node_name(query, key, value, mask) == _FLASH_NODES[0]


def _sdpa_node_name(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None) -> str:
    """The node PyTorch's CPU dispatch leaves: its flash kernel (when ``sdpa_kernel`` leaves
    it on) takes 4-D operands with one head size, equal batch sizes, a unit last stride and
    a constant 2-D or 4-D mask; 3-D operands run unsqueezed (a squeeze last), 2-D ones as
    plain matmuls, the rest through the math path, whose last matmul ends in a view."""
    dims = {query.ndim, key.ndim, value.ndim}
    if dims == {2}:
        return "MmBackward0"
    if dims == {3}:
        return "SqueezeBackward1"
    from ..backends import cuda as _cuda  # sdpa_kernel's switches (SDPBackend.FLASH is 1)

    flash = (dims == {4} and _cuda._sdp_enabled[1]
             and query.shape[-1] == key.shape[-1] == value.shape[-1]
             and query.shape[0] == key.shape[0] == value.shape[0]
             and all(t.stride(-1) == 1 for t in (query, key, value))
             and (mask is None or (mask.ndim in (2, 4) and not mask.requires_grad)))
    return "ScaledDotProductFlashAttentionForCpuBackward0" if flash else "UnsafeViewBackward0"


@autocast_op("scaled_dot_product_attention")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key.T * scale + mask) @ value``, with optional dropout on the weights.

    A boolean ``attn_mask`` marks the positions that take part; a float one is added. Rows
    with every position masked give zeros.
    """
    if attn_mask is not None and type(attn_mask).__name__ == "CausalBias":
        # ember.nn.attention.bias: the bias object chooses the kernel (PyTorch's dispatch)
        return type(attn_mask)._dispatch(query, key, value, attn_mask, dropout_p, is_causal,
                                         scale, enable_gqa)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: "
                           f"{value.ndim} instead.")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if dropout_p < 0 and _flash_kernel(query, key, value, attn_mask):
        # the words of PyTorch's CPU flash kernel; its math path takes it as no dropout
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not "
                           "support dropout > 0")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    dt = query.dtype
    if not dt.is_floating_point:  # PyTorch's kernels: floating types
        _not_float_error(query, key, value, attn_mask)
    if key.dtype is not dt or value.dtype is not dt or (
            attn_mask is not None and attn_mask.dtype is not dt
            and attn_mask.dtype.name not in ("bool", "float32")):  # PyTorch takes float masks
        _dtype_error(query, key, value, attn_mask)
    if enable_gqa:
        key, value = _gqa_heads(query, key, value)
    q, k, v = query._data, key._data, value._data
    xp = query._device._backend.xp
    e = q.shape[-1]
    sc = 1.0 / math.sqrt(e) if scale is None else scale
    if k.shape[-1] != e or v.shape[-2] != k.shape[-2] or q.shape[:-2] != k.shape[:-2] \
            or k.shape[:-2] != v.shape[:-2]:
        _shape_check(*((1,) * (q.ndim == k.ndim == v.ndim == 3) + t.shape
                       for t in (q, k, v)))  # 3-D operands run unsqueezed to 4-D
    m = arrays(xp)
    half = q.dtype.itemsize < 4 and q.dtype.kind in "fV" and xp.__name__ == "numpy"
    # half precision: scores, softmax and the value product in float32, as PyTorch's CPU
    # kernels (flash and math alike) do, with one rounding at the end
    s = _matmul_f32(xp, q, m.mT(k)) if not half else _blas.matmul(
        xp, _f32(q), _f32(m.mT(k)))
    s *= sc
    L, S = s.shape[-2], s.shape[-1]
    bias = None
    if is_causal:
        bias = xp.where(xp.tril(xp.ones((L, S), dtype=bool)), 0.0, -xp.inf).astype(s.dtype)
        if sc <= 0 and dropout_p == 0 and _flash_kernel(query, key, value, None):
            bias = _flash_causal_scaled(xp, bias, s, sc)
    elif attn_mask is not None:
        am = attn_mask._data
        if am.ndim < 2:  # PyTorch reads the mask's last two dimensions
            raise IndexError("Dimension specified as -2 but tensor has no dimensions" if am.ndim == 0
                             else "Dimension out of range (expected to be in range of [-1, 0], "
                             "but got -2)")
        if am.ndim > s.ndim or any(x != y and x != 1 for x, y in
                                   zip(am.shape[::-1], s.shape[::-1])):
            am = _mask_to_scores(s.shape, am)  # refused in PyTorch's words, not NumPy's
        bias = xp.where(am, 0.0, -xp.inf).astype(s.dtype) if am.dtype == bool else \
            am.astype(s.dtype, copy=False)  # a float32 mask of another query type
    if bias is not None:
        s = s + bias
    p = _safe_softmax(xp, s)
    drop = None
    if dropout_p > 0:
        from .dropout import keep_mask

        # drawn in C order: PyTorch's math path drops from a contiguous matmul result
        drop = keep_mask(p.shape, 1 - dropout_p, make(p, query._device), dense_like=False)
        drop = drop / (1 - dropout_p) if dropout_p < 1 else drop * 0  # p=1 drops everything
        pd = p * drop
    else:
        pd = p
    if half:
        out = _half_attn_out(xp, s, p, pd, v, drop is None and _flash_kernel(
            query, key, value, attn_mask))
        p = p.astype(q.dtype)  # the backward works in the operands' type
    else:
        out = _matmul_f32(xp, pd.astype(v.dtype, copy=False), v)
    out = out.astype(q.dtype, copy=False)
    if not (q.flags.c_contiguous and out.flags.c_contiguous):  # PyTorch's output layouts
        flash = out.shape == q.shape and dropout_p == 0 and _flash_kernel(query, key, value,
                                                                          attn_mask)
        out = _in_query_layout(xp, out, q) if flash else xp.ascontiguousarray(out)
    res = make(out, query._device)
    mask_t = attn_mask if attn_mask is not None and attn_mask._data.dtype != bool else None
    ins = (query, key, value, mask_t)
    if grad_state.enabled and any(t is not None and t._rg for t in ins):
        needs = tuple(t is not None and t._rg for t in ins)
        shapes = tuple(tuple(t.shape) if t is not None else None for t in ins)

        def grads(m: Any, g: Any, q: Any, k: Any, v: Any, bias: Any, drop: Any,
                  p: Any) -> tuple:
            if m.tensor:  # recompute the weights so that they carry their own graph
                s = _mm(m, q, m.mT(k)) * sc
                if bias is not None:
                    s = s + bias
                p = _safe_softmax_t(s)
            pd = p * drop if drop is not None else p
            gv = _mm(m, m.mT(pd), g) if needs[2] else None
            gp = _mm(m, g, m.mT(v))
            if drop is not None:
                gp = gp * drop
            if m.tensor:
                gs = p * (gp - m.sum(gp * p, -1, True))
            else:  # gp is a fresh array: update it in place
                gp -= row_sum(m.xp, gp * p)
                gp *= p
                gs = gp
            gss = gs * sc if needs[0] or needs[1] else None
            gq = _mm(m, gss, k) if needs[0] else None
            gk = _mm(m, m.mT(gss), q) if needs[1] else None
            return gq, gk, gv, (gs if needs[3] else None)

        def vjp(g: Tensor, q: Tensor, k: Tensor, v: Tensor, b: Tensor | None,
                d: Tensor | None, p: Tensor) -> tuple:
            gs = grad_of(grads, g, g, q, k, v, b, d, p)
            gs = tuple(None if x is None else _sum_to(x, shapes[i]) for i, x in enumerate(gs))
            if gs[3] is not None and gs[3].dtype != mask_t.dtype:  # a float32 mask's own type
                gs = gs[:3] + (gs[3].to(mask_t.dtype),)
            return gs

        bias_t = mask_t if mask_t is not None else (const(bias, query) if bias is not None
                                                    else None)
        name = _sdpa_node_name(query, key, value, attn_mask)
        flash = name in _FLASH_NODES
        # PyTorch's math path saves only scaled copies of query and key: a later in-place
        # change of them neither fails nor alters the backward
        q_s, k_s = (query, key) if flash else (query.clone(), key.clone())
        record(name, res, ins, vjp,
               (q_s, k_s, value, bias_t, const(drop, query) if drop is not None else None,
                const(p, query)))
        if flash:
            also_saves(res, res)  # PyTorch's flash kernel saves its output
            if name == "SqueezeBackward1":  # it saved the unsqueezed 3-D operands
                res.grad_fn._saved_as = {i: (1,) + tuple(t.shape)
                                         for i, t in enumerate((query, key, value))}
    return res


def _in_query_layout(xp: Any, out: Any, q: Any) -> Any:
    """``out`` laid out as the query: PyTorch's CPU flash kernel writes its output into an
    ``empty_like`` of the query, whose dimensions keep the order of the query's strides (a
    (B, L, H, E) buffer seen transposed, for heads split by ``view`` and ``transpose``), so
    that ``.transpose(1, 2).view(...)`` works on it."""
    if 0 in q.strides:  # an expanded query: a plain contiguous result
        return xp.ascontiguousarray(out)
    order = sorted(range(q.ndim), key=lambda d: -q.strides[d])  # stable on ties
    res = xp.empty(tuple(q.shape[d] for d in order), dtype=out.dtype)
    res = res.transpose(tuple(order.index(d) for d in range(q.ndim)))
    res[...] = out
    return res


def _flash_causal_scaled(xp: Any, bias: Any, s: Any, sc: float) -> Any:
    """PyTorch's CPU flash kernel hides the causal positions with ``-inf`` before it scales
    the scores: a scale that is not positive turns them into ``+inf`` or NaN, and the rows
    holding any of them come out NaN. The bias here makes those rows NaN likewise."""
    bad = xp.any(bias != 0, axis=-1, keepdims=True)
    return xp.where(bad, xp.nan, 0.0).astype(s.dtype)


def _f32(t: Any) -> Any:
    """A float32 copy; a stride-0 operand in C order (order K would permute the result)."""
    return t.astype("float32", order="C" if 0 in t.strides else "K")


def _half_attn_out(xp: Any, s: Any, p: Any, pd: Any, v: Any, flash: bool) -> Any:
    """The float32 product of half-precision attention weights with ``v``; PyTorch's CPU
    flash kernel rounds the unnormalised exponentials to the half type before that product
    and divides by their float32 sum after it."""
    v32 = _f32(v)
    if not flash:
        return _blas.matmul(xp, pd, v32)
    mx = xp.max(s, axis=-1, keepdims=True)
    e = xp.exp(s - xp.where(xp.isfinite(mx), mx, 0))
    tot = xp.sum(e, axis=-1, keepdims=True)
    out = _blas.matmul(xp, e.astype(v.dtype).astype("float32"), v32)
    return out / xp.where(tot == 0, 1, tot)


def _safe_softmax(xp: Any, s: Any) -> Any:
    """Softmax over the last dim; rows that are all ``-inf`` give zeros."""
    if s.shape[-1] == 0:  # no keys: nothing to weigh (the output is zeros, as in PyTorch)
        return xp.zeros_like(s)
    return softmax_last(xp, s, _safe_softmax_exact)


def _safe_softmax_exact(xp: Any, s: Any) -> Any:
    mx = xp.max(s, axis=-1, keepdims=True)
    e = xp.exp(s - xp.where(xp.isfinite(mx), mx, 0))
    tot = xp.sum(e, axis=-1, keepdims=True)
    return e / xp.where(tot == 0, 1, tot)


def _safe_softmax_t(s: Tensor) -> Tensor:
    p = s.softmax(-1)
    return p.nan_to_num(0.0)
