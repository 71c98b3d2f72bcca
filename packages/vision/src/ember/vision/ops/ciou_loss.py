"""``ember.vision.ops.ciou_loss``: the complete IoU loss under torchvision's module path
(``torchvision.ops.ciou_loss.complete_box_iou_loss``); the code lives in :mod:`.losses`."""

from .losses import complete_box_iou_loss

__all__ = ["complete_box_iou_loss"]
