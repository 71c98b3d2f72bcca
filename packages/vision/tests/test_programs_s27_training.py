"""Vision training programs (session 27): batch norm's CPU forward bit for bit, and whole
training programs printing the same as with torch/torchvision.

- Training-mode batch norm on a contiguous float32 input: the statistics as PyTorch's kernel
  forms them (float64 sums; per-thread float32 row buffers for ``(N, C[, 1...])``), and the
  output ``fma(x, alpha, fma(-mean, alpha, bias))``; evaluation mode the same transform;
  the running variance updated with its float64 sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _vision_helpers import same_program_output

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")

SHAPES = [(2, 64, 12, 12), (8, 5, 7, 9), (2, 512, 1, 1), (4, 8, 3, 3), (16, 3), (64, 10),
          (3, 4, 5), (16, 3, 1)]


@pytest.fixture
def same_threads():
    """Both libraries on two threads: an ``(N, C)`` input's statistics are summed in one
    block per thread."""
    before = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    yield
    torch.set_num_threads(before[0])
    ember.set_num_threads(before[1])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_forward_and_running_stats_bit_exact(shape: tuple, affine: bool,
                                                        same_threads: None) -> None:
    torch.manual_seed(0)
    x = torch.randn(*shape) * 3 + 1
    c = shape[1]
    tb = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(c, affine=affine)
    eb = (ember.nn.BatchNorm2d if len(shape) == 4 else ember.nn.BatchNorm1d)(c, affine=affine)
    if affine:
        with torch.no_grad():
            tb.weight.uniform_()
            tb.bias.uniform_()
        eb.weight.data = ember.tensor(tb.weight.detach().numpy())
        eb.bias.data = ember.tensor(tb.bias.detach().numpy())
    for _ in range(2):
        np.testing.assert_array_equal(eb(ember.tensor(x.numpy())).detach().numpy(),
                                      tb(x).detach().numpy())
    np.testing.assert_array_equal(eb.running_mean.numpy(), tb.running_mean.numpy())
    np.testing.assert_array_equal(eb.running_var.numpy(), tb.running_var.numpy())
    tb.eval()
    eb.eval()
    np.testing.assert_array_equal(eb(ember.tensor(x.numpy())).detach().numpy(),
                                  tb(x).detach().numpy())


def test_large_inputs_keep_the_float32_kernel(monkeypatch: Any) -> None:
    """Past ``_EXACT_MAX`` elements (conv feature maps) the float32 kernel: within float32
    rounding of PyTorch, and exact again when the limit is raised."""
    from ember.ops import normalization

    torch.manual_seed(2)
    x = torch.randn(4, 64, 16, 16) * 3 + 1
    tb, eb = torch.nn.BatchNorm2d(64), ember.nn.BatchNorm2d(64)
    want = tb(x).detach().numpy()
    got = eb(ember.tensor(x.numpy())).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert x.numel() >= normalization._EXACT_MAX
    monkeypatch.setattr(normalization, "_EXACT_MAX", 1 << 30)
    np.testing.assert_array_equal(eb(ember.tensor(x.numpy())).detach().numpy(),
                                  tb(x).detach().numpy())


def test_native_batch_norm_saved_statistics_bit_exact() -> None:
    torch.manual_seed(1)
    x = torch.randn(4, 6, 5, 5)
    w, b = torch.rand(6), torch.rand(6)
    want = torch.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5)
    got = ember.native_batch_norm(ember.tensor(x.numpy()), ember.tensor(w.numpy()),
                                  ember.tensor(b.numpy()), None, None, True, 0.1, 1e-5)
    for g, t in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), t.numpy())




CNN_EVAL = '''
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(3),
                      nn.Flatten(), nn.BatchNorm1d(27))
x = torch.randn(12, 3, 6, 6) * 2 + 0.5
for _ in range(3):
    out = model(x)
print(out[:3, :6])
print(model[0].running_mean, model[0].running_var, model[3].running_var, model[5].running_var[:5])
model.eval()
with torch.no_grad():
    print(model(x[:4])[:, :6])
'''


@pytest.mark.parametrize("src", [CNN_EVAL])
def test_programs_print_the_same(src: str, tmp_path: Any, monkeypatch: Any) -> None:
    same_program_output(src, tmp_path, monkeypatch)
