"""Runtime-utility programs run with PyTorch and with Ember: grad-mode objects, which ops
CPU autocast runs in low precision (composites that reach ``mm`` inside), the deprecated
``testing.assert_allclose``, NumPy pairs in ``assert_close``, CUDA memory queries without a
GPU, the TF32 switch, offline ``hub.load`` and the RNG's argument errors."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(20)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)
C = RNG.standard_normal((3, 4)).astype(np.float32)
V = RNG.standard_normal(4).astype(np.float32)
W = RNG.standard_normal(5).astype(np.float32)


def _outcome(fn):
    """``fn()``'s result, or its exception as (type name, message with torch -> ember)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e).replace("torch", "ember")


def _both(program):
    """``program(lib)`` run with torch and with ember; the two outcomes."""
    return _outcome(lambda: program(torch)), _outcome(lambda: program(ember))


def _name(dtype):
    return str(dtype).split(".")[-1]


# ------------------------------------------------------------------ grad-mode objects
@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_repr(mode):
    def program(lib):
        with lib.set_grad_enabled(mode) as ctx:
            r = repr(lib.set_grad_enabled(mode))
        return r.replace("torch", "ember"), ctx, lib.is_grad_enabled()

    assert program(ember) == program(torch)


# --------------------------------------------------- autocast: which products go low
_CONTRACTIONS = {
    "dot": lambda lib, t: lib.dot(t["v"], t["v"]),
    "mv": lambda lib, t: lib.mv(t["a"], t["v"]),
    "vdot": lambda lib, t: lib.vdot(t["v"], t["v"]),
    "matmul_mv": lambda lib, t: lib.matmul(t["a"], t["v"]),
    "einsum_mm": lambda lib, t: lib.einsum("ij,jk->ik", t["a"], t["b"]),
    "einsum_mul": lambda lib, t: lib.einsum("ij,ij->ij", t["a"], t["c"]),
    "einsum_rowdot": lambda lib, t: lib.einsum("ij,ij->i", t["a"], t["c"]),
    "einsum_sum": lambda lib, t: lib.einsum("ij->j", t["a"]),
    "einsum_outer": lambda lib, t: lib.einsum("i,j->ij", t["v"], t["v"]),
    "einsum_chain": lambda lib, t: lib.einsum("ij,jk,k->i", t["a"], t["b"], t["w"]),
    "einsum_then_outer": lambda lib, t: lib.einsum("ij,j,k->ik", t["a"], t["v"], t["w"]),
    "einsum_full": lambda lib, t: lib.einsum("ij,ij->", t["a"], t["c"]),
    "einsum_f64": lambda lib, t: lib.einsum("ij,jk->ik", t["a"].double(), t["b"].double()),
    "tensordot": lambda lib, t: lib.tensordot(t["a"], t["b"], 1),
    "tensordot_outer": lambda lib, t: lib.tensordot(t["v"], t["v"], 0),
    "tensordot_full": lambda lib, t: lib.tensordot(t["a"], t["c"], 2),
    "tensordot_vv": lambda lib, t: lib.tensordot(t["v"], t["v"], 1),
    "inner": lambda lib, t: lib.inner(t["a"], t["c"]),
    "inner_vv": lambda lib, t: lib.inner(t["v"], t["v"]),
    "inner_0d": lambda lib, t: lib.inner(t["v"][0], t["a"]),
    "multi_dot": lambda lib, t: lib.linalg.multi_dot([t["a"], t["b"]]),
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("op", sorted(_CONTRACTIONS))
def test_cpu_autocast_contraction_dtype(op, dtype):
    def program(lib):
        t = {k: lib.tensor(x) for k, x in
             {"a": A, "b": B, "c": C, "v": V, "w": W}.items()}
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            out = _CONTRACTIONS[op](lib, t)
        return _name(out.dtype), out.detach().float().numpy()

    (dt_t, val_t), (dt_e, val_e) = _both(program)
    assert dt_e == dt_t
    tol = {"bfloat16": 1.6e-2, "float16": 1e-3}.get(dt_t, 1e-6)
    atol = tol
    if op in ("einsum_chain", "einsum_then_outer"):
        # PyTorch rounds the first pair's product (sizes ~2) to the low dtype, Ember contracts
        # all operands at once: the error of that one rounding
        tol, atol = {"bfloat16": (1.6e-2, 4e-2), "float16": (1e-3, 4e-3)}[dtype]
    np.testing.assert_allclose(val_e, val_t, rtol=tol, atol=atol)


def test_cpu_autocast_einsum_backward_reaches_float32_leaves():
    def program(lib):
        a = lib.tensor(A, requires_grad=True)
        b = lib.tensor(B, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.bfloat16):
            out = lib.einsum("ij,jk->ik", a, b)
        out.float().sum().backward()
        return _name(out.dtype), _name(a.grad.dtype), a.grad.numpy(), b.grad.numpy()

    t, e = _both(program)
    assert e[:2] == t[:2]
    np.testing.assert_allclose(e[2], t[2], rtol=1.6e-2, atol=1e-2)
    np.testing.assert_allclose(e[3], t[3], rtol=1.6e-2, atol=1e-2)


# ------------------------------------------------------------------ testing helpers
_ALLCLOSE = {
    "far": (np.array([1.0], np.float32), np.array([1.1], np.float32)),
    "loose_f32": (np.array([1.0], np.float32), np.array([1.00005], np.float32)),
    "f64": (np.array([1.0]), np.array([1.00002])),
    "f16": (np.array([1.0], np.float16), np.array([1.002], np.float16)),
    "nan": (np.array([np.nan], np.float32), np.array([np.nan], np.float32)),
    "int": (np.array([1, 2]), np.array([1, 3])),
}


@pytest.mark.parametrize("case", sorted(_ALLCLOSE))
def test_assert_allclose_deprecated(case):
    x, y = _ALLCLOSE[case]

    def program(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = _outcome(lambda: lib.testing.assert_allclose(lib.tensor(x), lib.tensor(y)))
        return r, [(c.category.__name__, str(c.message).replace("torch", "ember")
                    .replace("pyember/pyember", "pytorch/pytorch")) for c in w]

    assert program(ember) == program(torch)


def test_assert_allclose_python_values_and_dtype_mix():
    def program(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (_outcome(lambda: lib.testing.assert_allclose([1.0, 2.0], [1.0, 2.0001])),
                    _outcome(lambda: lib.testing.assert_allclose(
                        lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64))),
                    _outcome(lambda: lib.testing.assert_allclose(lib.tensor([1.0]), [1.2],
                                                                 msg="custom")))

    assert program(ember) == program(torch)


@pytest.mark.parametrize("case", ["f32", "f64", "int", "nan", "shape", "dtype"])
def test_assert_close_numpy_pairs(case):
    x, y = {"f32": (np.ones(2, np.float32), np.full(2, 1.1, np.float32)),
            "f64": (np.ones(3), np.array([1.0, 1.5, 1.0])),
            "int": (np.array([1, 2]), np.array([1, 2])),
            "nan": (np.array([np.nan]), np.array([np.nan])),
            "shape": (np.ones(2), np.ones(3)),
            "dtype": (np.ones(2), np.ones(2, np.float32))}[case]
    assert _outcome(lambda: ember.testing.assert_close(x, y)) == \
        _outcome(lambda: torch.testing.assert_close(x, y))


# ------------------------------------------------------------------ CUDA without a GPU
@pytest.mark.parametrize("fn", ["memory_allocated", "max_memory_allocated", "memory_reserved",
                                "max_memory_reserved", "memory_stats", "device_count",
                                "is_initialized"])
def test_cuda_memory_queries_without_gpu(fn):
    if torch.cuda.is_available() or ember.cuda.is_available():
        pytest.skip("a GPU is visible")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(ember.cuda, fn)() == getattr(torch.cuda, fn)()


def test_tf32_switch_is_the_matmul_precision():
    def program(lib):
        old = lib.get_float32_matmul_precision()
        try:
            seen = [lib.backends.cuda.matmul.allow_tf32]
            lib.set_float32_matmul_precision("medium")
            seen.append(lib.backends.cuda.matmul.allow_tf32)
            lib.set_float32_matmul_precision("highest")
            seen.append(lib.backends.cuda.matmul.allow_tf32)
            lib.backends.cuda.matmul.allow_tf32 = True
            seen.append(lib.get_float32_matmul_precision())
            return seen
        finally:
            lib.set_float32_matmul_precision(old)

    assert program(ember) == program(torch)


# ------------------------------------------------------------------ hub offline
def test_hub_load_offline_message(tmp_path):
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path))
    try:
        with pytest.raises(RuntimeError) as info:
            ember.hub.load("pytorch/vision", "resnet18")
        with pytest.raises(RuntimeError) as info_list:
            ember.hub.list("pytorch/vision")
    finally:
        ember.hub.set_dir(old)
    # PyTorch's words when GitHub is out of reach and no owner_repo_{main,master} is cached
    want = ("It looks like there is no internet connection and the repo could not be found "
            f"in the cache ({tmp_path})")
    assert str(info.value) == want
    assert str(info_list.value) == want


def test_hub_load_uses_pytorchs_cache_folder_names(tmp_path):
    repo = tmp_path / "owner_repo_main"
    repo.mkdir()
    (repo / "hubconf.py").write_text("def answer(x=1):\n    return x + 41\n")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path))
    try:
        assert ember.hub.load("owner/repo", "answer") == 42
        assert ember.hub.list("owner/repo") == ["answer"]
    finally:
        ember.hub.set_dir(old)


# ------------------------------------------------------------------ RNG argument errors
_RNG_ERRORS = {
    "gen_float_state": lambda lib: lib.Generator().set_state(lib.zeros(3)),
    "gen_short_state": lambda lib: lib.Generator().set_state(lib.zeros(3, dtype=lib.uint8)),
    "gen_list_state": lambda lib: lib.Generator().set_state([1, 2]),
    "global_short_state": lambda lib: lib.set_rng_state(lib.zeros(3, dtype=lib.uint8)),
    "global_float_state": lambda lib: lib.set_rng_state(lib.zeros(5056)),
    "exponential_int_lambda": lambda lib: lib.empty(2).exponential_(-1),
    "exponential_float_lambda": lambda lib: lib.empty(2).exponential_(-1.5),
    "exponential_tiny_lambda": lambda lib: lib.empty(2).exponential_(-1e-7),
    "exponential_big_lambda": lambda lib: lib.empty(2).exponential_(-123456789.0),
    "randperm_negative": lambda lib: lib.randperm(-3),
    "randperm_negative_gen": lambda lib: lib.randperm(-1, generator=lib.Generator()),
}


@pytest.mark.parametrize("case", sorted(_RNG_ERRORS))
def test_rng_argument_errors(case):
    t, e = _both(_RNG_ERRORS[case])
    assert e == t


def test_state_round_trip_still_works():
    g = ember.Generator().manual_seed(11)
    state = g.get_state()
    a = ember.rand(4, generator=g)
    g.set_state(state)
    assert ember.equal(a, ember.rand(4, generator=g))
    tg = torch.Generator().manual_seed(11)
    g.set_state(ember.tensor(tg.get_state().numpy()))  # PyTorch's state
    np.testing.assert_array_equal(ember.rand(4, generator=g).numpy(),
                                  torch.rand(4, generator=tg).numpy())


# ------------------------------------------------------- autocast: padding, index_copy
_PADS_AND_COPIES = {
    "reflect2d": lambda lib, F, x: F.pad(x, (1, 1, 1, 1), mode="reflect"),
    "replicate1d": lambda lib, F, x: F.pad(x[0], (1, 2), mode="replicate"),
    "circular": lambda lib, F, x: F.pad(x, (1, 1, 1, 1), mode="circular"),
    "constant": lambda lib, F, x: F.pad(x, (1, 1), value=2.0),
    "ReflectionPad2d": lambda lib, F, x: lib.nn.ReflectionPad2d(1)(x),
    "ReplicationPad1d": lambda lib, F, x: lib.nn.ReplicationPad1d(2)(x[0]),
    "index_copy_promotes": lambda lib, F, x: x.float().index_copy(
        1, lib.tensor([0]), x[:, :1]),
    "index_copy_fn": lambda lib, F, x: lib.index_copy(x, 1, lib.tensor([0]), x[:, :1].float()),
    "index_copy_inplace_refuses": lambda lib, F, x: x.float().index_copy_(
        1, lib.tensor([0]), x[:, :1]),
}


@pytest.mark.parametrize("case", sorted(_PADS_AND_COPIES))
def test_cpu_autocast_padding_and_index_copy(case):
    pytest.importorskip("ember.nn")
    img = RNG.standard_normal((1, 2, 4, 4)).astype(np.float32)

    def program(lib):
        F = lib.nn.functional
        x = lib.tensor(img).bfloat16()
        with lib.autocast("cpu"):
            out = _PADS_AND_COPIES[case](lib, F, x)
        return _name(out.dtype), out.float().numpy().tolist()

    t, e = _both(program)
    assert e == t


@pytest.mark.parametrize("device_type", ["foo", "CPU", "", "cpu"])
def test_autocast_device_type_errors(device_type):
    def program(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = lib.autocast(device_type)
        return type(a).__module__.replace("torch", "ember"), a.device

    t, e = _both(program)
    assert e == t


# ------------------------------------------------------------------ compile and _dynamo
def _double(a):
    return a * 2


_COMPILE_CALLS = {
    "bad_mode": lambda lib: lib.compile(_double, mode="foo"),
    "mode_and_options": lambda lib: lib.compile(_double, mode="default", options={"a": 1}),
    "bad_backend": lambda lib: lib.compile(_double, backend="nonexistent"),
    "eager_backend": lambda lib: lib.compile(_double, backend="eager")(lib.ones(2)).tolist(),
    "callable_backend": lambda lib: lib.compile(
        _double, backend=lambda gm, inputs: gm.forward)(lib.ones(2)).tolist(),
    "every_mode": lambda lib: [lib.compile(_double, mode=m)(lib.ones(1)).tolist() for m in
                               ("default", "reduce-overhead", "max-autotune",
                                "max-autotune-no-cudagraphs")],
    "new_kwargs": lambda lib: lib.compile(_double, name="f", recompile_limit=4,
                                          isolate_recompiles=True)(lib.ones(1)).tolist(),
    "decorator_bad_mode": lambda lib: lib.compile(mode="foo")(_double),
    "decorator_none": lambda lib: lib.compile()(None),
    "disable_skips_checks": lambda lib: lib.compile(_double, disable=True) is _double,
    "dynamo_reset": lambda lib: lib._dynamo.reset(),
    "dynamo_disable": lambda lib: lib._dynamo.disable(_double)(lib.ones(1)).tolist(),
    "dynamo_list_backends": lambda lib: lib._dynamo.list_backends(),
    "compiler_list_backends": lambda lib: lib.compiler.list_backends(),
    "dynamo_config": lambda lib: (lib._dynamo.config.suppress_errors,
                                  lib._dynamo.config.cache_size_limit),
    "invalid_backend_is_runtime_error": lambda lib: issubclass(lib._dynamo.exc.InvalidBackend,
                                                               RuntimeError),
}


@pytest.mark.parametrize("case", sorted(_COMPILE_CALLS))
def test_compile_arguments_and_dynamo(case):
    def program(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _COMPILE_CALLS[case](lib)

    t, e = _both(program)
    assert e == t


def test_dynamo_suppress_errors_program():
    """The line tutorials add before ``compile``: set, then a compiled model runs."""
    pytest.importorskip("ember.nn")
    x = RNG.standard_normal((2, 4)).astype(np.float32)

    def program(lib):
        import importlib

        importlib.import_module(f"{lib.__name__}._dynamo")
        lib._dynamo.config.suppress_errors = True
        lib.manual_seed(0)
        model = lib.nn.Linear(4, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = lib.compile(model, mode="reduce-overhead")(lib.tensor(x))
        lib._dynamo.config.suppress_errors = False
        return out.detach().numpy()

    t, e = _both(program)
    np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ threads, determinism
_THREAD_CALLS = {
    "threads_float": lambda lib: lib.set_num_threads(2.0),
    "threads_bool": lambda lib: lib.set_num_threads(True),
    "threads_str": lambda lib: lib.set_num_threads("2"),
    "threads_zero": lambda lib: lib.set_num_threads(0),
    "interop_zero": lambda lib: lib.set_num_interop_threads(0),
    "interop_float": lambda lib: lib.set_num_interop_threads(2.0),
    "det_int": lambda lib: lib.use_deterministic_algorithms(1),
    "det_none": lambda lib: lib.use_deterministic_algorithms(None),
    "det_str": lambda lib: lib.use_deterministic_algorithms("yes"),
    "det_warn_only_int": lambda lib: lib.use_deterministic_algorithms(True, warn_only=1),
}


@pytest.mark.parametrize("case", sorted(_THREAD_CALLS))
def test_thread_and_determinism_argument_errors(case):
    def program(lib):
        before = (lib.get_num_threads(), lib.are_deterministic_algorithms_enabled(),
                  lib.is_deterministic_algorithms_warn_only_enabled())
        r = _outcome(lambda: _THREAD_CALLS[case](lib))
        after = (lib.get_num_threads(), lib.are_deterministic_algorithms_enabled(),
                 lib.is_deterministic_algorithms_warn_only_enabled())
        return r, before == after

    assert program(ember) == program(torch)


def test_set_num_threads_round_trip():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(np.int64(3))
        assert ember.get_num_threads() == 3
    finally:
        ember.set_num_threads(before)


def test_interop_threads_set_once(monkeypatch):
    from ember import _runtime

    monkeypatch.setattr(_runtime, "_interop_set", [False])
    monkeypatch.setattr(_runtime, "_threads", list(_runtime._threads))
    ember.set_num_interop_threads(2)
    assert ember.get_num_interop_threads() == 2
    with pytest.raises(RuntimeError) as info:
        ember.set_num_interop_threads(3)
    # PyTorch's words (its own second call fails the same way)
    assert str(info.value) == ("Error: cannot set number of interop threads after parallel "
                               "work has started or set_num_interop_threads called")
    assert ember.get_num_interop_threads() == 2


def test_utils_deterministic_flag():
    import torch.utils.deterministic as tdet

    import ember.utils.deterministic as det

    assert det.fill_uninitialized_memory == tdet.fill_uninitialized_memory
    det.fill_uninitialized_memory = False
    try:
        assert ember.utils.deterministic.fill_uninitialized_memory is False
    finally:
        det.fill_uninitialized_memory = True
