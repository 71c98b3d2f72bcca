"""Function-transform programs run with PyTorch and with Ember: vmap's in_dims/out_dims
checks and messages, empty batches and chunk_size, vjp/jacrev output checks, jacfwd's
randomness, backward() inside a transform, batched grad_outputs, stack_module_state's class
check, and the Jacobians/per-sample-gradients/ensembling tutorials."""

import copy
import functools

import numpy as np
import pytest
from _func_programs import check

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(21)
A = RNG.standard_normal((3, 4, 5)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)
X = RNG.standard_normal(4)
Y = RNG.standard_normal(4)


def _func(lib):
    return ember.func if lib is ember else torch.func


def _check(program, tol=1e-6):
    check(program, tol)


def _add3(x, y, z):
    return x + y + z


_VMAP = {
    "in_dims_list": lambda L: _func(L).vmap(lambda x: x, in_dims=[0])(L.tensor(A)),
    "in_dims_str": lambda L: _func(L).vmap(lambda x: x, in_dims=("a",))(L.tensor(A)),
    "in_dims_short": lambda L: _func(L).vmap(lambda x, y: x, in_dims=(0,))(L.tensor(A),
                                                                            L.tensor(A)),
    "no_inputs": lambda L: _func(L).vmap(lambda: 1)(),
    "all_none": lambda L: _func(L).vmap(lambda x: x, in_dims=(None,))(L.tensor(A)),
    "out_dims_str": lambda L: _func(L).vmap(lambda x: x, out_dims="a")(L.tensor(A)),
    "out_dims_short": lambda L: _func(L).vmap(lambda x: (x, x), out_dims=(0,))(L.tensor(A)),
    "out_dims_pair_for_tensor": lambda L: _func(L).vmap(lambda x: x, out_dims=(1, 2))(
        L.tensor(A)),
    "out_dims_one_for_tensor": lambda L: _func(L).vmap(lambda x: x, out_dims=(1,))(
        L.tensor(A)),
    "out_dims_nested": lambda L: _func(L).vmap(lambda x: (x, (x, x)), out_dims=(0, (1, 2)))(
        L.tensor(A)),
    "out_dim_out_of_range": lambda L: _func(L).vmap(lambda x: x, out_dims=5)(L.tensor(A)),
    "sizes_listed": lambda L: _func(L).vmap(_add3)(L.tensor(A), L.tensor(B), L.tensor(A)),
    "partial_name": lambda L: _func(L).vmap(functools.partial(_add3, z=1.0), in_dims=(0, 1))(
        L.tensor(A), L.tensor(B)),
    "chunk_size_zero": lambda L: _func(L).vmap(lambda x: x.sum(), chunk_size=0),
    "chunk_size_negative": lambda L: _func(L).vmap(lambda x: x.sum(), chunk_size=-1),
    "chunk_size_two": lambda L: _func(L).vmap(lambda x: x.sum(), chunk_size=2)(L.tensor(A)),
    "empty_batch": lambda L: _func(L).vmap(lambda x: x * 2)(L.zeros(0, 3)),
    "empty_batch_dim1": lambda L: _func(L).vmap(lambda x: x.sum(), in_dims=1)(L.zeros(2, 0, 3)),
    "empty_batch_tuple": lambda L: _func(L).vmap(lambda x: (x, x.sum()), out_dims=(1, 0))(
        L.zeros(0, 3)),
    "dict_prefix": lambda L: _func(L).vmap(lambda d: d["a"] * d["b"], in_dims=(0,))(
        {"a": L.tensor(B), "b": L.tensor(B)}),
    "nested_tuple_in_dims": lambda L: _func(L).vmap(lambda p: p[0] * p[1],
                                                    in_dims=((0, None),))(
        (L.tensor(A), L.tensor(B))),
}


@pytest.mark.parametrize("name", sorted(_VMAP))
def test_vmap_program(name):
    _check(_VMAP[name])


def _t(L, a):
    return L.tensor(a)


_TRANSFORMS = {
    "vjp_cotangent_structure": lambda L: _func(L).vjp(lambda x: x.sin(), _t(L, X))[1](
        (L.ones(4, dtype=L.float64), L.ones(4))),
    "vjp_non_tensor_output": lambda L: _func(L).vjp(lambda x: 1.0, _t(L, X)),
    "vjp_none_output": lambda L: _func(L).vjp(lambda x: None, _t(L, X)),
    "vjp_int_output": lambda L: _func(L).vjp(lambda x: x.argmax(), _t(L, X)),
    "vjp_aux_not_pair": lambda L: _func(L).vjp(lambda x: x.sin(), _t(L, X), has_aux=True),
    "jacrev_int_output": lambda L: _func(L).jacrev(lambda x: x.argmax())(_t(L, X)),
    "jacrev_aux_not_pair": lambda L: _func(L).jacrev(lambda x: x.sin(), has_aux=True)(
        _t(L, X)),
    "jvp_int_output": lambda L: _func(L).jvp(lambda x: x.argmax(), (_t(L, X),), (_t(L, Y),)),
    "jacfwd_random_refused": lambda L: _func(L).jacfwd(lambda x: x * L.rand(4))(_t(L, X)),
    "jacfwd_bad_randomness": lambda L: _func(L).jacfwd(lambda x: x, randomness="foo")(
        _t(L, X)),
    "jacfwd_random_same": lambda L: _func(L).jacfwd(
        lambda x: x * L.rand(4, dtype=L.float64), randomness="same")(_t(L, X)).shape,
    "backward_inside_grad": lambda L: _func(L).grad(
        lambda x: (lambda y: (y.backward(), y)[1])((x ** 2).sum()))(_t(L, X)),
    "backward_inside_vmap": lambda L: _func(L).vmap(
        lambda x: (lambda y: (L.autograd.backward(y), y)[1])((x ** 2).sum()))(
        L.tensor(A).requires_grad_()),
}


@pytest.mark.parametrize("name", sorted(_TRANSFORMS))
def test_transform_program(name):
    _check(_TRANSFORMS[name], 1e-12)


def test_backward_works_again_after_a_refused_one():
    with pytest.raises(RuntimeError, match="inside a functorch transform"):
        ember.func.grad(lambda x: (x.sum().backward(), x.sum())[1])(ember.tensor(X))
    x = ember.tensor(X, requires_grad=True)
    (x ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X)


def _batched_grad(L, eye_n):
    x = L.tensor(X, requires_grad=True)
    return L.autograd.grad(x.sin(), x, L.eye(eye_n, dtype=L.float64), is_grads_batched=True)


@pytest.mark.parametrize("n", [4, 3])
def test_is_grads_batched_shapes(n):
    _check(lambda L: _batched_grad(L, n), 1e-12)


def _mlp(L, seed):
    nn = L.nn
    m = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    g = np.random.default_rng(seed)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(g.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    return m


def test_stack_module_state_refuses_mixed_classes():
    pytest.importorskip("ember.nn")

    def program(L):
        return _func(L).stack_module_state([_mlp(L, 0), L.nn.Linear(12, 3)])

    _check(program)


def test_model_ensembling_tutorial():
    pytest.importorskip("ember.nn")
    data = RNG.standard_normal((3, 2, 12)).astype(np.float32)

    def program(L):
        fn = _func(L)
        models = [_mlp(L, s) for s in range(3)]
        params, buffers = fn.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def fmodel(params, buffers, x):
            return fn.functional_call(base, (params, buffers), (x,))

        batches = L.tensor(data)
        same = fn.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, batches[0])
        each = fn.vmap(fmodel)(params, buffers, batches)
        loop = [m(b) for m, b in zip(models, batches)]
        return same, each, loop, params

    _check(program, 1e-5)


def test_per_sample_gradients_tutorial():
    pytest.importorskip("ember.nn")
    data = RNG.standard_normal((5, 12)).astype(np.float32)
    target = RNG.integers(0, 3, 5)

    def program(L):
        fn, F = _func(L), L.nn.functional
        model = _mlp(L, 7)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(params, sample, target):
            out = fn.functional_call(model, params, (sample.unsqueeze(0),))
            return F.cross_entropy(out, target.unsqueeze(0))

        return fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(params, L.tensor(data),
                                                            L.tensor(target))

    _check(program, 1e-5)


def test_jacobians_hessians_tutorial():
    pytest.importorskip("ember.nn")
    w0, b0 = RNG.standard_normal((6, 6)), RNG.standard_normal(6)
    xs = RNG.standard_normal((3, 6))

    def program(L):
        fn, F = _func(L), L.nn.functional

        def predict(weight, bias, x):
            return F.linear(x, weight, bias).tanh()

        w, b, x = L.tensor(w0), L.tensor(b0), L.tensor(xs[0])
        _, vjp_fn = fn.vjp(lambda x: predict(w, b, x), x)
        return (fn.jacrev(predict, argnums=2)(w, b, x),
                fn.jacrev(predict, argnums=(0, 1))(w, b, x),
                fn.vmap(vjp_fn)(L.eye(6, dtype=L.float64)),
                fn.vmap(fn.jacfwd(predict, argnums=2), in_dims=(None, None, 0))(
                    w, b, L.tensor(xs)),
                fn.vmap(fn.hessian(predict, argnums=2), in_dims=(None, None, 0))(
                    w, b, L.tensor(xs)),
                fn.jvp(fn.grad(lambda x: x.sin().sum()), (x,), (L.tensor(xs[1]),)))

    _check(program, 1e-12)


IMG = RNG.standard_normal((2, 2, 4, 4))

_DOUBLE = {
    "gelu": lambda L, F, x: F.gelu(x),
    "gelu_tanh": lambda L, F, x: F.gelu(x, approximate="tanh"),
    "elu": lambda L, F, x: F.elu(x),
    "celu": lambda L, F, x: F.celu(x, 0.7),
    "selu": lambda L, F, x: F.selu(x),
    "softplus": lambda L, F, x: F.softplus(x),
    "logsigmoid": lambda L, F, x: F.logsigmoid(x),
    "hardswish": lambda L, F, x: F.hardswish(x),
    "silu": lambda L, F, x: F.silu(x),
    "sigmoid": lambda L, F, x: x.sigmoid(),
    "tanh": lambda L, F, x: x.tanh(),
    "softmax": lambda L, F, x: F.softmax(x, 1),
    "log_softmax": lambda L, F, x: F.log_softmax(x, -1),
    "cross_entropy": lambda L, F, x: F.cross_entropy(x.flatten(1), L.tensor([3, 5])),
    "layer_norm": lambda L, F, x: F.layer_norm(x, (4, 4)),
    "batch_norm": lambda L, F, x: F.batch_norm(x, None, None, training=True),
    "instance_norm": lambda L, F, x: F.instance_norm(x),
    "group_norm": lambda L, F, x: F.group_norm(x, 1),
    "slice": lambda L, F, x: x[:, 1:],
    "select": lambda L, F, x: x[1],
    "select_then_slice": lambda L, F, x: x[0, 1:],
    "full_then_select": lambda L, F, x: x[:, 0],
    "ellipsis_slice": lambda L, F, x: x[..., 1:3, :],
    "unsqueeze_first": lambda L, F, x: x[None, 0],
    "full_slice": lambda L, F, x: x[:],
    "narrow": lambda L, F, x: x.narrow(1, 0, 1),
    "select_method": lambda L, F, x: x.select(2, 1),
    "advanced_index": lambda L, F, x: x[[0, 1, 1]],
    "mask": lambda L, F, x: x[x > 0],
    "conv2d": lambda L, F, x: F.conv2d(x, x[:1, :, :3, :3].detach() * 1),
    "max_pool2d": lambda L, F, x: F.max_pool2d(x, 2),
    "mse": lambda L, F, x: F.mse_loss(x, x.flip(0)),
    "interpolate_bilinear": lambda L, F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    "mse_fixed_target": lambda L, F, x: F.mse_loss(x, x.detach().flip(0)),
    "smooth_l1": lambda L, F, x: F.smooth_l1_loss(x, x.detach().flip(0)),
    "huber": lambda L, F, x: F.huber_loss(x, x.detach().flip(0), delta=0.5),
    "cross_entropy_2d": lambda L, F, x: F.cross_entropy(x[:, :, 0, 0], L.tensor([1, 0])),
    "cross_entropy_spatial": lambda L, F, x: F.cross_entropy(x, L.zeros(2, 4, 4).long()),
    "nll_2d": lambda L, F, x: F.nll_loss(x[:, :, 0, 0], L.tensor([1, 0])),
    "nll_4d": lambda L, F, x: F.nll_loss(x, L.zeros(2, 4, 4).long()),
}


@pytest.mark.parametrize("name", sorted(_DOUBLE))
def test_create_graph_gradient_node_and_second_derivative(name):
    pytest.importorskip("ember.nn")

    def program(L):
        x = L.tensor(IMG, requires_grad=True)
        y = _DOUBLE[name](L, L.nn.functional, x)
        (g,) = L.autograd.grad((y ** 3).sum(), x, create_graph=True)
        (h,) = L.autograd.grad((g * g).sum(), x)
        return type(g.grad_fn).__name__, g, h

    _check(program, 1e-10)


_GRADCHECK = {
    "no_differentiable_output": lambda L: L.autograd.gradcheck(
        lambda x: x.detach() * 2, (L.tensor(X, requires_grad=True),)),
    "no_differentiable_output_quiet": lambda L: L.autograd.gradcheck(
        lambda x: x.detach() * 2, (L.tensor(X, requires_grad=True),), raise_exception=False),
    "constant_output": lambda L: L.autograd.gradcheck(
        lambda x: L.ones(2, dtype=L.float64), (L.tensor(X, requires_grad=True),)),
    "no_input_requires_grad": lambda L: L.autograd.gradcheck(lambda x: x.sin(), (L.tensor(X),)),
    "linear_gradgradcheck": lambda L: L.autograd.gradgradcheck(
        lambda x: x * 3, (L.tensor(X, requires_grad=True),)),
}


@pytest.mark.parametrize("name", sorted(_GRADCHECK))
def test_gradcheck_api(name):
    _check(_GRADCHECK[name])


_W = RNG.standard_normal((3, 5))
_XM = RNG.standard_normal((4, 5))


@pytest.mark.parametrize("name", ["linear", "linear_no_bias", "mm", "matmul_batched",
                                  "linear_batched"])
def test_create_graph_gradient_nodes_of_products(name):
    pytest.importorskip("ember.nn")

    def program(L):
        F = L.nn.functional
        x, w = L.tensor(_XM, requires_grad=True), L.tensor(_W, requires_grad=True)
        b = L.ones(3, dtype=L.float64, requires_grad=True)
        x3 = L.tensor(np.stack([_XM, -_XM]), requires_grad=True)
        y, ins = {"linear": lambda: (F.linear(x, w, b), (x, w, b)),
                  "linear_no_bias": lambda: (F.linear(x, w), (x, w)),
                  "mm": lambda: (x @ w.t(), (x, w)),
                  "matmul_batched": lambda: (x3 @ w.t(), (x3, w)),
                  "linear_batched": lambda: (F.linear(x3, w, b), (x3, w, b))}[name]()
        gs = L.autograd.grad((y.tanh() ** 2).sum(), ins, create_graph=True)
        hs = L.autograd.grad(sum((g * g).sum() for g in gs), ins)
        return [type(g.grad_fn).__name__ for g in gs], gs, hs

    _check(program, 1e-10)
