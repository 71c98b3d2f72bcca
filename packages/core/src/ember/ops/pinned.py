"""Page-locked ("pinned") host memory: ``Tensor.pin_memory()`` and ``Tensor.is_pinned()``.

Pinned host buffers make host-to-GPU copies faster and let them run asynchronously. They
come from the CUDA backend (CuPy's pinned-memory allocator), so pinning needs a usable GPU,
as in PyTorch.
"""

from __future__ import annotations

import sys
from typing import Any

from ._dispatch import Tensor, grad_state, make, methods, record

__all__: list[str] = []


def pinned_array(arr: Any) -> Any:
    """A NumPy array in page-locked memory holding a copy of ``arr``."""
    import cupyx

    out = cupyx.empty_pinned(arr.shape, dtype=arr.dtype)
    out[...] = arr
    return out


def array_is_pinned(arr: Any) -> bool:
    """Whether a host array lives in CuPy's page-locked memory (False without CuPy loaded)."""
    cupy = sys.modules.get("cupy")
    if cupy is None:
        return False
    pinned = cupy.cuda.PinnedMemoryPointer
    while arr is not None:
        if isinstance(arr, pinned):
            return True
        arr = getattr(arr, "base", None)
    return False


def pin_memory(self: Tensor, device: Any = None) -> Tensor:
    """A copy of this CPU tensor in pinned host memory (``self`` if already pinned)."""
    if self._device.type != "cpu":
        raise RuntimeError(f"pin_memory: cannot pin a '{self._device}' tensor, only dense CPU "
                           "tensors can be pinned")
    if array_is_pinned(self._data):
        return self
    from ..backends.cupy._plugin import cupy_usable

    if not cupy_usable():
        raise RuntimeError("pin_memory: no CUDA device is available to Ember, so host memory "
                           "cannot be pinned (pinning needs CuPy and an NVIDIA GPU)")
    res = make(pinned_array(self._data), self._device)
    if grad_state.enabled and self._rg:
        record("ToCopyBackward0", res, (self,), lambda g: (g,))
    return res


def is_pinned(self: Tensor, device: Any = None) -> bool:
    """Whether this tensor's memory is page-locked host memory."""
    return self._device.type == "cpu" and array_is_pinned(self._data)


methods(pin_memory=pin_memory, is_pinned=is_pinned)
