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
