"""``ember.optim.adamw``: AdamW's home module, as PyTorch's ``torch.optim.adamw``."""

from .adam import AdamW

AdamW.__module__ = __name__

__all__ = ["AdamW"]
