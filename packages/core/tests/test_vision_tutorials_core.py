"""Core behaviour the PyTorch tutorials observe, compared with PyTorch: the spatial-transformer
tutorial's affine_grid rounding (grid_sample floors those points, so one ulp changes its grid
gradient and the whole training run), its align_corners warnings and messages; NumPy functions
on tensors (the tutorials' ``np.transpose(grid, (1, 2, 0))``); and ``torch.accelerator``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.ops.interpolation_grid import affine_grid, grid_sample
from ember.testing import assert_close


def _warned(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(m.message) for m in w]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("spatial", [(1, 4), (3, 5), (6, 6), (7, 9), (28, 28), (2, 3, 5), (4, 8, 9)])
def test_affine_grid_bitwise(torch, dtype, align_corners, spatial):
    # small grids are summed term by term, large ones with fused multiply-adds: both exact
    rng = np.random.default_rng(sum(spatial))
    d = len(spatial)
    theta = rng.standard_normal((3, d, d + 1)).astype(dtype)
    size = (3, 2) + spatial
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.functional.affine_grid(torch.tensor(theta), size, align_corners=align_corners)
        e = affine_grid(ember.tensor(theta), size, align_corners=align_corners)
    assert e.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_affine_grid_non_contiguous_theta(torch):
    theta = np.random.default_rng(0).standard_normal((2, 3, 2)).astype("float32")
    t = torch.nn.functional.affine_grid(torch.tensor(theta).transpose(1, 2), (2, 1, 9, 11),
                                        align_corners=False)
    e = affine_grid(ember.tensor(theta).transpose(1, 2), (2, 1, 9, 11), align_corners=False)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_identity_transform_grid_gradient(torch, mode, padding_mode, align_corners):
    # the tutorial's localisation head starts at the identity: every point sits on a pixel
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 12, 10)).astype("float32")
    w = rng.standard_normal((2, 3, 12, 10)).astype("float32")
    grads = []
    for lib, ag, gs in ((torch, torch.nn.functional.affine_grid, torch.nn.functional.grid_sample),
                        (ember, affine_grid, grid_sample)):
        theta = lib.tensor([[1.0, 0, 0], [0, 1, 0]]).expand(2, 2, 3).clone().requires_grad_(True)
        xi = lib.tensor(x, requires_grad=True)
        grid = ag(theta, (2, 3, 12, 10), align_corners=align_corners)
        grid.retain_grad()
        out = gs(xi, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        (out * lib.tensor(w)).sum().backward()
        grads.append((out, xi.grad, grid.grad, theta.grad))
    for name, e, t in zip(("out", "input grad", "grid grad", "theta grad"), grads[1], grads[0]):
        assert_close(e, t, rtol=1e-5, atol=1e-4, msg=name)


def test_align_corners_default_warns(torch):
    theta = np.eye(2, 3, dtype="float32")[None]
    x = np.ones((1, 1, 3, 3), "float32")
    msgs = []
    for lib, ag, gs in ((torch, torch.nn.functional.affine_grid, torch.nn.functional.grid_sample),
                        (ember, affine_grid, grid_sample)):
        th, xi, grid = lib.tensor(theta), lib.tensor(x), lib.zeros(1, 2, 2, 2)
        _, m1 = _warned(lambda ag=ag, th=th: ag(th, (1, 1, 3, 3)))
        _, m2 = _warned(lambda gs=gs, xi=xi, grid=grid: gs(xi, grid))
        _, m3 = _warned(lambda gs=gs, xi=xi, grid=grid: gs(xi, grid, align_corners=False))
        msgs.append((m1, m2, m3))
    assert msgs[1] == msgs[0]
    assert len(msgs[1][0]) == 1 and not msgs[1][2]


def test_affine_grid_warning_points_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        affine_grid(ember.tensor(np.eye(2, 3, dtype="float32")[None]), (1, 1, 3, 3))
    assert w[0].filename == __file__


@pytest.mark.parametrize("size,shape", [((2, 3, 5), (2, 2, 3)), ((2, 3, 5, 6), (2, 1, 3)),
                                        ([1, 2, 3, 4, 5], (1, 2, 3)), ((2, 3, 0, 4), (2, 2, 3))])
def test_affine_grid_errors(torch, size, shape):
    theta = np.zeros(shape, "float32")
    with pytest.raises(Exception) as te:
        torch.nn.functional.affine_grid(torch.tensor(theta), size, align_corners=False)
    with pytest.raises(te.type) as ee:
        affine_grid(ember.tensor(theta), size, align_corners=False)
    assert str(ee.value).replace("ember", "torch") == str(te.value)


@pytest.mark.parametrize("fn", [
    lambda np_, x: np_.transpose(x, (1, 2, 0)),
    lambda np_, x: np_.clip(x, 0, 1),
    lambda np_, x: np_.sin(x),
    lambda np_, x: np_.greater(x, 3.0),
    lambda np_, x: np_.add(x, 1),
    lambda np_, x: np_.reshape(x, (6, 4)),
    lambda np_, x: np_.squeeze(x[:1]),
    lambda np_, x: np_.sqrt(x[0, 0, 0]),
])
def test_numpy_functions_on_tensors_give_tensors(torch, fn):
    t = torch.arange(24.0).reshape(2, 3, 4)
    e = ember.arange(24.0).reshape(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's old __array_wrap__ signature
        rt, re = fn(np, t), fn(np, e)
    assert type(rt).__name__ == type(re).__name__
    if isinstance(rt, torch.Tensor):
        assert re.device.type == "cpu"
        assert_close(re, rt)


def test_numpy_ufunc_refuses_tensor_requiring_grad(torch):
    with pytest.raises(RuntimeError) as te:
        np.sin(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError) as ee:
        np.sin(ember.ones(2, requires_grad=True))
    assert str(ee.value) == str(te.value)


def test_accelerator_picks_a_device():
    # the Quickstart's device line
    acc = ember.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert device == ("cuda" if ember.cuda.is_available() else "cpu")
    assert acc.device_count() == ember.cuda.device_count()
    assert (acc.current_accelerator(check_available=True) is None) == (not acc.is_available())
    assert ember.zeros(2, device=device).device.type == device


def test_accelerator_api_names(torch):
    missing = {n for n in ("is_available", "current_accelerator", "device_count",
                           "current_device_index", "set_device_index", "synchronize",
                           "device_index") if hasattr(torch.accelerator, n)}
    assert missing <= set(dir(ember.accelerator))


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor(lib.tensor([0.485, 0.456, 0.406])),  # the style-transfer Normalization
    lambda lib: lib.tensor(lib.tensor(3.0)),
    lambda lib: lib.tensor(lib.ones(2, requires_grad=True)),
    lambda lib: lib.ones(2).new_tensor(lib.ones(3)),
    lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    lambda lib: lib.asarray(lib.ones(2), copy=True),
    lambda lib: lib.ones(2).new_tensor([1, 2]),
])
def test_copy_construct_warning(torch, make):
    t, tw = _warned(lambda: make(torch))
    e, ew = _warned(lambda: make(ember))
    assert [m.replace("ember.", "torch.") for m in ew] == tw
    assert_close(e, t)
    assert not e.requires_grad


def test_copy_construct_warning_points_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.tensor(ember.ones(2))
        ember.ones(2).new_tensor(ember.ones(2))
    assert [m.filename for m in w] == [__file__, __file__]
