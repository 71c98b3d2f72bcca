"""Fixes found by running tutorial-style training programs side by side with PyTorch:
persistent DataLoader workers over several epochs, dropout in bfloat16 (autocast training),
``scatter_reduce`` in bfloat16."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close


class _Squares:
    """A map-style dataset whose items say which worker read them (and its seed)."""

    def __len__(self) -> int:
        return 12

    def __getitem__(self, i: int):
        return i * i


def _epochs(lib, persistent: bool, workers: int) -> list:
    lib.manual_seed(0)
    loader = lib.utils.data.DataLoader(_Squares(), batch_size=4, shuffle=True,
                                       num_workers=workers, persistent_workers=persistent)
    out = [[b.tolist() for b in loader] for _ in range(3)]
    out.append(lib.rand(2).tolist())  # the global generator after three epochs
    return out


@pytest.mark.parametrize("persistent,workers", [(True, 2), (False, 2), (False, 0)])
def test_shuffled_epochs_and_generator_state_as_pytorch(torch, persistent, workers):
    """Persistent workers keep their seed across epochs, so nothing more is drawn from the
    generator; each epoch's shuffle and the generator afterwards are PyTorch's."""
    assert _epochs(ember, persistent, workers) == _epochs(torch, persistent, workers)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_bfloat16_dropout_scales_and_keeps_its_dtype(torch, p):
    x = np.random.default_rng(0).standard_normal((64, 33)).astype("float32")
    res = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        t = lib.tensor(x).to(lib.bfloat16).requires_grad_()
        y = lib.dropout(t, p, True)
        y.sum().backward()
        res.append((y, t.grad))
    assert res[0][0].dtype == ember.bfloat16
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])


@pytest.mark.parametrize("reduce", ["mean", "amax", "amin", "sum", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_bfloat16_scatter_reduce(torch, reduce, include_self):
    rng = np.random.default_rng(1)
    src = rng.standard_normal((6, 5)).astype("float32")
    base = rng.standard_normal((3, 5)).astype("float32")
    index = rng.integers(0, 3, (6, 5))
    out = [lib.tensor(base).to(lib.bfloat16).scatter_reduce(
        0, lib.tensor(index), lib.tensor(src).to(lib.bfloat16), reduce,
        include_self=include_self) for lib in (ember, torch)]
    assert out[0].dtype == ember.bfloat16
    assert_close(out[0], out[1])
