"""Matrix products: BLAS-bound, so the three should be close."""

import numpy as np

from tools.bench.harness import register_same


def _matmul_1024(lib):
    a, b = lib.randn(1024, 1024), lib.randn(1024, 1024)
    return lambda: a @ b


def _numpy_matmul_1024():
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((1024, 1024), dtype=np.float32) for _ in range(2))
    return lambda: a @ b


register_same("matmul_1024", _matmul_1024, numpy=_numpy_matmul_1024)
