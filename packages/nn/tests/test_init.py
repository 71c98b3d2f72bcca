"""nn.init: the laws of the random initializers (KS tests), gains, fans, deterministic fills."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import ember
from ember.nn import init


def _ks(t, dist) -> float:
    return stats.kstest(t.detach().numpy().ravel(), dist.cdf).pvalue


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ember.empty(5, 3, 2, 2)) == (12, 20)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")


def test_laws():
    t = ember.empty(200, 300)
    assert _ks(init.uniform_(t, -2, 3), stats.uniform(-2, 5)) > 1e-3
    assert _ks(init.normal_(t, 1, 2), stats.norm(1, 2)) > 1e-3
    a = math.sqrt(6 / 500)
    assert _ks(init.xavier_uniform_(t), stats.uniform(-a, 2 * a)) > 1e-3
    assert _ks(init.xavier_normal_(t, gain=2), stats.norm(0, 2 * math.sqrt(2 / 500))) > 1e-3
    b = math.sqrt(6 / 300)
    assert _ks(init.kaiming_uniform_(t, nonlinearity="relu"), stats.uniform(-b, 2 * b)) > 1e-3
    assert _ks(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
               stats.norm(0, math.sqrt(2 / 200))) > 1e-3
    assert _ks(init.trunc_normal_(t, 0.5, 1.0, -1.0, 1.5),
               stats.truncnorm(-1.5, 1.0, loc=0.5, scale=1.0)) > 1e-3


def test_no_grad_and_returns_same_tensor():
    p = ember.nn.Parameter(ember.empty(3, 4))
    assert init.normal_(p) is p and p.grad_fn is None and p.requires_grad
    assert init.kaiming_uniform_(p, a=math.sqrt(5)) is p


def test_generator_argument_reproduces():
    g = ember.Generator().manual_seed(3)
    a = init.kaiming_uniform_(ember.empty(4, 4), generator=g).tolist()
    g.manual_seed(3)
    assert init.kaiming_uniform_(ember.empty(4, 4), generator=g).tolist() == a


def test_deterministic_fills():
    t = ember.empty(3, 4)
    assert init.constant_(t, 0.5).tolist() == [[0.5] * 4] * 3
    assert init.ones_(t).sum().item() == 12 and init.zeros_(t).sum().item() == 0
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))
    w = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    x = ember.randn(1, 2 * 2 // 2, 5, 5)
    wn = w.numpy()
    assert wn.sum() == 4 and wn[0, 0, 1, 1] == 1 and wn[1, 1, 1, 1] == 1 and wn[2, 0, 1, 1] == 1
    del x
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))


def test_orthogonal_and_sparse():
    q = init.orthogonal_(ember.empty(4, 6), gain=2.0).numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(4), atol=1e-5)
    s = init.sparse_(ember.empty(10, 5), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()


def test_zero_element_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ember.empty(0, 3))


def test_trunc_normal_bounds():
    t = init.trunc_normal_(ember.empty(1000), std=3.0, a=-1.0, b=2.0)
    assert float(t.min()) >= -1.0 and float(t.max()) <= 2.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", [(0.0, 1.0, -2.0, 2.0), (0.5, 1.0, -1.0, 1.5),
                                  (0.0, 1.0, 1.0, 3.0), (0.0, 0.02, -0.04, 0.04),
                                  (0.0, 1.0, 1.8, 4.0)])
def test_trunc_normal_draws_pytorchs_values(torch, dtype, args):
    # both regimes: redrawing normals (mass over 30%) and accepting uniforms (tail intervals)
    for seed in (0, 7):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        got = init.trunc_normal_(ember.empty(40, 30, dtype=getattr(ember, dtype)), *args)
        ref = torch.nn.init.trunc_normal_(torch.empty(40, 30, dtype=getattr(torch, dtype)),
                                          *args)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6 if dtype == "float32"
                                   else 1e-12, atol=0)
        assert float(got.min()) >= args[2] and float(got.max()) <= args[3]
        # the generator is left where PyTorch leaves it
        assert ember.rand(1).item() == pytest.approx(torch.rand(1).item(), rel=1e-6)
