"""``ember.backends.cudnn``: PyTorch's cuDNN switches, accepted and kept.

Ember has no cuDNN, so ``is_available()`` is False (as in a CPU-only PyTorch build);
programs that set ``cudnn.benchmark`` or ``cudnn.deterministic`` run unchanged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from ._flag_module import set_for_block

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: never in Ember."""
    return False


def version() -> None:
    """cuDNN's version: None, as PyTorch reports without cuDNN."""
    return None


def is_acceptable(tensor: Any) -> bool:
    """Whether cuDNN would take ``tensor``: never in Ember."""
    return False


def set_flags(_enabled: bool | None = None, _benchmark: bool | None = None,
              _benchmark_limit: int | None = None, _deterministic: bool | None = None,
              _allow_tf32: bool | None = None) -> tuple:
    """Set the given flags; the old values of all five, in this order."""
    global enabled, benchmark, benchmark_limit, deterministic, allow_tf32
    old = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    if _enabled is not None:
        enabled = _enabled
    if _benchmark is not None:
        benchmark = _benchmark
    if _benchmark_limit is not None:
        benchmark_limit = _benchmark_limit
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    return old


def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True,
          fp32_precision: str = "none", depthwise_kernel: str = "auto"
          ) -> AbstractContextManager[None]:
    """Set the flags for a ``with`` block (PyTorch's defaults: every omitted one is reset)."""
    return set_for_block(__name__, enabled=enabled, benchmark=benchmark,
                         benchmark_limit=benchmark_limit, deterministic=deterministic,
                         allow_tf32=allow_tf32)
