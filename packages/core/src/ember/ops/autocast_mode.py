"""``ember.autocast`` and the functions that read and set the autocast state (PyTorch's)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt
from . import _autocast as _ac

__all__ = ["autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_available", "is_autocast_cpu_enabled",
           "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
           "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "autocast_increment_nesting",
           "autocast_decrement_nesting"]

_SUPPORTED = {"cpu": (_dt.bfloat16, _dt.float16), "cuda": (_dt.float16, _dt.bfloat16)}


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports this device type."""
    return device_type in _SUPPORTED


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (CUDA when not given) in this thread."""
    return _ac.enabled_for("cuda" if device_type is None else device_type)


def set_autocast_enabled(device_type: Any, enabled: bool | None = None) -> None:
    if enabled is None:  # the one-argument form sets CUDA's
        device_type, enabled = "cuda", device_type
    local = _ac.local
    local.enabled[device_type] = bool(enabled)
    # ops skip autocast while no region is open (``_ac.active``): a device turned on here,
    # outside any region, counts as one until it is turned off here again
    if enabled and device_type not in local.pinned:
        local.pinned.add(device_type)
        _ac.active[0] += 1
    elif not enabled and device_type in local.pinned:
        local.pinned.discard(device_type)
        _ac.active[0] -= 1


def get_autocast_dtype(device_type: str) -> _dt.dtype:
    """The dtype that autocast's lower-precision ops use on ``device_type``."""
    return _ac.dtype_for(device_type)


def set_autocast_dtype(device_type: str, dtype: _dt.dtype) -> None:
    _ac.local.dtype[device_type] = dtype


def _deprecated(old: str, new: str, line: int) -> None:
    """PyTorch's DeprecationWarning for the per-device autocast spellings (in its words, with
    the line of its binding that raises it)."""
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead. (Triggered "
                  f"internally at /__w/pytorch/pytorch/torch/csrc/autograd/init.cpp:{line}.)",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')", 904)
    return _ac.enabled_for("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)", 895)
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype() -> _dt.dtype:
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')", 1037)
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype: _dt.dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)", 988)
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype() -> _dt.dtype:
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')", 1028)
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype: _dt.dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)", 973)
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled() -> bool:
    return _ac.local.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _ac.local.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Forget the cached low-precision casts of the weights."""
    _ac.clear_cache()


def autocast_increment_nesting() -> int:
    _ac.local.nesting += 1
    return _ac.local.nesting


def autocast_decrement_nesting() -> int:
    _ac.local.nesting -= 1
    return _ac.local.nesting


def _cuda_available() -> bool:
    from ..backends.cupy._plugin import cupy_usable

    return cupy_usable()


class autocast:
    """Run the ops in a region in mixed precision, with PyTorch's per-op policies.

    ``device_type`` is "cpu" (default dtype bfloat16) or "cuda" (float16). Usable as a
    context manager and as a decorator; regions nest and are per thread.
    """

    __module__ = "ember.amp.autocast_mode"  # where PyTorch's class lives (its repr)

    def __init__(self, device_type: str, dtype: _dt.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None \
            else bool(cache_enabled)
        if not is_autocast_available(device_type):
            from .._device import device

            device(device_type)  # PyTorch first refuses a string that names no device type
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        if enabled and device_type == "cuda" and not _cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            enabled = False
        if enabled and self.fast_dtype not in _SUPPORTED[device_type]:
            if device_type == "cpu":
                warnings.warn("In CPU autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCPU Autocast only supports dtypes of "
                              + ", ".join(map(str, _SUPPORTED["cpu"])) + " currently.",
                              stacklevel=2)
            else:
                warnings.warn("In CUDA autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCUDA Autocast only supports dtypes of "
                              "torch.float16 and torch.bfloat16 currently.", stacklevel=2)
            enabled = False
        self._enabled = bool(enabled)

    def __enter__(self) -> autocast:
        local = _ac.local
        self._prev = (local.enabled.get(self.device, False), local.dtype.get(self.device),
                      local.cache_enabled)
        local.enabled[self.device] = self._enabled
        local.dtype[self.device] = self.fast_dtype
        local.cache_enabled = self._cache_enabled
        local.nesting += 1
        _ac.active[0] += 1
        return self

    def __exit__(self, *exc: Any) -> bool:
        local = _ac.local
        enabled, dtype, cache = self._prev
        local.enabled[self.device] = enabled
        if dtype is None:
            local.dtype.pop(self.device, None)
        else:
            local.dtype[self.device] = dtype
        local.cache_enabled = cache
        local.nesting -= 1
        _ac.active[0] -= 1
        if local.nesting == 0:  # PyTorch clears the cast cache on leaving the outermost region
            _ac.clear_cache()
        return False

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return run
