"""``ember.vision.ops.focal_loss``: the sigmoid focal loss under torchvision's module path
(``torchvision.ops.focal_loss.sigmoid_focal_loss``); the code lives in :mod:`.losses`."""

from .losses import sigmoid_focal_loss

__all__ = ["sigmoid_focal_loss"]
