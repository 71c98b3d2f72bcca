"""Losses and similarities on operands of different dtypes (PyTorch's composites): values,
result dtypes and gradients against PyTorch, and the refusals of the fused kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

F_PAIRS = [("float32", "float64"), ("float64", "float32"), ("float16", "float32"),
           ("bfloat16", "float64")]


def _pair(torch: Any, values: np.ndarray, dtype: str, grad: bool = False) -> tuple:
    t = torch.tensor(values).to(getattr(torch, dtype))
    e = ember.tensor(values).to(getattr(ember, dtype))
    if grad:
        t.requires_grad_(True)
        e.requires_grad_(True)
    return t, e


def _tol(*dtypes: str) -> float:
    return max({"float16": 2e-3, "bfloat16": 2e-2, "float64": 1e-7}.get(d, 1e-5) for d in dtypes)


def _check(torch: Any, name: str, dtypes: tuple, values: list, kwargs: dict | None = None,
           grad: tuple = (0,)) -> None:
    """Run ``F.<name>`` on both sides; compare the result and the gradients of ``grad``."""
    kwargs = kwargs or {}
    pairs = [_pair(torch, v, d, i in grad) for i, (v, d) in enumerate(zip(values, dtypes))]
    tr = getattr(torch.nn.functional, name)(*[p[0] for p in pairs], **kwargs)
    er = getattr(ember.nn.functional, name)(*[p[1] for p in pairs], **kwargs)
    tol = _tol(*dtypes)
    assert_close(er, tr, rtol=tol, atol=tol)
    if not grad:
        return
    w = np.linspace(0.5, 1.5, max(tr.numel(), 1)).reshape(tuple(tr.shape))
    (tr * torch.tensor(w).to(tr.dtype)).sum().backward()
    (er * ember.tensor(w).to(er.dtype)).sum().backward()
    for i in grad:
        # values only: Ember's engine leaves a mixed-dtype gradient in the wider dtype where
        # PyTorch's casts it to the input's (reported with the autograd engine)
        assert_close(pairs[i][1].grad, pairs[i][0].grad, rtol=tol, atol=tol, check_dtype=False)


def _unit(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.1, 0.9, shape)


def _sym(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, shape)


@pytest.mark.parametrize("dtypes", F_PAIRS)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_elementwise_losses_mixed(torch: Any, dtypes: tuple, reduction: str) -> None:
    x, t = _sym((3, 4), 0), _unit((3, 4), 1)
    kw = {"reduction": reduction}
    for name in ("l1_loss", "mse_loss", "smooth_l1_loss", "soft_margin_loss",
                 "binary_cross_entropy_with_logits", "poisson_nll_loss"):
        _check(torch, name, dtypes, [x, t], kw)
    # PyTorch's huber_loss backward refuses mixed dtypes ("Found dtype ... but expected ...")
    _check(torch, "huber_loss", dtypes, [x, t], kw, grad=())
    _check(torch, "kl_div", dtypes, [np.log(_unit((3, 4), 0)), t], kw)
    _check(torch, "hinge_embedding_loss", dtypes, [x, np.sign(_sym((3, 4), 2))], kw)
    _check(torch, "margin_ranking_loss", dtypes + (dtypes[1],),
           [x[0], _sym((4,), 3), np.sign(_sym((4,), 4))], kw, grad=(0, 1))
    _check(torch, "cosine_embedding_loss", dtypes + (dtypes[0],),
           [x, _sym((3, 4), 5), np.sign(_sym((3,), 6))], kw, grad=(0, 1))
    _check(torch, "gaussian_nll_loss", dtypes + (dtypes[1],), [x, t, _unit((3, 4), 7)], kw,
           grad=(0, 2))


@pytest.mark.parametrize("dtypes", F_PAIRS + [("bfloat16", "bfloat16")])
def test_cosine_similarity_mixed(torch: Any, dtypes: tuple) -> None:
    _check(torch, "cosine_similarity", dtypes, [_sym((3, 4), 0), _sym((3, 4), 1)], grad=(0, 1))
    _check(torch, "pairwise_distance", dtypes, [_sym((3, 4), 0), _sym((3, 4), 1)], grad=(0, 1))


def test_cross_entropy_probabilities_mixed(torch: Any) -> None:
    x, p = _sym((3, 4), 0), _unit((3, 4), 1)
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}, {"reduction": "sum"}):
        _check(torch, "cross_entropy", ("float32", "float64"), [x, p], kw)


def test_complex_distances_are_real(torch: Any) -> None:
    v = _sym((3, 4), 0) + 1j * _sym((3, 4), 1)
    _check(torch, "pairwise_distance", ("complex64", "complex64"), [v, _sym((3, 4), 2)],
           grad=())
    _check(torch, "l1_loss", ("complex64", "float32"), [v, _sym((3, 4), 2)], grad=())


@pytest.mark.parametrize("name, dtypes, message", [
    ("mse_loss", ("int64", "int64"), "\"mse_cpu\" not implemented for 'Long'"),
    ("smooth_l1_loss", ("float32", "complex64"),
     "\"smooth_l1_cpu\" not implemented for 'ComplexFloat'"),
    ("huber_loss", ("int32", "float32"),
     "result type Float can't be cast to the desired output type Int"),
    ("binary_cross_entropy", ("float32", "float64"), "Found dtype Double but expected Float"),
    ("binary_cross_entropy_with_logits", ("float32", "bool"),
     "Subtraction, the `-` operator, with two bool tensors is not supported"),
    ("l1_loss", ("int64", "int64"), "mean(): could not infer output dtype"),
    ("cosine_similarity", ("int64", "int32"),
     "expected common dtype to be floating point, yet common dtype is Long"),
])
def test_loss_refusals(torch: Any, name: str, dtypes: tuple, message: str) -> None:
    x, t = _unit((3, 4), 0), _unit((3, 4), 1)
    pairs = [_pair(torch, v, d) for v, d in zip((x, t), dtypes)]
    errors = []
    for side in (0, 1):
        m = torch if side == 0 else ember
        with pytest.raises((RuntimeError, NotImplementedError)) as info:
            getattr(m.nn.functional, name)(*[p[side] for p in pairs])
        errors.append(info)
    assert errors[0].type is errors[1].type
    assert message in str(errors[0].value) and message in str(errors[1].value)
