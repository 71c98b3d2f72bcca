"""Known nn differences left by session 23's fuzzers, each run with torch and with ember on the
same inputs: values, dtypes, shapes, strides and error types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

LIBS = {"torch": (torch, tnn, TF), "ember": (ember, enn, EF)}


def plain(r):
    if isinstance(r, (ember.Tensor, torch.Tensor)):
        return ("T", str(r.dtype).split(".")[-1], tuple(r.shape), tuple(r.stride()),
                r.detach().tolist())
    if isinstance(r, (tuple, list)):
        return tuple(plain(v) for v in r)
    return r


def outcome(fn, name):
    try:
        return plain(fn(*LIBS[name]))
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return ("raised", type(e).__name__)


def check(got, want):
    if isinstance(want, tuple) and want and want[0] == "T":
        assert got[:4] == want[:4], (got, want)
        if want[1].startswith(("float", "complex")):
            np.testing.assert_allclose(np.asarray(got[4], dtype=float),
                                       np.asarray(want[4], dtype=float), rtol=1e-6,
                                       equal_nan=True)
        else:
            assert got[4] == want[4], (got, want)
    else:
        assert got == want, (got, want)


def same(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = outcome(fn, "torch"), outcome(fn, "ember")
    check(got, want)
    return got


X3 = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)


# ------------------------------------------------------------------ (3) adaptive 1-d output_size
@pytest.mark.parametrize("op", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
@pytest.mark.parametrize("size", [None, [None], (None,), 2.0, [2.0], True, [True], [None, 2],
                                  3, [3], (2,)])
def test_adaptive_pool1d_output_size_types(op, size):
    same(lambda lib, nn, F: getattr(F, op)(lib.tensor(X3), size))


def test_adaptive_pool1d_tensor_output_size():
    same(lambda lib, nn, F: F.adaptive_avg_pool1d(lib.tensor(X3), lib.tensor(2)))
    same(lambda lib, nn, F: F.adaptive_max_pool1d(lib.tensor(X3), [lib.tensor(2)]))


# ------------------------------------------------------------------ (4) max_unpool, empty output
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("shape,n,k,s,p", [
    ((1, 1), 1, 2, 1, 1),  # computed output (n - 1) * s - 2 * p + k = 0
    ((2, 3), 2, 3, 1, 2),
    ((3,), 2, 1, 1, 1),  # unbatched
    ((1, 1), 1, 1, 1, 1),  # computed output -1: ValueError
])
def test_max_unpool_empty_output(d, shape, n, k, s, p):
    full = shape + (n,) * d
    fn = f"max_unpool{d}d"
    same(lambda lib, nn, F: getattr(F, fn)(lib.ones(full), lib.zeros(full, dtype=lib.int64), k,
                                           stride=s, padding=p))


@pytest.mark.parametrize("shape", [(1, 1, 0), (1, 1, 0, 3), (0, 1, 2), (0, 1, 2, 2),
                                   (1, 0, 2, 2), (1, 2, 0), (1, 1, 0, 2, 2), (0, 2, 2, 2, 2)])
def test_max_unpool_empty_input(shape):
    fn = f"max_unpool{len(shape) - 2}d"
    same(lambda lib, nn, F: getattr(F, fn)(lib.zeros(shape), lib.zeros(shape, dtype=lib.int64),
                                           2))


# ------------------------------------------------------------------ (5) Embedding(0, n)
@pytest.mark.parametrize("idx", [[0], [], [[1, 0]]])
def test_embedding_empty_table(idx):
    def run(lib, nn, F):
        lib.manual_seed(0)
        return nn.Embedding(0, 3)(lib.tensor(idx, dtype=lib.int64))
    same(run)


def test_embedding_out_of_range_stays_index_error():
    got = same(lambda lib, nn, F: F.embedding(lib.tensor([5]), lib.zeros(3, 2)))
    assert got == ("raised", "IndexError")


# ------------------------------------------------------------------ (8) pad by zeros keeps layout
@pytest.mark.parametrize("view", ["t", "step", "expand", "perm", "contig"])
@pytest.mark.parametrize("pad", [(0, 0), (0, 0, 0, 0), (1, 0)])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_zero_keeps_strides(view, pad, mode):
    def run(lib, nn, F):
        base = lib.arange(24.0).reshape(2, 3, 4)
        x = {"t": lambda: base.transpose(1, 2), "step": lambda: base[:, :, ::2],
             "expand": lambda: lib.arange(3.0).reshape(3, 1).expand(3, 4),
             "perm": lambda: base.permute(2, 0, 1), "contig": lambda: base}[view]()
        x = x.detach().requires_grad_()
        y = F.pad(x, pad, mode=mode)
        y.backward(lib.ones_like(y))
        return y, y.grad_fn.name(), x.grad
    same(run)


# ------------------------------------------------------------------ (10) gaussian_nll_loss var
@pytest.mark.parametrize("var", ["int", "bool", "float", "neg", "b1", "short", "last1", "batch1",
                                 "hw1", "long", "negT", "bad"])
def test_gaussian_nll_var_forms(var):
    rs = np.random.RandomState(1)
    a, b = rs.randn(4, 3, 5, 5).astype(np.float32), rs.randn(4, 3, 5, 5).astype(np.float32)

    def run(lib, nn, F):
        v = {"int": lambda: 1, "bool": lambda: True, "float": lambda: 1.5, "neg": lambda: -1.0,
             "b1": lambda: lib.ones(4, 1, 5, 5) * 2, "short": lambda: lib.ones(4, 3, 5),
             "last1": lambda: lib.ones(4, 3, 5, 1), "batch1": lambda: lib.ones(1, 3, 5, 5),
             "hw1": lambda: lib.ones(4, 3, 1, 1), "long": lambda: lib.ones(4, 3, 5, 5,
                                                                           dtype=lib.int64),
             "negT": lambda: -lib.ones(4, 3), "bad": lambda: lib.ones(3, 5, 5)}[var]()
        return F.gaussian_nll_loss(lib.tensor(a), lib.tensor(b), v)
    same(run)


# ------------------------------------------------------------------ (11) float16 cross_entropy
@pytest.mark.parametrize("case", range(6))
def test_cross_entropy_half_float_weight(case):
    def run(lib, nn, F):
        h = lib.float16
        return [
            lambda: F.cross_entropy(lib.zeros(4, dtype=h), lib.tensor(1), weight=lib.ones(4)),
            lambda: F.cross_entropy(lib.zeros(4, dtype=h), lib.tensor(1), weight=lib.ones(4),
                                    label_smoothing=0.1),
            lambda: F.cross_entropy(lib.zeros(4, dtype=h), lib.zeros(4, dtype=h),
                                    weight=lib.ones(4)),
            lambda: F.cross_entropy(lib.zeros(2, 4, dtype=h), lib.tensor([1, 2]),
                                    weight=lib.ones(4)),
            lambda: F.cross_entropy(lib.zeros(4), lib.tensor(1), weight=lib.ones(4, dtype=h)),
            lambda: F.nll_loss(lib.zeros(4, dtype=h), lib.tensor(1), weight=lib.ones(4)),
        ][case]()
    same(run)


# ------------------------------------------------------------------ (12) no output channels
@pytest.mark.parametrize("case", range(11))
def test_conv_weight_without_output_channels(case):
    def run(lib, nn, F):
        z = lib.zeros
        return [
            lambda: F.conv2d(z(1, 3, 5, 5), z(0, 3, 3, 3)),
            lambda: F.conv1d(z(1, 3, 5), z(0, 3, 3)),
            lambda: F.conv2d(z(3, 5, 5), z(0, 3, 3, 3)),
            lambda: F.conv2d(z(0, 3, 5, 5), z(0, 3, 3, 3)),
            lambda: F.conv2d(z(1, 4, 5, 5), z(0, 2, 3, 3), groups=2),
            lambda: F.conv3d(z(1, 3, 5, 5, 5), z(0, 3, 3, 3, 3)),
            lambda: F.conv2d(z(1, 3, 5, 5), z(0, 3, 3, 3), padding="same"),
            lambda: nn.Conv2d(3, 0, 3)(z(1, 3, 5, 5)),
            lambda: F.conv_transpose2d(z(1, 3, 5, 5), z(3, 0, 3, 3)),
            lambda: F.conv_transpose1d(z(1, 3, 5), z(3, 0, 3)),
            lambda: F.conv_transpose3d(z(1, 3, 5, 5, 5), z(3, 0, 3, 3, 3)),
        ][case]()
    assert same(run) == ("raised", "RuntimeError")
