"""linear, bilinear, scaled_dot_product_attention and the distance kernels against PyTorch:
values, gradients (including float masks), finite differences and errors."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_check import check, gradcheck, rand, randn

import ember
from ember.ops import attention as A
from ember.testing import assert_close

DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape", [(5, 3), (2, 4, 3), (3,), (2, 2, 2, 3), (2, 0, 3)])
def test_linear(torch, dtype, xshape):
    x, w, b = randn(*xshape, dtype=dtype), randn(4, 3, dtype=dtype), randn(4, dtype=dtype)
    check(torch, A.linear, torch.nn.functional.linear, [x, w, b])
    check(torch, A.linear, torch.nn.functional.linear, [x, w])
    check(torch, A.linear, torch.nn.functional.linear, [x, randn(3, dtype=dtype)])
    check(torch, lambda x, w: A.linear(x.transpose(-1, 0) if x.ndim > 1 else x, w),
          lambda x, w: torch.nn.functional.linear(x.transpose(-1, 0) if x.ndim > 1 else x, w),
          [randn(*xshape[::-1], dtype=dtype), w])


def test_linear_broadcast_bias_and_empty_features(torch):
    # a bias that broadcasts gets its gradient summed back to its own shape
    check(torch, A.linear, torch.nn.functional.linear, [randn(2, 4, 3), randn(4, 3), randn(1)])
    check(torch, A.linear, torch.nn.functional.linear, [randn(2, 4, 0), randn(5, 0), randn(5)])


def test_linear_gradcheck_and_double_backward(torch):
    gradcheck(A.linear, randn(2, 3), randn(4, 3), randn(4))
    x, w = randn(3, 2), randn(2, 2)
    xe, we = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (ge,) = ember.autograd.grad((A.linear(xe, we) ** 2).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.linear(xt, wt) ** 2).sum(), xt,
                                create_graph=True)
    assert_close(ember.autograd.grad(ge.sum(), we)[0], torch.autograd.grad(gt.sum(), wt)[0])


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(5x3 and 4x2\)"):
        A.linear(ember.randn(5, 3), ember.randn(2, 4))
    with pytest.raises(RuntimeError,
                       match="expected m1 and m2 to have the same dtype, but got: float != double"):
        A.linear(ember.randn(5, 3), ember.randn(2, 3, dtype=ember.float64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bilinear(torch, dtype):
    a, b = randn(4, 3, dtype=dtype), randn(4, 2, dtype=dtype)
    w, bias = randn(5, 3, 2, dtype=dtype), randn(5, dtype=dtype)
    check(torch, A.bilinear, torch.nn.functional.bilinear, [a, b, w, bias])
    check(torch, A.bilinear, torch.bilinear, [randn(2, 2, 3), randn(2, 2, 2), w.astype("float64"),
                                              None])
    gradcheck(A.bilinear, randn(2, 3), randn(2, 2), randn(2, 3, 2), randn(2))


# ------------------------------------------------------------------ attention
def _qkv(dtype: str = "float64", b: tuple = (2, 3), lq: int = 4, s: int = 5, e: int = 6,
         ev: int = 7) -> list:
    return [randn(*b, lq, e, dtype=dtype), randn(*b, s, e, dtype=dtype),
            randn(*b, s, ev, dtype=dtype)]


def _sdpa(torch):
    return torch.nn.functional.scaled_dot_product_attention


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_plain_scale_causal(torch, dtype):
    f = _sdpa(torch)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}
    check(torch, A.scaled_dot_product_attention, f, _qkv(dtype), **tol)
    check(torch, lambda q, k, v: A.scaled_dot_product_attention(q, k, v, scale=0.3),
          lambda q, k, v: f(q, k, v, scale=0.3), _qkv(dtype), **tol)
    check(torch, lambda q, k, v: A.scaled_dot_product_attention(q, k, v, is_causal=True),
          lambda q, k, v: f(q, k, v, is_causal=True), _qkv(dtype), **tol)
    check(torch, A.scaled_dot_product_attention, f, _qkv(dtype, b=(), lq=3, s=3), **tol)


def test_sdpa_masks(torch):
    f = _sdpa(torch)
    bmask = rand(4, 5) > 0.4
    bmask[1] = False  # a fully masked row gives zeros
    check(torch, lambda q, k, v: A.scaled_dot_product_attention(q, k, v, ember.tensor(bmask)),
          lambda q, k, v: f(q, k, v, torch.tensor(bmask)), _qkv())
    fmask = randn(2, 1, 4, 5)
    check(torch, A.scaled_dot_product_attention, f, _qkv() + [fmask])


def test_sdpa_gqa_and_gradcheck(torch):
    f = _sdpa(torch)
    q, k, v = randn(1, 4, 3, 8), randn(1, 2, 5, 8), randn(1, 2, 5, 8)
    check(torch, lambda q, k, v: A.scaled_dot_product_attention(q, k, v, enable_gqa=True),
          lambda q, k, v: f(q, k, v, enable_gqa=True), [q, k, v])
    gradcheck(A.scaled_dot_product_attention, *_qkv(b=(2,), lq=2, s=3, e=2, ev=2),
              randn(2, 3))


def test_sdpa_dropout():
    q, k, v = (ember.tensor(a, requires_grad=True) for a in _qkv(b=(2,), lq=50, s=60))
    out = A.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ref = A.scaled_dot_product_attention(q, k, v)
    assert out.shape == ref.shape and not np.allclose(out.detach().numpy(),
                                                      ref.detach().numpy())
    out.sum().backward()
    assert q.grad is not None and np.isfinite(q.grad.numpy()).all()


def test_sdpa_errors():
    q, k, v = (ember.tensor(a) for a in _qkv())
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when "
                                           "is_causal=True"):
        A.scaled_dot_product_attention(q, k, v, ember.ones(4, 5, dtype=ember.bool),
                                       is_causal=True)


# ------------------------------------------------------------------ distances
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity(torch, dtype):
    a, b = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)
    check(torch, ember.cosine_similarity, torch.cosine_similarity, [a, b])
    check(torch, lambda a, b: ember.cosine_similarity(a, b, 0),
          lambda a, b: torch.cosine_similarity(a, b, 0), [a, b])
    check(torch, lambda a, b: ember.cosine_similarity(a, b, -1),
          lambda a, b: torch.cosine_similarity(a, b, -1), [a, randn(5, dtype=dtype)])
    z = np.zeros((2, 5), dtype=dtype)
    check(torch, ember.cosine_similarity, torch.cosine_similarity, [z, randn(2, 5, dtype=dtype)])
    gradcheck(ember.cosine_similarity, randn(3, 4), randn(3, 4))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_pairwise_distance(torch, p):
    a, b = randn(4, 5), randn(4, 5)
    check(torch, lambda a, b: ember.pairwise_distance(a, b, p),
          lambda a, b: torch.pairwise_distance(a, b, p), [a, b])
    check(torch, lambda a, b: ember.pairwise_distance(a, b, p, 1e-3, True),
          lambda a, b: torch.pairwise_distance(a, b, p, 1e-3, True), [a, randn(5)])


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, float("inf"), 0.0])
def test_pdist(torch, p):
    x = randn(6, 3)
    x[4] = x[1]  # a zero distance
    check(torch, lambda x: ember.pdist(x, p), lambda x: torch.pdist(x, p), [x])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("rows", [(4, 5), (30, 7)])
def test_cdist(torch, p, rows):
    a, b = randn(2, rows[0], 3), randn(2, rows[1], 3)
    check(torch, lambda a, b: ember.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), [a, b])
    check(torch, lambda a, b: ember.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p),
          [randn(rows[0], 3), randn(3, rows[1], 3)])


def test_cdist_modes_and_errors(torch):
    a, b = randn(4, 3), randn(5, 3)
    for mode in ["use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"]:
        check(torch, lambda a, b, mode=mode: ember.cdist(a, b, compute_mode=mode),
              lambda a, b, mode=mode: torch.cdist(a, b, compute_mode=mode), [a, b])
    gradcheck(lambda a, b: ember.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), a, b)
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns"):
        ember.cdist(ember.randn(3, 2), ember.randn(3, 4))
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        ember.pdist(ember.randn(2, 2, 2))


def test_sdpa_rows_far_apart_nan_and_masked_rows(torch):
    # softmax subtracts one maximum when it can; rows far below it, NaN rows and rows
    # with every position masked take the exact path
    q, k, v = randn(2, 4, 3), randn(2, 5, 3), randn(2, 5, 3)
    q[0, 1] *= 400.0
    q[1, 2] -= 300.0
    check(torch, A.scaled_dot_product_attention,
          torch.nn.functional.scaled_dot_product_attention, [q, k, v])
    qn = q.copy()
    qn[1, 0, 0] = np.nan  # a NaN score row stays NaN, and the other rows are unaffected
    ye = A.scaled_dot_product_attention(*(ember.tensor(a) for a in (qn, k, v))).numpy()
    assert np.isnan(ye[1, 0]).all()
    assert_close(ember.tensor(np.delete(ye[1], 0, 0)),
                 torch.nn.functional.scaled_dot_product_attention(
                     *(torch.tensor(a[1:, 1:] if i == 0 else a[1:]) for i, a in
                       enumerate((qn, k, v))))[0])
    mask = np.ones((4, 5), bool)
    mask[2] = False
    check(torch, lambda q, k, v: A.scaled_dot_product_attention(q, k, v, ember.tensor(mask)),
          lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
              q, k, v, torch.tensor(mask)).nan_to_num(0.0), [q, k, v])
