"""``ember.optim``: PyTorch's optimizers and learning-rate schedulers, step for step."""

from . import lr_scheduler, swa_utils
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__version__ = "0.1.0"
__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler", "swa_utils"]
