"""Ember's ops, one module per family; each defines its ops with their derivatives
and attaches its Tensor methods on import.

The families every tensor program uses load with ``import ember``; the rest (linear
algebra, sampling, the neural-network kernels) load on first use: the first access
to one of their names on ``ember``, on ``ember.ops`` or on a Tensor loads them all.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from .. import _tensor as _tensor_module
from . import arithmetic, comparison, conversion, creation, indexing, pointwise, reduction, shape
from ._dispatch import numpy_aliases
from ._subclass import install as _install_subclass_hook

EAGER = (arithmetic, creation, conversion, pointwise, comparison, reduction, shape, indexing)
LAZY = ("linalg", "sampling", "activation", "conv", "pooling", "normalization", "loss",
        "embedding", "attention", "interpolation", "pinned", "autocast_mode",
        "legacy_types", "pooling_fractional", "linalg_lu", "signal", "sampling_gamma",
        "math_misc", "statistics", "histogram", "construct", "index_reduce",
        "tensor_misc", "sampling_binomial", "device_defaults", "special_gamma",
        "finite_difference", "view_copies", "api_gaps", "lowrank", "native", "sparse_methods",
        "fake_quant", "interpolation_grid", "native_names")

_install_subclass_hook()  # users' Tensor subclasses keep their type through methods

__all__: list[str] = []
for _m in EAGER:
    for _name in _m.__all__:
        globals()[_name] = numpy_aliases(getattr(_m, _name))
    __all__ += list(_m.__all__)
del _m, _name

_loaded = False
_lock = threading.RLock()


def load_all() -> dict[str, Any]:
    """Import the lazily loaded families (once); returns the names they add."""
    global _loaded
    added: dict[str, Any] = {}
    if _loaded:
        return added
    with _lock:
        if _loaded:
            return added
        for family in LAZY:
            module = importlib.import_module(f"{__name__}.{family}")
            for name in module.__all__:
                value = numpy_aliases(getattr(module, name))
                globals()[name] = value
                added[name] = value
            __all__.extend(module.__all__)
        _loaded = True
    return added


def _load_for_tensor() -> bool:
    if _loaded:
        return False
    load_all()
    return True


_tensor_module._load_lazy_methods = _load_for_tensor


def __getattr__(name: str) -> Any:
    if not _loaded and not name.startswith("_"):  # a private name is a submodule to import
        load_all()
        if name in globals():
            return globals()[name]
    raise AttributeError(f"module 'ember.ops' has no attribute '{name}'")
