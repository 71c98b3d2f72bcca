"""Core follow-ups of the nn sweeps: group norm on an empty batch, and antialiased
interpolation computed as PyTorch's CPU kernels compute it (weights, summation order,
fused multiply-adds), forward and backward."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops.interpolation import interpolate
from ember.ops.normalization import group_norm
from ember.testing import assert_close


def _to_torch(torch, a: np.ndarray, grad: bool = False):
    return torch.tensor(a, requires_grad=grad)


@pytest.mark.parametrize("shape", [(0, 4, 3), (0, 6, 2, 5), (0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "float16"])
def test_group_norm_empty_batch(torch, shape, dtype):
    groups = 2
    c = shape[1]
    x = ember.randn(*shape, dtype=getattr(ember, dtype), requires_grad=True)
    w = ember.randn(c, dtype=x.dtype, requires_grad=True)
    b = ember.randn(c, dtype=x.dtype, requires_grad=True)
    y = group_norm(x, groups, w, b)
    y.sum().backward()
    tx = torch.zeros(shape, dtype=getattr(torch, dtype), requires_grad=True)
    tw = torch.zeros(c, dtype=tx.dtype, requires_grad=True)
    tb = torch.zeros(c, dtype=tx.dtype, requires_grad=True)
    ty = torch.nn.functional.group_norm(tx, groups, tw, tb)
    ty.sum().backward()
    assert tuple(y.shape) == tuple(ty.shape) and str(y.dtype)[6:] == str(ty.dtype)[6:]
    assert tuple(x.grad.shape) == tuple(tx.grad.shape)
    assert_close(w.grad, tw.grad)
    assert_close(b.grad, tb.grad)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_group_norm_empty_batch_half_forward(torch, dtype):
    y = group_norm(ember.randn(0, 4, 3, dtype=getattr(ember, dtype)), 2)
    ty = torch.nn.functional.group_norm(torch.zeros(0, 4, 3, dtype=getattr(torch, dtype)), 2)
    assert tuple(y.shape) == tuple(ty.shape) and str(y.dtype)[6:] == str(ty.dtype)[6:]


def test_group_norm_empty_batch_double_backward(torch):
    x = ember.randn(0, 4, 3, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(group_norm(x, 2).sum(), x, create_graph=True)
    assert tuple(g.shape) == (0, 4, 3)


_AA_CASES = [((1, 3, 37, 53), (15, 21)), ((2, 2, 64, 48), (17, 31)), ((1, 1, 20, 30), (20, 7)),
             ((1, 2, 9, 11), (23, 29)), ((1, 3, 100, 80), (33, 9)), ((1, 1, 5, 300), (4, 41)),
             ((1, 2, 32, 32), (16, 16))]


@pytest.mark.parametrize("shape,size", _AA_CASES)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_antialias_matches_torch_bitwise(torch, shape, size, mode, dtype):
    """PyTorch's CPU kernel, reproduced in its rounding: the forward and the gradient agree
    to the bit (they differed by ~1e-5 with exact float64 weights)."""
    rs = np.random.RandomState(sum(shape) + sum(size))
    a = rs.randn(*shape).astype(dtype)
    go = rs.randn(shape[0], shape[1], *size).astype(dtype)
    for align in (False, True):
        x = ember.tensor(a, requires_grad=True)
        y = interpolate(x, size=size, mode=mode, antialias=True, align_corners=align)
        y.backward(ember.tensor(go))
        tx = _to_torch(torch, a, True)
        ty = torch.nn.functional.interpolate(tx, size=size, mode=mode, antialias=True,
                                             align_corners=align)
        ty.backward(torch.tensor(go))
        assert_close(y, ty.detach(), rtol=0, atol=0)
        assert_close(x.grad, tx.grad, rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_scale_factor_and_channels_last(torch, mode):
    rs = np.random.RandomState(3)
    a = rs.randn(2, 3, 41, 29).astype("float32")
    x = ember.tensor(a).to(memory_format=ember.channels_last).requires_grad_()
    tx = torch.tensor(a).to(memory_format=torch.channels_last).requires_grad_()
    y = interpolate(x, scale_factor=(0.37, 0.55), mode=mode, antialias=True)
    ty = torch.nn.functional.interpolate(tx, scale_factor=(0.37, 0.55), mode=mode,
                                         antialias=True)
    go = rs.randn(*ty.shape).astype("float32")
    y.backward(ember.tensor(go))
    ty.backward(torch.tensor(go))
    assert_close(y, ty.detach(), rtol=0, atol=0)
    assert_close(x.grad, tx.grad, rtol=0, atol=0)
    assert x.grad.is_contiguous(memory_format=ember.channels_last) == tx.grad.is_contiguous(
        memory_format=torch.channels_last)


def test_antialias_infinite_pixel_outside_taps(torch):
    """A tap past an output's window is not read (0 * inf would make NaN)."""
    a = np.zeros((1, 1, 4, 12), "float32")
    a[..., -1] = np.inf
    y = interpolate(ember.tensor(a), size=(4, 5), mode="bilinear", antialias=True)
    ty = torch.nn.functional.interpolate(torch.tensor(a), size=(4, 5), mode="bilinear",
                                         antialias=True)
    assert_close(y, ty, equal_nan=True)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_gradcheck(mode):
    x = ember.randn(1, 2, 9, 7, dtype=ember.float64, requires_grad=True)

    def f(t):
        return interpolate(t, size=(4, 11), mode=mode, antialias=True)

    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_antialias_half_refused_as_torch(torch, dtype):
    x = ember.rand(1, 3, 30, 26).to(getattr(ember, dtype))
    with pytest.raises(NotImplementedError) as e:
        interpolate(x, size=(11, 13), mode="bilinear", antialias=True)
    with pytest.raises(NotImplementedError) as te:
        torch.nn.functional.interpolate(torch.rand(1, 3, 30, 26).to(getattr(torch, dtype)),
                                        size=(11, 13), mode="bilinear", antialias=True)
    assert str(e.value) == str(te.value)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_uint8_matches_torch(torch, mode):
    a = (np.random.RandomState(5).rand(1, 3, 30, 26) * 255).astype("uint8")
    y = interpolate(ember.tensor(a), size=(11, 13), mode=mode, antialias=True)
    ty = torch.nn.functional.interpolate(torch.tensor(a), size=(11, 13), mode=mode,
                                         antialias=True)
    assert_close(y, ty, rtol=0, atol=0)
