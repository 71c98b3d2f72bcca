"""``ember.linalg``: PyTorch's ``torch.linalg`` (decompositions, solvers, norms, products).

Results with several parts are named tuples with PyTorch's field names
(``ember.return_types``); failures on singular or non positive-definite input raise
``ember.linalg.LinAlgError``, a RuntimeError.
"""

from __future__ import annotations

from .ops.linalg import matmul
from .ops.linalg_decomp import (
                                LinAlgError,
                                cholesky,
                                cholesky_ex,
                                det,
                                eig,
                                eigh,
                                eigvals,
                                eigvalsh,
                                inv,
                                inv_ex,
                                matrix_exp,
                                matrix_power,
                                pinv,
                                qr,
                                slogdet,
                                solve,
                                solve_ex,
                                solve_triangular,
                                svd,
                                svdvals,
)
from .ops.linalg_misc import diagonal, lstsq, multi_dot, tensorinv, tensorsolve, vander, vecdot
from .ops.linalg_misc import linalg_cross as cross
from .ops.linalg_norms import cond, matrix_norm, matrix_rank, norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
           "eigh", "eigvals", "eigvalsh", "inv", "inv_ex", "lstsq", "matmul", "matrix_exp",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
           "tensorsolve", "vander", "vecdot", "vector_norm"]

from .ops.linalg_lu import householder_product  # noqa: E402
from .ops.linalg_lu import linalg_lu as lu  # noqa: E402
from .ops.linalg_lu import linalg_lu_factor as lu_factor  # noqa: E402
from .ops.linalg_lu import linalg_lu_factor_ex as lu_factor_ex  # noqa: E402
from .ops.linalg_lu import linalg_lu_solve as lu_solve  # noqa: E402

__all__ += ["householder_product", "lu", "lu_factor", "lu_factor_ex", "lu_solve"]

from .ops.linalg_extra import ldl_factor, ldl_factor_ex, ldl_solve, matrix_sqrth, polar  # noqa: E402

__all__ += ["ldl_factor", "ldl_factor_ex", "ldl_solve", "matrix_sqrth", "polar"]
