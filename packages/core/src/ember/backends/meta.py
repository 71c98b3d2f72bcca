"""The ``meta`` device: tensors whose data cannot be read.

PyTorch's meta tensors carry a shape and a dtype and no storage; code moves a module there
(``copy.deepcopy(model).to("meta")``) to get a skeleton whose parameters are all replaced
later, as ``torch.func.functional_call`` does in the model-ensembling tutorial. Ember keeps
NumPy arrays behind meta tensors so that every op still gives the right shapes and dtypes,
and refuses to copy their values out, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numpy.backend import NumpyBackend


class MetaBackend(NumpyBackend):
    """NumPy's backend under another device type, whose values cannot be read."""

    type = "meta"
    kernels: dict = {}

    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        return np.array(obj, dtype=dtype)  # its own copy: a meta tensor shares nothing

    def to_numpy(self, arr: Any) -> np.ndarray:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
