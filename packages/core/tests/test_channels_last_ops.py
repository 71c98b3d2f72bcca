"""Channels-last layouts through convolution, pooling, padding, normalization and softmax,
against PyTorch: the output's strides and the input gradient's strides for every pairing of
a channels-last / C-ordered input and incoming gradient, with the values."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

pytest.importorskip("ember.nn")


def _ops(lib, dt):
    """name -> (4-D function, 5-D function or None); parameters drawn from one seed."""
    F = lib.nn.functional
    rng = np.random.default_rng(1)

    def T(*s):
        return lib.tensor(rng.standard_normal(s).astype("float32")).to(getattr(lib, dt))

    w, b, wt = T(4, 3, 3, 3), T(4), T(3, 4, 3, 3)
    w5, wt5 = T(4, 3, 2, 2, 2), T(3, 4, 2, 2, 2)
    gw, gb, rm, rv = T(3), T(3), T(3), T(3).abs() + 0.5

    def bn(training):
        return lambda t: F.batch_norm(t, rm.clone(), rv.clone(), gw, gb, training=training)

    return {
        "conv": (lambda t: F.conv2d(t, w, b, padding=1), lambda t: F.conv3d(t, w5)),
        "conv_strided": (lambda t: F.conv2d(t, w, stride=2, dilation=2), None),
        "conv_transpose": (lambda t: F.conv_transpose2d(t, wt, b, stride=2),
                           lambda t: F.conv_transpose3d(t, wt5)),
        "conv_transpose_outpad": (lambda t: F.conv_transpose2d(t, wt, stride=2,
                                                               output_padding=1), None),
        "batch_norm": (bn(True), bn(True)),
        "batch_norm_eval": (bn(False), bn(False)),
        "max_pool": (lambda t: F.max_pool2d(t, 2), lambda t: F.max_pool3d(t, 2)),
        "max_pool_padded": (lambda t: F.max_pool2d(t, 3, 2, 1), None),
        "avg_pool": (lambda t: F.avg_pool2d(t, 2), lambda t: F.avg_pool3d(t, 2)),
        "adaptive_avg": (lambda t: F.adaptive_avg_pool2d(t, 3),
                         lambda t: F.adaptive_avg_pool3d(t, 2)),
        "adaptive_avg_1": (lambda t: F.adaptive_avg_pool2d(t, 1),
                           lambda t: F.adaptive_avg_pool3d(t, 1)),
        "adaptive_max": (lambda t: F.adaptive_max_pool2d(t, 3),
                         lambda t: F.adaptive_max_pool3d(t, 2)),
        "lp_pool": (lambda t: F.lp_pool2d(t, 2, 2), None),
        "pad_constant": (lambda t: F.pad(t, (1, 1, 2, 2)), lambda t: F.pad(t, (1,) * 6)),
        "pad_reflect": (lambda t: F.pad(t, (1, 1, 2, 2), mode="reflect"),
                        lambda t: F.pad(t, (1,) * 6, mode="reflect")),
        "pad_replicate": (lambda t: F.pad(t, (1, 1, 2, 2), mode="replicate"),
                          lambda t: F.pad(t, (1,) * 6, mode="replicate")),
        "pad_circular": (lambda t: F.pad(t, (1, 1, 2, 2), mode="circular"),
                         lambda t: F.pad(t, (1,) * 6, mode="circular")),
        "group_norm": (lambda t: F.group_norm(t, 1), lambda t: F.group_norm(t, 3, gw, gb)),
        "local_response_norm": (lambda t: F.local_response_norm(t, 2),
                                lambda t: F.local_response_norm(t, 3)),
        "instance_norm": (lambda t: F.instance_norm(t, weight=gw, bias=gb),
                          lambda t: F.instance_norm(t)),
        "softmax": (lambda t: F.softmax(t, 1), lambda t: F.softmax(t, -1)),
        "log_softmax": (lambda t: F.log_softmax(t, 1), lambda t: F.log_softmax(t, 2)),
    }


# a C-ordered input's gradient is a view into a padded array here (PyTorch's is C-ordered):
# copying it would slow down the common path for a layout only autograd.grad shows
_C_VIEW_GRADS = {"max_pool_padded"}

# (input channels-last, incoming gradient channels-last)
_PAIRS = [(True, False), (True, True), (False, True)]


def _run(lib, name, rank, dt, x_cl, g_cl):
    fn = _ops(lib, dt)[name][rank - 4]
    fmt = lib.channels_last if rank == 4 else lib.channels_last_3d
    rng = np.random.default_rng(2)
    shape = (2, 3, 8, 8) if rank == 4 else (2, 3, 4, 5, 6)
    x = lib.tensor(rng.standard_normal(shape).astype("float32")).to(getattr(lib, dt))
    if x_cl:
        x = x.contiguous(memory_format=fmt)
    x.requires_grad_()
    y = fn(x)
    g = lib.tensor(rng.standard_normal(tuple(y.shape)).astype("float32")).to(getattr(lib, dt))
    if g_cl:
        g = g.contiguous(memory_format=fmt)
    gx, = lib.autograd.grad(y, x, g)
    return y, gx


@pytest.mark.parametrize("rank", [4, 5])
@pytest.mark.parametrize("name", list(_ops(ember, "float32")))
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_layout_matches_torch(torch, name, rank, dt):
    if _ops(ember, dt)[name][rank - 4] is None:
        pytest.skip("no such op")
    for x_cl, g_cl in _PAIRS:
        ye, ge = _run(ember, name, rank, dt, x_cl, g_cl)
        yt, gt = _run(torch, name, rank, dt, x_cl, g_cl)
        where = f"{name} {rank}-D {dt} input_cl={x_cl} grad_cl={g_cl}"
        assert ye.stride() == yt.stride(), f"output strides, {where}"
        if x_cl or name not in _C_VIEW_GRADS:
            assert ge.stride() == gt.stride(), f"input gradient strides, {where}"
        tol = {} if dt == "float64" else {"rtol": 1e-4, "atol": 1e-5}
        assert_close(ye, yt, **tol, msg=where)
        assert_close(ge, gt, **tol, msg=where)


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", ["conv", "conv_transpose", "batch_norm", "max_pool",
                                  "adaptive_avg", "group_norm", "softmax", "instance_norm"])
def test_layout_half_precision(torch, name, dt):
    for rank in (4, 5):
        if _ops(ember, dt)[name][rank - 4] is None:
            continue
        if (rank == 5 and dt == "float16" and name.startswith("conv")
                and not torch.ops.mkldnn._is_mkldnn_fp16_supported()):
            # Ember lays these out as PyTorch's oneDNN kernels do; on a CPU without oneDNN's
            # float16 support PyTorch falls back to a kernel that gives C order instead
            continue
        ye, ge = _run(ember, name, rank, dt, True, True)
        yt, gt = _run(torch, name, rank, dt, True, True)
        assert ye.stride() == yt.stride(), f"{name} {rank}-D {dt}"
        assert ge.stride() == gt.stride(), f"{name} {rank}-D {dt}"


def test_conv_module_reproducer(torch):
    """A channels-last Conv2d on a channels-last input gives a channels-last output, and
    the gradients of its leaves keep their own layouts."""
    for lib in (ember, torch):
        lib.manual_seed(0)
    xs = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype("float32")
    res = {}
    for lib in (ember, torch):
        m = lib.nn.Conv2d(3, 4, 3)
        x = lib.tensor(xs).to(memory_format=lib.channels_last).requires_grad_()
        m = m.to(memory_format=lib.channels_last)
        y = m(x)
        y.sum().backward()
        res[lib.__name__] = (y.is_contiguous(memory_format=lib.channels_last), y.stride(),
                             x.grad.stride(), m.weight.grad.stride())
    assert res["ember"] == res["torch"]
    assert res["ember"][0]


@pytest.mark.parametrize("case", ["input", "weight", "both", "one_channel", "1x1_weight"])
def test_conv_layout_rule(torch, case):
    """The output is channels-last when the input or the weight is (PyTorch's
    suggest_memory_format of each), 3-D double-precision convolutions excepted."""
    rng = np.random.default_rng(3)
    c = 1 if case == "one_channel" else 3
    k = 1 if case == "1x1_weight" else 3
    xs = rng.standard_normal((2, c, 6, 6)).astype("float32")
    ws = rng.standard_normal((4, c, k, k)).astype("float32")
    strides = []
    for lib in (ember, torch):
        x, w = lib.tensor(xs), lib.tensor(ws)
        if case in ("input", "both", "one_channel"):
            x = x.contiguous(memory_format=lib.channels_last)
        if case in ("weight", "both", "1x1_weight"):
            w = w.contiguous(memory_format=lib.channels_last)
        y = lib.nn.functional.conv2d(x, w)
        strides.append(y.stride())
        if case == "both":  # unbatched input: C order
            strides.append(lib.nn.functional.conv2d(x[0], w).stride())
    half = len(strides) // 2
    assert strides[:half] == strides[half:]


def test_conv3d_double_is_c_order(torch):
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((2, 3, 4, 4, 4))
    ws = rng.standard_normal((2, 3, 2, 2, 2))
    out = []
    for lib in (ember, torch):
        x = lib.tensor(xs).contiguous(memory_format=lib.channels_last_3d)
        out.append((lib.nn.functional.conv3d(x, lib.tensor(ws)).stride(),
                    lib.nn.functional.conv3d(x.float(), lib.tensor(ws).float()).stride()))
    assert out[0] == out[1]


def test_pool_indices_and_unpool_layouts(torch):
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((2, 3, 4, 4)).astype("float32")
    got, idx = [], []
    for lib in (ember, torch):
        F = lib.nn.functional
        x = lib.tensor(xs).contiguous(memory_format=lib.channels_last)
        y, i = F.max_pool2d(x, 2, return_indices=True)
        ya, ia = F.adaptive_max_pool2d(x, 3, return_indices=True)
        yr = y.detach().requires_grad_()
        u = F.max_unpool2d(yr, i, 2)
        gu, = lib.autograd.grad(u, yr, lib.ones(u.shape).contiguous(
            memory_format=lib.channels_last))
        got.append((i.stride(), ia.stride(), u.stride(), gu.stride()))
        idx.append((i, ia))
    assert got[0] == got[1]
    assert_close(idx[0][0], idx[1][0])
    assert_close(idx[0][1], idx[1][1])


def test_softmax_of_transposed_input_is_c_order(torch):
    a = np.random.default_rng(6).standard_normal((5, 7)).astype("float32")
    for dim in (0, 1):
        ye = ember.softmax(ember.tensor(a).t(), dim)
        yt = torch.softmax(torch.tensor(a).t(), dim)
        assert ye.stride() == yt.stride()
        assert_close(ye, yt)


def test_channels_last_gradients_by_finite_differences():
    """The re-laid gradients stay differentiable: first and second derivatives in float64
    through channels-last inputs."""
    rng = np.random.default_rng(7)
    cl = ember.channels_last

    def t(*s):
        return ember.tensor(rng.standard_normal(s)).requires_grad_()

    x = t(2, 3, 5, 5)
    w, b, wt = t(2, 3, 3, 3), t(2), t(3, 2, 3, 3)
    F = ember.nn.functional

    def c(a):  # the op sees a channels-last input (gradcheck perturbs a C-ordered one)
        return a.contiguous(memory_format=cl)

    assert gradcheck(lambda x, w, b: F.conv2d(c(x), w, b, padding=1), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv2d(c(x), w, stride=2), (x, w))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(c(x), w, stride=2, output_padding=1),
                         (x, wt))
    gw, gb = t(3), t(3)
    assert gradcheck(lambda x, w, b: F.batch_norm(c(x), None, None, w, b, training=True),
                     (x, gw, gb))
    assert gradgradcheck(lambda x: F.group_norm(c(x), 3), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(c(x), 2), (x,))
    assert gradgradcheck(lambda x: F.pad(c(x), (1, 2, 1, 0), mode="reflect"), (x,))
    assert gradgradcheck(lambda x: F.local_response_norm(c(x), 2), (x,))
