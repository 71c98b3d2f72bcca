"""The default device of factory calls: set_default_device, get_default_device, and
get_device (a tensor's device index, -1 on the CPU).

Factory calls without ``device=`` (zeros, ones, full, empty, arange, linspace, eye,
tensor, as_tensor, rand, randn, randint, randperm, tril_indices, ...) use the default
device; ops that follow their inputs (``*_like``, arithmetic) and ``from_numpy`` do not.
``with ember.device("cuda"):`` sets it for a block.
"""

from __future__ import annotations

from typing import Any

from ..backends.registry import canonical_device
from ..backends.registry import set_default_device as _set
from ._dispatch import Tensor

__all__ = ["set_default_device", "get_default_device", "get_device"]


def set_default_device(device: Any) -> None:
    """Make ``device`` (a device, string or index; None for the CPU again) the device of
    factory calls that do not name one."""
    _set(device)


def get_default_device() -> Any:
    """The device factory calls use when they are given none (the CPU by default)."""
    return canonical_device(None)


def get_device(input: Tensor) -> int:
    """The index of ``input``'s device: -1 for the CPU."""
    if not isinstance(input, Tensor):
        raise TypeError(f"get_device(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.get_device()
