"""Module sweep, part 2: the refusals of recurrent layers and cells, attention, CTC loss,
cross entropy and the sequence padding utilities, against PyTorch's exception types and words.

Each case builds the same call with ``torch`` and with ``ember`` (``lib`` below) and compares
what is raised (or, where PyTorch succeeds, the result)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _r(lib: Any, *shape: int, seed: int = 0, dtype: Any = None) -> Any:
    arr = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(arr, dtype=dtype or lib.float32)


def _outcome(fn: Callable, lib: Any) -> tuple:
    try:
        return ("ok", fn(lib))
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return (type(e).__name__, str(e).replace("torch", "ember"))


def _same(torch: Any, fn: Callable) -> None:
    """``fn(torch)`` and ``fn(ember)`` raise alike, or both succeed with close results."""
    t, e = _outcome(fn, torch), _outcome(fn, ember)
    if t[0] == "ok" or e[0] == "ok":
        assert t[0] == e[0] == "ok", (t, e)
        pairs = zip(e[1], t[1]) if isinstance(t[1], tuple) else [(e[1], t[1])]
        for ei, ti in pairs:
            assert_close(ei, ti)
    else:
        assert e == t


# ----------------------------------------------------------------------------- RNN cells
CELL_CASES = {
    "batch": lambda lib, c: c(_r(lib, 3, 4), _r(lib, 2, 5)),
    "hidden_size": lambda lib, c: c(_r(lib, 3, 4), _r(lib, 3, 6)),
    "unbatched_2d_hx": lambda lib, c: c(_r(lib, 4), _r(lib, 3, 5)),
    "hx_dtype": lambda lib, c: c(_r(lib, 3, 4), _r(lib, 3, 5, dtype=lib.float64)),
    "input_dtype": lambda lib, c: c(_r(lib, 3, 4, dtype=lib.float64)),
    "input_long": lambda lib, c: c(lib.ones(3, 4, dtype=lib.int64)),
}


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("case", sorted(CELL_CASES))
def test_cell_hidden_checks(torch, kind, case):
    def call(lib):
        lib.manual_seed(0)
        cell = getattr(lib.nn, kind)(4, 5)
        inner = cell
        if kind == "LSTMCell":  # the same wrong state as h and as c
            def inner(x, h=None):
                return cell(x, None if h is None else (h, h))[0]
        return CELL_CASES[case](lib, inner)
    _same(torch, call)


@pytest.mark.parametrize("which", [0, 1])
def test_lstm_cell_batch_mismatch_names_the_state(torch, which):
    def call(lib):
        cell = lib.nn.LSTMCell(4, 5)
        good, bad = _r(lib, 3, 5), _r(lib, 2, 5)
        return cell(_r(lib, 3, 4), (bad, good) if which == 0 else (good, bad))
    _same(torch, call)


# ----------------------------------------------------------------------------- RNN layers
LAYER_CASES = {
    "input_double": lambda lib, m: m(_r(lib, 5, 2, 3, dtype=lib.float64)),
    "input_long": lambda lib, m: m(lib.ones(5, 2, 3, dtype=lib.int64)),
    "empty_sequence": lambda lib, m: m(_r(lib, 0, 2, 3)),
    "hidden_double": lambda lib, m: m(_r(lib, 5, 2, 3), _hx(lib, m, lib.float64)),
    "hidden_long": lambda lib, m: m(_r(lib, 5, 2, 3), _hx(lib, m, lib.int64)),
}


def _hx(lib: Any, m: Any, dtype: Any) -> Any:
    h = lib.zeros(1, 2, 4, dtype=dtype)
    return (h, lib.zeros(1, 2, 4)) if isinstance(m, lib.nn.LSTM) else h


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_rnn_layer_dtype_and_length_checks(torch, kind, case):
    def call(lib):
        return LAYER_CASES[case](lib, getattr(lib.nn, kind)(3, 4))
    if kind == "LSTM" and case.startswith("hidden"):  # PyTorch words it by its oneDNN kernel
        assert _outcome(call, ember)[0] == _outcome(call, torch)[0] == "RuntimeError"
    else:
        _same(torch, call)


def test_gru_packed_hidden_dtype(torch):
    def call(lib):
        packed = lib.nn.utils.rnn.pack_sequence([_r(lib, 3, 3), _r(lib, 2, 3, seed=1)])
        return lib.nn.GRU(3, 4)(packed, lib.zeros(1, 2, 4, dtype=lib.float64))
    _same(torch, call)


# ----------------------------------------------------------------------------- attention
@pytest.mark.parametrize("kw", [{}, {"add_bias_kv": True}, {"add_zero_attn": True},
                                {"batch_first": True}])
@pytest.mark.parametrize("mask_shape", [(3, 4), (2, 6), (3, 7)])
def test_mha_key_padding_mask_shape(torch, kw, mask_shape):
    def call(lib):
        m = lib.nn.MultiheadAttention(8, 2, **kw)
        bf = kw.get("batch_first", False)
        q = _r(lib, 3, 4, 8) if bf else _r(lib, 4, 3, 8)
        k = _r(lib, 3, 6, 8, seed=1) if bf else _r(lib, 6, 3, 8, seed=1)
        return m(q, k, k, key_padding_mask=lib.zeros(mask_shape, dtype=lib.bool))[0]
    _same(torch, call)


SDPA_SHAPES = [
    ((2, 2, 4, 3), (2, 2, 6, 4), (2, 2, 6, 5)),  # head dims differ
    ((2, 4, 3), (2, 6, 4), (2, 6, 5)),
    ((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 5, 5)),  # key and value lengths differ
    ((2, 2, 4, 3), (3, 2, 6, 3), (3, 2, 6, 5)),  # batch dims do not broadcast
    ((4, 3), (6, 4), (6, 5)),
    ((2, 2, 4, 3), (2, 6, 3), (2, 6, 5)),  # batch dims broadcast: no error
]


@pytest.mark.parametrize("shapes", SDPA_SHAPES)
def test_sdpa_shape_errors(torch, shapes):
    def call(lib):
        q, k, v = (_r(lib, *s, seed=i) for i, s in enumerate(shapes))
        return lib.nn.functional.scaled_dot_product_attention(q, k, v)
    _same(torch, call)


# ----------------------------------------------------------------------------- losses
@pytest.mark.parametrize("ignore_index", [-100, -1, 0, 2])
def test_cross_entropy_probabilities_refuse_ignore_index(torch, ignore_index):
    def call(lib):
        target = _r(lib, 4, 3, seed=1).softmax(1)
        return lib.nn.CrossEntropyLoss(ignore_index=ignore_index)(_r(lib, 4, 3), target)
    _same(torch, call)


CTC_CASES = {
    "input_too_long": ([9, 8, 6, 2], [3, 2, 3, 3]),
    "negative_input": ([8, 8, 6, -1], [3, 2, 3, 3]),
    "negative_target": ([8, 8, 6, 2], [3, 2, 3, -1]),
    "ok": ([8, 8, 6, 2], [3, 2, 3, 1]),
}


@pytest.mark.parametrize("case", sorted(CTC_CASES))
def test_ctc_length_checks(torch, case):
    il, tl = CTC_CASES[case]

    def call(lib):
        lp = _r(lib, 8, 4, 4).log_softmax(2)
        targets = lib.tensor(np.random.default_rng(1).integers(1, 4, (4, 3)))
        return lib.nn.CTCLoss()(lp, targets, lib.tensor(il), lib.tensor(tl))
    _same(torch, call)


# ----------------------------------------------------------------------------- pad_sequence
PAD_CASES = {
    "empty": lambda lib: [],
    "trailing_mismatch": lambda lib: [_r(lib, 2, 3), _r(lib, 3, 4)],
    "trailing_mismatch_3d": lambda lib: [_r(lib, 2, 3, 2), _r(lib, 3, 3, 5)],
    "mixed_dtypes": lambda lib: [_r(lib, 2, 3), _r(lib, 4, 3, dtype=lib.float64)],
    "mixed_dtypes_first_double": lambda lib: [_r(lib, 2, dtype=lib.float64), _r(lib, 4)],
}


@pytest.mark.parametrize("case", sorted(PAD_CASES))
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_checks(torch, case, side):
    def call(lib):
        out = lib.nn.utils.rnn.pad_sequence(PAD_CASES[case](lib), batch_first=True,
                                            padding_side=side, padding_value=-2.0)
        return out
    _same(torch, call)
    t, e = _outcome(call, torch), _outcome(call, ember)
    if t[0] == "ok":
        assert str(e[1].dtype) == str(t[1].dtype).replace("torch", "ember")


def test_pad_sequence_mixed_dtypes_gradient(torch):
    """The sequence converted to the first one's dtype still gets its gradient, in its dtype."""
    a = ember.tensor(np.arange(3.0), dtype=ember.float32, requires_grad=True)
    b = ember.tensor(np.arange(5.0), dtype=ember.float64, requires_grad=True)
    ta = torch.tensor(np.arange(3.0), dtype=torch.float32, requires_grad=True)
    tb = torch.tensor(np.arange(5.0), dtype=torch.float64, requires_grad=True)
    w = np.arange(10.0).reshape(2, 5)
    ew, tw = ember.tensor(w, dtype=ember.float32), torch.tensor(w, dtype=torch.float32)
    (ember.nn.utils.rnn.pad_sequence([a, b], batch_first=True) * ew).sum().backward()
    (torch.nn.utils.rnn.pad_sequence([ta, tb], batch_first=True) * tw).sum().backward()
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask_dtype", ["float64", "float16", "bfloat16", "float32", "bool"])
@pytest.mark.parametrize("which", ["attn_mask", "key_padding_mask"])
def test_mha_mask_dtype(torch, need_weights, mask_dtype, which):
    """A float mask of another dtype than the query is refused (by PyTorch's baddbmm when the
    weights are wanted, by its SDPA check otherwise); bool and matching float masks work."""
    def call(lib):
        lib.manual_seed(0)
        m = lib.nn.MultiheadAttention(8, 2)
        q, k = _r(lib, 4, 3, 8), _r(lib, 6, 3, 8, seed=1)
        shape = (4, 6) if which == "attn_mask" else (3, 6)
        mask = _r(lib, *shape, seed=2)
        mask = mask > 0 if mask_dtype == "bool" else mask.to(getattr(lib, mask_dtype))
        return m(q, k, k, need_weights=need_weights, **{which: mask})[0]
    _same(torch, call)


@pytest.mark.parametrize("shape", [(5, 0, 4), (0, 2, 4), (5, 2, 0)])
def test_ctc_empty_log_probs(torch, shape):
    def call(lib):
        lp = _r(lib, *shape).log_softmax(2)
        return lib.nn.functional.ctc_loss(lp, lib.zeros(shape[1], 2, dtype=lib.int64),
                                          lib.full((shape[1],), 5), lib.ones(shape[1], dtype=lib.int64))
    _same(torch, call)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("empty", ["batch", "source"])
def test_mha_empty_batch_or_source(torch, need_weights, empty):
    def call(lib):
        lib.manual_seed(0)
        m = lib.nn.MultiheadAttention(4, 2)
        n, s = (0, 3) if empty == "batch" else (2, 0)
        out, w = m(_r(lib, 3, n, 4), _r(lib, s, n, 4, seed=1), _r(lib, s, n, 4, seed=2),
                   need_weights=need_weights)
        return out.detach() if w is None else (out.detach(), w.detach())
    _same(torch, call)


def test_sdpa_no_keys_gradients(torch):
    """With zero keys the output is zeros; the query gets a zero gradient, as in PyTorch."""
    grads = []
    for lib in (ember, torch):
        q = _r(lib, 1, 2, 3, 4).requires_grad_()
        k, v = _r(lib, 1, 2, 0, 4, seed=1), _r(lib, 1, 2, 0, 5, seed=2)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v)
        out.sum().backward()
        grads.append((out.detach(), q.grad))
    assert_close(grads[0][0], grads[1][0])
    assert_close(grads[0][1], grads[1][1])
