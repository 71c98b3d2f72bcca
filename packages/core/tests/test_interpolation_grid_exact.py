"""grid_sample to the bit against PyTorch's CPU kernels: the 2-D kernel's fused multiply-adds
(pixel coordinate, bilinear and bicubic sums, bicubic weights), its reflection arithmetic,
and both kernels' handling of NaN, infinite and huge grid values; gradients of the 2-D
reflection by finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.ops.interpolation_grid import grid_sample
from ember.testing import assert_close

RNG = np.random.default_rng(7)
MODES_2D = list(itertools.product(["bilinear", "nearest", "bicubic"],
                                  ["zeros", "border", "reflection"], [False, True]))
MODES_3D = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"],
                                  [False, True]))


def _pair(torch, x, g, mode, pad, ac):
    e = grid_sample(ember.tensor(x), ember.tensor(g), mode, pad, ac)
    t = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), mode, pad, ac)
    return e, t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode,pad,ac", MODES_2D)
def test_2d_bit_exact_on_image_values(torch, dtype, mode, pad, ac):
    # values around 255 show a single rounding's difference in the last bit
    x = (RNG.random((2, 3, 50, 60)) * 255).astype(dtype)
    for spread in (2.2, 6.0):  # inside and far outside the image
        g = (RNG.random((2, 20, 25, 2)) * spread - spread / 2).astype(dtype)
        e, t = _pair(torch, x, g, mode, pad, ac)
        assert_close(e, t, rtol=0, atol=0)


@pytest.mark.parametrize("mode,pad,ac", MODES_2D)
def test_2d_bit_exact_non_contiguous_and_grid_points(torch, mode, pad, ac):
    x = (RNG.random((3, 2, 9, 13)) * 100).astype("float32").transpose(0, 1, 3, 2)
    g = (RNG.integers(-8, 9, (3, 7, 5, 2)) / 8).astype("float32")  # pixel centres and edges
    e, t = _pair(torch, x, g, mode, pad, ac)
    assert_close(e, t, rtol=0, atol=0)
    if mode == "bicubic" and pad == "reflection":
        return  # PyTorch's compiler fuses this case's sums differently per grid layout
    g2 = (RNG.random((3, 5, 7, 2)) * 3 - 1.5).astype("float32")
    for strided in (g2.transpose(0, 2, 1, 3), np.ascontiguousarray(g2.transpose(0, 3, 1, 2))
                    .transpose(0, 2, 3, 1)):
        e, t = _pair(torch, x, strided, mode, pad, ac)
        assert_close(e, t, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode,pad,ac", MODES_3D)
def test_3d_bit_exact(torch, dtype, mode, pad, ac):
    x = (RNG.random((2, 3, 9, 10, 11)) * 255).astype(dtype)
    g = (RNG.random((2, 5, 6, 7, 3)) * 3 - 1.5).astype(dtype)
    e, t = _pair(torch, x, g, mode, pad, ac)
    assert_close(e, t, rtol=0, atol=0)


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("mode,pad,ac", MODES_2D)
def test_non_finite_and_huge_grid_values(torch, dim, mode, pad, ac):
    if dim == 3 and mode == "bicubic":
        pytest.skip("bicubic is 2-D only")
    shape = (2, 3, 7, 8) if dim == 2 else (2, 3, 4, 7, 8)
    x = RNG.standard_normal(shape).astype("float32")
    g = (RNG.random((2, 5, 6, dim) if dim == 2 else (2, 3, 5, 6, dim)) * 2.6 - 1.3)
    g = g.astype("float32")
    flat = g.reshape(-1)
    flat[[0, 7, 12, 20, 25]] = [np.nan, np.inf, -np.inf, 1e30, -3e9]
    with np.errstate(all="raise"):  # no NumPy warnings leak out (PyTorch says nothing)
        e, t = _pair(torch, x, g, mode, pad, ac)
    assert_close(e, t, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("pad", ["border", "reflection"])
@pytest.mark.parametrize("ac", [False, True])
def test_2d_gradients_against_torch(torch, mode, pad, ac):
    x = RNG.standard_normal((2, 3, 6, 7)).astype("float32")
    g = (RNG.random((2, 4, 5, 2)) * 5 - 2.5).astype("float32")  # several reflections
    ex, eg = ember.tensor(x, requires_grad=True), ember.tensor(g, requires_grad=True)
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    gout = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    grid_sample(ex, eg, mode, pad, ac).backward(ember.tensor(gout))
    torch.nn.functional.grid_sample(tx, tg, mode, pad, ac).backward(torch.tensor(gout))
    assert_close(ex.grad, tx.grad, rtol=1e-5, atol=1e-5)
    assert_close(eg.grad, tg.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("ac", [False, True])
def test_2d_reflection_gradcheck(mode, ac):
    x = ember.tensor(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
    # away from the fold points and pixel borders, where the derivative jumps
    base = RNG.uniform(-2.4, 2.4, (1, 3, 3, 2))
    base = np.where(np.abs(base * 4 - np.round(base * 4)) < 0.1, base + 0.05, base)
    g = ember.tensor(base, requires_grad=True)
    assert gradcheck(lambda a, b: grid_sample(a, b, mode, "reflection", ac), (x, g))
