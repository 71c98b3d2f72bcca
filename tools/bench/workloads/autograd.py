"""Autograd overhead: a tiny graph, forward and backward, where dispatch dominates."""

from tools.bench.harness import register_same


def _fwd_bwd_small(lib):
    a = lib.randn(16, 16, requires_grad=True)
    b = lib.randn(16, 16, requires_grad=True)
    return lambda: ((a * b) + b).sum().backward()


register_same("fwd_bwd_small", _fwd_bwd_small)


def _chain_100(lib):
    """A backward through a chain of 100 small ops (per node cost of the engine)."""
    x = lib.randn(8, 8, requires_grad=True)

    def step():
        y = x
        for _ in range(50):
            y = (y * 1.01) + 0.1
        y.sum().backward()

    return step


def _wide_100(lib):
    """One input used by 100 ops whose results are summed (gradient accumulation)."""
    x = lib.randn(8, 8, requires_grad=True)

    def step():
        total = x * 0.5
        for i in range(99):
            total = total + x * (i * 0.01)
        total.sum().backward()

    return step


register_same("backward_chain_100", _chain_100)
register_same("backward_wide_100", _wide_100)
