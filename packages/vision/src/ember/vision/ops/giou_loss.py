"""``ember.vision.ops.giou_loss``: the generalized IoU loss under torchvision's module path
(``torchvision.ops.giou_loss.generalized_box_iou_loss``); the code lives in :mod:`.losses`."""

from .losses import generalized_box_iou_loss

__all__ = ["generalized_box_iou_loss"]
