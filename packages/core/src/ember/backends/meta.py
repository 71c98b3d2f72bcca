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

from .base import Backend, NumpyLike


class MetaBackend(NumpyLike, Backend):
    type = "meta"
    xp = np
    ndarray = np.ndarray
    aliases = True
    numpy_like = True
    kernels: dict = {}

    def supported_dtypes(self) -> frozenset[str]:
        return super().supported_dtypes() | {"bfloat16", "uint16", "uint32", "uint64"}

    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        return np.array(obj, dtype=dtype)  # its own copy: a meta tensor shares nothing

    def to_numpy(self, arr: Any) -> np.ndarray:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
