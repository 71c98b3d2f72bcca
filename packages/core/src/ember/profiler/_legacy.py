"""``torch.autograd.profiler``'s API (the recipe "Profiling your PyTorch Module" uses it):
``profile(enabled=True, *, record_shapes, profile_memory, with_stack, ...)`` as a context
manager, and ``record_function``. The same collector as ``ember.profiler.profile``."""

from __future__ import annotations

from typing import Any

from ._events import EventList, FunctionEvent, FunctionEventAvg
from ._record import record_function
from .profiler import ProfilerActivity
from .profiler import profile as _profile

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """The autograd profiler: ``with profile(record_shapes=True) as prof: ...`` then
    ``prof.key_averages().table(...)``, ``prof.function_events``, ``prof.table()``."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False,
                 use_kineto: bool = False, use_cpu: bool = True,
                 experimental_config: Any = None, acc_events: bool = False,
                 custom_trace_id_callback: Any = None) -> None:
        activities = [ProfilerActivity.CPU]
        if use_cuda or use_device == "cuda":
            activities.append(ProfilerActivity.CUDA)
        super().__init__(activities=activities, record_shapes=record_shapes,
                         with_flops=with_flops, profile_memory=profile_memory,
                         with_stack=with_stack, with_modules=with_modules,
                         acc_events=acc_events, enabled=enabled)

    def __enter__(self) -> profile | None:
        """``self``; ``None`` when disabled, as ``with profile(enabled=False) as prof`` gives
        in PyTorch (the legacy profiler returns early)."""
        super().__enter__()
        return self if self.enabled else None

    def __str__(self) -> str:
        return self.table()
