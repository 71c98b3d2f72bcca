"""Session 29, lane N2: batch norm's and instance norm's float32 gradients bit for bit with
PyTorch's CPU kernels (``ember.ops._batch_norm_order``), under the forward's exact gate
(NumPy, C-contiguous float32 inputs under ``normalization._EXACT_MAX`` elements).

Covers: training-mode input, weight and bias gradients of ``F.batch_norm`` over planes
shorter than, equal to and past PyTorch's vector width, one channel, 1d/2d/3d inputs, with and
without the affine parameters; evaluation mode (running statistics: the backward's
float64 root); a gradient PyTorch sees non-contiguous (``(y * y).sum()``); instance norm
(batch norm over ``(1, N*C, ...)``, the parameters' gradients summed over the samples); a
``BatchNorm2d`` training step through ``nn``; the ``(N, 1)`` forward statistics (running sums,
not NumPy's pairwise ones); that inputs past the gate keep the float32 fast path; and group
norm's forward of a channels-last input (PyTorch's per-group kernel: groups of under, at and
past 8 channels, with and without the affine parameters, 2d and 3d, planes up to its 1024
threshold), its layout and its gradient kept.

The fused multiply-adds were read off PyTorch's AVX2 kernels (x86 processors with AVX2 and
FMA): elsewhere the bit-for-bit checks are skipped. Instance norm's forward statistics follow
PyTorch's only where ``_rowwise_moments.followed`` holds (Intel), so its checks need that too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.ops import normalization
from ember.ops._torch_cpu import _flags, mkl_fuses

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")

exact = pytest.mark.skipif(not {"avx2", "fma"} <= _flags(),
                           reason="PyTorch's AVX2 kernel order (x86 with AVX2 and FMA)")


@pytest.fixture(autouse=True)
def same_threads():
    """Both libraries on two threads (PyTorch's kernels split their work by its count)."""
    before = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    yield
    torch.set_num_threads(before[0])
    ember.set_num_threads(before[1])


def _data(shape: tuple, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    c = shape[1]
    return ((rng.standard_normal(shape) * 3 + 1).astype(np.float32),
            rng.standard_normal(shape).astype(np.float32),
            rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32),
            rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32))


def _bn_grads(lib: Any, data: tuple, affine: bool, train: bool, square: bool = False) -> list:
    x, dy, w, b, rm, rv = data
    xt = lib.tensor(x, requires_grad=True)
    wt = lib.tensor(w, requires_grad=True) if affine else None
    bt = lib.tensor(b, requires_grad=True) if affine else None
    y = lib.nn.functional.batch_norm(xt, lib.tensor(rm), lib.tensor(rv), wt, bt, training=train)
    if square:
        (y * y).sum().backward()
    else:
        y.backward(lib.tensor(dy))
    return [t.grad.numpy() for t in (xt, wt, bt) if t is not None]


def _same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for e, t in zip(got, want):
        assert e.dtype == t.dtype and e.shape == t.shape
        np.testing.assert_array_equal(e, t)


SHAPES = [(4, 3, 5, 5), (2, 4, 7), (8, 3, 16), (3, 2, 33), (2, 5, 17, 3), (16, 8, 8, 8),
          (16, 1, 20), (2, 3, 4, 4, 2)]


@exact
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_batch_norm_train_grads(shape: tuple, affine: bool, seed: int) -> None:
    data = _data(shape, seed)
    _same(_bn_grads(ember, data, affine, True), _bn_grads(torch, data, affine, True))


@exact
@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (3, 2, 33)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_grads(shape: tuple, affine: bool) -> None:
    data = _data(shape, 3)
    _same(_bn_grads(ember, data, affine, False), _bn_grads(torch, data, affine, False))


@exact
@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (8, 3, 16)])
def test_batch_norm_grads_of_a_sum(shape: tuple) -> None:
    data = _data(shape, 4)
    _same(_bn_grads(ember, data, True, True, True), _bn_grads(torch, data, True, True, True))


@exact
@pytest.mark.skipif(not mkl_fuses(), reason="instance norm's statistics: PyTorch's order here")
@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (2, 4, 7), (8, 3, 16), (2, 5, 17, 3),
                                   (16, 1, 9), (6, 2, 3, 3, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_train_grads(shape: tuple, affine: bool) -> None:
    x, dy, w, b, _, _ = _data(shape, 5)

    def grads(lib: Any) -> list:
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True) if affine else None
        bt = lib.tensor(b, requires_grad=True) if affine else None
        lib.nn.functional.instance_norm(xt, weight=wt, bias=bt).backward(lib.tensor(dy))
        return [t.grad.numpy() for t in (xt, wt, bt) if t is not None]

    _same(grads(ember), grads(torch))


@exact
def test_batch_norm_module_training_step() -> None:
    x, _, _, _, _, _ = _data((8, 6, 5, 5), 6)

    def step(lib: Any) -> list:
        lib.manual_seed(0)
        bn = lib.nn.BatchNorm2d(6)
        with lib.no_grad():
            bn.weight.copy_(lib.linspace(0.5, 1.5, 6))
            bn.bias.copy_(lib.linspace(-0.2, 0.3, 6))
        opt = lib.optim.SGD(bn.parameters(), lr=0.1)
        out = []
        for _ in range(2):
            xt = lib.tensor(x, requires_grad=True)
            loss = (bn(xt) ** 2 * lib.linspace(0, 1, 5)).mean()
            opt.zero_grad()
            loss.backward()
            out += [xt.grad.numpy(), bn.weight.grad.numpy().copy(), bn.bias.grad.numpy().copy()]
            opt.step()
        return out + [bn.weight.detach().numpy(), bn.running_var.numpy()]

    pytest.importorskip("ember.optim")
    _same(step(ember), step(torch))


@pytest.mark.parametrize("n", [64, 100])
def test_single_feature_rows_forward(n: int) -> None:
    """An ``(N, 1)`` input's statistics: PyTorch's blocks added in order (NumPy's sum of one
    contiguous column would pair them up)."""
    x = (np.random.default_rng(n).standard_normal((n, 1)) * 3 + 1).astype(np.float32)
    w, b = np.float32([0.7]), np.float32([0.2])
    want = torch.native_batch_norm(torch.tensor(x), torch.tensor(w), torch.tensor(b), None,
                                   None, True, 0.1, 1e-5)
    got = ember.native_batch_norm(ember.tensor(x), ember.tensor(w), ember.tensor(b), None,
                                  None, True, 0.1, 1e-5)
    _same([t.numpy() for t in got], [t.numpy() for t in want])


def test_large_inputs_keep_the_fast_backward(monkeypatch: Any) -> None:
    """Past the gate (a ResNet feature map) the float32 kernel: within float32 rounding of
    its 4096-term sums (relative to the largest gradient; some cancel)."""
    from ember.ops import _batch_norm_order

    def refuse(*args: Any) -> None:
        raise AssertionError("the ordered backward ran past the gate")

    monkeypatch.setattr(normalization, "batch_norm_grads32", refuse)
    monkeypatch.setattr(_batch_norm_order, "batch_norm_grads32", refuse)
    data = _data((16, 64, 16, 16), 7)
    assert data[0].size >= normalization._EXACT_MAX
    for e, t in zip(_bn_grads(ember, data, True, True), _bn_grads(torch, data, True, True)):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6 * np.abs(t).max())


@exact
@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 5), 3), ((2, 16, 4, 4), 2), ((2, 32, 3, 3), 4),
                                          ((4, 24, 6, 6), 2), ((1, 12, 7, 7), 4),
                                          ((2, 10, 3, 3), 2), ((2, 26, 3, 3), 2),
                                          ((2, 8, 4, 4), 8), ((1, 4, 30, 30), 2),
                                          ((2, 6, 3, 3, 3), 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_channels_last_forward(shape: tuple, groups: int, affine: bool) -> None:
    x, _, w, b, _, _ = _data(shape, 8)
    dy = x[::-1].copy()

    def run(lib: Any) -> tuple:
        fmt = lib.channels_last if len(shape) == 4 else lib.channels_last_3d
        xt = lib.tensor(x).contiguous(memory_format=fmt).requires_grad_(True)
        y = lib.nn.functional.group_norm(xt, groups, lib.tensor(w) if affine else None,
                                         lib.tensor(b) if affine else None)
        y.backward(lib.tensor(dy))
        return y.detach().numpy(), y.is_contiguous(memory_format=fmt), xt.grad.numpy()

    got, want = run(ember), run(torch)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-5)
