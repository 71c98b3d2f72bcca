"""Losses against PyTorch: every reduction and option, gradients of input (and target/weight
where PyTorch differentiates them), finite differences, and PyTorch's errors."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from _nn_check import check, gradcheck, rand, randn

import ember
from ember.ops import loss as L
from ember.testing import assert_close

REDS = ["none", "mean", "sum"]
DTYPES = ["float32", "float64"]


def _labels(n: tuple, c: int, ignore: int | None = None) -> np.ndarray:
    t = np.random.default_rng(1).integers(0, c, size=n)
    if ignore is not None and t.size > 2:
        t.reshape(-1)[1] = ignore
    return np.asarray(t, dtype="int64")


# ------------------------------------------------------------------ nll / cross entropy
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (2, 4, 3, 2), (4,)])
def test_cross_entropy_indices(torch, red, dtype, shape):
    x = randn(*shape, dtype=dtype) * 2
    c = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = _labels(tshape, c)
    w = rand(c, dtype=dtype) + 0.5
    te, tt = ember.tensor(t), torch.tensor(t)
    we, wt = ember.tensor(w), torch.tensor(w)
    tol = 1e-5 if dtype == "float32" else None
    for kw in [{}, {"ignore_index": int(t.reshape(-1)[0])}, {"label_smoothing": 0.2},
               {"label_smoothing": 0.3, "ignore_index": int(t.reshape(-1)[0])}]:
        for wgt in [(we, wt), (None, None)]:
            check(torch, partial(L.cross_entropy, target=te, weight=wgt[0], reduction=red, **kw),
                  partial(torch.nn.functional.cross_entropy, target=tt, weight=wgt[1],
                          reduction=red, **kw), [x], grad_rtol=tol)


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
@pytest.mark.parametrize("eps", [0.0, 0.25])
def test_cross_entropy_probabilities(torch, red, shape, eps):
    x = randn(*shape)
    p = rand(*shape)
    p = p / p.sum(1, keepdims=True)
    w = rand(shape[1]) + 0.5
    check(torch, lambda x, p: L.cross_entropy(x, p, None, red, label_smoothing=eps),
          lambda x, p: torch.nn.functional.cross_entropy(x, p, reduction=red,
                                                         label_smoothing=eps), [x, p])
    check(torch, lambda x, p, w: L.cross_entropy(x, p, w, red, label_smoothing=eps),
          lambda x, p, w: torch.nn.functional.cross_entropy(x, p, w, reduction=red,
                                                            label_smoothing=eps), [x, p, w])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_loss(torch, red, dtype):
    x = randn(6, 5, dtype=dtype)
    t = _labels((6,), 5, ignore=-100)
    w = rand(5, dtype=dtype) + 0.1
    check(torch, lambda x: L.nll_loss(x, ember.tensor(t), None, red),
          lambda x: torch.nn.functional.nll_loss(x, torch.tensor(t), reduction=red), [x])
    t2 = np.where(t == -100, 2, t)
    check(torch, lambda x: L.nll_loss(x, ember.tensor(t2), ember.tensor(w), red, ignore_index=2),
          lambda x: torch.nn.functional.nll_loss(x, torch.tensor(t2), torch.tensor(w),
                                                 reduction=red, ignore_index=2), [x])
    x4 = randn(2, 5, 3, 2, dtype=dtype)
    t4 = _labels((2, 3, 2), 5)
    check(torch, lambda x: L.nll_loss(x, ember.tensor(t4), ember.tensor(w), red),
          lambda x: torch.nn.functional.nll_loss(x, torch.tensor(t4), torch.tensor(w),
                                                 reduction=red), [x4])


def test_cross_entropy_grad_fn_and_gradcheck():
    x = ember.randn(4, 3, requires_grad=True)
    t = ember.tensor([0, 2, 1, 1])
    assert L.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"
    gradcheck(lambda x: L.cross_entropy(x, t, label_smoothing=0.1), randn(4, 3))
    w = ember.tensor(rand(3) + 0.5)
    gradcheck(lambda x: L.cross_entropy(x, t, w, "none"), randn(4, 3))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument "
                                           "'weight'"):
        L.cross_entropy(x, t, ember.ones(3, requires_grad=True))
    gradcheck(lambda x, p: L.cross_entropy(x, p), randn(4, 3), rand(4, 3))


def test_cross_entropy_double_backward(torch):
    x = randn(4, 5)
    t = _labels((4,), 5)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ge,) = ember.autograd.grad(L.cross_entropy(xe, ember.tensor(t), label_smoothing=0.1), xe,
                                create_graph=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.cross_entropy(
        xt, torch.tensor(t), label_smoothing=0.1), xt, create_graph=True)
    assert_close(ge, gt)
    assert_close(ember.autograd.grad((ge ** 2).sum(), xe)[0],
                 torch.autograd.grad((gt ** 2).sum(), xt)[0])


def test_all_ignored_and_empty(torch):
    x = randn(3, 4)
    t = np.full(3, -100, dtype="int64")
    ye = L.cross_entropy(ember.tensor(x), ember.tensor(t))
    yt = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert_close(ye, yt)
    e = L.cross_entropy(ember.zeros(0, 4), ember.zeros(0, dtype=ember.int64), reduction="sum")
    assert float(e) == 0.0


def test_class_errors():
    x = ember.randn(3, 5)
    with pytest.raises(IndexError, match="Target 12 is out of bounds."):
        L.nll_loss(x, ember.tensor([1, 12, 2]))
    with pytest.raises(IndexError, match="Target -3 is out of bounds."):
        L.cross_entropy(x, ember.tensor([1, -3, 2]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        L.cross_entropy(ember.randn(2, 5, 3), ember.full((2, 3), 7, dtype=ember.int64))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        L.nll_loss(x, ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Float"):
        L.nll_loss(x, ember.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 2\], got \[3, 3\]"):
        L.nll_loss(ember.randn(3, 5, 2), ember.zeros(3, 3, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 "
                                           "classes or no classes"):
        L.nll_loss(x, ember.tensor([1, 2, 2]), ember.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        L.cross_entropy(x, ember.tensor([1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class "
                                           "probabilities, got Long"):
        L.cross_entropy(x, ember.zeros(3, 5, dtype=ember.int64))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        L.nll_loss(x, ember.tensor([1, 2, 3]), reduction="avg")


# ------------------------------------------------------------------ elementwise losses
ELEMENTWISE = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.4}),
    ("soft_margin_loss", {}),
]


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", ELEMENTWISE)
def test_elementwise_losses(torch, name, kw, red, dtype):
    fe, ft = getattr(L, name), getattr(torch.nn.functional, name)
    x, t = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)
    if name == "soft_margin_loss":  # PyTorch does not differentiate its target
        t = np.sign(t)
        check(torch, lambda a: fe(a, ember.tensor(t), reduction=red, **kw),
              lambda a: ft(a, torch.tensor(t), reduction=red, **kw), [x])
        return
    check(torch, lambda a, b: fe(a, b, reduction=red, **kw),
          lambda a, b: ft(a, b, reduction=red, **kw), [x, t])
    check(torch, lambda a, b: fe(a, b, reduction=red, **kw),
          lambda a, b: ft(a, b, reduction=red, **kw), [randn(dtype=dtype), randn(dtype=dtype)])


def test_elementwise_broadcast_and_noncontiguous(torch):
    x, t = randn(5, 4), randn(4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ["mse_loss", "l1_loss", "huber_loss"]:
            check(torch, lambda a, b, name=name: getattr(L, name)(a.t(), b),
                  lambda a, b, name=name: getattr(torch.nn.functional, name)(a.t(), b), [randn(4, 5), t])
            check(torch, getattr(L, name), getattr(torch.nn.functional, name), [x, t])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy(torch, red, dtype):
    x = rand(4, 3, dtype=dtype) * 0.98 + 0.01
    t = rand(4, 3, dtype=dtype)
    w = rand(4, 3, dtype=dtype)
    check(torch, lambda x, t: L.binary_cross_entropy(x, t, None, red),
          lambda x, t: torch.nn.functional.binary_cross_entropy(x, t, reduction=red), [x, t])
    check(torch, lambda x, t: L.binary_cross_entropy(x, t, ember.tensor(w), red),
          lambda x, t: torch.nn.functional.binary_cross_entropy(x, t, torch.tensor(w),
                                                                reduction=red), [x, t])
    xs = np.array([0.0, 1.0, 0.5, 1e-30], dtype=dtype)
    ts = np.array([1.0, 0.0, 0.5, 1.0], dtype=dtype)
    check(torch, lambda x, t: L.binary_cross_entropy(x, t, None, red),
          lambda x, t: torch.nn.functional.binary_cross_entropy(x, t, reduction=red), [xs, ts],
          grad=False)
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        L.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits(torch, red, dtype):
    x = randn(4, 3, dtype=dtype) * 30
    t = rand(4, 3, dtype=dtype)
    w, pw = rand(4, 3, dtype=dtype), rand(3, dtype=dtype) * 3
    f = torch.nn.functional.binary_cross_entropy_with_logits
    check(torch, lambda x, t: L.binary_cross_entropy_with_logits(x, t, reduction=red),
          lambda x, t: f(x, t, reduction=red), [x, t])
    check(torch, lambda x, t: L.binary_cross_entropy_with_logits(
        x, t, ember.tensor(w), ember.tensor(pw), red),
        lambda x, t: f(x, t, torch.tensor(w), reduction=red, pos_weight=torch.tensor(pw)),
        [x, t])
    assert ember.binary_cross_entropy_with_logits is L.binary_cross_entropy_with_logits


@pytest.mark.parametrize("red", ["none", "sum", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(torch, red, log_target):
    x = np.log(rand(3, 4) + 0.1)
    t = rand(3, 4)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(torch, lambda x, t: L.kl_div(x, t, red, log_target),
              lambda x, t: torch.nn.functional.kl_div(x, t, reduction=red,
                                                      log_target=log_target),
              [x, t] if log_target else [x, t], grad=True)


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss(torch, red, log_input, full):
    x = rand(4, 3) * 2 + 0.1
    t = np.floor(rand(4, 3) * 5)
    check(torch, lambda x, t: L.poisson_nll_loss(x, t, log_input, full, 1e-8, red),
          lambda x, t: torch.nn.functional.poisson_nll_loss(x, t, log_input, full, eps=1e-8,
                                                            reduction=red), [x, t])
    assert ember.poisson_nll_loss is L.poisson_nll_loss


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(torch, red, full):
    x, t = randn(4, 3), randn(4, 3)
    v = rand(4, 3) + 0.01
    v[0, 0] = 1e-9  # clamped to eps
    check(torch, lambda x, t, v: L.gaussian_nll_loss(x, t, v, full, 1e-6, red),
          lambda x, t, v: torch.nn.functional.gaussian_nll_loss(x, t, v, full, 1e-6, red),
          [x, t, v])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_margin_ranking_and_hinge(torch, red, dtype):
    a, b = randn(6, dtype=dtype), randn(6, dtype=dtype)
    y = np.sign(randn(6, dtype=dtype))
    check(torch, lambda a, b, y: L.margin_ranking_loss(a, b, y, 0.3, red),
          lambda a, b, y: torch.nn.functional.margin_ranking_loss(a, b, y, 0.3, reduction=red),
          [a, b, y])
    check(torch, lambda a: L.hinge_embedding_loss(a, ember.tensor(y), 0.7, red),
          lambda a: torch.nn.functional.hinge_embedding_loss(a, torch.tensor(y), 0.7,
                                                             reduction=red), [a])


# ------------------------------------------------------------------ margins over classes
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss(torch, red, p):
    x = randn(5, 4)
    t = _labels((5,), 4)
    w = rand(4) + 0.5
    check(torch, lambda x: L.multi_margin_loss(x, ember.tensor(t), p, 0.8, None, red),
          lambda x: torch.nn.functional.multi_margin_loss(x, torch.tensor(t), p, 0.8,
                                                          reduction=red), [x])
    check(torch, lambda x: L.multi_margin_loss(x, ember.tensor(t), p, 1.0, ember.tensor(w), red),
          lambda x: torch.nn.functional.multi_margin_loss(x, torch.tensor(t), p, 1.0,
                                                          torch.tensor(w), reduction=red), [x])
    check(torch, lambda x: L.multi_margin_loss(x, ember.tensor(2), p, 1.0, None, red),
          lambda x: torch.nn.functional.multi_margin_loss(x, torch.tensor(2), p, 1.0,
                                                          reduction=red), [randn(4)])


@pytest.mark.parametrize("red", REDS)
def test_multilabel_margin_loss(torch, red):
    x = randn(3, 5)
    t = np.array([[3, 0, -1, 1, 2], [1, 1, 4, 2, -1], [-1, 0, 0, 0, 0]], dtype="int64")
    check(torch, lambda x: L.multilabel_margin_loss(x, ember.tensor(t), red),
          lambda x: torch.nn.functional.multilabel_margin_loss(x, torch.tensor(t),
                                                               reduction=red), [x])
    check(torch, lambda x: L.multilabel_margin_loss(x, ember.tensor(t[0]), red),
          lambda x: torch.nn.functional.multilabel_margin_loss(x, torch.tensor(t[0]),
                                                               reduction=red), [randn(5)])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_embedding_loss(torch, red, dtype):
    a, b = randn(5, 4, dtype=dtype), randn(5, 4, dtype=dtype)
    y = np.array([1, -1, 1, -1, -1], dtype=dtype)
    check(torch, lambda a, b: L.cosine_embedding_loss(a, b, ember.tensor(y), 0.1, red),
          lambda a, b: torch.nn.functional.cosine_embedding_loss(a, b, torch.tensor(y), 0.1,
                                                                 reduction=red), [a, b])
    check(torch, lambda a, b: L.cosine_embedding_loss(a, b, ember.tensor(-1.0), -0.5, red),
          lambda a, b: torch.nn.functional.cosine_embedding_loss(a, b, torch.tensor(-1.0), -0.5,
                                                                 reduction=red),
          [randn(4, dtype=dtype), randn(4, dtype=dtype)])
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        L.cosine_embedding_loss(ember.randn(3, 2), ember.randn(2), ember.randn(3))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,swap", [(2.0, False), (1.0, True), (3.0, False)])
def test_triplet_margin_loss(torch, red, p, swap):
    a, b, c = randn(5, 4), randn(5, 4), randn(5, 4)
    check(torch, lambda a, b, c: L.triplet_margin_loss(a, b, c, 0.5, p, 1e-6, swap, red),
          lambda a, b, c: torch.nn.functional.triplet_margin_loss(a, b, c, 0.5, p, 1e-6, swap,
                                                                  reduction=red), [a, b, c])


def test_pointwise_gradchecks():
    x, t = randn(3, 4), randn(3, 4)
    gradcheck(lambda x, t: L.smooth_l1_loss(x, t, beta=0.7), x, t)
    gradcheck(lambda x, t: L.binary_cross_entropy_with_logits(x, t), x, rand(3, 4))
    gradcheck(lambda x, t: L.binary_cross_entropy(x, t), rand(3, 4) * 0.8 + 0.1, rand(3, 4))
    gradcheck(lambda x, t, v: L.gaussian_nll_loss(x, t, v), x, t, rand(3, 4) + 0.5)
    gradcheck(lambda a, b: L.cosine_embedding_loss(a, b, ember.tensor([1.0, -1.0, 1.0]), -0.9),
              x, t)
    gradcheck(lambda x: L.multi_margin_loss(x, ember.tensor([0, 3, 1]), 2), x)


# ------------------------------------------------------------------ CTC
def _ctc_case(t_len: int, n: int, c: int, s: int, dtype: str = "float64") -> tuple:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((t_len, n, c))
    lp = (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)
    tl = rng.integers(1, s + 1, size=n)
    il = rng.integers(min(max(2 * s + 1, t_len - 3), t_len), t_len + 1, size=n)
    tg = rng.integers(1, c, size=(n, s))
    tg[0, :2] = 2  # a repeated label needs a blank between
    return lp, tg.astype("int64"), il.astype("int64"), tl.astype("int64")


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_loss_padded(torch, red, dtype):
    lp, tg, il, tl = _ctc_case(12, 4, 5, 3, dtype)
    check(torch, lambda lp: L.ctc_loss(lp, ember.tensor(tg), ember.tensor(il), ember.tensor(tl),
                                       0, red),
          lambda lp: torch.nn.functional.ctc_loss(lp, torch.tensor(tg), torch.tensor(il),
                                                  torch.tensor(tl), 0, red), [lp],
          rtol=1e-5 if dtype == "float32" else 1e-7, atol=1e-6 if dtype == "float32" else 1e-7)


def test_ctc_loss_concatenated_blank_and_lists(torch):
    lp, tg, il, tl = _ctc_case(10, 3, 6, 3)
    tg = np.where(tg == 4, 1, tg)
    flat = np.concatenate([tg[i, :tl[i]] for i in range(3)])
    check(torch, lambda lp: L.ctc_loss(lp, ember.tensor(flat), il.tolist(), tl.tolist(), 4,
                                       "sum"),
          lambda lp: torch.nn.functional.ctc_loss(lp, torch.tensor(flat), il.tolist(),
                                                  tl.tolist(), 4, "sum"), [lp])


def test_ctc_loss_infeasible_and_zero_infinity(torch):
    lp, tg, il, tl = _ctc_case(6, 2, 4, 3)
    tl[:] = 3
    il[:] = [6, 3]  # the second sequence is too short for 3 labels with a repeat
    tg[1] = [1, 1, 1]
    for zi in [False, True]:
        check(torch, lambda lp, zi=zi: L.ctc_loss(lp, ember.tensor(tg), ember.tensor(il),
                                                  ember.tensor(tl), 0, "none", zi),
              lambda lp, zi=zi: torch.nn.functional.ctc_loss(
                  lp, torch.tensor(tg), torch.tensor(il), torch.tensor(tl), 0, "none", zi), [lp],
              grad=zi)


def test_ctc_loss_unbatched(torch):
    lp, tg, il, tl = _ctc_case(8, 1, 5, 2)
    check(torch, lambda lp: L.ctc_loss(lp, ember.tensor(tg[0]), ember.tensor(il[0]),
                                       ember.tensor(tl[0]), reduction="mean"),
          lambda lp: torch.nn.functional.ctc_loss(lp, torch.tensor(tg[0]), torch.tensor(il[0]),
                                                  torch.tensor(tl[0])), [lp[:, 0]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_rows_of_very_different_scale(torch, dtype):
    # the log-softmax shares one shift across rows only when every row stays in range
    x = randn(4, 7, dtype=dtype)
    x[1] -= 5000.0
    x[2] *= 300.0
    t = np.array([0, 3, 6, 2])
    check(torch, lambda x, t: L.cross_entropy(x, t), torch.nn.functional.cross_entropy, [x, t])
    x[1] += 5000.0
    check(torch, lambda x, t: L.cross_entropy(x, t, label_smoothing=0.1),
          lambda x, t: torch.nn.functional.cross_entropy(x, t, label_smoothing=0.1), [x, t])
