"""Session 18: PyTorch programs run side by side with Ember, and the half-precision
roundings they exposed (log_softmax, its gradient, nll_loss/cross_entropy reductions).

PyTorch's CPU kernels compute float16/bfloat16 log_softmax in float32 but store the sum of
exponentials and its logarithm in the half type along the last dimension, and nll_loss adds
its per-row terms in the half type in a cascade of partial sums; each test compares with
torch on the same inputs, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
pytest.importorskip("ember.optim")  # the training programs step optimizers

HALF = ["float16", "bfloat16"]


def _pair(t: object, dtype: str) -> ember.Tensor:
    return ember.from_numpy(t.detach().float().numpy().copy()).to(getattr(ember, dtype))


def _bits(t: object) -> np.ndarray:
    return t.detach().float().numpy()


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("shape,dim", [((64, 7), 1), ((64, 7), 0), ((3, 1000), 1), ((5,), 0),
                                       ((4, 5, 6), 1), ((3, 4, 17), -1)])
def test_log_softmax_half_matches_torch(dtype: str, shape: tuple, dim: int) -> None:
    torch.manual_seed(0)
    x = (torch.randn(shape) * 3).to(getattr(torch, dtype)).requires_grad_(True)
    e = _pair(x, dtype).requires_grad_(True)
    g = torch.randn(shape).to(x.dtype)
    t, m = torch.log_softmax(x, dim), ember.log_softmax(e, dim)
    t.backward(g)
    m.backward(_pair(g, dtype))
    assert m.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(_bits(m), _bits(t))
    np.testing.assert_array_equal(_bits(e.grad), _bits(x.grad))


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("n", [1, 5, 17, 64, 300, 1000])
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_class_losses_half_match_torch(dtype: str, n: int, fn: str, reduction: str,
                                       weighted: bool) -> None:
    torch.manual_seed(n)
    x = (torch.randn(n, 7) * 3).to(getattr(torch, dtype))
    inp = torch.log_softmax(x, 1) if fn == "nll_loss" else x
    y = torch.randint(0, 7, (n,))
    y[::7] = -100  # ignored rows, row 0 among them
    w = torch.rand(7).to(x.dtype) if weighted else None
    t = getattr(torch.nn.functional, fn)(inp, y, weight=w, reduction=reduction)
    m = getattr(EF, fn)(_pair(inp, dtype), ember.from_numpy(y.numpy()),
                        weight=_pair(w, dtype) if weighted else None, reduction=reduction)
    assert m.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(_bits(m), _bits(t))


def _half_mlp(lib: object, dtype: str) -> list:
    lib.manual_seed(141)
    nn = lib.nn
    dt = getattr(lib, dtype)
    m = nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3)).to(dt)
    x = lib.randn(40, 6, dtype=dt)
    y = lib.randint(0, 3, (40,))
    out = []
    for _ in range(2):
        loss = nn.functional.cross_entropy(m(x), y)
        m.zero_grad()
        loss.backward()
        out.append(float(loss.float().item()))
    return out


@pytest.mark.parametrize("dtype", HALF)
def test_half_classifier_loss_matches_torch(dtype: str) -> None:
    assert _half_mlp(ember, dtype) == _half_mlp(torch, dtype)


def _lm_program(lib: object) -> tuple:
    """A small causal Transformer LM with dropout, padding masks and Adam, as users write."""
    nn = lib.nn
    lib.manual_seed(30)
    V, d = 13, 16
    emb = nn.Embedding(V, d)
    layer = nn.TransformerEncoderLayer(d, 4, 32, dropout=0.1, batch_first=True)
    enc = nn.TransformerEncoder(layer, 2)
    head = nn.Linear(d, V)
    params = list(emb.parameters()) + list(enc.parameters()) + list(head.parameters())
    # SGD, not Adam: the attention's key bias has an exactly-zero gradient whose rounding
    # noise Adam would scale up to full steps
    opt = lib.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=4)
    x = lib.randint(1, V, (4, 10))
    pad = lib.zeros(4, 9, dtype=lib.bool)
    pad[1, 7:] = True
    mask = nn.Transformer.generate_square_subsequent_mask(9)
    losses = []
    for _ in range(4):
        h = enc(emb(x[:, :-1]), mask=mask, src_key_padding_mask=pad, is_causal=True)
        loss = nn.functional.cross_entropy(head(h).transpose(1, 2), x[:, 1:],
                                           label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in params]


def test_transformer_lm_program_matches_torch() -> None:
    el, ep = _lm_program(ember)
    tl, tp = _lm_program(torch)
    np.testing.assert_allclose(el, tl, rtol=1e-5)
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
