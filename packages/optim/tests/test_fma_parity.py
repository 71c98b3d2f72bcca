"""Optimizer steps bit for bit PyTorch's: its ``add_(alpha=)`` and ``lerp_`` round once
(FMA), and so do Ember's kernels.

15 steps on float32 and float64 parameters (sizes past and below the vector widths, 0-d)
with the same gradients. The optimizers with a second moment (Adam, RMSprop, Adagrad,
Adadelta, NAdam, RAdam) are not bit for bit: PyTorch's CPU ``sqrt`` is one ulp off NumPy's
(correctly rounded) one in about 200 elements, and their ``addcmul_`` rounds twice in Ember
for speed; test_optimizers compares them with PyTorch within tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim

SHAPES = ((3000,), (40, 50), (7,), (17,), ())
STEPS = 15

NO_SQRT = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01, maximize=True)),
    ("ASGD", dict(lr=0.01, t0=3, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01)),
]


def _run(torch, name, kw, dt):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dt) for s in SHAPES]
    tp = [torch.tensor(x, requires_grad=True) for x in init]
    ep = [ember.tensor(x, requires_grad=True) for x in init]
    topt = getattr(torch.optim, name)(tp, **kw)
    eopt = getattr(ember.optim, name)(ep, **kw)
    for _ in range(STEPS):
        for t, e, s in zip(tp, ep, SHAPES):
            g = rng.standard_normal(s).astype(dt)
            t.grad, e.grad = torch.tensor(g), ember.tensor(g)
        topt.step()
        eopt.step()
        for t, e in zip(tp, ep):
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("dt", (np.float32, np.float64))
@pytest.mark.parametrize(("name", "kw"), NO_SQRT)
def test_steps_bitwise(torch, name, kw, dt):
    _run(torch, name, kw, dt)


def test_threads_same_numbers(torch):
    """Blocks on several threads (BLAS axpy in chunks) give the single-thread numbers."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(600_000).astype(np.float32)
    outs = []
    for threads in (1, 2):
        old = ember.get_num_threads()
        ember.set_num_threads(threads)
        try:
            p = ember.tensor(x, requires_grad=True)
            opt = ember.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
            for k in range(3):
                p.grad = ember.tensor(np.roll(x, k))
                opt.step()
            outs.append(p.detach().numpy().copy())
        finally:
            ember.set_num_threads(old)
    t = torch.tensor(x, requires_grad=True)
    topt = torch.optim.SGD([t], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    for k in range(3):
        t.grad = torch.tensor(np.roll(x, k))
        topt.step()
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], t.detach().numpy())
