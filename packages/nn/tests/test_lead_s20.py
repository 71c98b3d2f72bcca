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


def _interp_both(shape, kw, dtype, channels_last=False, seed=0):
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(seed).random(shape) * 255).astype(dtype)
    ex, tx = ember.tensor(x), torch.tensor(x)
    if channels_last:
        ex = ex.contiguous(memory_format=ember.channels_last)
        tx = tx.contiguous(memory_format=torch.channels_last)
    return (ember.nn.functional.interpolate(ex, **kw).numpy(),
            torch.nn.functional.interpolate(tx, **kw).numpy())


@pytest.mark.parametrize("channels", [3, 9])
@pytest.mark.parametrize("kw", [
    dict(size=(36, 53), mode="bilinear"),
    dict(size=(20, 30), mode="bilinear"),
    dict(size=(38, 54), mode="bilinear"),
    dict(size=(20, 30), mode="bilinear", align_corners=True),
    dict(size=(64, 80), mode="bilinear"),
    dict(scale_factor=1.7, mode="bilinear"),
    dict(size=(20, 30), mode="bicubic"),
    dict(size=(64, 80), mode="bicubic"),
    dict(scale_factor=1.7, mode="bicubic", align_corners=True),
    dict(size=(5, 7, 4), mode="trilinear"),
    dict(size=40, mode="linear"),
])
@pytest.mark.parametrize("dtype,atol", [(np.float32, 8e-5), (np.float64, 2e-13)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_interpolation_source_positions_round_once(channels, kw, dtype, atol, channels_last):
    """Source positions ``scale * (i + 0.5) - 0.5`` rounded once (PyTorch's compiled fused
    multiply-add) and bicubic weights rounded as PyTorch's kernel rounds them: on values up to
    255 the results are within a few ulps of PyTorch's (float32 was up to 27 ulps off,
    float64 bicubic up to ~1e-12). The remaining ulps are PyTorch's own summation order
    (fused multiply-adds, a four-corner kernel for small outputs), not reproduced: doing so
    costs 2-4x the time."""
    spatial = {"linear": (37,), "trilinear": (3, 5, 6)}.get(kw["mode"], (37, 53))
    ours, theirs = _interp_both((2, channels) + spatial, kw, dtype,
                                channels_last and len(spatial) == 2)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_bicubic_weights_are_rounded_to_the_dtype(dtype):
    """PyTorch's bicubic kernel stores its weights in the input's dtype: same bits."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).random((2, 3, 37, 53)).astype(np.float32) * 255
    ours = ember.nn.functional.interpolate(ember.tensor(x).to(getattr(ember, dtype)),
                                           size=(64, 80), mode="bicubic")
    theirs = torch.nn.functional.interpolate(torch.tensor(x).to(getattr(torch, dtype)),
                                             size=(64, 80), mode="bicubic")
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
