"""Loss functions against PyTorch (lane M, session 23): graph node names of the K-dim class
losses, empty batches, argument checks found by a differential fuzzer."""

from __future__ import annotations

import random

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(*arrays: np.ndarray, grad: tuple = (0,)) -> tuple:
    """The same arrays as torch and ember tensors; the ``grad`` positions require grad."""
    ts = [torch.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    es = [ember.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    return ts, es


def _check(t_out, e_out, ts, es, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Values, dtype, shape, grad_fn name, and the gradients of every leaf against torch."""
    assert tuple(e_out.shape) == tuple(t_out.shape)
    assert str(e_out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1]
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)
    assert type(e_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    t_out.sum().backward()
    e_out.sum().backward()
    for t, e in zip(ts, es):
        if t.requires_grad:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


def _raises_like(tf, ef) -> None:
    """Both raise: the same exception type and message (torch's Size printed as ember's)."""
    with pytest.raises(Exception) as te:
        tf()
    with pytest.raises(Exception) as ee:
        ef()
    assert issubclass(ee.type, te.type), (ee.value, te.value)
    assert str(ee.value) == str(te.value).replace("torch.", "ember.")


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 4, 3, 2), (2, 4, 2, 1, 3), (0, 4, 2)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_kdim_class_loss_node_names(fn, shape, reduction):
    """Sequence (N, C, L) and volume inputs go through PyTorch's 2-d kernel: NllLoss2DBackward0,
    or the ViewBackward0 that reshapes an unreduced 3-d / 5-d result."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    ts, es = _pair(x, t)
    _check(getattr(TF, fn)(*ts, reduction=reduction), getattr(EF, fn)(*es, reduction=reduction),
           ts, es, 1e-12, 1e-12)


def test_cross_entropy_sequence_training_step_grad_fn():
    """A token classifier's loss over (N, C, L) logits, as users print it."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 7)).astype(np.float32)
    t = rng.integers(0, 5, (2, 7))
    ts, es = _pair(x, t)
    w = rng.uniform(0.5, 2, 5).astype(np.float32)
    _check(TF.cross_entropy(*ts, weight=torch.tensor(w), ignore_index=0),
           EF.cross_entropy(*es, weight=ember.tensor(w), ignore_index=0), ts, es)


@pytest.mark.parametrize("eps", [-0.1, -1.0])
@pytest.mark.parametrize("probs", [False, True])
def test_cross_entropy_negative_label_smoothing_is_no_smoothing(eps, probs):
    """PyTorch checks only label_smoothing <= 1: a negative one computes the plain loss."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    t = rng.integers(0, 3, 4)
    if probs:
        t = np.eye(3)[t]
    ts, es = _pair(x, t)
    _check(TF.cross_entropy(*ts, label_smoothing=eps), EF.cross_entropy(*es, label_smoothing=eps),
           ts, es, 1e-12, 1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities_empty_batch_mean(weighted):
    """Mean over an empty batch of class probabilities: NaN, from PyTorch's negated fill."""
    ts, es = _pair(np.zeros((0, 3)), np.zeros((0, 3)))
    tw = {"weight": torch.ones(3, dtype=torch.float64)} if weighted else {}
    ew = {"weight": ember.ones(3, dtype=ember.float64)} if weighted else {}
    _check(TF.cross_entropy(*ts, **tw), EF.cross_entropy(*es, **ew), ts, es)


def test_cross_entropy_probabilities_weight_size_message():
    x = np.zeros((2, 4))
    ts, es = _pair(x, x)
    _raises_like(lambda: TF.cross_entropy(*ts, weight=torch.ones(3, dtype=torch.float64)),
                 lambda: EF.cross_entropy(*es, weight=ember.ones(3, dtype=ember.float64)))


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gaussian_nll_full_node_name(full, reduction):
    """``full`` adds the constant in place last: AddBackward0 for the unreduced loss."""
    rng = np.random.default_rng(3)
    ts, es = _pair(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                   rng.uniform(0.1, 2, (4, 1)), grad=(0, 2))
    _check(TF.gaussian_nll_loss(*ts, full=full, reduction=reduction),
           EF.gaussian_nll_loss(*es, full=full, reduction=reduction), ts, es, 1e-12, 1e-12)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("custom", [False, True])
def test_triplet_margin_with_distance_clamp_min(swap, reduction, custom):
    """PyTorch clamps ``margin + d_pos - d_neg`` with clamp_min: ClampMinBackward0."""
    rng = np.random.default_rng(4)
    arrs = [rng.standard_normal((5, 3)) for _ in range(3)]
    ts, es = _pair(*arrs, grad=(0, 1, 2))

    def dist(lib):
        return (lambda a, b: 1 - lib.nn.functional.cosine_similarity(a, b)) if custom else None

    _check(TF.triplet_margin_with_distance_loss(*ts, distance_function=dist(torch), swap=swap,
                                                reduction=reduction),
           EF.triplet_margin_with_distance_loss(*es, distance_function=dist(ember), swap=swap,
                                                reduction=reduction), ts, es, 1e-12, 1e-12)


@pytest.mark.parametrize("wsize,targets", [(4, [0, 1, 1]), (5, [0, 1, 3])])
def test_multi_margin_weight_size(wsize, targets):
    """A weight not of C entries: PyTorch's 'inconsistent weight size', before target range."""
    ts, es = _pair(np.zeros((3, 2), dtype=np.float32), np.array(targets))
    _raises_like(lambda: TF.multi_margin_loss(*ts, weight=torch.ones(wsize)),
                 lambda: EF.multi_margin_loss(*es, weight=ember.ones(wsize)))


@pytest.mark.parametrize("xshape,xdt,tshape,tdt", [
    ((2, 3, 4), "float32", (2, 3, 4), "int64"),   # 3-d input
    ((3, 0), "float32", (3, 0), "int64"),         # no classes
    ((3, 4), "float16", (3, 4), "int64"),         # CPU kernel: float32/float64 only
    ((3, 4), "bfloat16", (3, 4), "int64"),
    ((3, 4), "int64", (3, 4), "int64"),
    ((3, 4), "int64", (3, 3), "int32"),           # target size before the dtypes
    ((3, 2), "float32", (3, 3), "int32"),
    ((4,), "int64", (4,), "int32"),               # input dtype before the target's
])
def test_multilabel_margin_checks(xshape, xdt, tshape, tdt):
    def call(lib):
        x = lib.zeros(xshape, dtype=getattr(lib, xdt))
        t = lib.zeros(tshape, dtype=getattr(lib, tdt))
        return lambda: lib.nn.functional.multilabel_margin_loss(x, t)

    _raises_like(call(torch), call(ember))


def _fuzz_case(r: random.Random, rng: np.random.Generator) -> tuple:
    """A random class or regression loss call: (name, arrays, grad positions, kwargs)."""
    red = r.choice(["none", "mean", "sum"])
    n, c = r.choice([0, 1, 3]), r.choice([2, 4])
    extra = tuple(r.choice([1, 2]) for _ in range(r.choice([0, 0, 1, 2])))
    kind = r.choice(["cross_entropy", "nll_loss", "probs", "gaussian_nll_loss", "triplet"])
    if kind in ("cross_entropy", "nll_loss"):
        kw = {"reduction": red}
        if r.random() < 0.3:
            kw["ignore_index"] = 1
        if kind == "cross_entropy" and r.random() < 0.3:
            kw["label_smoothing"] = r.choice([-0.2, 0.1])
        x = rng.standard_normal((n, c) + extra)
        return kind, [x, rng.integers(0, c, (n,) + extra)], (0,), kw
    if kind == "probs":
        p = rng.uniform(0.01, 1, (n, c) + extra)
        p = p / p.sum(1, keepdims=True)
        return "cross_entropy", [rng.standard_normal((n, c) + extra), p], (0, 1), {
            "reduction": red}
    if kind == "gaussian_nll_loss":
        s = (n, c) + extra
        var = rng.uniform(0.1, 2, s[:-1] + (1,) if r.random() < 0.5 else s)
        return kind, [rng.standard_normal(s), rng.standard_normal(s), var], (0, 2), {
            "reduction": red, "full": r.random() < 0.5}
    arrs = [rng.standard_normal((n, c)) for _ in range(3)]
    return "triplet_margin_with_distance_loss", arrs, (0, 1, 2), {
        "reduction": red, "swap": r.random() < 0.5}


def test_seeded_loss_fuzz():
    """Two hundred seeded calls: values, dtypes, shapes, node names and gradients."""
    for seed in range(200):
        r, rng = random.Random(seed), np.random.default_rng(seed)
        name, arrs, grad, kw = _fuzz_case(r, rng)
        ts, es = _pair(*arrs, grad=grad)
        _check(getattr(TF, name)(*ts, **kw), getattr(EF, name)(*es, **kw), ts, es, 1e-10,
               1e-12)
