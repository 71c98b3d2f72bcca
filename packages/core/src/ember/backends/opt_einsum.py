"""``ember.backends.opt_einsum``: whether ``einsum`` may plan its contraction order.

As in PyTorch, available when the ``opt_einsum`` package is installed; Ember's einsum
plans with NumPy's own optimizer either way.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

enabled = True
strategy: str | None = "auto" if importlib.util.find_spec("opt_einsum") is not None else None


def is_available() -> bool:
    """Whether the ``opt_einsum`` package is installed."""
    return importlib.util.find_spec("opt_einsum") is not None


def get_opt_einsum() -> Any:
    """The ``opt_einsum`` module, or None when it is not installed."""
    return importlib.import_module("opt_einsum") if is_available() else None
