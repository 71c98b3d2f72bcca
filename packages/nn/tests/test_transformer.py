"""MultiheadAttention and the Transformer family against PyTorch (eval mode: no dropout)."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_compare import copy_state, run_pair

import ember
import ember.nn as nn

_RNG = np.random.default_rng(11)


def randn(*shape):
    return _RNG.standard_normal(shape)


def _pair(torch, make):
    t, e = make(torch.nn), make(nn)
    copy_state(t, e)
    t.eval()
    e.eval()
    return t, e


@pytest.mark.parametrize("kw", [{}, {"batch_first": True}, {"bias": False},
                                {"add_bias_kv": True, "add_zero_attn": True},
                                {"kdim": 3, "vdim": 5}])
def test_multihead_attention(torch, kw):
    t, e = _pair(torch, lambda n: n.MultiheadAttention(8, 2, **kw))
    kdim, vdim = kw.get("kdim", 8), kw.get("vdim", 8)
    bf = kw.get("batch_first", False)
    q = randn(2, 4, 8) if bf else randn(4, 2, 8)
    k = randn(2, 5, kdim) if bf else randn(5, 2, kdim)
    v = randn(2, 5, vdim) if bf else randn(5, 2, vdim)
    run_pair(torch, t, e, [q, k, v], call=lambda m, q, k, v: m(q, k, v))
    run_pair(torch, t, e, [q, k, v],
             call=lambda m, q, k, v: m(q, k, v, average_attn_weights=False))


def test_multihead_attention_masks(torch):
    t, e = _pair(torch, lambda n: n.MultiheadAttention(8, 2))
    q = randn(4, 2, 8)
    kpm = np.array([[False, False, True, True], [False, False, False, True]])
    mask = np.triu(np.ones((4, 4), bool), 1)
    run_pair(torch, t, e, [q, kpm, mask],
             call=lambda m, q, kpm, mask: m(q, q, q, key_padding_mask=kpm, attn_mask=mask))
    fmask = np.where(mask, -np.inf, 0.0)
    run_pair(torch, t, e, [q, fmask],
             call=lambda m, q, a: m(q, q, q, attn_mask=a, need_weights=False))
    run_pair(torch, t, e, [randn(4, 8)], call=lambda m, q: m(q, q, q))  # unbatched


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_decoder_layers(torch, norm_first, activation):
    kw = dict(dim_feedforward=16, norm_first=norm_first, activation=activation)
    t, e = _pair(torch, lambda n: n.TransformerEncoderLayer(8, 2, **kw))
    run_pair(torch, t, e, [randn(5, 2, 8)])
    t, e = _pair(torch, lambda n: n.TransformerDecoderLayer(8, 2, batch_first=True, **kw))
    run_pair(torch, t, e, [randn(2, 4, 8), randn(2, 5, 8)], call=lambda m, a, b: m(a, b))


def test_transformer(torch):
    t, e = _pair(torch, lambda n: n.Transformer(8, 2, 2, 1, 16, batch_first=True))
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    run_pair(torch, t, e, [randn(2, 5, 8), randn(2, 4, 8), mask.numpy()],
             call=lambda m, s, g, mk: m(s, g, tgt_mask=mk))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        e(ember.randn(2, 5, 8), ember.randn(3, 4, 8))


def test_encoder_with_padding_mask_and_callable_activation(torch):
    def make(n):
        layer = n.TransformerEncoderLayer(8, 2, 16, activation=n.GELU())
        return n.TransformerEncoder(layer, 2, norm=n.LayerNorm(8))

    t, e = _pair(torch, make)
    assert repr(e) == repr(t)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    run_pair(torch, t, e, [randn(5, 2, 8), kpm],
             call=lambda m, x, k: m(x, src_key_padding_mask=k), grad=False)


@pytest.mark.parametrize("bias", [True, False])
def test_batch_first_self_attention_without_masks(torch, bias):
    # self-attention of one batch-first tensor takes the heads as views of the projection
    t, e = _pair(torch, lambda n: n.MultiheadAttention(8, 2, batch_first=True, bias=bias))
    t.train()
    e.train()
    run_pair(torch, t, e, [randn(3, 5, 8)], call=lambda m, x: m(x, x, x, need_weights=False))
    x = ember.randn(3, 5, 8)
    out = e(x, x, x, need_weights=False)[0]
    tx = torch.tensor(x.numpy())
    tout = t(tx, tx, tx, need_weights=False)[0]
    assert out.stride() == tout.stride()
    assert out.grad_fn.name() == tout.grad_fn.name()
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    assert tuple(layer(x).shape) == (3, 5, 8)


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("padding", [[[False, False, True], [False, False, False]],
                                     [[True, False, False], [False, False, False]]])
def test_encoder_padding_outputs_follow_the_nested_path(torch, grad, padding):
    """In evaluation without a graph, PyTorch's encoder runs on nested tensors and gives zeros
    (then the final norm) at padded positions; with a graph, or padding not at the ends, it
    computes them like any position."""
    import warnings

    def make(n):
        layer = n.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        return n.TransformerEncoder(layer, 2, norm=n.LayerNorm(8))

    t, e = _pair(torch, make)
    x = randn(2, 3, 8).astype("float32")
    outs = []
    for lib, m in ((torch, t), (ember, e)):
        mask = lib.tensor(padding)
        with lib.set_grad_enabled(grad):
            outs.append(m(lib.tensor(x), src_key_padding_mask=mask).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    assert any("use_nested_tensor is False because" in str(w.message) for w in caught)
    assert e.use_nested_tensor


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True},
                                {"batch_first": True, "activation": "tanh"},
                                {"batch_first": True, "nhead": 1, "d_model": 8},
                                {"batch_first": True, "bias": False}])
def test_encoder_nested_tensor_warning_matches_pytorch(torch, kw):
    """Why the nested-tensor path is off, in PyTorch's words (or no warning when it is on)."""
    import warnings

    def reason(n, lib):
        args = dict(d_model=8, nhead=2, dim_feedforward=16)
        args.update(kw)
        if args.get("activation") == "tanh":  # not relu or gelu: a callable
            args["activation"] = lib.tanh
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enc = n.TransformerEncoder(n.TransformerEncoderLayer(**args), 1)
        return [str(w.message) for w in caught if "nested" in str(w.message)], \
            enc.use_nested_tensor

    assert reason(nn, ember) == reason(torch.nn, torch)
