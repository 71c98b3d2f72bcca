"""Activation functions: relu and its piecewise-linear kin, the smooth ones (elu, gelu, silu,
mish, softplus, ...), prelu/rrelu and glu, with their derivatives and in-place forms.

Piecewise-linear activations save a mask; smooth ones save their input and write their
derivative once over ``_nn_math``'s namespace, so a plain backward is one fused array
expression and ``create_graph=True`` still gives higher derivatives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes as _dt
from . import _inplace, _parallel
from ._autocast import autocast_op
from ._channels_last import c_order
from ._dispatch import (
    Tensor,
    grad_state,
    make,
    methods,
    quiet,
    quietly,
    record,
    renamed,
    tie_first,
    wrap_dim,
)
from ._nn_math import arrays, const, float_input, grad_of
from .dropout import __all__ as _dropout_all
from .dropout import (
    alpha_dropout,
    alpha_dropout_,
    dropout,
    dropout_,
    feature_alpha_dropout,
    feature_alpha_dropout_,
    feature_dropout,
    feature_dropout_,
)
from .pointwise_unary import wrap

__all__ = ["relu", "relu_", "prelu", "rrelu", "rrelu_", "selu", "selu_", "celu", "celu_",
           "hardshrink", "threshold", "threshold_"] + list(_dropout_all)

_reexported = (alpha_dropout, alpha_dropout_, dropout, dropout_, feature_alpha_dropout,
               feature_alpha_dropout_, feature_dropout, feature_dropout_)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _xp(t: Tensor) -> Any:
    return t._device._backend.xp


def _node(name: str, inplace: bool) -> str:
    """PyTorch's node name: ``<Op>Backward1`` for the in-place form of these ops."""
    return name + ("1" if inplace else "0")


def _finish(res: Tensor, input: Tensor, inplace: bool, op: str) -> Tensor:
    return _inplace.commit(input, res, op + "_") if inplace else res


# ------------------------------------------------------------------ piecewise-linear
def _piecewise(name: str, input: Tensor, y: Any, slope: Callable[[], Any], inplace: bool,
               op: str, saves_self: bool = False, saves_result: bool = False) -> Tensor:
    """Record ``grad * slope()`` where slope is a constant array (0/1 mask or slopes);
    ``saves_self`` / ``saves_result``: PyTorch's node saves the input / the result (so an
    in-place change of it fails the backward), and its double backward links it."""
    res = wrap(y, input._device)
    if grad_state.enabled and input._rg:
        if saves_self or saves_result:
            # an in-place form that saves self keeps its original value (``commit`` snapshots it)
            kept = res if saves_result else input
            record(name, res, (input,), _linked_slope_vjp(name), (const(slope(), input), kept))
        else:
            record(name, res, (input,), _slope_vjp, (const(slope(), input),))
    return _finish(res, input, inplace, op)


_linked: dict = {}
# relu's backward is threshold_backward of its result, so its double backward is threshold's
_DOUBLE = {"ReluBackward0": "ThresholdBackwardBackward0"}


def _linked_slope_vjp(name: str) -> Callable:
    """``grad * slope`` whose double backward (PyTorch's ``<Op>BackwardBackward0``) keeps the
    forward's input in the graph, with a zero derivative: a second derivative is zeros, not
    "does not require grad"."""
    vjp = _linked.get(name)
    if vjp is None:
        node = _DOUBLE.get(name) or name[:-1] + "Backward0"

        stops = name not in _NO_STOP

        def vjp(g: Tensor, s: Tensor, x: Tensor) -> tuple:
            if not grad_state.enabled:
                return _slope_vjp(g, s, stops)
            grad_state.enabled = False  # the product itself: one node, recorded below
            try:
                gi = _stopped(_times_slope(g, s), s) if stops else _times_slope(g, s)
            finally:
                grad_state.enabled = True
            if name in _NO_DOUBLE and (g._rg or x._rg):  # PyTorch has no double backward
                record("NotImplemented", gi, tuple(t for t in (g, x) if t._rg),
                       _no_derivative(_NO_DOUBLE[name]))
            elif g._rg or x._rg:
                record(node, gi, (g, x),
                       lambda gg, s, x: (_times_slope(gg, s), x.new_zeros(x.shape)), (s, x))
            return (gi,)

        vjp = _linked[name] = vjp
    return vjp


# piecewise ops whose backward PyTorch cannot differentiate (its node: ``NotImplemented``)
_NO_DOUBLE = {"HardsigmoidBackward0": "hardsigmoid_backward"}


def _no_derivative(op: str) -> Callable:
    """The vjp of PyTorch's ``NotImplemented`` node: backward through it raises."""
    def vjp(*_: Any) -> tuple:
        raise RuntimeError(f"derivative for aten::{op} is not implemented")

    return vjp


# nodes whose backward multiplies by the slope (a NaN gradient stays NaN where it is 0);
# the others select, as PyTorch's ``threshold_backward``/``hardtanh_backward`` do
_NO_STOP = frozenset({"LeakyReluBackward0", "LeakyReluBackward1", "RreluWithNoiseBackward0",
                      "RreluWithNoiseBackward1"})


def _slope_vjp(g: Tensor, s: Tensor, stops: bool = True) -> tuple:
    gd, sd = g._data, s._data
    if grad_state.enabled or gd.dtype.kind != "f" or (sd.dtype != gd.dtype
                                                       and sd.dtype.kind != "b"):
        gi = _times_slope(g, s)
        return (_stopped(gi, s) if stops and not gi._rg else gi,)
    # a plain backward: one array product, the mask taken as is (no promoted copy)
    xp = g._device._backend.xp
    r = _parallel.ufunc(xp, xp.multiply, gd, sd)
    return (wrap(_zero_stops(xp, r, sd) if stops else r, g._device),)


def _times_slope(g: Tensor, s: Tensor) -> Tensor:
    """``g * s``; a float32 slope of a float16/bfloat16 gradient multiplies in float32 and
    rounds once to the gradient's dtype, as PyTorch's half backward kernels."""
    gd, sd = g._data.dtype, s._data.dtype
    if sd != gd and sd == np.float32 and gd.itemsize == 2 and gd.kind in "fV":
        return (g.float() * s).to(g.dtype)
    return g * s


def _stopped(gi: Tensor, s: Tensor) -> Tensor:
    """``gi = grad * slope`` (a new tensor) with 0 where the slope is 0."""
    xp = gi._device._backend.xp
    r = _zero_stops(xp, gi._data, s._data)
    return gi if r is gi._data else wrap(r, gi._device)


def _zero_stops(xp: Any, r: Any, sd: Any) -> Any:
    """``r = grad * slope`` (``r`` ours, changed in place) with 0, neither NaN nor -0, where
    the slope is 0 and the gradient inf/NaN or negative (``sqrt(relu(x))`` at 0): PyTorch's
    backward selects the gradient there. The NaN check is one BLAS pass (a NaN makes the sum
    of squares NaN), and the select runs only then; adding 0 turns each -0 into 0."""
    if r.dtype.kind not in "fc" or not r.size or r.shape != sd.shape:
        return r
    if r.dtype.char in "fd":
        if not xp.isnan(xp.vdot(r, r)):
            r += 0.0  # a negative gradient times a 0 slope is -0; PyTorch's select gives 0
            return r
    elif not xp.isnan(r).any():
        if r.dtype.kind == "f":
            r += 0.0
        return r
    return xp.where(sd != 0, r, r.dtype.type(0))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise."""
    try:
        x = input._data
    except AttributeError:  # a list or number: PyTorch's argument parser's words
        from .pointwise_unary import not_tensor
        raise not_tensor("relu", input) from None
    if x.dtype.kind == "b":
        raise NotImplementedError("Boolean inputs not supported for relu")
    if x.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    xp = _xp(input)
    if inplace and _writable(input):
        _inplace.check_inplace(input, "relu_")
        _relu_array(xp, x, out=x)
        input._vc[0] += 1
        if grad_state.enabled and input._rg:  # PyTorch's node saves the result: input itself
            record("ReluBackward0", input, (input,), _linked_slope_vjp("ReluBackward0"),
                   (const(_passes(xp, x), input), input))
            input._out_nr = 0
        return input
    y = _relu_array(xp, x)
    if y.dtype != x.dtype:
        y = y.astype(x.dtype)
    return _piecewise("ReluBackward0", input, y, lambda: _passes(xp, y), inplace, "relu",
                      saves_result=True)


_zeros: dict = {}
_ZEROS_MAX = 1 << 24  # elements: larger inputs take the scalar


def _zero(xp: Any, x: Any) -> Any:
    """The zero of ``max(0, x)``: on NumPy, for a C-ordered float array, a read-only zero array
    of its shape (NumPy's SIMD loop for two arrays measured ~4x quicker than its loop for an
    array and a scalar); else the scalar (which also keeps other layouts)."""
    if (xp is not np or x.dtype.kind != "f" or not 4096 <= x.size <= _ZEROS_MAX
            or not x.flags.c_contiguous):
        return 0
    buf = _zeros.get(x.dtype)
    if buf is None or buf.size < x.size:  # np.zeros maps untouched pages: memory read, not held
        buf = _zeros[x.dtype] = np.zeros(max(x.size, 1 << 18), dtype=x.dtype)
        buf.flags.writeable = False
    return buf[:x.size].reshape(x.shape)


def _writable(t: Tensor) -> bool:
    """Whether an in-place op may write its result straight into ``t``'s own array: not a
    view (whose base needs its graph rebased) and not read-only."""
    be = t._device._backend
    return (t._base is None and be.aliases and be.numpy_like
            and getattr(getattr(t._data, "flags", None), "writeable", False))


def _passes(xp: Any, y: Any) -> Any:
    """Where relu's gradient flows, from its output ``y = max(x, 0)``: ``y != 0``, which is
    ``not x <= 0`` (a NaN passes it on, as in PyTorch's vectorized kernel)."""
    return xp.not_equal(y, 0)


def _relu_array(xp: Any, x: Any, out: Any = None) -> Any:
    """``max(x, 0)`` keeping -0.0, as PyTorch does (``tie_first``)."""
    return tie_first(xp.maximum, x, _zero(xp, x), out=out)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``input`` clamped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError("Bool inputs not supported for hardtanh")
    if x.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    if x.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    y = _xp(input).clip(x, min_val, max_val).astype(x.dtype, copy=False)
    # a NaN stops the gradient, as in PyTorch's vectorized kernel (all but tiny tensors)
    return _piecewise("HardtanhBackward0", input, y, lambda: (x > min_val) & (x < max_val),
                      inplace, "hardtanh", saves_self=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where positive, ``negative_slope * input`` elsewhere."""
    return _leaky_relu(input, negative_slope, inplace, "LeakyReluBackward", "leaky_relu")


def _leaky_relu(input: Tensor, negative_slope: float, inplace: bool, node: str,
                op: str, contiguous: bool = False) -> Tensor:
    x = float_input(input, op)
    xp = _xp(input)
    pos = x > 0  # arithmetic on the mask: np.where is slow on unpredictable masks
    w = _opmath(x)  # half precision: the product in float32 (not by a rounded slope)
    if negative_slope <= 0:  # x * slope as PyTorch's: -0. for a zero slope, -inf * 0 NaN (quiet)
        y = quiet(lambda: w * (pos * (1.0 - negative_slope) + negative_slope)
                  .astype(w.dtype, copy=False))
    else:
        # the bound first: NumPy's maximum/minimum keep the second operand on a tie, so -0.
        # gives -0. + -0. (PyTorch's -0. * slope)
        y = xp.maximum(0.0, w) + xp.minimum(0.0, w) * negative_slope
    if contiguous and not inplace:  # rrelu: PyTorch allocates its output C-contiguous
        y = c_order(xp, y)
    return _piecewise(_node(node, inplace), input, y.astype(x.dtype, copy=False),
                      lambda: (pos * (1.0 - negative_slope) + negative_slope).astype(w.dtype),
                      inplace, op, saves_self=not inplace, saves_result=inplace)


def _opmath(x: Any) -> Any:
    """``x`` in PyTorch's CPU compute type: float32 for float16/bfloat16, else itself."""
    if x.dtype.kind not in "fV" or x.dtype.itemsize >= 4:
        return x
    return x.astype("float32", order="C" if 0 in x.strides else "K")  # broadcast: C order


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value`` where ``input <= threshold``, else ``input`` (a NaN stays, as in PyTorch)."""
    x = input._data
    if x.dtype.kind in "bc":
        raise NotImplementedError(
            f"\"threshold_cpu\" not implemented for '{_inplace._type_name(x.dtype)}'")
    drop = x <= threshold
    y = _xp(input).where(drop, value, x).astype(x.dtype, copy=False)
    return _piecewise(_node("ThresholdBackward", inplace), input, y, lambda: ~drop, inplace,
                      "threshold", saves_self=True)


_threshold = threshold


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where ``-lambd <= input <= lambd``, else ``input``: a NaN stays, and (as in
    PyTorch's vectorized kernel) stops the gradient."""
    x = float_input(input, "hardshrink")
    y = _xp(input).where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)
    return _piecewise("HardshrinkBackward0", input, y, lambda: (x < -lambd) | (x > lambd), False,
                      "hardshrink", saves_self=True)


# PyTorch names the dtype and its largest value when softshrink's lambda is negative
_SHRINK_RANGE = {"float32": ("Float", 3.4028234663852886e38),
                 "float64": ("Double", 1.7976931348623157e308),
                 "float16": ("Half", 65504.0), "bfloat16": ("BFloat16", 3.3895313892515355e38)}


@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, else 0."""
    x = float_input(input, "softshrink")
    if lambd < 0:
        name, top = _SHRINK_RANGE.get(x.dtype.name, (x.dtype.name, math.inf))
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {name}, but "
                           f"found {lambd:g}")  # C++'s stream: -1, not -1.0
    xp = _xp(input)
    # the middle is ``input * 0`` so that a NaN stays, as in PyTorch
    y = xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, x * 0)).astype(
        x.dtype, copy=False)
    return _piecewise("SoftshrinkBackward0", input, y, lambda: (x < -lambd) | (x > lambd),
                      False, "softshrink", saves_self=True)


_SIXTH = float(np.float32(1 / 6))  # PyTorch's backward kernel: a float constant, any dtype


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(input + 3) / 6``."""
    x = float_input(input, "hardsigmoid")
    y = (_xp(input).clip(_opmath(x) + 3, 0, 6) / 6).astype(x.dtype, copy=False)
    return _piecewise("HardsigmoidBackward0", input, y,
                      lambda: (((x > -3) & (x < 3)) * _SIXTH).astype(
                          "float32" if x.dtype.itemsize < 4 else x.dtype),
                      inplace, "hardsigmoid",
                      saves_self=True)


def hardsigmoid_(input: Tensor) -> Tensor:
    return hardsigmoid(input, inplace=True)


# ------------------------------------------------------------------ smooth
# the node PyTorch's create_graph backward of each smooth activation makes (others: a Mul)
_SMOOTH_DOUBLE = {"GeluBackward0": "GeluBackwardBackward0", "EluBackward0": "EluBackwardBackward0",
                  "EluBackward1": "EluBackwardBackward0", "CeluBackward0": "EluBackwardBackward0",
                  "CeluBackward1": "EluBackwardBackward0",
                  "SoftplusBackward0": "SoftplusBackwardBackward0",
                  "LogSigmoidBackward0": "LogSigmoidBackwardBackward0",
                  "HardswishBackward0": "HardswishBackwardBackward0"}


def _smooth(name: str, input: Tensor, f: Callable, df: Callable, inplace: bool, op: str,
            kernel: str | None = None) -> Tensor:
    """``f(m, x)`` forward; backward ``grad * df(m, x)`` (half precision computes in float32).
    ``kernel``: PyTorch's kernel name for refused dtypes, complex included, when it has one."""
    if kernel is not None and input._data.dtype.kind == "c":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_inplace._type_name(input._data.dtype)}'")
    x = float_input(input, kernel or op)
    m = arrays(_xp(input))
    low = x.dtype.itemsize < 4
    y = quiet(lambda: f(m, x.astype("float32", order="C" if 0 in x.strides else "K")
                        if low else x))
    if y.dtype != x.dtype:
        y = y.astype(x.dtype)
    res = wrap(y, input._device)
    if grad_state.enabled and input._rg:
        src = input  # in place: ``commit`` saves a snapshot of it, graph kept (double backward)
        double = _SMOOTH_DOUBLE.get(name, "MulBackward0")  # PyTorch's node under create_graph

        def vjp(g: Tensor, s: Tensor, *_: Any) -> tuple:
            if low and not grad_state.enabled and g._data.dtype == x.dtype:
                # PyTorch's half-precision kernels: grad * df(x) in float32, rounded once
                g32 = g._data.astype("float32")
                r = quiet(lambda: g32 * df(m, s._data.astype("float32")))
                return (wrap(r.astype(x.dtype), g._device),)
            return (renamed(g * grad_of(df, g, s), double),)

        # PyTorch's in-place elu saves its result: a later in-place change fails the backward
        tracked = (res,) if name in ("EluBackward1", "CeluBackward1") else ()
        record(name, res, (input,), vjp, (src, *tracked))
    return _finish(res, input, inplace, op)


def _elu_f(alpha: float, scale: float, iscale: float) -> tuple[Callable, Callable]:
    # branch-free: the two pieces meet at 0 (expm1(0) == 0)
    def f(m: Any, x: Any) -> Any:
        if alpha == 0:  # PyTorch's negative branch gives -0. (the sum below would give 0.)
            return m.where(x > 0, x * scale, m.expm1(x * iscale) * 0.0)
        # the bound first: a tie keeps x, so -0. gives -0. as PyTorch's negative branch
        return m.maximum(0.0, x) * scale + m.expm1(m.minimum(0.0, x) * iscale) * (alpha * scale)

    def df(m: Any, x: Any) -> Any:
        neg = m.exp(m.minimum(x, 0.0) * iscale) * (alpha * scale * iscale)
        pos = x > 0
        return neg + pos * (scale - neg)

    return f, df


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere."""
    return _smooth(_node("EluBackward", inplace), input, *_elu_f(alpha, 1.0, 1.0), inplace, "elu",
                   "elu_cpu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants."""
    return _smooth(_node("EluBackward", inplace), input, *_elu_f(_SELU_ALPHA, _SELU_SCALE, 1.0),
                   inplace, "selu", "elu_cpu")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    f = _elu_f(alpha, 1.0, 1.0 / alpha)[0]
    # PyTorch's celu backward takes the input scale as 1 / float32(alpha)
    df = _elu_f(alpha, 1.0, 1.0 / float(np.float32(alpha)))[1]
    return _smooth(_node("CeluBackward", inplace), input, f, df, inplace, "celu", "elu_cpu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)


def _gelu_f(m: Any, x: Any) -> Any:
    return x * 0.5 * (1.0 + m.erf(x * _SQRT1_2))


def _gelu_df(m: Any, x: Any) -> Any:
    return 0.5 * (1.0 + m.erf(x * _SQRT1_2)) + x * m.exp(x * x * -0.5) * _INV_SQRT_2PI


def _gelu_tanh_f(m: Any, x: Any) -> Any:
    return x * 0.5 * (1.0 + m.tanh((x + x * x * x * 0.044715) * _SQRT_2_PI))


def _gelu_tanh_df(m: Any, x: Any) -> Any:
    t = m.tanh((x + x * x * x * 0.044715) * _SQRT_2_PI)
    return 0.5 * (1.0 + t) + x * 0.5 * (1.0 - t * t) * _SQRT_2_PI * (1.0 + x * x * 0.134145)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit; ``approximate='tanh'`` uses the tanh formula."""
    if approximate == "none":
        return _smooth("GeluBackward0", input, _gelu_f, _gelu_df, False, "gelu",
                       "GeluKernelImpl")
    if approximate == "tanh":
        return _smooth("GeluBackward0", input, _gelu_tanh_f, _gelu_tanh_df, False, "gelu",
                       "GeluKernelImpl")
    raise RuntimeError("approximate argument must be either none or tanh.")


def _silu_f(m: Any, x: Any) -> Any:
    return x * m.sigmoid(x)


def _silu_df(m: Any, x: Any) -> Any:
    s = m.sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)``."""
    return _smooth("SiluBackward0", input, _silu_f, _silu_df, inplace, "silu")


def silu_(input: Tensor) -> Tensor:
    return silu(input, inplace=True)


def _mish_f(m: Any, x: Any) -> Any:
    return x * m.tanh(m.softplus(x))


def _mish_df(m: Any, x: Any) -> Any:
    t = m.tanh(m.softplus(x))
    return t + x * m.sigmoid(x) * (1.0 - t * t)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * tanh(softplus(input))``."""
    return _smooth("MishBackward0", input, _mish_f, _mish_df, inplace, "mish")


def mish_(input: Tensor) -> Tensor:
    return mish(input, inplace=True)


def _hardswish_f(m: Any, x: Any) -> Any:
    return x * m.clamp(x + 3.0, 0.0, 6.0) / 6.0


def _hardswish_df(m: Any, x: Any) -> Any:
    return m.where(x <= -3.0, 0.0, m.where(x < 3.0, x / 3.0 + 0.5, 1.0))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * relu6(input + 3) / 6``."""
    return _smooth("HardswishBackward0", input, _hardswish_f, _hardswish_df, inplace, "hardswish")


def hardswish_(input: Tensor) -> Tensor:
    return hardswish(input, inplace=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    def f(m: Any, x: Any) -> Any:
        bx = x * beta
        return m.where(bx > threshold, x, m.log1p(m.exp(bx)) / beta)

    def df(m: Any, x: Any) -> Any:
        bx = x * beta
        if getattr(m, "tensor", False):  # PyTorch's double backward is 0 from bx == threshold
            s = m.sigmoid(bx)
            return m.where(bx > threshold, 1.0, m.where(bx < threshold, s, s.detach()))
        return m.where(bx > threshold, 1.0, m.sigmoid(bx))

    return _smooth("SoftplusBackward0", input, f, df, False, "softplus")


def _softsign_f(m: Any, x: Any) -> Any:
    return x / (1.0 + m.abs(x))


def _softsign_df(m: Any, x: Any) -> Any:
    # PyTorch differentiates x / (|x| + 1) as a quotient: at infinities inf / inf, NaN
    d = 1.0 + m.abs(x)
    return 1.0 / d - x / (d * d) * m.sign(x)


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)``."""
    if input._data.dtype.kind in "iu":  # integers divide into the default float dtype
        input = input.to(_dt._default)
    return _smooth("DivBackward0", input, _composed(input, _softsign_f, _softsign_half),
                   _softsign_df, False, "softsign")


def _composed(input: Tensor, f: Callable, half: Callable) -> Callable:
    """``f``, or for float16/bfloat16 ``half`` bound to the dtype: PyTorch composes these ops
    of half-precision ops, each rounded, where ``_smooth`` would round once."""
    dt = input._data.dtype
    if dt.kind in "fV" and dt.itemsize < 4:
        return lambda m, x: half(m, x, dt)
    return f


def _rounded(x: Any, dt: Any) -> Any:
    return x.astype(dt).astype(x.dtype)


def _softsign_half(m: Any, x: Any, dt: Any) -> Any:
    return x / _rounded(1.0 + m.abs(x), dt)


def _tanhshrink_f(m: Any, x: Any) -> Any:
    return x - m.tanh(x)


def _tanhshrink_df(m: Any, x: Any) -> Any:
    t = m.tanh(x)
    return t * t


def tanhshrink(input: Tensor) -> Tensor:
    """``input - tanh(input)``."""
    k = input._data.dtype.kind
    if k == "b":  # PyTorch computes input - tanh(input)
        raise NotImplementedError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if k in "iu":
        input = input.to(_dt._default)
    if grad_state.enabled and input._rg:  # PyTorch composes it: Tanh saves only its result
        return input - input.tanh()
    return _smooth("SubBackward0", input, _composed(input, _tanhshrink_f, _tanhshrink_half),
                   _tanhshrink_df, False, "tanhshrink")


def _tanhshrink_half(m: Any, x: Any, dt: Any) -> Any:
    return x - _rounded(m.tanh(x), dt)


def _logsigmoid_f(m: Any, x: Any) -> Any:
    # C order: PyTorch's log_sigmoid_forward allocates its output so (not like its input)
    return c_order(m.xp, m.minimum(x, 0.0) - m.log1p(m.exp(-m.abs(x))))


def _logsigmoid_df(m: Any, x: Any) -> Any:
    return m.sigmoid(-x)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(input))``, computed stably."""
    return _smooth("LogSigmoidBackward0", input, _logsigmoid_f, _logsigmoid_df, False,
                   "log_sigmoid_forward")


# ------------------------------------------------------------------ with parameters or noise
@quietly  # infinities make inf/NaN here as in PyTorch, with no NumPy warning
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``input`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    x = float_input(input, "glu")
    d = wrap_dim(dim, x.ndim, "glu")
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    xp = _xp(input)
    a, b = xp.split(x, 2, axis=d)
    m = arrays(xp)
    # half precision: in float32, rounded once (PyTorch's glu kernel)
    y = _opmath(a) * m.sigmoid(_opmath(b))
    res = wrap(_input_layout(y.astype(x.dtype, copy=False), a, xp),
               input._device)
    if grad_state.enabled and input._rg:
        def df(m: Any, g: Any, x: Any) -> Any:
            h = x.shape[d] // 2
            a, b = (x.narrow(d, 0, h), x.narrow(d, h, h)) if isinstance(x, Tensor) else \
                m.xp.split(x, 2, axis=d)
            s = m.sigmoid(b)
            ga, gb = g * s, g * a * s * (1.0 - s)
            return m.cat([ga, gb], d) if isinstance(x, Tensor) else m.xp.concat([ga, gb], axis=d)

        record("GluBackward0", res, (input,),
               lambda g, x: (renamed(grad_of(df, g, g, x), "GluBackwardBackward0"),), (input,))
    return res


def _should_swap(strides: tuple, shape: tuple, d0: int, d1: int) -> int:
    """PyTorch's comparison of two dimensions: 1 swap, -1 keep, 0 undecided."""
    s0, s1 = strides[d0], strides[d1]
    if s0 == 0 or s1 == 0:  # broadcast: undecided
        return 0
    if s0 != s1:
        return 1 if s0 > s1 else -1
    return 1 if shape[d0] > shape[d1] else 0


def _input_layout(y: Any, a: Any, xp: Any) -> Any:
    """``y`` laid out as PyTorch's TensorIterator lays out the result of an elementwise op
    on ``a`` (its dimensions ordered by stride, ties and size-1 dimensions kept in place)."""
    strides = getattr(a, "strides", None)
    if strides is None or a.flags.c_contiguous:
        return y
    n = a.ndim
    perm = list(range(n - 1, -1, -1))  # fastest dimension first
    for i in range(1, n):  # PyTorch's insertion sort (reorder_dimensions)
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = _should_swap(strides, a.shape, perm[d0], perm[d1])
            if c < 0:
                break
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
    order = perm[::-1]  # slowest first
    if order == list(range(n)):
        return y
    inverse = sorted(range(n), key=order.__getitem__)
    out = xp.empty([y.shape[i] for i in order], dtype=y.dtype).transpose(inverse)
    out[...] = y
    return out


@autocast_op("prelu")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``input`` where positive, ``weight * input`` elsewhere (weight per channel, dim 1)."""
    if input.dtype is not weight.dtype:
        from .linalg import _tname

        raise RuntimeError(f"prelu: Type promoting not supported. Got {_tname(input)} and "
                           f"{_tname(weight)}")
    x, w = float_input(input, "prelu"), weight._data
    if w.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    nw = w.size
    if nw != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        c = x.shape[1] if x.ndim > 1 else 1
        if c != nw:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {nw} and channel size = {c}.")
    wshape = (nw,) + (1,) * (x.ndim - 2) if nw != 1 and x.ndim >= 2 else (() if nw == 1 else (nw,))
    wb = w.reshape(wshape)
    pos = x > 0
    res = wrap((x * (pos + (~pos) * wb)).astype(x.dtype, copy=False), input._device)
    if grad_state.enabled and (input._rg or weight._rg):
        wsh = w.shape
        dims = tuple(i for i in range(x.ndim) if not (nw != 1 and i == (1 if x.ndim > 1 else 0)))

        def vjp(g: Tensor, x: Tensor, w: Tensor, posf: Tensor, negf: Tensor) -> tuple:
            gx = g * (posf + negf * w.reshape(wshape)) if input._rg else None
            if gx is not None and grad_state.enabled:  # create_graph: a Hessian is zeros
                gx = _linked_to(gx, x, "PreluKernelBackwardBackward0")
            gw = None
            if weight._rg:
                gw = g * x.clamp(max=0)  # (not x * negf: an infinite x gives no NaN)
                gw = (gw.sum(dims) if dims else gw).reshape(wsh)
            return gx, gw

        record("PreluKernelBackward0", res, (input, weight), vjp,
               (input, weight, const(pos.astype(x.dtype), input),
                const((~pos).astype(x.dtype), input)))
    return res


def _linked_to(t: Tensor, x: Tensor, name: str) -> Tensor:
    """``t`` through a node that also takes ``x`` with a zero derivative: PyTorch's double
    backward node takes the forward's input, so a second derivative is zeros, not "unused"."""
    res = make(t._data, t._device)
    record(name, res, (t, x), lambda g: (g, x.new_zeros(x.shape)))
    return res


def _uniform_f64(n: int, lower: float, upper: float, like: Tensor) -> Any:
    """``n`` float64 uniforms in ``[lower, upper)`` from the default generator, as PyTorch's
    rrelu draws them: bounds in the input's math type (float unless the input is double),
    ``u * (upper - lower) + lower`` rounded twice (that kernel is built without FMA)."""
    import numpy as np

    from ..random import default_generator
    from ._random_kernels import uniform01_f64

    if like._data.dtype.name != "float64":
        lower, upper = float(np.float32(lower)), float(np.float32(upper))
    with default_generator.lock:
        u = uniform01_f64(default_generator, n)
    return u * (upper - lower) + lower


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: slopes drawn from ``U(lower, upper)`` in training, else their mean."""
    x = float_input(input, "rrelu_with_noise_train" if training else "rrelu_with_noise")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training and x.dtype.name == "float16":  # PyTorch's CPU kernel has no half version
        raise NotImplementedError("\"rrelu_with_noise_out_cpu\" not implemented for 'Half'")
    if not training:  # PyTorch's node is still rrelu's
        return _leaky_relu(input, (lower + upper) / 2, inplace, "RreluWithNoiseBackward",
                           "rrelu_with_noise", contiguous=True)
    xp = _xp(input)
    neg = x <= 0
    w = _opmath(x)  # bfloat16: x * r in float32, rounded once; the noise kept rounded
    noise = xp.ones(x.shape, dtype=w.dtype)
    n = int(neg.sum())
    if n:
        r = _uniform_f64(n, lower, upper, input)
        noise[neg] = xp.asarray(r).astype(w.dtype)
    y = c_order(xp, w * noise).astype(x.dtype, copy=False)  # PyTorch: a C-contiguous output
    noise = noise.astype(x.dtype, copy=False)
    # linked: a double backward gives zeros (PyTorch's RreluWithNoiseBackwardBackward0)
    return _piecewise(_node("RreluWithNoiseBackward", inplace), input, y, lambda: noise, inplace,
                      "rrelu", saves_self=not inplace, saves_result=inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


methods(relu=relu, relu_=relu_, prelu=prelu, hardshrink=hardshrink)
