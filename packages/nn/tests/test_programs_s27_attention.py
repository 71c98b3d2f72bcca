"""Session 27: attention and Transformer programs run side by side with PyTorch, and the
differences they exposed: PyTorch's CPU flash kernel hides the causal positions before it
scales the scores (a scale that is not positive gives NaN rows), and 3-D operands whose batch
sizes disagree are refused as the 4-D operands they run as.

Every test runs the same inputs through torch and Ember and compares values, dtypes or error
types and messages with torch's.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional

_raises_same = functools.partial(raises_same, size_as_ember=False)


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def _same(a, b, tol: float = 1e-6) -> None:
    a = a.detach().float().numpy()
    b = b.detach().float().numpy()
    assert a.shape == b.shape
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True)


# ------------------------------------------------------------------ causal, scale <= 0
@pytest.mark.parametrize("shape", [(1, 2, 3, 4), (2, 3, 4), (1, 1, 4, 4), (3, 4), (1, 1, 1, 2, 4)])
@pytest.mark.parametrize("scale", [-0.5, 0.0, 0.25])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_sdpa_causal_scale_not_positive(shape: tuple, scale: float, dtype: str) -> None:
    """The flash kernel (4-D and unsqueezed 3-D operands) scales ``-inf`` by the scale:
    NaN rows where any key is hidden; the math path (2-D, 5-D) adds the mask after."""
    q = _rand(*shape, seed=1).astype(dtype)
    k = _rand(*shape[:-2], 5, shape[-1], seed=2).astype(dtype)
    v = _rand(*shape[:-2], 5, shape[-1], seed=3).astype(dtype)
    ot = F.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                        is_causal=True, scale=scale)
    oe = EF.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                         is_causal=True, scale=scale)
    assert str(oe.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1]
    _same(ot, oe, 1e-3 if dtype == "float16" else 1e-5)


def test_sdpa_causal_negative_scale_square_half_rows() -> None:
    """A square half-precision causal product: only the last row sees every key (not NaN)."""
    q = _rand(1, 1, 3, 2, seed=4).astype("float16")
    ot = F.scaled_dot_product_attention(*(torch.tensor(q),) * 3, is_causal=True, scale=-0.5)
    oe = EF.scaled_dot_product_attention(*(ember.tensor(q),) * 3, is_causal=True, scale=-0.5)
    _same(ot, oe, 1e-3)


# ------------------------------------------------------------------ shape errors
@pytest.mark.parametrize("shapes", [((2, 3, 4), (3, 3, 4), (3, 3, 4)),
                                    ((2, 3, 4), (2, 3, 4), (3, 3, 4)),
                                    ((1, 2, 3, 4), (1, 3, 3, 4), (1, 3, 3, 4)),
                                    ((2, 3, 4), (2, 3, 5), (2, 3, 4))])
def test_sdpa_batch_mismatch_errors(shapes: tuple) -> None:
    """3-D operands run as 4-D ones: a batch mismatch names dimension 1."""
    arrays = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    _raises_same(lambda: F.scaled_dot_product_attention(*map(torch.tensor, arrays)),
                 lambda: EF.scaled_dot_product_attention(*map(ember.tensor, arrays)))


# ------------------------------------------------------------------ layer attributes
@pytest.mark.parametrize("activation", ["relu", "gelu", "fn", "module"])
@pytest.mark.parametrize("cls", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
def test_layer_activation_relu_or_gelu_attribute(cls: str, activation: str) -> None:
    """Only the encoder layer (which has a fused path) keeps ``activation_relu_or_gelu``."""
    def make(lib):
        act = {"relu": "relu", "gelu": "gelu", "fn": lib.nn.functional.gelu,
               "module": lib.nn.GELU()}[activation]
        return getattr(lib.nn, cls)(4, 2, 8, activation=act)
    t, e = make(torch), make(ember)
    assert hasattr(e, "activation_relu_or_gelu") == hasattr(t, "activation_relu_or_gelu")
    assert getattr(e, "activation_relu_or_gelu", None) == getattr(t, "activation_relu_or_gelu",
                                                                   None)
    assert sorted(vars(e)) == sorted(k for k in vars(t) if k in vars(e) or not k.startswith("_"))


# ------------------------------------------------------------------ warning location
@pytest.mark.parametrize("direct", [True, False])
def test_mismatched_masks_warning_points_into_the_library(direct: bool) -> None:
    """PyTorch's warning on a bool padding mask with a float attention mask names the line of
    its own code that read the masks (stacklevel 2), not the user's."""
    import os
    import warnings

    x = _rand(3, 2, 4)
    kpm = np.zeros((2, 3), bool)
    am = np.zeros((3, 3), "float32")

    def call(lib):
        lib.manual_seed(0)
        if direct:
            w = lib.randn(12, 4)
            return lib.nn.functional.multi_head_attention_forward(
                *(lib.tensor(x),) * 3, 4, 2, w, lib.zeros(12), None, None, False, 0.0,
                lib.randn(4, 4), lib.zeros(4), key_padding_mask=lib.tensor(kpm),
                attn_mask=lib.tensor(am))
        return lib.nn.MultiheadAttention(4, 2)(*(lib.tensor(x),) * 3,
                                               key_padding_mask=lib.tensor(kpm),
                                               attn_mask=lib.tensor(am))

    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            call(lib)
        msgs = [w for w in rec if "mismatched key_padding_mask" in str(w.message)]
        assert msgs, lib.__name__
        # a file of the library's own package (Ember's spans several source folders)
        assert all(lib.__name__ in os.path.abspath(w.filename).split(os.sep)
                   and os.path.abspath(w.filename) != os.path.abspath(__file__)
                   for w in msgs), (lib.__name__, [w.filename for w in msgs])


# ------------------------------------------------------------------ separate projections
@pytest.mark.parametrize("missing", ["q", "k", "v", "qk", "kv", "qkv"])
def test_mha_forward_separate_proj_weight_missing(missing: str) -> None:
    """``use_separate_proj_weight`` with a projection weight left out: PyTorch names the first
    one missing."""
    x = _rand(3, 2, 4)
    ws = {n: (None if n in missing else _rand(4, 4, seed=i)) for i, n in enumerate("qkv")}

    def call(lib):
        t = lib.tensor(x)
        w = {f"{n}_proj_weight": None if a is None else lib.tensor(a) for n, a in ws.items()}
        return lib.nn.functional.multi_head_attention_forward(
            t, t, t, 4, 2, None, lib.zeros(12), None, None, False, 0.0, lib.eye(4),
            lib.zeros(4), use_separate_proj_weight=True, **w)
    _raises_same(lambda: call(torch), lambda: call(ember))


# ------------------------------------------------------------------ output layouts
def _strided(kind: str, seed: int):
    """A (2, 3, 5, 4) operand (or 3-D) in the layouts programs make; the array and a maker."""
    a = _rand(2, 5, 3, 4, seed=seed)
    return {
        "contiguous": (a.transpose(0, 2, 1, 3).copy(), lambda t: t),
        "heads_transposed": (a, lambda t: t.transpose(1, 2)),
        "heads_first": (_rand(3, 2, 5, 4, seed=seed), lambda t: t.permute(1, 0, 2, 3)),
        "chunked": (_rand(2, 5, 24, seed=seed),
                    lambda t: t.chunk(2, -1)[0].view(2, 5, 3, 4).transpose(1, 2)),
        "sliced": (_rand(2, 3, 10, 4, seed=seed), lambda t: t[:, :, ::2]),
        "last_transposed": (_rand(2, 3, 4, 5, seed=seed), lambda t: t.transpose(-1, -2)),
        "expanded": (_rand(1, 1, 5, 4, seed=seed), lambda t: t.expand(2, 3, 5, 4)),
        "three_d": (_rand(5, 3, 4, seed=seed), lambda t: t.transpose(0, 1)),
    }[kind]


@pytest.mark.parametrize("kind", ["contiguous", "heads_transposed", "heads_first", "chunked",
                                  "sliced", "last_transposed", "expanded", "three_d"])
@pytest.mark.parametrize("how", ["plain", "causal", "bool_mask", "dropout", "half"])
def test_sdpa_output_strides(kind: str, how: str) -> None:
    """PyTorch's CPU flash kernel lays its output out as the query (by the order of its
    strides); the math path (dropout, a last dimension not unit-strided) gives it contiguous."""
    outs = []
    for lib in (torch, ember):
        ops = []
        for seed in range(3):
            a, make = _strided(kind, seed)
            t = make(lib.tensor(a))
            ops.append(t.half() if how == "half" else t)
        kw = {"plain": {}, "causal": {"is_causal": True}, "dropout": {"dropout_p": 0.5},
              "bool_mask": {"attn_mask": lib.ones(5, 5, dtype=lib.bool).tril()},
              "half": {}}[how]
        lib.manual_seed(0)
        o = lib.nn.functional.scaled_dot_product_attention(*ops, **kw)
        outs.append(o)
    assert tuple(outs[1].stride()) == tuple(outs[0].stride())
    _same(outs[0], outs[1], 1e-3 if how == "half" else 1e-5)


def test_program_heads_merged_by_view_after_sdpa() -> None:
    """The heads of ``chunk``/``view``/``transpose`` operands merged back by ``transpose(1, 2)
    .view(B, T, C)`` without ``contiguous()``: it works in PyTorch, so it must here."""
    x = _rand(2, 5, 24)
    outs = []
    for lib in (torch, ember):
        q, k, v = lib.tensor(x).chunk(3, dim=-1)
        q, k, v = (t.view(2, 5, 2, 4).transpose(1, 2) for t in (q, k, v))
        y = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        outs.append(y.transpose(1, 2).view(2, 5, 8))
    _same(outs[0], outs[1], 1e-5)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_mha_batch_first_output_strides(need_weights: bool, train: bool, layout: str) -> None:
    """Without a graph in evaluation PyTorch's fused kernel gives a fresh (N, L, E) output; the
    general path a transposed (L, N, E) one."""
    x = _rand(2, 3, 6) if layout == "contiguous" else _rand(3, 2, 6).transpose(1, 0, 2)
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.MultiheadAttention(6, 2, batch_first=True).train(train)
        t = lib.tensor(np.ascontiguousarray(x)) if layout == "contiguous" else \
            lib.tensor(_rand(3, 2, 6)).transpose(0, 1)
        with lib.no_grad():
            o, w = m(t, t, t, need_weights=need_weights)
        outs.append((o, w))
    (ot, wt), (oe, we) = outs
    assert tuple(oe.stride()) == tuple(ot.stride())
    assert (we is None) == (wt is None)
    if wt is not None:
        assert tuple(we.stride()) == tuple(wt.stride())
    if not train:
        _same(ot, oe, 1e-5)
