"""nn follow-ups of the PyTorch sweeps: uninitialized parameters, InstanceNorm checkpoints
with running stats, LRN on integer inputs, MultiheadAttention's fast-path NaN rows, RNN
cells under autocast, gradient-clipping argument handling, and the SDPA switch table."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing import assert_close


def _outcome(fn):
    """``("ok", value)`` or ``(exception type name, message)`` with torch's names as ember's."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return (type(e).__name__, str(e).replace("torch", "ember"))


# ---------------------------------------------------------------- uninitialized parameters
@pytest.mark.parametrize("method", ["numel", "nelement", "dim", "ndimension", "stride",
                                    "element_size", "clone", "detach", "sum", "tolist",
                                    "zero_", "normal_", "is_contiguous", "__len__"])
@pytest.mark.parametrize("cls", ["UninitializedParameter", "UninitializedBuffer"])
def test_uninitialized_methods_refused(torch, method, cls):
    mine = _outcome(lambda: getattr(getattr(nn.parameter, cls)(), method)())
    theirs = _outcome(lambda: getattr(getattr(torch.nn.parameter, cls)(), method)())
    assert mine[0] == theirs[0] == "ValueError"
    if not method.startswith("__"):  # a Python method's repr in torch carries an address
        assert mine[1] == theirs[1]


@pytest.mark.parametrize("method", ["size", "is_floating_point", "float", "cpu", "to"])
def test_uninitialized_allowed_methods(torch, method):
    mine = _outcome(lambda: getattr(nn.parameter.UninitializedParameter(), method)())
    theirs = _outcome(lambda: getattr(torch.nn.parameter.UninitializedParameter(), method)())
    assert mine[0] == theirs[0] == "ok"


def test_lazy_module_count_and_initialize(torch):
    m = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="uninitialized parameter in <method 'numel'"):
        sum(p.numel() for p in m.parameters())
    m(ember.randn(2, 5))
    assert sum(p.numel() for p in m.parameters()) == 18
    assert m.weight.requires_grad and type(m.weight) is nn.Parameter


# ---------------------------------------------------------------- InstanceNorm checkpoints
def _load(lib, make, sd, strict=True):
    m = make(lib)
    return _outcome(lambda: str(m.load_state_dict(dict(sd), strict=strict)))


@pytest.mark.parametrize("keys", [("running_mean",), ("running_var",),
                                  ("running_mean", "running_var"),
                                  ("running_mean", "running_var", "num_batches_tracked")])
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_unexpected_running_stats(torch, keys, strict, affine):
    def make(lib):
        return lib.nn.Sequential(lib.nn.Conv1d(2, 3, 1), lib.nn.InstanceNorm1d(3, affine=affine))

    def sd(lib):
        d = {k: v for k, v in make(lib).state_dict().items()}
        for k in keys:
            d["1." + k] = lib.tensor(0) if k == "num_batches_tracked" else lib.ones(3)
        return d

    assert _load(ember, make, sd(ember), strict) == _load(torch, make, sd(torch), strict)


def test_instance_norm_running_stats_with_version_metadata(torch):
    """A state dict that carries version metadata reports the keys as plain unexpected
    ones; one tracking running stats loads them."""
    for lib_pair in ((ember, torch),):
        results = []
        for lib in lib_pair:
            src = lib.nn.InstanceNorm2d(3, track_running_stats=True).state_dict()
            m = lib.nn.InstanceNorm2d(3)
            results.append(_outcome(lambda m=m, src=src: str(m.load_state_dict(src,
                                                                               strict=False))))
            tracked = lib.nn.InstanceNorm2d(3, track_running_stats=True)
            results.append(_outcome(lambda t=tracked: str(t.load_state_dict({}, strict=False))))
        assert results[:2] == results[2:]


# ---------------------------------------------------------------- LRN on integer inputs
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "bool", "complex64"])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 2), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_non_float(torch, dtype, shape, size):
    def run(lib):
        x = (lib.arange(math.prod(shape)).reshape(shape) * 37 % 23 - 11).to(getattr(lib, dtype))
        return F.local_response_norm(x, size, 0.3, 0.6, 1.5) if lib is ember else \
            torch.nn.functional.local_response_norm(x, size, 0.3, 0.6, 1.5)

    mine, theirs = _outcome(lambda: run(ember)), _outcome(lambda: run(torch))
    assert mine[0] == theirs[0]
    if mine[0] == "ok":  # the integer mean truncates: a float mean would differ by ~1e-3
        assert_close(mine[1], theirs[1], rtol=1e-6, atol=0)  # float32 pow: a few ulps
    else:
        assert mine[1] == theirs[1]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_local_response_norm_half_cpu_refusal(torch, dtype):
    mine = _outcome(lambda: F.local_response_norm(
        ember.ones(1, 3, 2, 2, dtype=getattr(ember, dtype)), 2))
    theirs = _outcome(lambda: torch.nn.functional.local_response_norm(
        torch.ones(1, 3, 2, 2, dtype=getattr(torch, dtype)), 2))
    assert mine == theirs


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_half_3d_bitwise(torch, dtype, size):
    """PyTorch's composite rounds each step to the half type: so does Ember's forward (the
    gradient's half-precision steps round within an ulp or two of PyTorch's)."""
    rs = np.random.RandomState(size)
    a, go = rs.randn(2, 6, 7).astype("float32"), rs.randn(2, 6, 7).astype("float32")
    x = ember.tensor(a).to(getattr(ember, dtype)).requires_grad_()
    tx = torch.tensor(a).to(getattr(torch, dtype)).requires_grad_()
    y = F.local_response_norm(x, size, 0.3, 0.6, 1.5)
    ty = torch.nn.functional.local_response_norm(tx, size, 0.3, 0.6, 1.5)
    y.backward(ember.tensor(go).to(y.dtype))
    ty.backward(torch.tensor(go).to(ty.dtype))
    assert_close(y.float(), ty.float(), rtol=0, atol=0)
    tol = 1.6e-2 if dtype == "bfloat16" else 2e-3
    assert_close(x.grad.float(), tx.grad.float(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64", "complex64"])
def test_cross_map_lrn2d_dtypes(torch, dtype):
    def run(lib):
        x = (lib.arange(48).reshape(1, 3, 4, 4) % 5).to(getattr(lib, dtype))
        return lib.nn.CrossMapLRN2d(3)(x)

    mine, theirs = _outcome(lambda: run(ember)), _outcome(lambda: run(torch))
    assert mine[0] == theirs[0]
    if mine[0] == "ok":
        assert_close(mine[1], theirs[1])
    else:
        assert mine[1] == theirs[1]


# ---------------------------------------------------------------- MHA fast-path NaN rows
_KPM = [[False, False, True, True], [True, True, True, True], [False, True, True, True]]


def _mha_case(lib, train, need_weights, grad, use_kpm, use_attn, float_masks=False,
              heads=2):
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(8, heads, batch_first=True).train(train)
    x = lib.tensor(np.random.RandomState(0).randn(3, 4, 8).astype("float32"))
    kpm = lib.tensor(_KPM) if use_kpm else None
    am = None
    if use_attn:
        am = lib.zeros(4, 4, dtype=lib.bool)
        am[2] = True
    if float_masks:
        kpm = None if kpm is None else lib.zeros(3, 4).masked_fill(kpm, float("-inf"))
        am = None if am is None else lib.zeros(4, 4).masked_fill(am, float("-inf"))
    ctx = lib.enable_grad() if grad else lib.no_grad()
    with ctx:
        out, w = m(x, x, x, key_padding_mask=kpm, need_weights=need_weights, attn_mask=am)
    return out.detach(), None if w is None else w.detach()


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("masks", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("float_masks", [False, True])
def test_mha_fully_masked_rows(torch, train, need_weights, grad, masks, float_masks):
    args = (train, need_weights, grad, *masks, float_masks)
    out, w = _mha_case(ember, *args)
    tout, tw = _mha_case(torch, *args)
    assert_close(out, tout, equal_nan=True, rtol=1e-5, atol=1e-6)
    assert np.array_equal(np.isnan(out.numpy()), np.isnan(tout.numpy()))
    if tw is not None:
        assert_close(w, tw, equal_nan=True, rtol=1e-5, atol=1e-6)


def test_mha_odd_heads_takes_no_fast_path(torch):
    out, _ = _mha_case(ember, False, False, False, True, False, heads=1)
    tout, _ = _mha_case(torch, False, False, False, True, False, heads=1)
    assert_close(out, tout, equal_nan=True, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("use_src_mask", [False, True])
def test_encoder_layer_fully_masked_rows(torch, train, norm_first, use_src_mask):
    def run(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                               norm_first=norm_first).train(train)
        x = lib.tensor(np.random.RandomState(1).randn(3, 4, 8).astype("float32"))
        src_mask = None
        if use_src_mask:
            src_mask = lib.zeros(4, 4, dtype=lib.bool)
            src_mask[1] = True
        with lib.no_grad():
            return layer(x, src_mask=src_mask, src_key_padding_mask=lib.tensor(_KPM))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine, theirs = run(ember), run(torch)
    assert np.array_equal(np.isnan(mine.numpy()), np.isnan(theirs.numpy()))
    assert_close(mine, theirs, equal_nan=True, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- RNN cells under autocast
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("with_hx", [False, True])
def test_rnn_cells_under_autocast(torch, cell, dtype, with_hx):
    rs = np.random.RandomState(0)
    xa = rs.randn(2, 4).astype("float32")
    ha = rs.randn(2, 3).astype("float32")
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = getattr(lib.nn, cell)(4, 3)
        hx = None
        if with_hx:
            h = lib.tensor(ha)
            hx = (h, h * 0.5) if cell == "LSTMCell" else h
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            y = m(lib.tensor(xa), hx)
        h = y[0] if isinstance(y, tuple) else y
        h.float().sum().backward()
        results.append((h, m.weight_ih.grad, m.weight_hh.grad))
    (h, gi, gh), (th, tgi, tgh) = results
    assert str(h.dtype)[6:] == str(th.dtype)[6:]
    assert gi.dtype == ember.float32 and str(tgi.dtype) == "torch.float32"
    tol = 2e-2 if dtype == "bfloat16" else 2e-3
    assert_close(h.float(), th.float(), rtol=tol, atol=tol)
    assert_close(gi, tgi, rtol=tol, atol=tol)
    assert_close(gh, tgh, rtol=tol, atol=tol)


# ---------------------------------------------------------------- gradient clipping
def _params(lib):
    rs = np.random.RandomState(0)
    ps = [lib.nn.Parameter(lib.tensor(rs.randn(3, 4).astype("float32"))),
          lib.nn.Parameter(lib.tensor(rs.randn(5).astype("float32"))),
          lib.nn.Parameter(lib.tensor(rs.randn(2).astype("float32")))]
    for p in ps[:2]:
        p.grad = lib.tensor(rs.randn(*p.shape).astype("float32") * 3)
    return ps


_CLIP_FORMS = {
    "tensor": lambda lib: lib.tensor(7.0),
    "float": lambda lib: 7.0,
    "int": lambda lib: 7,
    "small float": lambda lib: 0.5,
    "None": lambda lib: None,
    "1-d": lambda lib: lib.tensor([7.0, 1.0]),
    "float64": lambda lib: lib.tensor(7.0, dtype=lib.float64),
}


@pytest.mark.parametrize("form", list(_CLIP_FORMS))
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grads_with_norm_forms(torch, form, foreach):
    def run(lib):
        ps = _params(lib)
        lib.nn.utils.clip_grads_with_norm_(ps, "1.5", _CLIP_FORMS[form](lib), foreach=foreach)
        return [None if p.grad is None else p.grad.numpy() for p in ps]

    mine, theirs = _outcome(lambda: run(ember)), _outcome(lambda: run(torch))
    assert mine[0] == theirs[0]
    if mine[0] != "ok":  # (Ember's broadcast errors add the op and the shapes around it)
        assert theirs[1] in mine[1]
    else:
        for a, b in zip(mine[1], theirs[1]):
            assert (a is None and b is None) or np.array_equal(a, b)


_NORM_FORMS = {
    "default": lambda lib: ([p.grad for p in _params(lib)[:2]], {}),
    "inf": lambda lib: ([p.grad for p in _params(lib)[:2]], {"norm_type": "inf"}),
    "zero": lambda lib: ([p.grad for p in _params(lib)[:2]], {"norm_type": 0}),
    "three": lambda lib: ([p.grad for p in _params(lib)[:2]], {"norm_type": 3}),
    "tensor": lambda lib: (_params(lib)[0].grad, {}),
    "empty": lambda lib: ([], {}),
    "nonfinite": lambda lib: ([lib.tensor([1.0, float("inf")])], {"error_if_nonfinite": True}),
    "nan": lambda lib: ([lib.tensor([1.0, float("nan")])], {"error_if_nonfinite": True}),
    "None entry": lambda lib: ([None], {}),
    "integer": lambda lib: ([lib.ones(2, dtype=lib.int64)], {}),
    "foreach": lambda lib: ([p.grad for p in _params(lib)[:2]], {"foreach": True}),
}


@pytest.mark.parametrize("form", list(_NORM_FORMS))
def test_get_total_norm_forms(torch, form):
    def run(lib):
        tensors, kw = _NORM_FORMS[form](lib)
        return lib.nn.utils.get_total_norm(tensors, **kw).numpy()

    mine, theirs = _outcome(lambda: run(ember)), _outcome(lambda: run(torch))
    assert mine[0] == theirs[0]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6)
    else:
        assert mine[1] == theirs[1]


# ---------------------------------------------------------------- SDPA switches
def test_sdpa_switches_one_table(torch):
    from ember.nn.attention import SDPBackend, sdpa_kernel

    cuda = ember.backends.cuda
    try:
        with sdpa_kernel(SDPBackend.MATH):
            assert not cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()
            assert not cuda.mem_efficient_sdp_enabled() and not cuda.cudnn_sdp_enabled()
        assert cuda.flash_sdp_enabled()
        cuda.enable_math_sdp(False)
        q = ember.randn(1, 2, 3, 4)
        with pytest.raises(RuntimeError, match="No available kernel"):
            F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
            assert not cuda.math_sdp_enabled()
        assert not cuda.math_sdp_enabled()  # restored to the switch set outside
        cuda.enable_math_sdp(True)
        cuda.enable_flash_sdp(False)
        with pytest.raises(RuntimeError, match="No viable backend"):
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                cuda.enable_flash_sdp(False)
                F.scaled_dot_product_attention(q, q, q)
    finally:
        for switch in (cuda.enable_flash_sdp, cuda.enable_math_sdp,
                       cuda.enable_mem_efficient_sdp, cuda.enable_cudnn_sdp):
            switch(True)
    assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()


@pytest.mark.parametrize("cls,dtype", [("RNN", "bfloat16"), ("RNN", "float16"),
                                       ("LSTM", "bfloat16"), ("GRU", "bfloat16"),
                                       ("GRU", "float16")])
def test_rnn_layers_under_autocast(torch, cls, dtype):
    """RNN and LSTM layers run in the autocast dtype (PyTorch's fused kernels are on its
    lower-precision list); GRU's output stays float32. The weights' gradients are float32."""
    xa = np.random.RandomState(0).randn(2, 5, 4).astype("float32")
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(4, 3, num_layers=2, batch_first=True)
        if lib is ember:
            with ember.no_grad():
                for p, tp in zip(m.parameters(), results[0][3]):
                    p.copy_(ember.tensor(tp))
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            y, h = m(lib.tensor(xa))
        y.float().sum().backward()
        h = h[0] if isinstance(h, tuple) else h
        results.append((y, h, m.weight_ih_l0.grad,
                        [p.detach().numpy().copy() for p in m.parameters()]))
    (ty, th, tg, _), (y, h, g, _) = results
    assert str(y.dtype)[6:] == str(ty.dtype)[6:] and str(h.dtype)[6:] == str(th.dtype)[6:]
    assert g.dtype == ember.float32
    tol = 2e-2 if dtype == "bfloat16" else 3e-3
    assert_close(y.float(), ty.float(), rtol=tol, atol=tol)
    assert_close(g, tg, rtol=5 * tol, atol=5 * tol)
