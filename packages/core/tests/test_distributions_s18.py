"""ember.distributions against torch.distributions as PyTorch programs use them: every
distribution over scalar, batched and broadcast parameters in float32 and float64 (shapes,
moments, entropy, log_prob/cdf/icdf, enumerate_support, expand, reprs, seeded draws, gradients),
support boundaries with and without validation, every registered KL pair, each transform,
constraint checks, composite distributions, and a policy-gradient/SAC style program."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

import ember

R = np.random.default_rng(18)


@pytest.fixture(autouse=True)
def _values_per_test(request):
    """Each test draws its parameters from its own stream (the same in any order or worker)."""
    global R
    R = np.random.default_rng(zlib.crc32(request.node.name.encode()))


@pytest.fixture(autouse=True)
def _validate_both(torch):
    """Both libraries validate by default (torch's own default under ``__debug__``)."""
    torch.distributions.Distribution.set_default_validate_args(True)
    ember.distributions.Distribution.set_default_validate_args(True)
    yield
    ember.distributions.Distribution.set_default_validate_args(True)


def _shape(case, i, ev=()):
    if case == "scalar":
        return ev
    if case == "batched":
        return (3,) + ev
    return ((2, 1) if i == 0 else (3,)) + ev


def _pos(c, i, lo=0.3, hi=3.0, ev=()):
    return R.uniform(lo, hi, _shape(c, i, ev))


def _real(c, i, ev=()):
    return R.standard_normal(_shape(c, i, ev))


def _unit(c, i):
    return R.uniform(0.1, 0.9, _shape(c, i))


def _unit_off_half(c, i):
    """Probabilities 0.05 or more from 1/2, where ContinuousBernoulli's moments cancel
    catastrophically in float32 (both libraries' values are noise there)."""
    u = R.uniform(0.1, 0.45, _shape(c, i))
    return np.where(R.random(u.shape) < 0.5, u, 1 - u)


def _simplex(c, i, k=4):
    p = R.uniform(0.1, 1, _shape(c, i, (k,)))
    return p / p.sum(-1, keepdims=True)


def _spd(c, i, k=3):
    a = R.standard_normal(_shape(c, i, (k, k)))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


def _counts(c, i):
    return R.integers(1, 10, _shape(c, i)).astype(float)


# name -> case -> (positional args, keyword args); numpy arrays become tensors, ints stay ints
SPECS = {
    "Normal": lambda c: ([_real(c, 0), _pos(c, 1)], {}),
    "Bernoulli": lambda c: ([], {"logits": _real(c, 0)}),
    "Beta": lambda c: ([_pos(c, 0), _pos(c, 1)], {}),
    "Binomial": lambda c: ([], {"total_count": _counts(c, 0), "probs": _unit(c, 1)}),
    "Categorical": lambda c: ([], {"probs": _simplex(c, 0)}),
    "Cauchy": lambda c: ([_real(c, 0), _pos(c, 1)], {}),
    "Chi2": lambda c: ([_pos(c, 0, 0.5, 5)], {}),
    "ContinuousBernoulli": lambda c: ([], {"probs": _unit_off_half(c, 0)}),
    "Dirichlet": lambda c: ([_pos(c, 0, ev=(4,))], {}),
    "Exponential": lambda c: ([_pos(c, 0)], {}),
    "FisherSnedecor": lambda c: ([_pos(c, 0, 1, 6), _pos(c, 1, 4.5, 9)], {}),
    "Gamma": lambda c: ([_pos(c, 0), _pos(c, 1)], {}),
    "GeneralizedPareto": lambda c: ([_real(c, 0), _pos(c, 1), R.uniform(-0.4, 0.4, _shape(c, 0))],
                                    {}),
    "Geometric": lambda c: ([], {"probs": _unit(c, 0)}),
    "Gumbel": lambda c: ([_real(c, 0), _pos(c, 1)], {}),
    "HalfCauchy": lambda c: ([_pos(c, 0)], {}),
    "HalfNormal": lambda c: ([_pos(c, 0)], {}),
    "InverseGamma": lambda c: ([_pos(c, 0, 2.5, 5), _pos(c, 1)], {}),
    "Kumaraswamy": lambda c: ([_pos(c, 0, 0.5, 3), _pos(c, 1, 0.5, 3)], {}),
    "Laplace": lambda c: ([_real(c, 0), _pos(c, 1)], {}),
    "LKJCholesky": lambda c: ([3, _pos(c, 0, 0.5, 3)], {}),
    "LogNormal": lambda c: ([_real(c, 0), _pos(c, 1, 0.2, 1)], {}),
    "LogisticNormal": lambda c: ([_real(c, 0, (3,)), _pos(c, 1, ev=(3,))], {}),
    "LowRankMultivariateNormal": lambda c: ([_real(c, 0, (3,)), _real(c, 1, (3, 2)),
                                             _pos(c, 0, ev=(3,))], {}),
    "Multinomial": lambda c: ([5], {"logits": _real(c, 0, (4,))}),
    "MultivariateNormal": lambda c: ([_real(c, 0, (3,))], {"covariance_matrix": _spd(c, 1)}),
    "NegativeBinomial": lambda c: ([], {"total_count": _pos(c, 0, 1, 8), "logits": _real(c, 1)}),
    "OneHotCategorical": lambda c: ([], {"logits": _real(c, 0, (4,))}),
    "Pareto": lambda c: ([_pos(c, 0), _pos(c, 1, 2.5, 5)], {}),
    "Poisson": lambda c: ([_pos(c, 0, 0.5, 12)], {}),
    "RelaxedBernoulli": lambda c: ([_pos(c, 0, 0.3, 2)], {"probs": _unit(c, 1)}),
    "RelaxedOneHotCategorical": lambda c: ([_pos("scalar", 0, 0.3, 2)], {"logits": _real(c, 1, (4,))}),
    "StudentT": lambda c: ([_pos(c, 0, 2.5, 6), _real(c, 1), _pos(c, 0)], {}),
    "Uniform": lambda c: ((lambda lo: [lo, lo + _pos(c, 1)])(_real(c, 0)), {}),
    "VonMises": lambda c: ([_real(c, 0), _pos(c, 1, 0.1, 5)], {}),
    "Weibull": lambda c: ([_pos(c, 0), _pos(c, 1, 0.5, 3)], {}),
    "Wishart": lambda c: ([_pos(c, 0, 3.5, 6)], {"covariance_matrix": _spd(c, 1)}),
}
DISCRETE = {"Bernoulli", "Binomial", "Categorical", "Geometric", "Multinomial", "NegativeBinomial",
            "OneHotCategorical", "Poisson"}


def _build(lib, name, args, kw, dtype, grad=False, **extra):
    def conv(a):
        if isinstance(a, np.ndarray):
            return lib.tensor(a.astype(dtype), requires_grad=grad)
        return a
    a = [conv(x) for x in args]
    k = {key: conv(v) for key, v in kw.items()}
    return getattr(lib.distributions, name)(*a, **k, **extra), [p for p in a + list(k.values())
                                                               if not isinstance(p, int)]


def _attempt(f, *args, **kwargs):
    try:
        return f(*args, **kwargs)
    except Exception as ex:  # compared by type below
        return ex


def _method(obj, name, *args):
    """``obj.name(*args)``, or the exception it raises."""
    return _attempt(lambda: getattr(obj, name)(*args))


def _norm(obj) -> str:
    return repr(obj).replace("torch.", "ember.")


def _tol(dtype):
    return {"rtol": 2e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-8, "atol": 1e-10}


def _same(t, e, dtype, what, **tol):
    """``e`` (ember) equals ``t`` (torch): same exception type, or same dtype, shape, values."""
    if isinstance(t, Exception) and "Double did not match Float" in str(t):
        return  # torch's GeneralizedPareto mixes float32 constants into float64 math
    if isinstance(t, Exception) or isinstance(e, Exception):
        assert type(t).__name__ == type(e).__name__, (what, t, e)
        return
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, t.dtype, e.dtype)
    assert tuple(e.shape) == tuple(t.shape), (what, t.shape, e.shape)
    a, b = t.detach().numpy().astype(np.float64), e.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(b, a, equal_nan=True, err_msg=what, **(tol or _tol(dtype)))


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("case", ["scalar", "batched", "bcast"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_distribution_against_torch(torch, name, case, dtype):
    args, kw = SPECS[name](case)
    t, _ = _build(torch, name, args, kw, dtype)
    e, _ = _build(ember, name, args, kw, dtype)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert (e.has_rsample, e.has_enumerate_support) == (t.has_rsample, t.has_enumerate_support)
    assert _norm(e) == _norm(t)
    assert _norm(e.support) == _norm(t.support)
    assert {k: _norm(v) for k, v in e.arg_constraints.items()} == \
        {k: _norm(v) for k, v in t.arg_constraints.items()}
    for attr in ("mean", "mode", "variance", "stddev"):
        _same(_attempt(getattr, t, attr), _attempt(getattr, e, attr), dtype, attr)
    _same(_attempt(t.entropy), _attempt(e.entropy), dtype, "entropy")
    _same(_attempt(t.perplexity), _attempt(e.perplexity), dtype, "perplexity")
    exact = {"rtol": 0, "atol": 0} if name in DISCRETE else _tol(dtype)
    for shape in ((), (2,), (2, 1)):
        torch.manual_seed(7)
        ember.manual_seed(7)
        _same(t.sample(shape), e.sample(shape), dtype, f"sample{shape}", **exact)
        if t.has_rsample:
            _same(t.rsample(shape), e.rsample(shape), dtype, f"rsample{shape}")
    torch.manual_seed(1)
    x = t.sample((2,))
    xe = ember.tensor(x.numpy())
    _same(_attempt(lambda: t.log_prob(x)), _attempt(lambda: e.log_prob(xe)), dtype, "log_prob")
    _same(_attempt(lambda: t.cdf(x)), _attempt(lambda: e.cdf(xe)), dtype, "cdf")
    u = R.uniform(0.05, 0.95, tuple(t.batch_shape)).astype(dtype)
    _same(_attempt(lambda: t.icdf(torch.tensor(u))), _attempt(lambda: e.icdf(ember.tensor(u))),
          dtype, "icdf")
    for expand in (True, False):
        _same(_method(t, "enumerate_support", expand),
              _method(e, "enumerate_support", expand), dtype, f"enumerate({expand})")
    te = t.expand((4,) + tuple(t.batch_shape))
    ee = e.expand((4,) + tuple(e.batch_shape))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert _norm(ee) == _norm(te)
    lt = _attempt(lambda: te.log_prob(x[0]))
    if not isinstance(lt, Exception):  # torch's RelaxedBernoulli.expand keeps a (2, 1) temperature
        _same(lt, ee.log_prob(xe[0]), dtype, "expand.log_prob")
    torch.manual_seed(9)
    ember.manual_seed(9)
    ts = _attempt(te.sample)
    if not isinstance(ts, Exception):
        _same(ts, ee.sample(), dtype, "expand.sample", **exact)


def _grads(lib, out, params):
    return lib.autograd.grad(out, params, allow_unused=True, retain_graph=True)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_gradients_against_torch(torch, name):
    args, kw = SPECS[name]("bcast")
    t, tp = _build(torch, name, args, kw, "float64", grad=True)
    e, ep = _build(ember, name, args, kw, "float64", grad=True)
    torch.manual_seed(1)
    x = t.sample((2,))
    xe = ember.tensor(x.numpy())
    pairs = [(lambda: _attempt(lambda: t.log_prob(x)), lambda: e.log_prob(xe))]
    if name != "Wishart":  # torch's Wishart.rsample cannot be differentiated (in-place bug)
        pairs.append((lambda: t.rsample((2,)) if t.has_rsample else None,
                      lambda: e.rsample((2,)) if e.has_rsample else None))
    for attr in ("mean", "variance", "entropy"):
        pairs.append((lambda a=attr: _attempt(lambda: getattr(t, a)() if a == "entropy"
                                              else getattr(t, a)),
                      lambda a=attr: _attempt(lambda: getattr(e, a)() if a == "entropy"
                                              else getattr(e, a))))
    for k, (ft, fe) in enumerate(pairs):
        torch.manual_seed(8)
        ember.manual_seed(8)
        a, b = ft(), fe()
        if a is None or isinstance(a, Exception) or not a.requires_grad:
            continue
        w = R.standard_normal(tuple(a.shape))
        ga = _grads(torch, (a * torch.tensor(w)).sum(), tp)
        gb = _grads(ember, (b * ember.tensor(w)).sum(), ep)
        for i, (p, q) in enumerate(zip(ga, gb)):
            assert (p is None) == (q is None), (k, i)
            if p is not None:
                _same(p, q, "float64", f"grad {k}/{i}", rtol=1e-6, atol=1e-9)


BOUNDARY = [-np.inf, -1.0, -0.5, 0.0, 0.3, 1.0, 1.5, 2.0, 7.0, 100.0, np.inf, np.nan]
SCALAR_EVENT = sorted(n for n in SPECS if n not in {
    "Categorical", "Dirichlet", "LKJCholesky", "LogisticNormal", "LowRankMultivariateNormal",
    "Multinomial", "MultivariateNormal", "OneHotCategorical", "RelaxedOneHotCategorical",
    "Wishart"}) + ["Categorical"]


def _gist(ex) -> tuple[str, str]:
    return type(ex).__name__, re.sub(r"tensor\(.*", "", str(ex), flags=re.S).replace("torch.",
                                                                                   "ember.")


@pytest.mark.parametrize("name", SCALAR_EVENT)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_support_boundaries_and_validation(torch, name, dtype):
    args, kw = SPECS[name]("batched")
    t, _ = _build(torch, name, args, kw, dtype, validate_args=False)
    e, _ = _build(ember, name, args, kw, dtype, validate_args=False)
    tv, _ = _build(torch, name, args, kw, dtype, validate_args=True)
    ev, _ = _build(ember, name, args, kw, dtype, validate_args=True)
    for v in BOUNDARY:
        x = torch.full((3,), v, dtype=getattr(torch, dtype))
        xe = ember.tensor(x.numpy())
        for m in ("log_prob", "cdf"):
            _same(_method(t, m, x), _method(e, m, xe), dtype,
                  f"{m}({v})")
            a, b = _method(tv, m, x), _method(ev, m, xe)
            if isinstance(a, Exception) and "Double did not match Float" in str(a):
                continue  # torch's float64 GeneralizedPareto (see _same)
            if isinstance(a, Exception) or isinstance(b, Exception):
                assert _gist(a) == _gist(b), (m, v)
            else:
                _same(a, b, dtype, f"validated {m}({v})")
    for u in (0.0, 1.0):
        uu = torch.full((3,), u, dtype=getattr(torch, dtype))
        _same(_method(t, "icdf", uu), _method(e, "icdf", ember.tensor(uu.numpy())),
              dtype, f"icdf({u})")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_invalid_parameters_raise_like_torch(torch, name):
    args, kw = SPECS[name]("batched")
    bad_args = [-a if isinstance(a, np.ndarray) else a for a in args]
    bad_kw = {k: -v if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    for a, k in ((bad_args, kw), (args, bad_kw)):
        t = _attempt(_build, torch, name, a, k, "float64", validate_args=True)
        e = _attempt(_build, ember, name, a, k, "float64", validate_args=True)
        if isinstance(t, Exception) and t.__class__.__name__ == "_LinAlgError":
            assert type(e).__name__ == "_LinAlgError"
        elif isinstance(t, Exception) or isinstance(e, Exception):
            assert _gist(t) == _gist(e)


def _kl_pairs(lib) -> set[tuple[str, str]]:
    """The library's own registered pairs (other tests register user classes too)."""
    own = f"{lib.__name__}.distributions."
    return {(p.__name__, q.__name__) for p, q in lib.distributions.kl._KL_REGISTRY
            if p.__module__.startswith(own) and q.__module__.startswith(own)}


def test_kl_registry_matches_torch(torch):
    assert _kl_pairs(ember) == _kl_pairs(torch)


@pytest.mark.parametrize("p", sorted(SPECS))
def test_kl_divergence_against_torch(torch, p):
    """Every pair from ``p`` (registered or not): values and gradients, or NotImplementedError."""
    pa, pk = SPECS[p]("batched")
    for q in sorted(SPECS):
        qa, qk = SPECS[q]("batched")
        try:
            tp, tpp = _build(torch, p, pa, pk, "float64", grad=True)
            tq, tqp = _build(torch, q, qa, qk, "float64", grad=True)
        except Exception:  # shapes torch cannot pair
            continue
        ep, epp = _build(ember, p, pa, pk, "float64", grad=True)
        eq, eqp = _build(ember, q, qa, qk, "float64", grad=True)
        a = _attempt(torch.distributions.kl_divergence, tp, tq)
        b = _attempt(ember.distributions.kl_divergence, ep, eq)
        _same(a, b, "float64", f"KL({p}, {q})")
        if isinstance(a, Exception) or not a.requires_grad:  # infinite KLs are constants
            continue
        ga, gb = _grads(torch, a.sum(), tpp + tqp), _grads(ember, b.sum(), epp + eqp)
        for i, (x, y) in enumerate(zip(ga, gb)):
            assert (x is None) == (y is None), (q, i)
            if x is not None:
                _same(x, y, "float64", f"KL({p}, {q}) grad {i}", rtol=1e-6, atol=1e-9)


TRANSFORMS = [
    ("T.ExpTransform(cache_size=1)", "real", (3, 4)),
    ("T.AbsTransform()", "real", (3, 4)),
    ("T.AffineTransform(t(1.5), t(-2.0))", "real", (3, 4)),
    ("T.AffineTransform(t([1., 2., 3., 4.]), t([1., -2., 3., .5]), event_dim=1)", "real", (3, 4)),
    ("T.PowerTransform(t(-1.5))", "pos", (3, 4)),
    ("T.SigmoidTransform()", "real", (3, 4)),
    ("T.SoftplusTransform()", "real", (3, 4)),
    ("T.TanhTransform()", "real", (3, 4)),
    ("T.SoftmaxTransform()", "real", (3, 4)),
    ("T.StickBreakingTransform()", "real", (3, 4)),
    ("T.LowerCholeskyTransform()", "real", (2, 3, 3)),
    ("T.PositiveDefiniteTransform()", "real", (2, 3, 3)),
    ("T.CorrCholeskyTransform()", "real", (2, 6)),
    ("T.ReshapeTransform((4,), (2, 2))", "real", (3, 4)),
    ("T.IndependentTransform(T.SigmoidTransform(), 2)", "real", (3, 4)),
    ("T.ComposeTransform([T.AffineTransform(1., 2.), T.StickBreakingTransform()])", "real",
     (3, 4)),
    ("T.ComposeTransform([T.SoftplusTransform(), T.IndependentTransform(T.ExpTransform(), 1)],"
     " cache_size=1)", "real", (3, 4)),
    ("T.CatTransform([T.ExpTransform(), T.AffineTransform(1., 2.)], dim=1, lengths=[2, 2])",
     "real", (3, 4)),
    ("T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(),"
     " T.AbsTransform()], dim=1)", "real", (3, 4)),
    ("T.CumulativeDistributionTransform(D.Normal(t(0.), t(1.)))", "real", (3, 4)),
    ("T.SigmoidTransform().inv", "unit", (3, 4)),
    ("T.StickBreakingTransform().inv", "simplex", (3, 5)),
    ("T.identity_transform", "real", (3, 4)),
]


def _make(lib, spec):
    env = {"T": lib.distributions.transforms, "D": lib.distributions,
           "t": lambda a: lib.tensor(np.asarray(a, dtype=np.float64))}
    return eval(spec, env)  # noqa: S307 - specs are literals above


def _transform_input(kind, shape):
    if kind == "pos":
        return R.uniform(0.2, 3, shape)
    if kind == "unit":
        return R.uniform(0.05, 0.95, shape)
    if kind == "simplex":
        p = R.uniform(0.1, 1, shape)
        return p / p.sum(-1, keepdims=True)
    return R.standard_normal(shape)


@pytest.mark.parametrize("spec,kind,shape", TRANSFORMS)
def test_transform_against_torch(torch, spec, kind, shape):
    a, b = _make(torch, spec), _make(ember, spec)
    x = _transform_input(kind, shape)
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    yt, ye = a(xt), b(xe)
    _same(yt, ye, "float64", "forward")
    _same(a.inv(yt.detach().clone()), b.inv(ember.tensor(yt.detach().numpy())), "float64",
          "inverse")
    lt = _attempt(lambda: a.log_abs_det_jacobian(xt, yt))
    le = _attempt(lambda: b.log_abs_det_jacobian(xe, ye))
    _same(lt, le, "float64", "log_abs_det_jacobian")
    assert tuple(b.forward_shape(shape)) == tuple(a.forward_shape(shape))
    assert tuple(b.inverse_shape(tuple(yt.shape))) == tuple(a.inverse_shape(tuple(yt.shape)))
    for attr in ("event_dim", "sign", "bijective", "domain", "codomain", "_cache_size"):
        for ta, tb in ((a, b), (a.inv, b.inv)):
            va, vb = _attempt(getattr, ta, attr), _attempt(getattr, tb, attr)
            if isinstance(va, Exception):
                assert type(vb) is type(va), attr
            else:
                assert _norm(vb) == _norm(va), attr
    assert (_norm(b), _norm(b.inv)) == (_norm(a), _norm(a.inv))
    if not isinstance(lt, Exception):
        gt = torch.autograd.grad(yt.sum() + lt.sum(), xt)[0]
        ge = ember.autograd.grad(ye.sum() + le.sum(), xe)[0]
        _same(gt, ge, "float64", "grad", rtol=1e-6, atol=1e-9)
    _same(a.codomain.check(yt.detach()), b.codomain.check(ye.detach()), "float64", "codomain")


def test_transform_cache_identity(torch):
    for lib in (torch, ember):
        T = lib.distributions.transforms
        cached, plain = T.ExpTransform(cache_size=1), T.ExpTransform()
        x = lib.randn(3)
        y = cached(x)
        assert cached.inv(y) is x and cached(x) is y
        assert plain.inv(plain(x)) is not x
        assert plain.inv.inv is plain
        with pytest.raises(ValueError):
            T.ExpTransform(cache_size=2)


CONSTRAINTS = ["boolean", "corr_cholesky", "lower_cholesky", "lower_triangular", "nonnegative",
               "nonnegative_integer", "one_hot", "positive", "positive_semidefinite",
               "positive_definite", "positive_integer", "real", "real_vector", "simplex", "square",
               "symmetric", "unit_interval", "greater_than(1.)", "greater_than_eq(1.)",
               "less_than(1.)", "interval(0., 2.)", "half_open_interval(0., 2.)",
               "integer_interval(0, 3)", "multinomial(3)", "independent(positive, 1)",
               "cat([positive, real], 0, [2, 2])", "stack([positive, unit_interval], 1)"]
CHECK_VALUES = [np.array([-1., 0., 0.5, 1., 2., 3., np.nan, np.inf]).reshape(2, 4),
                np.eye(2), np.array([[1., 0.], [0.5, 2.]]), np.array([[1., 0.5], [0.5, 1.]]),
                np.array([[[1., 0.], [0., 1.]], [[-1., 0.], [0., 1.]]]),
                np.array([0.25, 0.25, 0.5, 0.]), np.array([[0., 1., 0., 0.], [1, 1, 0, 0]]),
                np.array([[1., 0.], [0.6, 0.8]]), np.array([[1., 2.], [3., 4.], [5., 6.]])]


@pytest.mark.parametrize("spec", CONSTRAINTS)
def test_constraints_against_torch(torch, spec):
    ct = eval(spec, dict(vars(torch.distributions.constraints)))  # noqa: S307
    ce = eval(spec, dict(vars(ember.distributions.constraints)))  # noqa: S307
    assert _norm(ce) == _norm(ct)
    assert (ce.is_discrete, ce.event_dim) == (ct.is_discrete, ct.event_dim)
    for v in CHECK_VALUES:
        for dt in ("float32", "float64"):
            _same(_method(ct, "check", torch.tensor(v.astype(dt))),
                  _method(ce, "check", ember.tensor(v.astype(dt))), "float64", spec)
    for registry in ("biject_to", "transform_to"):
        a = _method(torch.distributions, registry, ct)
        b = _method(ember.distributions, registry, ce)
        assert (type(b).__name__ if isinstance(b, Exception) else _norm(b)) == \
            (type(a).__name__ if isinstance(a, Exception) else _norm(a))


COMPOSITE = [
    "D.Normal(0., 1.)", "D.Bernoulli(logits=t([-inf, inf, 0.]))",
    "D.Categorical(logits=t([[0., -inf, 1.], [-inf, -inf, 2.]]))",
    "D.Categorical(t([0., 0.5, 0.5]))", "D.Poisson(t([1e4, 0.01, 0.]))",
    "D.Binomial(t([[10.], [20.]]), logits=t([-inf, 0., inf]))",
    "D.Multinomial(7, logits=t([0., -inf, 1.]))", "D.StudentT(t([0.5, 1., 1.5, 2.5]))",
    "D.VonMises(0., t([0.001, 1., 100., 1e4]))",
    "D.ContinuousBernoulli(t([0.001, 0.499, 0.5, 0.501, 0.999]))",
    "D.MultivariateNormal(t(np.zeros((3, 2))), scale_tril=t([[1., 0.], [0.5, 2.]]))",
    "D.MultivariateNormal(t(np.zeros(2)), precision_matrix=t([[[2., 0.5], [0.5, 1.]]] * 3))",
    "D.LowRankMultivariateNormal(t(np.zeros((2, 3))), t(np.ones((3, 1))), t(np.ones(3)))",
    "D.Independent(D.Normal(t(np.zeros((2, 3))), 1.), 2)",
    "D.Independent(D.Bernoulli(t(np.full((2, 3), 0.3))), 1)",
    "D.Independent(D.MultivariateNormal(t(np.zeros((4, 2))), t(np.eye(2))), 1)",
    "D.MixtureSameFamily(D.Categorical(t(np.full((4, 3), 1. / 3))),"
    " D.Normal(t(np.arange(12.).reshape(4, 3)), 1.))",
    "D.MixtureSameFamily(D.Categorical(t([0.3, 0.7])),"
    " D.Independent(D.Normal(t([[-1., 0.], [1., 2.]]), t([0.5, 2.])), 1))",
    "D.MixtureSameFamily(D.Categorical(t([0.3, 0.7])),"
    " D.MultivariateNormal(t([[-1., 0.], [1., 2.]]), t(np.eye(2))))",
    "D.RelaxedOneHotCategorical(t(0.5), logits=t([[0., 1., 2.]]))",
    "D.LKJCholesky(4, t([0.5, 2.]))", "D.Wishart(t([3., 5.]), precision_matrix=t(np.eye(2) * 2))",
    "D.TransformedDistribution(D.Normal(t(np.zeros((2, 3))), t(np.ones(3))),"
    " [D.transforms.StickBreakingTransform()])",
    "D.TransformedDistribution(D.Uniform(t(np.zeros(3)), t(np.ones(3))),"
    " [D.transforms.SigmoidTransform().inv, D.transforms.AffineTransform(0., -1.)])",
]


@pytest.mark.parametrize("spec", COMPOSITE)
def test_composite_and_edge_distributions(torch, spec):
    def env(lib):
        return {"D": lib.distributions, "np": np, "inf": np.inf,
                "t": lambda a: lib.tensor(np.asarray(a, dtype=np.float64))}
    a, b = eval(spec, env(torch)), eval(spec, env(ember))  # noqa: S307
    assert (_norm(b), _norm(b.support)) == (_norm(a), _norm(a.support))
    assert (tuple(b.batch_shape), tuple(b.event_shape)) == \
        (tuple(a.batch_shape), tuple(a.event_shape))
    for attr in ("mean", "mode", "variance", "stddev"):
        _same(_attempt(getattr, a, attr), _attempt(getattr, b, attr), "float64",
              attr)
    _same(_attempt(a.entropy), _attempt(b.entropy), "float64", "entropy")
    for shape in ((), (3,)):
        torch.manual_seed(5)
        ember.manual_seed(5)
        _same(a.sample(shape), b.sample(shape), "float64", f"sample{shape}", rtol=1e-6,
              atol=1e-9)
    torch.manual_seed(6)
    x = a.sample((4,))
    xe = ember.tensor(x.numpy())
    for m in ("log_prob", "cdf"):
        _same(_method(a, m, x), _method(b, m, xe), "float64",
              m)
    for expand in (True, False):
        _same(_method(a, "enumerate_support", expand),
              _method(b, "enumerate_support", expand), "float64", "enumerate")
    ea, eb = a.expand((2,) + tuple(a.batch_shape)), b.expand((2,) + tuple(b.batch_shape))
    assert _norm(eb) == _norm(ea)
    _same(ea.log_prob(x[:1]), eb.log_prob(xe[:1]), "float64", "expand.log_prob")


def _policy_program(lib):
    """REINFORCE on a categorical head and SAC's tanh-squashed Gaussian, a custom transform and
    distribution, a user KL rule and the validation errors a user sees."""
    D, T, C = lib.distributions, lib.distributions.transforms, lib.distributions.constraints
    out = {}
    mu = lib.tensor(np.array([[0.1, -0.3], [0.5, 1.0]]), requires_grad=True)
    ls = lib.tensor(np.array([[-0.5, 0.2], [0.1, -1.0]]), requires_grad=True)
    lib.manual_seed(0)
    tanh_normal = D.TransformedDistribution(D.Independent(D.Normal(mu, ls.exp()), 1),
                                            [T.TanhTransform(cache_size=1)])
    act = tanh_normal.rsample((3,))
    lp = tanh_normal.log_prob(act)
    out["sac"] = [act, lp, *lib.autograd.grad(lp.sum() + act.sum(), [mu, ls])]
    logits = lib.tensor(np.array([[1., 2., 3.], [0., -np.inf, -1.]]), requires_grad=True)
    cat = D.Categorical(logits=logits)
    a = cat.sample((2,))
    loss = -(cat.log_prob(a) * lib.tensor(np.array([1.5, -0.5]))).mean() - cat.entropy().mean()
    out["reinforce"] = [a, loss, *lib.autograd.grad(loss, logits)]

    class Cube(T.Transform):
        domain = codomain = C.real
        bijective = True
        sign = +1

        def __eq__(self, other):
            return isinstance(other, Cube)

        def _call(self, x):
            return x ** 3

        def _inverse(self, y):
            return y.sign() * y.abs() ** (1 / 3)

        def log_abs_det_jacobian(self, x, y):
            return (3 * x ** 2).log()

    cube = D.TransformedDistribution(D.Normal(mu, 1.), Cube())
    y = cube.sample()
    out["cube"] = [y, cube.log_prob(y), Cube().inv(y)]

    class Triangular(D.Distribution):
        arg_constraints = {"c": C.unit_interval}
        support = C.unit_interval

        def __init__(self, c, validate_args=None):
            self.c = c
            super().__init__(c.shape, validate_args=validate_args)

        def sample(self, sample_shape=()):
            u = lib.rand(self._extended_shape(sample_shape), dtype=self.c.dtype)
            return lib.where(u < self.c, (u * self.c).sqrt(),
                             1 - ((1 - u) * (1 - self.c)).sqrt())

        def log_prob(self, value):
            if self._validate_args:
                self._validate_sample(value)
            return lib.where(value < self.c, (2 * value / self.c).log(),
                             (2 * (1 - value) / (1 - self.c)).log())

    tri = Triangular(lib.tensor(np.array([0.3, 0.6])))
    s = tri.sample((4,))
    D.register_kl(Triangular, Triangular)(lambda p, q: (p.c - q.c).abs())
    out["custom"] = [s, tri.log_prob(s), D.kl_divergence(tri, tri), repr(tri)]
    errors = []
    for f in (lambda: Triangular(lib.tensor(np.array([1.3, 0.6])), validate_args=True),
              lambda: tri.log_prob(lib.tensor(np.array([2.0, 0.5]))),
              lambda: tri.expand((3, 2)), lambda: tri.entropy(),
              lambda: D.kl_divergence(D.Normal(0., 1.), D.Beta(1., 1.)),
              lambda: D.Normal(lib.zeros(3), 1.).log_prob(lib.zeros(2)),
              lambda: D.Normal(lib.zeros(3), 1.).log_prob(0.5),
              lambda: D.MultivariateNormal(lib.zeros(3), lib.eye(3)).log_prob(lib.zeros(2)),
              lambda: D.Distribution.set_default_validate_args(1)):
        try:
            f()
            errors.append(None)
        except Exception as ex:
            errors.append(_gist(ex))
    out["errors"] = errors
    return out


def test_policy_gradient_program(torch):
    t, e = _policy_program(torch), _policy_program(ember)
    assert e.pop("errors") == t.pop("errors")
    for key in t:
        for a, b in zip(t[key], e[key]):
            if isinstance(a, str):
                assert _norm(b) == _norm(a), key
            else:
                _same(a, b, "float64", key, rtol=1e-7, atol=1e-9)


def test_set_default_validate_args(torch):
    for lib in (torch, ember):
        D = lib.distributions
        D.Distribution.set_default_validate_args(False)
        try:
            bad = D.Normal(lib.zeros(1), -lib.ones(1))
            assert not bad._validate_args
            value = bad.log_prob(lib.zeros(1))
        finally:
            D.Distribution.set_default_validate_args(True)
        assert D.Normal(0., 1.)._validate_args
        with pytest.raises(ValueError):
            D.Normal(lib.zeros(1), -lib.ones(1))
        if lib is torch:
            expected = value.numpy()
        else:
            np.testing.assert_allclose(value.numpy(), expected, equal_nan=True)
