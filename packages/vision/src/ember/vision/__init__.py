"""``ember.vision``: torchvision's API for Ember (datasets, transforms, models, ops, io,
utils) and a runnable demo (``python -m ember.vision.demo``)."""

from ember._runtime import lazy_submodules

__version__ = "0.1.0"
_SUBMODULES = ("datasets", "transforms", "models", "ops", "io", "utils", "tv_tensors", "demo")

__getattr__ = lazy_submodules(__name__, _SUBMODULES)
