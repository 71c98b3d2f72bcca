"""Regressions found by differential fuzzing of ``ember.nn.functional`` against PyTorch:
infinite and NaN inputs, empty batches, negative padding, and the exception types of bad
arguments. Each test runs the same program on both libraries and compares values and
float64 gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

_INF, _NAN = float("inf"), float("nan")


def _both(torch: Any, fn: Callable, *arrays: np.ndarray, dtype: str = "float64",
          grad: bool = True) -> None:
    """``fn(L, *tensors)`` on PyTorch and Ember: same values, and (float64) same gradients of
    a weighted sum of the output with respect to every input."""
    outs = []
    for L in (torch, ember):
        ts = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=grad) for a in arrays]
        y = fn(L, *ts)
        gs = ()
        if grad:
            w = L.tensor(np.cos(np.arange(y.numel()) * 0.7 + 0.3).reshape(tuple(y.shape)),
                         dtype=y.dtype)
            gs = L.autograd.grad((y * w).sum(), ts, allow_unused=True)
            gs = tuple(L.zeros_like(t) if g is None else g for g, t in zip(gs, ts))
        outs.append((y, gs))
    (ty, tg), (ey, eg) = outs
    assert_close(ey, ty, equal_nan=True)
    for e, t in zip(eg, tg):
        assert_close(e, t, equal_nan=True)


def _raises_same(torch: Any, fn: Callable) -> None:
    """Both libraries raise, with the same exception type."""
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)):
        fn(ember)


# ---------------------------------------------------------------- softmax family
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_with_infinite_entries(torch: Any, dtype: str, dim: int, op: str) -> None:
    # a +inf maximum makes the whole slice NaN, an all -inf slice too, a -inf entry is 0
    x = np.array([[[1.0, _INF, 2.0], [1.0, -_INF, 2.0]],
                  [[-_INF, -_INF, -_INF], [0.5, -1.0, 3.0]],
                  [[-_INF, 0.0, _INF], [_NAN, 1.0, 2.0]]])
    _both(torch, lambda L, t: getattr(L.nn.functional, op)(t, dim), x, dtype=dtype, grad=False)


@pytest.mark.parametrize("n", [3, 40])
def test_softmax_inf_maximum_in_large_rows(torch: Any, n: int) -> None:
    x = np.random.default_rng(0).standard_normal((4, n))
    x[1, 2] = _INF
    x[2, :] = -_INF
    for dim in (0, 1):
        _both(torch, lambda L, t, d=dim: L.log_softmax(t, d), x, dtype="float32", grad=False)
        _both(torch, lambda L, t, d=dim: L.softmax(t, d), x, grad=False)


def test_cross_entropy_with_infinite_logit(torch: Any) -> None:
    x = np.array([[1.0, _INF, 2.0], [0.1, 0.2, 0.3]])
    t = np.array([0, 2])
    for red in ("none", "sum"):
        out = [L.nn.functional.cross_entropy(L.tensor(x), L.tensor(t), reduction=red)
               for L in (torch, ember)]
        assert_close(out[1], out[0], equal_nan=True)


# ---------------------------------------------------------------- lp pooling
@pytest.mark.parametrize("norm_type", [_INF, -_INF, 2, 3.0, 1])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_lp_pool_norms_and_zero_windows(torch: Any, norm_type: float, d: int) -> None:
    rng = np.random.default_rng(d)
    x = rng.standard_normal((2, 2) + (5,) * d)
    x[..., :2] = 0.0  # windows of zeros: zero gradient, not NaN
    ks = 2 if d == 1 else (2,) * d
    _both(torch, lambda L, t: getattr(L.nn.functional, f"lp_pool{d}d")(
        t.abs() if norm_type == 3.0 else t, norm_type, ks, ceil_mode=d == 2), x)


def test_lp_pool_zero_norm_raises(torch: Any) -> None:
    x = np.ones((1, 2, 4))
    _raises_same(torch, lambda L: L.nn.functional.lp_pool1d(L.tensor(x), 0, 2))


# ---------------------------------------------------------------- losses on empty batches
_EMPTY_LOSSES = {
    "mse": lambda F, x, t: F.mse_loss(x, t),
    "l1": lambda F, x, t: F.l1_loss(x, t),
    "smooth_l1": lambda F, x, t: F.smooth_l1_loss(x, t, beta=0.5),
    "huber": lambda F, x, t: F.huber_loss(x, t, delta=2.0),
    "bce": lambda F, x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
    "bce_logits": lambda F, x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid()),
    "soft_margin": lambda F, x, t: F.soft_margin_loss(x, t.detach().sign()),
    "margin_ranking": lambda F, x, t: F.margin_ranking_loss(x, t, t.sign()),
    "hinge": lambda F, x, t: F.hinge_embedding_loss(x, t.sign()),
    "poisson": lambda F, x, t: F.poisson_nll_loss(x, t.abs()),
    "gaussian": lambda F, x, t: F.gaussian_nll_loss(x, t, t.abs() + 1),
    "kl_div": lambda F, x, t: F.kl_div(x, t.abs()),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name", sorted(_EMPTY_LOSSES))
def test_mean_loss_of_empty_input_backward(torch: Any, name: str) -> None:
    a = np.zeros((0, 3))
    _both(torch, lambda L, x, t: _EMPTY_LOSSES[name](L.nn.functional, x, t), a, a.copy())


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_multi_margin_loss_empty_batch(torch: Any, reduction: str) -> None:
    x, t = np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    out = []
    for L in (torch, ember):
        xt = L.tensor(x, requires_grad=True)
        y = L.nn.functional.multi_margin_loss(xt, L.tensor(t), p=2, reduction=reduction)
        y.sum().backward()
        out.append((y, xt.grad))
    assert_close(out[1][0], out[0][0])
    assert_close(out[1][1], out[0][1])
    _raises_same(torch, lambda L: L.nn.functional.multi_margin_loss(
        L.zeros(2, 0), L.zeros(2, dtype=L.int64)))


def test_bce_target_gradient_at_saturated_input(torch: Any) -> None:
    # the target's gradient log(1 - x) - log(x) is not clamped: infinite at x = 0 or 1
    x = np.array([0.0, 1.0, 0.5, 1e-50, 1 - 1e-16, 0.25])
    t = np.array([0.3, 0.3, 0.3, 0.3, 0.3, 0.9])
    for dt in ("float64", "float32"):
        g = []
        for L in (torch, ember):
            tt = L.tensor(t, dtype=getattr(L, dt), requires_grad=True)
            L.nn.functional.binary_cross_entropy(
                L.tensor(x, dtype=getattr(L, dt)), tt, reduction="sum").backward()
            g.append(tt.grad)
        assert_close(g[1], g[0])


# ---------------------------------------------------------------- activations, embeddings
@pytest.mark.parametrize("channels", [1, 3])
def test_prelu_weight_gradient_with_infinite_input(torch: Any, channels: int) -> None:
    x = np.array([[0.7, -_INF, 2.0], [_INF, -1.5, 0.0]])
    w = np.array([0.25, -0.1, 0.5][:channels])
    _both(torch, lambda L, a, b: L.nn.functional.prelu(a.reshape(2, 3, 1), b), x, w)


@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding_backward_with_no_indices(torch: Any, padding_idx: Any) -> None:
    w = np.random.default_rng(0).standard_normal((5, 3))
    for shape in ((0,), (2, 0)):
        out = []
        for L in (torch, ember):
            wt = L.tensor(w, requires_grad=True)
            y = L.nn.functional.embedding(L.zeros(shape, dtype=L.int64), wt, padding_idx)
            y.sum().backward()
            out.append((y, wt.grad))
        assert_close(out[1][0], out[0][0])
        assert_close(out[1][1], out[0][1])


def test_pdist_backward_of_one_row(torch: Any) -> None:
    x = np.random.default_rng(1).standard_normal((1, 3))
    _both(torch, lambda L, a: L.nn.functional.pdist(a).sum() + a.sum(), x)


# ---------------------------------------------------------------- geometry, padding, pooling
def test_affine_grid_batch_mismatch_error(torch: Any) -> None:
    th2 = np.zeros((2, 2, 3))
    th3 = np.zeros((2, 3, 4))
    for th, size in ((th2, [3, 1, 4, 4]), (th3, [3, 1, 2, 2, 2])):
        _raises_same(torch, lambda L, th=th, size=size: L.nn.functional.affine_grid(
            L.tensor(th), size, align_corners=False))
        msg = []
        for L in (torch, ember):
            with pytest.raises(RuntimeError) as e:
                L.nn.functional.affine_grid(L.tensor(th), size, align_corners=False)
            msg.append(str(e.value))
        assert msg[1] == msg[0]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(-1, 2), (2, -1), (-2, 3), (3, -1), (-3, 3),
                                  (1, -1, -1, 2), (-1, 0, 2, -2)])
def test_pad_with_negative_sides(torch: Any, mode: str, pads: tuple) -> None:
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    try:
        torch.nn.functional.pad(torch.tensor(x), pads, mode=mode)
    except RuntimeError:
        _raises_same(torch, lambda L: L.nn.functional.pad(L.tensor(x), pads, mode=mode))
        return
    _both(torch, lambda L, a: L.nn.functional.pad(a, pads, mode=mode), x)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_max_pool_nan_index_in_half_precision(torch: Any, dtype: str) -> None:
    x = np.array([_NAN, _NAN, 1.0, 2.0, _NAN, 0.5, 3.0])
    res = []
    for L in (torch, ember):
        t = L.tensor(x, dtype=getattr(L, dtype))
        F = L.nn.functional
        res.append([F.max_pool1d(t.reshape(1, 1, -1), 3, 1, return_indices=True)[1],
                    F.max_pool2d(t.reshape(1, 1, -1, 1), (3, 1), 2, return_indices=True)[1],
                    F.adaptive_max_pool1d(t.reshape(1, -1), 3, return_indices=True)[1]])
    for e, t in zip(res[1], res[0]):
        assert_close(e, t)


_POOLS = {
    "max_pool1d": lambda F, x: F.max_pool1d(x[0], 2),
    "max_pool1d_indices": lambda F, x: F.max_pool1d(x[0], 2, return_indices=True)[0],
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "max_pool3d_indices": lambda F, x: F.max_pool3d(x, (1, 2, 2), return_indices=True)[0],
    "adaptive_max_pool1d": lambda F, x: F.adaptive_max_pool1d(x[0], 3),
    "adaptive_max_pool2d": lambda F, x: F.adaptive_max_pool2d(x, 2, return_indices=True)[0],
    "adaptive_max_pool3d": lambda F, x: F.adaptive_max_pool3d(x, 2),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x[0], 2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 2),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x, (1, 2, 2)),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16", "bool"])
@pytest.mark.parametrize("name", sorted(_POOLS))
def test_pooling_integer_inputs(torch: Any, dtype: str, name: str) -> None:
    # PyTorch pools some integer types and refuses others, kernel by kernel
    x = np.arange(16).reshape(1, 1, 4, 4) % 5

    def run(L: Any) -> Any:
        return _POOLS[name](L.nn.functional, L.tensor(x).to(getattr(L, dtype)))

    try:
        expected = run(torch)
    except NotImplementedError as e:
        with pytest.raises(NotImplementedError) as got:
            run(ember)
        assert str(got.value) == str(e)
        return
    assert_close(run(ember), expected)


@pytest.mark.parametrize("case", ["key", "value", "mask_double", "mask_long"])
def test_sdpa_dtype_mismatch_errors(torch: Any, case: str) -> None:
    q = np.random.default_rng(3).standard_normal((2, 3, 4))
    msgs = []
    for L in (torch, ember):
        qt = L.tensor(q, dtype=L.float32)
        k = qt.double() if case == "key" else qt
        v = qt.double() if case == "value" else qt
        m = {"mask_double": L.zeros(3, 3, dtype=L.float64),
             "mask_long": L.zeros(3, 3, dtype=L.int64)}.get(case)
        with pytest.raises(RuntimeError) as e:
            L.nn.functional.scaled_dot_product_attention(qt, k, v, attn_mask=m)
        msgs.append(str(e.value))
    assert msgs[1] == msgs[0]
    # a bool mask, or a float mask of the query's dtype, is accepted
    for L in (torch, ember):
        qt = L.tensor(q, dtype=L.float32)
        L.nn.functional.scaled_dot_product_attention(qt, qt, qt, attn_mask=L.ones(3, 3).bool())
