"""Session 20: sampling/geometry functionals and seeded initialisation run side by side with
PyTorch, and the differences those programs exposed: unfold/fold argument checks and their
unbatched graph node, pad's argument types, negative-pad and fill-value errors, integer
inputs to grid_sample, ``normalize`` over several dims, half-precision ``orthogonal_``.

Every test runs the same inputs (or the same seed) through torch and Ember and compares
values, dtypes, ``grad_fn`` names or the error type and message with torch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _np(t: object) -> np.ndarray:
    return t.detach().numpy()


def _same(e: ember.Tensor, t: object, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.detach().numpy(), _np(t), rtol=rtol, atol=atol)


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _same_error(run: object) -> None:
    """``run(lib, F)`` raises the same exception type and message under torch and Ember."""
    with pytest.raises(Exception) as te:
        run(torch, F)
    with pytest.raises(Exception) as ee:
        run(ember, EF)
    assert type(ee.value) is type(te.value), (ee.value, te.value)
    assert str(ee.value) == str(te.value)


# ------------------------------------------------------------------ unfold / fold
@pytest.mark.parametrize("call", [
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2, stride=0),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 0),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2, dilation=(0, 1)),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2, padding=-1),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), (2,)),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2, stride=(1, 1, 1)),
    lambda m, F: F.unfold(m.zeros(2, 3), (2, 2, 2)),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4, 4), (2, 2, 2)),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2.5),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), 2, stride=1.0),
    lambda m, F: F.unfold(m.zeros(2, 3, 4, 4), True),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6, 7), 2),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6), (2, 2, 2)),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6), 2, stride=0),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6), 2, padding=-1),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6), 0),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5, 6), 2, dilation=0),
    lambda m, F: F.fold(m.zeros(2, 12, 20), (5.0, 6), 2),
    lambda m, F: F.fold(m.zeros(2, 3, 4, 5), (5, 6), 2, stride=0),
])
def test_unfold_fold_argument_errors(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("op,shape,kw", [
    ("unfold", (3, 5, 6), dict(kernel_size=2)),
    ("unfold", (3, 5, 6), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)),
    ("fold", (12, 20), dict(output_size=(5, 6), kernel_size=2)),
    ("fold", (12, 12), dict(output_size=(5, 6), kernel_size=2, dilation=2, padding=(1, 0),
                           stride=(2, 1))),
])
def test_unfold_fold_unbatched_values_grad_and_node(op: str, shape: tuple, kw: dict) -> None:
    a = np.sin(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape)
    t = torch.tensor(a, requires_grad=True)
    e = ember.tensor(a, requires_grad=True)
    ty, ey = getattr(F, op)(t, **kw), getattr(EF, op)(e, **kw)
    _same(ey, ty, 1e-12, 1e-12)
    assert _name(ey) == _name(ty)  # one Im2Col/Col2Im node, as PyTorch's, not a view after it
    w = np.cos(np.arange(ty.numel())).reshape(tuple(ty.shape))
    (ty * torch.tensor(w)).sum().backward()
    (ey * ember.tensor(w)).sum().backward()
    _same(e.grad, t.grad, 1e-12, 1e-12)


# ------------------------------------------------------------------ pad
@pytest.mark.parametrize("call", [
    lambda m, F: F.pad(m.ones(2, 3, 5), (1.5, 1)),
    lambda m, F: F.pad(m.ones(2, 3, 5), (1, 1.0)),
    lambda m, F: F.pad(m.ones(2, 3, 5), (-6, 1)),
    lambda m, F: F.pad(m.ones(2, 3, 5), (-3, -3)),
    lambda m, F: F.pad(m.ones(2, 3, 5), (0, 0, -4, 0)),
    lambda m, F: F.pad(m.ones(2, 3, 5), (2, -8)),
    lambda m, F: F.pad(m.ones(2, 3, 5).to(m.uint8), (1, 1), value=300),
    lambda m, F: F.pad(m.ones(2, 3, 5).to(m.uint8), (1, 1), value=-1),
    lambda m, F: F.pad(m.ones(2, 3, 5).to(m.uint8), (1, 1), value=-0.5),
    lambda m, F: F.pad(m.ones(2, 3, 5).to(m.int8), (1, 1), value=-128.5),
    lambda m, F: F.pad(m.ones(2, 3, 5).int(), (1, 1), value=float("inf")),
    lambda m, F: F.pad(m.ones(2, 3, 5).long(), (1, 1), value=float("nan")),
    lambda m, F: F.pad(m.ones(2, 3, 5), (1, 1), value=1e40),
    lambda m, F: F.pad(m.ones(2, 3, 5).half(), (1, 1), value=1e40),
    lambda m, F: F.pad(m.ones(2, 3, 5).bool(), (1, 1), mode="reflect"),
    lambda m, F: F.pad(m.ones(2, 3, 4, 5).bool(), (1, 1, 1, 1), mode="reflect"),
    lambda m, F: F.pad(m.ones(1, 2, 3, 4, 5).bool(), (1, 1, 1, 1, 1, 1), mode="replicate"),
    lambda m, F: F.pad(m.ones(2, 3, 5).bool(), (1, 1), mode="replicate"),
])
def test_pad_errors(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("dtype,pads,value", [
    ("uint8", (1, 1), 255.99), ("int8", (1, 2), -128.0), ("int8", (1, 0), 127.5),
    ("int64", (0, 1), 1.5), ("bool", (1, 1), 2), ("bool", (1, 1), float("nan")),
    ("float32", (1, 1), float("inf")), ("float32", (-5, 0), 0.0), ("float32", (0, 0, -3, 0), 0.0),
    ("float32", (-2, 3, 1, -1), 7.0),
])
def test_pad_constant_values_edge_cases(dtype: str, pads: tuple, value: float) -> None:
    a = np.arange(30).reshape(2, 3, 5) % 7
    t = F.pad(torch.tensor(a).to(getattr(torch, dtype)), pads, value=value)
    e = EF.pad(ember.tensor(a).to(getattr(ember, dtype)), pads, value=value)
    _same(e, t, 0, 0)


def test_pad_bool_circular_still_pads() -> None:
    a = np.arange(30).reshape(2, 3, 5) % 3 == 0
    _same(EF.pad(ember.tensor(a), (1, 2), mode="circular"),
          F.pad(torch.tensor(a), (1, 2), mode="circular"), 0, 0)


# ------------------------------------------------------------------ grid_sample
@pytest.mark.parametrize("call", [
    lambda m, F: F.grid_sample(m.zeros(1, 1, 3, 3).long(), m.zeros(1, 2, 2, 2).long(),
                               align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(1, 1, 3, 3).long(), m.zeros(1, 2, 2, 2),
                               align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(1, 1, 3, 3).bool(), m.zeros(1, 2, 2, 2).bool(),
                               mode="nearest", align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(1, 1, 3, 3, 3).int(), m.zeros(1, 2, 2, 2, 3).int(),
                               align_corners=True),
    lambda m, F: F.grid_sample(m.zeros(1, 1, 3, 3).long(), m.zeros(1, 2, 2, 1).long(),
                               align_corners=False),
    # PyTorch's order: batch, grid's last size, empty dims, rank, bicubic 3-D, then dtypes
    lambda m, F: F.grid_sample(m.zeros(3, 5, 6), m.zeros(3, 7, 2), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(3, 5, 6), m.zeros(3, 7, 1), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6), m.zeros(2, 7, 2), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6), m.zeros(1, 7, 2), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6), m.zeros(2, 4, 7, 2, 2), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 0), m.zeros(2, 4, 7, 2), align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6, 3), m.zeros(2, 4, 7, 3), mode="bicubic",
                               align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6), m.zeros(2, 4, 7, 2).double(),
                               align_corners=False),
    lambda m, F: F.grid_sample(m.zeros(2, 3, 5, 6).half(), m.zeros(2, 4, 7, 2),
                               align_corners=False),
])
def test_grid_sample_integer_input_errors(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("xs,gs", [((0, 3, 5, 6), (0, 4, 7, 2)), ((2, 0, 5, 6), (2, 4, 7, 2)),
                                   ((2, 3, 5, 6), (2, 0, 7, 2)),
                                   ((0, 3, 5, 6, 4), (0, 4, 7, 2, 3))])
def test_grid_sample_empty_batch_channels_or_points(xs: tuple, gs: tuple) -> None:
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        x, g = lib.zeros(xs, requires_grad=True), lib.zeros(gs, requires_grad=True)
        y = fn.grid_sample(x, g, align_corners=False)
        y.sum().backward()
        res.append((tuple(y.shape), tuple(x.grad.shape), tuple(g.grad.shape)))
    assert res[1] == res[0]


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_values_and_grads(mode: str, padding_mode: str,
                                         align_corners: bool) -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((2, 3, 5, 6)), rng.uniform(-1.3, 1.3, (2, 4, 7, 2))
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    ex, eg = ember.tensor(x, requires_grad=True), ember.tensor(g, requires_grad=True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    ty, ey = F.grid_sample(tx, tg, **kw), EF.grid_sample(ex, eg, **kw)
    _same(ey, ty, 1e-10, 1e-12)
    assert _name(ey) == _name(ty)
    w = np.sin(np.arange(ty.numel())).reshape(tuple(ty.shape))
    (ty * torch.tensor(w)).sum().backward()
    (ey * ember.tensor(w)).sum().backward()
    _same(ex.grad, tx.grad, 1e-10, 1e-12)
    _same(eg.grad, tg.grad, 1e-9, 1e-10)


@pytest.mark.parametrize("size,align_corners", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True),
                                                ((2, 1, 3, 4, 5), False),
                                                ((2, 1, 3, 4, 5), True)])
def test_affine_grid_then_grid_sample_grads(size: tuple, align_corners: bool) -> None:
    rng = np.random.default_rng(1)
    k = len(size) - 2
    th = rng.standard_normal((2, k, k + 1))
    x = rng.standard_normal((2, 2) + tuple(s + 1 for s in size[2:]))
    tt, et = torch.tensor(th, requires_grad=True), ember.tensor(th, requires_grad=True)
    tg = F.affine_grid(tt, size, align_corners=align_corners)
    eg = EF.affine_grid(et, size, align_corners=align_corners)
    _same(eg, tg, 1e-12, 1e-12)
    ty = F.grid_sample(torch.tensor(x), tg, padding_mode="border", align_corners=align_corners)
    ey = EF.grid_sample(ember.tensor(x), eg, padding_mode="border", align_corners=align_corners)
    _same(ey, ty, 1e-10, 1e-12)
    ty.pow(2).sum().backward()
    ey.pow(2).sum().backward()
    _same(et.grad, tt.grad, 1e-9, 1e-10)


# ------------------------------------------------------------------ normalize
@pytest.mark.parametrize("p,dim", [(2.0, (0, 1)), (1.0, [0]), (2.0, (-1,)), (3.0, (1, 0))])
def test_normalize_over_several_dims(p: float, dim: object) -> None:
    a = np.random.default_rng(2).standard_normal((4, 5))
    t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    ty, ey = F.normalize(t, p=p, dim=dim), EF.normalize(e, p=p, dim=dim)
    _same(ey, ty, 1e-12, 1e-12)
    w = np.cos(np.arange(20)).reshape(4, 5)
    (ty * torch.tensor(w)).sum().backward()
    (ey * ember.tensor(w)).sum().backward()
    _same(e.grad, t.grad, 1e-10, 1e-12)


# ------------------------------------------------------------------ init under a seed
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_orthogonal_half_refused(dtype: str) -> None:
    _same_error(lambda m, F: m.nn.init.orthogonal_(m.zeros(3, 4, dtype=getattr(m, dtype))))


@pytest.mark.parametrize("call", [
    "uniform_(w, -2, 3)", "normal_(w, 1, 2)", "trunc_normal_(w, 0, 1, -0.5, 0.5)",
    "xavier_uniform_(w, gain=2)", "xavier_normal_(w4)", "kaiming_uniform_(w, a=5 ** 0.5)",
    "kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')",
    "kaiming_normal_(w4, nonlinearity='leaky_relu', a=0.2)", "orthogonal_(w)", "orthogonal_(w4)",
    "orthogonal_(wt, gain=2)", "sparse_(w, 0.3, std=0.1)", "eye_(w)", "dirac_(w4)",
    "dirac_(w4, groups=2)", "constant_(w, 0.3)",
])
def test_init_matches_torch_under_seed(call: str) -> None:
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        w, w4, wt = lib.zeros(4, 6), lib.zeros(4, 2, 3, 3), lib.zeros(6, 3)
        r = eval(f"lib.nn.init.{call}", {"lib": lib, "w": w, "w4": w4, "wt": wt})
        assert r is w or r is w4 or r is wt
        outs.append((r.detach().numpy().copy(), lib.rand(3).numpy()))  # the stream after it
    (e, en), (t, tn) = outs[1], outs[0]
    np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(en, tn)


@pytest.mark.parametrize("spec", [
    "Linear(3, 4)", "Conv2d(3, 8, 3, padding=1)", "Conv1d(4, 4, 3, groups=2)",
    "ConvTranspose2d(4, 2, 3, stride=2)", "Embedding(10, 3, padding_idx=0)",
    "LSTM(3, 4, num_layers=2, bidirectional=True)", "GRU(3, 4)", "RNNCell(3, 4)",
    "MultiheadAttention(8, 2, kdim=4, vdim=6)", "Bilinear(3, 4, 5)", "BatchNorm2d(3)",
    "LayerNorm(4)", "TransformerEncoderLayer(8, 2, 16)",
])
def test_default_layer_init_matches_torch_under_seed(spec: str) -> None:
    states = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = eval(f"lib.nn.{spec}", {"lib": lib})
        states.append({k: v.detach().numpy().copy() for k, v in m.state_dict().items()})
    t, e = states
    assert list(e) == list(t)
    for k in t:
        np.testing.assert_allclose(e[k], t[k], rtol=1e-6, atol=1e-7, err_msg=k)


# ------------------------------------------------------------------ dropout masks under a seed
@pytest.mark.parametrize("call,shape", [
    ("F.dropout(x, 0.3)", (6, 8)), ("F.dropout1d(x, 0.5)", (2, 3, 5)),
    ("F.dropout2d(x, 0.4)", (2, 3, 4, 5)), ("F.dropout3d(x, 0.5)", (2, 3, 2, 3, 4)),
    ("F.alpha_dropout(x, 0.3, True)", (6, 8)), ("F.feature_alpha_dropout(x, 0.3, True)",
                                                (2, 3, 4, 5)),
    ("F.rrelu(x, 0.1, 0.3, training=True)", (6, 8)),
    ("F.gumbel_softmax(x, tau=0.5, hard=True)", (6, 8)),
])
def test_random_functionals_match_torch_under_seed(call: str, shape: tuple) -> None:
    a = np.random.default_rng(3).standard_normal(shape)
    outs = []
    for lib, fn in ((torch, F), (ember, EF)):
        lib.manual_seed(0)
        x = lib.tensor(a, requires_grad=True)
        y = eval(call, {"F": fn, "x": x})
        y.sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy(), _name(y)))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-12, atol=1e-12)
    assert outs[1][2] == outs[0][2]


def test_unfold_module_unbatched_node() -> None:
    a = np.ones((3, 4, 4))
    t = torch.nn.Unfold(2)(torch.tensor(a, requires_grad=True))
    e = enn.Unfold(2)(ember.tensor(a, requires_grad=True))
    assert _name(e) == _name(t) == "Im2ColBackward0"


# ------------------------------------------------------------------ random ops' refusals
@pytest.mark.parametrize("call", [
    lambda m, F: F.rrelu(m.ones(3).long(), training=True),
    lambda m, F: F.rrelu(m.ones(3).bool(), training=True),
    lambda m, F: F.rrelu(m.ones(3).to(m.complex64), training=True),
    lambda m, F: F.rrelu(m.ones(3).long()),
    lambda m, F: F.dropout(m.ones(3).to(m.complex64), 0.5),
    lambda m, F: F.dropout2d(m.ones(2, 3, 4).to(m.complex64), 0.5),
    lambda m, F: F.alpha_dropout(m.ones(3).to(m.complex128), 0.5, True),
    lambda m, F: m.bernoulli(m.ones(3).to(m.complex64)),
    lambda m, F: m.empty(3, dtype=m.complex64).bernoulli_(m.ones(3) * 0.5),
    lambda m, F: m.nn.init.uniform_(m.zeros(3), 2, 1),
    lambda m, F: m.nn.init.trunc_normal_(m.zeros(3), a=1.5, b=-1),
    lambda m, F: m.zeros(3).uniform_(123456789.0, 1.0),
])
def test_random_op_refusals(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_complex_without_a_draw(p: float) -> None:
    a = (np.arange(6) + 1j * np.arange(6)).astype(np.complex64)
    _same(EF.dropout(ember.tensor(a), p), F.dropout(torch.tensor(a), p), 0, 0)


@pytest.mark.parametrize("call", [
    lambda m, F: F.one_hot(m.tensor([0, 1]), num_classes=3.0),
    lambda m, F: F.one_hot(m.tensor([0, 1]), num_classes=None),
    lambda m, F: F.one_hot(m.tensor([0, 1]), num_classes=True),
    lambda m, F: F.one_hot([0, 1], 3),
    lambda m, F: F.one_hot(m.tensor([0, 1]).float(), 3),
    lambda m, F: F.one_hot(m.tensor([0, 3]), 3),
    lambda m, F: F.one_hot(m.tensor([0, -1])),
    lambda m, F: F.one_hot(m.zeros(0, dtype=m.long)),
])
def test_one_hot_errors(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("num_classes", [-1, 5, np.int64(4)])
def test_one_hot_values(num_classes: object) -> None:
    a = np.array([[1, 2], [0, 3]])
    _same(EF.one_hot(ember.tensor(a), num_classes), F.one_hot(torch.tensor(a), num_classes), 0, 0)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("layout", ["t", "channels_last"])
def test_gumbel_softmax_non_contiguous_logits_under_seed(hard: bool, layout: str) -> None:
    """PyTorch draws the noise in logical order (legacy contiguous), whatever the layout."""
    a = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    outs = []
    for lib, fn in ((torch, F), (ember, EF)):
        lib.manual_seed(0)
        x = lib.tensor(a)
        x = x[0, 0].t() if layout == "t" else x.to(memory_format=lib.channels_last)
        y = fn.gumbel_softmax(x, tau=0.5, hard=hard, dim=1)
        outs.append((y.numpy(), y.stride()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-12, atol=1e-12)
    assert outs[1][1] == outs[0][1]


def test_gumbel_softmax_eps_warns() -> None:
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        EF.gumbel_softmax(ember.ones(2, 3), eps=1e-5)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("call", ["F.pairwise_distance(a, b)", "F.pairwise_distance(a, b, p=1)",
                                  "F.normalize(a)", "F.normalize(a, p=3.0, dim=0)"])
def test_half_precision_norms_accumulate_in_float(dtype: str, call: str) -> None:
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    outs = []
    for lib, fn in ((torch, F), (ember, EF)):
        ta, tb = lib.tensor(a).to(getattr(lib, dtype)), lib.tensor(b).to(getattr(lib, dtype))
        r = eval(call, {"F": fn, "a": ta, "b": tb})
        outs.append((str(r.dtype).split(".")[-1], r.float().numpy()))
    assert outs[1][0] == outs[0][0]
    np.testing.assert_array_equal(outs[1][1], outs[0][1])


@pytest.mark.parametrize("pads", [(1, 2, 2, 1), (1, -1, 2, 1), (0, 0, 0, 0)])
def test_constant_pad_gradient_node_and_hessian(pads: tuple) -> None:
    """PyTorch's constant_pad_nd backward is itself a constant pad (negated pads)."""
    a = np.random.default_rng(6).standard_normal((1, 2, 4, 5))
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        x = lib.tensor(a, requires_grad=True)
        y = fn.pad(x, pads, value=0.5)
        gx, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = lib.autograd.grad(gx.pow(2).sum(), x)
        res.append((_name(gx), gx.detach().numpy(), h.numpy()))
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call,shape", [
    ("F.dropout1d(x, 0.5, True, True)", (3, 4)), ("F.dropout3d(x, 0.5, True, True)", (2, 3, 4, 5)),
    ("F.dropout1d(x, 0.5, True, True)", (2, 3, 4)), ("F.dropout2d(x, 0.5, True, True)", (2, 3, 4, 5)),
    ("x.squeeze_()", (1, 3)), ("x.squeeze_(0)", (1, 3)), ("x.squeeze_((0,))", (1, 3)),
    ("x.squeeze_(dim=0)", (1, 3)),
])
def test_in_place_feature_dropout_and_squeeze_nodes(call: str, shape: tuple) -> None:
    """Unbatched in-place feature dropout ends in PyTorch's in-place ``squeeze_(0)`` node."""
    a = np.random.default_rng(7).standard_normal(shape)
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        lib.manual_seed(0)
        x = lib.tensor(a, requires_grad=True).clone()
        r = eval(call, {"F": fn, "x": x})
        res.append((_name(r), tuple(r.shape), r.detach().numpy()))
    assert res[1][:2] == res[0][:2]
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,keepdim", [((5,), False), ((5,), True), ((3, 5), False)])
def test_pairwise_distance_result_shape(shape: tuple, keepdim: bool) -> None:
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    _same(EF.pairwise_distance(ember.tensor(a), ember.tensor(b), keepdim=keepdim),
          F.pairwise_distance(torch.tensor(a), torch.tensor(b), keepdim=keepdim), 1e-12, 1e-12)
