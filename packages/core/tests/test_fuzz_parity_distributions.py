"""Distributions against PyTorch as the differential fuzzer drives them: same-seed samples,
log_prob, moments, entropy, expand and rsample gradients with broadcast batch parameters."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(11)


def _pos(*s, lo=0.2, hi=3.0):
    return RNG.uniform(lo, hi, s)


CASES = {
    "Normal": lambda: [RNG.standard_normal((2, 3)), _pos(3)],
    "Gamma": lambda: [_pos(2, 3), _pos(3)],
    "Beta": lambda: [_pos(1, 3), _pos(3)],
    "StudentT": lambda: [_pos(3, lo=1, hi=5), RNG.standard_normal(3), _pos(2, 3)],
    "Dirichlet": lambda: [_pos(2, 3)],
    "Laplace": lambda: [RNG.standard_normal(3), _pos(2, 3)],
    "Weibull": lambda: [_pos(3), _pos(2, 3)],
    "Binomial": lambda: [RNG.integers(1, 9, (2, 3)).astype(float), RNG.uniform(0.1, 0.9, 3)],
    "Poisson": lambda: [_pos(2, 3, lo=0.5, hi=8)],
    "VonMises": lambda: [RNG.standard_normal(3), _pos(2, 3)],
}


def _try(f):
    try:
        return f()
    except NotImplementedError:
        return None


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_samples_and_statistics(torch, name, dtype):
    params = [p.astype(dtype) for p in CASES[name]()]
    res = []
    for lib in (ember, torch):
        d = getattr(lib.distributions, name)(*[lib.tensor(p) for p in params])
        lib.manual_seed(3)
        x = d.sample((2,))
        out = [x, d.log_prob(x), d.mean, d.variance, _try(d.entropy)]
        e = d.expand((4,) + tuple(d.batch_shape))
        lib.manual_seed(4)
        out += [e.sample(), e.log_prob(x[0])]
        if d.has_rsample:
            lib.manual_seed(5)
            out.append(d.rsample((3,)))
        res.append(out)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-7, "atol": 1e-9}
    for e, t in zip(*res):
        if t is None:
            assert e is None
        else:
            assert_close(e, t, equal_nan=True, **tol)


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "StudentT", "Dirichlet", "Laplace",
                                  "Weibull"])
def test_rsample_and_log_prob_grads(torch, name):
    params = CASES[name]()
    grads = []
    for lib in (ember, torch):
        ps = [lib.tensor(p, requires_grad=True) for p in params]
        d = getattr(lib.distributions, name)(*ps)
        lib.manual_seed(9)
        y = d.rsample((2,))
        g1 = lib.autograd.grad(y.sum(), ps, retain_graph=True)
        g2 = lib.autograd.grad(d.log_prob(y.detach()).sum(), ps)
        grads.append(g1 + g2)
    for e, t in zip(*grads):
        assert_close(e, t, rtol=1e-6, atol=1e-9)
    x = ember.distributions.__dict__[name](*[ember.tensor(p) for p in params]).sample()

    def lp(*ps):
        return getattr(ember.distributions, name)(*ps).log_prob(x)

    assert gradcheck(lp, tuple(ember.tensor(p, requires_grad=True) for p in params))


@pytest.mark.parametrize("name,bad", [("Normal", 1), ("Gamma", 0), ("Beta", 1), ("Poisson", 0)])
def test_validate_args_messages(torch, name, bad):
    params = CASES[name]()
    params[bad] = -params[bad] - 1
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(ValueError) as err:
            getattr(lib.distributions, name)(*[lib.tensor(p) for p in params], validate_args=True)
        msgs.append(str(err.value).split(" of distribution")[0])
    assert msgs[0] == msgs[1]
