"""The ``torch`` namespace swept against ``ember`` (session 28, lane K).

Covers: the native loss ops at top level (``torch.kl_div``, ``hinge_embedding_loss``,
``margin_ranking_loss``, ``triplet_margin_loss``, ``binary_cross_entropy_with_logits``,
``cosine_embedding_loss``, ``ctc_loss``) reducing nothing by default; ``torch.adaptive_max_pool1d``
returning ``(output, indices)``; ``add``/``sub``/``mul``/``div`` of two Python numbers;
``linalg.pinv``'s positional ``rcond``/``hermitian``; the n-dimensional FFTs taking one int
``s``; ``take_along_dim`` without ``dim`` taking int32 indices; ``einsum`` of a lone operand;
the added ``torch.addmv_``, ``grid_sampler_2d``/``grid_sampler_3d``, ``conv_tbc`` and
``batch_norm_update_stats``; and typical calls of common functions in keyword forms, with
int and float inputs (a guard).
"""

from __future__ import annotations

import pytest
from _program_output import same_output, same_repr

torch = pytest.importorskip("torch")


def _x(lib):
    return lib.tensor([[0.5, -1.25, 2.0, 3.5], [-0.75, 1.5, 0.25, -2.5], [1.0, 0.125, -3.0, 0.625]])


def _y(lib):
    return lib.tensor([[1.5, 0.25, -2.0, 0.5], [2.75, -1.0, 0.5, 1.25], [-0.5, 3.0, 1.0, -1.5]])


# ------------------------------------------------------------------ native loss ops
@pytest.mark.parametrize("call", [
    lambda L: L.kl_div(_x(L), _y(L).abs()),
    lambda L: L.kl_div(_x(L), _y(L), log_target=True),
    lambda L: L.kl_div(_x(L), _y(L).abs(), 1),
    lambda L: L.kl_div(_x(L), _y(L).abs(), 2),
    lambda L: L.hinge_embedding_loss(_x(L), _y(L).sign()),
    lambda L: L.hinge_embedding_loss(_x(L), _y(L).sign(), 0.5, 1),
    lambda L: L.margin_ranking_loss(_x(L), _y(L), _y(L).sign()),
    lambda L: L.margin_ranking_loss(_x(L), _y(L), _y(L).sign(), 0.1, 2),
    lambda L: L.triplet_margin_loss(_x(L), _y(L), _x(L) * 2),
    lambda L: L.triplet_margin_loss(_x(L), _y(L), _x(L) * 2, 1.0, 2.0, 1e-6, False, 1),
    lambda L: L.binary_cross_entropy_with_logits(_x(L), _y(L).sigmoid()),
    lambda L: L.binary_cross_entropy_with_logits(_x(L), _y(L).sigmoid(), _y(L).abs()),
    lambda L: L.binary_cross_entropy_with_logits(_x(L), _y(L).sigmoid(), None, None, 1),
    lambda L: L.cosine_embedding_loss(_x(L), _y(L), L.tensor([1.0, -1.0, 1.0])),
    lambda L: L.cosine_embedding_loss(_x(L), _y(L), L.tensor([1.0, -1.0, 1.0]), 0.0, 2),
    lambda L: L.ctc_loss(L.arange(40.0).reshape(5, 2, 4).sin().log_softmax(2),
                         L.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2]),
    lambda L: L.ctc_loss(L.arange(40.0).reshape(5, 2, 4).sin().log_softmax(2),
                         L.tensor([[1, 2], [1, 1]]), [5, 5], [2, 2], 0, 1),
])
def test_native_loss_ops_reduce_nothing_by_default(call):
    same_repr(call, torch)


def test_functional_losses_still_reduce_by_mean():
    same_output("""
import torch
import torch.nn.functional as F
x = torch.tensor([[0.5, -1.25, 2.0], [1.0, 0.125, -3.0]])
y = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
print(F.kl_div(x, y, reduction='batchmean'), F.hinge_embedding_loss(x, y.sign()))
print(F.binary_cross_entropy_with_logits(x, y), F.margin_ranking_loss(x, y, y.sign()))
print(F.triplet_margin_loss(x, y, 2 * x), F.cosine_embedding_loss(x, y, torch.tensor([1., -1.])))
print(torch.nn.KLDivLoss(reduction='sum')(x, y), torch.nn.BCEWithLogitsLoss()(x, y))
""")


# ------------------------------------------------------------------ adaptive_max_pool1d
def test_adaptive_max_pool1d_native_returns_pair():
    same_repr(lambda L: L.adaptive_max_pool1d(L.arange(24.0).reshape(2, 3, 4).cos(), 2), torch)
    same_repr(lambda L: L.adaptive_max_pool1d(L.arange(24.0).reshape(2, 3, 4), 3, True), torch)
    same_repr(lambda L: L.nn.functional.adaptive_max_pool1d(L.arange(8.0).reshape(1, 1, 8), 2),
              torch)


# ------------------------------------------------------------------ two Python numbers
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "true_divide", "floor_divide",
                                  "divide", "multiply", "subtract"])
@pytest.mark.parametrize("args", [(2, 3), (2, 3.5), (True, 2), (2.5, 1), (-7, 2)])
def test_arithmetic_of_two_numbers(name, args):
    same_repr(lambda L: getattr(L, name)(*args), torch)


@pytest.mark.parametrize("name", ["remainder", "pow", "eq", "maximum", "atan2"])
def test_other_ops_refuse_two_numbers(name):
    import ember

    for L in (torch, ember):  # PyTorch's parser message is not reproduced, only its type
        with pytest.raises(TypeError):
            getattr(L, name)(2, 3)


def test_numbers_with_keywords():
    same_repr(lambda L: L.add(2, 3, alpha=2), torch)
    same_repr(lambda L: L.div(7, 2, rounding_mode="floor"), torch)
    same_repr(lambda L: L.div(-7, 2, rounding_mode="trunc"), torch)
    same_repr(lambda L: L.sub(2.5, 1, alpha=3), torch)


# ------------------------------------------------------------------ linalg.pinv
@pytest.mark.parametrize("call", [
    lambda L, A: L.linalg.pinv(A, 1e-3),
    lambda L, A: L.linalg.pinv(A, 1e-3, True),
    lambda L, A: L.linalg.pinv(A, L.tensor(1e-3)),
    lambda L, A: L.linalg.pinv(A, hermitian=True, atol=1e-2),
    lambda L, A: L.linalg.pinv(A, rtol=1e-5),
    lambda L, A: L.linalg.pinv(A),
])
def test_pinv_positional_rcond(call):
    same_repr(lambda L: call(L, L.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 1e-4], [0.0, 1e-4, 1e-7]],
                                         dtype=L.float64)), torch)


# ------------------------------------------------------------------ fft sizes
@pytest.mark.parametrize("call", [
    lambda L, x: L.fft.fftn(x, 2),
    lambda L, x: L.fft.ifftn(x, 2, dim=1),
    lambda L, x: L.fft.rfftn(x, 3),
    lambda L, x: L.fft.irfftn(x, 4),
    lambda L, x: L.fft.hfftn(x, 4),
    lambda L, x: L.fft.ihfftn(x, 3),
    lambda L, x: L.fft.fftn(x, s=2),
    lambda L, x: L.fft.fftn(x, 2, dim=(0, 1)),
    lambda L, x: L.fft.fft2(x, 2),
    lambda L, x: L.fft.fftn(x, (2, 3)),
])
def test_fftn_one_int_size(call):
    same_repr(lambda L: call(L, L.arange(24.0, dtype=L.float64).reshape(2, 3, 4).cos()), torch)


# ------------------------------------------------------------------ indexing corners
@pytest.mark.parametrize("dt", ["int32", "int16", "uint8", "float32"])
@pytest.mark.parametrize("dim", [None, 1])
def test_take_along_dim_index_dtypes(dt, dim):
    same_repr(lambda L: L.take_along_dim(L.arange(12.0).reshape(3, 4),
                                         L.tensor([[0, 1], [2, 3], [1, 1]]).to(getattr(L, dt)),
                                         dim), torch)


@pytest.mark.parametrize("args", [lambda L: (L.ones(2, 3),), lambda L: (), lambda L: ("ij",),
                                  lambda L: (L.ones(2, 3), [0, 1]),
                                  lambda L: (L.ones(2, 3), [0, 1], [1])])
def test_einsum_operands(args):
    same_repr(lambda L: L.einsum(*args(L)), torch)


# ------------------------------------------------------------------ added native ops
def test_addmv_inplace_function():
    same_output("""
import torch
v = torch.zeros(3); m = torch.arange(6.).reshape(3, 2); w = torch.tensor([1., -2.])
r = torch.addmv_(v, m, w, beta=2, alpha=3)
print(r, v, r is v)
print(torch.addmv_(v, m, w), v)
""")


def test_grid_sampler_2d_3d():
    same_output("""
import torch
x = torch.arange(18.).reshape(1, 2, 3, 3).requires_grad_()
g = (torch.arange(16.).reshape(1, 2, 4, 2) / 8 - 1).requires_grad_()
for mode in range(3):
    for pad in range(3):
        print(torch.grid_sampler_2d(x, g, mode, pad, mode == 1))
y = torch.grid_sampler_2d(x, g, 0, 0, False)
y.square().sum().backward()
print(y.grad_fn.name(), x.grad, g.grad)
x5 = torch.arange(54.).reshape(1, 2, 3, 3, 3)
g5 = torch.arange(24.).reshape(1, 2, 2, 2, 3) / 12 - 1
print(torch.grid_sampler_3d(x5, g5, 0, 1, False), torch.grid_sampler_3d(x5, g5, 1, 2, True))
for f, a in [(torch.grid_sampler_2d, (x5, g5, 0, 0, False)),
             (torch.grid_sampler_3d, (x, g, 0, 0, False)),
             (torch.grid_sampler_3d, (x5, g5, 2, 0, False))]:
    try:
        f(*a)
    except RuntimeError as e:
        print(e)
""")


def test_conv_tbc():
    import numpy as np

    import ember

    outs = []
    for L in (torch, ember):
        # float64: the gradients' sums cancel, and the two sum in different orders
        x = L.arange(30.0, dtype=L.float64).reshape(5, 2, 3).sin().requires_grad_()
        w = L.arange(24.0, dtype=L.float64).reshape(2, 3, 4).cos().requires_grad_()
        b = L.tensor([0.5, -1.0, 2.0, 0.0], dtype=L.float64).requires_grad_()
        y = L.conv_tbc(x, w, b, 1)
        y.square().sum().backward()
        outs.append((y.shape, y.is_contiguous(), y.grad_fn.name(),
                     [t.detach().numpy() for t in (y, x.grad, w.grad, b.grad)],
                     L.conv_tbc(x, w, b).shape))
    (ts, tc, tn, tv, ts0), (es, ec, en, ev, es0) = outs
    assert (tuple(ts), tc, tn, tuple(ts0)) == (tuple(es), ec, en, tuple(es0))
    for a, b in zip(tv, ev):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_conv_tbc_errors():
    for make in [lambda L: (L.ones(2, 3), L.ones(2, 3, 4), L.ones(4)),
                 lambda L: (L.ones(5, 2, 3), L.ones(2, 3), L.ones(4)),
                 lambda L: (L.ones(5, 2, 3), L.ones(2, 3, 4), L.ones(2)),
                 lambda L: (L.ones(5, 2, 2), L.ones(2, 3, 4), L.ones(4))]:
        same_repr(lambda L, make=make: L.conv_tbc(*make(L)), torch)


def test_batch_norm_update_stats():
    same_output("""
import torch
x = torch.arange(24.).reshape(2, 3, 4).sin().requires_grad_()
rm, rv = torch.zeros(3), torch.ones(3)
m, v = torch.batch_norm_update_stats(x, rm, rv, 0.1)
print(m, v, rm, rv)
try:
    v.sum().backward()
except RuntimeError as e:
    print(e)
m, v = torch.batch_norm_update_stats(x.detach().double().reshape(2, 3, 2, 2), None, None, 0.3)
print(m, v)
""")


# ------------------------------------------------------------------ guard: common calls
_COMMON = """
torch.sum(x, dim=1, keepdim=True)
torch.sum(xi, 0, dtype=torch.float64)
torch.mean(x, (0, 1))
torch.std(x, 1, unbiased=False)
torch.var(x, dim=0, correction=0)
torch.std_mean(x, dim=1)
torch.max(x, dim=0, keepdim=True)
torch.max(xi, 1)
torch.min(x, y)
torch.argmax(x, dim=1, keepdim=True)
torch.topk(x, k=2, dim=0, largest=False)
torch.sort(xi, dim=0, stable=True, descending=True)
torch.cumsum(xi, 0)
torch.cumsum(x, dim=1, dtype=torch.float64)
torch.clamp(xi, max=3)
torch.clamp(x, min=y)
torch.where(x > 0, xi, 1.5)
torch.cat((x, xi))
torch.stack([x, y], dim=2)
torch.split(x, [1, 2], 0)
torch.tensor_split(x, 3, dim=1)
torch.gather(x, 1, torch.tensor([[0, 1], [1, 0], [3, 3]]))
torch.einsum('ij,kj->ik', x, y)
torch.norm(x, p=1, dim=0, keepdim=True)
torch.unique(xi, sorted=True, return_inverse=True, return_counts=True)
torch.repeat_interleave(x, torch.tensor([1, 2, 0]), dim=0)
torch.roll(x, shifts=(1, -1), dims=(0, 1))
torch.arange(0, 10, 3, dtype=torch.float32)
torch.linspace(0, 10, steps=4, dtype=torch.int64)
torch.full((2, 2), 7)
torch.full_like(xi, 2.7)
torch.eye(2, 3, dtype=torch.int64)
torch.nonzero(x > 0, as_tuple=True)
torch.bincount(torch.tensor([0, 1, 1, 3]), weights=torch.tensor([0.5, 1.0, 2.0, 0.25]), minlength=6)
torch.histc(x, bins=4, min=-3, max=3)
torch.logsumexp(x, 0, keepdim=True)
torch.softmax(x, dim=0, dtype=torch.float64)
torch.prod(xi)
torch.median(x, dim=1)
torch.quantile(x, torch.tensor([0.25, 0.75]), dim=1, keepdim=True)
torch.kthvalue(x, 2, dim=1)
torch.addmm(s, x[:, :3], y[:, :3].T, beta=0.5, alpha=2)
torch.cdist(x, y, p=1)
torch.tensordot(x, y, dims=([1], [1]))
torch.meshgrid(x[0], y[0, :2], indexing='xy')
torch.searchsorted(torch.tensor([1., 3, 5, 7]), torch.tensor([3., 6, 9]), right=True)
torch.diff(xi, n=2, dim=0)
torch.cov(x, correction=0)
torch.aminmax(xi, dim=1)
torch.round(x, decimals=1)
torch.isin(xi, torch.tensor([1, 5]))
torch.index_add(x, 0, torch.tensor([0, 2]), y[:2], alpha=2)
torch.scatter_reduce(x, 0, torch.tensor([[0, 1, 2, 0]]), y[:1], reduce='mean', include_self=False)
torch.float_power(xi, 2)
torch.div(xi, 3, rounding_mode='trunc')
torch.add(xi, 2, alpha=3)
torch.sub(xi, yi, alpha=2)
torch.remainder(x, -1.5)
torch.bitwise_xor(xi, 3)
torch.special.xlog1py(2, y.abs())
torch.special.log_softmax(x, dim=1, dtype=torch.float64)
torch.special.polygamma(2, y.abs() + 0.1)
torch.linalg.norm(x, ord=1, dim=1)
torch.linalg.vector_norm(x, ord=float('inf'))
torch.linalg.matrix_norm(x, 'nuc')
torch.linalg.solve(s, s[0])
torch.linalg.qr(x.T, mode='complete')
torch.linalg.eigh(s, UPLO='U')
torch.linalg.matrix_rank(x, atol=1.0, rtol=0.0)
torch.linalg.cross(x[:, :3], y[:, :3])
torch.linalg.vecdot(x, y, dim=0)
torch.fft.rfft(xi, n=5, norm='forward')
torch.fft.fft2(x, s=(2, 2))
torch.fft.fftfreq(4, d=0.5)
torch.fft.fftshift(x, dim=1)
"""


@pytest.mark.parametrize("line", [ln for ln in _COMMON.strip().splitlines()])
def test_common_calls_match(line):
    def call(L):
        env = {"torch": L, "x": _x(L), "y": _y(L),
               "xi": L.tensor([[3, -1, 4, 1], [5, 9, -2, 6], [5, 3, 5, 8]]),
               "yi": L.tensor([[2, 7, 1, 8], [2, 8, 1, 8], [2, 8, 4, 5]]),
               "s": L.tensor([[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 2.0]],
                             dtype=L.float64)}
        return eval(line, env)  # noqa: S307 - a fixed table of calls

    same_repr(call, torch)


# ------------------------------------------------------------------ embedding_bag's outputs
@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("pad", [None, 1])
def test_embedding_bag_auxiliary_outputs(dt, mode, pad):
    # (output, offset2bag, bag_size, max_indices) as PyTorch's CPU kernels fill them
    same_repr(lambda L: L.embedding_bag(L.arange(12.0).reshape(4, 3).to(getattr(L, dt)),
                                        L.tensor([1, 1, 2, 1, 3]), L.tensor([0, 2, 2]), False,
                                        mode, False, None, False, pad), torch)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_embedding_bag_include_last_offset_outputs(mode):
    same_repr(lambda L: L.embedding_bag(L.arange(12.0).reshape(4, 3), L.tensor([0, 1, 2, 1, 3]),
                                        L.tensor([0, 5, 5]), False, mode, False, None, True),
              torch)
    same_repr(lambda L: L.embedding_bag(L.arange(12.0).reshape(4, 3), L.tensor([0, 1, 2, 1, 3]),
                                        L.tensor([0, 2]), False, 0, False, L.ones(5)), torch)
