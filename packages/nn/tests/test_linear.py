"""Linear, Bilinear, Identity: defaults, initialization law, seeded equality with PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn


def test_linear_defaults_and_shapes():
    m = nn.Linear(4, 3)
    assert tuple(m.weight.shape) == (3, 4) and tuple(m.bias.shape) == (3,)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64
    bound = 1 / math.sqrt(4)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert tuple(m(ember.ones(5, 4)).shape) == (5, 3)


def test_linear_init_law():
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    from scipy import stats

    m = nn.Linear(400, 300)
    w = m.weight.detach().numpy().ravel()
    b = 1 / math.sqrt(400)
    assert stats.kstest(w, stats.uniform(-b, 2 * b).cdf).pvalue > 1e-3


def test_seeded_linear_matches_torch(torch):
    torch.manual_seed(0)
    t = torch.nn.Linear(4, 3)
    ember.manual_seed(0)
    e = nn.Linear(4, 3)
    ember.manual_seed(0)
    stream = ember.rand(3)
    torch.manual_seed(0)
    if not np.allclose(stream.numpy(), torch.rand(3).numpy()):
        pytest.fail("ember.rand does not reproduce torch's CPU stream yet")
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.bias.detach().numpy(), t.bias.detach().numpy(), rtol=1e-6)


def test_seeded_conv_and_rnn_match_torch(torch):
    for make in (lambda n: n.Conv2d(3, 4, 3), lambda n: n.GRU(3, 4),
                 lambda n: n.Embedding(5, 3), lambda n: n.MultiheadAttention(4, 2)):
        torch.manual_seed(1)
        t = make(torch.nn)
        ember.manual_seed(1)
        e = make(nn)
        for (k, ev), (_, tv) in zip(e.state_dict().items(), t.state_dict().items()):
            np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-5, atol=1e-7, err_msg=k)


def test_bilinear_and_identity(compare_layer):
    m = nn.Bilinear(2, 3, 4)
    assert tuple(m.weight.shape) == (4, 2, 3)
    x = ember.ones(5, 7)
    assert nn.Identity(1, 2, x=3)(x) is x
