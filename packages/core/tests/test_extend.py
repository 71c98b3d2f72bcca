"""ember.extend: custom ops with derivatives, the op registry and kernel overrides."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import extend


def _cube(x):
    xp = extend.namespace(x)
    out = extend.wrap(xp.power(x._data, 3), x)
    if extend.needs_grad(x):
        extend.record("CubeBackward0", out, (x,), lambda g, s: (g * 3 * s * s,), (x,))
    return out


def test_custom_op_forward_backward_and_gradcheck():
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = _cube(x)
    assert y.grad_fn.name() == "CubeBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([0.5, -1.0, 2.0]) ** 2)
    assert ember.autograd.gradcheck(_cube, (x,))
    assert ember.autograd.gradgradcheck(_cube, (x,))


def test_op_registry_names_and_errors():
    extend.register_op("testpkg::cube")(_cube)
    assert "testpkg::cube" in extend.ops.names()
    assert extend.ops.get("testpkg::cube") is _cube
    with pytest.raises(ValueError, match="qualified by their package"):
        extend.ops.add("cube", _cube)
    with pytest.raises(RuntimeError, match="no op named 'testpkg::missing'"):
        extend.ops.get("testpkg::missing")


def test_kernel_override_is_per_backend():
    t = ember.ones(2)
    assert extend.kernel_for("testpkg::cube", t) is None
    extend.register_kernel("testpkg::cube", "cpu")(lambda a: a ** 3)
    try:
        assert extend.kernel_for("testpkg::cube", t) is not None
        assert "testpkg::cube" not in ember.backends.base.Backend.kernels
    finally:
        t.device._backend.kernels.pop("testpkg::cube")
