"""``ember.vision.ops.diou_loss``: the distance IoU loss under torchvision's module path
(``torchvision.ops.diou_loss.distance_box_iou_loss``); the code lives in :mod:`.losses`."""

from .losses import distance_box_iou_loss

__all__ = ["distance_box_iou_loss"]
