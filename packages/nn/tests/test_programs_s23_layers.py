"""Session 23 (lane L): nn layers built and run side by side with PyTorch by a differential
fuzz of their constructors and forwards, and the differences it found: a transposed
convolution's ``padding='same'`` (a TypeError), the words of a 1-D transposed convolution's
too-large output padding and of a 1-D pool's empty output, EmbeddingBag's ``padding_idx``
refusal, and losses refusing an unknown ``reduction`` before any other check.

Every test runs the same inputs through torch and Ember and compares exception types and
messages (or values) with torch's.
"""

from __future__ import annotations

import functools
import random
import warnings

import numpy as np
import pytest
from _programs import raises_same

import ember

torch = pytest.importorskip("torch")

# PyTorch's messages compared as they are (no torch.Size rewording)
_raises_same = functools.partial(raises_same, size_as_ember=False)


def _both(fn):
    """``fn(L)`` for PyTorch and for Ember, as two thunks."""
    return (lambda: fn(torch)), (lambda: fn(ember))


# ------------------------------------------------------------ transposed convolutions
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_transpose_string_padding_is_a_type_error(d: int, padding: str) -> None:
    """``ConvTransposeNd(..., padding='same')`` builds (the string spread into letters) and
    its call refuses the letters with PyTorch's TypeError."""
    x = np.ones((1, 2) + (5,) * d, dtype=np.float32)

    def run(L):
        m = getattr(L.nn, f"ConvTranspose{d}d")(2, 3, 3, padding=padding)
        return m(L.from_numpy(x))

    _raises_same(*_both(run))


@pytest.mark.parametrize("d,kw", [(1, {"output_padding": 1}), (1, {"output_padding": 2, "stride": 2}),
                                  (1, {"output_padding": 2, "stride": 2, "dilation": 2}),
                                  (2, {"output_padding": (0, 1)}),
                                  (3, {"output_padding": 2, "stride": (1, 3, 1)})])
def test_conv_transpose_too_large_output_padding_words(d: int, kw: dict) -> None:
    """PyTorch's 1-D transposed convolution runs its 2-D kernel, and names a height of one."""
    x = np.ones((2, 2) + (4,) * d, dtype=np.float32)

    def run(L):
        return getattr(L.nn, f"ConvTranspose{d}d")(2, 2, 3, **kw)(L.from_numpy(x))

    _raises_same(*_both(run))


def test_conv_transpose1d_valid_output_padding_still_runs() -> None:
    x = np.random.RandomState(0).randn(2, 2, 5).astype(np.float32)
    outs = []
    for L in (torch, ember):
        L.manual_seed(0)
        m = L.nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1)
        outs.append(m(L.from_numpy(x)).detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------ 1-D pools of an empty output
_POOLS_1D = {
    "max": lambda L, x: L.nn.functional.max_pool1d(x, 3, dilation=2),
    "max_module": lambda L, x: L.nn.MaxPool1d(5)(x),
    "max_indices": lambda L, x: L.nn.functional.max_pool1d(x, 3, dilation=2, return_indices=True),
    "max_indices_module": lambda L, x: L.nn.MaxPool1d(5, return_indices=True)(x),
    "avg": lambda L, x: L.nn.functional.avg_pool1d(x, 5),
    "avg_module": lambda L, x: L.nn.AvgPool1d(5, stride=2)(x),
    "lp": lambda L, x: L.nn.functional.lp_pool1d(x, 2, 5),
    "lp_module": lambda L, x: L.nn.LPPool1d(1, 5)(x),
}


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("how", sorted(_POOLS_1D))
def test_pool1d_empty_output_words(how: str, shape: tuple, dtype: str) -> None:
    """``max_pool1d`` without indices has its own words; the other 1-D pools run PyTorch's
    2-D kernels and show the height of one in theirs."""
    x = np.ones(shape, dtype=dtype)
    _raises_same(*_both(lambda L: _POOLS_1D[how](L, L.from_numpy(x))))


def test_pool2d_empty_output_words_unchanged() -> None:
    x = np.ones((2, 3, 2, 2), dtype=np.float32)
    _raises_same(*_both(lambda L: L.nn.MaxPool2d(3)(L.from_numpy(x))))
    _raises_same(*_both(lambda L: L.nn.AvgPool2d(3)(L.from_numpy(x))))


# ------------------------------------------------------------ embeddings
@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("padding_idx", [6, 9, -7])
def test_embedding_padding_idx_out_of_range_words(cls: str, padding_idx: int) -> None:
    """PyTorch's Embedding writes 'Padding_idx', its EmbeddingBag 'padding_idx'."""
    _raises_same(*_both(lambda L: getattr(L.nn, cls)(6, 3, padding_idx=padding_idx)))


@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
def test_embedding_from_pretrained_padding_idx_out_of_range(cls: str) -> None:
    w = np.ones((4, 2), dtype=np.float32)
    _raises_same(*_both(lambda L: getattr(L.nn, cls).from_pretrained(L.from_numpy(w),
                                                                    padding_idx=4)))


# ------------------------------------------------------------ losses: reduction first
_BAD_LOSSES = {
    "huber_delta": lambda L, x, t: L.nn.HuberLoss(reduction="bogus", delta=0.0)(x, t),
    "smooth_l1_beta": lambda L, x, t: L.nn.SmoothL1Loss(reduction="bogus", beta=-1.0)(x, t),
    "soft_margin_grad_target": lambda L, x, t: L.nn.SoftMarginLoss(reduction="bogus")(
        x, t.requires_grad_()),
    "mse_shapes": lambda L, x, t: L.nn.MSELoss(reduction="bogus")(x, t[:1]),
    "l1": lambda L, x, t: L.nn.functional.l1_loss(x, t, reduction="avg"),
    "bce_range": lambda L, x, t: L.nn.BCELoss(reduction="bogus")(x, t),
    "kl_div": lambda L, x, t: L.nn.KLDivLoss(reduction="bogus")(x, t),
    "nll_target": lambda L, x, t: L.nn.NLLLoss(reduction="bogus")(x, t),
    "cross_entropy": lambda L, x, t: L.nn.CrossEntropyLoss(reduction="Mean")(x, t),
    "margin_ranking": lambda L, x, t: L.nn.MarginRankingLoss(reduction="bogus")(x, t, t[:1]),
    "hinge": lambda L, x, t: L.nn.HingeEmbeddingLoss(reduction="bogus")(x, t),
    "poisson": lambda L, x, t: L.nn.PoissonNLLLoss(reduction="bogus")(x, t),
    "reduction_none_object": lambda L, x, t: L.nn.functional.mse_loss(x, t, reduction=None),
}


@pytest.mark.parametrize("case", sorted(_BAD_LOSSES))
def test_loss_refuses_unknown_reduction_before_other_checks(case: str) -> None:
    """PyTorch's ``_Reduction.get_enum`` runs first: an unknown reduction is a ValueError even
    where the inputs or another argument are also wrong."""
    x = (np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0) / 3
    t = np.ones((4, 3), dtype=np.float32) * 2

    def run(L):
        return _BAD_LOSSES[case](L, L.from_numpy(x.copy()), L.from_numpy(t.copy()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_same(*_both(run))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "elementwise_mean"])
def test_loss_known_reductions_still_run(reduction: str) -> None:
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3)
    t = np.linspace(1, -1, 12, dtype=np.float32).reshape(4, 3)
    outs = []
    for L in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs.append(L.nn.functional.huber_loss(L.from_numpy(x), L.from_numpy(t),
                                                   reduction=reduction).numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6)


# ------------------------------------------------------------ a seeded layer fuzz
def _layer_case(rng: random.Random) -> tuple:
    """A random layer (name, args, kwargs) and an input shape it takes."""
    kind = rng.choice(["Linear", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
                       "BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "LayerNorm", "GroupNorm",
                       "Embedding", "Bilinear", "PReLU", "GRUCell", "LSTMCell", "RNNCell"])
    kw: dict = {}
    if rng.random() < 0.3:
        kw["dtype"] = "float64"
    if kind == "Linear":
        i, o = rng.choice([1, 3]), rng.choice([1, 4])
        if rng.random() < 0.4:
            kw["bias"] = False
        return kind, (i, o), kw, rng.choice([(), (2,), (2, 3)]) + (i,)
    if kind.startswith("Conv"):
        d = int(kind[-2])
        g = rng.choice([1, 2])
        kw.update(groups=g, stride=rng.choice([1, 2]), dilation=rng.choice([1, 2]))
        if not kind.startswith("ConvT"):
            kw["padding"] = rng.choice([0, 1, "same", "valid"])
            if kw["padding"] == "same":
                kw["stride"] = 1
            kw["padding_mode"] = rng.choice(["zeros", "reflect", "replicate", "circular"])
        if rng.random() < 0.3:
            kw["bias"] = False
        cin = g * rng.choice([1, 2])
        return kind, (cin, g * rng.choice([1, 2]), rng.choice([1, 2, 3])), kw, \
            rng.choice([(), (2,)]) + (cin,) + (5,) * d
    if kind.startswith(("BatchNorm", "InstanceNorm")):
        c = rng.choice([1, 3])
        kw.update(affine=rng.random() < 0.5, track_running_stats=rng.random() < 0.5)
        if kind == "BatchNorm1d":
            return kind, (c,), kw, rng.choice([(4, c), (4, c, 3)])
        if kind == "InstanceNorm1d":
            return kind, (c,), kw, rng.choice([(2, c, 5), (c, 5)])
        if kind == "BatchNorm2d":
            return kind, (c,), kw, (2, c, 3, 4)
        return kind, (c,), kw, rng.choice([(2, c, 3, 4), (c, 3, 4)])
    if kind == "LayerNorm":
        kw.update(elementwise_affine=rng.random() < 0.7, bias=rng.random() < 0.7)
        return kind, ([3, 4] if rng.random() < 0.5 else 4,), kw, (2, 3, 4)
    if kind == "GroupNorm":
        return kind, (2, 4), dict(kw, affine=rng.random() < 0.5), rng.choice([(2, 4), (2, 4, 3)])
    if kind == "Embedding":
        kw.update(padding_idx=rng.choice([None, 0, -1]))
        return kind, (5, 3), kw, None
    if kind == "Bilinear":
        return kind, (2, 3, 4), kw, (5, 2)
    if kind == "PReLU":
        n = rng.choice([1, 3])
        return kind, (n,), kw, rng.choice([(2, 3), (2, 3, 4)])
    return kind, (3, 4), dict(kw, bias=rng.random() < 0.7), rng.choice([(2, 3), (3,)])


def _run_layer(L, kind: str, args: tuple, kw: dict, shape: tuple | None, seed: int) -> dict:
    kw = {k: (getattr(L, v) if k == "dtype" else v) for k, v in kw.items()}
    L.manual_seed(seed)
    m = getattr(L.nn, kind)(*args, **kw)
    dt = getattr(L, "float64" if "dtype" in kw else "float32")
    rs = np.random.RandomState(seed)
    if shape is None:
        xs = [L.from_numpy(rs.randint(0, 5, size=(2, 3)))]
    elif kind == "Bilinear":
        xs = [L.from_numpy(rs.randn(5, 2)).to(dt), L.from_numpy(rs.randn(5, 3)).to(dt)]
    else:
        xs = [L.from_numpy(rs.randn(*shape)).to(dt)]
    for x in xs:
        if x.is_floating_point():
            x.requires_grad_(True)
    out = {"repr": repr(m).replace("ember", "torch"),
           "params": [(n, tuple(p.shape), str(p.dtype).split(".")[-1], p.detach().numpy())
                      for n, p in m.named_parameters()],
           "buffers": [(n, tuple(b.shape), str(b.dtype).split(".")[-1], b.numpy())
                       for n, b in m.named_buffers()]}
    for mode in ("train", "eval"):
        getattr(m, mode)()
        y = m(*xs)
        ys = list(y) if isinstance(y, tuple) else [y]
        loss = sum(v.double().sum() for v in ys)
        gx = [x for x in xs if x.requires_grad]
        grads = L.autograd.grad(loss, gx) if gx else ()
        out[mode] = ([(tuple(v.shape), str(v.dtype).split(".")[-1], v.detach().numpy())
                      for v in ys], [g.numpy() for g in grads])
    return out


def test_seeded_layer_fuzz_matches_pytorch() -> None:
    """Built under the same seed, random layers have PyTorch's parameters, buffers and repr,
    and give its outputs and input gradients in training and in evaluation mode."""
    rng = random.Random(23)
    for i in range(120):
        kind, args, kw, shape = _layer_case(rng)
        t = _run_layer(torch, kind, args, kw, shape, i)
        e = _run_layer(ember, kind, args, kw, shape, i)
        where = (i, kind, args, kw, shape)
        tol = 1e-12 if "dtype" in kw else 2e-5
        assert e["repr"] == t["repr"], where
        for key in ("params", "buffers"):
            assert [a[:3] for a in e[key]] == [a[:3] for a in t[key]], where
            for a, b in zip(e[key], t[key]):
                np.testing.assert_allclose(a[3], b[3], rtol=tol, atol=tol, err_msg=str(where))
        for mode in ("train", "eval"):
            (eo, eg), (to, tg) = e[mode], t[mode]
            assert [a[:2] for a in eo] == [a[:2] for a in to], (where, mode)
            for a, b in zip(eo, to):
                np.testing.assert_allclose(a[2], b[2], rtol=tol, atol=tol, err_msg=str(where))
            for a, b in zip(eg, tg):
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=str(where))


# ------------------------------------------------------------ convolutions of an empty kernel
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("kw", [{}, {"padding": 1}, {"groups": 2}, {"stride": 2}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_conv_with_kernel_size_zero_raises_runtime_error(d: int, transposed: bool, kw: dict,
                                                         dtype: str) -> None:
    """``ConvNd(2, 2, 0)`` builds an empty weight and its call is PyTorch's RuntimeError (Ember
    returned an output, or failed with a NumPy ValueError); the words are those of PyTorch's
    plain CPU kernels where it uses them (its oneDNN path words its own)."""
    x = np.ones((2,) + (5,) * d, dtype=dtype)  # unbatched
    name = f"Conv{'Transpose' if transposed else ''}{d}d"

    def run(L):
        return getattr(L.nn, name)(2, 2, 0, dtype=getattr(L, dtype), **kw)(L.from_numpy(x))

    with pytest.raises(Exception) as et:
        run(torch)
    with pytest.raises(Exception) as ee:
        run(ember)
    assert type(ee.value) is type(et.value) is RuntimeError
    words = str(et.value)
    if words.startswith("kernel size should be greater than zero, but got kernel_height") \
            or words.endswith("(TxHxW)"):
        assert str(ee.value) == str(et.value)
    assert str(ee.value).startswith("kernel size should be greater than zero")


# ------------------------------------------------------------ identity shuffles, layouts
_SHUFFLES = {
    "pixel_shuffle_1": lambda L, x: L.nn.PixelShuffle(1)(x),
    "pixel_unshuffle_1": lambda L, x: L.nn.PixelUnshuffle(1)(x),
    "channel_shuffle_1": lambda L, x: L.nn.ChannelShuffle(1)(x),
    "channel_shuffle_all": lambda L, x: L.nn.functional.channel_shuffle(x, 4),
    "channel_shuffle_2": lambda L, x: L.nn.ChannelShuffle(2)(x),
    "pixel_shuffle_2": lambda L, x: L.nn.functional.pixel_shuffle(x, 2),
}


@pytest.mark.parametrize("layout", ["c", "fortran", "channels_last", "3d"])
@pytest.mark.parametrize("how", sorted(_SHUFFLES))
def test_identity_shuffles_return_new_tensors_in_pytorch_layout(how: str, layout: str) -> None:
    """``PixelShuffle(1)``/``ChannelShuffle(1)`` give a new tensor (Ember's was a view of the
    input: writing to it changed the input), C-ordered or channels-last as PyTorch's."""
    a = np.random.RandomState(0).randn(*((4, 4, 2) if layout == "3d" else (2, 4, 2, 2)))
    res = []
    for L in (torch, ember):
        x = L.from_numpy(np.asfortranarray(a) if layout == "fortran" else a.copy())
        if layout == "channels_last":
            x = x.contiguous(memory_format=L.channels_last)
        y = _SHUFFLES[how](L, x)
        before = x.clone()
        y.add_(1)
        res.append((y.stride(), y.is_contiguous(), bool((x == before).all()), y.numpy().copy()))
    (es, ec, eu, ev), (ts, tc, tu, tv) = res[1], res[0]
    assert (es, ec, eu) == (ts, tc, tu)
    np.testing.assert_array_equal(ev, tv)


@pytest.mark.parametrize("how", ["fortran", "transposed"])
@pytest.mark.parametrize("shape", [(2, 6), (6, 2), (2, 6, 5)])
def test_group_norm_of_permuted_input_is_c_ordered(how: str, shape: tuple) -> None:
    """PyTorch's group norm writes a C-ordered output and input gradient (a channels-last
    input aside); Ember kept a 2-D input's column-major layout."""
    a = np.random.RandomState(1).randn(*shape)
    res = []
    for L in (torch, ember):
        L.manual_seed(0)
        x = L.from_numpy(np.asfortranarray(a)) if how == "fortran" else \
            L.from_numpy(np.ascontiguousarray(np.swapaxes(a, 0, -1))).transpose(0, -1)
        x.requires_grad_()
        m = L.nn.GroupNorm(2, shape[1], dtype=L.float64)
        y = m(x)
        w = L.arange(y.numel(), dtype=L.float64).reshape(y.shape)
        g, = L.autograd.grad((y * w).sum(), x)
        res.append((y.stride(), g.stride(), y.detach().numpy(), g.numpy()))
    assert res[1][:2] == res[0][:2]
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[1][3], res[0][3], rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------ linear of another dtype
_LAYOUTS = {
    "c": lambda x: x,
    "t01": lambda x: x.transpose(0, 1),
    "t12": lambda x: x.transpose(1, 2).contiguous().transpose(1, 2),
    "step": lambda x: x[:, ::2],
}


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("weight_grad", [False, True])
@pytest.mark.parametrize("dtype", ["bfloat16", "float64"])
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 5, 6, 4)])
def test_linear_of_other_dtype_words_the_kernel_pytorch_runs(layout: str, bias: bool,
                                                             weight_grad: bool, dtype: str,
                                                             shape: tuple) -> None:
    """PyTorch's N-D ``linear`` runs ``addmm`` only for a contiguous input with a bias, else
    ``matmul``, which folds the rows into ``mm`` (a weight needing grad, or rows viewable as a
    matrix) or runs ``bmm``: each words a dtype mismatch its own way (Ember always said
    addmm's or mm's words)."""
    a = np.random.RandomState(0).randn(*shape)

    def run(L):
        w = L.ones(3, 4).requires_grad_(weight_grad)
        x = _LAYOUTS[layout](L.from_numpy(a).to(getattr(L, dtype)))
        return L.nn.functional.linear(x, w, L.zeros(3) if bias else None)

    _raises_same(*_both(run))


def test_multihead_attention_of_other_dtype_words_mm() -> None:
    """A batch-first MultiheadAttention with its own key/value sizes projects transposed
    inputs through ``matmul`` (PyTorch's mm words), not ``addmm``."""
    rs = np.random.RandomState(0)
    q, k, v = rs.randn(2, 3, 4), rs.randn(2, 4, 3), rs.randn(2, 4, 2)

    def run(L):
        m = L.nn.MultiheadAttention(4, 2, kdim=3, vdim=2, batch_first=True)
        return m(*(L.from_numpy(a).to(L.bfloat16) for a in (q, k, v)))

    _raises_same(*_both(run))


# ------------------------------------------------------------ half-precision loss reductions
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("loss,dtype", [("MSELoss", "bfloat16"), ("MSELoss", "float16"),
                                        ("L1Loss", "bfloat16"), ("L1Loss", "float16"),
                                        ("HuberLoss", "bfloat16")])
def test_half_loss_reductions_accumulate_in_float(loss: str, reduction: str, dtype: str) -> None:
    """PyTorch reduces a bfloat16/float16 loss in float32 and rounds once (Ember summed in the
    half type: ``MSELoss(reduction='sum')`` of bfloat16 gave 133 where PyTorch gives 132)."""
    rs = np.random.RandomState(0)
    got, want = [], []
    for _ in range(40):
        a, b = rs.randn(2, 3, 2) * 2, rs.randn(2, 3, 2) * 2
        for L, out in ((torch, want), (ember, got)):
            x, y = (L.from_numpy(v).to(getattr(L, dtype)) for v in (a, b))
            out.append(float(getattr(L.nn, loss)(reduction=reduction)(x, y)))
    assert got == want
