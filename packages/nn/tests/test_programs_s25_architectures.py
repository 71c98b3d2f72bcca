"""Session 25, lane R: user-written architectures from GitHub repos (nanoGPT, UNet, ViT,
ConvNeXt, EMA helpers, ...) trained a few steps as whole programs. Each program text is written
against PyTorch; it runs as written and again with ``torch`` -> ``ember`` rewritten, and what
the two printed must be the same text (object addresses aside). Plus oracle tests of the
``torch._foreach_*`` list ops that EMA helpers (timm's ``ModelEmaV3``, ``ema-pytorch``) call."""

from __future__ import annotations

import numpy as np
import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")


def _same_output(src: str) -> None:
    """The program prints the same under PyTorch and, rewritten, under Ember."""
    same_printed(src)


def _both(fn):
    """``fn`` run with PyTorch and with Ember (each given its own top-level module)."""
    return fn(torch), fn(ember)


def _close(t, e) -> None:
    """Two results (tensors, tuples/lists of them) are the same to float32 rounding."""
    if isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(t, e):
            _close(a, b)
        return
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-7)


def _lists(lib):
    lib.manual_seed(0)
    a = [lib.randn(3), lib.randn(2, 2)]
    b = [lib.randn(3), lib.randn(2, 2)]
    return a, b


@pytest.mark.parametrize("call", [
    lambda L, a, b: L._foreach_add(a, b, alpha=0.5),
    lambda L, a, b: L._foreach_sub(a, 1.5),
    lambda L, a, b: L._foreach_mul(a, [2.0, 3.0]),
    lambda L, a, b: L._foreach_div(a, b),
    lambda L, a, b: L._foreach_maximum(a, b),
    lambda L, a, b: L._foreach_minimum(a, 0.0),
    lambda L, a, b: L._foreach_clamp_max(a, b),
    lambda L, a, b: L._foreach_sqrt(L._foreach_abs(a)),
    lambda L, a, b: L._foreach_sigmoid(a),
    lambda L, a, b: L._foreach_pow(2.0, a),
    lambda L, a, b: L._foreach_pow(a, 2),
    lambda L, a, b: L._foreach_addcmul(a, a, b, value=0.5),
    lambda L, a, b: L._foreach_addcdiv(a, a, b, [1.0, 2.0]),
    lambda L, a, b: L._foreach_lerp(a, b, 0.3),
    lambda L, a, b: L._foreach_lerp(a, b, [0.1, 0.9]),
    lambda L, a, b: L._foreach_norm(a),
    lambda L, a, b: L._foreach_norm(a, 1),
    lambda L, a, b: L._foreach_max(a),
    lambda L, a, b: L._foreach_clone(a),
    lambda L, a, b: L._foreach_lerp(a, tensors1=b, weight=0.25),
    lambda L, a, b: L._foreach_lerp(a, b, weights=b),
    lambda L, a, b: L._foreach_addcmul(a, tensor1=a, tensor2=b, scalars=[2.0, 3.0]),
    lambda L, a, b: L._foreach_add(a, scalar=1.0),
    lambda L, a, b: L._foreach_mul(a, other=b),
    lambda L, a, b: L._foreach_pow(L._foreach_abs(a), exponent=0.5),
])
def test_foreach_out_of_place_matches_torch(call):
    t, e = _both(lambda L: call(L, *_lists(L)))
    assert type(t) is tuple
    _close(t, e)


def test_foreach_in_place_returns_the_list_and_updates_it():
    def run(L):
        a, b = _lists(L)
        c = [x.clone() for x in a]
        r = L._foreach_mul_(c, 0.9)
        assert r is c
        L._foreach_add_(c, b, alpha=0.1)
        L._foreach_lerp_(c, b, 0.5)
        L._foreach_addcmul_(c, a, b, value=2)
        L._foreach_sqrt_(L._foreach_abs_(c))
        L._foreach_maximum_(c, 1.0)
        out = [x.clone() for x in c]
        L._foreach_copy_(c, a)
        out += [x.clone() for x in c]
        L._foreach_zero_(c)
        return out + c
    t, e = _both(run)
    _close(t, e)


@pytest.mark.parametrize("call", [
    lambda L, a, b: L._foreach_add(a, [b[0]]),
    lambda L, a, b: L._foreach_mul([], 2.0),
    lambda L, a, b: L._foreach_norm([]),
    lambda L, a, b: L._foreach_lerp_(a, [b[0]], 0.5),
])
def test_foreach_list_errors_match_torch(call):
    def run(L):
        with pytest.raises(Exception) as info:
            call(L, *_lists(L))
        return type(info.value).__name__, str(info.value)
    t, e = _both(run)
    assert e == t


def test_foreach_result_carries_gradients():
    def run(L):
        x = L.ones(2, requires_grad=True)
        L._foreach_mul([x], 3.0)[0].sum().backward()
        return x.grad
    _close(*_both(run))


_EMA_PROGRAM = r"""
import copy
import torch
import torch.nn as nn

class ModelEmaV3(nn.Module):
    def __init__(self, model, decay=0.9):
        super().__init__()
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.decay = decay
    @torch.no_grad()
    def update(self, model):
        ema_lerp_values, model_lerp_values = [], []
        for ema_v, model_v in zip(self.module.state_dict().values(), model.state_dict().values()):
            if ema_v.is_floating_point():
                ema_lerp_values.append(ema_v)
                model_lerp_values.append(model_v)
            else:
                ema_v.copy_(model_v)
        torch._foreach_lerp_(ema_lerp_values, model_lerp_values, weight=1. - self.decay)

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
ema = ModelEmaV3(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(10, 4); y = torch.randn(10, 2)
for i in range(3):
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
    ema.update(model)
    print(i, f"{loss.item():.4f}")
print(ema.module[0].weight[0])
print(ema.module[1].running_mean[:3], ema.module[1].num_batches_tracked)
ema_p = [p.detach().clone() for p in model.parameters()]
with torch.no_grad():
    torch._foreach_mul_(ema_p, 0.5)
    torch._foreach_add_(ema_p, list(model.parameters()), alpha=0.5)
print(ema_p[-1])
print(torch._foreach_norm([p.grad for p in model.parameters()])[0])
"""


def test_program_ema_with_foreach_ops():
    _same_output(_EMA_PROGRAM)


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((5, 3), True), ((5, 3), False),
                                        ((2, 2, 2), False)])
def test_fill_diagonal_graph_and_gradient_match_torch(shape, wrap):
    """SimCLR-style ``sim.fill_diagonal_(0)`` on a graph tensor: PyTorch's CopySlices node(s)
    (two for a wrapped tall matrix), and the gradient the filled entries stop."""
    def run(L):
        L.manual_seed(0)
        w = L.randn(*shape, requires_grad=True)
        z = w * 2
        assert z.fill_diagonal_(-1.5, wrap=wrap) is z
        names, node = [], z.grad_fn
        while node is not None:
            names.append(type(node).__name__)
            node = node.next_functions[0][0] if node.next_functions else None
        (z * z).sum().backward()
        return names, z, w.grad
    (tn, tz, tg), (en, ez, eg) = _both(run)
    assert en == tn
    _close((tz, tg), (ez, eg))


def test_fill_diagonal_of_a_leaf_names_the_view():
    def run(L):
        with pytest.raises(RuntimeError) as info:
            L.ones(2, 2, requires_grad=True).fill_diagonal_(0)
        return str(info.value)
    t, e = _both(run)
    assert e == t


_SIMCLR_PROGRAM = r"""
import torch
import torch.nn.functional as F
torch.manual_seed(0)
z1, z2 = torch.randn(3, 5, requires_grad=True), torch.randn(3, 5)
sim = F.cosine_similarity(z1.unsqueeze(1), z2.unsqueeze(0), dim=-1)
sim.fill_diagonal_(0)
print(sim)
loss = F.cross_entropy(sim / 0.5, torch.arange(3))
loss.backward()
print(loss, z1.grad[0])
"""


def test_program_simclr_fill_diagonal():
    _same_output(_SIMCLR_PROGRAM)


@pytest.mark.parametrize("norm_kw", [{}, {"affine": True}, {"track_running_stats": True}])
def test_instance_norm_output_is_a_view_as_torch(norm_kw):
    """CycleGAN's ``InstanceNorm2d`` then ``ReLU(inplace=True)``: PyTorch's instance norm
    returns a view of a batch norm over ``(1, N*C, ...)``, so the in-place ReLU rebases it
    (``AsStridedBackward0`` over ``CopySlices``); the gradients are unchanged."""
    def run(L):
        L.manual_seed(0)
        x = L.randn(2, 3, 4, 4, dtype=L.float64, requires_grad=True)  # (no float32 noise)
        norm = L.nn.InstanceNorm2d(3, **norm_kw).double()
        o = norm(x * 1)
        first = (type(o.grad_fn).__name__, o._base is not None,
                 [type(n).__name__ for n, _ in o.grad_fn.next_functions])
        L.nn.functional.relu(o, inplace=True)
        after = (type(o.grad_fn).__name__,
                 [type(n).__name__ for n, _ in o.grad_fn.next_functions])
        (o * o).sum().backward()
        norm.eval()
        with L.no_grad():
            ev = norm(x)
        return first, after, ev._base is not None, o, x.grad
    t, e = _both(run)
    assert e[:3] == t[:3]
    _close(t[3:], e[3:])
