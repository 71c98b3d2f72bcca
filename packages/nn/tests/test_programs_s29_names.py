"""Session 29, lane NS (nn side): ``F.grad`` is the ``nn.grad`` module, and ``nn.intrinsic``/
``nn.qat`` are PyTorch's deprecated aliases holding the classes of ``ao.nn.intrinsic``/
``ao.nn.qat``."""

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")


def test_functional_grad_is_nn_grad():
    assert EF.grad is enn.grad
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    go = rng.standard_normal((1, 3, 3, 3))
    a = torch.nn.functional.grad.conv2d_input(x.shape, torch.tensor(w), torch.tensor(go))
    b = EF.grad.conv2d_input(x.shape, ember.tensor(w), ember.tensor(go))
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)


def test_intrinsic_and_qat_aliases():
    import torch.nn.intrinsic as ti

    import ember.ao.nn.intrinsic as ai
    import ember.ao.nn.qat as aq

    assert enn.intrinsic.__all__ == ti.__all__
    for name in ti.__all__:
        assert getattr(enn.intrinsic, name) is getattr(ai, name)
    for name in ("Linear", "Conv1d", "Conv2d", "Conv3d"):
        assert getattr(enn.qat, name) is getattr(aq, name)
    assert enn.intrinsic.qat is ai.qat
    m = enn.intrinsic.ConvReLU2d(enn.Conv2d(1, 2, 3), enn.ReLU())
    assert type(m).__name__ == "ConvReLU2d"
