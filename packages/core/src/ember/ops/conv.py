"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d and ``convolution``.

Three recorded primitives do all the work: the correlation ``_conv_fwd``, its input
gradient ``_conv_bi`` (which is the transposed convolution) and its weight gradient
``_conv_bw``. Each one's derivative is written with the other two, so gradients of
any order come for free. The kernels themselves live in ``_conv_kernels``.

Padding, unfold/fold and pixel/channel shuffles live in ``conv_padding`` and
``conv_unfold``; their ops are re-exported here.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

from .._stacklevel import user_stacklevel
from . import _conv_kernels as K
from . import conv_padding as _padding
from . import conv_unfold as _unfold
from ._dispatch import Tensor, conj_operand, grad_state, make, quiet, record, renamed
from ._dispatch import is_tensor as _is_tensor
from ._parallel import run_tasks
from ._tied_grads import tied
from ._torch_cpu import onednn_half

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "convolution"] + _padding.__all__ + _unfold.__all__

from ._autocast import autocast_op
from ._channels_last import cl_format, laid_as, relaid
from .conv_padding import *  # noqa: E402,F403
from .conv_unfold import *  # noqa: E402,F403

_LOW_PRECISION = ("float16", "bfloat16")


def run_kernel(fn: Any, xp: Any, *arrays: Any, bias: Any = None, fmt: Any = None,
               **kw: Any) -> Any:
    """Run an array kernel, plus ``bias`` per channel, laid out in ``fmt`` (channels-last or
    None), with NumPy's floating-point warnings off (an inf in a product warns there, never in
    PyTorch). Half-precision inputs are computed in float32 (NumPy has no half BLAS), the bias
    added there too, and rounded once, as PyTorch's CPU kernels do."""
    dt = arrays[0].dtype
    if dt.name in _LOW_PRECISION:
        def lowp() -> Any:
            y = fn(xp, *(a.astype("float32") for a in arrays), **kw)
            return _add_bias(y, None if bias is None else bias.astype("float32"))

        y = quiet(lowp).astype(dt)
    else:
        y = _add_bias(quiet(lambda: fn(xp, *arrays, **kw)), bias)
    return y if fmt is None else laid_as(xp, y, fmt)


def _needs(t: Any) -> bool:
    return _is_tensor(t) and t._rg


def _add_bias(y: Any, b: Any) -> Any:
    if b is not None:
        y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y


def _bias_grad(g: Tensor) -> Tensor:
    return g.sum((0,) + tuple(range(2, g.ndim)))


def _conv_fwd(x: Tensor, w: Tensor, b: Tensor | None, geom: K.Geom,
              name: str = "ConvolutionBackward0", fmt: Any = None) -> Tensor:
    """Recorded correlation of ``x (N, C, *S)`` with ``w (O, C/groups, *K)`` plus ``b``; the
    output and gradients laid out in ``fmt`` (channels-last, or None: as computed)."""
    xp = x._device._backend.xp
    # what the forward computed of the weight that the input gradient reuses (a Winograd
    # kernel transform), kept with the graph only where an input gradient will be wanted
    keep = {"weight": w._data} if grad_state.enabled and x._rg else None
    res = make(run_kernel(K.conv_forward, xp, x._data, w._data, g=geom, keep=keep,
                          bias=None if b is None else b._data, fmt=fmt), x._device)
    if grad_state.enabled and (x._rg or w._rg or _needs(b)):
        rx, rw, rb = x._rg, w._rg, _needs(b)
        S, Ks = x._data.shape[2:], w._data.shape[2:]

        def vjp(g: Tensor, x: Tensor, w: Tensor) -> tuple:
            if rx and rw and not grad_state.enabled:
                # the saved weight's own array (autograd has checked its version): the kept
                # transform is of these values
                kept = keep.get("transform") if keep["weight"] is w._data else None
                return _both_grads(g, conj_operand(x), conj_operand(w), geom, S, Ks, fmt,
                                   kept) + (_bias_grad(g) if rb else None,)
            gs = (_conv_bi(g, conj_operand(w), None, geom, S, "ConvolutionBackwardBackward0",
                           fmt) if rx else None,
                  _conv_bw(conj_operand(x), g, geom, Ks, fmt) if rw else None,
                  _bias_grad(g) if rb else None)
            if grad_state.enabled and (rx or rw):  # create_graph: PyTorch's one node
                return tied(gs, "ConvolutionBackwardBackward0", (g, x, w))
            return gs

        # PyTorch's ConvolutionBackward0 saves input and weight whatever needs a gradient
        record(name, res, (x, w, b), vjp, (x, w))
    return res


def _both_grads(g: Tensor, x: Tensor, w: Tensor, geom: K.Geom, S: tuple, Ks: tuple,
                fmt: Any, transform: Any = None) -> tuple:
    """The input and weight gradients of a correlation (no graph: plain backward), side by
    side on the op threads (equal products: the same multiply-adds as the forward each);
    ``transform``: the weight's Winograd transform that the forward kept, if any."""
    if _weight_grad_crops(x, g, geom, Ks):
        x = _cropped(x, tuple(g.shape[2:]), fmt)
    xp, dev = g._device._backend.xp, g._device
    gx, gw = run_tasks(
        xp, lambda: run_kernel(K.conv_input_grad, xp, g._data, w._data, g=geom, S=S,
                               transform=transform, fmt=fmt),
        lambda: run_kernel(K.conv_weight_grad, xp, x._data, g._data, g=geom, K=tuple(Ks),
                           fmt=fmt))
    return make(gx, dev), make(gw, dev)


def _weight_grad_crops(x: Tensor, g: Tensor, geom: K.Geom, Ks: tuple) -> bool:
    """Whether the weight gradient reads ``x`` cut to the output grid: the kernel's 1x1
    matrix-product path needs that, and a transposed convolution's output_padding rows are
    read by no tap."""
    return (all(k == 1 for k in Ks) and all(v == 1 for v in geom.stride) and not any(geom.lo)
            and not any(geom.hi) and tuple(x.shape[2:]) != tuple(g.shape[2:]))


def _conv_bi(g: Tensor, w: Tensor, b: Tensor | None, geom: K.Geom, S: tuple,
             name: str = "ConvolutionBackward0", fmt: Any = None,
             kernel: Any = K.conv_input_grad) -> Tensor:
    """Recorded input gradient of a correlation (= transposed convolution), output ``(N, C, *S)``."""
    xp = g._device._backend.xp
    res = make(run_kernel(kernel, xp, g._data, w._data, g=geom, S=S,
                          bias=None if b is None else b._data, fmt=fmt), g._device)
    if grad_state.enabled and (g._rg or w._rg or _needs(b)):
        rg, rw, rb = g._rg, w._rg, _needs(b)

        Q = tuple(g._data.shape[2:])

        def vjp(gg: Tensor, g: Tensor, w: Tensor) -> tuple:
            gs = (_cropped(_conv_fwd(gg, conj_operand(w), None, geom,
                                     "ConvolutionBackwardBackward0", fmt), Q, fmt)
                  if rg else None,
                  _conv_bw(gg, conj_operand(g), geom, w.shape[2:], fmt) if rw else None,
                  _bias_grad(gg) if rb else None)
            if grad_state.enabled and (rg or rw):  # create_graph: PyTorch's one node
                return tied(gs, "ConvolutionBackwardBackward0", (gg, g, w))
            return gs

        record(name, res, (g, w, b), vjp, (g, w))  # PyTorch's node saves both
    return res


def _cropped(y: Tensor, Q: tuple, fmt: Any = None) -> Tensor:
    """``y`` cut to the spatial size ``Q`` (a transposed convolution's output_padding rows
    have no input position of their own)."""
    if tuple(y.shape[2:]) == Q:
        return y
    cut = y[(slice(None), slice(None)) + tuple(slice(0, q) for q in Q)]
    return cut.contiguous() if fmt is None else relaid(cut, fmt)  # PyTorch's are contiguous


def _conv_bw(x: Tensor, g: Tensor, geom: K.Geom, Ks: tuple, fmt: Any = None) -> Tensor:
    """Recorded weight gradient of a correlation of ``x`` whose output gradient is ``g``."""
    Q = tuple(g.shape[2:])
    if _weight_grad_crops(x, g, geom, Ks):
        x = _cropped(x, Q, fmt)
    xp = x._device._backend.xp
    res = make(run_kernel(K.conv_weight_grad, xp, x._data, g._data, g=geom, K=tuple(Ks),
                          fmt=fmt), x._device)
    if grad_state.enabled and (x._rg or g._rg):
        rx, rg = x._rg, g._rg
        S = x._data.shape[2:]

        def vjp(gw: Tensor, x: Tensor, g: Tensor) -> tuple:
            return (_conv_bi(conj_operand(g), gw, None, geom, S, "ConvolutionBackwardBackward0",
                             fmt) if rx else None,
                    _conv_fwd(conj_operand(x), gw, None, geom, "ConvolutionBackwardBackward0",
                              fmt) if rg else None)

        record("ConvolutionBackwardBackward0", res, (x, g), vjp, (x if rg else None,
                                                                    g if rx else None))
    return res


def _layout(x: Tensor, w: Tensor, batched: bool) -> Any:
    """The channels-last format of a convolution's output and gradients: where the input
    (batched only: an unbatched one never looks so once unsqueezed) or the weight is laid
    out so (PyTorch's rule), except PyTorch's 3-D kernels without a channels-last path, which
    give C order: double precision, float16 (unless oneDNN runs it: ``onednn_half``), and
    float32 with a batch of one."""
    fmt = (batched and cl_format(x._data)) or cl_format(w._data)
    if fmt is not None and x._data.ndim == 5 and (
            x._data.dtype.name in ("float64", "complex128")
            or (x._data.dtype.name == "float16" and not onednn_half())
            or (x._data.dtype.name == "float32" and x._data.shape[0] == 1)):
        return None
    return fmt


# ------------------------------------------------------------------ argument checks
def _ntuple(v: Any, n: int, what: str) -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(
                f"expected {what} to be a single integer value or a list of {n} values to match "
                f"the convolution dimensions, but got {what}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _str_padding_error(padding: Any, op: str) -> None:
    """PyTorch's TypeError for a transposed convolution's padding of letters (a module's
    ``padding='same'`` spread into a tuple of characters)."""
    if isinstance(padding, (list, tuple)):
        at = [i for i, p in enumerate(padding) if isinstance(p, str)]
        if at:
            raise TypeError(f"{op}(): argument 'padding' (position 5) must be tuple of ints, "
                            f"but found element of type str at pos {at[0]}") from None


def _output_padding_error(op_pad: tuple, stride: tuple, dilation: tuple) -> None:
    """PyTorch's words for too large an output padding; its 1-D kernel is the 2-D one over a
    height of one, so a 1-D one names a height and width too."""
    if len(op_pad) == 1:
        op_pad, stride, dilation = (0,) + tuple(op_pad), (1,) + tuple(stride), \
            (1,) + tuple(dilation)
    names = ("height", "width") if len(op_pad) == 2 else ("depth", "height", "width")
    raise RuntimeError(
        "output padding must be smaller than either stride or dilation, but got "
        + " ".join(f"output_padding_{s}: {v}" for s, v in zip(names, op_pad)) + " "
        + " ".join(f"stride_{s}: {v}" for s, v in zip(names, stride)) + " "
        + " ".join(f"dilation_{s}: {v}" for s, v in zip(names, dilation)))


def _fmt(t: tuple) -> str:
    return " x ".join(str(v) for v in t)


def _dtype_word(a: Any) -> str:
    """The C++ type name PyTorch's bias check prints."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}.get(a.dtype.name, a.dtype.name)


def _scalar_word(a: Any) -> str:
    """PyTorch's ScalarType name."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}.get(a.dtype.name, a.dtype.name)


def _batched(input: Tensor, d: int, op: str) -> bool:
    n = input.ndim
    if n == d + 2:
        return True
    if n == d + 1:
        return False
    raise RuntimeError(
        f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to {op}, but got input of "
        f"size: {list(input.shape)}")


_LEGACY_TYPE = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                "float16": "torch.HalfTensor", "bfloat16": "CPUBFloat16Type"}


def _dtype_mismatch(x: Any, w: Any, b: Any, transposed: bool, legacy: bool) -> None:
    """PyTorch's error for a weight or bias whose dtype is not the input's: a convolution
    checks the bias first, a transposed one the weight first (and, outside the ``legacy``
    kernels, then lets the input take a bias of another dtype)."""
    order = (("weight", w), ("bias", b)) if transposed else (("bias", b), ("weight", w))
    for name, a in order:
        if a is None or a.dtype == x.dtype:
            continue
        if legacy and (name == "weight" or transposed):
            raise RuntimeError(
                f"Input type ({_LEGACY_TYPE.get(x.dtype.name, x.dtype.name)}) and {name} type "
                f"({_LEGACY_TYPE.get(a.dtype.name, a.dtype.name)}) should be the same or input "
                f"should be a MKLDNN tensor and {name} is a dense tensor")
        if name == "weight" and x.dtype.kind == "b":  # the kernel refuses bool first
            raise NotImplementedError(f"\"slow_conv{3 if x.ndim == 5 else 2}d_cpu\" not "
                                      "implemented for 'Bool'")
        if name == "weight":
            raise RuntimeError(
                f"expected scalar type {_scalar_word(x)} but found {_scalar_word(a)}")
        if not transposed:
            raise RuntimeError(f"Input type ({_dtype_word(x)}) and bias type ({_dtype_word(a)}) "
                               "should be the same")


def _weight_dims_error(x: Tensor, w: Tensor, groups: int, d: int, stride: Any,
                       padding: Any, op: str) -> RuntimeError:
    """PyTorch's refusal of a weight with other than ``d + 2`` dims: the input's dims are
    checked first, then (over a batched input) the weight's three dims, the groups, the
    stride's length against the weight's, and last the input's dims against the weight's."""
    k = w.ndim
    shape = list(x.shape) if _batched(x, d, op) else [1] + list(x.shape)
    if k < 3:
        return RuntimeError("weight should have at least three dimensions")
    words = f"Expected {k}-dimensional input for {k}-dimensional weight"
    got = f", but got {len(shape)}-dimensional input of size {shape} instead"
    if isinstance(padding, str) and padding == "same":  # its own path, worded without a space
        return RuntimeError(f"{words}{list(w.shape)}{got}")
    if groups <= 0:
        return RuntimeError("non-positive groups is not supported")
    st = list(stride) if isinstance(stride, (tuple, list)) else [stride] * d
    if len(st) not in (1, k - 2):
        return RuntimeError(f"expected stride to be a single integer value or a list of {k - 2} "
                            f"values to match the convolution dimensions, but got stride={st}")
    return RuntimeError(f"{words} {list(w.shape)}{got}")


def _check_common(x: Tensor, w: Tensor, b: Tensor | None, groups: int, d: int,
                  transposed: bool = False, stride: Any = 1, padding: Any = 0,
                  op: str = "") -> None:
    if w.ndim != d + 2:
        raise _weight_dims_error(x, w, groups, d, stride, padding, op)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x._device is not w._device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{x._device} and {w._device}!")
    xd = x._data.dtype
    if w._data.dtype != xd or (b is not None and b._data.dtype != xd):
        # PyTorch's CPU kernels for bfloat16 inputs and batched float ones word it the old way
        # (oneDNN's), and float16 ones where oneDNN runs them (``onednn_half``)
        legacy = xd.name == "bfloat16" or (xd.name == "float16" and onednn_half()) or (
            xd.name == "float32" and x.ndim == d + 2 and x.shape[0] > 1)
        _dtype_mismatch(x._data, w._data, None if b is None else b._data, transposed, legacy)
    if xd.kind in "biu":
        _integer_conv(x, d, transposed)


def _integer_conv(x: Tensor, d: int, transposed: bool) -> None:
    """PyTorch's CPU kernels for bool inputs, and its transposed ones for integers other
    than int64 (on a non-empty batch), are missing."""
    xd = x._data.dtype
    if xd.kind == "b":
        raise NotImplementedError(f"\"slow_conv{3 if x.ndim == 5 else 2}d_cpu\" not implemented "
                                  "for 'Bool'")
    if transposed and xd.name != "int64" and (x.ndim == d + 1 or x._data.shape[0]):
        raise NotImplementedError(f"\"slow_conv_transpose{max(d, 2)}d_out_cpu\" not implemented "
                                  f"for '{_scalar_word(x._data)}'")


def _check_bias(w: Tensor, b: Tensor | None, out_ch: int, transposed: bool = False) -> None:
    if b is not None and (b.ndim != 1 or b.shape[0] != out_ch):
        raise RuntimeError(
            f"Given {'transposed=1, ' if transposed else ''}weight of size {list(w.shape)}, "
            "expected bias to be 1-dimensional with "
            f"{out_ch} elements, but got bias of size {list(b.shape)} instead")


_warned_same = [False]


def _geometry(stride: Any, padding: Any, dilation: Any, groups: int, Ks: tuple,
              d: int, transposed: bool = False) -> K.Geom:
    st = _ntuple(stride, d, "stride")
    dil = _ntuple(dilation, d, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * d
        elif padding == "same":
            if any(s != 1 for s in st):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = tuple(dl * (k - 1) for dl, k in zip(dil, Ks))
            if any(t % 2 for t in tot) and not _warned_same[0]:  # PyTorch warns once too
                _warned_same[0] = True
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation "
                              "may require a zero-padded copy of the input be created (Triggered "
                              "internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                              "Convolution.cpp:1104.)",
                              UserWarning, stacklevel=user_stacklevel())
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - a for t, a in zip(tot, lo))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _ntuple(padding, d, "padding")
    if any(p < 0 for p in lo):  # (PyTorch's order of these checks)
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in st):
        raise RuntimeError("non-positive stride is not supported")
    if min(dil + tuple(Ks)) <= 0:
        _bad_kernel(tuple(Ks))
        _bad_dilation(dil, transposed)
    return K.Geom(st, dil, lo, hi, int(groups))


def _bad_kernel(Ks: tuple) -> None:
    """PyTorch's RuntimeError for an empty kernel (``Conv2d(..., kernel_size=0)``), in the
    words of its CPU kernels (the 1-D one is the 2-D one over a height of one)."""
    if min(Ks) > 0:
        return
    if len(Ks) == 3:
        raise RuntimeError(f"kernel size should be greater than zero, but got: {_fmt(Ks)} "
                           "(TxHxW)")
    kh, kw = (1,) + Ks if len(Ks) == 1 else Ks
    raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kh} "
                       f"kernel_width: {kw}")


def _bad_input_size(x: Tensor, padded: tuple, dk: tuple) -> None:
    """Refuse an empty input (but an empty batch) or a window larger than the padded input."""
    _check_empty_spatial(x)
    if any(map(operator.lt, padded, dk)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({_fmt(padded)}). Kernel size: "
            f"({_fmt(dk)}). Kernel size can't be greater than actual input size")


def _bad_output_size(x: Tensor, Q: tuple, S: tuple, d: int) -> None:
    """Refuse a transposed convolution's empty input (but an empty batch) or output size
    below 1 (PyTorch runs no kernel for an empty batch, which allows a size of 0)."""
    _check_empty_spatial(x)
    if min(S) > 0 or (min(S) == 0 and not x._data.shape[0]):
        return
    if not x._data.shape[0]:
        shape = list(x._data.shape[:2]) + ([1] if d == 1 else []) + list(S)
        i = next(i for i, v in enumerate(shape) if v < 0)
        raise RuntimeError(f"invalid shape dimension {shape[i]} at index {i} of shape {shape}")
    one = (1,) if d == 1 else ()  # PyTorch's 1-d transposed convolution runs as 2-d
    raise RuntimeError(
        f"Given input size per channel: ({_fmt(one + Q)}). Calculated output size per "
        f"channel: ({_fmt(one + S)}). Output size is too small")


def _check_empty_spatial(x: Tensor) -> None:
    """PyTorch's refusal of an empty (batched) input whose batch and channels are not."""
    shape = list(x._data.shape)
    if 0 in shape[2:] and shape[0] and shape[1]:
        shown = shape[:2] + [1] + shape[2:] if len(shape) == 3 else shape  # 1-D runs as 2-D
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {shown}")


def _bad_dilation(dil: tuple, transposed: bool) -> None:
    """PyTorch's refusal of a dilation below 1: a negative one by its argument checks, a
    zero by the kernel, listed as that (2-d for 1-d) kernel got it."""
    dil = (1,) + dil if len(dil) == 1 else dil
    if min(dil) < 0:
        raise RuntimeError("dilation should be greater than zero")
    if transposed:
        names = ("depth", "height", "width")[-len(dil):]
        got = ", ".join(f"dilation_{n}: {v}" for n, v in zip(names, dil))
        raise RuntimeError(f"dilation should be greater than zero, but got {got}")
    raise RuntimeError(f"dilation should be greater than zero, but got {list(dil)}")


def _groups_error(w: Tensor, groups: int) -> RuntimeError:
    """PyTorch's refusal of a weight whose dim 0 does not split into ``groups``."""
    if w.shape[0] < groups:
        return RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {list(w.shape)} instead")
    return RuntimeError(
        f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
        f"but got weight of size [{list(w.shape)}] instead")


def _empty_transposed_weight(w: Tensor, d: int) -> RuntimeError:
    """PyTorch's refusal of a transposed-convolution weight with no output channels."""
    shape = list(w.shape)
    if d == 3:
        return RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x "
                            "kernel_height x kernel_width) tensor expected for weight, but got: "
                            f"{shape}")
    shown = shape[:2] + [1] + shape[2:] if d == 1 else shape  # 1-D runs as 2-D
    return RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {shown}")


def _invalid_conv_args(op: str, *args: Any) -> TypeError:
    """The first line of PyTorch's refusal of a non-tensor operand to ``conv{1,2,3}d``."""
    from .pointwise_unary import _arg_type_name

    got = ", ".join(type(a).__name__ if _is_tensor(a) else _arg_type_name(a) for a in args)
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:")


def _non_tensor_operand(op: str, *operands: Any) -> None:
    """PyTorch's TypeError for the first of input/weight/bias that is not a tensor."""
    from .pointwise_unary import _arg_type_name

    for pos, (name, x) in enumerate(zip(("input", "weight", "bias"), operands), 1):
        if not _is_tensor(x) and (x is not None or name != "bias"):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{_arg_type_name(x)}") from None


def _convnd(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
            dilation: Any, groups: int, d: int, op: str) -> Tensor:
    try:
        _check_common(input, weight, bias, groups, d, False, stride, padding, op)
    except AttributeError:  # a NumPy array or a list passed to a model: PyTorch's TypeError
        if _is_tensor(input) and _is_tensor(weight):
            raise
        raise _invalid_conv_args(op, input, weight, bias, stride, padding, dilation,
                                 groups) from None
    batched = _batched(input, d, op)
    x = input if batched else input.reshape((1,) + tuple(input.shape))
    Ks = weight._data.shape[2:]
    geom = _geometry(stride, padding, dilation, groups, Ks, d)
    Co, Cg = weight._data.shape[:2]
    C = x._data.shape[1]
    if Co % geom.groups or not Co:  # (no output channels: PyTorch's "at least groups")
        raise _groups_error(weight, geom.groups)
    if C != Cg * geom.groups:
        raise RuntimeError(
            f"Given groups={geom.groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {Cg * geom.groups} channels, but got {C} channels "
            "instead")
    _check_bias(weight, bias, Co)
    S = x._data.shape[2:]
    padded = tuple(s + a + b for s, a, b in zip(S, geom.lo, geom.hi))
    dk = tuple(dl * (k - 1) + 1 for dl, k in zip(geom.dilation, Ks))
    if not x._data.size or any(map(operator.lt, padded, dk)):
        _bad_input_size(x, padded, dk)
    y = _conv_fwd(x, weight, bias, geom, fmt=_layout(x, weight, batched))
    # an unbatched input: PyTorch unsqueezes it and squeezes the result
    return y if batched else renamed(y.reshape(tuple(y.shape)[1:]), "SqueezeBackward1")


def _conv_transposend(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                      padding: Any, output_padding: Any, groups: int, dilation: Any, d: int,
                      op: str) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    try:
        _check_common(input, weight, bias, groups, d, True, stride, padding, op)
    except AttributeError:  # a NumPy array, a list or None passed: PyTorch's TypeError
        _non_tensor_operand(op, input, weight, bias)
        raise
    if bias is not None and bias.dtype != input.dtype:  # allowed for float/double inputs
        bias = bias.to(input.dtype)
    batched = _batched(input, d, op)
    x = input if batched else input.reshape((1,) + tuple(input.shape))
    Ks = weight._data.shape[2:]
    try:
        geom = _geometry(stride, padding, dilation, groups, Ks, d, True)
    except (RuntimeError, ValueError):
        _str_padding_error(padding, op)
        raise
    op_pad = _ntuple(output_padding, d, "output_padding")
    if min(op_pad) < 0:
        raise RuntimeError("negative output_padding is not supported")
    Cin, Cg = weight._data.shape[:2]
    if Cin % geom.groups or not Cin:
        raise _groups_error(weight, geom.groups)
    if not Cg:
        raise _empty_transposed_weight(weight, d)
    if x._data.shape[1] != Cin:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {Cin} channels, but got {x.shape[1]} channels instead")
    if any(o >= s and o >= dl for o, s, dl in zip(op_pad, geom.stride, geom.dilation)) \
            and x._data.shape[0]:  # (PyTorch checks no argument of an empty batch)
        _output_padding_error(op_pad, geom.stride, geom.dilation)
    _check_bias(weight, bias, Cg * geom.groups, transposed=True)
    Q = x._data.shape[2:]
    S = tuple((q - 1) * s - 2 * p + dl * (k - 1) + o + 1 for q, s, p, dl, k, o in
              zip(Q, geom.stride, geom.lo, geom.dilation, Ks, op_pad))
    if not x._data.size or min(S) <= 0:
        _bad_output_size(x, Q, S, d)
    half = x._data.dtype.name == "float16" and x._device.type == "cpu" and not onednn_half()
    y = _conv_bi(x, weight, bias, geom, S, fmt=_layout(x, weight, batched),
                 kernel=_col2im_half if half else K.conv_input_grad)
    # an unbatched input: PyTorch unsqueezes it and squeezes the result
    return y if batched else renamed(y.reshape(tuple(y.shape)[1:]), "SqueezeBackward1")


def _col2im_half(xp: Any, x: Any, w: Any, g: K.Geom, S: tuple) -> Any:
    """PyTorch's CPU float16 transposed convolution (``x``, ``w`` given in float32): its
    columns rounded to float16, then summed into the output in float16, kernel offset by
    kernel offset (the bias is added after, in float32, by ``run_kernel``)."""
    N, Ci = x.shape[:2]
    Q, Ks = tuple(x.shape[2:]), tuple(w.shape[2:])
    d, G, Cog = len(Q), g.groups, w.shape[1]
    cig = Ci // G
    out = xp.zeros((N, Cog * G) + tuple(s + a + b for s, a, b in zip(S, g.lo, g.hi)),
                   dtype="float16")
    for gi in range(G):  # per group: its columns (N, Cog, *Q, *K)
        cols = xp.tensordot(x[:, gi * cig:(gi + 1) * cig], w[gi * cig:(gi + 1) * cig],
                            axes=([1], [0]))
        cols = xp.moveaxis(cols, 1 + d, 1).astype("float16")
        for kidx in K.offsets(Ks):
            out[(slice(None), slice(gi * Cog, (gi + 1) * Cog))
                + K.window(kidx, Q, g.stride, g.dilation)] += cols[(Ellipsis,) + kidx]
    crop = tuple(slice(a, a + s) for a, s in zip(g.lo, S))
    return xp.ascontiguousarray(out[(slice(None), slice(None)) + crop]).astype("float32")


# ------------------------------------------------------------------ public ops
@autocast_op("conv1d")
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over ``(N, C, L)`` or ``(C, L)``; ``padding`` may be 'same'/'valid'."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@autocast_op("conv2d")
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation over ``(N, C, H, W)`` or ``(C, H, W)``."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@autocast_op("conv3d")
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


@autocast_op("conv_transpose1d")
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution; ``weight`` is ``(C_in, C_out/groups, k)``."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1, "conv_transpose1d")


@autocast_op("conv_transpose2d")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution ("deconvolution")."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


@autocast_op("conv_transpose3d")
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """3-D transposed convolution."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 3, "conv_transpose3d")


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:
    """The general convolution (``torch.convolution``): direct or transposed, 1-D to 3-D."""
    d = weight.ndim - 2
    if transposed:
        return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation, d, "convolution")
    return _convnd(input, weight, bias, stride, padding, dilation, groups, d, "convolution")



