"""Behaviours found by running PyTorch tutorial-style programs on Ember, compared with
PyTorch: the Transformer encoder turns its masks into float masks up front, so mixed mask
types warn once with the encoder's names and the layers see one mask type."""

from __future__ import annotations

import warnings

import pytest

import ember
from ember.testing import assert_close


def _warned(fn, *args, **kwargs) -> tuple:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    msgs = sorted({str(w.message) for w in got if "mismatched" in str(w.message)})
    return out, msgs


def _encoder(lib, batch_first: bool):
    lib.manual_seed(4)
    layer = lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=batch_first)
    return layer, lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("which", ["encoder", "layer"])
def test_mixed_mask_types_warn_like_pytorch(torch, batch_first, which):
    results = []
    for lib in (ember, torch):
        layer, enc = _encoder(lib, batch_first)
        lib.manual_seed(5)
        x = lib.randn(3, 5, 8) if batch_first else lib.randn(5, 3, 8)
        kpm = lib.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
        mask = lib.nn.Transformer.generate_square_subsequent_mask(5)
        if which == "encoder":
            results.append(_warned(enc, x, mask=mask, src_key_padding_mask=kpm))
        else:
            results.append(_warned(layer, x, src_mask=mask, src_key_padding_mask=kpm))
    (out_e, msgs_e), (out_t, msgs_t) = results
    assert msgs_e == msgs_t and msgs_t
    assert_close(out_e, out_t, rtol=1e-5, atol=1e-5)


def test_bool_causal_mask_and_float_padding_mask(torch):
    outs = []
    for lib in (ember, torch):
        _, enc = _encoder(lib, True)
        lib.manual_seed(6)
        x = lib.randn(2, 4, 8)
        mask = lib.ones(4, 4, dtype=lib.bool).triu(1)
        kpm = lib.zeros(2, 4)
        kpm[1, 3] = float("-inf")
        outs.append(_warned(enc, x, mask=mask, src_key_padding_mask=kpm))
    assert outs[0][1] == outs[1][1]
    assert_close(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-5)
