"""The Tensor methods that make or read sparse COO tensors (``to_sparse``, ``to_sparse_coo``,
``sparse_mask``): attached with the lazily loaded op families, so that the Tensor class never
imports the sparse layout and dense programs never load it."""

from __future__ import annotations

import importlib
from typing import Any

from ._dispatch import Tensor, methods

__all__: list[str] = []


def to_sparse(self: Tensor, sparse_dim: int | None = None, *, layout: Any = None,
              blocksize: Any = None, dense_dim: Any = None) -> Tensor:
    """The COO sparse tensor of this tensor's nonzero entries (``ember.sparse``)."""
    importlib.import_module("ember.sparse")  # routes ember.mm & co. to the sparse kernels
    from .sparse_math import dense_to_sparse

    if layout is not None and str(layout).rpartition(".")[2] != "sparse_coo":
        raise NotImplementedError(f"to_sparse: only the sparse COO layout is supported in "
                                  f"Ember, not {layout}")
    return dense_to_sparse(self, sparse_dim)


def to_sparse_coo(self: Tensor) -> Tensor:
    return self.to_sparse()


def sparse_mask(self: Tensor, mask: Tensor) -> Tensor:
    """This tensor's entries at the indices of sparse ``mask``."""
    from .sparse_math import sparse_mask as _mask

    return _mask(self, mask)


methods(to_sparse=to_sparse, to_sparse_coo=to_sparse_coo, sparse_mask=sparse_mask)
