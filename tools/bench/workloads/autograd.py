"""Autograd overhead: a tiny graph, forward and backward, where dispatch dominates."""

from tools.bench.harness import register_same


def _fwd_bwd_small(lib):
    a = lib.randn(16, 16, requires_grad=True)
    b = lib.randn(16, 16, requires_grad=True)
    return lambda: ((a * b) + b).sum().backward()


register_same("fwd_bwd_small", _fwd_bwd_small)
