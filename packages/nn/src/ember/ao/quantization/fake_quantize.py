"""Fake-quantize modules for quantization-aware training: an observer updates ``scale`` and
``zero_point`` from the tensors passing through, which are then quantized and dequantized in
floating point (gradients pass straight through inside the range), as
``torch.ao.quantization.fake_quantize``'s.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import ember
from ember.nn import Module

from .observer import (
    FixedQParamsObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    _with_args,
    _with_callable_args,
    default_fixed_qparams_range_0to1_observer,
    default_fixed_qparams_range_neg1to1_observer,
    resize_loaded,
)

__all__ = ["FakeQuantizeBase", "FakeQuantize", "FusedMovingAvgObsFakeQuantize",
           "FixedQParamsFakeQuantize", "default_fixed_qparams_range_neg1to1_fake_quant",
           "default_fixed_qparams_range_0to1_fake_quant",
           "default_fake_quant", "default_weight_fake_quant",
           "default_per_channel_weight_fake_quant", "default_fused_act_fake_quant",
           "default_fused_wt_fake_quant", "default_fused_per_channel_wt_fake_quant",
           "disable_fake_quant", "enable_fake_quant", "disable_observer", "enable_observer"]

_PER_CHANNEL = (ember.per_channel_affine, ember.per_channel_symmetric,
                ember.per_channel_affine_float_qparams)
_PER_TENSOR = (ember.per_tensor_affine, ember.per_tensor_symmetric)


class FakeQuantizeBase(Module, metaclass=ABCMeta):
    """Base fake-quantize module: ``fake_quant_enabled``/``observer_enabled`` uint8 buffers
    switch the fake quantization and the statistics on and off."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("fake_quant_enabled", ember.tensor([1], dtype=ember.uint8))
        self.register_buffer("observer_enabled", ember.tensor([1], dtype=ember.uint8))

    @abstractmethod
    def forward(self, x: Any) -> Any:
        pass

    @abstractmethod
    def calculate_qparams(self, **kwargs: Any) -> Any:
        pass

    def enable_fake_quant(self, enabled: bool = True) -> None:
        self.fake_quant_enabled[0] = 1 if enabled else 0

    def disable_fake_quant(self) -> None:
        self.enable_fake_quant(False)

    def enable_observer(self, enabled: bool = True) -> None:
        self.observer_enabled[0] = 1 if enabled else 0

    def disable_observer(self) -> None:
        self.enable_observer(False)

    @classmethod
    def with_args(cls, **kwargs: Any) -> Any:
        constructor = _with_args(cls, **kwargs)
        constructor.__module__ = "ember.ao.quantization.fake_quantize"
        return constructor

    with_callable_args = classmethod(_with_callable_args)


class FakeQuantize(FakeQuantizeBase):
    """Simulates quantize-then-dequantize in training:
    ``(clamp(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) * scale``,
    with ``scale``/``zero_point`` from ``observer`` (built with ``observer_kwargs``)."""

    def __init__(self, observer: Any = MovingAverageMinMaxObserver,
                 quant_min: int | None = None, quant_max: int | None = None,
                 is_dynamic: bool = False, **observer_kwargs: Any) -> None:
        super().__init__()
        if quant_min is not None and quant_max is not None:
            if quant_min > quant_max:
                raise AssertionError("quant_min must be less than or equal to quant_max")
            dtype = observer_kwargs.get("dtype", ember.quint8)
            if hasattr(observer, "p"):  # a with_args wrapper may carry the dtype
                dtype = getattr(observer.p, "keywords", {}).get("dtype", dtype)
            if ember.iinfo(dtype).min > quant_min:
                raise AssertionError("quant_min out of bound")
            if quant_max > ember.iinfo(dtype).max:
                raise AssertionError("quant_max out of bound")
            observer_kwargs.update({"quant_min": quant_min, "quant_max": quant_max})
        observer_kwargs["is_dynamic"] = is_dynamic
        self.activation_post_process = observer(**observer_kwargs)
        obs = self.activation_post_process
        self.quant_min, self.quant_max = obs.quant_min, obs.quant_max
        self.is_dynamic = obs.is_dynamic
        zero_point_dtype = (ember.float if obs.qscheme == ember.per_channel_affine_float_qparams
                            else ember.int)
        self.register_buffer("scale", ember.tensor([1.0], dtype=ember.float))
        self.register_buffer("zero_point", ember.tensor([0], dtype=zero_point_dtype))
        self.dtype = obs.dtype
        self.qscheme = obs.qscheme
        self.ch_axis = getattr(obs, "ch_axis", -1)
        if self.qscheme not in _PER_CHANNEL + _PER_TENSOR:
            raise AssertionError("Only per channel and per tensor quantization are supported "
                                 f"in fake quantize got qscheme: {self.qscheme}")
        self.is_per_channel = self.qscheme in _PER_CHANNEL

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        return self.activation_post_process.calculate_qparams()

    def _observe(self, X: Any) -> None:
        """Runs the observer on ``X`` and copies its qparams into the buffers."""
        self.activation_post_process(X.detach())
        scale, zero_point = self.calculate_qparams()
        if self.scale.shape != scale.shape:
            self.scale.resize_(scale.shape)
            self.zero_point.resize_(zero_point.shape)
        self.scale.copy_(scale)
        self.zero_point.copy_(zero_point)

    def forward(self, X: Any) -> Any:
        if self.observer_enabled[0] == 1:
            self._observe(X)
        if self.fake_quant_enabled[0] == 1:
            obs = self.activation_post_process
            if self.is_per_channel:
                X = ember.fake_quantize_per_channel_affine(
                    X, self.scale, self.zero_point, self.ch_axis, obs.quant_min, obs.quant_max)
            else:
                X = ember.fake_quantize_per_tensor_affine(
                    X, self.scale, self.zero_point, obs.quant_min, obs.quant_max)
        return X

    def extra_repr(self) -> str:
        obs = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, quant_min={obs.quant_min}, "
                f"quant_max={obs.quant_max}, dtype={self.dtype}, qscheme={self.qscheme}, "
                f"ch_axis={self.ch_axis}, scale={self.scale}, zero_point={self.zero_point}")

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        # loaded qparams of any length (per channel) replace the 1-element buffers
        resize_loaded(self, state_dict, prefix, ("scale", "zero_point"), strict, missing_keys)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


class FixedQParamsFakeQuantize(FakeQuantize):
    """``FakeQuantize`` with the fixed ``scale``/``zero_point`` of a ``FixedQParamsObserver``
    (the buffers are the observer's)."""

    def __init__(self, observer: Any) -> None:
        super().__init__(observer=observer)
        if type(self.activation_post_process) is not FixedQParamsObserver:
            raise AssertionError(f"{type(self).__name__}'s observer must be a "
                                 "FixedQParamsObserver")
        self._observer_ctr = observer
        self.scale = self.activation_post_process.scale
        self.zero_point = self.activation_post_process.zero_point
        if self.qscheme not in _PER_TENSOR:
            raise AssertionError("Only per tensor quantization is supported "
                                 f"FixedQParamsFakeQuantize module, got qscheme:{self.qscheme}")

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        return self.scale, self.zero_point

    def extra_repr(self) -> str:
        obs = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, scale={self.scale}, "
                f"zero_point={self.zero_point}, dtype={self.dtype}, "
                f"quant_min={obs.quant_min}, quant_max={obs.quant_max}, qscheme={self.qscheme}")


class FusedMovingAvgObsFakeQuantize(FakeQuantize):
    """``FakeQuantize`` with a moving-average min/max observer run as one fused step
    (``fused_moving_avg_obs_fake_quant``), whose qparams are PyTorch's C++ ones: a symmetric
    scale spans ``[-(n/2+1), n/2]`` steps, and the zero point is nudged, not clamped."""

    def __init__(self, observer: Any = MovingAverageMinMaxObserver, quant_min: int = 0,
                 quant_max: int = 255, **observer_kwargs: Any) -> None:
        super().__init__(observer, quant_min, quant_max, **observer_kwargs)
        if not isinstance(self.activation_post_process,
                          (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver)):
            raise AssertionError("Fused observer+fake_quant module only works with "
                                 "MovingAverageMinMaxObserver")
        self.register_buffer("fake_quant_enabled", ember.tensor([1], dtype=ember.long))
        self.register_buffer("observer_enabled", ember.tensor([1], dtype=ember.long))
        self.is_symmetric_quant = self.qscheme in (ember.per_tensor_symmetric,
                                                   ember.per_channel_symmetric)

    def calculate_qparams(self) -> tuple:  # type: ignore[override]
        return self.activation_post_process.calculate_qparams()

    def forward(self, X: Any) -> Any:
        obs = self.activation_post_process
        return ember.fused_moving_avg_obs_fake_quant(
            X, self.observer_enabled, self.fake_quant_enabled, obs.min_val, obs.max_val,
            self.scale, self.zero_point, obs.averaging_constant, obs.quant_min, obs.quant_max,
            self.ch_axis, self.is_per_channel, self.is_symmetric_quant)

    def extra_repr(self) -> str:
        obs = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, scale={self.scale}, "
                f"zero_point={self.zero_point}, dtype={self.dtype}, "
                f"quant_min={obs.quant_min}, quant_max={obs.quant_max}, "
                f"qscheme={self.qscheme}, reduce_range={obs.reduce_range}")


default_fake_quant = FakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=ember.quint8,
    qscheme=ember.per_tensor_affine, reduce_range=True)
default_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=ember.qint8,
    qscheme=ember.per_tensor_symmetric, reduce_range=False)
default_per_channel_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
    dtype=ember.qint8, qscheme=ember.per_channel_symmetric, reduce_range=False, ch_axis=0)
default_fused_act_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=ember.quint8)
default_fused_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=ember.qint8,
    qscheme=ember.per_tensor_symmetric)
default_fused_per_channel_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
    dtype=ember.qint8, qscheme=ember.per_channel_symmetric)

default_fixed_qparams_range_neg1to1_fake_quant = FixedQParamsFakeQuantize.with_args(
    observer=default_fixed_qparams_range_neg1to1_observer)
default_fixed_qparams_range_0to1_fake_quant = FixedQParamsFakeQuantize.with_args(
    observer=default_fixed_qparams_range_0to1_observer)


def _switch(method: str) -> Any:
    def apply(mod: Module) -> None:
        if isinstance(mod, FakeQuantizeBase):
            getattr(mod, method)()
    apply.__name__ = method
    apply.__doc__ = f"Calls ``{method}()`` on a fake-quantize module (for ``model.apply``)."
    return apply


disable_fake_quant = _switch("disable_fake_quant")
enable_fake_quant = _switch("enable_fake_quant")
disable_observer = _switch("disable_observer")
enable_observer = _switch("enable_observer")
