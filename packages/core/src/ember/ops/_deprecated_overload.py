"""PyTorch's deprecated positional overloads (``add_(alpha, other)``,
``addcmul_(value, t1, t2)``): still accepted, with one warning per process."""

from __future__ import annotations

import warnings

from .._stacklevel import user_stacklevel

_warned = [False]


def warn_overload(op: str, old: str, new: str) -> None:
    """PyTorch's warning for a deprecated signature: its argument parser warns once in all."""
    from .legacy_types import is_warn_always_enabled

    if _warned[0] and not is_warn_always_enabled():
        return
    _warned[0] = True
    warnings.warn(f"This overload of {op} is deprecated:\n\t{op}({old})\nConsider using one of "
                  f"the following signatures instead:\n\t{op}({new})", UserWarning,
                  stacklevel=user_stacklevel())
