"""Module sweep, part two: what a module does with bad arguments and inputs (exception type and
PyTorch's message), and the special cases the sweep turned up (legacy CrossMapLRN2d numbers,
mixed-dtype convolutions, undefined gradients, attribute types)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _outcome(lib: Any, expr: str) -> tuple:
    lib.manual_seed(0)
    try:
        eval(expr, {"nn": lib.nn, "torch": lib, "F": lib.nn.functional})
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return ("ok",)


ERRORS = [
    # adaptive pooling: a sequence output_size needs more input dims (a ValueError in PyTorch)
    "nn.AdaptiveMaxPool2d((4, None))(torch.randn(9))",
    "nn.AdaptiveAvgPool2d((2, 2))(torch.randn(9, 9))",
    "nn.AdaptiveAvgPool3d((2, 2, 2))(torch.randn(3, 9, 9))",
    "nn.AdaptiveMaxPool3d(2)(torch.randn(9, 9, 9))",
    # instance norm runs as a batch norm over N*C channels
    "nn.InstanceNorm1d(4, track_running_stats=True)(torch.randn(2, 4))",
    "F.instance_norm(torch.randn(2, 3, 6), torch.zeros(4), torch.ones(4))",
    "F.instance_norm(torch.randn(2, 3, 6), torch.zeros(3), torch.ones(4))",
    "F.instance_norm(torch.randn(2, 3, 6), weight=torch.ones(4))",
    "F.instance_norm(torch.randn(2, 3, 6), torch.zeros(4), torch.ones(4), use_input_stats=False)",
    # local response norm
    "nn.LocalResponseNorm(3)(torch.randn(5, 4))",
    "nn.LocalResponseNorm(0)(torch.randn(1, 3, 4))",
    "nn.LocalResponseNorm(-1)(torch.randn(1, 3, 4, 4))",
    "nn.CrossMapLRN2d(3)(torch.randn(5, 4, 3))",
    # pooling geometry, in the words of each PyTorch kernel
    "nn.MaxPool2d(0)(torch.randn(1, 1, 8, 8))",
    "nn.MaxPool1d(3, stride=0)(torch.randn(1, 1, 8))",
    "nn.MaxPool1d(0)(torch.randn(1, 1, 8))",
    "nn.MaxPool1d(2, 1, 0, 0)(torch.randn(1, 1, 8))",
    "nn.MaxPool1d(2, 1, 0, 0, return_indices=True)(torch.randn(1, 1, 8))",
    "nn.MaxPool1d(0, 1, return_indices=True)(torch.randn(1, 1, 8))",
    "nn.MaxPool2d(3, -1)(torch.randn(1, 1, 8, 8))",
    "nn.MaxPool3d(2, 1, 0, (1, 0, 1))(torch.randn(1, 1, 4, 4, 4))",
    "nn.AvgPool1d(-1)(torch.randn(1, 1, 8))",
    "nn.AvgPool1d(3, -1)(torch.randn(1, 1, 8))",
    "nn.AvgPool2d((3, 0), 1)(torch.randn(1, 1, 8, 8))",
    "nn.AvgPool3d(-1)(torch.randn(1, 1, 4, 4, 4))",
    # max unpooling output_size
    "nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(torch.randn(3, 8, 8)), "
    "output_size=[3, 8, 8])",
    "nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(torch.randn(1, 1, 8, 8)), "
    "output_size=[5, 5])",
    "nn.MaxUnpool2d(2)(*nn.MaxPool2d(2, return_indices=True)(torch.randn(1, 1, 8, 8)), "
    "output_size=[8, 11])",
    # bilinear shapes
    "nn.Bilinear(2, 3, 4)(torch.randn(5, 2), torch.randn(4, 3))",
    "nn.Bilinear(2, 3, 4)(torch.randn(2, 5, 2), torch.randn(2, 4, 3))",
    "nn.Bilinear(2, 3, 4)(torch.randn(5, 3), torch.randn(5, 3))",
    "nn.Bilinear(2, 3, 4)(torch.randn(5, 2), torch.randn(5, 4))",
    "nn.Bilinear(2, 3, 4)(torch.randn(5, 2), torch.randn(2, 5, 3))",
    "F.bilinear(torch.randn(5, 2), torch.randn(5, 3), torch.randn(4, 2, 3), torch.randn(3))",
    # activation arguments
    "nn.Softshrink(-0.5)(torch.randn(3))",
    "nn.Softshrink(-1e-9)(torch.randn(3, dtype=torch.float64))",
    "nn.Softshrink(-2)(torch.randn(3, dtype=torch.float16))",
    "nn.RReLU(0.5, 0.1)(torch.randn(3))",
    "nn.RReLU(0.5, 0.1).eval()(torch.randn(3))",
    "nn.Hardtanh(1.0, -1.0)",
    "nn.RReLU()(torch.randn(3).half())",
    "nn.RReLU().eval()(torch.randn(3).half())",
    "nn.RReLU()(torch.randn(3).bfloat16())",
    # convolutions whose weight or bias dtype is not the input's
    "nn.Conv1d(2, 2, 3)(torch.randn(1, 2, 4).double())",
    "nn.Conv2d(2, 2, 3, bias=False)(torch.randn(1, 2, 4, 4).double())",
    "nn.Conv2d(2, 2, 3)(torch.randn(1, 2, 4, 4).half())",
    "nn.Conv3d(2, 2, 3).half()(torch.randn(1, 2, 4, 4, 4))",
    "nn.Conv2d(2, 2, 3, bias=False).bfloat16()(torch.randn(1, 2, 4, 4).half())",
    "nn.ConvTranspose2d(2, 2, 3)(torch.randn(1, 2, 4, 4).double())",
    "nn.ConvTranspose1d(2, 2, 3).half()(torch.randn(1, 2, 4))",
    "F.conv_transpose2d(torch.randn(1, 2, 4, 4).half(), torch.randn(2, 2, 3, 3).half(), "
    "torch.randn(2))",
    "F.conv2d(torch.randn(1, 2, 4, 4), torch.randn(2, 2, 3, 3).double(), torch.randn(2).half())",
    # a batch of float32 inputs goes through the kernels with the old wording
    "F.conv2d(torch.randn(2, 2, 4, 4), torch.randn(2, 2, 3, 3).double())",
    "F.conv1d(torch.randn(3, 2, 4), torch.randn(2, 2, 3), torch.randn(2).double())",
    "F.conv_transpose2d(torch.randn(2, 2, 4, 4), torch.randn(2, 2, 3, 3), torch.randn(2).double())",
    "F.conv_transpose1d(torch.randn(2, 2, 4), torch.randn(2, 2, 3).bfloat16())",
    "F.conv_transpose1d(torch.randn(2, 4).double(), torch.randn(2, 2, 3).double(), "
    "torch.randn(2).half())",  # allowed
    # integer inputs: dropout draws its mask and then cannot scale it; no integer kernels
    "nn.Dropout(0.5)(torch.arange(6))",
    "nn.Dropout2d(0.5)(torch.arange(8).reshape(2, 2, 2))",
    "nn.AlphaDropout(0.3)(torch.ones(4, dtype=torch.bool))",
    "nn.FeatureAlphaDropout(0.3)(torch.arange(8, dtype=torch.int32).reshape(2, 4))",
    "nn.MaxUnpool1d(2)(torch.tensor([[[1, 2]]]), torch.tensor([[[1, 2]]]))",
    "nn.MaxUnpool3d(2)(torch.ones(1, 1, 1, 1, 1, dtype=torch.uint8), "
    "torch.zeros(1, 1, 1, 1, 1, dtype=torch.int64))",
    "nn.Unfold(2)(torch.arange(16).reshape(1, 1, 4, 4))",
    "nn.Fold(3, 2)(torch.arange(8, dtype=torch.int32).reshape(1, 4, 2))",
]


@pytest.mark.parametrize("expr", ["nn.Dropout(0.0)", "nn.Dropout(1.0)", "nn.Dropout(0.5).eval()",
                                  "nn.Dropout1d(1.0)", "nn.AlphaDropout(0.0)"])
def test_integer_dropout_that_needs_no_scaling(torch, expr):
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        x = lib.arange(12).reshape(2, 3, 2)
        y = eval(expr, {"nn": lib.nn})(x)
        outs.append((str(y.dtype).split(".")[-1], y.tolist(), lib.rand(2).tolist()))
    assert outs[1] == outs[0]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_pytorch(torch, expr):
    if ".half()" in expr and "onv" in expr and not torch.ops.mkldnn._is_mkldnn_fp16_supported():
        pytest.skip("Ember checks half-precision convolutions as PyTorch's oneDNN path does; "
                    "without oneDNN's float16 support PyTorch takes a kernel with other checks")
    assert _outcome(ember, expr) == _outcome(torch, expr)


@pytest.mark.parametrize("size,channels", [(2, 5), (3, 5), (4, 7), (5, 2), (6, 9), (9, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_map_lrn2d_legacy_numbers(torch, size, channels, dtype):
    # PyTorch's legacy kernel keeps channel 0 in the running sum and has its own backward
    x = np.random.default_rng(size).standard_normal((2, channels, 3, 2)).astype(dtype)
    g = np.random.default_rng(channels).standard_normal(x.shape).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    ty = torch.nn.CrossMapLRN2d(size, 0.1, 0.6, 2.0)(tx)
    ey = ember.nn.CrossMapLRN2d(size, 0.1, 0.6, 2.0)(ex)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__ == "CrossMapLRN2dBackward"
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    tol = {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)}[dtype]
    assert_close(ey, ty, rtol=tol[0], atol=tol[1])
    assert_close(ex.grad, tx.grad, rtol=tol[0], atol=tol[1])


def test_cross_map_lrn2d_is_not_scripted_constants(torch):
    assert not hasattr(torch.nn.CrossMapLRN2d, "__constants__")
    assert not hasattr(ember.nn.CrossMapLRN2d, "__constants__")
    assert ember.nn.LocalResponseNorm.__constants__ == torch.nn.LocalResponseNorm.__constants__


@pytest.mark.parametrize("p", [0, 0.0])
def test_pairwise_distance_p0_gradient_is_undefined(torch, p):
    for lib in (torch, ember):
        a = lib.randn(3, 4, requires_grad=True)
        b = lib.randn(3, 4, requires_grad=True)
        y = lib.nn.PairwiseDistance(p=p, keepdim=True)(a, b)
        assert y.requires_grad and type(y.grad_fn).__name__ == "NormBackward1"
        y.sum().backward()
        assert a.grad is None and b.grad is None
    # cdist keeps a zero gradient there, as in PyTorch
    a = ember.randn(3, 4, requires_grad=True)
    ember.cdist(a, a, p=0).sum().backward()
    assert a.grad is not None and not a.grad.abs().sum().item()


@pytest.mark.parametrize("bias_dtype", ["float64", "float16"])
def test_conv_transpose_accepts_a_bias_of_another_dtype(torch, bias_dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 4, 5)).astype("float32")  # batched, PyTorch refuses it
    w = rng.standard_normal((2, 3, 3, 3)).astype("float32")
    b = rng.standard_normal(3).astype(bias_dtype)
    outs = []
    for lib in (torch, ember):
        tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.conv_transpose2d(tx, tw, tb, stride=2)
        y.backward(lib.ones_like(y))
        outs.append((y, tx.grad, tw.grad, tb.grad))
    for e, t in zip(outs[1], outs[0]):
        assert_close(e, t, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("expr", [
    "nn.Conv3d(4, 6, (3, 2, 1), padding=(1, 0, 2), padding_mode='circular')",
    "nn.Conv1d(4, 6, 4, padding='same')",
    "nn.Conv2d(4, 6, 3, padding='valid')",
])
def test_conv_reversed_padding_type(torch, expr):
    t = eval(expr, {"nn": torch.nn})._reversed_padding_repeated_twice
    e = eval(expr, {"nn": ember.nn})._reversed_padding_repeated_twice
    assert type(e) is type(t) and list(e) == list(t)


@pytest.mark.parametrize("name", ["LazyBatchNorm1d", "LazyBatchNorm3d", "LazyInstanceNorm2d"])
@pytest.mark.parametrize("cast", ["double", "half"])
def test_lazy_norm_cast_before_forward_keeps_placeholders(torch, name, cast):
    tm = getattr(getattr(torch.nn, name)(), cast)()
    em = getattr(getattr(ember.nn, name)(), cast)()
    for (n, t), (_, e) in zip(tm.named_buffers(), em.named_buffers()):
        assert type(e).__name__ == type(t).__name__, n
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], n
    assert em.has_uninitialized_params() and tm.has_uninitialized_params()
    assert list(em.state_dict()) == list(tm.state_dict())


@pytest.mark.parametrize("d,op,dil", [(1, 1, 2), (2, (1, 0), 2), (3, (0, 2, 1), 3)])
def test_conv_transpose_1x1_output_padding_weight_grad(torch, d, op, dil):
    # a 1x1 transposed convolution with output_padding (legal while dilation > it)
    rng = np.random.default_rng(d)
    x = rng.standard_normal((2, 3) + (4,) * d)
    w = rng.standard_normal((3, 4) + (1,) * d)
    res = []
    for lib in (torch, ember):
        tx, tw = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        m = getattr(lib.nn, f"ConvTranspose{d}d")(3, 4, 1, output_padding=op, dilation=dil,
                                                    bias=False).double()
        with lib.no_grad():
            m.weight.copy_(tw)
        y = m(tx)
        (y * y).sum().backward()
        res.append((y, tx.grad, m.weight.grad))
    for e, t in zip(res[1], res[0]):
        assert_close(e, t)
    xe = ember.tensor(x, requires_grad=True)
    we = ember.tensor(w, requires_grad=True)
    fn = getattr(ember.nn.functional, f"conv_transpose{d}d")
    assert ember.autograd.gradcheck(lambda a, b: fn(a, b, None, 1, 0, op, 1, dil), (xe, we))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_cross_map_lrn2d_keeps_half_dtypes(torch, dtype):
    x0 = np.random.default_rng(0).standard_normal((1, 4, 2, 3)).astype("float32")
    res = []
    for lib in (torch, ember):
        x = lib.tensor(x0).to(getattr(lib, dtype)).requires_grad_(True)
        y = lib.nn.CrossMapLRN2d(3, 0.1, 0.75, 1.0)(x)
        y.backward(lib.ones_like(y))
        res.append((y, x.grad))
    for e, t in zip(res[1], res[0]):
        assert_close(e, t, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("expr", ["nn.ChannelShuffle(2)", "nn.CrossMapLRN2d(3)"])
def test_layout_of_outputs_and_gradients(torch, expr):
    x0 = np.random.default_rng(0).standard_normal((2, 4, 3, 5)).astype("float32")
    res = []
    for lib in (torch, ember):
        x = lib.tensor(x0).to(memory_format=lib.channels_last).requires_grad_(True)
        y = eval(expr, {"nn": lib.nn})(x)
        y.backward(lib.ones_like(y))
        res.append((y, tuple(y.stride()), x.grad, tuple(x.grad.stride())))
    (ty, ts, tg, tgs), (ey, es, eg, egs) = res
    assert_close(ey, ty)
    assert_close(eg, tg)
    assert (es, egs) == (ts, tgs)


@pytest.mark.parametrize("expr,shape", [
    ("nn.AdaptiveMaxPool2d(2)", (0, 3, 5, 6)),
    ("nn.AdaptiveMaxPool2d((2, 4), return_indices=True)", (0, 3, 5, 6)),
    ("nn.AdaptiveMaxPool3d(2)", (0, 1, 3, 5, 5)),
    ("nn.AdaptiveMaxPool1d(3)", (0, 2, 7)),
    ("nn.LocalResponseNorm(2)", (0, 3, 5, 6)),
    ("nn.LocalResponseNorm(0)", (2, 0, 4)),
])
def test_empty_batches(torch, expr, shape):
    res = []
    for lib in (torch, ember):
        x = lib.zeros(shape, requires_grad=True)
        out = eval(expr, {"nn": lib.nn})(x)
        y = out[0] if isinstance(out, tuple) else out
        assert y.requires_grad
        if y.grad_fn is not None:
            y.sum().backward()
        res.append((y.detach(), None if x.grad is None else x.grad, y is x))
    (ty, tg, t_same), (ey, eg, e_same) = res
    assert_close(ey, ty)
    assert e_same == t_same
    assert (eg is None) == (tg is None)
    if tg is not None:
        assert_close(eg, tg)
