"""``ember.vision.datasets``: image datasets that read the real on-disk formats."""

from .digits import Digits
from .vision import StandardTransform, VisionDataset

__all__ = ["Digits", "StandardTransform", "VisionDataset"]
