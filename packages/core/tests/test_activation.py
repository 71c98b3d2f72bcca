"""Activations and dropout against PyTorch: values, gradients (float32/float64), in-place
forms, finite differences, double backward, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_check import check, gradcheck, randn

import ember
from ember.ops import activation as A
from ember.testing import assert_close

# (ember op, torch.nn.functional name, kwargs)
UNARY = [
    (A.relu, "relu", {}), (A.relu6, "relu6", {}), (A.leaky_relu, "leaky_relu", {}),
    (A.leaky_relu, "leaky_relu", {"negative_slope": 0.2}), (A.elu, "elu", {}),
    (A.elu, "elu", {"alpha": 0.7}), (A.selu, "selu", {}), (A.celu, "celu", {"alpha": 1.3}),
    (A.gelu, "gelu", {}), (A.gelu, "gelu", {"approximate": "tanh"}), (A.silu, "silu", {}),
    (A.mish, "mish", {}), (A.hardsigmoid, "hardsigmoid", {}),
    (A.hardtanh, "hardtanh", {}), (A.hardtanh, "hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    (A.hardswish, "hardswish", {}), (A.softplus, "softplus", {}),
    (A.softplus, "softplus", {"beta": 2.0, "threshold": 1.0}), (A.softsign, "softsign", {}),
    (A.softshrink, "softshrink", {}), (A.softshrink, "softshrink", {"lambd": 1.2}),
    (A.hardshrink, "hardshrink", {}), (A.tanhshrink, "tanhshrink", {}),
    (A.logsigmoid, "logsigmoid", {}),
    (A.threshold, "threshold", {"threshold": 0.3, "value": -2.0}),
]
IDS = [f"{t}-{'-'.join(map(str, k.values()))}" for _, t, k in UNARY]


def _x(shape: tuple, dtype: str) -> np.ndarray:
    x = np.asarray(randn(*shape, dtype=dtype) * 3)
    if x.size > 4:  # values on the kinks and far in the tails
        flat = x.reshape(-1)
        flat[:4] = [0.0, -3.0, 3.0, 40.0][: flat.size]
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op,name,kw", UNARY, ids=IDS)
def test_unary_matches_torch(torch, op, name, kw, dtype):
    tf = getattr(torch.nn.functional, name)
    for shape in [(3, 5), (), (0, 4), (2, 3, 4)]:
        x = _x(shape, dtype)
        check(torch, lambda a: op(a, **kw), lambda a: tf(a, **kw), [x])


@pytest.mark.parametrize("op,name,kw", UNARY, ids=IDS)
def test_unary_noncontiguous(torch, op, name, kw):
    tf = getattr(torch.nn.functional, name)
    x = randn(4, 6)
    check(torch, lambda a: op(a.t()[:, ::2], **kw), lambda a: tf(a.t()[:, ::2], **kw), [x])


SMOOTH = [(A.elu, {}), (A.selu, {}), (A.celu, {"alpha": 0.5}), (A.gelu, {}),
          (A.gelu, {"approximate": "tanh"}), (A.silu, {}), (A.mish, {}), (A.softplus, {}),
          (A.softsign, {}), (A.tanhshrink, {}), (A.logsigmoid, {}), (A.hardswish, {})]


@pytest.mark.parametrize("op,kw", SMOOTH)
def test_gradcheck(op, kw):
    x = randn(3, 4) + 0.05  # keep off the kinks
    gradcheck(lambda a: op(a, **kw), x)


@pytest.mark.parametrize("op,name,kw", [(A.gelu, "gelu", {}), (A.silu, "silu", {}),
                                        (A.softplus, "softplus", {}), (A.mish, "mish", {}),
                                        (A.elu, "elu", {}), (A.logsigmoid, "logsigmoid", {})])
def test_double_backward(torch, op, name, kw):
    x = randn(5)
    xe = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    (ge,) = ember.autograd.grad(op(xe, **kw).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad(getattr(torch.nn.functional, name)(xt, **kw).sum(), xt,
                                create_graph=True)
    (gge,) = ember.autograd.grad((ge * ge).sum(), xe)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    ember.testing.assert_close(gge, ggt)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu",
                                  "mish", "hardtanh", "hardsigmoid", "hardswish", "rrelu"])
def test_inplace(torch, name):
    op = getattr(A, name)
    tf = getattr(torch.nn.functional, name)
    x = randn(3, 4)
    a = ember.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ae, bt = a * 1, b * 1
    re, rt = op(ae, inplace=True), tf(bt, inplace=True)
    assert re is ae
    ember.testing.assert_close(ae, bt)
    (re * re).sum().backward()
    (rt * rt).sum().backward()
    ember.testing.assert_close(a.grad, b.grad)


def test_relu_inplace_writes_through(torch):
    """relu_ writes into the tensor's own array (not a view): the graph, the version
    counter, a second output of a multi-output op, -0.0 and NaN as in PyTorch."""
    x = randn(4, 5)
    x[0, :3] = [-0.0, np.nan, -np.nan]
    a, b = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    he, ht = a * 3, b * 3
    assert ember.relu_(he) is he and he._version == 1
    torch.relu_(ht)
    assert_close(he, ht, equal_nan=True)
    assert_close(ember.signbit(he), torch.signbit(ht))
    (se, le) = ember.linalg.slogdet(a[1:, :3].nan_to_num() * 2)
    (st, lt) = torch.linalg.slogdet(b[1:, :3].nan_to_num() * 2)
    ember.relu_(le)  # the second output of its node
    torch.relu_(lt)
    ((he * he).sum() + le * se).backward()
    ((ht * ht).sum() + lt * st).backward()
    assert_close(a.grad, b.grad, equal_nan=True)
    # a tensor saved by another node, then changed in place: that node's backward refuses
    s = a * 1
    y = s * s
    ember.relu_(s)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    # a view goes the general way and rebases its base
    a.grad, b.grad = None, None
    v, bv = a * 1, b * 1
    ember.relu_(v[1:])
    torch.relu_(bv[1:])
    (v * v).sum().backward()
    (bv * bv).sum().backward()
    assert_close(a.grad, b.grad, equal_nan=True)
    assert_close(ember.relu_(ember.tensor(x[1:])), torch.relu_(torch.tensor(x[1:])))


def test_top_level_and_methods(torch):
    x = randn(4, 3)
    for ename, tname in [("relu", "relu"), ("selu", "selu"), ("celu", "celu"),
                         ("hardshrink", "hardshrink")]:
        check(torch, getattr(ember, ename), getattr(torch, tname), [x])
    check(torch, lambda a: ember.threshold(a, 0.1, 5.0), lambda a: torch.threshold(a, 0.1, 5.0),
          [x])
    check(torch, lambda a: a.relu(), lambda a: a.relu(), [x])
    check(torch, lambda a: a.hardshrink(0.3), lambda a: a.hardshrink(0.3), [x])
    y = ember.tensor(x)
    assert ember.relu_(y) is y and float(y.min()) >= 0
    z = ember.tensor(x)
    ember.threshold_(z, 0.0, 9.0)
    ember.testing.assert_close(z, torch.threshold(torch.tensor(x), 0.0, 9.0))
    assert ember.relu(ember.tensor([-1, 2])).dtype == ember.int64


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_prelu(torch, dtype):
    x = randn(2, 3, 4, dtype=dtype)
    for w in [randn(1, dtype=dtype), randn(3, dtype=dtype)]:
        check(torch, A.prelu, torch.nn.functional.prelu, [x, w])
    check(torch, A.prelu, torch.nn.functional.prelu, [randn(5, dtype=dtype),
                                                      randn(1, dtype=dtype)])
    check(torch, A.prelu, torch.nn.functional.prelu, [randn(6, 2, dtype=dtype),
                                                      randn(2, dtype=dtype)])
    gradcheck(A.prelu, randn(2, 3, 2) + 0.1, randn(3))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        A.prelu(ember.tensor(x), ember.tensor(randn(2, dtype=dtype)))


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu(torch, dim):
    x = randn(4, 6, 2)
    check(torch, lambda a: A.glu(a, dim), lambda a: torch.nn.functional.glu(a, dim), [x])
    gradcheck(lambda a: A.glu(a, dim), x)


def test_glu_odd_dimension():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                                           "size 3"):
        A.glu(ember.randn(2, 3), 1)


def test_rrelu(torch):
    x = randn(200, 30)
    check(torch, lambda a: A.rrelu(a, 0.1, 0.3, False),
          lambda a: torch.nn.functional.rrelu(a, 0.1, 0.3, False), [x])
    xe = ember.tensor(x, requires_grad=True)
    y = A.rrelu(xe, 0.1, 0.3, training=True)
    ratio = (y.detach().numpy() / x)
    assert np.allclose(ratio[x > 0], 1.0)
    neg = ratio[x < 0]
    assert neg.min() >= 0.1 - 1e-12 and neg.max() <= 0.3 + 1e-12 and neg.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), ratio)


def test_errors():
    x = ember.randn(3)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        A.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for "
                       "input dtype Float, but found -1$"):  # PyTorch's words: -1
        A.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        A.gelu(ember.tensor([1, 2]))


def test_half_precision(torch):
    x = randn(4, 5, dtype="float32")
    for op, name in [(A.gelu, "gelu"), (A.silu, "silu"), (A.relu, "relu")]:
        ye = op(ember.tensor(x).to(ember.float16))
        yt = getattr(torch.nn.functional, name)(torch.tensor(x).half())
        ember.testing.assert_close(ye, yt, rtol=2e-3, atol=2e-3)


# ------------------------------------------------------------------ dropout
def test_dropout_statistics_and_gradient():
    x = ember.ones(200, 500, requires_grad=True)
    y = ember.dropout(x, 0.3, True)
    v = y.detach().numpy()
    kept = v != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(v[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), v)
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_identity_cases():
    x = ember.randn(3, 4, requires_grad=True)
    assert ember.dropout(x, 0.5, False) is x
    assert ember.dropout(x, 0.0, True) is x
    z = ember.dropout(x, 1.0, True)
    assert not z.detach().numpy().any() and z.requires_grad
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
        ember.dropout(x, 1.5, True)


def test_feature_dropout_zeroes_whole_channels():
    x = ember.ones(8, 16, 5, 5)
    y = ember.feature_dropout(x, 0.5, True).numpy()
    per = y.reshape(8, 16, -1)
    assert np.all((per == 0).all(-1) | (per == 2).all(-1))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ember.feature_dropout(ember.ones(3), 0.5, True)


def test_alpha_dropout_keeps_moments():
    x = ember.randn(400, 500)
    y = ember.alpha_dropout(x, 0.2, True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    y2 = ember.feature_alpha_dropout(ember.randn(100, 400, 3), 0.2, True).numpy()
    assert abs(y2.std() - 1) < 0.05


def test_dropout_inplace():
    x = ember.ones(10, 10)
    y = ember.dropout_(x, 0.5, True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


def test_dropout_seeded_like_torch(torch):
    ember.manual_seed(0)
    a = ember.rand(64).numpy()
    torch.manual_seed(0)
    if not np.allclose(a, torch.rand(64).numpy()):
        pytest.skip("ember.rand does not reproduce torch's stream here")
    x = randn(6, 40, dtype="float32")
    ember.manual_seed(3)
    ye = ember.dropout(ember.tensor(x), 0.4, True)
    torch.manual_seed(3)
    yt = torch.nn.functional.dropout(torch.tensor(x), 0.4, True)
    if not np.array_equal(ye.numpy() != 0, yt.numpy() != 0):
        pytest.xfail("bernoulli_ does not reproduce torch's CPU stream")
    ember.testing.assert_close(ye, yt)


NAN_EDGE_OPS = {
    "relu": lambda F, x: F.relu(x), "hardtanh": lambda F, x: F.hardtanh(x),
    "relu6": lambda F, x: F.relu6(x), "hardshrink": lambda F, x: F.hardshrink(x),
    "softshrink": lambda F, x: F.softshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.5, 2.0), "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x), "celu": lambda F, x: F.celu(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x), "softsign": lambda F, x: F.softsign(x),
}


@pytest.mark.parametrize("name", sorted(NAN_EDGE_OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_and_infinity_edges_match_pytorch(torch, name, dtype):
    """Values and gradients at NaN, +-inf and the branch points, on a tensor long enough for
    PyTorch's vectorized kernels (whose NaN handling all but tiny tensors see)."""
    pytest.importorskip("ember.nn")
    edges = [np.nan, np.inf, -np.inf, 0.0, 0.5, -0.5, 1.0, -1.0, 6.0, 3.0]
    x = np.array(edges * 32, dtype=dtype)  # whole vectors: no scalar tail
    out = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        y = NAN_EDGE_OPS[name](lib.nn.functional, t)
        (g,) = lib.autograd.grad(y.sum(), t)
        out.append((y.detach(), g))
    assert_close(out[0][0], out[1][0], equal_nan=True)
    assert_close(out[0][1], out[1][1], equal_nan=True)


@pytest.mark.parametrize("name", ["mish", "softplus", "silu", "logsigmoid"])
def test_second_derivative_at_zero_matches_pytorch(torch, name):
    """Smooth functions stay smooth under double backward at 0 (no kinks from max/abs)."""
    pytest.importorskip("ember.nn")
    x = np.array([0.0, 1e-3, -1e-3, 2.0, -2.0, 25.0, -30.0])
    out = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib.nn.functional, name)(t).sum(), t,
                                 create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), t)
        out.append(gg)
    assert_close(out[0], out[1], rtol=1e-6, atol=1e-9)


_NAMED = [("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}), ("selu", {}),
          ("celu", {}), ("threshold", {"threshold": 0.1, "value": 2.0}), ("hardtanh", {}),
          ("rrelu", {"training": False}), ("rrelu", {"training": True})]


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("name,kw", _NAMED, ids=[f"{n}-{k}" for n, k in _NAMED])
def test_node_names_like_pytorch(torch, name, kw, inplace):
    """PyTorch names a node by the op it records: rrelu in eval mode is still
    RreluWithNoiseBackward0; the in-place forms of these ops record ``...Backward1``."""
    names = []
    for lib, fn in ((torch, getattr(torch.nn.functional, name)), (ember, getattr(A, name))):
        x = lib.tensor(randn(5), requires_grad=True)
        y = fn(x * 1, inplace=inplace, **kw)
        names.append(y.grad_fn.name())
    assert names[1] == names[0]


@pytest.mark.parametrize("module_mode", ["train", "eval"])
def test_rrelu_module_node_name(torch, module_mode):
    nn = pytest.importorskip("ember.nn")
    names = []
    for lib_nn, lib in ((torch.nn, torch), (nn, ember)):
        m = getattr(lib_nn.RReLU(), module_mode)()
        names.append(m(lib.tensor(randn(6), requires_grad=True)).grad_fn.name())
    assert names[1] == names[0]


def test_rrelu_eval_gradient_matches_torch(torch):
    x = randn(40)
    x[:3] = [0.0, -1.0, 2.0]
    check(torch, lambda a: A.rrelu(a * 1, 0.1, 0.3, False, inplace=True),
          lambda a: torch.nn.functional.rrelu(a * 1, 0.1, 0.3, False, inplace=True), [x])
