"""Tensor.share_memory_ / is_shared: forked processes write into the parent's tensor (Hogwild)."""
import multiprocessing
import sys
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

fork_only = pytest.mark.skipif(sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods(),
                               reason="needs the fork start method")


def _hogwild(lib: Any) -> tuple:
    lib.manual_seed(0)
    w = lib.randn(3, 2).share_memory_()
    b = lib.zeros(4, dtype=lib.float64)[::2].share_memory_()

    def worker() -> None:
        w.mul_(2.0).add_(1.0)
        b.fill_(5.0)

    proc = multiprocessing.get_context("fork").Process(target=worker)
    proc.start()
    proc.join()
    assert proc.exitcode == 0
    return w, b, w.is_shared(), w[1].is_shared(), b.is_shared(), lib.ones(2).is_shared()


@fork_only
def test_share_memory_visible_to_forked_process(torch: Any) -> None:
    got, want = _hogwild(ember), _hogwild(torch)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1])
    assert got[2:] == want[2:]


@pytest.mark.parametrize("make, dense", [
    (lambda lib: lib.arange(6.0).view(2, 3).t(), True),
    (lambda lib: lib.arange(12.0).view(3, 4)[:, ::2], False),
    (lambda lib: lib.tensor(3.5), True),
    (lambda lib: lib.zeros(0, 3), True),
    (lambda lib: lib.tensor([True, False, True]), True),
])
def test_share_memory_keeps_values_and_identity(torch: Any, make: Any, dense: bool) -> None:
    t, tt = make(ember), make(torch)
    before = t.clone()
    assert t.share_memory_() is t
    tt.share_memory_()
    assert t.is_shared() == tt.is_shared()
    assert_close(t, before)
    assert t.shape == tt.shape and t.dtype == before.dtype
    if dense:  # dense layouts keep their strides; gapped views are compacted (documented)
        assert t.stride() == tt.stride()
    assert t.share_memory_().is_shared()  # idempotent


def test_share_memory_then_inplace_and_autograd() -> None:
    p = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        p.share_memory_()
        p.add_(1.0)
    (p * p).sum().backward()
    assert p.is_shared() and p.requires_grad
    assert np.allclose(p.grad.numpy(), 4.0)
