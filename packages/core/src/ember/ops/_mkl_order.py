"""Small float32 matrix products in the order of PyTorch's MKL kernels on Intel processors.

PyTorch's x86 CPU build multiplies float32 matrices with MKL, whose small-product kernels on
Intel processors accumulate each output element as a chain of fused multiply-adds over k in
order: ``acc = fma(a[m, k], b[k, n], acc)`` for k = 0..K-1 (measured on PyTorch 2.14 with
MKL on Sapphire Rapids, for mm, matmul, bmm, addmm and linear and their gradients). NumPy's
OpenBLAS reaches the same sums in another order, which differs in the last bit. Here the
chain is emulated one k at a time on whole arrays: a float32 product is exact in float64, so
``float32(a * b + acc)`` computed in float64 is the fused multiply-add (rounded twice, which
differs from once only in cases of probability about 2**-29).

The rule holds where measured, and only there are products taken this way:

- both matrix dimensions M, N at least 2 (with M or N of 1 MKL takes gemv kernels, whose
  order is another);
- the first operand in rows or in columns; the second in rows, or in columns (``x @ W.T``,
  as ``linear``) only where measured in order (``_in_order_nt``: N >= 4 and M >= 3 unless
  M < N <= 11 and K <= N; M = 2 with N >= 12 and K < 48; N of 2 or 3 with M >= 16): MKL
  takes other kernels for the rest of that layout (and for both operands in columns);
- a small product (``SMALL`` multiply-adds, K at most ``MAX_K``), where the loop costs
  little against the rest of the op. Below a depth of 32, NumPy's OpenBLAS given both
  operands in rows sums in the same order: those products are copied into rows and
  left to it.

Batched products (``bmm``; ``matmul`` where the second operand has batch dims) of fewer
than 400 multiply-adds per matrix are PyTorch's own loop, unfused: ``acc += a * b`` in
float32, k in order, for any shape and layout.

Bias and scaling (addmm's ``beta * input + alpha * product``, linear's ``+ bias``) are
applied after the product, rounded, as PyTorch's kernels do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._torch_cpu import mkl_fuses

__all__ = ["product", "SMALL", "MAX_K"]

SMALL = 32768  # multiply-adds (batch included)
# from a depth of 32 the chain is a Python loop over k (about 4 us a step): a 16x48x16
# product costs ~20x NumPy's, a Linear(48, 16) forward+backward ~2.5x. Off (31): every
# product it takes is PyTorch's to the bit, yet two training programs whose other ops
# (log_softmax's exp, ...) round otherwise ended just past their tolerance with it (s22 ctc,
# s28 tabular_mlp_early_stopping); 64 turns it on
MAX_K = 31
_F32 = np.dtype(np.float32)
# below this depth the OpenBLAS that NumPy bundles (its AVX512 kernel) multiplies two
# row-major matrices by the same in-order chain: the loop is only needed from there on
_OPENBLAS_K = 32
# batched products (bmm, matmul of N-D operands) of fewer multiply-adds per matrix take
# PyTorch's own loop: per element, products rounded then added in order from k = 0
_BMM_SMALL = 400


def _layout(x: Any) -> str:
    """``"N"`` for a matrix (last two dims) in rows, ``"T"`` in columns, as MKL is given it
    (a matrix in neither is copied into rows)."""
    s = x.strides
    item = x.itemsize
    if s[-1] == item or x.shape[-1] == 1:
        return "N"
    return "T" if s[-2] == item or x.shape[-2] == 1 else "N"


def _in_order_nt(m: int, n: int, k: int) -> bool:
    """Whether MKL sums ``a @ b`` in order with ``b`` in columns (``x @ W.T``)."""
    if n < 4:
        return m >= 16
    if m == 2:
        return n >= 12 and k < 48
    return not (m < n <= 11 and k <= n)


def product(a: Any, b: Any) -> Any:
    """``a @ b`` in MKL's order for float32 NumPy matrices (both at least 2-D) under the
    rule above; None where it does not apply."""
    if a.dtype != _F32 or b.dtype != _F32 or a.ndim < 2 or b.ndim < 2:
        return None
    k = a.shape[-1]
    n = b.shape[-1]
    if k > MAX_K or k == 0 or b.shape[-2] != k or not mkl_fuses():
        return None  # (mismatched operands: NumPy's matmul raises)
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            return None
    if b.ndim > 2 and a.shape[-2] * n * k < _BMM_SMALL:  # bmm's own loop: a * b, then +
        with np.errstate(all="ignore"):
            acc = a[..., :, 0:1] * b[..., 0:1, :]
            for i in range(1, k):
                acc += a[..., :, i:i + 1] * b[..., i:i + 1, :]
        return acc
    # PyTorch folds the leading dims of an N-D first operand into the rows of one 2-D product
    m = a.size // k if b.ndim == 2 else a.shape[-2]
    if m < 2 or n < 2:
        return None
    batch = max(a.size // max(a.shape[-2] * k, 1), b.size // max(k * n, 1))
    if batch * a.shape[-2] * n * k > SMALL:
        return None
    la, lb = _layout(a), _layout(b)
    if lb == "T" and (la == "T" or not _in_order_nt(m, n, k)):
        return None
    if k < _OPENBLAS_K:  # NumPy's OpenBLAS sums rows-by-rows products of this depth alike
        with np.errstate(all="ignore"):
            return np.matmul(np.ascontiguousarray(a), np.ascontiguousarray(b))
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    shape = np.broadcast_shapes(a.shape[:-1] + (1,), b.shape[:-2] + (1, n))
    with np.errstate(all="ignore"):  # inf/NaN products warn in NumPy, never in PyTorch
        acc = np.multiply(a64[..., :, 0:1], b64[..., 0:1, :]).astype(_F32)  # fma(a, b, 0)
        tmp = np.empty(shape, np.float64)
        for i in range(1, k):  # acc = float32(a * b + acc), the sum in float64
            np.multiply(a64[..., :, i:i + 1], b64[..., i:i + 1, :], out=tmp)
            np.add(tmp, acc, out=acc, dtype=np.float64, casting="unsafe")
    return acc
