"""Known differences left by session 23's fuzzers (core ops, and one vision transform), each
run with torch and with ember on the same inputs: values, dtypes, shapes and error types."""

from __future__ import annotations

import math
import signal
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """``fn(lib)`` as plain values, or the exception's type name."""
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return ("raised", type(e).__name__)
    return plain(r)


def plain(r):
    if isinstance(r, (ember.Tensor, torch.Tensor)):
        return ("T", str(r.dtype).split(".")[-1], tuple(r.shape), tuple(r.stride()),
                np.asarray(r.detach().float().tolist() if r.dtype in (torch.bfloat16,)
                           else r.detach().tolist()).tolist())
    if isinstance(r, (tuple, list)):
        return tuple(plain(v) for v in r)
    return r


_RTOL = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-3, "bfloat16": 1e-2}


def check(got, want):
    """Equal structure, dtype, shape, strides; float values nan-aware within the dtype's
    tolerance (infinities exactly)."""
    if isinstance(want, tuple) and want and want[0] == "T":
        assert got[:4] == want[:4], (got, want)
        rtol = _RTOL.get(want[1])
        if rtol is None:
            assert got[4] == want[4], (got, want)
        else:
            np.testing.assert_allclose(np.asarray(got[4], dtype=float),
                                       np.asarray(want[4], dtype=float), rtol=rtol, atol=0,
                                       equal_nan=True)
    elif isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            check(g, w)
    else:
        assert got == want, (got, want)


def same(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = outcome(fn, torch), outcome(fn, ember)
    check(got, want)
    return got


# ------------------------------------------------------------------ (2) sort(dim, stable=)
@pytest.mark.parametrize("call", [
    lambda x: x.sort(0, stable=True),
    lambda x: x.sort(0, stable=False),
    lambda x: x.sort(0, stable=None),
    lambda x: x.sort(0, True, stable=True),
    lambda x: x.sort(dim=0, stable=True),
    lambda x: x.sort(dim=0, descending=True, stable=True),
    lambda x: x.sort(0, True),
    lambda x: x.sort(0, descending=True),
    lambda x: x.sort(stable=None),
])
def test_sort_stable_needs_keyword_dim(call):
    a = np.array([[3.0, 1.0, 2.0], [1.0, 1.0, 0.0]], dtype=np.float32)
    got = same(lambda lib: call(lib.tensor(a)))
    if got[0] != "raised":
        t = call(torch.tensor(a, requires_grad=True))
        e = call(ember.tensor(a, requires_grad=True))
        assert e.values.grad_fn.name() == t.values.grad_fn.name()


def test_torch_sort_positional_dim_with_stable():
    a = np.arange(6.0).reshape(2, 3)
    got = same(lambda lib: lib.sort(lib.tensor(a), 0, stable=True))
    assert got == ("raised", "TypeError")


# ------------------------------------------------------------------ (6) permute()
@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_permute_without_dims_is_a_type_error(shape):
    a = np.ones(shape, dtype=np.float32)
    assert same(lambda lib: lib.tensor(a).permute()) == ("raised", "TypeError")
    same(lambda lib: lib.tensor(a).permute(tuple(range(len(shape)))))
    same(lambda lib: lib.permute(lib.tensor(a), dims=tuple(range(len(shape)))))


# ------------------------------------------------------------------ (7) bernoulli, rand, Generator
@pytest.mark.parametrize("p", [np.full(3, 0.5), np.array([0.5]), np.array(1.0), np.array(0.0)])
def test_bernoulli_tensor_p(p):
    x = np.full(3, 0.5, dtype=np.float32)
    got = same(lambda lib: lib.bernoulli(lib.tensor(x), p=lib.tensor(p)).shape)
    assert (got[0] == "raised") == (p.ndim > 0)


def test_tensor_bernoulli_tensor_p_refused():
    x = np.full(3, 0.5, dtype=np.float32)
    same(lambda lib: lib.tensor(x).bernoulli(p=lib.tensor(x)))
    same(lambda lib: lib.tensor(x).bernoulli(lib.tensor(x)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.rand(2, names=None),
    lambda lib: lib.randn((2,), names=None),
    lambda lib: lib.rand(2, foo=1),
    lambda lib: lib.rand(2, 3).shape,
    lambda lib: lib.rand(size=(2,)).shape,
])
def test_rand_refuses_unknown_keywords(call):
    same(call)


def test_generator_meta_refused():
    assert same(lambda lib: lib.Generator("meta")) == ("raised", "RuntimeError")
    assert same(lambda lib: str(lib.Generator("cpu").device)) == "cpu"


# ------------------------------------------------------------------ (9) var_mean / std_mean with inf
@pytest.mark.parametrize("vals", [
    [1.0, math.inf, 2.0], [-math.inf, 1.0], [1.0, math.inf], [math.inf], [math.inf, math.inf],
    [math.inf, -math.inf], [1.0, -math.inf], [1.0, math.nan, math.inf], [1.0, 2.0, 3.0],
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_moment_mean_with_infinities(vals, dtype, fn):
    a = np.array(vals, dtype=dtype)
    same(lambda lib: getattr(lib, fn)(lib.tensor(a)))


@pytest.mark.parametrize("dim", [0, 1, (0, 1), (1, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_mean_inf_along_dims(dim, keepdim):
    a = np.ones((4, 5), dtype=np.float32)
    a[1, 4] = a[3, 2] = a[0, 0] = np.inf
    a[2, 4] = -np.inf
    same(lambda lib: lib.var_mean(lib.tensor(a), dim=dim, keepdim=keepdim))
    same(lambda lib: lib.std_mean(lib.tensor(a).t(), dim=dim, keepdim=keepdim))


def test_var_mean_inf_fuzz():
    rs = np.random.RandomState(23)
    for _ in range(150):
        shape = tuple(rs.randint(1, 5, size=rs.randint(0, 4)))
        a = np.asarray(rs.randn(*shape)).astype(rs.choice(["float32", "float64"]))
        for _ in range(rs.randint(0, 3)):
            a.flat[rs.randint(a.size)] = rs.choice([np.inf, -np.inf, np.nan])
        nd = len(shape)
        dim = None if nd == 0 else int(rs.randint(nd))
        fn = "var_mean" if rs.rand() < 0.5 else "std_mean"
        kw = {} if dim is None else {"dim": dim}
        same(lambda lib, fn=fn, a=a, kw=kw: getattr(lib, fn)(lib.tensor(a), **kw))


# ------------------------------------------------------------------ (1) RandomIoUCrop, 1 pixel high
def test_random_iou_crop_one_pixel_high_raises_not_hangs():
    pytest.importorskip("ember.vision")
    tvt = pytest.importorskip("torchvision.transforms.v2")
    from torchvision import tv_tensors as ttv

    import ember.vision.transforms.v2 as et
    from ember.vision import tv_tensors as etv

    def run(lib, T, tv):
        lib.manual_seed(0)
        img = tv.Image(lib.zeros(3, 1, 10, dtype=lib.uint8))
        boxes = tv.BoundingBoxes(lib.tensor([[0.0, 0.0, 5.0, 1.0]]), format="XYXY",
                                 canvas_size=(1, 10))
        out = []
        for _ in range(5):
            try:
                out.append(tuple(T.RandomIoUCrop()(img, boxes)[0].shape))
            except ZeroDivisionError:
                out.append("ZeroDivisionError")
        return out

    old = signal.signal(signal.SIGALRM, lambda *a: pytest.fail("RandomIoUCrop loops forever"))
    signal.alarm(20)
    try:
        got = run(ember, et, etv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert got == run(torch, tvt, ttv)
    assert "ZeroDivisionError" in got
