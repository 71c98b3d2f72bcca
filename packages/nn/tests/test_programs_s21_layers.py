"""Session 21: nn layers run side by side with PyTorch, and the differences those programs
exposed: EmbeddingBag's ``include_last_offset`` with indices past the last offset and its
max-mode argument checks, the memory layout of fold / reflect / replicate padding /
rms_norm results on non-contiguous inputs, and the words of convolution and max-unpool
errors.

Every test runs the same inputs through torch and Ember and compares values, dtypes,
strides, ``grad_fn`` names or error types and messages with torch's.
"""

from __future__ import annotations

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.ops._torch_cpu import onednn_half

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _np(t: object) -> np.ndarray:
    t = t.detach()
    return (t.float() if str(t.dtype).endswith(("bfloat16", "float16")) else t).numpy()


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _permuted(shape: tuple, order: tuple, dtype: str = "float32") -> np.ndarray:
    """A non-contiguous array of ``shape``: a C-ordered array of permuted shape, permuted
    back."""
    inv = tuple(int(i) for i in np.argsort(order))
    base = np.random.RandomState(0).randn(*(shape[i] for i in order)).astype(dtype)
    return base.transpose(inv)


# ------------------------------------------------------------------ EmbeddingBag
@pytest.mark.parametrize("offsets", [[0, 2, 5], [0, 2, 2, 5], [0, 2, 8], [0, 8]])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("dtype,padding_idx", [("float32", None), ("float64", None),
                                               ("float32", 7)])
def test_embedding_bag_include_last_offset_with_trailing_indices(
        offsets: list, mode: str, dtype: str, padding_idx: int | None) -> None:
    """Indices past ``offsets[-1]``: PyTorch's fast float32 sum leaves them out, its mean
    counts them in the last bag's size (and gradient) but not its value; its generic kernel
    (float64, or a padding_idx) and its max take them."""
    torch.manual_seed(0)
    w = torch.randn(8, 3, dtype=getattr(torch, dtype))
    idx = torch.tensor([3, 1, 4, 1, 5, 6, 2, 6])
    wt = w.clone().requires_grad_()
    we = ember.from_numpy(w.numpy().copy()).requires_grad_()
    t = F.embedding_bag(idx, wt, torch.tensor(offsets), mode=mode, include_last_offset=True,
                        padding_idx=padding_idx)
    e = EF.embedding_bag(ember.from_numpy(idx.numpy().copy()), we, ember.tensor(offsets),
                         mode=mode, include_last_offset=True, padding_idx=padding_idx)
    assert tuple(e.shape) == tuple(t.shape) and _name(e) == _name(t)
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)
    if mode == "sum" and dtype == "float32" and padding_idx is None and offsets[-1] < 8:
        return  # PyTorch's gradient for the left-out rows is uninitialised memory
    g = torch.randn(t.shape, dtype=t.dtype)
    t.backward(g)
    e.backward(ember.from_numpy(g.numpy().copy()))
    np.testing.assert_allclose(_np(we.grad), _np(wt.grad), rtol=tol, atol=tol)


def test_embedding_bag_module_include_last_offset_trailing() -> None:
    torch.manual_seed(0)
    tm = torch.nn.EmbeddingBag(10, 4, mode="mean", include_last_offset=True)
    em = enn.EmbeddingBag(10, 4, mode="mean", include_last_offset=True)
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy())
                        for k, v in tm.state_dict().items()})
    idx = np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=np.int64)
    off = np.array([0, 3, 3, 6], dtype=np.int64)
    t = tm(torch.from_numpy(idx), torch.from_numpy(off))
    e = em(ember.from_numpy(idx), ember.from_numpy(off))
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kw", [dict(scale_grad_by_freq=True), dict(sparse=True)])
def test_embedding_bag_max_mode_refuses_freq_scaling_and_sparse(kw: dict) -> None:
    idx = np.array([[1, 2], [3, 4]], dtype=np.int64)
    w = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    raises_same(lambda: F.embedding_bag(torch.from_numpy(idx), torch.from_numpy(w),
                                         mode="max", **kw),
                 lambda: EF.embedding_bag(ember.from_numpy(idx), ember.from_numpy(w),
                                          mode="max", **kw))
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.EmbeddingBag(5, 3, mode="max", **kw)(torch.from_numpy(idx)),
                 lambda: enn.EmbeddingBag(5, 3, mode="max", **kw)(ember.from_numpy(idx)))


# ------------------------------------------------------------------ layouts
@pytest.mark.parametrize("padding", [0, 1, (1, 2)])
def test_fold_result_is_contiguous(padding: object) -> None:
    """A padded fold used to hand back a view into its padded buffer: ``.view`` failed."""
    cols = np.random.RandomState(0).randn(2, 16, 20).astype(np.float32)
    kw = dict(output_size=(6, 8), kernel_size=2, stride=2, padding=padding)
    if padding == 0:
        kw["output_size"] = (8, 10)
    elif padding == (1, 2):
        kw["output_size"] = (6, 6)
    t = torch.nn.Fold(**kw)(torch.from_numpy(cols).requires_grad_())
    e = enn.Fold(**kw)(ember.from_numpy(cols).requires_grad_())
    assert e.stride() == t.stride() and e.is_contiguous()
    assert _name(e) == _name(t)
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(e.view(2, -1)), _np(t.view(2, -1)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("reverse", [True, False])
def test_pad_of_permuted_input_is_c_ordered(mode: str, nd: int, reverse: bool) -> None:
    shape = (2, 3, 4, 5, 6)[:nd + 2]
    n = len(shape)
    order = tuple(range(n))[::-1] if reverse else tuple(range(n - 2)) + (n - 1, n - 2)
    x = _permuted(shape, order)
    for pad in ((1, 1) * nd, (2, 0) * nd):
        t = F.pad(torch.from_numpy(x).requires_grad_(), pad, mode=mode)
        e = EF.pad(ember.from_numpy(x).requires_grad_(), pad, mode=mode)
        assert e.stride() == t.stride()
        assert _name(e) == _name(t)
        np.testing.assert_array_equal(_np(e), _np(t))


@pytest.mark.parametrize("mod", ["ReflectionPad2d", "ReplicationPad3d", "ReplicationPad1d"])
def test_pad_modules_keep_channels_last_and_c_order(mod: str) -> None:
    nd = int(mod[-2])
    shape = (2, 3, 4, 5, 6)[:nd + 2]
    x = _permuted(shape, tuple(range(nd + 2))[::-1])
    t = getattr(torch.nn, mod)(1)(torch.from_numpy(x))
    e = getattr(enn, mod)(1)(ember.from_numpy(x))
    assert e.stride() == t.stride()
    np.testing.assert_array_equal(_np(e), _np(t))
    if nd > 1:
        fmt = "channels_last" if nd == 2 else "channels_last_3d"
        xc = np.random.RandomState(1).randn(*shape).astype(np.float32)
        tc = torch.from_numpy(xc).to(memory_format=getattr(torch, fmt))
        ec = ember.from_numpy(xc).to(memory_format=getattr(ember, fmt))
        assert getattr(enn, mod)(1)(ec).stride() == getattr(torch.nn, mod)(1)(tc).stride()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("how", ["transposed", "permuted", "sliced", "plain", "channels_last"])
@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_of_non_contiguous_input(dtype: str, how: str, affine: bool) -> None:
    """PyTorch's composite ends in ``.contiguous(suggest_memory_format())``: a permuted
    input gives a C-ordered result whose node is ``CloneBackward0`` (the half types' cast
    stays last), a channels-last one stays channels-last."""
    base = np.random.RandomState(0).randn(4, 8, 7).astype(dtype)
    views = {"transposed": lambda a: a.transpose(1, 2), "permuted": lambda a: a.permute(2, 0, 1),
             "sliced": lambda a: a[:, ::2], "plain": lambda a: a,
             "channels_last": lambda a: a.reshape(2, 2, 8, 7).permute(0, 2, 3, 1).contiguous()
             .permute(0, 3, 1, 2)}
    xt = views[how](torch.from_numpy(base)).requires_grad_()
    xe = views[how](ember.from_numpy(base)).requires_grad_()
    n = xt.shape[-1]
    torch.manual_seed(0)
    tm = torch.nn.RMSNorm(n, elementwise_affine=affine).to(getattr(torch, dtype))
    em = enn.RMSNorm(n, elementwise_affine=affine).to(getattr(ember, dtype))
    if affine:
        w = np.random.RandomState(1).rand(n).astype(dtype)
        with torch.no_grad():
            tm.weight.copy_(torch.from_numpy(w))
        with ember.no_grad():
            em.weight.copy_(ember.from_numpy(w))
    t, e = tm(xt), em(xe)
    assert e.stride() == t.stride()
    assert _name(e) == _name(t)
    tol = 2e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)
    g = np.random.RandomState(2).randn(*t.shape).astype(dtype)
    t.backward(torch.from_numpy(g))
    e.backward(ember.from_numpy(g))
    np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=tol * 10, atol=tol * 10)


# ------------------------------------------------------------------ error words
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float64", "complex64"])
def test_conv_with_bias_of_other_dtype_names_the_cpp_type(dtype: str) -> None:
    """An integer batch into a float Conv1d (a forgotten ``.float()``)."""
    x = np.zeros((2, 3, 4), dtype=dtype)
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.Conv1d(3, 4, 2)(torch.from_numpy(x)),
                 lambda: enn.Conv1d(3, 4, 2)(ember.from_numpy(x)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float64"])
def test_conv_without_bias_of_other_dtype(dtype: str) -> None:
    x = np.zeros((2, 3, 4), dtype=dtype)
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.Conv1d(3, 4, 2, bias=False)(torch.from_numpy(x)),
                 lambda: enn.Conv1d(3, 4, 2, bias=False)(ember.from_numpy(x)))


@pytest.mark.parametrize("size", [(7, 7), [9, 9], (1, 1, 7, 7), [1, 1, 1, 1]])
def test_max_unpool_bad_output_size_message_shows_it_as_given(size: object) -> None:
    x = np.random.RandomState(0).randn(1, 1, 2, 2).astype(np.float32)
    i = np.array([[[[0, 3], [8, 15]]]], dtype=np.int64)
    raises_same(lambda: torch.nn.MaxUnpool2d(2)(torch.from_numpy(x), torch.from_numpy(i),
                                                 output_size=size),
                 lambda: enn.MaxUnpool2d(2)(ember.from_numpy(x), ember.from_numpy(i),
                                            output_size=size))


@pytest.mark.parametrize("size", [(1, 2), [20, 20], (1, 2, 30, 9)])
def test_conv_transpose_bad_output_size_message_shows_it_as_given(size: object) -> None:
    x = np.random.RandomState(0).randn(1, 2, 4, 4).astype(np.float32)
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.ConvTranspose2d(2, 2, 3, stride=2)(torch.from_numpy(x),
                                                                     output_size=size),
                 lambda: enn.ConvTranspose2d(2, 2, 3, stride=2)(ember.from_numpy(x),
                                                                output_size=size))


@pytest.mark.parametrize("shape,pad", [((1, 2, 1), (1, 1)), ((1, 2, 1, 5), (1, 1, 1, 1)),
                                       ((2, 5, 1, 5), (1, 1, 1, 1, 1, 1)),
                                       ((1, 2, 1, 5, 5), (1, 1, 1, 1, 1, 1)),
                                       ((1, 2, 5, 5, 1), (1, 1, 1, 1, 1, 1))])
def test_reflect_pad_too_large_names_the_argument_of_the_dim(shape: tuple, pad: tuple) -> None:
    x = np.zeros(shape, dtype=np.float32)
    raises_same(lambda: F.pad(torch.from_numpy(x), pad, mode="reflect"),
                 lambda: EF.pad(ember.from_numpy(x), pad, mode="reflect"))


def test_reflect_padded_conv_on_too_small_input() -> None:
    x = np.zeros((1, 2, 1, 5), dtype=np.float32)
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")(
        torch.from_numpy(x)),
        lambda: enn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")(ember.from_numpy(x)))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("call", ["avg_pool3d", "lp_pool3d", "AvgPool3d", "LPPool3d"])
@pytest.mark.parametrize("shape", [(1, 2, 4, 4, 4), (2, 4, 4, 4)])
def test_avg_pool3d_has_no_cpu_half_kernel(dtype: str, call: str, shape: tuple) -> None:
    """PyTorch's CPU 3-d average pool (and the power-average pool built on it) refuses the
    half types; the adaptive one takes them."""
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    xt = torch.from_numpy(x).to(getattr(torch, dtype))
    xe = ember.from_numpy(x).to(getattr(ember, dtype))

    def go(lib: object, fn: object, inp: object) -> object:
        if call[0].isupper():
            return getattr(lib.nn, call)(*((2, 2) if call == "LPPool3d" else (2,)))(inp)
        return getattr(fn, call)(inp, *((2, 2) if call == "lp_pool3d" else (2,)))

    raises_same(lambda: go(torch, F, xt), lambda: go(ember, EF, xe))
    t = F.adaptive_avg_pool3d(xt, 2)
    e = EF.adaptive_avg_pool3d(xe, 2)
    assert str(e.dtype).split(".")[-1] == dtype
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("d,stride,padding,dilation,groups,output_padding,bias", [
    (2, 2, 0, 1, 1, 0, False), (2, 2, 1, 1, 2, 1, True), (1, 3, 1, 2, 1, 0, True),
    (3, 2, 0, 1, 1, 1, True), (2, 1, 1, 2, 2, 0, False), (2, (2, 1), (1, 0), (1, 2), 1, (1, 0),
                                                         True)])
@pytest.mark.parametrize("batched", [True, False])
def test_conv_transpose_float16_rounds_as_pytorch_cpu(d: int, stride: object, padding: object,
                                                      dilation: object, groups: int,
                                                      output_padding: object, bias: bool,
                                                      batched: bool) -> None:
    """PyTorch's CPU float16 transposed convolution rounds its columns to float16 and sums
    them in float16: bit for bit the same values. Where oneDNN runs float16 (processors with
    AVX512-FP16) it sums in float32 and rounds once, as Ember then does, in its own order: a
    rare float16 rounding tie falls the other way (one unit in the last place)."""
    r = np.random.RandomState(0)
    x = r.randn(*((2,) if batched else ()), 4, *(5,) * d).astype(np.float16)
    cout = 6 // groups if groups == 2 else 3
    torch.manual_seed(0)
    tm = torch.nn.ConvTranspose1d if d == 1 else torch.nn.ConvTranspose2d if d == 2 else \
        torch.nn.ConvTranspose3d
    tm = tm(4, cout * groups, 3, stride=stride, padding=padding, output_padding=output_padding,
            groups=groups, bias=bias, dilation=dilation).half()
    em = getattr(enn, type(tm).__name__)(4, cout * groups, 3, stride=stride, padding=padding,
                                         output_padding=output_padding, groups=groups,
                                         bias=bias, dilation=dilation).half()
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in tm.state_dict().items()})
    t = tm(torch.from_numpy(x))
    e = em(ember.from_numpy(x))
    assert str(e.dtype) == "ember.float16" and tuple(e.shape) == tuple(t.shape)
    assert _name(e) == _name(t) and e.stride() == t.stride()
    if not onednn_half():
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        return
    got, want = e.detach().numpy(), t.detach().numpy()
    ulps = np.abs(got.view(np.int16).astype(np.int32) - want.view(np.int16).astype(np.int32))
    assert ulps.max() <= 1 and np.count_nonzero(ulps) <= got.size // 1000


@pytest.mark.parametrize("how", ["transposed", "sliced", "permuted", "channels_last", "plain",
                                 "unbatched_transposed"])
def test_local_response_norm_keeps_the_input_layout(how: str) -> None:
    """PyTorch's composite ends in a division led by the input: its order of dims."""
    base = np.random.RandomState(0).randn(2, 6, 5, 8).astype(np.float32)
    views = {"transposed": lambda a: a.transpose(-1, -2), "sliced": lambda a: a[:, :, ::2],
             "permuted": lambda a: a.permute(0, 3, 1, 2),
             "channels_last": lambda a: a.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
             "plain": lambda a: a, "unbatched_transposed": lambda a: a[0].transpose(0, 1)}
    xt = views[how](torch.from_numpy(base)).requires_grad_()
    xe = views[how](ember.from_numpy(base)).requires_grad_()
    t = torch.nn.LocalResponseNorm(3, alpha=1e-2)(xt)
    e = enn.LocalResponseNorm(3, alpha=1e-2)(xe)
    assert e.stride() == t.stride()
    assert _name(e) == _name(t)
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-6)
    g = np.random.RandomState(1).randn(*t.shape).astype(np.float32)
    t.backward(torch.from_numpy(g))
    e.backward(ember.from_numpy(g))
    np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("transposed", [False, True])
def test_conv3d_channels_last_output_layout(dtype: str, batch: int, transposed: bool) -> None:
    """PyTorch's 3-D convolutions keep a channels_last_3d input's layout only on the paths
    that have one: bfloat16, and float32 with more than one sample; the input gradient
    follows the input."""
    x = np.random.RandomState(0).randn(batch, 4, 5, 6, 5).astype(np.float32)
    cls = "ConvTranspose3d" if transposed else "Conv3d"
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(4, 2, 3).to(getattr(torch, dtype))
    em = getattr(enn, cls)(4, 2, 3).to(getattr(ember, dtype))
    xt = torch.from_numpy(x).to(getattr(torch, dtype)).to(
        memory_format=torch.channels_last_3d).requires_grad_()
    xe = ember.from_numpy(x).to(getattr(ember, dtype)).to(
        memory_format=ember.channels_last_3d).requires_grad_()
    t, e = tm(xt), em(xe)
    assert e.stride() == t.stride()
    assert _name(e) == _name(t)
    t.sum().backward()
    e.sum().backward()
    assert xe.grad.stride() == xt.grad.stride()


@pytest.mark.parametrize("include_last_offset,offsets", [(False, []), (True, [0])])
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_without_bags(include_last_offset: bool, offsets: list,
                                    mode: str) -> None:
    """No bags: PyTorch's ``(0, dim)`` output, still an ``EmbeddingBagBackward0`` node (its
    max mode crashes here, left out)."""
    idx = np.array([1, 2, 3], dtype=np.int64)
    off = np.array(offsets, dtype=np.int64)
    torch.manual_seed(0)
    tm = torch.nn.EmbeddingBag(5, 2, mode=mode, include_last_offset=include_last_offset)
    em = enn.EmbeddingBag(5, 2, mode=mode, include_last_offset=include_last_offset)
    t = tm(torch.from_numpy(idx), torch.from_numpy(off))
    e = em(ember.from_numpy(idx), ember.from_numpy(off))
    assert tuple(e.shape) == tuple(t.shape) == (0, 2)
    assert _name(e) == _name(t)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("case", ["last_offset_without_offsets", "empty_rows"])
def test_embedding_bag_degenerate_inputs_raise_as_pytorch(case: str) -> None:
    if case == "empty_rows":
        args = (np.zeros((1, 0), dtype=np.int64),)
        kw: dict = {}
    else:
        args = (np.array([1, 2, 3], dtype=np.int64), np.array([], dtype=np.int64))
        kw = dict(include_last_offset=True)
    torch.manual_seed(0)
    ember.manual_seed(0)
    raises_same(lambda: torch.nn.EmbeddingBag(5, 2, **kw)(*map(torch.from_numpy, args)),
                 lambda: enn.EmbeddingBag(5, 2, **kw)(*map(ember.from_numpy, args)))
