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
           "MovingAveragePerChannelMinMaxObserver", "HistogramObserver", "FixedQParamsObserver",
           "default_fixed_qparams_range_neg1to1_observer",
           "default_fixed_qparams_range_0to1_observer", "default_observer",
           "default_weight_observer", "default_per_channel_weight_observer"]

_EPS = ember.finfo(ember.float32).eps
_PER_TENSOR = (ember.per_tensor_affine, ember.per_tensor_symmetric)
_PER_CHANNEL = (ember.per_channel_affine, ember.per_channel_symmetric,
                ember.per_channel_affine_float_qparams)
_SYMMETRIC = (ember.per_tensor_symmetric, ember.per_channel_symmetric)
_ALLOWED_DTYPES = (ember.qint8, ember.quint8, ember.quint4x2, ember.qint32, ember.int8,
                   ember.uint8, ember.int16, ember.int32, ember.float8_e5m2,
                   ember.float8_e4m3fn, ember.uint16)



def resize_loaded(module: Any, state_dict: dict, prefix: str, names: tuple,
                  strict: bool = False, missing_keys: list | None = None) -> None:
    """Resize ``module``'s buffers ``names`` to the shapes ``state_dict`` holds for them (their
    length is the data's: observed ranges, per-channel qparams); under ``strict`` an absent one
    goes into ``missing_keys``."""
    for name in names:
        key = prefix + name
        if key in state_dict:
            getattr(module, name).resize_(state_dict[key].shape)
        elif strict and missing_keys is not None:
            missing_keys.append(key)

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
        resize_loaded(self, state_dict, prefix, ("min_val", "max_val"), strict, missing_keys)
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



class HistogramObserver(UniformQuantizationObserverBase):
    """Records a running histogram (``bins`` bins between the running minimum and maximum;
    earlier histograms are upsampled onto a wider range) and picks the clipping range that
    minimizes the L2 quantization error of the histogram."""

    def __init__(self, bins: int = 2048, dtype: Any = ember.quint8,
                 qscheme: Any = ember.per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs: Any = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if qscheme not in _PER_TENSOR:
            raise NotImplementedError(
                "HistogramObserver's qscheme only support ember.per_tensor_symmetric "
                "                    and ember.per_tensor_affine.")
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        factory_kwargs = nn.factory_kwargs(factory_kwargs)
        self.bins = bins
        self.register_buffer("histogram", ember.zeros(self.bins, **factory_kwargs))
        self.register_buffer("min_val", ember.tensor(float("inf"), **factory_kwargs))
        self.register_buffer("max_val", ember.tensor(float("-inf"), **factory_kwargs))
        self.dst_nbins = 2 ** ember.iinfo(self.dtype).bits
        self.upsample_rate = 16

    @staticmethod
    def _get_norm(delta_begin: Any, delta_end: Any, density: Any) -> Any:
        """``density`` times the integral of x^2 from ``delta_begin`` to ``delta_end``."""
        return density * ((delta_end * delta_end * delta_end
                           - delta_begin * delta_begin * delta_begin) / 3)

    def _compute_quantization_error(self, next_start_bin: int, next_end_bin: int) -> float:
        """The L2 error of quantizing the histogram to ``dst_nbins`` levels spanning bins
        ``next_start_bin`` to ``next_end_bin``."""
        bin_width = (self.max_val.item() - self.min_val.item()) / self.bins
        dst_bin_width = bin_width * (next_end_bin - next_start_bin + 1) / self.dst_nbins
        if dst_bin_width == 0.0:
            return 0.0
        top = self.dst_nbins - 1
        src_bin_begin = (ember.arange(self.bins) - next_start_bin) * bin_width
        src_bin_end = src_bin_begin + bin_width
        dst_of_begin = ember.clamp(ember.div(src_bin_begin, dst_bin_width,
                                             rounding_mode="floor"), 0, top)
        dst_of_end = ember.clamp(ember.div(src_bin_end, dst_bin_width, rounding_mode="floor"),
                                 0, top)
        density = self.histogram / bin_width
        half = dst_bin_width / 2
        norm = ember.zeros(self.bins)
        norm += self._get_norm(src_bin_begin - (dst_of_begin + 0.5) * dst_bin_width,
                               ember.ones(self.bins) * half, density)
        norm += (dst_of_end - dst_of_begin - 1) * self._get_norm(
            ember.tensor(-half), ember.tensor(half), density)
        norm += self._get_norm(ember.tensor(-half),
                               src_bin_end - (dst_of_end * dst_bin_width + half), density)
        return norm.sum().item()

    def _non_linear_param_search(self) -> tuple:
        """The minimum and maximum (bin edges) that minimize the quantization error, found by
        trimming the histogram's tails in 1e-5 steps of the cumulative mass."""
        if self.histogram.size()[0] != self.bins:
            raise AssertionError("bins mismatch")
        bin_width = (self.max_val - self.min_val) / self.bins
        total = ember.sum(self.histogram).item()
        csum = ember.cumsum(self.histogram, dim=0).tolist()
        f32 = ember.tensor([0.0]).numpy().dtype.type  # compare as the float32 tensor does
        stepsize, alpha, beta = 1e-5, 0.0, 1.0
        start_bin, end_bin = 0, self.bins - 1
        norm_min = float("inf")
        while alpha < beta:
            next_alpha, next_beta = alpha + stepsize, beta - stepsize
            low, high = f32(next_alpha * total), f32(next_beta * total)
            left, right = start_bin, end_bin
            while left < end_bin and csum[left] < low:
                left += 1
            while right > start_bin and csum[right] > high:
                right -= 1
            next_start_bin, next_end_bin = start_bin, end_bin
            if (left - start_bin) > (end_bin - right):
                next_start_bin, alpha = left, next_alpha
            else:
                next_end_bin, beta = right, next_beta
            if next_start_bin == start_bin and next_end_bin == end_bin:
                continue
            norm = self._compute_quantization_error(next_start_bin, next_end_bin)
            if norm > norm_min:
                break
            norm_min = norm
            start_bin, end_bin = next_start_bin, next_end_bin
        return (self.min_val + bin_width * start_bin,
                self.min_val + bin_width * (end_bin + 1))

    def _upscale_histogram(self, histogram: Any, orig_min: Any, orig_max: Any,
                           update_min: Any, update_max: Any) -> Any:
        """``histogram`` over [orig_min, orig_max] redistributed onto ``bins`` bins over
        [update_min, update_max] (each bin split into ``upsample_rate`` parts)."""
        n = self.bins * self.upsample_rate
        histogram = histogram.repeat_interleave(self.upsample_rate) / self.upsample_rate
        bin_size = (orig_max - orig_min) / n
        mids = ember.linspace(orig_min, orig_max, n + 1)[:-1] + 0.5 * bin_size
        edges = ember.linspace(update_min, update_max, self.bins + 1)
        buckets = ember.bucketize(mids, edges, right=True) - 1
        buckets = ember.clamp(buckets, 0, self.bins - 1)
        return ember.bincount(buckets, weights=histogram, minlength=self.bins)

    def _combine_histograms(self, orig_hist: Any, orig_min: Any, orig_max: Any,
                            update_hist: Any, update_min: Any, update_max: Any) -> Any:
        if update_min == orig_min and update_max == orig_max:
            return orig_hist + update_hist
        if orig_min == orig_max:
            moved = ember.histc(orig_min, bins=self.bins, min=update_min, max=update_max)
            return moved * ember.sum(orig_hist) + update_hist
        if update_min > orig_min:
            raise AssertionError("update_min must be <= orig_min")
        if update_max < orig_max:
            raise AssertionError("update_max must be >= orig_max")
        return update_hist + self._upscale_histogram(orig_hist, orig_min, orig_max,
                                                     update_min, update_max)

    def _set(self, name: str, value: Any) -> None:
        buf = getattr(self, name)
        buf.detach_().resize_(value.shape)
        buf.copy_(value)

    def reset_histogram(self, x: Any, min_val: Any, max_val: Any) -> None:
        self._set("min_val", min_val)
        self._set("max_val", max_val)
        if min_val.numel() != 1 or max_val.numel() != 1:
            raise AssertionError("histogram min/max values must be scalar.")
        self._set("histogram", ember.histc(x, self.bins, min=min_val, max=max_val))

    def forward(self, x_orig: Any) -> Any:
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach()
        x_min, x_max = ember.aminmax(x)
        if x_min == -float("inf") or x_max == float("inf"):
            warnings.warn("torch.inf detected in input tensor, ignoring input", stacklevel=2)
            x = x[x.abs() != float("inf")]
            if x.numel() == 0:
                return x_orig
            x_min, x_max = ember.aminmax(x)
        cur_min, cur_max = self.min_val, self.max_val
        if cur_min == float("inf") or cur_max == float("-inf"):
            self.reset_histogram(x, x_min, x_max)
            return x_orig
        new_min = ember.min(cur_min, x_min).detach()
        new_max = ember.max(cur_max, x_max).detach()
        update = ember.histc(x, self.bins, min=new_min, max=new_max)
        if new_min == cur_min and new_max == cur_max:
            self._set("histogram", self.histogram + update)
        else:
            self._set("histogram", self._combine_histograms(self.histogram, cur_min, cur_max,
                                                            update, new_min, new_max))
            self._set("min_val", new_min)
            self._set("max_val", new_max)
        return x_orig

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        if self.min_val == float("inf") and self.max_val == float("-inf"):
            warnings.warn("must run observer before calling calculate_qparams."
                          "                                    Returning default scale and "
                          "zero point ", stacklevel=2)
            return ember.tensor([1.0]), ember.tensor([0])
        if self.bins != len(self.histogram):
            raise AssertionError("The number of bins in histogram should be equal to the "
                                 "number of bins supplied while making this observer")
        new_min, new_max = self._non_linear_param_search()
        return self._calculate_qparams(new_min, new_max)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        # loaded minima/maxima (and histograms of any length) replace the buffers
        resize_loaded(self, state_dict, prefix, ("min_val", "max_val", "histogram"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class FixedQParamsObserver(ObserverBase):
    """An observer with fixed ``scale`` and ``zero_point`` (for outputs of known range such
    as sigmoid's and tanh's); it records nothing."""

    def __init__(self, scale: float, zero_point: int, dtype: Any = ember.quint8,
                 qscheme: Any = ember.per_tensor_affine, quant_min: int = 0,
                 quant_max: int = 255, is_dynamic: bool = False, **kwargs: Any) -> None:
        if is_dynamic:
            raise NotImplementedError("FixedQParamsObserver doesn't support dynamic quantization")
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.quant_min = quant_min
        self.quant_max = quant_max
        self.register_buffer("scale", ember.tensor([scale], dtype=ember.float))
        self.register_buffer("zero_point", ember.tensor([zero_point], dtype=ember.int))
        self.dtype = dtype
        self.qscheme = qscheme

    def forward(self, X: Any) -> Any:
        return X

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        return self.scale, self.zero_point

default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_weight_observer = MinMaxObserver.with_args(dtype=ember.qint8,
                                                   qscheme=ember.per_tensor_symmetric)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=ember.qint8, qscheme=ember.per_channel_symmetric)
default_fixed_qparams_range_neg1to1_observer = FixedQParamsObserver.with_args(
    scale=2.0 / 256.0, zero_point=128, dtype=ember.quint8, quant_min=0, quant_max=255)
default_fixed_qparams_range_0to1_observer = FixedQParamsObserver.with_args(
    scale=1.0 / 256.0, zero_point=0, dtype=ember.quint8, quant_min=0, quant_max=255)
