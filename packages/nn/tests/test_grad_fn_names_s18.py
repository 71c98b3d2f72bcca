"""Layers and ops Ember computes in one step where PyTorch composes several show PyTorch's
last node in grad_fn (what print(tensor) shows)."""

import numpy as np
import pytest

import ember

pytest.importorskip("ember.nn")
torch = pytest.importorskip("torch")

CASES = {
    "avg_pool1d": lambda L, x: L.nn.functional.avg_pool1d(x, 2),
    "avg_pool1d_unbatched": lambda L, x: L.nn.functional.avg_pool1d(x[0], 2),
    "max_pool1d": lambda L, x: L.nn.functional.max_pool1d(x, 2),
    "max_pool1d_indices": lambda L, x: L.nn.functional.max_pool1d(x, 2, return_indices=True)[0],
    "adaptive_max_pool1d": lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 3),
    "conv1d_unbatched": lambda L, x: L.nn.functional.conv1d(x[0], L.ones(4, 3, 3)),
    "conv_transpose1d_unbatched": lambda L, x: L.nn.functional.conv_transpose1d(
        x[0], L.ones(3, 4, 3)),
    "instance_norm": lambda L, x: L.nn.functional.instance_norm(x),
    "instance_norm_stats": lambda L, x: L.nn.functional.instance_norm(
        x, L.zeros(3), L.ones(3), use_input_stats=False),
    "InstanceNorm1d": lambda L, x: L.nn.InstanceNorm1d(3, affine=True)(x),
    "local_response_norm": lambda L, x: L.nn.functional.local_response_norm(x, 2),
    "rms_norm": lambda L, x: L.nn.functional.rms_norm(x, (8,), L.ones(8)),
    "rms_norm_half": lambda L, x: L.nn.functional.rms_norm(x.half(), (8,)),
    "kron": lambda L, x: L.kron(x[0], x[1]),
    "complex": lambda L, x: L.complex(x, x),
    "polar": lambda L, x: L.polar(x.abs(), x),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_last_node_name_as_pytorch(name):
    got = []
    for L in (ember, torch):
        x = L.tensor(np.random.default_rng(0).standard_normal((2, 3, 8)).astype("float32"),
                     requires_grad=True)
        out = CASES[name](L, x)
        got.append(type(out.grad_fn).__name__)
        out.abs().sum().backward()  # the renamed node still differentiates
        assert x.grad is not None
    assert got[0] == got[1]
