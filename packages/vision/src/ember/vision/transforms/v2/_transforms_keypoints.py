"""v2 transforms for keypoints and box clamping modes: ``ClampKeyPoints``,
``SanitizeKeyPoints``, ``SetClampingMode`` and ``get_keypoints`` (torchvision 0.29).

The geometric transforms move ``tv_tensors.KeyPoints`` through the keypoint kernels of
``functional``; these transforms then keep the points inside the image, either by clamping
them to its edges or by dropping them (with their labels).
"""

from __future__ import annotations

from typing import Any

from ember import Tensor

from ... import tv_tensors
from . import functional as F
from ._transform import Transform, tree_flatten, tree_unflatten
from ._transforms_misc import parse_labels_getter

__all__ = ["ClampKeyPoints", "SanitizeKeyPoints", "SetClampingMode", "get_keypoints"]


def get_keypoints(flat_inputs: list[Any]) -> tv_tensors.KeyPoints:
    """The (first) ``KeyPoints`` of a flattened sample."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.KeyPoints):
            return inpt
    raise ValueError("No keypoints were found in the sample")


class ClampKeyPoints(Transform):
    """Clamp keypoints to their ``canvas_size``: x into [0, W - 1], y into [0, H - 1]."""

    _transformed_types = (tv_tensors.KeyPoints,)

    def __init__(self) -> None:
        super().__init__()

    def transform(self, inpt: tv_tensors.KeyPoints, params: dict[str, Any]) -> Any:
        return F.clamp_keypoints(inpt)


class SetClampingMode(Transform):
    """Set the ``clamping_mode`` ("soft", "hard" or None) of the bounding boxes, which the
    later transforms follow."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode: str | None) -> None:
        super().__init__()
        self.clamping_mode = clamping_mode
        if clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")

    def transform(self, inpt: tv_tensors.BoundingBoxes, params: dict[str, Any]) -> Any:
        out = inpt.clone()
        out.clamping_mode = self.clamping_mode
        return out


class SanitizeKeyPoints(Transform):
    """Drop keypoints outside the image (whole groups when the points are grouped, (N, ..., 2)),
    and the matching entries of the labels that ``labels_getter`` finds."""

    def __init__(self, labels_getter: Any = None) -> None:
        super().__init__()
        self.labels_getter = labels_getter
        self._labels_getter = parse_labels_getter(labels_getter)

    def forward(self, *inputs: Any) -> Any:
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(inputs)
        if labels is not None:
            msg = "The labels in the input to forward() must be a tensor or None, got {} instead."
            if isinstance(labels, Tensor):
                labels = (labels,)
            elif isinstance(labels, (tuple, list)):
                for entry in labels:
                    if not isinstance(entry, Tensor):
                        raise ValueError(msg.format(type(entry)))
            else:
                raise ValueError(msg.format(type(labels)))
        flat_inputs, spec = tree_flatten(inputs)
        points = get_keypoints(flat_inputs)
        for label in labels or ():
            if points.shape[0] != label.shape[0]:
                raise ValueError(f"Number of kepyoints (shape={points.shape}) must match the number "
                                 f"of labels.Found labels with shape={label.shape}).")
        _, valid = F.sanitize_keypoints(points)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(x, params) for x in flat_inputs], spec)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_label = params["labels"] is not None and any(inpt is lab for lab in params["labels"])
        if not (is_label or isinstance(inpt, tv_tensors.KeyPoints)):
            return inpt
        out = inpt.as_subclass(Tensor)[params["valid"]]
        return out if is_label else tv_tensors.wrap(out, like=inpt)
