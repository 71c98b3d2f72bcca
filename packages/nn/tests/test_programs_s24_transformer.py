"""Session 24: a differential fuzzer over the attention and Transformer layers, and the
differences it found: ``scaled_dot_product_attention`` on non-floating operands (PyTorch's
errors depend on the path its CPU dispatch takes), integer masks met by the module and by
the decoder's causal-mask detection, and ``MultiheadAttention``'s inference fast path (its
mask merge without an input bias, its embedding-size check, its empty result).

Every test runs the same inputs through torch and Ember and compares values, dtypes, shapes
or error types and messages with torch's.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from _programs import raises_same

import ember

torch = pytest.importorskip("torch")

_raises_same = functools.partial(raises_same, size_as_ember=False)


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def _same(a, b, tol: float = 1e-5) -> None:
    """Torch's ``a`` and Ember's ``b``: shape, dtype and values (NaN where torch's are)."""
    a = a.detach().numpy()
    b = b.detach().numpy()
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True)


def _pair(make, *, eval_mode: bool = True):
    """The module built by ``make(torch.nn)`` and by ``make(ember.nn)``, same state."""
    torch.manual_seed(0)
    t = make(torch.nn)
    e = make(ember.nn)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    if eval_mode:
        t.eval()
        e.eval()
    return t, e


def _outcome(fn):
    """``("ok", result)`` or ``("err", type name, message)``, warnings kept out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", fn())
        except Exception as err:  # noqa: BLE001 - the type is what is compared
            return ("err", type(err).__name__, str(err).replace("torch.", "ember."))


# ------------------------------------------------------------------ SDPA, non-float operands
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "complex64", "complex128"])
def test_sdpa_non_float_operands_refused_as_torch(dtype: str) -> None:
    """A boolean mask of an integer query fails turning into ``-inf``; 2-D operands fail in
    the math path's matrix product; 3-D/4-D ones in the flash kernel; complex ones in the
    softmax (NotImplementedError)."""
    for ndim in (2, 3, 4):
        for mask in (None, "bool", "float"):
            shape = (2,) * (ndim - 2) + (3, 4)
            q = (np.arange(np.prod(shape)).reshape(shape) % 3)
            m = None if mask is None else (np.ones((3, 3), bool) if mask == "bool"
                                           else np.zeros((3, 3), "float32"))

            def run(lib, q=q, m=m):
                t = lib.tensor(q).to(getattr(lib, dtype))
                tm = None if m is None else lib.tensor(m)
                return lib.nn.functional.scaled_dot_product_attention(t, t, t, attn_mask=tm)

            _raises_same(lambda: run(torch), lambda: run(ember))


@pytest.mark.parametrize("kw", [{"is_causal": True}, {"dropout_p": 0.5}, {"scale": 0.5}])
def test_sdpa_non_float_with_options(kw: dict) -> None:
    for dtype in ("int64", "uint8", "complex64"):
        for ndim in (2, 4):
            shape = (2,) * (ndim - 2) + (3, 4)

            def run(lib, shape=shape, dtype=dtype):
                t = lib.ones(shape, dtype=getattr(lib, dtype))
                return lib.nn.functional.scaled_dot_product_attention(t, t, t, **kw)

            _raises_same(lambda: run(torch), lambda: run(ember))


# ------------------------------------------------------------------ integer masks
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("eval_no_grad", [True, False])
@pytest.mark.parametrize("which", ["attn_mask", "key_padding_mask", "both"])
def test_mha_integer_mask_refused_even_with_the_causal_hint(need_weights: bool,
                                                            eval_no_grad: bool,
                                                            which: str) -> None:
    """PyTorch's module reads both masks before anything else: an integer one is refused
    even where ``is_causal`` would drop the attention mask."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=True),
                 eval_mode=eval_no_grad)
    x = _rand(3, 4, 8)
    am = np.triu(np.ones((4, 4), "int64"), 1) if which != "key_padding_mask" else \
        np.triu(np.ones((4, 4), bool), 1)
    kpm = np.zeros((3, 4), "int64") if which != "attn_mask" else None

    def run(lib, mod):
        a = lib.tensor(x)
        k = None if kpm is None else lib.tensor(kpm)
        with lib.set_grad_enabled(not eval_no_grad):
            return mod(a, a, a, attn_mask=lib.tensor(am), key_padding_mask=k,
                       need_weights=need_weights, is_causal=True)

    _raises_same(lambda: run(torch, t), lambda: run(ember, e))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("square", [True, False])
def test_decoder_causal_detection_of_an_integer_mask(dtype: str, square: bool) -> None:
    """The decoder builds a causal mask of the target mask's dtype to compare (whatever its
    shape): an integer dtype cannot hold ``-inf``."""
    t, e = _pair(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1))
    mask = np.triu(np.ones((4, 4) if square else (4, 3)), 1)

    def run(lib, mod):
        return mod(lib.tensor(_rand(4, 2, 8)), lib.tensor(_rand(3, 2, 8, seed=1)),
                   tgt_mask=lib.tensor(mask).to(getattr(lib, dtype)))

    _raises_same(lambda: run(torch, t), lambda: run(ember, e))


@pytest.mark.parametrize("tgt_is_causal", [None, True, False])
@pytest.mark.parametrize("padding", [False, True])
def test_decoder_boolean_causal_mask(tgt_is_causal, padding: bool) -> None:
    """A boolean causal target mask (True above the diagonal) is detected as causal, as in
    PyTorch; with or without the hint the values are the masked attention's."""
    t, e = _pair(lambda nn: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2), eval_mode=False)
    mask = np.triu(np.ones((5, 5), bool), 1)
    kpm = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool) if padding else None
    outs = []
    for lib, mod in ((torch, t), (ember, e)):
        tgt = lib.tensor(_rand(2, 5, 8), requires_grad=True)
        out = mod(tgt, lib.tensor(_rand(2, 3, 8, seed=1)), tgt_mask=lib.tensor(mask),
                  tgt_key_padding_mask=None if kpm is None else lib.tensor(kpm),
                  tgt_is_causal=tgt_is_causal)
        out.pow(2).sum().backward()
        outs.append((out, tgt.grad))
    _same(outs[0][0], outs[1][0])
    _same(outs[0][1], outs[1][1], 1e-4)


# ------------------------------------------------------------------ MHA fast path
_B = np.bool_


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shapes", [
    ((2, 3, 8), None, (4, 4)), ((2, 3, 8), (3, 3), (3, 3)), ((2, 3, 8), (2, 3), (6, 3, 3)),
    ((2, 3, 8), (2, 3), (2, 3, 3)), ((2, 3, 8), (2, 3), (4, 3, 3)), ((0, 3, 8), None, (4, 3, 3)),
    ((2, 3, 9), (2, 4), None), ((2, 3, 9), None, (3, 3)), ((2, 3, 9), None, None),
    ((0, 3, 9), (0, 4), None), ((2, 3, 8), (2, 4), None), ((2, 3, 8), None, (2, 3, 3))])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fast_path_merge_and_embed_errors(bias: bool, shapes: tuple,
                                              need_weights: bool) -> None:
    """Evaluation without a graph, batch-first self-attention, boolean masks: PyTorch first
    merges the masks with views (their errors even without an input bias, when its fused
    kernel is not run), then the kernel checks the query's embedding size."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=True, bias=bias))
    q_shape, kpm_shape, mask_shape = shapes
    rs = np.random.RandomState(3)
    x = rs.randn(*q_shape).astype("float32")
    kpm = None if kpm_shape is None else rs.rand(*kpm_shape) > 0.7
    am = None if mask_shape is None else rs.rand(*mask_shape) > 0.7

    def run(lib, mod):
        a = lib.tensor(x)
        with lib.no_grad():
            return mod(a, a, a, key_padding_mask=None if kpm is None else lib.tensor(kpm),
                       attn_mask=None if am is None else lib.tensor(am),
                       need_weights=need_weights)

    rt, re = _outcome(lambda: run(torch, t)), _outcome(lambda: run(ember, e))
    assert rt[0] == re[0], (rt, re)
    if rt[0] == "err":
        assert rt[1:] == re[1:]
        return
    (ot, wt), (oe, we) = rt[1], re[1]
    _same(ot, oe)
    assert (wt is None) == (we is None)
    if wt is not None:
        _same(wt, we)


@pytest.mark.parametrize("q_shape", [(0, 3, 8), (2, 0, 8), (0, 0, 8)])
@pytest.mark.parametrize("mask", [None, "kpm", "attn", "bad_kpm"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fast_path_empty_batch_gives_no_weights(q_shape: tuple, mask, need_weights) -> None:
    """PyTorch's fused kernel returns an empty output and no weights for an empty batch or
    sequence (before its own mask checks); with a graph the general path gives weights."""
    t, e = _pair(lambda nn: nn.MultiheadAttention(8, 2, batch_first=True))
    n, length = q_shape[:2]
    kpm = {"kpm": np.zeros((n, length), bool), "bad_kpm": np.zeros((1, 4), bool)}.get(mask)
    am = np.zeros((length, length), bool) if mask == "attn" else None
    for grad in (False, True):
        res = []
        for lib, mod in ((torch, t), (ember, e)):
            a = lib.tensor(np.zeros(q_shape, "float32"), requires_grad=grad)
            with lib.set_grad_enabled(grad):
                res.append(_outcome(lambda lib=lib, mod=mod, a=a: mod(
                    a, a, a, key_padding_mask=None if kpm is None else lib.tensor(kpm),
                    attn_mask=None if am is None else lib.tensor(am),
                    need_weights=need_weights)))
        assert res[0][0] == res[1][0], res
        if res[0][0] == "err":
            assert res[0][1:] == res[1][1:]
            continue
        (ot, wt), (oe, we) = res[0][1], res[1][1]
        _same(ot, oe)
        assert (wt is None) == (we is None)
        if wt is not None:
            _same(wt, we)


@pytest.mark.parametrize("qdtype", ["float64", "float16", "bfloat16"])
@pytest.mark.parametrize("mask_shape", [(3, 5), (2, 3, 5), (1, 2, 3, 5)])
def test_sdpa_float32_mask_for_any_float_query(qdtype: str, mask_shape: tuple) -> None:
    """PyTorch takes a float32 mask whatever the query's floating type (another float type
    of mask is refused): the output has the query's dtype, the mask's gradient its own."""
    rs = np.random.RandomState(0)
    arrays = [rs.randn(2, 2, n, 4) for n in (3, 5, 5)]
    m = rs.randn(*mask_shape).astype("float32")
    res = []
    for lib in (torch, ember):
        q, k, v = (lib.tensor(a).to(getattr(lib, qdtype)).requires_grad_() for a in arrays)
        tm = lib.tensor(m, requires_grad=True)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=tm)
        out.float().pow(2).sum().backward()
        res.append((out, tm.grad))
    tol = 1e-9 if qdtype == "float64" else 3e-2
    _same(res[0][0].float(), res[1][0].float(), tol)
    assert str(res[1][0].dtype).split(".")[-1] == qdtype
    assert res[1][1].dtype == ember.float32 and res[0][1].dtype == torch.float32
    np.testing.assert_allclose(res[1][1].numpy(), res[0][1].numpy(), rtol=tol, atol=tol * 4)


@pytest.mark.parametrize("qdtype,mdtype", [("float16", "float64"), ("float64", "float16"),
                                           ("bfloat16", "float16"), ("float32", "float64")])
def test_sdpa_other_float_masks_refused(qdtype: str, mdtype: str) -> None:
    def run(lib):
        q = lib.ones(2, 3, 4, dtype=getattr(lib, qdtype))
        return lib.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=lib.zeros(3, 3, dtype=getattr(lib, mdtype)))

    _raises_same(lambda: run(torch), lambda: run(ember))


_DROP_SHAPES = [((2, 3, 4), (2, 5, 4), (2, 5, 6), None), ((2, 3, 4), (1, 5, 4), (1, 5, 4), None),
                ((2, 3, 4), (2, 5, 4), (2, 5, 4), (2, 3, 5)), ((2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)),
                ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), (2, 3, 5)),
                ((2, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), None),
                ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 2), None), ((3, 4), (5, 4), (5, 4), None),
                ((1, 1, 2, 3, 4), (1, 1, 2, 5, 4), (1, 1, 2, 5, 4), None)]


@pytest.mark.parametrize("shapes", _DROP_SHAPES)
def test_sdpa_negative_dropout(shapes: tuple) -> None:
    """Only PyTorch's flash kernel refuses a negative dropout probability; its math path
    (2-D or 5-D operands, head sizes that differ, a 3-D mask over 4-D operands, ...) applies
    no dropout."""
    rs = np.random.RandomState(1)
    arrays = [rs.randn(*s).astype("float32") for s in shapes[:3]]
    m = None if shapes[3] is None else rs.randn(*shapes[3]).astype("float32")

    def run(lib):
        lib.manual_seed(0)
        q, k, v = (lib.tensor(a) for a in arrays)
        return lib.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=None if m is None else lib.tensor(m), dropout_p=-0.5)

    rt, re = _outcome(lambda: run(torch)), _outcome(lambda: run(ember))
    assert rt[0] == re[0] and (rt[0] == "ok" or rt[1:] == re[1:]), (rt, re)
    if rt[0] == "ok":
        _same(rt[1], re[1])


def test_sdpa_argument_errors() -> None:
    """``scale`` and ``enable_gqa`` are keyword-only; a non-tensor operand or mask is a
    TypeError of PyTorch's argument parser."""
    def call(lib, *args, **kw):
        return lambda: lib.nn.functional.scaled_dot_product_attention(*args, **kw)

    for make in (lambda L: (L.ones(2, 3, 4), L.ones(2, 5, 4), L.ones(2, 5, 6), None, 0.0,
                            False, 2.0),
                 lambda L: (L.ones(2, 3, 4), L.ones(2, 5, 4), L.ones(2, 5, 6), None, 0.0,
                            False, None, False),
                 lambda L: (np.ones((2, 3, 4), "float32"), L.ones(2, 5, 4), L.ones(2, 5, 6)),
                 lambda L: (L.ones(2, 3, 4), [[1.0] * 4] * 5, L.ones(2, 5, 6))):
        _raises_same(call(torch, *make(torch)), call(ember, *make(ember)))
    _raises_same(call(torch, torch.ones(2, 3, 4), torch.ones(2, 5, 4), torch.ones(2, 5, 6),
                      attn_mask=[[True] * 5] * 3),
                 call(ember, ember.ones(2, 3, 4), ember.ones(2, 5, 4), ember.ones(2, 5, 6),
                      attn_mask=[[True] * 5] * 3))
    out = [lib.nn.functional.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 4), lib.ones(2, 5, 6), scale=0.5, enable_gqa=True)
        for lib in (torch, ember)]
    _same(*out)


# ------------------------------------------------------------------ causal mask, empty stacks
@pytest.mark.parametrize("args", [(3, None), (0, None), (4, "float16"), (3, "bfloat16"),
                                  (3, "float64"), (3, "bool"), (3, "int64"), (3, "uint8"),
                                  (-1, None)])
def test_generate_square_subsequent_mask(args: tuple) -> None:
    """Built as PyTorch's ``triu(full(-inf))``: its dtypes, and its errors for a negative
    size or a dtype that cannot hold ``-inf``."""
    sz, dtype = args

    def run(lib):
        return lib.nn.Transformer.generate_square_subsequent_mask(
            sz, dtype=None if dtype is None else getattr(lib, dtype))

    rt, re = _outcome(lambda: run(torch)), _outcome(lambda: run(ember))
    assert rt[0] == re[0] and (rt[0] == "ok" or rt[1:] == re[1:]), (rt, re)
    if rt[0] == "ok":
        assert str(re[1].dtype).split(".")[-1] == str(rt[1].dtype).split(".")[-1]
        assert re[1].device.type == "cpu"
        np.testing.assert_array_equal(re[1].float().numpy(), rt[1].float().numpy())


@pytest.mark.parametrize("kind", ["encoder", "decoder"])
def test_a_stack_of_no_layers_fails_as_torch(kind: str) -> None:
    """PyTorch's stacks read their first layer in ``forward``: none is an IndexError."""
    def run(lib):
        nn = lib.nn
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "encoder":
                return nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 0)(
                    lib.ones(3, 2, 8))
            return nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 0)(
                lib.ones(3, 2, 8), lib.ones(4, 2, 8))

    _raises_same(lambda: run(torch), lambda: run(ember))


# ------------------------------------------------------------------ encoder layer fast path
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "kpm", "mask", "both"])
@pytest.mark.parametrize("shape", [(2, 3, 9), (0, 3, 8), (2, 0, 8)])
def test_encoder_layer_fast_path_embed_size_and_empty_batch(norm_first: bool, masks: str,
                                                            shape: tuple) -> None:
    """Evaluation without a graph: PyTorch's fused layer checks the embedding size in its
    attention kernel (after the first LayerNorm with ``norm_first``) and passes an empty
    batch through."""
    t, e = _pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                       norm_first=norm_first))
    n, length = shape[:2]
    x = _rand(*shape)
    kpm = np.zeros((n, length), bool) if masks in ("kpm", "both") else None
    am = np.triu(np.ones((length, length), bool), 1) if masks in ("mask", "both") else None

    def run(lib, mod):
        with lib.no_grad():
            return mod(lib.tensor(x), src_mask=None if am is None else lib.tensor(am),
                       src_key_padding_mask=None if kpm is None else lib.tensor(kpm))

    rt, re = _outcome(lambda: run(torch, t)), _outcome(lambda: run(ember, e))
    assert rt[0] == re[0] and (rt[0] == "ok" or rt[1:] == re[1:]), (rt, re)
    if rt[0] == "ok":
        _same(rt[1], re[1])


# ------------------------------------------------------------------ seeded fuzz
def _fuzz_case(rs: np.random.RandomState) -> dict:
    """A random MultiheadAttention call: sizes, options, masks, mode."""
    e = int(rs.choice([4, 8]))
    c = dict(e=e, h=int(rs.choice([1, 2, 4])), kdim=rs.choice([None, 5]), bias=rs.rand() < .8,
             bias_kv=rs.rand() < .2, zero_attn=rs.rand() < .2, bf=rs.rand() < .5,
             batched=rs.rand() < .85, self_attn=rs.rand() < .5, L=int(rs.choice([1, 3])),
             S=int(rs.choice([1, 4])), N=int(rs.choice([1, 2])),
             kpm=rs.choice(["none", "bool", "float"]), am=rs.choice(["none", "2", "3"]),
             am_bool=rs.rand() < .5, causal=rs.rand() < .15, need_weights=rs.rand() < .6,
             avg=rs.rand() < .6, mode=rs.choice(["train", "eval", "eval_nograd"]))
    if c["self_attn"]:
        c["S"], c["kdim"] = c["L"], None
    return c


def _fuzz_run(lib, c: dict, state: dict | None, seed: int):
    rs = np.random.RandomState(seed)
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(c["e"], c["h"], bias=c["bias"], add_bias_kv=c["bias_kv"],
                                  add_zero_attn=c["zero_attn"], kdim=c["kdim"], vdim=c["kdim"],
                                  batch_first=c["bf"])
    if state is not None:
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    st = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    m.train(c["mode"] == "train")
    n, length, s = c["N"], c["L"], c["S"]

    def shape(t: int, d: int) -> tuple:
        return ((n, t, d) if c["bf"] else (t, n, d)) if c["batched"] else (t, d)

    q = lib.tensor(rs.randn(*shape(length, c["e"])).astype("float32"),
                   requires_grad=c["mode"] != "eval_nograd")
    kd = c["kdim"] or c["e"]
    k = q if c["self_attn"] else lib.tensor(rs.randn(*shape(s, kd)).astype("float32"))
    v = q if c["self_attn"] else lib.tensor(rs.randn(*shape(s, kd)).astype("float32"))
    kshape = (n, s) if c["batched"] else (s,)
    kpm = {"none": None, "bool": rs.rand(*kshape) < .3,
           "float": rs.randn(*kshape).astype("float32")}[c["kpm"]]
    heads = c["h"] * (n if c["batched"] else 1)
    am = {"none": None, "2": rs.randn(length, s), "3": rs.randn(heads, length, s)}[c["am"]]
    if am is not None:
        am = am > 0.5 if c["am_bool"] else am.astype("float32")
    with lib.set_grad_enabled(c["mode"] != "eval_nograd"):
        out, w = m(q, k, v, key_padding_mask=None if kpm is None else lib.tensor(kpm),
                   attn_mask=None if am is None else lib.tensor(am),
                   need_weights=c["need_weights"], average_attn_weights=c["avg"],
                   is_causal=c["causal"])
    grads = None
    if out.requires_grad:
        out.nan_to_num(0).pow(2).sum().backward()
        grads = [p.grad for p in m.parameters()] + [q.grad]
    return st, (out, w, grads)


def test_mha_seeded_fuzz_matches_torch() -> None:
    """Random MultiheadAttention calls (fixed seed): the same outcome (or error type and
    message), output, weights and gradients as PyTorch's."""
    for seed in range(80):
        c = _fuzz_case(np.random.RandomState(seed))
        try:
            st, rt = _fuzz_run(torch, c, None, seed)
        except Exception as err:  # noqa: BLE001
            with pytest.raises(type(err)) as got:
                _fuzz_run(ember, c, None, seed)
            assert str(got.value) == str(err), (seed, c)
            continue
        _, re = _fuzz_run(ember, c, st, seed)
        for a, b in zip(rt[:2], re[:2]):
            assert (a is None) == (b is None), (seed, c)
            if a is not None:
                _same(a, b, 1e-4)
        assert (rt[2] is None) == (re[2] is None), (seed, c)
        for a, b in zip(rt[2] or [], re[2] or []):
            _same(a, b, 1e-4)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_sdpa_expanded_half_operands_keep_torch_layout(dtype: str) -> None:
    """Half operands expanded over the batch: the output is laid out as PyTorch's (the
    float32 copy of a stride-0 operand no longer permutes the product)."""
    rs = np.random.RandomState(2)
    a = [rs.randn(1, 2, n, 8).astype("float32") for n in (3, 4, 4)]
    outs = []
    for lib in (torch, ember):
        q, k, v = (lib.tensor(x).to(getattr(lib, dtype)).expand(2, 2, -1, 8) for x in a)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v)
        outs.append((out, out.stride(), out.is_contiguous()))
    assert outs[1][1:] == outs[0][1:]
    _same(outs[0][0].float(), outs[1][0].float(), 1e-2 if dtype != "float32" else 1e-5)
