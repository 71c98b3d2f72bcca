"""Small float32 matrix products bit for bit with PyTorch's MKL on Intel processors
(``ember.ops._mkl_order``): mm in each operand layout, ``x @ W.T`` (linear) where MKL sums in
order, linear with a bias and its gradients, addmm with beta/alpha, bmm, and matmul of a
batch against a matrix (skipped where PyTorch's MKL does not fuse, ``mkl_fuses()``); a 1x1
triangular solve (times the reciprocal, as LAPACK's trsm) and the low-rank normal's
KL divergence built on it."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops import _mkl_order
from ember.ops._torch_cpu import mkl_fuses

torch = pytest.importorskip("torch")
_mkl = pytest.mark.skipif(not mkl_fuses(), reason="PyTorch's MKL sums otherwise here")


def _pair(*shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return torch.from_numpy(a.copy()), ember.tensor(a)


@pytest.fixture
def deep(monkeypatch):
    """The in-order loop from a depth of 32 (off by default, ``_mkl_order.MAX_K``)."""
    monkeypatch.setattr(_mkl_order, "MAX_K", 64)


def _same(t, e):
    assert np.array_equal(t.detach().numpy(), e.detach().numpy()), "float32 bits differ"


# (M, K, N): the depths on both sides of NumPy's in-order range (K < 32) and the ViT head
SHAPES = [(4, 8, 4), (16, 48, 16), (8, 40, 32), (5, 33, 17), (32, 64, 16), (3, 64, 4),
          (2, 50, 2), (7, 20, 9)]


@_mkl
@pytest.mark.parametrize("M,K,N", SHAPES)
@pytest.mark.parametrize("layout", ["NN", "TN"])
def test_mm_layouts(M, K, N, layout, deep):
    ta, ea = _pair(M, K, seed=M * K) if layout[0] == "N" else _pair(K, M, seed=M * K)
    tb, eb = _pair(K, N, seed=K * N + 1)
    if layout[0] == "T":
        ta, ea = ta.t(), ea.t()
    _same(torch.mm(ta, tb), ember.mm(ea, eb))
    _same(ta @ tb, ea @ eb)


@_mkl
@pytest.mark.parametrize("M,K,N", [(16, 48, 16), (8, 40, 32), (32, 64, 16), (5, 33, 17),
                                   (4, 16, 12), (12, 40, 5)])
def test_linear_bias_and_grads(M, K, N, deep):
    tx, ex = _pair(M, K, seed=1)
    tw, ew = _pair(N, K, seed=2)
    tb, eb = _pair(N, seed=3)
    for t in (tx, tw, tb, ex, ew, eb):
        t.requires_grad_(True)
    ty = torch.nn.functional.linear(tx, tw, tb)
    ey = ember.nn.functional.linear(ex, ew, eb)
    _same(ty, ey)
    tg, eg = _pair(M, N, seed=4)
    ty.backward(tg)
    ey.backward(eg)
    for t, e in ((tx, ex), (tw, ew)):  # (the bias's is a column sum, not a product)
        _same(t.grad, e.grad)


@_mkl
@pytest.mark.parametrize("M,K,N", [(4, 16, 12), (12, 20, 5), (16, 31, 6), (80, 10, 32)])
def test_linear_by_default_below_a_depth_of_32(M, K, N):
    """``x @ W.T`` with the loop off: shallow products in order through NumPy, on rows."""
    tx, ex = _pair(M, K, seed=19)
    tw, ew = _pair(N, K, seed=20)
    tb, eb = _pair(N, seed=21)
    _same(torch.nn.functional.linear(tx, tw, tb), ember.nn.functional.linear(ex, ew, eb))


@_mkl
def test_linear_module_on_a_batch_of_sequences(deep):
    torch.manual_seed(0)
    tl = torch.nn.Linear(48, 16)
    el = ember.nn.Linear(48, 16)
    with torch.no_grad(), ember.no_grad():
        el.weight.copy_(ember.tensor(tl.weight.numpy()))
        el.bias.copy_(ember.tensor(tl.bias.numpy()))
    tx, ex = _pair(2, 8, 48, seed=5)
    _same(tl(tx), el(ex))


@_mkl
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_addmm(beta, alpha, deep):
    tc, ec = _pair(16, 16, seed=6)
    ta, ea = _pair(16, 48, seed=7)
    tb, eb = _pair(48, 16, seed=8)
    _same(torch.addmm(tc, ta, tb, beta=beta, alpha=alpha),
          ember.addmm(ec, ea, eb, beta=beta, alpha=alpha))


@_mkl
def test_bmm_and_batched_matmul(deep):
    ta, ea = _pair(3, 16, 48, seed=9)
    tb, eb = _pair(3, 48, 16, seed=10)
    _same(torch.bmm(ta, tb), ember.bmm(ea, eb))
    tw, ew = _pair(40, 8, seed=11)
    tx, ex = _pair(4, 6, 40, seed=12)
    _same(torch.matmul(tx, tw), ember.matmul(ex, ew))


@_mkl
def test_attention_scores_q_at_k_transposed(deep):
    """(16, 48) @ (48, 16)^T-style scores of a small ViT: q @ k.transpose(-2, -1)."""
    tq, eq = _pair(2, 16, 48, seed=13)
    tk, ek = _pair(2, 16, 48, seed=14)
    _same(tq @ tk.transpose(-2, -1), eq @ ek.transpose(-2, -1))


@_mkl
@pytest.mark.parametrize("B,M,K,N", [(1, 3, 4, 4), (4, 2, 4, 13), (2, 16, 2, 12), (3, 1, 30, 5),
                                     (2, 5, 15, 5)])
def test_small_bmm_takes_pytorchs_unfused_loop(B, M, K, N):
    """Under 400 multiply-adds a matrix, bmm (and matmul of a matrix by a batch) is PyTorch's
    own loop: products rounded, then added in order."""
    ta, ea = _pair(B, M, K, seed=15)
    tb, eb = _pair(B, K, N, seed=16)
    _same(torch.bmm(ta, tb), ember.bmm(ea, eb))
    _same(ta[0] @ tb, ea[0] @ eb)
    tc, ec = _pair(B, N, K, seed=17)
    _same(ta @ tc.transpose(1, 2), ea @ ec.transpose(1, 2))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("batch", [(), (3,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_solve_triangular_1x1_times_the_reciprocal(left, batch, dtype):
    """``B * (1 / a)`` (``B / a`` rounds otherwise), but a 1x1 ``B`` divided; gradients too."""
    rng = np.random.default_rng(18)
    for cols in (16, 1):
        a = rng.standard_normal(batch + (1, 1)).astype(dtype)
        b = rng.standard_normal(batch + ((1, cols) if left else (cols, 1))).astype(dtype)
        out = []
        for lib in (torch, ember):
            ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            x = lib.linalg.solve_triangular(ta, tb, upper=False, left=left)
            x.backward(lib.tensor(b * 3))
            out.append((x, tb.grad, type(x.grad_fn).__name__))
        _same(out[0][0], out[1][0])
        _same(out[0][1], out[1][1])
        assert out[1][2] == out[0][2]


def test_lowrank_normal_kl_with_itself():
    """KL(p || p) of a batch of rank-1 normals: rounding noise around 0, bit for bit."""
    torch.manual_seed(5)
    w, d = torch.randn(2, 3, 1), torch.rand(2, 3) + 0.1
    res = []
    for lib in (torch, ember):
        D = lib.distributions
        p = D.LowRankMultivariateNormal(lib.zeros(2, 3), lib.tensor(w.numpy()),
                                        lib.tensor(d.numpy()))
        res.append(D.kl_divergence(p, p))
    _same(*res)
