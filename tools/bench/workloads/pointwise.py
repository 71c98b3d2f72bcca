"""Pointwise ops: dispatch cost on tiny tensors, memory bandwidth on big ones."""

import numpy as np

from tools.bench.harness import register_same
from tools.bench.workloads._inputs import TEN_MILLION, numpy_vector


def _add_16x16(lib):
    a, b = lib.randn(16, 16), lib.randn(16, 16)
    return lambda: a + b


def _numpy_add_16x16():
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((16, 16), dtype=np.float32) for _ in range(2))
    return lambda: a + b


def _exp_10m(lib):
    x = lib.randn(TEN_MILLION)
    return lambda: lib.exp(x)


def _numpy_exp_10m():
    x = numpy_vector()
    return lambda: np.exp(x)


register_same("add_16x16", _add_16x16, numpy=_numpy_add_16x16)
register_same("exp_10M", _exp_10m, numpy=_numpy_exp_10m)
