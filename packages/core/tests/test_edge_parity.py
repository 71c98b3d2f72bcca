"""Edge cases against PyTorch: CTC's infeasible samples (inf loss, NaN gradients, PyTorch's
graph), the errors of pad/fold/unfold/rms_norm/nll_loss on inputs of the wrong rank or dtype,
adaptive average pooling's integer refusals, empty outputs and float16/bfloat16 roundings, and
the strides of a leaf's first gradient (PyTorch's gradient layout contract)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

F = pytest.importorskip("ember.nn").functional


def _raises_like(torch: Any, fe: Any, ft: Any) -> None:
    """``fe()`` raises the exception type and message that ``ft()`` raises in PyTorch."""
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as ee:
        fe()
    assert type(ee.value).__name__ == type(te.value).__name__, (ee.value, te.value)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]


def _graph(fn: Any) -> list:
    out, stack = [], [(fn, 0)]
    while stack:
        f, depth = stack.pop()
        if f is None:
            continue
        out.append((depth, f.name()))
        stack.extend((g, depth + 1) for g, _ in reversed(f.next_functions))
    return out


# ------------------------------------------------------------------ CTC, infeasible samples
def _ctc_inputs() -> tuple:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 4))
    lp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    tg = np.array([[1, 2, 1, 2, 1, 2], [1, 1, 2, 0, 0, 0], [1, 2, 3, 1, 2, 3], [1, 1, 0, 0, 0, 0]])
    # sample 0 is too long for its 4 steps, sample 2 has no input at all, 1 and 3 are feasible
    return lp, tg, np.array([4, 4, 0, 3]), np.array([6, 2, 3, 2])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ctc_infeasible_nan_gradients(torch, reduction, zero_infinity, dtype):
    lp, tg, il, tl = _ctc_inputs()
    lp = lp.astype(dtype)
    le = ember.tensor(lp, requires_grad=True)
    lt = torch.tensor(lp, requires_grad=True)
    ye = F.ctc_loss(le, ember.tensor(tg), ember.tensor(il), ember.tensor(tl),
                    reduction=reduction, zero_infinity=zero_infinity)
    yt = torch.nn.functional.ctc_loss(lt, torch.tensor(tg), torch.tensor(il), torch.tensor(tl),
                                      reduction=reduction, zero_infinity=zero_infinity)
    assert_close(ye, yt)
    assert _graph(ye.grad_fn) == _graph(yt.grad_fn)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(le.grad, lt.grad)  # NaN where PyTorch has NaN (equal_nan)
    assert np.array_equal(np.isnan(le.grad.numpy()), np.isnan(lt.grad.numpy()))
    if not zero_infinity:
        assert np.isnan(le.grad.numpy()[:4, 0]).all()  # the infeasible sample's live steps
        assert not le.grad.numpy()[4:, 0].any()  # zero past its input length


def test_ctc_unbatched_graph(torch):
    lp, tg, il, tl = _ctc_inputs()
    for red in ["none", "mean", "sum"]:
        ye = F.ctc_loss(ember.tensor(lp[:, 1], requires_grad=True), ember.tensor(tg[1, :2]),
                        [int(il[1])], [int(tl[1])], reduction=red)
        yt = torch.nn.functional.ctc_loss(torch.tensor(lp[:, 1], requires_grad=True),
                                          torch.tensor(tg[1, :2]), [int(il[1])], [int(tl[1])],
                                          reduction=red)
        assert_close(ye, yt)
        assert [n for _, n in _graph(ye.grad_fn)][:-1] == [n for _, n in _graph(yt.grad_fn)][:-1]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((5,), (1, 1)), ((5,), (1, 1, 1, 1)), ((5,), (1,) * 6),
                                       ((3, 5), (1,) * 6), ((3, 5), (1, 1, 1, 1)),
                                       ((), (1, 1)), ((5,), (1, 1, 1)), ((3, 3), (1,) * 8),
                                       ((1, 1, 2, 3, 4), (1,) * 8), ((1,) * 6, (1,) * 6)])
def test_pad_rank_errors(torch, mode, shape, pad):
    x = np.zeros(shape, dtype="float32")
    _raises_like(torch, lambda: F.pad(ember.tensor(x), pad, mode=mode),
                 lambda: torch.nn.functional.pad(torch.tensor(x), pad, mode=mode))


@pytest.mark.parametrize("shape", [(), (5,), (3, 5), (1, 0, 4, 4), (1, 3, 0, 4), (3, 0, 4),
                                   (0, 4, 4), (1, 1, 2, 3, 4), (1, 1, 1, 2, 3, 4)])
def test_unfold_rank_errors(torch, shape):
    x = np.zeros(shape, dtype="float32")
    _raises_like(torch, lambda: F.unfold(ember.tensor(x), 2),
                 lambda: torch.nn.functional.unfold(torch.tensor(x), 2))
    _raises_like(torch, lambda: ember.nn.Unfold(1)(ember.tensor(x)),
                 lambda: torch.nn.Unfold(1)(torch.tensor(x)))


@pytest.mark.parametrize("shape", [(), (5,), (1, 0, 4), (1, 4, 0), (4, 0), (0, 4), (1, 4, 4, 1),
                                   (1, 1, 4, 4, 1)])
def test_fold_rank_errors(torch, shape):
    x = np.zeros(shape, dtype="float32")
    _raises_like(torch, lambda: F.fold(ember.tensor(x), (3, 3), 2),
                 lambda: torch.nn.functional.fold(torch.tensor(x), (3, 3), 2))


def test_unfold_fold_valid_empty_batch(torch):
    for fe, ft, shape in [(lambda x: F.unfold(x, 2), lambda x: torch.nn.functional.unfold(x, 2),
                           (0, 3, 4, 4)),
                          (lambda x: F.fold(x, (3, 3), 2),
                           lambda x: torch.nn.functional.fold(x, (3, 3), 2), (0, 4, 4))]:
        x = np.zeros(shape, dtype="float32")
        assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)))


@pytest.mark.parametrize("shape,ns", [((5,), (4, 5)), ((5,), (6, 5)), ((5,), (2, 2, 4, 5)),
                                      ((4, 5), (3, 4, 5)), ((), (5,)), ((5,), (7,)),
                                      ((4, 5), (6, 5))])
@pytest.mark.parametrize("weight", [False, True])
def test_rms_norm_rank_errors(torch, shape, ns, weight):
    x = np.zeros(shape, dtype="float32")
    w = np.ones(ns, dtype="float32")
    _raises_like(torch, lambda: F.rms_norm(ember.tensor(x), ns,
                                           ember.tensor(w) if weight else None),
                 lambda: torch.nn.functional.rms_norm(torch.tensor(x), ns,
                                                      torch.tensor(w) if weight else None))
    _raises_like(torch, lambda: ember.nn.RMSNorm(ns)(ember.tensor(x)),
                 lambda: torch.nn.RMSNorm(ns)(torch.tensor(x)))


_NLL_INPUTS = [(), (4,), (3, 4), (3, 4, 5), (3, 4, 5, 2), (3, 4, 5, 2, 2)]
_NLL_TARGETS = [(), (1,), (3,), (2,), (3, 4), (3, 5), (3, 5, 2), (3, 5, 2, 2), (3, 5, 2, 2, 1)]


@pytest.mark.parametrize("xshape", _NLL_INPUTS)
@pytest.mark.parametrize("dtype", ["int64", "float32", "int32", "uint8"])
def test_nll_loss_error_order(torch, xshape, dtype):
    x = np.zeros(xshape, dtype="float32")
    for tshape in _NLL_TARGETS:
        t = np.zeros(tshape, dtype=dtype)
        try:
            torch.nn.functional.nll_loss(torch.tensor(x), torch.tensor(t))
        except Exception:
            _raises_like(torch, lambda t=t: F.nll_loss(ember.tensor(x), ember.tensor(t)),
                         lambda t=t: torch.nn.functional.nll_loss(torch.tensor(x),
                                                                  torch.tensor(t)))
        else:
            F.nll_loss(ember.tensor(x), ember.tensor(t))


def test_nll_loss_weight_and_empty_errors(torch):
    w = np.ones(7, dtype="float32")
    for xs, ts, dt in [((3, 4, 5, 2), (3, 5, 3), "int64"), ((3, 4, 5, 2), (3, 5, 2), "float32"),
                       ((3, 4, 5), (3, 5), "int64"), ((3, 4), (3,), "int64"),
                       ((4,), (3,), "int64"), ((3, 4, 5, 2), (3, 5, 2), "uint8")]:
        x, t = np.zeros(xs, dtype="float32"), np.zeros(ts, dtype=dt)
        _raises_like(torch, lambda x=x, t=t: F.nll_loss(ember.tensor(x), ember.tensor(t),
                                                        ember.tensor(w)),
                     lambda x=x, t=t: torch.nn.functional.nll_loss(
                         torch.tensor(x), torch.tensor(t), torch.tensor(w)))
    for ts in [(), (3,)]:  # cross_entropy on a 0-d input: log_softmax's dim error
        t = np.zeros(ts, dtype="float32")
        _raises_like(torch, lambda t=t: F.cross_entropy(ember.tensor(np.float32(0)),
                                                        ember.tensor(t)),
                     lambda t=t: torch.nn.functional.cross_entropy(torch.tensor(np.float32(0)),
                                                                   torch.tensor(t)))


# ------------------------------------------------------------------ adaptive average pooling
def _channels_last(lib: Any, x: np.ndarray) -> Any:
    return lib.tensor(np.ascontiguousarray(x.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)


_POOL_CASES = [((2, 3, 5), (2,)), ((2, 3, 5), (0,)), ((3, 5), (1,)), ((2, 3, 5, 6), (2, 3)),
               ((2, 3, 5, 6), (0, 3)), ((2, 3, 5, 6), (1, 1)), ((0, 3, 5, 6), (2, 3)),
               ((2, 3, 4, 5, 6), (2, 3, 2)), ((2, 3, 4, 5, 6), (0, 3, 2)),
               ((2, 3, 4, 5, 6), (1, 1, 1)), ((3, 4, 5, 6), (2, 3, 2))]


@pytest.mark.parametrize("dtype", ["uint8", "int32", "bool", "complex64"])
@pytest.mark.parametrize("shape,size", _POOL_CASES)
def test_adaptive_avg_pool_dtype_refusals(torch, dtype, shape, size):
    x = np.zeros(shape, dtype=dtype)
    fe = getattr(F, f"adaptive_avg_pool{len(size)}d")
    ft = getattr(torch.nn.functional, f"adaptive_avg_pool{len(size)}d")
    layouts = [(ember.tensor(x), torch.tensor(x))]
    if x.ndim == 4 and 0 not in shape:
        layouts.append((_channels_last(ember, x), _channels_last(torch, x)))
    for xe, xt in layouts:
        try:
            expected = ft(xt, size)
        except Exception:
            _raises_like(torch, lambda xe=xe: fe(xe, size), lambda xt=xt: ft(xt, size))
        else:
            assert_close(fe(xe, size), expected)


def test_interpolate_area_refusal_names(torch):
    x = np.zeros((2, 3, 4, 6), dtype="uint8")
    _raises_like(torch, lambda: F.interpolate(_channels_last(ember, x), size=(2, 3), mode="area"),
                 lambda: torch.nn.functional.interpolate(_channels_last(torch, x), size=(2, 3),
                                                         mode="area"))
    x5 = np.zeros((1, 2, 4, 6, 6), dtype="uint8")
    _raises_like(torch, lambda: F.interpolate(ember.tensor(x5), size=(2, 3, 3), mode="area"),
                 lambda: torch.nn.functional.interpolate(torch.tensor(x5), size=(2, 3, 3),
                                                         mode="area"))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("shape,size", [((2, 3, 7, 9), (3, 4)), ((2, 3, 5, 6), (9, 11)),
                                        ((2, 3, 8, 9), (4, 3)), ((2, 3, 7), (3,)),
                                        ((2, 3, 5), (13,)), ((2, 2, 5, 6, 7), (2, 3, 3)),
                                        ((1, 2, 3, 4, 5), (7, 5, 2)), ((2, 3, 7, 9), (1, 1))])
def test_adaptive_avg_pool_low_precision_rounding(torch, dtype, shape, size):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype("float32")
    g = rng.standard_normal(shape[:2] + size).astype("float32")
    fe = getattr(F, f"adaptive_avg_pool{len(size)}d")
    ft = getattr(torch.nn.functional, f"adaptive_avg_pool{len(size)}d")
    xe = ember.tensor(x).to(getattr(ember, dtype)).requires_grad_()
    xt = torch.tensor(x).to(getattr(torch, dtype)).requires_grad_()
    ye, yt = fe(xe, size), ft(xt, size)
    ye.backward(ember.tensor(g).to(ye.dtype))
    yt.backward(torch.tensor(g).to(yt.dtype))
    # bit for bit: PyTorch's kernels round every division and every added share
    assert np.array_equal(ye.float().detach().numpy(), yt.float().detach().numpy())
    assert np.array_equal(xe.grad.float().numpy(), xt.grad.float().numpy())
    assert [n for _, n in _graph(ye.grad_fn)][:-1] == [n for _, n in _graph(yt.grad_fn)][:-1]


# ------------------------------------------------------------------ gradient layout contract
def _leaves(lib: Any) -> list:
    base = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    t = lib.tensor(base)
    return [
        ("channels_last", t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)),
        ("permuted", lib.tensor(base[0]).permute(2, 0, 1)),
        ("transposed", lib.tensor(base[0, 0]).t()),
        ("contiguous", t),
        ("strided", lib.tensor(base[0, 0])[:, ::2]),
        ("expanded", lib.tensor(base[0, 0, :, :1]).expand(4, 5)),
    ]


@pytest.mark.parametrize("which", range(6))
@pytest.mark.parametrize("loss", ["mul", "sum", "transpose_back", "twice"])
def test_leaf_gradient_strides(torch, which, loss):
    (name, le), (_, lt) = _leaves(ember)[which], _leaves(torch)[which]
    le, lt = le.detach().requires_grad_(), lt.detach().requires_grad_()
    for leaf in (le, lt):
        if loss == "mul":
            (leaf * 2).sum().backward()
        elif loss == "sum":
            leaf.sum().backward()  # an expanded (stride 0) gradient
        elif loss == "transpose_back":
            (leaf.mT.contiguous() * 3).sum().backward()  # a transposed gradient
        else:
            (leaf * 2).sum().backward()
            (leaf * leaf).sum().backward()
    assert le.grad.stride() == lt.grad.stride(), name
    assert le.grad.is_contiguous() == lt.grad.is_contiguous()
    assert_close(le.grad, lt.grad)
