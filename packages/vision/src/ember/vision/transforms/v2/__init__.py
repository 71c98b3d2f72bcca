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


def _share_v1_get_params() -> None:
    """torchvision's v2 transforms expose their v1 counterpart's static ``get_params``."""
    from .. import _transforms_color as _c1
    from .. import autoaugment as _a1
    from .. import transforms as _t1
    for v1 in (_a1.AutoAugment, _c1.ColorJitter, _c1.ElasticTransform, _c1.GaussianBlur,
               _t1.RandomAffine, _t1.RandomCrop, _c1.RandomErasing, _t1.RandomPerspective,
               _t1.RandomResizedCrop, _t1.RandomRotation):
        globals()[v1.__name__].get_params = staticmethod(v1.get_params)


_share_v1_get_params()

__all__ = ["AutoAugmentPolicy", "InterpolationMode", "functional", "Transform",
           "check_type", "get_bounding_boxes", "has_all", "has_any", "query_chw", "query_size",
           "CutMix", "MixUp", *_geometry, *_color, *_misc, *_augment, *_keypoints]
