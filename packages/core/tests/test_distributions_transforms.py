"""ember.distributions.transforms, constraints and the biject_to / transform_to registries
against PyTorch's: values, inverses, log-Jacobians and their gradients, shapes, reprs."""

from __future__ import annotations

import numpy as np
import pytest
from _dist_helpers import close

import ember

T = ember.distributions.transforms
C = ember.distributions.constraints


def _x(shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


# (builder given the library, input shape, input range)
TRANSFORMS = [
    ("exp", lambda L: L.distributions.transforms.ExpTransform(), (2, 3), (-2, 2)),
    ("power", lambda L: L.distributions.transforms.PowerTransform(L.tensor([0.5, 2.0, -1.5])),
     (2, 3), (0.2, 3)),
    ("sigmoid", lambda L: L.distributions.transforms.SigmoidTransform(), (2, 3), (-4, 4)),
    ("softplus", lambda L: L.distributions.transforms.SoftplusTransform(), (2, 3), (-4, 4)),
    ("tanh", lambda L: L.distributions.transforms.TanhTransform(), (2, 3), (-3, 3)),
    ("abs", lambda L: L.distributions.transforms.AbsTransform(), (2, 3), (-2, 2)),
    ("affine", lambda L: L.distributions.transforms.AffineTransform(1.5, -2.0), (2, 3), (-2, 2)),
    ("affine_tensor", lambda L: L.distributions.transforms.AffineTransform(
        L.tensor([0.0, 1.0, 2.0]), L.tensor([0.5, -1.0, 3.0]), event_dim=1), (2, 3), (-2, 2)),
    ("softmax", lambda L: L.distributions.transforms.SoftmaxTransform(), (2, 4), (-2, 2)),
    ("stick", lambda L: L.distributions.transforms.StickBreakingTransform(), (2, 3), (-2, 2)),
    ("lower_cholesky", lambda L: L.distributions.transforms.LowerCholeskyTransform(),
     (2, 3, 3), (-1, 1)),
    ("positive_definite", lambda L: L.distributions.transforms.PositiveDefiniteTransform(),
     (2, 3, 3), (-1, 1)),
    ("corr_cholesky", lambda L: L.distributions.transforms.CorrCholeskyTransform(), (2, 6),
     (-1, 1)),
    ("compose", lambda L: L.distributions.transforms.ComposeTransform([
        L.distributions.transforms.ExpTransform(),
        L.distributions.transforms.AffineTransform(2.0, 3.0)]), (2, 3), (-2, 2)),
    ("compose_event", lambda L: L.distributions.transforms.ComposeTransform([
        L.distributions.transforms.AffineTransform(0.5, 2.0),
        L.distributions.transforms.StickBreakingTransform()]), (2, 3), (-2, 2)),
    ("independent", lambda L: L.distributions.transforms.IndependentTransform(
        L.distributions.transforms.ExpTransform(), 1), (2, 3), (-2, 2)),
    ("reshape", lambda L: L.distributions.transforms.ReshapeTransform((2, 3), (3, 2)),
     (4, 2, 3), (-2, 2)),
    ("cat", lambda L: L.distributions.transforms.CatTransform([
        L.distributions.transforms.ExpTransform(),
        L.distributions.transforms.AffineTransform(1.0, 2.0)], dim=1, lengths=[1, 2]),
     (2, 3), (-2, 2)),
    ("stack", lambda L: L.distributions.transforms.StackTransform([
        L.distributions.transforms.ExpTransform(),
        L.distributions.transforms.SigmoidTransform()], dim=1), (3, 2), (-2, 2)),
    ("inverse_exp", lambda L: L.distributions.transforms.ExpTransform().inv, (2, 3), (0.2, 3)),
]


@pytest.mark.parametrize("case", TRANSFORMS, ids=[c[0] for c in TRANSFORMS])
def test_transform_against_pytorch(torch, case):
    _, make, shape, (lo, hi) = case
    te, tt = make(ember), make(torch)
    x = _x(shape, low=lo, high=hi)
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ye, yt = te(xe), tt(xt)
    close(ye, yt)
    assert repr(te) == repr(tt)
    assert te.bijective == tt.bijective
    assert repr(te.domain) == repr(tt.domain) and repr(te.codomain) == repr(tt.codomain)
    assert te.domain.event_dim == tt.domain.event_dim
    assert tuple(te.forward_shape(shape)) == tuple(tt.forward_shape(torch.Size(shape)))
    assert tuple(te.inverse_shape(tuple(yt.shape))) == tuple(tt.inverse_shape(yt.shape))
    close(te.inv(ye.detach()), tt.inv(yt.detach()), rtol=1e-7, atol=1e-9)
    try:
        lt = tt.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            te.log_abs_det_jacobian(xe, ye)
        return
    le = te.log_abs_det_jacobian(xe, ye)
    close(le, lt)
    w = np.linspace(0.5, 1.5, lt.numel()).reshape(tuple(lt.shape))
    close(ember.autograd.grad((le * ember.tensor(w)).sum() + ye.sum(), [xe])[0],
          torch.autograd.grad((lt * torch.tensor(w)).sum() + yt.sum(), [xt])[0], rtol=1e-7)
    try:
        st = tt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            te.sign  # noqa: B018
    else:
        se = te.sign
        if hasattr(st, "numpy"):
            close(se, st)
        else:
            assert se == st


def test_transform_cache_and_identity(torch):
    t = T.ExpTransform(cache_size=1)
    x = ember.tensor([0.5, 1.0])
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.identity_transform(x) is x
    close(T.identity_transform.log_abs_det_jacobian(x, x), torch.zeros(2))
    c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 2.0)])
    assert c.inv.inv is c
    assert c.inv == T.ComposeTransform([T.AffineTransform(0.0, 2.0).inv, T.ExpTransform().inv])
    with pytest.raises(TypeError):
        hash(T.ExpTransform())
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((2, 3), (4,))
    with pytest.raises(ValueError, match="Please use either"):
        _ = T.CorrCholeskyTransform().event_dim


def test_cumulative_distribution_transform(torch):
    outs = []
    for L in (ember, torch):
        d = L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0]))
        outs.append(L.distributions.transforms.CumulativeDistributionTransform(d))
    x = np.array([[0.3, -0.5]])
    close(outs[0](ember.tensor(x)), outs[1](torch.tensor(x)))
    close(outs[0].inv(ember.tensor([0.2, 0.7])), outs[1].inv(torch.tensor([0.2, 0.7])))
    close(outs[0].log_abs_det_jacobian(ember.tensor(x), None),
          outs[1].log_abs_det_jacobian(torch.tensor(x), None))


# ---------------------------------------------------------------------- constraints
CONSTRAINTS = [
    ("real", lambda L: L.distributions.constraints.real, (5,)),
    ("positive", lambda L: L.distributions.constraints.positive, (5,)),
    ("nonnegative", lambda L: L.distributions.constraints.nonnegative, (5,)),
    ("unit_interval", lambda L: L.distributions.constraints.unit_interval, (5,)),
    ("interval", lambda L: L.distributions.constraints.interval(-1.0, 0.5), (5,)),
    ("half_open", lambda L: L.distributions.constraints.half_open_interval(-1.0, 0.0), (5,)),
    ("greater_than", lambda L: L.distributions.constraints.greater_than(0.3), (5,)),
    ("less_than", lambda L: L.distributions.constraints.less_than(0.3), (5,)),
    ("boolean", lambda L: L.distributions.constraints.boolean, (5,)),
    ("nonneg_int", lambda L: L.distributions.constraints.nonnegative_integer, (5,)),
    ("int_interval", lambda L: L.distributions.constraints.integer_interval(0, 2), (5,)),
    ("simplex", lambda L: L.distributions.constraints.simplex, (4, 3)),
    ("real_vector", lambda L: L.distributions.constraints.real_vector, (4, 3)),
    ("one_hot", lambda L: L.distributions.constraints.one_hot, (4, 3)),
    ("multinomial", lambda L: L.distributions.constraints.multinomial(3), (4, 3)),
    ("lower_triangular", lambda L: L.distributions.constraints.lower_triangular, (4, 3, 3)),
    ("lower_cholesky", lambda L: L.distributions.constraints.lower_cholesky, (4, 3, 3)),
    ("corr_cholesky", lambda L: L.distributions.constraints.corr_cholesky, (4, 3, 3)),
    ("square", lambda L: L.distributions.constraints.square, (4, 3, 3)),
    ("symmetric", lambda L: L.distributions.constraints.symmetric, (4, 3, 3)),
    ("positive_definite", lambda L: L.distributions.constraints.positive_definite, (4, 3, 3)),
    ("psd", lambda L: L.distributions.constraints.positive_semidefinite, (4, 3, 3)),
    ("independent", lambda L: L.distributions.constraints.independent(
        L.distributions.constraints.positive, 2), (4, 2, 3)),
    ("cat", lambda L: L.distributions.constraints.cat([
        L.distributions.constraints.positive, L.distributions.constraints.real], dim=-1,
        lengths=[1, 2]), (4, 3)),
    ("stack", lambda L: L.distributions.constraints.stack([
        L.distributions.constraints.positive, L.distributions.constraints.real,
        L.distributions.constraints.unit_interval], dim=-1), (4, 3)),
]


def _candidates(shape):
    r = np.random.default_rng(1)
    vals = [r.normal(size=shape), r.integers(0, 3, size=shape).astype(float),
            r.uniform(0, 1, size=shape)]
    if len(shape) >= 2:
        s = r.uniform(0, 1, shape)
        vals.append(s / s.sum(-1, keepdims=True))
        vals.append(np.eye(shape[-1])[r.integers(0, shape[-1], shape[:-1])])
    if len(shape) >= 3 and shape[-1] == shape[-2]:
        a = r.normal(size=shape)
        vals += [a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1]), np.tril(a),
                 np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1]))]
        L = np.tril(a)
        vals.append(L / np.linalg.norm(L, axis=-1, keepdims=True))
    return vals


@pytest.mark.parametrize("case", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraint_against_pytorch(torch, case):
    _, make, shape = case
    ce, ct = make(ember), make(torch)
    assert repr(ce) == repr(ct)
    assert ce.event_dim == ct.event_dim and ce.is_discrete == ct.is_discrete
    for v in _candidates(shape):
        close(ce.check(ember.tensor(v)), ct.check(torch.tensor(v)), rtol=0, atol=0)


def test_dependent_constraints():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(ember.zeros(1))
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        _ = C.dependent.event_dim
    d = C.dependent(is_discrete=True, event_dim=1)
    assert d.is_discrete and d.event_dim == 1
    assert C.is_dependent(ember.distributions.Uniform.support)
    assert ember.distributions.Uniform.support.event_dim == 0


# ---------------------------------------------------------------------- registries
REGISTRY_CASES = [
    lambda L: L.distributions.constraints.real,
    lambda L: L.distributions.constraints.positive,
    lambda L: L.distributions.constraints.nonnegative,
    lambda L: L.distributions.constraints.greater_than(1.5),
    lambda L: L.distributions.constraints.greater_than_eq(-1.0),
    lambda L: L.distributions.constraints.less_than(2.0),
    lambda L: L.distributions.constraints.unit_interval,
    lambda L: L.distributions.constraints.interval(-2.0, 3.0),
    lambda L: L.distributions.constraints.half_open_interval(0.0, 4.0),
    lambda L: L.distributions.constraints.simplex,
    lambda L: L.distributions.constraints.real_vector,
    lambda L: L.distributions.constraints.independent(L.distributions.constraints.positive, 1),
    lambda L: L.distributions.constraints.lower_cholesky,
    lambda L: L.distributions.constraints.positive_definite,
    lambda L: L.distributions.constraints.corr_cholesky,
    lambda L: L.distributions.constraints.cat([L.distributions.constraints.positive,
                                               L.distributions.constraints.real], -1, [1, 2]),
    lambda L: L.distributions.constraints.stack([L.distributions.constraints.positive,
                                                 L.distributions.constraints.real,
                                                 L.distributions.constraints.unit_interval], -1),
]


def _domain_input(c):
    ev = c.event_dim
    if repr(c).startswith(("LowerCholesky", "PositiveDefinite")):
        return _x((2, 3, 3), seed=3)
    if repr(c).startswith("CorrCholesky"):
        return _x((2, 3), seed=3)
    return _x((2, 3) if ev <= 1 else (2, 3, 3), seed=3)


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("make", REGISTRY_CASES, ids=range(len(REGISTRY_CASES)))
def test_registries_against_pytorch(torch, registry, make):
    ce, ct = make(ember), make(torch)
    re_, rt = getattr(ember.distributions, registry), getattr(torch.distributions, registry)
    try:
        tt = rt(ct)
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError, match=str(exc)):
            re_(ce)
        return
    te = re_(ce)
    assert repr(te) == repr(tt)
    x = _domain_input(ce)
    ye, yt = te(ember.tensor(x)), tt(torch.tensor(x))
    close(ye, yt, rtol=1e-8)
    assert bool(ce.check(ye).all())
    if tt.bijective:
        close(te.inv(ye), tt.inv(yt), rtol=1e-6, atol=1e-8)
        close(te.log_abs_det_jacobian(ember.tensor(x), ye),
              tt.log_abs_det_jacobian(torch.tensor(x), yt), rtol=1e-8)


def test_registry_register_and_errors():
    reg = ember.distributions.constraint_registry.ConstraintRegistry()
    with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
        reg(C.real)
    reg.register(C.real, lambda c: T.ExpTransform())
    assert isinstance(reg(C.real), T.ExpTransform)

    @reg.register(C.positive)
    def _f(c):
        return T.SoftplusTransform()

    assert isinstance(reg(C.positive), T.SoftplusTransform)
    with pytest.raises(TypeError, match="Expected constraint to be either"):
        reg.register(3, lambda c: None)
