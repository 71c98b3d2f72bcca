"""Layouts and memory formats (``ember.strided``, ``ember.channels_last``, ...): plain named
values, below the tensor so that the layout rules (``_memory_format``) and the backends can
use them."""

from __future__ import annotations

from typing import Any


class layout:
    __slots__ = ("name",)
    __module__ = "ember"  # as PyTorch's ``torch.layout``

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __getattr__(self, name: str) -> object:
        """Reached only for a missing attribute: PyTorch's message names the C type."""
        raise AttributeError(f"'ember.{type(self).__name__}' object has no attribute '{name}'")


class memory_format(layout):
    __slots__ = ()
    __module__ = "ember"


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order strides, in elements, of ``shape``."""
    st, n = [], 1
    for size in reversed(shape):
        st.append(n)
        n *= max(size, 1)
    return tuple(reversed(st))


def _refuse_negative_strides(arr: Any) -> None:
    """PyTorch reads a NumPy array given to ``tensor``/``as_tensor``/``Tensor`` (even one it
    will copy or convert) through ``from_numpy``, which refuses negative strides
    (``np.flip(a)``)."""
    if arr.strides and min(arr.strides) < 0:
        raise ValueError(_NEGATIVE_STRIDES)


_NEGATIVE_STRIDES = (
    "At least one stride in the given numpy array is negative, and tensors with negative "
    "strides are not currently supported. (You can probably work around this by making a "
    "copy of your array  with array.copy().) ")
