"""``ember.vision``: torchvision's API for Ember (datasets, transforms, models, ops, io,
utils) and a runnable demo (``python -m ember.vision.demo``)."""

from ember._runtime import lazy_submodules

__version__ = "0.1.0"
_SUBMODULES = ("datasets", "transforms", "models", "ops", "io", "utils", "tv_tensors", "demo",
               "version")

__getattr__ = lazy_submodules(__name__, _SUBMODULES)

_image_backend = "PIL"
_video_backend = "pyav"


def set_image_backend(backend: str) -> None:
    """Choose the package that loads images: ``"PIL"`` or ``"accimage"``."""
    global _image_backend
    if backend not in ("PIL", "accimage"):
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    _image_backend = backend


def get_image_backend() -> str:
    """The name of the package that loads images (``"PIL"`` unless set otherwise)."""
    return _image_backend


def set_video_backend(backend: str) -> None:
    """Accepted for torchvision compatibility; only ``"pyav"`` exists, so nothing changes."""


def get_video_backend() -> str:
    """The name of the package that decodes videos: ``"pyav"``."""
    return _video_backend


def disable_beta_transforms_warning() -> None:
    """A no-op kept for torchvision compatibility (the v2 transforms are stable)."""
