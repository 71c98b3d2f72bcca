"""Max/avg/adaptive/lp pooling and max unpooling against PyTorch: values, indices, input
gradients, errors, and finite-difference gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(1)


def _arr(shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def _run(torch, e_fn, t_fn, x, grad=True, tol=None):
    ex = ember.tensor(x, requires_grad=grad)
    tx = torch.tensor(x, requires_grad=grad)
    ey, ty = e_fn(ex), t_fn(tx)
    kw = {} if tol is None else {"rtol": tol, "atol": tol}
    if isinstance(ty, tuple):
        assert_close(ey[1], ty[1])
        ey, ty = ey[0], ty[0]
    assert_close(ey, ty, **kw)
    if grad:
        g = _arr(tuple(ty.shape), x.dtype)
        ey.backward(ember.tensor(g))
        ty.backward(torch.tensor(g))
        assert_close(ex.grad, tx.grad, **kw)


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=1, dilation=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True, return_indices=True),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), return_indices=True),
    dict(kernel_size=2, stride=[], return_indices=True),
]


@pytest.mark.parametrize("kw", MAX_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool2d(torch, kw, dtype):
    x = _arr((2, 3, 7, 9), dtype)
    _run(torch, lambda a: ember.max_pool2d(a, **kw),
         lambda a: torch.nn.functional.max_pool2d(a, **kw), x)


def test_max_pool_ties_nan_unbatched_1d_3d(torch):
    F = torch.nn.functional
    ties = np.round(_arr((2, 3, 6, 6)))  # many equal values: the first maximum wins
    _run(torch, lambda a: ember.max_pool2d(a, 3, 1, return_indices=True),
         lambda a: F.max_pool2d(a, 3, 1, return_indices=True), ties)
    nan = _arr((1, 2, 4, 4))
    nan[0, 0, 1, 1] = nan[0, 1, 0, 0] = nan[0, 1, 0, 1] = np.nan
    _run(torch, lambda a: ember.max_pool2d(a, 2, return_indices=True),
         lambda a: F.max_pool2d(a, 2, return_indices=True), nan, grad=False)
    _run(torch, lambda a: ember.max_pool2d(a, 2, 1), lambda a: F.max_pool2d(a, 2, 1),
         _arr((3, 5, 5)))
    _run(torch, lambda a: ember.max_pool1d(a, 3, 2, 1, return_indices=True),
         lambda a: F.max_pool1d(a, 3, 2, 1, return_indices=True), _arr((2, 3, 10)))
    _run(torch, lambda a: ember.max_pool3d(a, 2, (1, 2, 2), ceil_mode=True, return_indices=True),
         lambda a: F.max_pool3d(a, 2, (1, 2, 2), ceil_mode=True, return_indices=True),
         _arr((1, 2, 3, 5, 4)))
    out, idx = ember.max_pool2d_with_indices(ember.tensor(_arr((1, 1, 4, 4))), 2)
    assert idx.dtype == ember.int64 and tuple(out.shape) == (1, 1, 2, 2)


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, divisor_override=2),
]


@pytest.mark.parametrize("kw", AVG_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_avg_pool2d(torch, kw, dtype):
    _run(torch, lambda a: ember.avg_pool2d(a, **kw),
         lambda a: torch.nn.functional.avg_pool2d(a, **kw), _arr((2, 3, 7, 9), dtype), tol=1e-5)


def test_avg_pool_1d_3d(torch):
    F = torch.nn.functional
    _run(torch, lambda a: ember.avg_pool1d(a, 3, 2, 1, count_include_pad=False),
         lambda a: F.avg_pool1d(a, 3, 2, 1, count_include_pad=False), _arr((2, 3, 10)))
    _run(torch, lambda a: ember.avg_pool3d(a, 2, ceil_mode=True, divisor_override=3),
         lambda a: F.avg_pool3d(a, 2, ceil_mode=True, divisor_override=3), _arr((1, 2, 3, 5, 4)))


@pytest.mark.parametrize("size", [(2, 3), (3, 4), 1, (None, 2), (7, 9), (5, 1)])
def test_adaptive_pools(torch, size):
    F = torch.nn.functional
    x = _arr((2, 3, 7, 9))
    _run(torch, lambda a: ember.adaptive_avg_pool2d(a, size),
         lambda a: F.adaptive_avg_pool2d(a, size), x, tol=1e-5)
    _run(torch, lambda a: ember.adaptive_max_pool2d(a, size, True),
         lambda a: F.adaptive_max_pool2d(a, size, True), x)


def test_adaptive_1d_3d(torch):
    F = torch.nn.functional
    _run(torch, lambda a: ember.adaptive_avg_pool1d(a, 4), lambda a: F.adaptive_avg_pool1d(a, 4),
         _arr((2, 3, 10)), tol=1e-5)
    _run(torch, lambda a: ember.adaptive_max_pool1d(a, 4),  # torch's native op: a pair
         lambda a: F.adaptive_max_pool1d(a, 4, True), _arr((2, 3, 10)))
    _run(torch, lambda a: ember.adaptive_avg_pool3d(a, (2, 3, 2)),
         lambda a: F.adaptive_avg_pool3d(a, (2, 3, 2)), _arr((1, 2, 5, 4, 3)), tol=1e-5)
    _run(torch, lambda a: ember.adaptive_max_pool3d(a, (2, 2, 2), True),
         lambda a: F.adaptive_max_pool3d(a, (2, 2, 2), True), _arr((1, 2, 5, 4, 3)))


def test_lp_pool(torch):
    F = torch.nn.functional
    x = np.abs(_arr((2, 3, 6, 7))) + 0.1
    _run(torch, lambda a: ember.lp_pool2d(a, 2, 2), lambda a: F.lp_pool2d(a, 2, 2), x, tol=1e-5)
    _run(torch, lambda a: ember.lp_pool2d(a, 3, (2, 3), 1, True),
         lambda a: F.lp_pool2d(a, 3, (2, 3), 1, True), x, tol=1e-5)
    _run(torch, lambda a: ember.lp_pool1d(a, 1.5, 3), lambda a: F.lp_pool1d(a, 1.5, 3),
         x[0], tol=1e-5)


def test_max_unpool(torch):
    F = torch.nn.functional
    x = _arr((2, 3, 8, 6))
    out, idx = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
    e_in = ember.tensor(out.numpy(), requires_grad=True)
    t_in = out.clone().requires_grad_(True)
    e = ember.max_unpool2d(e_in, ember.tensor(idx.numpy()), 2)
    t = F.max_unpool2d(t_in, idx, 2)
    assert_close(e, t)
    g = _arr(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    assert_close(e_in.grad, t_in.grad)
    out1, idx1 = F.max_pool1d(torch.tensor(x[0]), 2, return_indices=True)
    assert_close(ember.max_unpool1d(ember.tensor(out1.numpy()), ember.tensor(idx1.numpy()), 2,
                                    output_size=[7]),
                 F.max_unpool1d(out1, idx1, 2, output_size=[7]))
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        # increasing values: the last window's maximum is at (3, 3), flat index 18 >= 16
        o, i = ember.max_pool2d(ember.arange(25.0).reshape(1, 1, 5, 5), 2, return_indices=True)
        ember.max_unpool2d(o, i, 2)  # default output 4x4 while indices reach the 5x5 input


def test_pool_errors(torch):
    x = ember.tensor(_arr((2, 3, 5, 5)))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        ember.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        ember.max_pool2d(x, 7)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        ember.avg_pool2d(x, 7)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        ember.max_pool2d(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        ember.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="non-empty 3D or 4D"):
        ember.max_pool2d(ember.tensor(_arr((5, 5))), 2)


def test_pool_gradchecks():
    def t(shape):
        return ember.tensor(RNG.standard_normal(shape), requires_grad=True)

    assert gradcheck(lambda a: ember.max_pool2d(a, 3, 2, 1, ceil_mode=True), (t((1, 2, 5, 6)),))
    assert gradgradcheck(lambda a: ember.max_pool2d(a, 2, 1) ** 2, (t((1, 1, 4, 4)),))
    assert gradcheck(lambda a: ember.avg_pool2d(a, 3, 2, 1, ceil_mode=True,
                                                count_include_pad=False), (t((1, 2, 5, 6)),))
    assert gradgradcheck(lambda a: ember.avg_pool1d(a, 2, 1) ** 2, (t((1, 2, 5)),))
    assert gradcheck(lambda a: ember.adaptive_avg_pool2d(a, (2, 3)), (t((1, 2, 5, 7)),))
    assert gradcheck(lambda a: ember.adaptive_max_pool2d(a, (3, 2)), (t((1, 2, 5, 7)),))


@pytest.mark.parametrize("op", ["max_pool", "avg_pool", "adaptive_max_pool",
                                "adaptive_avg_pool", "lp_pool"])
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("bad", ["no channels", "no batch", "too few dims", "empty plane",
                                 "too many dims"])
def test_pool_input_checks_match_pytorch(torch, op, d, bad):
    """Inputs of the wrong rank or with an empty non-batch dim: PyTorch's exception type and
    words (they differ from kernel to kernel), or PyTorch's empty result where it allows one
    (no channels for the 1-d and 2-d adaptive average)."""
    shape = {"no channels": (2, 0) + (8,) * d, "no batch": (0, 3) + (8,) * d,
             "too few dims": (3,) * d, "empty plane": (2, 3, 0) + (8,) * (d - 1),
             "too many dims": (1,) * (d + 3)}[bad]
    outcome = {}
    for lib in (torch, ember):
        f = getattr(lib.nn.functional, f"{op}{d}d")
        try:
            y = f(lib.zeros(*shape), 2, 2) if op == "lp_pool" else f(lib.zeros(*shape), 2)
            outcome[lib] = ("ok", tuple(y.shape))
        except (RuntimeError, IndexError, ValueError) as e:
            outcome[lib] = (type(e).__name__, str(e))
    assert outcome[ember] == outcome[torch]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_overlapping_gradient_sums_in_pytorch_order(torch, dtype):
    """Spikes at odd positions are the maximum of four overlapping 3x3 stride-2 windows: their
    gradient is a sum of four terms, whose rounding shows the order of the adds."""
    x = RNG.standard_normal((2, 3, 12, 12)).astype(dtype)
    x[:, :, 1::2, 1::2] += 10
    g = RNG.standard_normal((2, 3, 6, 6)).astype(dtype) * 1000
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ember.max_pool2d(xe, 3, 2, 1).backward(ember.tensor(g))
    torch.nn.functional.max_pool2d(xt, 3, 2, 1).backward(torch.tensor(g))
    np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())
