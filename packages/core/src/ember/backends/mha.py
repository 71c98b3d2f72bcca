"""``ember.backends.mha``: the switch for the inference fast paths of
``nn.MultiheadAttention`` and ``nn.TransformerEncoder(Layer)``.

Where PyTorch's fused paths give other numbers (masked rows, padded positions) Ember's
modules reproduce them when PyTorch would take those paths: while the switch is on and no
default device is set (PyTorch's device context is a ``__torch_function__`` mode, which
turns its fast paths off).
"""

from __future__ import annotations

from .registry import default_device

_fastpath_enabled = True


def get_fastpath_enabled() -> bool:
    """Whether the fast path may be taken."""
    return _fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Allow or forbid the fast path."""
    global _fastpath_enabled
    _fastpath_enabled = bool(value)


def fastpath_applies() -> bool:
    """Whether PyTorch would consider its fast paths: the switch is on and no default device
    (``set_default_device``, ``with device(...)``) is set."""
    return _fastpath_enabled and default_device() is None
