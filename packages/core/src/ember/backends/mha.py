"""``ember.backends.mha``: the switch for ``nn.MultiheadAttention``'s inference fast path.

Ember's attention has one path, whose numbers match both of PyTorch's; the switch is kept
so that programs that turn it off and read it back run unchanged.
"""

from __future__ import annotations

_fastpath_enabled = True


def get_fastpath_enabled() -> bool:
    """Whether the fast path may be taken."""
    return _fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Allow or forbid the fast path."""
    global _fastpath_enabled
    _fastpath_enabled = bool(value)
