"""pytorch/examples programs (word LM, LBFGS sequence, super-resolution, forward-forward) vs torch.

Each program is written once against a module ``lib`` (torch or ember) and run from the same seed
with both; the recorded losses and parameters must agree.
"""
import math
from typing import Any

import pytest

import ember
from ember.testing import assert_close

pytest.importorskip("ember.optim")


def _np(x: Any) -> Any:
    return x.detach().numpy() if hasattr(x, "detach") else x


def _check(torch: Any, program: Any, **tol: float) -> None:
    want, got = program(torch), program(ember)
    assert len(want) == len(got)
    for a, b in zip(want, got):
        if isinstance(a, float):
            assert math.isclose(a, b, rel_tol=tol.get("rtol", 1e-5), abs_tol=tol.get("atol", 1e-6)), (a, b)
        else:
            assert_close(_np(b), _np(a), **tol)


def _word_lm(lib: Any, rnn_type: str) -> list:
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(1111)
    enc = nn.Embedding(12, 6)
    rnn = getattr(nn, rnn_type)(6, 6, 2, dropout=0.0)
    dec = nn.Linear(6, 12)
    dec.weight = enc.weight
    nn.init.uniform_(enc.weight, -0.1, 0.1)
    nn.init.zeros_(dec.bias)
    params = list(enc.parameters()) + list(rnn.parameters()) + [dec.bias]
    data = lib.randint(0, 12, (9, 3), generator=lib.Generator().manual_seed(3))
    hidden = None
    out = []
    for i in range(0, 8, 4):
        x, y = data[i:i + 4], data[i + 1:i + 5].reshape(-1)
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        for p in params:
            p.grad = None
        o, hidden = rnn(enc(x), hidden)
        loss = F.nll_loss(F.log_softmax(dec(o).view(-1, 12), dim=1), y)
        loss.backward()
        out.append(float(nn.utils.clip_grad_norm_(params, 0.25)))
        for p in params:
            p.data.add_(p.grad, alpha=-20.0)
        out.append(math.exp(loss.item()))
    return out + [p.detach().clone() for p in params]


@pytest.mark.parametrize("rnn_type", ["RNN", "LSTM", "GRU"])
def test_word_language_model_tied_manual_sgd(torch: Any, rnn_type: str) -> None:
    _check(torch, lambda lib: _word_lm(lib, rnn_type), rtol=1e-4, atol=1e-5)


def _lbfgs_sequence(lib: Any) -> list:
    nn = lib.nn
    lib.manual_seed(0)
    cell1, cell2, lin = nn.LSTMCell(1, 8).double(), nn.LSTMCell(8, 8).double(), nn.Linear(8, 1).double()
    params = list(cell1.parameters()) + list(cell2.parameters()) + list(lin.parameters())
    x = lib.sin(lib.arange(24, dtype=lib.float64).view(2, 12) / 4.0)
    inp, target = x[:, :-1], x[:, 1:]

    def forward(seq: Any, future: int = 0) -> Any:
        h1 = c1 = lib.zeros(seq.size(0), 8, dtype=lib.double)
        h2 = c2 = lib.zeros(seq.size(0), 8, dtype=lib.double)
        outs = []
        for t in seq.split(1, dim=1):
            h1, c1 = cell1(t, (h1, c1))
            h2, c2 = cell2(h1, (h2, c2))
            outs.append(lin(h2))
        for _ in range(future):
            h1, c1 = cell1(outs[-1], (h1, c1))
            h2, c2 = cell2(h1, (h2, c2))
            outs.append(lin(h2))
        return lib.cat(outs, dim=1)

    opt = lib.optim.LBFGS(params, lr=0.8, max_iter=5)
    crit = nn.MSELoss()
    out = []

    def closure() -> Any:
        opt.zero_grad()
        loss = crit(forward(inp), target)
        loss.backward()
        return loss

    for _ in range(2):
        out.append(opt.step(closure).item())
    with lib.no_grad():
        out.append(forward(inp[:1], future=4))
    return out + [opt.state_dict()["state"][0]["func_evals"] * 1.0]


def test_time_sequence_prediction_lbfgs_double(torch: Any) -> None:
    _check(torch, _lbfgs_sequence, rtol=1e-7, atol=1e-9)


def _super_resolution(lib: Any) -> list:
    nn, init = lib.nn, lib.nn.init
    lib.manual_seed(123)
    c1, c2 = nn.Conv2d(1, 8, 5, 1, 2), nn.Conv2d(8, 4, 3, 1, 1)
    init.orthogonal_(c1.weight, init.calculate_gain("relu"))
    init.orthogonal_(c2.weight)
    net = nn.Sequential(c1, nn.ReLU(), c2, nn.PixelShuffle(2))
    opt = lib.optim.Adam(net.parameters(), lr=0.01)
    target = lib.rand(2, 1, 12, 12, generator=lib.Generator().manual_seed(5))
    inp = nn.functional.interpolate(target, scale_factor=0.5, mode="bicubic", align_corners=False)
    out = [c1.weight.detach().clone()]
    for _ in range(2):
        opt.zero_grad()
        loss = nn.MSELoss()(net(inp), target)
        loss.backward()
        opt.step()
        out.append(10 * math.log10(1 / loss.item()))
    return out


def test_super_resolution_pixel_shuffle_orthogonal(torch: Any) -> None:
    _check(torch, _super_resolution, rtol=1e-5, atol=1e-6)


def _forward_forward(lib: Any) -> list:
    lib.manual_seed(1234)
    g = lib.Generator().manual_seed(0)
    x = lib.rand(6, 20, generator=g)
    y = lib.randint(0, 10, (6,), generator=g)

    def overlay(x: Any, y: Any) -> Any:
        x_ = x.clone()
        x_[:, :10] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    layer = lib.nn.Linear(20, 8)
    opt = lib.optim.Adam(layer.parameters(), lr=0.03)
    pos, neg = overlay(x, y), overlay(x, y[lib.randperm(6)])

    def fwd(h: Any) -> Any:
        h = h / (h.norm(2, 1, keepdim=True) + 1e-4)
        return lib.relu(lib.mm(h, layer.weight.T) + layer.bias.unsqueeze(0))

    for _ in range(3):
        g_pos, g_neg = fwd(pos).pow(2).mean(1), fwd(neg).pow(2).mean(1)
        loss = lib.log(1 + lib.exp(lib.cat([-g_pos + 2.0, g_neg - 2.0]))).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [layer.weight.detach().clone(), lib.nn.functional.normalize(x[:3], p=1, dim=0)]


def test_mnist_forward_forward_layer(torch: Any) -> None:
    _check(torch, _forward_forward, rtol=1e-5, atol=1e-6)
