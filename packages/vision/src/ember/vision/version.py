"""``ember.vision.version``: the package version, as ``torchvision.version`` has it."""

from . import __version__

git_version = "unknown"  # a source tree, not a tagged build

__all__ = ["__version__", "git_version"]
