"""Session 19: nn layers and functional ops run side by side with PyTorch, and the
differences those programs exposed: graph node names (``grad_fn``) of composed ops, 0-d
results stored as NumPy scalars, and padding modes' nodes.

Every test runs the same inputs through torch and Ember and compares values, dtypes and
``grad_fn`` names with torch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _e(t: object, requires_grad: bool = False) -> ember.Tensor:
    """The torch tensor's values as an Ember tensor of the same dtype."""
    dt = str(t.dtype).split(".")[-1]
    e = ember.from_numpy(t.detach().float().numpy().copy()).to(getattr(ember, dt)) \
        if dt == "bfloat16" else ember.from_numpy(t.detach().numpy().copy())
    return e.requires_grad_(requires_grad)


def _np(t: object) -> np.ndarray:
    t = t.detach()
    return (t.float() if str(t.dtype).endswith("bfloat16") else t).numpy()


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _same(e: ember.Tensor, t: object, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    assert _name(e) == _name(t)
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_poisson_nll_loss_node_follows_full(full: bool, reduction: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 5, requires_grad=True)
    y = torch.tensor([[0.0, 1, 2, 3, 4]] * 3)
    xe = _e(x, True)
    t = F.poisson_nll_loss(x, y, full=full, reduction=reduction)
    e = EF.poisson_nll_loss(xe, _e(y), full=full, reduction=reduction)
    _same(e, t)
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("xd,td", [("float32", "float64"), ("float64", "float32"),
                                   ("float32", "float16"), ("float16", "float32")])
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_bce_with_logits_mixed_dtypes_is_one_node(xd: str, td: str, pos_weight: bool,
                                                  reduction: str) -> None:
    """Float64 targets from NumPy with float32 logits: one node, the target's dtype."""
    torch.manual_seed(0)
    x = torch.randn(4, 5).to(getattr(torch, xd)).requires_grad_()
    y = torch.rand(4, 5).to(getattr(torch, td))
    pw = torch.rand(5) if pos_weight else None
    xe = _e(x, True)
    t = F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction=reduction)
    e = EF.binary_cross_entropy_with_logits(xe, _e(y), pos_weight=None if pw is None else _e(pw),
                                            reduction=reduction)
    tol = 2e-3 if "float16" in (xd, td) else 1e-6
    _same(e, t, rtol=tol, atol=tol)
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=tol, atol=tol)


def test_cross_entropy_probabilities_mixed_dtypes_divides_by_scalar() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 5, requires_grad=True)
    p = torch.rand(4, 5).double()
    t = F.cross_entropy(x, p, label_smoothing=0.1)
    e = EF.cross_entropy(_e(x, True), _e(p), label_smoothing=0.1)
    _same(e, t, rtol=1e-6)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                "soft_margin_loss", "binary_cross_entropy_with_logits",
                                "poisson_nll_loss", "kl_div"])
def test_unreduced_loss_of_scalars_is_an_array(fn: str) -> None:
    """A 0-d unreduced loss takes in-place ops (its storage is an array, not a scalar)."""
    x, y = torch.tensor(0.3), torch.tensor(0.7)
    t = getattr(F, fn)(x, y, reduction="none")
    e = getattr(EF, fn)(_e(x), _e(y), reduction="none")
    assert isinstance(e.numpy(), np.ndarray)
    t.add_(1)
    e.add_(1)
    _same(e, t)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("fn", ["relu", "relu6", "elu", "selu", "celu", "leaky_relu", "gelu",
                                "silu", "mish", "hardswish", "hardsigmoid", "hardtanh",
                                "logsigmoid", "softsign", "tanhshrink", "rrelu"])
def test_activation_of_a_scalar_takes_in_place_ops(fn: str) -> None:
    x = torch.tensor(-0.4, requires_grad=True)
    xe = _e(x, True)
    t, e = getattr(F, fn)(x), getattr(EF, fn)(xe)
    _same(e, t)
    t.backward()
    e.backward()
    assert isinstance(xe.grad.numpy(), np.ndarray)
    _same(xe.grad, x.grad)
    t2, e2 = getattr(F, fn)(x.detach()), getattr(EF, fn)(xe.detach())
    t2.mul_(3)
    e2.mul_(3)
    _same(e2, t2)


def test_prelu_of_a_scalar_is_an_array() -> None:
    torch.manual_seed(0)
    tm = torch.nn.PReLU()
    y = enn.PReLU()(ember.tensor(-2.0))
    assert isinstance(y.detach().numpy(), np.ndarray)
    np.testing.assert_allclose(y.detach().numpy(), tm(torch.tensor(-2.0)).detach().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("fn", ["softmax", "softmin", "log_softmax"])
def test_softmax_half_node_names(dtype: str, fn: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 5).to(getattr(torch, dtype)).requires_grad_()
    xe = _e(x, True)
    t, e = getattr(F, fn)(x, 1), getattr(EF, fn)(xe, 1)
    half = dtype in ("float16", "bfloat16")
    _same(e, t, rtol=1e-2 if half else 1e-6, atol=1e-2 if half else 1e-7)
    g = torch.randn(3, 5).to(x.dtype)
    t.backward(g)
    e.backward(_e(g))
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=1e-2 if half else 1e-5,
                               atol=1e-2 if half else 1e-6)


# ------------------------------------------------------------------ bilinear
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (), (2, 3)])
def test_bilinear_node_names(dtype: str, bias: bool, batch: tuple) -> None:
    torch.manual_seed(0)
    tm = torch.nn.Bilinear(3, 4, 2, bias=bias).to(getattr(torch, dtype))
    em = enn.Bilinear(3, 4, 2, bias=bias).to(getattr(ember, dtype))
    em.load_state_dict({k: _e(v) for k, v in tm.state_dict().items()})
    a = torch.randn(*batch, 3).to(getattr(torch, dtype)).requires_grad_()
    b = torch.randn(*batch, 4).to(getattr(torch, dtype))
    t, e = tm(a, b), em(_e(a, True), _e(b))
    half = dtype in ("float16", "bfloat16")
    _same(e, t, rtol=2e-2 if half else 1e-5, atol=2e-2 if half else 1e-6)


# ------------------------------------------------------------------ padding
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 5), (1, 2)), ((2, 3, 5), (-1, 2)),
                                       ((3, 5), (2, -1)), ((2, 3, 4, 5), (-1, 1, 0, 2)),
                                       ((2, 3, 4, 5), (1, 1, 2, 1)),
                                       ((1, 2, 3, 4, 5), (1, -1, 0, 1, 1, 0)),
                                       ((2, 3, 4, 5), (0, 0, 0, 0))])
def test_border_padding_is_one_node(mode: str, shape: tuple, pad: tuple) -> None:
    """Reflect/replicate: PyTorch's one padding node, negative pads included; circular:
    PyTorch's composite, whose last step is a slice copy (``CopySlices``)."""
    torch.manual_seed(0)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    xe = _e(x, True)
    t, e = F.pad(x, pad, mode=mode), EF.pad(xe, pad, mode=mode)
    _same(e, t, rtol=1e-12)
    g = torch.randn(t.shape, dtype=torch.float64)
    t.backward(g)
    e.backward(_e(g))
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_negative_border_padding_gradcheck(mode: str) -> None:
    x = ember.randn(2, 3, 6, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: EF.pad(a, (-2, 3), mode=mode), (x,))
    assert ember.autograd.gradgradcheck(lambda a: EF.pad(a, (2, -1), mode=mode), (x,))


@pytest.mark.parametrize("xd,td", [("float32", "float64"), ("float64", "float32"),
                                   ("float32", "float32")])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_loss_mixed_dtypes(xd: str, td: str, reduction: str) -> None:
    """One node in PyTorch, in the input's dtype; its gradient survives the in-place chain."""
    torch.manual_seed(0)
    x = torch.randn(3, 4).to(getattr(torch, xd)).requires_grad_()
    y = torch.sign(torch.randn(3, 4)).to(getattr(torch, td))
    xe = _e(x, True)
    t = F.soft_margin_loss(x, y, reduction=reduction)
    e = EF.soft_margin_loss(xe, _e(y), reduction=reduction)
    _same(e, t, rtol=1e-6)
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape,target", [((5,), [2]), ((5,), 2), ((1,), [0]), ((), 0),
                                          ((3, 1), [0, 0, 0])])
def test_multi_margin_loss_unreduced_takes_target_shape(shape: tuple, target: object) -> None:
    torch.manual_seed(0)
    x, y = torch.randn(shape), torch.tensor(target)
    t = F.multi_margin_loss(x, y, reduction="none")
    e = EF.multi_margin_loss(_e(x), _e(y), reduction="none")
    _same(e, t)


@pytest.mark.parametrize("dtype,p", [("int64", 2.0), ("bool", 2.0), ("int64", -1.0),
                                     ("float16", 2.0), ("bfloat16", 2.0), ("float16", -1.0)])
def test_pdist_refuses_what_torch_refuses(dtype: str, p: float) -> None:
    x = torch.arange(6).view(2, 3).to(getattr(torch, dtype))
    with pytest.raises(Exception) as te:
        torch.pdist(x, p)
    with pytest.raises(type(te.value), match=str(te.value).replace('"', '.')):
        EF.pdist(_e(x), p)


def test_pdist_float_still_works() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    _same(EF.pdist(_e(x, True)), torch.pdist(x), rtol=1e-12)


# ------------------------------------------------------------------ second derivatives
_LINKED = {
    "max_pool2d": lambda L: L.nn.MaxPool2d(2), "avg_pool2d": lambda L: L.nn.AvgPool2d(2),
    "avg_pool1d": lambda L: L.nn.Sequential(L.nn.Flatten(2), L.nn.AvgPool1d(2)),
    "adaptive_avg_pool2d": lambda L: L.nn.AdaptiveAvgPool2d(3),
    "adaptive_max_pool2d": lambda L: L.nn.AdaptiveMaxPool2d(2),
    "adaptive_max_pool2d_uneven": lambda L: L.nn.AdaptiveMaxPool2d(3),
    "reflection_pad2d": lambda L: L.nn.ReflectionPad2d(1),
    "replication_pad2d": lambda L: L.nn.ReplicationPad2d((1, 0, 2, 1)),
    "prelu": lambda L: L.nn.PReLU(3),
}


@pytest.mark.parametrize("layer", sorted(_LINKED))
def test_hessian_vector_product_through_layer_is_zeros(layer: str) -> None:
    """PyTorch's double-backward nodes of pooling, border padding and prelu take the forward's
    input: a Hessian-vector product with respect to it is zeros, not "not used in the
    graph"; a gradient penalty gives parameters before the layer zero gradients."""
    results = []
    for L in (torch, ember):
        L.manual_seed(0)
        conv = L.nn.Conv2d(3, 3, 1)
        net = L.nn.Sequential(_LINKED[layer](L), L.nn.Flatten(), L.nn.LazyLinear(1))
        x = L.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype("float32"),
                     requires_grad=True)
        y = net(x).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        v = L.tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 4)).astype("float32"))
        hv, = L.autograd.grad((g * v).sum(), x, retain_graph=True)
        y2 = L.nn.Sequential(conv, net)(x).sum()
        g2, = L.autograd.grad(y2, x, create_graph=True)
        (g2 ** 2).sum().backward()
        results.append((hv, conv.bias.grad))
    (thv, tbias), (ehv, ebias) = results
    np.testing.assert_array_equal(_np(ehv), _np(thv))
    assert tbias is not None and ebias is not None
    np.testing.assert_array_equal(_np(ebias), _np(tbias))


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_border_padding_saves_its_input(mode: str) -> None:
    """The input is saved for the backward: an in-place change after the pad is an error."""
    for L, PF in ((torch, F), (ember, EF)):
        x = L.randn(1, 2, 4, requires_grad=True)
        h = x * 1
        y = PF.pad(h, (1, 1), mode=mode)
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("xd", ["float32", "float64"])
@pytest.mark.parametrize("wd", ["float64", "float16", "float32", "int64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_weight_of_another_dtype(xd: str, wd: str, reduction: str) -> None:
    """The weight scales the loss in place: the result keeps the input's dtype."""
    torch.manual_seed(0)
    x = torch.rand(3, 4, dtype=getattr(torch, xd), requires_grad=True)
    y = torch.rand(3, 4, dtype=getattr(torch, xd))
    w = (torch.rand(4) * 3).to(getattr(torch, wd))
    xe = _e(x, True)
    t = F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    e = EF.binary_cross_entropy(xe, _e(y), weight=_e(w), reduction=reduction)
    _same(e, t, rtol=1e-6)
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_allclose(_np(xe.grad), _np(x.grad), rtol=1e-6)


# ------------------------------------------------------------------ autocast
@pytest.mark.parametrize("in_dtype", ["float32", "bfloat16", "float16"])
def test_prelu_under_cpu_autocast_casts_before_checking(in_dtype: str) -> None:
    """PReLU is a lower-precision op of CPU autocast: a float32 weight with a bfloat16
    activation is cast, not refused (outside autocast it is refused)."""
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4).to(getattr(torch, in_dtype))
    w = torch.tensor([0.25])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        t = F.prelu(x, w)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        e = EF.prelu(_e(x), _e(w))
    _same(e, t)
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported"):
        EF.prelu(_e(x).double(), _e(w))


def test_cdist_under_cpu_autocast_is_float32() -> None:
    torch.manual_seed(0)
    a, b = torch.randn(3, 4).bfloat16(), torch.randn(5, 4).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        t = torch.cdist(a, b)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        e = ember.cdist(_e(a), _e(b))
    _same(e, t, rtol=1e-6)


# ------------------------------------------------------------------ memory format
@pytest.mark.parametrize("op,r,shape", [("pixel_shuffle", 2, (2, 8, 3, 3)),
                                        ("pixel_unshuffle", 2, (2, 2, 4, 6))])
@pytest.mark.parametrize("channels_last", [True, False])
def test_pixel_shuffles_keep_channels_last(op: str, r: int, shape: tuple,
                                           channels_last: bool) -> None:
    torch.manual_seed(0)
    x = torch.randn(shape)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_()
    xe = _e(x).contiguous(memory_format=ember.channels_last) if channels_last else _e(x)
    xe.requires_grad_()
    t, e = getattr(F, op)(x, r), getattr(EF, op)(xe, r)
    _same(e, t)
    assert e.stride() == t.stride()
    g = torch.randn(t.shape)
    t.backward(g)
    e.backward(_e(g))
    assert xe.grad.stride() == x.grad.stride()
    np.testing.assert_array_equal(_np(xe.grad), _np(x.grad))
