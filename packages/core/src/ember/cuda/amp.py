"""``ember.cuda.amp``: PyTorch's deprecated ``torch.cuda.amp`` (float16 by default)."""

from .. import dtypes as _dt
from ..amp._deprecated import autocast_for, custom_decorators, grad_scaler_for

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]

autocast = autocast_for("cuda", _dt.float16)
GradScaler = grad_scaler_for("cuda")
custom_fwd, custom_bwd = custom_decorators()
