"""The rejection samplers behind Gamma, Beta, Dirichlet, Poisson and Binomial:
``_standard_gamma``, ``_sample_dirichlet``, ``poisson`` and the binomial kernel follow
PyTorch's CPU stream draw for draw; their distributions pass KS / chi-square tests; the
implicit reparameterization gradients match PyTorch's and the exact ones."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops.sampling_gamma import binomial as ember_binomial

FLOATS = ["float32", "float64"]


def _same(a, b):
    a, b = a.numpy(), b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


def _in_step(torch):
    """Both generators are left in the same state (including the cached normal)."""
    _same(ember.rand(3, dtype=ember.float64), torch.rand(3, dtype=torch.float64))
    _same(ember.randn(1, dtype=ember.float64), torch.randn(1, dtype=torch.float64))


ALPHAS = [
    [0.5, 1.0, 2.5, 0.1, 30.0],
    [0.2] * 150,  # every element boosted (alpha < 1), blocks of 64 and the rest
    [3.0] * 300,
    list(np.linspace(0.01, 10, 257)),
    [0.0, 1e-30, 1e-3, 1e4],
    [],
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha", ALPHAS, ids=lambda a: f"n{len(a)}")
def test_standard_gamma_stream(torch, alpha, dtype):
    for seed in (0, 7):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        _same(ember._standard_gamma(ember.tensor(alpha, dtype=getattr(ember, dtype))),
              torch._standard_gamma(torch.tensor(alpha, dtype=getattr(torch, dtype))))
        _in_step(torch)


def test_standard_gamma_stream_after_cached_normal_and_layouts(torch):
    for lib in (ember, torch):
        lib.manual_seed(3)
        lib.randn(1, dtype=lib.float64)  # leaves the second Box-Muller value cached
    a = np.array([[2.0, 0.5, 4.0], [1.5, 0.3, 9.0]])
    _same(ember._standard_gamma(ember.tensor(a, dtype=ember.float64).t()),
          torch._standard_gamma(torch.tensor(a, dtype=torch.float64).t()))
    _same(ember._standard_gamma(ember.tensor(a[0], dtype=ember.float32).expand(2, 3)),
          torch._standard_gamma(torch.tensor(a[0], dtype=torch.float32).expand(2, 3)))
    _in_step(torch)


def test_standard_gamma_generator_argument(torch):
    ge, gt = ember.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    ember.manual_seed(0)
    torch.manual_seed(0)
    _same(ember._standard_gamma(ember.full((10,), 1.5), generator=ge),
          torch._standard_gamma(torch.full((10,), 1.5), generator=gt))
    _in_step(torch)  # the default generators were not used


@pytest.mark.parametrize("dtype", FLOATS)
def test_sample_dirichlet_stream(torch, dtype):
    for conc in ([[0.5, 1.0, 2.0]] * 40, [[0.1, 0.1]], [[4.0] * 7] * 3, [1.0, 1.0, 1.0]):
        ember.manual_seed(2)
        torch.manual_seed(2)
        _same(ember._sample_dirichlet(ember.tensor(conc, dtype=getattr(ember, dtype))),
              torch._sample_dirichlet(torch.tensor(conc, dtype=getattr(torch, dtype))))
        _in_step(torch)


@pytest.mark.parametrize("dtype", FLOATS + ["float16"])
def test_poisson_stream(torch, dtype):
    rates = [0.5, 3.0, 10.0, 50.0, 0.0, 1e4, 9.99] * 20
    for seed in (0, 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        _same(ember.poisson(ember.tensor(rates, dtype=getattr(ember, dtype))),
              torch.poisson(torch.tensor(rates, dtype=getattr(torch, dtype))))
        _in_step(torch)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binomial_stream(torch, dtype):
    counts = [5.0, 20, 100, 1000, 3, 0, 50, 7, 10] * 15
    probs = [0.3, 0.9, 0.5, 0.01, 0.99, 0.5, 0.7, 0.6, 0.2] * 15
    for seed in (0, 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        _same(ember_binomial(ember.tensor(counts, dtype=getattr(ember, dtype)),
                             ember.tensor(probs, dtype=getattr(ember, dtype))),
              torch.binomial(torch.tensor(counts, dtype=getattr(torch, dtype)),
                             torch.tensor(probs, dtype=getattr(torch, dtype))))
        _in_step(torch)


def test_sampler_errors(torch):
    from _dist_helpers import same_error

    for name, args in (("_standard_gamma", lambda L: (L.tensor([1.0], dtype=L.float16),)),
                       ("_standard_gamma", lambda L: (L.tensor([1]),)),
                       ("_sample_dirichlet", lambda L: (L.tensor([1.0], dtype=L.float16),)),
                       ("poisson", lambda L: (L.tensor([1]),)),
                       ("_standard_gamma_grad", lambda L: (L.tensor([1.0]),
                                                           L.tensor([1.0], dtype=L.float64))),
                       ("_dirichlet_grad", lambda L: (L.tensor([0.5]), L.tensor([1.0]),
                                                      L.tensor([2.0], dtype=L.float64)))):
        me, mt = same_error(lambda n=name, a=args: getattr(ember, n)(*a(ember)),
                            lambda n=name, a=args: getattr(torch, n)(*a(torch)))
        assert me == mt
    me, mt = same_error(lambda: ember_binomial(ember.tensor([1]), ember.tensor([0])),
                        lambda: torch.binomial(torch.tensor([1]), torch.tensor([0])))
    assert me == mt
    with pytest.raises(RuntimeError, match="non-negative"):
        ember.poisson(ember.tensor([-1.0]))


# ---------------------------------------------------------------------- distributions
def test_gamma_ks():
    st = pytest.importorskip("scipy.stats")
    ember.manual_seed(0)
    for a in (0.3, 1.0, 4.5, 60.0):
        x = ember._standard_gamma(ember.full((4000,), a, dtype=ember.float64)).numpy()
        assert st.kstest(x, st.gamma(a).cdf).pvalue > 1e-3, a
    x = ember._standard_gamma(ember.full((4000,), 0.5)).numpy()
    assert x.dtype == np.float32 and st.kstest(x, st.gamma(0.5).cdf).pvalue > 1e-3


def test_dirichlet_beta_ks():
    st = pytest.importorskip("scipy.stats")
    ember.manual_seed(1)
    conc = np.array([0.4, 1.0, 2.5])
    x = ember._sample_dirichlet(ember.tensor(np.tile(conc, (3000, 1)))).numpy()
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-6)
    for k in range(3):  # the marginals are Beta(a_k, sum - a_k)
        assert st.kstest(x[:, k], st.beta(conc[k], conc.sum() - conc[k]).cdf).pvalue > 1e-3
    b = ember.distributions.Beta(ember.tensor(2.0), ember.tensor(0.7)).sample((3000,)).numpy()
    assert st.kstest(b, st.beta(2.0, 0.7).cdf).pvalue > 1e-3


def _chi2_ok(st, x, pmf_support, pmf):
    vals, counts = np.unique(x, return_counts=True)
    expected = pmf * x.size
    keep = expected > 5
    obs = np.array([counts[vals == v].sum() if (vals == v).any() else 0 for v in pmf_support])
    o = np.append(obs[keep], x.size - obs[keep].sum())
    e = np.append(expected[keep], x.size - expected[keep].sum())
    return st.chisquare(o, e).pvalue > 1e-3


def test_poisson_binomial_chi_square():
    st = pytest.importorskip("scipy.stats")
    ember.manual_seed(2)
    for lam in (2.5, 35.0):
        x = ember.poisson(ember.full((5000,), lam, dtype=ember.float64)).numpy()
        ks = np.arange(0, int(lam * 3 + 20))
        assert _chi2_ok(st, x, ks, st.poisson(lam).pmf(ks)), lam
    for n, p in ((12, 0.3), (200, 0.4), (50, 0.9)):
        x = ember_binomial(ember.full((5000,), float(n)), ember.full((5000,), p)).numpy()
        ks = np.arange(n + 1)
        assert _chi2_ok(st, x, ks, st.binom(n, p).pmf(ks)), (n, p)


# ---------------------------------------------------------------------- gradients
def _rel(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)


@pytest.mark.parametrize("dtype", FLOATS)
def test_standard_gamma_grad_matches_pytorch(torch, dtype):
    r = np.random.default_rng(0)
    a = np.exp(r.uniform(-4, 5, 3000))
    x = np.concatenate([np.exp(r.uniform(-8, 6, 3000)), a * r.uniform(0.85, 1.15, 3000)])
    a = np.concatenate([a, a])
    e = ember._standard_gamma_grad(ember.tensor(a, dtype=getattr(ember, dtype)),
                                   ember.tensor(x, dtype=getattr(ember, dtype))).numpy()
    t = torch._standard_gamma_grad(torch.tensor(a, dtype=getattr(torch, dtype)),
                                   torch.tensor(x, dtype=getattr(torch, dtype))).numpy()
    fin = np.isfinite(t)
    assert (np.isfinite(e) == fin).all()
    assert _rel(e[fin], t[fin]).max() < (1e-10 if dtype == "float64" else 1e-5)


def test_standard_gamma_grad_is_the_implicit_gradient():
    sp = pytest.importorskip("scipy.special")
    r = np.random.default_rng(1)
    a = np.exp(r.uniform(-2, 3, 200))
    x = np.array([np.random.default_rng(i).gamma(v) for i, v in enumerate(a)])
    x = np.maximum(x, 1e-6)
    h = 1e-6 * a
    dF = (sp.gammainc(a + h, x) - sp.gammainc(a - h, x)) / (2 * h)
    pdf = np.exp((a - 1) * np.log(x) - x - sp.gammaln(a))
    exact = -dF / pdf
    g = ember._standard_gamma_grad(ember.tensor(a), ember.tensor(x)).numpy()
    ok = np.abs(exact) > 1e-8
    assert np.median(_rel(g[ok], exact[ok])) < 2e-3


@pytest.mark.parametrize("dtype", FLOATS)
def test_dirichlet_grad_matches_pytorch(torch, dtype):
    r = np.random.default_rng(2)
    al, be = np.exp(r.uniform(-3, 4, 4000)), np.exp(r.uniform(-3, 4, 4000))
    xs = np.clip(r.beta(al, be), 1e-6, 1 - 1e-6)
    E, T = getattr(ember, dtype), getattr(torch, dtype)
    e = ember._dirichlet_grad(ember.tensor(xs, dtype=E), ember.tensor(al, dtype=E),
                              ember.tensor(al + be, dtype=E)).numpy()
    t = torch._dirichlet_grad(torch.tensor(xs, dtype=T), torch.tensor(al, dtype=T),
                              torch.tensor(al + be, dtype=T)).numpy()
    fin = np.isfinite(t)
    assert (np.isfinite(e) == fin).all()
    tol = 1e-9 if dtype == "float64" else 1e-3
    assert np.nanmax(_rel(e[fin], t[fin])) < tol


def test_standard_gamma_backward(torch):
    a = np.array([0.4, 1.3, 7.0, 20.0])
    ae = ember.tensor(a, requires_grad=True)
    at = torch.tensor(a, dtype=torch.float32, requires_grad=True)
    ember.manual_seed(0)
    torch.manual_seed(0)
    se, stt = ember._standard_gamma(ae), torch._standard_gamma(at)
    assert se.grad_fn.name() == stt.grad_fn.name() == "StandardGammaBackward0"
    se.sum().backward()
    stt.sum().backward()
    np.testing.assert_allclose(ae.grad.numpy(), at.grad.numpy(), rtol=1e-5)


def test_dirichlet_rsample_backward(torch):
    c = np.array([[0.5, 1.5, 3.0], [2.0, 2.0, 0.3]])
    ce = ember.tensor(c, dtype=ember.float64, requires_grad=True)
    ct = torch.tensor(c, requires_grad=True)
    ember.manual_seed(4)
    torch.manual_seed(4)
    xe = ember.distributions.Dirichlet(ce).rsample((5,))
    xt = torch.distributions.Dirichlet(ct).rsample((5,))
    _same(xe.detach(), xt.detach())
    w = np.arange(30.0).reshape(5, 2, 3) % 7
    (xe * ember.tensor(w)).sum().backward()
    (xt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ce.grad.numpy(), ct.grad.numpy(), rtol=1e-9)
