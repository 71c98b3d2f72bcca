"""Session 26 (lane S): whole functional programs (seeded dropout, resampling, pooling,
activations) diffed against PyTorch, and the differences they exposed: adaptive average
pooling (and ``interpolate(mode='area')``) sums a window in PyTorch's order and divides by
each extent in turn, its 1x1 output is PyTorch's mean (summation order, channels-last node
name), and ``elu(alpha=0)`` / ``leaky_relu(negative_slope=0)`` give -0. for negative inputs.

Every test computes the expected values with torch on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from _programs import same_printed

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _run_pool(lib: object, fn: object, x: np.ndarray, Q: tuple, cl: bool) -> tuple:
    t = lib.tensor(x)
    if cl:
        t = t.contiguous(memory_format=lib.channels_last)
    t.requires_grad_()
    y = getattr(fn, f"adaptive_avg_pool{len(Q)}d")(t, Q)
    w = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(x.dtype))
    (y * w).sum().backward()
    return y.detach().numpy(), y.stride(), type(y.grad_fn).__name__, t.grad.numpy()


@pytest.mark.parametrize("S,Q", [((9, 9), (3, 3)), ((6, 6), (2, 2)), ((7, 9), (3, 4)),
                                 ((15, 10), (5, 3)), ((6, 9, 7), (2, 3, 3)), ((11,), (4,)),
                                 ((8, 5, 9), (3, 2, 4))])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_adaptive_avg_pool_window_order_bitwise(S: tuple, Q: tuple, dt: type) -> None:
    """sum over the window in order, then / kh / kw (was: / (kh * kw), or a matmul with
    1/k weights for uneven windows): values and gradients to the last bit."""
    x = (np.random.default_rng(len(S) * 7 + Q[0]).standard_normal((2, 3) + S) * 50).astype(dt)
    x.flat[5] = np.inf if len(S) == 2 else x.flat[5]
    a = _run_pool(torch, F, x, Q, False)
    b = _run_pool(ember, EF, x, Q, False)
    np.testing.assert_array_equal(b[0], a[0])
    assert b[1:3] == a[1:3]
    np.testing.assert_array_equal(b[3], a[3])


@pytest.mark.parametrize("shape", [(2, 3, 6, 7), (1, 16, 9, 9), (2, 5, 13, 11)])
@pytest.mark.parametrize("cl", [False, True])
def test_adaptive_avg_pool_1x1_is_torch_mean(shape: tuple, cl: bool) -> None:
    """A 1x1 output is PyTorch's mean (its summation order, C order or channels-last), and a
    channels-last result's node is as_strided_'s (AsStridedBackward1)."""
    x = np.random.default_rng(shape[1]).standard_normal(shape).astype(np.float32)
    a = _run_pool(torch, F, x, (1, 1), cl)
    b = _run_pool(ember, EF, x, (1, 1), cl)
    np.testing.assert_array_equal(b[0], a[0])
    assert b[1:3] == a[1:3]
    np.testing.assert_array_equal(b[3], a[3])
    x1 = np.random.default_rng(1).standard_normal((3, 4, 37)).astype(np.float32)
    np.testing.assert_array_equal(EF.adaptive_avg_pool1d(ember.tensor(x1), 1).numpy(),
                                  F.adaptive_avg_pool1d(torch.tensor(x1), 1).numpy())


def test_interpolate_area_bitwise() -> None:
    g = torch.Generator().manual_seed(18)
    x = (torch.rand(1, 3, 7, 9, generator=g) * 255).numpy()
    for kw in ({"scale_factor": 0.5}, {"size": (4, 4)}, {"size": (3, 3)}, {"size": (5, 2)}):
        want = F.interpolate(torch.tensor(x), mode="area", **kw).numpy()
        got = EF.interpolate(ember.tensor(x), mode="area", **kw).numpy()
        np.testing.assert_array_equal(got, want)


def test_zero_slope_negative_zero() -> None:
    """``elu(alpha=0)`` and ``leaky_relu(negative_slope=0)`` keep -0. for negative inputs
    (PyTorch's ``x * slope`` branch), and their gradients are PyTorch's."""
    x = np.array([-2.0, -1e-30, -0.0, 0.0, 1.0, -np.inf, np.inf], dtype=np.float32)
    for run in (lambda lib, f, t: f.elu(t, alpha=0.0),
                lambda lib, f, t: f.elu(t.double(), alpha=0.0),
                lambda lib, f, t: f.leaky_relu(t, 0.0),
                lambda lib, f, t: f.leaky_relu(t.double(), 0.0),
                lambda lib, f, t: f.leaky_relu(t.half(), 0.0)):
        res = []
        for lib, f in ((torch, F), (ember, EF)):
            t = lib.tensor(x, requires_grad=True)
            y = run(lib, f, t)
            y.sum().backward()
            res.append((y.detach().float().numpy(), t.grad.numpy()))
        np.testing.assert_array_equal(res[1][0], res[0][0])
        num = ~np.isnan(res[0][0])
        assert (np.signbit(res[1][0][num]) == np.signbit(res[0][0][num])).all()
        np.testing.assert_array_equal(res[1][1], res[0][1])


_PROGRAMS = [
    """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.ones(3, 5)
print(F.dropout(x, 0.3)); print(torch.rand(2))
print(F.dropout2d(torch.ones(2, 3, 2, 2), 0.5)); print(torch.rand(2))
print(F.alpha_dropout(torch.randn(3, 4), 0.3, training=True)); print(torch.rand(2))
print(F.feature_alpha_dropout(torch.randn(2, 3, 2), 0.5, training=True))
print(F.rrelu(torch.randn(2, 5), training=True)); print(torch.rand(2))
print(F.gumbel_softmax(torch.randn(3, 5), tau=0.5, hard=True))
model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
xb = torch.randn(16, 6); yb = torch.randint(0, 3, (16,))
for step in range(3):
    opt.zero_grad(); loss = F.cross_entropy(model(xb), yb); loss.backward(); opt.step()
    print(step, f"{loss.item():.4f}")
print(torch.rand(2))
""",
    """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(18)
x = torch.rand(1, 3, 7, 9) * 255
print(F.interpolate(x, scale_factor=0.5, mode="area")[0, 1])
print(F.adaptive_avg_pool2d(x, (4, 5))[0, 2])
print(nn.AdaptiveAvgPool2d(1)(x.contiguous(memory_format=torch.channels_last).requires_grad_()))
t = torch.tensor([-2.0, -1.0, 0.0, 1.0], requires_grad=True)
print(F.elu(t, alpha=0.0), F.leaky_relu(t, 0.0))
""",
]


@pytest.mark.parametrize("src", _PROGRAMS)
def test_programs_print_as_torch(src: str) -> None:
    same_printed(src)



def test_same_padding_warning_text() -> None:
    """padding='same' with an even kernel warns with PyTorch's whole text, its
    "(Triggered internally at ...)" included (both warn once per process)."""
    import warnings

    from ember.ops import conv as conv_ops

    with warnings.catch_warnings(record=True) as ref:
        warnings.simplefilter("always")
        F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 2), padding="same")
    if not ref:
        pytest.skip("torch warned earlier in this process")
    saved = conv_ops._warned_same[0]
    conv_ops._warned_same[0] = False
    try:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            EF.conv1d(ember.ones(1, 1, 5), ember.ones(1, 1, 2), padding="same")
    finally:
        conv_ops._warned_same[0] = saved
    assert [str(w.message) for w in got] == [str(w.message) for w in ref]
    assert got[0].category is ref[0].category
