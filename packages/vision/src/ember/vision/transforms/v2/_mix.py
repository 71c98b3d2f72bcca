"""MixUp and CutMix: batch transforms that blend each sample with its neighbour in the batch
(the batch rolled by one) and mix their one-hot labels in the same proportion."""

from __future__ import annotations

import math
from typing import Any

from PIL import Image as _PIL

import ember
from ember import Tensor

from ... import tv_tensors
from ._transform import Transform, has_any, query_size, tree_flatten, tree_unflatten
from ._transforms_misc import parse_labels_getter
from .functional import is_pure_tensor

__all__ = ["MixUp", "CutMix"]


class _BaseMixUpCutMix(Transform):
    """Finds the labels, checks the batch, draws ``lam ~ Beta(alpha, alpha)`` (through
    ``ember.distributions``, so a seed gives torchvision's draws) and mixes the labels."""

    def __init__(self, *, alpha: float = 1.0, num_classes: int | None = None,
                 labels_getter: Any = "default") -> None:
        super().__init__()
        self.alpha = float(alpha)
        self._dist = ember.distributions.Beta(ember.tensor([alpha]), ember.tensor([alpha]))
        self.num_classes = num_classes
        self._labels_getter = parse_labels_getter(labels_getter)

    def forward(self, *inputs: Any) -> Any:
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        needs = self._needs_transform_list(flat_inputs)
        if has_any(flat_inputs, _PIL.Image, tv_tensors.BoundingBoxes, tv_tensors.Mask,
                   tv_tensors.KeyPoints):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding "
                             "boxes, keypoints and masks.")
        labels = self._labels_getter(inputs)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError("labels should be index based with shape (batch_size,) or "
                             "probability based with shape (batch_size, num_classes), but got a "
                             f"tensor of shape {labels.shape} instead.")
        if labels.ndim == 2 and self.num_classes is not None \
                and labels.shape[-1] != self.num_classes:
            raise ValueError("When passing 2D labels, the number of elements in last dimension "
                             f"must match num_classes: {labels.shape[-1]} != {self.num_classes}. "
                             "You can Leave num_classes to None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        params = {"labels": labels, "batch_size": labels.shape[0],
                  **self.make_params([x for x, n in zip(flat_inputs, needs) if n])}
        # the labels are a plain tensor after the images: mark them to be transformed too
        needs[next(i for i, x in enumerate(flat_inputs) if x is labels)] = True
        out = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs)]
        return tree_unflatten(out, spec)

    def _check_image_or_video(self, inpt: Tensor, *, batch_size: int) -> None:
        dims = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != dims:
            raise ValueError(f"Expected a batched input with {dims} dims, but got {inpt.ndim} "
                             "dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError("The batch size of the image or video does not match the batch "
                             f"size of the labels: {inpt.shape[0]} != {batch_size}.")

    def _mixup_label(self, label: Tensor, *, lam: float) -> Tensor:
        if label.ndim == 1:
            label = ember.nn.functional.one_hot(label, num_classes=self.num_classes)
        if not label.dtype.is_floating_point:
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))

    def _is_image(self, inpt: Any) -> bool:
        return isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt)

    def _wrapped(self, output: Tensor, inpt: Any) -> Any:
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            return tv_tensors.wrap(output, like=inpt)
        return output


class MixUp(_BaseMixUpCutMix):
    """Each image (and one-hot label) becomes ``lam * itself + (1 - lam) * its predecessor``
    in the batch, ``lam ~ Beta(alpha, alpha)`` drawn once per call."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"lam": float(self._dist.sample(()))}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        lam = params["lam"]
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=lam)
        if not self._is_image(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        return self._wrapped(inpt.roll(1, 0).mul_(1.0 - lam).add_(inpt.mul(lam)), inpt)


class CutMix(_BaseMixUpCutMix):
    """A box of each image is replaced by the same box of its predecessor in the batch; the
    labels mix in proportion to the area kept. The box is centred at a uniform random point
    and sized by ``lam ~ Beta(alpha, alpha)``."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        lam = float(self._dist.sample(()))
        H, W = query_size(flat_inputs)
        r_x = int(ember.randint(W, size=(1,)))
        r_y = int(ember.randint(H, size=(1,)))
        r = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(r * W), int(r * H)
        x1, y1 = max(r_x - half_w, 0), max(r_y - half_h, 0)
        x2, y2 = min(r_x + half_w, W), min(r_y + half_h, H)
        return {"box": (x1, y1, x2, y2),
                "lam_adjusted": float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=params["lam_adjusted"])
        if not self._is_image(inpt):
            return inpt
        self._check_image_or_video(inpt, batch_size=params["batch_size"])
        x1, y1, x2, y2 = params["box"]
        rolled = inpt.roll(1, 0)
        output = inpt.clone()
        output[..., y1:y2, x1:x2] = rolled[..., y1:y2, x1:x2]
        return self._wrapped(output, inpt)
