"""Classic ML and statistics programs (session 27, lane C): Ember's results compared with
PyTorch's on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")

import ember.nn.functional as EF  # noqa: E402


def _pair(x: np.ndarray) -> tuple:
    return torch.from_numpy(x.copy()), ember.from_numpy(x.copy())


@pytest.mark.parametrize("n", [1, 17, 30, 300])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignored", [False, True])
def test_nll_loss_sums_rows_in_pytorchs_cascade(n: int, dtype: str, reduction: str,
                                                 weighted: bool, ignored: bool) -> None:
    """nll_loss adds its per-row losses (and weights) in PyTorch's 8-level cascade, bit for
    bit: a plain pairwise sum differed in the last bit (softmax regression's loss)."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 5)).astype(dtype)
    t = rng.integers(0, 5, n)
    if ignored:
        t[rng.random(n) < 0.2] = -100
    w = rng.random(5).astype(dtype) if weighted else None
    tx, ex = _pair(x)
    tt, et = _pair(t)
    tw, ew = _pair(w) if weighted else (None, None)
    want = torch.nn.functional.nll_loss(tx, tt, weight=tw, reduction=reduction)
    got = EF.nll_loss(ex, et, weight=ew, reduction=reduction)
    if n == 1 and ignored and t[0] == -100:
        assert np.isnan(got.item()) == np.isnan(want.item())
    else:
        assert got.item() == want.item()
    assert str(got.dtype) == str(want.dtype).replace("torch", "ember")


def test_cross_entropy_of_equal_logits_matches_bitwise() -> None:
    """Softmax regression from zero weights: the first loss (30 rows of log 3) is PyTorch's
    cascaded sum, not NumPy's pairwise one."""
    t = torch.tensor([0, 1, 2] * 10)
    want = torch.nn.functional.cross_entropy(torch.zeros(30, 3), t)
    got = EF.cross_entropy(ember.zeros(30, 3), ember.tensor([0, 1, 2] * 10))
    assert got.item() == want.item()
    want_s = torch.nn.functional.cross_entropy(torch.zeros(30, 3), t, reduction="sum")
    got_s = EF.cross_entropy(ember.zeros(30, 3), ember.tensor([0, 1, 2] * 10), reduction="sum")
    assert got_s.item() == want_s.item()


def test_nll_loss_weighted_mean_gradient_uses_cascaded_total() -> None:
    """The weighted mean's gradient divides by the same cascaded total weight as the forward."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 4)).astype("float32")
    t = rng.integers(0, 4, 40)
    w = rng.random(4).astype("float32")
    tx, ex = _pair(x)
    tx.requires_grad_(True)
    ex.requires_grad_(True)
    torch.nn.functional.nll_loss(tx, torch.from_numpy(t), weight=torch.from_numpy(w)).backward()
    EF.nll_loss(ex, ember.from_numpy(t), weight=ember.from_numpy(w)).backward()
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cdist_mm_path_gives_zero_self_distance(dtype: str) -> None:
    """The matrix-product cdist clamps at 0 as PyTorch does (a point's distance to itself
    printed 1e-15 from a 1e-30 clamp); the gradient is 0 where the distance is 0."""
    rng = np.random.default_rng(28)
    x = rng.integers(-4, 5, (30, 3)).astype(dtype)  # small integers: every sum is exact
    tx, ex = _pair(x)
    tx.requires_grad_(True)
    ex.requires_grad_(True)
    td = torch.cdist(tx, tx, compute_mode="use_mm_for_euclid_dist")
    ed = ember.cdist(ex, ex, compute_mode="use_mm_for_euclid_dist")
    np.testing.assert_array_equal(ed.detach().numpy().diagonal(), td.detach().numpy().diagonal())
    assert (ed.detach().numpy().diagonal() == 0).all()
    np.testing.assert_allclose(ed.detach().numpy(), td.detach().numpy(), rtol=1e-6)
    td.sum().backward()
    ed.sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert ed.grad_fn.name() == td.grad_fn.name()
