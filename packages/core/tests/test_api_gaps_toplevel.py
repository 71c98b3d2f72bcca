"""Top-level API gaps checked against PyTorch: the device modules without their device
(``xpu``, ``mps``, ``mtia``), Tensor's other device/layout flags, ``ember.functional`` and
``ember.overrides``, build flags, the storage classes, the float8 dtypes, ``geqrf``/``ormqr``,
``native_dropout``/``native_group_norm`` and the functional RNN cells."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _misc_helpers import gradcheck

import ember
from ember.testing import assert_close


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the type and words are what is compared
        return (type(e), str(e))


def _same_outcome(tfn, efn):
    t, e = _outcome(tfn), _outcome(efn)
    assert t[0] == e[0], (t, e)
    if t[0] == "ok":
        if isinstance(t[1], (bool, int, float, list, dict, type(None))):
            assert t[1] == e[1]
    else:
        # PyTorch's words, with a class named by its module (``torch.FloatStorage``)
        assert e[1] in (t[1], t[1].replace("'torch.", "'ember."))


# ------------------------------------------------------------------ device modules
CALLS = {
    "xpu": ["is_available()", "device_count()", "is_initialized()", "synchronize()",
            "manual_seed(1)", "manual_seed_all(1)", "seed()", "empty_cache()",
            "current_device()", "set_device(0)", "get_device_name()", "memory_allocated()",
            "memory_reserved()", "max_memory_allocated()", "initial_seed()",
            "get_rng_state()", "get_rng_state_all()", "is_bf16_supported()", "get_arch_list()",
            "current_stream()", "get_device_properties()", "init()", "mem_get_info()",
            "manual_seed('a')", "Stream()", "Event()", "device(0).__enter__()"],
    "mps": ["is_available()", "device_count()", "synchronize()", "manual_seed(1)",
            "empty_cache()", "seed()", "get_rng_state()", "driver_allocated_memory()",
            "recommended_max_memory()", "current_allocated_memory()",
            "set_per_process_memory_fraction(0.5)"],
    "mtia": ["is_available()", "device_count()", "is_initialized()", "synchronize()",
             "manual_seed(1)", "manual_seed_all(1)", "seed()", "seed_all()", "empty_cache()",
             "current_device()", "set_device(0)", "memory_allocated()", "memory_stats()",
             "max_memory_allocated()", "reset_peak_memory_stats()", "initial_seed()",
             "get_rng_state()", "get_rng_state_all()", "is_bf16_supported()", "init()",
             "current_stream()", "default_stream()", "get_device_capability()",
             "device(0).__enter__()", "manual_seed('a')"],
}


@pytest.mark.parametrize("mod,call", [(m, c) for m, cs in CALLS.items() for c in cs])
def test_device_module_without_device(torch, mod, call):
    if getattr(torch, mod).is_available():
        pytest.skip(f"this PyTorch sees a {mod} device")
    tmod, emod = getattr(torch, mod), getattr(ember, mod)
    _same_outcome(lambda: eval("m." + call, {"m": tmod}), lambda: eval("m." + call,
                                                                        {"m": emod}))


# ------------------------------------------------------------------ Tensor flags and methods
FLAGS = ["is_xpu", "is_mps", "is_mtia", "is_ipu", "is_maia", "is_vulkan", "is_xla",
         "is_mkldnn", "is_sparse_csr", "name"]
METHODS = ["xpu()", "mtia()", "ipu()", "record_stream(None)", "is_coalesced()", "indices()",
           "values()", "coalesce()", "sparse_dim()", "dense_dim()", "crow_indices()",
           "col_indices()", "grad_dtype"]


@pytest.mark.parametrize("shape", [(2,), (2, 3, 4), ()])
def test_tensor_flags_and_dense_sparse_accessors(torch, shape):
    t, e = torch.ones(shape, dtype=torch.float64), ember.ones(shape, dtype=ember.float64)
    for f in FLAGS:
        assert getattr(t, f) == getattr(e, f), f
    for m in METHODS:
        _same_outcome(lambda m=m: eval("x." + m, {"x": t}),
                      lambda m=m: eval("x." + m, {"x": e}))


def test_grad_dtype_leaf_only(torch):
    for lib in (torch, ember):
        x = lib.ones(3, dtype=lib.float64, requires_grad=True)
        assert str(x.grad_dtype).endswith("float64")
    _same_outcome(lambda: (torch.ones(3, requires_grad=True) * 2).grad_dtype,
                  lambda: (ember.ones(3, requires_grad=True) * 2).grad_dtype)


def test_sparse_tensor_keeps_its_accessors():
    s = ember.ones(2, 3).to_sparse()
    assert s.sparse_dim() == 2 and s.dense_dim() == 0
    assert s.indices().shape == (2, 6) and s.values().shape == (6,)


# ------------------------------------------------------------------ top-level modules, flags
def test_functional_reexports(torch):
    import ember.functional as ef

    for name in torch.functional.__all__:
        assert getattr(ef, name) is getattr(ember, name), name
    x = np.arange(12.0).reshape(3, 4)
    assert_close(ef.einsum("ij->ji", ember.tensor(x)), torch.functional.einsum(
        "ij->ji", torch.tensor(x)))
    assert ef.broadcast_shapes((3, 1), (1, 4)) == torch.functional.broadcast_shapes((3, 1),
                                                                                    (1, 4))


def test_overrides(torch):
    o = ember.overrides
    x = ember.ones(2)
    assert o.has_torch_function((x,)) is False and o.has_torch_function_unary(x) is False
    assert o.is_tensor_like(x) and not o.is_tensor_like(1)
    assert o.is_tensor_method_or_property(ember.Tensor.add)
    assert not o.is_tensor_method_or_property(ember.add)
    assert o.resolve_name(ember.Tensor.add) == "ember.Tensor.add"
    assert o.resolve_name(ember.add) == "ember.add"
    assert ember.zeros in o.get_ignored_functions()
    assert ember.add in o.get_overridable_functions()[ember]

    class Wrapped:
        """A tensor-like that implements the protocol."""

        def __init__(self, v):
            self.v = v

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return ("handled", func.__name__, types)

    @o.wrap_torch_function(lambda a, b: (a, b))
    def combine(a, b):
        return a + b

    w = Wrapped(1)
    assert o.has_torch_function((x, w)) and o.is_tensor_like(w)
    assert combine(w, x) == ("handled", "combine", (Wrapped,))
    assert_close(combine(x, x), x + x)

    class Refuses(Wrapped):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    with pytest.raises(TypeError, match="no implementation found"):
        o.handle_torch_function(combine, (Refuses(1),), Refuses(1), x)
    # the same protocol in PyTorch
    tw = torch.overrides.handle_torch_function(torch.add, (w,), w, 1)
    assert tw[0] == "handled" and tw[2] == (Wrapped,)


def test_build_flags_and_switches(torch):
    assert ember.has_lapack is True and ember.has_spectral is True
    assert ember.has_mkl is ember.backends.mkl.is_available()
    assert ember.has_openmp is ember.backends.openmp.is_available()
    assert ember.is_vulkan_available() is torch.is_vulkan_available()
    assert ember.init_num_threads() is None
    try:
        for lib in (torch, ember):
            lib.set_anomaly_enabled(True, False)
            assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
            lib.set_anomaly_enabled(False, False)
            assert not lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
            lib.set_anomaly_enabled(False)
            assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    finally:
        for lib in (torch, ember):
            lib.set_anomaly_enabled(False)


# ------------------------------------------------------------------ storages
LEGACY = ["FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage",
          "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_storage_classes(torch, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc, ec = getattr(torch, name), getattr(ember, name)
        assert tc(3).size() == ec(3).size() == 3
        ts, es = tc([1, 0, 1]), ec([1, 0, 1])
        assert ts.tolist() == es.tolist() and len(ts) == len(es)
        assert str(ts.dtype).split(".")[1] == str(es.dtype).split(".")[1]
        assert type(es) is ember.TypedStorage and isinstance(es, ec)
        assert es.type() == ts.type()
        assert tc().size() == ec().size() == 0
        es[1] = 1
        ts[1] = 1
        assert es.tolist() == ts.tolist()
        assert es.fill_(0).tolist() == ts.fill_(0).tolist()
        _same_outcome(lambda: tc(2, 3), lambda: ec(2, 3))
        _same_outcome(lambda: tc([1], dtype=torch.float64), lambda: ec([1], dtype=ember.float64))
        _same_outcome(lambda: tc("a"), lambda: ec("a"))


def test_tensor_storage_isinstance_and_set(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (torch, ember):
            x = lib.tensor([1.0, 2.0])
            assert isinstance(x.storage(), lib.FloatStorage)
            assert not isinstance(x.storage(), lib.DoubleStorage)
            assert isinstance(x.storage(), lib.TypedStorage)
            assert isinstance(x.untyped_storage(), lib.UntypedStorage)
            assert x.storage_type() is lib.FloatStorage
        e = ember.tensor([], dtype=ember.float32).set_(ember.FloatStorage([1, 2, 3]))
        t = torch.tensor([], dtype=torch.float32).set_(torch.FloatStorage([1, 2, 3]))
        assert_close(e, t)
        assert ember.TypedStorage([1, 2], dtype=ember.int32).tolist() == torch.TypedStorage(
            [1, 2], dtype=torch.int32).tolist()
        assert ember.TypedStorage(3, dtype=ember.float64).size() == 3
        assert ember.FloatStorage([1, 2]).double().tolist() == torch.FloatStorage(
            [1, 2]).double().tolist()


def test_untyped_storage(torch):
    for n in (0, 4):
        assert ember.UntypedStorage(n).nbytes() == torch.UntypedStorage(n).nbytes() == n
    assert ember.UntypedStorage([1, 2, 255]).tolist() == torch.UntypedStorage(
        [1, 2, 255]).tolist()


# ------------------------------------------------------------------ float8
F8 = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]


@pytest.mark.parametrize("name", F8)
def test_float8_dtype_finfo(torch, name):
    pytest.importorskip("ml_dtypes")
    td, ed = getattr(torch, name), getattr(ember, name)
    assert repr(ed) == f"ember.{name}" and ed.itemsize == td.itemsize
    assert ed.is_floating_point and ed.is_signed and not ed.is_complex
    tf, ef = torch.finfo(td), ember.finfo(ed)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(tf, attr) == getattr(ef, attr), attr
    assert repr(tf) == repr(ef)


@pytest.mark.parametrize("name", F8)
@pytest.mark.parametrize("src", ["float32", "float64", "float16"])
def test_float8_cast_and_print(torch, name, src):
    pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(3)
    # in range, with subnormals and ties: saturation of out-of-range values is left out
    limit = {"float8_e4m3fn": 440.0, "float8_e4m3fnuz": 230.0}.get(name, 5e4)
    v = np.concatenate([rng.uniform(-limit, limit, 40), rng.standard_normal(40) * 1e-2,
                        [0.0, -0.0, 1.0, 0.5]]).astype(src)
    td, ed = getattr(torch, name), getattr(ember, name)
    t, e = torch.tensor(v).to(td), ember.tensor(v).to(ed)
    assert e.dtype is ed and e.element_size() == 1
    assert np.array_equal(e.view(ember.uint8).numpy(), t.view(torch.uint8).numpy())
    assert_close(e.float(), t.float())
    assert e.tolist() == t.tolist()
    small = [[0.1, 1.5], [-3.0, 96.0]]
    assert repr(ember.tensor(small).to(ed)) == repr(torch.tensor(small).to(td)).replace(
        "torch", "ember")
    assert repr(ember.ones(2, dtype=ed)) == repr(torch.ones(2, dtype=td)).replace("torch",
                                                                                   "ember")
    assert_close(ember.full((2, 3), 3.0, dtype=ed).float(),
                 torch.full((2, 3), 3.0, dtype=td).float())
    assert_close(e.reshape(-1, 4)[:, 1:].float(), t.reshape(-1, 4)[:, 1:].float())
    assert_close(e.to(ember.bfloat16), t.to(torch.bfloat16))


def test_float8_no_promotion(torch):
    pytest.importorskip("ml_dtypes")
    for a, b in [("float8_e4m3fn", "float32"), ("float8_e5m2", "bfloat16"),
                 ("float8_e5m2", "float8_e4m3fn")]:
        _same_outcome(lambda a=a, b=b: torch.promote_types(getattr(torch, a), getattr(torch, b)),
                      lambda a=a, b=b: ember.promote_types(getattr(ember, a), getattr(ember, b)))


# ------------------------------------------------------------------ geqrf / ormqr
SHAPES = [(5, 3), (3, 5), (4, 4), (2, 4, 3), (2, 1, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_geqrf_ormqr(torch, shape, dtype):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    a = a.astype(dtype)
    eh, etau = ember.geqrf(ember.tensor(a))
    th, ttau = torch.geqrf(torch.tensor(a))
    assert_close(eh, th)
    assert_close(etau, ttau)
    assert_close(ember.tensor(a).geqrf().tau, ttau)
    m = shape[-2]
    for left in (True, False):
        c = rng.standard_normal(shape[:-2] + ((m, 3) if left else (2, m))).astype(dtype)
        cn = np.swapaxes(np.swapaxes(c, -1, -2).copy(), -1, -2)  # a non-contiguous layout
        for transpose in (False, True):
            assert_close(ember.ormqr(eh, etau, ember.tensor(cn), left, transpose),
                         torch.ormqr(th, ttau, torch.tensor(cn), left, transpose))
    # the reflectors rebuild the input: Q R == A
    r = ember.triu(eh)[..., :min(shape[-2:]), :]
    q = ember.ormqr(eh, etau, ember.eye(m, dtype=eh.dtype).expand(*shape[:-2], m, m))
    assert_close(q[..., :, :r.shape[-2]] @ r, ember.tensor(a))


def test_geqrf_errors(torch):
    _same_outcome(lambda: torch.geqrf(torch.ones(3)), lambda: ember.geqrf(ember.ones(3)))
    _same_outcome(lambda: torch.geqrf(torch.ones(3, 3, dtype=torch.int64)),
                  lambda: ember.geqrf(ember.ones(3, 3, dtype=ember.int64)))


def test_ormqr_grad(torch):
    rng = np.random.default_rng(0)
    h, tau = torch.geqrf(torch.tensor(rng.standard_normal((4, 3))))
    c = rng.standard_normal((4, 2))
    for transpose in (False, True):
        gradcheck(lambda hh, tt, cc, tr=transpose: ember.ormqr(hh, tt, cc, True, tr),
                  np.ascontiguousarray(h.numpy()), tau.numpy(), c, second=False)
        args = [torch.tensor(v, requires_grad=True) for v in (h.numpy(), tau.numpy(), c)]
        eargs = [ember.tensor(v, requires_grad=True) for v in (h.numpy(), tau.numpy(), c)]
        torch.ormqr(*args, True, transpose).sin().sum().backward()
        ember.ormqr(*eargs, True, transpose).sin().sum().backward()
        for ea, ta in zip(eargs, args):
            assert_close(ea.grad, ta.grad)


# ------------------------------------------------------------------ native_* and RNN cells
def test_native_dropout(torch):
    x = np.random.default_rng(1).standard_normal((4, 6, 5)).astype("float32")
    for p in (0.0, 0.3, 1.0):
        torch.manual_seed(7)
        ember.manual_seed(7)
        to, tm = torch.native_dropout(torch.tensor(x), p, True)
        eo, em = ember.native_dropout(ember.tensor(x), p, True)
        assert em.dtype is ember.bool
        assert_close(em, tm)
        assert_close(eo, to)
    eo, em = ember.native_dropout(ember.tensor(x), 0.4, False)
    to, tm = torch.native_dropout(torch.tensor(x), 0.4, False)
    assert_close(eo, to)
    assert_close(em, tm)
    gradcheck(lambda t: ember.native_dropout(t, 0.0, True)[0], x.astype("float64"),
              second=False)


@pytest.mark.parametrize("n,c,hw,g", [(4, 6, 5, 3), (2, 4, 1, 2), (3, 8, 6, 8)])
def test_native_group_norm(torch, n, c, hw, g):
    rng = np.random.default_rng(n + c)
    x = rng.standard_normal((n, c, hw))
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    for args in ((w, b), (None, None)):
        te = [None if a is None else torch.tensor(a) for a in args]
        ee = [None if a is None else ember.tensor(a) for a in args]
        tr = torch.native_group_norm(torch.tensor(x), *te, n, c, hw, g, 1e-5)
        er = ember.native_group_norm(ember.tensor(x), *ee, n, c, hw, g, 1e-5)
        for a, b_ in zip(er, tr):
            assert_close(a, b_)


CELLS = [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3), ("lstm_cell", 4)]


@pytest.mark.parametrize("name,gates", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_cells(torch, name, gates, bias):
    rng = np.random.default_rng(gates)
    b, i, h = 3, 5, 4
    vals = [rng.standard_normal(s) for s in [(b, i), (b, h), (b, h), (gates * h, i),
                                             (gates * h, h), (gates * h,), (gates * h,)]]

    def call(lib, ts):
        x, h0, c0, wih, whh, bih, bhh = ts
        hx = (h0, c0) if name == "lstm_cell" else h0
        extra = (bih, bhh) if bias else ()
        out = getattr(lib, name)(x, hx, wih, whh, *extra)
        return list(out) if name == "lstm_cell" else [out]

    tt = [torch.tensor(v, requires_grad=True) for v in vals]
    et = [ember.tensor(v, requires_grad=True) for v in vals]
    to, eo = call(torch, tt), call(ember, et)
    for a, b_ in zip(eo, to):
        assert_close(a, b_)
    sum(o.sin().sum() for o in to).backward()
    sum(o.sin().sum() for o in eo).backward()
    for ea, ta in zip(et, tt):
        if ta.grad is not None:
            assert_close(ea.grad, ta.grad)
    gradcheck(lambda *ts: call(ember, ts)[0], *vals, second=False)


# ------------------------------------------------------------------ small leftovers
@pytest.mark.parametrize("shape", [(3, 4, 5), (6,), (2, 3)])
@pytest.mark.parametrize("p", [2, 3, 1])
def test_norm_except_dim(torch, shape, p):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    for dim in range(-1, len(shape)):
        assert_close(ember.norm_except_dim(ember.tensor(x), p, dim),
                     torch.norm_except_dim(torch.tensor(x), p, dim))
    gradcheck(lambda t: ember.norm_except_dim(t, p, 0), x, second=False)


def test_removed_and_flag_functions(torch):
    t, e = torch.ones(2, 2), ember.ones(2, 2)
    for call in ["eig()", "lstsq(x)", "solve(x)", "symeig()", "ccol_indices()",
                 "row_indices()", "is_distributed()"]:
        tr, er = (_outcome(lambda c=call, v=v: eval("v." + c, {"v": v, "x": v}))
                  for v in (t, e))
        assert tr[0] == er[0], call
        if tr[0] is RuntimeError:  # the removed ones: PyTorch's first sentence
            assert er[1].split(".")[0] == tr[1].split(".")[0]
        else:
            assert tr == er
    for name in ["eig", "symeig"]:
        with pytest.raises(RuntimeError, match="deprecated since version 1.9"):
            getattr(ember, name)(e)
    assert ember.is_distributed(e) is torch.is_distributed(t)
    assert ember.compiled_with_cxx11_abi() is torch.compiled_with_cxx11_abi()
    assert ember.Storage is ember.FloatStorage
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert e.volatile is False
