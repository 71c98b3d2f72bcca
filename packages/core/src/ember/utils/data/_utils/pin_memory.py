"""``torch.utils.data._utils.pin_memory``'s ``pin_memory``: every tensor of a batch pinned."""

from __future__ import annotations

from typing import Any

from .._pin_memory import pin_memory as _pin_memory

__all__ = ["pin_memory"]


def pin_memory(data: Any, device: Any = None) -> Any:
    """``data`` with its tensors in pinned memory (``device`` is accepted, as PyTorch's
    deprecated argument, and unused: pinning is for the one accelerator)."""
    return _pin_memory(data)
