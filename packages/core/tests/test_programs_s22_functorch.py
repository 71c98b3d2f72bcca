"""torch.func tutorials as whole programs, run with PyTorch and with Ember: per-sample
gradients of a small CNN (vmap(grad) against a per-sample loop), model ensembling with vmap's
randomness modes, linearize and jvp refusals, forward-mode AD (dual tensors, their repr, a
custom Function's jvp) and torch.autograd.functional's forward-mode Jacobian structure."""

import copy

import numpy as np
import pytest
from _func_programs import check

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(22)
IMG = RNG.standard_normal((4, 1, 8, 8)).astype(np.float32)
TGT = RNG.integers(0, 10, 4)
X = RNG.standard_normal(5)
Y = RNG.standard_normal(5)
V = RNG.standard_normal(5)
M = RNG.standard_normal((3, 5))


def _check(program, tol=1e-12):
    check(program, tol)


def _cnn(L):
    nn, F = L.nn, L.nn.functional

    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.fc1 = nn.Linear(8 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(L.flatten(x, 1)))
            return F.log_softmax(self.fc2(x), dim=1)

    m = SimpleCNN()
    g = np.random.default_rng(5)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(g.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    return m


def test_per_sample_gradients_cnn_tutorial():
    pytest.importorskip("ember.nn")

    def program(L):
        fn, F = L.func, L.nn.functional
        model = _cnn(L)
        data, targets = L.tensor(IMG), L.tensor(TGT)

        def compute_grad(sample, target):
            loss = F.nll_loss(model(sample.unsqueeze(0)), target.unsqueeze(0))
            return L.autograd.grad(loss, list(model.parameters()))

        loop = [L.stack(s) for s in zip(*[compute_grad(data[i], targets[i]) for i in range(4)])]
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            out = fn.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return F.nll_loss(out, target.unsqueeze(0))

        ft = fn.vmap(fn.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data,
                                                                         targets)
        return loop, ft, list(ft)

    _check(program, 1e-5)


def _ensemble(L, randomness):
    fn, nn = L.func, L.nn

    class SimpleMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.drop = nn.Linear(12, 8), nn.Linear(8, 3), nn.Dropout(0.5)

        def forward(self, x):
            return self.fc2(self.drop(L.relu(self.fc1(x))))

    models = [SimpleMLP() for _ in range(3)]
    params, buffers = fn.stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def fmodel(params, buffers, x):
        return fn.functional_call(base, (params, buffers), (x,))

    out = fn.vmap(fmodel, in_dims=(0, 0, None), randomness=randomness)(params, buffers,
                                                                      L.ones(2, 12))
    return out.shape


@pytest.mark.parametrize("randomness", ["error", "different", "same", "foo"])
def test_model_ensembling_randomness(randomness):
    pytest.importorskip("ember.nn")
    _check(lambda L: _ensemble(L, randomness))


def _same_rows(L, randomness, make):
    out = L.func.vmap(lambda x: x * 0 + make(L, x), randomness=randomness)(L.ones(2, 64))
    return out.shape, bool((out[0] == out[1]).all())


_RANDOM = {"rand": lambda L, x: L.rand(64), "rand_like": lambda L, x: L.rand_like(x),
           "dropout": lambda L, x: L.nn.functional.dropout(x + 1)}


@pytest.mark.parametrize("randomness", ["error", "different", "same"])
@pytest.mark.parametrize("op", sorted(_RANDOM))
def test_vmap_random_ops(randomness, op):
    pytest.importorskip("ember.nn")
    _check(lambda L: _same_rows(L, randomness, _RANDOM[op]))


def _linearized(L, *tangents):
    _, jvp_fn = L.func.linearize(lambda x: x.sin() * x.sum(), L.tensor(X))
    return jvp_fn(*tangents(L))


_LINEARIZE = {
    "ok": lambda L: (L.tensor(V),),
    "shape": lambda L: (L.tensor(V[:2]),),
    "dtype": lambda L: (L.tensor(V).float(),),
    "two": lambda L: (L.tensor(V), L.tensor(V)),
    "list": lambda L: ([L.tensor(V)],),
    "none": lambda L: (),
    "float": lambda L: (3.0,),
}


@pytest.mark.parametrize("name", sorted(_LINEARIZE))
def test_linearize_tangent_checks(name):
    _check(lambda L: _linearized(L, _LINEARIZE[name]))


def test_linearize_non_tensor_primal():
    _check(lambda L: L.func.linearize(lambda x: x, 3.0))


@pytest.mark.parametrize("tangents", ["list", "two", "nested", "dict"])
def test_jvp_structure_message(tangents):
    def program(L):
        x = L.tensor(X)
        tg = {"list": [x], "two": (x, x), "nested": ((x,),), "dict": {"a": x}}[tangents]
        return L.func.jvp(lambda x: x, (x,), tg)

    _check(program)


def test_hvp_and_ntk_tutorial():
    pytest.importorskip("ember.nn")

    def program(L):
        fn = L.func
        w = L.tensor(M)

        def f(x):
            return (x @ w.T).tanh().sum()

        hvp = fn.jvp(fn.grad(f), (L.tensor(X),), (L.tensor(V),))[1]
        xs1, xs2 = L.tensor(np.stack([X, Y])), L.tensor(np.stack([V, X, Y]))

        def fnet(x):
            return (x @ w.T).tanh()

        j1 = fn.vmap(fn.jacrev(fnet))(xs1)
        j2 = fn.vmap(fn.jacrev(fnet))(xs2)
        ntk_jac = L.einsum("Naf,Mbf->NMab", j1, j2)

        def vjp_ntk(x1, x2):
            _, vjp_fn = fn.vjp(fnet, x2)
            return fn.vmap(lambda v: fn.jvp(fnet, (x1,), vjp_fn(v))[1])(L.eye(3,
                                                                            dtype=L.float64))

        ntk_vp = fn.vmap(fn.vmap(vjp_ntk, (None, 0)), (0, None))(xs1, xs2)
        return hvp, ntk_jac, ntk_vp

    _check(program)


def _dual_reprs(L):
    fwAD = L.autograd.forward_ad
    with fwAD.dual_level():
        d = fwAD.make_dual(L.tensor([1.0, 2.0]), L.ones(2))
        return [repr(t).replace("torch", "ember") for t in
                (d, d * 2, d.sum(), fwAD.unpack_dual(d).primal, L.ones(2) * 2 + d)]


def test_dual_tensor_repr_shows_tangent():
    _check(_dual_reprs)


def test_forward_ad_tutorial():
    pytest.importorskip("ember.nn")

    def program(L):
        fwAD = L.autograd.forward_ad

        class Exp(L.autograd.Function):
            @staticmethod
            def forward(ctx, foo):
                ctx.result = L.exp(foo)
                return ctx.result

            @staticmethod
            def jvp(ctx, g):
                return g * ctx.result

        model = L.nn.Linear(5, 3).double()
        with L.no_grad():
            model.weight.copy_(L.tensor(M))
            model.bias.fill_(0.1)
        params = {k: p.detach() for k, p in model.named_parameters()}
        with fwAD.dual_level():
            dual = fwAD.make_dual(L.tensor(X), L.tensor(V))
            out = fwAD.unpack_dual((dual.sin() * dual).sum())
            custom = fwAD.unpack_dual(Exp.apply(dual)).tangent
            duals = {k: fwAD.make_dual(p, L.ones_like(p)) for k, p in params.items()}
            module = fwAD.unpack_dual(L.func.functional_call(model, duals, L.tensor(X)))
        return out.primal, out.tangent, custom, module.tangent, fwAD.unpack_dual(dual).tangent

    _check(program)


def _af(L):
    return L.autograd.functional


_FORWARD_MODE = {
    "in_tuple": lambda L: _af(L).jacobian(lambda a, b: a * b, (L.tensor(X), L.tensor(Y)),
                                          vectorize=True, strategy="forward-mode"),
    "out_tuple": lambda L: _af(L).jacobian(lambda a: (a, a.sin()), L.tensor(X),
                                           vectorize=True, strategy="forward-mode"),
    "both": lambda L: _af(L).jacobian(lambda a, b: (a * b, a.exp()),
                                      (L.tensor(X), L.tensor(Y)), vectorize=True,
                                      strategy="forward-mode"),
    "reverse_both": lambda L: _af(L).jacobian(lambda a, b: (a * b, a.exp()),
                                              (L.tensor(X), L.tensor(Y)), vectorize=True),
    "hessian_tuple": lambda L: [[h.detach() for h in row] for row in _af(L).hessian(
        lambda a, b: (a ** 2 * b).sum(), (L.tensor(X), L.tensor(Y)), vectorize=True,
        outer_jacobian_strategy="forward-mode")],
    "hessian_tuple_type": lambda L: [type(r).__name__ for r in _af(L).hessian(
        lambda a, b: (a ** 2 * b).sum(), (L.tensor(X), L.tensor(Y)), vectorize=True,
        outer_jacobian_strategy="forward-mode")],
}


@pytest.mark.parametrize("name", sorted(_FORWARD_MODE))
def test_forward_mode_jacobian_structure(name):
    _check(_FORWARD_MODE[name])


def test_backward_inside_dual_level_keeps_tangents():
    def program(L):
        fwAD = L.autograd.forward_ad
        x = L.tensor(X, requires_grad=True)
        with fwAD.dual_level():
            d = fwAD.make_dual(x, L.tensor(V))
            y = (d.sin() ** 2).sum()
            y.backward()
            return x.grad, fwAD.unpack_dual(y).tangent

    _check(program)
