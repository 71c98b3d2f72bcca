"""``ember.amp``: automatic mixed precision (PyTorch's ``torch.amp``).

``autocast`` runs regions in lower precision with PyTorch's per-op policies; ``GradScaler``
scales the loss so that small float16 gradients do not underflow, and skips the steps whose
gradients overflowed.
"""

from ..ops.autocast_mode import autocast, is_autocast_available
from .autocast_mode import custom_bwd, custom_fwd
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_bwd", "custom_fwd", "GradScaler", "is_autocast_available",
           "OptState"]
