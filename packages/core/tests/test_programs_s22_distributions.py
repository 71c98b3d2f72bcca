"""torch.distributions programs as users write them (VAE, policy gradient, Gaussian mixture,
Student-t / Dirichlet moments), run with torch and with ember on the same inputs: values,
shapes, dtypes and the grad_fn names the results carry."""

from __future__ import annotations

import numpy as np
import pytest

import ember


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _same(e, t, rtol=1e-6, atol=1e-6):
    """ember tensor ``e`` matches torch tensor ``t``: shape, dtype, grad_fn name, values."""
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert _name(e) == _name(t)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                               equal_nan=True)


def _both(torch, arr, grad=False, dtype="float32"):
    t = torch.tensor(np.asarray(arr), dtype=getattr(torch, dtype), requires_grad=grad)
    e = ember.tensor(np.asarray(arr), dtype=getattr(ember, dtype), requires_grad=grad)
    return e, t


def test_vae_normal_moments_are_the_parameters_themselves(torch):
    """Normal(mu, std).mean/.mode is ``mu`` itself (no ExpandBackward0 node) when the
    parameters already share a shape, as torch.broadcast_tensors returns them unchanged."""
    mu_e, mu_t = _both(torch, np.linspace(-1, 1, 6).reshape(2, 3), grad=True)
    lv_e, lv_t = _both(torch, np.linspace(-0.5, 0.5, 6).reshape(2, 3), grad=True)
    res = []
    for lib, mu, lv in ((ember, mu_e, lv_e), (torch, mu_t, lv_t)):
        lib.manual_seed(0)
        q = lib.distributions.Normal(mu, lib.exp(0.5 * lv))
        z = q.rsample()
        kl = lib.distributions.kl_divergence(q, lib.distributions.Normal(0.0, 1.0)).sum()
        (kl - q.log_prob(z).sum()).backward()
        res.append((q.mean, q.mode, q.stddev, q.variance, z, mu.grad, lv.grad))
        assert q.loc is mu
    for e, t in zip(*res):
        _same(e, t)


def test_broadcast_tensors_returns_same_shaped_inputs_unchanged(torch):
    a_e, a_t = _both(torch, np.ones((2, 3)), grad=True)
    b_e, b_t = _both(torch, np.ones(3), grad=True)
    for lib, a, b in ((ember, a_e, b_e), (torch, a_t, b_t)):
        x, y = lib.broadcast_tensors(a, b)
        assert x is a
        assert _name(y) == "ExpandBackward0"


def test_clone_contiguous_format_keeps_zero_dim(torch):
    e, t = _both(torch, 3.0, grad=True)
    ce = e.clone(memory_format=ember.contiguous_format)
    ct = t.clone(memory_format=torch.contiguous_format)
    _same(ce, ct)
    _same(e.contiguous(), t.contiguous())


@pytest.mark.parametrize("df", [[0.5, 1.5, 3.0, 4.0], 3.0, 0.7, 1.5])
def test_student_t_mean_variance_masked_like_torch(torch, df):
    """StudentT.mean/.variance: NaN for df <= 1, inf for 1 < df <= 2, written through masks
    (IndexPutBackward0) as torch does; gradients flow only where the value is finite."""
    df_e, df_t = _both(torch, df, grad=True)
    sc_e, sc_t = _both(torch, np.full(np.shape(df), 2.0), grad=True)
    lo_e, lo_t = _both(torch, np.full(np.shape(df), 0.5), grad=True)
    out = []
    for lib, d, s, lo in ((ember, df_e, sc_e, lo_e), (torch, df_t, sc_t, lo_t)):
        dist = lib.distributions.StudentT(d, lo, s)
        m, v = dist.mean, dist.variance
        fin = lib.isfinite(v)
        (lib.where(fin, v, 0.0).sum() + lib.where(lib.isfinite(m), m, 0.0).sum()).backward()
        out.append((m, v, d.grad, s.grad, lo.grad))
    for e, t in zip(*out):
        _same(e, t)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dirichlet_mode_one_hot_rows_like_torch(torch, dtype):
    conc = [[0.5, 0.2, 0.3], [2.0, 3.0, 1.0], [0.9, 0.95, 0.1]]
    c_e, c_t = _both(torch, conc, grad=True, dtype=dtype)
    out = []
    for lib, c in ((ember, c_e), (torch, c_t)):
        m = lib.distributions.Dirichlet(c).mode
        (m * lib.arange(3.0, dtype=m.dtype)).sum().backward()
        out.append((m, c.grad))
    for e, t in zip(*out):
        _same(e, t, rtol=1e-12 if dtype == "float64" else 1e-6)
    e, t = _both(torch, [0.5, 0.2, 0.3])
    _same(ember.distributions.Dirichlet(e).mode, torch.distributions.Dirichlet(t).mode)


def test_policy_gradient_categorical_program(torch):
    """REINFORCE step: seeded actions, log-probs, entropy bonus and the logits' gradient."""
    x = np.random.default_rng(0).standard_normal((5, 4))
    ret = np.arange(5.0)
    out = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        logits = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        d = lib.distributions.Categorical(logits=logits)
        a = d.sample()
        lp = d.log_prob(a)
        ent = d.entropy()
        loss = -(lp * lib.tensor(ret, dtype=lib.float32)).mean() - 0.01 * ent.mean()
        loss.backward()
        out.append((a, lp, ent, loss, logits.grad, d.probs, d.enumerate_support()))
    for e, t in zip(*out):
        _same(e, t)


PARAMS = {  # constructor, the tensors it takes, the attributes that hold them
    "Normal": (lambda D, a, b: D.Normal(a, b), ["loc", "scale"]),
    "Bernoulli": (lambda D, a, b: D.Bernoulli(a), ["probs"]),
    "BernoulliLogits": (lambda D, a, b: D.Bernoulli(logits=a), ["logits"]),
    "Gamma": (lambda D, a, b: D.Gamma(a, b), ["concentration", "rate"]),
    "Exponential": (lambda D, a, b: D.Exponential(b), ["rate"]),
    "Uniform": (lambda D, a, b: D.Uniform(a, b), ["low", "high"]),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), ["loc", "scale"]),
    "Poisson": (lambda D, a, b: D.Poisson(b), ["rate"]),
    "Geometric": (lambda D, a, b: D.Geometric(a), ["probs"]),
    "Cauchy": (lambda D, a, b: D.Cauchy(a, b), ["loc", "scale"]),
    "StudentT": (lambda D, a, b: D.StudentT(b, a, b), ["df", "loc", "scale"]),
    "Categorical": (lambda D, a, b: D.Categorical(logits=a), ["logits"]),
    "LogNormal": (lambda D, a, b: D.LogNormal(a, b), ["loc", "scale"]),
    "Gumbel": (lambda D, a, b: D.Gumbel(a, b), ["loc", "scale"]),
}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_same_shaped_parameters_are_held_as_given(torch, name):
    """A distribution keeps a parameter tensor that needs no broadcasting as the very tensor
    passed (so its moments carry no ExpandBackward0 node), as torch's do."""
    make, attrs = PARAMS[name]
    out = []
    for lib in (ember, torch):
        a = lib.tensor([0.3, 0.6], requires_grad=True)
        b = lib.tensor([1.5, 2.0], requires_grad=True)
        d = make(lib.distributions, a, b)
        held = [[getattr(d, k) is x for x in (a, b)] for k in attrs]
        out.append((held, _name(d.mean) if name not in ("Cauchy", "StudentT") else None))
    assert out[0] == out[1]


def test_vae_training_loop_program(torch):
    """Bernoulli-decoder VAE: Independent Normal posterior, rsample, KL to the prior, four Adam
    steps; the losses and the final weights match torch's."""
    pytest.importorskip("ember.nn")
    pytest.importorskip("ember.optim")
    x_np = (np.random.default_rng(0).random((16, 8)) > 0.5).astype(np.float32)
    out = []
    for lib in (ember, torch):
        nn, D = lib.nn, lib.distributions
        lib.manual_seed(0)
        enc = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        dec = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 8))
        opt = lib.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-2)
        x = lib.tensor(x_np)
        losses = []
        for _ in range(4):
            mu, log_std = enc(x).chunk(2, -1)
            q = D.Independent(D.Normal(mu, log_std.exp()), 1)
            z = q.rsample()
            px = D.Independent(D.Bernoulli(logits=dec(z)), 1)
            pz = D.Independent(D.Normal(lib.zeros_like(mu), lib.ones_like(mu)), 1)
            loss = -(px.log_prob(x) - D.kl_divergence(q, pz)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss)
        out.append((*losses, enc[0].weight, dec[2].bias))
    for e, t in zip(*out):
        _same(e, t, rtol=1e-5, atol=1e-6)


def test_mixture_density_network_program(torch):
    """MDN: MixtureSameFamily(Categorical(logits), Normal) negative log-likelihood under SGD
    with momentum, then seeded draws from the fitted mixture."""
    pytest.importorskip("ember.nn")
    pytest.importorskip("ember.optim")
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((16, 8)).astype(np.float32)
    y_np = rng.standard_normal(16).astype(np.float32)
    out = []
    for lib in (ember, torch):
        D = lib.distributions
        lib.manual_seed(1)
        net = lib.nn.Linear(8, 9)
        opt = lib.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        x, y = lib.tensor(x_np), lib.tensor(y_np)
        losses = []
        for _ in range(4):
            lg, mu, s = net(x).split(3, -1)
            g = D.MixtureSameFamily(D.Categorical(logits=lg),
                                    D.Normal(mu, lib.nn.functional.softplus(s) + 1e-3))
            loss = -g.log_prob(y).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss)
        out.append((*losses, g.sample((2,)), g.mean, g.variance, g.cdf(y), net.weight))
    for e, t in zip(*out):
        _same(e, t, rtol=1e-5, atol=1e-6)


def test_masked_action_categorical_program(torch):
    """Invalid actions masked with -inf logits: seeded actions, log-probs, entropy (finite)
    and the gradient through masked_fill."""
    lg_np = np.array([[1.0, 2.0, 0.5, -1.0], [0.3, 0.2, 0.1, 0.0]], np.float32)
    m_np = np.array([[True, False, True, True], [False, False, True, False]])
    out = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        lg = lib.tensor(lg_np, requires_grad=True)
        d = lib.distributions.Categorical(logits=lg.masked_fill(~lib.tensor(m_np), float("-inf")))
        a = d.sample((6,))
        lp, ent = d.log_prob(a), d.entropy()
        (ent.sum() + lp.sum()).backward()
        out.append((a, lp, ent, d.probs, d.logits, d.mode, lg.grad))
    for e, t in zip(*out):
        _same(e, t)


@pytest.mark.parametrize("df1", [[1.5, 3.0, 6.0], 4.0, 2.0])
def test_fisher_snedecor_mode_masked_like_torch(torch, df1):
    d1_e, d1_t = _both(torch, df1, grad=True, dtype="float64")
    d2_e, d2_t = _both(torch, np.full(np.shape(df1), 7.0), grad=True, dtype="float64")
    out = []
    for lib, a, b in ((ember, d1_e, d2_e), (torch, d1_t, d2_t)):
        m = lib.distributions.FisherSnedecor(a, b).mode
        lib.where(lib.isnan(m), 0.0, m).sum().backward()
        out.append((m, a.grad, b.grad))
    for e, t in zip(*out):
        _same(e, t, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Singular sample detected")
@pytest.mark.filterwarnings("ignore:Low df values detected")
@pytest.mark.parametrize("df,cov", [(3.0, np.eye(2) + 0.2), ([2.5, 4.0], np.eye(3) * 2)])
def test_wishart_rsample_redraw_like_torch(torch, df, cov):
    """Wishart.rsample redraws flagged samples through masked writes as torch (CopySlices /
    IndexPutBackward0 ends the graph): same seeded draws, node name and gradients."""
    df_e, df_t = _both(torch, df, grad=True, dtype="float64")
    c_e, c_t = _both(torch, cov, grad=True, dtype="float64")
    out = []
    for lib, d, c in ((ember, df_e, c_e), (torch, df_t, c_t)):
        lib.manual_seed(2)
        x = lib.distributions.Wishart(d, covariance_matrix=c).rsample()
        x.sum().backward()
        out.append((x, d.grad, c.grad))
    for e, t in zip(*out):
        _same(e, t, rtol=1e-10, atol=1e-10)


KL_PAIRS = {  # KLs that torch finishes with a masked write of inf (IndexPutBackward0)
    "Uniform-Uniform": lambda D, a, b: (D.Uniform(a, a + b), D.Uniform(a - 0.2, a + b * (2 * a + 0.5))),
    "Beta-Uniform": lambda D, a, b: (D.Beta(b, b + 1), D.Uniform(a - 0.5, b)),
    "Uniform-Exponential": lambda D, a, b: (D.Uniform(a - 0.5, b), D.Exponential(b)),
    "Uniform-Gamma": lambda D, a, b: (D.Uniform(a, b + 1), D.Gamma(b, a + 1)),
    "Uniform-Beta": lambda D, a, b: (D.Uniform(a * 0.1, a * 0.5 + 0.6), D.Beta(b, b + 1)),
    "Uniform-Pareto": lambda D, a, b: (D.Uniform(a + 0.5, b + 2), D.Pareto(b * 0.6, b)),
    "Pareto-Pareto": lambda D, a, b: (D.Pareto(a + 0.5, b), D.Pareto(a + 0.4 * b, b + 1)),
    "Pareto-Exponential": lambda D, a, b: (D.Pareto(a + 0.5, b), D.Exponential(b)),
    "Pareto-Gamma": lambda D, a, b: (D.Pareto(a + 0.5, b), D.Gamma(b, a + 1)),
    "Pareto-Normal": lambda D, a, b: (D.Pareto(a + 0.5, b + 0.5), D.Normal(a, b)),
    "Binomial-Binomial": lambda D, a, b: (D.Binomial(6, a + 0.1),
                                                  D.Binomial(a.new_tensor([6.0, 5.0, 6.0]), b / 4)),
}


@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_kl_with_infinite_entries_like_torch(torch, pair):
    """kl_divergence pairs whose support mismatch gives inf: values (inf where torch has
    them), the IndexPutBackward0 node and the gradient of the finite entries."""
    a_e, a_t = _both(torch, [0.1, 0.6, 0.3], grad=True, dtype="float64")
    b_e, b_t = _both(torch, [0.8, 1.5, 3.0], grad=True, dtype="float64")
    out = []
    for lib, a, b in ((ember, a_e, b_e), (torch, a_t, b_t)):
        p, q = KL_PAIRS[pair](lib.distributions, a, b)
        kl = lib.distributions.kl_divergence(p, q)
        kl[lib.isfinite(kl)].sum().backward()
        out.append((kl, a.grad, b.grad))
    for e, t in zip(*out):
        if t is None:
            assert e is None
        else:
            _same(e, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("a_dt,b_dt", [("float32", "float64"), ("float64", "float32"),
                                       ("float32", "int64")])
def test_solve_triangular_solves_in_a_dtype(torch, a_dt, b_dt):
    """linalg.solve_triangular casts B to A's dtype (no dtype error), as torch does."""
    a = np.array([[2.0, 0.0], [1.0, 3.0]])
    b = np.array([[1.0, 4.0], [2.0, -1.0]])
    res = []
    for lib in (ember, torch):
        A = lib.tensor(a).to(getattr(lib, a_dt))
        B = lib.tensor(b).to(getattr(lib, b_dt))
        res.append(lib.linalg.solve_triangular(A, B, upper=False))
    _same(*res)


def test_mvn_log_prob_of_float64_data_with_float32_parameters(torch):
    """A float32 MultivariateNormal scores float64 data (NumPy arrays made tensors) and
    answers in float32, as torch."""
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    cov = np.array([[2.0, 0.3], [0.3, 1.0]], np.float32)
    res = []
    for lib in (ember, torch):
        m = lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor(cov))
        res.append(m.log_prob(lib.tensor(x)))
    _same(*res)


@pytest.mark.parametrize("kind", ["tuple", "list", "Size", "int"])
def test_broadcast_shapes_error_shows_the_argument_as_given(torch, kind):
    """broadcast_shapes' message shows the clashing argument as passed (a Size as a Size), so
    a MultivariateNormal whose loc and covariance batch shapes clash fails as torch's."""
    msgs = []
    for lib in (ember, torch):
        make = {"tuple": tuple, "list": list, "Size": lib.Size, "int": lambda s: s[0]}[kind]
        with pytest.raises(RuntimeError) as err:
            lib.broadcast_shapes(make((3,)), make((4,)))
        msgs.append(str(err.value).replace("ember.", "torch."))
    assert msgs[0] == msgs[1]
    out = []
    for lib in (ember, torch):
        cov = lib.eye(2).expand(3, 1, 2, 2)
        with pytest.raises(RuntimeError) as err:
            lib.distributions.MultivariateNormal(lib.zeros(4, 1, 2), covariance_matrix=cov)
        out.append(str(err.value).replace("ember.", "torch."))
    assert out[0] == out[1]
