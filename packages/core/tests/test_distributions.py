"""ember.distributions against torch.distributions: moments, entropy, log_prob, cdf/icdf
and their gradients on the same float64 parameters; shapes, expand, argument validation
and its messages; seeded samples equal to PyTorch's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _dist_helpers import SPEC_IDS, SPECS, close, grad_inputs, make_pair, same_error, to_ember

import ember

ED = ember.distributions


def _attr(d, name):
    try:
        return getattr(d, name), None
    except Exception as exc:  # noqa: BLE001
        return None, type(exc)


def _samples(torch, t, shape=(4,)):
    torch.manual_seed(1)
    return t.sample(shape)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_shapes_moments_entropy(torch, spec):
    e, t, _, _ = make_pair(torch, *spec)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert isinstance(e.batch_shape, ember.Size)
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    for name in ("mean", "variance", "stddev", "mode"):
        ev, ee = _attr(e, name)
        tv, te = _attr(t, name)
        assert ee is te, (name, ee, te)
        if te is None:
            close(ev, tv)
    tv, te = _attr(t, "entropy")
    try:
        tent = t.entropy()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.entropy()
    else:
        close(e.entropy(), tent)
        close(e.perplexity(), t.perplexity())


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_log_prob_and_gradients(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    x = _samples(torch, t, (4,))
    xe = to_ember(x)
    le, lt = e.log_prob(xe), t.log_prob(x)
    close(le, lt)
    ent_e = e.entropy() if _has_entropy(t) else 0 * le
    ent_t = t.entropy() if _has_entropy(t) else 0 * lt
    if not grad_inputs(ep):
        return
    ge = ember.autograd.grad(le.sum() + ent_e.sum(), grad_inputs(ep), allow_unused=True)
    gt = torch.autograd.grad(lt.sum() + ent_t.sum(), grad_inputs(tp), allow_unused=True)
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, rtol=1e-7, atol=1e-9)


def _has_entropy(t):
    try:
        t.entropy()
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_log_prob_value_gradient_and_broadcast(torch, spec):
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    if t.support.is_discrete:
        pytest.skip("no gradient in the value of a discrete distribution")
    x = _samples(torch, t, (2, 1) + tuple(t.batch_shape[1:])) if len(t.batch_shape) \
        else _samples(torch, t, (2, 1))
    xt = x.clone().requires_grad_()
    xe = to_ember(x).requires_grad_()
    lt, le = t.log_prob(xt), e.log_prob(xe)
    close(le, lt)
    if not lt.requires_grad:  # (Uniform: piecewise constant in the value)
        assert not le.requires_grad
        return
    close(ember.autograd.grad(le.sum(), [xe])[0], torch.autograd.grad(lt.sum(), [xt])[0],
          rtol=1e-7)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_cdf_icdf(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    x = _samples(torch, t, (3,))
    try:
        ct = t.cdf(x)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.cdf(to_ember(x))
    else:
        ce = e.cdf(to_ember(x))
        close(ce, ct, rtol=1e-8)
        if ct.requires_grad:
            try:
                gt = torch.autograd.grad(ct.sum(), grad_inputs(tp), allow_unused=True)
            except NotImplementedError as exc:  # Gamma: no derivative in the shape
                with pytest.raises(NotImplementedError, match=str(exc)[:30]):
                    ember.autograd.grad(ce.sum(), grad_inputs(ep), allow_unused=True)
            else:
                ge = ember.autograd.grad(ce.sum(), grad_inputs(ep), allow_unused=True)
                for a, b in zip(ge, gt):
                    if b is not None:
                        close(a, b, rtol=1e-7)
    u = np.linspace(0.05, 0.95, 3).reshape((3,) + (1,) * len(t.batch_shape))
    u = np.broadcast_to(u, (3,) + tuple(t.batch_shape)).copy()
    try:
        it = t.icdf(torch.tensor(u))
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.icdf(ember.tensor(u))
    else:
        close(e.icdf(ember.tensor(u)), it, rtol=1e-8)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_expand(torch, spec):
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    shape = (2,) + tuple(t.batch_shape)
    ee, te = e.expand(shape), t.expand(torch.Size(shape))
    assert type(ee) is type(e)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape) == shape
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    x = _samples(torch, te, ())
    close(ee.log_prob(to_ember(x)), te.log_prob(x))
    ember.manual_seed(5)
    torch.manual_seed(5)
    close(ee.sample((3,)), te.sample((3,)), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_seeded_samples_equal_pytorch(torch, spec, dtype):
    e, t, _, _ = make_pair(torch, *spec, dtype=dtype, requires_grad=False)
    for shape in ((), (5,), (2, 3)):
        for meth in ("sample", "rsample"):
            if meth == "rsample" and not t.has_rsample:
                continue
            ember.manual_seed(11)
            torch.manual_seed(11)
            a, b = getattr(e, meth)(shape), getattr(t, meth)(shape)
            tol = 1e-12 if dtype == "float64" else 1e-6
            close(a, b, rtol=tol, atol=0)
            # the generators are left in the same state
            close(ember.rand(2, dtype=ember.float64), torch.rand(2, dtype=torch.float64),
                  rtol=0, atol=0)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_rsample_gradients(torch, spec):
    e, t, ep, tp = make_pair(torch, *spec)
    if not t.has_rsample:
        with pytest.raises(NotImplementedError):
            e.rsample()
        return
    if not grad_inputs(ep):
        return
    ember.manual_seed(2)
    torch.manual_seed(2)
    se, st = e.rsample((3,)), t.rsample((3,))
    w = np.linspace(-1, 2, st.numel()).reshape(tuple(st.shape))
    ge = ember.autograd.grad((se * ember.tensor(w)).sum(), grad_inputs(ep), allow_unused=True)
    gt = torch.autograd.grad((st * torch.tensor(w)).sum(), grad_inputs(tp), allow_unused=True)
    for a, b in zip(ge, gt):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["Bernoulli", "Binomial", "Categorical", "OneHotCategorical"])
def test_enumerate_support(torch, name):
    spec = next(s for s in SPECS if s[0] == name and not isinstance(
        s[1].get("total_count"), np.ndarray))
    e, t, _, _ = make_pair(torch, *spec, requires_grad=False)
    for expand in (True, False):
        close(e.enumerate_support(expand), t.enumerate_support(expand), rtol=0, atol=0)


def test_float32_parameters(torch):
    d = ED.Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
    assert d.sample().dtype == ember.float32
    assert d.log_prob(ember.tensor([0.5, 0.5])).dtype == ember.float32
    g = ED.Gamma(ember.tensor([2.0]), ember.tensor([1.0]))
    assert g.rsample().dtype == ember.float32
    n = ED.Normal(0.0, 1.0)
    assert n.loc.dtype == ember.get_default_dtype() and n.batch_shape == ember.Size()


# ---------------------------------------------------------------------- validation
INVALID = [
    ("Normal", lambda L: dict(loc=L.tensor([0.0, 1.0]), scale=L.tensor([1.0, -1.0]))),
    ("Normal", lambda L: dict(loc=0.0, scale=-1.0)),
    ("Bernoulli", lambda L: dict(probs=L.tensor([1.5]))),
    ("Categorical", lambda L: dict(probs=L.tensor([0.5, -0.1]))),
    ("Uniform", lambda L: dict(low=L.tensor([0.0]), high=L.tensor([-1.0]))),
    ("Geometric", lambda L: dict(probs=L.tensor([0.0]))),
    ("Gamma", lambda L: dict(concentration=L.tensor([1.0]), rate=L.tensor([0.0]))),
    ("Binomial", lambda L: dict(total_count=L.tensor([2.5]), probs=L.tensor([0.5]))),
    ("Dirichlet", lambda L: dict(concentration=L.tensor([1.0, -2.0]))),
    ("MultivariateNormal", lambda L: dict(loc=L.zeros(2),
                                          covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("MultivariateNormal", lambda L: dict(loc=L.zeros(2),
                                          scale_tril=L.tensor([[1.0, 0.0], [2.0, -1.0]]))),
    ("StudentT", lambda L: dict(df=L.tensor([-1.0]))),
    ("Beta", lambda L: dict(concentration1=L.tensor([0.0]), concentration0=L.tensor([1.0]))),
    ("Poisson", lambda L: dict(rate=L.tensor([-1.0]))),
    ("LowRankMultivariateNormal", lambda L: dict(loc=L.zeros(2), cov_factor=L.ones(2, 1),
                                                 cov_diag=L.tensor([1.0, 0.0]))),
    ("Bernoulli", lambda L: dict(probs=L.tensor([0.5]), logits=L.tensor([0.0]))),
    ("Categorical", lambda L: dict(logits=L.tensor(1.0))),
    ("Dirichlet", lambda L: dict(concentration=L.tensor(1.0))),
    ("MultivariateNormal", lambda L: dict(loc=L.zeros(2))),
    ("MultivariateNormal", lambda L: dict(loc=L.tensor(0.0), covariance_matrix=L.eye(1))),
]


@pytest.mark.parametrize("case", INVALID, ids=[f"{c[0]}-{i}" for i, c in enumerate(INVALID)])
def test_invalid_parameters_raise_as_pytorch(torch, case):
    name, make = case
    me, mt = same_error(lambda: getattr(ED, name)(**make(ember)),
                        lambda: getattr(torch.distributions, name)(**make(torch)))
    assert me == mt


SUPPORT_CASES = [
    ("Exponential", lambda L: dict(rate=L.ones(2)), lambda L: L.tensor([-1.0, 1.0])),
    ("Dirichlet", lambda L: dict(concentration=L.ones(3)), lambda L: L.tensor([0.5, 0.5, 0.5])),
    ("Binomial", lambda L: dict(total_count=10, probs=L.tensor([0.5])),
     lambda L: L.tensor([11.0])),
    ("Poisson", lambda L: dict(rate=L.tensor([1.0])), lambda L: L.tensor([1.5])),
    ("Categorical", lambda L: dict(probs=L.ones(3) / 3), lambda L: L.tensor([3])),
    ("Normal", lambda L: dict(loc=L.zeros(3), scale=1.0), lambda L: L.zeros(2)),
    ("Dirichlet", lambda L: dict(concentration=L.ones(3)), lambda L: L.tensor([0.5, 0.5])),
    ("Beta", lambda L: dict(concentration1=L.ones(2), concentration0=L.ones(2)),
     lambda L: L.tensor([0.5, 1.5])),
    ("Normal", lambda L: dict(loc=0.0, scale=1.0), lambda L: 1.0),
    ("Uniform", lambda L: dict(low=L.zeros(2), high=L.ones(2)), lambda L: L.tensor([0.5, 2.0])),
    ("HalfNormal", lambda L: dict(scale=L.ones(2)), lambda L: L.tensor([-0.5, 2.0])),
]


@pytest.mark.parametrize("case", SUPPORT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SUPPORT_CASES)])
def test_values_outside_support_raise_as_pytorch(torch, case):
    name, make, value = case
    e = getattr(ED, name)(**make(ember))
    t = getattr(torch.distributions, name)(**make(torch))
    me, mt = same_error(lambda: e.log_prob(value(ember)), lambda: t.log_prob(value(torch)))
    assert me == mt
    # without validation there is no check
    e2 = getattr(ED, name)(**make(ember), validate_args=False)
    try:
        e2.log_prob(value(ember))
    except (RuntimeError, ValueError, IndexError, AttributeError, TypeError):
        pass  # shape errors of the arithmetic itself, or a number where a tensor is needed


def test_set_default_validate_args(torch):
    try:
        ED.Distribution.set_default_validate_args(False)
        ED.Normal(0.0, -1.0)  # no error
        assert ED.Normal(0.0, 1.0)._validate_args is False
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args(3)
    d = ED.Normal(0.0, -1.0, validate_args=False)
    assert math.isnan(float(d.log_prob(ember.tensor(0.0))))


def test_repr_and_constraints(torch):
    for make in (lambda L: L.distributions.Normal(0.0, 1.0),
                 lambda L: L.distributions.Normal(L.zeros(1), 1.0),
                 lambda L: L.distributions.Bernoulli(probs=L.tensor([0.25])),
                 lambda L: L.distributions.Independent(L.distributions.Normal(L.zeros(1), 1.0),
                                                       1)):
        assert repr(make(ember)) == repr(make(torch))
    for name in ("Normal", "Gamma", "Dirichlet", "Categorical", "MultivariateNormal", "Beta",
                 "Binomial", "Uniform"):
        ec = getattr(ED, name).arg_constraints
        tc = getattr(torch.distributions, name).arg_constraints
        if isinstance(ec, property):
            continue
        assert {k: repr(v) for k, v in ec.items()} == {k: repr(v) for k, v in tc.items()}
    assert repr(ED.Normal.support) == repr(torch.distributions.Normal.support)
    assert repr(ED.Dirichlet.support) == repr(torch.distributions.Dirichlet.support)
    b = ED.Binomial(ember.tensor([3.0]), probs=ember.tensor([0.5]))
    assert b.support.is_discrete and b.support.event_dim == 0


def test_sample_n_deprecated():
    d = ED.Normal(ember.zeros(2), 1.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert tuple(d.sample_n(3).shape) == (3, 2)
    assert any(issubclass(x.category, FutureWarning) for x in w)


def test_gradcheck_log_prob():
    loc = ember.tensor([0.3, -0.2], dtype=ember.float64, requires_grad=True)
    scale = ember.tensor([1.2, 0.7], dtype=ember.float64, requires_grad=True)
    x = ember.tensor([0.1, 0.5], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b, v: ED.Normal(a, b).log_prob(v), (loc, scale, x))
    c = ember.tensor([0.8, 2.5], dtype=ember.float64, requires_grad=True)
    r = ember.tensor([1.5, 0.6], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b, v: ED.Gamma(a, b).log_prob(v), (c, r, scale))
    assert ember.autograd.gradcheck(lambda a, b: ED.Beta(a, b).entropy(), (c, r))
    p = ember.tensor([[0.2, 0.3, 0.5]], dtype=ember.float64, requires_grad=True)
    v = ember.tensor([[1.0, 2.0, 3.0]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda a: ED.Multinomial(6, probs=a).log_prob(v), (p,))


def test_mixture_same_family(torch):
    r = np.random.default_rng(4)
    w, locs, scales = r.uniform(0.1, 1, (2, 3)), r.normal(size=(2, 3)), r.uniform(0.5, 2, (2, 3))
    ds = []
    for L in (ember, torch):
        D = L.distributions
        mix = D.MixtureSameFamily(D.Categorical(probs=L.tensor(w)),
                                  D.Normal(L.tensor(locs, requires_grad=True), L.tensor(scales)))
        ds.append(mix)
    e, t = ds
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    close(e.mean, t.mean)
    close(e.variance, t.variance)
    x = np.linspace(-2, 2, 8).reshape(4, 2)
    close(e.log_prob(ember.tensor(x)), t.log_prob(torch.tensor(x)))
    close(e.cdf(ember.tensor(x)), t.cdf(torch.tensor(x)))
    ge = ember.autograd.grad(e.log_prob(ember.tensor(x)).sum(), [e.component_distribution.loc])
    gt = torch.autograd.grad(t.log_prob(torch.tensor(x)).sum(), [t.component_distribution.loc])
    close(ge[0], gt[0])
    ember.manual_seed(3)
    torch.manual_seed(3)
    close(e.sample((5,)), t.sample((5,)), rtol=1e-12)
    close(e.expand((4, 2)).log_prob(ember.tensor(x)), t.expand((4, 2)).log_prob(torch.tensor(x)))
    # a multivariate component (event_dim 1)
    mloc = r.normal(size=(3, 2))
    mv = []
    for L in (ember, torch):
        D = L.distributions
        mv.append(D.MixtureSameFamily(D.Categorical(logits=L.tensor(w[0])),
                                      D.Independent(D.Normal(L.tensor(mloc), L.ones(3, 2)), 1)))
    y = r.normal(size=(5, 2))
    close(mv[0].log_prob(ember.tensor(y)), mv[1].log_prob(torch.tensor(y)))
    close(mv[0].mean, mv[1].mean)
    close(mv[0].variance, mv[1].variance)
    ember.manual_seed(4)
    torch.manual_seed(4)
    close(mv[0].sample((3,)), mv[1].sample((3,)), rtol=1e-12)
    assert repr(mv[0].support) == repr(mv[1].support)
    assert e.support.event_dim == t.support.event_dim


def test_independent(torch):
    r = np.random.default_rng(5)
    loc, scale = r.normal(size=(2, 3)), r.uniform(0.5, 2, (2, 3))
    e = ED.Independent(ED.Normal(ember.tensor(loc), ember.tensor(scale)), 1)
    t = torch.distributions.Independent(torch.distributions.Normal(torch.tensor(loc),
                                                                   torch.tensor(scale)), 1)
    assert tuple(e.batch_shape) == (2,) and tuple(e.event_shape) == (3,)
    x = r.normal(size=(4, 2, 3))
    close(e.log_prob(ember.tensor(x)), t.log_prob(torch.tensor(x)))
    close(e.entropy(), t.entropy())
    close(e.mean, t.mean)
    assert repr(e.support) == repr(t.support)
    assert e.has_rsample and not e.has_enumerate_support
    ex = e.expand((5, 2))
    assert tuple(ex.batch_shape) == (5, 2) and tuple(ex.event_shape) == (3,)
    ember.manual_seed(0)
    torch.manual_seed(0)
    close(ex.rsample((2,)), t.expand((5, 2)).rsample((2,)), rtol=1e-12)


def test_transformed_distribution(torch):
    r = np.random.default_rng(6)
    loc, scale = r.normal(size=3), r.uniform(0.5, 2, 3)
    out = []
    for L in (ember, torch):
        D, T = L.distributions, L.distributions.transforms
        base = D.Normal(L.tensor(loc, requires_grad=True), L.tensor(scale))
        out.append(D.TransformedDistribution(base, [T.AffineTransform(1.0, -2.0),
                                                    T.ExpTransform()]))
    e, t = out
    x = r.uniform(0.5, 3, (4, 3))
    close(e.log_prob(ember.tensor(x)), t.log_prob(torch.tensor(x)))
    close(e.cdf(ember.tensor(x)), t.cdf(torch.tensor(x)))
    close(e.icdf(ember.tensor([0.2, 0.5, 0.7])), t.icdf(torch.tensor([0.2, 0.5, 0.7])))
    assert repr(e.support) == repr(t.support)
    ember.manual_seed(1)
    torch.manual_seed(1)
    close(e.rsample((2,)), t.rsample((2,)), rtol=1e-12)
    # a transform that couples the event dims
    out = []
    for L in (ember, torch):
        D, T = L.distributions, L.distributions.transforms
        out.append(D.TransformedDistribution(D.Normal(L.zeros(2, 3), L.ones(2, 3)),
                                             T.StickBreakingTransform()))
    e, t = out
    assert tuple(e.batch_shape) == tuple(t.batch_shape) and \
        tuple(e.event_shape) == tuple(t.event_shape)
    y = r.uniform(0.1, 1, (2, 4))
    y = y / y.sum(-1, keepdims=True)
    close(e.log_prob(ember.tensor(y)), t.log_prob(torch.tensor(y)))


def test_one_hot_straight_through(torch):
    p = np.array([0.2, 0.3, 0.5])
    e = ED.OneHotCategoricalStraightThrough(probs=ember.tensor(p, requires_grad=True))
    t = torch.distributions.OneHotCategoricalStraightThrough(
        probs=torch.tensor(p, requires_grad=True))
    ember.manual_seed(0)
    torch.manual_seed(0)
    se, st = e.rsample((4,)), t.rsample((4,))
    close(se, st)
    w = np.arange(12.0).reshape(4, 3)
    close(ember.autograd.grad((se * ember.tensor(w)).sum(), [e.probs])[0],
          torch.autograd.grad((st * torch.tensor(w)).sum(), [t.probs])[0])


def test_lazy_probs_logits(torch):
    e = ED.Bernoulli(logits=ember.tensor([0.3, -1.0]))
    assert "probs" not in e.__dict__
    _ = e.probs
    assert "probs" in e.__dict__
    c = ED.Categorical(probs=ember.tensor([1.0, 3.0]))
    close(c.probs, torch.tensor([0.25, 0.75]))
    close(c.logits, torch.distributions.Categorical(probs=torch.tensor([1.0, 3.0])).logits)
    assert tuple(c.param_shape) == (2,)
