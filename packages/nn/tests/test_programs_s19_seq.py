"""Session 19: recurrent, attention and sequence programs run side by side with PyTorch.

Each test builds the same module in both libraries (weights passed through NumPy), runs the
same inputs, and compares what a user sees: values, gradients, dtypes, shapes, contiguity,
graph node names and errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.nn.utils import rnn as ernnu

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
trnnu = torch.nn.utils.rnn


def _np(t: object) -> np.ndarray:
    t = t.detach().cpu()
    return (t.float() if t.dtype in (torch.bfloat16, ember.bfloat16) else t).numpy()


def _pair(shape: tuple, seed: int = 0, dtype: str = "float32",
          grad: bool = False) -> tuple:
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return torch.tensor(a, requires_grad=grad), ember.tensor(a, requires_grad=grad)


def _copy(tm: object, em: object) -> None:
    sd = tm.state_dict()
    assert list(em.state_dict()) == list(sd)
    em.load_state_dict({k: ember.tensor(_np(v)) for k, v in sd.items()})


def _node(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _close(e: object, t: object, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- RNN output graph nodes
RNN_CASES = [(mode, kw) for mode in ["RNN", "GRU", "LSTM"]
             for kw in [{}, {"batch_first": True}, {"bidirectional": True}, {"num_layers": 2},
                        {"bidirectional": True, "batch_first": True}, {"bias": False},
                        {"dtype": "float64"}]]
RNN_CASES += [("LSTM", {"proj_size": 2}), ("LSTM", {"proj_size": 2, "batch_first": True})]


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_rnn_output_node_matches_torch(mode: str, dtype: str) -> None:
    tm = getattr(tnn, mode)(3, 4).to(getattr(torch, dtype))
    em = getattr(enn, mode)(3, 4).to(getattr(ember, dtype))
    _copy(tm, em)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype("float32")
    to, _ = tm(torch.tensor(x).to(getattr(torch, dtype)).requires_grad_())
    eo, _ = em(ember.tensor(x).to(getattr(ember, dtype)).requires_grad_())
    assert _node(eo) == _node(to)
    assert eo.dtype == getattr(ember, dtype)


@pytest.mark.parametrize("mode,kw", RNN_CASES)
def test_rnn_output_node_and_values_match_torch(mode: str, kw: dict) -> None:
    dtype = kw.pop("dtype", "float32")
    tm = getattr(tnn, mode)(3, 4, **kw).to(getattr(torch, dtype))
    em = getattr(enn, mode)(3, 4, **kw).to(getattr(ember, dtype))
    _copy(tm, em)
    tx, ex = _pair((5, 2, 3), dtype=dtype, grad=True)
    (to, th), (eo, eh) = tm(tx), em(ex)
    assert _node(eo) == _node(to)
    assert eo.is_contiguous() == to.is_contiguous()
    th0, eh0 = (th[0], eh[0]) if mode == "LSTM" else (th, eh)
    assert _node(eh0) == _node(th0)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else {}
    _close(eo, to, **tol)
    _close(eh0, th0, **tol)
    g = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(dtype)
    (to * torch.tensor(g)).sum().backward()
    (eo * ember.tensor(g)).sum().backward()
    _close(ex.grad, tx.grad, **tol)
    for (_, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        _close(ep.grad, tp.grad, **tol)


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("lens", [[3, 5], [5, 5], [5]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_packed_rnn_output_data_node_matches_torch(mode: str, bidirectional: bool, lens: list,
                                                   dtype: str) -> None:
    tm = getattr(tnn, mode)(3, 4, bidirectional=bidirectional).to(getattr(torch, dtype))
    em = getattr(enn, mode)(3, 4, bidirectional=bidirectional).to(getattr(ember, dtype))
    _copy(tm, em)
    tx, ex = _pair((len(lens), 5, 3), dtype=dtype, grad=True)
    tp = trnnu.pack_padded_sequence(tx, torch.tensor(lens), True, enforce_sorted=False)
    ep = ernnu.pack_padded_sequence(ex, ember.tensor(lens), True, enforce_sorted=False)
    (to, _), (eo, _) = tm(tp), em(ep)
    assert _node(eo.data) == _node(to.data)
    _close(eo.data, to.data)
    to.data.pow(2).sum().backward()
    eo.data.pow(2).sum().backward()
    _close(ex.grad, tx.grad)


def test_rnn_output_node_absent_without_grad() -> None:
    em = enn.LSTM(3, 4).requires_grad_(False)
    out, _ = em(ember.randn(5, 2, 3))
    assert out.grad_fn is None and not out.requires_grad


def test_lstm_output_node_under_double_backward() -> None:
    """The renamed output node stays differentiable twice (create_graph)."""
    em = enn.LSTM(2, 3).double()
    x = ember.randn(4, 2, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: em(x)[0], (x,))
    assert ember.autograd.gradgradcheck(lambda x: em(x)[0], (x,))


# ---------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_node_layout_and_grad_match_torch(batch_first: bool, side: str) -> None:
    shapes = [(5, 3), (2, 3), (4, 3)]
    pairs = [_pair(s, seed=i, grad=True) for i, s in enumerate(shapes)]
    t = trnnu.pad_sequence([p[0] for p in pairs], batch_first, -1.0, side)
    e = ernnu.pad_sequence([p[1] for p in pairs], batch_first, -1.0, side)
    assert _node(e) == _node(t) == "CopySlices"
    assert e.grad_fn.name() == t.grad_fn.name()
    assert e.is_contiguous() and t.is_contiguous()
    assert e.stride() == t.stride()
    _close(e, t, 0, 0)
    g = np.random.default_rng(7).standard_normal(tuple(t.shape)).astype("float32")
    (t * torch.tensor(g)).sum().backward()
    (e * ember.tensor(g)).sum().backward()
    for (tp, ep) in pairs:
        _close(ep.grad, tp.grad, 0, 0)


def test_pad_sequence_without_grad_has_no_node() -> None:
    e = ernnu.pad_sequence([ember.ones(2, 3), ember.ones(1, 3)])
    assert e.grad_fn is None and not e.requires_grad


# ---------------------------------------------------------------- scaled_dot_product_attention
SDPA_CASES = {
    "4d": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {}),
    "4d_causal": ((2, 3, 4, 8), (2, 3, 4, 8), (2, 3, 4, 8), {"is_causal": True}),
    "4d_value_head": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {}),
    "3d": ((3, 4, 8), (3, 6, 8), (3, 6, 8), {}),
    "3d_value_head": ((3, 4, 8), (3, 6, 8), (3, 6, 5), {}),
    "2d": ((4, 8), (6, 8), (6, 8), {}),
    "5d": ((1, 2, 3, 4, 8), (1, 2, 3, 6, 8), (1, 2, 3, 6, 8), {}),
    "key_batch_broadcast": ((2, 3, 4, 8), (1, 3, 6, 8), (1, 3, 6, 8), {}),
    "mixed_ndim": ((3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {}),
    "gqa": ((2, 4, 4, 8), (2, 2, 6, 8), (2, 2, 6, 8), {"enable_gqa": True}),
    "gqa_3d": ((4, 4, 8), (2, 6, 8), (2, 6, 8), {"enable_gqa": True}),
    "gqa_value_head": ((2, 4, 4, 8), (2, 2, 6, 8), (2, 2, 6, 5), {"enable_gqa": True}),
    "float_mask_2d": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {"mask": (4, 6)}),
    "float_mask_4d": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {"mask": (2, 1, 4, 6)}),
    "float_mask_3d": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {"mask": (3, 4, 6)}),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_node_values_and_grads_match_torch(case: str) -> None:
    qs, ks, vs, kw = SDPA_CASES[case]
    kw = dict(kw)
    (tq, eq), (tk, ek), (tv, ev) = (_pair(s, seed=i, grad=True)
                                    for i, s in enumerate((qs, ks, vs)))
    tkw, ekw = dict(kw), dict(kw)
    if "mask" in kw:
        tkw["attn_mask"], ekw["attn_mask"] = _pair(tkw.pop("mask"), seed=9)
        ekw.pop("mask")
    t = TF.scaled_dot_product_attention(tq, tk, tv, **tkw)
    e = EF.scaled_dot_product_attention(eq, ek, ev, **ekw)
    assert _node(e) == _node(t)
    _close(e, t)
    g = np.random.default_rng(3).standard_normal(tuple(t.shape)).astype("float32")
    (t * torch.tensor(g)).sum().backward()
    (e * ember.tensor(g)).sum().backward()
    for tt, et in ((tq, eq), (tk, ek), (tv, ev)):
        _close(et.grad, tt.grad, 1e-4, 1e-5)


def test_sdpa_node_with_grad_mask_or_strided_key_matches_torch() -> None:
    (tq, eq), (tk, ek), (tv, ev) = (_pair((2, 3, 4, 8), seed=i) for i in range(3))
    tm, em = _pair((4, 4), seed=5, grad=True)
    t = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    e = EF.scaled_dot_product_attention(eq, ek, ev, attn_mask=em)
    assert _node(e) == _node(t)
    (tk2, ek2) = _pair((2, 3, 8, 4), seed=6, grad=True)
    t = TF.scaled_dot_product_attention(tq, tk2.transpose(-1, -2), tv)
    e = EF.scaled_dot_product_attention(eq, ek2.transpose(-1, -2), ev)
    assert _node(e) == _node(t)
    _close(e, t)


@pytest.mark.parametrize("shapes", [((8,), (8,), (8,)), ((8,), (6, 8), (6, 8))])
def test_sdpa_one_dim_operands_refused_as_torch(shapes: tuple) -> None:
    (tq, eq), (tk, ek), (tv, ev) = (_pair(s, seed=i) for i, s in enumerate(shapes))
    with pytest.raises(RuntimeError) as te:
        TF.scaled_dot_product_attention(tq, tk, tv)
    with pytest.raises(RuntimeError) as ee:
        EF.scaled_dot_product_attention(eq, ek, ev)
    assert str(ee.value) == str(te.value)


# ---------------------------------------------------------------- EmbeddingBag
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"include_last_offset": True}])
def test_embedding_bag_node_values_and_grads_match_torch(mode: str, kw: dict) -> None:
    tm, em = tnn.EmbeddingBag(10, 3, mode=mode, **kw), enn.EmbeddingBag(10, 3, mode=mode, **kw)
    _copy(tm, em)
    idx = [1, 2, 4, 5, 4, 3, 2, 9]
    offs = [0, 3, 8] if kw.get("include_last_offset") else [0, 0, 4]  # an empty bag
    t = tm(torch.tensor(idx), torch.tensor(offs))
    e = em(ember.tensor(idx), ember.tensor(offs))
    assert _node(e) == _node(t) == "EmbeddingBagBackward0"
    _close(e, t)
    t.pow(2).sum().backward()
    e.pow(2).sum().backward()
    _close(em.weight.grad, tm.weight.grad)


def test_embedding_bag_per_sample_weights_node_and_grads_match_torch() -> None:
    tm, em = tnn.EmbeddingBag(10, 3, mode="sum"), enn.EmbeddingBag(10, 3, mode="sum")
    _copy(tm, em)
    tw, ew = _pair((6,), seed=2, grad=True)
    idx, offs = [1, 2, 4, 5, 4, 3], [0, 2]
    t = tm(torch.tensor(idx), torch.tensor(offs), per_sample_weights=tw)
    e = em(ember.tensor(idx), ember.tensor(offs), per_sample_weights=ew)
    assert _node(e) == _node(t)
    _close(e, t)
    t.sum().backward()
    e.sum().backward()
    _close(ew.grad, tw.grad)
    _close(em.weight.grad, tm.weight.grad)


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_embedding_bag_per_sample_weights_refused_as_torch(mode: str) -> None:
    idx, offs, w = [1, 2, 4], [0, 1], np.ones(3, dtype="float32")
    with pytest.raises(NotImplementedError) as te:
        tnn.EmbeddingBag(10, 3, mode=mode)(torch.tensor(idx), torch.tensor(offs),
                                           per_sample_weights=torch.tensor(w))
    with pytest.raises(NotImplementedError) as ee:
        enn.EmbeddingBag(10, 3, mode=mode)(ember.tensor(idx), ember.tensor(offs),
                                           per_sample_weights=ember.tensor(w))
    assert str(ee.value) == str(te.value)


# ---------------------------------------------------------------- pack / pad_packed
@pytest.mark.parametrize("lengths", [[5, 4, 2], [2, 5, 4]])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_packed_nodes_layout_and_grads_match_torch(lengths: list,
                                                                 batch_first: bool) -> None:
    shape = (3, 5, 2) if batch_first else (5, 3, 2)
    tx, ex = _pair(shape, grad=True)
    srt = lengths == sorted(lengths, reverse=True)
    tp = trnnu.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, srt)
    ep = ernnu.pack_padded_sequence(ex, ember.tensor(lengths), batch_first, srt)
    assert _node(ep.data) == _node(tp.data) == "PackPaddedSequenceBackward0"
    _close(ep.data, tp.data, 0, 0)
    to, tl = trnnu.pad_packed_sequence(tp, batch_first, -2.0, 6)
    eo, el = ernnu.pad_packed_sequence(ep, batch_first, -2.0, 6)
    assert _node(eo) == _node(to)
    assert eo.is_contiguous() == to.is_contiguous() and eo.stride() == to.stride()
    _close(eo, to, 0, 0)
    np.testing.assert_array_equal(_np(el), _np(tl))
    g = np.random.default_rng(2).standard_normal(tuple(to.shape)).astype("float32")
    (to * torch.tensor(g)).sum().backward()
    (eo * ember.tensor(g)).sum().backward()
    _close(ex.grad, tx.grad, 0, 0)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_padded_two_dim_lengths_refused_as_torch(enforce_sorted: bool) -> None:
    tx, ex = _pair((5, 3, 2))
    with pytest.raises(Exception) as te:
        trnnu.pack_padded_sequence(tx, torch.tensor([[5, 4, 2]]), enforce_sorted=enforce_sorted)
    with pytest.raises(Exception) as ee:
        ernnu.pack_padded_sequence(ex, ember.tensor([[5, 4, 2]]), enforce_sorted=enforce_sorted)
    assert type(ee.value) is type(te.value)
    assert str(ee.value) == str(te.value)


def test_pad_sequence_of_scalars_refused_as_torch() -> None:
    with pytest.raises(RuntimeError) as te:
        trnnu.pad_sequence([torch.tensor(1.0), torch.tensor(2.0)])
    with pytest.raises(RuntimeError) as ee:
        ernnu.pad_sequence([ember.tensor(1.0), ember.tensor(2.0)])
    assert str(ee.value) == str(te.value)


# ---------------------------------------------------------------- refusals in PyTorch's words
def _same_error(tcall: object, ecall: object) -> None:
    with pytest.raises(Exception) as te:
        tcall()
    with pytest.raises(Exception) as ee:
        ecall()
    assert type(ee.value).__name__ == type(te.value).__name__, (ee.value, te.value)
    assert str(ee.value) == str(te.value)


SDPA_BAD = {
    "mask_last_dim": ((2, 3, 4, 8), {"mask": (2, 3, 4, 5)}),
    "mask_rows": ((2, 3, 4, 8), {"mask": (5, 4)}),
    "mask_batch": ((2, 3, 4, 8), {"mask": (2, 3, 1, 4, 4)}),
    "mask_1d": ((2, 3, 4, 8), {"mask": (4,)}),
    "mask_0d": ((2, 3, 4, 8), {"mask": ()}),
    "dropout_above_one": ((2, 3, 4, 8), {"dropout_p": 1.5}),
    "dropout_negative": ((2, 3, 4, 8), {"dropout_p": -0.1}),
}


@pytest.mark.parametrize("case", list(SDPA_BAD))
def test_sdpa_bad_arguments_refused_as_torch(case: str) -> None:
    shape, kw = SDPA_BAD[case]
    tq, eq = _pair(shape)
    tkw, ekw = dict(kw), dict(kw)
    if "mask" in kw:
        tkw["attn_mask"], ekw["attn_mask"] = _pair(tkw.pop("mask"), seed=1)
        ekw.pop("mask")
    _same_error(lambda: TF.scaled_dot_product_attention(tq, tq, tq, **tkw),
                lambda: EF.scaled_dot_product_attention(eq, eq, eq, **ekw))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_sdpa_integer_operands_refused_as_torch(dtype: str) -> None:
    a = np.ones((2, 2, 3, 4), dtype=dtype)
    t, e = torch.tensor(a), ember.tensor(a)
    _same_error(lambda: TF.scaled_dot_product_attention(t, t, t),
                lambda: EF.scaled_dot_product_attention(e, e, e))


def test_sdpa_dropout_one_gives_zeros_as_torch() -> None:
    tq, eq = _pair((2, 3, 4, 8))
    t = TF.scaled_dot_product_attention(tq, tq, tq, dropout_p=1.0)
    e = EF.scaled_dot_product_attention(eq, eq, eq, dropout_p=1.0)
    _close(e, t, 0, 0)


@pytest.mark.parametrize("hx", ["tensor", "one", "three"])
def test_lstm_cell_malformed_state_refused_as_torch(hx: str) -> None:
    tc, ec = tnn.LSTMCell(3, 4), enn.LSTMCell(3, 4)
    (tx, ex), (th, eh) = _pair((2, 3)), _pair((2, 4), seed=1)
    n = {"one": 1, "three": 3}.get(hx)
    thx, ehx = (th, eh) if n is None else ((th,) * n, (eh,) * n)
    _same_error(lambda: tc(tx, thx), lambda: ec(ex, ehx))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}])
@pytest.mark.parametrize("idx", [[1, 9, 2, 1], [1, 1, -3, 1], [7, 1, 1, 1]])
def test_embedding_bag_index_out_of_table_refused_as_torch(mode: str, kw: dict,
                                                           idx: list) -> None:
    tm, em = tnn.EmbeddingBag(5, 3, mode=mode, **kw), enn.EmbeddingBag(5, 3, mode=mode, **kw)
    _same_error(lambda: tm(torch.tensor(idx), torch.tensor([0])),
                lambda: em(ember.tensor(idx), ember.tensor([0])))


@pytest.mark.parametrize("backend", ["MATH", "FLASH_ATTENTION"])
def test_sdpa_node_follows_sdpa_kernel_choice_as_torch(backend: str) -> None:
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from ember.nn.attention import SDPBackend as ESDPBackend
    from ember.nn.attention import sdpa_kernel as esdpa_kernel

    (tq, eq) = _pair((2, 3, 4, 8), grad=True)
    with sdpa_kernel(getattr(SDPBackend, backend)):
        t = TF.scaled_dot_product_attention(tq, tq, tq)
    with esdpa_kernel(getattr(ESDPBackend, backend)):
        e = EF.scaled_dot_product_attention(eq, eq, eq)
    assert _node(e) == _node(t)
    _close(e, t)


def test_embedding_bag_max_of_empty_input_stays_in_graph_as_torch() -> None:
    tm, em = tnn.EmbeddingBag(5, 3, mode="max"), enn.EmbeddingBag(5, 3, mode="max")
    _copy(tm, em)
    t = tm(torch.tensor([], dtype=torch.long), torch.tensor([0, 0]))
    e = em(ember.tensor([], dtype=ember.int64), ember.tensor([0, 0]))
    assert e.requires_grad == t.requires_grad and _node(e) == _node(t)
    _close(e, t, 0, 0)
    t.sum().backward()
    e.sum().backward()
    _close(em.weight.grad, tm.weight.grad, 0, 0)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_sparse_freq_scaling_refused_at_backward_as_torch(mode: str) -> None:
    kw = {"mode": mode, "sparse": True, "scale_grad_by_freq": True}
    tm, em = tnn.EmbeddingBag(5, 3, **kw), enn.EmbeddingBag(5, 3, **kw)
    _copy(tm, em)
    t = tm(torch.tensor([1, 1, 2]), torch.tensor([0]))
    e = em(ember.tensor([1, 1, 2]), ember.tensor([0]))
    _close(e, t)
    _same_error(lambda: t.sum().backward(), lambda: e.sum().backward())


# ---------------------------------------------------------------- unpad / unpack
@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_nodes_side_effect_and_grads_match_torch(batch_first: bool) -> None:
    tx, ex = _pair((3, 5, 2), grad=True)
    tp = tx if batch_first else tx.transpose(0, 1) * 1  # a non-leaf the call may transpose
    ep = ex if batch_first else ex.transpose(0, 1) * 1
    t = trnnu.unpad_sequence(tp, torch.tensor([5, 2, 4]), batch_first)
    e = ernnu.unpad_sequence(ep, ember.tensor([5, 2, 4]), batch_first)
    assert tuple(ep.shape) == tuple(tp.shape) and ep.stride() == tp.stride()
    assert [_node(s) for s in e] == [_node(s) for s in t]
    for es, ts in zip(e, t):
        _close(es, ts, 0, 0)
    sum((s * (i + 1)).sum() for i, s in enumerate(t)).backward()
    sum((s * (i + 1)).sum() for i, s in enumerate(e)).backward()
    _close(ex.grad, tx.grad, 0, 0)


def test_unpad_sequence_of_time_major_leaf_refused_as_torch() -> None:
    tx, ex = _pair((5, 3, 2), grad=True)
    _same_error(lambda: trnnu.unpad_sequence(tx.transpose(0, 1), torch.tensor([5, 2, 4])),
                lambda: ernnu.unpad_sequence(ex.transpose(0, 1), ember.tensor([5, 2, 4])))


def test_unpack_sequence_nodes_and_grads_match_torch() -> None:
    seqs = [_pair((n, 3), seed=n, grad=True) for n in (2, 4, 1)]
    tp = trnnu.pack_sequence([s[0] for s in seqs], enforce_sorted=False)
    ep = ernnu.pack_sequence([s[1] for s in seqs], enforce_sorted=False)
    t, e = trnnu.unpack_sequence(tp), ernnu.unpack_sequence(ep)
    assert [_node(s) for s in e] == [_node(s) for s in t]
    sum(s.pow(2).sum() for s in t).backward()
    sum(s.pow(2).sum() for s in e).backward()
    for ts, es in seqs:
        _close(es.grad, ts.grad, 0, 0)


@pytest.mark.parametrize("form", ["batched", "unbatched", "packed_sorted", "packed_unsorted"])
def test_lstm_three_hidden_states_as_torch(form: str) -> None:
    """PyTorch refuses a third state where its kernel sees it, and drops it where the
    unbatched or unsorted path rebuilds the pair."""
    tm, em = tnn.LSTM(3, 4), enn.LSTM(3, 4)
    _copy(tm, em)
    shape = (5, 3) if form == "unbatched" else (5, 2, 3)
    tx, ex = _pair(shape)
    hs = (1, 4) if form == "unbatched" else (1, 2, 4)
    (th, eh), (tc, ec) = _pair(hs, seed=1), _pair(hs, seed=2)
    if form.startswith("packed"):
        lens = [5, 3] if form == "packed_sorted" else [3, 5]
        srt = form == "packed_sorted"
        tx = trnnu.pack_padded_sequence(tx, torch.tensor(lens), enforce_sorted=srt)
        ex = ernnu.pack_padded_sequence(ex, ember.tensor(lens), enforce_sorted=srt)
    try:
        to, _ = tm(tx, (th, tc, tc))
    except RuntimeError:
        _same_error(lambda: tm(tx, (th, tc, tc)), lambda: em(ex, (eh, ec, ec)))
        return
    eo, _ = em(ex, (eh, ec, ec))
    _close(eo.data if form.startswith("packed") else eo, to.data if form.startswith("packed")
           else to)
