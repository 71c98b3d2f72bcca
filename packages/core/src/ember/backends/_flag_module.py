"""Shared pieces of the ``ember.backends.<library>`` flag modules (``cudnn``, ``mkldnn``, ...).

Ember runs no cuDNN or oneDNN; the flags are kept, as module attributes that programs set
(``cudnn.benchmark = True``) and read back, and as PyTorch's ``flags(...)`` context managers.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def set_for_block(module_name: str, **values: Any) -> Iterator[None]:
    """Set the module's flags to ``values`` for the block, then restore the old ones."""
    module = sys.modules[module_name]
    old = {name: getattr(module, name) for name in values}
    try:
        module.__dict__.update(values)
        yield
    finally:
        module.__dict__.update(old)
