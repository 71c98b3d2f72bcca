"""``ember.vision.tv_tensors``: tensors that say what they hold (torchvision.tv_tensors).

``Image``, ``Video``, ``Mask`` and ``BoundingBoxes`` are ``ember.Tensor`` subclasses;
the v2 transforms dispatch on them, so that one call moves an image, its boxes and its
masks consistently. As in torchvision, tensor methods and operators on them return plain
tensors (in-place ones too: ``x += 1`` makes ``x`` a plain tensor), except ``clone``, ``to``,
``detach``, ``requires_grad_`` and ``pin_memory``, which keep the type and metadata;
``set_return_type("TVTensor")`` makes every method keep it, and ``wrap(tensor, like=...)``
puts a result back into the type of ``like``.
"""

from __future__ import annotations

from ._bounding_boxes import BoundingBoxes, BoundingBoxFormat, is_rotated_bounding_format
from ._image import Image
from ._keypoints import KeyPoints
from ._mask import Mask
from ._torch_function_helpers import set_return_type
from ._tv_tensor import TVTensor, _rebuild_tv_tensor, wrap  # noqa: F401 (old pickles)
from ._video import Video

__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat", "KeyPoints",
           "is_rotated_bounding_format", "wrap", "set_return_type"]
