"""Fake quantization (quantize then dequantize, in floating point) per tensor and per channel,
with PyTorch's straight-through gradient: the incoming gradient where the quantized value
fell inside ``[quant_min, quant_max]``, 0 outside.

The arithmetic is PyTorch's CPU kernel's: ``x * (1 / scale)`` with the reciprocal in float32,
``nearbyint`` (half to even), plus the zero point, truncated to int64 (an overflow or NaN is
int64's minimum, as the x86 conversion gives), clamped, and ``(q - zero_point) * scale``
computed in float32 per tensor (float64 per channel) and rounded to the input's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dispatch import Tensor, grad_state, make, record

__all__ = ["fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine",
           "fused_moving_avg_obs_fake_quant"]

_QMIN_MSG = "`quant_min` should be less than or         equal to `quant_max`."
_ZP_MSG = "`zero_point` must be between `quant_min` and `quant_max`."
_TYPE_NAMES = {"f": "Float", "d": "Double", "e": "Half", "q": "Long", "l": "Long", "i": "Int",
               "h": "Short", "b": "Char", "B": "Byte", "?": "Bool"}


def _type_name(a: Any) -> str:
    return _TYPE_NAMES.get(a.dtype.char, "BFloat16" if a.dtype.name == "bfloat16" else
                           a.dtype.name)


def _check_float(x: Any, kernel: str) -> None:
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(x)}\'')


def _fake_quant(xp: Any, x: Any, inv: Any, scale: Any, zp: Any, quant_min: int,
                quant_max: int, saturate: bool = False) -> tuple:
    """The fake-quantized array and the in-range mask; ``inv``/``scale``/``zp`` broadcast.
    ``saturate``: out-of-range values convert to int64 saturating (the per-tensor kernel),
    else to int64's minimum (the per-channel one); NaN to the minimum in both."""
    w = x.astype(np.float32) if x.itemsize < 4 else x  # half precision computes in float32
    with np.errstate(all="ignore"):
        v = w * inv.astype(w.dtype)
        # a float zero point is added before rounding, an integer one after
        v = xp.rint(v + zp.astype(w.dtype)) if zp.dtype.kind == "f" else xp.rint(v) + zp
        if saturate:
            v = xp.clip(v, quant_min - 1, quant_max + 1)
        q = v.astype(np.int64)
        mask = (q >= quant_min) & (q <= quant_max)
        y = (xp.clip(q, quant_min, quant_max) - zp).astype(scale.dtype) * scale
    return y.astype(x.dtype), mask


def _record(name: str, out: Any, mask: Any, input: Tensor) -> Tensor:
    res = make(out, input._device)
    if grad_state.enabled and input._rg:
        m = make(mask, input._device)
        record(name, res, (input,), lambda g, m: (g * m,), (m,))
    return res


def _per_tensor(input: Tensor, scale: float, zero_point: int, quant_min: int,
                quant_max: int, name: str) -> Tensor:
    x = input._data
    _check_float(x, "fake_quantize_tensor_cachemask_kernel_type_handling")
    sc = np.float32(scale)
    inv = np.float32(1.0) / sc if sc else np.float32(np.inf)
    y, mask = _fake_quant(input._device._backend.xp, x, np.asarray(inv), np.asarray(sc),
                          np.asarray(zero_point, dtype=np.int64), quant_min, quant_max, True)
    return _record(name, y, mask, input)


def fake_quantize_per_tensor_affine(input: Tensor, scale: Any, zero_point: Any,
                                    quant_min: int, quant_max: int) -> Tensor:
    """``(clamp(round(input / scale) + zero_point, quant_min, quant_max) - zero_point) *
    scale``; ``scale``/``zero_point`` are numbers or one-element tensors."""
    tensor_qparams = isinstance(scale, Tensor)
    if tensor_qparams != isinstance(zero_point, Tensor) or not tensor_qparams and (
            isinstance(zero_point, float)):
        _overload_error(input, scale, zero_point, quant_min, quant_max)
    if tensor_qparams:
        if scale._rg or zero_point._rg:
            arg = "scale" if scale._rg else "zero_point"
            raise RuntimeError(
                "The function '_fake_quantize_per_tensor_affine_cachemask_tensor_qparams' is "
                f"not differentiable with respect to argument '{arg}'. This input cannot have "
                "requires_grad True.")
        scale, zero_point = scale.item(), int(zero_point.item())
    if quant_min > quant_max:
        raise RuntimeError(_QMIN_MSG)
    if not tensor_qparams and not quant_min <= zero_point <= quant_max:
        raise RuntimeError(_ZP_MSG)
    name = ("FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0" if tensor_qparams
            else "FakeQuantizePerTensorAffineCachemaskBackward0")
    return _per_tensor(input, scale, zero_point, quant_min, quant_max, name)


def _overload_error(input: Any, scale: Any, zero_point: Any, qmin: Any, qmax: Any) -> None:
    got = [type(a).__name__ if not isinstance(a, Tensor) else "Tensor"
           for a in (input, scale, zero_point, qmin, qmax)]

    def marked(expected: tuple) -> str:
        return ", ".join(g if g == e or (g, e) == ("int", "float") else f"!{g}!"
                         for g, e in zip(got, expected))

    raise TypeError(
        "fake_quantize_per_tensor_affine() received an invalid combination of arguments - got "
        f"({', '.join(got)}), but expected one of:\n"
        " * (Tensor input, Tensor scale, Tensor zero_point, int quant_min, int quant_max)\n"
        "      didn't match because some of the arguments have invalid types: "
        f"({marked(('Tensor', 'Tensor', 'Tensor', 'int', 'int'))})\n"
        " * (Tensor input, float scale, int zero_point, int quant_min, int quant_max)\n"
        "      didn't match because some of the arguments have invalid types: "
        f"({marked(('Tensor', 'float', 'int', 'int', 'int'))})\n")


def fake_quantize_per_channel_affine(input: Tensor, scale: Tensor, zero_point: Tensor,
                                     axis: int, quant_min: int, quant_max: int) -> Tensor:
    """Fake quantization with one ``scale``/``zero_point`` per slice of ``input`` along
    ``axis``; a floating ``zero_point`` is added before rounding."""
    for name, pos, a in (("scale", 2, scale), ("zero_point", 3, zero_point)):
        if not isinstance(a, Tensor):
            raise TypeError(f"fake_quantize_per_channel_affine(): argument '{name}' (position "
                            f"{pos}) must be Tensor, not {type(a).__name__}")
    s, z, x = scale._data, zero_point._data, input._data
    if s.dtype != np.float32 and s.dtype.name != "bfloat16":
        raise RuntimeError(f"Scale must be Float or BFloat16, found {_type_name(s)}")
    if z.dtype not in (np.int32, np.float32, np.float16):
        raise RuntimeError(f"Zero-point must be Int32, Float or Half, found {_type_name(z)}")
    if s.ndim != 1:
        raise RuntimeError("scale should be a 1-D tensor")
    if z.ndim != 1:
        raise RuntimeError("zero point should be a 1-D tensor")
    if s.size != z.size:
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    if s.size != input.size(axis):
        raise RuntimeError(
            "dimensions of scale and zero-point are not consistent with input tensor")
    if quant_min > quant_max:
        raise RuntimeError(_QMIN_MSG)
    float_zp = z.dtype.kind == "f"
    if not float_zp and z.size and (int(z.min()) < quant_min or int(z.max()) > quant_max):
        raise RuntimeError(_ZP_MSG)
    if not 0 <= axis <= x.ndim:
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")
    return _per_channel(input, s, z, axis, quant_min, quant_max,
                        "FakeQuantizePerChannelAffineCachemaskBackward0")


def _per_channel(input: Tensor, s: Any, z: Any, axis: int, quant_min: int, quant_max: int,
                 name: str) -> Tensor:
    x = input._data
    _check_float(x, "fake_quantize_channel_cachemask_cpu_type_handling")
    shape = [1] * x.ndim
    shape[axis] = -1
    sc = s.astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = (np.float32(1.0) / sc).reshape(shape)
    zp = z.astype(np.float64 if z.dtype.kind == "f" else np.int64).reshape(shape)
    xp = input._device._backend.xp
    y, mask = _fake_quant(xp, x, inv, sc.astype(np.float64).reshape(shape), zp, quant_min,
                          quant_max)
    return _record(name, y, mask, input)


_SMALL_SCALE = np.float32(6.1e-5)


def _choose_qparams(lo: Any, hi: Any, qmin: int, qmax: int, symmetric: bool) -> tuple:
    """PyTorch's C++ ``ChooseQuantizationParams`` over arrays of float32 minima/maxima:
    float32 scales (symmetric: the range widened to ``[-(n/2+1), n/2]`` steps) and int32
    zero points nudged to the nearer end."""
    lo, hi = lo.astype(np.float32), hi.astype(np.float32)
    with np.errstate(all="ignore"):
        straddle = (lo < 0) & (hi > 0)
        if symmetric:
            sq_min, sq_max = -((qmax - qmin) // 2 + 1), (qmax - qmin) // 2
            step = np.maximum(np.abs(lo / np.float32(sq_min)), np.abs(hi / np.float32(sq_max)))
            step = step.astype(np.float64)
            lo = np.where(straddle, (step * sq_min).astype(np.float32), lo)
            hi = np.where(straddle, (step * sq_max).astype(np.float32), hi)
        lo, hi = np.minimum(lo, np.float32(0)), np.maximum(hi, np.float32(0))
        scale = (hi.astype(np.float64) - lo) / (qmax - qmin)
        s32 = scale.astype(np.float32)
        scale = np.where((s32 == 0) | np.isinf(np.float32(1) / s32), 0.1, scale)
        small = scale < _SMALL_SCALE
        if small.any():
            amp = (_SMALL_SCALE / scale.astype(np.float32)).astype(np.float32)
            span = np.float32(_SMALL_SCALE * np.float32(qmax - qmin))
            new_hi = np.where(lo == 0, span, np.where(hi == 0, hi, hi * amp))
            new_lo = np.where(lo == 0, lo, np.where(hi == 0, -span, lo * amp))
            lo, hi = np.where(small, new_lo, lo), np.where(small, new_hi, hi)
            scale = np.where(small, np.float64(_SMALL_SCALE), scale)
        from_min = qmin - lo / scale
        from_max = qmax - hi / scale
        zp = np.where(abs(qmin) - np.abs(lo / scale) < abs(qmax) - np.abs(hi / scale),
                      from_min, from_max)
        if symmetric:
            zp = np.where((lo < 0) & (hi > 0), (qmin + qmax) / 2, zp)
        zp = np.where(zp < qmin, qmin, np.where(zp > qmax, qmax, np.rint(zp)))
    return scale.astype(np.float32), zp.astype(np.int32)


def fused_moving_avg_obs_fake_quant(input: Tensor, observer_on: Tensor, fake_quant_on: Tensor,
                                    running_min: Tensor, running_max: Tensor, scale: Tensor,
                                    zero_point: Tensor, averaging_const: float, quant_min: int,
                                    quant_max: int, ch_axis: int,
                                    per_row_fake_quant: bool = False,
                                    symmetric_quant: bool = False) -> Tensor:
    """One step of a moving-average min/max observer (updating ``running_min``/``running_max``
    in place when ``observer_on``), then, when ``fake_quant_on``, the quantization parameters
    (written into ``scale``/``zero_point``) and fake quantization of ``input``."""
    if ch_axis >= input.dim():
        raise RuntimeError("Error in fused_moving_avg_obs_fake_quant_cpu: ch_axis must be < "
                           "self.dim()")
    x, xp = input._data, input._device._backend.xp
    if per_row_fake_quant and running_min.numel() == 0:
        size = input.size(ch_axis)
        running_min.resize_(size).fill_(float("inf"))
        running_max.resize_(size).fill_(float("-inf"))
        scale.resize_(size)
        zero_point.resize_(size)
    if int(observer_on.item()):
        if per_row_fake_quant:
            rows = xp.moveaxis(x, ch_axis, 0).reshape(x.shape[ch_axis], -1)
            cur_min, cur_max = rows.min(axis=1), rows.max(axis=1)
        else:
            cur_min, cur_max = x.min(), x.max()
        c = np.float32(averaging_const)
        for run, cur in ((running_min, cur_min), (running_max, cur_max)):
            r = run._data  # a running value still at +-inf takes the new one as is
            with np.errstate(invalid="ignore"):
                new = xp.where(xp.isinf(r), cur, r + c * (cur - r)).astype(r.dtype)
            run.copy_(make(new, run._device))
    if not int(fake_quant_on.item()):
        return _record("FusedMovingAvgObsFqHelperBackward0", x.copy(),
                       xp.ones(x.shape, dtype=bool), input)
    # the qparams of a few channels, on the host as PyTorch's scalar loop
    s, z = _choose_qparams(running_min.cpu().numpy(), running_max.cpu().numpy(), quant_min,
                           quant_max, symmetric_quant)
    for t, v in ((scale, s), (zero_point, z)):
        t.copy_(make(t._device._backend.xp.asarray(v.reshape(t.shape)), t._device))
    if per_row_fake_quant:
        return _per_channel(input, xp.asarray(s.reshape(-1)), xp.asarray(z.reshape(-1)),
                            ch_axis, quant_min, quant_max, "FusedMovingAvgObsFqHelperBackward0")
    return _per_tensor(input, float(s.reshape(-1)[0]), int(z.reshape(-1)[0]), quant_min,
                       quant_max, "FusedMovingAvgObsFqHelperBackward0")
