"""Reductions over large tensors."""

from tools.bench.harness import register_same
from tools.bench.workloads._inputs import TEN_MILLION, numpy_vector


def _sum_10m(lib):
    x = lib.randn(TEN_MILLION)
    return lambda: x.sum()


def _numpy_sum_10m():
    x = numpy_vector()
    return lambda: x.sum()


register_same("sum_10M", _sum_10m, numpy=_numpy_sum_10m)
