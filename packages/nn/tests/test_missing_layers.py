"""Layers that close the gap with torch.nn: fractional max pooling (core kernels, F wrappers,
modules), AdaptiveLogSoftmaxWithLoss, linear_cross_entropy / LinearCrossEntropyLoss, all
against PyTorch: values, indices, gradients, errors and state_dict layouts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.testing import assert_close

RNG = np.random.default_rng(11)


def _pair(torch, a, grad=False):
    return (ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


def _samples(shape):
    return RNG.random(shape).astype("float64")


def _cast(torch, a, dtype):
    """The same data as an Ember and a PyTorch tensor of ``dtype`` (rounded once through
    float32 on both sides, since PyTorch rounds float64 to float16 through float32)."""
    if dtype != "float64":
        a = a.astype("float32")
    return ember.tensor(a).to(getattr(ember, dtype)), torch.tensor(a).to(getattr(torch, dtype))


def _raises_like(torch, fe, ft):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(type(et.value)) as ee:
        fe()
    assert str(ee.value) == str(et.value).replace("torch.", "ember.")


# ------------------------------------------------------------------ fractional max pooling
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("d", [2, 3])
def test_fractional_kernel_matches_torch_exactly(torch, dtype, d):
    fe = getattr(ember, f"fractional_max_pool{d}d")
    ft = getattr(torch._C._nn, f"fractional_max_pool{d}d")
    for _ in range(12):
        S = tuple(int(v) for v in RNG.integers(4, 10 if d == 3 else 20, d))
        k = tuple(int(v) for v in RNG.integers(1, 4, d))
        # 2-D allows Q + k - 1 == S, 3-D needs it strictly smaller (as PyTorch)
        Q = tuple(int(RNG.integers(1, S[t] - k[t] + (2 if d == 2 else 1))) for t in range(d))
        x = RNG.standard_normal((2, 3) + S)
        u = _samples((2, 3, d))
        xe, xt = _cast(torch, x, dtype)
        ue, ut = _cast(torch, u, dtype)
        oe, ie = fe(xe, k, Q, ue)
        ot, it = ft(xt, k, Q, ut)
        assert_close(ie, it, rtol=0, atol=0)
        assert_close(oe, ot, rtol=0, atol=0)


@pytest.mark.parametrize("d", [2, 3])
def test_fractional_unbatched_noncontiguous_and_extra_samples(torch, d):
    fe = getattr(ember, f"fractional_max_pool{d}d")
    ft = getattr(torch._C._nn, f"fractional_max_pool{d}d")
    S = (7,) * d
    x = RNG.standard_normal((3,) + S).astype("float32")
    u = _samples((4, 3, d)).astype("float32")  # more sample rows than the batch: PyTorch allows it
    oe, ie = fe(ember.tensor(x), 2, 4, ember.tensor(u))
    ot, it = ft(torch.tensor(x), 2, 4, torch.tensor(u))
    assert_close(oe, ot)
    assert_close(ie, it)
    # a transposed (non-contiguous) batched input
    xb = RNG.standard_normal((3, 2) + S).astype("float32")
    xe, xt = ember.tensor(xb).transpose(0, 1), torch.tensor(xb).transpose(0, 1)
    oe, ie = fe(xe, (2,) * d, (3,) * d, ember.tensor(u))
    ot, it = ft(xt, (2,) * d, (3,) * d, torch.tensor(u))
    assert_close(oe, ot)
    assert_close(ie, it)


def test_fractional_ties_nan_and_inf_follow_torch(torch):
    x = RNG.integers(0, 3, (2, 3, 9, 9)).astype("float32")  # many ties: first maximum wins
    x[0, 0, 2, 3] = np.nan
    x[0, 0, 2, 4] = np.nan  # two NaNs in one window: the last one wins
    x[1, 2] = -np.inf
    u = _samples((2, 3, 2)).astype("float32")
    oe, ie = ember.fractional_max_pool2d(ember.tensor(x), 3, 5, ember.tensor(u))
    ot, it = torch._C._nn.fractional_max_pool2d(torch.tensor(x), 3, 5, torch.tensor(u))
    assert_close(oe, ot)
    assert_close(ie, it)


@pytest.mark.parametrize("shape,out", [((0, 3, 9, 9), 4), ((2, 3, 9, 9), 0), ((2, 3, 9, 9), (0, 3)),
                                       ((0, 9, 9), 4)])
def test_fractional_empty(torch, shape, out):
    x = np.zeros(shape, dtype="float32")
    n = 1 if len(shape) == 3 else max(shape[0], 1)
    u = _samples((n, shape[-3], 2)).astype("float32")
    oe, ie = ember.fractional_max_pool2d(ember.tensor(x), 2, out, ember.tensor(u))
    ot, it = torch._C._nn.fractional_max_pool2d(torch.tensor(x), 2, out, torch.tensor(u))
    assert_close(oe, ot)
    assert_close(ie, it)


@pytest.mark.parametrize("d", [2, 3])
def test_fractional_gradients_match_torch(torch, d):
    S = (8,) * d
    x = RNG.standard_normal((2, 3) + S)
    u = _samples((2, 3, d))
    xe, xt = _pair(torch, x, grad=True)
    ge = RNG.standard_normal((2, 3) + (4,) * d)
    fe = getattr(EF, f"fractional_max_pool{d}d")
    ft = getattr(torch.nn.functional, f"fractional_max_pool{d}d")
    # a 3-wide window at a stride below 2 overlaps: the gradient must add up
    ye = fe(xe, 3, output_size=4, _random_samples=ember.tensor(u))
    yt = ft(xt, 3, output_size=4, _random_samples=torch.tensor(u))
    assert ye.grad_fn.name() == yt.grad_fn.name()
    (ge_e,) = ember.autograd.grad(ye, xe, ember.tensor(ge), create_graph=True)
    (ge_t,) = torch.autograd.grad(yt, xt, torch.tensor(ge), create_graph=True)
    assert_close(ge_e, ge_t)
    # double backward: the gradient is linear in the incoming gradient
    w = RNG.standard_normal(x.shape)
    v = ember.tensor(ge, requires_grad=True)
    (g1,) = ember.autograd.grad(ye, xe, v, create_graph=True)
    (gg,) = ember.autograd.grad((g1 * ember.tensor(w)).sum(), v)
    vt = torch.tensor(ge, requires_grad=True)
    (g1t,) = torch.autograd.grad(yt, xt, vt, create_graph=True)
    (ggt,) = torch.autograd.grad((g1t * torch.tensor(w)).sum(), vt)
    assert_close(gg, ggt)


@pytest.mark.parametrize("d", [2, 3])
def test_fractional_gradcheck(torch, d):
    u = ember.tensor(_samples((2, 2, d)))
    x = ember.tensor(RNG.standard_normal((2, 2) + (6,) * d), requires_grad=True)

    def f(a):
        return getattr(ember, f"fractional_max_pool{d}d")(a, 2, 3, u)[0]

    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("d", [2, 3])
def test_fractional_functional_draws_samples_like_torch(torch, d):
    x = RNG.standard_normal((2, 3) + (9,) * d).astype("float32")
    fe = getattr(EF, f"fractional_max_pool{d}d")
    ft = getattr(torch.nn.functional, f"fractional_max_pool{d}d")
    ratio = (0.5,) * d
    ember.manual_seed(5)
    torch.manual_seed(5)
    oe, ie = fe(ember.tensor(x), 2, output_ratio=ratio, return_indices=True)
    ot, it = ft(torch.tensor(x), 2, output_ratio=ratio, return_indices=True)
    assert_close(oe, ot)
    assert_close(ie, it)
    ember.manual_seed(6)
    torch.manual_seed(6)
    assert_close(fe(ember.tensor(x[0]), 3, output_size=4), ft(torch.tensor(x[0]), 3, output_size=4))
    we = getattr(EF, f"fractional_max_pool{d}d_with_indices")(ember.tensor(x), 2, 4)
    assert isinstance(we, tuple) and len(we) == 2 and we[1].dtype == ember.int64


@pytest.mark.parametrize("d", [2, 3])
def test_fractional_modules(torch, d):
    name = f"FractionalMaxPool{d}d"
    u = _samples((2, 3, d)).astype("float32")
    x = RNG.standard_normal((2, 3) + (10,) * d).astype("float32")
    ratio = (0.5, 0.6, 0.7)[:d]
    me = getattr(enn, name)(3, output_ratio=ratio, return_indices=True,
                            _random_samples=ember.tensor(u))
    mt = getattr(torch.nn, name)(3, output_ratio=ratio, return_indices=True,
                                 _random_samples=torch.tensor(u))
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict()) == ["_random_samples"]
    assert me.kernel_size == mt.kernel_size and me.output_ratio == mt.output_ratio
    oe, ie = me(ember.tensor(x))
    ot, it = mt(torch.tensor(x))
    assert_close(oe, ot)
    assert_close(ie, it)
    m2 = getattr(enn, name)(2, output_size=4)
    assert m2.output_size == (4,) * d and list(m2.state_dict()) == []
    assert tuple(m2(ember.tensor(x)).shape) == (2, 3) + (4,) * d
    for kw in [{}, {"output_size": 3, "output_ratio": 0.5}, {"output_ratio": 1.5},
               {"output_ratio": 0}]:
        _raises_like(torch, lambda kw=kw: getattr(enn, name)(2, **kw),
                     lambda kw=kw: getattr(torch.nn, name)(2, **kw))


def test_fractional_module_3d_rejects_bad_kernel(torch):
    _raises_like(torch, lambda: enn.FractionalMaxPool3d(0, output_size=2),
                 lambda: torch.nn.FractionalMaxPool3d(0, output_size=2))
    _raises_like(torch, lambda: enn.FractionalMaxPool3d((2, 0, 1), output_size=2),
                 lambda: torch.nn.FractionalMaxPool3d((2, 0, 1), output_size=2))


_ERR_2D = [
    ((2, 3, 9, 9), 2, 10, (2, 3, 2), "float32"), ((2, 3, 9, 9), 3, (7, 8), (2, 3, 2), "float32"),
    ((2, 3, 9, 9), 2, (4, 4, 4), (2, 3, 2), "float32"),
    ((2, 3, 9, 9), (2, 2, 2), 4, (2, 3, 2), "float32"),
    ((2, 3, 9, 9), (0, 2), 12, (2, 3, 2), "float32"), ((9, 9), 2, 4, (2, 3, 2), "float32"),
    ((1, 2, 3, 9, 9), 2, 4, (2, 3, 2), "float32"), ((2, 0, 9, 9), 2, 4, (2, 0, 2), "float32"),
    ((2, 3, 0, 9), 2, 4, (2, 3, 2), "float32"), ((2, 3, 9, 9), 2, (-1, 4), (2, 3, 2), "float32"),
    ((2, 3, 9, 9), 2, 4, (2, 3, 2), "float64"), ((2, 3, 9, 9), 2, 4, (2, 3), "float32"),
    ((2, 3, 9, 9), 2, 4, (1, 3, 2), "float32"), ((2, 3, 9, 9), 2, 4, (2, 4, 2), "float32"),
    ((2, 3, 9, 9), 2, 4, (2, 3, 3), "float32"),
]


@pytest.mark.parametrize("shape,k,out,ushape,udt", _ERR_2D)
def test_fractional_2d_errors(torch, shape, k, out, ushape, udt):
    x = np.zeros(shape, dtype="float32")
    u = np.full(ushape, 0.5, dtype=udt)
    _raises_like(torch,
                 lambda: ember.fractional_max_pool2d(ember.tensor(x), k, out, ember.tensor(u)),
                 lambda: torch._C._nn.fractional_max_pool2d(torch.tensor(x), k, out,
                                                             torch.tensor(u)))


_ERR_3D = [
    ((2, 3, 9, 9, 9), 1, 9, (2, 3, 3)), ((2, 3, 9, 9, 9), (1, 1, 2), (8, 9, 8), (2, 3, 3)),
    ((2, 3, 9, 9, 9), (1, 1, 1), (8, 9, 8), (2, 3, 3)),
    ((2, 3, 9, 9, 9), (2, 0, 2), 4, (2, 3, 3)), ((9, 9, 9), 2, 4, (2, 3, 3)),
    ((2, 3, 9, 9, 9), 2, (4, 4), (2, 3, 3)), ((2, 3, 9, 9, 9), (2, 2), 4, (2, 3, 3)),
    ((2, 0, 9, 9, 9), 2, 4, (2, 0, 3)), ((2, 3, 9, 9, 9), 2, 4, (2, 3, 2)),
    ((2, 3, 9, 9, 9), 2, 4, (2, 3)),
]


@pytest.mark.parametrize("shape,k,out,ushape", _ERR_3D)
def test_fractional_3d_errors(torch, shape, k, out, ushape):
    x = np.zeros(shape, dtype="float32")
    u = np.full(ushape, 0.5, dtype="float32")
    _raises_like(torch,
                 lambda: ember.fractional_max_pool3d(ember.tensor(x), k, out, ember.tensor(u)),
                 lambda: torch._C._nn.fractional_max_pool3d(torch.tensor(x), k, out,
                                                             torch.tensor(u)))


def test_fractional_dtype_and_functional_errors(torch):
    xi = np.zeros((2, 3, 9, 9), dtype="int64")
    ui = np.zeros((2, 3, 2), dtype="int64")
    _raises_like(torch, lambda: ember.fractional_max_pool2d(ember.tensor(xi), 2, 4,
                                                            ember.tensor(ui)),
                 lambda: torch._C._nn.fractional_max_pool2d(torch.tensor(xi), 2, 4,
                                                             torch.tensor(ui)))
    x = np.zeros((2, 3, 9, 9), dtype="float32")
    for kw in [{}, {"output_ratio": 0.5}, {"output_ratio": (0.5, 0.5, 0.5)}]:
        _raises_like(torch, lambda kw=kw: EF.fractional_max_pool2d(ember.tensor(x), 2, **kw),
                     lambda kw=kw: torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 2,
                                                                              **kw))
    _raises_like(torch, lambda: EF.fractional_max_pool3d(ember.tensor(x), 2),
                 lambda: torch.nn.functional.fractional_max_pool3d(torch.tensor(x), 2))


# ------------------------------------------------------------------ AdaptiveLogSoftmaxWithLoss
def _asm_pair(torch, *args, **kw):
    mt = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kw)
    me = enn.AdaptiveLogSoftmaxWithLoss(*args, **kw)
    sd = mt.state_dict()
    esd = me.state_dict()
    assert list(esd) == list(sd)
    assert [tuple(v.shape) for v in esd.values()] == [tuple(v.shape) for v in sd.values()]
    me.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    return me, mt


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_softmax_forward_backward(torch, head_bias):
    me, mt = _asm_pair(torch, 16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias)
    assert repr(me) == repr(mt)
    x = RNG.standard_normal((9, 16)).astype("float32")
    y = np.array([0, 3, 5, 12, 19, 4, 9, 15, 1])
    xe, xt = _pair(torch, x, grad=True)
    oe, ot = me(xe, ember.tensor(y)), mt(xt, torch.tensor(y))
    assert type(oe).__name__ == "_ASMoutput" and oe._fields == ("output", "loss")
    assert_close(oe.output, ot.output)
    assert_close(oe.loss, ot.loss)
    oe.loss.backward()
    ot.loss.backward()
    assert_close(xe.grad, xt.grad)
    for (n, p), (_, q) in zip(me.named_parameters(), mt.named_parameters()):
        assert_close(p.grad, q.grad, msg=n)


def test_adaptive_softmax_unbatched_and_missing_clusters(torch):
    me, mt = _asm_pair(torch, 8, 12, [3, 6], div_value=2.0)
    x = RNG.standard_normal(8).astype("float32")
    oe, ot = me(ember.tensor(x), ember.tensor(7)), mt(torch.tensor(x), torch.tensor(7))
    assert_close(oe.output, ot.output)
    assert_close(oe.loss, ot.loss)
    xb = RNG.standard_normal((4, 8)).astype("float32")
    y = np.array([0, 1, 2, 1])  # only the shortlist is used
    oe, ot = me(ember.tensor(xb), ember.tensor(y)), mt(torch.tensor(xb), torch.tensor(y))
    assert_close(oe.output, ot.output)


def test_adaptive_softmax_log_prob_and_predict(torch):
    me, mt = _asm_pair(torch, 10, 30, [5, 12], div_value=2.0, head_bias=True)
    x = RNG.standard_normal((50, 10)).astype("float32") * 3
    assert_close(me.log_prob(ember.tensor(x)), mt.log_prob(torch.tensor(x)))
    assert_close(me.predict(ember.tensor(x)), mt.predict(torch.tensor(x)))
    with torch.no_grad():  # steer the head so that every / no example picks a cluster
        for bias, slot in [(50.0, slice(5, None)), (-50.0, slice(5, None))]:
            mt.head.bias.zero_()
            mt.head.bias[slot] = bias
            me.head.bias.data = ember.tensor(mt.head.bias.numpy())
            assert_close(me.predict(ember.tensor(x)), mt.predict(torch.tensor(x)))


def test_adaptive_softmax_gradcheck(torch):
    me, _ = _asm_pair(torch, 6, 10, [3, 6], div_value=2.0)
    me.double()
    y = ember.tensor(np.array([0, 4, 8, 2, 7]))
    x = ember.tensor(RNG.standard_normal((5, 6)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: me(a, y).loss, (x,))
    assert ember.autograd.gradcheck(lambda a: me.log_prob(a), (x,))


def test_adaptive_softmax_seeded_init_and_errors(torch):
    ember.manual_seed(0)
    torch.manual_seed(0)
    me = enn.AdaptiveLogSoftmaxWithLoss(12, 20, [5, 9], div_value=3.0)
    mt = torch.nn.AdaptiveLogSoftmaxWithLoss(12, 20, [5, 9], div_value=3.0)
    for (n, p), (_, q) in zip(me.state_dict().items(), mt.state_dict().items()):
        assert_close(p, q, msg=n)
    for cut in [[], [5, 3], [0, 4], [4, 20], [4, 4], [2.5]]:
        _raises_like(torch, lambda cut=cut: enn.AdaptiveLogSoftmaxWithLoss(8, 20, cut),
                     lambda cut=cut: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cut))
    x = np.zeros((3, 12), dtype="float32")
    for xs, y in [(x, np.array([0, 1])), (x, np.array([0, 25, 1])), (x[0], np.array([0])),
                  (x, np.array(3)), (x, np.zeros((3, 1), dtype="int64"))]:
        _raises_like(torch, lambda xs=xs, y=y: me(ember.tensor(xs), ember.tensor(y)),
                     lambda xs=xs, y=y: mt(torch.tensor(xs), torch.tensor(y)))


# ------------------------------------------------------------------ linear cross entropy
_LCE = [
    {"batch": (6,), "out": (), "probs": False, "kw": {}},
    {"batch": (), "out": (), "probs": False, "kw": {}},
    {"batch": (6,), "out": (), "probs": False,
     "kw": {"reduction": "sum", "ignore_index": 2, "label_smoothing": 0.1}},
    {"batch": (6,), "out": (3, 2), "probs": False, "kw": {"reduction": "none"}, "bias": True},
    {"batch": (6,), "out": (), "probs": True, "kw": {"label_smoothing": 0.2}, "bias": True},
    {"batch": (), "out": (), "probs": True, "kw": {}},
    {"batch": (6,), "out": (2,), "probs": True, "kw": {"reduction": "none"}},
    {"batch": (6,), "out": (), "probs": False, "kw": {}, "weight": True},
]


@pytest.mark.parametrize("case", _LCE)
def test_linear_cross_entropy_matches_torch(torch, case):
    C, D = 5, 4
    x = RNG.standard_normal(case["batch"] + (D,))
    w = RNG.standard_normal((C,) + case["out"] + (D,))
    b = RNG.standard_normal((C,) + case["out"]) if case.get("bias") else None
    if case["probs"]:
        t = RNG.random(case["batch"] + (C,) + case["out"])
        t /= t.sum(axis=len(case["batch"]), keepdims=True)
    else:
        t = RNG.integers(0, C, case["batch"] + case["out"])
    cw = RNG.random(C) + 0.5 if case.get("weight") else None
    args_e = [ember.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    args_t = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    kw = dict(case["kw"])
    le = EF.linear_cross_entropy(args_e[0], args_e[1], ember.tensor(t), linear_bias=args_e[2],
                                 weight=None if cw is None else ember.tensor(cw), **kw)
    lt = torch.nn.functional.linear_cross_entropy(
        args_t[0], args_t[1], torch.tensor(t), linear_bias=args_t[2],
        weight=None if cw is None else torch.tensor(cw), **kw)
    assert_close(le, lt)
    le.sum().backward()
    lt.sum().backward()
    for a, c in zip(args_e, args_t):
        if a is not None:
            assert_close(a.grad, c.grad)


def test_linear_cross_entropy_gradcheck_and_options(torch):
    x = ember.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((6, 3)), requires_grad=True)
    t = ember.tensor(RNG.integers(0, 6, 4))
    assert ember.autograd.gradcheck(lambda a, b: EF.linear_cross_entropy(a, b, t), (x, w))
    opts_e, opts_t = enn.LinearCrossEntropyOptions(), torch.nn.LinearCrossEntropyOptions()
    assert repr(opts_e) == repr(opts_t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a chunkable configuration: no warning
        EF.linear_cross_entropy(x, w, t, options=opts_e)
    tt = torch.tensor(t.numpy())
    with pytest.warns(UserWarning) as we:
        EF.linear_cross_entropy(x, w, t, options=opts_e, label_smoothing=0.1)
    with pytest.warns(UserWarning) as wt:
        torch.nn.functional.linear_cross_entropy(
            torch.tensor(x.detach().numpy()), torch.tensor(w.detach().numpy()), tt,
            options=opts_t, label_smoothing=0.1)
    assert str(we[0].message) == str(wt[0].message).replace("torch.", "ember.")
    for kw in [{"acc_policy": "fast"}, {"chunking_method": "rows"},
               {"chunking_method": "aspect_ratio:0"}, {"batch_chunk_size": 0},
               {"batch_chunk_size": 2.0}]:
        _raises_like(torch, lambda kw=kw: enn.LinearCrossEntropyOptions(**kw),
                     lambda kw=kw: torch.nn.LinearCrossEntropyOptions(**kw))
    enn.LinearCrossEntropyOptions(acc_dtype=ember.float32, chunking_method="aspect_ratio:2")
    with pytest.raises(ValueError):
        enn.LinearCrossEntropyOptions(acc_dtype=ember.int64)


def test_linear_cross_entropy_errors(torch):
    cases = [((2, 2, 3), (5, 3), (2,), {}), ((2, 3), (5,), (2,), {}), ((2, 4), (5, 3), (2,), {}),
             ((3,), (5, 2, 3), (), {}), ((2, 3), (5, 3), (2, 5), {"ignore_index": 1})]
    for xs, ws, ts, kw in cases:
        x, w = np.zeros(xs), np.zeros(ws)
        t = np.zeros(ts) if len(ts) == 2 else np.zeros(ts, dtype="int64")
        _raises_like(torch, lambda x=x, w=w, t=t, kw=kw: EF.linear_cross_entropy(
            ember.tensor(x), ember.tensor(w), ember.tensor(t), **kw),
            lambda x=x, w=w, t=t, kw=kw: torch.nn.functional.linear_cross_entropy(
                torch.tensor(x), torch.tensor(w), torch.tensor(t), **kw))
    _raises_like(torch, lambda: EF.linear_cross_entropy(
        ember.zeros(2, 3), ember.zeros(5, 3), ember.zeros(2, dtype=ember.int64),
        linear_bias=ember.zeros(4)), lambda: torch.nn.functional.linear_cross_entropy(
        torch.zeros(2, 3), torch.zeros(5, 3), torch.zeros(2, dtype=torch.int64),
        linear_bias=torch.zeros(4)))


@pytest.mark.parametrize("bias", [False, True])
def test_linear_cross_entropy_module(torch, bias):
    kw = {"out_features": (4, 3), "bias": bias, "label_smoothing": 0.05}
    mt = torch.nn.LinearCrossEntropyLoss(5, 10, **kw)
    me = enn.LinearCrossEntropyLoss(5, 10, **kw)
    assert repr(me) == repr(mt)
    sd = mt.state_dict()
    assert list(me.state_dict()) == list(sd)
    assert [tuple(v.shape) for v in me.state_dict().values()] == [tuple(v.shape)
                                                                  for v in sd.values()]
    me.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    x = RNG.standard_normal((2, 5)).astype("float32")
    t = RNG.integers(0, 10, (2, 4, 3))
    xe, xt = _pair(torch, x, grad=True)
    le, lt = me(xe, ember.tensor(t)), mt(xt, torch.tensor(t))
    assert_close(le, lt)
    le.backward()
    lt.backward()
    assert_close(xe.grad, xt.grad)
    assert_close(me.linear.weight.grad, mt.linear.weight.grad)
    for args in [{"weight": np.ones(3)}, {"label_smoothing": 1.5}]:
        _raises_like(torch,
                     lambda args=args: enn.LinearCrossEntropyLoss(5, 10, **{
                         k: ember.tensor(v) if isinstance(v, np.ndarray) else v
                         for k, v in args.items()}),
                     lambda args=args: torch.nn.LinearCrossEntropyLoss(5, 10, **{
                         k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                         for k, v in args.items()}))
    mw = enn.LinearCrossEntropyLoss(5, 10, weight=ember.ones(10))
    assert list(mw.state_dict()) == list(torch.nn.LinearCrossEntropyLoss(
        5, 10, weight=torch.ones(10)).state_dict())
