"""block_diag, vander, tril_indices, triu_indices, unravel_index, index_reduce and
nonzero_static against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from _misc_helpers import check, gradcheck, noncontig, rand, same, same_error

import ember
from ember.testing import assert_close


# ------------------------------------------------------------------ block_diag
def test_block_diag(torch):
    check(torch, "block_diag", rand(2, 2, dtype="int64"), np.array([5.0]), np.array(7),
          np.ones((2, 0)), rand(1, 2, dtype="int64"))
    check(torch, "block_diag", rand(2, 3), rand(4), np.array(2.0), grad=True)
    check(torch, "block_diag", noncontig(rand(3, 2)), rand(2, 2, dtype="float32"))
    check(torch, "block_diag", np.array([True]), np.array([2], dtype="int8"))
    check(torch, "block_diag", rand(1, dtype="complex128"), rand(2))
    check(torch, "block_diag", np.ones(0))
    check(torch, "block_diag", np.array([1.0], dtype="float16"), np.array(2.0, dtype="float32"))
    check(torch, "block_diag", rand(3))
    check(torch, "block_diag")
    same_error(torch, "block_diag", np.ones((2, 2, 2)))
    with pytest.raises(TypeError):
        ember.block_diag([ember.ones(1)])
    gradcheck(lambda a, b, c: ember.block_diag(a, b, c), rand(2, 3), rand(3), rand(1, 1))


# ------------------------------------------------------------------ vander
def test_vander(torch):
    for dtype in ["float64", "float32", "int64", "int32", "uint8", "bool", "complex64"]:
        x = rand(4, dtype=dtype, low=0, high=4)
        check(torch, "vander", x)
        for n in (0, 1, 2, 5):
            check(torch, "vander", x, N=n)
            check(torch, "vander", x, n, True)
    check(torch, "vander", np.ones(0))
    check(torch, "vander", rand(3, dtype="float16"))
    same_error(torch, "vander", np.array(1.0))
    same_error(torch, "vander", np.ones((2, 2)))
    same_error(torch, "vander", rand(2), N=-1)
    x = ember.tensor([1.0, 2.0, 0.0], requires_grad=True)
    assert ember.vander(x).requires_grad and not ember.vander(x, N=1).requires_grad
    gradcheck(lambda v: ember.vander(v), rand(4))
    gradcheck(lambda v: ember.vander(v, 3, True), np.array([1.5, 0.0, -2.0]))


# ------------------------------------------------------------------ tril_indices, triu_indices
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices(torch, name):
    for row, col in [(3, 3), (3, 4), (4, 3), (0, 3), (1, 1), (5, 2)]:
        for offset in (-10, -2, -1, 0, 1, 2, 10):
            check(torch, name, row, col, offset)
    check(torch, name, 3, 3, dtype=ember.int32)
    check(torch, name, 4, 5, offset=1, dtype=ember.int64, device="cpu")
    for bad in (ember.float32, ember.int8, ember.bool, ember.uint8):
        same_error(torch, name, 3, 3, dtype=bad)
    same_error(torch, name, -1, 3, match="row must be non-negative, got-1")
    same_error(torch, name, 3, -2, match="col must be non-negative, got-2")
    same_error(torch, name, 3.5, 2)


# ------------------------------------------------------------------ unravel_index
def test_unravel_index(torch):
    for shape in [(2, 3), (4,), 6, (2, 1, 3), [3, 2], ()]:
        check(torch, "unravel_index", np.array([4, 1, 0]) % 6 if shape else np.array([0]), shape)
    check(torch, "unravel_index", np.array(4), (2, 3))
    check(torch, "unravel_index", np.array([[1, 2], [3, 4]]), (2, 3))
    check(torch, "unravel_index", np.array([6, -1, -7]), (2, 3))
    check(torch, "unravel_index", np.array([1], dtype="int32"), (2, 3))
    check(torch, "unravel_index", np.array([0, 5]), [2, 3])
    same(ember.unravel_index(ember.tensor([5]), ember.Size([2, 3])),
         torch.unravel_index(torch.tensor([5]), torch.Size([2, 3])))
    same_error(torch, "unravel_index", np.array([1.0]), (2, 3))
    same_error(torch, "unravel_index", np.array([True]), (2,))
    same_error(torch, "unravel_index", np.array([1]), (2, -3))
    same_error(torch, "unravel_index", np.array([1]), (0, 3))
    with pytest.raises(TypeError):
        ember.unravel_index(ember.tensor([1]), ember.tensor([2, 3]))


# ------------------------------------------------------------------ index_reduce
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(torch, reduce, include_self):
    idx = np.array([0, 2, 0, 0])
    for dtype in ["float64", "float32", "int64", "int32"]:
        x, src = rand(3, 2, dtype=dtype, low=1, high=5), rand(4, 2, dtype=dtype, low=1, high=5)
        check(torch, "index_reduce", x, 0, idx, src, reduce, include_self=include_self)
        check(torch, "index_reduce", noncontig(x), 0, idx.astype("int32"), src, reduce,
              include_self=include_self, method=True)
    x, src = rand(2, 3, 4), rand(2, 5, 4)
    check(torch, "index_reduce", x, 1, np.array([1, 1, 2, 0, 1]), src, reduce,
          include_self=include_self, grad=True)
    check(torch, "index_reduce", x, -1, np.array([3, 3, 0, 3]), rand(2, 3, 4), reduce,
          include_self=include_self, grad=reduce in ("prod", "mean"))
    check(torch, "index_reduce", np.array(2.0), 0, np.array(0), np.array(3.0), reduce,
          include_self=include_self)
    gradcheck(lambda a, b: ember.index_reduce(a, 0, ember.tensor([0, 2, 0, 1]), b, reduce,
                                              include_self=include_self), rand(3, 2), rand(4, 2))


def test_index_reduce_inplace_nan_and_errors(torch):
    idx = np.array([0, 2, 0, 0])
    x, src = rand(3, 2), rand(4, 2)
    e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    assert e.index_reduce_(0, ember.from_numpy(idx), ember.from_numpy(src), "amax") is e
    t.index_reduce_(0, torch.from_numpy(idx), torch.from_numpy(src), "amax")
    assert_close(e, t)
    src_nan = src.copy()
    src_nan[0, 1] = np.nan
    check(torch, "index_reduce", x, 0, idx, src_nan, "amax")
    check(torch, "index_reduce", rand(3, 2, dtype="bool"), 0, idx, rand(4, 2, dtype="bool"),
          "amax")
    same_error(torch, "index_reduce", x, 0, idx, src, "sum")
    same_error(torch, "index_reduce", x, 0, idx, src.astype("float32"), "prod")
    same_error(torch, "index_reduce", x, 0, idx.astype("float32"), src, "prod")
    same_error(torch, "index_reduce", x, 0, np.array([0, 5, 0, 0]), src, "prod")
    same_error(torch, "index_reduce", x, 0, np.array([0, -1, 0, 0]), src, "prod")
    same_error(torch, "index_reduce", x, 0, idx[:3], src, "prod")
    same_error(torch, "index_reduce", x, 0, idx, src[:, :1], "prod")
    same_error(torch, "index_reduce", x, 2, idx, src, "prod")
    same_error(torch, "index_reduce", np.ones(3), 0, np.array([[0]]), np.array([[3.0]]), "prod")
    same_error(torch, "index_reduce", rand(3, 2, dtype="bool"), 0, idx, rand(4, 2, dtype="bool"),
               "mean")


# ------------------------------------------------------------------ nonzero_static
def test_nonzero_static(torch):
    x = np.array([[0, 1.0], [2, 0], [3, 4]])
    for size in (0, 2, 4, 6):
        check(torch, "nonzero_static", x, size=size)
        check(torch, "nonzero_static", x, size=size, fill_value=9)
        check(torch, "nonzero_static", noncontig(x), size=size, method=True)
    check(torch, "nonzero_static", np.array(1.0), size=2)
    check(torch, "nonzero_static", np.array(0.0), size=2)
    check(torch, "nonzero_static", np.zeros((0, 3)), size=2)
    check(torch, "nonzero_static", rand(2, 3, 4, dtype="bool"), size=5)
    same_error(torch, "nonzero_static", x, size=-1)
    same_error(torch, "nonzero_static", x, size=2.0)
    with pytest.raises(TypeError):
        ember.nonzero_static(ember.from_numpy(x), 2)
