"""Module sweep, part 2: ``ember.nn.attention.bias`` (causal_upper_left / causal_lower_right)
against PyTorch: the bias objects, their masks, attention outputs and gradients through
``scaled_dot_product_attention``, and their refusals."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.nn.attention import bias as ebias
from ember.testing import assert_close


def _bias(torch: Any) -> Any:
    return importlib.import_module("torch.nn.attention.bias")


def _qkv(lib: Any, lq: int, lk: int, dtype: Any) -> tuple:
    rng = np.random.default_rng(lq * 10 + lk)
    shapes = ((2, 3, lq, 4), (2, 3, lk, 4), (2, 3, lk, 5))
    return tuple(lib.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True)
                 for s in shapes)


@pytest.mark.parametrize("variant", ["causal_upper_left", "causal_lower_right"])
@pytest.mark.parametrize("lq,lk", [(3, 3), (2, 5), (5, 2), (1, 4)])
def test_causal_bias_object(torch, variant, lq, lk):
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        eb = getattr(ebias, variant)(lq, lk)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tb = getattr(_bias(torch), variant)(lq, lk)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert isinstance(eb, ember.Tensor) and isinstance(eb, ebias.CausalBias)
    assert (int(eb.variant), eb.seq_len_q, eb.seq_len_kv) == (int(tb.variant), tb.seq_len_q,
                                                                tb.seq_len_kv)
    assert_close(eb._materialize(), tb._materialize())
    assert repr(eb) == repr(tb)


@pytest.mark.parametrize("variant", ["causal_upper_left", "causal_lower_right"])
@pytest.mark.parametrize("lq,lk", [(3, 3), (2, 5), (5, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sdpa_with_causal_bias(torch, variant, lq, lk, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eb, tb = getattr(ebias, variant)(lq, lk), getattr(_bias(torch), variant)(lq, lk)
    eq, tq = _qkv(ember, lq, lk, getattr(ember, dtype)), _qkv(torch, lq, lk, getattr(torch, dtype))
    eo = ember.nn.functional.scaled_dot_product_attention(*eq, attn_mask=eb, scale=0.7)
    to = torch.nn.functional.scaled_dot_product_attention(*tq, attn_mask=tb, scale=0.7)
    assert_close(eo, to)
    w = np.random.default_rng(3).standard_normal(tuple(to.shape))
    (eo * ember.tensor(w, dtype=eo.dtype)).sum().backward()
    (to * torch.tensor(w, dtype=to.dtype)).sum().backward()
    for e, t in zip(eq, tq):
        assert_close(e.grad, t.grad)


def test_lower_right_equals_its_mask(torch):
    """The bias and its materialized mask give the same attention (and gradcheck in float64)."""
    q, k, v = (t.detach().requires_grad_() for t in _qkv(ember, 2, 5, ember.float64))
    b = ebias.causal_lower_right(2, 5)
    f = ember.nn.functional.scaled_dot_product_attention
    assert_close(f(q, k, v, attn_mask=b), f(q, k, v, attn_mask=b._materialize()))
    assert ember.autograd.gradcheck(lambda a, b_, c: f(a, b_, c, attn_mask=b), (q, k, v))


@pytest.mark.parametrize("case", ["with_is_causal", "three_sizes", "int_variant"])
def test_causal_bias_refusals(torch, case):
    def call(mod: Any, lib: Any) -> Any:
        if case == "with_is_causal":
            q = _qkv(lib, 2, 4, lib.float32)
            return lib.nn.functional.scaled_dot_product_attention(
                *q, attn_mask=mod.causal_lower_right(2, 4), is_causal=True)
        if case == "three_sizes":
            return mod.causal_upper_left(2, 3, 4)
        return mod.CausalBias(2, 3, 4)

    outcomes = []
    for mod, lib in ((ebias, ember), (_bias(torch), torch)):
        with pytest.raises(Exception) as info:
            call(mod, lib)
        outcomes.append((info.type, str(info.value)))
    assert outcomes[0][0].__name__ == outcomes[1][0].__name__
    assert outcomes[0][1] == outcomes[1][1]


def test_bias_is_reachable_as_attribute():
    assert ember.nn.attention.bias is ebias
    assert ebias.CausalVariant.LOWER_RIGHT == 2 and ebias.CausalVariant.UPPER_LEFT == 1
