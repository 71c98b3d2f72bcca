"""Randomized low-rank factorizations: ``svd_lowrank`` and ``pca_lowrank`` (Halko,
Martinsson and Tropp's range finder with subspace iterations), and ``lobpcg``
(Knyazev's locally optimal block preconditioned conjugate gradient) for a few extreme
eigenpairs of a symmetric matrix.

The random test matrices are drawn with ``ember.randn`` in PyTorch's order and shapes, so
under the same seed the results match PyTorch's. Written with Ember ops: differentiable
wherever ``linalg.qr`` and ``linalg.svd`` are.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ._dispatch import Tensor

__all__ = ["svd_lowrank", "pca_lowrank", "lobpcg"]


def _float_dtype(A: Tensor) -> _dt.dtype:
    if A.is_complex() or A.dtype.name in ("float16", "float32", "float64"):
        return A.dtype
    return _dt.float32


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """An orthonormal ``Q`` with ``q`` columns such that ``Q Q^H (A - M)`` approximates
    ``A - M`` (Halko et al., algorithm 4.4)."""
    from . import linalg_decomp as linalg
    from .sampling import randn

    R = randn(A.shape[-1], q, dtype=_float_dtype(A), device=A.device)
    X = A.matmul(R) if M is None else A.matmul(R) - M.matmul(R)
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = A.mH.matmul(Q) if M is None else A.mH.matmul(Q) - M.mH.matmul(Q)
        Q = linalg.qr(X).Q
        X = A.matmul(Q) if M is None else A.matmul(Q) - M.matmul(Q)
        Q = linalg.qr(X).Q
    return Q


def _svd_lowrank(A: Tensor, q: int | None, niter: int | None, M: Tensor | None
                 ) -> tuple[Tensor, Tensor, Tensor]:
    from . import linalg_decomp as linalg

    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the conjugate transpose: B stays q x min(m, n)
        A = A.mH
        M = M.mH if M is not None else None
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH.matmul(A) if M is None else Q.mH.matmul(A) - Q.mH.matmul(M)
    U, S, Vh = linalg.svd(B, full_matrices=False)
    V = Vh.mH
    U = Q.matmul(U)
    if m < n:
        U, V = V, U
    return U, S, V


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``(U, S, V)`` with ``A - M ~ U diag(S) V^H`` of rank ``q``, found from ``niter``
    subspace iterations on a random start (seeded like PyTorch's)."""
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Principal components of the rows of ``A``: ``svd_lowrank`` of ``A`` less its column
    means (``center``); ``V``'s columns are the principal directions, ``S**2 / (m - 1)``
    the variances along them. ``q`` defaults to ``min(6, m, n)``."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter, None)


# ------------------------------------------------------------------ LOBPCG
def _b_orthonormal(U: Tensor, B: Tensor | None) -> Tensor:
    """The columns of ``U`` made B-orthonormal (through a Cholesky factor of ``U^T B U``)
    after dropping directions too small to keep."""
    from . import linalg_decomp as linalg

    G = U.mT.matmul(U if B is None else B.matmul(U))
    G = (G + G.mT) / 2
    evals, evecs = linalg.eigh(G)
    keep = evals > evals.abs().max() * (1e3 * _dt.finfo(U.dtype).eps)
    evecs, evals = evecs[:, keep], evals[keep]
    return U.matmul(evecs / evals.sqrt())


def _ritz(A: Tensor, basis: Tensor, sign: float, n: int) -> Tensor:
    """The ``n`` Ritz vectors of ``A`` in the span of the B-orthonormal ``basis`` whose Ritz
    values are largest (``sign`` 1) or smallest (-1), best first."""
    from . import linalg_decomp as linalg

    H = basis.mT.matmul(A.matmul(basis))
    evals, evecs = linalg.eigh(sign * (H + H.mT) / 2)
    return basis.matmul(evecs[:, evals.argsort(descending=True)[:n]])


def lobpcg(A: Tensor, k: int | None = None, B: Tensor | None = None, X: Tensor | None = None,
           n: int | None = None, iK: Tensor | None = None, niter: int | None = None,
           tol: float | None = None, largest: bool | None = None, method: str | None = None,
           tracker: Any = None, ortho_iparams: dict | None = None,
           ortho_fparams: dict | None = None, ortho_bparams: dict | None = None
           ) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (or, with ``largest=False``, smallest) eigenpairs of the symmetric
    generalized problem ``A x = lambda B x``: ``(E, X)``, eigenvalues and their B-orthonormal
    eigenvectors, by LOBPCG on ``n`` (default ``k``) search directions, preconditioned by
    ``iK``. Stops when every residual norm is below ``tol`` times its eigenvalue's size, or
    after ``niter`` iterations (default 1000; -1 for no limit). Not batched."""
    from ..autograd import no_grad
    from . import linalg_decomp as linalg
    from .sampling import randn
    from .shape_join import cat

    if A.dim() != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {tuple(A.shape)}")
    m = A.shape[-1]
    dtype = _float_dtype(A)
    k = 1 if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LPBPCG algorithm is not applicable when the number of A rows (={m}) "
                         f"is smaller than 3 x the number of requested eigenpairs (={n})")
    largest = True if largest is None else largest
    niter = 1000 if niter is None else niter
    tol = (_dt.finfo(dtype).eps ** 0.5) if tol is None else tol
    sign = 1.0 if largest else -1.0
    with no_grad():
        Ad = A.detach().to(dtype)
        Bd = None if B is None else B.detach().to(dtype)
        S = (randn(m, n, dtype=dtype, device=A.device) if X is None
             else X.detach().to(dtype))
        Xc = _ritz(Ad, _b_orthonormal(S, Bd), sign, n)
        P = None
        it = 0
        while niter < 0 or it < niter:
            AX = Ad.matmul(Xc)
            BX = Xc if Bd is None else Bd.matmul(Xc)
            theta = (Xc * AX).sum(0)
            R = AX - BX * theta
            norms = R.norm(dim=0)
            scale = theta.abs().clamp(min=1.0)
            if bool((norms[:k] <= tol * scale[:k]).all()):
                break
            W = R if iK is None else iK.detach().to(dtype).matmul(R)
            blocks = [Xc, W] if P is None else [Xc, W, P]
            basis = _b_orthonormal(linalg.qr(cat(blocks, 1)).Q, Bd)
            newX = _ritz(Ad, basis, sign, n)
            # the new search direction: the part of the step not in the old block
            P = newX - Xc.matmul(Xc.mT.matmul(newX if Bd is None else Bd.matmul(newX)))
            Xc = newX
            it += 1
        AX = Ad.matmul(Xc)
        theta = (Xc * AX).sum(0)
        order = (sign * theta).argsort(descending=True)[:k]
        E, V = theta[order], Xc[:, order]
    return E, V
