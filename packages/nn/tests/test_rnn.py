"""RNN, LSTM, GRU and their cells against PyTorch: weights, outputs, final states and gradients
for layers, directions, batch_first, projections, initial states, packed and unbatched inputs;
gradcheck of the cells in float64."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_compare import copy_state, run_pair

import ember
import ember.nn as nn
from ember.testing import assert_close

_RNG = np.random.default_rng(7)


def randn(*shape):
    return _RNG.standard_normal(shape)


CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "batch_first": True}), ("LSTM", {"bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
]


def _pair(torch, kind, kw):
    t = getattr(torch.nn, kind)(3, 4, **kw)
    e = getattr(nn, kind)(3, 4, **kw)
    copy_state(t, e)
    return t, e


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind,kw", CONFIGS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CONFIGS)])
def test_rnn_layers(torch, kind, kw, dtype):
    t, e = _pair(torch, kind, kw)
    if dtype == "float64":
        t.double()
        e.double()
    shape = (2, 5, 3) if kw.get("batch_first") else (5, 2, 3)
    run_pair(torch, t, e, [randn(*shape)], dtype=dtype)
    # explicit initial state
    nd = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    hsize = kw.get("proj_size", 4) or 4
    h0 = randn(layers * nd, 2, hsize)
    if kind == "LSTM":
        c0 = randn(layers * nd, 2, 4)
        call = lambda m, x, h, c: m(x, (h, c))  # noqa: E731
        run_pair(torch, t, e, [randn(*shape), h0, c0], dtype=dtype, call=call)
    else:
        run_pair(torch, t, e, [randn(*shape), h0], dtype=dtype, call=lambda m, x, h: m(x, h))
    # unbatched
    run_pair(torch, t, e, [randn(5, 3)], dtype=dtype)


def test_dropout_between_layers_and_eval(torch):
    t, e = _pair(torch, "LSTM", {"num_layers": 2, "dropout": 0.5})
    x = ember.randn(4, 2, 3)
    e.train()
    assert tuple(e(x)[0].shape) == (4, 2, 4)
    e.eval()
    t.eval()
    run_pair(torch, t, e, [randn(4, 2, 3)])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_packed_sequences(torch, kind):
    t, e = _pair(torch, kind, {"bidirectional": True, "num_layers": 2})
    lengths = [3, 5, 2]
    x = randn(5, 3, 3).astype("float32")
    R, TR = nn.utils.rnn, torch.nn.utils.rnn
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ep = R.pack_padded_sequence(ex, lengths, enforce_sorted=False)
    tp = TR.pack_padded_sequence(tx, lengths, enforce_sorted=False)
    eo, eh = e(ep)
    to, th = t(tp)
    assert isinstance(eo, R.PackedSequence)
    assert_close(eo.data, to.data, rtol=1e-4, atol=1e-5)
    for a, b in zip(eh if kind == "LSTM" else (eh,), th if kind == "LSTM" else (th,)):
        assert_close(a, b, rtol=1e-4, atol=1e-5)
    epad, _ = R.pad_packed_sequence(eo)
    tpad, _ = TR.pad_packed_sequence(to)
    (epad.sum() + (eh[0] if kind == "LSTM" else eh).sum()).backward()
    (tpad.sum() + (th[0] if kind == "LSTM" else th).sum()).backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=n)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(torch, kind):
    t, e = getattr(torch.nn, kind)(3, 4), getattr(nn, kind)(3, 4)
    copy_state(t, e)
    run_pair(torch, t, e, [randn(2, 3)])
    run_pair(torch, t, e, [randn(3)])
    if kind == "LSTMCell":
        run_pair(torch, t, e, [randn(2, 3), randn(2, 4), randn(2, 4)],
                 call=lambda m, x, h, c: m(x, (h, c)))
    else:
        run_pair(torch, t, e, [randn(2, 3), randn(2, 4)], call=lambda m, x, h: m(x, h))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_gradcheck(kind):
    cell = getattr(nn, kind)(2, 3).double()
    x = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    h = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    if kind == "LSTMCell":
        c = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
        fn = lambda x, h, c: cell(x, (h, c))  # noqa: E731
        inputs = (x, h, c)
    else:
        fn = cell
        inputs = (x, h)
    assert ember.autograd.gradcheck(fn, inputs)


def test_gru_layer_gradcheck():
    gru = nn.GRU(2, 2, bidirectional=True).double()
    x = ember.randn(3, 1, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: gru(x)[0], (x,))


def test_weight_names_and_errors(torch):
    e = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    t = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [list(map(tuple, (p.shape for p in ws))) for ws in e.all_weights] == \
           [list(map(tuple, (p.shape for p in ws))) for ws in t.all_weights]
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        e(ember.randn(5, 2, 4))
    with pytest.raises(RuntimeError, match="Expected hidden\\[0\\] size"):
        e(ember.randn(5, 2, 3), (ember.zeros(4, 3, 2), ember.zeros(4, 2, 4)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        nn.GRU(3, 4)(ember.randn(1, 5, 2, 3))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")


@pytest.mark.parametrize("kind,kw", [("LSTM", {"proj_size": 2}), ("LSTM", {"bidirectional": True}),
                                     ("GRU", {}), ("RNN", {"nonlinearity": "relu"}),
                                     ("RNN", {"bias": False})])
def test_layer_gradgradcheck(kind, kw):
    # the fused layer differentiates its op-by-op recomputation under create_graph
    m = getattr(nn, kind)(2, 3, **kw).double()
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    nd = 2 if kw.get("bidirectional") else 1
    h0 = ember.randn(nd, 2, kw.get("proj_size", 3), dtype=ember.float64, requires_grad=True)
    if kind == "LSTM":
        c0 = ember.randn(nd, 2, 3, dtype=ember.float64, requires_grad=True)
        fn = lambda x, h, c: m(x, (h, c))[0]  # noqa: E731
        inputs = (x, h0, c0)
    else:
        fn = lambda x, h: m(x, h)[0]  # noqa: E731
        inputs = (x, h0)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_final_state_gradients_and_no_grad(torch, kind):
    # gradients that reach only the final states, and the same numbers without grad mode
    t, e = _pair(torch, kind, {"num_layers": 2})
    x = randn(6, 3, 3).astype("float32")
    h0 = randn(2, 3, 4).astype("float32")
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eh0, th0 = ember.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    if kind == "LSTM":
        c0 = randn(2, 3, 4).astype("float32")
        ec0, tc0 = ember.tensor(c0, requires_grad=True), torch.tensor(c0, requires_grad=True)
        (_, (eh, ec)), (_, (th, tc)) = e(ex, (eh0, ec0)), t(tx, (th0, tc0))
        (eh.sum() + 2 * ec.sum()).backward()
        (th.sum() + 2 * tc.sum()).backward()
        assert_close(ec0.grad, tc0.grad, rtol=1e-4, atol=1e-5)
    else:
        (_, eh), (_, th) = e(ex, eh0), t(tx, th0)
        eh.sum().backward()
        th.sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    assert_close(eh0.grad, th0.grad, rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=n)
    with ember.no_grad():
        out = e(ember.tensor(x))[0]
    assert out.grad_fn is None
    assert_close(out, t(torch.tensor(x))[0], rtol=1e-4, atol=1e-5)


def test_lstm_output_node_name(torch):
    out = nn.LSTM(3, 4)(ember.randn(2, 1, 3))[0]
    assert "MkldnnRnnLayerBackward0" in {out.grad_fn.name()} | {
        f.name() for f, _ in out.grad_fn.next_functions if f is not None}
