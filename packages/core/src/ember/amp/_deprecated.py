"""``torch.cuda.amp`` and ``torch.cpu.amp``: PyTorch's deprecated per-device spellings of
``autocast`` and ``GradScaler``, still common in training scripts. Each warns as PyTorch
does, then acts as ``ember.amp``'s with the device filled in."""

from __future__ import annotations

import warnings
from typing import Any

from .. import dtypes as _dt
from ..ops.autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler


def _warn(device_type: str, name: str) -> None:
    warnings.warn(f"`torch.{device_type}.amp.{name}(args...)` is deprecated. Please use "
                  f"`torch.amp.{name}('{device_type}', args...)` instead.", FutureWarning,
                  stacklevel=3)


def autocast_for(device_type: str, default_dtype: _dt.dtype) -> type:
    """``torch.<device_type>.amp.autocast``: ``ember.amp.autocast(device_type, ...)``."""

    class autocast(_autocast):
        def __init__(self, enabled: bool = True, dtype: _dt.dtype = default_dtype,
                     cache_enabled: bool = True) -> None:
            _warn(device_type, "autocast")
            super().__init__(device_type, dtype=dtype, enabled=enabled,
                             cache_enabled=cache_enabled)

    autocast.__qualname__ = "autocast"
    autocast.__module__ = f"ember.{device_type}.amp"
    return autocast


def grad_scaler_for(device_type: str) -> type:
    """``torch.<device_type>.amp.GradScaler``: ``ember.amp.GradScaler(device_type, ...)``."""

    class GradScaler(_GradScaler):
        def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                     backoff_factor: float = 0.5, growth_interval: int = 2000,
                     enabled: bool = True) -> None:
            _warn(device_type, "GradScaler")
            super().__init__(device_type, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval,
                             enabled=enabled)

    GradScaler.__qualname__ = "GradScaler"
    GradScaler.__module__ = f"ember.{device_type}.amp"
    return GradScaler


def custom_decorators() -> tuple[Any, Any]:
    from .autocast_mode import custom_bwd, custom_fwd

    return custom_fwd, custom_bwd
