"""``ember.nn.functional``: PyTorch's torch.nn.functional, a thin layer over Ember's core kernels."""

from ._conv_pool import *  # noqa: F403
from ._conv_pool import __all__ as _a
from ._layers import *  # noqa: F403
from ._layers import __all__ as _b
from ._linear_cross_entropy import __all__ as _d
from ._linear_cross_entropy import linear_cross_entropy
from ._pool_fractional import *  # noqa: F403
from ._pool_fractional import __all__ as _c

__all__ = list(_a) + list(_b) + list(_c) + list(_d)

from .. import grad  # noqa: E402,F401  (torch.nn.functional.grad is torch.nn.grad)
