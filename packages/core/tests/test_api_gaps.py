"""Gaps in the top-level API filled against PyTorch: the ``*_copy`` view twins,
``torch.signal.windows``, ``svd_lowrank``/``pca_lowrank``/``lobpcg``, small functions
(``segment_reduce``, ``empty_permuted``, ``cond``, ``sym_*``, ...), Tensor methods
(``set_``, ``dim_order``, ...) and ``torch.cuda`` on a machine without a GPU."""

from __future__ import annotations

import numpy as np
import pytest
from _misc_helpers import check, gradcheck, noncontig, rand, same, same_error

import ember
from ember.testing import assert_close

# ------------------------------------------------------------------ *_copy
COPIES = [
    ("view_copy", (3, 4), ((12,),)), ("view_copy", (3, 4), ((-1, 2),)),
    ("expand_copy", (3, 1), ((2, 3, 4),)), ("permute_copy", (2, 3, 4), ((2, 0, 1),)),
    ("squeeze_copy", (1, 3, 1), ()), ("squeeze_copy", (1, 3, 1), (2,)),
    ("squeeze_copy", (1, 3, 1), ((0, 2),)), ("unsqueeze_copy", (3, 4), (1,)),
    ("t_copy", (3, 4), ()), ("transpose_copy", (2, 3, 4), (0, 2)),
    ("diagonal_copy", (4, 5), ()), ("diagonal_copy", (3, 4, 5), (1, 2, 0)),
    ("select_copy", (3, 4), (1, -1)), ("slice_copy", (5, 6), (1, 1, 5, 2)),
    ("slice_copy", (5, 6), ()), ("slice_copy", (5, 6), (0, -10, 10, 3)),
    ("narrow_copy", (5, 6), (0, 1, 3)), ("split_copy", (5, 4), (2,)),
    ("split_copy", (5, 4), (3, 1)), ("split_with_sizes_copy", (5, 4), ([1, 4],)),
    ("unbind_copy", (3, 4), (1,)), ("unfold_copy", (4, 7), (1, 3, 2)),
    ("alias_copy", (3, 4), ()), ("as_strided_copy", (4, 5), ((2, 3), (1, 2), 1)),
]


@pytest.mark.parametrize("name,shape,args", COPIES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_copy_ops_match_torch_and_own_their_memory(torch, name, shape, args, layout):
    x = rand(*shape)
    if layout == "transposed":
        if name in ("view_copy", "as_strided_copy"):
            pytest.skip("layout-dependent")
        x = noncontig(x)
    er = check(torch, name, x, *args, grad=True)
    for r in er if isinstance(er, tuple) else (er,):
        assert r.is_contiguous()
        assert r._base is None


@pytest.mark.parametrize("name,shape,args", [c for c in COPIES if c[0] != "as_strided_copy"])
def test_copy_ops_gradcheck(name, shape, args):
    fn = getattr(ember, name)
    if name in ("split_copy", "split_with_sizes_copy", "unbind_copy"):
        gradcheck(lambda a: fn(a, *args)[-1], rand(*shape))
    else:
        gradcheck(lambda a: fn(a, *args), rand(*shape))


def test_copy_result_does_not_alias(torch):
    x = ember.zeros(3, 4)
    y = ember.t_copy(x)
    y[0, 0] = 5.0
    assert float(x[0, 0]) == 0.0


def test_view_as_real_and_complex_copies(torch):
    check(torch, "view_as_real_copy", rand(3, 2, dtype="complex128"))
    check(torch, "view_as_complex_copy", rand(3, 2))
    check(torch, "view_copy", rand(3, 4, dtype="float32"), ember.int16)
    same_error(torch, "view_as_complex_copy", rand(3, 3), match="last dimension of size 2")


def test_copy_ops_out(torch):
    x = rand(3, 4, dtype="float32")
    eo, to = ember.empty(4, 3), torch.empty(4, 3)
    r = ember.t_copy(ember.tensor(x), out=eo)
    torch.t_copy(torch.tensor(x), out=to)
    assert r is eo
    assert_close(eo, to)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got "
                                           "double instead"):
        ember.t_copy(ember.tensor(x), out=ember.empty(4, 3, dtype=ember.float64))
    outs = [ember.empty(2, 4), ember.empty(1, 4)]
    assert ember.split_copy(ember.tensor(x), 2, out=outs) is None
    touts = [torch.empty(2, 4), torch.empty(1, 4)]
    torch.split_copy(torch.tensor(x), 2, out=touts)
    same(tuple(outs), tuple(touts))
    with pytest.raises(RuntimeError, match="expected an out= argument of size 2, got size 1"):
        ember.split_copy(ember.tensor(x), 2, out=[ember.empty(2, 4)])


def test_copy_errors_match_torch(torch):
    same_error(torch, "view_copy", rand(3, 4), (5,), match=r"shape '\[5\]' is invalid")
    same_error(torch, "slice_copy", rand(3, 4), 1, 0, 4, 0, match="slice step must be positive")
    same_error(torch, "transpose_copy", rand(3, 4), 0, 2)


def test_detach_copy_requires_grad_but_has_no_derivative(torch):
    x = ember.randn(3, 4, requires_grad=True)
    d = ember.detach_copy(x)
    t = torch.detach_copy(torch.randn(3, 4, requires_grad=True))
    assert d.requires_grad == t.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::detach_copy is not implemented"):
        d.sum().backward()
    assert_close(ember.detach_copy(ember.tensor([1.0, 2.0])), torch.tensor([1.0, 2.0]))


def test_narrow_copy_method(torch):
    x = rand(4, 5)
    check(torch, "narrow_copy", x, 1, 1, 3, method=True)


# ------------------------------------------------------------------ signal.windows
WINDOWS = [("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {}),
           ("exponential", {"tau": 2.5}), ("gaussian", {}), ("gaussian", {"std": 2.3}),
           ("general_cosine", {"a": [0.46, 0.23, 0.31]}), ("general_hamming", {}),
           ("general_hamming", {"alpha": 0.6}), ("hamming", {}), ("hann", {}), ("kaiser", {}),
           ("kaiser", {"beta": 4.0}), ("nuttall", {})]


@pytest.mark.parametrize("name,kw", WINDOWS)
@pytest.mark.parametrize("M", [0, 1, 2, 7, 10])
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(torch, name, kw, M, sym, dtype):
    e = getattr(ember.signal.windows, name)(M, sym=sym, dtype=getattr(ember, dtype), **kw)
    t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dtype), **kw)
    assert_close(e, t)


def test_windows_defaults_and_factory_kwargs(torch):
    assert_close(ember.signal.windows.hann(6), torch.signal.windows.hann(6))
    w = ember.signal.windows.kaiser(5, requires_grad=True, device="cpu")
    assert w.requires_grad and w.dtype is ember.float32
    assert_close(ember.signal.windows.exponential(6, center=1.0, sym=False),
                 torch.signal.windows.exponential(6, center=1.0, sym=False))
    assert_close(ember.signal.windows.exponential(1, center=1.5, tau=2.0, sym=False),
                 torch.signal.windows.exponential(1, center=1.5, tau=2.0, sym=False))


@pytest.mark.parametrize("call", [
    lambda w, lib: w.hann(-1), lambda w, lib: w.bartlett(3, dtype=lib.float16),
    lambda w, lib: w.gaussian(3, std=0.0), lambda w, lib: w.kaiser(3, beta=-1.0),
    lambda w, lib: w.exponential(3, tau=0.0), lambda w, lib: w.exponential(3, center=1.0),
    lambda w, lib: w.general_cosine(3, a=[]), lambda w, lib: w.general_cosine(3, a=3),
    lambda w, lib: w.cosine(3, layout=lib.sparse_coo) if hasattr(lib, "sparse_coo") else
    w.cosine(-2)])
def test_window_errors_match_torch(torch, call):
    with pytest.raises(Exception) as te:
        call(torch.signal.windows, torch)
    with pytest.raises(type(te.value)) as ee:
        call(ember.signal.windows, ember)
    if "sparse" not in str(te.value):
        assert str(ee.value) == str(te.value).replace("torch.", "ember.")


# ------------------------------------------------------------------ low rank
def _low_rank(m, n, r, dtype="float64"):
    rng = np.random.default_rng(7)
    return (rng.standard_normal((m, r)) @ rng.standard_normal((r, n))).astype(dtype)


@pytest.mark.parametrize("shape", [(20, 8), (8, 20), (12, 12)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_svd_lowrank_seeded_values_and_reconstruction(torch, shape, dtype):
    a = _low_rank(*shape, 3, dtype)
    ember.manual_seed(11)
    torch.manual_seed(11)
    U, S, V = ember.svd_lowrank(ember.tensor(a), q=4)
    tU, tS, tV = torch.svd_lowrank(torch.tensor(a), q=4)
    assert_close(S, tS, rtol=1e-4, atol=1e-4)
    assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape)
    tol = 1e-3 if dtype == "float32" else 1e-10
    np.testing.assert_allclose((U * S).matmul(V.mT).numpy(), a, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(U.mT.matmul(U).numpy(), np.eye(4), atol=tol)
    # same draws: the leading singular vectors agree with torch's up to sign
    for j in range(3):
        dot = abs(float((U[:, j] * ember.tensor(tU[:, j].numpy())).sum()))
        assert dot == pytest.approx(1.0, abs=tol * 10)


def test_svd_lowrank_with_mean_and_batches(torch):
    a = np.stack([_low_rank(10, 6, 2), _low_rank(10, 6, 2) * 2])
    mean = rand(1, 6)
    ember.manual_seed(3)
    torch.manual_seed(3)
    U, S, V = ember.svd_lowrank(ember.tensor(a), q=3, niter=3, M=ember.tensor(mean))
    tU, tS, tV = torch.svd_lowrank(torch.tensor(a), q=3, niter=3, M=torch.tensor(mean))
    assert_close(S, tS)
    assert tuple(U.shape) == tuple(tU.shape) == (2, 10, 3)


@pytest.mark.parametrize("center", [True, False])
def test_pca_lowrank(torch, center):
    a = _low_rank(15, 7, 4) + 3.0
    ember.manual_seed(5)
    torch.manual_seed(5)
    U, S, V = ember.pca_lowrank(ember.tensor(a), center=center)
    tU, tS, tV = torch.pca_lowrank(torch.tensor(a), center=center)
    assert_close(S, tS)
    assert tuple(V.shape) == tuple(tV.shape) == (7, 6)
    with pytest.raises(ValueError, match=r"q\(=9\) must be non-negative integer"):
        ember.pca_lowrank(ember.tensor(a), q=9)
    with pytest.raises(ValueError, match=r"niter\(=-1\)"):
        ember.pca_lowrank(ember.tensor(a), niter=-1)


def test_svd_lowrank_gradient_of_singular_values(torch):
    a = _low_rank(8, 5, 5)
    ea = ember.tensor(a, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    ember.manual_seed(2)
    torch.manual_seed(2)
    ember.svd_lowrank(ea, q=5)[1].sum().backward()
    torch.svd_lowrank(ta, q=5)[1].sum().backward()
    assert_close(ea.grad, ta.grad)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k,n", [(1, None), (3, None), (2, 4)])
def test_lobpcg_eigenvalues(torch, largest, k, n):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((30, 30))
    a = a @ a.T + np.diag(np.arange(30.0))
    E, X = ember.lobpcg(ember.tensor(a), k=k, n=n, largest=largest)
    ev = torch.linalg.eigh(torch.tensor(a)).eigenvalues
    want = ev.flip(0)[:k] if largest else ev[:k]
    assert_close(E, want, rtol=1e-6, atol=1e-6)
    assert_close(ember.tensor(a).matmul(X), X * E, rtol=1e-4, atol=1e-4)


def test_lobpcg_generalized_and_errors(torch):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((24, 24))
    a = a @ a.T
    b = rng.standard_normal((24, 24))
    b = b @ b.T + 24 * np.eye(24)
    E, _ = ember.lobpcg(ember.tensor(a), k=2, B=ember.tensor(b))
    torch.manual_seed(0)
    tE, _ = torch.lobpcg(torch.tensor(a), k=2, B=torch.tensor(b))
    assert_close(E, tE, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="not applicable"):
        ember.lobpcg(ember.tensor(a), k=9)


# ------------------------------------------------------------------ small functions
@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod", "amax"])
@pytest.mark.parametrize("initial", [None, 2.0])
def test_segment_reduce(torch, reduce, initial):
    data = np.array([[1.0, 2], [2, 4], [5, 6], [7, 7], [0.5, 3]])
    lengths = np.array([2, 0, 3])
    e = ember.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    er = ember.segment_reduce(e, reduce, lengths=ember.tensor(lengths), initial=initial)
    tr = torch.segment_reduce(t, reduce, lengths=torch.tensor(lengths), initial=initial)
    assert_close(er, tr, equal_nan=True)
    w = rand(*tr.shape)
    fin = tr.isfinite()
    (er[ember.tensor(fin.numpy())] * ember.tensor(w[fin.numpy()])).sum().backward()
    (tr[fin] * torch.tensor(w[fin.numpy()])).sum().backward()
    assert_close(e.grad, t.grad)


def test_segment_reduce_offsets_axis_and_errors(torch):
    data = rand(3, 5)
    lens = np.array([[2, 3], [5, 0], [1, 4]])
    check(torch, "segment_reduce", data, "sum", lengths=lens, axis=1)
    check(torch, "segment_reduce", rand(5, 2), "mean", offsets=np.array([0, 2, 5]))
    gradcheck(lambda d: ember.segment_reduce(d, "prod", lengths=ember.tensor(lens), axis=1),
              data)
    same_error(torch, "segment_reduce", rand(4, 2), "sum", lengths=np.array([1, 1]),
               match="to sum to data.size")
    same_error(torch, "segment_reduce", rand(4, 2), "foo", lengths=np.array([4]),
               match="reduce argument must be")
    same_error(torch, "segment_reduce", rand(4, 2), "sum", match="Either lengths or offsets")
    same_error(torch, "segment_reduce", rand(4, 2), "sum", lengths=np.array([5, -1]),
               match="negative")
    same_error(torch, "segment_reduce", rand(4, dtype="int64"), "sum", lengths=np.array([4]))


def test_empty_permuted(torch):
    e = ember.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1), dtype=ember.float64,
                             requires_grad=True)
    t = torch.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1), dtype=torch.float64)
    assert e.shape == tuple(t.shape) and e.stride() == t.stride() and e.dtype is ember.float64
    assert e.is_leaf and e.requires_grad
    same_error(torch, "empty_permuted", (2, 3), (0,), match="does not match the length")
    same_error(torch, "empty_permuted", (2, 3), (0, 0), match="Duplicate dim not allowed")


def test_cond_and_while_loop(torch):
    x = rand(3)
    for pred in (True, False, 1, ember.tensor(x).sum() > 100):
        tp = torch.tensor(bool(pred)) if isinstance(pred, ember.Tensor) else pred
        assert_close(ember.cond(pred, lambda a: a * 2, lambda a: a - 1, (ember.tensor(x),)),
                     torch.cond(tp, lambda a: a * 2, lambda a: a - 1, (torch.tensor(x),)))
    with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element"):
        ember.cond(ember.tensor(x), lambda a: a, lambda a: a, (ember.tensor(x),))
    er = ember.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2),
                          (ember.tensor(0), ember.tensor(x)))
    tr = torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2),
                          (torch.tensor(0), torch.tensor(x)))
    same(er, tr)


def test_sym_helpers(torch):
    cases = [("sym_int", (3.7,)), ("sym_int", (-3.7,)), ("sym_int", (5,)), ("sym_float", (3,)),
             ("sym_max", (2, 3.0)), ("sym_max", (3, 2.0)), ("sym_max", (2, 3)),
             ("sym_min", (2.0, 3)), ("sym_min", (np.int64(2), 3)), ("sym_not", (True,)),
             ("sym_not", (0,)), ("sym_sqrt", (4,)), ("sym_ite", (True, 1, 2)),
             ("sym_ite", (False, 1, 2)), ("sym_sum", ([1, 2, 3],)), ("sym_sum", ([1.5, 2],)),
             ("sym_sum", ([],)), ("sym_sum", (1, 2)), ("sym_fresh_size", (5,))]
    for name, args in cases:
        e, t = getattr(ember, name)(*args), getattr(torch, name)(*args)
        assert e == t and type(e) is type(t), name
    for name, args in [("sym_max", (1, "a")), ("sym_ite", (1, 2, 3)), ("sym_int", ("a",))]:
        with pytest.raises(Exception) as te:
            getattr(torch, name)(*args)
        with pytest.raises(type(te.value)):
            getattr(ember, name)(*args)
    assert ember.sym_constrain_range(3, min=0, max=5) is None
    for fn, kw in [("sym_constrain_range", {"min": 4}), ("sym_constrain_range", {"max": 2}),
                   ("sym_constrain_range_for_size", {})]:
        value = -1 if fn.endswith("size") else 3
        with pytest.raises(RuntimeError) as te:
            getattr(torch, fn)(value, **kw)
        with pytest.raises(RuntimeError) as ee:
            getattr(ember, fn)(value, **kw)
        assert str(ee.value) == str(te.value)


def test_set_flush_denormal(torch):
    try:
        supported = torch.set_flush_denormal(True)
        assert ember.set_flush_denormal(True) == supported
        if supported:
            x = ember.tensor([1e-310], dtype=ember.float64)
            assert float((x * 1.0)[0]) == 0.0
    finally:
        torch.set_flush_denormal(False)
        ember.set_flush_denormal(False)
    assert float((ember.tensor([1e-310], dtype=ember.float64) * 1.0)[0]) == 1e-310


def test_deterministic_debug_mode(torch):
    try:
        for mode in ("warn", 2, "default", 1, 0, "error"):
            ember.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert (ember.are_deterministic_algorithms_enabled()
                    == torch.are_deterministic_algorithms_enabled())
            assert (ember.is_deterministic_algorithms_warn_only_enabled()
                    == torch.is_deterministic_algorithms_warn_only_enabled())
        ember.use_deterministic_algorithms(True, warn_only=True)
        assert ember.get_deterministic_debug_mode() == 1
        for bad in ("x", 3, 1.0, None):
            with pytest.raises(Exception) as te:
                torch.set_deterministic_debug_mode(bad)
            with pytest.raises(type(te.value)) as ee:
                ember.set_deterministic_debug_mode(bad)
            assert str(ee.value) == str(te.value).replace("torch", "ember")
    finally:
        ember.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)


def test_is_storage_and_get_device_module():
    x = ember.zeros(2)
    assert ember.is_storage(x.untyped_storage()) and ember.is_storage(x.storage())
    assert not ember.is_storage(x)
    assert ember.get_device_module("cpu") is ember.cpu
    assert ember.get_device_module(ember.device("cpu")) is ember.cpu
    assert ember.get_device_module() is ember.cuda
    assert ember.get_device_module("cuda:0") is ember.cuda
    with pytest.raises(RuntimeError, match="device type at start of device string: foo"):
        ember.get_device_module("foo")


# ------------------------------------------------------------------ Tensor methods
def test_set_(torch):
    b = ember.tensor([1.0, 2, 3, 4])
    a = ember.zeros(3)
    assert a.set_(b) is a and a.is_set_to(b) and a.data_ptr() == b.data_ptr()
    assert_close(a, torch.tensor([1.0, 2, 3, 4]))
    a = ember.zeros(3).set_(b.untyped_storage(), 1, (2,), (1,))
    assert a.storage_offset() == 1 and a.tolist() == [2.0, 3.0]
    a = ember.zeros(3).set_(b.untyped_storage(), 0, (2, 2))
    assert a.stride() == (2, 1)
    a[0, 0] = 9.0
    assert float(b[0]) == 9.0
    assert ember.zeros(3).set_(b.untyped_storage()).shape == (4,)
    assert ember.zeros(3).set_().shape == (0,)
    assert not ember.zeros(4).is_set_to(b)
    with pytest.raises(RuntimeError, match="Could not set tensor of type long int to a tensor "
                                           "of type float"):
        ember.zeros(3).set_(ember.zeros(2, dtype=ember.int64))


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, 3, 4, 5), lambda lib: lib.zeros(2, 3, 4, 5).permute(0, 2, 3, 1),
    lambda lib: lib.zeros(2, 3, 4, 5)[:, :, ::2], lambda lib: lib.zeros(3, 4).t(),
    lambda lib: lib.zeros(4, 1).expand(4, 3), lambda lib: lib.zeros(5, 4, 3).transpose(0, 2),
    lambda lib: lib.zeros(2, 3, 4, 5).contiguous(memory_format=lib.channels_last)])
def test_dim_order(torch, make):
    assert make(ember).dim_order() == make(torch).dim_order()
    for check_ in (True, [ember.contiguous_format]):
        tcheck = True if check_ is True else [torch.contiguous_format]
        try:
            want = make(torch).dim_order(ambiguity_check=tcheck)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="does not have unique dim order"):
                make(ember).dim_order(ambiguity_check=check_)
        else:
            assert make(ember).dim_order(ambiguity_check=check_) == want


def test_storage_type_and_module_load(torch):
    for dt in ("float32", "int64", "float64", "bool"):
        e = ember.zeros(2, dtype=getattr(ember, dt)).storage_type()
        t = torch.zeros(2, dtype=getattr(torch, dt)).storage_type()
        assert e.__name__ == t.__name__
    x = ember.zeros(2, 3)
    other = ember.ones(2, 3, requires_grad=True)
    r = x.module_load(other)
    assert not r.requires_grad and r.data_ptr() == x.data_ptr() and float(x.detach().sum()) == 6.0
    r = x.module_load(other, assign=True)
    assert r.data_ptr() == other.data_ptr() and not r.requires_grad


# ------------------------------------------------------------------ torch.cuda without a GPU
def test_cuda_extras_without_gpu(torch):
    if ember.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("needs a machine without a GPU")
    c = ember.cuda
    assert c.get_rng_state_all() == [] and c.set_rng_state_all([]) is None
    assert c.set_rng_state(ember.zeros(8, dtype=ember.uint8)) is None
    assert c.memory_stats_as_nested_dict() == {} and c.host_memory_stats() == {}
    assert c.memory_snapshot() == [] and c.max_memory_reserved() == 0
    assert c.get_allocator_backend() == torch.cuda.get_allocator_backend()
    assert c.is_tf32_supported() is False and c.check_error(0) is None
    with pytest.warns(FutureWarning):
        assert c.memory_cached() == 0
    with c.stream(None):
        pass
    for name in ("initial_seed", "get_rng_state", "mem_get_info", "init", "ipc_collect",
                 "get_per_process_memory_fraction", "get_sync_debug_mode", "default_stream"):
        with pytest.raises(RuntimeError):
            getattr(torch.cuda, name)()
        with pytest.raises(RuntimeError, match="No CUDA device"):
            getattr(c, name)()
    try:
        import pynvml  # noqa: F401
    except ImportError:
        for name in ("utilization", "temperature", "power_draw", "clock_rate", "memory_usage",
                     "device_memory_used"):
            with pytest.raises(ModuleNotFoundError, match="nvidia-ml-py"):
                getattr(c, name)()
        assert c.list_gpu_processes() == torch.cuda.list_gpu_processes()
