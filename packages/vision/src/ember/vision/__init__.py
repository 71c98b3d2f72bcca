"""``ember.vision``: torchvision's API for Ember (datasets, transforms, models, ops, io,
utils) and a runnable demo (``python -m ember.vision.demo``)."""

import importlib as _importlib

__version__ = "0.1.0"
_SUBMODULES = ("datasets", "transforms", "models", "ops", "io", "utils", "tv_tensors", "demo")


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember.vision' has no attribute '{name}'")
