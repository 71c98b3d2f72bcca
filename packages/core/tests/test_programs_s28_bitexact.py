"""Float32 results of common layers compared with PyTorch's bit for bit (session 28, lane R).

Covers layer norm's forward (output, mean and rstd of ``native_layer_norm``, with and without
the affine step, ``nn.LayerNorm``) and group norm's forward (with and without weight and bias,
``nn.GroupNorm``, ``native_group_norm``), whose statistics follow PyTorch's ``RowwiseMoments``
order (see ``ember/ops/_rowwise_moments.py``): rows shorter than a vector, a vector, a partial
chunk, several chunks in the cascade, a tail of single elements. Instance norm's forward
(``F.instance_norm``, ``nn.InstanceNorm2d`` with running statistics), which PyTorch computes as
batch norm of the ``(1, N*C, ...)`` view.

The order (its vector width and fused multiply-adds) was read off PyTorch's results on an
Intel processor, where the comparison is exact (``mkl_fuses()``); elsewhere Ember keeps its
two-pass statistics and the comparison allows float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember.ops._torch_cpu import mkl_fuses  # noqa: E402

EXACT = mkl_fuses()  # PyTorch's order followed on this processor (Intel's)


def _same(t, e) -> None:
    """Tensors ``t`` (torch) and ``e`` (ember): bit-identical where the order is followed,
    else equal to float32 rounding."""
    a = t.detach().numpy()
    b = np.asarray(e.detach().numpy())
    assert a.shape == b.shape and a.dtype == b.dtype
    if EXACT:
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    else:  # float32 rounding of the terms (an output near 0 may sum terms near max |a|)
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(a).max())))


def _data(shape, seed, scale=3.0, shift=1.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


# rows of 1..7 (the tail only), 8 (one vector), 100 (a partial chunk), 136 (a chunk and one
# vector), 300 and 1000 (three and eight chunks), 3001 (a deeper cascade and a tail)
ROWS = [1, 5, 8, 17, 100, 136, 300, 1000, 3001]


@pytest.mark.parametrize("n", ROWS)
def test_native_layer_norm_statistics(n):
    x = _data((min(37, 32767 // n), n), n)  # (the ordered statistics stop at 32768 elements)
    tt = torch.native_layer_norm(torch.from_numpy(x), (n,), None, None, 1e-5)
    ee = ember.native_layer_norm(ember.from_numpy(x), (n,), None, None, 1e-5)
    for t, e in zip(tt, ee):
        _same(t, e)


@pytest.mark.parametrize("n", [8, 100, 768])
def test_layer_norm_affine(n):
    x, w, b = _data((4, 9, n), n), _data((n,), 1), _data((n,), 2)
    for wt, bt in ((w, b), (w, None), (None, b)):
        t = torch.nn.functional.layer_norm(
            torch.from_numpy(x), (n,), None if wt is None else torch.from_numpy(wt),
            None if bt is None else torch.from_numpy(bt))
        e = ember.nn.functional.layer_norm(
            ember.from_numpy(x), (n,), None if wt is None else ember.from_numpy(wt),
            None if bt is None else ember.from_numpy(bt))
        _same(t, e)


@pytest.mark.skipif(not EXACT, reason="ill-conditioned rows: equal only in PyTorch's order")
def test_layer_norm_module_two_dims_and_offset_data():
    x = _data((6, 12, 20), 3, scale=0.1, shift=5.0)  # a large mean: cancellation matters
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.LayerNorm((12, 20))
        with lib.no_grad():
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-1, 1)
        outs.append(m(lib.from_numpy(x.copy())))
    _same(*outs)


@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 7), 3), ((3, 8, 9, 9), 2),
                                          ((1, 32, 16, 16), 8), ((4, 4, 3), 4)])
def test_group_norm(shape, groups):
    c = shape[1]
    x, w, b = _data(shape, c), _data((c,), 1), _data((c,), 2)
    for wt, bt in ((None, None), (w, b), (w, None), (None, b)):
        t = torch.nn.functional.group_norm(
            torch.from_numpy(x), groups, None if wt is None else torch.from_numpy(wt),
            None if bt is None else torch.from_numpy(bt))
        e = ember.nn.functional.group_norm(
            ember.from_numpy(x), groups, None if wt is None else ember.from_numpy(wt),
            None if bt is None else ember.from_numpy(bt))
        _same(t, e)


def test_group_norm_module_statistics():
    x = _data((2, 12, 10, 10), 7, scale=2.0, shift=3.0)
    tt = torch.native_group_norm(torch.from_numpy(x), None, None, 2, 12, 100, 4, 1e-5)
    ee = ember.native_group_norm(ember.from_numpy(x), None, None, 2, 12, 100, 4, 1e-5)
    for t, e in zip(tt, ee):
        _same(t, e)
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.GroupNorm(4, 12)
        outs.append(m(lib.from_numpy(x.copy())))
    _same(*outs)


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (4, 6, 16, 16), (3, 5, 33), (1, 2, 4, 4, 4)])
def test_instance_norm(shape):
    c = shape[1]
    x, w, b = _data(shape, c), _data((c,), 1), _data((c,), 2)
    for wt, bt in ((None, None), (w, b), (w, None)):
        t = torch.nn.functional.instance_norm(
            torch.from_numpy(x), weight=None if wt is None else torch.from_numpy(wt),
            bias=None if bt is None else torch.from_numpy(bt))
        e = ember.nn.functional.instance_norm(
            ember.from_numpy(x), weight=None if wt is None else ember.from_numpy(wt),
            bias=None if bt is None else ember.from_numpy(bt))
        _same(t, e)


def test_instance_norm_module_running_stats():
    x = _data((3, 4, 9, 9), 11, scale=2.0, shift=1.0)
    outs, stats = [], []
    for lib in (torch, ember):
        m = lib.nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
        outs.append(m(lib.from_numpy(x.copy())))
        stats.append((m.running_mean, m.running_var))
    _same(*outs)
    for t, e in zip(*stats):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
