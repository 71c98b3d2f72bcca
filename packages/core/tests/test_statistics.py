"""cov, corrcoef, trapezoid/trapz, cumulative_trapezoid, histogram and histogramdd against
PyTorch: values, dtypes, shapes, errors and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _misc_helpers import check, gradcheck, noncontig, rand, same, same_error

import ember


# ------------------------------------------------------------------ cov, corrcoef
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "complex128"])
def test_cov_shapes_and_dtypes(torch, dtype):
    grad = dtype in ("float64", "complex128")
    for shape in [(3, 5), (1, 4), (6,), (4, 1)]:
        a = rand(*shape, dtype=dtype)
        for corr in (0, 1, 2):
            check(torch, "cov", a, correction=corr, grad=grad)
        check(torch, "cov", noncontig(a), method=True)


def test_cov_weights(torch):
    a = rand(3, 5)
    fw = rand(5, dtype="int64", low=0, high=4)
    aw = np.abs(rand(5)) + 0.1
    check(torch, "cov", a, fweights=fw, grad=True)
    check(torch, "cov", a, aweights=aw, grad=True)
    check(torch, "cov", a, fweights=fw, aweights=aw, correction=0, grad=True)
    check(torch, "cov", a, fweights=fw, aweights=aw, correction=2)
    check(torch, "cov", a, fweights=fw.astype("int32"))
    check(torch, "cov", a.astype("float32"), aweights=aw)  # float64 weights promote
    check(torch, "cov", rand(2, 3, dtype="int64"), fweights=np.array([1, 2, 1]))
    check(torch, "cov", rand(2, 3, dtype="int64"), aweights=np.array([1.0, 2.0, 1.0]))
    gradcheck(lambda x, w: ember.cov(x, aweights=w), rand(3, 5), aw)


def test_cov_no_degrees_of_freedom_left(torch):
    # one observation weighs in and the correction exceeds it: PyTorch zeroes the norm factor
    # (+0), so a rounding residue over it is +inf, never -inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(20):
            rng = np.random.default_rng(seed)
            a, aw = rng.standard_normal((3, 5)), np.abs(rng.standard_normal(5)) + 0.1
            check(torch, "cov", a, fweights=np.array([0, 1, 0, 0, 0]), aweights=aw,
                  correction=2)


def test_cov_edges_and_errors(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(torch, "cov", np.array(3.0))
        check(torch, "cov", rand(3, 4), correction=5)
        check(torch, "cov", np.ones((3, 0)))
        check(torch, "cov", np.ones((0, 3)))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        ember.cov(ember.ones(3, 2), correction=2)
    x = rand(3, 4)
    same_error(torch, "cov", x, fweights=np.array([1.0, 2, 1, 3]))
    same_error(torch, "cov", x, fweights=np.array([1, -2, 1, 3]), match="negative")
    same_error(torch, "cov", x, aweights=np.array([1.0, -2, 1, 3]))
    same_error(torch, "cov", x, aweights=np.array([1, 2, 1, 3]))
    same_error(torch, "cov", x, fweights=np.array([1, 2, 1]), match="3 != 4")
    same_error(torch, "cov", x, fweights=np.array([[1, 2, 1, 3]]))
    same_error(torch, "cov", x, aweights=np.zeros(4), match="sum to zero")
    same_error(torch, "cov", np.ones((2, 2, 2)))
    same_error(torch, "cov", np.array([True, False]))
    same_error(torch, "cov", x, correction=1.5)


def test_corrcoef(torch):
    for dtype in ["float64", "float32", "int64"]:
        for shape in [(3, 5), (5,), (1, 4)]:
            check(torch, "corrcoef", rand(*shape, dtype=dtype), grad=dtype == "float64")
    check(torch, "corrcoef", np.array([[1.0, 1, 1], [1, 2, 3]]))
    check(torch, "corrcoef", rand(3, 5, dtype="complex128"))
    check(torch, "corrcoef", noncontig(rand(3, 5)), method=True)
    same_error(torch, "corrcoef", np.ones((2, 2, 2)))
    gradcheck(ember.corrcoef, rand(3, 6))


# ------------------------------------------------------------------ trapezoid
@pytest.mark.parametrize("name", ["trapezoid", "trapz"])
def test_trapezoid_dx(torch, name):
    for dtype in ["float64", "float32", "int64"]:
        a = rand(3, 4, dtype=dtype)
        for dim in (-1, 0, 1):
            check(torch, name, a, dim=dim, grad=dtype == "float64")
            check(torch, name, a, dx=2, dim=dim)
            check(torch, name, noncontig(a), dx=0.5, dim=dim)
    check(torch, name, rand(5), dx=np.array(2.0))
    check(torch, name, np.ones(0))
    check(torch, name, np.ones(0, dtype="int64"))
    check(torch, name, np.ones((3, 0)))
    check(torch, name, np.ones(1))


def test_trapezoid_x(torch):
    y = rand(3, 4)
    check(torch, "trapezoid", y, np.sort(rand(4)), grad=True)
    check(torch, "trapezoid", y, np.sort(rand(3)), dim=0, grad=True)
    check(torch, "trapezoid", y, rand(3, 4), grad=True)
    check(torch, "trapezoid", y, rand(4))
    check(torch, "trapezoid", rand(2, 3, 4), rand(3, 4), dim=1)
    check(torch, "trapezoid", rand(3, dtype="int64"), rand(3, dtype="int64"))
    check(torch, "trapezoid", y.astype("float32"), rand(4))
    check(torch, "trapz", y, np.sort(rand(4)))
    check(torch, "trapezoid", np.ones((2, 0), dtype="int64"), np.array([1.0, 2.0]), dim=0)
    gradcheck(lambda a, b: ember.trapezoid(a, b), rand(3, 4), rand(4))


def test_trapezoid_errors(torch):
    y = rand(3, 4)
    same_error(torch, "trapezoid", y, rand(3))
    same_error(torch, "trapezoid", np.array(3.0))
    same_error(torch, "trapezoid", y, 2.0)
    same_error(torch, "trapezoid", y, rand(4), dx=2)
    same_error(torch, "trapezoid", y, y[:, :1][:, :0])
    same_error(torch, "trapezoid", y, np.ones((2, 4)))
    same_error(torch, "trapezoid", np.array([True, False]))
    same_error(torch, "trapezoid", y, dim=2)


def test_cumulative_trapezoid(torch):
    for dtype in ["float64", "float32", "int64"]:
        a = rand(3, 4, dtype=dtype)
        for dim in (-1, 0):
            check(torch, "cumulative_trapezoid", a, dim=dim, grad=dtype == "float64")
            check(torch, "cumulative_trapezoid", a, dx=0.5, dim=dim)
    y = rand(3, 4)
    check(torch, "cumulative_trapezoid", y, np.sort(rand(4)), grad=True)
    check(torch, "cumulative_trapezoid", y, rand(3, 4))
    check(torch, "cumulative_trapezoid", rand(3, dtype="int64"), rand(3, dtype="int64"))
    check(torch, "cumulative_trapezoid", np.ones(0))
    check(torch, "cumulative_trapezoid", np.ones(1))
    same_error(torch, "cumulative_trapezoid", np.array(3.0))
    same_error(torch, "cumulative_trapezoid", y, rand(3))
    gradcheck(lambda a, b: ember.cumulative_trapezoid(a, b), rand(3, 4), rand(4))


# ------------------------------------------------------------------ histogram
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram(torch, dtype):
    x = np.array([1.0, 2, 1, 4, 2.5, 0], dtype=dtype)
    w = rand(6, dtype=dtype) ** 2
    for bins in (1, 3, 4, 10):
        check(torch, "histogram", x, bins)
        check(torch, "histogram", x, bins, density=True)
        check(torch, "histogram", x, bins, weight=w)
        check(torch, "histogram", x, bins, weight=w, density=True)
        check(torch, "histogram", x, bins, range=(0.0, 3.0))
        check(torch, "histogram", x, bins=bins, range=[0.5, 1.0])
    edges = np.array([0.0, 1, 2.5, 3], dtype=dtype)
    check(torch, "histogram", x, edges)
    check(torch, "histogram", x, edges, weight=w, density=True)
    check(torch, "histogram", x, np.array([3.0, 1.0], dtype=dtype))
    check(torch, "histogram", x, np.array([0.0, 1, 1, 3], dtype=dtype))
    check(torch, "histogram", rand(3, 4, dtype=dtype), 5, method=True)
    check(torch, "histogram", noncontig(rand(3, 4, dtype=dtype)), 5, weight=rand(3, 4, dtype=dtype))
    check(torch, "histogram", np.ones(0, dtype=dtype), 3)
    check(torch, "histogram", np.array([2.0, 2.0], dtype=dtype), 3)
    check(torch, "histogram", np.array(1.0, dtype=dtype), 2)
    check(torch, "histogram", np.array([0.0, 0.1, 0.2, 0.30000001, 0.7, 1.0], dtype=dtype), 10)
    check(torch, "histogram", rand(1000, dtype=dtype), 7)


def test_histogram_errors_and_out(torch):
    x = np.array([1.0, 2, 1, 4, 2.5, 0], dtype="float32")
    same_error(torch, "histogram", np.arange(4), 3)
    same_error(torch, "histogram", x.astype("float16"), 3)
    same_error(torch, "histogram", x, 0)
    same_error(torch, "histogram", x, 3, range=(3.0, 1.0), match="min 3 max 1")
    same_error(torch, "histogram", np.array([np.nan, 1.0], dtype="float32"), 3)
    same_error(torch, "histogram", np.array([np.inf, 1.0], dtype="float32"), 3)
    same_error(torch, "histogram", x, 3, weight=np.ones(3, dtype="float32"))
    same_error(torch, "histogram", x, 3, weight=np.ones(6))
    same_error(torch, "histogram", x, np.array([0.0, 1.0]))
    same_error(torch, "histogram", x, np.array([[0.0, 1.0]], dtype="float32"))
    same_error(torch, "histogram", x, np.array([1.0], dtype="float32"))
    same_error(torch, "histogram", x, np.array([], dtype="float32"))
    same_error(torch, "histogram", x, 2, range=(1.0, 2.0, 3.0))
    h, e = ember.empty(0), ember.empty(0)
    res = ember.histogram(ember.from_numpy(x), 4, out=(h, e))
    assert res.hist is h and res.bin_edges is e
    same(res, torch.histogram(torch.from_numpy(x), 4, out=(torch.empty(0), torch.empty(0))))
    r = ember.histogram(ember.tensor([1.0, 2.0], requires_grad=True), 2)
    assert r.hist.requires_grad and r.bin_edges.requires_grad
    with pytest.raises(RuntimeError, match="not implemented"):
        r.hist.sum().backward()


# ------------------------------------------------------------------ histogramdd
def test_histogramdd(torch):
    x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [1.5, 2.0]], dtype="float32")
    w = np.array([1.0, 2, 3, 4], dtype="float32")
    check(torch, "histogramdd", x, 2)
    check(torch, "histogramdd", x, [2, 3])
    check(torch, "histogramdd", x, (2, 3), density=True)
    check(torch, "histogramdd", x, [np.array([0.0, 1, 2], dtype="float32"),
                                    np.array([0.0, 2], dtype="float32")])
    check(torch, "histogramdd", x, 2, range=[0.0, 2.0, 0.0, 4.0])
    check(torch, "histogramdd", x, 2, weight=w, density=True)
    check(torch, "histogramdd", np.ones((2, 3, 2), dtype="float32"), 2)
    check(torch, "histogramdd", np.ones((0, 2), dtype="float32"), 2)
    pts = rand(200, 3)
    check(torch, "histogramdd", pts, [3, 4, 5], weight=rand(200) ** 2)
    check(torch, "histogramdd", pts, 4, range=[-1.0, 1.0, -2.0, 2.0, 0.0, 1.0], density=True)


def test_histogramdd_errors(torch):
    x = np.ones((3, 2), dtype="float32")
    same_error(torch, "histogramdd", x, [2, 2, 2])
    same_error(torch, "histogramdd", x[:, 0], 2)
    same_error(torch, "histogramdd", np.array(1.0, dtype="float32"), 2)
    same_error(torch, "histogramdd", x, 2, range=[0.0, 2.0])
    same_error(torch, "histogramdd", x, [np.array([0.0, 1.0], dtype="float32")])
    same_error(torch, "histogramdd", x, [0, 2])
    same_error(torch, "histogramdd", x, [2.5, 2])
    same_error(torch, "histogramdd", x, [np.array([1.0, 2.0], dtype="float32"), 2])
    same_error(torch, "histogramdd", x, 2, weight=np.ones(2, dtype="float32"))
    same_error(torch, "histogramdd", x.astype("int64"), 2)
