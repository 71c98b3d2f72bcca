"""Session 22: attention and Transformer programs run side by side with PyTorch, and the
differences they exposed: ``enable_gqa`` with key and value head counts that differ, the
masks of the fused inference encoder layer (PyTorch adds them and hides every key where the
sum is not zero) and its mask shape errors, the nested-tensor encoder path with a float
padding mask, and that path's prototype warning.

Every test runs the same inputs through torch and Ember and compares values, dtypes or error
types and messages with torch's.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn as enn
import ember.nn.functional as EF
import ember.nn.modules.transformer as etransformer

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def _pair(make, *, eval_mode: bool = True):
    """The module built by ``make(torch.nn)`` and by ``make(ember.nn)``, same state."""
    torch.manual_seed(0)
    t = make(torch.nn)
    e = make(enn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    if eval_mode:
        t.eval()
        e.eval()
    return t, e


def _same(a, b, tol: float = 1e-5) -> None:
    a = a.detach().numpy()
    b = b.detach().numpy()
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True)


# PyTorch's messages compared as they are (no torch.Size rewording)
_raises_same = functools.partial(raises_same, size_as_ember=False)


def _both(fn, *arrays):
    """``fn`` on torch tensors and on Ember tensors of the same arrays (None kept)."""
    tt = [None if a is None else torch.tensor(a) for a in arrays]
    ee = [None if a is None else ember.tensor(a) for a in arrays]
    return (lambda: fn(torch, tt)), (lambda: fn(ember, ee))


# ------------------------------------------------------------------ SDPA enable_gqa
_GQA = [((2, 4, 4, 8), (2, 2, 6, 8), (2, 1, 6, 8)),
        ((2, 4, 4, 8), (2, 2, 6, 8), (2, 4, 6, 8)),   # only the key repeated
        ((2, 4, 4, 8), (2, 4, 6, 8), (2, 2, 6, 8)),   # only the value repeated
        ((4, 4, 8), (2, 6, 8), (2, 6, 8))]            # 3-D: heads are dim 0


@pytest.mark.parametrize("shapes", _GQA)
def test_sdpa_enable_gqa_values_and_grads(shapes: tuple) -> None:
    arrays = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in arrays)
    eq, ek, ev = (ember.tensor(a, requires_grad=True) for a in arrays)
    ot = F.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    oe = EF.scaled_dot_product_attention(eq, ek, ev, enable_gqa=True)
    _same(ot, oe)
    ot.pow(2).sum().backward()
    oe.pow(2).sum().backward()
    for t, e in ((tq, eq), (tk, ek), (tv, ev)):
        _same(t.grad, e.grad)


@pytest.mark.parametrize("shapes", [((2, 4, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)),
                                    ((2, 4, 4, 8), (2, 2, 6, 8), (2, 3, 6, 8)),
                                    ((2, 4, 4, 8), (2, 3, 6, 8), (2, 2, 6, 8)),
                                    ((4, 4, 8), (3, 6, 8), (3, 6, 8)),
                                    ((4, 8), (6, 8), (6, 8))])
def test_sdpa_enable_gqa_errors(shapes: tuple) -> None:
    arrays = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    _raises_same(*_both(lambda lib, a: lib.nn.functional.scaled_dot_product_attention(
        *a, enable_gqa=True), *arrays))


# ------------------------------------------------------------------ fused encoder layer masks
_KPM = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], bool)
_KPM_MASKS = {"none": None, "bool": _KPM, "float01": _KPM.astype("float32"),
              "float_inf": np.where(_KPM, -np.inf, 0).astype("float32")}
_SRC_MASKS = {"none": None, "float": _rand(5, 5, seed=3),
              "bool": np.random.RandomState(4).rand(5, 5) > 0.5,
              "zeros": np.zeros((5, 5), "float32")}


@pytest.mark.parametrize("kpm", list(_KPM_MASKS))
@pytest.mark.parametrize("src_mask", list(_SRC_MASKS))
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_fast_path_masks(kpm: str, src_mask: str, norm_first: bool) -> None:
    """Evaluation without a graph, batch first: PyTorch's fused layer hides every key whose
    summed (float) mask is not zero, and gives NaN rows where all are hidden."""
    t, e = _pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                       norm_first=norm_first))
    x = _rand(3, 5, 8)
    km, am = _KPM_MASKS[kpm], _SRC_MASKS[src_mask]
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
            a[0], src_mask=a[1], src_key_padding_mask=a[2]), x, am, km)
        _same(ot(), oe())


def test_encoder_layer_fast_path_masks_with_grad_take_the_general_path() -> None:
    t, e = _pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True))
    ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
        a[0], src_key_padding_mask=a[1]), _rand(3, 5, 8), _KPM.astype("float32"))
    _same(ot(), oe())


@pytest.mark.parametrize("kpm_shape,mask_shape", [
    ((5, 3), None), ((3, 4), None), ((3, 6), None), ((15,), None), ((3, 5), (4, 4)),
    ((3, 4), (5, 5)), (None, (4, 4)), (None, (4, 5, 5)), (None, (3, 5, 5))])
def test_encoder_layer_fast_path_mask_shape_errors(kpm_shape, mask_shape) -> None:
    t, e = _pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True))
    km = None if kpm_shape is None else np.zeros(kpm_shape, bool)
    am = None if mask_shape is None else np.zeros(mask_shape, bool)
    with torch.no_grad(), ember.no_grad():
        _raises_same(*_both(lambda lib, a: (t if lib is torch else e)(
            a[0], src_mask=a[1], src_key_padding_mask=a[2]), _rand(3, 5, 8), am, km))


# ------------------------------------------------------------------ nested-tensor encoder path
def _encoder(nn):
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    return nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))


@pytest.mark.parametrize("kpm", ["bool", "float01", "float_inf"])
def test_encoder_nested_path_padding_mask_kinds(kpm: str) -> None:
    """The nested path drops the padded positions whatever the float mask's values are,
    and leaves zeros there."""
    t, e = _pair(_encoder)
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
            a[0], src_key_padding_mask=a[1]), _rand(3, 5, 8), _KPM_MASKS[kpm])
        _same(ot(), oe())


def test_encoder_nested_path_warns_once() -> None:
    """PyTorch's prototype warning for nested tensors, once a process."""
    _, e = _pair(_encoder)
    x, km = ember.tensor(_rand(3, 5, 8)), ember.tensor(_KPM)
    etransformer._NESTED_WARNED[0] = False
    with ember.no_grad(), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        e(x, src_key_padding_mask=km)
        e(x, src_key_padding_mask=km)
        e(x)  # no padding mask: no nested path
    msgs = [str(m.message) for m in w if "nested tensors" in str(m.message)]
    assert len(msgs) == 1
    assert msgs[0].startswith("The PyTorch API of nested tensors is in prototype stage")
    assert w[0].category is UserWarning
    with warnings.catch_warnings(record=True) as w:  # the general path does not warn
        warnings.simplefilter("always")
        etransformer._NESTED_WARNED[0] = False
        e.train()(x, src_key_padding_mask=km)
    assert not [m for m in w if "nested tensors" in str(m.message)]


# ------------------------------------------------------------------ SDPA mask broadcasting
_MASK_CASES = [((5, 3, 8), (4, 3)), ((5, 3, 8), (2, 3, 3)), ((5, 3, 8), (5, 4, 3)),
               ((2, 5, 3, 8), (3, 5, 4, 3)), ((5, 3, 8), (2, 1, 3, 3)),
               ((2, 5, 3, 8), (2, 2, 5, 3, 3)), ((3, 8), (2, 3, 3)), ((3, 8), (1, 3, 3)),
               ((1, 5, 3, 8), (2, 1, 3, 3)), ((2, 2, 2, 3, 8), (3, 3, 3)),
               ((2, 2, 2, 3, 8), (2, 3, 2, 3, 3))]


@pytest.mark.parametrize("q_shape,m_shape", _MASK_CASES)
@pytest.mark.parametrize("boolean", [False, True])
def test_sdpa_mask_shape_errors(q_shape: tuple, m_shape: tuple, boolean: bool) -> None:
    """PyTorch adds the mask in place to the scores (3-D operands as (1, B, L, S)): it names
    the last dimension that disagrees, and refuses a mask that would grow the scores."""
    q = _rand(*q_shape)
    m = _rand(*m_shape, seed=1) > 0 if boolean else _rand(*m_shape, seed=1)
    _raises_same(*_both(lambda lib, a: lib.nn.functional.scaled_dot_product_attention(
        a[0], a[0], a[0], attn_mask=a[1]), q, m))


@pytest.mark.parametrize("m_shape", [(1, 1, 3, 3), (1, 5, 3, 3), (1, 5, 1, 3)])
def test_sdpa_3d_operands_take_a_4d_mask(m_shape: tuple) -> None:
    """A 4-D mask with a leading 1 over 3-D operands: the output keeps their shape; the
    mask's gradient keeps the mask's."""
    arrays = [_rand(5, 3, 8, seed=i) for i in range(3)] + [_rand(*m_shape, seed=7)]
    tq, tk, tv, tm = (torch.tensor(a, requires_grad=True) for a in arrays)
    eq, ek, ev, em = (ember.tensor(a, requires_grad=True) for a in arrays)
    ot = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    oe = EF.scaled_dot_product_attention(eq, ek, ev, attn_mask=em)
    _same(ot, oe)
    ot.pow(2).sum().backward()
    oe.pow(2).sum().backward()
    for t, e in ((tq, eq), (tk, ek), (tv, ev), (tm, em)):
        _same(t.grad, e.grad)


@pytest.mark.parametrize("eval_no_grad", [True, False])
@pytest.mark.parametrize("stack", [False, True])
def test_encoder_is_causal_without_mask(eval_no_grad: bool, stack: bool) -> None:
    """``is_causal=True`` and no mask: PyTorch's fused inference layer ignores the hint (the
    full attention); its general path wants the mask (RuntimeError)."""
    def make(nn):
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False) if stack else layer

    t, e = _pair(make, eval_mode=eval_no_grad)
    ot, oe = _both(lambda lib, a: (t if lib is torch else e)(a[0], is_causal=True),
                   _rand(3, 6, 8))
    if eval_no_grad:
        with torch.no_grad(), ember.no_grad():
            _same(ot(), oe())
    else:
        _raises_same(ot, oe)


# ------------------------------------------------------------------ multi_head_attention_forward
def _mha_fn(lib, a, **kw):
    """``F.multi_head_attention_forward`` over (5, 3, 8) queries, 6 keys, 2 heads."""
    q, k, w, b, wo, bo = a[:6]
    extra = dict(zip(("static_k", "static_v", "bias_k", "bias_v", "attn_mask"), a[6:]))
    bias_k, bias_v = extra.pop("bias_k"), extra.pop("bias_v")
    return lib.nn.functional.multi_head_attention_forward(
        q, k, k, 8, 2, w, b, bias_k, bias_v, False, 0.0, wo, bo, training=False, **extra, **kw)


def _mha_arrays(static_k=None, static_v=None, bias_k=None, bias_v=None, attn_mask=None):
    shapes = [(5, 3, 8), (6, 3, 8), (24, 8), (24,), (8, 8), (8,)]
    base = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    extra = [None if s is None else _rand(*s, seed=10 + i)
             for i, s in enumerate((static_k, static_v, bias_k, bias_v, attn_mask))]
    return base + extra


@pytest.mark.parametrize("kw", [
    {"static_k": (5, 6, 4), "static_v": (6, 6, 4)}, {"static_k": (6, 6, 3), "static_v": (6, 6, 4)},
    {"static_k": (6, 6, 4), "static_v": (4, 6, 4)}, {"static_k": (6, 6, 4), "static_v": (6, 6, 3)},
    {"static_k": (6, 6, 4), "bias_k": (1, 1, 8), "bias_v": (1, 1, 8)},
    {"static_v": (6, 6, 4), "bias_k": (1, 1, 8), "bias_v": (1, 1, 8)},
    {"bias_k": (1, 1, 8)}, {"bias_v": (1, 1, 8)},
    {"static_k": (6, 7, 4), "static_v": (6, 7, 4), "attn_mask": (5, 6)}])
def test_multi_head_attention_forward_errors(kw: dict) -> None:
    """PyTorch's assertions on static keys/values and bias_k/bias_v, and ``baddbmm``'s
    expand error for a mask that does not fit the static keys (need_weights)."""
    _raises_same(*_both(_mha_fn, *_mha_arrays(**kw)))


@pytest.mark.parametrize("need_weights", [True, False])
def test_multi_head_attention_forward_static_kv(need_weights: bool) -> None:
    ot, oe = _both(lambda lib, a: _mha_fn(lib, a, need_weights=need_weights),
                   *_mha_arrays(static_k=(6, 6, 4), static_v=(6, 6, 4), attn_mask=(5, 6)))
    (t_out, t_w), (e_out, e_w) = ot(), oe()
    _same(t_out, e_out)
    assert (t_w is None) == (e_w is None)
    if t_w is not None:
        _same(t_w, e_w)


# ------------------------------------------------------------------ MultiheadAttention fast path
_MHA_FAST_MASKS = [((5, 3), None), ((3, 4), None), ((3, 6), None), ((15,), None), ((5,), None),
                   ((3, 5), (4, 4)), ((3, 4), (5, 5)), (None, (4, 4)), (None, (4, 5, 5)),
                   (None, (3, 5, 5)), (None, (1, 5, 5)), ((3, 5), (6, 5, 5)),
                   ((3, 5), (3, 5, 5)), ((1, 5), None)]


@pytest.mark.parametrize("kpm_shape,mask_shape", _MHA_FAST_MASKS)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fast_path_mask_shapes(kpm_shape, mask_shape, need_weights: bool) -> None:
    """Evaluation without a graph, batch-first self-attention with boolean masks: PyTorch's
    fused kernel merges the masks per head, with its own shape errors (and takes a (N, L, L)
    mask with a padding mask)."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=True))
    rs = np.random.RandomState(5)
    km = None if kpm_shape is None else rs.rand(*kpm_shape) > 0.7
    am = None if mask_shape is None else rs.rand(*mask_shape) > 0.7
    ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
        a[0], a[0], a[0], key_padding_mask=a[1], attn_mask=a[2], need_weights=need_weights),
        _rand(3, 5, 8), km, am)
    with torch.no_grad(), ember.no_grad():
        try:
            rt = ot()
        except Exception:
            _raises_same(ot, oe)
            return
        re = oe()
    _same(rt[0], re[0])
    assert (rt[1] is None) == (re[1] is None)
    if rt[1] is not None:
        _same(rt[1], re[1])


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("eval_no_grad", [True, False])
def test_mha_is_causal_without_mask(need_weights: bool, eval_no_grad: bool) -> None:
    """PyTorch's fused kernel ignores ``is_causal`` (full attention); its general path wants
    the mask."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=True),
                 eval_mode=eval_no_grad)
    ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
        a[0], a[0], a[0], is_causal=True, need_weights=need_weights), _rand(3, 5, 8))
    if not eval_no_grad:
        _raises_same(ot, oe)
        return
    with torch.no_grad(), ember.no_grad():
        rt, re = ot(), oe()
    _same(rt[0], re[0])
    if need_weights:
        _same(rt[1], re[1])


@pytest.mark.parametrize("mask_check", [True, False])
@pytest.mark.parametrize("rows", [[[0, 1, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]],
                                  [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 1, 1, 1, 0]]])
def test_encoder_nested_path_padding_not_at_the_end(mask_check: bool, rows: list) -> None:
    """Without ``mask_check`` PyTorch's nested path keeps each row's first (number of valid)
    positions and leaves zeros after them; with it such masks take the padded path."""
    t, e = _pair(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, mask_check=mask_check))
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
            a[0], src_key_padding_mask=a[1]), _rand(3, 5, 8), np.array(rows, bool))
        _same(ot(), oe())


def test_encoder_nested_path_all_padded() -> None:
    t, e = _pair(_encoder)
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_same(*_both(lambda lib, a: (t if lib is torch else e)(
            a[0], src_key_padding_mask=a[1]), _rand(3, 5, 8), np.ones((3, 5), bool)))


# ------------------------------------------------------------------ a tiny seq2seq, trained
def _seq2seq(lib, src: np.ndarray, tgt: np.ndarray, state: dict | None, steps: int = 4):
    """Embedding + nn.Transformer (batch first, padding masks, causal target mask, dropout)
    + Linear, trained with Adam (Ember from ``state``, torch's initial state): the initial
    state, the losses, the eval logits and the state_dict keys."""
    nn = lib.nn
    vocab, dim = 11, 16

    class Seq2Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(vocab, dim)
            self.tf = nn.Transformer(dim, 2, 2, 2, 32, dropout=0.1, batch_first=True)
            self.out = nn.Linear(dim, vocab)

        def forward(self, src, tgt, sk, tk):
            mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
            h = self.tf(self.emb(src), self.emb(tgt), tgt_mask=mask, src_key_padding_mask=sk,
                        tgt_key_padding_mask=tk, memory_key_padding_mask=sk, tgt_is_causal=True)
            return self.out(h)

    lib.manual_seed(0)
    model = Seq2Seq()
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    init = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    src_t, tgt_t = lib.tensor(src), lib.tensor(tgt)
    sk, tk = src_t == 0, tgt_t == 0
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    losses = []
    lib.manual_seed(1)  # the same dropout masks
    for _ in range(steps):
        opt.zero_grad()
        logits = model(src_t, tgt_t[:, :-1], sk, tk[:, :-1])
        loss = loss_fn(logits.reshape(-1, vocab), tgt_t[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with lib.no_grad():
        logits = model(src_t, tgt_t[:, :-1], sk, tk[:, :-1])
    return init, np.array(losses), logits.numpy(), list(model.state_dict())


def test_seq2seq_training_matches_torch() -> None:
    rs = np.random.RandomState(2)
    src, tgt = rs.randint(1, 11, (4, 7)), rs.randint(1, 11, (4, 6))
    src[0, 5:] = 0
    tgt[1, 4:] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state, lt, ot, kt = _seq2seq(torch, src, tgt, None)
        _, le, oe, ke = _seq2seq(ember, src, tgt, state)
    assert ke == kt
    np.testing.assert_allclose(le, lt, rtol=1e-5)
    np.testing.assert_allclose(oe, ot, rtol=1e-4, atol=1e-4)  # after 4 Adam steps at lr 1e-2


@pytest.mark.parametrize("approximate", ["tanh", "none"])
@pytest.mark.parametrize("padding", [False, True])
def test_encoder_layer_fast_path_gelu_module(approximate: str, padding: bool) -> None:
    """PyTorch's fused layer runs any ``nn.GELU`` module as the exact GELU; the general path
    (with a graph) keeps its ``approximate``."""
    t, e = _pair(lambda nn: nn.TransformerEncoderLayer(
        8, 2, 16, batch_first=True, activation=nn.GELU(approximate=approximate)))
    km = np.array([[0, 0, 0, 1, 1]] * 3, bool) if padding else None
    ot, oe = _both(lambda lib, a: (t if lib is torch else e)(a[0], src_key_padding_mask=a[1]),
                   _rand(3, 5, 8) * 3, km)
    with torch.no_grad(), ember.no_grad():
        _same(ot(), oe())
    _same(ot(), oe())


@pytest.mark.parametrize("mask_check", [True, False])
@pytest.mark.parametrize("kpm_shape", [(3, 4), (3, 6), (5, 3), (15,)])
@pytest.mark.parametrize("no_grad", [True, False])
def test_encoder_nested_path_mask_shape_errors(mask_check: bool, kpm_shape: tuple,
                                               no_grad: bool) -> None:
    """PyTorch's encoder checks the padding mask for its nested path (with ``mask_check``
    even with a graph), else its layers refuse it."""
    t, e = _pair(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, mask_check=mask_check))
    fns = _both(lambda lib, a: (t if lib is torch else e)(a[0], src_key_padding_mask=a[1]),
                _rand(3, 5, 8), np.zeros(kpm_shape, bool))
    with torch.set_grad_enabled(not no_grad), ember.set_grad_enabled(not no_grad), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_same(*fns)


def test_encoder_fastpath_disabled_takes_the_padded_path() -> None:
    t, e = _pair(_encoder)
    km = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    torch.backends.mha.set_fastpath_enabled(False)
    ember.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), ember.no_grad(), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ot, oe = _both(lambda lib, a: (t if lib is torch else e)(
                a[0], src_key_padding_mask=a[1]), _rand(3, 5, 8), km)
            _same(ot(), oe())
        assert not [m for m in w if "nested tensors" in str(m.message)]
    finally:
        torch.backends.mha.set_fastpath_enabled(True)
        ember.backends.mha.set_fastpath_enabled(True)


@pytest.mark.parametrize("kpm_dtype,mask_dtype", [("bool", "float64"), ("bool", "float32"),
                                                  ("float32", "bool"), ("float64", "float32"),
                                                  ("bool", "bool"), ("float32", "float32")])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_mixed_mask_types_warn_as_torch(kpm_dtype: str, mask_dtype: str,
                                            need_weights: bool) -> None:
    """PyTorch's module and its functional form each read the masks: mixed types warn once
    or twice (the module's float padding mask may still differ from the attention mask)."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2))
    km = np.zeros((3, 5), kpm_dtype)
    am = np.zeros((5, 5), mask_dtype)
    fns = _both(lambda lib, a: (t if lib is torch else e)(
        a[0], a[0], a[0], key_padding_mask=a[1], attn_mask=a[2], need_weights=need_weights),
        _rand(5, 3, 8), km, am)
    got = []
    for fn in fns:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                fn()
                outcome = None
            except RuntimeError as err:
                outcome = str(err)
        got.append(([str(m.message) for m in w], outcome))
    assert got[1] == got[0]


@pytest.mark.parametrize("default", ["cpu", "context"])
def test_a_default_device_turns_the_fast_paths_off_as_in_torch(default):
    """PyTorch's default device is a __torch_function__ mode: while one is set, its encoder's
    nested path and fused layer are not taken (padded positions are computed, not zeros)."""
    t, e = _pair(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), num_layers=2))
    x = _rand(3, 5, 8)
    pad = np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
    outs = []
    for lib, mod in ((torch, t), (ember, e)):
        args = (lib.tensor(x), lib.tensor(pad))
        with lib.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = mod(args[0], src_key_padding_mask=args[1])
            if default == "cpu":
                lib.set_default_device("cpu")
                try:
                    under = mod(args[0], src_key_padding_mask=args[1])
                finally:
                    lib.set_default_device(None)
            else:
                with lib.device("cpu"):
                    under = mod(args[0], src_key_padding_mask=args[1])
        outs.append((plain.numpy(), under.numpy()))
    (tp, tu), (ep, eu) = outs
    assert not np.allclose(tp, tu)  # the case differs in torch itself
    np.testing.assert_allclose(ep, tp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eu, tu, rtol=1e-5, atol=1e-6)
