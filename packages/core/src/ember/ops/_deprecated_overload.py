"""PyTorch's deprecated calls still accepted (``add_(alpha, other)``, ``addcmul_(value, t1,
t2)``, a uint8 ``where`` condition), each with one warning per process."""

from __future__ import annotations

import warnings

from .._stacklevel import user_stacklevel

_warned: set = set()


def warn_deprecated(key: str, message: str) -> None:
    """A deprecation UserWarning given once per process per ``key`` (every time under
    ``ember.set_warn_always(True)``), at the user's line: PyTorch's TORCH_WARN_ONCE."""
    from .legacy_types import is_warn_always_enabled

    if key in _warned and not is_warn_always_enabled():
        return
    _warned.add(key)
    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def warn_overload(op: str, old: str, new: str) -> None:
    """PyTorch's warning for a deprecated signature: its argument parser warns once in all."""
    warn_deprecated("overload", f"This overload of {op} is deprecated:\n\t{op}({old})\nConsider "
                    f"using one of the following signatures instead:\n\t{op}({new})")
