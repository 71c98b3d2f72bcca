"""``ember.vision.transforms.v2``: transforms that take whole samples (images, videos,
masks, bounding boxes, nested in tuples, lists and dicts) and move them consistently
(torchvision.transforms.v2)."""

from ..autoaugment import AutoAugmentPolicy
from ..functional import InterpolationMode
from . import functional
from ._mix import CutMix, MixUp
from ._transform import (
           Transform,
           check_type,
           get_bounding_boxes,
           has_all,
           has_any,
           query_chw,
           query_size,
)
from ._transforms import *  # noqa: F403
from ._transforms import __all__ as _geometry
from ._transforms_augment import *  # noqa: F403
from ._transforms_augment import __all__ as _augment
from ._transforms_color import *  # noqa: F403
from ._transforms_color import __all__ as _color
from ._transforms_keypoints import *  # noqa: F403
from ._transforms_keypoints import __all__ as _keypoints
from ._transforms_misc import *  # noqa: F403
from ._transforms_misc import __all__ as _misc

__all__ = ["AutoAugmentPolicy", "InterpolationMode", "functional", "Transform",
           "check_type", "get_bounding_boxes", "has_all", "has_any", "query_chw", "query_size",
           "CutMix", "MixUp", *_geometry, *_color, *_misc, *_augment, *_keypoints]
