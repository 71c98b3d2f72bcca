"""Session 24 (lane O): whole nn modules run side by side with PyTorch by a differential fuzz
of user programs (convolutions of every padding mode, lazy modules, folds, upsampling,
shuffles, pretrained embeddings, adaptive softmax, recurrent layers, norms, LRN), and the
differences it found: AdaptiveLogSoftmaxWithLoss's graph nodes, LazyInstanceNorm's
``num_features`` on an unbatched input, the warning of an LSTM with projections, the view
error of a 5-D LRN over a non-contiguous input and CrossMapLRN2d's size-1 backward.

Every test runs the same inputs through torch and Ember and compares values, dtypes, graph
node names, exception types and messages and warnings with torch's.
"""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _x(L, shape: tuple, seed: int = 0, dtype: str = "float32"):
    """The same random array as a tensor of library ``L``."""
    return L.from_numpy(np.random.RandomState(seed).randn(*shape)).to(getattr(L, dtype))


def _outcome(fn, L) -> tuple:
    """``fn(L)``'s result, or its exception's type and message (spelled as PyTorch's)."""
    try:
        return "ok", fn(L)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e).replace("ember", "torch")


def _names(fn) -> list:
    """Graph node names along the first input of each node, from a grad_fn down."""
    out = []
    while fn is not None:
        out.append(fn.name())
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return out


# ------------------------------------------------------------ adaptive log-softmax
@pytest.mark.parametrize("batch", [5, 1])
@pytest.mark.parametrize("cutoffs", [[3, 6], [2]])
def test_adaptive_log_softmax_graph_nodes_are_pytorchs(batch: int, cutoffs: list) -> None:
    """log_prob writes slices of one new tensor (a CopySlices node) and forward squeezes the
    head's gathered column with ``squeeze()`` (SqueezeBackward0), as PyTorch's code does."""
    res = []
    for L in (torch, ember):
        L.manual_seed(0)
        m = L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=cutoffs, div_value=2.0)
        x = _x(L, (batch, 8)).requires_grad_()
        target = L.tensor([0, 4, 9, 2, 7][:batch])
        out = m(x, target)
        lp = m.log_prob(x)
        lp.exp().sum().backward()
        add = out.output.grad_fn
        res.append((add.name(), [f.name() if f else None for f, _ in add.next_functions],
                    lp.grad_fn.name(), lp.detach().numpy(), out.output.detach().numpy(),
                    out.loss.item(), x.grad.numpy(), tuple(out.output.shape)))
    e, t = res
    assert e[0] == t[0] and e[1] == t[1] and e[2] == t[2] and e[7] == t[7]
    for a, b in zip(e[3:7], t[3:7]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_adaptive_log_softmax_log_prob_float64_values() -> None:
    res = []
    for L in (torch, ember):
        L.manual_seed(1)
        m = L.nn.AdaptiveLogSoftmaxWithLoss(16, 12, cutoffs=[4, 8], head_bias=True).double()
        x = _x(L, (3, 16), 2, "float64")
        res.append((m.log_prob(x).detach().numpy(), m.predict(x).numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res[0][1], res[1][1])


# ------------------------------------------------------------ lazy instance norms
@pytest.mark.parametrize("cls,shape", [("LazyInstanceNorm1d", (3, 5)),
                                       ("LazyInstanceNorm2d", (3, 4, 5)),
                                       ("LazyInstanceNorm3d", (2, 3, 4, 5)),
                                       ("LazyInstanceNorm1d", (2, 3, 5))])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_lazy_instance_norm_reads_num_features_from_dim_1(cls: str, shape: tuple, affine: bool,
                                                          track: bool) -> None:
    """PyTorch's lazy norms take ``input.shape[1]`` even for an unbatched input: the layer
    then warns, raises, or runs exactly as PyTorch's does."""
    def run(L):
        m = getattr(L.nn, cls)(affine=affine, track_running_stats=track)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = _outcome(lambda L: m(_x(L, shape)).detach().numpy(), L)
        return (m.num_features, type(m).__name__, got,
                sorted({(x.category.__name__, str(x.message)) for x in w}))
    e, t = run(ember), run(torch)
    assert e[0] == t[0] and e[1] == t[1] and e[3] == t[3]
    assert e[2][0] == t[2][0] and (e[2][0] == "ok" or e[2][1] == t[2][1]), (e[2], t[2])
    if t[2][0] == "ok":
        np.testing.assert_allclose(e[2][1], t[2][1], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ LSTM with projections
_LSTM_CALLS = [
    "m(torch.randn(2, 1, 3)); m(torch.randn(2, 1, 3))",
    "m(torch.randn(2, 3))",
    "m.double()(torch.randn(2, 1, 3, dtype=torch.float64))",
    "m(torch.nn.utils.rnn.pack_padded_sequence(torch.randn(2, 2, 3), [2, 1]))",
    "m(torch.randn(0, 1, 3))",
]

_TORCH_WARNS = """
import sys, warnings, torch
out = []
for call in sys.argv[1:]:
    pid = __import__("os").fork()  # a fresh process per program: PyTorch warns once a process
    if pid:
        __import__("os").waitpid(pid, 0)
        continue
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = torch.nn.LSTM(3, 4, proj_size=2)
        try:
            exec(call)
        except Exception as e:
            w.append(warnings.WarningMessage(type(e).__name__, Exception, "", 0))
    print(repr([(getattr(x.category, "__name__", ""), str(x.message)) for x in w]), flush=True)
    __import__("os")._exit(0)
"""


@pytest.fixture(scope="module")
def torch_lstm_warnings() -> dict:
    """The warnings PyTorch gives for each program of ``_LSTM_CALLS``, each in a fresh
    process (this one may have spent PyTorch's once-a-process warning)."""
    out = subprocess.run([sys.executable, "-c", _TORCH_WARNS, *_LSTM_CALLS],
                         capture_output=True, text=True, check=True).stdout
    return dict(zip(_LSTM_CALLS, [eval(line) for line in out.strip().splitlines()]))  # noqa: S307


def _ember_warnings(call: str) -> list:
    from ember.nn.modules import rnn
    rnn._PROJ_WARNED[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = ember.nn.LSTM(3, 4, proj_size=2)
        try:
            exec(call, {"torch": ember, "m": m})  # noqa: S102 - the same program text
        except Exception as e:  # noqa: BLE001 - its type is compared
            w.append(warnings.WarningMessage(type(e).__name__, Exception, "", 0))
    return [(getattr(x.category, "__name__", ""), str(x.message)) for x in w]


@pytest.mark.parametrize("call", _LSTM_CALLS)
def test_lstm_with_projections_warns_once_as_pytorch(call: str, torch_lstm_warnings) -> None:
    """PyTorch's CPU LSTM warns, once a process, that oneDNN has no projections, for a padded
    non-empty float32 input; never for float64 or packed inputs."""
    assert _ember_warnings(call) == torch_lstm_warnings[call]


# ------------------------------------------------------------ local response norms
@pytest.mark.parametrize("how", ["transposed", "channels_last_3d", "sliced", "6d"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_lrn_of_a_non_contiguous_5d_input(how: str, dtype: str) -> None:
    """PyTorch views the squares as (N, 1, C, D, -1): where the input's trailing dims do not
    merge that is its view error, before any kernel's dtype check."""
    def run(L):
        shape = (2, 3, 2, 3, 4, 2) if how == "6d" else (2, 3, 2, 4, 6)
        x = _x(L, shape, dtype=dtype)
        if how in ("transposed", "6d"):
            x = x.transpose(-1, -2)
        elif how == "sliced":
            x = x[..., ::2]
        else:
            x = x.contiguous(memory_format=L.channels_last_3d)
        return _outcome(lambda L: L.nn.LocalResponseNorm(3)(x).float().numpy(), L)
    e, t = run(ember), run(torch)
    assert e[0] == t[0] and (e[0] == "ok" or e[1] == t[1]), (e, t)
    if t[0] == "ok":
        np.testing.assert_allclose(e[1], t[1], rtol=1e-3 if dtype == "float16" else 1e-5)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_cross_map_lrn_backward_of_size_one_is_pytorchs_error(size: int) -> None:
    """PyTorch's legacy backward narrows its padded ratio past its end for ``size=1``."""
    def run(L):
        x = _x(L, (2, 4, 3, 3), dtype="float64").requires_grad_()
        y = L.nn.CrossMapLRN2d(size, alpha=1e-2, beta=0.75, k=1.0)(x)

        def back(L):
            (y * L.arange(y.numel(), dtype=L.float64).reshape(y.shape)).sum().backward()
            return x.grad.numpy()
        return y.detach().numpy(), _outcome(back, L)
    (ey, e), (ty, t) = run(ember), run(torch)
    np.testing.assert_allclose(ey, ty, rtol=1e-12)
    assert e[0] == t[0] and (e[0] == "ok" or e[1] == t[1]), (e, t)
    if t[0] == "ok":
        np.testing.assert_allclose(e[1], t[1], rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------ transposed convolutions
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("at", [0, -1])
@pytest.mark.parametrize("batched", [True, False])
def test_conv_transpose_output_size_of_floats_is_a_type_error(d: int, at: int,
                                                              batched: bool) -> None:
    """The output padding PyTorch derives from a float ``output_size`` entry is a float, which
    its kernel refuses, naming the first such position."""
    def run(L):
        m = getattr(L.nn, f"ConvTranspose{d}d")(2, 2, 3, stride=2, padding=1)
        x = _x(L, ((1,) if batched else ()) + (2,) + (4,) * d)
        size = [7] * d
        size[at] = 7.0
        return _outcome(lambda L: tuple(m(x, output_size=size).shape), L)
    e, t = run(ember), run(torch)
    assert e == t


@pytest.mark.parametrize("size", [[8, 8], [1, 2, 8, 8], "Size", "tensors"])
def test_conv_transpose_output_size_forms_still_run(size) -> None:
    res = []
    for L in (torch, ember):
        L.manual_seed(0)
        m = L.nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
        o = {"Size": L.Size([8, 8]), "tensors": [L.tensor(8), L.tensor(7)]}.get(size, size) \
            if isinstance(size, str) else size
        y = m(_x(L, (1, 2, 4, 4)), output_size=o)
        res.append((tuple(y.shape), y.grad_fn.name(), y.detach().numpy()))
    assert res[0][:2] == res[1][:2]
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ a seeded module fuzz
def _module_case(rng: random.Random) -> tuple:
    """A random module (name, args, kwargs), an input shape and dtype, and forward kwargs."""
    kind = rng.choice(["Conv", "Conv", "ConvTranspose", "Upsample", "Unfold", "PixelShuffle",
                       "ChannelShuffle", "LocalResponseNorm", "CrossMapLRN2d"])
    dt = rng.choice(["float32", "float64"])
    lead = rng.choice([(), (2,)])
    if kind == "Conv":
        d, g = rng.choice([1, 2, 3]), rng.choice([1, 2])
        pad = rng.choice([0, 1, "same", "valid"])
        kw = dict(padding=pad, dilation=rng.choice([1, 2]), groups=g,
                  stride=1 if pad == "same" else rng.choice([1, 2]),
                  padding_mode=rng.choice(["zeros", "reflect", "replicate", "circular"]))
        return f"Conv{d}d", (2 * g, g * rng.choice([1, 2]), rng.choice([1, 2, 3])), kw, \
            lead + (2 * g,) + (rng.choice([4, 5]),) * d, dt, {}
    if kind == "ConvTranspose":
        d, s, k = rng.choice([1, 2, 3]), rng.choice([1, 2, 3]), rng.choice([2, 3])
        kw = dict(stride=s, padding=rng.choice([0, 1]), groups=rng.choice([1, 2]))
        fkw = {"output_size": [2 * s + k - 2 * kw["padding"] + rng.randrange(s)] * d} \
            if rng.random() < 0.5 else {}
        return f"ConvTranspose{d}d", (2, 2, k), kw, lead + (2,) + (3,) * d, dt, fkw
    if kind == "Upsample":
        d = rng.choice([1, 2, 3])
        mode = rng.choice(["nearest", "nearest-exact",
                           {1: "linear", 2: rng.choice(["bilinear", "bicubic"]), 3: "trilinear"}[d]])
        kw = {"mode": mode, "scale_factor": rng.choice([2, 1.5, 0.75])}
        if mode not in ("nearest", "nearest-exact"):
            kw["align_corners"] = rng.choice([True, False])
        return "Upsample", (), kw, (2, 3) + (4,) * d, dt, {}
    if kind == "Unfold":
        kw = dict(kernel_size=rng.choice([1, 2, (2, 3)]), dilation=rng.choice([1, 2]),
                  padding=rng.choice([0, 1]), stride=rng.choice([1, 2]))
        return "Unfold", (), kw, lead + (2, 5, 6), dt, {}
    if kind == "PixelShuffle":
        return "PixelShuffle", (2,), {}, lead + (8, 3, 2), dt, {}
    if kind == "ChannelShuffle":
        return "ChannelShuffle", (rng.choice([2, 3]),), {}, (2, 6, 3), dt, {}
    if kind == "LocalResponseNorm":
        return kind, (rng.choice([1, 2, 3, 5]),), dict(k=rng.choice([1.0, 2.0])), \
            rng.choice([(2, 5, 3), (2, 4, 3, 3), (1, 4, 2, 2, 3)]), dt, {}
    return kind, (rng.choice([2, 3, 5]),), dict(alpha=1e-2), (2, 5, 3, 3), dt, {}


def _run_module(L, kind: str, args: tuple, kw: dict, shape: tuple, dt: str, fkw: dict,
                seed: int) -> tuple:
    L.manual_seed(seed)
    m = getattr(L.nn, kind)(*args, **kw)
    if dt == "float64":
        m.double()
    x = _x(L, shape, seed, dt).requires_grad_()
    try:
        y = m(x, **fkw)
    except RuntimeError as e:  # a window larger than the input, say: compared as PyTorch's
        return (repr(m).replace("ember", "torch"), str(e).replace("ember", "torch"))
    (y * y).sum().backward()
    return (repr(m).replace("ember", "torch"), tuple(y.shape), str(y.dtype)[6:],
            y.grad_fn.name(), y.detach().numpy(), x.grad.numpy())


def test_seeded_module_fuzz_matches_pytorch() -> None:
    """Random convolutions (every padding mode), transposed convolutions with and without an
    output size, upsampling, unfolds, shuffles and LRNs give PyTorch's repr, output shape,
    dtype, graph node, values and input gradient."""
    rng = random.Random(24)
    for i in range(150):
        case = _module_case(rng)
        e = _run_module(ember, *case, i)
        t = _run_module(torch, *case, i)
        assert e[:4] == t[:4], (i, case)
        tol = 1e-10 if case[4] == "float64" else 1e-4
        for a, b in zip(e[4:], t[4:]):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=str((i, case)))


# ------------------------------------------------------------ half convolutions of another weight
@pytest.mark.parametrize("cls", ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
                                 "ConvTranspose2d", "ConvTranspose3d"])
def test_half_input_to_a_module_of_another_dtype_words_pytorchs_kernel(cls: str) -> None:
    """A float16 input meets PyTorch's ``expected scalar type Half`` check (oneDNN, with its
    old-style words, takes bfloat16 only)."""
    d = int(cls[-2])
    for wdt in ("bfloat16", "float32", "float64"):
        for xdt in ("float16", "bfloat16"):
            for bias in (True, False):
                if wdt == xdt:
                    continue

                def run(L, wdt=wdt, xdt=xdt, bias=bias):
                    m = getattr(L.nn, cls)(2, 2, 3, bias=bias, dtype=getattr(L, wdt))
                    return _outcome(lambda L: m(_x(L, (2, 2) + (4,) * d, dtype=xdt)), L)
                e, t = run(ember), run(torch)
                assert e == t, (wdt, xdt, bias)


# ------------------------------------------------------------ embedding bags of 2-D input
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_bag_2d_input_with_include_last_offset(mode: str,
                                                         padding_idx: int | None) -> None:
    """A 2-D input's bags are its rows: PyTorch's ``include_last_offset`` leaves none out
    (Ember raised UnboundLocalError)."""
    def run(L, dtype, shape):
        w = _x(L, (6, 3), 0, dtype)
        m = L.nn.EmbeddingBag.from_pretrained(w, freeze=False, mode=mode,
                                              include_last_offset=True, padding_idx=padding_idx)
        idx = L.from_numpy(np.random.RandomState(1).randint(0, 6, size=shape))
        psw = _x(L, shape, 2, dtype) if mode == "sum" else None
        y = m(idx, per_sample_weights=psw)
        (y.float() * L.arange(y.numel()).reshape(y.shape).float()).sum().backward()
        return tuple(y.shape), y.float().detach().numpy(), m.weight.grad.float().numpy()
    for dtype in ("float32", "float64", "float16"):
        for shape in ((3, 2), (1, 4)):
            e, t = run(ember, dtype, shape), run(torch, dtype, shape)
            assert e[0] == t[0]
            tol = {"float32": 1e-6, "float64": 1e-12, "float16": 1e-3}[dtype]
            np.testing.assert_allclose(e[1], t[1], rtol=tol, atol=tol)
            np.testing.assert_allclose(e[2], t[2], rtol=tol, atol=tol)


# ------------------------------------------------------------ max_norm renorm of half weights
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
@pytest.mark.parametrize("scale", [200.0, 1.0])
@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
def test_max_norm_renorm_of_half_weights_is_pytorchs(dtype: str, scale: float,
                                                     cls: str) -> None:
    """PyTorch's renorm takes each row's norm accumulated in float (a half row of large
    entries does not overflow to a zero row) and warns of nothing, also for a zero row."""
    def run(L, p):
        w = (_x(L, (6, 4), 0, "float64") * scale).to(getattr(L, dtype))
        w[2] = 0
        m = getattr(L.nn, cls).from_pretrained(w, max_norm=1.5, norm_type=p)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            m(L.tensor([[0, 2, 3, 5]]))
        return m.weight.double().numpy()
    for p in (1.0, 2.0, 3.0, float("inf")):
        np.testing.assert_array_equal(run(ember, p), run(torch, p), err_msg=str(p))
