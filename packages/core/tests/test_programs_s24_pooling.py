"""Pooling differences found by a second differential fuzz against PyTorch (stretch 24)."""

import numpy as np
import pytest

import ember

F = pytest.importorskip("ember.nn.functional")
torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _run(lib, fn, a, grad=False, **kw):
    x = lib.tensor(a, requires_grad=grad)
    return x, getattr(TF if lib is torch else F, fn)(x, **kw)


@pytest.mark.parametrize("a,size", [
    (np.array([[[1.0, np.inf, -np.inf]]]), 2),
    (np.array([[[1.0, np.inf, 2, 3, 4, 5]]]), 4),
    (np.array([[[1.0, np.inf, 2, 3, 4, 5]]]), 5),
    (np.array([[[-np.inf, 2.0, 3, 4, 5, 6, np.nan]]]), 3),
])
def test_adaptive_avg_pool1d_keeps_inf_inside_its_windows(a, size):
    # the weights of a window matrix multiplied an inf by 0 and spread NaN to the next windows
    want = TF.adaptive_avg_pool1d(torch.tensor(a), size)
    got = F.adaptive_avg_pool1d(ember.tensor(a), size)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("d,shape,size", [
    (2, (2, 3, 5, 7), (3, 4)),
    (2, (1, 2, 6, 4), (None, 5)),
    (3, (1, 2, 5, 4, 3), (2, 3, 2)),
])
def test_adaptive_avg_pool_with_infs_matches_pytorch(d, shape, size):
    rng = np.random.default_rng(d)
    a = rng.standard_normal(shape)
    a.reshape(-1)[rng.choice(a.size, 3, replace=False)] = [np.inf, -np.inf, np.inf]
    want = getattr(TF, f"adaptive_avg_pool{d}d")(torch.tensor(a), size)
    got = getattr(F, f"adaptive_avg_pool{d}d")(ember.tensor(a), size)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    a32 = a.astype(np.float32)
    want = getattr(TF, f"adaptive_avg_pool{d}d")(torch.tensor(a32), size)
    got = getattr(F, f"adaptive_avg_pool{d}d")(ember.tensor(a32), size)
    # float32 window sums round in a different order: an absolute term for cancellations
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
def test_lp_pool_inf_norm_has_pytorchs_graph(d, p):
    # PyTorch returns max_pool(|x|) itself for p=inf (no multiplication node)
    a = np.random.default_rng(d).standard_normal((2, 3) + (4,) * d)
    xt, want = _run(torch, f"lp_pool{d}d", a, True, norm_type=p, kernel_size=2)
    xe, got = _run(ember, f"lp_pool{d}d", a, True, norm_type=p, kernel_size=2)
    assert got.grad_fn.name() == type(want.grad_fn).__name__
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(5).standard_normal(tuple(want.shape))
    want.backward(torch.tensor(g))
    got.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("d,shape,kw", [
    (1, (1, 1, 1), dict(kernel_size=2, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (2, (1, 1, 1, 1), dict(kernel_size=2, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (3, (1, 1, 7, 5, 1), dict(kernel_size=2, stride=(3, 3, 2), padding=1, dilation=2,
                              ceil_mode=True)),
    (1, (2, 3, 5), dict(kernel_size=3, stride=2, padding=1)),
    (2, (1, 2, 3, 4), dict(kernel_size=3, stride=2, padding=1)),
    (2, (1, 1, 3, 3), dict(kernel_size=2, padding=1, dilation=2, ceil_mode=True)),
    (3, (1, 1, 3, 3, 3), dict(kernel_size=3, stride=2, padding=1)),
])
def test_max_pool_index_of_a_window_without_a_finite_value(d, shape, kw):
    # all taps -inf (or all in the padding): PyTorch keeps the first in-bounds start
    a = np.full(shape, -np.inf)
    a.reshape(-1)[1::4] = 2.0
    for arr in (a, np.full(shape, -np.inf)):
        want = getattr(TF, f"max_pool{d}d")(torch.tensor(arr), return_indices=True, **kw)
        got = getattr(F, f"max_pool{d}d")(ember.tensor(arr), return_indices=True, **kw)
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
def test_max_unpool_of_an_empty_integer_batch_returns_empty(d, dtype):
    res = []
    for lib, fns in ((torch, TF), (ember, F)):
        x = lib.zeros((0, 2) + (4,) * d, dtype=getattr(lib, dtype))
        out, idx = getattr(fns, f"max_pool{d}d")(x.float(), 2, return_indices=True)
        res.append(getattr(fns, f"max_unpool{d}d")(out.to(x.dtype), idx, 2))
    want, got = res
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
    assert got.stride() == want.stride()


@pytest.mark.parametrize("d", [1, 2, 3])
def test_max_unpool_of_a_nonempty_integer_input_still_refuses(d):
    errs = []
    for lib, fns in ((torch, TF), (ember, F)):
        x = lib.ones((1, 2) + (4,) * d, dtype=lib.int64)
        out, idx = getattr(fns, f"max_pool{d}d")(x.float(), 2, return_indices=True)
        with pytest.raises(NotImplementedError) as e:
            getattr(fns, f"max_unpool{d}d")(out.long(), idx, 2)
        errs.append(str(e.value))
    assert errs[0] == errs[1]


_LAYOUTS = {
    "transposed": lambda t: t.transpose(1, 2),  # (N, L, C) features pooled over time
    "transposed_step": lambda t: t.transpose(1, 2)[:, :, ::2],
    "contiguous": lambda t: t,
}


@pytest.mark.parametrize("layout", sorted(_LAYOUTS))
@pytest.mark.parametrize("fn,kw", [
    ("avg_pool1d", dict(kernel_size=2)),
    ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("max_pool1d", dict(kernel_size=2, return_indices=True)),
    ("max_pool1d", dict(kernel_size=2)),
    ("adaptive_max_pool1d", dict(output_size=4)),
    ("adaptive_max_pool1d", dict(output_size=3, return_indices=True)),
    ("lp_pool1d", dict(norm_type=2, kernel_size=2)),
])
@pytest.mark.parametrize("grad", [False, True])
def test_1d_pools_of_a_transposed_input_keep_pytorchs_strides(layout, fn, kw, grad):
    # PyTorch's 1-d pools run its 2-d kernel on (N, C, 1, L): a (N, L, C) input gives a
    # channels-last result, so `.transpose(1, 2).view(...)` works on it
    a = np.random.default_rng(3).standard_normal((2, 6, 3)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=grad)
        y = getattr(TF if lib is torch else F, fn)(_LAYOUTS[layout](x), **kw)
        res.append(y if isinstance(y, tuple) else (y,))
    for want, got in zip(*res):
        assert got.stride() == want.stride()
        assert got.is_contiguous() == want.is_contiguous()
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("d,size", [(2, 2), (2, (3, 2)), (3, (1, 2, None)), (3, 2)])
def test_adaptive_max_pool_of_a_transposed_input_is_c_order(d, size):
    # the evenly dividing case took strided slices and kept the input's order
    a = np.random.default_rng(d).standard_normal((2, 2) + (4,) * (d - 1) + (6,))
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a).transpose(-1, -2)
        res.append(getattr(TF if lib is torch else F, f"adaptive_max_pool{d}d")(
            x, size, return_indices=True))
    for want, got in zip(*res):
        assert got.stride() == want.stride()
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_pool_over_time_then_view_runs_as_in_pytorch():
    # a text CNN: (N, L, C) features pooled over L, transposed back and flattened by view
    a = np.random.default_rng(4).standard_normal((4, 10, 8)).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        fns = TF if lib is torch else F
        x = lib.tensor(a)
        y = fns.avg_pool1d(x.transpose(1, 2), 2).transpose(1, 2).view(4, -1)
        z = fns.max_pool1d(x.transpose(1, 2), 2, return_indices=True)[0].transpose(1, 2)
        outs.append((y, z.view(4, -1)))
    for want, got in zip(*outs):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("bad", [np.nan, np.inf, 0.0])
def test_lp_pool_gradient_of_nan_and_zero_windows(p, bad):
    # PyTorch's sign(out) * relu(|out|): a window summing to NaN (or 0) passes no gradient
    a = np.random.default_rng(0).standard_normal((2, 1, 4, 4))
    a[0, 0, 1, 1] = bad
    a[1, 0, 2:, 2:] = 0.0
    xt, want = _run(torch, "lp_pool2d", a, True, norm_type=p, kernel_size=2)
    xe, got = _run(ember, "lp_pool2d", a, True, norm_type=p, kernel_size=2)
    assert got.grad_fn.name() == type(want.grad_fn).__name__
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    want.backward(torch.ones_like(want))
    got.backward(ember.ones_like(got))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 3, 4, 1), (1, 1, 4, 4)])
@pytest.mark.parametrize("cl", [True, False])
def test_max_pool3d_of_an_unbatched_channels_last_input(shape, cl):
    # PyTorch's 3-d max pool refuses a 4-D input whose strides suggest channels_last
    a = np.random.default_rng(6).standard_normal(shape)
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a)
        if cl:
            x = x.contiguous(memory_format=lib.channels_last)
        try:
            res.append(lib.nn.functional.max_pool3d(x, 1, return_indices=True)[0].numpy())
        except RuntimeError as e:
            res.append(str(e))
    if isinstance(res[0], str):
        assert res[1] == res[0]
    else:
        np.testing.assert_array_equal(res[1], res[0])


@pytest.mark.parametrize("shape,size", [
    ((0, 3, 1, 3), (None, 1)), ((0, 3, 4, 4), (1, 1)), ((2, 0, 3, 3), 1),
    ((0, 3, 4, 4), (None, 1)), ((0, 3, 4, 4), (2, 2)),
])
def test_adaptive_avg_pool2d_of_an_empty_integer_input(shape, size):
    # a (1, 1) output is PyTorch's mean, which refuses integers even when empty
    res = []
    for lib in (torch, ember):
        try:
            y = lib.nn.functional.adaptive_avg_pool2d(lib.zeros(shape, dtype=lib.uint8), size)
            res.append((tuple(y.shape), str(y.dtype).split(".")[-1]))
        except RuntimeError as e:
            res.append(str(e))
    assert res[1] == res[0]


def _fuzz_case(rng):
    """One random pool call: (function name, input array, keyword arguments)."""
    d = int(rng.integers(1, 4))
    op = ["max_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool"][
        int(rng.integers(0, 5))]
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(
        int(v) for v in rng.integers(1, 7, size=d))
    a = rng.standard_normal(shape)
    if rng.random() < 0.3:
        a.reshape(-1)[rng.integers(0, a.size)] = [np.nan, np.inf, -np.inf][int(rng.integers(0, 3))]
    kw = {}
    if op.startswith("adaptive"):
        kw["output_size"] = int(rng.integers(1, 5))
        if op == "adaptive_max_pool":
            kw["return_indices"] = True
    else:
        k = int(rng.integers(1, 4))
        kw["kernel_size"] = k
        kw["stride"] = int(rng.integers(1, 3))
        kw["ceil_mode"] = bool(rng.random() < 0.5)
        if op != "lp_pool":
            kw["padding"] = int(rng.integers(0, k // 2 + 1))
        if op == "max_pool":
            kw["dilation"] = int(rng.integers(1, 3))
            kw["return_indices"] = True
        if op == "avg_pool":
            kw["count_include_pad"] = bool(rng.random() < 0.5)
        if op == "lp_pool":
            kw["norm_type"] = [1, 2, 3.5, float("inf")][int(rng.integers(0, 4))]
    return f"{op}{d}d", a, kw


def test_seeded_pool_fuzz_matches_pytorch():
    rng = np.random.default_rng(2024)
    for _ in range(250):
        fn, a, kw = _fuzz_case(rng)
        res = []
        for lib in (torch, ember):
            try:
                y = getattr(lib.nn.functional, fn)(lib.tensor(a), **kw)
                res.append(y if isinstance(y, tuple) else (y,))
            except RuntimeError:
                res.append(RuntimeError)
        assert (res[0] is RuntimeError) == (res[1] is RuntimeError), (fn, a.shape, kw)
        if res[0] is RuntimeError:
            continue
        for want, got in zip(*res):
            assert tuple(got.shape) == tuple(want.shape), (fn, a.shape, kw)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12,
                                       err_msg=f"{fn} {a.shape} {kw}")
