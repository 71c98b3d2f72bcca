"""ember.func against torch.func: grad, vjp, jvp, jacrev, hessian, vmap, functional_call."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.func as ef

RNG = np.random.default_rng(0)


def _f(m):
    def fn(x, y):
        return (m.sin(x) * y).sum() + (x ** 3).sum()

    return fn


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_grad_argnums_has_aux_and_nesting(torch):
    tf = torch.func
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    tx, ty, ex, ey = torch.tensor(x), torch.tensor(y), ember.tensor(x), ember.tensor(y)
    _close(ef.grad(_f(ember))(ex, ey), tf.grad(_f(torch))(tx, ty))
    for a, b in zip(ef.grad(_f(ember), argnums=(0, 1))(ex, ey),
                    tf.grad(_f(torch), argnums=(0, 1))(tx, ty)):
        _close(a, b)
    g, aux = ef.grad(lambda a: (a.pow(2).sum(), a.mean()), has_aux=True)(ex)
    assert not g.requires_grad and aux.item() == pytest.approx(float(x.mean()))
    second = ef.grad(lambda a: ef.grad(_f(ember))(a, ey).sum())(ex)
    _close(second, tf.grad(lambda a: tf.grad(_f(torch))(a, ty).sum())(tx))
    gv = ef.grad_and_value(_f(ember))(ex, ey)
    _close(gv[1], tf.grad_and_value(_f(torch))(tx, ty)[1])
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        ef.grad(ember.sin)(ex)
    # an unused input gets a zero gradient, as in PyTorch
    assert ef.grad(lambda a, b: a.sum(), argnums=1)(ex, ey).tolist() == [0.0, 0.0, 0.0]


def test_vjp_jvp_jacobians(torch):
    tf = torch.func
    x, v = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    tx, tv, ex, ev = torch.tensor(x), torch.tensor(v), ember.tensor(x), ember.tensor(v)
    out, fn = ef.vjp(ember.tanh, ex)
    tout, tfn = tf.vjp(torch.tanh, tx)
    _close(out, tout)
    _close(fn(ev)[0], tfn(tv)[0])
    o, t = ef.jvp(lambda a: a.exp() * a, (ex,), (ev,))
    to, tt = tf.jvp(lambda a: a.exp() * a, (tx,), (tv,))
    _close(o, to)
    _close(t, tt)
    _close(ef.jacrev(ember.sin)(ex), tf.jacrev(torch.sin)(tx))
    _close(ef.jacfwd(lambda a: a.cumsum(1))(ex), tf.jacfwd(lambda a: a.cumsum(1))(tx))
    y = RNG.standard_normal(3)
    _close(ef.hessian(_f(ember))(ember.tensor(y), ember.tensor(y)),
           tf.hessian(_f(torch))(torch.tensor(y), torch.tensor(y)))


def test_vmap_dims_and_errors(torch):
    tf = torch.func
    X, W = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 5))
    got = ef.vmap(ember.mv, in_dims=(None, 1))(ember.tensor(X), ember.tensor(W))
    ref = tf.vmap(torch.mv, in_dims=(None, 1))(torch.tensor(X), torch.tensor(W))
    _close(got, ref)
    got = ef.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(ember.tensor(X))
    ref = tf.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(torch.tensor(X))
    for a, b in zip(got, ref):
        _close(a, b)
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        ef.vmap(ember.add)(ember.ones(2), ember.ones(3))
    with pytest.raises(ValueError, match="cannot vmap over non-Tensor"):
        ef.vmap(ember.add)(ember.ones(2), 1.0)


def test_per_sample_gradients_with_functional_call(torch):
    pytest.importorskip("ember.nn")
    import ember.nn as enn

    tf = torch.func
    tm = torch.nn.Linear(3, 2).double()
    em = enn.Linear(3, 2).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    X = RNG.standard_normal((5, 3))

    def loss(func, mod):
        return lambda p, x: func.functional_call(mod, p, (x[None],)).pow(2).sum()

    pt = {k: v.detach() for k, v in tm.named_parameters()}
    pe = {k: v.detach() for k, v in em.named_parameters()}
    gt = tf.vmap(tf.grad(loss(tf, tm)), in_dims=(None, 0))(pt, torch.tensor(X))
    ge = ef.vmap(ef.grad(loss(ef, em)), in_dims=(None, 0))(pe, ember.tensor(X))
    for k in gt:
        _close(ge[k], gt[k])
    # the module's own parameters are back in place afterwards
    assert em.weight is dict(em.named_parameters())["weight"] and em.weight.requires_grad
    with pytest.raises(RuntimeError, match="Missing key"):
        ef.functional_call(em, {"weight": pe["weight"]}, (ember.ones(1, 3, dtype=ember.float64),),
                           strict=True)
    params, buffers = ef.stack_module_state([em, em])
    assert params["weight"].shape == (2, 2, 3) and buffers == {}
