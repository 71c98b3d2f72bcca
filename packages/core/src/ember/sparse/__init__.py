"""``ember.sparse``: functions on sparse COO tensors (PyTorch's ``torch.sparse``).

Loading it (which ``ember.sparse_coo_tensor`` and ``Tensor.to_sparse`` do) routes
``ember.mm``/``matmul``/``add``/... to the sparse kernels when given a sparse tensor;
dense programs that never build one pay nothing.
"""

from __future__ import annotations

from typing import Any

from ..ops import sparse_compressed_math as _cm
from ..ops import sparse_math as _m
from ..ops.sparse_compressed import (
    SparseCompressedTensor,
    sparse_bsc,
    sparse_bsc_tensor,
    sparse_bsr,
    sparse_bsr_tensor,
    sparse_compressed_tensor,
    sparse_csc,
    sparse_csc_tensor,
    sparse_csr,
    sparse_csr_tensor,
)
from ..ops.sparse_coo import SparseTensor, sparse_coo, sparse_coo_tensor
from ._dispatch import install as _install

__all__ = ["mm", "addmm", "sum", "sampled_addmm", "softmax", "log_softmax", "SparseTensor", "sparse_coo",
           "sparse_coo_tensor", "check_sparse_tensor_invariants", "spmm",
           "SparseCompressedTensor", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc",
           "sparse_compressed_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
           "sparse_bsr_tensor", "sparse_bsc_tensor"]

softmax = _m.softmax
log_softmax = _m.log_softmax
sampled_addmm = _cm.sampled_addmm


def mm(mat1: Any, mat2: Any, reduce: str | None = None) -> Any:
    """Matrix product of a sparse matrix with a dense (or sparse) one; with ``reduce``
    (sum, mean, amax, amin) a CSR matrix's row-wise reduction of the products instead."""
    if reduce is not None:
        return _cm.mm_reduce(mat1, mat2, reduce)
    if isinstance(mat1, SparseCompressedTensor) or isinstance(mat2, SparseCompressedTensor):
        return _cm.mm(mat1, mat2, sparse_grad=True)
    if not isinstance(mat1, SparseTensor):
        from .. import ops

        return ops.mm(mat1, mat2.to_dense() if isinstance(mat2, SparseTensor) else mat2)
    return _m.mm(mat1, mat2, sparse_grad=True)


def addmm(mat: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1``."""
    if isinstance(mat1, SparseCompressedTensor):
        return _cm.addmm(mat, mat1, mat2, beta=beta, alpha=alpha)
    return _m.addmm(mat, mat1, mat2, beta=beta, alpha=alpha, sparse_grad=True)


def sum(input: Any, dim: Any = None, dtype: Any = None) -> Any:
    """Sum of a sparse tensor: over everything (dense 0-d) or over ``dim``."""
    return _m.sum(input, dim, dtype=dtype)


class check_sparse_tensor_invariants:
    """Switch, context manager and decorator for the index checks of sparse constructors
    (off by default, as PyTorch's; Ember's COO constructor checks its indices always).
    ``_enabled`` stays None until a program opts in or out; constructors called without
    ``check_invariants`` then warn once, as PyTorch's."""

    _enabled: bool | None = None

    def __init__(self, enable: bool = True) -> None:
        self.state = enable
        self.saved_state: bool | None = None

    @staticmethod
    def is_enabled() -> bool:
        return bool(check_sparse_tensor_invariants._enabled)

    @staticmethod
    def enable() -> None:
        check_sparse_tensor_invariants._enabled = True

    @staticmethod
    def disable() -> None:
        check_sparse_tensor_invariants._enabled = False

    def __enter__(self) -> check_sparse_tensor_invariants:
        if self.saved_state is not None:
            raise RuntimeError("This context manager instance is already activated. Use a "
                               "different context manager instance for context nesting.")
        self.saved_state = self.is_enabled()
        check_sparse_tensor_invariants._enabled = bool(self.state)
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.saved_state is not None
        check_sparse_tensor_invariants._enabled = self.saved_state
        self.saved_state = None

    def __call__(self, mth: Any) -> Any:
        def test_mth(*args: Any, **kwargs: Any) -> Any:
            with type(self)(self.state):
                return mth(*args, **kwargs)

        return test_mth


_install()


def spmm(input: Any, mat2: Any) -> Any:
    """``ember.spmm``: sparse (or dense) matrix times dense matrix (dense gradients)."""
    from .. import ops

    return ops.mm(input, mat2)
