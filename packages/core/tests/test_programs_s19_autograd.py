"""Autograd programs run with PyTorch and with Ember: in-place version errors (what each
node saves), double backward of piecewise activations, hook checks, factory requires_grad
errors, non-reentrant checkpoint's real graph, and views that refuse in-place writes."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")  # the programs use nn.functional and modules

X = np.array([[-1.0, 0.05, 0.3, 2.0], [4.0, -0.2, 0.7, 1.5], [0.1, 0.9, -3.0, 0.4]])


def _outcome(fn):
    """``fn()``'s result, or its exception as (type name, message)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e)


def _both(program):
    """``program(lib)`` run with torch and with ember; the two outcomes."""
    return _outcome(lambda: program(torch)), _outcome(lambda: program(ember))


def _grads(t):
    return None if t.grad is None else t.grad.detach().numpy().tolist()


# ----------------------------------------------------------- what in-place changes fail
_AFTER_OUTPUT = {
    "relu": lambda F, a: F.relu(a),
    "relu_": lambda F, a: F.relu(a, inplace=True),
    "leaky_relu_": lambda F, a: F.leaky_relu(a, inplace=True),
    "pow2": lambda F, a: a ** 2,
    "pow3": lambda F, a: a.pow(3),
    "pow_tensor": lambda F, a: a.pow(a),
    "rpow": lambda F, a: 2 ** a,
    "sinc": lambda F, a: a.sinc(),
    "erfinv": lambda F, a: (a * 0.2).erfinv(),
    "hardtanh": lambda F, a: F.hardtanh(a),
    "hardtanh_": lambda F, a: F.hardtanh(a, inplace=True),
    "threshold_": lambda F, a: F.threshold(a, 0.1, 0.0, inplace=True),
    "max": lambda F, a: a.max(),
    "exp_": lambda F, a: a.exp_(),
    "sigmoid_": lambda F, a: a.sigmoid_(),
}


@pytest.mark.parametrize("name", sorted(_AFTER_OUTPUT))
@pytest.mark.parametrize("changed", ["output", "input"])
def test_inplace_change_after_op_fails_as_in_torch(name, changed):
    def program(lib):
        F = lib.nn.functional
        x = lib.tensor(X, requires_grad=True)
        a = x * 1
        y = _AFTER_OUTPUT[name](F, a)
        (y if changed == "output" else a).add_(1)
        y.sum().backward()
        return _grads(x)

    t, e = _both(program)
    if isinstance(t, list):
        np.testing.assert_allclose(e, t, rtol=1e-12)
    else:
        assert e == t


@pytest.mark.parametrize("op", ["relu", "hardtanh", "relu6", "threshold", "hardshrink",
                                "softshrink", "leaky_relu", "hardtanh_", "threshold_"])
def test_double_backward_of_piecewise_activations(op):
    def program(lib):
        F = lib.nn.functional
        fns = {"relu": F.relu, "hardtanh": F.hardtanh, "relu6": F.relu6,
               "threshold": lambda t: F.threshold(t, 0.1, 0.0), "hardshrink": F.hardshrink,
               "softshrink": F.softshrink, "leaky_relu": F.leaky_relu,
               "hardtanh_": lambda t: F.hardtanh(t * 1, inplace=True),
               "threshold_": lambda t: F.threshold(t * 1, 0.1, 0.0, inplace=True)}
        x = lib.tensor(X[0], requires_grad=True)
        y = fns[op](x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return y.grad_fn.name(), g.grad_fn.name(), g.tolist(), gg.tolist()

    t, e = _both(program)
    assert e == t


def test_sinc_and_erfinv_double_backward():
    def program(lib):
        out = []
        for f in (lib.sinc, lib.erfinv):
            x = lib.tensor([0.0, 0.3, -0.5, 0.7], dtype=lib.float64, requires_grad=True)
            g, = lib.autograd.grad(f(x).sum(), x, create_graph=True)
            gg, = lib.autograd.grad(g.sum(), x)
            out.append((g.grad_fn.name(), g.tolist(), gg.tolist()))
        return out

    t, e = _both(program)
    for (tn, tg, tgg), (en, eg, egg) in zip(t, e):
        assert en == tn
        np.testing.assert_allclose(eg, tg, rtol=1e-12)
        np.testing.assert_allclose(egg, tgg, rtol=1e-10)


# ----------------------------------------------------------- hooks and requires_grad
@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("cast", ["double", "half", "long"])
def test_tensor_hook_changing_dtype_is_refused(leaf, cast):
    def program(lib):
        z = lib.ones(3, requires_grad=True)
        t = z if leaf else z * 2

        def hook(g):
            return getattr(g, cast)()

        t.register_hook(hook)
        (t * 2).sum().backward()
        return _grads(z)

    t, e = _both(program)
    assert e == t


_FACTORIES = {
    "tensor": lambda lib: lib.tensor([1, 2], requires_grad=True),
    "ones_int32": lambda lib: lib.ones(2, dtype=lib.int32, requires_grad=True),
    "arange": lambda lib: lib.arange(3, requires_grad=True),
    "full": lambda lib: lib.full((2,), 1, requires_grad=True),
    "randint": lambda lib: lib.randint(0, 3, (2,), requires_grad=True),
    "empty": lambda lib: lib.empty(2, dtype=lib.int64, requires_grad=True),
    "eye": lambda lib: lib.eye(2, dtype=lib.long, requires_grad=True),
    "linspace": lambda lib: lib.linspace(0, 1, 3, dtype=lib.long, requires_grad=True),
    "asarray": lambda lib: lib.asarray([1, 2], requires_grad=True),
    "empty_strided": lambda lib: lib.empty_strided((2,), (1,), dtype=lib.long,
                                                   requires_grad=True),
    "requires_grad_": lambda lib: lib.tensor([1, 2]).requires_grad_(),
    "setter": lambda lib: setattr(lib.zeros(2, dtype=lib.long), "requires_grad", True),
}


@pytest.mark.parametrize("name", sorted(_FACTORIES))
def test_integer_tensor_requiring_grad_errors(name):
    t, e = _both(_FACTORIES[name])
    assert isinstance(t, tuple) and e == t


# ----------------------------------------------------------- non-reentrant checkpoint
def _checkpoint_program(lib):
    lib.manual_seed(0)
    w = lib.tensor(X[:, :3], requires_grad=True)
    a = lib.tensor(X[0, :3] * 0.5, requires_grad=True)
    ckpt = lib.utils.checkpoint.checkpoint

    def seg(t):
        return (t.exp() * w).sum(1).tanh(), t * 2

    y, z = ckpt(seg, a, use_reentrant=False)
    names = [y.grad_fn.name(), z.grad_fn.name()]
    g, = lib.autograd.grad(y.sum(), a, create_graph=True)
    g.sum().backward()
    out = ckpt(lambda t: t.sigmoid(), a, use_reentrant=False)
    out.backward(lib.ones(3), retain_graph=True)
    out.backward(lib.ones(3))
    return names, g.tolist(), _grads(a), _grads(w)


def test_non_reentrant_checkpoint_records_the_real_graph():
    t, e = _both(_checkpoint_program)
    assert e[0] == t[0]
    for tv, ev in zip(t[1:], e[1:]):
        np.testing.assert_allclose(ev, tv, rtol=1e-12)


def test_non_reentrant_checkpoint_refuses_an_argument_changed_in_place():
    def program(lib):
        nn = lib.nn
        lib.manual_seed(0)

        def net(inplace):  # segments of two: the second starts with the ReLU
            return nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 8), nn.ReLU(inplace=inplace),
                                 nn.Linear(8, 8), nn.Linear(8, 4), nn.Linear(4, 2))

        x = lib.tensor(X[:, :4], dtype=lib.float32, requires_grad=True)
        ckpt = lib.utils.checkpoint.checkpoint_sequential
        ckpt(net(False), 3, x, use_reentrant=False).sum().backward()  # fine
        # the in-place ReLU changed the second segment's input: its recomputation is refused
        ckpt(net(True), 3, x, use_reentrant=False).sum().backward()

    t, e = _both(program)
    assert t[0] == "RuntimeError" and e == t


# ----------------------------------------------------------- views refusing in-place writes
def test_inplace_relu_under_full_backward_hook_and_refused_views():
    def program(lib):
        out = []
        x = lib.tensor(X, requires_grad=True)
        r = lib.nn.ReLU(inplace=True)
        r.register_full_backward_hook(lambda m, gi, go: None)
        out.append(_outcome(lambda: r(x * 1)))
        out.append(_outcome(lambda: r(x)))
        out.append(r(lib.tensor(X)).tolist())  # no grad: no hook node, no refusal
        out.append(_outcome(lambda: x.unbind()[0].add_(1)))
        out.append(_outcome(lambda: x.chunk(2)[0].mul_(1)))

        class Same(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a

            @staticmethod
            def backward(ctx, g):
                return g

        y = Same.apply(x * 1)
        out.append(y._is_view())
        out.append(_outcome(lambda: y.add_(1)))
        return out

    t, e = _both(program)
    assert e == t


def test_version_message_keeps_overload_number():
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        a = x * 1
        y, z = a.max(), a.pow(a)
        a.add_(1)
        return _outcome(lambda: y.backward()), _outcome(lambda: z.sum().backward())

    t, e = _both(program)
    assert e == t


# ----------------------------------------------------------- torch.func has_aux
_AUX = {
    "tensor": lambda t, y: t * 2,
    "tree": lambda t, y: {"a": t.sum(), "b": [t]},
    "outer": lambda t, y: t * y,
    "int": lambda t, y: 3,
    "str": lambda t, y: (t, "s"),
    "none": lambda t, y: None,
}


@pytest.mark.parametrize("kind", sorted(_AUX))
@pytest.mark.parametrize("api", ["grad", "vjp", "jvp", "jacrev", "jacfwd"])
def test_func_aux_comes_back_unwrapped(api, kind):
    def program(lib):
        f = lib.func
        x = lib.tensor([0.5, 1.0], dtype=lib.float64)
        y = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)

        def fn(t):
            return (t ** 2).sum() if api == "grad" else t ** 2, _AUX[kind](t, y)

        aux = {"grad": lambda: f.grad(fn, has_aux=True)(x)[1],
               "vjp": lambda: f.vjp(fn, x, has_aux=True)[2],
               "jvp": lambda: f.jvp(fn, (x,), (x,), has_aux=True)[2],
               "jacrev": lambda: f.jacrev(fn, has_aux=True)(x)[1],
               "jacfwd": lambda: f.jacfwd(fn, has_aux=True)(x)[1]}[api]()
        return [(v.tolist(), v.requires_grad, v.grad_fn is not None)
                if hasattr(v, "grad_fn") else v for v in _leaves(aux)]

    t, e = _both(program)
    assert e == t


def _leaves(tree):
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, (list, tuple)):
        return [v for item in tree for v in _leaves(item)]
    return [tree]


def test_views_of_a_base_changed_in_place_are_regenerated_as_as_strided():
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        a = x.clone()
        v = a[:2]
        v.mul_(2)
        names = [a.grad_fn.name(), v.grad_fn.name()]
        b = x * 1
        y = b[None].sin()  # saves a view of b
        b.add_(1)
        return names, _outcome(lambda: y.sum().backward())

    t, e = _both(program)
    assert e == t


def test_non_full_backward_hook_warns_as_in_torch():
    def program(lib):
        nn = lib.nn
        lib.manual_seed(0)
        cases = [(nn.Conv2d(2, 3, 3), lib.randn(1, 2, 5, 5, requires_grad=True)),
                 (nn.ReLU(), lib.randn(2, 3, requires_grad=True)),
                 (nn.Sequential(nn.Linear(3, 2), nn.Tanh()), lib.randn(4, 3)),
                 (nn.Linear(3, 2), (lib.randn(3) * 2).requires_grad_())]
        out = []
        for m, x in cases:
            seen = []
            m.register_backward_hook(
                lambda mod, gi, go, seen=seen: seen.append([tuple(g.shape) for g in go]))
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                m(x).sum().backward()
            out.append((seen, [(i.category.__name__, str(i.message)) for i in w]))
        return out

    t, e = _both(program)
    assert e == t


@pytest.mark.parametrize("op", ["elu", "selu", "celu", "silu", "hardswish", "mish"])
def test_inplace_smooth_activations_save_and_link_as_in_torch(op):
    def program(lib):
        F = lib.nn.functional
        x = lib.tensor(X[0], requires_grad=True)
        f = getattr(F, op)
        out = []
        for change in (False, True):
            a = x * 1
            b = f(a, inplace=True)
            if change:
                b.add_(1)
            out.append(_outcome(lambda b=b: (b.sum().backward(), b.grad_fn.name())))
        g, = lib.autograd.grad(f(x * 1, inplace=True).sum(), x, create_graph=True)
        out.append((g.grad_fn.name(), g.tolist()))
        return out

    t, e = _both(program)
    assert e[:2] == t[:2]
    assert e[2][0] == t[2][0]
    np.testing.assert_allclose(e[2][1], t[2][1], rtol=1e-12)


def test_always_called_forward_hook_failure_warning():
    def program(lib):
        nn = lib.nn

        class Boom(nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        def bad(m, a, o):
            raise KeyError("inner")

        b = Boom()
        b.register_forward_hook(bad, always_call=True)
        g = nn.modules.module.register_module_forward_hook(bad, always_call=True)
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                err = _outcome(lambda: b(lib.ones(1)))
        finally:
            g.remove()
        return err, [str(i.message) for i in w]

    t, e = _both(program)
    assert e == t
