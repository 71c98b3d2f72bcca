"""``ember.vision.transforms``: torchvision.transforms for PIL images and ember tensors
(``functional`` holds the function forms, ``v2`` the transforms that also move bounding
boxes and masks)."""

from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .transforms import *  # noqa: F403 - the class list is transforms.__all__
from .transforms import __all__ as _transform_names

__all__ = [*_transform_names, "AutoAugmentPolicy", "AutoAugment", "RandAugment",
           "TrivialAugmentWide", "AugMix"]
