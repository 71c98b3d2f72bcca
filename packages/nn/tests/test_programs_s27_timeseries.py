"""Time-series and recurrent programs against PyTorch (lane E, session 27): loss reductions in
PyTorch's summation order, smooth L1's rounding, packing lengths past the padded steps, the
p-norms (p not 2) of clip_grad_norm_ in PyTorch's serial order, and whole forecasting programs
printing what PyTorch prints."""

from __future__ import annotations

import numpy as np
import pytest
from _programs import same_printed

import ember
import ember.nn.functional  # noqa: F401 - ember.nn.functional for the lib-generic calls
import ember.nn.utils.rnn  # noqa: F401

torch = pytest.importorskip("torch")


def _bits(t) -> np.ndarray:
    return t.detach().numpy().copy()


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("n", [45, 1000, 5000])
def test_loss_reductions_in_pytorch_sum_order(loss: str, n: int) -> None:
    """``reduction='mean'/'sum'`` add the elementwise loss in PyTorch's order (NumPy's
    pairwise sum differed in the last bit, e.g. a 45-element MSE)."""
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    for red in ("mean", "sum"):
        want = getattr(torch.nn.functional, loss)(torch.tensor(a), torch.tensor(b),
                                                  reduction=red).item()
        got = getattr(ember.nn.functional, loss)(ember.tensor(a), ember.tensor(b),
                                                 reduction=red).item()
        assert got == want, (loss, n, red)


def test_loss_reduction_float64_and_2d() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((37, 11))
    b = rng.standard_normal((37, 11))
    for red in ("mean", "sum"):
        want = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=red)
        got = ember.nn.functional.mse_loss(ember.tensor(a), ember.tensor(b), reduction=red)
        assert got.item() == want.item() and str(got.dtype)[6:] == str(want.dtype)[6:]


@pytest.mark.parametrize("beta", [0.1, 0.37, 1.0])
def test_smooth_l1_elementwise_rounding(beta: float) -> None:
    """PyTorch's kernel computes ``0.5 * z * z / beta``, not ``z * z * (0.5 / beta)``."""
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(999) * 0.3).astype(np.float32)
    b = (rng.standard_normal(999) * 0.3).astype(np.float32)
    want = torch.nn.functional.smooth_l1_loss(torch.tensor(a), torch.tensor(b), beta=beta,
                                              reduction="none")
    got = ember.nn.functional.smooth_l1_loss(ember.tensor(a), ember.tensor(b), beta=beta,
                                             reduction="none")
    np.testing.assert_array_equal(_bits(got), _bits(want))
    ws = torch.nn.SmoothL1Loss(beta=beta, reduction="sum")(torch.tensor(a), torch.tensor(b))
    gs = ember.nn.SmoothL1Loss(beta=beta, reduction="sum")(ember.tensor(a), ember.tensor(b))
    assert gs.item() == ws.item()


def _pack(lib, lengths: list, enforce_sorted: bool) -> tuple:
    lib.manual_seed(0)
    x = lib.randn(5, 3, 2)
    p = lib.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    return (p.batch_sizes.tolist(), _bits(p.data).tolist(),
            None if p.sorted_indices is None else p.sorted_indices.tolist())


@pytest.mark.parametrize("lengths,enforce_sorted", [([6, 3, 2], True), ([7, 3, 2], False),
                                                    ([5, 5, 6], False)])
def test_pack_padded_lengths_past_the_steps(lengths: list, enforce_sorted: bool) -> None:
    """PyTorch packs a length past the padded steps without error: its data stops at the last
    step while ``batch_sizes`` counts every step of the lengths."""
    assert _pack(ember, lengths, enforce_sorted) == _pack(torch, lengths, enforce_sorted)


@pytest.mark.parametrize("ord", [1, 3, 0.5, 1.5, -1])
@pytest.mark.parametrize("shape,dim", [((1000,), None), ((16, 4), None), ((6, 50), -1),
                                       ((3, 4, 30), (1, 2))])
def test_vector_norm_p_serial_order(ord: float, shape: tuple, dim) -> None:
    """Norms other than 2/inf: PyTorch's reduce adds ``|x| ** p`` one element after another
    in float32 (a full norm under its grain size, or each row of trailing dims)."""
    rng = np.random.default_rng(3)
    g = (rng.standard_normal(shape) * 3).astype(np.float32)
    want = torch.linalg.vector_norm(torch.tensor(g), ord, dim=dim)
    got = ember.linalg.vector_norm(ember.tensor(g), ord, dim=dim)
    np.testing.assert_array_equal(_bits(got), _bits(want))


def _clip(lib, norm_type: float) -> tuple:
    rng = np.random.default_rng(5)
    shapes = [(16, 4), (16,), (1, 16), (1,), (37, 5), (1000,)]
    ps = [lib.nn.Parameter(lib.ones(s)) for s in shapes]
    for p in ps:
        p.grad = lib.tensor((rng.standard_normal(p.shape) * 3).astype(np.float32))
    total = lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type)
    return total.item(), [_bits(p.grad).tolist() for p in ps]


@pytest.mark.parametrize("norm_type", [1.0, 3.0, 2.0, "inf"])
def test_clip_grad_norm_total_and_grads(norm_type) -> None:
    """The returned total norm and the clipped gradients, to the last bit."""
    assert _clip(ember, norm_type) == _clip(torch, norm_type)


SINE_LSTM = """
import torch, torch.nn as nn, math
torch.manual_seed(0)
t = torch.linspace(0, 8*math.pi, 200)
y = torch.sin(t)
X = y.unfold(0, 20, 1)[:-1].unsqueeze(-1)
Y = y[20:].unsqueeze(-1)
print(X.shape, Y.shape, X.dtype)
class M(nn.Module):
    def __init__(s):
        super().__init__()
        s.lstm = nn.LSTM(1, 16, num_layers=2, batch_first=True, dropout=0.1)
        s.fc = nn.Linear(16, 1)
    def forward(s, x):
        o, (h, c) = s.lstm(x)
        return s.fc(o[:, -1])
m = M()
print(m)
opt = torch.optim.Adam(m.parameters(), lr=0.01)
for ep in range(3):
    opt.zero_grad()
    loss = nn.MSELoss()(m(X[:32]), Y[:32])
    loss.backward()
    opt.step()
    print(ep, f"{loss.item():.6f}")
m.eval()
with torch.no_grad():
    print(m(X[:3]))
print(list(m.state_dict().keys()))
"""

PACKED_GRU = """
import torch, torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
torch.manual_seed(4)
seqs = [torch.randn(l, 2) for l in [3, 5, 2]]
p = pad_sequence(seqs, batch_first=True)
packed = pack_padded_sequence(p, torch.tensor([3, 5, 2]), batch_first=True, enforce_sorted=False)
print(packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
gru = nn.GRU(2, 3, batch_first=True, bidirectional=True)
po, h = gru(packed)
out, lens = pad_packed_sequence(po, batch_first=True, total_length=6)
print(out.shape, lens, h.shape)
print(out[1])
print(h)
print(pack_padded_sequence(p, [6, 5, 2], batch_first=True, enforce_sorted=False).batch_sizes)
"""

SMOOTH_L1_WINDOWS = """
import torch, torch.nn as nn
torch.manual_seed(9)
data = torch.rand(50) * 40 + 10
sc = (data - data.min()) / (data.max() - data.min())
X = sc.unfold(0, 5, 1)[:-1]; Y = sc[5:].unsqueeze(1)
w = nn.Parameter(torch.randn(5, 1) * 0.3)
b = nn.Parameter(torch.zeros(45, 1))
out = (X * w.T).sum(1, keepdim=True) + b
for beta in (0.1, 0.37):
    print(repr(nn.SmoothL1Loss(beta=beta)(out, Y).item()))
print(repr(nn.HuberLoss(delta=0.1)(out, Y).item()), repr(nn.L1Loss(reduction='sum')(out, Y).item()))
nn.MSELoss()(out, Y).backward()
print(repr(nn.utils.clip_grad_norm_([w, b], 1.0, norm_type=1)))
print(repr(nn.utils.clip_grad_norm_([w, b], 1.0, norm_type=3)))
"""


@pytest.mark.parametrize("src", [SINE_LSTM, PACKED_GRU, SMOOTH_L1_WINDOWS],
                         ids=["sine_lstm", "packed_gru", "smooth_l1_windows"])
def test_whole_programs(src: str) -> None:
    same_printed(src)
