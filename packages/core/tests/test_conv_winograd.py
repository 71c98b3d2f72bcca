"""Winograd 3x3 convolutions (``ops._conv_winograd``) give PyTorch's values and gradients.

The path is taken by default only where it measured quicker (narrow planes, many
channels, many tiles); most tests lower those thresholds so that small inputs take it, check that it
was taken, and cover the paddings it accepts (0 to 2, the input gradient padding by the
rest), odd and even planes (tiles past the plane's edge), both float dtypes, the products
split over the op threads or not, and transposed convolutions (whose forward is the input
gradient). Infinities and NaNs, which the transforms would smear over a tile, are
recomputed directly.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops import _conv_kernels as kernels
from ember.ops import _conv_winograd as winograd
from ember.testing import assert_close

RNG = np.random.default_rng(27)

CASES = [  # (input shape, output channels, padding)
    ((2, 3, 6, 6), 4, 1),
    ((3, 5, 7, 5), 2, 1),  # odd planes: the last tiles reach past the edge
    ((2, 4, 5, 6), 3, 0),
    ((2, 3, 4, 3), 5, 2),
    ((1, 2, 1, 1), 3, 1),
    ((5, 3, 4, 4), 2, 1),  # more samples than threads: a thread's weight gradient in blocks
]


@pytest.fixture
def winograd_everywhere(monkeypatch):
    """Winograd products for every eligible convolution, and the names of the kernels run."""
    monkeypatch.setattr(winograd, "_MIN_CHANNELS", 1)
    monkeypatch.setattr(winograd, "_MIN_COLUMNS", 1)
    monkeypatch.setattr(winograd, "_MAX_COLUMNS", 1 << 30)
    monkeypatch.setattr(winograd, "_MIN_TILES", 1)
    monkeypatch.setattr(winograd, "_MIN_GRAD_TILES", 1)
    return _count_calls(monkeypatch)


def _count_calls(monkeypatch):
    calls = []
    for name in ("forward", "input_grad", "weight_grad"):
        real = getattr(winograd, name)
        monkeypatch.setattr(winograd, name,
                            lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    return calls


@pytest.fixture(params=["sequential", "threaded", "blocks"])
def split(request, monkeypatch):
    """All on one thread, or split over three op threads (the output channels of the
    correlations, the batch of the weight gradient), or that in batch blocks of one sample."""
    if request.param == "blocks":
        monkeypatch.setattr(winograd, "_BLOCK_BYTES", 1)
    if request.param != "sequential":
        monkeypatch.setattr(winograd, "_THREADED_WORK", 0)
        before = ember.get_num_threads()
        ember.set_num_threads(3)
        yield request.param
        ember.set_num_threads(before)
    else:
        monkeypatch.setattr(winograd, "_THREADED_WORK", 1 << 62)
        yield request.param


def _both(torch, arrays):
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_winograd_matches_pytorch(torch, winograd_everywhere, split, case, dtype):
    xs, co, padding = CASES[case]
    x = RNG.standard_normal(xs).astype(dtype)
    w = RNG.standard_normal((co, xs[1], 3, 3)).astype(dtype)
    b = RNG.standard_normal(co).astype(dtype)
    (ex, ew, eb), (tx, tw, tb) = _both(torch, (x, w, b))
    ey = ember.nn.functional.conv2d(ex, ew, eb, padding=padding)
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
    assert_close(ey, ty.detach())
    gy = RNG.standard_normal(tuple(ty.shape)).astype(dtype)
    ey.backward(ember.tensor(gy))
    ty.backward(torch.tensor(gy))
    for e, t in ((ex, tx), (ew, tw), (eb, tb)):
        assert_close(e.grad, t.grad)
    assert set(winograd_everywhere) == {"forward", "input_grad", "weight_grad"}


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_transposed_convolution_takes_the_input_gradient(torch, winograd_everywhere, padding):
    x = RNG.standard_normal((2, 4, 5, 6)).astype("float32")
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    (ex, ew), (tx, tw) = _both(torch, (x, w))
    ey = ember.nn.functional.conv_transpose2d(ex, ew, padding=padding)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, padding=padding)
    assert "input_grad" in winograd_everywhere
    assert_close(ey, ty.detach())
    ey.sum().backward()
    ty.sum().backward()
    assert_close(ex.grad, tx.grad)
    assert_close(ew.grad, tw.grad)


def test_winograd_gradcheck(winograd_everywhere):
    x = ember.tensor(RNG.standard_normal((2, 3, 5, 4)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 3, 3, 3)), requires_grad=True)
    f = lambda x, w: ember.conv2d(x, w, padding=1)  # noqa: E731
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))
    assert set(winograd_everywhere) == {"forward", "input_grad", "weight_grad"}


def test_the_kernels_agree_with_im2col_in_float64(winograd_everywhere):
    """Straight against the direct kernels, asymmetric padding included (the geometry of
    padding='same' with even kernels, reached here directly)."""
    g = kernels.Geom((1, 1), (1, 1), (2, 0), (1, 2), 1)
    x = RNG.standard_normal((2, 4, 6, 3))
    w = RNG.standard_normal((5, 4, 3, 3))
    Q = kernels.out_size(x.shape[2:], (3, 3), g)
    gy = RNG.standard_normal((2, 5) + Q)
    np.testing.assert_allclose(winograd.forward(np, x, w, g, Q),
                               kernels._correlate(np, x, w.reshape(1, 5, 36), (3, 3), g),
                               rtol=1e-13, atol=1e-13)
    direct = kernels._col2im(np, gy, np.swapaxes(w.reshape(1, 5, 36), 1, 2), g, (9, 5), 4,
                             (3, 3))[:, :, 2:8, 0:3]
    np.testing.assert_allclose(winograd.input_grad(np, gy, w, g, (6, 3)), direct,
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(winograd.weight_grad(np, x, gy, g),
                               np.einsum("nopq,ncpqij->ocij", gy, _windows(x, g, Q)),
                               rtol=1e-13, atol=1e-13)


def _windows(x, g, Q):
    """``(N, C, *Q, 3, 3)``: every output position's input window (reference weight grad)."""
    xp = np.pad(x, ((0, 0), (0, 0), (g.lo[0], g.hi[0]), (g.lo[1], g.hi[1])))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    return win[:, :, :Q[0], :Q[1]]


def test_infinities_and_nans_are_recomputed_directly(torch, winograd_everywhere):
    x = RNG.standard_normal((2, 3, 6, 6)).astype("float32")
    x[0, 1, 2, 0] = np.inf
    x[1, 2, 5, 5] = np.nan
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    w[1, 1, 1, 1] = 0.0  # inf * 0: NaN in that output only
    (ex, ew), (tx, tw) = _both(torch, (x, w))
    ey = ember.conv2d(ex, ew, padding=1)
    ty = torch.nn.functional.conv2d(tx, tw, padding=1)
    assert "forward" in winograd_everywhere
    assert_close(ey, ty.detach(), equal_nan=True)
    gy = RNG.standard_normal(tuple(ty.shape)).astype("float32")
    ey.backward(ember.tensor(gy))
    ty.backward(torch.tensor(gy))
    assert_close(ex.grad, tx.grad, equal_nan=True)
    assert_close(ew.grad, tw.grad, equal_nan=True)


def test_an_infinite_weight_gives_the_direct_kernels_values(winograd_everywhere, monkeypatch):
    """(PyTorch's own CPU kernels differ here: oneDNN skips the padding where im2col meets
    it with inf * 0.)"""
    x = RNG.standard_normal((2, 3, 6, 6)).astype("float32")
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    w[2, 0, 0, 1] = -np.inf
    gy = RNG.standard_normal((2, 4, 6, 6)).astype("float32")

    def run():
        ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
        ey = ember.conv2d(ex, ew, padding=1)
        ey.backward(ember.tensor(gy))
        return ey.detach(), ex.grad, ew.grad

    got = run()
    assert "forward" in winograd_everywhere
    monkeypatch.setattr(winograd, "suits", lambda *a: False)
    direct = run()
    for a, e in zip(got[:2], direct[:2]):  # both meet the inf: recomputed directly
        assert_close(a, e, equal_nan=True, rtol=0, atol=0)
    assert_close(got[2], direct[2])  # finite: Winograd's own rounding


def test_resnet_layers_take_it_by_default(torch, monkeypatch):
    """ResNet-18's 8x8 layers at batch 16: in float32 as close to the exact (float64) values
    as PyTorch's own float32 kernels, within a factor of 3 (the weight gradient sums 1024
    products per element: both libraries err by ~1e-6 of its largest value there)."""
    calls = _count_calls(monkeypatch)
    x = RNG.standard_normal((16, 128, 8, 8))  # 256 tiles
    w = RNG.standard_normal((128, 128, 3, 3)) / 34
    gy = RNG.standard_normal((16, 128, 8, 8))
    exact = _grads(torch, torch, x, w, gy)
    theirs = _grads(torch, torch, *(a.astype("float32") for a in (x, w, gy)))
    ours = _grads(torch, ember, *(a.astype("float32") for a in (x, w, gy)))
    for e, t, o in zip(exact, theirs, ours):
        assert np.abs(o - e).max() <= 3 * np.abs(t - e).max()
    assert set(calls) == {"forward", "input_grad", "weight_grad"}


def _grads(torch, lib, x, w, gy):
    """``conv2d(x, w, padding=1)`` and its input and weight gradients for ``gy``, as arrays."""
    tx, tw = (lib.tensor(a, requires_grad=True) for a in (x, w))
    y = lib.nn.functional.conv2d(tx, tw, padding=1)
    y.backward(lib.tensor(gy))
    return [np.asarray(t.detach().numpy(), dtype="float64") for t in (y, tx.grad, tw.grad)]


def test_the_gradients_take_it_from_fewer_tiles(monkeypatch):
    """64 tiles (ResNet-18's 4x4 planes at batch 16): the gradients, not the forward."""
    calls = _count_calls(monkeypatch)
    x = ember.zeros(16, 256, 4, 4, requires_grad=True)
    w = ember.zeros(256, 256, 3, 3, requires_grad=True)
    ember.conv2d(x, w, padding=1).sum().backward()
    assert sorted(calls) == ["input_grad", "weight_grad"]


@pytest.mark.parametrize("shape, weight, kw", [
    ((16, 128, 2, 2), (128, 128, 3, 3), {"padding": 1}),  # 2x2 planes: im2col is quicker
    ((16, 256, 4, 4), (256, 256, 3, 3), {"padding": 1}),  # 64 tiles: a forward too few
    ((2, 128, 16, 16), (128, 128, 3, 3), {"padding": 1}),  # wide: row-shifted products
    ((2, 128, 8, 8), (128, 128, 3, 3), {"padding": 1, "stride": 2}),
    ((2, 128, 8, 8), (128, 64, 3, 3), {"padding": 1, "groups": 2}),
    ((2, 128, 8, 8), (128, 128, 3, 3), {"padding": 1, "dilation": 2}),
    ((2, 32, 8, 8), (32, 32, 3, 3), {"padding": 1}),  # few channels
    ((2, 128, 8, 8), (128, 128, 5, 5), {"padding": 2}),
])
def test_other_convolutions_keep_the_direct_kernels(monkeypatch, shape, weight, kw):
    calls = _count_calls(monkeypatch)
    ember.conv2d(ember.zeros(shape), ember.zeros(weight), **kw)
    assert not calls


def _spy_transforms(monkeypatch):
    """The ``transform`` each Winograd input gradient was given (None: it made its own)."""
    given = []
    real = winograd.input_grad

    def spy(xp, gy, w, g, S, transform=None):
        given.append(transform)
        return real(xp, gy, w, g, S, transform)

    monkeypatch.setattr(winograd, "input_grad", spy)
    return given


def test_the_input_gradient_reuses_the_forwards_kernel_transform(torch, monkeypatch, split):
    """The forward keeps its kernel transform for the input gradient: the same numbers as a
    transform made anew, and as PyTorch's (the weight gradient does not take it)."""
    given = _spy_transforms(monkeypatch)
    x = RNG.standard_normal((16, 128, 8, 8)).astype("float32")
    w = (RNG.standard_normal((128, 128, 3, 3)) / 34).astype("float32")
    (ex, ew), (tx, tw) = _both(torch, (x, w))
    ember.conv2d(ex, ew, padding=1).sum().backward()
    torch.conv2d(tx, tw, padding=1).sum().backward()
    assert len(given) == 1 and given[0] is not None
    anew = winograd.input_grad(np, np.ones((16, 128, 8, 8), "float32"), w,
                               kernels.Geom((1, 1), (1, 1), (1, 1), (1, 1), 1), (8, 8))
    np.testing.assert_array_equal(ex.grad.numpy(), anew)
    assert_close(ex.grad, tx.grad)


def test_a_weight_unpacked_as_other_values_is_transformed_anew(monkeypatch):
    """A saved-tensor hook that hands the backward another weight: its own transform."""
    given = _spy_transforms(monkeypatch)
    x = ember.tensor(RNG.standard_normal((16, 128, 8, 8)).astype("float32"), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((128, 128, 3, 3)).astype("float32"), requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 2):
        y = ember.conv2d(x, w, padding=1)
    y.sum().backward()
    assert given == [None]
    x2 = x.detach().requires_grad_()
    ember.conv2d(x2, w.detach() * 2, padding=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())
