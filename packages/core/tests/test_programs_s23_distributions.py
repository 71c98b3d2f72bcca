"""torch.distributions driven by a differential fuzzer: random batch shapes (0-dim, size-0,
size-1, broadcast between parameters), scalar vs tensor parameters, probs vs logits,
float32/float64, run with torch and with ember on the same inputs; plus the error paths
the fuzzer found apart (size-0 validation reshapes, tril vectors of the wrong length)."""

from __future__ import annotations

import numpy as np
import pytest

import ember


def _err(lib, fn):
    with pytest.raises(Exception) as info:
        fn(lib)
    return type(info.value).__name__, str(info.value).replace(lib.__name__, "LIB")


def test_reshape_of_zero_elements_with_inferred_dim_message(torch):
    """view/reshape(0, -1) of an empty tensor: PyTorch calls the -1 ambiguous."""
    for shape in [(0, -1), (-1, 0), (2, 0, -1)]:
        for op in ("reshape", "view"):
            msgs = [_err(lib, lambda lib, op=op, shape=shape:
                         getattr(lib.zeros(0, 3), op)(*shape)) for lib in (ember, torch)]
            assert msgs[0] == msgs[1]
    msgs = [_err(lib, lambda lib: lib.zeros(3).reshape(0, -1)) for lib in (ember, torch)]
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("name", ["Dirichlet", "OneHotCategorical", "MultivariateNormal"])
def test_validated_empty_batch_raises_like_torch(torch, name):
    """A size-0 batch of a vector distribution with validate_args=True: PyTorch's check
    reshapes to (0, -1) and fails with its RuntimeError; ember gives the same error."""
    def make(lib):
        d = lib.distributions
        p = lib.full((0, 3), 1.0 / 3.0)
        return {"Dirichlet": lambda: d.Dirichlet(p, validate_args=True),
                "OneHotCategorical": lambda: d.OneHotCategorical(probs=p, validate_args=True),
                "MultivariateNormal": lambda: d.MultivariateNormal(
                    p, lib.eye(3).expand(0, 3, 3), validate_args=True)}[name]()
    assert _err(ember, make) == _err(torch, make)


def test_vec_to_tril_matrix_wrong_length_is_runtime_error(torch):
    """A vector whose length is no triangular number passes PyTorch's one-sided check and
    fails on the mask assignment with RuntimeError (not NumPy's ValueError)."""
    from torch.distributions.utils import vec_to_tril_matrix as t_v2t

    from ember.distributions.utils import vec_to_tril_matrix as e_v2t
    got = _err(ember, lambda lib: e_v2t(lib.arange(4.0)))
    want = _err(torch, lambda lib: t_v2t(lib.arange(4.0)))
    assert got == want
    for v in (np.arange(6.0), np.arange(12.0).reshape(2, 6)):
        np.testing.assert_array_equal(e_v2t(ember.tensor(v)).numpy(),
                                      t_v2t(torch.tensor(v)).numpy())


@pytest.mark.parametrize("n", [4, 5, 2])
def test_boolean_mask_assignment_count_mismatch(torch, n):
    def put(lib):
        x = lib.zeros(2, 2)
        x[..., lib.ones(2, 2, dtype=lib.bool).tril()] = lib.arange(float(n))
    assert _err(ember, put) == _err(torch, put)


def test_every_torch_kl_pair_is_registered_and_others_raise(torch):
    """ember registers exactly PyTorch's KL pairs; an unregistered pair raises
    NotImplementedError in both."""
    def names(lib):  # the library's own classes (other tests register pairs of their own)
        own = f"{lib.__name__}.distributions"
        return {(p.__name__, q.__name__) for p, q in lib.distributions.kl._KL_REGISTRY
                if p.__module__.startswith(own) and q.__module__.startswith(own)}
    assert names(ember) == names(torch)
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError):
            lib.distributions.kl_divergence(lib.distributions.VonMises(0.0, 1.0),
                                            lib.distributions.Normal(0.0, 1.0))


# ---------------------------------------------------------------- the seeded fuzzer
R = np.random.default_rng(23)
SHAPES = [(), (1,), (3,), (2, 3), (0,), (2, 1)]


def _pos(s, lo=0.3, hi=3.0):
    return R.uniform(lo, hi, s)


def _probs(s):
    return {"probs": R.uniform(0.05, 0.95, s)} if R.random() < 0.5 else \
        {"logits": R.standard_normal(s)}


def _simplex(s):
    if R.random() < 0.5:
        p = R.uniform(0.1, 1.0, s + (3,))
        return {"probs": p / p.sum(-1, keepdims=True)}
    return {"logits": R.standard_normal(s + (4,))}


def _spd(s):
    a = R.standard_normal(s + (3, 3))
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


GEN = {
    "Normal": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "Cauchy": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "Laplace": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "Gumbel": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "LogNormal": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "HalfNormal": lambda s, t: ([_pos(s)], {}),
    "HalfCauchy": lambda s, t: ([_pos(s)], {}),
    "Exponential": lambda s, t: ([_pos(s)], {}),
    "Gamma": lambda s, t: ([_pos(s), _pos(t)], {}),
    "InverseGamma": lambda s, t: ([_pos(s), _pos(t)], {}),
    "Chi2": lambda s, t: ([_pos(s)], {}),
    "Beta": lambda s, t: ([_pos(s), _pos(t)], {}),
    "Kumaraswamy": lambda s, t: ([_pos(s), _pos(t)], {}),
    "Uniform": lambda s, t: ([R.standard_normal(s) - 2, _pos(t)], {}),
    "StudentT": lambda s, t: ([_pos(s, 0.5, 5), R.standard_normal(t), _pos(t)], {}),
    "FisherSnedecor": lambda s, t: ([_pos(s, 0.5, 6), _pos(t, 0.5, 6)], {}),
    "Pareto": lambda s, t: ([_pos(s), _pos(t)], {}),
    "Weibull": lambda s, t: ([_pos(s), _pos(t)], {}),
    "VonMises": lambda s, t: ([R.standard_normal(s), _pos(t)], {}),
    "Bernoulli": lambda s, t: ([], _probs(s)),
    "ContinuousBernoulli": lambda s, t: ([], {"probs": R.uniform(0.05, 0.4, s)}),
    "Geometric": lambda s, t: ([], _probs(s)),
    "Binomial": lambda s, t: ([R.integers(0, 8, s).astype(float)], _probs(t)),
    "NegativeBinomial": lambda s, t: ([_pos(s, 0.5, 6)], _probs(t)),
    "Poisson": lambda s, t: ([_pos(s, 0.2, 8)], {}),
    "Categorical": lambda s, t: ([], _simplex(s)),
    "OneHotCategorical": lambda s, t: ([], _simplex(s)),
    "Multinomial": lambda s, t: ([int(R.integers(1, 6))], _simplex(s)),
    "Dirichlet": lambda s, t: ([_pos(s + (3,))], {}),
    "RelaxedBernoulli": lambda s, t: ([_pos(())], _probs(s)),
    "RelaxedOneHotCategorical": lambda s, t: ([_pos(())], _simplex(s)),
    "MultivariateNormal": lambda s, t: ([R.standard_normal(s + (3,))], [
        {"covariance_matrix": _spd(t)}, {"scale_tril": np.linalg.cholesky(_spd(t))},
        {"precision_matrix": _spd(t)}][R.integers(3)]),
    "LowRankMultivariateNormal": lambda s, t: ([R.standard_normal(s + (3,)),
                                                R.standard_normal(t + (3, 2)), _pos(t + (3,))], {}),
    "LogisticNormal": lambda s, t: ([R.standard_normal(s + (3,)), _pos(t + (3,))], {}),
}
SCALAR_OK = {"Normal", "Cauchy", "Laplace", "Gumbel", "LogNormal", "HalfNormal", "HalfCauchy",
             "Exponential", "Gamma", "InverseGamma", "Chi2", "Beta", "Kumaraswamy", "Uniform",
             "StudentT", "FisherSnedecor", "Pareto", "Weibull", "VonMises", "Poisson"}


def _case(name):
    s = SHAPES[R.integers(len(SHAPES))]
    t = s[1:] if s and R.random() < 0.3 else s
    args, kw = GEN[name](s, t)
    if name in SCALAR_OK and R.random() < 0.2 and all(np.size(a) for a in args):
        args = [float(np.asarray(a).reshape(-1)[0]) for a in args]
    return args, kw, ("float32", "float64")[R.integers(2)]


def _build(lib, name, args, kw, dt, **extra):
    def conv(x):
        return lib.tensor(x, dtype=getattr(lib, dt)) if isinstance(x, np.ndarray) else x
    return getattr(lib.distributions, name)(*map(conv, args),
                                            **{k: conv(v) for k, v in kw.items()}, **extra)


def _observe(lib, name, args, kw, dt):
    """Everything a user looks at, as plain Python/NumPy values (errors by type)."""
    out = []

    def grab(f):
        try:
            v = f()
        except Exception as e:  # noqa: BLE001 - the type is the observation
            out.append(("raise", type(e).__name__))
            return
        if isinstance(v, lib.Tensor):
            out.append((tuple(v.shape), str(v.dtype).split(".")[-1],
                        v.detach().numpy().astype(np.float64)))
        else:
            out.append(str(v).replace(lib.__name__, "LIB"))

    try:
        d = _build(lib, name, args, kw, dt)
    except Exception as e:  # noqa: BLE001 - e.g. the (0, -1) reshape of validation
        return [["raise", type(e).__name__, str(e).replace(lib.__name__, "LIB")]]
    grab(lambda: (tuple(d.batch_shape), tuple(d.event_shape)))
    grab(lambda: repr(d))
    grab(lambda: d.support)
    for attr in ("mean", "mode", "variance", "stddev"):
        grab(lambda attr=attr: getattr(d, attr))
    grab(d.entropy)
    lib.manual_seed(7)
    grab(lambda: d.sample((2,)))
    lib.manual_seed(7)
    x = d.sample((2,))
    grab(lambda: d.log_prob(x))
    grab(lambda: d.cdf(x))
    grab(lambda: d.icdf(lib.full(tuple(d.batch_shape), 0.3, dtype=getattr(lib, dt))))
    if d.has_rsample:
        lib.manual_seed(8)
        grab(lambda: d.rsample())
    e = d.expand((2,) + tuple(d.batch_shape))
    lib.manual_seed(9)
    grab(lambda: (tuple(e.batch_shape), repr(e)))
    grab(e.sample)
    bad = lib.full(tuple(d.batch_shape) + tuple(d.event_shape), -1.5, dtype=getattr(lib, dt))
    grab(lambda: d.log_prob(bad))
    grab(lambda: _build(lib, name, args, kw, dt, validate_args=True).log_prob(bad))
    return out


def test_seeded_distribution_fuzz(torch):
    """A few hundred random distributions (all the common families, random batch shapes
    including 0-dim/size-0/size-1 and broadcast parameters, scalar parameters, probs or
    logits, float32/float64): shapes, dtypes, reprs, moments, entropy, same-seed samples,
    log_prob/cdf/icdf, expand and validate_args errors match PyTorch."""
    checked = 0
    for _ in range(4):
        for name in GEN:
            args, kw, dt = _case(name)
            got, want = (_observe(lib, name, args, kw, dt) for lib in (ember, torch))
            assert len(got) == len(want), name
            for i, (g, w) in enumerate(zip(got, want)):
                where = f"{name} {dt} {args} {kw} observation {i}"
                if isinstance(w, tuple) and len(w) == 3:
                    assert isinstance(g, tuple) and g[:2] == w[:2], where
                    tol = 1e-8 if w[1] == "float64" else 1e-4  # scalar params: float32
                    np.testing.assert_allclose(g[2], w[2], rtol=tol, atol=tol, equal_nan=True,
                                               err_msg=where)
                else:
                    assert g == w, where
                checked += 1
    assert checked > 1500
