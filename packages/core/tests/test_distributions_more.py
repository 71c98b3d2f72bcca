"""The distributions added after the first set (FisherSnedecor, GeneralizedPareto,
InverseGamma, Kumaraswamy, LKJCholesky, LogisticNormal, NegativeBinomial, Pareto, VonMises,
Weibull, Wishart) against torch.distributions: shapes, moments, entropy, log_prob, cdf/icdf
and their float64 gradients, expand, seeded samples and rsample gradients, KL divergences,
argument validation, and the submodules PyTorch exposes."""

from __future__ import annotations

import contextlib
import importlib
import warnings

import numpy as np
import pytest
from _dist_helpers import (
    close,
    grad_inputs,
    make_pair,
    pos,
    prob,
    real,
    same_error,
    spd,
    to_ember,
    tril,
)

import ember

ED = ember.distributions

pytestmark = [pytest.mark.filterwarnings("ignore:Singular sample detected"),
              pytest.mark.filterwarnings("ignore:Low df values detected")]

NEW = ["FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy", "LKJCholesky",
       "LogisticNormal", "NegativeBinomial", "Pareto", "VonMises", "Weibull", "Wishart"]
MODULES = {"FisherSnedecor": "fishersnedecor", "GeneralizedPareto": "generalized_pareto",
           "InverseGamma": "inverse_gamma", "Kumaraswamy": "kumaraswamy",
           "LKJCholesky": "lkj_cholesky", "LogisticNormal": "logistic_normal",
           "NegativeBinomial": "negative_binomial", "Pareto": "pareto",
           "VonMises": "von_mises", "Weibull": "weibull", "Wishart": "wishart"}


def _specs() -> list[tuple[str, dict]]:
    r = np.random.default_rng(10)
    return [
        ("Pareto", dict(scale=pos(r, 3), alpha=pos(r, 3) * 1.5)),
        ("Pareto", dict(scale=1.5, alpha=np.array([0.7, 1.5, 3.0]))),  # no mean / variance
        ("Pareto", dict(scale=2.0, alpha=3.0)),
        ("Weibull", dict(scale=pos(r, 3), concentration=pos(r, 3))),
        ("Weibull", dict(scale=pos(r, 2, 1), concentration=pos(r, 3))),
        ("InverseGamma", dict(concentration=np.array([0.5, 1.5, 2.5]), rate=pos(r, 3))),
        ("InverseGamma", dict(concentration=3.0, rate=2.0)),
        ("Kumaraswamy", dict(concentration1=pos(r, 3), concentration0=pos(r, 3))),
        ("Kumaraswamy", dict(concentration1=np.array([0.5, 2.0, 3.0]),
                             concentration0=np.array([2.0, 0.7, 4.0]))),
        ("LogisticNormal", dict(loc=real(r, 2, 3), scale=pos(r, 2, 3))),
        ("LogisticNormal", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("LogisticNormal", dict(loc=0.5, scale=1.2)),
        ("FisherSnedecor", dict(df1=np.array([1.0, 3.0, 6.0]), df2=np.array([1.5, 4.5, 8.0]))),
        ("FisherSnedecor", dict(df1=4.0, df2=np.array([5.0, 9.0]))),
        ("GeneralizedPareto", dict(loc=real(r, 3), scale=pos(r, 3),
                                   concentration=np.array([-0.3, 0.0, 0.4]))),
        ("GeneralizedPareto", dict(loc=real(r, 2, 1), scale=pos(r, 3),
                                   concentration=np.array([0.1, 0.7, 1.2]))),
        ("GeneralizedPareto", dict(loc=0.5, scale=2.0, concentration=0.2)),
        ("NegativeBinomial", dict(total_count=np.array([2.0, 5.0, 0.5]), probs=prob(r, 3))),
        ("NegativeBinomial", dict(total_count=3, logits=real(r, 2, 3))),
        ("VonMises", dict(loc=real(r, 3), concentration=np.array([0.01, 1.0, 20.0]))),
        ("VonMises", dict(loc=1.0, concentration=np.array([[0.5], [3.0]]))),
        ("LKJCholesky", dict(dim=3, concentration=np.array([0.5, 1.0, 3.0]))),
        ("LKJCholesky", dict(dim=2, concentration=2.0)),
        ("LKJCholesky", dict(dim=5, concentration=np.array([[0.7], [4.0]]))),
        ("Wishart", dict(df=np.array([4.0, 6.5]), covariance_matrix=spd(r, 2, 3, 3))),
        ("Wishart", dict(df=3.5, scale_tril=tril(r, 3, 3))),
        ("Wishart", dict(df=np.array([2.5, 5.0]), precision_matrix=spd(r, 2, 2))),
    ]


SPECS = _specs()
SPEC_IDS = [f"{name}-{'-'.join(p)}-{i}" for i, (name, p) in enumerate(SPECS)]


@contextlib.contextmanager
def _torch_default(torch, t=None):
    """PyTorch's GeneralizedPareto compares its concentration with a tensor of the default
    dtype in log_prob/cdf, which fails for float64 parameters under a float32 default: run
    PyTorch with the parameters' dtype as its default there."""
    old = torch.get_default_dtype()
    if t is None or isinstance(t, torch.distributions.GeneralizedPareto):
        torch.set_default_dtype(torch.float64 if t is None else t.concentration.dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _outcome(f):
    """``(value, None)`` or ``(None, exception type)``."""
    try:
        return f(), None
    except Exception as exc:  # noqa: BLE001
        return None, type(exc)


def _same_outcome(fe, ft, **tol):
    """Both raise the same exception type, or both return values that are close."""
    (ve, ee), (vt, et) = _outcome(fe), _outcome(ft)
    assert ee is et, (ee, et)
    if et is None:
        close(ve, vt, **tol)
    return vt


def _samples(torch, t, shape):
    torch.manual_seed(1)
    return t.sample(shape)


def _grads_match(ge, gt, **tol):
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, **tol)


# ---------------------------------------------------------------------- names and modules
def test_public_names_and_submodules(torch):
    for name in NEW:
        cls = getattr(ED, name)
        assert name in ED.__all__
        module = importlib.import_module(f"ember.distributions.{MODULES[name]}")
        assert getattr(module, name) is cls and module.__all__ == [name]
        assert hasattr(torch.distributions, MODULES[name])
        tcls = getattr(torch.distributions, name)
        assert issubclass(cls, ED.TransformedDistribution) == issubclass(
            tcls, torch.distributions.TransformedDistribution)
        assert issubclass(cls, ED.ExponentialFamily) == issubclass(
            tcls, torch.distributions.ExponentialFamily)
        assert cls.has_enumerate_support == tcls.has_enumerate_support
    for a in ("arg_constraints", "support"):
        for name in NEW:
            ec, tc = getattr(getattr(ED, name), a), getattr(getattr(torch.distributions, name), a)
            if isinstance(ec, dict):
                assert {k: repr(v) for k, v in ec.items()} == {k: repr(v) for k, v in tc.items()}
            elif not isinstance(tc, property):
                assert repr(ec) == repr(tc), name


# ---------------------------------------------------------------------- moments and shapes
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_shapes_moments_entropy(torch, spec):
    e, t, _, _ = make_pair(torch, *spec)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert e.has_rsample == t.has_rsample
    assert repr(e) == repr(t).replace("torch.", "ember.")
    for name in ("mean", "variance", "stddev", "mode"):
        _same_outcome(lambda n=name: getattr(e, n), lambda n=name: getattr(t, n))
    _same_outcome(e.entropy, t.entropy)
    _same_outcome(e.perplexity, t.perplexity)
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    assert repr(e.support) == repr(t.support).replace("torch.", "ember.")


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_log_prob_and_parameter_gradients(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    with _torch_default(torch, t):
        x = _samples(torch, t, (4,))
        le, lt = e.log_prob(to_ember(x)), t.log_prob(x)
        close(le, lt)
        ent_e, ent_t = _outcome(e.entropy)[0], _outcome(t.entropy)[0]
        if ent_t is not None:
            le, lt = le.sum() + ent_e.sum(), lt.sum() + ent_t.sum()
        if not grad_inputs(ep):
            return
        ge = ember.autograd.grad(le.sum(), grad_inputs(ep), allow_unused=True)
        gt = torch.autograd.grad(lt.sum(), grad_inputs(tp), allow_unused=True)
    _grads_match(ge, gt, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_log_prob_value_gradient_and_broadcast(torch, spec):
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    if t.support.is_discrete:
        pytest.skip("no gradient in the value of a discrete distribution")
    with _torch_default(torch, t):
        x = _samples(torch, t, (2, 1) + tuple(t.batch_shape[1:]))
        xt = x.clone().requires_grad_()
        xe = to_ember(x).requires_grad_()
        lt, le = t.log_prob(xt), e.log_prob(xe)
        close(le, lt)
        close(ember.autograd.grad(le.sum(), [xe])[0],
              torch.autograd.grad(lt.sum(), [xt])[0], rtol=1e-7)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_cdf_icdf(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    with _torch_default(torch, t):
        x = _samples(torch, t, (3,))
        ct = _same_outcome(lambda: e.cdf(to_ember(x)), lambda: t.cdf(x), rtol=1e-8)
        if ct is not None and ct.requires_grad:
            ge, gt = _outcome(lambda: ember.autograd.grad(
                e.cdf(to_ember(x)).sum(), grad_inputs(ep), allow_unused=True)), _outcome(
                lambda: torch.autograd.grad(ct.sum(), grad_inputs(tp), allow_unused=True))
            assert ge[1] is gt[1]  # (no derivative of igamma in its first argument)
            if gt[1] is None:
                _grads_match(ge[0], gt[0], rtol=1e-7, atol=1e-9)
        shape = (3,) + tuple(t.batch_shape)
        u = np.broadcast_to(np.linspace(0.05, 0.95, 3).reshape((3,) + (1,) * len(shape[1:])),
                            shape).copy()
        _same_outcome(lambda: e.icdf(ember.tensor(u)), lambda: t.icdf(torch.tensor(u)),
                      rtol=1e-8)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_expand(torch, spec):
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    shape = (2,) + tuple(t.batch_shape)
    ee, te = e.expand(shape), t.expand(torch.Size(shape))
    assert type(ee) is type(e)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == shape
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    assert ee._validate_args == te._validate_args
    with _torch_default(torch, t):
        x = _samples(torch, te, ())
        close(ee.log_prob(to_ember(x)), te.log_prob(x))
        _same_outcome(lambda: ee.mean, lambda: te.mean)
    ember.manual_seed(5)
    torch.manual_seed(5)
    close(ee.sample((3,)), te.sample((3,)), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- sampling
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_seeded_samples_equal_pytorch(torch, spec, dtype):
    e, t, _, _ = make_pair(torch, *spec, dtype=dtype, requires_grad=False)
    for shape in ((), (5,), (2, 3)):
        for meth in ("sample", "rsample"):
            if meth == "rsample" and not t.has_rsample:
                with pytest.raises(NotImplementedError):
                    e.rsample(shape)
                continue
            ember.manual_seed(11)
            torch.manual_seed(11)
            a, b = getattr(e, meth)(shape), getattr(t, meth)(shape)
            assert tuple(a.shape) == tuple(b.shape) == tuple(t._extended_shape(shape))
            if dtype == "float64":
                close(a, b, rtol=1e-10, atol=1e-12)
            else:  # float32 matrix products may round differently
                close(a, b, rtol=2e-6, atol=1e-6)
            # the generators are left in the same state
            close(ember.rand(2, dtype=ember.float64), torch.rand(2, dtype=torch.float64),
                  rtol=0, atol=0)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_rsample_gradients(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    if not t.has_rsample:
        assert not e.has_rsample
        return
    # (PyTorch's Wishart cannot backpropagate through its singular-sample correction when
    # sample_shape is not empty: it writes in place into a mask that its indexing saved)
    kw = {"max_try_correction": 0} if spec[0] == "Wishart" else {}
    ember.manual_seed(2)
    torch.manual_seed(2)
    se, st = e.rsample((3,), **kw), t.rsample((3,), **kw)
    close(se, st, rtol=1e-10, atol=1e-12)
    if not grad_inputs(ep):
        return
    w = np.linspace(-1, 2, st.numel()).reshape(tuple(st.shape))
    ge = ember.autograd.grad((se * ember.tensor(w)).sum(), grad_inputs(ep), allow_unused=True)
    gt = torch.autograd.grad((st * torch.tensor(w)).sum(), grad_inputs(tp), allow_unused=True)
    _grads_match(ge, gt, rtol=1e-6, atol=1e-9)


def test_sample_statistics():
    """Sample moments agree with the closed forms (a check independent of PyTorch)."""
    ember.manual_seed(0)
    cases = [ED.Pareto(ember.tensor([1.0, 2.0]), ember.tensor([5.0, 6.0])),
             ED.Weibull(ember.tensor([1.0, 2.0]), ember.tensor([0.8, 3.0])),
             ED.InverseGamma(ember.tensor([4.0, 6.0]), ember.tensor([1.0, 3.0])),
             ED.Kumaraswamy(ember.tensor([0.5, 2.0]), ember.tensor([1.5, 3.0])),
             ED.FisherSnedecor(ember.tensor([3.0, 8.0]), ember.tensor([9.0, 12.0])),
             ED.GeneralizedPareto(0.0, ember.tensor([1.0, 2.0]), ember.tensor([-0.2, 0.1])),
             ED.NegativeBinomial(ember.tensor([3.0, 0.7]), probs=ember.tensor([0.3, 0.6]))]
    for d in cases:
        x = d.sample((40000,)).double()
        mean, std = d.mean.double(), d.stddev.double()
        np.testing.assert_allclose(x.mean(0).numpy(), mean.numpy(),
                                   atol=(5 * std / 200).max().item())
    v = ED.VonMises(ember.tensor([0.5, -2.0]), ember.tensor([0.3, 4.0]))
    x = v.sample((40000,)).double()
    assert bool((x.abs() <= np.pi).all())
    # the circular variance is 1 - |E exp(ix)|
    r = (x.cos().mean(0) ** 2 + x.sin().mean(0) ** 2).sqrt()
    np.testing.assert_allclose((1 - r).numpy(), v.variance.double().numpy(), atol=0.02)
    np.testing.assert_allclose(np.arctan2(x.sin().mean(0).numpy(), x.cos().mean(0).numpy()),
                               [0.5, -2.0], atol=0.06)
    w = ED.Wishart(ember.tensor(5.0), covariance_matrix=ember.tensor([[2.0, 0.5], [0.5, 1.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(w.sample((20000,)).mean(0).numpy(), w.mean.numpy(),
                                   rtol=0.05, atol=0.05)
    lkj = ED.LKJCholesky(3, 1.0)
    L = lkj.sample((2000,))
    assert bool(lkj.support.check(L).all())


def test_von_mises_sampling_dtypes_and_tiny_concentration(torch):
    for dtype in ("float32", "float64"):
        conc = [1e-7, 1e-4, 0.5, 100.0]
        e = ED.VonMises(ember.zeros(4, dtype=getattr(ember, dtype)),
                        ember.tensor(conc, dtype=getattr(ember, dtype)))
        t = torch.distributions.VonMises(torch.zeros(4, dtype=getattr(torch, dtype)),
                                         torch.tensor(conc, dtype=getattr(torch, dtype)))
        ember.manual_seed(4)
        torch.manual_seed(4)
        close(e.sample((50,)), t.sample((50,)), rtol=0, atol=0)
        close(e._proposal_r, t._proposal_r, rtol=1e-15)


def test_wishart_singular_correction_and_warnings(torch):
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    for L in (ember, torch):
        with pytest.warns(UserWarning, match="Low df values detected"):
            L.distributions.Wishart(L.tensor([1.5, 1.2]), covariance_matrix=L.tensor(cov))
    e = ED.Wishart(ember.tensor([1.5, 1.2]), covariance_matrix=ember.tensor(cov))
    t = torch.distributions.Wishart(torch.tensor([1.5, 1.2]), covariance_matrix=torch.tensor(cov))
    for tries in (0, 1, None):
        ember.manual_seed(9)
        torch.manual_seed(9)
        with pytest.warns(UserWarning, match="Singular sample detected"):
            a = e.rsample((6,), max_try_correction=tries)
        with pytest.warns(UserWarning, match="Singular sample detected"):
            b = t.rsample((6,), max_try_correction=tries)
        close(a, b, rtol=1e-5, atol=1e-6)
        close(ember.rand(2, dtype=ember.float64), torch.rand(2, dtype=torch.float64),
              rtol=0, atol=0)


# ---------------------------------------------------------------------- float64 finite differences
def test_gradcheck_log_prob_entropy():
    f64 = dict(dtype=ember.float64, requires_grad=True)
    a, b = ember.tensor([0.8, 2.5], **f64), ember.tensor([1.5, 0.6], **f64)
    x = ember.tensor([1.7, 2.9], **f64)
    u = ember.tensor([0.3, 0.6], **f64)
    gc = ember.autograd.gradcheck
    assert gc(lambda s, al, v: ED.Pareto(s, al).log_prob(v + 2), (b, a, x))
    assert gc(lambda s, k, v: ED.Weibull(s, k).log_prob(v), (a, b, x))
    assert gc(lambda s, k: ED.Weibull(s, k).entropy(), (a, b))
    assert gc(lambda c, r, v: ED.InverseGamma(c, r).log_prob(v), (a, b, x))
    assert gc(lambda c1, c0, v: ED.Kumaraswamy(c1, c0).log_prob(v), (a, b, u))
    assert gc(lambda c1, c0: ED.Kumaraswamy(c1, c0).entropy(), (a, b))
    assert gc(lambda d1, d2, v: ED.FisherSnedecor(d1, d2).log_prob(v), (a, b, x))
    assert gc(lambda lo, s, c, v: ED.GeneralizedPareto(lo, s, c).log_prob(v),
              (u, b, ember.tensor([0.2, -0.1], **f64), x))
    assert gc(lambda lo, s, c, p: ED.GeneralizedPareto(lo, s, c).icdf(p),
              (u, b, ember.tensor([0.2, -0.1], **f64), u))
    assert gc(lambda n, lg: ED.NegativeBinomial(n, logits=lg).log_prob(
        ember.tensor([2.0, 0.0], dtype=ember.float64)), (a, b))
    assert gc(lambda lo, c, v: ED.VonMises(lo, c).log_prob(v), (u, ember.tensor([0.5, 6.0], **f64),
                                                               x))
    corr = ED.LKJCholesky(3, ember.tensor(1.0, dtype=ember.float64)).sample()
    assert gc(lambda c: ED.LKJCholesky(3, c).log_prob(corr), (a,))
    # a full matrix a gives the covariance a a^T + I (a perturbation of one triangle of a
    # covariance would not be symmetric)
    cov = ember.tensor([[1.0, 0.3], [-0.2, 0.6]], **f64)
    df = ember.tensor(3.5, **f64)
    v = ember.tensor([[1.0, 0.2], [0.2, 0.5]], dtype=ember.float64)

    def wishart(d, a):
        c = a @ a.mT + ember.eye(2, dtype=ember.float64)
        return ED.Wishart(d, covariance_matrix=c, validate_args=False)

    assert gc(lambda d, a: wishart(d, a).log_prob(v), (df, cov))
    assert gc(lambda d, a: wishart(d, a).entropy(), (df, cov))
    assert gc(lambda d, a: ED.Wishart(d, precision_matrix=a @ a.mT + ember.eye(
        2, dtype=ember.float64)).log_prob(v), (df, cov))

    def wishart_sample(a):
        ember.manual_seed(0)  # the same Bartlett factor for every call
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return wishart(ember.tensor(3.5, dtype=ember.float64), a).rsample((2,))

    assert gc(wishart_sample, (cov,))


def test_generalized_pareto_float64_and_tails(torch):
    """Unlike PyTorch's (which needs a float64 default dtype there), Ember's works in float64
    whatever the default; its log survival function and log cdf match PyTorch's."""
    loc, scale, conc = np.array([0.0, 1.0, -1.0]), np.array([1.0, 2.0, 0.5]), \
        np.array([0.0, 0.5, -0.4])
    e = ED.GeneralizedPareto(ember.tensor(loc), ember.tensor(scale), ember.tensor(conc))
    t = torch.distributions.GeneralizedPareto(torch.tensor(loc), torch.tensor(scale),
                                              torch.tensor(conc))
    x = np.array([0.5, 3.0, -0.5])
    assert e.log_prob(ember.tensor(x)).dtype == ember.float64
    with _torch_default(torch):
        for m in ("log_prob", "log_survival_function", "log_cdf", "cdf"):
            close(getattr(e, m)(ember.tensor(x)), getattr(t, m)(torch.tensor(x)))
    # outside the bounded support of a negative concentration
    me, mt = same_error(lambda: e.log_prob(ember.tensor([0.5, 3.0, 1.0])),
                        lambda: t.log_prob(torch.tensor([0.5, 3.0, 1.0])))
    assert type(me) is str


def test_negative_binomial_edges(torch):
    lps = []
    for L in (ember, torch):
        d = L.distributions.NegativeBinomial(L.tensor([0.0, 2.0]), probs=L.tensor([0.5, 0.0]))
        lps.append(d.log_prob(L.tensor([0.0, 0.0])))
    close(*lps)
    np.testing.assert_allclose(lps[0].numpy(), [0.0, 0.0], atol=1e-6)  # mass 1 at 0
    e, t = ED.NegativeBinomial(5.0, logits=ember.tensor([0.3])), \
        torch.distributions.NegativeBinomial(5.0, logits=torch.tensor([0.3]))
    assert "probs" not in e.__dict__
    close(e.probs, t.probs)
    assert tuple(e.param_shape) == tuple(t.param_shape) == (1,)
    close(e.mode, t.mode)
    with pytest.raises(NotImplementedError):
        e.enumerate_support()
    with pytest.raises(NotImplementedError):
        e.rsample()


# ---------------------------------------------------------------------- validation
INVALID = [
    ("Pareto", lambda L: dict(scale=L.tensor([1.0]), alpha=L.tensor([-1.0]))),
    ("Pareto", lambda L: dict(scale=L.tensor([0.0]), alpha=L.tensor([1.0]))),
    ("Weibull", lambda L: dict(scale=L.tensor([1.0]), concentration=L.tensor([0.0]))),
    ("InverseGamma", lambda L: dict(concentration=L.tensor([-1.0]), rate=L.tensor([1.0]))),
    ("Kumaraswamy", lambda L: dict(concentration1=L.tensor([1.0]),
                                   concentration0=L.tensor([-2.0]))),
    ("LogisticNormal", lambda L: dict(loc=L.zeros(2), scale=L.tensor([1.0, -1.0]))),
    ("FisherSnedecor", lambda L: dict(df1=L.tensor([0.0]), df2=L.tensor([1.0]))),
    ("GeneralizedPareto", lambda L: dict(loc=L.zeros(1), scale=L.tensor([-1.0]),
                                         concentration=L.zeros(1))),
    ("NegativeBinomial", lambda L: dict(total_count=L.tensor([-1.0]), probs=L.tensor([0.5]))),
    ("NegativeBinomial", lambda L: dict(total_count=L.tensor([1.0]), probs=L.tensor([1.0]))),
    ("NegativeBinomial", lambda L: dict(total_count=2.0, probs=L.tensor([0.5]),
                                        logits=L.tensor([0.0]))),
    ("NegativeBinomial", lambda L: dict(total_count=2.0)),
    ("VonMises", lambda L: dict(loc=L.zeros(1), concentration=L.tensor([0.0]))),
    ("LKJCholesky", lambda L: dict(dim=1)),
    ("LKJCholesky", lambda L: dict(dim=3, concentration=L.tensor([-0.5]))),
    ("Wishart", lambda L: dict(df=L.tensor(4.0))),
    ("Wishart", lambda L: dict(df=L.tensor(4.0), covariance_matrix=L.eye(2),
                               scale_tril=L.eye(2))),
    ("Wishart", lambda L: dict(df=L.tensor(4.0), covariance_matrix=L.ones(2))),
    ("Wishart", lambda L: dict(df=L.tensor(0.5), covariance_matrix=L.eye(2))),
    ("Wishart", lambda L: dict(df=3.0, covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("Wishart", lambda L: dict(df=3.0, scale_tril=L.tensor([[1.0, 0.0], [2.0, -1.0]]))),
]


@pytest.mark.parametrize("case", INVALID, ids=[f"{c[0]}-{i}" for i, c in enumerate(INVALID)])
def test_invalid_parameters_raise_as_pytorch(torch, case):
    name, make = case
    me, mt = same_error(lambda: getattr(ED, name)(**make(ember)),
                        lambda: getattr(torch.distributions, name)(**make(torch)))
    assert me == mt


SUPPORT_CASES = [
    ("Pareto", lambda L: dict(scale=L.ones(2), alpha=L.ones(2)), lambda L: L.tensor([0.5, 2.0])),
    ("Weibull", lambda L: dict(scale=L.ones(2), concentration=L.ones(2)),
     lambda L: L.tensor([-0.5, 2.0])),
    ("Kumaraswamy", lambda L: dict(concentration1=L.ones(2), concentration0=L.ones(2)),
     lambda L: L.tensor([0.5, 1.5])),
    ("LogisticNormal", lambda L: dict(loc=L.zeros(2), scale=L.ones(2)),
     lambda L: L.tensor([0.5, 0.5, 0.5])),
    ("NegativeBinomial", lambda L: dict(total_count=2.0, probs=L.tensor([0.5])),
     lambda L: L.tensor([1.5])),
    ("LKJCholesky", lambda L: dict(dim=2), lambda L: L.tensor([[1.0, 0.0], [0.5, 0.5]])),
    ("Wishart", lambda L: dict(df=L.tensor(3.0), covariance_matrix=L.eye(2)),
     lambda L: L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    ("InverseGamma", lambda L: dict(concentration=L.ones(2), rate=L.ones(2)),
     lambda L: L.tensor([0.0, 1.0])),
]


@pytest.mark.parametrize("case", SUPPORT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SUPPORT_CASES)])
def test_values_outside_support_raise_as_pytorch(torch, case):
    name, make, value = case
    e = getattr(ED, name)(**make(ember))
    t = getattr(torch.distributions, name)(**make(torch))
    me, mt = same_error(lambda: e.log_prob(value(ember)), lambda: t.log_prob(value(torch)))
    assert me == mt


# ---------------------------------------------------------------------- KL divergences
def _kl_family(L, name, i):
    """One of two distributions (``i`` = 0 or 1) of each family, batch shape (3,), and
    the parameter tensors it was made from."""
    r = np.random.default_rng(20 + i)
    D = L.distributions
    params = []

    def T(a):
        t = L.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
        params.append(t)
        return t

    p3, r3 = pos(r, 3), real(r, 3)
    make = {
        "Pareto": lambda: D.Pareto(T([[0.5, 1.0, 2.0], [1.0, 0.8, 1.5]][i]),
                                   T([[0.8, 2.5, 3.5], [1.5, 1.2, 4.0]][i])),
        "Uniform": lambda: D.Uniform(T([[0.2, 1.5, 2.5], [1.5, 0.9, 2.5]][i]),
                                     T([3.0, 4.0, 5.0])),
        "Beta": lambda: D.Beta(T(p3), T(p3[::-1].copy())),
        "ContinuousBernoulli": lambda: D.ContinuousBernoulli(T(prob(r, 3))),
        "Exponential": lambda: D.Exponential(T(p3)),
        "Gamma": lambda: D.Gamma(T(p3), T(pos(r, 3))),
        "Gumbel": lambda: D.Gumbel(T(r3), T(p3)),
        "Laplace": lambda: D.Laplace(T(r3), T(p3)),
        "Normal": lambda: D.Normal(T(r3), T(p3)),
        "Weibull": lambda: D.Weibull(T(p3), T(pos(r, 3))),
        "InverseGamma": lambda: D.InverseGamma(T(p3), T(pos(r, 3))),
        "Kumaraswamy": lambda: D.Kumaraswamy(T(p3), T(pos(r, 3))),
        "LogisticNormal": lambda: D.LogisticNormal(T(real(r, 3, 2)), T(pos(r, 3, 2))),
        "FisherSnedecor": lambda: D.FisherSnedecor(T(p3), T(pos(r, 3))),
        "GeneralizedPareto": lambda: D.GeneralizedPareto(T(r3), T(p3), T(r3 / 4)),
        "NegativeBinomial": lambda: D.NegativeBinomial(L.tensor(p3), probs=T(prob(r, 3))),
        "VonMises": lambda: D.VonMises(T(r3), T(p3)),
        "LKJCholesky": lambda: D.LKJCholesky(3, T(p3)),
        "Wishart": lambda: D.Wishart(T(p3 + 3), covariance_matrix=T(spd(r, 3, 3, 3))),
    }
    return make[name](), params


KL_FAMILIES = ["Pareto", "Uniform", "Beta", "ContinuousBernoulli", "Exponential", "Gamma",
               "Gumbel", "Laplace", "Normal"] + [n for n in NEW if n != "Pareto"]
KL_PAIRS = [(a, b) for a in KL_FAMILIES for b in KL_FAMILIES
            if a in NEW or b in NEW]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=[f"{a}-{b}" for a, b in KL_PAIRS])
def test_kl_against_pytorch(torch, pair):
    a, b = pair
    (pe, ae), (qe, be) = _kl_family(ember, a, 0), _kl_family(ember, b, 1)
    (pt, at), (qt, bt) = _kl_family(torch, a, 0), _kl_family(torch, b, 1)
    with _torch_default(torch):
        kt = _same_outcome(lambda: ED.kl_divergence(pe, qe),
                           lambda: torch.distributions.kl_divergence(pt, qt))
    if kt is None or not kt.requires_grad:
        return
    ke = ED.kl_divergence(pe, qe)
    finite = np.isfinite(kt.detach().numpy())  # (the infinite entries have no gradient)
    ge = ember.autograd.grad(ke.where(ember.tensor(finite), 0.0).sum(), ae + be,
                             allow_unused=True)
    gt = torch.autograd.grad(kt.where(torch.tensor(finite), 0.0).sum(), at + bt,
                             allow_unused=True)
    _grads_match(ge, gt, rtol=1e-7, atol=1e-9)


def test_kl_same_transforms_and_wishart(torch):
    """Transformed distributions with equal transforms reduce to their bases; Wishart's KL
    is the Bregman divergence of its log normalizer."""
    r = np.random.default_rng(3)
    c1, c0 = pos(r, 3), pos(r, 3)
    out = []
    for L in (ember, torch):
        D = L.distributions
        k = D.Kumaraswamy(L.tensor(c1), L.tensor(c0))
        ig1, ig2 = D.InverseGamma(L.tensor(c1), L.tensor(c0)), D.InverseGamma(L.tensor(c0), 2.0)
        # (p's parameters are detached in the Bregman divergence: only q's get gradients)
        df, prec = L.tensor(6.0, requires_grad=True), L.tensor(spd(r, 3, 3), requires_grad=True)
        w1 = D.Wishart(L.tensor([4.0, 5.0]), covariance_matrix=L.tensor(spd(r, 2, 3, 3)))
        w2 = D.Wishart(df, precision_matrix=prec)
        out.append((D.kl_divergence(k, k), D.kl_divergence(ig1, ig2),
                    D.kl_divergence(w1, w2), [df, prec]))
        r = np.random.default_rng(3)
        c1, c0 = pos(r, 3), pos(r, 3)
    for a, b in zip(out[0][:3], out[1][:3]):
        close(a, b, rtol=1e-6)
    (*_, ke, pe), (*_, kt, pt) = out
    ge = ember.autograd.grad(ke.sum(), pe)
    gt = torch.autograd.grad(kt.sum(), pt)
    _grads_match(ge, gt, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- tril helpers
def test_tril_matrix_vec_helpers(torch):
    from ember.distributions import transforms as et
    from ember.distributions import utils as eu

    assert et.tril_matrix_to_vec is eu.tril_matrix_to_vec
    assert et.vec_to_tril_matrix is eu.vec_to_tril_matrix
    tt = torch.distributions.transforms
    m = np.arange(2 * 4 * 4, dtype=np.float64).reshape(2, 4, 4)
    for diag in (-3, -1, 0, 2):
        ve, vt = et.tril_matrix_to_vec(ember.tensor(m), diag), tt.tril_matrix_to_vec(
            torch.tensor(m), diag)
        close(ve, vt, rtol=0, atol=0)
        close(et.vec_to_tril_matrix(ve, diag), tt.vec_to_tril_matrix(vt, diag), rtol=0, atol=0)
    me, mt = same_error(lambda: et.tril_matrix_to_vec(ember.tensor(m), 4),
                        lambda: tt.tril_matrix_to_vec(torch.tensor(m), 4))
    assert me == mt
    me, mt = same_error(lambda: et.vec_to_tril_matrix(ember.ones(5)),
                        lambda: tt.vec_to_tril_matrix(torch.ones(5)))
    assert me == mt
