"""Autograd programs run with PyTorch and with Ember, found by a differential fuzzer of op
chains at kinks and ties: where PyTorch's backward *selects* the gradient (relu's family,
full max/min/median, pow at a zero exponent) an inf/NaN gradient stops there instead of
becoming NaN; Scalar overloads' nodes have no edge for the number; a 0-d prod's gradient is
the incoming one; ``number ** tensor`` is C-ordered; custom Functions have edges for their
tensor arguments only. Ends with one seeded fuzz of 2-5 op chains (first-order gradients)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")  # the programs use nn.functional

X = np.array([-1.0, 0.0, 0.5, 1.0, 6.0, 7.0, -0.0, 2.0])
OTHER = np.array([0.0, 0.0, -1.0, 1.0, 6.0, 0.0, 0.5, 2.0])
G = np.array([np.nan, np.inf, -np.inf, np.nan, np.inf, np.nan, np.inf, 1.0])


def _arr(t):
    return None if t is None else t.detach().numpy().copy()


def _same(a, b):
    if a is None or b is None:
        assert a is None and b is None, (a, b)
        return
    assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, equal_nan=True)


def _outcome(program, lib):
    try:
        return program(lib)
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return _ERR, type(e).__name__, str(e).replace("torch.", "ember.")


_ERR = "<error>"


def _check(program):
    t, e = _outcome(program, torch), _outcome(program, ember)
    if t[0] is _ERR or e[0] is _ERR:
        assert e == t
        return
    assert len(t) == len(e), (t, e)
    for a, b in zip(t, e):
        if isinstance(a, np.ndarray) or a is None:
            _same(a, b)
        else:
            assert a == b, (a, b)


# ------------------------------------------- an inf/NaN gradient stops where torch selects
def _F(L):
    return L.nn.functional


_SELECTS = {
    "relu": lambda L, x, o: L.relu(x),
    "relu_": lambda L, x, o: x.clone().relu_(),
    "relu6": lambda L, x, o: _F(L).relu6(x),
    "hardtanh": lambda L, x, o: _F(L).hardtanh(x, 0.0, 6.0),
    "hardtanh_": lambda L, x, o: _F(L).hardtanh(x.clone(), 0.0, 6.0, inplace=True),
    "threshold": lambda L, x, o: _F(L).threshold(x, 0.5, 0.0),
    "hardsigmoid": lambda L, x, o: _F(L).hardsigmoid(x),
    "hardshrink": lambda L, x, o: _F(L).hardshrink(x, 0.5),
    "softshrink": lambda L, x, o: _F(L).softshrink(x, 0.5),
    "leaky_relu": lambda L, x, o: _F(L).leaky_relu(x, 0.0),  # multiplies: NaN stays
    "max": lambda L, x, o: (x * 0).max().expand(8),
    "min": lambda L, x, o: x.min().expand(8),
    "median": lambda L, x, o: x.median().expand(8),
    "nanmedian": lambda L, x, o: x.nanmedian().expand(8),
    "pow0": lambda L, x, o: x ** 0,
    "pow_tensor": lambda L, x, o: x.abs() ** o,
    "zero_base": lambda L, x, o: 0.0 ** o,
}


@pytest.mark.parametrize("name", sorted(_SELECTS))
def test_nonfinite_gradient_stops_where_torch_selects(name):
    def program(L):
        x = L.tensor(X, requires_grad=True)
        o = L.tensor(OTHER, requires_grad=True)
        y = _SELECTS[name](L, x, o)
        y.backward(L.tensor(G))
        return _arr(y), _arr(x.grad), _arr(o.grad)

    _check(program)


@pytest.mark.parametrize("name", ["relu", "hardtanh", "threshold", "softshrink"])
def test_nonfinite_gradient_stops_with_create_graph(name):
    def program(L):
        x = L.tensor(X, requires_grad=True)
        y = _SELECTS[name](L, x, None)
        g, = L.autograd.grad(y, x, L.tensor(G, requires_grad=True), create_graph=True)
        return _arr(g), g.requires_grad, type(g.grad_fn).__name__

    _check(program)


def test_sqrt_of_relu_at_zero():
    # a distance written sqrt(relu(d)): PyTorch's gradient is 0 where d <= 0, not NaN
    def program(L):
        d = L.tensor([[-1.0, 0.0], [4.0, 0.25]], requires_grad=True)
        L.relu(d).sqrt().sum().backward()
        return (_arr(d.grad),)

    _check(program)


def test_max_of_sqrt_at_zero_spreads_only_to_the_max():
    def program(L):
        x = L.tensor([0.5, 1.0], requires_grad=True)
        (x.max() * 0).sqrt().backward()
        return (_arr(x.grad),)

    _check(program)


@pytest.mark.parametrize("red", ["max", "min", "median", "nanmedian"])
def test_full_max_min_median_double_backward(red):
    def program(L):
        x = L.tensor([1.0, 3.0, 3.0, -2.0, -2.0], requires_grad=True)
        y = getattr(x, red)() ** 2
        g, = L.autograd.grad(y, x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x)
        return _arr(g), type(g.grad_fn).__name__, _arr(g2)

    _check(program)


@pytest.mark.parametrize("op", ["cdist", "cdist_self", "pdist", "pairwise_distance", "norm"])
def test_inf_norm_distance_ties(op):
    # cdist/pdist give each tied maximum the whole gradient; norm and pairwise_distance split
    def program(L):
        x = L.tensor([[1.0, -1.0, 0.5], [2.0, 2.0, -2.0]], requires_grad=True)
        z = L.zeros(1, 3, dtype=L.float64)
        inf = float("inf")
        y = {"cdist": lambda: L.cdist(x, z, p=inf),
             "cdist_self": lambda: L.cdist(x, x, p=inf),
             "pdist": lambda: _F(L).pdist(L.cat([x, z]), p=inf),
             "pairwise_distance": lambda: _F(L).pairwise_distance(x, z, p=inf, eps=0.0),
             "norm": lambda: x.norm(p=inf, dim=1)}[op]()
        y.backward(L.arange(1.0, y.numel() + 1, dtype=L.float64).reshape(y.shape))
        return _arr(y), _arr(x.grad), type(y.grad_fn).__name__

    _check(program)


@pytest.mark.parametrize("shapes", [((30, 3), (20, 3)), ((1, 30, 3), (20, 3)),
                                    ((2, 30, 3), (1, 20, 3)), ((2, 1, 30, 3), (3, 20, 3)),
                                    ((5, 3), (4, 3))])
def test_cdist_matmul_path_graph(shapes):
    # PyTorch's Euclidean fast path (> 25 rows, or use_mm_for_euclid_dist) is its
    # _euclidean_dist of the flattened batch, viewed to the result's shape
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal(s) for s in shapes)

    def program(L):
        x1, x2 = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
        y = L.cdist(x1, x2, compute_mode="use_mm_for_euclid_dist")
        y.backward(L.tensor(np.arange(y.numel()).reshape(tuple(y.shape)) % 3 + 0.5))
        return _arr(y), _arr(x1.grad), _arr(x2.grad), type(y.grad_fn).__name__, \
            _structure(y.grad_fn, 3)

    t, e = program(torch), program(ember)
    for x, y in zip(t[:3], e[:3]):
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9)
    assert e[3:] == t[3:]


def test_chunk_of_an_empty_dim_is_split_with_sizes():
    def program(L):
        x = L.zeros(0, 3, requires_grad=True) * 1
        parts = x.chunk(2, 0)
        names = [type(t.grad_fn).__name__ for t in parts]
        try:
            parts[0].mul_(2)
            err = None
        except RuntimeError as e:
            err = str(e)
        return names, [tuple(t.shape) for t in parts], err

    _check(program)


@pytest.mark.parametrize("op", ["split", "chunk", "unbind"])
def test_multi_output_view_after_its_base_changed(op):
    def program(L):
        x = L.tensor([[-1.0, 0.5, 2.0], [0.3, 1.5, -2.0]], requires_grad=True)
        a = x * 1
        y = {"split": lambda: a.split(1)[1], "chunk": lambda: a.chunk(2, -1)[0],
             "unbind": lambda: a.unbind(0)[0]}[op]()
        a.add_(1)
        (y * 1).sum().backward()
        return (_arr(x.grad),)

    _check(program)


def test_masked_select_saves_its_input():
    def program(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        a = x * 1
        y = a.masked_select(a > 0)
        saved = y.grad_fn._saved_mask.tolist(), y.grad_fn._saved_self.tolist()
        a.add_(1)
        y.sum().backward()
        return saved

    _check(program)


# ------------------------------------------- pow's gradients at zero exponents / zero bases
def test_pow_zero_exponent_gradient_has_no_graph():
    def program(L):
        x = L.tensor([0.0, 2.0, -1.0], requires_grad=True)
        g, = L.autograd.grad((x ** 0).sum(), x, create_graph=True)
        return _arr(g), g.requires_grad, g.grad_fn

    _check(program)


def test_pow_number_zero_base_negative_exponent_gradient():
    def program(L):
        e = L.tensor([-1.0, 0.0, 2.0, -0.5], requires_grad=True)
        y = 0.0 ** e
        y.backward(L.ones(4, dtype=L.float64))
        return _arr(y), _arr(e.grad)

    _check(program)


def test_pow_number_base_result_is_c_ordered():
    def program(L):
        x = L.ones(3, 4, 2, dtype=L.float64).transpose(0, 1).requires_grad_()
        y = 2 ** x
        z = y.flatten()
        return y.stride(), y.is_contiguous(), type(z.grad_fn).__name__, \
            (2.0 ** x.detach()).stride(), (x ** 2).stride()

    _check(program)


def test_prod_of_0d_gradient_is_the_incoming_one():
    def program(L):
        x = L.tensor(1.5, requires_grad=True)
        g, = L.autograd.grad(x.prod() * 3, x, create_graph=True)
        g0, = L.autograd.grad((x * 0).prod(), x, create_graph=True)
        return _arr(g), g.requires_grad, _arr(g0), g0.requires_grad

    _check(program)


# ------------------------------------------- Scalar overloads: one edge, the tensor's
_SCALAR_NODES = {
    "fmod": lambda L, x: x.fmod(1.5),
    "remainder": lambda L, x: x % 1.5,
    "remainder_fn": lambda L, x: L.remainder(x, 1.5),
    "masked_fill": lambda L, x: x.masked_fill(x > 0, 1.0),
    "masked_fill_tensor": lambda L, x: x.masked_fill(x > 0, L.tensor(1.0, dtype=L.float64)),
    "masked_fill_": lambda L, x: x.clone().masked_fill_(x > 0, 1.0),
    "index_fill": lambda L, x: x.index_fill(0, L.tensor([0]), 1.0),
    "scatter_value": lambda L, x: x.scatter(0, L.tensor([0]), 1.0),
    "lerp": lambda L, x: x.lerp(x * 2, 0.5),
    "lerp_tensor": lambda L, x: x.lerp(x * 2, L.full_like(x, 0.5)),
    "xlogy_number_other": lambda L, x: L.xlogy(x, 2.0),
    "xlogy_number_self": lambda L, x: L.xlogy(2.0, x.abs()),
    "xlog1py_number_other": lambda L, x: L.special.xlog1py(x, 1.0),
    "copysign": lambda L, x: L.copysign(x, -1.0),
    "floor_divide": lambda L, x: x // 2,
    "rsub": lambda L, x: L.rsub(x, 2),
    "rsub_op": lambda L, x: 2 - x,
    "sub": lambda L, x: x - 2,
    "mul": lambda L, x: x * 2,
    "clamp_min_tensor": lambda L, x: x.clamp_min(L.tensor(0.0, dtype=L.float64)),
    "clamp_max_tensor": lambda L, x: x.clamp_max(L.zeros(4, dtype=L.float64)),
    "clamp_tensor": lambda L, x: x.clamp(L.tensor(0.0, dtype=L.float64)),
}


def _structure(fn, depth=2):
    if fn is None or depth == 0:
        return None
    return [(type(f).__name__ if f is not None else None, i, _structure(f, depth - 1))
            for f, i in fn.next_functions]


@pytest.mark.parametrize("name", sorted(_SCALAR_NODES))
def test_scalar_overload_node_edges(name):
    def program(L):
        x = L.tensor([-1.0, 0.5, 2.0, 1.5], requires_grad=True)
        y = _SCALAR_NODES[name](L, x)
        if y.requires_grad and y.dtype.is_floating_point:
            y.backward(L.ones_like(y))
        return type(y.grad_fn).__name__, _structure(y.grad_fn), _arr(x.grad)

    _check(program)


def test_clamp_min_max_tensor_gradients():
    def program(L):
        x = L.tensor([1.0, -2.0, 3.0, 0.0], requires_grad=True)
        b = L.tensor([0.0, 0.0, 5.0, 0.0], requires_grad=True)
        x.clamp_min(b).sum().backward()
        first = _arr(x.grad), _arr(b.grad)
        x.grad = b.grad = None
        x.clamp_max(b).sum().backward()
        return first + (_arr(x.grad), _arr(b.grad))

    _check(program)


# ------------------------------------------- custom Functions: edges for tensors only
def _scaled(L):
    class Scaled(L.autograd.Function):
        @staticmethod
        def forward(ctx, k, x, note):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return None, g * ctx.k, None

    return Scaled


def test_custom_function_edges_skip_non_tensor_arguments():
    def program(L):
        x = L.tensor([1.0, -2.0], requires_grad=True)
        y = _scaled(L).apply(3.0, x, "note")
        y.sum().backward()
        return _structure(y.grad_fn), y.grad_fn.needs_input_grad, _arr(x.grad)

    _check(program)


@pytest.mark.parametrize("bad", ["number_first", "number_last"])
def test_custom_function_gradient_for_a_non_tensor_argument(bad):
    def program(L):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return (b if bad == "number_first" else a) * 2

            @staticmethod
            def backward(ctx, g):
                return (g.sum(), g) if bad == "number_first" else (g, g.sum())

        x = L.tensor([1.0, -2.0], requires_grad=True)
        args = (3.0, x) if bad == "number_first" else (x, 3.0)
        Bad.apply(*args).sum().backward()
        return (_arr(x.grad),)

    _check(program)


def test_custom_function_invalid_gradient_index_counts_tensors():
    def program(L):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, k, x):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return None, g.sum()

        x = L.tensor([1.0, -2.0], requires_grad=True)
        Bad.apply(3.0, x).sum().backward()
        return (_arr(x.grad),)

    _check(program)


# ------------------------------------------- one seeded fuzz of op chains
_VALS = np.array([-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.0, 2.0])

_CHAIN_OPS = {
    "abs": lambda L, x, o: x.abs(),
    "relu": lambda L, x, o: L.relu(x),
    "relu6": lambda L, x, o: _F(L).relu6(x * 6),
    "hardtanh": lambda L, x, o: _F(L).hardtanh(x),
    "clamp": lambda L, x, o: x.clamp(-0.5, 0.5),
    "clamp_t": lambda L, x, o: x.clamp(min=o * 0 - 0.5),
    "sqrt_abs": lambda L, x, o: x.abs().sqrt(),
    "pow2": lambda L, x, o: x ** 2,
    "pow0": lambda L, x, o: x ** 0,
    "pow_tt": lambda L, x, o: x.abs().pow(o.abs()),
    "maximum": lambda L, x, o: L.maximum(x, o),
    "minimum": lambda L, x, o: L.minimum(x, o),
    "where": lambda L, x, o: L.where(x > 0, x, o),
    "mul": lambda L, x, o: x * o,
    "max_all": lambda L, x, o: x.max(),
    "min_all": lambda L, x, o: x.min(),
    "median": lambda L, x, o: x.median(),
    "amax": lambda L, x, o: x.amax(-1) if x.dim() else x.amax(),
    "max_dim": lambda L, x, o: x.max(-1)[0] if x.dim() else x,
    "sort": lambda L, x, o: x.sort(-1 if x.dim() else 0)[0],
    "topk": lambda L, x, o: x.reshape(-1).topk(min(2, x.numel()))[0],
    "sum0": lambda L, x, o: x.sum(0) if x.dim() else x,
    "mean": lambda L, x, o: x.mean(),
    "prod_all": lambda L, x, o: x.prod(),
    "norm": lambda L, x, o: x.norm(),
    "t": lambda L, x, o: x.transpose(0, -1) if x.dim() else x,
    "expand": lambda L, x, o: x.unsqueeze(0).expand(2, *x.shape),
    "flatten": lambda L, x, o: x.flatten(),
    "slice": lambda L, x, o: x[::2] if x.dim() else x,
    "index_list": lambda L, x, o: x[[0, 0, -1]] if x.dim() else x,
    "cat": lambda L, x, o: L.cat([x, x * 2]) if x.dim() else x,
    "gather": lambda L, x, o: x.gather(0, L.zeros((2,) + tuple(x.shape[1:]),
                                                   dtype=L.long)) if x.dim() else x,
    "masked_fill": lambda L, x, o: x.masked_fill(x < 0, 0.0),
    "fmod": lambda L, x, o: L.fmod(x, 1.5),
    "mm_outer": lambda L, x, o: x.reshape(-1, 1) @ x.reshape(1, -1),
    "softmax": lambda L, x, o: x.softmax(-1 if x.dim() else 0),
    "tanh": lambda L, x, o: x.tanh(),
    "sqrt0": lambda L, x, o: (x * 0).sqrt(),
    "zero_pow": lambda L, x, o: L.pow(x * 0, o),
}
_NAMES = sorted(_CHAIN_OPS)
# chains whose PyTorch gradients depend on kernels Ember does not mirror yet
_SKIP = {"prod_all"}


def _chain_case(rng):
    shape = tuple(int(rng.choice([1, 2, 3])) for _ in range(rng.integers(0, 3)))
    a = rng.choice(_VALS, size=shape)
    b = rng.choice(_VALS, size=shape[int(rng.integers(0, len(shape) + 1)):])
    chain = [_NAMES[i] for i in rng.integers(0, len(_NAMES), size=int(rng.integers(2, 6)))]
    w = rng.choice([0.5, 1.0, -1.0, 2.0], size=64)
    return a, b, chain, w


def _run_chain(L, a, b, chain, w):
    x0 = L.tensor(a, requires_grad=True)
    o = L.tensor(b, requires_grad=True)
    x = x0
    names = []
    for name in chain:
        x = _CHAIN_OPS[name](L, x, o)
        names.append(type(x.grad_fn).__name__ if x.grad_fn is not None else None)
    if not x.requires_grad:
        return names, None, None
    (x * L.tensor(w[:x.numel()].reshape(x.shape))).sum().backward()
    return names, _arr(x0.grad), _arr(o.grad)


def test_seeded_chain_fuzz():
    rng = np.random.default_rng(23)
    bad = []
    for i in range(250):
        case = _chain_case(rng)
        a, chain = case[0], case[2]
        if _SKIP.intersection(chain):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = _outcome(lambda L, case=case: _run_chain(L, *case), torch)
            e = _outcome(lambda L, case=case: _run_chain(L, *case), ember)
        try:
            if t[0] is _ERR or e[0] is _ERR:  # an error: the same type
                assert e[:2] == t[:2]
                continue
            assert e[0] == t[0]
            _same(t[1], e[1])
            _same(t[2], e[2])
        except AssertionError as err:
            bad.append((i, chain, a.shape, str(err)[:200]))
    assert not bad, bad


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("op", ["relu", "relu6", "hardtanh", "threshold"])
def test_selected_gradient_has_no_negative_zero(op, dtype):
    """A negative gradient where the slope is 0 is 0 in PyTorch (its backward selects), not
    the -0 of a product: it prints as ``0.`` and its sign bit is clear."""
    def program(lib):
        F = lib.nn.functional
        fn = {"relu": F.relu, "relu6": F.relu6, "hardtanh": F.hardtanh,
              "threshold": lambda t: F.threshold(t, 0.5, 0.0)}[op]
        x = lib.tensor([-2.0, -0.5, 0.25, 3.0, 8.0], dtype=getattr(lib, dtype),
                       requires_grad=True)
        (fn(x) * lib.tensor([-1.0, -2.0, -3.0, -4.0, -5.0], dtype=getattr(lib, dtype))).sum().backward()
        return x.grad

    t, e = program(torch), program(ember)
    assert np.array_equal(np.signbit(e.float().numpy()), np.signbit(t.float().numpy()))
    assert str(e).replace("ember", "torch") == str(t)
