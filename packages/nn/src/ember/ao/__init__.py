"""``ember.ao``: PyTorch's architecture-optimization namespace; ``ember.ao.quantization``
holds the observers and fake-quantize modules of quantization-aware training."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["quantization"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
