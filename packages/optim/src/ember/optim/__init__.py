"""``ember.optim``: PyTorch's optimizers and learning-rate schedulers, step for step."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__version__ = "0.1.0"

# PyTorch defines these in ``torch.optim`` itself: ``<class 'torch.optim.Adafactor'>``
Adafactor.__module__ = Muon.__module__ = __name__


def __getattr__(name: str) -> object:
    # swa_utils needs ember.nn; it loads on first use, as ``ember.optim.swa_utils``
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad",
           "Adadelta", "Adafactor", "Muon", "RMSprop", "Rprop", "ASGD", "LBFGS", "SparseAdam", "lr_scheduler", "swa_utils"]
