"""Higher-order gradients against PyTorch, in float64.

For each op: the first derivative through ``autograd.grad(create_graph=True)`` with a random
output gradient, a second derivative (the gradient of ``sum(grad * v)``) and, for smooth ops,
a third; values and whether each result requires grad (or PyTorch's "element 0 of tensors does
not require grad" error) must match. ``gradgradcheck`` checks the second derivative against
finite differences, and where PyTorch's own third derivative is wrong or missing
(``layer_norm``, ``logcumsumexp``, ``batch_norm``) Ember's is checked by finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

N, P, U = "n", "p", "u"


def _idx(hi: int) -> tuple:
    return ("i", hi)


S, R, A = (3, 4), (3, 4, 5), (2, 3, 4)

# (name, fn(lib, F, *inputs), input specs, highest order); F is lib.nn.functional or None
_CORE: list[tuple[str, Callable, list, int]] = []
_NN: list[tuple[str, Callable, list, int]] = []


def _core(name: str, fn: Callable, specs: list, order: int = 2) -> None:
    _CORE.append((name, fn, specs, order))


def _nn(name: str, fn: Callable, specs: list, order: int = 2) -> None:
    _NN.append((name, fn, specs, order))


for _op in ("exp", "sin", "tanh", "sigmoid", "atan", "erf", "expm1", "cosh", "square"):
    _core(_op, (lambda op: lambda L, F, x: getattr(L, op)(x))(_op), [(S, N)], 3)
for _op in ("log", "sqrt", "rsqrt", "reciprocal", "log1p", "lgamma", "digamma", "erfinv",
            "logit", "asin", "atanh"):
    _core(_op, (lambda op: lambda L, F, x: getattr(L, op)(x))(_op), [(S, U)], 3)
_core("abs", lambda L, F, x: L.abs(x) * x, [(S, N)])
_core("pow_scalar", lambda L, F, x: x ** 3, [(S, N)], 3)
_core("pow_tensor", lambda L, F, a, b: L.pow(a, b), [(S, P), (S, N)], 3)
_core("rpow", lambda L, F, a: 2.0 ** a, [(S, N)], 3)
_core("atan2", lambda L, F, a, b: L.atan2(a, b), [(S, N), (S, N)], 3)
_core("hypot", lambda L, F, a, b: L.hypot(a, b), [(S, N), (S, N)], 3)
_core("lerp", lambda L, F, a, b, w: L.lerp(a, b, w), [(S, N), (S, N), (S, U)], 3)
_core("addcmul", lambda L, F, a, b, c: L.addcmul(a, b, c, value=0.7), [(S, N)] * 3, 3)
_core("addcdiv", lambda L, F, a, b, c: L.addcdiv(a, b, c, value=0.7),
      [(S, N), (S, N), (S, P)], 3)
_core("where", lambda L, F, a, b: L.where(a > 0, a * b, b ** 2), [(S, N), (S, N)], 3)
_core("clamp_tensor_bounds", lambda L, F, x, lo, hi: L.clamp(x * x, lo, hi + 1),
      [(S, N), (S, U), (S, U)])
_core("minimum", lambda L, F, a, b: L.minimum(a, b) * a, [(S, N), (S, N)])
_core("maximum", lambda L, F, a, b: L.maximum(a, b) * b, [(S, N), (S, N)])
_core("max_binary", lambda L, F, a, b: L.max(a, b) ** 2, [(S, N), (S, N)])
_core("xlogy", lambda L, F, a, b: L.xlogy(a, b), [(S, N), (S, P)], 3)
_core("logaddexp", lambda L, F, a, b: L.logaddexp(a, b), [(S, N), (S, N)], 3)
_core("sum", lambda L, F, x: (x ** 2).sum(1), [(R, N)], 3)
_core("mean", lambda L, F, x: (x ** 3).mean((0, 2)), [(R, N)], 3)
_core("prod", lambda L, F, x: x.prod(1), [(R, N)], 3)
_core("prod_with_zeros", lambda L, F, x: x.prod(1), [(R, "z")], 3)
_core("prod_all_one_zero", lambda L, F, x: x.prod(), [((2, 3), "z1")], 3)
_core("amax", lambda L, F, x: (x * x).amax(1), [(R, N)])
_core("max_dim", lambda L, F, x: (x * x).max(1)[0], [(R, N)])
_core("logsumexp", lambda L, F, x: L.logsumexp(x, 1), [(R, N)], 3)
_core("norm", lambda L, F, x: L.norm(x, dim=1), [(R, N)], 3)
_core("norm_p3", lambda L, F, x: L.norm(x, p=3, dim=1), [(R, N)], 3)
_core("var", lambda L, F, x: x.var(1), [(R, N)], 3)
_core("std", lambda L, F, x: x.std(1, correction=0), [(R, N)], 3)
_core("cumsum", lambda L, F, x: L.cumsum(x * x, 1), [(R, N)], 3)
_core("cumprod", lambda L, F, x: L.cumprod(x, 1), [(R, N)], 3)
_core("cumprod_with_zeros", lambda L, F, x: L.cumprod(x, 1), [(R, "z")], 3)
_core("cummax", lambda L, F, x: L.cummax(x * x, 1)[0], [(R, N)])
_core("gather", lambda L, F, x, i: L.gather(x * x, 1, i), [(R, N), ((3, 2, 5), _idx(4))])
_core("scatter_add", lambda L, F, x, s, i: L.scatter_add(x * x, 1, i, s * s),
      [(R, N), ((3, 2, 5), N), ((3, 2, 5), _idx(4))])
_core("index_select", lambda L, F, x, i: L.index_select(x * x, 1, i), [(R, N), ((5,), _idx(4))])
_core("masked_fill", lambda L, F, x, m: (x * x).masked_fill(m, 0.5), [(R, N), (R, "b")])
_core("index_put_accumulate", lambda L, F, x, v, i: (x * x).index_put((i,), v * v, accumulate=True),
      [((5, 3), N), ((4, 3), N), ((4,), _idx(5))])
_core("take_along_dim", lambda L, F, x, i: L.take_along_dim(x * x, i, 2),
      [(R, N), ((3, 4, 2), _idx(5))])
_core("unfold", lambda L, F, x: (x * x).unfold(1, 2, 1), [(R, N)])
_core("as_strided", lambda L, F, x: L.as_strided(x * x, (2, 2), (1, 2)), [((6,), N)])
_core("getitem", lambda L, F, x: (x * x)[1:, ::2, 1] * x[0, 0, 0], [(R, N)], 3)
_core("matmul", lambda L, F, a, b: L.matmul(a, b) ** 2, [((3, 4), N), ((4, 2), N)], 3)
_core("bmm", lambda L, F, a, b: L.bmm(a * a, b), [((2, 3, 4), N), ((2, 4, 2), N)])
_core("einsum", lambda L, F, a, b: L.einsum("bij,bjk->bik", a * a, b),
      [((2, 3, 4), N), ((2, 4, 2), N)])
_core("inv", lambda L, F, a: L.linalg.inv(a), [((3, 3), "wd")], 3)
_core("det", lambda L, F, a: L.linalg.det(a), [((3, 3), "wd")], 3)
_core("slogdet", lambda L, F, a: L.linalg.slogdet(a)[1], [((3, 3), "wd")], 3)
_core("solve", lambda L, F, a, b: L.linalg.solve(a, b), [((3, 3), "wd"), ((3, 2), N)], 3)
_core("cholesky", lambda L, F, a: L.linalg.cholesky(a @ a.mT + L.eye(3, dtype=a.dtype)),
      [((3, 3), N)])
_core("softmax", lambda L, F, x: L.softmax(x, 1), [(R, N)], 3)
_core("log_softmax", lambda L, F, x: L.log_softmax(x, 2), [(R, N)], 3)

for _act in ("elu", "celu", "selu", "gelu", "silu", "mish", "softplus", "logsigmoid",
             "softsign", "tanhshrink"):
    _nn(_act, (lambda a: lambda L, F, x: getattr(F, a)(x) * x)(_act), [(A, N)], 3)
for _act in ("hardswish", "hardtanh", "relu", "relu6", "softshrink", "hardshrink",
             "leaky_relu"):
    _nn(_act, (lambda a: lambda L, F, x: getattr(F, a)(x) * x)(_act), [(A, N)])
_nn("rrelu_eval_times_x", lambda L, F, x: F.rrelu(x, training=False) * x, [(A, N)])
_nn("gelu_tanh", lambda L, F, x: F.gelu(x, approximate="tanh"), [(A, N)], 3)
_nn("softplus_beta", lambda L, F, x: F.softplus(x, beta=2, threshold=1), [(A, N)], 3)
_nn("prelu", lambda L, F, x, w: F.prelu(x, w) * x, [(A, N), ((3,), N)])
_nn("glu", lambda L, F, x: F.glu(x, 2), [(A, N)], 3)
_nn("mse", lambda L, F, a, b: F.mse_loss(a, b), [((4, 5), N), ((4, 5), N)], 3)
_nn("l1", lambda L, F, a, b: F.l1_loss(a * a, b), [((4, 5), N), ((4, 5), N)])
_nn("smooth_l1", lambda L, F, a, b: F.smooth_l1_loss(a, b, beta=0.8), [((4, 5), N), ((4, 5), N)])
_nn("huber", lambda L, F, a, b: F.huber_loss(a, b, delta=0.9), [((4, 5), N), ((4, 5), N)])
_nn("bce", lambda L, F, a, b: F.binary_cross_entropy(a, b), [((4, 5), U), ((4, 5), U)], 3)
_nn("bce_with_logits", lambda L, F, a, b: F.binary_cross_entropy_with_logits(a, b),
    [((4, 5), N), ((4, 5), U)], 3)
_nn("cross_entropy_label_smoothing", lambda L, F, a, t: F.cross_entropy(a, t, label_smoothing=0.2),
    [((4, 5), N), ((4,), _idx(5))], 3)
_nn("cross_entropy_probs", lambda L, F, a, t: F.cross_entropy(a, L.softmax(t, 1)),
    [((4, 5), N), ((4, 5), N)], 3)
_nn("nll", lambda L, F, a, t: F.nll_loss(F.log_softmax(a, 1), t), [((4, 5), N), ((4,), _idx(5))])
_nn("kl_div", lambda L, F, a, b: F.kl_div(a, b, reduction="batchmean"), [((4, 5), N), ((4, 5), U)],
    3)
_nn("conv1d", lambda L, F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2) ** 2,
    [((2, 4, 9), N), ((6, 2, 3), N), ((6,), N)])
_nn("conv2d_groups_dilation", lambda L, F, x, w: F.conv2d(x, w, stride=2, dilation=2, groups=2,
                                                         padding=2) ** 2,
    [((2, 4, 7, 7), N), ((4, 2, 3, 3), N)])
_nn("conv_transpose2d", lambda L, F, x, w: F.conv_transpose2d(x, w, stride=2, padding=1,
                                                             output_padding=1, groups=2) ** 2,
    [((2, 4, 4, 4), N), ((4, 3, 3, 3), N)])
_nn("max_pool2d", lambda L, F, x: F.max_pool2d(x * x, 3, stride=2, padding=1), [((2, 2, 7, 7), N)])
_nn("avg_pool2d", lambda L, F, x: F.avg_pool2d(x * x, 3, stride=2, padding=1,
                                               count_include_pad=False), [((2, 2, 7, 7), N)])
_nn("adaptive_avg_pool2d", lambda L, F, x: F.adaptive_avg_pool2d(x * x, (3, 2)),
    [((2, 2, 7, 5), N)])
_nn("adaptive_max_pool2d", lambda L, F, x: F.adaptive_max_pool2d(x * x, (3, 2)),
    [((2, 2, 7, 5), N)])
for _mode in ("bilinear", "nearest", "bicubic"):
    _nn(f"interpolate_{_mode}", (lambda m: lambda L, F, x: F.interpolate(x * x, size=(5, 7),
                                                                        mode=m))(_mode),
        [((1, 2, 4, 3), N)])
_nn("layer_norm", lambda L, F, x, w, b: F.layer_norm(x, (4,), w, b) ** 2,
    [((3, 4), N), ((4,), N), ((4,), N)])
_nn("group_norm", lambda L, F, x, w, b: F.group_norm(x, 2, w, b) ** 2,
    [((2, 4, 3), N), ((4,), N), ((4,), N)])
_nn("batch_norm_training", lambda L, F, x, w, b: F.batch_norm(x, None, None, w, b,
                                                             training=True) ** 2,
    [((4, 3, 2), N), ((3,), N), ((3,), N)])
_nn("embedding", lambda L, F, i, w: F.embedding(i, w * w), [((2, 3), _idx(5)), ((5, 4), N)])
for _mode in ("constant", "reflect", "replicate", "circular"):
    _nn(f"pad_{_mode}", (lambda m: lambda L, F, x: F.pad(x * x, (1, 2, 2, 1), mode=m))(_mode),
        [((1, 2, 4, 4), N)])
_nn("scaled_dot_product_attention", lambda L, F, q, k, v: F.scaled_dot_product_attention(q, k, v),
    [((2, 3, 4), N), ((2, 5, 4), N), ((2, 5, 3), N)], 3)


def _inputs(specs: list, seed: int) -> tuple[list[np.ndarray], list[bool]]:
    rng = np.random.default_rng(seed)
    arrs, diff = [], []
    for shape, kind in specs:
        if isinstance(kind, tuple):  # an int64 index tensor
            arrs.append(rng.integers(0, kind[1], shape))
            diff.append(False)
            continue
        if kind == "b":
            arrs.append(rng.random(shape) > 0.5)
            diff.append(False)
            continue
        if kind == "p":
            a = rng.random(shape) + 0.5
        elif kind == "u":
            a = rng.random(shape) * 0.8 + 0.1
        else:  # "n", "z", "z1"; "wd": well-conditioned square matrices
            a = rng.standard_normal(shape) + (3 * np.eye(shape[-1]) if kind == "wd" else 0)
        if kind == "z":  # one zero in a reduced row, two zeros in another
            a[0, 1, 0] = a[1, 0, 2] = a[1, 2, 2] = 0.0
        elif kind == "z1":
            a.flat[2] = 0.0
        arrs.append(a)
        diff.append(True)
    return arrs, diff


def _np(t: Any) -> Any:
    return None if t is None else t.detach().cpu().numpy()


def _functional(L: Any, nn: bool) -> Any:
    """``L.nn.functional`` for the cases that need it (core cases run without ember-nn)."""
    return L.nn.functional if nn else None


def _derivatives(L: Any, fn: Callable, arrs: list, diff: list, order: int,
                 vs: list, nn: bool) -> dict:
    """Values and requires_grad of each order's derivative, or the error that stopped it."""
    F = _functional(L, nn)
    xs = [L.tensor(a.copy(), requires_grad=d) for a, d in zip(arrs, diff)]
    dx = [x for x, d in zip(xs, diff) if d]
    y = fn(L, F, *xs)
    v0 = L.tensor(vs[0][: y.numel()].reshape(tuple(y.shape)))
    g = L.autograd.grad(y, dx, v0, create_graph=True, allow_unused=True)
    rec: dict = {"y": _np(y), "g1": [_np(t) for t in g],
                 "g1_requires_grad": [None if t is None else t.requires_grad for t in g]}
    for k in range(2, order + 1):
        terms = [(t * L.tensor(vs[k - 1][: t.numel()].reshape(tuple(t.shape)))).sum()
                 for t in g if t is not None]
        s = sum(terms[1:], terms[0])
        try:
            g = L.autograd.grad(s, dx, create_graph=k < order, allow_unused=True)
        except RuntimeError as e:
            rec[f"g{k}"] = str(e)
            break
        rec[f"g{k}"] = [_np(t) for t in g]
        rec[f"g{k}_requires_grad"] = [None if t is None else t.requires_grad for t in g]
    return rec


def _compare(got: Any, want: Any, where: str) -> None:
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: got {got!r}"
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=where)
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def _seed(name: str) -> int:
    return sum(map(ord, name))


def _check_against_torch(torch: Any, case: tuple, nn: bool) -> None:
    name, fn, specs, order = case
    arrs, diff = _inputs(specs, _seed(name))
    vs = [np.random.default_rng(_seed(name) + k).standard_normal(4096) for k in range(3)]
    want = _derivatives(torch, fn, arrs, diff, order, vs, nn)
    got = _derivatives(ember, fn, arrs, diff, order, vs, nn)
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    for key in want:
        _compare(got[key], want[key], f"{name} {key}")


def _gradgradcheck(case: tuple, nn: bool) -> None:
    name, fn, specs, _ = case
    arrs, diff = _inputs(specs, _seed(name))
    F = _functional(ember, nn)
    xs = tuple(ember.tensor(a.copy(), requires_grad=d) for a, d in zip(arrs, diff))
    assert ember.autograd.gradgradcheck(lambda *z: fn(ember, F, *z), xs)


@pytest.mark.parametrize("case", _CORE, ids=[c[0] for c in _CORE])
def test_core_op_higher_order_matches_torch(torch, case):
    _check_against_torch(torch, case, False)


@pytest.mark.parametrize("case", _NN, ids=[c[0] for c in _NN])
def test_nn_op_higher_order_matches_torch(torch, case):
    pytest.importorskip("ember.nn")
    _check_against_torch(torch, case, True)


_GGC = [c for c in _CORE if c[0] in {"atan2", "hypot", "lerp", "prod_with_zeros", "cumprod",
                                      "cumprod_with_zeros", "logsumexp", "norm", "std", "inv",
                                      "det", "slogdet", "solve", "cholesky", "softmax",
                                      "gather", "index_put_accumulate", "as_strided",
                                      "max_dim", "einsum", "pow_tensor", "digamma"}]
_GGC_NN = [c for c in _NN if c[0] in {"mish", "gelu_tanh", "glu", "bce", "kl_div",
                                      "cross_entropy_label_smoothing", "conv1d",
                                      "conv_transpose2d", "max_pool2d", "interpolate_bicubic",
                                      "layer_norm", "group_norm", "batch_norm_training",
                                      "pad_reflect", "scaled_dot_product_attention", "prelu"}]


@pytest.mark.parametrize("case", _GGC, ids=[c[0] for c in _GGC])
def test_core_op_gradgradcheck(case):
    _gradgradcheck(case, False)


@pytest.mark.parametrize("case", _GGC_NN, ids=[c[0] for c in _GGC_NN])
def test_nn_op_gradgradcheck(case):
    pytest.importorskip("ember.nn")
    _gradgradcheck(case, True)


def _third_order_gradcheck(fn: Callable, arrs: list, seed: int, nn: bool) -> bool:
    """gradcheck of the second derivative (so: the third) of ``fn`` at ``arrs``."""
    vs = [np.random.default_rng(seed + k).standard_normal(4096) for k in range(2)]
    F = _functional(ember, nn)

    def second(*xs: Any) -> tuple:
        y = fn(ember, F, *xs)
        v0 = ember.tensor(vs[0][: y.numel()].reshape(tuple(y.shape)))
        g = ember.autograd.grad(y, xs, v0, create_graph=True)
        s = sum((t * ember.tensor(vs[1][: t.numel()].reshape(tuple(t.shape)))).sum() for t in g)
        return ember.autograd.grad(s, xs, create_graph=True, materialize_grads=True)

    xs = tuple(ember.tensor(a.copy(), requires_grad=True) for a in arrs)
    return ember.autograd.gradcheck(second, xs)


@pytest.mark.parametrize("name", ["layer_norm", "batch_norm", "instance_norm"])
def test_third_order_of_normalizations_by_finite_differences(name):
    # PyTorch's own third derivative of layer_norm is wrong, and batch_norm/instance_norm
    # refuse one ("does not support 3rd+ order derivatives"): Ember's is checked numerically
    pytest.importorskip("ember.nn")
    rng = np.random.default_rng(3)
    fns = {"layer_norm": (lambda L, F, x: F.layer_norm(x, (4,)), [(3, 4)]),
           "batch_norm": (lambda L, F, x: F.batch_norm(x, None, None, training=True),
                          [(4, 3, 2)]),
           "instance_norm": (lambda L, F, x: F.instance_norm(x), [(2, 3, 5)])}
    fn, shapes = fns[name]
    assert _third_order_gradcheck(fn, [rng.standard_normal(s) for s in shapes], 7, True)


def test_third_order_of_logcumsumexp_by_finite_differences():
    # PyTorch gives NaN here; the exact third derivative is finite
    x = np.random.default_rng(5).standard_normal((3, 4, 5))
    assert _third_order_gradcheck(lambda L, F, a: L.logcumsumexp(a, 1), [x], 11, False)


def test_square_third_derivative_is_zeros_like_pow(torch):
    # x.square() differentiates as pow(x, 2): its second derivative stays in the graph
    res = []
    for L in (torch, ember):
        x = L.tensor([1.5, -2.0], dtype=L.float64, requires_grad=True)
        g, = L.autograd.grad(x.square().sum(), x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x, create_graph=True)
        g3, = L.autograd.grad(g2.sum(), x, allow_unused=True)
        res.append((g2.requires_grad, None if g3 is None else g3.tolist()))
    assert res[1] == res[0]


@pytest.mark.parametrize("op", ["leaky_relu", "rrelu"])
def test_piecewise_linear_second_derivative_is_zeros(torch, op):
    pytest.importorskip("ember.nn")
    res = []
    for L in (torch, ember):
        x = L.tensor([-1.5, 0.3, 2.0], dtype=L.float64, requires_grad=True)
        F = L.nn.functional
        y = F.leaky_relu(x) if op == "leaky_relu" else F.rrelu(x, training=False)
        g, = L.autograd.grad(y.sum(), x, create_graph=True)
        res.append((g.requires_grad, L.autograd.grad(g.sum(), x)[0].tolist()
                    if g.requires_grad else None))
    assert res[1] == res[0]
