"""Padded row pitches of the convolution kernels' matrices (``_conv_windows.matrix_scratch``).

Rows a multiple of 4 KiB long are laid a cache line apart, for OpenBLAS's speed. The
matrices are then views of wider scratch arrays; these tests check that every write lands
in them (a reshape that silently copied would lose it) and that the numbers are exactly
those of unpadded matrices, with every row padded on every kernel path.
"""

from __future__ import annotations

import numpy as np
import pytest
from _thread_plans import forced_split

import ember
from ember.ops import _conv_kernels as kernels
from ember.ops import _conv_windows as windows

RNG = np.random.default_rng(5)

PLANS = {
    "sequential": dict(_THREADED_WORK=1 << 62),
    "batch_blocks": dict(_THREADED_WORK=0, _MIN_COLUMNS=1, _ROW_BLOCK_BYTES=1, _BLOCK_BYTES=1),
    "by_channel": dict(_THREADED_WORK=0, _MIN_COLUMNS=1 << 62),
}

CASES = [  # (input shape, weight shape, conv2d keyword arguments)
    ((2, 16, 16, 16), (8, 16, 3, 3), dict(padding=1)),  # row products (wide planes)
    ((2, 8, 8, 8), (6, 8, 3, 3), dict(padding=1)),  # im2col, sample-minor windows
    ((3, 3, 20, 20), (5, 3, 7, 7), dict(stride=2, padding=3)),  # strided, ResNet's stem
    ((2, 4, 9, 9), (6, 2, 3, 3), dict(groups=2, padding=1)),
]


def test_padded_view_is_written_through():
    shape = (4, 3, 3, 2, 512)  # rows of 1024 float32: 4 KiB
    m = windows.matrix_scratch(np, np.float32, shape, 3, "test_pitch")
    assert m.shape == shape
    assert m.strides[2] == (1024 + 16) * 4  # one row further on: a cache line more
    m[...] = np.arange(m.size, dtype=np.float32).reshape(shape)
    wide = windows.scratch(np, np.float32, (36, 1024 + 16), "test_pitch")
    assert np.shares_memory(m, wide)
    assert np.array_equal(wide[:, :1024].reshape(shape), m)


def test_rows_not_a_multiple_of_4k_stay_contiguous():
    m = windows.matrix_scratch(np, np.float32, (8, 3, 3, 100), 3, "test_pitch")
    assert m.flags.c_contiguous


def test_padded_operand_copy_keeps_values():
    a = RNG.standard_normal((4, 6, 32, 32)).astype(np.float32)  # 4 * 1024 columns a row
    padded = windows.grouped_rows(np, a, 2, slot="test_rows")
    assert padded.strides[1] != 4 * 32 * 32 * 4
    assert np.array_equal(padded, windows.grouped_rows(np, a, 2))


def _conv_values(x, w, kwargs):
    xt = ember.tensor(x, requires_grad=True)
    wt = ember.tensor(w, requires_grad=True)
    y = ember.conv2d(xt, wt, **kwargs)
    y.backward(ember.tensor(np.cos(np.arange(y.numel(), dtype=x.dtype)).reshape(y.shape)))
    return [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()]


@pytest.mark.parametrize("plan", list(PLANS))
@pytest.mark.parametrize("xs,ws,kwargs", CASES)
def test_every_row_padded_gives_the_same_numbers(monkeypatch, plan, xs, ws, kwargs):
    x = RNG.standard_normal(xs).astype(np.float32)
    w = RNG.standard_normal(ws).astype(np.float32)
    with forced_split(monkeypatch, PLANS[plan]):
        monkeypatch.setattr(windows, "_ALIASING_BYTES", 1 << 62)  # no row padded
        plain = _conv_values(x, w, kwargs)
        monkeypatch.setattr(windows, "_ALIASING_BYTES", 4)  # every row padded
        padded = _conv_values(x, w, kwargs)
    for a, b in zip(plain, padded):
        assert np.array_equal(a, b)


def test_padded_convolution_matches_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(windows, "_ALIASING_BYTES", 4)
    monkeypatch.setattr(kernels, "_ROW_MIN_COLUMNS", 1)
    x = RNG.standard_normal((2, 16, 16, 16))
    w = RNG.standard_normal((8, 16, 3, 3))
    ours = _conv_values(x, w, dict(padding=1))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    y = torch.conv2d(xt, wt, padding=1)
    y.backward(torch.tensor(np.cos(np.arange(y.numel(), dtype=np.float64)).reshape(y.shape)))
    for a, b in zip(ours, [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
