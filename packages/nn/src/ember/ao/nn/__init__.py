"""``ember.ao.nn``: the fused (``intrinsic``) and quantization-aware-training (``qat``)
modules that ``fuse_modules`` and ``prepare_qat`` put in a model."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["intrinsic", "qat"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
