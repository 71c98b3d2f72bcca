"""softmax / log_softmax over the last dim in PyTorch's CPU order (s28 lane S).

Covers: each row shifted by its own maximum (not the tensor's), the sum of exponentials added
as PyTorch's vectorized ``reduce_all`` adds it (lanes, tail, lane fold), times 1/sum. NumPy's
exp differs from PyTorch's (Sleef) in the last bit for some inputs (accepted policy), so the
exact checks use rows whose exponentials agree, and the order check feeds PyTorch's own exp.
"""

import numpy as np
import pytest

import ember
from ember.ops._nn_math import lane_sum

torch = pytest.importorskip("torch")

SHAPES = [(60, 3), (60, 10), (40, 16), (40, 17), (20, 100), (4, 1000), (3, 2, 128)]


def _torch_exp(z):
    """exp as PyTorch's softmax kernels compute it: read off ``_log_softmax_backward_data``
    (``g - exp(y) * sum(g)`` with ``sum(g) = -1`` and ``g = 0`` in place)."""
    r = np.ascontiguousarray(z).reshape(-1, z.shape[-1])
    out = np.concatenate([r, np.zeros((r.shape[0], 1), r.dtype)], 1)
    g = np.zeros_like(out)
    g[:, -1] = -1
    t = torch.from_numpy(out)
    gi = torch.ops.aten._log_softmax_backward_data(torch.from_numpy(g), t, 1, t.dtype)
    return gi.numpy()[:, :-1].reshape(z.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_lane_sum_order_gives_torch_softmax(shape, dtype):
    x = (np.random.default_rng(len(shape) * 1000 + shape[-1]).standard_normal(shape) * 3
         ).astype(dtype)
    e = _torch_exp(x - x.max(-1, keepdims=True))
    got = e * (1 / lane_sum(np, e))
    np.testing.assert_array_equal(got, torch.softmax(torch.from_numpy(x), -1).numpy())


@pytest.mark.parametrize("shape", [(400, 3), (400, 10), (300, 17)])
def test_softmax_exact_where_exp_agrees(shape):
    x = np.random.default_rng(shape[-1]).standard_normal(shape) * 3
    x[::7] += 200.0  # rows far from the tensor's maximum: each row's own shift
    z = x - x.max(-1, keepdims=True)
    rows = (_torch_exp(z) == np.exp(z)).all(-1)
    assert rows.sum() > 20
    want = torch.softmax(torch.from_numpy(x), -1).numpy()
    got = ember.softmax(ember.from_numpy(x), -1).numpy()
    np.testing.assert_array_equal(got[rows], want[rows])
    t = torch.nn.functional.softmax(torch.from_numpy(x), dim=1).numpy()
    e = ember.nn.functional.softmax(ember.from_numpy(x), dim=1).numpy()
    np.testing.assert_array_equal(e[rows], t[rows])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_softmax_rows_shift_by_own_max(dtype):
    x = np.random.default_rng(5).standard_normal((64, 12)).astype(dtype)
    x[0] += 30.0  # the whole tensor's maximum is far from the other rows'
    want = torch.log_softmax(torch.from_numpy(x), -1).numpy()
    got = ember.log_softmax(ember.from_numpy(x), -1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float32" else 1e-12, atol=0)


def test_softmax_infinities_match():
    x = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 0, 1], [-np.inf, 0, 0],
                  [-np.inf, -np.inf, 5]], "float32")
    for f in ("softmax", "log_softmax"):
        want = getattr(torch, f)(torch.from_numpy(x), -1).numpy()
        got = getattr(ember, f)(ember.from_numpy(x), -1).numpy()
        np.testing.assert_array_equal(got, want)


BACKWARD = [((5, 7, 9), 1), ((30, 20), 0), ((4, 16, 32), 2), ((40, 17), 1), ((10, 1000), 1),
            ((7,), 0), ((6, 50, 48), 1)]
# along another dim PyTorch's scalar tail (inner positions past whole vectors) takes the C
# library's exp: whole vectors only there
LOG_BACKWARD = [((5, 7, 16), 1), ((30, 32), 0)] + BACKWARD[2:]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "dim"), BACKWARD)
def test_softmax_backward_data_order(shape, dim, dtype):
    from ember.ops.softmax import _softmax_grad

    rng = np.random.default_rng(shape[dim])
    x, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    y = torch.softmax(torch.from_numpy(x), dim)
    want = torch.ops.aten._softmax_backward_data(torch.from_numpy(g), y, dim, y.dtype)
    np.testing.assert_array_equal(_softmax_grad(g, y.numpy(), dim), want.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "dim"), LOG_BACKWARD)
def test_log_softmax_backward_data_order(shape, dim, dtype):
    from ember.ops.softmax import _log_softmax_grad

    rng = np.random.default_rng(shape[dim] + 1)
    x, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    y = torch.log_softmax(torch.from_numpy(x), dim)
    want = torch.ops.aten._log_softmax_backward_data(torch.from_numpy(g), y, dim, y.dtype)
    got = _log_softmax_grad(g, y.numpy(), dim)
    yn = np.moveaxis(y.numpy(), dim, -1)
    same = np.moveaxis(_torch_exp(yn) == np.exp(yn), -1, dim)  # where NumPy's exp is PyTorch's
    np.testing.assert_array_equal(got[same], want.numpy()[same])


def test_softmax_autograd_exact_where_exp_agrees():
    rng = np.random.default_rng(11)
    x, g = rng.standard_normal((600, 20)), rng.standard_normal((600, 20))
    z = x - x.max(-1, keepdims=True)
    rows = (_torch_exp(z) == np.exp(z)).all(-1)
    assert rows.sum() > 20
    tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
    torch.softmax(tx, -1).backward(torch.from_numpy(g))
    ember.softmax(ex, -1).backward(ember.from_numpy(g))
    np.testing.assert_array_equal(ex.grad.numpy()[rows], tx.grad.numpy()[rows])
    t2, e2 = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
    torch.softmax(t2, 0).backward(torch.from_numpy(g))
    ember.softmax(e2, 0).backward(ember.from_numpy(g))
    np.testing.assert_allclose(e2.grad.numpy(), t2.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_softmax_double_backward_still_graphs():
    x, w = np.random.default_rng(3).standard_normal((2, 4, 5))
    outs = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        (gx,) = lib.autograd.grad(lib.log_softmax(t, 1).pow(2).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((gx * lib.tensor(w)).sum(), t)
        outs.append((gx.detach().numpy(), gg.numpy()))
    for a, b in zip(outs[0], outs[1]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(400, 12), (16, 12, 32)])
def test_cross_entropy_exact_where_exp_agrees(shape):
    """Per-sample losses in PyTorch's order: the last dim's lane sums for (N, C), the class
    dim added in order for (N, C, d) (not moved last); the gradient's target entries fused."""
    rng = np.random.default_rng(shape[-1])
    x = rng.standard_normal(shape)
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    xc = np.moveaxis(x, 1, -1)
    z = xc - xc.max(-1, keepdims=True)
    same = (_torch_exp(z) == np.exp(z)).all(-1)
    assert same.sum() > 20
    tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
    tl = torch.nn.functional.cross_entropy(tx, torch.from_numpy(t), reduction="none")
    el = ember.nn.functional.cross_entropy(ex, ember.from_numpy(t), reduction="none")
    got, want = el.detach().numpy()[same], tl.detach().numpy()[same]
    # NumPy's log may differ from PyTorch's in the last bit (policy): rare, and one ulp
    np.testing.assert_array_max_ulp(got, want, maxulp=1)
    assert (got != want).mean() < 0.02
    g = rng.standard_normal(tl.shape)
    tl.backward(torch.from_numpy(g))
    el.backward(ember.from_numpy(g))
    lp = np.moveaxis(torch.log_softmax(torch.from_numpy(x), 1).numpy(), 1, -1)
    elp = np.moveaxis(ember.log_softmax(ember.from_numpy(x), 1).numpy(), 1, -1)
    ok = (_torch_exp(lp) == np.exp(lp)) & same[..., None] & (elp == lp).all(-1, keepdims=True)
    np.testing.assert_array_equal(np.moveaxis(ex.grad.numpy(), 1, -1)[ok],
                                  np.moveaxis(tx.grad.numpy(), 1, -1)[ok])
