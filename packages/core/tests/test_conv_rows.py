"""Row-shifted convolution products (``ops._conv_rows``) give PyTorch's values and gradients.

The path is taken only where it measured quicker (wide planes, enough channels); the tests
lower those thresholds so that small inputs take it, check that it was taken, and cover
each way of splitting the work over the op threads, the column geometries the unfolding
handles (stride, dilation, padding on either side, kernels wider or taller than the input
plane's padding) and the input gradient (a correlation with the flipped kernel).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _thread_plans import forced_split

import ember
from ember.autograd import gradcheck
from ember.ops import _blas
from ember.ops import _conv_kernels as kernels
from ember.ops import _conv_rows as rows
from ember.testing import assert_close

RNG = np.random.default_rng(11)

PLANS = {  # the module attributes that force one way of splitting the work
    "sequential": dict(_THREADED_WORK=1 << 62),
    "batch_blocks": dict(_THREADED_WORK=0, _MIN_COLUMNS=1, _ROW_BLOCK_BYTES=1),
    "by_channel": dict(_THREADED_WORK=0, _MIN_COLUMNS=1 << 62),
}

CASES = [  # (input shape, weight shape, conv2d keyword arguments)
    ((3, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    ((2, 5, 7, 11), (3, 5, 3, 4), dict(stride=(1, 2), padding=(2, 1))),
    ((3, 4, 10, 9), (5, 4, 2, 3), dict(dilation=(2, 3), padding=(1, 3))),
    ((2, 3, 6, 6), (4, 3, 4, 4), dict(padding="same")),  # more padding after than before
    ((2, 3, 5, 4), (4, 3, 3, 7), dict(padding=(0, 3), stride=(1, 3))),  # kernel > plane
    ((2, 3, 8, 5), (4, 3, 1, 3), dict(padding=(0, 1))),
    ((2, 3, 7, 6), (4, 3, 3, 1)),  # one column tap
]


@pytest.fixture
def rows_everywhere(monkeypatch):
    """Row products for every eligible convolution, and a count of the products run."""
    monkeypatch.setattr(kernels, "_ROW_MIN_DEPTH", 1)
    monkeypatch.setattr(kernels, "_ROW_MIN_COLUMNS", 1)
    monkeypatch.setattr(kernels, "_ROW_POSITIONS_PER_CHANNEL", 0)
    calls = []
    real = rows.products
    monkeypatch.setattr(rows, "products", lambda *a: calls.append(1) or real(*a))
    return calls


@pytest.fixture(params=list(PLANS))
def plan(request, monkeypatch):
    with forced_split(monkeypatch, PLANS[request.param]):
        yield request.param


def _case(xs, ws, kw, dtype):
    x, w = RNG.standard_normal(xs).astype(dtype), RNG.standard_normal(ws).astype(dtype)
    b = RNG.standard_normal(ws[:1]).astype(dtype)
    return x, w, b, kw


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
def test_row_products_match_pytorch(torch, rows_everywhere, plan, case, dtype):
    xs, ws, *rest = CASES[case]
    x, w, b, kw = _case(xs, ws, rest[0] if rest else {}, dtype)
    ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ey = ember.nn.functional.conv2d(ex, ew, eb, **kw)
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    assert rows_everywhere, "the row-product path was not taken"
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else {}
    assert_close(ey, ty.detach(), **tol)
    gy = RNG.standard_normal(tuple(ty.shape)).astype(dtype)
    ey.backward(ember.tensor(gy))
    ty.backward(torch.tensor(gy))
    for e, t in ((ex, tx), (ew, tw), (eb, tb)):
        assert_close(e.grad, t.grad, **tol)


def test_row_products_gradcheck(rows_everywhere):
    x = ember.tensor(RNG.standard_normal((2, 3, 6, 5)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((4, 3, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: ember.conv2d(x, w, padding=(1, 1), dilation=(1, 2)), (x, w))
    assert rows_everywhere


def test_row_products_on_noncontiguous_input(torch, rows_everywhere):
    x = RNG.standard_normal((3, 4, 8, 9)).astype("float32")
    w = RNG.standard_normal((5, 4, 3, 3)).astype("float32")
    ey = ember.conv2d(ember.tensor(x).transpose(2, 3), ember.tensor(w), padding=1)
    ty = torch.nn.functional.conv2d(torch.tensor(x).transpose(2, 3), torch.tensor(w), padding=1)
    assert rows_everywhere
    assert_close(ey, ty, rtol=1e-4, atol=1e-4)


def test_row_products_keep_infinities_where_pytorch_has_them(torch, rows_everywhere):
    x = RNG.standard_normal((2, 3, 6, 7)).astype("float32")
    x[0, 1, 2, 0] = np.inf
    x[1, 2, 5, 6] = -np.inf
    w = RNG.standard_normal((4, 3, 3, 3)).astype("float32")
    w[1, 1, 1, 1] = 0.0  # inf * 0: NaN in that output only
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # PyTorch does not warn about infs
        ey = ember.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    ty = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    assert rows_everywhere
    assert_close(ey, ty, rtol=1e-4, atol=1e-4, equal_nan=True)


def test_without_a_blas_gemm_the_windows_are_unfolded_instead(torch, rows_everywhere,
                                                               monkeypatch):
    monkeypatch.setattr(_blas, "gemm", lambda dtype: None)
    x, w, b, kw = _case((2, 4, 9, 8), (6, 4, 3, 3), dict(padding=1), "float32")
    ey = ember.conv2d(ember.tensor(x), ember.tensor(w), ember.tensor(b), **kw)
    ty = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw)
    assert not rows_everywhere
    assert_close(ey, ty, rtol=1e-4, atol=1e-4)


def test_row_products_are_taken_on_wide_planes_only():
    g = kernels.Geom((1, 1), (1, 1), (1, 1), (1, 1), 1)
    wide = np.zeros((16, 64, 16, 16), "float32")
    assert kernels._row_gemm(np, wide, (3, 3), g, (16, 16), 64) is not None
    narrow = np.zeros((16, 128, 8, 8), "float32")
    assert kernels._row_gemm(np, narrow, (3, 3), g, (8, 8), 128) is None
    few_positions = np.zeros((16, 512, 14, 14), "float32")  # the kernel outweighs the input
    assert kernels._row_gemm(np, few_positions, (3, 3), g, (14, 14), 2048) is None
    strided = kernels.Geom((2, 1), (1, 1), (1, 1), (1, 1), 1)
    assert kernels._row_gemm(np, wide, (3, 3), strided, (8, 16), 64) is None
    assert kernels._row_gemm(np, wide.astype("float16"), (3, 3), g, (16, 16), 64) is None
