"""Observers: modules that watch the tensors passing through them (running or moving-average
min/max, per tensor or per channel) and turn what they saw into quantization parameters
(``calculate_qparams()`` gives ``scale`` and ``zero_point``), as ``torch.ao.quantization``'s.
"""

from __future__ import annotations

import warnings
from abc import ABCMeta, abstractmethod
from functools import partial
from typing import Any

import ember
from ember import nn

__all__ = ["ObserverBase", "UniformQuantizationObserverBase", "MinMaxObserver",
           "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
           "MovingAveragePerChannelMinMaxObserver", "default_observer",
           "default_weight_observer", "default_per_channel_weight_observer"]

_EPS = ember.finfo(ember.float32).eps
_PER_TENSOR = (ember.per_tensor_affine, ember.per_tensor_symmetric)
_PER_CHANNEL = (ember.per_channel_affine, ember.per_channel_symmetric,
                ember.per_channel_affine_float_qparams)
_SYMMETRIC = (ember.per_tensor_symmetric, ember.per_channel_symmetric)
_ALLOWED_DTYPES = (ember.qint8, ember.quint8, ember.quint4x2, ember.qint32, ember.int8,
                   ember.uint8, ember.int16, ember.int32, ember.float8_e5m2,
                   ember.float8_e4m3fn, ember.uint16)


class _PartialWrapper:
    """A constructor with arguments bound (``Observer.with_args(...)``); each call builds a
    new instance. ``callable_args`` are called at construction time."""

    def __init__(self, p: partial):
        self.p = p
        self.callable_args: dict = {}

    def __call__(self, *args: Any, **keywords: Any) -> Any:
        for name, make in self.callable_args.items():
            if name not in keywords:
                keywords = {**keywords, name: make()}
        return self.p(*args, **keywords)

    def __repr__(self) -> str:
        return repr(self.p) + repr(self.callable_args)

    def with_args(self, **kwargs: Any) -> _PartialWrapper:
        return _with_args(self, **kwargs)

    def with_callable_args(self, **kwargs: Any) -> _PartialWrapper:
        result = _PartialWrapper(p=self.p)
        result.callable_args = {**self.callable_args, **kwargs}
        return result


def _with_args(cls_or_self: Any, **kwargs: Any) -> _PartialWrapper:
    return _PartialWrapper(partial(cls_or_self, **kwargs))


def _with_callable_args(cls_or_self: Any, **kwargs: Any) -> _PartialWrapper:
    return _PartialWrapper(partial(cls_or_self)).with_callable_args(**kwargs)


class ObserverBase(nn.Module, metaclass=ABCMeta):
    """Base observer: ``forward`` records statistics, ``calculate_qparams`` turns them into
    quantization parameters."""

    def __init__(self, dtype: Any, is_dynamic: bool = False):
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    @abstractmethod
    def forward(self, x: Any) -> Any:
        pass

    @abstractmethod
    def calculate_qparams(self, **kwargs: Any) -> Any:
        pass

    with_args = classmethod(_with_args)
    with_callable_args = classmethod(_with_callable_args)


def _qrange(quant_min: Any, quant_max: Any, customized: bool, dtype: Any,
            reduce_range: bool) -> tuple[int, int]:
    """The observer's integer range: the given one (halved by ``reduce_range``) or the
    dtype's 8-bit (or 32-bit, 16-bit) range."""
    if customized:
        span = quant_max - quant_min + 1
        if dtype in (ember.qint8, ember.int8) and not 0 < span <= 256:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=256).")
        if dtype in (ember.qint32, ember.int32) and not 0 < span <= 2**32:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=4294967296).")
        return (quant_min // 2, quant_max // 2) if reduce_range else (quant_min, quant_max)
    if dtype in (ember.qint8, ember.int8):
        return (-64, 63) if reduce_range else (-128, 127)
    if dtype in (ember.quint8, ember.uint8):
        return (0, 127) if reduce_range else (0, 255)
    if dtype in (ember.qint32, ember.int32):
        return -(2**31), 2**31 - 1
    if dtype == ember.uint16:
        return 0, 2**16 - 1
    if dtype == ember.int16:
        return -(2**15), 2**15 - 1
    return 0, 15


def _min_max_valid(min_val: Any, max_val: Any) -> bool:
    """Whether the observer has seen data (a warning if not); min above max is an error."""
    unset = min_val.numel() == 0 or max_val.numel() == 0 or (
        (min_val.dim() == 0 or max_val.dim() == 0)
        and min_val == float("inf") and max_val == float("-inf"))
    if unset:
        warnings.warn("must run observer before calling calculate_qparams. Returning default "
                      "values.", stacklevel=2)
        return False
    if ember.any(min_val > max_val):
        raise AssertionError(f"min {min_val} should be less than max {max_val}")
    return True


class UniformQuantizationObserverBase(ObserverBase):
    """Common base of the observers that compute ``scale``/``zero_point`` of uniform
    (affine or symmetric) quantization from a minimum and a maximum."""

    _version = 3

    def __init__(self, dtype: Any = ember.quint8, qscheme: Any = ember.per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs: Any = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        factory_kwargs = nn.factory_kwargs(factory_kwargs)
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.qscheme = qscheme
        if reduce_range:
            warnings.warn("Please use quant_min and quant_max to specify the range for "
                          "observers.                     reduce_range will be deprecated in "
                          "a future release of PyTorch.", stacklevel=2)
        self.reduce_range = reduce_range
        self.register_buffer("eps", ember.tensor([eps], **factory_kwargs))
        if qscheme not in _PER_TENSOR + _PER_CHANNEL:
            raise AssertionError(
                "Default Observer only works for per_tensor_affine, per_tensor_symmetric, "
                "per_channel_affine, per_channel_symmetric and per_channel_float_qparams "
                "quantization scheme")
        if dtype not in _ALLOWED_DTYPES:
            names = ", ".join(str(d) for d in _ALLOWED_DTYPES)
            raise AssertionError(f"Default Observer only works for ({names}) data type")
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange:
            if not quant_min <= 0 <= quant_max:
                raise AssertionError("Used-specified quantization range must include 0.")
            if quant_min >= quant_max:
                raise AssertionError("qmin must be strictly less than qmax for "
                                     "user-specified quantization range.")
        self.quant_min, self.quant_max = _qrange(quant_min, quant_max,
                                                 self.has_customized_qrange, dtype,
                                                 reduce_range)

    def _calculate_qparams(self, min_val: Any, max_val: Any) -> tuple:
        """``scale`` (float32) and ``zero_point`` (int32 affine, int64 symmetric) from the
        observed minima and maxima; 1-element tensors per tensor."""
        if not _min_max_valid(min_val, max_val):
            return ember.tensor([1.0]), ember.tensor([0])
        qmin, qmax = self.quant_min, self.quant_max
        min_neg = ember.min(min_val, ember.zeros_like(min_val))
        max_pos = ember.max(max_val, ember.zeros_like(max_val))
        zero_point = ember.zeros(min_neg.size(), dtype=ember.int64)
        if self.qscheme in _SYMMETRIC:
            max_pos = ember.max(-min_neg, max_pos)
            scale = ember.max(max_pos / (float(qmax - qmin) / 2), self.eps)
            if self.dtype in (ember.quint8, ember.uint8):
                mid = (qmin + qmax) // 2 if self.has_customized_qrange else 128
                zero_point = zero_point.new_full(zero_point.size(), mid)
            elif self.dtype == ember.uint16:
                zero_point = zero_point.new_full(zero_point.size(), 2**15)
        elif self.qscheme == ember.per_channel_affine_float_qparams:
            scale = (max_val - min_val) / float(qmax - qmin)
            scale = ember.where(scale > self.eps, scale, ember.ones_like(scale))
            zero_point = -1 * min_val / scale
        else:
            scale = ember.max((max_pos - min_neg) / float(qmax - qmin), self.eps)
            zero_point = qmin - ember.round(min_neg / scale).to(ember.int)
            zero_point = ember.clamp(zero_point, qmin, qmax)
        if scale.dim() == 0:
            scale = ember.tensor([float(scale)], dtype=scale.dtype)
        if zero_point.dim() == 0:
            zero_point = ember.tensor([int(zero_point)], dtype=zero_point.dtype)
            if self.qscheme == ember.per_channel_affine_float_qparams:
                zero_point = ember.tensor([float(zero_point)], dtype=zero_point.dtype)
        return scale, zero_point

    def reset_min_max_vals(self) -> None:
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


def _no_symmetric_reduce(obs: UniformQuantizationObserverBase, symmetric: Any,
                         msg: str) -> None:
    if obs.qscheme == symmetric and obs.reduce_range and obs.dtype == ember.quint8:
        raise NotImplementedError(msg)


class MinMaxObserver(UniformQuantizationObserverBase):
    """Records the running minimum and maximum of the tensors it sees; per tensor."""

    def __init__(self, dtype: Any = ember.quint8, qscheme: Any = ember.per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs: Any = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        if qscheme not in _PER_TENSOR:
            raise NotImplementedError(
                "MinMaxObserver's qscheme only support torch.per_tensor_symmetric      "
                "               and torch.per_tensor_affine.")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        factory_kwargs = nn.factory_kwargs(factory_kwargs)
        self.register_buffer("min_val", ember.tensor(float("inf"), **factory_kwargs))
        self.register_buffer("max_val", ember.tensor(float("-inf"), **factory_kwargs))
        _no_symmetric_reduce(self, ember.per_tensor_symmetric,
                             "Cannot reduce range for symmetric                              "
                             "          quantization for quint8")

    def _observed(self, x_orig: Any) -> tuple:
        """The new minimum and maximum of ``x_orig`` (detached, in the buffers' dtype)."""
        return ember.aminmax(x_orig.detach().to(self.min_val.dtype))

    def _store(self, min_val: Any, max_val: Any) -> None:
        self.min_val.copy_(min_val)
        self.max_val.copy_(max_val)

    def forward(self, x_orig: Any) -> Any:
        """Records the running minimum and maximum of ``x``."""
        if x_orig.numel() == 0:
            return x_orig
        cur_min, cur_max = self._observed(x_orig)
        self._store(ember.min(cur_min, self.min_val), ember.max(cur_max, self.max_val))
        return x_orig

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        """Calculates the quantization parameters."""
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def reset_min_max_vals(self) -> None:
        """Resets the min/max values."""
        self.min_val.copy_(ember.tensor(float("inf")))
        self.max_val.copy_(ember.tensor(float("-inf")))


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Records the moving averages (constant ``averaging_constant``) of the minima and maxima
    of the tensors it sees; per tensor."""

    def __init__(self, averaging_constant: float = 0.01, dtype: Any = ember.quint8,
                 qscheme: Any = ember.per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        if qscheme not in _PER_TENSOR:
            raise NotImplementedError(
                "MovingAverageMinMaxObserver's qscheme only support                 "
                "torch.per_tensor_symmetric and torch.per_tensor_affine.                 "
                f"but got: {qscheme}")
        self.averaging_constant = averaging_constant
        if is_dynamic and averaging_constant != 1:
            raise NotImplementedError(
                "MovingAverageMinMaxObserver doesn't support dynamic quantization for "
                f"averaging constant of {averaging_constant}")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps,
                         is_dynamic=is_dynamic, **kwargs)

    def forward(self, x_orig: Any) -> Any:
        if x_orig.numel() == 0:
            return x_orig
        cur_min, cur_max = self._observed(x_orig)
        min_val, max_val = self.min_val, self.max_val
        if min_val == float("inf") and max_val == float("-inf"):
            self._store(cur_min, cur_max)
        else:
            c = self.averaging_constant
            self._store(min_val + c * (cur_min - min_val), max_val + c * (cur_max - max_val))
        return x_orig


class PerChannelMinMaxObserver(UniformQuantizationObserverBase):
    """Records the running minimum and maximum of each slice along ``ch_axis``."""

    def __init__(self, ch_axis: int = 0, dtype: Any = ember.quint8,
                 qscheme: Any = ember.per_channel_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs: Any = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if qscheme not in _PER_CHANNEL:
            raise NotImplementedError(_per_channel_msg(type(self).__name__))
        if is_dynamic:
            raise NotImplementedError(
                f"{type(self).__name__} doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        factory_kwargs = nn.factory_kwargs(factory_kwargs)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", ember.tensor([], **factory_kwargs))
        self.register_buffer("max_val", ember.tensor([], **factory_kwargs))
        _no_symmetric_reduce(self, ember.per_channel_symmetric,
                             "Cannot reduce range for symmetric quantization for quint8")

    def _channel_minmax(self, x_orig: Any) -> tuple:
        """Each channel's minimum and maximum (channels along ``ch_axis``)."""
        x = x_orig.detach()
        axes = list(range(x.dim()))
        axes[self.ch_axis], axes[0] = 0, self.ch_axis
        y = ember.flatten(x.permute(axes).to(self.min_val.dtype), start_dim=1)
        return ember.aminmax(y, dim=1)

    def _store(self, min_val: Any, max_val: Any) -> None:
        self.min_val.resize_(min_val.shape)
        self.max_val.resize_(max_val.shape)
        self.min_val.copy_(min_val)
        self.max_val.copy_(max_val)

    def forward(self, x_orig: Any) -> Any:
        if x_orig.numel() == 0:
            return x_orig
        cur_min, cur_max = self._channel_minmax(x_orig)
        if self.min_val.numel() == 0 or self.max_val.numel() == 0:
            self._store(cur_min, cur_max)
        else:
            self._store(ember.min(cur_min, self.min_val), ember.max(cur_max, self.max_val))
        return x_orig

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        # loaded minima/maxima of any length replace the (empty until observed) buffers
        for name in ("min_val", "max_val"):
            key = prefix + name
            if key in state_dict:
                getattr(self, name).resize_(state_dict[key].shape)
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False,
                                      missing_keys, unexpected_keys, error_msgs)

    def reset_min_max_vals(self) -> None:
        """Resets the min/max values."""
        self.min_val = ember.rand(0)
        self.max_val = ember.rand(0)


def _per_channel_msg(name: str) -> str:
    return (f"{name}'s qscheme only support                     torch.per_channel_symmetric, "
            "torch.per_channel_affine and torch.per_channel_affine_float_qparams.")


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """Records the moving averages of each channel's minimum and maximum."""

    def __init__(self, averaging_constant: float = 0.01, ch_axis: int = 0,
                 dtype: Any = ember.quint8, qscheme: Any = ember.per_channel_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme,
                         reduce_range=reduce_range, quant_min=quant_min, quant_max=quant_max,
                         eps=eps, is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig: Any) -> Any:
        if x_orig.numel() == 0:
            return x_orig
        cur_min, cur_max = self._channel_minmax(x_orig)
        min_val, max_val = self.min_val, self.max_val
        if min_val.numel() == 0 or max_val.numel() == 0:
            self._store(cur_min, cur_max)
        else:
            c = self.averaging_constant
            self._store(min_val + c * (cur_min - min_val), max_val + c * (cur_max - max_val))
        return x_orig


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_weight_observer = MinMaxObserver.with_args(dtype=ember.qint8,
                                                   qscheme=ember.per_tensor_symmetric)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=ember.qint8, qscheme=ember.per_channel_symmetric)
