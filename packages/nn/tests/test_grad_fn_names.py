"""``print(loss)`` shows ``grad_fn=<...>``: the node names match PyTorch's, including the
losses and products PyTorch composes of other ops (whose last op names the node); and those
losses' error for shapes that do not broadcast."""

from __future__ import annotations

import pytest

import ember

CASES = {
    "l1": lambda m, F, x, t, r: F.l1_loss(x, t, reduction=r),
    "mse": lambda m, F, x, t, r: F.mse_loss(x, t, reduction=r),
    "kl_div": lambda m, F, x, t, r: F.kl_div(x, t.sigmoid(), reduction=r),
    "kl_div log_target": lambda m, F, x, t, r: F.kl_div(x, t, reduction=r, log_target=True),
    "poisson_nll": lambda m, F, x, t, r: F.poisson_nll_loss(x, t.sigmoid(), reduction=r),
    "gaussian_nll": lambda m, F, x, t, r: F.gaussian_nll_loss(x, t, t.sigmoid() + 0.1,
                                                              reduction=r),
    "hinge_embedding": lambda m, F, x, t, r: F.hinge_embedding_loss(x, m.ones(4, 3), reduction=r),
    "cosine_embedding": lambda m, F, x, t, r: F.cosine_embedding_loss(
        x, t, m.tensor([1.0, -1.0, 1.0, -1.0]), reduction=r),
    "triplet": lambda m, F, x, t, r: F.triplet_margin_loss(x, t, t * 2, reduction=r),
    "margin_ranking": lambda m, F, x, t, r: F.margin_ranking_loss(
        x[:, 0], t[:, 0], m.tensor([1.0, -1.0, 1.0, -1.0]), reduction=r),
    "cross_entropy": lambda m, F, x, t, r: F.cross_entropy(x, m.tensor([0, 2, 1, 0]), reduction=r),
    "label smoothing": lambda m, F, x, t, r: F.cross_entropy(x, m.tensor([0, 2, 1, 0]),
                                                             reduction=r, label_smoothing=0.1),
    "probabilities": lambda m, F, x, t, r: F.cross_entropy(x, t.softmax(1), reduction=r),
    "nll 2d": lambda m, F, x, t, r: F.nll_loss(x.reshape(1, 3, 2, 2),
                                               m.zeros(1, 2, 2, dtype=m.long), reduction=r),
}

OTHERS = {
    "linear 3-d": lambda m, F, x, t: F.linear(x.reshape(2, 2, 3), t[:2], t[0, :2]),
    "linear 3-d no bias": lambda m, F, x, t: F.linear(x.reshape(2, 2, 3), t[:2]),
    "linear 1-d": lambda m, F, x, t: F.linear(x[0], t[:2], t[0, :2]),
    "linear": lambda m, F, x, t: F.linear(x, t[:2], t[0, :2]),
    "rsub": lambda m, F, x, t: 2 - x, "rpow": lambda m, F, x, t: 2 ** x,
    "pow tensor": lambda m, F, x, t: x ** t, "pow scalar": lambda m, F, x, t: x ** 2,
    "clamp min": lambda m, F, x, t: m.clamp(x, min=0), "clamp max": lambda m, F, x, t: x.clamp(max=1),
    "clamp_min": lambda m, F, x, t: x.clamp_min(0),
    "matmul 3-d": lambda m, F, x, t: m.matmul(x.reshape(2, 2, 3), t.T),
    "matmul vector-matrix": lambda m, F, x, t: m.matmul(x[0], t.T),
    "bmm": lambda m, F, x, t: m.bmm(x.reshape(2, 2, 3), t.reshape(2, 3, 2)),
    "mm": lambda m, F, x, t: m.mm(x, t.T),
    "cosine_similarity": lambda m, F, x, t: F.cosine_similarity(x, t),
    "pairwise_distance": lambda m, F, x, t: F.pairwise_distance(x, t),
    "pdist": lambda m, F, x, t: F.pdist(x), "cdist": lambda m, F, x, t: m.cdist(x, t),
}


def _names(lib, fn, *extra):
    import importlib

    F = importlib.import_module(f"{lib.__name__}.nn.functional")
    lib.manual_seed(0)
    x = lib.randn(4, 3, requires_grad=True)
    t = lib.randn(4, 3)
    return type(fn(lib, F, x, t, *extra).grad_fn).__name__


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_node_names(torch, name, reduction):
    assert _names(ember, CASES[name], reduction) == _names(torch, CASES[name], reduction)


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_product_and_pointwise_node_names(torch, name):
    assert _names(ember, OTHERS[name]) == _names(torch, OTHERS[name])


@pytest.mark.parametrize("name", ["kl_div", "poisson_nll_loss", "mse_loss", "l1_loss"])
def test_losses_on_shapes_that_do_not_broadcast_raise_runtime_error(torch, name):
    """PyTorch's RuntimeError (not NumPy's ValueError) for inputs that do not broadcast."""
    import warnings

    for lib in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the target-size warning of mse/l1
            with pytest.raises(RuntimeError, match="must match the size of tensor b"):
                getattr(lib.nn.functional, name)(lib.ones(2, 3), lib.ones(3, 2))
