"""kl_divergence and register_kl against PyTorch: values and gradients for the registered
pairs, dispatch by subclass, ambiguity warnings and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _dist_helpers import close, grad_inputs, pos, prob, real, simplex, spd

import ember

ED = ember.distributions


def _pairs():
    r = np.random.default_rng(7)
    return [
        ("Normal", dict(loc=real(r, 3), scale=pos(r, 3)), "Normal",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Bernoulli", dict(probs=np.array([0.0, 0.3, 1.0, 0.6])), "Bernoulli",
         dict(probs=np.array([0.2, 0.0, 0.5, 1.0]))),
        ("Bernoulli", dict(logits=real(r, 3)), "Bernoulli", dict(logits=real(r, 3))),
        ("Categorical", dict(probs=simplex(r, 2, 4)), "Categorical",
         dict(probs=simplex(r, 2, 4))),
        ("Categorical", dict(probs=np.array([0.5, 0.0, 0.5])), "Categorical",
         dict(probs=np.array([0.5, 0.5, 0.0]))),
        ("OneHotCategorical", dict(logits=real(r, 4)), "OneHotCategorical",
         dict(logits=real(r, 2, 4))),
        ("MultivariateNormal", dict(loc=real(r, 2, 3), covariance_matrix=spd(r, 2, 3, 3)),
         "MultivariateNormal", dict(loc=real(r, 3), scale_tril=np.linalg.cholesky(
             spd(r, 3, 3)))),
        ("LowRankMultivariateNormal", dict(loc=real(r, 2, 3), cov_factor=real(r, 2, 3, 2),
                                           cov_diag=pos(r, 2, 3)),
         "LowRankMultivariateNormal", dict(loc=real(r, 3), cov_factor=real(r, 3, 1),
                                           cov_diag=pos(r, 3))),
        ("MultivariateNormal", dict(loc=real(r, 3), covariance_matrix=spd(r, 3, 3)),
         "LowRankMultivariateNormal", dict(loc=real(r, 3), cov_factor=real(r, 3, 2),
                                           cov_diag=pos(r, 3))),
        ("LowRankMultivariateNormal", dict(loc=real(r, 3), cov_factor=real(r, 3, 2),
                                           cov_diag=pos(r, 3)),
         "MultivariateNormal", dict(loc=real(r, 2, 3), precision_matrix=spd(r, 2, 3, 3))),
        ("Uniform", dict(low=np.array([0.0, 0.0, -1.0]), high=np.array([1.0, 2.0, 1.0])),
         "Uniform", dict(low=np.array([-1.0, 0.5, -2.0]), high=np.array([2.0, 3.0, 0.5]))),
        ("Beta", dict(concentration1=pos(r, 3), concentration0=pos(r, 3)), "Beta",
         dict(concentration1=pos(r, 3), concentration0=pos(r, 3))),
        ("Gamma", dict(concentration=pos(r, 3), rate=pos(r, 3)), "Gamma",
         dict(concentration=pos(r, 3), rate=pos(r, 3))),
        ("Dirichlet", dict(concentration=pos(r, 2, 3)), "Dirichlet",
         dict(concentration=pos(r, 2, 3))),
        ("Exponential", dict(rate=pos(r, 3)), "Exponential", dict(rate=pos(r, 3))),
        ("Laplace", dict(loc=real(r, 3), scale=pos(r, 3)), "Laplace",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Poisson", dict(rate=pos(r, 3)), "Poisson", dict(rate=pos(r, 3))),
        ("Cauchy", dict(loc=real(r, 3), scale=pos(r, 3)), "Cauchy",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Gumbel", dict(loc=real(r, 3), scale=pos(r, 3)), "Gumbel",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Geometric", dict(probs=prob(r, 3)), "Geometric", dict(probs=prob(r, 3))),
        ("HalfNormal", dict(scale=pos(r, 3)), "HalfNormal", dict(scale=pos(r, 3))),
        ("LogNormal", dict(loc=real(r, 3), scale=pos(r, 3)), "LogNormal",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Binomial", dict(total_count=np.array([10.0, 12.0]), probs=prob(r, 2)), "Binomial",
         dict(total_count=np.array([10.0, 5.0]), probs=prob(r, 2))),
        ("ContinuousBernoulli", dict(probs=np.array([0.2, 0.4995, 0.9])), "ContinuousBernoulli",
         dict(probs=np.array([0.7, 0.3, 0.5002]))),
        ("Chi2", dict(df=pos(r, 3)), "Chi2", dict(df=pos(r, 3))),
        # across families
        ("Beta", dict(concentration1=pos(r, 3), concentration0=pos(r, 3)), "Normal",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Gamma", dict(concentration=pos(r, 3), rate=pos(r, 3)), "Normal",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Exponential", dict(rate=pos(r, 3)), "Gamma",
         dict(concentration=pos(r, 3), rate=pos(r, 3))),
        ("Uniform", dict(low=np.array([0.1, 0.2]), high=np.array([0.5, 0.9])), "Beta",
         dict(concentration1=pos(r, 2), concentration0=pos(r, 2))),
        ("Normal", dict(loc=real(r, 3), scale=pos(r, 3)), "Laplace",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Normal", dict(loc=real(r, 3), scale=pos(r, 3)), "Gumbel",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Laplace", dict(loc=real(r, 3), scale=pos(r, 3)), "Normal",
         dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Normal", dict(loc=real(r, 3), scale=pos(r, 3)), "Exponential", dict(rate=pos(r, 3))),
        ("Uniform", dict(low=np.array([0.1, 0.2]), high=np.array([0.5, 0.9])), "Normal",
         dict(loc=real(r, 2), scale=pos(r, 2))),
        ("Bernoulli", dict(probs=prob(r, 3)), "Poisson", dict(rate=pos(r, 3))),
        ("Exponential", dict(rate=pos(r, 3)), "Gumbel", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Gamma", dict(concentration=pos(r, 3), rate=pos(r, 3)), "Exponential",
         dict(rate=pos(r, 3))),
        ("Beta", dict(concentration1=pos(r, 3), concentration0=pos(r, 3)),
         "ContinuousBernoulli", dict(probs=prob(r, 3))),
    ]


PAIRS = _pairs()


def _make(L, name, params):
    ps = {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            ps[k] = L.tensor(v, dtype=L.float64, requires_grad=k != "total_count")
        else:
            ps[k] = v
    return getattr(L.distributions, name)(**ps), ps


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p[0]}-{p[2]}-{i}" for i, p in enumerate(PAIRS)])
def test_kl_against_pytorch(torch, pair):
    pn, pp, qn, qp = pair
    ep, epp = _make(ember, pn, pp)
    eq, eqp = _make(ember, qn, qp)
    tp, tpp = _make(torch, pn, pp)
    tq, tqp = _make(torch, qn, qp)
    ke, kt = ED.kl_divergence(ep, eq), torch.distributions.kl_divergence(tp, tq)
    close(ke, kt, rtol=1e-8)
    fin = np.isfinite(kt.detach().numpy())
    if not fin.all() or not kt.requires_grad:
        return
    ins_e, ins_t = grad_inputs(epp) + grad_inputs(eqp), grad_inputs(tpp) + grad_inputs(tqp)
    ge = ember.autograd.grad(ke.sum(), ins_e, allow_unused=True)
    gt = torch.autograd.grad(kt.sum(), ins_t, allow_unused=True)
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, rtol=1e-7, atol=1e-9)


def test_kl_independent_and_transformed(torch):
    r = np.random.default_rng(8)
    a, b, c, d = (r.normal(size=(2, 3)), r.uniform(0.5, 2, (2, 3)), r.normal(size=(2, 3)),
                  r.uniform(0.5, 2, (2, 3)))
    out = []
    for L in (ember, torch):
        D = L.distributions
        p = D.Independent(D.Normal(L.tensor(a), L.tensor(b)), 1)
        q = D.Independent(D.Normal(L.tensor(c), L.tensor(d)), 1)
        out.append(D.kl_divergence(p, q))
    close(*out)
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(ED.Independent(ED.Normal(ember.zeros(2, 3), 1.0), 1),
                         ED.Independent(ED.Normal(ember.zeros(2, 3), 1.0), 2))
    t1 = ED.transforms.ExpTransform()
    p = ED.TransformedDistribution(ED.Normal(ember.tensor(a), ember.tensor(b)), t1)
    q = ED.TransformedDistribution(ED.Normal(ember.tensor(c), ember.tensor(d)),
                                   ED.transforms.ExpTransform())
    close(ED.kl_divergence(p, q), torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor(a), torch.tensor(b)),
        torch.distributions.Normal(torch.tensor(c), torch.tensor(d))))


def test_kl_exp_family_bregman(torch):
    """Pairs without a closed form use the Bregman divergence of the log normalizer."""
    from ember.distributions.kl import _kl_expfamily_expfamily

    r = np.random.default_rng(9)
    for name, params in (("Normal", lambda: dict(loc=r.normal(size=3),
                                                 scale=r.uniform(0.5, 2, 3))),
                         ("Gamma", lambda: dict(concentration=r.uniform(0.5, 2, 3),
                                                rate=r.uniform(0.5, 2, 3))),
                         ("Poisson", lambda: dict(rate=r.uniform(0.5, 2, 3)))):
        p1, p2 = params(), params()
        ep = getattr(ED, name)(**{k: ember.tensor(v) for k, v in p1.items()})
        eq = getattr(ED, name)(**{k: ember.tensor(v) for k, v in p2.items()})
        close(_kl_expfamily_expfamily(ep, eq), ED.kl_divergence(ep, eq), rtol=1e-8)


def test_kl_errors_and_register(torch):
    from _dist_helpers import same_error

    me, mt = same_error(
        lambda: ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Poisson(1.0)),
        lambda: torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                                  torch.distributions.Poisson(1.0)))
    assert me == mt
    me, mt = same_error(
        lambda: ED.kl_divergence(ED.Cauchy(0.0, 1.0), ED.Normal(0.0, 1.0)),
        lambda: torch.distributions.kl_divergence(torch.distributions.Cauchy(0.0, 1.0),
                                                  torch.distributions.Normal(0.0, 1.0)))
    assert me == mt
    me, mt = same_error(
        lambda: ED.kl_divergence(ED.MultivariateNormal(ember.zeros(2), ember.eye(2)),
                                 ED.MultivariateNormal(ember.zeros(3), ember.eye(3))),
        lambda: torch.distributions.kl_divergence(
            torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2)),
            torch.distributions.MultivariateNormal(torch.zeros(3), torch.eye(3))))
    assert me == mt

    class MyNormal(ED.Normal):
        pass

    # a subclass uses its parent's implementation until one is registered
    close(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(1.0, 2.0)),
          ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Normal(1.0, 2.0)))

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl_mine(p, q):
        return ember.tensor(42.0)

    assert float(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(1.0, 2.0))) == 42.0

    class A(ED.Normal):
        pass

    class B(ED.Normal):
        pass

    @ED.register_kl(A, ED.Normal)
    def _kl_a(p, q):
        return ember.tensor(1.0)

    @ED.register_kl(ED.Normal, B)
    def _kl_b(p, q):
        return ember.tensor(2.0)

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ED.kl_divergence(A(0.0, 1.0), B(0.0, 1.0))
    assert any("Ambiguous kl_divergence(A, B)" in str(x.message) for x in w)
