"""``ember.cpu.amp``: PyTorch's deprecated ``torch.cpu.amp`` (bfloat16 by default)."""

from .. import dtypes as _dt
from ..amp._deprecated import autocast_for, grad_scaler_for

__all__ = ["autocast", "GradScaler"]

autocast = autocast_for("cpu", _dt.bfloat16)
GradScaler = grad_scaler_for("cpu")
