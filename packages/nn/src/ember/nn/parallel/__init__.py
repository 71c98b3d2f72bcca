"""``ember.nn.parallel``: ``DataParallel`` (a pass-through wrapper) and a lazy re-export of
``DistributedDataParallel`` from the ember-distributed distribution."""

from __future__ import annotations

import importlib
from typing import Any

from ..modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(Module):
    """PyTorch's ``DataParallel`` with one device: runs ``module`` unchanged.

    The wrapped module is ``self.module``, so state_dict keys gain the ``module.``
    prefix as in PyTorch.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "DistributedDataParallel":
        try:
            module = importlib.import_module("ember.distributed")
            value = module.DistributedDataParallel
        except (ImportError, AttributeError) as e:
            raise ImportError(
                "ember.nn.parallel.DistributedDataParallel is provided by the distribution "
                "'ember-distributed', which is not installed (or failed to import). Install it "
                "with: pip install ember-distributed") from e
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember.nn.parallel' has no attribute '{name}'")
