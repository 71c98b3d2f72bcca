"""Session 23: recurrent layers, packed sequences and CTC loss against PyTorch, from a
differential fuzzer's findings.

Each test runs the same program in both libraries on the same NumPy data and compares what a
user sees: values, gradients, dtypes, shapes, graph node names, and the exception type and
message of a refused call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


def _node(t: Any) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name().replace("torch::autograd::", "")


def _raises_alike(prog: Callable) -> None:
    """``prog(lib)`` raises in both libraries, with the same type and first message line."""
    with pytest.raises(Exception) as te:
        prog(torch)
    with pytest.raises(Exception) as ee:
        prog(ember)
    assert type(ee.value) is type(te.value)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]


def _close(t: Any, e: Any, tol: float = 1e-12) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------- CTC loss
def _log_probs(lib: Any, shape: tuple = (5, 2, 4), grad: bool = False) -> Any:
    x = lib.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=grad)
    return x, x.log_softmax(-1)


@pytest.mark.parametrize("lengths", [
    lambda lib: (5, (2,)),                       # a plain int input length
    lambda lib: ((5, 5), lib.tensor([2, 1])),    # a tuple with a tensor
    lambda lib: (lib.tensor([5, 5]), [2, 1]),    # a tensor with a list
])
def test_ctc_lengths_of_mixed_kinds_refused_as_torch(lengths: Callable) -> None:
    def prog(lib: Any) -> Any:
        il, tl = lengths(lib)
        return lib.nn.functional.ctc_loss(_log_probs(lib)[1], lib.tensor([[1, 2], [1, 1]]),
                                          il, tl)
    _raises_alike(prog)


@pytest.mark.parametrize("which", ["input", "target"])
def test_ctc_float_length_tensors_refused_as_torch(which: str) -> None:
    def prog(lib: Any) -> Any:
        il, tl = lib.tensor([5, 5]), lib.tensor([2, 1])
        if which == "input":
            il = il.float()
        else:
            tl = tl.double()
        return lib.nn.CTCLoss()(_log_probs(lib)[1], lib.tensor([[1, 2], [1, 1]]), il, tl)
    _raises_alike(prog)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int64"])
def test_ctc_log_probs_of_unsupported_dtype_refused_as_torch(dtype: str) -> None:
    def prog(lib: Any) -> Any:
        lp = _log_probs(lib)[1].to(getattr(lib, dtype))
        return lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2], [1, 1]]), (5, 5), (2, 1))
    _raises_alike(prog)


@pytest.mark.parametrize("shape", [(4,), (1, 5, 2, 4)])
def test_ctc_log_probs_of_wrong_rank_refused_as_torch(shape: tuple) -> None:
    def prog(lib: Any) -> Any:
        lp = lib.zeros(shape, dtype=lib.float64)
        return lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2], [1, 1]]), (5, 5), (2, 1))
    _raises_alike(prog)


@pytest.mark.parametrize("targets", [[1, 2, 1, 3], [1, 2]])
def test_ctc_concatenated_targets_of_wrong_total_refused_as_torch(targets: list) -> None:
    def prog(lib: Any) -> Any:
        return lib.nn.functional.ctc_loss(_log_probs(lib)[1], lib.tensor(targets), (5, 5),
                                          (2, 1))
    _raises_alike(prog)


def test_ctc_unbatched_targets_are_concatenated_as_torch() -> None:
    """PyTorch reads an unbatched 1-D target as concatenated: longer than its length is
    refused, exact gives the loss and gradient."""
    def wide(lib: Any) -> Any:
        return lib.nn.functional.ctc_loss(_log_probs(lib, (5, 4))[1], lib.tensor([1, 2, 3]),
                                          lib.tensor(5), lib.tensor(2))
    _raises_alike(wide)
    res = {}
    for lib in (torch, ember):
        x, lp = _log_probs(lib, (5, 4), grad=True)
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor([1, 2]), lib.tensor(5), lib.tensor(2),
                                          reduction="none")
        loss.backward()
        res[lib.__name__] = (loss, x.grad)
    for t, e in zip(res["torch"], res["ember"]):
        _close(t, e)


def test_ctc_targets_of_three_dimensions_refused_as_torch() -> None:
    _raises_alike(lambda lib: lib.nn.CTCLoss()(_log_probs(lib)[1],
                                               lib.tensor([[[1, 2]], [[3, 1]]]), (5, 4), (2, 1)))


@pytest.mark.parametrize("targets,lengths", [
    ([[0, 2, 0], [1, 0, 1]], (3, 2)),   # the blank inside, and as the last label
    ([[2, 0, 0], [0, 0, 3]], (3, 3)),   # blanks repeated
])
def test_ctc_blank_inside_targets_loss_and_grad_as_torch(targets: list, lengths: tuple) -> None:
    """PyTorch's kernels skip over any label that differs from the one two back, and at the
    last step keep only the last label's term when that label is the blank."""
    res = {}
    for lib in (torch, ember):
        x, lp = _log_probs(lib, (6, 2, 4), grad=True)
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(targets), (6, 5), lengths,
                                          reduction="none")
        loss.sum().backward()
        res[lib.__name__] = (loss, x.grad)
    for t, e in zip(res["torch"], res["ember"]):
        _close(t, e)


# ---------------------------------------------------------------------------- packing
@pytest.mark.parametrize("prog", [
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(3, 2, 0), [3, 1]),
    lambda lib: lib.nn.utils.rnn.pack_sequence([lib.zeros(2, 0), lib.zeros(1, 0)]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(
        lib.ones(3, 2, dtype=lib.complex64, requires_grad=True), [3, 1]),
    lambda lib: lib.nn.utils.rnn.unpad_sequence(lib.ones(3, 2), [3, 1]),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2, dtype=lib.uint8),
                                               lib.ones(1, dtype=lib.uint8)], padding_value=-1),
], ids=["empty", "empty-seq", "complex-grad", "unpad-list-lengths", "uint8-negative-pad"])
def test_packing_refusals_as_torch(prog: Callable) -> None:
    _raises_alike(prog)


def test_complex_pack_without_grad_mode_and_int8_negative_pad_as_torch() -> None:
    res = {}
    for lib in (torch, ember):
        rnn = lib.nn.utils.rnn
        x = lib.tensor(np.arange(6).reshape(3, 2) * (1 + 2j)).to(lib.complex64).requires_grad_()
        with lib.no_grad():
            p = rnn.pack_padded_sequence(x, [3, 1])
        pad = rnn.pad_sequence([lib.ones(2, dtype=lib.int8), lib.ones(1, dtype=lib.int8)],
                               padding_value=-1)
        res[lib.__name__] = (p.data, p.batch_sizes, pad)
    for t, e in zip(res["torch"], res["ember"]):
        _close(t, e)


# ---------------------------------------------------------------------------- layers
_BIASLESS_MISMATCH = [
    ("RNN", "float32", "float64"), ("GRU", "float64", "float32"), ("LSTM", "float32", "float64"),
    ("RNNCell", "float64", "float32"), ("GRUCell", "bfloat16", "float32"),
    ("LSTMCell", "float16", "float32"),
]


@pytest.mark.parametrize("kind,hdt,wdt", _BIASLESS_MISMATCH)
@pytest.mark.parametrize("bias", [True, False])
def test_hidden_dtype_mismatch_words_follow_bias_as_torch(kind: str, hdt: str, wdt: str,
                                                          bias: bool) -> None:
    """Without bias PyTorch's product is an mm, with bias an addmm: each has its words."""
    def prog(lib: Any) -> Any:
        m = getattr(lib.nn, kind)(3, 4, bias=bias).to(getattr(lib, wdt))
        cell = kind.endswith("Cell")
        x = lib.zeros((2, 3) if cell else (2, 2, 3), dtype=getattr(lib, wdt))
        h = lib.zeros((2, 4) if cell else (1, 2, 4), dtype=getattr(lib, hdt))
        return m(x, (h, h) if kind.startswith("LSTM") else h)
    _raises_alike(prog)


@pytest.mark.parametrize("wdt,hdt,which", [
    ("float32", "float64", "h"), ("float32", "float64", "c"), ("float32", "int64", "both"),
    ("float32", "bfloat16", "h"), ("float32", "float16", "c"), ("bfloat16", "float32", "h"),
    ("bfloat16", "float16", "c"), ("float32", "float64", "proj"),
])
def test_lstm_state_dtype_mismatch_words_as_torch(wdt: str, hdt: str, which: str) -> None:
    """A float32/bfloat16 LSTM without projections runs on oneDNN in PyTorch's CPU build, which
    refuses a state of another dtype in its own words (a float64 state from NumPy is common);
    with projections the words are the matmul's."""
    def prog(lib: Any) -> Any:
        proj = 2 if which == "proj" else 0
        m = lib.nn.LSTM(3, 4, proj_size=proj).to(getattr(lib, wdt))
        h = lib.zeros(1, 2, proj or 4, dtype=getattr(lib, hdt if which != "c" else wdt))
        c = lib.zeros(1, 2, 4, dtype=getattr(lib, hdt if which in ("c", "both") else wdt))
        return m(lib.zeros(5, 2, 3, dtype=getattr(lib, wdt)), (h, c))
    _raises_alike(prog)


@pytest.mark.parametrize("kw", [{}, {"bidirectional": True}, {"batch_first": True}])
def test_lstm_of_empty_batch_nodes_as_torch(kw: dict) -> None:
    """PyTorch's oneDNN LSTM skips an empty batch: its output is the plain stack."""
    res = {}
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.LSTM(3, 4, **kw)
        x = lib.zeros((0, 5, 3) if kw.get("batch_first") else (5, 0, 3))
        o, (h, c) = m(x)
        res[lib.__name__] = (tuple(o.shape), _node(o), tuple(h.shape), _node(h), _node(c))
    assert res["ember"] == res["torch"]


@pytest.mark.parametrize("ctor", [
    lambda lib: lib.nn.LSTM(3, 4, bias=1),
    lambda lib: lib.nn.GRU(3, 4, batch_first=0),
    lambda lib: lib.nn.RNN(3.0, 4),
    lambda lib: lib.nn.RNN(0, 4),
    lambda lib: lib.nn.GRU(-2, 4, bidirectional=True),
], ids=["bias-int", "batch-first-int", "input-float", "input-zero", "input-negative"])
def test_recurrent_constructor_argument_checks_as_torch(ctor: Callable) -> None:
    _raises_alike(ctor)


_CELL_ORDER = [  # (kind, input shape, hidden shape, hidden dtype): two faults, torch's first wins
    ("RNNCell", (1, 2, 3), (), None), ("GRUCell", (), (1, 2, 4), None),
    ("LSTMCell", (1, 2, 3), (1, 2, 4), None), ("GRUCell", (2, 5), (2, 7), None),
    ("RNNCell", (1, 3), (4,), "float64"), ("LSTMCell", (0, 3), (3, 4), "int64"),
    ("GRUCell", (2, 3), (2, 5), "float16"),
]


@pytest.mark.parametrize("kind,xshape,hshape,hdtype", _CELL_ORDER)
def test_cell_checks_run_in_torch_order(kind: str, xshape: tuple, hshape: tuple,
                                        hdtype: str | None) -> None:
    """Input rank, hidden rank, input size, hidden batch and size, then the matmul dtypes."""
    def prog(lib: Any) -> Any:
        m = getattr(lib.nn, kind)(3, 4, bias=False)
        h = lib.zeros(hshape, dtype=getattr(lib, hdtype or "float32"))
        return m(lib.zeros(xshape), (h, h) if kind == "LSTMCell" else h)
    _raises_alike(prog)


def test_rnn_cell_unknown_nonlinearity_refused_before_size_checks_as_torch() -> None:
    _raises_alike(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="gelu")(lib.zeros(2, 5)))


@pytest.mark.parametrize("batch", [17, 40])
def test_unsorted_pack_orders_tied_lengths_as_torch(batch: int) -> None:
    """PyTorch sorts the lengths with its unstable CPU sort: past 16 sequences the order among
    equal lengths (sorted_indices, the packed rows, a GRU's packed output) is std::sort's."""
    r = np.random.default_rng(batch)
    lengths = r.integers(1, 4, size=batch)
    x = r.standard_normal((3, batch, 2)).astype("float32")
    torch.manual_seed(0)
    state = {k: _np(v) for k, v in torch.nn.GRU(2, 3).state_dict().items()}
    res = {}
    for lib in (torch, ember):
        rnn = lib.nn.utils.rnn
        p = rnn.pack_padded_sequence(lib.tensor(x), lib.tensor(lengths), enforce_sorted=False)
        q = rnn.pack_sequence([lib.ones(int(n)) for n in lengths], enforce_sorted=False)
        m = lib.nn.GRU(2, 3)
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        out, h = m(p)
        res[lib.__name__] = (p.sorted_indices, p.unsorted_indices, p.data, q.sorted_indices,
                             out.data, h)
    for t, e in zip(res["torch"], res["ember"]):
        _close(t, e, 1e-6)


def test_weight_drop_wrapper_program_as_torch() -> None:
    """An AWD-LSTM style weight drop: the raw weight is a parameter of the wrapper, the LSTM's
    own is replaced by a dropped copy before each call (and PyTorch's hooks are called)."""
    torch.manual_seed(0)
    state = {k: _np(v) for k, v in torch.nn.LSTM(3, 4).state_dict().items()}
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype("float32")
    res = {}
    for lib in (torch, ember):
        m = lib.nn.LSTM(3, 4)
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        raw = lib.nn.Parameter(m.weight_hh_l0.data)
        del m.weight_hh_l0
        m.weight_hh_l0 = raw.clone()
        lib.manual_seed(0)
        m.weight_hh_l0 = lib.nn.functional.dropout(raw, p=0.5)
        m._init_flat_weights()
        m._update_flat_weights()
        o, (h, c) = m(lib.tensor(x))
        o.sum().backward()
        checks = m.check_hidden_size(h, expected_hidden_size=(1, 2, 4))
        res[lib.__name__] = (o, h, raw.grad, list(m.state_dict()), checks,
                             m.get_expected_cell_size(lib.tensor(x), None))
    t, e = res["torch"], res["ember"]
    for a, b in zip(t[:3], e[:3]):
        _close(a, b, 1e-6)
    assert e[3:] == t[3:]


# ---------------------------------------------------------------------------- fuzz
def _fuzz_case(rng: random.Random, seed: int) -> Callable:
    """One random recurrent program (mode, layout, packing, initial state) in float64."""
    mode = rng.choice(["RNN", "LSTM", "GRU"])
    kw: dict = {}
    if rng.random() < .3:
        kw["num_layers"] = 2
    if rng.random() < .3:
        kw["bias"] = False
    if rng.random() < .4:
        kw["batch_first"] = True
    if rng.random() < .4:
        kw["bidirectional"] = True
    if mode == "LSTM" and rng.random() < .3:
        kw["proj_size"] = 2
    if mode == "RNN" and rng.random() < .3:
        kw["nonlinearity"] = "relu"
    form = rng.choice(["padded", "unbatched", "packed", "unsorted"])
    steps, batch, with_hx = rng.choice([1, 3]), rng.choice([1, 3]), rng.random() < .5
    r = np.random.default_rng(seed)
    torch.manual_seed(seed)
    state = {k: _np(v) for k, v in getattr(torch.nn, mode)(2, 3, **kw).state_dict().items()}
    bf, nd = kw.get("batch_first", False), 2 if kw.get("bidirectional") else 1
    lead = (kw.get("num_layers", 1) * nd,) + (() if form == "unbatched" else (batch,))
    x = r.standard_normal((steps, 2) if form == "unbatched" else
                          (batch, steps, 2) if bf else (steps, batch, 2))
    h0 = r.standard_normal(lead + (kw.get("proj_size", 0) or 3,))
    c0 = r.standard_normal(lead + (3,))
    lengths = r.integers(1, steps + 1, size=batch)
    lengths[0] = steps
    if form == "packed":
        lengths = np.sort(lengths)[::-1]

    def prog(lib: Any) -> list:
        m = getattr(lib.nn, mode)(2, 3, **kw).double()
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        xt = lib.tensor(x, requires_grad=True)
        inp = xt
        if form in ("packed", "unsorted"):
            inp = lib.nn.utils.rnn.pack_padded_sequence(xt, lib.tensor(lengths.copy()),
                                                        batch_first=bf,
                                                        enforce_sorted=form == "packed")
        hx = None
        if with_hx:
            hx = lib.tensor(h0, requires_grad=True)
            hx = (hx, lib.tensor(c0)) if mode == "LSTM" else hx
        out, hn = m(inp, hx)
        if form in ("packed", "unsorted"):
            out = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf)[0]
        hs = list(hn) if mode == "LSTM" else [hn]
        (out.sum() + sum((h * h).sum() for h in hs)).backward()
        return [out, *hs, xt.grad, *(p.grad for p in m.parameters())]
    return prog


def test_seeded_recurrent_fuzz_matches_torch() -> None:
    rng = random.Random(23)
    for seed in range(120):
        prog = _fuzz_case(rng, seed)
        for t, e in zip(prog(torch), prog(ember), strict=True):
            _close(t, e, 1e-10)
