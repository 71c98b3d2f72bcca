"""``ember.backends.mkldnn``: PyTorch's oneDNN switches, accepted and kept.

Ember runs no oneDNN kernels, so ``is_available()`` is False.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from ._flag_module import set_for_block

enabled = True
deterministic = False
allow_tf32 = True

VERBOSE_OFF = 0
VERBOSE_ON = 1
VERBOSE_ON_CREATION = 2


def is_available() -> bool:
    """Whether oneDNN kernels can be used: never in Ember."""
    return False


def flags(enabled: bool = False, deterministic: bool = False, allow_tf32: bool = True,
          fp32_precision: str = "none") -> AbstractContextManager[None]:
    """Set the flags for a ``with`` block (PyTorch's defaults: every omitted one is reset)."""
    return set_for_block(__name__, enabled=enabled, deterministic=deterministic,
                         allow_tf32=allow_tf32)


class verbose:
    """PyTorch's oneDNN verbosity context: nothing to report in Ember."""

    def __init__(self, level: int) -> None:
        self.level = level

    def __enter__(self) -> verbose:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False
