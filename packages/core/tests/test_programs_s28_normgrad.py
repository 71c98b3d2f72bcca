"""Layer norm's float32 gradients against PyTorch's CPU kernel (session 28, lane B).

Covers: the input's, weight's and bias's gradients of ``layer_norm`` with and without the
affine parameters, over rows whose length is under, at and past a multiple of PyTorch's
vector width (its row sums' partial last vector), and over several threads' rows (the
parameters' per-thread buffers). Where PyTorch's order is followed (``mkl_fuses()``: Intel,
inputs under ``_EXACT_MAX``) the gradients must match to the bit; elsewhere to float32's
tolerance.
"""

import numpy as np
import pytest

import ember
from ember.ops._torch_cpu import mkl_fuses

torch = pytest.importorskip("torch")


def _grads(lib, x, dy, w, b, n):
    xt = lib.tensor(x, requires_grad=True)
    wt = None if w is None else lib.tensor(w, requires_grad=True)
    bt = None if b is None else lib.tensor(b, requires_grad=True)
    lib.nn.functional.layer_norm(xt, (n,), wt, bt).backward(lib.tensor(dy))
    return [t.grad.numpy() for t in (xt, wt, bt) if t is not None]


def _check(shape, affine, seed):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(n).astype(np.float32) if affine else None
    b = rng.standard_normal(n).astype(np.float32) if affine == 2 else None
    for e, t in zip(_grads(ember, x, dy, w, b, n), _grads(torch, x, dy, w, b, n)):
        assert e.dtype == t.dtype and e.shape == t.shape
        if mkl_fuses():
            np.testing.assert_array_equal(e, t)
        else:
            np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [1, 3, 5, 8, 12, 37, 100, 768])
@pytest.mark.parametrize("affine", [0, 1, 2])
def test_layer_norm_grads_rows(n, affine):
    _check((16, n), affine, n * 3 + affine)


@pytest.mark.parametrize("shape", [(3, 5, 64), (1, 45), (301, 7), (2, 3, 4, 20)])
def test_layer_norm_grads_batches(shape):
    _check(shape, 2, sum(shape))


def test_layer_norm_grads_module_step():
    # a transformer block's norm: LayerNorm, a loss, backward
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 10, 96)).astype(np.float32)
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        ln = lib.nn.LayerNorm(96)
        with lib.no_grad():
            ln.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, 96, dtype=np.float32)))
        xt = lib.tensor(x, requires_grad=True)
        (ln(xt) ** 2).sum().backward()
        out.append([xt.grad.numpy(), ln.weight.grad.numpy(), ln.bias.grad.numpy()])
    for e, t in zip(out[1], out[0]):
        if mkl_fuses():
            np.testing.assert_array_equal(e, t)
        else:
            np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)


def _same(e, t):
    assert e.dtype == t.dtype and e.shape == t.shape
    if mkl_fuses():
        np.testing.assert_array_equal(e, t)
    else:
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,groups", [((2, 32, 10), 4), ((3, 24, 37), 2), ((4, 6, 5), 3),
                                          ((2, 26, 3, 3), 2), ((2, 30, 4, 4), 2),
                                          ((3, 40, 1), 8), ((2, 16, 9, 9), 1)])
@pytest.mark.parametrize("affine", [0, 1, 2])
def test_group_norm_grads(shape, groups, affine):
    # channels per group under, at and past the kernel's vectors of 8 (4 at a time after)
    rng = np.random.default_rng(sum(shape) + affine)
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine == 2 else None
    out = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        wt = None if w is None else lib.tensor(w, requires_grad=True)
        bt = None if b is None else lib.tensor(b, requires_grad=True)
        lib.nn.functional.group_norm(xt, groups, wt, bt).backward(lib.tensor(dy))
        out.append([t.grad.numpy() for t in (xt, wt, bt) if t is not None])
    for e, t in zip(out[1], out[0]):
        _same(e, t)


def test_group_norm_module_step():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 6, 6)).astype(np.float32)
    out = []
    for lib in (torch, ember):
        gn = lib.nn.GroupNorm(4, 16)
        xt = lib.tensor(x, requires_grad=True)
        (gn(xt) ** 2).sum().backward()
        out.append([xt.grad.numpy(), gn.weight.grad.numpy(), gn.bias.grad.numpy()])
    for e, t in zip(out[1], out[0]):
        _same(e, t)


@pytest.mark.parametrize("shape", [(4, 7), (3, 64), (2, 5, 100), (16, 768), (1, 3, 257)])
@pytest.mark.parametrize("weighted", [False, True])
def test_rms_norm_forward(shape, weighted):
    # PyTorch's composite: the mean of the squares in its sum's order (not processor-dependent)
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    w = rng.standard_normal(shape[-1]).astype(np.float32) if weighted else None
    e, t = (lib.nn.functional.rms_norm(lib.tensor(x), (shape[-1],),
                                       None if w is None else lib.tensor(w)).numpy()
            for lib in (ember, torch))
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape,ns", [((4, 7), (7,)), ((3, 64), (64,)), ((2, 5, 100), (100,)),
                                      ((2, 6, 8), (6, 8)), ((33,), (33,))])
@pytest.mark.parametrize("weighted", [False, True])
def test_rms_norm_grads(shape, ns, weighted):
    # PyTorch's autograd runs the composite's nodes: each step rounded, its sums' order
    rng = np.random.default_rng(sum(shape) + weighted)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(ns).astype(np.float32) if weighted else None
    out = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        wt = None if w is None else lib.tensor(w, requires_grad=True)
        lib.nn.functional.rms_norm(xt, ns, wt).backward(lib.tensor(dy))
        out.append([t.grad.numpy() for t in (xt, wt) if t is not None])
    for e, t in zip(out[1], out[0]):
        assert e.dtype == t.dtype and e.shape == t.shape
        np.testing.assert_array_equal(e, t)
