"""PyTorch's Tensors / Autograd / torch.func tutorials: behaviour a user observes, vs PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember


def _err(fn):
    """(exception type name, message) raised by ``fn``, or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def _both(torch, make):
    """``make(lib)``'s error under PyTorch and under Ember (with the library name unified)."""
    t, e = _err(lambda: make(torch)), _err(lambda: make(ember))
    assert t is not None
    return t, (e[0], e[1].replace("ember", "torch")) if e else e


# ----------------------------------------------------------------- autograd.grad / functional
@pytest.mark.parametrize("unused", [0, 1, 2])
def test_grad_names_the_unused_input(torch, unused):
    def make(m):
        xs = [m.ones(2, requires_grad=True) for _ in range(3)]
        y = sum((x * 2).sum() for i, x in enumerate(xs) if i != unused)
        return m.autograd.grad(y, xs)

    t, e = _both(torch, make)
    assert e == t


@pytest.mark.parametrize("kw", [
    dict(strategy="forward-mode"),
    dict(strategy="forward-mode", vectorize=True, create_graph=True),
    dict(strategy="forward-mode", vectorize=True, strict=True),
    dict(strategy="sideways"),
    dict(vectorize=True, strict=True),
])
def test_jacobian_strategy_refusals(torch, kw):
    t, e = _both(torch, lambda m: m.autograd.functional.jacobian(
        lambda x: x.exp(), m.tensor([0.1, 0.2]), **kw))
    assert e == t


def test_jacobian_forward_mode_vectorized_values(torch):
    x = np.linspace(0.1, 0.9, 4)

    def fn(m):
        return lambda a: a.exp() * a.sum()

    got = ember.autograd.functional.jacobian(fn(ember), ember.tensor(x), vectorize=True,
                                             strategy="forward-mode")
    want = torch.autograd.functional.jacobian(fn(torch), torch.tensor(x), vectorize=True,
                                              strategy="forward-mode")
    ember.testing.assert_close(got, want)


# ----------------------------------------------------------------- anomaly detection
def test_detect_anomaly_warnings_and_message(torch):
    def run(m):
        class NaNBack(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")

        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            with m.autograd.detect_anomaly():
                enabled = m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()
                x = m.tensor([1.0], requires_grad=True)
                err = _err(lambda: NaNBack.apply(x).sum().backward())
        msgs = [str(w.message).split("\n")[0] for w in rec]
        return enabled, err, [s.split(" Traceback")[0] for s in msgs], m.is_anomaly_enabled()

    (te, terr, tw, tafter), (ee, eerr, ew, eafter) = run(torch), run(ember)
    assert ee == te and eafter == tafter is False
    assert eerr == terr  # one line; the forward traceback goes to a warning
    assert ew == tw


def test_anomaly_warning_carries_the_forward_trace():
    class NaNBack(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    def make_the_forward_op(x):
        return NaNBack.apply(x)

    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = ember.autograd.detect_anomaly()
    with mode:
        y = make_the_forward_op(ember.tensor([1.0], requires_grad=True))
        with pytest.warns(UserWarning, match="Error detected in NaNBackBackward") as rec, \
                pytest.raises(RuntimeError):
            y.sum().backward()
    assert any("make_the_forward_op" in str(w.message) for w in rec)


# ----------------------------------------------------------------- requires_grad refusals
@pytest.mark.parametrize("how", ["method", "setter", "detach_method"])
def test_requires_grad_on_integers_message(torch, how):
    def make(m):
        t = m.tensor([1, 2])
        if how == "method":
            t.requires_grad_()
        elif how == "setter":
            t.requires_grad = True
        else:
            t.detach().requires_grad_(True)

    t, e = _both(torch, make)
    assert e == t


# ----------------------------------------------------------------- graph nodes
def test_grad_fn_class_prints_like_pytorch(torch):
    for m in (torch, ember):
        x = m.ones(2, requires_grad=True)
        y = (x * 2).exp()
        assert str(type(y.grad_fn)) == "<class 'ExpBackward0'>"
        assert isinstance(y.grad_fn, m.autograd.graph.Node)


# ----------------------------------------------------------------- torch.func
def test_vmap_randomness_error_mode(torch):
    def make(m):
        return m.func.vmap(lambda a: m.rand(()) + a)(m.zeros(3))

    t, e = _both(torch, make)
    assert e == t
    # the flag is off again afterwards, and inside the other modes
    assert ember.rand(2).shape == (2,)
    out = ember.func.vmap(lambda a: ember.rand(()) + a, randomness="different")(ember.zeros(4))
    assert len(set(out.tolist())) == 4


def test_vmap_randomness_same_draws_once(torch):
    for m in (torch, ember):
        m.manual_seed(3)
        out = m.func.vmap(lambda a, m=m: m.rand(()) + a, randomness="same")(m.zeros(4))
        assert len(set(out.tolist())) == 1
    torch.manual_seed(3)
    ember.manual_seed(3)
    ember.testing.assert_close(
        ember.func.vmap(lambda a: ember.rand(2) + a, randomness="same")(ember.zeros(3, 2)),
        torch.func.vmap(lambda a: torch.rand(2) + a, randomness="same")(torch.zeros(3, 2)))


@pytest.mark.parametrize("in_dims", [2, -3, (0, 5)])
def test_vmap_bad_in_dim_names_the_function(torch, in_dims):
    def make(m):
        def my_fn(a, b):
            return a + b
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims, 0)
        return m.func.vmap(my_fn, in_dims=dims)(m.ones(2, 3), m.ones(2, 3))

    t, e = _both(torch, make)
    assert e == t


def test_vmap_bad_in_dim_lambda_name(torch):
    t, e = _both(torch, lambda m: m.func.vmap(lambda a: a, in_dims=2)(m.ones(2, 3)))
    assert e == t


@pytest.mark.parametrize("params", [
    {"weight": np.ones((2, 3))},
    {"weight": np.ones((2, 3)), "bias": np.ones(2), "extra": np.ones(1)},
    {"extra": np.ones(1)},
])
def test_functional_call_strict_message(torch, params):
    pytest.importorskip("ember.nn")

    def make(m):
        lin = m.nn.Linear(3, 2)
        return m.func.functional_call(lin, {k: m.tensor(v) for k, v in params.items()},
                                      (m.ones(3),), strict=True)

    t, e = _both(torch, make)
    assert e == t


def test_jacrev_of_a_dict_and_tuple_argument(torch):
    a, b = np.linspace(-1, 1, 3), np.linspace(0.5, 2, 3)

    def fn(m):
        return lambda d, s: (d["a"].sin() * d["b"] * s, (d["a"] * s).sum())

    def jac(m, argnums):
        d = {"a": m.tensor(a), "b": m.tensor(b)}
        return m.func.jacrev(fn(m), argnums=argnums)(d, m.tensor(2.0))

    def same(got, want):
        if isinstance(want, (dict, tuple)):
            assert type(got) is type(want)
        if isinstance(want, dict):
            assert list(got) == list(want)
            for k in want:
                same(got[k], want[k])
        elif isinstance(want, tuple):
            assert len(got) == len(want)
            for g, w in zip(got, want):
                same(g, w)
        else:
            ember.testing.assert_close(got, want)

    for argnums in (0, (0, 1)):
        got, want = jac(ember, argnums), jac(torch, argnums)
        assert isinstance(want, tuple)
        same(got, want)


# ----------------------------------------------------------------- printing
@pytest.mark.parametrize("spec", ["", ".2f", "10", ">30"])
@pytest.mark.parametrize("shape", [(), (2,), (2, 2), (0,)])
def test_format_spec_on_tensors(torch, spec, shape):
    data = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float32).reshape(shape) / 3

    def run(m):
        t = m.tensor(data)
        try:
            return format(t, spec).replace("torch", "ember")
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)

    assert run(ember) == run(torch)


# ----------------------------------------------------------------- autograd.functional checks
def _cube_sum(a):
    return (a ** 3).sum()


_FUNCTIONAL_CASES = {
    "hessian bad strategy": lambda m, F, x: F.hessian(_cube_sum, x, outer_jacobian_strategy="x"),
    "hessian fwd not vectorized": lambda m, F, x: F.hessian(
        _cube_sum, x, outer_jacobian_strategy="forward-mode"),
    "hessian of a vector": lambda m, F, x: F.hessian(lambda a: a.exp(), x),
    "hessian of a tuple": lambda m, F, x: F.hessian(lambda a: (a.sum(), a.sum()), x),
    "hessian strict linear": lambda m, F, x: F.hessian(lambda a: a.sum(), x, strict=True),
    "jacobian strict constant": lambda m, F, x: F.jacobian(lambda a: m.ones(2), x, strict=True),
    "jacobian list input": lambda m, F, x: F.jacobian(lambda a: a.exp(), [x]),
    "jacobian tuple with a float": lambda m, F, x: F.jacobian(lambda a, b: a * b, (x, 2.0)),
    "jacobian float output": lambda m, F, x: F.jacobian(lambda a: 3.0, x),
    "vjp v of another size": lambda m, F, x: F.vjp(lambda a: a.exp(), x, m.ones(2)),
    "vjp v tuple too long": lambda m, F, x: F.vjp(lambda a: (a, a), x, (m.ones(3),)),
    "vjp v entry size": lambda m, F, x: F.vjp(lambda a: (a, a.sum()), x, (m.ones(3), m.ones(2))),
    "vjp single v for one": lambda m, F, x: F.vjp(lambda a: a, x, (m.ones(3), m.ones(3))),
    "vjp strict constant": lambda m, F, x: F.vjp(lambda a: m.ones(3), x, m.ones(3), strict=True),
    "jvp v of another size": lambda m, F, x: F.jvp(lambda a: a.exp(), x, m.ones(2)),
    "jvp v missing": lambda m, F, x: F.jvp(lambda a: a.exp(), x),
    "vhp of a vector": lambda m, F, x: F.vhp(lambda a: a.exp(), x, m.ones(3)),
    "hvp of a vector": lambda m, F, x: F.hvp(lambda a: a.exp(), x, m.ones(3)),
    "hvp strict linear": lambda m, F, x: F.hvp(lambda a: a.sum(), x, m.ones(3), strict=True),
    "vhp v size": lambda m, F, x: F.vhp(_cube_sum, x, m.ones(4)),
}


@pytest.mark.parametrize("case", sorted(_FUNCTIONAL_CASES))
def test_autograd_functional_refusals(torch, case):
    fn = _FUNCTIONAL_CASES[case]
    t, e = _both(torch, lambda m: fn(m, m.autograd.functional, m.tensor([0.1, 0.2, 0.3])))
    assert e == t


def test_hessian_forward_mode_vectorized_and_tuple_inputs(torch):
    x = np.array([0.1, 0.2, 0.3])

    def run(m, **kw):
        F = m.autograd.functional
        return (F.hessian(_cube_sum, m.tensor(x), **kw),
                F.hessian(lambda a, b: (a * a * b).sum(), (m.tensor(x), m.tensor(x)), **kw))

    got = run(ember, vectorize=True, outer_jacobian_strategy="forward-mode")
    want = run(torch, vectorize=True, outer_jacobian_strategy="forward-mode")
    ember.testing.assert_close(got[0], want[0])
    for g, w in zip(got[1], want[1]):
        for a, b in zip(g, w):
            ember.testing.assert_close(a, b)


# ----------------------------------------------------------------- NumPy bridge
def test_from_numpy_refuses_negative_strides(torch):
    t, e = _both(torch, lambda m: m.from_numpy(np.arange(6.0).reshape(2, 3)[:, ::-1]))
    assert e == t


@pytest.mark.parametrize("arr", [np.array(["a"]), np.array([1, None]),
                                 np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_from_numpy_unsupported_dtype_message(torch, arr):
    t, e = _both(torch, lambda m: m.from_numpy(arr))
    assert e == t


@pytest.mark.parametrize("data", [
    lambda: [np.ones(2), np.ones(2)],
    lambda: [np.ones(2, dtype=np.float32), np.ones(2)],
    lambda: [np.ones(2, dtype=np.int32), np.ones(2, dtype=np.int16)],
    lambda: [np.ones(2), [1.0, 2.0]],
    lambda: [np.ones(2, dtype=np.float16)],
    lambda: [[np.ones(2, dtype=np.int8)], [np.zeros(2, dtype=np.int8)]],
])
def test_tensor_from_a_list_of_arrays_takes_their_dtype(torch, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = torch.tensor(data()), ember.tensor(data())
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    ember.testing.assert_close(got, want)


def test_numpy_bridge_warnings_once(torch, monkeypatch):
    from ember.ops import creation

    monkeypatch.setattr(creation, "_warned", set())

    def run(m):
        ro = np.arange(3.0)
        ro.flags.writeable = False
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            m.from_numpy(ro)
            m.as_tensor(ro)
            m.tensor([np.ones(2), np.ones(2)])
            m.tensor([np.ones(2)])
        return [str(w.message).split(" (Triggered internally")[0] for w in rec]

    got, want = run(ember), run(torch)
    # PyTorch warns once per process: compare what Ember says the first time with PyTorch's
    # words (PyTorch may already have warned in this process, then it says nothing)
    assert len(got) == 2
    for w in want:
        assert w in got
    assert got[0].startswith("The given NumPy array is not writable")
    assert got[1].startswith("Creating a tensor from a list of numpy.ndarrays")


# ----------------------------------------------------------------- custom autograd.Function
def _fn_errors(m, case):
    Fn = m.autograd.Function
    x = m.tensor([1.0, 2.0], requires_grad=True)

    class SaveInt(Fn):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, None, 3)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    class FloatGrad(Fn):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, g):
            return 1.0

    class Legacy(Fn):
        def forward(self, a):
            return a

    cases = {"save an int": lambda: SaveInt.apply(x),
             "backward returns a float": lambda: FloatGrad.apply(x).backward(),
             "legacy call": lambda: Legacy()(x)}
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        err = _err(cases[case])
    return err, [(w.category.__name__, str(w.message).split(">")[-1]) for w in rec]


@pytest.mark.parametrize("case", ["save an int", "backward returns a float", "legacy call"])
def test_custom_function_refusals(torch, case):
    assert _fn_errors(ember, case) == _fn_errors(torch, case)


def _fn_node(m):
    class Scale(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.save_for_backward(a)
            ctx.k = k
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    node = y.grad_fn
    seen = (node.name(), str(type(node)).replace("torch", "ember"), node.k,
            node.needs_input_grad, [t.tolist() for t in node.saved_tensors],
            node.saved_tensors[0] is x)
    y.sum().backward()
    return seen, _err(lambda: node.saved_tensors), _err(lambda: node.nope)[0]


def test_custom_function_node_reads_as_its_ctx(torch):
    assert _fn_node(ember) == _fn_node(torch)


def test_gradcheck_mismatch_message_and_warning(torch):
    def run(m):
        class Bad(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a ** 2

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a

        out = []
        for dt in (m.float64, m.float32):
            x = m.tensor([1.0, 2.0, 3.0], dtype=dt, requires_grad=True)
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                e = _err(lambda x=x: m.autograd.gradcheck(Bad.apply, (x,)))
            out.append((e[0], e[1].replace("torch", "ember"),
                        [str(w.message) for w in rec]))
        return out

    assert run(ember) == run(torch)


# ----------------------------------------------------------------- backward / grad entry points
_ENTRY_CASES = {
    "grad_outputs count": lambda m, x: m.autograd.grad([x * 2, x * 3], x,
                                                       grad_outputs=[m.ones(3)]),
    "backward grad_tensors count": lambda m, x: m.autograd.backward([(x * 2).sum(), x.sum()],
                                                                    [m.tensor(1.0)]),
    "grad no inputs": lambda m, x: m.autograd.grad((x * 2).sum(), []),
    "backward no inputs": lambda m, x: (x * 2).sum().backward(inputs=[]),
}


@pytest.mark.parametrize("case", sorted(_ENTRY_CASES))
def test_backward_and_grad_refusals(torch, case):
    t, e = _both(torch, lambda m: _ENTRY_CASES[case](m, m.ones(3, requires_grad=True)))
    assert e == t


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_is_grads_batched(torch, create_graph):
    x = np.array([0.5, 1.0, 2.0])

    def run(m):
        a = m.tensor(x, requires_grad=True)
        u = m.tensor([1.0], requires_grad=True)
        out = a.sin() * a.sum()
        return m.autograd.grad(out, [a, u], grad_outputs=m.eye(3, dtype=m.float64),
                               is_grads_batched=True, allow_unused=True,
                               create_graph=create_graph)

    (ga, gu), (wa, wu) = run(ember), run(torch)
    assert gu is None and wu is None
    assert ga.requires_grad == wa.requires_grad
    ember.testing.assert_close(ga, wa)


def test_writes_through_data_are_not_seen_by_autograd(torch):
    def run(m):
        f = m.tensor([0.5, 1.0], requires_grad=True)
        g = f.sigmoid()
        g.data.zero_()  # the saved output changes, unseen: PyTorch uses the new values
        g.sum().backward()
        d = f.detach()
        return f.grad.tolist(), d._version, f.data._version

    assert run(ember) == run(torch)


def test_copy_slices_node_names(torch):
    def run(m):
        x = m.ones(3, requires_grad=True).clone()
        x[0] = 5
        return x.grad_fn.name(), repr(x).replace("torch", "ember"), \
            repr(x.grad_fn).split(" object")[0]

    assert run(ember) == run(torch)


def test_backward_create_graph_warns_once(torch, monkeypatch):
    from ember.autograd import graph

    monkeypatch.setattr(graph, "_warned_cycle", [False])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(2):
            x = ember.ones(2, requires_grad=True)
            (x * x).sum().backward(create_graph=True)
        ember.autograd.grad((x * x).sum(), x, create_graph=True)  # no .grad: no warning
    assert [str(w.message).split(" (Triggered")[0] for w in rec] == [
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this function, "
        "make sure to reset the .grad fields of your parameters to None after use to break the "
        "cycle and avoid the leak."]
    assert rec[0].filename == __file__


# ----------------------------------------------------------------- torch.func argument checks
_FUNC_CASES = {
    "argnums out of range": lambda tf, m, x: tf.grad(lambda a: a.sum(), argnums=2)(x),
    "argnums negative out of range": lambda tf, m, x: tf.grad(lambda a: a.sum(), argnums=-2)(x),
    "argnums float": lambda tf, m, x: tf.grad(lambda a: a.sum(), argnums=1.0)(x),
    "argnums tuple of str": lambda tf, m, x: tf.jacrev(lambda a: a, argnums=(0, "a"))(x),
    "argnums empty": lambda tf, m, x: tf.grad(lambda a: a.sum(), argnums=())(x),
    "argnums repeated": lambda tf, m, x: tf.grad(lambda a, b: (a * b).sum(),
                                                 argnums=(0, -2))(x, x),
    "grad of a float": lambda tf, m, x: tf.grad(lambda a: a)(3.0),
    "jacrev float output": lambda tf, m, x: tf.jacrev(lambda a: 3.0)(x),
    "jvp primals not a tuple": lambda tf, m, x: tf.jvp(m.sin, x, (x,)),
    "jvp tangent size": lambda tf, m, x: tf.jvp(m.sin, (x,), (m.ones(3),)),
    "vmap in_dims None": lambda tf, m, x: tf.vmap(lambda a: a, in_dims=None)(x),
}


@pytest.mark.parametrize("case", sorted(_FUNC_CASES))
def test_func_argument_refusals(torch, case):
    t, e = _both(torch, lambda m: _FUNC_CASES[case](m.func, m, m.ones(2, 2)))
    assert e == t


def test_grad_ignores_non_tensor_arguments_it_does_not_differentiate(torch):
    def run(m):
        return m.func.grad(lambda a, k: (a * k).sum())(m.tensor([1.0, 2.0]), 3.0)

    ember.testing.assert_close(run(ember), run(torch))


def test_linearize(torch):
    x = np.linspace(-1, 1, 6).reshape(2, 3)

    def run(m):
        out, jvp_fn = m.func.linearize(lambda a: a.sin() * a.sum(), m.tensor(x))
        return out, jvp_fn(m.ones(2, 3, dtype=m.float64)), jvp_fn(m.tensor(x))

    for g, w in zip(run(ember), run(torch)):
        ember.testing.assert_close(g, w)
