"""``torch.autograd.profiler``'s API (the legacy profiler), kept in ``ember.profiler``, and the
NVTX/ITT range emitters that the performance-tuning guide tells users to switch off."""

from __future__ import annotations

from typing import Any

from ..profiler._legacy import (  # noqa: F401
    EventList,
    FunctionEvent,
    FunctionEventAvg,
    profile,
    record_function,
)

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function",
           "emit_nvtx", "emit_itt"]


class emit_itt:  # noqa: N801 (PyTorch's name)
    """Would annotate ops as Intel ITT ranges for VTune; Ember emits none, so it is a no-op
    context manager (entering it disabled gives ``None``, as PyTorch's does)."""

    def __init__(self, enabled: bool = True, record_shapes: bool = False) -> None:
        self.enabled = enabled
        self.entered = False
        self.record_shapes = record_shapes

    def __enter__(self) -> emit_itt | None:
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("ITT annotation context manager is not reentrant")
        self.entered = True
        return self

    def __exit__(self, *exc: Any) -> bool:
        if self.enabled:
            self.entered = False
        return False


class emit_nvtx(emit_itt):  # noqa: N801 (PyTorch's name)
    """Would annotate ops as NVTX ranges for nvprof; entering it enabled synchronizes the CUDA
    device, so without one it raises PyTorch's RuntimeError; disabled it does nothing."""

    def __enter__(self) -> emit_nvtx | None:
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("NVTX annotation context manager is not reentrant")
        from .. import cuda

        cuda.synchronize()
        self.entered = True
        return self
