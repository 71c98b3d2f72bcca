"""Whole torch.distributions programs (s25 lane K), run with PyTorch and with Ember.

Each program is written against PyTorch; the test runs it in-process as written and again
with ``torch`` rewritten to ``ember``, and compares everything it prints (object addresses
dropped, "torch" read as "ember"): samples under a shared seed, log_probs, moments, reprs,
constraints, transforms, KL pairs and error texts.
"""
import contextlib
import io
import re

import pytest

torch = pytest.importorskip("torch")
ember = pytest.importorskip("ember")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")


def _run(src: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})
    return re.sub(r" at 0x[0-9a-f]+", "", buf.getvalue()).replace("torch", "ember")


def _check(src: str) -> None:
    was = torch.distributions.Distribution._validate_args
    try:
        expected = _run(src)
        got = _run(re.sub(r"\btorch\b", "ember", src))
    finally:
        torch.distributions.Distribution.set_default_validate_args(was)
    assert got.splitlines() == expected.splitlines()


PROGRAMS = {
    "p01": """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
for ep in range(5):
    states = torch.randn(6, 4)
    logits = policy(states)
    dist = Categorical(logits=logits)
    actions = dist.sample()
    logp = dist.log_prob(actions)
    rewards = (actions == (states[:, 0] > 0).long()).float()
    returns = torch.zeros_like(rewards)
    R = 0.0
    for t in reversed(range(6)):
        R = rewards[t] + 0.99 * R
        returns[t] = R
    returns = (returns - returns.mean()) / (returns.std() + 1e-8)
    loss = -(logp * returns).sum() - 0.01 * dist.entropy().mean()
    opt.zero_grad(); loss.backward(); opt.step()
    print(ep, actions.tolist(), f"{loss.item():.4f}", dist.entropy())
print(dist)
print(dist.probs)
print(dist.logits)
print(dist.batch_shape, dist.event_shape, dist.support)
print(logp.grad_fn)
print(dist.sample((3,)).shape)
print(dist.enumerate_support().shape)
print(dist.mode, dist.mean if False else '')
""",
    "p03": """\
import torch
from torch.distributions import Normal, MixtureSameFamily, Categorical, Independent
torch.manual_seed(2)
mix = Categorical(torch.ones(3))
comp = Normal(torch.tensor([-2., 0., 3.]), torch.tensor([0.5, 1., 0.7]))
gmm = MixtureSameFamily(mix, comp)
print(gmm)
x = gmm.sample((6,))
print(x)
print(gmm.log_prob(x))
print(gmm.mean, gmm.variance, gmm.stddev)
print(gmm.cdf(torch.tensor([0.0, 1.0])))
print(gmm.batch_shape, gmm.event_shape)
mix2 = Categorical(torch.rand(2, 4))
comp2 = Independent(Normal(torch.randn(2, 4, 3), torch.rand(2, 4, 3) + 0.5), 1)
gmm2 = MixtureSameFamily(mix2, comp2)
print(gmm2)
s = gmm2.sample((5,))
print(s.shape)
print(gmm2.log_prob(s))
print(gmm2.mean)
print(gmm2.variance)
# fit
logits = torch.zeros(3, requires_grad=True)
locs = torch.tensor([-1., 0., 1.], requires_grad=True)
ls = torch.zeros(3, requires_grad=True)
opt = torch.optim.Adam([logits, locs, ls], lr=0.1)
for i in range(5):
    g = MixtureSameFamily(Categorical(logits=logits), Normal(locs, ls.exp()))
    loss = -g.log_prob(x).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    print(i, f"{loss.item():.4f}")
print(locs.grad)
""",
    "p05": """\
import torch
from torch.distributions import *
torch.manual_seed(4)
ds = [Normal(0., 1.), LogNormal(torch.tensor([0., 1.]), torch.tensor([1., 0.5])), Laplace(torch.tensor([0., 1.]), torch.tensor([1., 2.])),
      Cauchy(torch.tensor([0.]), torch.tensor([1.])), Gumbel(torch.tensor([1., 2.]), torch.tensor([1., 2.])),
      StudentT(torch.tensor([3., 10.])), Chi2(torch.tensor([2., 5.])), Gamma(torch.tensor([2., 0.5]), torch.tensor([1., 3.])),
      Beta(torch.tensor([2., 0.5]), torch.tensor([3., 0.5])), Dirichlet(torch.tensor([1., 2., 3.])), Exponential(torch.tensor([1., 0.5])),
      Uniform(torch.tensor([0., -1.]), torch.tensor([1., 3.])), HalfNormal(torch.tensor([1., 2.])), HalfCauchy(torch.tensor([1., 2.])),
      Pareto(torch.tensor([1., 2.]), torch.tensor([3., 1.5])), Weibull(torch.tensor([1., 2.]), torch.tensor([0.5, 3.])),
      VonMises(torch.tensor([0., 1.]), torch.tensor([1., 4.]))]
for d in ds:
    print(d)
    s = d.sample((3,))
    print(s)
    print(d.log_prob(s))
    print(d.batch_shape, d.event_shape, d.support, d.has_rsample)
    for attr in ['mean', 'variance', 'stddev', 'mode']:
        try:
            print(attr, getattr(d, attr))
        except Exception as e:
            print(attr, type(e).__name__, e)
    for m in ['entropy']:
        try:
            print(m, d.entropy())
        except Exception as e:
            print(m, type(e).__name__, e)
    try:
        print('cdf', d.cdf(s))
        print('icdf', d.icdf(torch.tensor(0.3)))
    except Exception as e:
        print('cdf/icdf', type(e).__name__, e)
""",
    "p06": """\
import torch
from torch.distributions import MultivariateNormal, LowRankMultivariateNormal, kl_divergence
torch.manual_seed(5)
A = torch.randn(3, 3)
cov = A @ A.T + 0.5 * torch.eye(3)
mu = torch.tensor([1., -1., 0.5])
d1 = MultivariateNormal(mu, covariance_matrix=cov)
d2 = MultivariateNormal(mu, scale_tril=torch.linalg.cholesky(cov))
d3 = MultivariateNormal(mu, precision_matrix=torch.linalg.inv(cov))
for d in (d1, d2, d3):
    print(d)
    s = d.sample((2,))
    print(s)
    print(d.log_prob(s))
    print(d.entropy(), d.mean, d.variance, d.mode)
    print(d.batch_shape, d.event_shape)
print(d1.scale_tril)
print(d1.covariance_matrix)
print(d1.precision_matrix)
print(kl_divergence(d1, MultivariateNormal(torch.zeros(3), torch.eye(3))))
lr = LowRankMultivariateNormal(torch.zeros(2, 3), torch.randn(2, 3, 1), torch.rand(2, 3) + 0.1)
print(lr)
s = lr.rsample((4,))
print(s.shape, s)
print(lr.log_prob(s))
print(lr.entropy(), lr.variance, lr.covariance_matrix.shape)
print(lr.precision_matrix)
print(lr.scale_tril)
print(kl_divergence(lr, MultivariateNormal(torch.zeros(3), torch.eye(3))))
print(kl_divergence(lr, lr))
b = MultivariateNormal(torch.zeros(4, 2), torch.eye(2))
print(b.batch_shape, b.sample().shape, b.expand((3, 4)).batch_shape)
""",
    "p07": """\
import torch
from torch.distributions import Normal, Independent, TransformedDistribution, Uniform
from torch.distributions.transforms import AffineTransform, ExpTransform, SigmoidTransform, ComposeTransform, StickBreakingTransform, TanhTransform, PowerTransform, SoftmaxTransform
torch.manual_seed(6)
base = Normal(torch.zeros(3), torch.ones(3))
t = ComposeTransform([AffineTransform(1., 2.), ExpTransform()])
d = TransformedDistribution(base, [AffineTransform(1., 2.), ExpTransform()])
print(d)
x = d.sample((2,))
print(x)
print(d.log_prob(x))
print(d.batch_shape, d.event_shape, d.support)
print(t, t.inv, t(torch.tensor([0.5])), t.inv(torch.tensor([2.0])))
print(t.log_abs_det_jacobian(torch.tensor([0.5]), t(torch.tensor([0.5]))))
logistic = TransformedDistribution(Uniform(0., 1.), [SigmoidTransform().inv, AffineTransform(loc=0., scale=1.)])
print(logistic.sample((4,)))
print(logistic.log_prob(torch.tensor([0., 1., -2.])))
sb = StickBreakingTransform()
y = sb(torch.tensor([0.1, -0.3, 0.5]))
print(y, y.sum(), sb.inv(y))
print(sb.log_abs_det_jacobian(torch.tensor([0.1, -0.3, 0.5]), y))
print(sb.domain, sb.codomain, sb.forward_shape((4, 3)), sb.inverse_shape((4, 4)))
tanh_n = TransformedDistribution(Normal(0., 1.), [TanhTransform(cache_size=1)])
a = tanh_n.rsample((3,))
print(a, tanh_n.log_prob(a))
print(PowerTransform(2.)(torch.tensor([3.])), SoftmaxTransform()(torch.tensor([1., 2.])))
ind = Independent(Normal(torch.zeros(2, 3), torch.ones(2, 3)), 1)
print(ind, ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(2, 3)))
print(ind.entropy(), ind.mean, ind.support)
for tr in [ExpTransform(), SigmoidTransform(), AffineTransform(0., 1.), TanhTransform(), sb, t]:
    try:
        sg = tr.sign
    except NotImplementedError:
        sg = 'NIE'
    print(repr(tr), tr.bijective, sg, tr.event_dim)
""",
    "p09": """\
import torch
from torch.distributions import Categorical, Normal, Bernoulli, OneHotCategorical, RelaxedBernoulli, RelaxedOneHotCategorical
torch.manual_seed(7)
print(Categorical(torch.ones(3)).expand((2, 2)).sample())
c = Categorical(logits=torch.randn(4, 5))
print(c.sample(), c.sample((2, 3)).shape)
print(c.expand((3, 4)).sample())
print(Normal(torch.zeros(3), 1.).expand((2, 3)).sample())
rb = RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor([0.1, 0.5, 0.9]))
print(rb)
x = rb.rsample((3,))
print(x, rb.log_prob(x))
print(rb.temperature, rb.logits, rb.batch_shape, rb.support)
ro = RelaxedOneHotCategorical(torch.tensor(0.3), logits=torch.tensor([[1., 2., 0.5], [0., 0., 0.]]))
print(ro)
y = ro.rsample()
print(y, ro.log_prob(y))
print(ro.sample((2,)).shape, ro.event_shape)
oh = OneHotCategorical(logits=torch.randn(2, 4))
print(oh.sample(), oh.sample((3,)).shape, oh.enumerate_support().shape, oh.mode, oh.entropy())
lg = torch.randn(3, 4, requires_grad=True)
z = RelaxedOneHotCategorical(torch.tensor(1.0), logits=lg).rsample()
z.pow(2).sum().backward()
print(lg.grad)
print(torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True))
print(Bernoulli(logits=torch.randn(5)).sample())
print(torch.bernoulli(torch.full((6,), 0.3)))
""",
    "p10": """\
import torch
from torch.distributions import *
torch.manual_seed(8)
pairs = [(Normal(0., 1.), Normal(1., 2.)), (Bernoulli(0.3), Bernoulli(0.6)), (Categorical(torch.tensor([0.2, 0.8])), Categorical(torch.tensor([0.5, 0.5]))),
         (Beta(2., 3.), Beta(1., 1.)), (Gamma(2., 1.), Gamma(3., 2.)), (Exponential(1.), Exponential(2.)), (Laplace(0., 1.), Laplace(1., 2.)),
         (Dirichlet(torch.ones(3)), Dirichlet(torch.tensor([1., 2., 3.]))), (Poisson(2.), Poisson(3.)), (Uniform(0., 1.), Uniform(-1., 2.)),
         (Uniform(0., 1.), Normal(0., 1.)), (Normal(0., 1.), Uniform(0., 1.)), (Geometric(0.3), Geometric(0.5)), (Gumbel(0., 1.), Gumbel(1., 2.)),
         (HalfNormal(1.), HalfNormal(2.)), (Pareto(1., 2.), Pareto(1., 3.)), (Binomial(5, 0.3), Binomial(5, 0.6)), (Cauchy(0., 1.), Cauchy(1., 2.)),
         (StudentT(3.), StudentT(4.)), (VonMises(0., 1.), VonMises(1., 2.)), (LogNormal(0., 1.), LogNormal(1., 2.)), (Exponential(1.), Gamma(2., 1.)),
         (Gamma(2., 1.), Exponential(1.)), (Beta(2., 2.), Uniform(0., 1.)), (Normal(0., 1.), Laplace(0., 1.)), (Weibull(1., 2.), Weibull(1., 3.)),
         (OneHotCategorical(torch.tensor([0.2, 0.8])), OneHotCategorical(torch.tensor([0.5, 0.5]))), (Independent(Normal(torch.zeros(2), 1.), 1), Independent(Normal(torch.ones(2), 2.), 1)),
         (Chi2(3.), Chi2(4.)), (Normal(0., 1.), Gumbel(0., 1.)), (Exponential(1.), Normal(0., 1.)), (Laplace(0., 1.), Normal(0., 1.)),
         (Gumbel(0., 1.), Normal(0., 1.)), (Beta(2., 2.), Normal(0., 1.)), (Poisson(2.), Bernoulli(0.5)), (Bernoulli(0.5), Poisson(2.))]
for p, q in pairs:
    try:
        print(type(p).__name__, type(q).__name__, kl_divergence(p, q))
    except Exception as e:
        print(type(p).__name__, type(q).__name__, type(e).__name__, e)
""",
    "p11": """\
import torch
from torch.distributions import Gamma, Beta, Dirichlet, Chi2, StudentT
torch.manual_seed(9)
a = torch.tensor([0.5, 1.0, 3.0, 20.0], requires_grad=True)
b = torch.tensor([1.0, 2.0, 0.5, 1.5], requires_grad=True)
g = Gamma(a, b)
x = g.rsample()
print(x)
x.sum().backward()
print(a.grad, b.grad)
a.grad = None; b.grad = None
bt = Beta(a, b)
y = bt.rsample((2,))
print(y)
y.sum().backward()
print(a.grad, b.grad)
conc = torch.tensor([0.5, 2.0, 5.0], requires_grad=True)
d = Dirichlet(conc)
z = d.rsample()
print(z)
(z * torch.tensor([1., 2., 3.])).sum().backward()
print(conc.grad)
df = torch.tensor([3.0, 7.0], requires_grad=True)
s = StudentT(df).rsample((2,))
print(s)
s.sum().backward()
print(df.grad)
c = Chi2(torch.tensor([4.0], requires_grad=True))
print(c.rsample((3,)))
print(torch._standard_gamma(torch.tensor([1.0, 2.0])) if hasattr(torch, '_standard_gamma') else 'n/a')
print(torch.distributions.Gamma(torch.tensor([0.01, 0.1]), 1.).sample((3,)))
""",
    "p12": """\
import torch
from torch.distributions import Poisson, Binomial, Multinomial, Geometric, NegativeBinomial, VonMises, Cauchy, Categorical
torch.manual_seed(10)
print(Poisson(torch.tensor([0.1, 5., 30., 500.])).sample((3,)))
print(Binomial(torch.tensor([10., 100., 1000.]), torch.tensor([0.5, 0.05, 0.9])).sample((3,)))
print(Binomial(50, torch.tensor([0.0, 1.0, 0.3])).sample())
print(Multinomial(100, torch.tensor([0.1, 0.2, 0.3, 0.4])).sample((2,)))
print(Multinomial(probs=torch.tensor([[0.5, 0.5], [0.9, 0.1]])).sample())
print(Geometric(torch.tensor([0.01, 0.5, 1.0])).sample((2,)))
print(NegativeBinomial(torch.tensor([10., 1.]), torch.tensor([0.2, 0.9])).sample((3,)))
print(VonMises(torch.tensor([0., 2.]), torch.tensor([0.01, 50.])).sample((3,)))
print(Cauchy(0., 1.).sample((4,)))
print(Categorical(torch.rand(200)).sample((5,)))
m = Multinomial(10, logits=torch.randn(3))
s = m.sample((4,))
print(s, m.log_prob(s), m.mean, m.variance)
print(Poisson(3.).log_prob(torch.arange(5.)))
print(torch.poisson(torch.tensor([2., 7.])))
""",
    "p13": """\
import torch
from torch.distributions import constraints, biject_to, transform_to, Normal, Bernoulli, Categorical, Poisson, Beta, Gamma
c = [constraints.real, constraints.positive, constraints.nonnegative, constraints.unit_interval, constraints.simplex,
     constraints.interval(0., 1.), constraints.half_open_interval(0., 2.), constraints.greater_than(1.), constraints.greater_than_eq(0.5),
     constraints.less_than(3.), constraints.integer_interval(0, 5), constraints.nonnegative_integer, constraints.positive_integer,
     constraints.boolean, constraints.lower_cholesky, constraints.positive_definite, constraints.real_vector, constraints.corr_cholesky,
     constraints.independent(constraints.real, 1), constraints.one_hot, constraints.cat([constraints.real, constraints.positive], 0, [1, 1]),
     constraints.stack([constraints.real, constraints.positive], 0), constraints.square, constraints.symmetric, constraints.positive_semidefinite,
     constraints.multinomial(3)]
for k in c:
    print(k, k.is_discrete, k.event_dim)
x = torch.tensor([-1., 0., 0.5, 1., 2.])
for k in c[:10]:
    print(k.check(x))
print(constraints.simplex.check(torch.tensor([[0.2, 0.8], [0.5, 0.6]])))
print(constraints.lower_cholesky.check(torch.eye(2)), constraints.positive_definite.check(torch.eye(2)))
print(Normal.arg_constraints, Bernoulli.arg_constraints, Categorical.arg_constraints)
print(Poisson.support, Beta.support, Gamma.support)
for k in [constraints.positive, constraints.unit_interval, constraints.simplex, constraints.real, constraints.interval(-2., 3.), constraints.greater_than(1.), constraints.lower_cholesky, constraints.corr_cholesky]:
    try:
        print(k, biject_to(k))
    except NotImplementedError as e:
        print('NIE', e)
    print(transform_to(k))
t = biject_to(constraints.interval(-2., 3.))
print(t(torch.tensor([0., 5.])))
print(biject_to(constraints.simplex)(torch.tensor([0.1, 0.2])))
print(transform_to(constraints.simplex)(torch.tensor([0.1, 0.2])))
print(transform_to(constraints.lower_cholesky)(torch.tensor([[1., 2.], [3., 4.]])))
try:
    biject_to(constraints.integer_interval(0, 3))
except Exception as e:
    print(type(e).__name__, e)
""",
    "p14": """\
import torch
from torch.distributions import *
torch.manual_seed(11)
ds = [Kumaraswamy(torch.tensor([2.]), torch.tensor([3.])), LogisticNormal(torch.zeros(2), torch.ones(2)), ContinuousBernoulli(torch.tensor([0.2, 0.5, 0.8])),
      FisherSnedecor(torch.tensor([3.]), torch.tensor([5.])), InverseGamma(torch.tensor([3.]), torch.tensor([2.])), GeneralizedPareto(torch.tensor([0.]), torch.tensor([1.]), torch.tensor([0.2])),
      LKJCholesky(3, 0.5), Wishart(torch.tensor(4.), torch.eye(2)), RelaxedBernoulli(torch.tensor(1.), logits=torch.tensor([0.3]))]
for d in ds:
    print(d)
    s = d.sample((2,))
    print(s)
    print(d.log_prob(s))
    print(d.batch_shape, d.event_shape, d.support, d.has_rsample)
    for attr in ['mean', 'variance', 'mode']:
        try:
            print(attr, getattr(d, attr))
        except Exception as e:
            print(attr, type(e).__name__, e)
    try:
        print('entropy', d.entropy())
    except Exception as e:
        print('entropy', type(e).__name__, e)
""",
    "p15": """\
import torch
from torch.distributions import *
from torch.distributions.transforms import *
torch.manual_seed(12)
tests = [lambda: Bernoulli(0.5).rsample(), lambda: Categorical(torch.ones(2)).rsample(), lambda: Poisson(2.).rsample(),
         lambda: Gamma(2., 1.).icdf(torch.tensor(0.5)), lambda: Beta(2., 2.).cdf(torch.tensor(0.5)), lambda: Bernoulli(0.5).cdf(torch.tensor(1.)),
         lambda: StudentT(3.).cdf(torch.tensor(0.)), lambda: Normal(0., 1.).sample(3), lambda: Normal(0., 1.).sample([2, 2]).shape,
         lambda: Normal(0., 1.).sample(torch.Size([2])), lambda: Categorical(torch.ones(3)).perplexity(), lambda: Normal(0., 1.).perplexity(),
         lambda: Categorical(torch.ones(3)).param_shape, lambda: Bernoulli(0.3).param_shape, lambda: Binomial(3, 0.5).param_shape,
         lambda: Normal(torch.zeros(2), 1.).rsample((3,)).shape, lambda: Independent(Normal(torch.zeros(2), 1.), 2),
         lambda: TransformedDistribution(Normal(0., 1.), ExpTransform()).mean, lambda: TransformedDistribution(Normal(0., 1.), ExpTransform()).cdf(torch.tensor(1.)),
         lambda: TransformedDistribution(Normal(0., 1.), ExpTransform()).icdf(torch.tensor(0.5)), lambda: TransformedDistribution(Normal(torch.zeros(3), 1.), StickBreakingTransform()),
         lambda: TransformedDistribution(Normal(torch.zeros(3), 1.), StickBreakingTransform()).sample(), lambda: ExpTransform() == ExpTransform(),
         lambda: AffineTransform(0., 1.) == AffineTransform(0., 1.), lambda: ExpTransform().inv.inv, lambda: ComposeTransform([]),
         lambda: AbsTransform()(torch.tensor([-1., 2.])), lambda: AbsTransform().inv(torch.tensor([1.])),
         lambda: ReshapeTransform((4,), (2, 2))(torch.arange(4.)), lambda: IndependentTransform(ExpTransform(), 1),
         lambda: CatTransform([ExpTransform(), AffineTransform(0., 2.)], 0, [1, 1])(torch.tensor([0., 1.])),
         lambda: StackTransform([ExpTransform(), AffineTransform(0., 2.)], 0)(torch.tensor([0., 1.])),
         lambda: CorrCholeskyTransform()(torch.tensor([0.1, 0.2, 0.3])), lambda: LowerCholeskyTransform()(torch.tensor([[1., 2.], [3., 4.]])),
         lambda: CumulativeDistributionTransform(Normal(0., 1.))(torch.tensor([0., 1.])), lambda: SoftplusTransform()(torch.tensor([0., 1.])),
         lambda: PositiveDefiniteTransform()(torch.tensor([[1., 0.], [0.5, 1.]])), lambda: SigmoidTransform().log_abs_det_jacobian(torch.tensor(0.), torch.tensor(0.5)),
         lambda: TanhTransform().inv(torch.tensor([0.5, 0.99])), lambda: ExpTransform().with_cache(1), lambda: ExpTransform().sign, lambda: Transform()(torch.tensor(1.)),
         lambda: AffineTransform(torch.tensor([1., 2.]), 2., event_dim=1).log_abs_det_jacobian(torch.zeros(2), torch.zeros(2)),
         lambda: Normal(0., 1.).log_prob(1.), lambda: Normal(0., 1.).expand([3]).log_prob(torch.zeros(3)),
        ]
for i, f in enumerate(tests):
    try:
        print(i, f())
    except Exception as e:
        print(i, type(e).__name__, e)
""",
    "p17": """\
import torch
from torch.distributions import Normal, Categorical, Bernoulli, Poisson, Exponential, Gamma, Dirichlet, Beta, Binomial
torch.manual_seed(14)
d = Normal(torch.tensor([0., 1.], dtype=torch.float64), 1.)
print(d.sample().dtype, d.loc.dtype, d.scale.dtype, d.log_prob(torch.zeros(2)).dtype)
print(Normal(0, 1).loc.dtype, Normal(0, 1).sample())
print(Categorical(torch.ones(3, dtype=torch.float64)).sample().dtype)
print(Bernoulli(torch.tensor(0.3, dtype=torch.float64)).sample())
print(Poisson(torch.tensor([2.], dtype=torch.float64)).sample((3,)))
print(Exponential(torch.tensor([2.], dtype=torch.float64)).rsample((2,)))
print(Gamma(torch.tensor([2.], dtype=torch.float64), 1.).sample((2,)))
print(Dirichlet(torch.tensor([1., 2.], dtype=torch.float64)).sample())
print(Beta(torch.tensor(2., dtype=torch.float64), torch.tensor(3., dtype=torch.float64)).sample((2,)))
print(Binomial(5, torch.tensor([0.3], dtype=torch.float64)).sample((2,)))
x = Normal(torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)).rsample((2,))
print(x)
print(Normal(torch.tensor(0.), torch.tensor(1.)).log_prob(torch.tensor(1., dtype=torch.float64)).dtype)
try:
    print(Poisson(torch.tensor([3])))
except Exception as e:
    print(type(e).__name__, e)
try:
    print(Normal(torch.tensor([0]), torch.tensor([1])).sample())
except Exception as e:
    print(type(e).__name__, e)
print(Categorical(torch.tensor([1, 2, 3])).probs if False else '')
try:
    print(Bernoulli(torch.tensor([1, 0])).sample())
except Exception as e:
    print(type(e).__name__, e)
print(Normal(0., torch.tensor([1., 2.])).batch_shape)
print(Normal(torch.zeros(3, 1), torch.ones(1, 4)).batch_shape)
""",
    "p19": """\
import torch
from torch.distributions import *
torch.manual_seed(16)
print(Normal(0., 1.), Normal(torch.tensor(0.5), torch.tensor(2.)))
print(Categorical(probs=torch.tensor([1., 2., 3.])), Categorical(probs=torch.tensor([1., 2., 3.])).probs, Categorical(probs=torch.tensor([1., 2., 3.])).logits)
print(Bernoulli(logits=torch.tensor([0., 3.])).probs, Bernoulli(probs=torch.tensor([0., 1.])).logits)
print(Bernoulli(probs=torch.tensor([0., 1.])).entropy(), Categorical(probs=torch.tensor([0., 1.])).entropy())
print(Bernoulli(0.3), Uniform(0., 1.), Exponential(2.), Gamma(1., 2.), Beta(0.5, 0.5), Poisson(3.), Dirichlet(torch.ones(2)))
print(MixtureSameFamily(Categorical(torch.ones(2)), Normal(torch.zeros(2), torch.ones(2))))
print(Independent(Normal(torch.zeros(2), torch.ones(2)), 1))
print(Binomial(3, 0.5), Multinomial(3, torch.ones(2)), Geometric(0.5), LogNormal(0., 1.), HalfNormal(1.), StudentT(2.), VonMises(0., 1.))
print(MultivariateNormal(torch.zeros(2), torch.eye(2)), LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(2)))
print(RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor(0.3)), RelaxedOneHotCategorical(torch.tensor(0.5), probs=torch.ones(3)))
print(OneHotCategorical(torch.ones(3)), NegativeBinomial(3, 0.5), Pareto(1., 1.), Weibull(1., 1.), Gumbel(0., 1.), Laplace(0., 1.), Cauchy(0., 1.), HalfCauchy(1.), Chi2(3.))
print(Normal(0., 1.).expand((2,)), Normal(0., 1.).expand((2,)).loc)
print(Categorical(logits=torch.tensor([[1., 2.], [3., 4.]])).logits)
class MyDist(Distribution):
    arg_constraints = {}
    def __init__(self):
        super().__init__(torch.Size([2]), validate_args=False)
print(MyDist(), MyDist().batch_shape)
try:
    MyDist().sample()
except Exception as e:
    print(type(e).__name__, e)
try:
    MyDist().mean
except Exception as e:
    print(type(e).__name__, e)
print(Normal(torch.zeros(2), 1.).log_prob(torch.zeros(3, 1)).shape)
print(Distribution._validate_args if hasattr(Distribution, '_validate_args') else '')
""",
    "p20": """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical
torch.manual_seed(17)
# score-function gradient for a Bernoulli latent
theta = torch.tensor([0.0, 0.5, -0.5], requires_grad=True)
opt = torch.optim.SGD([theta], lr=0.5)
target = torch.tensor([1., 0., 1.])
for step in range(6):
    d = Bernoulli(logits=theta)
    b = d.sample((16,))
    f = -(b - target).pow(2).sum(-1)
    baseline = f.mean()
    surrogate = ((f - baseline).detach() * d.log_prob(b).sum(-1)).mean()
    opt.zero_grad(); (-surrogate).backward(); opt.step()
    # (the entropy's log1p/exp are NumPy's, not PyTorch's SLEEF: last-bit noise in float32)
    print(step, f"{f.mean().item():.4f}", theta.data, f"{d.entropy().sum().item():.6f}")
# a tiny classifier: sample predicted class
net = nn.Linear(4, 3)
x = torch.randn(5, 4)
probs = F.softmax(net(x), dim=-1)
c = Categorical(probs)
s = c.sample()
print(s, c.log_prob(s), c.probs.sum(-1))
lp = c.log_prob(s).sum()
lp.backward()
print(net.weight.grad)
print(c.sample((2,)), torch.multinomial(probs, 2))
""",
    "p22": """\
import torch
from torch.distributions import *
tests = [lambda: Normal(torch.zeros(2, 2), torch.tensor([[1., -1.], [2., 3.]])), lambda: Beta(torch.tensor([0.5, 0.]), 1.),
         lambda: Categorical(logits=torch.tensor([float('nan'), 1.])), lambda: Dirichlet(torch.tensor(1.)), lambda: Categorical(torch.tensor(1.)),
         lambda: MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor([[1., 0.], [1., -1.]])), lambda: MultivariateNormal(torch.zeros(3), torch.eye(2)),
         lambda: MultivariateNormal(torch.zeros(2), torch.eye(2), scale_tril=torch.eye(2)), lambda: LowRankMultivariateNormal(torch.zeros(2), torch.ones(3, 1), torch.ones(2)),
         lambda: Multinomial(3, torch.ones(2)).log_prob(torch.tensor([1., 1.])), lambda: Multinomial(3, torch.ones(2)).log_prob(torch.tensor([1.5, 1.5])),
         lambda: Binomial(5, 0.5).log_prob(torch.tensor(6.)), lambda: Poisson(2.).log_prob(torch.tensor(-1.)), lambda: Poisson(2.).log_prob(torch.tensor(1.5)),
         lambda: Geometric(0.5).log_prob(torch.tensor(-1.)), lambda: OneHotCategorical(torch.ones(3)).log_prob(torch.tensor([1., 1., 0.])),
         lambda: Exponential(1.).log_prob(torch.tensor([-1., 1.])), lambda: Gamma(1., 1.).log_prob(torch.tensor(0.)), lambda: LogNormal(0., 1.).log_prob(torch.tensor(-1.)),
         lambda: TransformedDistribution(Normal(0., 1.), ExpTransform()).log_prob(torch.tensor(-1.)), lambda: Independent(Normal(torch.zeros(2), 1.), 1).log_prob(torch.zeros(3)),
         lambda: Categorical(torch.ones(3)).log_prob(torch.tensor([0.5])), lambda: Bernoulli(0.5).log_prob(torch.tensor([0., 1., 2.])),
         lambda: VonMises(0., 1.).log_prob(torch.tensor(10.)), lambda: MixtureSameFamily(Categorical(torch.ones(3)), Normal(torch.zeros(2), 1.)),
         lambda: MixtureSameFamily(Normal(0., 1.), Normal(torch.zeros(2), 1.)), lambda: Uniform(torch.tensor([0., 1.]), torch.tensor([1., 1.])),
         lambda: Normal(0., 1., validate_args=True).log_prob(torch.tensor([1., float('inf')])), lambda: Pareto(1., 1.).log_prob(torch.tensor(0.5)),
         lambda: Wishart(3., torch.eye(2)).log_prob(torch.tensor([[1., 2.], [2., 1.]])), lambda: Wishart(1., torch.eye(3)),
         lambda: LKJCholesky(3, -1.), lambda: LKJCholesky(1, 1.), lambda: RelaxedBernoulli(0.5, probs=2.), lambda: Binomial(torch.tensor([-1.]), 0.5),
         lambda: Chi2(0.), lambda: StudentT(-1.), lambda: HalfNormal(1.).log_prob(torch.tensor(-1.)), lambda: Kumaraswamy(1., 1.).log_prob(torch.tensor(1.5)),
        ]
for i, f in enumerate(tests):
    try:
        print(i, f())
    except Exception as e:
        print(i, type(e).__name__, e)
""",
    "p23": """\
import torch
from torch.distributions import *
from torch.distributions.kl import register_kl
torch.manual_seed(19)
locs = torch.randn(3, 2)
L = torch.tril(torch.randn(3, 2, 2))
L = L + torch.diag_embed(L.diagonal(dim1=-2, dim2=-1).abs() + 0.5) - torch.diag_embed(L.diagonal(dim1=-2, dim2=-1))
comp = MultivariateNormal(locs, scale_tril=L)
gmm = MixtureSameFamily(Categorical(logits=torch.zeros(3)), comp)
print(gmm, gmm.batch_shape, gmm.event_shape)
x = gmm.sample((4,))
print(x, gmm.log_prob(x))
print(gmm.mean, gmm.variance)
post = gmm._pad(x) if hasattr(gmm, '_pad') else None
lp = comp.log_prob(x.unsqueeze(-2))
resp = torch.softmax(lp, -1)
print(resp)
print(comp.expand((2, 3)).batch_shape, comp.expand((2, 3)).sample().shape)
ib = Independent(Bernoulli(torch.full((2, 3), 0.3)), 1)
print(ib.entropy(), ib.log_prob(torch.ones(2, 3)), ib.sample((2,)).shape)
cat = Categorical(logits=torch.randn(2, 3, 4))
print(cat.batch_shape, cat.sample().shape, cat.log_prob(torch.zeros(2, 3, dtype=torch.long)).shape, cat.entropy().shape)
class Foo(Normal):
    pass
try:
    kl_divergence(Foo(0., 1.), Beta(1., 1.))
except NotImplementedError as e:
    print('NIE', e)
print(kl_divergence(Foo(0., 1.), Normal(1., 1.)))
@register_kl(Foo, Beta)
def _kl_foo_beta(p, q):
    return torch.tensor(42.)
print(kl_divergence(Foo(0., 1.), Beta(1., 1.)))
print(kl_divergence(comp, comp))
print(kl_divergence(MultivariateNormal(torch.zeros(2), torch.eye(2)), comp))
td = TransformedDistribution(Independent(Normal(torch.zeros(3), 1.), 1), [StickBreakingTransform()])
s = td.sample((2,))
print(s, td.log_prob(s), td.event_shape, td.batch_shape)
d = Dirichlet(torch.tensor([2., 3., 4., 1.]))
print(d.log_prob(s), d.mode, d.entropy())
print(kl_divergence(Independent(Normal(torch.zeros(3), 1.), 1), Independent(Normal(torch.ones(3), 2.), 1)))
try:
    kl_divergence(Independent(Normal(torch.zeros(3), 1.), 1), Normal(torch.ones(3), 2.))
except NotImplementedError as e:
    print('NIE', e)
""",
    "p26": """\
import torch
from torch.distributions import *
torch.manual_seed(22)
print(Categorical(torch.ones(2, 3)).enumerate_support(expand=False), Categorical(torch.ones(2, 3)).enumerate_support().shape)
print(Bernoulli(torch.tensor([0.2, 0.4])).enumerate_support(), Binomial(3, torch.tensor([0.2, 0.4])).enumerate_support())
print(OneHotCategorical(torch.ones(3)).enumerate_support(expand=False))
print(Bernoulli(0.3).has_enumerate_support, Normal(0., 1.).has_enumerate_support, Categorical(torch.ones(2)).has_enumerate_support)
q = torch.tensor([0.1, 0.5, 0.9])
for d in [Laplace(0., 2.), Cauchy(1., 2.), Uniform(-1., 3.), Exponential(2.), Normal(1., 2.), Gumbel(0., 1.) if False else Normal(0., 1.), HalfNormal(2.), HalfCauchy(1.), LogNormal(0., 1.)]:
    try:
        x = d.icdf(q)
        print(type(d).__name__, x, d.cdf(x))
    except Exception as e:
        print(type(d).__name__, type(e).__name__, e)
loc = torch.tensor(0.5, requires_grad=True); sc = torch.tensor(2., requires_grad=True)
c = Laplace(loc, sc).cdf(torch.tensor([0., 1., 3.])).sum() + Cauchy(loc, sc).icdf(torch.tensor(0.7))
c.backward()
print(loc.grad, sc.grad)
Distribution.set_default_validate_args(False)
print(Normal(0., -1.).scale)
Distribution.set_default_validate_args(True)
print(TransformedDistribution(Normal(0., 1.), [ExpTransform()]).support, TransformedDistribution(Normal(0., 1.), [SigmoidTransform()]).support)
print(TransformedDistribution(Uniform(0., 1.), [AffineTransform(2., 3.)]).support)
print(Uniform(0., 2.).support, Binomial(4, 0.5).support, Independent(Uniform(torch.zeros(2), 1.), 1).support)
print(LogNormal(0., 1.).mode, Gumbel(0., 1.).mode, Weibull(1., 2.).mode, Pareto(1., 2.).mode, Beta(2., 3.).mode, Gamma(3., 2.).mode, VonMises(1., 2.).mode, StudentT(3.).mode)
print(MultivariateNormal(torch.zeros(2, 3), torch.eye(3)).entropy(), LowRankMultivariateNormal(torch.zeros(3), torch.ones(3, 2), torch.ones(3)).entropy())
print(Categorical(torch.tensor([0.3, 0.7])).mean if False else Categorical(torch.tensor([0.3, 0.7])).mode)
for name in ['mean', 'variance']:
    try:
        print(getattr(Categorical(torch.tensor([0.3, 0.7])), name))
    except Exception as e:
        print(type(e).__name__, e)
""",
    "p27": """\
import copy, pickle
import torch
from torch.distributions import *
from torch.distributions.utils import logits_to_probs, probs_to_logits, broadcast_all, clamp_probs
torch.manual_seed(23)
d = Normal(torch.tensor([0., 1.]), torch.tensor([1., 2.]))
d2 = copy.deepcopy(d)
print(d2, d2.loc, d2.batch_shape)
d3 = pickle.loads(pickle.dumps(Categorical(logits=torch.tensor([1., 2.]))))
print(d3, d3.probs)
print(sorted(k for k in vars(Normal(0., 1.)).keys()))
print(sorted(k for k in vars(Categorical(torch.ones(2))).keys()))
c = Categorical(torch.ones(2)); _ = c.logits
print(sorted(vars(c).keys()))
print(logits_to_probs(torch.tensor([0., 1.])), logits_to_probs(torch.tensor([0., 1.]), is_binary=True), probs_to_logits(torch.tensor([0.2, 0.8])), clamp_probs(torch.tensor([0., 1.])))
print(broadcast_all(1., torch.zeros(2)), broadcast_all(torch.zeros(2, 1), torch.zeros(3)))
try:
    broadcast_all(1., 2.)
except Exception as e:
    print(type(e).__name__, e)
try:
    broadcast_all('a', torch.zeros(2))
except Exception as e:
    print(type(e).__name__, e)
print(Normal(0., 1.).log_prob(torch.tensor([1, 2])))
print(Categorical(torch.ones(3)).log_prob(torch.tensor([1., 2.])))
print(Poisson(torch.tensor([2.])).log_prob(torch.tensor([3])))
try:
    print(Bernoulli(torch.tensor([0.3])).log_prob(torch.tensor([True])))
except Exception as e:
    print(type(e).__name__, e)
try:
    print(Categorical(torch.ones(3)).log_prob(torch.tensor([1.5])))
except Exception as e:
    print(type(e).__name__, e)
n = Normal(torch.zeros(2, requires_grad=True), 1.)
print(n.mean.requires_grad, n.stddev, n.variance.requires_grad)
print(Normal(0., 1.).sample().shape, Normal(0., 1.).sample((0,)), Normal(torch.zeros(0), 1.).sample())
for f in (lambda: Categorical(torch.ones(3)).sample((2, 0)), lambda: Categorical(torch.ones(0, 3)).sample()):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
""",
    "p28": """\
import torch
import torch.nn as nn
from torch.distributions import *
torch.manual_seed(24)
m = torch.tensor(0.5, requires_grad=True)
s = torch.tensor([2.0], requires_grad=True)
print(Normal(m, s))
print(Normal(m * 2, s.exp()))
print(Gamma(torch.tensor([1.], dtype=torch.float64), 2.))
print(Bernoulli(logits=torch.tensor([[0.3]])))
print(Categorical(logits=torch.tensor([0.3])))
print(Uniform(torch.tensor(0., dtype=torch.float64), 1.))
lin = nn.Linear(2, 1)
d = Normal(lin(torch.ones(1, 2)).squeeze(), 1.)
print(d)
print(Beta(torch.tensor([0.5]), torch.tensor([0.5, 2.])))
print(Independent(Normal(m, s), 1))
print(MultivariateNormal(torch.zeros(1), torch.eye(1)))
print(Binomial(torch.tensor(5.), torch.tensor(0.5)))
print(Poisson(torch.tensor([3.])).expand((1,)))
print(TransformedDistribution(Normal(m, s), [ExpTransform()]))
print(LogNormal(m, s))
print(Normal(torch.tensor(1e-8), torch.tensor(1e5)))
print(Normal(torch.tensor(float('inf')), torch.tensor(1.), validate_args=False))
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(name: str) -> None:
    _check(PROGRAMS[name])
