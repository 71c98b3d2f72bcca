"""Convolutions, transposed convolutions, padding, unfold/fold and shuffles against PyTorch:
forward values, input/weight/bias gradients, errors, and finite-difference gradchecks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops.conv_padding import pad as e_pad
from ember.ops.conv_unfold import fold as e_fold
from ember.ops.conv_unfold import unfold as e_unfold
from ember.testing import assert_close

RNG = np.random.default_rng(0)


def _arr(shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def _run(torch, e_fn, t_fn, arrays, grad=True, tol=None, noncontig=False):
    """Forward and backward of ``e_fn`` and ``t_fn`` on the same arrays; compare all."""
    ex = [None if a is None else ember.tensor(a, requires_grad=grad) for a in arrays]
    tx = [None if a is None else torch.tensor(a, requires_grad=grad) for a in arrays]
    if noncontig:  # the first input as a transposed view of a contiguous tensor
        a0 = np.ascontiguousarray(np.swapaxes(arrays[0], -1, -2))
        b0 = ember.tensor(a0, requires_grad=grad)
        c0 = torch.tensor(a0, requires_grad=grad)
        ein, tin = [b0.transpose(-1, -2)] + ex[1:], [c0.transpose(-1, -2)] + tx[1:]
    else:
        ein, tin = ex, tx
    ey, ty = e_fn(*ein), t_fn(*tin)
    kw = {} if tol is None else {"rtol": tol, "atol": tol}
    assert_close(ey, ty, **kw)
    if not grad:
        return
    g = _arr(tuple(ty.shape), arrays[0].dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    leaves_e = ([b0] if noncontig else [ex[0]]) + ex[1:]
    leaves_t = ([c0] if noncontig else [tx[0]]) + tx[1:]
    for a, b in zip(leaves_e, leaves_t):
        if a is not None:
            assert_close(a.grad, b.grad, **kw)


CONV2D_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=2),
    dict(padding="valid"),
    dict(groups=2),
    dict(groups=4, padding=1),  # depthwise
    dict(stride=3, dilation=2, padding=2, groups=2),
]


@pytest.mark.parametrize("kw", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(torch, kw, bias):
    groups = kw.get("groups", 1)
    ksize = (2, 4) if kw.get("padding") == "same" else (3, 2)  # even kernels for 'same'
    x = _arr((2, 4, 9, 8))
    w = _arr((6 if groups != 4 else 8, 4 // groups) + ksize)
    b = _arr((w.shape[0],)) if bias else None
    _run(torch, lambda x, w, b: ember.conv2d(x, w, b, **kw),
         lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), [x, w, b], tol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv1d_conv3d(torch, dtype):
    F = torch.nn.functional
    x, w, b = _arr((2, 3, 11), dtype), _arr((4, 3, 3), dtype), _arr((4,), dtype)
    _run(torch, lambda x, w, b: ember.conv1d(x, w, b, stride=2, padding=1, dilation=2),
         lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2), [x, w, b], tol=1e-4)
    _run(torch, lambda x, w: ember.conv1d(x, w, padding="same"),
         lambda x, w: F.conv1d(x, w, padding="same"), [x, _arr((4, 3, 4), dtype)], tol=1e-4)
    x3, w3 = _arr((2, 4, 5, 6, 4), dtype), _arr((6, 2, 2, 3, 2), dtype)
    _run(torch, lambda x, w: ember.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2),
         lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1, groups=2), [x3, w3], tol=1e-4)


def test_conv_unbatched_and_noncontiguous(torch):
    F = torch.nn.functional
    x, w = _arr((3, 7, 6)), _arr((5, 3, 3, 3))
    _run(torch, lambda x, w: ember.conv2d(x, w, padding=1), lambda x, w: F.conv2d(x, w, padding=1),
         [x, w], tol=1e-4)
    _run(torch, lambda x, w: ember.conv2d(x, w, stride=2), lambda x, w: F.conv2d(x, w, stride=2),
         [_arr((2, 3, 7, 6)), w], tol=1e-4, noncontig=True)


def test_conv_pointwise_and_empty(torch):
    F = torch.nn.functional
    _run(torch, lambda x, w, b: ember.conv2d(x, w, b), lambda x, w, b: F.conv2d(x, w, b),
         [_arr((2, 6, 4, 5)), _arr((4, 6, 1, 1)), _arr((4,))], tol=1e-4)
    _run(torch, lambda x, w, b: ember.conv2d(x, w, b, groups=2),
         lambda x, w, b: F.conv2d(x, w, b, groups=2),
         [_arr((2, 6, 4, 5)), _arr((4, 3, 1, 1)), _arr((4,))], tol=1e-4)
    _run(torch, lambda x, w: ember.conv2d(x, w), lambda x, w: F.conv2d(x, w),
         [_arr((0, 3, 5, 5)), _arr((4, 3, 3, 3))])


def test_conv_dtypes(torch):
    x, w = _arr((1, 2, 5, 5)), _arr((3, 2, 3, 3))
    for dt in ("float16", "float64"):
        e = ember.conv2d(ember.tensor(x.astype(dt)), ember.tensor(w.astype(dt)))
        t = torch.nn.functional.conv2d(torch.tensor(x.astype(dt)), torch.tensor(w.astype(dt)))
        assert_close(e, t, rtol=2e-3, atol=2e-3)
    e = ember.conv2d(ember.tensor(x), ember.tensor(w))
    assert e.dtype == ember.float32  # float32 BLAS, never silently upcast


TRANSPOSED_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1), dilation=(1, 2)),
    dict(groups=2, stride=2, dilation=2, output_padding=1),
    dict(dilation=2, output_padding=1),  # unit stride: output_padding below the dilation
    dict(dilation=(3, 2), padding=1, output_padding=(2, 1)),
]


@pytest.mark.parametrize("kw", TRANSPOSED_CASES)
def test_conv_transpose2d(torch, kw):
    groups = kw.get("groups", 1)
    x, w, b = _arr((2, 4, 5, 4)), _arr((4, 6 // groups, 3, 2)), _arr((6,))
    _run(torch, lambda x, w, b: ember.conv_transpose2d(x, w, b, **kw),
         lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **kw), [x, w, b],
         tol=1e-4)


def test_conv_transpose_1d_3d_unbatched(torch):
    F = torch.nn.functional
    _run(torch, lambda x, w: ember.conv_transpose1d(x, w, stride=3, output_padding=2),
         lambda x, w: F.conv_transpose1d(x, w, stride=3, output_padding=2),
         [_arr((2, 3, 6)), _arr((3, 2, 4))], tol=1e-4)
    _run(torch, lambda x, w: ember.conv_transpose3d(x, w, stride=2, padding=1),
         lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=1),
         [_arr((1, 2, 3, 4, 3)), _arr((2, 3, 3, 2, 3))], tol=1e-4)
    _run(torch, lambda x, w: ember.conv_transpose2d(x, w, stride=2),
         lambda x, w: F.conv_transpose2d(x, w, stride=2), [_arr((3, 4, 5)), _arr((3, 2, 3, 3))],
         tol=1e-4)
    e = ember.convolution(ember.tensor(_arr((1, 3, 4, 4))), ember.tensor(_arr((3, 2, 3, 3))),
                          None, [1, 1], [0, 0], [1, 1], True, [0, 0], 1)
    assert tuple(e.shape) == (1, 2, 6, 6)


def test_conv_grad_fn_names(torch):
    x = ember.tensor(_arr((1, 2, 5, 5)), requires_grad=True)
    w = ember.tensor(_arr((3, 2, 3, 3)), requires_grad=True)
    y = ember.conv2d(x, w)
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    (gx,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    assert type(gx.grad_fn).__name__ == "ConvolutionBackwardBackward0"


def test_conv_errors(torch):
    x = ember.tensor(_arr((1, 4, 28, 28)))
    w = ember.tensor(_arr((32, 3, 3, 3)))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[32, 3, 3, 3\], "
                       r"expected input\[1, 4, 28, 28\] to have 3 channels, but got 4 channels"):
        ember.conv2d(x, w)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        ember.conv2d(ember.tensor(_arr((1, 3, 2, 2))), w)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        ember.conv2d(ember.tensor(_arr((1, 3, 28, 28, 1))), w)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 32"):
        ember.conv2d(ember.tensor(_arr((1, 3, 8, 8))), w, ember.tensor(_arr((16,))))
    with pytest.raises(RuntimeError, match="not supported for strided convolutions"):
        ember.conv2d(ember.tensor(_arr((1, 3, 8, 8))), w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        ember.conv2d(ember.tensor(_arr((1, 3, 8, 8), "float64")), w)
    with pytest.raises(RuntimeError, match="divisible by 2 at dimension 0"):
        ember.conv2d(ember.tensor(_arr((1, 4, 8, 8))), ember.tensor(_arr((3, 2, 3, 3))),
                     groups=2)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        ember.conv_transpose2d(ember.tensor(_arr((1, 4, 5, 5))),
                               ember.tensor(_arr((4, 8, 3, 3))), output_padding=2)


def test_conv_gradcheck_and_double_backward():
    def t(shape):
        return ember.tensor(RNG.standard_normal(shape), requires_grad=True)

    x, w, b = t((2, 4, 5, 4)), t((2, 2, 2, 3)), t((2,))
    assert gradcheck(lambda x, w, b: ember.conv2d(x, w, b, stride=2, padding=1, groups=2),
                     (x, w, b))
    assert gradgradcheck(lambda x, w: ember.conv2d(x, w, padding=(1, 0), dilation=(2, 1)),
                         (t((1, 2, 5, 4)), t((2, 2, 2, 2))))
    assert gradcheck(lambda x, w: ember.conv_transpose1d(x, w, stride=2, output_padding=1),
                     (t((1, 2, 4)), t((2, 3, 3))))
    assert gradgradcheck(lambda x, w: ember.conv_transpose2d(x, w, stride=2),
                         (t((1, 2, 3, 2)), t((2, 1, 2, 2))))


# ------------------------------------------------------------------ padding, unfold, shuffles
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(torch, mode):
    F = torch.nn.functional
    x = _arr((2, 3, 5, 6))
    for p in [(1, 2), (2, 1, 0, 3), (1, 1, 2, 2)]:
        if len(p) == 2 and mode != "constant":
            _run(torch, lambda a, p=p: e_pad(a, p, mode), lambda a, p=p: F.pad(a, p, mode),
                 [x[0]])
        else:
            _run(torch, lambda a, p=p: e_pad(a, p, mode), lambda a, p=p: F.pad(a, p, mode),
                 [x])
    x3 = _arr((1, 2, 3, 4, 5))
    _run(torch, lambda a: e_pad(a, (1, 2, 2, 1, 1, 0), mode),
         lambda a: F.pad(a, (1, 2, 2, 1, 1, 0), mode), [x3])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_border_pad_negative_sides_crop_first(torch, mode):
    F = torch.nn.functional
    x = _arr((2, 3, 5, 6))
    for p in [(-1, 2, 1, -2), (2, -1, 0, 0), (-1, -1, -2, 1), (3, -2, -1, 2)]:
        _run(torch, lambda a, p=p: e_pad(a, p, mode), lambda a, p=p: F.pad(a, p, mode), [x])
    _run(torch, lambda a: e_pad(a, (2, -3), mode), lambda a: F.pad(a, (2, -3), mode),
         [_arr((2, 6))])


def test_constant_pad_negative_value_and_errors(torch):
    F = torch.nn.functional
    x = _arr((2, 3, 5, 6))
    _run(torch, lambda a: e_pad(a, (-1, 2, 2, -3), value=3.5),
         lambda a: F.pad(a, (-1, 2, 2, -3), value=3.5), [x])
    _run(torch, lambda a: ember.constant_pad_nd(a, (1, 1, 0, 0, 2, 0)),
         lambda a: torch.constant_pad_nd(a, (1, 1, 0, 0, 2, 0)), [x])
    t = ember.tensor(x)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        e_pad(t, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        e_pad(t, (6, 6, 0, 0), "reflect")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D"):
        e_pad(t, (1, 1), "replicate")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        e_pad(t, (1, 1, 1, 1), "reflect", value=2.0)
    assert gradgradcheck(lambda a: e_pad(a, (1, 2, 2, 1), "reflect") ** 2,
                         (ember.tensor(RNG.standard_normal((1, 1, 3, 4)), requires_grad=True),))


def test_unfold_fold(torch):
    F = torch.nn.functional
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)
    _run(torch, lambda a: e_unfold(a, **kw), lambda a: F.unfold(a, **kw), [_arr((2, 3, 7, 9))])
    _run(torch, lambda a: e_unfold(a, 2), lambda a: F.unfold(a, 2), [_arr((3, 4, 5))])
    _run(torch, lambda a: e_fold(a, (7, 9), **kw), lambda a: F.fold(a, (7, 9), **kw),
         [_arr((2, 18, 16))])
    with pytest.raises(RuntimeError, match="calculated shape of the array of sliding blocks"):
        e_unfold(ember.tensor(_arr((1, 1, 3, 3))), 4)
    with pytest.raises(RuntimeError, match="match the calculated number of sliding blocks"):
        e_fold(ember.tensor(_arr((1, 9, 10))), (5, 5), 3)


def test_shuffles(torch):
    F = torch.nn.functional
    _run(torch, lambda a: ember.pixel_shuffle(a, 2), lambda a: F.pixel_shuffle(a, 2),
         [_arr((2, 8, 3, 4))])
    _run(torch, lambda a: ember.pixel_shuffle(a, 3), lambda a: F.pixel_shuffle(a, 3),
         [_arr((2, 2, 9, 3, 2))])
    _run(torch, lambda a: ember.pixel_unshuffle(a, 2), lambda a: F.pixel_unshuffle(a, 2),
         [_arr((2, 3, 4, 6))])
    _run(torch, lambda a: ember.channel_shuffle(a, 3), lambda a: F.channel_shuffle(a, 3),
         [_arr((2, 6, 2, 3))])
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        ember.pixel_shuffle(ember.tensor(_arr((1, 5, 3, 3))), 2)
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups"):
        ember.channel_shuffle(ember.tensor(_arr((1, 8, 3, 3))), 3)


def test_functional_exports():
    F = pytest.importorskip("ember.nn.functional")  # ember-nn is not installed with core alone

    for name in ("conv2d", "conv_transpose2d", "pad", "unfold", "fold", "max_pool2d",
                 "interpolate", "grid_sample", "affine_grid", "pixel_shuffle"):
        assert callable(getattr(F, name))


@pytest.mark.parametrize("transposed", [False, True])
def test_complex_convolution_gradients_conjugate_like_pytorch(torch, transposed):
    """A convolution is bilinear: each operand's gradient takes the other's conjugate, to
    first and second order (PyTorch's convention for complex autograd)."""
    rng = np.random.default_rng(3)
    cplx = lambda *s: (rng.standard_normal(s) + 1j * rng.standard_normal(s)).astype("complex128")
    x = cplx(2, 4, 6, 5)
    w = cplx(4, 3, 3, 3) if transposed else cplx(3, 4, 3, 3)
    out = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        f = lib.nn.functional.conv_transpose2d if transposed else lib.nn.functional.conv2d
        y = f(xt, wt, stride=2 if transposed else 1, padding=1)
        gy = lib.tensor(np.ones(tuple(y.shape)) * (0.5 - 2j))
        gx, gw = lib.autograd.grad(y, (xt, wt), gy, create_graph=True)
        (ggw,) = lib.autograd.grad((gx * gx.conj()).real.sum(), wt)
        out.append((y.detach(), gx.detach(), gw.detach(), ggw))
    for a, b in zip(*out):
        assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_same_padding_with_asymmetric_padding_warns_once_as_pytorch(monkeypatch):
    from ember.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "_warned_same", [False])
    x = ember.tensor(_arr((1, 2, 5, 5)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.conv2d(x, ember.tensor(_arr((3, 2, 3, 3))), padding="same")  # symmetric
        ember.conv2d(x, ember.tensor(_arr((3, 2, 3, 3))), padding="same", dilation=2)
        assert not caught
        ember.conv2d(x, ember.tensor(_arr((3, 2, 2, 3))), padding="same")
        ember.conv2d(x, ember.tensor(_arr((3, 2, 2, 3))), padding="same")
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert "padding='same' with even kernel lengths" in str(caught[0].message)
    assert caught[0].filename == __file__  # pointed at the caller, not Ember's internals
