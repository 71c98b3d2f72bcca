"""interpolate (every mode, size/scale_factor, align_corners, recompute_scale_factor,
antialias), grid_sample and affine_grid against PyTorch, with gradients and gradchecks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops.interpolation import interpolate
from ember.ops.interpolation_grid import affine_grid, grid_sample
from ember.testing import assert_close

RNG = np.random.default_rng(2)


def _arr(shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def _run(torch, e_fn, t_fn, arrays, tol=1e-4):
    ex = [ember.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    ey, ty = e_fn(*ex), t_fn(*tx)
    assert_close(ey, ty, rtol=tol, atol=tol)
    g = _arr(tuple(ty.shape), arrays[0].dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    for a, b in zip(ex, tx):
        assert_close(a.grad, b.grad, rtol=tol, atol=tol)


SIZES = [dict(size=(14, 18)), dict(size=(5, 4)), dict(size=(1, 1)), dict(scale_factor=2),
         dict(scale_factor=0.6), dict(scale_factor=(1.7, 0.45)),
         dict(scale_factor=0.6, recompute_scale_factor=True)]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
@pytest.mark.parametrize("kw", SIZES)
def test_interpolate_nearest_area(torch, mode, kw):
    _run(torch, lambda a: interpolate(a, mode=mode, **kw),
         lambda a: torch.nn.functional.interpolate(a, mode=mode, **kw), [_arr((2, 3, 7, 9))])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_bilinear_bicubic(torch, mode, kw, align_corners):
    for aa in (False, True):
        _run(torch, lambda a, aa=aa: interpolate(a, mode=mode, align_corners=align_corners,
                                                 antialias=aa, **kw),
             lambda a, aa=aa: torch.nn.functional.interpolate(
                 a, mode=mode, align_corners=align_corners, antialias=aa, **kw),
             [_arr((2, 3, 7, 9))])


@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_linear_trilinear_and_3d_nearest(torch, align_corners):
    F = torch.nn.functional
    _run(torch, lambda a: interpolate(a, scale_factor=2.3, mode="linear",
                                      align_corners=align_corners),
         lambda a: F.interpolate(a, scale_factor=2.3, mode="linear", align_corners=align_corners),
         [_arr((2, 3, 7))])
    _run(torch, lambda a: interpolate(a, size=(3, 7, 4), mode="trilinear",
                                      align_corners=align_corners),
         lambda a: F.interpolate(a, size=(3, 7, 4), mode="trilinear",
                                 align_corners=align_corners), [_arr((2, 3, 4, 5, 6))])
    _run(torch, lambda a: interpolate(a, size=(3, 7, 4)),
         lambda a: F.interpolate(a, size=(3, 7, 4)), [_arr((1, 2, 4, 5, 6))])
    _run(torch, lambda a: interpolate(a, scale_factor=(2, 0.5, 1.5), mode="area"),
         lambda a: F.interpolate(a, scale_factor=(2, 0.5, 1.5), mode="area"),
         [_arr((1, 2, 4, 6, 4))])


def test_interpolate_float64_integer_and_errors(torch):
    F = torch.nn.functional
    _run(torch, lambda a: interpolate(a, scale_factor=1.5, mode="bicubic"),
         lambda a: F.interpolate(a, scale_factor=1.5, mode="bicubic"),
         [_arr((1, 2, 4, 5), "float64")], tol=1e-10)
    u8 = RNG.integers(0, 255, (1, 3, 4, 5)).astype("uint8")
    assert_close(interpolate(ember.tensor(u8), scale_factor=2),
                 F.interpolate(torch.tensor(u8), scale_factor=2))
    x = ember.tensor(_arr((1, 2, 4, 5)))
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        interpolate(x, size=3, mode="linear")
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        interpolate(x, size=3, antialias=True)
    with pytest.raises(ValueError, match="not meaningful with an explicit size"):
        interpolate(x, size=3, recompute_scale_factor=True)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(torch, mode, padding_mode, align_corners):
    x = _arr((2, 3, 5, 6))
    grid = (RNG.random((2, 4, 7, 2)) * 2.6 - 1.3).astype("float32")
    _run(torch, lambda a, g: grid_sample(a, g, mode, padding_mode, align_corners),
         lambda a, g: torch.nn.functional.grid_sample(a, g, mode, padding_mode, align_corners),
         [x, grid])


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_volumetric(torch, mode, padding_mode, align_corners):
    x = _arr((2, 3, 4, 5, 6))
    grid = (RNG.random((2, 3, 2, 4, 3)) * 2.6 - 1.3).astype("float32")
    _run(torch, lambda a, g: grid_sample(a, g, mode, padding_mode, align_corners),
         lambda a, g: torch.nn.functional.grid_sample(a, g, mode, padding_mode, align_corners),
         [x, grid])


def test_grid_sample_volumetric_gradcheck_and_errors():
    x = ember.tensor(RNG.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    g = ember.tensor(RNG.uniform(-1, 1, (1, 2, 2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda a, b: grid_sample(a, b, align_corners=False), (x, g))
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        grid_sample(x, g, mode="bicubic")
    with pytest.raises(RuntimeError, match="size 3 in last dimension"):
        grid_sample(x, g[..., :2])


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(torch, align_corners):
    F = torch.nn.functional
    _run(torch, lambda t: affine_grid(t, (2, 3, 5, 7), align_corners),
         lambda t: F.affine_grid(t, (2, 3, 5, 7), align_corners), [_arr((2, 2, 3))], tol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(torch, lambda t: affine_grid(t, (2, 3, 4, 1, 3), align_corners),
             lambda t: F.affine_grid(t, (2, 3, 4, 1, 3), align_corners), [_arr((2, 3, 4))],
             tol=1e-5)
    # ember warns about unit-size grids with align_corners=True exactly when PyTorch does
    counts = []
    for fn, m in ((affine_grid, ember), (F.affine_grid, torch)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(m.zeros(2, 3, 4, dtype=m.float64), (2, 3, 4, 1, 3), align_corners)
        counts.append(sum("unit-size" in str(w.message) for w in caught))
    assert counts == [1, 1] if align_corners else counts == [0, 0]
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices"):
        affine_grid(ember.tensor(_arr((2, 3, 3))), (2, 3, 5, 7))


def test_affine_then_grid_sample(torch):
    F = torch.nn.functional
    _run(torch, lambda x, t: grid_sample(x, affine_grid(t, (2, 3, 6, 5), False),
                                         align_corners=False),
         lambda x, t: F.grid_sample(x, F.affine_grid(t, (2, 3, 6, 5), False),
                                    align_corners=False),
         [_arr((2, 3, 7, 8)), (np.eye(2, 3)[None] + 0.2 * _arr((2, 2, 3))).astype("float32")])


def test_interpolation_gradchecks():
    def t(shape):
        return ember.tensor(RNG.standard_normal(shape), requires_grad=True)

    assert gradcheck(lambda a: interpolate(a, scale_factor=1.7, mode="bicubic",
                                           align_corners=False), (t((1, 1, 3, 4)),))
    assert gradgradcheck(lambda a: interpolate(a, size=(2, 5), mode="bilinear",
                                               antialias=True) ** 2, (t((1, 1, 4, 3)),))
    grid = ember.tensor(RNG.random((1, 3, 2, 2)) * 1.8 - 0.9, requires_grad=True)
    assert gradcheck(lambda a, g: grid_sample(a, g, "bilinear", "border", False),
                     (t((1, 2, 3, 4)), grid))
    assert gradcheck(lambda a, g: grid_sample(a, g, "bicubic", "zeros", True),
                     (t((1, 1, 3, 4)), grid))
