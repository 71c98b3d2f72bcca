"""bfloat16 tensors through nn's internal host conversions (Tensor.numpy() refuses bfloat16,
as PyTorch's does, so internal code must not rely on it)."""

import numpy as np
import pytest

import ember
import ember.nn as nn


def test_prune_bfloat16_weight_keeps_largest():
    torch = pytest.importorskip("torch")
    torch_prune = pytest.importorskip("torch.nn.utils.prune")
    w = np.array([[0.5, -2.0, 0.25], [3.0, -0.125, 1.0]], dtype=np.float32)
    e = nn.Linear(3, 2).bfloat16()
    t = torch.nn.Linear(3, 2).bfloat16()
    with ember.no_grad():
        e.weight.copy_(ember.from_numpy(w))
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
    nn.utils.prune.l1_unstructured(e, "weight", 0.5)
    torch_prune.l1_unstructured(t, "weight", 0.5)
    assert e.weight_mask.dtype == ember.bfloat16
    np.testing.assert_array_equal(e.weight_mask.float().numpy(), t.weight_mask.float().numpy())


def test_torch_bfloat16_state_dict_loads_exactly():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.Linear(5, 3).bfloat16()
    e = nn.Linear(5, 3).bfloat16()
    e.load_state_dict(t.state_dict())
    assert e.weight.dtype == ember.bfloat16
    np.testing.assert_array_equal(e.weight.detach().float().numpy(),
                                  t.weight.detach().float().numpy())
    np.testing.assert_array_equal(e.bias.detach().float().numpy(),
                                  t.bias.detach().float().numpy())


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 17), dict(size=40, mode="linear")),
    ((2, 3, 37), dict(size=20, mode="linear")),
    ((2, 3, 37), dict(size=38, mode="linear")),
    ((2, 3, 37, 53), dict(size=(64, 80), mode="bilinear")),
    ((2, 3, 37, 53), dict(size=(74, 106), mode="bilinear")),
    ((2, 3, 37, 53), dict(scale_factor=1.7, mode="bilinear")),
    ((2, 3, 37, 53), dict(size=(64, 80), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7, 9), dict(size=(8, 9, 4), mode="trilinear")),
])
@pytest.mark.parametrize("channels_last", [False, True])
def test_linear_interpolation_is_bitwise_pytorchs(shape, kw, channels_last):
    """float32 linear modes: source positions and the two-tap sums rounded once (PyTorch's
    compiled fused multiply-adds), the last dim innermost: the same bits as PyTorch."""
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(0).random(shape) * 255).astype(np.float32)
    ex, tx = ember.tensor(x), torch.tensor(x)
    if channels_last and len(shape) == 4:
        ex = ex.contiguous(memory_format=ember.channels_last)
        tx = tx.contiguous(memory_format=torch.channels_last)
    ours = ember.nn.functional.interpolate(ex, **kw).numpy()
    theirs = torch.nn.functional.interpolate(tx, **kw).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_float64_linear_interpolation_source_positions_round_once():
    """float64: the source position ``scale * (i + 0.5) - 0.5`` rounded once, as PyTorch's
    fused multiply-add: results within an ulp or two of PyTorch's (they were ~15 off)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((2, 3, 37, 53)) * 255
    ours = ember.nn.functional.interpolate(ember.tensor(x), size=(64, 80),
                                           mode="bilinear").numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(64, 80),
                                             mode="bilinear").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=4 * np.finfo(np.float64).eps, atol=0)
