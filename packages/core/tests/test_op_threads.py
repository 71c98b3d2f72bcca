"""Ops split over Ember's op threads give PyTorch's values and gradients.

Convolutions: every way of splitting the work (batch blocks per thread, whole-batch
split by channels, one thread), for the layouts each kernel chooses between (pitched or
strided windows, flipped-kernel, col2im or placement-product input gradients, pointwise
products). Batch
norm (by channel) and max pooling (by plane), split and not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _thread_plans import forced_split

import ember
from ember.ops import _conv_kernels as kernels
from ember.ops import _conv_windows as wins
from ember.ops import _parallel
from ember.testing import assert_close

RNG = np.random.default_rng(7)

# name -> the module attributes that force one way of splitting the work
PLANS = {
    "sequential": dict(_THREADED_WORK=1 << 62),
    "batch_blocks": dict(_THREADED_WORK=0, _MIN_COLUMNS=1, _BLOCK_BYTES=1,
                         _WEIGHT_BLOCK_BYTES=1),
    "by_channel": dict(_THREADED_WORK=0, _MIN_COLUMNS=1 << 62),
}

CASES = [  # (conv, input shape, weight shape, keyword arguments)
    ("conv2d", (5, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),  # pitched, flipped input grad
    ("conv2d", (3, 4, 9, 8), (6, 4, 3, 3), dict(stride=2, padding=1)),  # strided, col2im
    ("conv2d", (3, 4, 6, 7), (6, 4, 1, 1), dict()),  # pointwise product
    ("conv2d", (3, 4, 6, 7), (6, 4, 1, 1), dict(stride=2)),
    ("conv2d", (4, 4, 8, 8), (6, 2, 3, 2), dict(padding=(1, 0), groups=2, dilation=(2, 1))),
    ("conv2d", (3, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),  # depthwise
    ("conv2d", (2, 3, 5, 5), (40, 3, 3, 3), dict(padding=1)),  # more channels than positions
    # input planes of a few positions, many output channels: placement products
    ("conv2d", (4, 6, 2, 2), (64, 6, 3, 3), dict(padding=1)),
    ("conv2d", (3, 4, 2, 2), (64, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (3, 4, 3), (32, 4, 3), dict(padding=2, dilation=2)),
    ("conv3d", (2, 3, 2, 2, 1), (40, 3, 2, 2, 1), dict(padding=(1, 0, 0))),
    ("conv1d", (5, 3, 17), (4, 3, 5), dict(padding=2)),
    ("conv3d", (3, 2, 5, 6, 4), (4, 2, 3, 3, 2), dict(padding=(1, 1, 0))),
]


@pytest.fixture(params=list(PLANS))
def plan(request, monkeypatch):
    with forced_split(monkeypatch, PLANS[request.param]):
        yield request.param


@pytest.mark.parametrize("op,xs,ws,kw", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threaded_conv_matches_pytorch(torch, plan, op, xs, ws, kw, dtype):
    x, w = RNG.standard_normal(xs).astype(dtype), RNG.standard_normal(ws).astype(dtype)
    g = RNG.standard_normal((1,)).astype(dtype)  # a scale for the output gradient
    ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ey = getattr(ember.nn.functional, op)(ex, ew, **kw)
    ty = getattr(torch.nn.functional, op)(tx, tw, **kw)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else {}
    assert_close(ey, ty.detach(), **tol)
    gy = RNG.standard_normal(tuple(ty.shape)).astype(dtype) * g
    ey.backward(ember.tensor(gy))
    ty.backward(torch.tensor(gy))
    assert_close(ex.grad, tx.grad, **tol)
    assert_close(ew.grad, tw.grad, **tol)


def test_threaded_transposed_conv_matches_pytorch(torch, plan):
    x = RNG.standard_normal((5, 4, 6, 5)).astype("float32")
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ey = ember.nn.functional.conv_transpose2d(ex, ew, stride=2, padding=1, output_padding=1)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, stride=2, padding=1, output_padding=1)
    assert_close(ey, ty.detach(), rtol=1e-4, atol=1e-4)
    ey.sum().backward()
    ty.sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-4)
    assert_close(ew.grad, tw.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("min_columns", [1, 1 << 62])  # batch blocks, by channel
def test_threaded_numbers_do_not_depend_on_timing(monkeypatch, min_columns):
    """Each thread's share of the work is fixed by the thread count, and the weight
    gradient's partial sums are added in a fixed order: repeated runs are bitwise equal."""
    x = RNG.standard_normal((7, 8, 12, 12)).astype("float32")
    w = RNG.standard_normal((16, 8, 3, 3)).astype("float32")
    g = kernels.Geom((1, 1), (1, 1), (1, 1), (1, 1), 1)
    gy = RNG.standard_normal((7, 16, 12, 12)).astype("float32")
    monkeypatch.setattr(kernels, "_THREADED_WORK", 0)
    monkeypatch.setattr(kernels, "_BLOCK_BYTES", 1)
    monkeypatch.setattr(kernels, "_WEIGHT_BLOCK_BYTES", 1)
    monkeypatch.setattr(kernels, "_MIN_COLUMNS", min_columns)
    threads = ember.get_num_threads()
    ember.set_num_threads(3)
    try:
        runs = [(kernels.conv_forward(np, x, w, g), kernels.conv_weight_grad(np, x, gy, g, (3, 3)),
                 kernels.conv_input_grad(np, gy, w, g, (12, 12))) for _ in range(4)]
    finally:
        ember.set_num_threads(threads)
    for run in runs[1:]:
        for a, b in zip(runs[0], run):
            np.testing.assert_array_equal(a, b)


def test_pitched_windows_keep_infinities_where_pytorch_has_them(torch, monkeypatch):
    """Pitched windows also compute positions past each row's end, which read the next
    row's values: an inf there must reach exactly the outputs and gradients it reaches in
    PyTorch (NaN where it meets a zero), no others."""
    monkeypatch.setattr(wins, "_PITCH_WASTE", 10.0)
    x = RNG.standard_normal((2, 3, 6, 6)).astype("float32")
    x[0, 1, 2, 0] = np.inf
    x[1, 2, 4, 5] = -np.inf
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # PyTorch does not warn about infs
        ey = ember.nn.functional.conv2d(ex, ew, padding=(0, 1))
    ty = torch.nn.functional.conv2d(tx, tw, padding=(0, 1))
    assert_close(ey, ty.detach(), rtol=1e-4, atol=1e-4)
    gy = np.zeros(tuple(ty.shape), "float32")
    gy[:, :, 0, 0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ey.backward(ember.tensor(gy))
    ty.backward(torch.tensor(gy))
    assert np.isnan(ew.grad.numpy()).any()  # the infs times zero gradients, as in PyTorch
    assert_close(ew.grad, tw.grad, rtol=1e-4, atol=1e-4)
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-4)


def test_worker_errors_reach_the_caller(monkeypatch):
    """An exception in a worker thread is raised in the caller, after every thread ends."""
    from ember.ops import _parallel

    def work(t, pieces):
        if t == 1:
            raise ValueError("boom in thread 1")
        return list(pieces)

    with pytest.raises(ValueError, match="boom in thread 1"):
        _parallel.run_striped(work, 4, 2)
    assert _parallel.run_striped(lambda t, p: list(p), 5, 2) == [[0, 2, 4], [1, 3]]


def test_workers_keep_nothing_of_a_finished_call(monkeypatch):
    """A worker drops its last call (the work and its results) when done, and the engine its
    last input gradient: a gradient made on the op threads, or a node's last one (a bias), is
    then unshared, and its leaf keeps it without a copy."""
    import gc
    import weakref

    from ember._tensor import Tensor

    held = np.ones(8)
    ref = weakref.ref(held)
    _parallel.run_striped(lambda t, _, h=held: h.sum() + t, 2, 2)
    del held
    gc.collect()
    assert ref() is None

    copies = []
    clone = Tensor._clone_data
    monkeypatch.setattr(Tensor, "_clone_data", lambda self: copies.append(self) or clone(self))
    threads = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        w = ember.randn(64, 32, 3, 3, requires_grad=True)  # a weight gradient on both threads
        ember.conv2d(ember.randn(16, 32, 6, 6), w, padding=1).sum().backward()
        bw, bb = ember.randn(6, requires_grad=True), ember.randn(6, requires_grad=True)
        ember.batch_norm(ember.randn(4, 6, 3), bw, bb, None, None, True, 0.1,
                         1e-5).sum().backward()  # bb: the last input of its node
    finally:
        ember.set_num_threads(threads)
    assert copies == []


class _OtherBackend:
    """NumPy under another name: the kernels take their portable paths (no op threads, no
    kept scratch, no structured-dtype transposes), as on CuPy."""

    __name__ = "other"

    def __getattr__(self, name):
        return getattr(np, name)


class _NoStridedViews(_OtherBackend):
    """A backend without ``lib.stride_tricks``: windows are copied offset by offset."""

    def __getattr__(self, name):
        if name == "lib":
            raise AttributeError(name)
        return getattr(np, name)


@pytest.mark.parametrize("backend", [_OtherBackend, _NoStridedViews])
@pytest.mark.parametrize("op,xs,ws,kw", CASES[:7])
def test_portable_paths_match_numpy_paths(op, xs, ws, kw, backend):
    x = RNG.standard_normal(xs)
    w = RNG.standard_normal(ws)
    d = len(xs) - 2
    pad = kw.get("padding", 0)
    pad = (pad,) * d if isinstance(pad, int) else tuple(pad)
    g = kernels.Geom(_tuple(kw.get("stride", 1), d), _tuple(kw.get("dilation", 1), d), pad,
                     pad, kw.get("groups", 1))
    other = backend()
    y = kernels.conv_forward(np, x, w, g)
    np.testing.assert_allclose(kernels.conv_forward(other, x, w, g), y, rtol=1e-12, atol=1e-12)
    gy = RNG.standard_normal(y.shape)
    np.testing.assert_allclose(kernels.conv_input_grad(other, gy, w, g, xs[2:]),
                               kernels.conv_input_grad(np, gy, w, g, xs[2:]), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(kernels.conv_weight_grad(other, x, gy, g, ws[2:]),
                               kernels.conv_weight_grad(np, x, gy, g, ws[2:]), rtol=1e-12,
                               atol=1e-12)


def _tuple(v, d):
    return (v,) * d if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("split_elements", [0, 1 << 62])  # split over threads, or not
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_split_batch_norm_and_max_pool_match_pytorch(torch, monkeypatch, split_elements, dtype):
    monkeypatch.setattr(_parallel, "_SPLIT_ELEMENTS", split_elements)
    x = RNG.standard_normal((4, 5, 9, 7)).astype(dtype)
    w, b = RNG.standard_normal(5).astype(dtype), RNG.standard_normal(5).astype(dtype)
    gy = RNG.standard_normal((4, 5, 5, 4)).astype(dtype)
    results = []
    for lib in (ember, torch):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        rm, rv = lib.zeros(5, dtype=getattr(lib, dtype)), lib.ones(5, dtype=getattr(lib, dtype))
        y = lib.nn.functional.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.3)
        p, i = lib.nn.functional.max_pool2d(y, 3, stride=2, padding=1, return_indices=True)
        p.backward(lib.tensor(gy))
        results.append((y, p, i, xt.grad, wt.grad, bt.grad, rm, rv))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else {}
    for a, e in zip(*results):
        assert_close(a, e.detach(), **tol)


@pytest.mark.parametrize("split_elements", [0, 1 << 62])
@pytest.mark.parametrize("inplace", [False, True])
def test_split_relu_and_eval_batch_norm_match_pytorch(torch, monkeypatch, split_elements,
                                                      inplace):
    monkeypatch.setattr(_parallel, "_SPLIT_ELEMENTS", split_elements)
    x = RNG.standard_normal((3, 4, 5, 6)).astype("float32")
    x[0, 1, 2, 3] = np.nan
    w, b = RNG.standard_normal(4).astype("float32"), RNG.standard_normal(4).astype("float32")
    rm, rv = RNG.standard_normal(4).astype("float32"), RNG.random(4).astype("float32") + 0.5
    gy = RNG.standard_normal(x.shape).astype("float32")
    results = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.batch_norm(xt, lib.tensor(rm), lib.tensor(rv), lib.tensor(w),
                                         lib.tensor(b), training=False)
        z = lib.nn.functional.relu(y * 1.0, inplace=inplace)
        r = lib.nn.functional.relu(xt[:, :, ::2].detach())  # a non-contiguous input
        z.backward(lib.tensor(gy))
        results.append((y, z, r, xt.grad))
    for a, e in zip(*results):
        assert_close(a, e.detach(), rtol=1e-5, atol=1e-6)


def test_nested_split_runs_inline():
    """Work handed to a worker that splits again runs in that worker (no waiting on itself)."""

    def inner(t, pieces):
        return list(pieces)

    def outer(t, pieces):
        return _parallel.run_striped(inner, 3, 2)

    assert _parallel.run_striped(outer, 2, 2) == [[[0, 2], [1]], [[0, 2], [1]]]


def test_large_batches_are_not_unfolded_whole_nor_kept():
    """A batch whose windows would take more than _WHOLE_BYTES goes in blocks, even with few
    positions per sample; scratch arrays above _KEEP_BYTES are not kept by the thread."""
    threads = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        few = kernels._plan(np, 8, 64, 1 << 20, 1 << 40)  # 8 MiB of windows: whole batch
        many = kernels._plan(np, 64, 64, 3 << 20, 1 << 40)  # 192 MiB: blocks
    finally:
        ember.set_num_threads(threads)
    if ember.get_num_threads() > 1 and _parallel._CPUS > 1:
        assert few.by_channel
    assert not many.by_channel and many.nb < 64
    small = wins.scratch(np, np.dtype("float32"), (1000,))
    assert wins.scratch(np, np.dtype("float32"), (10,)).base is small.base  # kept, reused
    big = (wins._KEEP_BYTES // 4 + 1,)
    first, second = (wins.scratch(np, np.dtype("float32"), big) for _ in range(2))
    assert first.base is None and not np.shares_memory(first, second)


def test_placement_input_gradient_is_taken_and_keeps_infinities(torch, monkeypatch):
    """Small input planes take the placement product; an infinite output gradient (which
    would meet the placement's zeros) falls back to adding windows back, as PyTorch's sum."""
    taken = []
    placed = kernels._input_grad_placed
    monkeypatch.setattr(kernels, "_input_grad_placed", lambda *a: taken.append(1) or placed(*a))
    x = RNG.standard_normal((3, 5, 2, 2)).astype("float32")
    w = RNG.standard_normal((48, 5, 3, 3)).astype("float32")
    gy = RNG.standard_normal((3, 48, 2, 2)).astype("float32")
    gy[1, 7, 0, 1] = np.inf
    grads = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        lib.nn.functional.conv2d(t, lib.tensor(w), padding=1).backward(lib.tensor(gy))
        grads.append(t.grad)
    assert taken
    assert np.isinf(grads[0].numpy()).any() and not np.isnan(grads[0].numpy()).any()
    assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-4)


def test_tasks_run_side_by_side_each_on_one_thread():
    """run_tasks hands each call a thread; inside, work splits no further (threads_for is 1)
    and the BLAS stays on one thread (pinned); an error in either reaches the caller."""
    from ember.ops import _blas

    threads = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        seen = _parallel.run_tasks(
            np, lambda: (_parallel.threads_for(np, 64), _blas._state["pinned"]),
            lambda: (_parallel.threads_for(np, 64), _blas._state["pinned"]))
        assert seen == [(1, 1), (1, 1)]
        assert _parallel.threads_for(np, 64) == 2 and _blas._state["pinned"] == 0

        def boom():
            raise ValueError("boom in the second task")

        with pytest.raises(ValueError, match="boom in the second task"):
            _parallel.run_tasks(np, lambda: 1, boom)
        assert _parallel.threads_for(np, 64) == 2 and _blas._state["pinned"] == 0
        ember.set_num_threads(1)  # one thread: the calls run in turn on the caller
        assert _parallel.run_tasks(np, lambda: _parallel.threads_for(np, 64), lambda: 7) == [1, 7]
    finally:
        ember.set_num_threads(threads)


@pytest.mark.parametrize("op,xs,ws,kw", CASES)
def test_paired_input_and_weight_gradients_match_pytorch(torch, op, xs, ws, kw):
    """A convolution whose input and weight both need gradients computes them side by side
    (one per op thread): PyTorch's gradients in float64, bitwise the same on every run."""
    x = RNG.standard_normal(xs)
    w = RNG.standard_normal(ws)
    gy = None
    threads = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        runs = []
        for _ in range(2):
            ex, ew = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
            ey = getattr(ember.nn.functional, op)(ex, ew, **kw)
            if gy is None:
                gy = RNG.standard_normal(tuple(ey.shape))
            ey.backward(ember.tensor(gy))
            runs.append((ex.grad.numpy(), ew.grad.numpy()))
    finally:
        ember.set_num_threads(threads)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    getattr(torch.nn.functional, op)(tx, tw, **kw).backward(torch.tensor(gy))
    np.testing.assert_allclose(runs[0][0], tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(runs[0][1], tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
