"""Session 22: less common nn layers run side by side with PyTorch, and the differences
those programs exposed: operators on a lazy module's uninitialized parameters, the words of
cosine-similarity shape errors, max-unpool's reported bad index and EmbeddingBag's check of
the ``per_sample_weights`` dtype.

Every test runs the same inputs through torch and Ember and compares exception types and
messages (or values) with torch's.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional


# PyTorch's messages compared as they are (no torch.Size rewording)
_raises_same = functools.partial(raises_same, size_as_ember=False)


# ------------------------------------------------------------------ lazy modules
_OPS = {
    "add": lambda w: w + 1, "radd": lambda w: 1 + w, "sub": lambda w: w - 1,
    "mul": lambda w: w * 2, "rmul": lambda w: 2 * w, "div": lambda w: w / 2,
    "neg": lambda w: -w, "matmul": lambda w: w @ w, "lt": lambda w: w < 1,
    "ge": lambda w: w >= 1, "ne": lambda w: w != 1, "abs": abs, "pos": operator.pos,
    "mod": lambda w: w % 2, "pow": lambda w: w ** 2, "rsub": lambda w: 1 - w,
    "getitem": lambda w: w[0], "floordiv": lambda w: w // 2, "eq": lambda w: w == 1,
    "invert": operator.invert, "and": lambda w: w & 1, "contains": lambda w: 1 in w,
}


@pytest.mark.parametrize("op", sorted(_OPS))
def test_operators_on_uninitialized_parameter_raise_value_error(op: str) -> None:
    """``LazyLinear(5).weight + 1`` before the first call: PyTorch's ValueError naming the
    method (its ``__torch_function__`` refuses operators as well as methods)."""
    fn = _OPS[op]
    with pytest.raises(Exception) as et:
        fn(torch.nn.LazyLinear(5).weight)
    with pytest.raises(Exception) as ee:
        fn(enn.LazyLinear(5).weight)
    assert type(ee.value) is type(et.value) is ValueError
    head_t = str(et.value).split(" of ")[0]
    head_e = str(ee.value).split(" of ")[0]
    if "<method '" in head_t:  # PyTorch's others name a Python function at an address
        assert head_e == head_t


def test_uninitialized_parameter_still_hashes_and_materializes() -> None:
    """The refusals leave the placeholder usable as a dict key and by its first call."""
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm, em = torch.nn.LazyLinear(3), enn.LazyLinear(3)
    assert {em.weight: 1}[em.weight] == 1
    x = np.random.RandomState(0).randn(2, 4).astype(np.float32)
    t, e = tm(torch.from_numpy(x)), em(ember.from_numpy(x))
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert type(em.weight).__name__ == type(tm.weight).__name__ == "Parameter"
    np.testing.assert_allclose((em.weight + 1).detach().numpy(),
                               (tm.weight + 1).detach().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ error words
@pytest.mark.parametrize("s1,s2,dim", [((4, 5), (3, 5), 1), ((4, 5), (4, 3), 1),
                                       ((2, 4, 5), (3, 5), -1), ((2, 3, 4), (2, 5, 4), 0)])
def test_cosine_similarity_shape_mismatch_names_the_dim(s1: tuple, s2: tuple, dim: int) -> None:
    a = np.ones(s1, dtype=np.float32)
    b = np.ones(s2, dtype=np.float32)
    _raises_same(lambda: torch.nn.CosineSimilarity(dim=dim)(torch.from_numpy(a),
                                                            torch.from_numpy(b)),
                 lambda: enn.CosineSimilarity(dim=dim)(ember.from_numpy(a), ember.from_numpy(b)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("d", [2, 3])
def test_max_unpool_reports_the_last_bad_index(seed: int, d: int) -> None:
    """Unpooling an odd-sized pool without ``output_size``: PyTorch's kernel (one thread)
    reports the last out-of-range index it walks past, not the largest."""
    x = np.random.RandomState(seed).randn(3, 4, 9, 11).astype(np.float32)
    if d == 3:
        x = x.reshape(3, 4, 3, 3, 11)
    pool_t, unpool_t = (F.max_pool2d, F.max_unpool2d) if d == 2 else (F.max_pool3d,
                                                                      F.max_unpool3d)
    pool_e, unpool_e = (EF.max_pool2d, EF.max_unpool2d) if d == 2 else (EF.max_pool3d,
                                                                        EF.max_unpool3d)
    pt, it = pool_t(torch.from_numpy(x), 2, return_indices=True)
    pe, ie = pool_e(ember.from_numpy(x), 2, return_indices=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _raises_same(lambda: unpool_t(pt, it, 2), lambda: unpool_e(pe, ie, 2))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("wd,pd", [("float32", "float64"), ("float64", "float32"),
                                   ("float32", "bfloat16"), ("float32", "float16"),
                                   ("float32", "int64")])
@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_per_sample_weights_of_another_dtype(wd: str, pd: str,
                                                           two_d: bool) -> None:
    """Double ``per_sample_weights`` for a float table used to be cast silently."""
    idx = np.array([[1, 2, 3, 4]] if two_d else [1, 2, 3, 4], dtype=np.int64)
    off = None if two_d else np.array([0, 2], dtype=np.int64)

    def go(lib: object, fn: object) -> object:
        return fn.embedding_bag(lib.from_numpy(idx), lib.ones(5, 3, dtype=getattr(lib, wd)),
                                None if off is None else lib.from_numpy(off), mode="sum",
                                per_sample_weights=lib.ones(*idx.shape,
                                                            dtype=getattr(lib, pd)))

    _raises_same(lambda: go(torch, F), lambda: go(ember, EF))


def test_embedding_bag_module_per_sample_weights_same_dtype_still_works() -> None:
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm = torch.nn.EmbeddingBag(10, 3, mode="sum").double()
    em = enn.EmbeddingBag(10, 3, mode="sum").double()
    idx = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
    off = np.array([0, 2, 2], dtype=np.int64)
    w = np.random.RandomState(1).rand(6)
    wt = torch.from_numpy(w).requires_grad_()
    we = ember.from_numpy(w.copy()).requires_grad_()
    t = tm(torch.from_numpy(idx), torch.from_numpy(off), per_sample_weights=wt)
    e = em(ember.from_numpy(idx), ember.from_numpy(off), per_sample_weights=we)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    (t ** 2).sum().backward()
    (e ** 2).sum().backward()
    np.testing.assert_allclose(we.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-12,
                               atol=1e-12)


_INT_TYPES = ["uint8", "int8", "int16", "int32", "int64", "bool"]


@pytest.mark.parametrize("it", _INT_TYPES)
@pytest.mark.parametrize("ot", _INT_TYPES[:-1] + [None])
@pytest.mark.parametrize("mode", ["sum", "max"])
def test_embedding_bag_promotes_indices_and_offsets(it: str, ot: str | None, mode: str) -> None:
    """PyTorch promotes indices and offsets to one type before its Long/Int check: ``uint8``
    token ids with int64 offsets work; a 2-D input's offsets are an ``arange`` of its dtype."""
    w = np.arange(30, dtype=np.float32).reshape(10, 3)
    idx = np.array([[1, 2], [0, 1]] if ot is None else [1, 2, 3]).astype(it)
    off = None if ot is None else np.array([0, 1]).astype(ot)

    def go(lib: object, fn: object) -> object:
        wt = lib.from_numpy(w.copy()).requires_grad_()
        r = fn.embedding_bag(lib.from_numpy(idx), wt, None if off is None else
                             lib.from_numpy(off), mode=mode)
        r.sum().backward()
        return r, wt.grad

    try:
        t, tg = go(torch, F)
    except Exception:
        _raises_same(lambda: go(torch, F), lambda: go(ember, EF))
        return
    e, eg = go(ember, EF)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    np.testing.assert_array_equal(eg.numpy(), tg.numpy())


# ------------------------------------------------------------------ half precision
def _half(lib: object, a: np.ndarray, dtype: str, grad: bool = False) -> object:
    t = lib.from_numpy(a).to(getattr(lib, dtype))
    return t.requires_grad_() if grad else t


def _f(t: object) -> np.ndarray:
    return t.detach().float().numpy()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("shape,ns", [((2, 4, 6, 6), 6), ((3, 5, 7), (5, 7))])
def test_rms_norm_half_gradients_are_pytorch_float32_composite(dtype: str, shape: tuple,
                                                               ns: object) -> None:
    """The gradients used to be computed in the half type (``x * x``, the mean of products):
    PyTorch's composite runs in float32 between its casts, bit for bit the same now."""
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    g = np.random.RandomState(1).randn(*shape).astype(np.float32)
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.RMSNorm(ns).to(getattr(lib, dtype))
        with lib.no_grad():
            m.weight.copy_(lib.from_numpy(np.random.RandomState(2).rand(*m.weight.shape)
                                          .astype(np.float32) + 0.5))
        xt = _half(lib, x, dtype, True)
        y = m(xt)
        y.backward(_half(lib, g, dtype))
        out.append([_f(y), _f(xt.grad), _f(m.weight.grad), str(xt.grad.dtype).split(".")[1]])
    for e, t in zip(out[1], out[0]):
        if isinstance(t, str):
            assert e == t
        else:
            np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_rms_norm_half_double_backward_runs(dtype: str) -> None:
    x = np.random.RandomState(0).randn(3, 6).astype(np.float32)
    xt = _half(torch, x, dtype, True)
    xe = _half(ember, x, dtype, True)
    (gt,) = torch.autograd.grad(F.rms_norm(xt, (6,)).float().pow(2).sum(), xt,
                                create_graph=True)
    (ge,) = ember.autograd.grad(EF.rms_norm(xe, (6,)).float().pow(2).sum(), xe,
                                create_graph=True)
    assert str(ge.dtype).split(".")[1] == str(gt.dtype).split(".")[1]
    np.testing.assert_allclose(_f(ge), _f(gt), rtol=2e-2, atol=2e-2)
    ge.float().sum().backward()
    assert tuple(xe.grad.shape) == (3, 6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_half_cells_round_as_pytorch(dtype: str, cls: str, bias: bool, batched: bool) -> None:
    """PyTorch's cells take one ``linear`` per projection: a half one adds its bias before
    rounding (Ember used to round the product, then the sum)."""
    x = np.random.RandomState(0).randn(*((5,) if batched else ()), 6).astype(np.float32)
    h = (np.random.RandomState(1).randn(*x.shape[:-1], 3) * 0.5).astype(np.float32)
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(6, 3, bias=bias).to(getattr(lib, dtype))
        xt = _half(lib, x, dtype, True)
        hx = _half(lib, h, dtype)
        r = m(xt, (hx, hx) if cls == "LSTMCell" else hx)
        r = r if isinstance(r, tuple) else (r,)
        sum(v.float().sum() for v in r).backward()
        out.append([_f(v) for v in r] + [_f(xt.grad)])
    for e, t in zip(out[1][:-1], out[0][:-1]):
        np.testing.assert_array_equal(e, t)
    np.testing.assert_allclose(out[1][-1], out[0][-1], rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("cls", ["RNN", "GRU"])
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True}])
def test_half_recurrent_layers_round_as_pytorch(dtype: str, cls: str, kw: dict) -> None:
    x = np.random.RandomState(0).randn(4, 5, 6).astype(np.float32)
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(6, 3, **kw).to(getattr(lib, dtype))
        y, h = m(_half(lib, x, dtype))
        out.append([_f(y), _f(h)])
    for e, t in zip(out[1], out[0]):
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("lead,sizes,bias", [((5,), (6, 6, 3), True), ((4, 7), (8, 5, 6), True),
                                             ((), (6, 4, 2), False), ((3,), (40, 30, 5), True)])
def test_half_bilinear_forward_rounds_as_pytorch(dtype: str, lead: tuple, sizes: tuple,
                                                 bias: bool) -> None:
    """PyTorch's ``_trilinear`` rounds the first product to the half type before the second
    (Ember used to round once from float32)."""
    i1, i2, o = sizes
    a = np.random.RandomState(0).randn(*lead, i1).astype(np.float32)
    b = np.random.RandomState(1).randn(*lead, i2).astype(np.float32)
    out = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.Bilinear(i1, i2, o, bias=bias).to(getattr(lib, dtype))
        xa = _half(lib, a, dtype, True)
        y = m(xa, _half(lib, b, dtype))
        y.float().sum().backward()
        out.append([_f(y), type(y.grad_fn).__name__, str(xa.grad.dtype).split(".")[1],
                    _f(m.weight.grad)])
    np.testing.assert_array_equal(out[1][0], out[0][0])
    assert out[1][1:3] == out[0][1:3]
    np.testing.assert_allclose(out[1][3], out[0][3], rtol=1e-2, atol=1e-2)


# ------------------------------------------------------------------ saving lazy modules
def test_lazy_module_pickles_and_saves_before_its_first_call() -> None:
    """``torch.save(LazyLinear(3))`` and of its state_dict work in PyTorch; Ember's failed on
    the hook handles the module keeps (pickled under the core class's name) and on the
    placeholders (read for strides)."""
    import io
    import pickle

    kinds = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.LazyBatchNorm1d())
        m2 = pickle.loads(pickle.dumps(m))
        assert type(m2[0].weight).__name__ == "UninitializedParameter"
        buf = io.BytesIO()
        lib.save(m, buf)
        buf.seek(0)
        m3 = lib.load(buf, weights_only=False)
        y = m3(lib.ones(2, 4))
        assert tuple(y.shape) == (2, 3) and type(m3[0]).__name__ == "Linear"
        buf = io.BytesIO()
        lib.save(m.state_dict(), buf)
        buf.seek(0)
        sd = lib.load(buf, weights_only=False)
        kinds.append([(k, type(v).__name__) for k, v in sd.items()])
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            lib.load(buf)
    assert kinds[1] == kinds[0]



@pytest.mark.parametrize("shape,groups", [((1, 4, 1), 4), ((1, 6), 6), ((1, 2, 1, 1), 2),
                                          ((1, 3, 1, 1), 3)])
def test_group_norm_single_value_message_shows_a_list(shape: tuple, groups: int) -> None:
    """PyTorch's group_norm checks a list it builds (``[N*C/G, G, *spatial]``); batch_norm
    shows the input's Size."""
    x = np.ones(shape, dtype=np.float32)
    c = shape[1]
    _raises_same(lambda: torch.nn.GroupNorm(groups, c)(torch.from_numpy(x)),
                 lambda: enn.GroupNorm(groups, c)(ember.from_numpy(x)))
    _raises_same(lambda: F.group_norm(torch.from_numpy(x), groups),
                 lambda: EF.group_norm(ember.from_numpy(x), groups))
    b = np.ones((1, c), dtype=np.float32)
    with pytest.raises(ValueError) as et:
        torch.nn.BatchNorm1d(c)(torch.from_numpy(b))
    with pytest.raises(ValueError) as ee:
        enn.BatchNorm1d(c)(ember.from_numpy(b))
    assert str(ee.value) == str(et.value).replace("torch.Size", "ember.Size")


@pytest.mark.parametrize("mode,psw", [("sum", False), ("sum", True), ("mean", False)])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("layout", ["2d", "offsets", "last_offset"])
def test_embedding_bag_float16_sums_round_once(mode: str, psw: bool, padding_idx: int | None,
                                               layout: str) -> None:
    """PyTorch's CPU kernel sums a float16 bag in float32 and rounds once (a mean then divides
    the rounded sum); Ember used to add the rows in float16."""
    if layout == "last_offset" and mode == "mean" and padding_idx is None:
        pytest.skip("the fast mean's tail rows: kept on the float32-like path")
    w = np.random.RandomState(0).randn(50, 16).astype(np.float32)
    idx = np.random.RandomState(1).randint(0, 50, (40, 3))
    p = np.random.RandomState(2).rand(40, 3).astype(np.float32)
    off = [0, 3, 3, 10, 50, 100] + ([115] if layout == "last_offset" else [])
    out = []
    for lib in (torch, ember):
        wt = lib.from_numpy(w).to(lib.float16)
        pw = lib.from_numpy(p).to(lib.float16) if psw else None
        if layout == "2d":
            y = lib.nn.functional.embedding_bag(lib.from_numpy(idx), wt, mode=mode,
                                                per_sample_weights=pw, padding_idx=padding_idx)
        else:
            y = lib.nn.functional.embedding_bag(
                lib.from_numpy(idx.reshape(-1)), wt, lib.tensor(off), mode=mode,
                per_sample_weights=None if pw is None else pw.reshape(-1),
                padding_idx=padding_idx, include_last_offset=layout == "last_offset")
        out.append((_f(y), str(y.dtype).split(".")[1]))
    np.testing.assert_array_equal(out[1][0], out[0][0])
    assert out[1][1] == out[0][1] == "float16"
