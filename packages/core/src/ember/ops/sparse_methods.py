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
        from .sparse_compressed import _as_layout, to_compressed

        lay = _as_layout(layout)
        if lay is None:
            raise NotImplementedError(f"to_sparse: the {layout} layout is not supported in "
                                      "Ember")
        return to_compressed(self, lay, blocksize, dense_dim)
    return dense_to_sparse(self, sparse_dim)


def to_sparse_coo(self: Tensor) -> Tensor:
    return self.to_sparse()


def _compressed(self: Tensor, name: str, blocksize: Any, dense_dim: Any) -> Tensor:
    importlib.import_module("ember.sparse")
    from .sparse_compressed import _LAYOUTS, to_compressed

    return to_compressed(self, _LAYOUTS[name], blocksize, dense_dim)


def to_sparse_csr(self: Tensor, dense_dim: int | None = None) -> Tensor:
    """This tensor in the CSR layout (a 2-D tensor, plus ``dense_dim`` dense dims)."""
    return _compressed(self, "sparse_csr", None, dense_dim)


def to_sparse_csc(self: Tensor, dense_dim: int | None = None) -> Tensor:
    """This tensor in the CSC layout."""
    return _compressed(self, "sparse_csc", None, dense_dim)


def to_sparse_bsr(self: Tensor, blocksize: Any, dense_dim: int | None = None) -> Tensor:
    """This tensor in the BSR layout, in blocks of ``blocksize``."""
    return _compressed(self, "sparse_bsr", blocksize, dense_dim)


def to_sparse_bsc(self: Tensor, blocksize: Any, dense_dim: int | None = None) -> Tensor:
    """This tensor in the BSC layout, in blocks of ``blocksize``."""
    return _compressed(self, "sparse_bsc", blocksize, dense_dim)


def sparse_mask(self: Tensor, mask: Tensor) -> Tensor:
    """This tensor's entries at the indices of sparse ``mask``."""
    from .sparse_math import sparse_mask as _mask

    return _mask(self, mask)


methods(to_sparse=to_sparse, to_sparse_coo=to_sparse_coo, sparse_mask=sparse_mask,
        to_sparse_csr=to_sparse_csr, to_sparse_csc=to_sparse_csc, to_sparse_bsr=to_sparse_bsr,
        to_sparse_bsc=to_sparse_bsc)
